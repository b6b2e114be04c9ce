//! The pooling parameters, data with their sources (data/pooling/pooling.toml): the families of
//! purchases with their poolability and savings, the central purchasing bodies, the score's
//! weights and the procedures' lead times.

use serde::Serialize;

use crate::ids::Siren;
use crate::rules::Procedure;

/// How poolable a family of purchases is and how much pooling it usually saves.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Family {
    /// Stable identifier ("energy", "cleaning"…).
    pub id: String,
    /// French label.
    pub label: String,
    /// CPV prefixes (leading digits) of the family: "09", "9091".
    pub prefixes: Vec<String>,
    /// 0 (pools poorly: site-specific works) to 1 (recurring, standardised purchases).
    pub weight: f64,
    /// Savings range, in percent of the pooled annual amount.
    pub savings_low_percent: u32,
    pub savings_high_percent: u32,
    /// Where the savings rates come from.
    pub source: String,
    /// Why the family pools well or poorly, in French.
    pub rationale: String,
}

/// A central purchasing body: contracts it holds are already pooled.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CentralPurchasingBody {
    pub siren: Siren,
    pub name: String,
}

/// How the score weighs its factors (they add up to 1).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct ScoreWeights {
    pub amount: f64,
    pub buyers: f64,
    pub alignment: f64,
}

/// Months needed between the launch of a procedure and the start of the contract.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct LeadTimes {
    pub no_publicity: u32,
    pub adapted: u32,
    pub formal: u32,
}

impl LeadTimes {
    pub fn months(&self, procedure: Procedure) -> u32 {
        match procedure {
            Procedure::NoPublicity => self.no_publicity,
            Procedure::Adapted => self.adapted,
            Procedure::Formal => self.formal,
        }
    }
}

/// The pooling parameters: families, central purchasing bodies, proposed duration, lead times
/// and score weights. Loaded from data by the `reference` crate.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PoolingConfig {
    pub families: Vec<Family>,
    /// For the purchases no family names.
    pub default_family: Family,
    pub central_purchasing: Vec<CentralPurchasingBody>,
    /// The duration proposed for the pooled contract, and its legal basis.
    pub duration_months: u32,
    pub duration_source: String,
    pub lead_times: LeadTimes,
    pub score: ScoreWeights,
}

impl PoolingConfig {
    /// The family of a CPV node: the one with the longest prefix that the node's digits start
    /// with, or the default family.
    pub fn family_of(&self, node: &str) -> &Family {
        self.families
            .iter()
            .flat_map(|f| f.prefixes.iter().map(move |p| (p, f)))
            .filter(|(p, _)| node.starts_with(p.as_str()))
            .max_by_key(|(p, _)| p.len())
            .map(|(_, f)| f)
            .unwrap_or(&self.default_family)
    }

    pub(super) fn central_purchasing_body(&self, siren: &Siren) -> Option<&CentralPurchasingBody> {
        self.central_purchasing.iter().find(|c| &c.siren == siren)
    }
}
