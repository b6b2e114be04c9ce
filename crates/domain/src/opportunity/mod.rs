//! The pooling-opportunity engine (PRODUCT.md §2.3): among the contracts and declared needs of
//! a set of buyers, what is worth buying together, when, under which procedure, and for how
//! much saving, with the reasons behind each answer in plain French.
//!
//! Pure: the caller hands in contracts (as [`ContractFacts`]), needs, what it knows of the
//! buyers, the pooling parameters ([`PoolingConfig`], data with sources) and the rules in
//! force; the engine hands back a [`Report`]. The same engine runs over the database and over
//! DECP files.
//!
//! The method, for a date `as_of`:
//! 1. a contract counts when it has a CPV code and ends between `as_of` and `as_of` + the
//!    window (default 18 months); a need counts when its desired start falls in that window;
//!    contracts already pooled (held by a central purchasing body, or bought under a
//!    groupement) are set aside and counted;
//! 2. contracts and needs are grouped by the CPV node that contains their code at the chosen
//!    depth (class by default), and a node becomes an opportunity when at least `min_buyers`
//!    distinct buyers (by SIREN) are in it;
//! 3. each opportunity gets its aggregated annual amount, a proposed common start and the
//!    bridging each member needs, the procedure each member would use alone and the one the
//!    pooled purchase requires, a savings range and a score with its reasons.

use std::collections::{BTreeMap, HashMap};

use chrono::{Datelike, Months, NaiveDate};
use serde::Serialize;

use crate::amount::Amount;
use crate::contract::Contract;
use crate::cpv::{CpvCode, CpvDepth, CpvNomenclature};
use crate::ids::Siren;
use crate::need::Need;
use crate::rules::{
    BuyerKind, Nature, Procedure, ProcedureDecision, ProcedureThresholds, RuleBook, RuleLookupError,
};

// ---------------------------------------------------------------------------------------------
// Configuration (data, see data/pooling/pooling.toml)

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

    fn central_purchasing_body(&self, siren: &Siren) -> Option<&CentralPurchasingBody> {
        self.central_purchasing.iter().find(|c| &c.siren == siren)
    }
}

// ---------------------------------------------------------------------------------------------
// Input

/// What the engine needs to know of a contract.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContractFacts {
    /// The buyer's identifier of the contract (DECP id).
    pub id: String,
    /// The database id, when the contract is stored.
    pub record_id: Option<i64>,
    pub buyer: Siren,
    /// The buyer's name as published (DECP 1.x), when the caller knows no better.
    pub buyer_name: Option<String>,
    pub object: String,
    pub cpv: Option<CpvCode>,
    /// After modifications.
    pub ends_on: Option<NaiveDate>,
    /// After modifications.
    pub amount: Option<Amount>,
    /// After modifications.
    pub duration_months: Option<u32>,
    /// The SIRENs of the current titulaires.
    pub suppliers: Vec<Siren>,
    /// Bought under a groupement de commandes already.
    pub groupement: bool,
}

impl ContractFacts {
    pub fn from_contract(contract: &Contract) -> ContractFacts {
        ContractFacts::from_owned(contract.clone())
    }

    /// Like [`ContractFacts::from_contract`], taking the contract's strings instead of copying
    /// them.
    pub fn from_owned(contract: Contract) -> ContractFacts {
        let ends_on = contract.end_date();
        let amount = contract.current_amount();
        let duration_months = contract.current_duration_months();
        let suppliers = contract
            .current_operators()
            .iter()
            .filter_map(|o| o.siren())
            .collect();
        ContractFacts {
            buyer: contract.buyer.siren(),
            id: contract.id,
            record_id: None,
            buyer_name: contract.buyer_name,
            object: contract.object,
            cpv: contract.cpv,
            ends_on,
            amount,
            duration_months,
            suppliers,
            groupement: false,
        }
    }

    /// Amount × 12 / duration in months. A contract of less than a year counts its whole
    /// amount as one year's purchase: a 2-month study is a need of the year, not six a year.
    pub fn annual_amount(&self) -> Option<Amount> {
        let amount = self.amount?;
        let months = i64::from(self.duration_months?.max(12));
        Some(Amount::from_cents(
            amount.cents().saturating_mul(12) / months,
        ))
    }
}

/// What the caller knows of a buyer: its name and, for the thresholds, its kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuyerInfo {
    pub name: String,
    pub kind: BuyerKind,
}

impl From<&crate::organisation::Organisation> for BuyerInfo {
    /// The State's bodies have the State's thresholds; every other public buyer has the local
    /// authorities'.
    fn from(o: &crate::organisation::Organisation) -> BuyerInfo {
        let kind = if o.kind == crate::organisation::OrganisationKind::State {
            BuyerKind::State
        } else {
            BuyerKind::LocalAuthority
        };
        BuyerInfo {
            name: o.name.clone(),
            kind,
        }
    }
}

/// What the engine works on.
#[derive(Debug, Clone, Copy)]
pub struct Input<'a> {
    pub contracts: &'a [ContractFacts],
    pub needs: &'a [Need],
    /// Names and kinds of the buyers the caller knows; the others are taken as local
    /// authorities named after their contracts (and the report says so).
    pub buyers: &'a HashMap<Siren, BuyerInfo>,
}

/// The question asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Params {
    pub as_of: NaiveDate,
    pub depth: CpvDepth,
    pub window_months: u32,
    pub min_buyers: usize,
    /// Only the best this many opportunities are wanted: every node is still ranked, but only
    /// these are built in full (members, contracts, bridging, procedures, reasons). `None`:
    /// all of them.
    pub limit: Option<usize>,
}

impl Params {
    pub const DEFAULT_DEPTH: CpvDepth = CpvDepth::Class;
    pub const DEFAULT_WINDOW_MONTHS: u32 = 18;
    pub const DEFAULT_MIN_BUYERS: usize = 2;

    pub fn new(as_of: NaiveDate) -> Params {
        Params {
            as_of,
            depth: Self::DEFAULT_DEPTH,
            window_months: Self::DEFAULT_WINDOW_MONTHS,
            min_buyers: Self::DEFAULT_MIN_BUYERS,
            limit: None,
        }
    }

    /// The last day of the window.
    pub fn window_end(&self) -> NaiveDate {
        self.as_of
            .checked_add_months(Months::new(self.window_months))
            .unwrap_or(NaiveDate::MAX)
    }
}

// ---------------------------------------------------------------------------------------------
// Output

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
}

/// Why contracts were set aside as already pooled.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Exclusion {
    /// "central_purchasing" or "groupement".
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

// ---------------------------------------------------------------------------------------------
// The engine

/// One item of an opportunity: a contract ending or a need starting.
#[derive(Clone, Copy)]
enum Item<'a> {
    /// With its CPV code, which every contract that reaches grouping has.
    Contract(&'a ContractFacts, CpvCode),
    Need(&'a Need),
}

impl Item<'_> {
    fn buyer(&self) -> &Siren {
        match self {
            Item::Contract(c, _) => &c.buyer,
            Item::Need(n) => &n.buyer,
        }
    }

    /// When the member needs the new contract: the day after the current one ends, or the
    /// need's desired start.
    fn renewal(&self) -> NaiveDate {
        match self {
            Item::Contract(c, _) => c
                .ends_on
                .and_then(|d| d.succ_opt())
                .unwrap_or(NaiveDate::MAX),
            Item::Need(n) => n.desired_start,
        }
    }

    fn annual_cents(&self) -> i64 {
        match self {
            Item::Contract(c, _) => c.annual_amount().map_or(0, Amount::cents),
            Item::Need(n) => n.annual_amount.cents(),
        }
    }
}

/// From this many CPV nodes on, the engine builds the opportunities on two threads.
const PARALLEL_NODES: usize = 64;

/// Finds the pooling opportunities among `input`, best first.
pub fn find_opportunities(
    input: Input<'_>,
    params: Params,
    config: &PoolingConfig,
    rules: &RuleBook,
    cpv: &CpvNomenclature,
) -> Result<Report, OpportunityError> {
    if params.window_months == 0 {
        return Err(OpportunityError::EmptyWindow);
    }
    if params.min_buyers < 2 {
        return Err(OpportunityError::TooFewBuyers(params.min_buyers));
    }
    let window_end = params.window_end();
    let in_window = |d: NaiveDate| d >= params.as_of && d <= window_end;
    let mut counts = Counts {
        contracts: input.contracts.len(),
        needs: input.needs.len(),
        ..Counts::default()
    };

    // Contracts renewed by a declared need count once, as the need.
    let renewed: std::collections::HashSet<(&Siren, &str)> = input
        .needs
        .iter()
        .filter_map(|n| n.current_contract.as_deref().map(|id| (&n.buyer, id)))
        .collect();

    let mut by_body: BTreeMap<&str, usize> = BTreeMap::new();
    let mut in_groupement = 0;
    let mut nodes: HashMap<u32, Vec<Item<'_>>> = HashMap::new();
    for c in input.contracts {
        let Some(code) = c.cpv else {
            counts.without_cpv += 1;
            continue;
        };
        let Some(ends_on) = c.ends_on else {
            counts.without_end_date += 1;
            continue;
        };
        if !in_window(ends_on) {
            counts.outside_window += 1;
            continue;
        }
        if let Some(body) = c
            .suppliers
            .iter()
            .find_map(|s| config.central_purchasing_body(s))
        {
            *by_body.entry(body.name.as_str()).or_default() += 1;
            continue;
        }
        if c.groupement {
            in_groupement += 1;
            continue;
        }
        if !renewed.is_empty() && renewed.contains(&(&c.buyer, c.id.as_str())) {
            counts.renewed_by_need += 1;
            continue;
        }
        counts.contracts_in_window += 1;
        nodes
            .entry(code.node_digits(params.depth))
            .or_default()
            .push(Item::Contract(c, code));
    }
    for n in input.needs {
        if !in_window(n.desired_start) {
            continue;
        }
        counts.needs_in_window += 1;
        nodes
            .entry(n.cpv.node_digits(params.depth))
            .or_default()
            .push(Item::Need(n));
    }

    let mut excluded: Vec<Exclusion> = by_body
        .into_iter()
        .map(|(body, contracts)| Exclusion {
            reason: "central_purchasing",
            body: Some(body.to_owned()),
            contracts,
            explanation: format!(
                "{contracts} contrat(s) passé(s) par la centrale d'achat {body} : déjà mutualisé(s) \
                 (l'acheteur qui recourt à une centrale d'achat est réputé avoir respecté ses \
                 obligations de publicité et de mise en concurrence, L2113-4)."
            ),
        })
        .collect();
    if in_groupement > 0 {
        excluded.push(Exclusion {
            reason: "groupement",
            body: None,
            contracts: in_groupement,
            explanation: format!(
                "{in_groupement} contrat(s) déjà passé(s) dans un groupement de commandes \
                 (L2113-6 à L2113-8)."
            ),
        });
    }

    // Every node is ranked from its items alone, which is cheap; only the best `limit` are
    // then built in full.
    let mut ranked: Vec<(Rank, Vec<Item<'_>>)> = nodes
        .into_values()
        .filter_map(|items| Some((rank(&items, params, config, cpv)?, items)))
        .collect();
    ranked.sort_by(|(a, _), (b, _)| a.order(b));
    if let Some(limit) = params.limit {
        ranked.truncate(limit);
    }
    // The nodes are independent: over many of them, every other one is built on a second
    // thread; the two halves are put back in rank order below.
    let build_every_other = |first: usize| -> Result<Vec<Opportunity>, OpportunityError> {
        ranked
            .iter()
            .skip(first)
            .step_by(2)
            .map(|(rank, items)| build(rank, items, input, params, config, rules, cpv))
            .collect()
    };
    let (mine, others) = if ranked.len() < PARALLEL_NODES {
        (build_every_other(0)?, build_every_other(1)?)
    } else {
        std::thread::scope(|scope| {
            let others = scope.spawn(|| build_every_other(1));
            let mine = build_every_other(0);
            let others = others
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
            Ok::<_, OpportunityError>((mine?, others?))
        })?
    };
    // Back in rank order: 0, 1, 2… taken in turn from the two halves.
    let mut opportunities = Vec::with_capacity(ranked.len());
    let mut others = others.into_iter();
    for o in mine {
        opportunities.push(o);
        opportunities.extend(others.next());
    }
    Ok(Report {
        as_of: params.as_of,
        depth: params.depth,
        window_months: params.window_months,
        window_end,
        min_buyers: params.min_buyers,
        counts,
        excluded,
        opportunities,
    })
}

/// What ranks a node, worked out from its items alone: the score (and its factors) and the
/// annual amount, then its CPV code.
struct Rank {
    score: u32,
    factors: ScoreFactors,
    annual: i64,
    code: CpvCode,
}

impl Rank {
    /// Best first: higher score, then higher annual amount, then CPV code.
    fn order(&self, other: &Rank) -> std::cmp::Ordering {
        other
            .score
            .cmp(&self.score)
            .then(other.annual.cmp(&self.annual))
            .then(self.code.cmp(&other.code))
    }
}

/// The code a node's items were grouped under: the code of its first item.
fn representative(items: &[Item<'_>]) -> CpvCode {
    match items.first() {
        Some(Item::Contract(_, code)) => *code,
        Some(Item::Need(n)) => n.cpv,
        None => unreachable!("a node is made by pushing an item"),
    }
}

/// The node's rank, or `None` when fewer than `min_buyers` distinct buyers share it.
fn rank(
    items: &[Item<'_>],
    params: Params,
    config: &PoolingConfig,
    cpv: &CpvNomenclature,
) -> Option<Rank> {
    let mut buyers: Vec<&Siren> = items.iter().map(Item::buyer).collect();
    buyers.sort_unstable();
    buyers.dedup();
    if buyers.len() < params.min_buyers {
        return None;
    }
    let representative = representative(items);
    let code = cpv
        .ancestor_at(representative, params.depth)
        .map_or(representative, |e| e.code);
    let family = config.family_of(&representative.prefix(params.depth));
    let annual: i64 = items.iter().map(Item::annual_cents).sum();
    let renewals = items.iter().map(Item::renewal);
    let spread_days = match (renewals.clone().min(), renewals.max()) {
        (Some(first), Some(last)) => (last - first).num_days(),
        _ => 0,
    };
    let window_days = (params.window_end() - params.as_of).num_days().max(1);
    let factors = ScoreFactors {
        amount: amount_factor(annual),
        buyers: ((buyers.len() as f64 - 1.0) / 4.0).clamp(0.0, 1.0),
        alignment: (1.0 - spread_days as f64 / window_days as f64).clamp(0.0, 1.0),
    };
    let raw = config.score.amount * factors.amount
        + config.score.buyers * factors.buyers
        + config.score.alignment * factors.alignment;
    let score = (100.0 * family.weight * raw).round().clamp(0.0, 100.0) as u32;
    Some(Rank {
        score,
        factors,
        annual,
        code,
    })
}

fn build(
    rank: &Rank,
    items: &[Item<'_>],
    input: Input<'_>,
    params: Params,
    config: &PoolingConfig,
    rules: &RuleBook,
    cpv: &CpvNomenclature,
) -> Result<Opportunity, OpportunityError> {
    let representative = representative(items);
    // The node's own entry; a node missing from the nomenclature (none is, in CPV 2008) is
    // named after its digits.
    let prefix = representative.prefix(params.depth);
    let entry = cpv.ancestor_at(representative, params.depth);
    let code = entry.map_or(representative, |e| e.code);
    let node = CpvNode {
        code,
        prefix: prefix.clone(),
        label: entry.map_or_else(|| format!("CPV {prefix}"), |e| e.label_fr.clone()),
        depth: params.depth.min(representative.depth()),
    };
    debug_assert_eq!(code, rank.code);
    let family = config.family_of(&prefix);
    // Works are division 45 of the CPV; everything else is supplies and services.
    let nature = if prefix.starts_with("45") {
        Nature::Works
    } else {
        Nature::SuppliesAndServices
    };

    // Members, in order of their annual amount.
    let mut shares: BTreeMap<&Siren, BuyerShare> = BTreeMap::new();
    let published = published_names(items);
    for item in items {
        let siren = item.buyer();
        let share = shares.entry(siren).or_insert_with(|| {
            let (name, kind) = buyer_identity(siren, &published, input);
            BuyerShare {
                siren: siren.clone(),
                name,
                kind,
                annual_amount_cents: 0,
                contracts: Vec::new(),
                needs: Vec::new(),
            }
        });
        let annual = item.annual_cents();
        share.annual_amount_cents += annual;
        match item {
            Item::Contract(c, code) => share.contracts.push(ContractLine {
                id: c.id.clone(),
                record_id: c.record_id,
                object: c.object.clone(),
                cpv: *code,
                ends_on: c.ends_on.unwrap_or(params.as_of),
                amount_cents: c.amount.map(Amount::cents),
                duration_months: c.duration_months,
                annual_amount_cents: annual,
            }),
            Item::Need(n) => share.needs.push(NeedLine {
                description: n.description.clone(),
                cpv: n.cpv,
                desired_start: n.desired_start,
                annual_amount_cents: annual,
                current_contract: n.current_contract.clone(),
            }),
        }
    }
    let mut buyers: Vec<BuyerShare> = shares.into_values().collect();
    for b in &mut buyers {
        b.contracts
            .sort_by(|x, y| x.ends_on.cmp(&y.ends_on).then(x.id.cmp(&y.id)));
        b.needs.sort_by_key(|x| x.desired_start);
    }
    buyers.sort_by(|a, b| {
        b.annual_amount_cents
            .cmp(&a.annual_amount_cents)
            .then(a.siren.cmp(&b.siren))
    });
    let annual = rank.annual;
    let duration = config.duration_months;
    let over_duration = |annual: i64| annual.saturating_mul(i64::from(duration)) / 12;
    let total = over_duration(annual);

    // The procedure the pooled purchase requires, first with the rules of `as_of`, to know its
    // lead time; the common start cannot come before it.
    let buyer_kind = pooled_buyer_kind(&buyers);
    let first = rules.procedure_for(nature, Amount::from_cents(total), buyer_kind, params.as_of)?;
    let earliest_start = first_of_month_on_or_after(add_months(
        params.as_of,
        config.lead_times.months(first.procedure),
    ));
    let renewals: Vec<NaiveDate> = items.iter().map(Item::renewal).collect();
    let proposed_start = common_start(&renewals, earliest_start);
    let launch_on =
        sub_months(proposed_start, config.lead_times.months(first.procedure)).max(params.as_of);

    let pooled_decision =
        rules.procedure_for(nature, Amount::from_cents(total), buyer_kind, launch_on)?;
    let pooled = choice(&pooled_decision);
    // Each member alone: the same thresholds for every member of a kind, looked up once.
    let mut thresholds: Vec<(BuyerKind, ProcedureThresholds)> = Vec::with_capacity(2);
    let mut alone = Vec::with_capacity(buyers.len());
    for b in &buyers {
        let at = match thresholds.iter().position(|(kind, _)| *kind == b.kind) {
            Some(at) => at,
            None => {
                thresholds.push((
                    b.kind,
                    rules.procedure_thresholds(nature, b.kind, launch_on)?,
                ));
                thresholds.len() - 1
            }
        };
        let t = &thresholds[at].1;
        let estimated = over_duration(b.annual_amount_cents);
        let procedure = t.procedure_for(Amount::from_cents(estimated));
        alone.push(AloneProcedure {
            siren: b.siren.clone(),
            name: b.name.clone(),
            estimated_cents: estimated,
            procedure,
            label: procedure.label(),
            rules: applied_rules(t, procedure),
        });
    }
    let threshold_crossed = alone.iter().any(|a| a.procedure < pooled.procedure);

    let bridging = bridging_lines(items, &buyers, proposed_start);

    let Rank { score, factors, .. } = *rank;

    let savings = savings(annual, family, &buyers, duration, &config.duration_source);

    let contract_count: usize = buyers.iter().map(|b| b.contracts.len()).sum();
    let need_count: usize = buyers.iter().map(|b| b.needs.len()).sum();
    let mut reasons = vec![
        format!(
            "Famille « {} » : {} (poids {}).",
            family.label,
            family.rationale,
            decimal2(family.weight)
        ),
        format!(
            "{} acheteurs : {}.",
            buyers.len(),
            buyers
                .iter()
                .map(|b| b.name.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ),
        format!(
            "Montant annuel cumulé : {} ({} contrat(s) en cours, {} besoin(s) déclaré(s)).",
            Amount::from_cents(annual),
            contract_count,
            need_count
        ),
    ];
    if let (Some(first), Some(last)) = (renewals.iter().min(), renewals.iter().max()) {
        reasons.push(format!(
            "Échéances du {} au {} : {} mois d'écart sur une fenêtre de {} mois.",
            french_date(*first),
            french_date(*last),
            months_between(*first, *last).abs(),
            params.window_months
        ));
    }
    reasons.push(format!(
        "Début commun proposé : {} ; {}.",
        french_date(proposed_start),
        bridging_summary(&bridging)
    ));
    reasons.push(procedure_reason(&pooled, &alone, duration));
    reasons.push(format!(
        "Économie estimée : {} à {} par an ({} à {} %).",
        Amount::from_cents(savings.low_cents),
        Amount::from_cents(savings.high_cents),
        savings.low_percent,
        savings.high_percent
    ));
    reasons.push(format!(
        "Score {score}/100 = poids de la famille {} × ({} × montant {} + {} × acheteurs {} + {} × alignement des dates {}).",
        decimal2(family.weight),
        decimal2(config.score.amount),
        decimal2(factors.amount),
        decimal2(config.score.buyers),
        decimal2(factors.buyers),
        decimal2(config.score.alignment),
        decimal2(factors.alignment),
    ));

    Ok(Opportunity {
        cpv: node,
        nature,
        family: FamilyRef {
            id: family.id.clone(),
            label: family.label.clone(),
            weight: family.weight,
        },
        buyers,
        annual_amount_cents: annual,
        proposed_duration_months: duration,
        total_amount_cents: total,
        proposed_start,
        bridging,
        procedure: ProcedureEffect {
            launch_on,
            alone,
            pooled,
            threshold_crossed,
        },
        savings,
        score,
        score_factors: factors,
        reasons,
    })
}

/// The published names of each buyer among `items`, with how often each appears.
fn published_names<'a>(items: &[Item<'a>]) -> HashMap<&'a Siren, BTreeMap<&'a str, usize>> {
    let mut names: HashMap<&Siren, BTreeMap<&str, usize>> = HashMap::new();
    for item in items {
        if let Item::Contract(c, _) = item
            && let Some(name) = c
                .buyer_name
                .as_deref()
                .map(str::trim)
                .filter(|n| !n.is_empty())
        {
            *names.entry(&c.buyer).or_default().entry(name).or_default() += 1;
        }
    }
    names
}

/// The buyer's name and kind: what the caller knows, else its most frequent published name,
/// else the SIREN.
fn buyer_identity(
    siren: &Siren,
    published: &HashMap<&Siren, BTreeMap<&str, usize>>,
    input: Input<'_>,
) -> (String, BuyerKind) {
    if let Some(info) = input.buyers.get(siren) {
        return (info.name.clone(), info.kind);
    }
    let name = published
        .get(siren)
        .and_then(|names| {
            names
                .iter()
                .max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0)))
                .map(|(n, _)| (*n).to_owned())
        })
        .unwrap_or_else(|| format!("SIREN {siren}"));
    (name, BuyerKind::LocalAuthority)
}

/// The State's lower thresholds apply when any member is a State body.
fn pooled_buyer_kind(buyers: &[BuyerShare]) -> BuyerKind {
    if buyers.iter().any(|b| b.kind == BuyerKind::State) {
        BuyerKind::State
    } else {
        BuyerKind::LocalAuthority
    }
}

/// The thresholds that place an amount in `procedure`: the one it reaches, then the one it
/// stays below (as [`ProcedureDecision`] gives them).
fn applied_rules(t: &ProcedureThresholds, procedure: Procedure) -> Vec<AppliedRule> {
    match procedure {
        Procedure::NoPublicity => vec![AppliedRule::from(&t.no_publicity)],
        Procedure::Adapted => vec![AppliedRule::from(&t.no_publicity), AppliedRule::from(&t.eu)],
        Procedure::Formal => vec![AppliedRule::from(&t.eu)],
    }
}

impl From<&crate::rules::AppliedThreshold> for AppliedRule {
    fn from(a: &crate::rules::AppliedThreshold) -> AppliedRule {
        AppliedRule {
            rule_id: a.rule_id.clone(),
            value_cents: a.value.cents(),
            source: a.source.clone(),
        }
    }
}

fn choice(decision: &ProcedureDecision) -> ProcedureChoice {
    ProcedureChoice {
        estimated_cents: decision.estimated.cents(),
        procedure: decision.procedure,
        label: decision.procedure.label().to_owned(),
        rules: decision
            .lower
            .iter()
            .chain(decision.upper.iter())
            .map(AppliedRule::from)
            .collect(),
        explanation: decision.explanation(),
    }
}

/// The first day of a month, on or after `earliest`, that asks the least bridging in total
/// (the sum over contracts and needs of the months each must move); the earliest such day on a
/// tie. Candidates are the first days of the months in which members need the new contract.
fn common_start(renewals: &[NaiveDate], earliest: NaiveDate) -> NaiveDate {
    let mut candidates: Vec<NaiveDate> = renewals
        .iter()
        .map(|d| first_of_month_on_or_after(*d).max(earliest))
        .collect();
    candidates.sort_unstable();
    candidates.dedup();
    candidates
        .into_iter()
        .min_by_key(|c| {
            let cost: i64 = renewals
                .iter()
                .map(|r| i64::from(months_between(*r, *c).abs()))
                .sum();
            (cost, *c)
        })
        .unwrap_or(earliest)
}

fn bridging_lines(items: &[Item<'_>], buyers: &[BuyerShare], start: NaiveDate) -> Vec<Bridging> {
    let names: HashMap<&Siren, &str> = buyers.iter().map(|b| (&b.siren, b.name.as_str())).collect();
    let name_of = |siren: &Siren| {
        names
            .get(siren)
            .map_or_else(|| siren.to_string(), |n| (*n).to_owned())
    };
    let mut lines: Vec<Bridging> = items
        .iter()
        .map(|item| {
            let renewal = item.renewal();
            let months = months_between(renewal, start);
            let action = match months.cmp(&0) {
                std::cmp::Ordering::Greater => "extend",
                std::cmp::Ordering::Less => "shorten",
                std::cmp::Ordering::Equal => "none",
            };
            let (kind, reference, date) = match item {
                Item::Contract(c, _) => ("contract", c.id.clone(), c.ends_on.unwrap_or(renewal)),
                Item::Need(n) => ("need", n.description.clone(), n.desired_start),
            };
            Bridging {
                siren: item.buyer().clone(),
                name: name_of(item.buyer()),
                item: kind,
                reference,
                date,
                months,
                action,
            }
        })
        .collect();
    lines.sort_by(|a, b| a.date.cmp(&b.date).then(a.reference.cmp(&b.reference)));
    lines
}

fn bridging_summary(lines: &[Bridging]) -> String {
    let extend = lines.iter().filter(|l| l.action == "extend").count();
    let shorten = lines.iter().filter(|l| l.action == "shorten").count();
    let longest = lines.iter().map(|l| l.months.abs()).max().unwrap_or(0);
    if extend == 0 && shorten == 0 {
        "aucun contrat à ajuster".to_owned()
    } else {
        format!(
            "{extend} contrat(s) ou besoin(s) à prolonger ou décaler, {shorten} à raccourcir ou avancer, {longest} mois au plus"
        )
    }
}

fn procedure_reason(pooled: &ProcedureChoice, alone: &[AloneProcedure], duration: u32) -> String {
    let lighter: Vec<String> = alone
        .iter()
        .filter(|a| a.procedure < pooled.procedure)
        .map(|a| format!("{} ({})", a.name, a.label))
        .collect();
    let threshold = pooled
        .rules
        .first()
        .map(|r| {
            format!(
                ", seuil {} ({})",
                Amount::from_cents(r.value_cents),
                r.source
            )
        })
        .unwrap_or_default();
    let base = format!(
        "Ensemble, sur {duration} mois, {} : {}{threshold}",
        Amount::from_cents(pooled.estimated_cents),
        pooled.label
    );
    if lighter.is_empty() {
        format!("{base} ; aucun membre ne passerait seul par une procédure plus légère.")
    } else {
        format!(
            "{base} ; seuls, {} : la mutualisation fait franchir un seuil.",
            lighter.join(", ")
        )
    }
}

fn savings(
    annual: i64,
    family: &Family,
    buyers: &[BuyerShare],
    duration: u32,
    duration_source: &str,
) -> Savings {
    let rate = |percent: u32| annual.saturating_mul(i64::from(percent)) / 100;
    let without_amount = buyers
        .iter()
        .flat_map(|b| &b.contracts)
        .filter(|c| c.amount_cents.is_none())
        .count();
    let mut assumptions = vec![
        format!(
            "Taux de {} à {} % appliqué au montant annuel cumulé, famille « {} » ; source : {}.",
            family.savings_low_percent, family.savings_high_percent, family.label, family.source
        ),
        "Montant annuel d'un contrat : son montant après modifications × 12 / sa durée en mois \
         (un contrat de moins d'un an compte pour une année) ; pour un accord-cadre, c'est le \
         montant maximum publié."
            .to_owned(),
        format!("Durée proposée pour le marché mutualisé : {duration} mois ({duration_source})."),
        "L'économie baisse là où l'offre est concentrée (peu de fournisseurs) ; elle n'est pas \
         garantie et se vérifie à l'attribution."
            .to_owned(),
    ];
    if without_amount > 0 {
        assumptions.push(format!(
            "{without_amount} contrat(s) sans montant publié comptent pour 0 €."
        ));
    }
    Savings {
        low_cents: rate(family.savings_low_percent),
        high_cents: rate(family.savings_high_percent),
        low_percent: family.savings_low_percent,
        high_percent: family.savings_high_percent,
        source: family.source.clone(),
        assumptions,
    }
}

/// 0 at 10 000 € a year or less, 1 at 10 M€ a year or more, logarithmic in between.
fn amount_factor(annual_cents: i64) -> f64 {
    let euros = annual_cents as f64 / 100.0;
    if euros <= 10_000.0 {
        return 0.0;
    }
    ((euros / 10_000.0).log10() / 3.0).clamp(0.0, 1.0)
}

fn add_months(date: NaiveDate, months: u32) -> NaiveDate {
    date.checked_add_months(Months::new(months))
        .unwrap_or(NaiveDate::MAX)
}

fn sub_months(date: NaiveDate, months: u32) -> NaiveDate {
    date.checked_sub_months(Months::new(months))
        .unwrap_or(NaiveDate::MIN)
}

fn first_of_month_on_or_after(date: NaiveDate) -> NaiveDate {
    if date.day() == 1 {
        return date;
    }
    date.with_day(1)
        .and_then(|d| d.checked_add_months(Months::new(1)))
        .unwrap_or(date)
}

/// Whole months from `from` to `to`, rounded to the nearest (negative when `to` is earlier).
pub fn months_between(from: NaiveDate, to: NaiveDate) -> i32 {
    let days = (to - from).num_days() as f64;
    (days / 30.436_875).round() as i32
}

const MONTHS_FR: [&str; 12] = [
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
];

/// "1er janvier 2020", "7 décembre 2019".
pub fn french_date(date: NaiveDate) -> String {
    let day = if date.day() == 1 {
        "1er".to_owned()
    } else {
        date.day().to_string()
    };
    format!(
        "{day} {} {}",
        MONTHS_FR[date.month0() as usize],
        date.year()
    )
}

/// "0,95".
fn decimal2(x: f64) -> String {
    format!("{x:.2}").replace('.', ",")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("date")
    }

    #[test]
    fn the_common_start_minimises_the_months_moved() {
        // Two contracts renew in December 2019 and one in February 2020: December is best.
        let renewals = [d("2019-12-08"), d("2019-12-11"), d("2020-02-02")];
        assert_eq!(common_start(&renewals, d("2019-01-01")), d("2020-01-01"));
        // Not before the procedure can be run.
        assert_eq!(common_start(&renewals, d("2020-03-01")), d("2020-03-01"));
    }

    #[test]
    fn months_between_is_signed_and_rounded() {
        assert_eq!(months_between(d("2020-01-01"), d("2020-03-01")), 2);
        assert_eq!(months_between(d("2020-03-01"), d("2020-01-01")), -2);
        assert_eq!(months_between(d("2020-01-01"), d("2020-01-10")), 0);
    }

    #[test]
    fn amount_factor_is_logarithmic_between_ten_thousand_and_ten_million() {
        assert_eq!(amount_factor(1_000_000), 0.0);
        assert!((amount_factor(1_000_000_000) - 1.0).abs() < 1e-9);
        let mid = amount_factor(31_622_777); // ~316 k€: halfway on a log scale
        assert!((mid - 0.5).abs() < 0.01, "{mid}");
    }

    #[test]
    fn french_dates() {
        assert_eq!(french_date(d("2020-01-01")), "1er janvier 2020");
        assert_eq!(french_date(d("2019-12-07")), "7 décembre 2019");
    }
}
