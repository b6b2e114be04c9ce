//! The actions that change a groupement, each with the preconditions
//! [`Groupement::apply`] checks.

use chrono::NaiveDate;
use serde::Serialize;

use super::{Award, LotNeed, Signature, Terms};
#[cfg(doc)]
use super::{Groupement, Refusal};
use crate::ids::Siren;

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
