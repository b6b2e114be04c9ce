//! Why an action on an aggregate (a groupement, a consultation) was refused: a stable code
//! and every failed precondition, in French. Each aggregate's `apply` returns one.

use std::fmt;

use serde::Serialize;

#[cfg(doc)]
use crate::groupement::Groupement;

/// Why an action or a split was refused: what kind of refusal ([`RefusalCode`]) and every
/// failed precondition, in French, for the user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Refusal {
    pub code: RefusalCode,
    pub reasons: Vec<String>,
}

/// What a refusal is about, with a stable code (`code()`) for the API and the tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RefusalCode {
    /// The action is not the actor's business ([`Groupement::authority`]).
    Forbidden,
    /// The groupement's step, or the member's place in it, does not allow it now
    /// ([`Groupement::stage_problems`]).
    NotNow,
    /// What the action carries does not hold together (dates, amounts, terms…).
    Invalid,
}

impl RefusalCode {
    pub fn code(self) -> &'static str {
        match self {
            RefusalCode::Forbidden => "forbidden",
            RefusalCode::NotNow => "not_now",
            RefusalCode::Invalid => "invalid",
        }
    }
}

impl Refusal {
    /// A refusal of what the action carries.
    pub(crate) fn invalid(reasons: Vec<String>) -> Refusal {
        Refusal {
            code: RefusalCode::Invalid,
            reasons,
        }
    }

    /// `Ok` when nothing failed.
    pub(crate) fn unless_empty(reasons: Vec<String>) -> Result<(), Refusal> {
        if reasons.is_empty() {
            Ok(())
        } else {
            Err(Refusal::invalid(reasons))
        }
    }
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.reasons.join(" ; "))
    }
}

impl std::error::Error for Refusal {}
