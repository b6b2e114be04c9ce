//! Inventory campaigns ("recensement", PRODUCT.md §2.3): when a campaign takes answers, and
//! who may do what with it. Storage keeps the campaigns and enforces these rules before every
//! write; the pages and the API draw their forms and flags from the same functions.
//!
//! A campaign takes answers from the day it opens to its closing day included, while the
//! coordinator has not closed it. Its invited members answer it (declare needs by form or
//! workbook, submit their answer) with a buyer account; the coordinator who owns it reminds
//! members and closes it. The other roles (approver, evaluator, supplier, mediator) do nothing
//! with a campaign.
//!
//! This file holds the campaign's period and stage; `policy.rs` who may do what with it, and
//! why an answer is refused.

use chrono::NaiveDate;

mod policy;
pub use policy::{CampaignAction, CampaignActor, CampaignRefusal, available_actions};

/// Whether the coordinator has closed a campaign. A campaign whose closing date has passed
/// takes no answer either, whatever its status ([`Period::stage_on`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CampaignStatus {
    Open,
    Closed,
}

impl CampaignStatus {
    pub fn code(self) -> &'static str {
        match self {
            CampaignStatus::Open => "open",
            CampaignStatus::Closed => "closed",
        }
    }

    pub fn from_code(code: &str) -> Option<CampaignStatus> {
        match code {
            "open" => Some(CampaignStatus::Open),
            "closed" => Some(CampaignStatus::Closed),
            _ => None,
        }
    }

    pub fn label_fr(self) -> &'static str {
        match self {
            CampaignStatus::Open => "ouverte",
            CampaignStatus::Closed => "close",
        }
    }
}

/// What decides when a campaign takes answers: its status and its dates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    pub status: CampaignStatus,
    pub opens_on: NaiveDate,
    pub closes_on: NaiveDate,
}

/// Where a campaign stands on a given day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// Opens later.
    Upcoming,
    /// Takes answers.
    Open,
    /// Its closing day has passed, the coordinator has not closed it.
    Ended,
    /// Closed by the coordinator.
    Closed,
}

impl Period {
    pub fn stage_on(self, today: NaiveDate) -> Stage {
        if self.status == CampaignStatus::Closed {
            Stage::Closed
        } else if today > self.closes_on {
            Stage::Ended
        } else if today < self.opens_on {
            Stage::Upcoming
        } else {
            Stage::Open
        }
    }

    /// Whether members may answer on `today`: open, opened, and not past its closing date
    /// (the closing day itself included).
    pub fn takes_answers_on(self, today: NaiveDate) -> bool {
        self.stage_on(today) == Stage::Open
    }
}

/// The campaign's family a CPV code (its 8 digits) falls in: the longest of `families` that
/// prefixes it, so that with "90" and "9091" a cleaning need counts under "9091" only.
pub fn family_of<'a>(families: &'a [String], code8: &str) -> Option<&'a str> {
    families
        .iter()
        .filter(|f| code8.starts_with(f.as_str()))
        .max_by_key(|f| f.len())
        .map(String::as_str)
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(super) fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("date")
    }

    pub(super) const PERIOD: Period = Period {
        status: CampaignStatus::Open,
        opens_on: NaiveDate::from_ymd_opt(2027, 1, 10).expect("date"),
        closes_on: NaiveDate::from_ymd_opt(2027, 2, 10).expect("date"),
    };

    #[test]
    fn a_campaign_takes_answers_from_its_opening_to_its_closing_day_included() {
        for (day, stage) in [
            ("2027-01-09", Stage::Upcoming),
            ("2027-01-10", Stage::Open),
            ("2027-02-10", Stage::Open),
            ("2027-02-11", Stage::Ended),
        ] {
            assert_eq!(PERIOD.stage_on(d(day)), stage, "{day}");
            assert_eq!(PERIOD.takes_answers_on(d(day)), stage == Stage::Open);
        }
        let closed = Period {
            status: CampaignStatus::Closed,
            ..PERIOD
        };
        assert_eq!(closed.stage_on(d("2027-01-20")), Stage::Closed);
        assert_eq!(
            closed
                .answer_refusal("Recensement", d("2027-01-20"))
                .map(|r| r.to_string()),
            Some(
                "la campagne « Recensement » est close depuis le 10/02/2027 : elle n'accepte \
                 plus de réponse"
                    .to_owned()
            )
        );
        assert_eq!(
            PERIOD
                .answer_refusal("Recensement", d("2027-01-01"))
                .map(|r| r.to_string()),
            Some("la campagne « Recensement » n'ouvre que le 10/01/2027".to_owned())
        );
    }

    #[test]
    fn a_code_falls_in_the_longest_family_that_prefixes_it() {
        let families = vec!["90".to_owned(), "9091".to_owned()];
        assert_eq!(family_of(&families, "90910000"), Some("9091"));
        assert_eq!(family_of(&families, "90500000"), Some("90"));
        assert_eq!(family_of(&families, "30190000"), None);
    }
}
