//! Where a groupement and each of its members stand: the lifecycle's statuses, with their
//! stable codes and French labels.

use std::fmt;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::rules::date_label;

/// Where a groupement stands in its lifecycle. Stored and exchanged by its `code`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GroupementStatus {
    /// Being prepared by the coordinator: terms, lots, invitations.
    Draft,
    /// Invitations sent: members join or decline until the adhesion deadline, then sign.
    OpenForAdhesion,
    /// Every joined member has signed the convention; adhesions are closed.
    ConventionSigned,
    /// The consultation is launched: membership and needs are frozen.
    Consultation,
    /// Every lot is awarded; one contract per member and per lot.
    Awarded,
    /// The contracts are being executed.
    InExecution,
    /// Final: the groupement has ended.
    Closed,
    /// Final: the groupement was abandoned.
    Cancelled,
}

impl GroupementStatus {
    pub const ALL: [GroupementStatus; 8] = [
        GroupementStatus::Draft,
        GroupementStatus::OpenForAdhesion,
        GroupementStatus::ConventionSigned,
        GroupementStatus::Consultation,
        GroupementStatus::Awarded,
        GroupementStatus::InExecution,
        GroupementStatus::Closed,
        GroupementStatus::Cancelled,
    ];

    /// The stable code used in the database and the API.
    pub fn code(self) -> &'static str {
        match self {
            GroupementStatus::Draft => "draft",
            GroupementStatus::OpenForAdhesion => "open_for_adhesion",
            GroupementStatus::ConventionSigned => "convention_signed",
            GroupementStatus::Consultation => "consultation",
            GroupementStatus::Awarded => "awarded",
            GroupementStatus::InExecution => "in_execution",
            GroupementStatus::Closed => "closed",
            GroupementStatus::Cancelled => "cancelled",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.code() == code)
    }

    pub fn label_fr(self) -> &'static str {
        match self {
            GroupementStatus::Draft => "Brouillon",
            GroupementStatus::OpenForAdhesion => "Ouvert aux adhésions",
            GroupementStatus::ConventionSigned => "Convention signée",
            GroupementStatus::Consultation => "Consultation lancée",
            GroupementStatus::Awarded => "Attribué",
            GroupementStatus::InExecution => "En exécution",
            GroupementStatus::Closed => "Clos",
            GroupementStatus::Cancelled => "Annulé",
        }
    }

    /// Closed or cancelled: no action is possible any more.
    pub fn is_final(self) -> bool {
        matches!(self, GroupementStatus::Closed | GroupementStatus::Cancelled)
    }

    /// The consultation has been launched (and the groupement not cancelled before it):
    /// membership and needs are frozen.
    pub fn consultation_launched(self) -> bool {
        matches!(
            self,
            GroupementStatus::Consultation
                | GroupementStatus::Awarded
                | GroupementStatus::InExecution
                | GroupementStatus::Closed
        )
    }
}

impl fmt::Display for GroupementStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label_fr())
    }
}

/// Where a member stands, with the date of its answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum MemberStatus {
    Invited,
    Joined { on: NaiveDate },
    Declined { on: NaiveDate },
    Withdrawn { on: NaiveDate },
}

impl MemberStatus {
    /// The stable code of the variant: "invited", "joined", "declined", "withdrawn".
    pub fn code(self) -> &'static str {
        match self {
            MemberStatus::Invited => "invited",
            MemberStatus::Joined { .. } => "joined",
            MemberStatus::Declined { .. } => "declined",
            MemberStatus::Withdrawn { .. } => "withdrawn",
        }
    }

    /// "invitation sans réponse", "adhésion le 01/03/2027"… (nouns, so that nothing has to
    /// agree with the member's name).
    pub fn label_fr(self) -> String {
        match self {
            MemberStatus::Invited => "invitation sans réponse".to_owned(),
            MemberStatus::Joined { on } => format!("adhésion le {}", date_label(on)),
            MemberStatus::Declined { on } => format!("refus le {}", date_label(on)),
            MemberStatus::Withdrawn { on } => format!("retrait le {}", date_label(on)),
        }
    }

    pub fn is_joined(self) -> bool {
        matches!(self, MemberStatus::Joined { .. })
    }
}
