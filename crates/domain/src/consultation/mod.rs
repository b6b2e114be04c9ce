//! Consultations (PRODUCT.md §2.5): a buyer, or a groupement's coordinator, asks for bids on
//! one or more lots, under award criteria and a deadline stated before the first bid.
//!
//! # Model
//! A [`Consultation`] is a value: its reference, its buyer, its [`Terms`] (title, object,
//! nature, CPV code, lots with their estimates, award criteria, deadline, and a procedure
//! chosen against the amount's, with its written reason), its [`ConsultationStatus`], and
//! what publication fixed: the launch date (the rules in force are those of that date), the
//! procedure the estimate calls for and the one chosen.
//!
//! # Lifecycle
//! See [`ConsultationStatus`]. Every change goes through [`Consultation::apply`], which is
//! pure: every instant is in the action (the domain reads no clock), the rules table is
//! given, nothing is written. The storage layer saves the new state and appends the action's
//! code ([`Action::code`]) to the audit log in the same transaction, as for groupements.
//!
//! Before the deadline no action opens the bids: `Close` and `Open` are refused until the
//! instant they carry is at or after it ([`Consultation::sealed_at`] says the same to the
//! deposit and opening code).
//!
//! # Layout
//! `status.rs` (the statuses), `criteria.rs` (award criteria and the environmental rule),
//! `action.rs` (the actions with their preconditions), `transitions.rs`
//! ([`Consultation::apply`]), `policy.rs` (who may act, what can be done now:
//! [`Consultation::apply_as`], [`Consultation::available_actions`]); refusals are
//! `crate::refusal`'s, shared with groupements.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::amount::Amount;
use crate::cpv::CpvCode;
use crate::groupement::Groupement;
use crate::ids::Siren;
use crate::rules::{BuyerKind, Nature, Procedure, ProcedureDecision};

mod action;
mod criteria;
mod policy;
mod status;
mod transitions;

pub use action::Action;
pub use criteria::{Criteria, Criterion, CriterionKind, SubCriterion, WEIGHT_TOTAL};
pub use policy::{ActionKind, Actor, BUYER_ROLES};
pub use status::ConsultationStatus;

/// One lot of a consultation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lot {
    /// 1, 2, 3… in order.
    pub number: u32,
    pub title: String,
    /// Estimated amount excluding VAT, over the contract's whole duration.
    pub estimated: Amount,
}

/// A procedure other than the one the estimate calls for, with the buyer's written reason
/// (an exception of R2122-1 to R2122-11, a choice of a formal procedure below the EU
/// threshold…).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProcedureOverride {
    pub procedure: Procedure,
    pub reason: String,
}

/// What the buyer states and may amend while the consultation is a draft.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Terms {
    pub title: String,
    pub object: String,
    pub nature: Nature,
    pub cpv: Option<CpvCode>,
    pub lots: Vec<Lot>,
    pub criteria: Criteria,
    /// The deadline for bids, to the second (shown in Europe/Paris).
    pub deadline: Option<DateTime<Utc>>,
    pub procedure_override: Option<ProcedureOverride>,
}

/// The procedure fixed at publication: the one the estimate calls for under the rules of the
/// launch date (with its reasoning), and the one followed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChosenProcedure {
    pub procedure: Procedure,
    pub derived: ProcedureDecision,
    /// Why another procedure than the derived one, when it is.
    pub reason: Option<String>,
}

/// A consultation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Consultation {
    /// The buyer's reference, quoted on every deposit and receipt.
    pub reference: String,
    /// The buyer (a groupement's coordinator, for a joint consultation).
    pub buyer: Siren,
    pub buyer_kind: BuyerKind,
    pub terms: Terms,
    pub status: ConsultationStatus,
    pub published_at: Option<DateTime<Utc>>,
    /// The date of publication in Europe/Paris: the rules in force are read for it.
    pub launched_on: Option<NaiveDate>,
    pub procedure: Option<ChosenProcedure>,
    /// Why it was declared unsuccessful or cancelled.
    pub ended_because: Option<String>,
}

impl Terms {
    /// The terms of a groupement's consultation, to be completed by its coordinator: its
    /// title, CPV code and lots, each lot estimated at the needs of the members that joined
    /// (confirmed or proposed), works when the CPV code is in division 45. No criteria and
    /// no deadline yet: the buyer states them before publishing.
    pub fn for_groupement(g: &Groupement) -> Terms {
        let joined = |member: &Siren| g.member(member).is_some_and(|m| m.status.is_joined());
        let lots = g
            .lots
            .iter()
            .map(|lot| Lot {
                number: lot.number,
                title: lot.title.clone(),
                estimated: Amount::from_cents(
                    i64::try_from(
                        g.needs
                            .iter()
                            .filter(|n| n.lot == lot.number && joined(&n.member))
                            .map(|n| i128::from(n.estimated_amount.cents()))
                            .sum::<i128>(),
                    )
                    .unwrap_or(i64::MAX),
                ),
            })
            .collect();
        Terms {
            title: g.title.clone(),
            object: g.title.clone(),
            nature: if g.cpv.code8().starts_with("45") {
                Nature::Works
            } else {
                Nature::SuppliesAndServices
            },
            cpv: Some(g.cpv),
            lots,
            criteria: Criteria::default(),
            deadline: None,
            procedure_override: None,
        }
    }
}

impl Consultation {
    /// A new draft.
    pub fn draft(reference: String, buyer: Siren, buyer_kind: BuyerKind, terms: Terms) -> Self {
        Consultation {
            reference,
            buyer,
            buyer_kind,
            terms,
            status: ConsultationStatus::Draft,
            published_at: None,
            launched_on: None,
            procedure: None,
            ended_because: None,
        }
    }

    /// The estimated amount of every lot together (what the procedure is chosen on), or
    /// `None` when it overflows.
    pub fn estimated(&self) -> Option<Amount> {
        self.terms
            .lots
            .iter()
            .try_fold(Amount::ZERO, |sum, lot| sum.checked_add(lot.estimated))
    }

    /// Whether the bids are sealed at `at`: before the deadline (or while none is set), no
    /// bid may be opened by anyone.
    pub fn sealed_at(&self, at: DateTime<Utc>) -> bool {
        self.terms.deadline.is_none_or(|deadline| at < deadline)
    }

    /// Whether a bid whose reception completes at `at` is on time: published and before the
    /// deadline. A late one is kept and flagged, never dropped.
    pub fn on_time_at(&self, at: DateTime<Utc>) -> bool {
        self.status == ConsultationStatus::Published
            && self.terms.deadline.is_some_and(|deadline| at < deadline)
    }
}
