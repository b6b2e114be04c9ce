//! Who may do what to a consultation, and what can be done now: the one place where it is
//! decided (storage applies every change with [`Consultation::apply_as`]; the pages draw
//! their buttons from [`Consultation::available_actions`]).
//!
//! The buyer owns its consultation: its coordinators and purchasing officers ([`BUYER_ROLES`])
//! prepare and run it. Anyone else who sees it (a member of its groupement, another role of
//! the buyer's organisation) changes nothing.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::ConsultationStatus::{self, Closed, Draft, InAnalysis, Opened, Published};
use super::{Action, Consultation};
use crate::account::Role;
pub use crate::groupement::Actor;
use crate::refusal::{Refusal, RefusalCode};
use crate::rules::RuleBook;

/// The roles of the buyer's organisation that prepare and run its consultations.
pub const BUYER_ROLES: [Role; 2] = [Role::Coordinator, Role::MemberBuyer];

/// An [`Action`] without what it carries: what a button offers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ActionKind {
    Amend,
    Publish,
    Close,
    Open,
    StartAnalysis,
    Award,
    DeclareUnsuccessful,
    Cancel,
}

impl ActionKind {
    pub const ALL: [ActionKind; 8] = [
        ActionKind::Amend,
        ActionKind::Publish,
        ActionKind::Close,
        ActionKind::Open,
        ActionKind::StartAnalysis,
        ActionKind::Award,
        ActionKind::DeclareUnsuccessful,
        ActionKind::Cancel,
    ];

    /// The statuses the action starts from.
    pub fn allowed_from(self) -> &'static [ConsultationStatus] {
        match self {
            ActionKind::Amend | ActionKind::Publish => &[Draft],
            ActionKind::Close => &[Published],
            ActionKind::Open => &[Closed],
            ActionKind::StartAnalysis => &[Opened],
            ActionKind::Award => &[InAnalysis],
            ActionKind::DeclareUnsuccessful => &[Opened, InAnalysis],
            ActionKind::Cancel => &[Draft, Published, Closed, Opened, InAnalysis],
        }
    }

    /// Whether the action waits for the deadline: the bids stay sealed until then.
    pub fn after_deadline(self) -> bool {
        matches!(self, ActionKind::Close | ActionKind::Open)
    }
}

impl Action {
    pub fn kind(&self) -> ActionKind {
        match self {
            Action::Amend(_) => ActionKind::Amend,
            Action::Publish { .. } => ActionKind::Publish,
            Action::Close { .. } => ActionKind::Close,
            Action::Open { .. } => ActionKind::Open,
            Action::StartAnalysis => ActionKind::StartAnalysis,
            Action::Award => ActionKind::Award,
            Action::DeclareUnsuccessful { .. } => ActionKind::DeclareUnsuccessful,
            Action::Cancel { .. } => ActionKind::Cancel,
        }
    }
}

impl Consultation {
    /// Whether `actor` may change this consultation; otherwise who may.
    pub fn authority(&self, actor: &Actor) -> Result<(), String> {
        if actor.organisation == self.buyer && BUYER_ROLES.contains(&actor.role) {
            Ok(())
        } else {
            Err(
                "seuls le coordonnateur et les acheteurs de l'organisme acheteur peuvent \
                 modifier cette consultation"
                    .to_owned(),
            )
        }
    }

    /// The actions `actor` may take at `now`: its business, from the current status, and
    /// for closing and opening, once the deadline has passed.
    pub fn available_actions(&self, actor: &Actor, now: DateTime<Utc>) -> BTreeSet<ActionKind> {
        if self.authority(actor).is_err() {
            return BTreeSet::new();
        }
        ActionKind::ALL
            .into_iter()
            .filter(|kind| kind.allowed_from().contains(&self.status))
            .filter(|kind| !kind.after_deadline() || !self.sealed_at(now))
            .collect()
    }

    /// [`Consultation::apply`] for `actor`: refused first when the consultation is not its
    /// business.
    pub fn apply_as(
        &self,
        actor: &Actor,
        action: &Action,
        rules: &RuleBook,
    ) -> Result<Consultation, Refusal> {
        self.authority(actor).map_err(|reason| Refusal {
            code: RefusalCode::Forbidden,
            reasons: vec![reason],
        })?;
        self.apply(action, rules)
    }
}
