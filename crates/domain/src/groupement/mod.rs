//! Groupements de commandes (PRODUCT.md §2.4; code de la commande publique, L2113-6 to
//! L2113-8): several buyers pass one procedure together, from a signed convention to one
//! contract per member and per lot.
//!
//! The law, as far as this module is concerned:
//! - L2113-6: a groupement is formed *between buyers* to pass one or more contracts jointly;
//!   so it takes at least two of them.
//! - L2113-7: the constitutive convention, signed by its members, sets its rules; it may entrust
//!   one or more members (here: the coordinator, "coordonnateur" or "mandataire") with all or
//!   part of the award procedure or of the execution, in the name and on behalf of the others.
//!   The members are jointly liable only for the operations carried out jointly in their name
//!   and on their behalf.
//! - L2113-8: groupements with buyers of other EU member states (not modelled here).
//!
//! # Model
//! A [`Groupement`] is a value: its coordinator, its members and their adhesion, its lots and
//! each member's need per lot, the convention's terms (mission, duration, cost-sharing key,
//! adhesion deadline), the signatures, the awards and its [`GroupementStatus`]. The coordinator
//! is one of the members (L2113-7 entrusts the procedure to *one of its members*): it is
//! recorded as joined when the groupement is drafted, signs the convention like everyone, may
//! declare needs and takes a share of the lots it has needs in; it can neither decline nor
//! withdraw.
//!
//! # Lifecycle
//! ```text
//! Draft ─Open─► OpenForAdhesion ─(last Sign)─► ConventionSigned ─StartConsultation─► Consultation
//!   ─Award (every lot)─► Awarded ─StartExecution─► InExecution ─Close─► Closed
//! Awarded ─Close─► Closed            (mission "award only": the coordinator's mission ends at award)
//! any state but Closed and Cancelled ─Cancel─► Cancelled
//! ```
//! Every change goes through [`Groupement::apply`], which checks the action's preconditions
//! and returns the new state, or a [`Refusal`] listing every precondition that failed, in
//! French. The preconditions are written next to each [`Action`] variant.
//!
//! The convention is signed once the membership is settled: signatures are refused while an
//! invitation is still unanswered before the adhesion deadline (every member signs the same
//! convention, which names the members and their key), and the signature that completes the
//! set (every joined member, at least two) moves the groupement to `ConventionSigned`, which
//! closes the adhesions. An invitation left unanswered after the deadline lapses.
//!
//! # For the caller
//! `apply` is pure: `self` is untouched, nothing is read from a clock (every date is in the
//! action) and nothing is written. The storage layer saves the new state with an optimistic
//! version (write only if the stored version is still the one `apply` started from, otherwise
//! reload and apply again) and appends the change to the audit log (`crate::audit`) in the same
//! transaction. At award, [`Groupement::member_shares`] gives the contracts to create, one per
//! member and per lot; it refuses amounts that do not add up before anything is written.
//!
//! A member that withdraws stays on record with its needs, but they leave every total
//! ([`Groupement::lot_total`]) and every share: only joined members share the award and the
//! costs. [`Groupement::withdrawal`] says what a withdrawal changes before it is made, and
//! [`Groupement::withdrawal_of`] after: the needs leaving the lots' totals, the member's share
//! under the key of the procedure costs incurred up to its withdrawal (what the convention
//! makes it owe; Mutualis records no costs, so it is a share, not an amount), and the new shares
//! of the members who stay.
//!
//! Not modelled here: amendments to the convention (a member joining once it is signed), lots
//! declared unsuccessful, the procedure costs themselves.
//!
//! # Layout
//! This file holds the aggregate (its members, lots and status) and how it is drafted and
//! read; each concern has a file of its own: `status.rs` (the groupement's and the members'
//! statuses), `terms.rs` (the convention's terms and what makes them hold together),
//! `needs.rs` (the members' needs and the lots' totals), `signatures.rs` (signatures,
//! deliberations, the conclusion of the convention), `cost_sharing.rs` (the key and each
//! member's share of the costs), `action.rs` (the actions with their preconditions),
//! `transitions.rs` ([`Groupement::apply`]), `crate::refusal` (shared with the other
//! aggregates), `policy.rs` (who may do what, and
//! when), `award.rs` (the award and what it publishes), `shares.rs` (the award split into the
//! members' shares, to the cent) and `withdrawal.rs` (what a withdrawal changes).

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::cpv::CpvCode;
use crate::ids::Siren;

mod action;
mod award;
mod cost_sharing;
mod needs;
mod policy;
mod shares;
mod signatures;
mod status;
mod terms;
mod transitions;
mod withdrawal;

pub use crate::refusal::{Refusal, RefusalCode};
pub use action::Action;
pub use award::{
    Award, AwardPublication, LotAward, earliest_start, lot_contract_id, member_contract_id,
};
pub use cost_sharing::{CostSharing, PERMILLE_TOTAL, Share};
pub use needs::LotNeed;
pub use policy::{ActionKind, Actor};
pub use shares::{MemberShare, share_percent_label, share_permille};
pub use signatures::{Deliberation, Signature};
pub use status::{GroupementStatus, MemberStatus};
pub use terms::{Mission, NewGroupement, Terms};
pub use withdrawal::{LotTotalChange, ShareChange, Withdrawal};

/// The minimum number of buyers of a groupement: L2113-6 forms it "between buyers".
const MIN_MEMBERS: usize = 2;

/// A lot of the joint procedure (allotissement, L2113-10).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Lot {
    /// Numbered from 1.
    pub number: u32,
    pub title: String,
    pub cpv: CpvCode,
}

/// A buyer invited to the groupement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Member {
    pub siren: Siren,
    pub name: String,
    /// Used by the population key.
    pub population: Option<u32>,
    pub status: MemberStatus,
}

/// Why and when a groupement was cancelled.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cancellation {
    pub on: NaiveDate,
    pub reason: String,
}

/// A groupement de commandes. Build one with [`Groupement::draft`] and change it only through
/// [`Groupement::apply`]; the fields are public so that storage can rebuild it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Groupement {
    /// The coordinator (mandataire), itself a member.
    pub coordinator: Siren,
    pub title: String,
    /// The main CPV code of the groupement's scope; each lot has its own.
    pub cpv: CpvCode,
    pub lots: Vec<Lot>,
    /// In invitation order; the coordinator first.
    pub members: Vec<Member>,
    pub needs: Vec<LotNeed>,
    pub mission: Mission,
    pub cost_sharing: CostSharing,
    pub duration_months: u32,
    /// The last day an adhesion is accepted (included).
    pub adhesion_deadline: NaiveDate,
    /// When the joint contracts are meant to start, if set: the groupement's planned start,
    /// after the adhesion deadline; the members' contracts start on it (or on a later
    /// notification).
    pub proposed_start: Option<NaiveDate>,
    pub signatures: Vec<Signature>,
    pub status: GroupementStatus,
    /// Awards so far, one per supplier; the groupement is `Awarded` when every lot is.
    pub awards: Vec<Award>,
    pub consultation_started_on: Option<NaiveDate>,
    pub execution_started_on: Option<NaiveDate>,
    pub closed_on: Option<NaiveDate>,
    pub cancellation: Option<Cancellation>,
}

impl Groupement {
    /// A groupement in `Draft`, with the coordinator as its first member, joined on
    /// `created_on`. Refused when its terms are incomplete or do not hold together (see
    /// [`Action::Open`]) or when the adhesion deadline is before `created_on`.
    pub fn draft(new: NewGroupement) -> Result<Groupement, Refusal> {
        let groupement = Groupement {
            coordinator: new.coordinator.clone(),
            title: new.title,
            cpv: new.cpv,
            lots: new.lots,
            members: vec![Member {
                siren: new.coordinator,
                name: new.coordinator_name,
                population: new.coordinator_population,
                status: MemberStatus::Joined { on: new.created_on },
            }],
            needs: Vec::new(),
            mission: new.mission,
            cost_sharing: new.cost_sharing,
            duration_months: new.duration_months,
            adhesion_deadline: new.adhesion_deadline,
            proposed_start: new.proposed_start,
            signatures: Vec::new(),
            status: GroupementStatus::Draft,
            awards: Vec::new(),
            consultation_started_on: None,
            execution_started_on: None,
            closed_on: None,
            cancellation: None,
        };
        let mut reasons = groupement.terms_problems(false);
        reasons.extend(groupement.deadline_problems(groupement.adhesion_deadline));
        Refusal::unless_empty(reasons)?;
        Ok(groupement)
    }

    pub fn member(&self, siren: &Siren) -> Option<&Member> {
        self.members.iter().find(|m| &m.siren == siren)
    }

    pub fn lot(&self, number: u32) -> Option<&Lot> {
        self.lots.iter().find(|l| l.number == number)
    }

    pub fn joined_members(&self) -> impl Iterator<Item = &Member> {
        self.members.iter().filter(|m| m.status.is_joined())
    }

    /// The buyers invited that have not answered, in invitation order.
    pub fn unanswered_members(&self) -> impl Iterator<Item = &Member> {
        self.members
            .iter()
            .filter(|m| m.status == MemberStatus::Invited)
    }

    /// The name of a member for a message, or its SIREN if it is not one.
    fn name_of(&self, siren: &Siren) -> String {
        self.member(siren)
            .map_or_else(|| format!("SIREN {siren}"), |m| m.name.clone())
    }

    fn lot_label(&self, number: u32) -> String {
        match self.lot(number) {
            Some(lot) => format!("lot {number} « {} »", lot.title),
            None => format!("lot {number}"),
        }
    }
}

/// "Ville d'Échirolles, Ville de Fontaine".
fn names(members: &[&Member]) -> String {
    let names: Vec<&str> = members.iter().map(|m| m.name.as_str()).collect();
    names.join(", ")
}

#[cfg(test)]
mod tests;
