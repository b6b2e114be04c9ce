//! Where a consultation stands.

use serde::{Deserialize, Serialize};

/// ```text
/// Draft ─Publish─► Published ─Close (deadline passed)─► Closed ─Open─► Opened
///   ─StartAnalysis─► InAnalysis ─Award─► Awarded
///                               ─DeclareUnsuccessful─► Unsuccessful
/// any state but Awarded, Unsuccessful and Cancelled ─Cancel─► Cancelled
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConsultationStatus {
    /// Being prepared by the buyer: terms, lots, criteria, documents.
    Draft,
    /// Public: suppliers download the documents, ask questions and deposit bids until the
    /// deadline.
    Published,
    /// The deadline has passed: no deposit is accepted on time any more; the bids stay sealed.
    Closed,
    /// The opening commission has opened the bids.
    Opened,
    /// The offers are being analysed.
    InAnalysis,
    /// Final: awarded.
    Awarded,
    /// Final: declared unsuccessful (infructueuse or sans suite).
    Unsuccessful,
    /// Final: cancelled before the award.
    Cancelled,
}

impl ConsultationStatus {
    pub const ALL: [ConsultationStatus; 8] = [
        ConsultationStatus::Draft,
        ConsultationStatus::Published,
        ConsultationStatus::Closed,
        ConsultationStatus::Opened,
        ConsultationStatus::InAnalysis,
        ConsultationStatus::Awarded,
        ConsultationStatus::Unsuccessful,
        ConsultationStatus::Cancelled,
    ];

    /// The stable code used in the database and the API.
    pub fn code(self) -> &'static str {
        match self {
            ConsultationStatus::Draft => "draft",
            ConsultationStatus::Published => "published",
            ConsultationStatus::Closed => "closed",
            ConsultationStatus::Opened => "opened",
            ConsultationStatus::InAnalysis => "in_analysis",
            ConsultationStatus::Awarded => "awarded",
            ConsultationStatus::Unsuccessful => "unsuccessful",
            ConsultationStatus::Cancelled => "cancelled",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.code() == code)
    }

    pub fn label_fr(self) -> &'static str {
        match self {
            ConsultationStatus::Draft => "Brouillon",
            ConsultationStatus::Published => "Publiée",
            ConsultationStatus::Closed => "Close (date limite passée)",
            ConsultationStatus::Opened => "Plis ouverts",
            ConsultationStatus::InAnalysis => "En analyse",
            ConsultationStatus::Awarded => "Attribuée",
            ConsultationStatus::Unsuccessful => "Infructueuse ou sans suite",
            ConsultationStatus::Cancelled => "Annulée",
        }
    }

    /// Awarded, unsuccessful or cancelled: no action is possible any more.
    pub fn is_final(self) -> bool {
        matches!(
            self,
            ConsultationStatus::Awarded
                | ConsultationStatus::Unsuccessful
                | ConsultationStatus::Cancelled
        )
    }
}
