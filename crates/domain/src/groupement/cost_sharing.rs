//! The convention's cost-sharing key (by population, by volume, fixed shares): whether it can
//! be applied to every member with a need, each member's weight under it, and each member's
//! share of the procedure costs.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use super::{Groupement, Member, Refusal, names};
use crate::amount::Amount;
use crate::ids::Siren;
use crate::text::de;

/// Fixed shares are in thousandths of the cost ("pour mille") and must add up to this.
pub const PERMILLE_TOTAL: u32 = 1000;

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

impl Groupement {
    pub(super) fn fixed_share_problems(
        &self,
        shares: &[(Siren, u32)],
        opening: bool,
    ) -> Vec<String> {
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

    /// Joined members with a need to whom the cost-sharing key cannot be applied.
    pub(super) fn key_problems(&self) -> Vec<String> {
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

    /// Each participant with its weight under the cost-sharing key (by volume, its estimated
    /// amount), or the names of those the key cannot be applied to.
    pub(super) fn key_weights(
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
    pub(super) fn key_missing(&self, names: &[String]) -> String {
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
}
