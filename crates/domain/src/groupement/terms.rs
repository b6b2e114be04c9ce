//! The convention's terms: the coordinator's mission, what it states when it drafts a
//! groupement, the terms it may amend until the first signature, and what makes them hold
//! together.

use std::collections::BTreeSet;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::{CostSharing, Groupement, Lot, MemberStatus};
use crate::cpv::CpvCode;
use crate::ids::Siren;
use crate::rules::date_label;

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

impl Groupement {
    /// What is missing from the convention's terms. `opening`: the invitations are about to be
    /// sent, so fixed shares must name members.
    pub(super) fn terms_problems(&self, opening: bool) -> Vec<String> {
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
    pub(super) fn deadline_problems(&self, deadline: NaiveDate) -> Vec<String> {
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
}
