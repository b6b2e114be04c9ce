//! Consultations (PRODUCT.md §2.5) in the database.
//!
//! # What is stored
//! A consultation is one row of `consultations`: the whole domain [`Consultation`] as JSON in
//! `state`, in storage's own format (`state.rs`), and a `version`. The reference, title,
//! status and deadline columns are copies of the state for queries, rewritten with it. The
//! state is the truth. `groupement_id` names the groupement it was launched for (its lots and
//! members), if any.
//!
//! # Changes
//! Every change goes through [`Database::apply_consultation_action`](crate::Database::apply_consultation_action),
//! in the groupements' shape: load what the scope sees, check the version the caller started
//! from, check who may act, `Consultation::apply` (pure: a refusal writes nothing), then one
//! transaction for the state (guarded by the version) and the audit entry, tried again from
//! the start when another transaction extended the audit chain first.
//!
//! # Who may do what
//! The domain's policy decides (`mutualis_domain::consultation::policy`): every change is
//! applied with `Consultation::apply_as` for the scope's organisation and role: the buyer's
//! coordinators and purchasing officers create and change it. The other roles of that
//! organisation, and the members of its groupement (joined, or withdrawn: they keep the
//! record), see it and change nothing. A scope that does not see it gets "not found" whatever
//! it asks.
//!
//! # The audit log
//! Every change appends one entry about `consultation/ID@ORGANISATION`; its `before` and
//! `after` are `{"consultation_id":…,"version":…,"state":…}` with the state's stored JSON
//! (empty `before` at creation).

/// The rows, what a scope sees.
mod read;
/// The stored state document.
mod state;
/// Drafting, and applying an action.
mod write;

use chrono::{DateTime, Utc};
use mutualis_domain::consultation::{Actor, Consultation};
use mutualis_domain::refusal::Refusal;

use crate::audit::AuditSubject;
use crate::scope::Scope;
use crate::{Database, Result, StorageError};

/// The `record_type` of a consultation's audit entries.
pub const AUDIT_RECORD_TYPE: &str = "consultation";

/// The audit action of a consultation's creation (the others are `Action::code`).
pub const CREATE_ACTION: &str = "consultation.create";

/// How many times a change is tried when another transaction extended the audit chain first.
const MAX_ATTEMPTS: usize = 10;

/// A consultation as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredConsultation {
    pub id: i64,
    /// The buyer's organisation, which owns the consultation.
    pub organisation_id: i64,
    /// The groupement it was launched for.
    pub groupement_id: Option<i64>,
    /// The version to give back with the next change.
    pub version: i64,
    pub consultation: Consultation,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// Why a consultation operation was refused. The messages are shown to users as they are.
#[derive(Debug, thiserror::Error)]
pub enum ConsultationError {
    /// No such consultation, or one the scope does not see (not found, never forbidden).
    #[error("consultation introuvable")]
    NotFound,
    /// Someone else changed the consultation since the caller loaded it; nothing was written.
    #[error(
        "la consultation a été modifiée entre-temps par quelqu'un d'autre (vous partiez de la \
         version {expected}) : rien n'a été enregistré ; rechargez-la pour voir ce qui a changé, \
         puis recommencez"
    )]
    Conflict { expected: i64 },
    /// The domain refused the action: every reason, in French.
    #[error("{0}")]
    Refused(Refusal),
    /// The scope sees the consultation but may not change it; the message says who may.
    #[error("{0}")]
    Forbidden(String),
    /// A request that does not hold together; the message says why.
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    Storage(#[from] StorageError),
}

impl From<sqlx::Error> for ConsultationError {
    fn from(e: sqlx::Error) -> Self {
        ConsultationError::Storage(StorageError::Sql(e))
    }
}

/// What a consultation's audit entries are about: the consultation, of its buyer's
/// organisation.
fn subject(organisation_id: i64, id: i64) -> AuditSubject {
    AuditSubject {
        organisation_id,
        record_type: AUDIT_RECORD_TYPE,
        record_id: id,
    }
}

/// What an audit entry records as the state of a consultation: its id, its version and its
/// stored JSON, written the same way every time.
fn snapshot(id: i64, version: i64, state: &str) -> String {
    format!(r#"{{"consultation_id":{id},"version":{version},"state":{state}}}"#)
}

impl Database {
    /// The scope as the consultation policy sees it (`Consultation::available_actions`): its
    /// organisation's SIREN and its role.
    pub async fn consultation_actor(&self, scope: &Scope) -> Result<Actor> {
        let organisation = self
            .organisation_siren(scope.organisation_id())
            .await?
            .ok_or_else(|| {
                StorageError::Conflict(format!(
                    "organisme n° {} introuvable",
                    scope.organisation_id()
                ))
            })?;
        Ok(Actor {
            organisation,
            role: scope.role(),
        })
    }
}

fn too_busy() -> ConsultationError {
    ConsultationError::Storage(crate::audit::too_busy())
}
