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

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use chrono::{Datelike, Months, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::amount::Amount;
use crate::contract::{
    Contract, ContractKind, ContractSource, Decp2Fields, Label, Operator, Place,
};
use crate::cpv::CpvCode;
use crate::ids::{Siren, Siret};
use crate::need::Quantity;
use crate::rules::date_label;
use crate::text::de;

mod policy;
pub use policy::{ActionKind, Actor};

use GroupementStatus::{
    Awarded, Cancelled, Closed, Consultation, ConventionSigned, Draft, InExecution, OpenForAdhesion,
};

/// The minimum number of buyers of a groupement: L2113-6 forms it "between buyers".
const MIN_MEMBERS: usize = 2;

/// Fixed shares are in thousandths of the cost ("pour mille") and must add up to this.
pub const PERMILLE_TOTAL: u32 = 1000;

// ---------------------------------------------------------------------------------------------
// Statuses, missions, keys

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

/// What the convention entrusts to the coordinator (L2113-7).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Mission {
    /// The coordinator runs the award procedure; each member signs and executes its contract.
    AwardOnly,
    /// The coordinator also executes the contracts in the name of the members.
    AwardAndExecution,
}

impl Mission {
    pub const ALL: [Mission; 2] = [Mission::AwardOnly, Mission::AwardAndExecution];

    pub fn code(self) -> &'static str {
        match self {
            Mission::AwardOnly => "award_only",
            Mission::AwardAndExecution => "award_and_execution",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|m| m.code() == code)
    }

    pub fn label_fr(self) -> &'static str {
        match self {
            Mission::AwardOnly => "Passation seule",
            Mission::AwardAndExecution => "Passation et exécution",
        }
    }
}

/// How the convention splits what is awarded among the members of a lot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CostSharing {
    /// In proportion to each member's population.
    ByPopulation,
    /// In proportion to each member's estimated amount in the lot.
    ByVolume,
    /// Fixed shares in thousandths, adding up to [`PERMILLE_TOTAL`]. In a lot where not every
    /// listed member takes part, the shares of those who do are scaled up proportionally.
    FixedShares(Vec<(Siren, u32)>),
}

impl CostSharing {
    /// "by_population", "by_volume", "fixed_shares".
    pub fn code(&self) -> &'static str {
        match self {
            CostSharing::ByPopulation => "by_population",
            CostSharing::ByVolume => "by_volume",
            CostSharing::FixedShares(_) => "fixed_shares",
        }
    }

    pub fn label_fr(&self) -> &'static str {
        match self {
            CostSharing::ByPopulation => "Au prorata de la population",
            CostSharing::ByVolume => "Au prorata des volumes estimés",
            CostSharing::FixedShares(_) => "Parts fixes",
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The groupement and its parts

/// A lot of the joint procedure (allotissement, L2113-10).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Lot {
    /// Numbered from 1.
    pub number: u32,
    pub title: String,
    pub cpv: CpvCode,
}

/// A member's need in one lot. At most one per member and lot: setting it again replaces it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LotNeed {
    pub lot: u32,
    pub member: Siren,
    pub quantity: Option<Quantity>,
    /// Estimated amount over the groupement's duration, excluding VAT; positive.
    pub estimated_amount: Amount,
    /// Whether the member itself entered or confirmed it. A need the coordinator pre-fills for
    /// a member (from the opportunity or a campaign) is a proposal until the member confirms
    /// it; the consultation waits for every joined member's confirmation.
    pub confirmed: bool,
}

/// The council's deliberation that approves the convention and authorises its signature
/// (PRODUCT.md §2.4: the launch waits for every member's deliberation).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Deliberation {
    /// The deliberation's reference, as the member numbers it ("DEL-2027-042").
    pub reference: String,
    pub adopted_on: NaiveDate,
}

/// A member's signature of the convention.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Signature {
    pub member: Siren,
    pub signed_on: NaiveDate,
    /// Who signed, with their capacity ("Le maire, Mme X").
    pub signatory: String,
    pub deliberation: Deliberation,
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

/// The award of one or more lots to one supplier.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Award {
    pub supplier_siret: Siret,
    pub lots: Vec<LotAward>,
    /// What DECP publishes about the contract that the groupement's data does not say, as the
    /// coordinator recorded it. Without it the award's DECP record lists what it lacks and is
    /// not published (nothing is invented).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub publication: Option<Box<AwardPublication>>,
}

/// The facts of an award that DECP 2.0 publishes (arrêté du 22 décembre 2022 relatif aux
/// données essentielles) beyond the groupement's own data: the values are DECP 2.0's
/// vocabulary ("Appel d'offres ouvert", "Unitaire"…), which the export checks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AwardPublication {
    /// The day the contract was notified to the titulaire.
    pub notified_on: NaiveDate,
    /// The day its essential data are published (`datePublicationDonnees`).
    pub published_on: NaiveDate,
    pub procedure: String,
    pub price_form: String,
    pub place: Place,
    pub decp2: Decp2Fields,
}

/// What a lot was awarded for, in total for all the members.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct LotAward {
    pub lot: u32,
    pub total: Amount,
}

/// One member's share of one lot: the contract to create for it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MemberShare {
    pub member: Siren,
    pub lot: u32,
    pub amount: Amount,
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

/// What the coordinator states when it drafts a groupement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewGroupement {
    pub coordinator: Siren,
    pub coordinator_name: String,
    pub coordinator_population: Option<u32>,
    pub title: String,
    pub cpv: CpvCode,
    pub lots: Vec<Lot>,
    pub mission: Mission,
    pub cost_sharing: CostSharing,
    pub duration_months: u32,
    pub adhesion_deadline: NaiveDate,
    pub proposed_start: Option<NaiveDate>,
    /// The day the coordinator drafts the groupement: its own adhesion date.
    pub created_on: NaiveDate,
}

/// The terms the coordinator may adjust until the convention is signed by someone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Terms {
    pub title: String,
    pub cpv: CpvCode,
    pub lots: Vec<Lot>,
    pub mission: Mission,
    pub cost_sharing: CostSharing,
    pub duration_months: u32,
    pub adhesion_deadline: NaiveDate,
    pub proposed_start: Option<NaiveDate>,
}

/// A change to a groupement. Each variant says what it requires; every requirement that fails
/// is listed in the [`Refusal`]. No action is possible once the groupement is closed or
/// cancelled.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// Send the invitations. Requires: `Draft`; a title; at least one lot, numbered from 1,
    /// each once, each with a title; a duration of at least one month; fixed shares (if that is
    /// the key) adding up to 1000 ‰, positive, one per member, and only for members; the
    /// coordinator among the joined members; the planned start, if any, after the adhesion
    /// deadline; at least one buyer invited besides it (L2113-6).
    Open,
    /// Adjust the terms: title, scope, lots, mission, key, duration, deadline, start. Requires:
    /// `Draft`, or `OpenForAdhesion` before any signature (every member signs the same
    /// convention); complete terms (as for `Open`; once open, fixed shares only for members);
    /// a deadline not before any adhesion recorded (the coordinator's is the creation); no lot
    /// removed while it holds needs.
    Amend(Box<Terms>),
    /// Invite a buyer. Requires: `Draft` or `OpenForAdhesion`; a SIREN not yet in the
    /// groupement (a buyer that declined or withdrew is not invited again); a name; no
    /// signature collected yet (a new member once signing has begun takes an amendment).
    Invite {
        member: Siren,
        name: String,
        population: Option<u32>,
    },
    /// Withdraw an invitation the buyer has not answered (a buyer pre-filled from an opportunity
    /// the coordinator leaves out). Requires: `Draft` or `OpenForAdhesion`; the buyer invited
    /// and not yet answered; no signature collected yet. Its proposed needs go with it.
    Uninvite { member: Siren },
    /// An invited buyer joins. Requires: `OpenForAdhesion`; `on` on or before the adhesion
    /// deadline (the deadline day itself is accepted); the buyer invited and not yet answered.
    Join { member: Siren, on: NaiveDate },
    /// An invited buyer declines. Requires: `OpenForAdhesion`; the buyer invited and not yet
    /// answered. Possible after the deadline (it only settles an unanswered invitation).
    Decline { member: Siren, on: NaiveDate },
    /// A joined member withdraws. Requires: `OpenForAdhesion` or `ConventionSigned` (once the
    /// consultation is launched a member stays bound to the joint operations, L2113-7); the
    /// member joined; not the coordinator; `on` not before its adhesion; once the convention
    /// is signed, at least two members left.
    Withdraw { member: Siren, on: NaiveDate },
    /// Set (or replace) a member's need in a lot. Requires: before the consultation (`Draft`,
    /// `OpenForAdhesion`, `ConventionSigned`); the lot exists; the member invited or joined (a
    /// need may be pre-filled from an inventory campaign before the member answers); a
    /// positive estimated amount; a quantity, if given, positive and with a unit. A proposal
    /// (`confirmed: false`, pre-filled by the coordinator) is refused for the coordinator
    /// itself and over a need its member has confirmed.
    SetNeed(LotNeed),
    /// A joined member signs the convention. Requires: `OpenForAdhesion`; the member joined and
    /// not signed yet; a signatory; signed on or after its adhesion; a deliberation with a
    /// reference, adopted on or before the signature; the adhesions settled (no invitation
    /// unanswered on or before the deadline); at least two joined members (L2113-6). The
    /// signature that completes the set moves the groupement to `ConventionSigned`.
    Sign(Signature),
    /// Launch the joint consultation. Requires: `ConventionSigned` (so: at least two joined
    /// members, each of whom has signed; a refusal names those who have not); every lot with at
    /// least one need of a joined member; every joined member's needs confirmed by it; the cost-sharing key applicable to every joined
    /// member with a need (a population, or a fixed share); `on` not before the last signature.
    StartConsultation { on: NaiveDate },
    /// Award lots to a supplier. Requires: `Consultation`; at least one lot, each existing,
    /// once in the award, not awarded before, for a positive total; each lot with at least one
    /// joined member with a need and the key applicable to them; its publication, if given,
    /// notified on or after the consultation's launch and published on or after notification.
    /// When every lot is awarded the groupement becomes `Awarded`. A notification after the
    /// planned start is accepted (the award is a fact): the members' contracts then start on
    /// the notification ([`Groupement::contract_period`]); [`Groupement::late_notification`]
    /// says so, for the caller to have it confirmed.
    Award(Award),
    /// Start executing the contracts. Requires: `Awarded`; `on` not before the consultation's
    /// launch.
    StartExecution { on: NaiveDate },
    /// End the groupement. Requires: `InExecution`, or `Awarded` when the coordinator's mission
    /// is award only; `on` not before the execution's start (or the consultation's launch).
    Close { on: NaiveDate },
    /// Abandon the groupement. Requires: not closed or cancelled; a reason.
    Cancel { on: NaiveDate, reason: String },
}

impl Action {
    /// A stable code for the audit log and the API: "join", "start_consultation"…
    pub fn code(&self) -> &'static str {
        match self {
            Action::Open => "open",
            Action::Amend(_) => "amend",
            Action::Invite { .. } => "invite",
            Action::Uninvite { .. } => "uninvite",
            Action::Join { .. } => "join",
            Action::Decline { .. } => "decline",
            Action::Withdraw { .. } => "withdraw",
            Action::SetNeed(_) => "set_need",
            Action::Sign(_) => "sign",
            Action::StartConsultation { .. } => "start_consultation",
            Action::Award(_) => "award",
            Action::StartExecution { .. } => "start_execution",
            Action::Close { .. } => "close",
            Action::Cancel { .. } => "cancel",
        }
    }

    pub fn label_fr(&self) -> &'static str {
        self.kind().label_fr()
    }
}

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
    fn invalid(reasons: Vec<String>) -> Refusal {
        Refusal {
            code: RefusalCode::Invalid,
            reasons,
        }
    }

    /// `Ok` when nothing failed.
    fn unless_empty(reasons: Vec<String>) -> Result<(), Refusal> {
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

// ---------------------------------------------------------------------------------------------
// Construction and reading

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

    pub fn signature_of(&self, siren: &Siren) -> Option<&Signature> {
        self.signatures.iter().find(|s| &s.member == siren)
    }

    /// The joined members who have not signed the convention, in invitation order.
    pub fn unsigned_members(&self) -> Vec<&Member> {
        self.joined_members()
            .filter(|m| self.signature_of(&m.siren).is_none())
            .collect()
    }

    /// The award of a lot, if any.
    pub fn award_of(&self, lot: u32) -> Option<&Award> {
        self.awards
            .iter()
            .find(|a| a.lots.iter().any(|l| l.lot == lot))
    }

    /// Invitations still open on `on`: unanswered, and the deadline not passed.
    fn pending_invitations(&self, on: NaiveDate) -> Vec<&Member> {
        if on > self.adhesion_deadline {
            return Vec::new();
        }
        self.unanswered_members().collect()
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

    /// The joined members' needs in a lot, by member (several needs of one member are added).
    fn lot_participants(&self, lot: u32) -> BTreeMap<&Siren, Amount> {
        self.participants(Some(lot))
    }

    /// The joined members' needs in `lot`, or in every lot for `None`, by member.
    fn participants(&self, lot: Option<u32>) -> BTreeMap<&Siren, Amount> {
        let mut by_member = BTreeMap::new();
        for need in self.needs.iter().filter(|n| lot.is_none_or(|l| n.lot == l)) {
            if self
                .member(&need.member)
                .is_some_and(|m| m.status.is_joined())
            {
                let sum = by_member.entry(&need.member).or_insert(Amount::ZERO);
                // One need per member and lot through `apply`; saturate rather than overflow
                // on a state built otherwise.
                *sum = sum
                    .checked_add(need.estimated_amount)
                    .unwrap_or(Amount::from_cents(i64::MAX));
            }
        }
        by_member
    }

    /// What is missing from the convention's terms. `opening`: the invitations are about to be
    /// sent, so fixed shares must name members.
    fn terms_problems(&self, opening: bool) -> Vec<String> {
        let mut reasons = Vec::new();
        if self.title.trim().is_empty() {
            reasons.push("l'intitulé du groupement est vide".to_owned());
        }
        if self.lots.is_empty() {
            reasons.push("le groupement ne compte aucun lot".to_owned());
        }
        let mut numbers = BTreeSet::new();
        for lot in &self.lots {
            if lot.number == 0 {
                reasons
                    .push("le lot 0 est invalide : les lots sont numérotés à partir de 1".into());
            }
            if !numbers.insert(lot.number) {
                reasons.push(format!("le lot {} est défini deux fois", lot.number));
            }
            if lot.title.trim().is_empty() {
                reasons.push(format!("le lot {} n'a pas d'intitulé", lot.number));
            }
        }
        if self.duration_months == 0 {
            reasons.push("la durée du groupement doit être d'au moins un mois".to_owned());
        }
        if !self
            .member(&self.coordinator)
            .is_some_and(|m| m.status.is_joined())
        {
            reasons.push(
                "le coordonnateur doit être un membre du groupement ayant adhéré (L2113-7)"
                    .to_owned(),
            );
        }
        if let CostSharing::FixedShares(shares) = &self.cost_sharing {
            reasons.extend(self.fixed_share_problems(shares, opening));
        }
        if let Some(start) = self.proposed_start
            && start <= self.adhesion_deadline
        {
            reasons.push(format!(
                "le début envisagé des contrats, le {}, doit suivre la date limite d'adhésion du \
                 {} : les contrats commencent une fois les adhésions closes et la consultation \
                 passée",
                date_label(start),
                date_label(self.adhesion_deadline)
            ));
        }
        reasons
    }

    /// Why the adhesion deadline cannot be `deadline`: it comes before the creation of the
    /// groupement (the coordinator's adhesion) or before an adhesion already recorded.
    fn deadline_problems(&self, deadline: NaiveDate) -> Vec<String> {
        let mut reasons = Vec::new();
        for member in &self.members {
            let MemberStatus::Joined { on } = member.status else {
                continue;
            };
            if deadline >= on {
                continue;
            }
            let what = if member.siren == self.coordinator {
                format!("la création du groupement le {}", date_label(on))
            } else {
                format!("l'adhésion de {} le {}", member.name, date_label(on))
            };
            reasons.push(format!(
                "la date limite d'adhésion du {} précède {what}",
                date_label(deadline)
            ));
        }
        reasons
    }

    fn fixed_share_problems(&self, shares: &[(Siren, u32)], opening: bool) -> Vec<String> {
        let mut reasons = Vec::new();
        let total: u64 = shares.iter().map(|(_, p)| u64::from(*p)).sum();
        if total != u64::from(PERMILLE_TOTAL) {
            reasons.push(format!(
                "les parts fixes totalisent {total} ‰ au lieu de {PERMILLE_TOTAL} ‰"
            ));
        }
        let mut seen = BTreeSet::new();
        for (siren, permille) in shares {
            if !seen.insert(siren) {
                reasons.push(format!("{} a deux parts fixes", self.name_of(siren)));
            }
            if *permille == 0 {
                reasons.push(format!(
                    "la part fixe {} est nulle : retirez-la de la clé",
                    de(&self.name_of(siren))
                ));
            }
            if opening && self.member(siren).is_none() {
                reasons.push(format!(
                    "la part fixe du SIREN {siren} ne correspond à aucun membre du groupement"
                ));
            }
        }
        reasons
    }
}

// ---------------------------------------------------------------------------------------------
// Transitions

impl Groupement {
    /// Applies an action: the new state, or every reason why not. `self` is left untouched.
    /// Each transition starts from [`Groupement::stage_problems`] and adds what the action
    /// carries; the refusal is `not_now` when the stage was at fault, `invalid` otherwise.
    pub fn apply(&self, action: &Action) -> Result<Groupement, Refusal> {
        let (kind, subject) = (action.kind(), action.subject());
        if self.status.is_final() {
            return Err(Refusal {
                code: RefusalCode::NotNow,
                reasons: self.stage_problems(kind, subject),
            });
        }
        let applied = match action {
            Action::Open => self.open(),
            Action::Amend(terms) => self.amend(terms),
            Action::Invite {
                member,
                name,
                population,
            } => self.invite(member, name, *population),
            Action::Uninvite { member } => self.uninvite(member),
            Action::Join { member, on } => self.join(member, *on),
            Action::Decline { member, on } => self.decline(member, *on),
            Action::Withdraw { member, on } => self.withdraw(member, *on),
            Action::SetNeed(need) => self.set_need(need),
            Action::Sign(signature) => self.sign(signature),
            Action::StartConsultation { on } => self.start_consultation(*on),
            Action::Award(award) => self.award(award),
            Action::StartExecution { on } => self.start_execution(*on),
            Action::Close { on } => self.close(*on),
            Action::Cancel { on, reason } => self.cancel(*on, reason),
        };
        applied.map_err(|mut refusal| {
            if !self.stage_problems(kind, subject).is_empty() {
                refusal.code = RefusalCode::NotNow;
            }
            refusal
        })
    }

    fn open(&self) -> Result<Groupement, Refusal> {
        let mut reasons = self.stage_problems(ActionKind::Open, None);
        reasons.extend(self.terms_problems(true));
        if self.unanswered_members().next().is_none() {
            reasons.push(
                "aucun acheteur n'est invité : un groupement de commandes réunit au moins deux \
                 acheteurs (L2113-6)"
                    .to_owned(),
            );
        }
        Refusal::unless_empty(reasons)?;
        Ok(self.with_status(OpenForAdhesion))
    }

    fn amend(&self, terms: &Terms) -> Result<Groupement, Refusal> {
        let mut reasons = self.stage_problems(ActionKind::Amend, None);
        let mut next = self.clone();
        next.title = terms.title.trim().to_owned();
        next.cpv = terms.cpv;
        next.lots = terms.lots.clone();
        next.mission = terms.mission;
        next.cost_sharing = terms.cost_sharing.clone();
        next.duration_months = terms.duration_months;
        next.adhesion_deadline = terms.adhesion_deadline;
        next.proposed_start = terms.proposed_start;
        reasons.extend(next.terms_problems(self.status != Draft));
        reasons.extend(self.deadline_problems(terms.adhesion_deadline));
        let mut orphaned: Vec<u32> = self
            .needs
            .iter()
            .map(|n| n.lot)
            .filter(|lot| next.lot(*lot).is_none())
            .collect();
        orphaned.dedup();
        for lot in orphaned {
            reasons.push(format!(
                "le {} porte des besoins de membres : il ne peut pas être supprimé",
                self.lot_label(lot)
            ));
        }
        Refusal::unless_empty(reasons)?;
        Ok(next)
    }

    fn invite(
        &self,
        siren: &Siren,
        name: &str,
        population: Option<u32>,
    ) -> Result<Groupement, Refusal> {
        let mut reasons = self.stage_problems(ActionKind::Invite, None);
        if let Some(member) = self.member(siren) {
            reasons.push(format!(
                "{} (SIREN {siren}) figure déjà au groupement : {}",
                member.name,
                member.status.label_fr()
            ));
        }
        if name.trim().is_empty() {
            reasons.push(format!(
                "le nom de l'acheteur invité (SIREN {siren}) est vide"
            ));
        }
        Refusal::unless_empty(reasons)?;
        let mut next = self.clone();
        next.members.push(Member {
            siren: siren.clone(),
            name: name.trim().to_owned(),
            population,
            status: MemberStatus::Invited,
        });
        Ok(next)
    }

    fn uninvite(&self, siren: &Siren) -> Result<Groupement, Refusal> {
        let reasons = self.stage_problems(ActionKind::Uninvite, Some(siren));
        Refusal::unless_empty(reasons)?;
        let mut next = self.clone();
        next.members.retain(|m| &m.siren != siren);
        next.needs.retain(|n| &n.member != siren);
        if let CostSharing::FixedShares(shares) = &mut next.cost_sharing {
            shares.retain(|(s, _)| s != siren);
        }
        Ok(next)
    }

    fn join(&self, siren: &Siren, on: NaiveDate) -> Result<Groupement, Refusal> {
        let mut reasons = self.stage_problems(ActionKind::Join, Some(siren));
        if on > self.adhesion_deadline {
            reasons.push(format!(
                "adhésion reçue le {} après la date limite du {}",
                date_label(on),
                date_label(self.adhesion_deadline)
            ));
        }
        Refusal::unless_empty(reasons)?;
        Ok(self.with_member_status(siren, MemberStatus::Joined { on }))
    }

    fn decline(&self, siren: &Siren, on: NaiveDate) -> Result<Groupement, Refusal> {
        let reasons = self.stage_problems(ActionKind::Decline, Some(siren));
        Refusal::unless_empty(reasons)?;
        Ok(self.with_member_status(siren, MemberStatus::Declined { on }))
    }

    fn withdraw(&self, siren: &Siren, on: NaiveDate) -> Result<Groupement, Refusal> {
        let mut reasons = self.stage_problems(ActionKind::Withdraw, Some(siren));
        if let Some(member) = self.member(siren)
            && let MemberStatus::Joined { on: joined } = member.status
            && on < joined
        {
            reasons.push(format!(
                "retrait {} daté du {}, avant son adhésion du {}",
                de(&member.name),
                date_label(on),
                date_label(joined)
            ));
        }
        let remaining: Vec<&Member> = self
            .joined_members()
            .filter(|m| &m.siren != siren)
            .collect();
        if self.status == ConventionSigned && remaining.len() < MIN_MEMBERS {
            let left = match remaining.as_slice() {
                [] => "il ne resterait aucun membre".to_owned(),
                _ => format!("il ne resterait que {}", names(&remaining)),
            };
            reasons.push(format!(
                "après ce retrait, {left} : un groupement de commandes réunit au moins deux \
                 acheteurs (L2113-6) ; annulez-le plutôt"
            ));
        }
        Refusal::unless_empty(reasons)?;
        let mut next = self.with_member_status(siren, MemberStatus::Withdrawn { on });
        next.conclude_if_signed(on);
        Ok(next)
    }

    fn set_need(&self, need: &LotNeed) -> Result<Groupement, Refusal> {
        let kind = Action::SetNeed(need.clone()).kind();
        let mut reasons = self.stage_problems(kind, Some(&need.member));
        if self.lot(need.lot).is_none() {
            reasons.push(format!(
                "le lot {} n'existe pas dans ce groupement",
                need.lot
            ));
        }
        let who = self.name_of(&need.member);
        let of_who = de(&who);
        if !need.confirmed {
            if need.member == self.coordinator {
                reasons.push(
                    "le coordonnateur saisit son propre besoin directement, sans proposition"
                        .to_owned(),
                );
            }
            if self
                .needs
                .iter()
                .any(|n| n.lot == need.lot && n.member == need.member && n.confirmed)
            {
                reasons.push(format!(
                    "{who} a confirmé son besoin pour le {} : seul ce membre peut le modifier",
                    self.lot_label(need.lot)
                ));
            }
        }
        if need.estimated_amount <= Amount::ZERO {
            reasons.push(format!(
                "le montant estimé du besoin {of_who} pour le {} doit être positif, reçu {}",
                self.lot_label(need.lot),
                need.estimated_amount
            ));
        }
        if let Some(quantity) = &need.quantity {
            if quantity.thousandths <= 0 {
                reasons.push(format!(
                    "la quantité du besoin {of_who} pour le {} doit être positive",
                    self.lot_label(need.lot)
                ));
            }
            if quantity.unit.trim().is_empty() {
                reasons.push(format!(
                    "la quantité du besoin {of_who} pour le {} n'a pas d'unité",
                    self.lot_label(need.lot)
                ));
            }
        }
        Refusal::unless_empty(reasons)?;
        let mut next = self.clone();
        next.needs
            .retain(|n| !(n.lot == need.lot && n.member == need.member));
        next.needs.push(need.clone());
        Ok(next)
    }

    fn sign(&self, signature: &Signature) -> Result<Groupement, Refusal> {
        let mut reasons = self.stage_problems(ActionKind::Sign, Some(&signature.member));
        let who = self.name_of(&signature.member);
        let of_who = de(&who);
        if let Some(member) = self.member(&signature.member)
            && let MemberStatus::Joined { on } = member.status
            && signature.signed_on < on
        {
            reasons.push(format!(
                "signature {of_who} datée du {}, avant son adhésion du {}",
                date_label(signature.signed_on),
                date_label(on)
            ));
        }
        if signature.signatory.trim().is_empty() {
            reasons.push(format!("le nom du signataire pour {who} est vide"));
        }
        if signature.deliberation.reference.trim().is_empty() {
            reasons.push(format!(
                "la référence de la délibération {of_who} approuvant la convention est vide"
            ));
        }
        if signature.deliberation.adopted_on > signature.signed_on {
            let reference = signature.deliberation.reference.trim();
            let reference = if reference.is_empty() {
                String::new()
            } else {
                format!(" n° {reference}")
            };
            reasons.push(format!(
                "la délibération{reference} {of_who} est datée du {}, après la signature du {}",
                date_label(signature.deliberation.adopted_on),
                date_label(signature.signed_on)
            ));
        }
        let pending = self.pending_invitations(signature.signed_on);
        if !pending.is_empty() {
            reasons.push(format!(
                "la convention se signe une fois les adhésions arrêtées : invitation sans réponse \
                 {} (date limite d'adhésion : {})",
                de(&names(&pending)),
                date_label(self.adhesion_deadline)
            ));
        }
        let joined: Vec<&Member> = self.joined_members().collect();
        if joined.len() < MIN_MEMBERS {
            reasons.push(too_few_members(&joined));
        }
        Refusal::unless_empty(reasons)?;
        let mut next = self.clone();
        next.signatures.push(signature.clone());
        next.conclude_if_signed(signature.signed_on);
        Ok(next)
    }

    fn start_consultation(&self, on: NaiveDate) -> Result<Groupement, Refusal> {
        let mut reasons = self.stage_problems(ActionKind::StartConsultation, None);
        match self.status {
            ConventionSigned => {}
            Draft | OpenForAdhesion => {
                let joined: Vec<&Member> = self.joined_members().collect();
                if joined.len() < MIN_MEMBERS {
                    reasons.push(too_few_members(&joined));
                }
                let unsigned = self.unsigned_members();
                if !unsigned.is_empty() {
                    reasons.push(format!(
                        "la convention n'est pas signée par : {}",
                        names(&unsigned)
                    ));
                }
                if reasons.is_empty() {
                    // Cannot happen: a complete set of signatures concludes the convention.
                    reasons.push("la convention n'est pas encore conclue".into());
                }
            }
            _ => {}
        }
        for lot in &self.lots {
            let participants = self.lot_participants(lot.number);
            if participants.is_empty() {
                reasons.push(format!(
                    "aucun membre ayant adhéré n'a exprimé de besoin pour le {}",
                    self.lot_label(lot.number)
                ));
            }
        }
        let unconfirmed: Vec<&Member> = self
            .joined_members()
            .filter(|m| {
                self.needs
                    .iter()
                    .any(|n| n.member == m.siren && !n.confirmed)
            })
            .collect();
        if !unconfirmed.is_empty() {
            reasons.push(format!(
                "besoins pré-remplis par le coordonnateur, pas encore confirmés par : {}",
                names(&unconfirmed)
            ));
        }
        reasons.extend(self.key_problems());
        let last_signature = self
            .joined_members()
            .filter_map(|m| self.signature_of(&m.siren))
            .max_by_key(|s| s.signed_on);
        if let Some(last) = last_signature
            && on < last.signed_on
        {
            reasons.push(format!(
                "consultation lancée le {}, avant la signature de la convention par {} le {}",
                date_label(on),
                self.name_of(&last.member),
                date_label(last.signed_on)
            ));
        }
        Refusal::unless_empty(reasons)?;
        let mut next = self.with_status(Consultation);
        next.consultation_started_on = Some(on);
        Ok(next)
    }

    /// Joined members with a need to whom the cost-sharing key cannot be applied.
    fn key_problems(&self) -> Vec<String> {
        let with_needs: Vec<&Member> = self
            .joined_members()
            .filter(|m| self.needs.iter().any(|n| n.member == m.siren))
            .collect();
        match &self.cost_sharing {
            CostSharing::ByVolume => Vec::new(),
            CostSharing::ByPopulation => {
                let missing: Vec<&Member> = with_needs
                    .into_iter()
                    .filter(|m| m.population.is_none_or(|p| p == 0))
                    .collect();
                if missing.is_empty() {
                    Vec::new()
                } else {
                    vec![format!(
                        "la clé de répartition par population demande la population de : {}",
                        names(&missing)
                    )]
                }
            }
            CostSharing::FixedShares(shares) => {
                let missing: Vec<&Member> = with_needs
                    .into_iter()
                    .filter(|m| !shares.iter().any(|(s, p)| s == &m.siren && *p > 0))
                    .collect();
                if missing.is_empty() {
                    Vec::new()
                } else {
                    vec![format!(
                        "la clé de répartition à parts fixes ne donne aucune part à : {}",
                        names(&missing)
                    )]
                }
            }
        }
    }

    fn award(&self, award: &Award) -> Result<Groupement, Refusal> {
        let mut reasons = self.stage_problems(ActionKind::Award, None);
        for lot_award in &award.lots {
            if let Some(previous) = self.award_of(lot_award.lot) {
                reasons.push(format!(
                    "le {} est déjà attribué (titulaire SIRET {})",
                    self.lot_label(lot_award.lot),
                    previous.supplier_siret
                ));
            }
        }
        if let Err(refusal) = self.member_shares(award) {
            reasons.extend(refusal.reasons);
        }
        if let Some(p) = &award.publication {
            if let Some(launched) = self.consultation_started_on
                && p.notified_on < launched
            {
                reasons.push(format!(
                    "notification datée du {}, avant le lancement de la consultation le {}",
                    date_label(p.notified_on),
                    date_label(launched)
                ));
            }
            if p.published_on < p.notified_on {
                reasons.push(format!(
                    "publication des données datée du {}, avant la notification du {}",
                    date_label(p.published_on),
                    date_label(p.notified_on)
                ));
            }
        }
        Refusal::unless_empty(reasons)?;
        let mut next = self.clone();
        next.awards.push(award.clone());
        if next.lots.iter().all(|l| next.award_of(l.number).is_some()) {
            next.status = Awarded;
        }
        Ok(next)
    }

    fn start_execution(&self, on: NaiveDate) -> Result<Groupement, Refusal> {
        let mut reasons = self.stage_problems(ActionKind::StartExecution, None);
        if let Some(launched) = self.consultation_started_on
            && on < launched
        {
            reasons.push(format!(
                "exécution commencée le {}, avant le lancement de la consultation le {}",
                date_label(on),
                date_label(launched)
            ));
        }
        Refusal::unless_empty(reasons)?;
        let mut next = self.with_status(InExecution);
        next.execution_started_on = Some(on);
        Ok(next)
    }

    fn close(&self, on: NaiveDate) -> Result<Groupement, Refusal> {
        let mut reasons = self.stage_problems(ActionKind::Close, None);
        if let Some(since) = self.execution_started_on.or(self.consultation_started_on)
            && on < since
        {
            reasons.push(format!(
                "clôture datée du {}, avant le {}",
                date_label(on),
                date_label(since)
            ));
        }
        Refusal::unless_empty(reasons)?;
        let mut next = self.with_status(Closed);
        next.closed_on = Some(on);
        Ok(next)
    }

    fn cancel(&self, on: NaiveDate, reason: &str) -> Result<Groupement, Refusal> {
        if reason.trim().is_empty() {
            return Err(Refusal::invalid(vec![
                "le motif de l'annulation est vide".to_owned(),
            ]));
        }
        let mut next = self.with_status(Cancelled);
        next.cancellation = Some(Cancellation {
            on,
            reason: reason.trim().to_owned(),
        });
        Ok(next)
    }

    // -- helpers of the transitions

    fn require_status(&self, reasons: &mut Vec<String>, what: &str, allowed: &[GroupementStatus]) {
        if !allowed.contains(&self.status) {
            let allowed: Vec<String> = allowed
                .iter()
                .map(|s| format!("« {} »", s.label_fr()))
                .collect();
            reasons.push(format!(
                "{what} est impossible au statut « {} » (possible seulement au statut {})",
                self.status.label_fr(),
                allowed.join(" ou ")
            ));
        }
    }

    fn require_invited(&self, reasons: &mut Vec<String>, siren: &Siren) {
        match self.member(siren) {
            None => reasons.push(format!("le SIREN {siren} n'est pas invité au groupement")),
            Some(member) => match member.status {
                MemberStatus::Invited => {}
                MemberStatus::Joined { on } => reasons.push(format!(
                    "{} a déjà adhéré le {}",
                    member.name,
                    date_label(on)
                )),
                MemberStatus::Declined { on } => reasons.push(format!(
                    "{} a décliné l'invitation le {}",
                    member.name,
                    date_label(on)
                )),
                MemberStatus::Withdrawn { on } => reasons.push(format!(
                    "{} a quitté le groupement le {}",
                    member.name,
                    date_label(on)
                )),
            },
        }
    }

    fn with_status(&self, status: GroupementStatus) -> Groupement {
        let mut next = self.clone();
        next.status = status;
        next
    }

    fn with_member_status(&self, siren: &Siren, status: MemberStatus) -> Groupement {
        let mut next = self.clone();
        if let Some(member) = next.members.iter_mut().find(|m| &m.siren == siren) {
            member.status = status;
        }
        next
    }

    /// Concludes the convention when, on `on`, every joined member (at least two) has signed
    /// and no invitation is still open.
    fn conclude_if_signed(&mut self, on: NaiveDate) {
        if self.status == OpenForAdhesion
            && self.joined_members().count() >= MIN_MEMBERS
            && self.unsigned_members().is_empty()
            && self.pending_invitations(on).is_empty()
        {
            self.status = ConventionSigned;
        }
    }
}

/// Why fewer than two joined members cannot form a groupement.
fn too_few_members(joined: &[&Member]) -> String {
    let who = match joined {
        [] => "aucun acheteur n'a adhéré".to_owned(),
        [one] => format!("{} est le seul membre à avoir adhéré", one.name),
        more => format!("{} sont les seuls membres à avoir adhéré", names(more)),
    };
    format!("un groupement de commandes réunit au moins deux acheteurs (L2113-6) : {who}")
}

/// "Ville d'Échirolles, Ville de Fontaine".
fn names(members: &[&Member]) -> String {
    let names: Vec<&str> = members.iter().map(|m| m.name.as_str()).collect();
    names.join(", ")
}

// ---------------------------------------------------------------------------------------------
// What the award publishes

/// The DECP id of a groupement's lot as published: `GRP{groupement}-L{lot}`, one record per
/// lot under the coordinator (DECP 2.0 ids have at most 16 characters).
pub fn lot_contract_id(groupement_id: i64, lot: u32) -> String {
    format!("GRP{groupement_id}-L{lot}")
}

/// The id of one member's contract of a lot, its share: the lot's id followed by the member's
/// SIREN, `GRP{groupement}-L{lot}-{siren}`. Distinct for each member and stable (it depends on
/// nothing that changes once the lot is awarded); these contracts stay in Mutualis, DECP
/// publishing the lot under [`lot_contract_id`].
pub fn member_contract_id(groupement_id: i64, lot: u32, member: &Siren) -> String {
    format!("{}-{member}", lot_contract_id(groupement_id, lot))
}

/// The first day the contracts of a groupement can start when its adhesions close on
/// `adhesion_deadline` and its consultation then takes `lead_months` (the procedure's lead
/// time): the first day of the month that follows the deadline plus the lead time, so always
/// after the deadline.
pub fn earliest_start(adhesion_deadline: NaiveDate, lead_months: u32) -> NaiveDate {
    let after = adhesion_deadline
        .checked_add_months(Months::new(lead_months))
        .and_then(|d| d.succ_opt())
        .unwrap_or(NaiveDate::MAX);
    if after.day() == 1 {
        return after;
    }
    after
        .with_day(1)
        .and_then(|d| d.checked_add_months(Months::new(1)))
        .unwrap_or(NaiveDate::MAX)
}

impl Groupement {
    /// When the members' contracts of an award notified on `notified_on` run, as (start,
    /// end): from the groupement's planned start, or from the notification when it comes
    /// later (a contract is notified before its execution begins, R2182-4) or when no start is
    /// planned; until the start plus the groupement's duration. The notification stays the
    /// notification.
    pub fn contract_period(&self, notified_on: NaiveDate) -> (NaiveDate, NaiveDate) {
        let start = self
            .proposed_start
            .map_or(notified_on, |planned| planned.max(notified_on));
        let end = start
            .checked_add_months(Months::new(self.duration_months))
            .unwrap_or(NaiveDate::MAX);
        (start, end)
    }

    /// Why a notification on `notified_on` contradicts the planned start, in French: it comes
    /// after it, so the contracts would start on the notification instead. `None` when it
    /// does not (or no start is planned).
    pub fn late_notification(&self, notified_on: NaiveDate) -> Option<String> {
        let planned = self.proposed_start.filter(|p| notified_on > *p)?;
        Some(format!(
            "notification le {}, après le début envisagé des contrats le {} : un marché est \
             notifié avant tout commencement d'exécution (article R2182-4 du code de la commande \
             publique), les contrats des membres commenceraient donc le {}",
            date_label(notified_on),
            date_label(planned),
            date_label(notified_on)
        ))
    }
}

/// A member's share of a lot, `part` of `total`, in thousandths rounded to the nearest (halves
/// up: a quarter is 250, two thirds 667), so that the shares of a lot may add up to a few
/// thousandths more or less than 1000. `None` when the total is not positive.
pub fn share_permille(part: Amount, total: Amount) -> Option<i64> {
    let total = i128::from(total.cents());
    if total <= 0 {
        return None;
    }
    let permille = (i128::from(part.cents()) * 2000 + total).div_euclid(2 * total);
    i64::try_from(permille).ok()
}

/// A share in thousandths as a French percentage with one decimal: 667 → "66,7 %".
pub fn share_percent_label(permille: i64) -> String {
    let sign = if permille < 0 { "-" } else { "" };
    let p = permille.unsigned_abs();
    format!("{sign}{},{} %", p / 10, p % 10)
}

impl Groupement {
    /// The object of a lot's contracts: "title — lot n : lot title".
    pub fn lot_object(&self, lot: &Lot) -> String {
        format!("{} — lot {} : {}", self.title, lot.number, lot.title)
    }

    /// The contracts DECP publishes for the awarded lots: French DECP knows only the
    /// coordinator, so one record per lot under `coordinator` (its SIRET) for the lot's total,
    /// the members' shares staying in Mutualis. The DECP 2.0 facts come from the award's
    /// publication; an award recorded without it gives a contract that lacks them, which the
    /// export names and leaves out. In lot order.
    pub fn published_contracts(&self, groupement_id: i64, coordinator: &Siret) -> Vec<Contract> {
        let mut out = Vec::new();
        for lot in &self.lots {
            let Some(award) = self.award_of(lot.number) else {
                continue;
            };
            let Some(lot_award) = award.lots.iter().find(|l| l.lot == lot.number) else {
                continue;
            };
            let p = award.publication.as_ref();
            let label = |v: Option<&String>| Label {
                value: v.cloned(),
                original: None,
            };
            out.push(Contract {
                id: lot_contract_id(groupement_id, lot.number),
                buyer: coordinator.clone(),
                buyer_name: self.member(&self.coordinator).map(|m| m.name.clone()),
                kind: ContractKind::Marche,
                source: ContractSource::Mutualis,
                nature: Label::v2("Marché"),
                object: self.lot_object(lot),
                cpv: Some(lot.cpv),
                procedure: label(p.map(|p| &p.procedure)),
                place: p.map(|p| p.place.clone()),
                duration_months: Some(self.duration_months),
                notified_on: p.map(|p| p.notified_on),
                starts_on: None,
                published_on: p.map(|p| p.published_on),
                amount: Some(lot_award.total),
                price_form: label(p.map(|p| &p.price_form)),
                operators: vec![Operator {
                    id: award.supplier_siret.as_str().to_owned(),
                    id_type: "SIRET".into(),
                    name: None,
                }],
                modifications: Vec::new(),
                subcontracting: Vec::new(),
                decp2: p.map(|p| p.decp2.clone()),
            });
        }
        out
    }
}

// ---------------------------------------------------------------------------------------------
// Shares

impl Groupement {
    /// The contracts an award creates: for each awarded lot, one share per joined member with
    /// a need in that lot, splitting the lot's total by the cost-sharing key:
    /// - by volume: in proportion to the member's estimated amount in the lot;
    /// - by population: in proportion to its population (refused if a member has none);
    /// - fixed shares: in proportion to its share, among the members of the lot.
    ///
    /// In integer cents, the shares of a lot add up to its total exactly: each member gets the
    /// whole cents of its exact share, and the cents left over go one each to the largest
    /// remainders, ties broken by SIREN order. The result is sorted by lot, then SIREN, and
    /// depends neither on the order of members nor of needs.
    ///
    /// Refused, with every reason, before anything is created: an award without lots, a lot
    /// unknown or twice in the award, a total not positive, a lot without a joined member with
    /// a need, a member the key cannot be applied to.
    pub fn member_shares(&self, award: &Award) -> Result<Vec<MemberShare>, Refusal> {
        let mut reasons = Vec::new();
        let mut shares = Vec::new();
        if award.lots.is_empty() {
            reasons.push("l'attribution ne porte sur aucun lot".to_owned());
        }
        let mut seen = BTreeSet::new();
        let mut lots: Vec<&LotAward> = award.lots.iter().collect();
        lots.sort_by_key(|l| l.lot);
        for lot_award in lots {
            let lot = lot_award.lot;
            if !seen.insert(lot) {
                reasons.push(format!("le lot {lot} figure deux fois dans l'attribution"));
                continue;
            }
            if self.lot(lot).is_none() {
                reasons.push(format!("le lot {lot} n'existe pas dans ce groupement"));
                continue;
            }
            if lot_award.total <= Amount::ZERO {
                reasons.push(format!(
                    "le montant attribué du {} doit être positif, reçu {}",
                    self.lot_label(lot),
                    lot_award.total
                ));
                continue;
            }
            match self.lot_weights(lot) {
                Err(mut why) => reasons.append(&mut why),
                Ok(weights) => {
                    let split = split_cents(lot_award.total, &weights);
                    let sum: Amount = split.iter().map(|(_, a)| *a).sum();
                    if sum != lot_award.total {
                        // The method guarantees it; checked so that a bug can never create
                        // contracts that do not add up.
                        reasons.push(format!(
                            "la répartition du {} ne tombe pas juste : {} au lieu de {}",
                            self.lot_label(lot),
                            sum,
                            lot_award.total
                        ));
                    }
                    shares.extend(split.into_iter().map(|(member, amount)| MemberShare {
                        member,
                        lot,
                        amount,
                    }));
                }
            }
        }
        Refusal::unless_empty(reasons)?;
        Ok(shares)
    }

    /// Each participant of a lot with its weight under the cost-sharing key.
    fn lot_weights(&self, lot: u32) -> Result<Vec<(Siren, u64)>, Vec<String>> {
        let participants = self.lot_participants(lot);
        if participants.is_empty() {
            return Err(vec![format!(
                "aucun membre ayant adhéré n'a de besoin dans le {}",
                self.lot_label(lot)
            )]);
        }
        self.key_weights(participants).map_err(|missing| {
            vec![format!(
                "{} : {}",
                self.lot_label(lot),
                self.key_missing(&missing)
            )]
        })
    }

    /// Each participant with its weight under the cost-sharing key (by volume, its estimated
    /// amount), or the names of those the key cannot be applied to.
    fn key_weights(
        &self,
        participants: BTreeMap<&Siren, Amount>,
    ) -> Result<Vec<(Siren, u64)>, Vec<String>> {
        let mut weights = Vec::new();
        let mut missing = Vec::new();
        for (siren, estimated) in participants {
            let weight = match &self.cost_sharing {
                CostSharing::ByVolume => u64::try_from(estimated.cents()).ok(),
                CostSharing::ByPopulation => {
                    self.member(siren).and_then(|m| m.population).map(u64::from)
                }
                CostSharing::FixedShares(shares) => shares
                    .iter()
                    .find(|(s, _)| s == siren)
                    .map(|(_, p)| u64::from(*p)),
            };
            match weight {
                Some(w) if w > 0 => weights.push((siren.clone(), w)),
                _ => missing.push(self.name_of(siren)),
            }
        }
        if missing.is_empty() {
            Ok(weights)
        } else {
            Err(missing)
        }
    }

    /// "la clé « Au prorata de la population » demande une population pour : Ville de Fontaine".
    fn key_missing(&self, names: &[String]) -> String {
        let what = match &self.cost_sharing {
            CostSharing::ByVolume => "un montant estimé positif",
            CostSharing::ByPopulation => "une population",
            CostSharing::FixedShares(_) => "une part fixe",
        };
        format!(
            "la clé « {} » demande {what} pour : {}",
            self.cost_sharing.label_fr(),
            names.join(", ")
        )
    }
}

// ---------------------------------------------------------------------------------------------
// Totals, the key, and what a withdrawal changes

/// A part of a whole, exact: `part / whole` of the key's bases (populations, estimated amounts
/// in cents, or thousandths).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Share {
    pub part: u128,
    /// Positive.
    pub whole: u128,
}

impl Share {
    /// In hundredths of a percent, rounded to the nearest, halves up: a third is 3333.
    pub fn hundredths_of_percent(self) -> u128 {
        if self.whole == 0 {
            return 0;
        }
        (self.part * 20_000 + self.whole) / (2 * self.whole)
    }

    /// "33,33 %", with a no-break space before the sign.
    pub fn label_fr(self) -> String {
        let h = self.hundredths_of_percent();
        format!("{},{:02}\u{a0}%", h / 100, h % 100)
    }
}

/// How a lot's total changes when a member leaves it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LotTotalChange {
    pub lot: u32,
    /// The member's need that leaves the total.
    pub need: Amount,
    pub before: Amount,
    pub after: Amount,
}

/// How a remaining member's share of the key changes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ShareChange {
    pub member: Siren,
    pub before: Share,
    pub after: Share,
}

/// What a member's withdrawal changes (PRODUCT.md §2.4: "a withdrawal's financial consequence
/// follows the convention's key"). The convention says that the member who withdraws bears its
/// share, under the key, of the procedure costs incurred on the day of its withdrawal, the key
/// applied to all its needs, as the costs are shared among the members (article "Répartition
/// des coûts", column "Frais de procédure"). Mutualis records no procedure costs: the amount
/// owed is that share of whatever the coordinator has incurred, which only the coordinator
/// knows; what is computed here is the share, the needs that leave the lots' totals, and the
/// new shares of the members who stay.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Withdrawal {
    pub member: Siren,
    pub on: NaiveDate,
    /// The lots where the member's need counted, in lot order.
    pub lots: Vec<LotTotalChange>,
    /// Its share of the procedure costs incurred up to `on`. `None` when it has declared no
    /// need (the key gives it no share), or when the key cannot be applied yet (`key_problems`).
    pub cost_share: Option<Share>,
    /// The members who stay and have a need: their share before and after, in SIREN order.
    pub remaining: Vec<ShareChange>,
    /// Why the key cannot be applied yet (a population or a fixed share missing); then there
    /// is no share to give.
    pub key_problems: Vec<String>,
}

impl Withdrawal {
    /// Between the groupement before the withdrawal and after it; the lots' totals as of
    /// `as_of`.
    fn between(
        before: &Groupement,
        after: &Groupement,
        member: &Siren,
        on: NaiveDate,
        as_of: NaiveDate,
    ) -> Withdrawal {
        let lots = before
            .lots
            .iter()
            .filter_map(|lot| {
                let need: Amount = before
                    .counted_needs(lot.number, as_of)
                    .filter(|n| &n.member == member)
                    .map(|n| n.estimated_amount)
                    .sum();
                (need > Amount::ZERO).then(|| LotTotalChange {
                    lot: lot.number,
                    need,
                    before: before.lot_total(lot.number, as_of),
                    after: after.lot_total(lot.number, as_of),
                })
            })
            .collect();
        let (cost_share, remaining, key_problems) =
            match (before.cost_shares(), after.cost_shares()) {
                (Ok(was), Ok(now)) => {
                    let share_of = |siren: &Siren| {
                        was.iter()
                            .find(|(s, _)| s == siren)
                            .map(|(_, share)| *share)
                    };
                    let remaining = now
                        .into_iter()
                        .filter_map(|(siren, after)| {
                            let before = share_of(&siren)?;
                            Some(ShareChange {
                                member: siren,
                                before,
                                after,
                            })
                        })
                        .collect();
                    (share_of(member), remaining, Vec::new())
                }
                (was, now) => {
                    let mut reasons = was.err().map(|r| r.reasons).unwrap_or_default();
                    for reason in now.err().map(|r| r.reasons).unwrap_or_default() {
                        if !reasons.contains(&reason) {
                            reasons.push(reason);
                        }
                    }
                    (None, Vec::new(), reasons)
                }
            };
        Withdrawal {
            member: member.clone(),
            on,
            lots,
            cost_share,
            remaining,
            key_problems,
        }
    }
}

impl Groupement {
    /// Whether a member's needs count in the lots' totals on `on`: a joined member's do; so do
    /// those the coordinator proposed for a buyer whose invitation is still open (adhesions
    /// open, deadline not passed), since it may still join; never those of a buyer who
    /// declined, withdrew, or let its invitation lapse.
    fn needs_count(&self, member: &Member, on: NaiveDate) -> bool {
        match member.status {
            MemberStatus::Joined { .. } => true,
            MemberStatus::Invited => {
                matches!(self.status, Draft | OpenForAdhesion) && on <= self.adhesion_deadline
            }
            MemberStatus::Declined { .. } | MemberStatus::Withdrawn { .. } => false,
        }
    }

    /// The needs of a lot that count in its total on `on` (see the lot total), in the order
    /// they were set. The needs of a buyer who declined or withdrew stay on record in
    /// `needs`, but are in no total and no share.
    pub fn counted_needs(&self, lot: u32, on: NaiveDate) -> impl Iterator<Item = &LotNeed> {
        self.needs.iter().filter(move |n| {
            n.lot == lot
                && self
                    .member(&n.member)
                    .is_some_and(|m| self.needs_count(m, on))
        })
    }

    /// A lot's estimated total on `on`: its counted needs added up (saturating rather than
    /// overflowing on absurd amounts).
    pub fn lot_total(&self, lot: u32, on: NaiveDate) -> Amount {
        self.counted_needs(lot, on).fold(Amount::ZERO, |sum, n| {
            sum.checked_add(n.estimated_amount)
                .unwrap_or(Amount::from_cents(i64::MAX))
        })
    }

    /// Each joined member with a need and its share of the procedure costs, which the
    /// convention has the members reimburse to the coordinator under the key applied to all
    /// their needs (by volume: its estimated amounts in every lot; by population: its
    /// population; fixed shares: its share), among the joined members with a need. In SIREN
    /// order; empty when no joined member has a need. Refused, naming them, when the key
    /// cannot be applied to some of them.
    pub fn cost_shares(&self) -> Result<Vec<(Siren, Share)>, Refusal> {
        let participants = self.participants(None);
        if participants.is_empty() {
            return Ok(Vec::new());
        }
        let weights = self
            .key_weights(participants)
            .map_err(|missing| Refusal::invalid(vec![self.key_missing(&missing)]))?;
        let whole: u128 = weights.iter().map(|(_, w)| u128::from(*w)).sum();
        Ok(weights
            .into_iter()
            .map(|(siren, w)| {
                (
                    siren,
                    Share {
                        part: u128::from(w),
                        whole,
                    },
                )
            })
            .collect())
    }

    /// What withdrawing `member` on `on` would change (see [`Withdrawal`]), or the refusal
    /// [`Action::Withdraw`] would get.
    pub fn withdrawal(&self, member: &Siren, on: NaiveDate) -> Result<Withdrawal, Refusal> {
        let after = self.apply(&Action::Withdraw {
            member: member.clone(),
            on,
        })?;
        Ok(Withdrawal::between(self, &after, member, on, on))
    }

    /// What the withdrawal of a member that has withdrawn changes, on the groupement as it
    /// stands (the others' needs may have changed since): this state compared with the same
    /// with the member still joined, the lots' totals as of `as_of`. `None` unless the member
    /// has withdrawn.
    pub fn withdrawal_of(&self, member: &Siren, as_of: NaiveDate) -> Option<Withdrawal> {
        let MemberStatus::Withdrawn { on } = self.member(member)?.status else {
            return None;
        };
        let before = self.with_member_status(member, MemberStatus::Joined { on });
        Some(Withdrawal::between(&before, self, member, on, as_of))
    }
}

/// Splits `total` (not negative) in proportion to positive `weights`, in whole cents, by the
/// largest remainder method: each party gets the floor of its exact share, then the cents left
/// over (fewer than the number of parties) go one each to the largest remainders, ties broken
/// by SIREN. The result is in SIREN order and adds up to `total` exactly.
fn split_cents(total: Amount, weights: &[(Siren, u64)]) -> Vec<(Siren, Amount)> {
    let mut parties: Vec<&(Siren, u64)> = weights.iter().collect();
    parties.sort_by(|a, b| a.0.cmp(&b.0));
    let total = u128::try_from(total.cents()).unwrap_or(0);
    let weight_sum: u128 = parties.iter().map(|(_, w)| u128::from(*w)).sum();
    if parties.is_empty() || weight_sum == 0 {
        return Vec::new();
    }
    // total × weight fits in u128: both are below 2^64.
    let mut rows: Vec<(usize, u128, u128)> = parties
        .iter()
        .enumerate()
        .map(|(i, (_, w))| {
            let exact = total * u128::from(*w);
            (i, exact / weight_sum, exact % weight_sum)
        })
        .collect();
    let given: u128 = rows.iter().map(|(_, floor, _)| floor).sum();
    let left = total - given;
    let mut order: Vec<usize> = (0..rows.len()).collect();
    // Largest remainder first; equal remainders in SIREN order (the parties' order).
    order.sort_by(|&a, &b| rows[b].2.cmp(&rows[a].2).then(a.cmp(&b)));
    for &i in order
        .iter()
        .take(usize::try_from(left).unwrap_or(usize::MAX))
    {
        rows[i].1 += 1;
    }
    rows.into_iter()
        .map(|(i, cents, _)| {
            // A share never exceeds the total, which came from an i64.
            let cents = i64::try_from(cents).unwrap_or(i64::MAX);
            (parties[i].0.clone(), Amount::from_cents(cents))
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------

#[cfg(test)]
mod tests;
