//! What the engine hands back: the report, its counts and exclusions, and each opportunity with
//! its buyers, lines, bridging, procedures, savings and score.

use chrono::NaiveDate;
use serde::Serialize;

use crate::amount::Amount;
use crate::cpv::{CpvCode, CpvDepth};
use crate::ids::Siren;
use crate::plausibility::ContractFlag;
use crate::rules::{BuyerKind, Nature, Procedure, RuleLookupError};

use super::french_date;

/// The engine's answer.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    pub as_of: NaiveDate,
    pub depth: CpvDepth,
    pub window_months: u32,
    pub window_end: NaiveDate,
    pub min_buyers: usize,
    /// Contracts and needs looked at, and why some did not count.
    pub counts: Counts,
    /// Contracts already pooled, set aside.
    pub excluded: Vec<Exclusion>,
    /// Best first.
    pub opportunities: Vec<Opportunity>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    pub contracts: usize,
    pub needs: usize,
    /// Contracts in the window, with a CPV code, not already pooled.
    pub contracts_in_window: usize,
    pub needs_in_window: usize,
    pub without_cpv: usize,
    pub without_end_date: usize,
    pub outside_window: usize,
    /// Contracts replaced by a need that renews them.
    pub renewed_by_need: usize,
    /// Contracts in the window, with a CPV code, not already pooled, left out of the figures
    /// because their amount is a placeholder or implausible ("aberrant").
    pub flagged: usize,
}

/// Why contracts were set aside: already pooled, or an amount that is no figure.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Exclusion {
    /// "central_purchasing", "groupement", "placeholder_amount" or "implausible_amount".
    pub reason: &'static str,
    /// The central purchasing body, for that reason.
    pub body: Option<String>,
    pub contracts: usize,
    /// In French.
    pub explanation: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CpvNode {
    /// The node's code, "90910000-9".
    pub code: CpvCode,
    /// Its significant digits, "9091".
    pub prefix: String,
    pub label: String,
    pub depth: CpvDepth,
}

/// One purchase worth making together.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Opportunity {
    pub cpv: CpvNode,
    pub nature: Nature,
    pub family: FamilyRef,
    pub buyers: Vec<BuyerShare>,
    pub annual_amount_cents: i64,
    pub proposed_duration_months: u32,
    pub total_amount_cents: i64,
    pub proposed_start: NaiveDate,
    pub bridging: Vec<Bridging>,
    pub procedure: ProcedureEffect,
    pub savings: Savings,
    /// 0 to 100.
    pub score: u32,
    pub score_factors: ScoreFactors,
    /// Why it ranks where it does, in French.
    pub reasons: Vec<String>,
    /// Why it is works though its CPV code is not division 45, in French.
    pub nature_reason: Option<String>,
    /// The contracts of this node left out of the figures (placeholder or implausible
    /// amount), shown with the reason.
    pub set_aside: Vec<SetAsideLine>,
}

/// A contract of an opportunity's node left out of its figures.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SetAsideLine {
    pub siren: Siren,
    pub name: String,
    pub id: String,
    pub record_id: Option<i64>,
    pub object: String,
    pub cpv: CpvCode,
    pub ends_on: Option<NaiveDate>,
    pub amount_cents: Option<i64>,
    pub duration_months: Option<u32>,
    /// The flag that leaves it out.
    pub flag: ContractFlag,
}

impl SetAsideLine {
    /// "contrat 2019-04 de Ville de Meylan : montant fictif (aberrant) : …".
    pub fn explanation(&self) -> String {
        format!(
            "contrat {} de {} : {}",
            self.id,
            self.name,
            self.flag.sentence()
        )
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FamilyRef {
    pub id: String,
    pub label: String,
    pub weight: f64,
}

/// A member of an opportunity.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BuyerShare {
    pub siren: Siren,
    pub name: String,
    pub kind: BuyerKind,
    pub annual_amount_cents: i64,
    pub contracts: Vec<ContractLine>,
    pub needs: Vec<NeedLine>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ContractLine {
    pub id: String,
    pub record_id: Option<i64>,
    pub object: String,
    pub cpv: CpvCode,
    pub ends_on: NaiveDate,
    pub amount_cents: Option<i64>,
    pub duration_months: Option<u32>,
    pub annual_amount_cents: i64,
    /// Flags that do not leave it out (a "suspect" amount, a placeholder titulaire).
    pub flags: Vec<ContractFlag>,
    /// Why it is works though its CPV code is not, in French.
    pub works: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NeedLine {
    pub description: String,
    pub cpv: CpvCode,
    pub desired_start: NaiveDate,
    pub annual_amount_cents: i64,
    /// The contract this need renews, when the member named it.
    pub current_contract: Option<String>,
}

/// How a member's current contract (or need) meets the proposed common start.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Bridging {
    pub siren: Siren,
    pub name: String,
    /// "contract" or "need".
    pub item: &'static str,
    /// The contract's id, or the need's description.
    pub reference: String,
    /// The contract's end, or the need's desired start.
    pub date: NaiveDate,
    /// Months to extend (positive) or shorten (negative) the current contract, or to shift the
    /// need.
    pub months: i32,
    /// "extend", "shorten" or "none".
    pub action: &'static str,
}

impl Bridging {
    /// The line in French. Written on demand: an opportunity over a national file has
    /// hundreds of thousands of lines, and most are never shown.
    pub fn explanation(&self) -> String {
        let (name, months, date) = (&self.name, self.months, french_date(self.date));
        let reference = &self.reference;
        match (self.item, self.action) {
            ("need", "extend") => format!(
                "{name} : besoin « {reference} » décalé de {months} mois après la date souhaitée du {date}."
            ),
            ("need", "shorten") => format!(
                "{name} : besoin « {reference} » avancé de {} mois avant la date souhaitée du {date}.",
                -months
            ),
            ("need", _) => format!("{name} : besoin « {reference} » couvert à la date souhaitée."),
            (_, "extend") => format!(
                "{name} : prolonger le contrat {reference} de {months} mois (il prend fin le {date})."
            ),
            (_, "shorten") => format!(
                "{name} : arrêter le contrat {reference} {} mois avant son terme du {date} (non-reconduction ou résiliation).",
                -months
            ),
            _ => format!("{name} : le contrat {reference} prend fin le {date}, sans ajustement."),
        }
    }
}

/// What pooling changes legally.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProcedureEffect {
    /// When the pooled procedure would be launched (the rules of that date apply).
    pub launch_on: NaiveDate,
    pub alone: Vec<AloneProcedure>,
    pub pooled: ProcedureChoice,
    /// Whether the pooled purchase needs a heavier procedure than some member alone.
    pub threshold_crossed: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AloneProcedure {
    pub siren: Siren,
    pub name: String,
    /// The member's own amount over the proposed duration.
    pub estimated_cents: i64,
    pub procedure: Procedure,
    pub label: &'static str,
    /// The thresholds that place it there, with their rule id and legal source.
    pub rules: Vec<AppliedRule>,
}

impl AloneProcedure {
    /// The line in French, written on demand (one per member).
    pub fn explanation(&self, duration_months: u32) -> String {
        format!(
            "Seul, sur {duration_months} mois, {} : {}.",
            Amount::from_cents(self.estimated_cents),
            self.label
        )
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProcedureChoice {
    /// The estimated amount over the proposed duration (R2121-1: the total value of the needs).
    pub estimated_cents: i64,
    pub procedure: Procedure,
    pub label: String,
    /// The thresholds applied, with their rule id and legal source.
    pub rules: Vec<AppliedRule>,
    /// In French.
    pub explanation: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AppliedRule {
    pub rule_id: String,
    pub value_cents: i64,
    pub source: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Savings {
    /// Per year, on the pooled annual amount.
    pub low_cents: i64,
    pub high_cents: i64,
    pub low_percent: u32,
    pub high_percent: u32,
    pub source: String,
    /// In French.
    pub assumptions: Vec<String>,
}

/// The three factors of the score, each from 0 to 1, before the family's weight.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct ScoreFactors {
    pub amount: f64,
    pub buyers: f64,
    pub alignment: f64,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OpportunityError {
    #[error("{0}")]
    Rules(#[from] RuleLookupError),
    #[error("la fenêtre doit compter au moins un mois")]
    EmptyWindow,
    #[error("il faut au moins deux acheteurs pour mutualiser (demandé : {0})")]
    TooFewBuyers(usize),
}
