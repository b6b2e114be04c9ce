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
//! Every change goes through [`Database::apply_groupement_action`]:
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
//! its first known SIRET); its own id [`member_contract_id`] (the lot's id and the member's
//! SIREN); object [`Groupement::lot_object`]; CPV of the lot; amount the share; duration the
//! groupement's; notified on the award's notification date (or the day of `now`), with its
//! procedure, price form and place; starting on the groupement's planned start, or on the
//! notification when it is later or no start is planned ([`Groupement::contract_period`]),
//! and ending at the start plus the duration; the supplier as titulaire; linked by
//! `groupement_id` and `groupement_lot`. A member without any known SIRET stops the award
//! before anything is written.
//!
//! These shares are Mutualis's own record: the open-data exports leave them out and publish
//! instead [`Database::groupement_publications`], one record per lot under the coordinator
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

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, NaiveDate, SubsecRound, Utc};
use mutualis_domain::contract::{Label, Operator};
use mutualis_domain::groupement::{
    Action, Actor, Award, Cancellation, CostSharing, Groupement, GroupementStatus, Lot, LotNeed,
    Member, MemberStatus, Mission, NewGroupement, Refusal, RefusalCode, Signature, lot_contract_id,
    member_contract_id,
};
use mutualis_domain::{
    Amount, Contract, ContractKind, ContractSource, CpvNomenclature, Quantity, Siren, Siret,
};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::audit::{self, AuditSubject};
pub use crate::audit::{AuditError, AuditRecord, AuditReport};
use crate::scope::{Scope, TerritoryWide};
use crate::{Database, Result, StorageError, Tx, on_backend};

/// The `record_type` of a groupement's audit entries.
pub const AUDIT_RECORD_TYPE: &str = "groupement";

/// The audit action of a groupement's creation (the others are `Action::code`).
pub const CREATE_ACTION: &str = "create";

/// How many times a change is tried when another transaction extended the audit chain first
/// (PostgreSQL only). Each failed try means another change committed: with fewer concurrent
/// writers than this, a change always lands.
const MAX_ATTEMPTS: usize = 10;

// ---------------------------------------------------------------------------------------------
// Types

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

// ---------------------------------------------------------------------------------------------
// The stored state

/// A [`Groupement`] as stored in `groupements.state`. The domain's own serde describes the
/// parts that need nothing but themselves; lots and needs are mirrored here.
#[derive(Debug, Serialize, Deserialize)]
struct StateDoc {
    coordinator: Siren,
    title: String,
    /// "09123000-7".
    cpv: String,
    lots: Vec<LotDoc>,
    members: Vec<Member>,
    needs: Vec<NeedDoc>,
    mission: Mission,
    cost_sharing: CostSharing,
    duration_months: u32,
    adhesion_deadline: NaiveDate,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    proposed_start: Option<NaiveDate>,
    signatures: Vec<Signature>,
    status: GroupementStatus,
    awards: Vec<Award>,
    consultation_started_on: Option<NaiveDate>,
    execution_started_on: Option<NaiveDate>,
    closed_on: Option<NaiveDate>,
    cancellation: Option<Cancellation>,
}

#[derive(Debug, Serialize, Deserialize)]
struct LotDoc {
    number: u32,
    title: String,
    cpv: String,
}

#[derive(Debug, Serialize, Deserialize)]
struct NeedDoc {
    lot: u32,
    member: Siren,
    quantity: Option<QuantityDoc>,
    estimated_amount: Amount,
    /// Absent from states written before proposals existed: every need was its member's own.
    #[serde(default = "confirmed_by_default")]
    confirmed: bool,
}

fn confirmed_by_default() -> bool {
    true
}

#[derive(Debug, Serialize, Deserialize)]
struct QuantityDoc {
    thousandths: i64,
    unit: String,
}

impl StateDoc {
    fn of(g: &Groupement) -> StateDoc {
        StateDoc {
            coordinator: g.coordinator.clone(),
            title: g.title.clone(),
            cpv: g.cpv.to_string(),
            lots: g
                .lots
                .iter()
                .map(|l| LotDoc {
                    number: l.number,
                    title: l.title.clone(),
                    cpv: l.cpv.to_string(),
                })
                .collect(),
            members: g.members.clone(),
            needs: g
                .needs
                .iter()
                .map(|n| NeedDoc {
                    lot: n.lot,
                    member: n.member.clone(),
                    quantity: n.quantity.as_ref().map(|q| QuantityDoc {
                        thousandths: q.thousandths,
                        unit: q.unit.clone(),
                    }),
                    estimated_amount: n.estimated_amount,
                    confirmed: n.confirmed,
                })
                .collect(),
            mission: g.mission,
            cost_sharing: g.cost_sharing.clone(),
            duration_months: g.duration_months,
            adhesion_deadline: g.adhesion_deadline,
            proposed_start: g.proposed_start,
            signatures: g.signatures.clone(),
            status: g.status,
            awards: g.awards.clone(),
            consultation_started_on: g.consultation_started_on,
            execution_started_on: g.execution_started_on,
            closed_on: g.closed_on,
            cancellation: g.cancellation.clone(),
        }
    }

    fn into_groupement(self, cpv: &CpvNomenclature) -> Result<Groupement, String> {
        let code = |s: &str| cpv.parse(s).map_err(|e| e.to_string());
        let lots = self
            .lots
            .into_iter()
            .map(|l| {
                Ok(Lot {
                    number: l.number,
                    cpv: code(&l.cpv)?,
                    title: l.title,
                })
            })
            .collect::<Result<Vec<Lot>, String>>()?;
        Ok(Groupement {
            coordinator: self.coordinator,
            title: self.title,
            cpv: code(&self.cpv)?,
            lots,
            members: self.members,
            needs: self
                .needs
                .into_iter()
                .map(|n| LotNeed {
                    lot: n.lot,
                    member: n.member,
                    quantity: n.quantity.map(|q| Quantity {
                        thousandths: q.thousandths,
                        unit: q.unit,
                    }),
                    estimated_amount: n.estimated_amount,
                    confirmed: n.confirmed,
                })
                .collect(),
            mission: self.mission,
            cost_sharing: self.cost_sharing,
            duration_months: self.duration_months,
            adhesion_deadline: self.adhesion_deadline,
            proposed_start: self.proposed_start,
            signatures: self.signatures,
            status: self.status,
            awards: self.awards,
            consultation_started_on: self.consultation_started_on,
            execution_started_on: self.execution_started_on,
            closed_on: self.closed_on,
            cancellation: self.cancellation,
        })
    }
}

/// The JSON written in `groupements.state`.
fn state_json(g: &Groupement) -> Result<String> {
    serde_json::to_string(&StateDoc::of(g)).map_err(|e| StorageError::Conflict(e.to_string()))
}

fn parse_state(json: &str, cpv: &CpvNomenclature) -> Result<Groupement> {
    serde_json::from_str::<StateDoc>(json)
        .map_err(|e| e.to_string())
        .and_then(|doc| doc.into_groupement(cpv))
        .map_err(|reason| StorageError::Corrupt {
            table: "groupements",
            column: "state",
            value: json.chars().take(80).collect(),
            reason,
        })
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

// ---------------------------------------------------------------------------------------------
// Who may do what: the domain's policy, for the scope's organisation and role

/// The scope as the groupement policy sees it.
fn actor(scope: &Scope, own_siren: &Siren) -> Actor {
    Actor {
        organisation: own_siren.clone(),
        role: scope.role(),
    }
}

/// The domain's refusal as storage reports it: not the actor's business is "forbidden".
fn refused(refusal: Refusal) -> GroupementError {
    match refusal.code {
        RefusalCode::Forbidden => GroupementError::Forbidden(refusal.to_string()),
        _ => GroupementError::Refused(refusal),
    }
}

fn check_source(source: &OpportunitySource) -> Result<(), GroupementError> {
    let prefix = &source.cpv_prefix;
    if !(2..=8).contains(&prefix.len()) || !prefix.bytes().all(|b| b.is_ascii_digit()) {
        return Err(GroupementError::Invalid(format!(
            "préfixe CPV de l'opportunité « {prefix} » invalide : attendu de 2 à 8 chiffres, par \
             exemple 9091"
        )));
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Rows and writes

#[derive(sqlx::FromRow)]
struct GroupementRow {
    id: i64,
    organisation_id: i64,
    version: i64,
    state: String,
    source_cpv_prefix: Option<String>,
    source_as_of: Option<NaiveDate>,
    source_all_buyers: bool,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

const GROUPEMENT_SELECT: &str = "SELECT g.id, g.organisation_id, g.version, g.state, \
    g.source_cpv_prefix, g.source_as_of, g.source_all_buyers, g.created_at, g.updated_at \
    FROM groupements g";

impl GroupementRow {
    fn into_stored(self, cpv: &CpvNomenclature) -> Result<StoredGroupement> {
        let groupement = parse_state(&self.state, cpv)?;
        Ok(self.with(groupement))
    }

    /// The stored groupement this row holds, with `groupement` as its state.
    fn with(self, groupement: Groupement) -> StoredGroupement {
        StoredGroupement {
            id: self.id,
            organisation_id: self.organisation_id,
            version: self.version,
            groupement,
            source: match (self.source_cpv_prefix, self.source_as_of) {
                (Some(cpv_prefix), Some(as_of)) => Some(OpportunitySource {
                    cpv_prefix,
                    as_of,
                    all_buyers: self.source_all_buyers,
                }),
                _ => None,
            },
            created_at: self.created_at,
            updated_at: self.updated_at,
        }
    }
}

/// A groupement loaded for a change, with the scope's rights over it.
struct Loaded {
    row: GroupementRow,
    groupement: Groupement,
    /// The coordinator's territory-wide scope over its own organisation's groupement.
    owner: bool,
    /// The SIREN of the scope's organisation.
    own_siren: Siren,
}

/// A member as copied into `groupement_members`.
struct MemberRow {
    organisation_id: i64,
    status: &'static str,
    answered_on: Option<NaiveDate>,
    signed_on: Option<NaiveDate>,
    is_coordinator: bool,
}

fn member_rows(g: &Groupement, orgs: &HashMap<Siren, i64>) -> Result<Vec<MemberRow>> {
    g.members
        .iter()
        .map(|m| {
            let organisation_id = *orgs.get(&m.siren).ok_or_else(|| {
                StorageError::Conflict(format!("organisme de SIREN {} absent", m.siren))
            })?;
            let answered_on = match m.status {
                MemberStatus::Invited => None,
                MemberStatus::Joined { on }
                | MemberStatus::Declined { on }
                | MemberStatus::Withdrawn { on } => Some(on),
            };
            Ok(MemberRow {
                organisation_id,
                status: m.status.code(),
                answered_on,
                signed_on: g.signature_of(&m.siren).map(|s| s.signed_on),
                is_coordinator: m.siren == g.coordinator,
            })
        })
        .collect()
}

/// A contract to create at award.
struct PlannedContract {
    organisation_id: i64,
    lot: u32,
    contract: Contract,
    details: String,
    content_hash: String,
}

/// The parts of a contract that `contracts.details` holds (read back by `contracts.rs`).
#[derive(Serialize)]
struct ContractDetails<'a> {
    buyer_name: &'a Option<String>,
    operators: &'a [Operator],
}

/// Rewrites the members' copy of a groupement inside the transaction.
async fn write_members(tx: &mut Tx<'_>, id: i64, rows: &[MemberRow]) -> Result<()> {
    on_backend!(tx, conn => {
        sqlx::query("DELETE FROM groupement_members WHERE groupement_id = $1")
            .bind(id)
            .execute(&mut *conn)
            .await?;
        if !rows.is_empty() {
            let mut q = sqlx::QueryBuilder::new(
                "INSERT INTO groupement_members (groupement_id, organisation_id, status, \
                 answered_on, signed_on, is_coordinator) ",
            );
            q.push_values(rows.iter(), |mut row, m| {
                row.push_bind(id)
                    .push_bind(m.organisation_id)
                    .push_bind(m.status)
                    .push_bind(m.answered_on)
                    .push_bind(m.signed_on)
                    .push_bind(m.is_coordinator);
            });
            q.build().execute(&mut *conn).await?;
        }
    });
    Ok(())
}

/// Writes the contracts of an award, and links them to their titulaire, inside the
/// transaction.
async fn insert_contracts(
    tx: &mut Tx<'_>,
    groupement_id: i64,
    contracts: &[PlannedContract],
    now: DateTime<Utc>,
) -> Result<()> {
    for p in contracts {
        let c = &p.contract;
        let contract_id: i64 = on_backend!(tx, conn => {
            sqlx::query_scalar(
                "INSERT INTO contracts (organisation_id, buyer_siret, decp_id, kind, source, \
                 object, cpv, nature, nature_original, procedure, procedure_original, price_form, \
                 price_form_original, duration_months, notified_on, amount_cents, \
                 current_amount_cents, current_duration_months, ends_on, modification_count, \
                 details, content_hash, created_at, updated_at, groupement_id, groupement_lot, \
                 starts_on) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, \
                 $17, $18, $19, 0, $20, $21, $22, $22, $23, $24, $25) RETURNING id",
            )
            .bind(p.organisation_id)
            .bind(c.buyer.as_str())
            .bind(&c.id)
            .bind(c.kind.code())
            .bind(c.source.code())
            .bind(&c.object)
            .bind(c.cpv.map(|code| code.code8()))
            .bind(&c.nature.value)
            .bind(&c.nature.original)
            .bind(&c.procedure.value)
            .bind(&c.procedure.original)
            .bind(&c.price_form.value)
            .bind(&c.price_form.original)
            .bind(c.duration_months.map(i64::from))
            .bind(c.notified_on)
            .bind(c.amount.map(|a| a.cents()))
            .bind(c.current_amount().map(|a| a.cents()))
            .bind(c.current_duration_months().map(i64::from))
            .bind(c.end_date())
            .bind(&p.details)
            .bind(&p.content_hash)
            .bind(now)
            .bind(groupement_id)
            .bind(i64::from(p.lot))
            .bind(c.starts_on)
            .fetch_one(&mut *conn)
            .await?
        });
        for siret in c.operators.iter().filter_map(Operator::siret) {
            let siren = siret.siren().to_string();
            on_backend!(tx, conn => {
                sqlx::query(
                    "INSERT INTO organisations (siren, name, kind, created_at, updated_at) \
                     VALUES ($1, $1, 'company', $2, $2) ON CONFLICT (siren) DO NOTHING",
                )
                .bind(&siren)
                .bind(now)
                .execute(&mut *conn)
                .await?;
                let supplier: i64 =
                    sqlx::query_scalar("SELECT id FROM organisations WHERE siren = $1")
                        .bind(&siren)
                        .fetch_one(&mut *conn)
                        .await?;
                sqlx::query(
                    "INSERT INTO establishments (organisation_id, siret) VALUES ($1, $2) \
                     ON CONFLICT (siret) DO NOTHING",
                )
                .bind(supplier)
                .bind(siret.as_str())
                .execute(&mut *conn)
                .await?;
                sqlx::query(
                    "INSERT INTO contract_suppliers (contract_id, organisation_id, \
                     supplier_organisation_id) VALUES ($1, $2, $3) \
                     ON CONFLICT (contract_id, supplier_organisation_id) DO NOTHING",
                )
                .bind(contract_id)
                .bind(p.organisation_id)
                .bind(supplier)
                .execute(&mut *conn)
                .await?;
            });
        }
    }
    Ok(())
}

fn too_busy() -> GroupementError {
    GroupementError::Storage(StorageError::Conflict(
        "le journal d'audit est très sollicité : rien n'a été enregistré, réessayez".into(),
    ))
}

// ---------------------------------------------------------------------------------------------
// Groupements

impl Database {
    /// Drafts a groupement of the coordinator's organisation, with the coordinator as its
    /// first member, and records it in the audit log: one transaction. Returns its id.
    pub async fn create_groupement(
        &self,
        _wide: TerritoryWide,
        coordinator_org: i64,
        new: NewGroupement,
        source: Option<OpportunitySource>,
        actor: &str,
        now: DateTime<Utc>,
    ) -> Result<i64, GroupementError> {
        if let Some(source) = &source {
            check_source(source)?;
        }
        let siren = self
            .organisation_siren(coordinator_org)
            .await?
            .ok_or_else(|| {
                GroupementError::Invalid(format!("organisme n° {coordinator_org} introuvable"))
            })?;
        if siren != new.coordinator {
            return Err(GroupementError::Invalid(format!(
                "le coordonnateur déclaré (SIREN {}) n'est pas l'organisme qui crée le \
                 groupement (SIREN {siren})",
                new.coordinator
            )));
        }
        let groupement = Groupement::draft(new).map_err(GroupementError::Refused)?;
        let members = member_rows(&groupement, &self.member_organisations(&groupement).await?)?;
        let state = state_json(&groupement)?;
        let now = now.trunc_subsecs(6);
        for _ in 0..MAX_ATTEMPTS {
            let mut tx = self.begin().await?;
            let id: i64 = on_backend!(tx, conn => {
                sqlx::query_scalar(
                    "INSERT INTO groupements (organisation_id, title, cpv, status, version, \
                     state, source_cpv_prefix, source_as_of, source_all_buyers, adhesion_deadline, \
                     created_at, updated_at) \
                     VALUES ($1, $2, $3, $4, 1, $5, $6, $7, $8, $9, $10, $10) RETURNING id",
                )
                .bind(coordinator_org)
                .bind(&groupement.title)
                .bind(groupement.cpv.code8())
                .bind(groupement.status.code())
                .bind(&state)
                .bind(source.as_ref().map(|s| s.cpv_prefix.clone()))
                .bind(source.as_ref().map(|s| s.as_of))
                .bind(source.as_ref().is_some_and(|s| s.all_buyers))
                .bind(groupement.adhesion_deadline)
                .bind(now)
                .fetch_one(&mut *conn)
                .await?
            });
            write_members(&mut tx, id, &members).await?;
            let after = snapshot(id, 1, &state);
            let created = audit::append(
                &mut tx,
                &subject(coordinator_org, id),
                now,
                actor,
                CREATE_ACTION,
                String::new(),
                after,
            )
            .await?;
            if created {
                tx.commit().await?;
                return Ok(id);
            }
        }
        Err(too_busy())
    }

    /// One groupement, if the scope sees it (see the module documentation).
    pub async fn groupement(
        &self,
        scope: &Scope,
        id: i64,
        cpv: &CpvNomenclature,
    ) -> Result<Option<StoredGroupement>> {
        Ok(self
            .load(scope, id, cpv)
            .await?
            .map(|l| l.row.with(l.groupement)))
    }

    /// The groupements a scope sees, the latest changed first: the coordinator's
    /// territory-wide scope, those of its organisation; any scope, those its organisation is
    /// invited to, has joined or has withdrawn from.
    pub async fn groupements_for(
        &self,
        scope: &Scope,
        cpv: &CpvNomenclature,
    ) -> Result<Vec<StoredGroupement>> {
        let org = scope.organisation_id();
        let rows: Vec<GroupementRow> = on_backend!(self, pool => {
            let mut q = sqlx::QueryBuilder::new(GROUPEMENT_SELECT);
            q.push(
                " WHERE EXISTS (SELECT 1 FROM groupement_members m WHERE m.groupement_id = g.id \
                 AND m.status IN ('invited', 'joined', 'withdrawn') AND m.organisation_id = ",
            )
            .push_bind(org)
            .push(")");
            if scope.territory_wide().is_some() {
                q.push(" OR g.organisation_id = ").push_bind(org);
            }
            q.push(" ORDER BY g.updated_at DESC, g.id DESC");
            q.build_query_as().fetch_all(pool).await?
        });
        rows.into_iter().map(|r| r.into_stored(cpv)).collect()
    }

    /// Applies an action to a groupement for a scope, starting from `expected_version`: checks
    /// the version, who may act and the domain's preconditions, then writes in one transaction
    /// the new state (version + 1), the members' copy, at award the contracts, and the audit
    /// entry. Nothing is written when it fails. `actor` is the user's e-mail; `now` dates the
    /// audit entry (and, at award, the contracts' notification, on its UTC day).
    #[allow(clippy::too_many_arguments)] // each is one thing the change needs; none is optional
    pub async fn apply_groupement_action(
        &self,
        scope: &Scope,
        id: i64,
        expected_version: i64,
        action: Action,
        actor: &str,
        now: DateTime<Utc>,
        cpv: &CpvNomenclature,
    ) -> Result<StoredGroupement, GroupementError> {
        // What both backends keep (PostgreSQL stores microseconds), so that what is returned
        // is what a read gives back.
        let now = now.trunc_subsecs(6);
        for _ in 0..MAX_ATTEMPTS {
            if let Some(stored) = self
                .try_apply(scope, id, expected_version, &action, actor, now, cpv)
                .await?
            {
                return Ok(stored);
            }
        }
        Err(too_busy())
    }

    /// What [`Database::apply_groupement_action`] would write, without writing anything: the
    /// same checks (the scope sees the groupement, the version, who may act, the domain's
    /// preconditions) and the new state. A confirmation step shows from it what the action
    /// will do; the award's contracts are not planned here.
    pub async fn check_groupement_action(
        &self,
        scope: &Scope,
        id: i64,
        expected_version: i64,
        action: &Action,
        cpv: &CpvNomenclature,
    ) -> Result<Groupement, GroupementError> {
        let (_, next) = self
            .checked(scope, id, expected_version, action, cpv)
            .await?;
        Ok(next)
    }

    /// The groupement as loaded and the state `action` makes of it, once the scope sees it,
    /// the version is the caller's, the scope may act and the domain accepts.
    async fn checked(
        &self,
        scope: &Scope,
        id: i64,
        expected_version: i64,
        action: &Action,
        cpv: &CpvNomenclature,
    ) -> Result<(Loaded, Groupement), GroupementError> {
        let loaded = self
            .load(scope, id, cpv)
            .await?
            .ok_or(GroupementError::NotFound)?;
        if loaded.row.version != expected_version {
            return Err(GroupementError::Conflict {
                expected: expected_version,
            });
        }
        let next = loaded
            .groupement
            .apply_as(&actor(scope, &loaded.own_siren), action)
            .map_err(refused)?;
        Ok((loaded, next))
    }

    /// One attempt of `apply_groupement_action`: `None` when another transaction extended the
    /// audit chain first (nothing was written; try again).
    #[allow(clippy::too_many_arguments)] // those of apply_groupement_action
    async fn try_apply(
        &self,
        scope: &Scope,
        id: i64,
        expected_version: i64,
        action: &Action,
        actor: &str,
        now: DateTime<Utc>,
        cpv: &CpvNomenclature,
    ) -> Result<Option<StoredGroupement>, GroupementError> {
        let (loaded, next) = self
            .checked(scope, id, expected_version, action, cpv)
            .await?;
        let orgs = self.member_organisations(&next).await?;
        let members = member_rows(&next, &orgs)?;
        let contracts = match action {
            Action::Award(award) => {
                self.plan_contracts(id, &loaded.groupement, award, now.date_naive(), &orgs)
                    .await?
            }
            _ => Vec::new(),
        };
        let state = state_json(&next)?;
        let version = expected_version + 1;
        let org = loaded.row.organisation_id;
        let before = snapshot(id, expected_version, &loaded.row.state);
        let after = snapshot(id, version, &state);
        let mut tx = self.begin().await?;
        // First a write, guarded by the version: the transaction takes the write lock at
        // once, and a change committed since the load stops here.
        let updated = on_backend!(tx, conn => {
            sqlx::query(
                "UPDATE groupements SET state = $1, title = $2, cpv = $3, status = $4, \
                 adhesion_deadline = $5, version = $6, updated_at = $7 \
                 WHERE id = $8 AND version = $9",
            )
            .bind(&state)
            .bind(&next.title)
            .bind(next.cpv.code8())
            .bind(next.status.code())
            .bind(next.adhesion_deadline)
            .bind(version)
            .bind(now)
            .bind(id)
            .bind(expected_version)
            .execute(&mut *conn)
            .await?
            .rows_affected()
        });
        if updated == 0 {
            return Err(GroupementError::Conflict {
                expected: expected_version,
            });
        }
        write_members(&mut tx, id, &members).await?;
        insert_contracts(&mut tx, id, &contracts, now).await?;
        let written = audit::append(
            &mut tx,
            &subject(org, id),
            now,
            actor,
            action.code(),
            before,
            after,
        )
        .await?;
        if written {
            tx.commit().await?;
        }
        if !written {
            return Ok(None);
        }
        let mut row = loaded.row;
        row.version = version;
        row.updated_at = now;
        Ok(Some(row.with(next)))
    }

    /// The head-office SIRET, or else the first known SIRET, of each SIREN that has one.
    async fn main_sirets(&self, sirens: &[&Siren]) -> Result<BTreeMap<String, String>> {
        if sirens.is_empty() {
            return Ok(BTreeMap::new());
        }
        let rows: Vec<(String, String)> = on_backend!(self, pool => {
            let mut q = sqlx::QueryBuilder::new(
                "SELECT o.siren, e.siret FROM organisations o \
                 JOIN establishments e ON e.organisation_id = o.id WHERE o.siren IN (",
            );
            let mut list = q.separated(", ");
            for siren in sirens {
                list.push_bind(siren.as_str().to_owned());
            }
            q.push(") ORDER BY o.siren, e.is_head_office DESC, e.siret");
            q.build_query_as().fetch_all(pool).await?
        });
        let mut sirets = BTreeMap::new();
        for (siren, siret) in rows {
            sirets.entry(siren).or_insert(siret);
        }
        Ok(sirets)
    }

    /// The names the database knows for the titulaires of a groupement's awards, by SIRET:
    /// the name of the organisation with the SIRET's SIREN (the titulaires of the imported
    /// DECP data, the supplier directory). A titulaire recorded without a name (an award
    /// records an unknown one under its SIREN) or unknown is left out.
    pub async fn award_supplier_names(&self, g: &Groupement) -> Result<BTreeMap<String, String>> {
        let mut sirets: Vec<&Siret> = g.awards.iter().map(|a| &a.supplier_siret).collect();
        sirets.sort();
        sirets.dedup();
        if sirets.is_empty() {
            return Ok(BTreeMap::new());
        }
        let rows: Vec<(String, String)> = on_backend!(self, pool => {
            let mut q =
                sqlx::QueryBuilder::new("SELECT siren, name FROM organisations WHERE siren IN (");
            let mut list = q.separated(", ");
            for siret in &sirets {
                list.push_bind(siret.siren().as_str().to_owned());
            }
            q.push(")");
            q.build_query_as().fetch_all(pool).await?
        });
        let names: HashMap<String, String> = rows
            .into_iter()
            .filter(|(siren, name)| !name.trim().is_empty() && name != siren)
            .collect();
        Ok(sirets
            .into_iter()
            .filter_map(|siret| {
                let name = names.get(siret.siren().as_str())?;
                Some((siret.as_str().to_owned(), name.clone()))
            })
            .collect())
    }

    /// What the DECP and OCDS exports publish for the groupements' awards (the members'
    /// contracts are left out of [`Database::contracts_for_export`]): one record per awarded
    /// lot under the coordinator's main SIRET ([`Groupement::published_contracts`]), with the
    /// members who share it. `buyer` keeps the coordinator's SIRET only; `since` the records
    /// notified on or after it (a record without notification date is then left out, as a
    /// stored contract would be). By groupement, then lot.
    pub async fn groupement_publications(
        &self,
        _wide: TerritoryWide,
        buyer: Option<&Siret>,
        since: Option<NaiveDate>,
        cpv: &CpvNomenclature,
    ) -> Result<GroupementPublications> {
        let rows: Vec<GroupementRow> = on_backend!(self, pool => {
            sqlx::query_as(&format!("{GROUPEMENT_SELECT} ORDER BY g.id"))
                .fetch_all(pool)
                .await?
        });
        let mut out = GroupementPublications::default();
        for row in rows {
            let stored = row.into_stored(cpv)?;
            let g = &stored.groupement;
            if g.awards.is_empty() {
                continue;
            }
            let members: Vec<&Siren> = g.members.iter().map(|m| &m.siren).collect();
            let sirets = self.main_sirets(&members).await?;
            let Some(coordinator) = sirets
                .get(g.coordinator.as_str())
                .and_then(|s| Siret::parse(s).ok())
            else {
                out.without_siret
                    .push(format!("{} (SIREN {})", g.title, g.coordinator));
                continue;
            };
            for contract in g.published_contracts(stored.id, &coordinator) {
                if buyer.is_some_and(|b| *b != contract.buyer)
                    || since.is_some_and(|d| contract.notified_on.is_none_or(|n| n < d))
                {
                    continue;
                }
                let lot = g
                    .lots
                    .iter()
                    .find(|l| lot_contract_id(stored.id, l.number) == contract.id);
                let shares = lot
                    .and_then(|l| g.award_of(l.number))
                    .and_then(|a| g.member_shares(a).ok())
                    .unwrap_or_default();
                let mut co_buyers: Vec<Siret> = shares
                    .iter()
                    .filter(|s| lot.is_some_and(|l| l.number == s.lot))
                    .filter_map(|s| sirets.get(s.member.as_str()))
                    .filter_map(|s| Siret::parse(s).ok())
                    .collect();
                co_buyers.dedup();
                out.records.push(GroupementPublication {
                    groupement_id: stored.id,
                    contract,
                    co_buyers,
                });
            }
        }
        Ok(out)
    }

    /// The contracts a groupement's award created, by lot then buyer: all of them for the
    /// coordinator, its own for a member.
    pub async fn groupement_contracts(
        &self,
        scope: &Scope,
        id: i64,
        cpv: &CpvNomenclature,
    ) -> Result<Vec<GroupementContract>, GroupementError> {
        let loaded = self
            .load(scope, id, cpv)
            .await?
            .ok_or(GroupementError::NotFound)?;
        type Row = (
            i64,
            i64,
            i64,
            String,
            String,
            Option<i64>,
            Option<NaiveDate>,
            Option<NaiveDate>,
        );
        let rows: Vec<Row> = on_backend!(self, pool => {
            // Contracts awarded before their start was recorded start on their notification.
            let mut q = sqlx::QueryBuilder::new(
                "SELECT id, organisation_id, groupement_lot, decp_id, buyer_siret, amount_cents, \
                 COALESCE(starts_on, notified_on), ends_on \
                 FROM contracts WHERE groupement_id = ",
            );
            q.push_bind(id);
            if !loaded.owner {
                q.push(" AND organisation_id = ").push_bind(scope.organisation_id());
            }
            q.push(" ORDER BY groupement_lot, buyer_siret");
            q.build_query_as().fetch_all(pool).await?
        });
        rows.into_iter()
            .map(
                |(
                    contract_id,
                    organisation_id,
                    lot,
                    decp_id,
                    buyer_siret,
                    cents,
                    starts_on,
                    ends_on,
                )| {
                    let lot = u32::try_from(lot).map_err(|e| StorageError::Corrupt {
                        table: "contracts",
                        column: "groupement_lot",
                        value: lot.to_string(),
                        reason: e.to_string(),
                    })?;
                    Ok(GroupementContract {
                        contract_id,
                        organisation_id,
                        lot,
                        decp_id,
                        buyer_siret,
                        amount: Amount::from_cents(cents.unwrap_or(0)),
                        starts_on,
                        ends_on,
                    })
                },
            )
            .collect()
    }

    /// The groupement and the scope's rights over it, or `None` when the scope does not see it.
    async fn load(&self, scope: &Scope, id: i64, cpv: &CpvNomenclature) -> Result<Option<Loaded>> {
        let org = scope.organisation_id();
        type Rows = (Option<GroupementRow>, (Option<String>, Option<String>));
        let (row, (own_siren, member_status)): Rows = on_backend!(self, pool => {
            let row = sqlx::query_as(&format!("{GROUPEMENT_SELECT} WHERE g.id = $1"))
                .bind(id)
                .fetch_optional(pool)
                .await?;
            let rights = sqlx::query_as(
                "SELECT o.siren, (SELECT m.status FROM groupement_members m \
                 WHERE m.groupement_id = $1 AND m.organisation_id = o.id) \
                 FROM organisations o WHERE o.id = $2",
            )
            .bind(id)
            .bind(org)
            .fetch_optional(pool)
            .await?
            .unwrap_or((None, None));
            (row, rights)
        });
        let Some(row) = row else { return Ok(None) };
        let owner = scope.territory_wide().is_some() && row.organisation_id == org;
        let member = matches!(
            member_status.as_deref(),
            Some("invited" | "joined" | "withdrawn")
        );
        if !owner && !member {
            return Ok(None);
        }
        let own_siren = own_siren.unwrap_or_default();
        let own_siren = Siren::parse(&own_siren).map_err(|e| StorageError::Corrupt {
            table: "organisations",
            column: "siren",
            value: own_siren.clone(),
            reason: e.to_string(),
        })?;
        let groupement = parse_state(&row.state, cpv)?;
        Ok(Some(Loaded {
            row,
            groupement,
            owner,
            own_siren,
        }))
    }

    async fn organisation_siren(&self, id: i64) -> Result<Option<Siren>> {
        let siren: Option<String> = on_backend!(self, pool => {
            sqlx::query_scalar("SELECT siren FROM organisations WHERE id = $1")
                .bind(id)
                .fetch_optional(pool)
                .await?
        });
        siren
            .map(|s| {
                Siren::parse(&s).map_err(|e| StorageError::Corrupt {
                    table: "organisations",
                    column: "siren",
                    value: s.clone(),
                    reason: e.to_string(),
                })
            })
            .transpose()
    }

    /// The organisation of every member of a groupement, by SIREN; a member no organisation
    /// has is refused.
    async fn member_organisations(
        &self,
        g: &Groupement,
    ) -> Result<HashMap<Siren, i64>, GroupementError> {
        let rows: Vec<(i64, String)> = on_backend!(self, pool => {
            let mut q =
                sqlx::QueryBuilder::new("SELECT id, siren FROM organisations WHERE siren IN (");
            let mut list = q.separated(", ");
            for m in &g.members {
                list.push_bind(m.siren.as_str().to_owned());
            }
            q.push(")");
            q.build_query_as().fetch_all(pool).await?
        });
        let found: HashMap<String, i64> = rows.into_iter().map(|(id, s)| (s, id)).collect();
        g.members
            .iter()
            .map(|m| match found.get(m.siren.as_str()) {
                Some(id) => Ok((m.siren.clone(), *id)),
                None => Err(GroupementError::UnknownOrganisation(m.siren.clone())),
            })
            .collect()
    }

    /// The contracts an award creates, or why it cannot: a member without a SIRET.
    async fn plan_contracts(
        &self,
        id: i64,
        g: &Groupement,
        award: &Award,
        notified_on: NaiveDate,
        orgs: &HashMap<Siren, i64>,
    ) -> Result<Vec<PlannedContract>, GroupementError> {
        let shares = g.member_shares(award).map_err(GroupementError::Refused)?;
        let buyers: Vec<&Siren> = {
            let mut b: Vec<&Siren> = shares.iter().map(|s| &s.member).collect();
            b.sort();
            b.dedup();
            b
        };
        let sirets = self.main_sirets(&buyers).await?;
        let missing: Vec<String> = buyers
            .iter()
            .filter(|s| !sirets.contains_key(s.as_str()))
            .map(|s| {
                let name = g.member(s).map_or("?", |m| m.name.as_str());
                format!("{name} (SIREN {s})")
            })
            .collect();
        if !missing.is_empty() {
            return Err(GroupementError::NoSiret(missing.join(", ")));
        }
        let operators = vec![Operator {
            id: award.supplier_siret.as_str().to_owned(),
            id_type: "SIRET".into(),
            name: None,
        }];
        let mut planned = Vec::with_capacity(shares.len());
        for share in shares {
            let (Some(lot), Some(member), Some(siret), Some(org)) = (
                g.lot(share.lot),
                g.member(&share.member),
                sirets.get(share.member.as_str()),
                orgs.get(&share.member),
            ) else {
                return Err(StorageError::Conflict(format!(
                    "part du lot {} sans lot, membre ou SIRET",
                    share.lot
                ))
                .into());
            };
            let buyer = Siret::parse(siret).map_err(|e| StorageError::Corrupt {
                table: "establishments",
                column: "siret",
                value: siret.clone(),
                reason: e.to_string(),
            })?;
            let publication = award.publication.as_ref();
            let label = |v: Option<&String>| Label {
                value: v.cloned(),
                original: None,
            };
            let notified_on = publication.map_or(notified_on, |p| p.notified_on);
            let (starts_on, _) = g.contract_period(notified_on);
            let contract = Contract {
                id: member_contract_id(id, lot.number, &share.member),
                buyer,
                buyer_name: Some(member.name.clone()),
                kind: ContractKind::Marche,
                source: ContractSource::Mutualis,
                nature: Label::v2("Marché"),
                object: g.lot_object(lot),
                cpv: Some(lot.cpv),
                procedure: label(publication.map(|p| &p.procedure)),
                place: publication.map(|p| p.place.clone()),
                duration_months: Some(g.duration_months),
                notified_on: Some(notified_on),
                starts_on: Some(starts_on),
                published_on: None,
                amount: Some(share.amount),
                price_form: label(publication.map(|p| &p.price_form)),
                operators: operators.clone(),
                modifications: Vec::new(),
                subcontracting: Vec::new(),
                decp2: None,
            };
            let serialise = |e: serde_json::Error| StorageError::Conflict(e.to_string());
            let details = serde_json::to_string(&ContractDetails {
                buyer_name: &contract.buyer_name,
                operators: &contract.operators,
            })
            .map_err(serialise)?;
            // The same hash as an import of this contract would compute.
            let content_hash = hex::encode(Sha256::digest(
                serde_json::to_vec(&contract).map_err(serialise)?,
            ));
            planned.push(PlannedContract {
                organisation_id: *org,
                lot: lot.number,
                contract,
                details,
                content_hash,
            });
        }
        Ok(planned)
    }
}
