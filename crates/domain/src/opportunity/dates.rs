//! Months added and counted, and dates written out in French.

use chrono::{Datelike, Months, NaiveDate};

pub(super) fn add_months(date: NaiveDate, months: u32) -> NaiveDate {
    date.checked_add_months(Months::new(months))
        .unwrap_or(NaiveDate::MAX)
}

pub(super) fn sub_months(date: NaiveDate, months: u32) -> NaiveDate {
    date.checked_sub_months(Months::new(months))
        .unwrap_or(NaiveDate::MIN)
}

pub(super) fn first_of_month_on_or_after(date: NaiveDate) -> NaiveDate {
    if date.day() == 1 {
        return date;
    }
    date.with_day(1)
        .and_then(|d| d.checked_add_months(Months::new(1)))
        .unwrap_or(date)
}

/// Whole months from `from` to `to`, rounded to the nearest (negative when `to` is earlier).
pub fn months_between(from: NaiveDate, to: NaiveDate) -> i32 {
    let days = (to - from).num_days() as f64;
    (days / 30.436_875).round() as i32
}

const MONTHS_FR: [&str; 12] = [
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
];

/// "1er janvier 2020", "7 décembre 2019".
pub fn french_date(date: NaiveDate) -> String {
    let day = if date.day() == 1 {
        "1er".to_owned()
    } else {
        date.day().to_string()
    };
    format!(
        "{day} {} {}",
        MONTHS_FR[date.month0() as usize],
        date.year()
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::opportunity::tests::d;

    #[test]
    fn months_between_is_signed_and_rounded() {
        assert_eq!(months_between(d("2020-01-01"), d("2020-03-01")), 2);
        assert_eq!(months_between(d("2020-03-01"), d("2020-01-01")), -2);
        assert_eq!(months_between(d("2020-01-01"), d("2020-01-10")), 0);
    }

    #[test]
    fn french_dates() {
        assert_eq!(french_date(d("2020-01-01")), "1er janvier 2020");
        assert_eq!(french_date(d("2019-12-07")), "7 décembre 2019");
    }
}
