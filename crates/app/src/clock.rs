//! Where the time comes from.

use std::fmt;
use std::sync::Mutex;

use chrono::{DateTime, Local, NaiveDate, TimeDelta, Utc};

/// The time as the application sees it.
pub trait Clock: Send + Sync + fmt::Debug {
    /// This instant.
    fn now(&self) -> DateTime<Utc>;

    /// Today's calendar day where the server runs: the French civil date of the dates users
    /// type and read (a campaign open "until the 10th included" is open all of the 10th).
    fn today(&self) -> NaiveDate {
        self.now().with_timezone(&Local).date_naive()
    }
}

/// The system's clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// A clock that only moves when told: for tests.
#[derive(Debug)]
pub struct SettableClock {
    now: Mutex<DateTime<Utc>>,
}

impl SettableClock {
    pub fn new(at: DateTime<Utc>) -> SettableClock {
        SettableClock {
            now: Mutex::new(at),
        }
    }

    /// Stopped at the system's time.
    pub fn at_system_time() -> SettableClock {
        SettableClock::new(Utc::now())
    }

    pub fn set(&self, at: DateTime<Utc>) {
        *self.lock() = at;
    }

    pub fn advance(&self, by: TimeDelta) {
        let mut now = self.lock();
        *now += by;
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, DateTime<Utc>> {
        // A panic while holding the lock leaves a valid time: keep using it.
        self.now
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl Clock for SettableClock {
    fn now(&self) -> DateTime<Utc> {
        *self.lock()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_settable_clock_moves_only_when_told() {
        let start = DateTime::parse_from_rfc3339("2027-02-10T12:00:00Z")
            .expect("instant")
            .with_timezone(&Utc);
        let clock = SettableClock::new(start);
        assert_eq!(clock.now(), start);
        clock.advance(TimeDelta::days(1));
        assert_eq!(clock.now(), start + TimeDelta::days(1));
        assert_eq!(
            clock.today(),
            NaiveDate::from_ymd_opt(2027, 2, 11).expect("day")
        );
        clock.set(start);
        assert_eq!(clock.now(), start);
        assert!(SystemClock.now() > start - TimeDelta::days(365 * 100));
    }
}
