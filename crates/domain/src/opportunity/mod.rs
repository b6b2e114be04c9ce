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
//!
//! This file is the engine; its parameters are in `config.rs`, what it is given in
//! `input.rs`, what it hands back in `report.rs`; the procedures alone and pooled in
//! `procedure.rs`, the savings in `savings.rs`, and the months and French dates in `dates.rs`.

use std::collections::{BTreeMap, HashMap};

use chrono::NaiveDate;

use crate::amount::Amount;
use crate::cpv::{CpvCode, CpvNomenclature};
use crate::ids::Siren;
use crate::need::Need;
use crate::plausibility::FlagKind;
use crate::rules::{BuyerKind, Nature, ProcedureThresholds, RuleBook};

mod config;
mod dates;
mod input;
mod procedure;
mod report;
mod savings;

pub use config::{CentralPurchasingBody, Family, LeadTimes, PoolingConfig, ScoreWeights};
use dates::{add_months, first_of_month_on_or_after, sub_months};
pub use dates::{french_date, months_between};
pub use input::{BuyerInfo, ContractFacts, Input, Params};
use procedure::{applied_rules, choice, procedure_reason};
pub use report::{
    AloneProcedure, AppliedRule, Bridging, BuyerShare, ContractLine, Counts, CpvNode, Exclusion,
    FamilyRef, NeedLine, Opportunity, OpportunityError, ProcedureChoice, ProcedureEffect, Report,
    Savings, ScoreFactors, SetAsideLine,
};
use savings::{amount_factor, savings};

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

/// The set-aside contracts named in a report's exclusion, at most.
const FLAGGED_IDS_NAMED: usize = 5;

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
    // Contracts whose amount is no figure: shown with their node's opportunity, not counted.
    let mut set_aside: HashMap<u32, Vec<&ContractFacts>> = HashMap::new();
    let mut flagged_by: BTreeMap<FlagKind, (usize, Vec<&str>)> = BTreeMap::new();
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
        if let Some(flag) = c.excluding_flag() {
            counts.flagged += 1;
            let (n, ids) = flagged_by.entry(flag.kind).or_default();
            *n += 1;
            if ids.len() < FLAGGED_IDS_NAMED {
                ids.push(c.id.as_str());
            }
            set_aside
                .entry(code.node_digits(params.depth))
                .or_default()
                .push(c);
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

    for (kind, (contracts, ids)) in flagged_by {
        let more = if contracts > ids.len() { ", …" } else { "" };
        excluded.push(Exclusion {
            reason: kind.code(),
            body: None,
            contracts,
            explanation: format!(
                "{contracts} contrat(s) écarté(s) des chiffres, {} ({}{more}) : montrés avec leur \
                 opportunité, ils ne comptent ni dans les montants ni dans les économies.",
                match kind {
                    FlagKind::PlaceholderAmount =>
                        "montant fictif (0 €, 1 € sur un an ou plus, \
                         9 répétés)",
                    _ =>
                        "montant invraisemblable parmi les contrats comparables (plus de 6 \
                         écarts absolus médians au-dessus de leur médiane)",
                },
                ids.join(", ")
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
            .map(|(rank, items)| {
                let aside = set_aside
                    .get(&representative(items).node_digits(params.depth))
                    .map_or(&[][..], Vec::as_slice);
                build(rank, items, aside, input, params, config, rules, cpv)
            })
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

#[allow(clippy::too_many_arguments)]
fn build(
    rank: &Rank,
    items: &[Item<'_>],
    aside: &[&ContractFacts],
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
    // Works are division 45 of the CPV, or a node whose amount is mostly contracts that say
    // they are works (their CCAG or object) under another code; everything else is supplies
    // and services.
    let (nature, nature_reason) = nature_of(&prefix, items, rank.annual);

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
                flags: c.flags.clone(),
                works: c.works.clone(),
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
    let mut set_aside: Vec<SetAsideLine> = aside
        .iter()
        .filter_map(|c| {
            let flag = c.excluding_flag()?.clone();
            let (name, _) = buyer_identity(&c.buyer, &published, input);
            Some(SetAsideLine {
                siren: c.buyer.clone(),
                name,
                id: c.id.clone(),
                record_id: c.record_id,
                object: c.object.clone(),
                cpv: c.cpv?,
                ends_on: c.ends_on,
                amount_cents: c.amount.map(Amount::cents),
                duration_months: c.duration_months,
                flag,
            })
        })
        .collect();
    set_aside.sort_by(|a, b| a.id.cmp(&b.id).then(a.siren.cmp(&b.siren)));

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
    if let Some(reason) = &nature_reason {
        reasons.push(reason.clone());
    }
    if !set_aside.is_empty() {
        let lines: Vec<String> = set_aside.iter().map(SetAsideLine::explanation).collect();
        reasons.push(format!(
            "{} écarté{} des chiffres : {}.",
            if set_aside.len() == 1 {
                "1 contrat".to_owned()
            } else {
                format!("{} contrats", set_aside.len())
            },
            if set_aside.len() == 1 { "" } else { "s" },
            lines.join(" ; ")
        ));
    }
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
        nature_reason,
        set_aside,
    })
}

/// Works when the node is in division 45 of the CPV, or when the contracts that say they are
/// works (`ContractFacts::works`) hold more than half of its annual amount (more than half
/// of its contracts when it has no amount), with the reason in French then.
fn nature_of(prefix: &str, items: &[Item<'_>], annual: i64) -> (Nature, Option<String>) {
    if prefix.starts_with("45") {
        return (Nature::Works, None);
    }
    let contracts: Vec<&ContractFacts> = items
        .iter()
        .filter_map(|i| match i {
            Item::Contract(c, _) => Some(*c),
            Item::Need(_) => None,
        })
        .collect();
    let works: Vec<&ContractFacts> = contracts
        .iter()
        .copied()
        .filter(|c| c.works.is_some())
        .collect();
    let works_annual: i64 = works
        .iter()
        .map(|c| c.annual_amount().map_or(0, Amount::cents))
        .sum();
    let mostly = if annual > 0 {
        works_annual.saturating_mul(2) > annual
    } else {
        works.len() * 2 > contracts.len()
    };
    let Some(first) = works.first().filter(|_| mostly) else {
        return (Nature::SuppliesAndServices, None);
    };
    let share = if annual > 0 {
        format!(
            ", {} % du montant annuel",
            works_annual.saturating_mul(100) / annual
        )
    } else {
        String::new()
    };
    (
        Nature::Works,
        Some(format!(
            "Classé en travaux : {} (contrat {}) ; {} contrat(s) sur {} sont des travaux publiés sous un code CPV de fournitures ou de services{share}.",
            first.works.as_deref().unwrap_or_default(),
            first.id,
            works.len(),
            contracts.len()
        )),
    )
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

/// "0,95".
fn decimal2(x: f64) -> String {
    format!("{x:.2}").replace('.', ",")
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(super) fn d(s: &str) -> NaiveDate {
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
}
