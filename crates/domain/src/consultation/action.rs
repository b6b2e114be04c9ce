//! What can be done to a consultation, each action with the instant or the reason it carries
//! (the domain reads no clock: the caller says when).

use chrono::{DateTime, NaiveDate, Utc};

use super::Terms;

/// One change to a consultation, applied by [`super::Consultation::apply`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Replaces the terms. Only in draft: once published, the terms bind every candidate.
    Amend(Terms),
    /// Makes the consultation public at `at`, `launched_on` being that instant's date in
    /// Europe/Paris (the date the rules in force are read for). Needs a title, an object, at
    /// least one lot, each with a title and an estimate, criteria that can be published on
    /// that date (`Criteria::problems`), a deadline after `at`, a procedure the rules give
    /// for the estimate (or a chosen one with a written reason).
    Publish {
        at: DateTime<Utc>,
        launched_on: NaiveDate,
    },
    /// Closes the deposits: only at or after the deadline.
    Close { at: DateTime<Utc> },
    /// The commission opens the bids: only once closed, at or after the deadline.
    Open { at: DateTime<Utc> },
    /// The analysis of the offers starts: only once opened.
    StartAnalysis,
    /// The consultation is awarded: only in analysis.
    Award,
    /// Declared unsuccessful, with its reason: only once opened or in analysis.
    DeclareUnsuccessful { reason: String },
    /// Cancelled before the award, with its reason.
    Cancel { reason: String },
}

impl Action {
    /// The stable code of the action, for the audit log ("consultation.publish"…).
    pub fn code(&self) -> &'static str {
        match self {
            Action::Amend(_) => "consultation.amend",
            Action::Publish { .. } => "consultation.publish",
            Action::Close { .. } => "consultation.close",
            Action::Open { .. } => "consultation.open",
            Action::StartAnalysis => "consultation.start_analysis",
            Action::Award => "consultation.award",
            Action::DeclareUnsuccessful { .. } => "consultation.declare_unsuccessful",
            Action::Cancel { .. } => "consultation.cancel",
        }
    }
}
