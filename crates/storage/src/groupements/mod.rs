//! Groupements de commandes (PRODUCT.md §2.4) in the database.
//!
//! # What is stored
//! A groupement is one row of `groupements`: the whole domain [`Groupement`] as JSON in
//! `state`, in storage's own format (`StateDoc`: a `CpvCode` and a `Quantity` cannot be
//! deserialised without the nomenclature, so lots and needs have a mirror here), and a
//! `version`. The title, CPV, status and adhesion deadline columns and the
//! `groupement_members` rows are copies of the state for queries ("which groupements am I
//! in"), rewritten in the transaction that writes the state. The state is the truth.
//!
//! # Changes
//! Every change goes through [`Database::apply_groupement_action`](crate::Database::apply_groupement_action):
//! 1. load the groupement, if the scope sees it (otherwise "not found");
//! 2. check the version the caller started from (optimistic concurrency: two members editing
//!    their needs at once both start from version n, the first to write makes it n + 1 and the
//!    second gets [`GroupementError::Conflict`], reloads and applies again — nothing is lost);
//! 3. check who may do what (below);
//! 4. `Groupement::apply`, pure: a refusal writes nothing;
//! 5. in one transaction, write the new state where the version is still n (the guard that
//!    makes step 2 hold between the load and the write), the members' copy, at award the
//!    contracts, and an audit entry chained to the previous one.
//!
//! # Who may do what
//! The domain's policy decides (`mutualis_domain::groupement::policy`): every change is
//! applied with `Groupement::apply_as` for the scope's organisation and role, the same function
//! the pages draw their forms from. A scope that does not see the groupement gets "not found"
//! whatever it asks; one that sees it but may not act gets [`GroupementError::Forbidden`],
//! saying who may.
//!
//! # Who sees what
//! The coordinator's territory-wide scope sees the groupements of its organisation; any scope
//! sees those its organisation is invited to, has joined or has withdrawn from (a member that
//! withdrew keeps the record of what it left, and its share of the costs incurred; it may no
//! longer act, which the domain refuses), not one it declined.
//!
//! # The award
//! `Award` creates, in the same transaction, one contract per member and per lot from
//! [`Groupement::member_shares`]: source `mutualis`; buyer the member's head-office SIRET (or
//! its first known SIRET); its own id [`member_contract_id`](mutualis_domain::groupement::member_contract_id) (the lot's id and the member's
//! SIREN); object [`Groupement::lot_object`]; CPV of the lot; amount the share; duration the
//! groupement's; notified on the award's notification date (or the day of `now`), with its
//! procedure, price form and place; starting on the groupement's planned start, or on the
//! notification when it is later or no start is planned ([`Groupement::contract_period`]),
//! and ending at the start plus the duration; the supplier as titulaire; linked by
//! `groupement_id` and `groupement_lot`. A member without any known SIRET stops the award
//! before anything is written.
//!
//! These shares are Mutualis's own record: the open-data exports leave them out and publish
//! instead [`Database::groupement_publications`](crate::Database::groupement_publications), one record per lot under the coordinator
//! for the lot's total (DECP knows only the coordinator), with every member as a co-buyer
//! for OCDS.
//!
//! # The audit log
//! Every change appends one entry to the database's audit log (`crate::audit`), about
//! `groupement/ID@ORGANISATION`. An entry's `before` and `after` are
//! `{"groupement_id":…,"version":…,"state":…}` with the state's stored JSON (empty `before`
//! at creation), so that an entry names the record it changed. When another transaction
//! extended the chain first (PostgreSQL), the whole change is tried again from the start (up
//! to ten times).

// The public API is `Database`'s methods, defined by concern in these modules, and the types
// below.
/// Applying an action: the version, the domain's policy, one transaction.
mod apply;
/// The contracts an award creates, and those it created.
mod award;
/// Drafting a groupement.
mod create;
/// The members' copy (`groupement_members`).
mod members;
/// What the open-data exports publish of the awards.
mod publications;
/// The rows, what a scope sees, a groupement loaded for a change.
mod read;
/// The stored state document.
mod state;

use chrono::{DateTime, NaiveDate, Utc};
use mutualis_domain::groupement::{Groupement, Refusal};
use mutualis_domain::{Amount, Contract, Siren, Siret};

use crate::StorageError;
use crate::audit::AuditSubject;
pub use crate::audit::{AuditError, AuditRecord, AuditReport};

/// The `record_type` of a groupement's audit entries.
pub const AUDIT_RECORD_TYPE: &str = "groupement";

/// The audit action of a groupement's creation (the others are `Action::code`).
pub const CREATE_ACTION: &str = "create";

/// How many times a change is tried when another transaction extended the audit chain first
/// (PostgreSQL only). Each failed try means another change committed: with fewer concurrent
/// writers than this, a change always lands.
const MAX_ATTEMPTS: usize = 10;

/// The pooling opportunity a groupement was created from: its CPV prefix and the date the
/// opportunities were computed for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpportunitySource {
    /// 2 to 8 digits ("9091").
    pub cpv_prefix: String,
    pub as_of: NaiveDate,
    /// Asked over every buyer of the data, not the territory's organisations only.
    pub all_buyers: bool,
}

/// A groupement as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredGroupement {
    pub id: i64,
    /// The coordinator's organisation, which owns the groupement.
    pub organisation_id: i64,
    /// The version to give back with the next change.
    pub version: i64,
    pub groupement: Groupement,
    pub source: Option<OpportunitySource>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// What the open-data exports publish of a groupement's awarded lot: the contract under the
/// coordinator for the lot's total, and the other members, co-buyers (OCDS lists them).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupementPublication {
    pub groupement_id: i64,
    pub contract: Contract,
    /// The SIRETs of the members with a share in the lot, the coordinator's included when it
    /// has one, in SIREN order.
    pub co_buyers: Vec<Siret>,
}

/// The publications of the awarded groupements, and the groupements whose coordinator has no
/// known SIRET (nothing can be published under it: the command says so).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GroupementPublications {
    pub records: Vec<GroupementPublication>,
    /// "title (SIREN …)" of each groupement left out.
    pub without_siret: Vec<String>,
}

/// A contract created by a groupement's award.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupementContract {
    /// The contract's row, as the contract pages know it.
    pub contract_id: i64,
    /// The member, buyer of the contract.
    pub organisation_id: i64,
    pub lot: u32,
    pub decp_id: String,
    pub buyer_siret: String,
    pub amount: Amount,
    /// When it starts (the groupement's planned start, or its notification when that is
    /// later or no start is planned) and ends (the start plus the groupement's duration).
    pub starts_on: Option<NaiveDate>,
    pub ends_on: Option<NaiveDate>,
}

/// Why a groupement operation was refused. The messages are shown to users as they are.
#[derive(Debug, thiserror::Error)]
pub enum GroupementError {
    /// No such groupement, or one the scope does not see (not found, never forbidden).
    #[error("groupement de commandes introuvable")]
    NotFound,
    /// Someone else changed the groupement since the caller loaded it; nothing was written.
    #[error(
        "le groupement a été modifié entre-temps par quelqu'un d'autre (vous partiez de la \
         version {expected}) : rien n'a été enregistré ; rechargez-le pour voir ce qui a changé, \
         puis recommencez"
    )]
    Conflict { expected: i64 },
    /// The domain refused the action: every reason, in French.
    #[error("{0}")]
    Refused(Refusal),
    /// The scope sees the groupement but may not do this; the message says who may.
    #[error("{0}")]
    Forbidden(String),
    /// A member's SIREN that no organisation of the database has.
    #[error(
        "l'organisme de SIREN {0} n'est pas connu de Mutualis : enregistrez-le avant de l'inviter"
    )]
    UnknownOrganisation(Siren),
    /// Members without any SIRET, to whom no contract can be made out: the award waits.
    #[error(
        "attribution impossible : aucun SIRET connu pour {0} ; enregistrez l'établissement \
         acheteur de chacun avant d'attribuer"
    )]
    NoSiret(String),
    /// A request that does not hold together; the message says why.
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    Storage(#[from] StorageError),
}

impl From<sqlx::Error> for GroupementError {
    fn from(e: sqlx::Error) -> Self {
        GroupementError::Storage(StorageError::Sql(e))
    }
}

/// What a groupement's audit entries are about: the groupement, of its coordinator's
/// organisation.
fn subject(organisation_id: i64, id: i64) -> AuditSubject {
    AuditSubject {
        organisation_id,
        record_type: AUDIT_RECORD_TYPE,
        record_id: id,
    }
}

/// What an audit entry records as the state of a groupement: its id, its version and its
/// stored JSON, written the same way every time.
fn snapshot(id: i64, version: i64, state: &str) -> String {
    format!(r#"{{"groupement_id":{id},"version":{version},"state":{state}}}"#)
}

fn too_busy() -> GroupementError {
    GroupementError::Storage(crate::audit::too_busy())
}
