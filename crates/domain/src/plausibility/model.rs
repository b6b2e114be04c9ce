//! Implausible amounts, by decp.info's model (decp-processing, `src/tasks/anomaly.py`,
//! documented in `docs/explications_montants_anormaux.md`):
//!
//! 1. the amount is made comparable: supplies and services running more than a month are
//!    taken per month (amount ÷ duration), works and short contracts whole; then
//!    `x = log10(amount + 1)`;
//! 2. each contract is compared with its peers: the same CPV division, purchase type (works,
//!    supplies, services), buyer category and population band (level 4); when that group has
//!    fewer than the minimum (30), without the band (3), then the type and category only (2),
//!    then the type alone (1); an unknown category or band is a value of its own;
//! 3. within the group, the median `m` of `x` and the median absolute deviation
//!    `mad = median(|x − m|)`; the contract's deviation is `(x − m) / mad` (none when `mad`
//!    is 0): "suspect" above 4, "aberrant" above 6.
//!
//! A concession is compared with concessions only (its own type beside works, supplies and
//! services): its value is the revenue of the whole concession, which no marché's amount
//! resembles.
//!
//! Only high amounts are flagged, as decp.info does: a low amount does not swell a figure, and
//! the symbolic ones are placeholders (`placeholders.rs`). Where Mutualis differs: the price
//! form is not looked at (a flat-price service is taken per month too: its amount still
//! covers its whole duration), the purchase type comes from the CPV division (45 works, 50 and
//! above services, the rest supplies) or from the works evidence of `works.rs`, and the buyer
//! category from the SIREN's leading digits (decp.info reads SIRENE's legal category).
//! decp.info's second signal (amount per inhabitant) is not applied: the population is known
//! only for the territory's communes.
//!
//! Deterministic: the result depends only on the samples as a multiset, not on their order
//! (medians of sorted values, groups by key). Cost: per level, two passes over the samples (to
//! count each group, then to fill it) and a sort per group, one level's values held at a time;
//! about a second per million contracts.

use std::collections::HashMap;

use crate::amount::Amount;
use crate::cpv::{CpvCode, CpvDepth};
use crate::ids::Siren;

use super::{ContractFlag, FlagKind, FlagLevel, ModelRules};

/// Works, supplies or services, as decp.info's `type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PurchaseType {
    Works,
    Supplies,
    Services,
}

impl PurchaseType {
    /// From the CPV division (45 works, 50 and above services, the others supplies), works
    /// whatever the code when `works` says so.
    pub fn of(cpv: Option<CpvCode>, works: bool) -> Option<PurchaseType> {
        if works {
            return Some(PurchaseType::Works);
        }
        let division = cpv?.node_digits(CpvDepth::Division) / 1_000_000;
        Some(match division {
            45 => PurchaseType::Works,
            50.. => PurchaseType::Services,
            _ => PurchaseType::Supplies,
        })
    }

    fn label_fr(self) -> &'static str {
        match self {
            PurchaseType::Works => "travaux",
            PurchaseType::Supplies => "fournitures",
            PurchaseType::Services => "services",
        }
    }
}

/// What the peer groups need to know of a buyer: its category and its population band, as
/// indices in the rules' lists, each unknown allowed (a list longer than 255 entries is not
/// one the rules file would hold: an index beyond is taken as unknown).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BuyerProfile {
    pub category: Option<u8>,
    pub band: Option<u8>,
}

impl BuyerProfile {
    /// The category from the SIREN, the band from the population when it is known.
    pub fn of(siren: &Siren, population: Option<u32>, rules: &ModelRules) -> BuyerProfile {
        BuyerProfile {
            category: rules
                .category_of(siren.as_str())
                .and_then(|c| u8::try_from(c).ok()),
            band: population
                .and_then(|p| rules.band_of(p))
                .and_then(|b| u8::try_from(b).ok()),
        }
    }
}

/// One contract as the model sees it.
#[derive(Debug, Clone, Copy)]
pub struct AmountSample {
    /// `None` (no amount, or a placeholder one): not assessed, and not a peer.
    pub amount: Option<Amount>,
    pub duration_months: Option<u32>,
    pub cpv: Option<CpvCode>,
    /// Works whatever its CPV (`works::works_evidence`).
    pub works: bool,
    /// A concession: compared with concessions only (its value is the whole revenue of the
    /// concession over its duration, not a price paid by the buyer).
    pub concession: bool,
    pub buyer: BuyerProfile,
}

const UNKNOWN: u64 = 0xff;

/// A contract's place in the model: its comparable value and its group at each level.
struct Placed {
    amount: Amount,
    months: Option<u32>,
    per_month: bool,
    x: f64,
    keys: [u64; 4],
}

#[derive(Clone, Copy)]
struct Stats {
    n: usize,
    median: f64,
    mad: f64,
}

/// The implausible-amount flag of each sample (in their order), or `None`.
pub fn assess_amounts(samples: &[AmountSample], rules: &ModelRules) -> Vec<Option<ContractFlag>> {
    let mut out = vec![None; samples.len()];
    for (i, flag) in implausible_amounts(samples, rules) {
        out[i] = Some(flag);
    }
    out
}

/// The implausible amounts among `samples`, each with its sample's index, in index order.
/// Memory: the samples' comparable values, four times (one per level), and the flags found;
/// a contract's place in the model is computed again when it is judged rather than kept.
pub fn implausible_amounts(
    samples: &[AmountSample],
    rules: &ModelRules,
) -> Vec<(usize, ContractFlag)> {
    // One level at a time, each group's values in a vector of its exact size (counted first):
    // a million contracts take 8 MB of values at once, not four levels' worth grown by
    // doubling.
    let mut stats: HashMap<u64, Stats> = HashMap::new();
    for level in 0..4 {
        let mut sizes: HashMap<u64, usize> = HashMap::new();
        for p in samples.iter().filter_map(|s| place(s, rules)) {
            *sizes.entry(p.keys[level]).or_default() += 1;
        }
        let mut groups: HashMap<u64, Vec<f64>> = sizes
            .into_iter()
            .map(|(key, n)| (key, Vec::with_capacity(n)))
            .collect();
        for p in samples.iter().filter_map(|s| place(s, rules)) {
            if let Some(values) = groups.get_mut(&p.keys[level]) {
                values.push(p.x);
            }
        }
        stats.extend(groups.into_iter().map(|(key, mut values)| {
            values.sort_unstable_by(f64::total_cmp);
            let median = median_sorted(&values);
            for v in &mut values {
                *v = (*v - median).abs();
            }
            values.sort_unstable_by(f64::total_cmp);
            let mad = median_sorted(&values);
            (
                key,
                Stats {
                    n: values.len(),
                    median,
                    mad,
                },
            )
        }));
    }
    samples
        .iter()
        .enumerate()
        .filter_map(|(i, s)| Some((i, flag(&place(s, rules)?, s, &stats, rules)?)))
        .collect()
}

fn place(sample: &AmountSample, rules: &ModelRules) -> Option<Placed> {
    let amount = sample.amount.filter(|a| a.cents() > 0)?;
    let kind = PurchaseType::of(sample.cpv, sample.works);
    let months = sample.duration_months;
    let per_month = kind.is_some_and(|k| k != PurchaseType::Works)
        && months.is_some_and(|m| m > rules.monthly_above_months);
    let euros = amount.cents() as f64 / 100.0;
    let value = if per_month {
        euros / f64::from(months.unwrap_or(1))
    } else {
        euros
    };
    let x = (value + 1.0).log10();
    let cpv = sample.cpv.map_or(u64::from(u32::MAX), |c| {
        let digits = rules.cpv_digits.clamp(2, 8) as u32;
        u64::from(c.node_digits(CpvDepth::Finer) / 10u32.pow(8 - digits))
    });
    let kind_key = match kind {
        _ if sample.concession => 3,
        Some(PurchaseType::Works) => 0,
        Some(PurchaseType::Supplies) => 1,
        Some(PurchaseType::Services) => 2,
        None => UNKNOWN,
    };
    let category = sample
        .buyer
        .category
        .map_or(UNKNOWN, |c| u64::from(c.min(0xfe)));
    let band = sample
        .buyer
        .band
        .map_or(UNKNOWN, |b| u64::from(b.min(0xfe)));
    let key = |level: u64, cpv: u64, category: u64, band: u64| {
        level << 60 | cpv << 24 | kind_key << 16 | category << 8 | band
    };
    Some(Placed {
        amount,
        months,
        per_month,
        x,
        keys: [
            key(4, cpv, category, band),
            key(3, cpv, category, UNKNOWN),
            key(2, 0, category, UNKNOWN),
            key(1, 0, UNKNOWN, UNKNOWN),
        ],
    })
}

fn flag(
    placed: &Placed,
    sample: &AmountSample,
    stats: &HashMap<u64, Stats>,
    rules: &ModelRules,
) -> Option<ContractFlag> {
    let (level, group) = placed.keys.iter().enumerate().find_map(|(i, key)| {
        let s = stats.get(key)?;
        (s.n >= rules.min_group_size).then_some((i, *s))
    })?;
    if group.mad <= 0.0 {
        return None;
    }
    let deviation = (placed.x - group.median) / group.mad;
    let flag_level = if deviation > rules.aberrant_mads {
        FlagLevel::Aberrant
    } else if deviation > rules.suspect_mads {
        FlagLevel::Suspect
    } else {
        return None;
    };
    let median = Amount::from_cents((10f64.powf(group.median) - 1.0).max(0.0).round() as i64 * 100);
    let unit = if placed.per_month { " par mois" } else { "" };
    let shown = if placed.per_month {
        let per_month = placed.amount.cents() / i64::from(placed.months.unwrap_or(1).max(1));
        format!(
            "{} sur {} mois, soit {}{unit}",
            placed.amount,
            placed.months.unwrap_or(1),
            Amount::from_cents(per_month / 100 * 100)
        )
    } else {
        placed.amount.to_string()
    };
    Some(ContractFlag {
        kind: FlagKind::ImplausibleAmount,
        level: flag_level,
        reason: format!(
            "{shown} : {} écarts absolus médians au-dessus de la médiane ({median}{unit}) de {} contrats comparables ({})",
            decimal1(deviation),
            group.n,
            describe_group(level, sample, rules)
        ),
    })
}

/// "division CPV 34, fournitures, communes, 10 000 à 49 999 habitants".
fn describe_group(level: usize, sample: &AmountSample, rules: &ModelRules) -> String {
    let mut parts = Vec::new();
    if level <= 1 {
        parts.push(sample.cpv.map_or_else(
            || "sans code CPV".to_owned(),
            |c| format!("CPV {}…", &c.code8()[..rules.cpv_digits.clamp(2, 8)]),
        ));
    }
    parts.push(
        (if sample.concession {
            Some("concessions")
        } else {
            PurchaseType::of(sample.cpv, sample.works).map(PurchaseType::label_fr)
        })
        .unwrap_or("nature inconnue")
        .to_owned(),
    );
    if level <= 2 {
        parts.push(
            sample
                .buyer
                .category
                .and_then(|c| rules.buyer_categories.get(usize::from(c)))
                .map_or_else(
                    || "acheteurs de catégorie inconnue".to_owned(),
                    |c| c.label.clone(),
                ),
        );
    }
    if level == 0 {
        parts.push(
            sample
                .buyer
                .band
                .and_then(|b| rules.population_bands.get(usize::from(b)))
                .map_or_else(|| "population inconnue".to_owned(), |b| b.label.clone()),
        );
    }
    parts.join(", ")
}

fn median_sorted(values: &[f64]) -> f64 {
    let n = values.len();
    if n == 0 {
        return 0.0;
    }
    if n % 2 == 1 {
        values[n / 2]
    } else {
        (values[n / 2 - 1] + values[n / 2]) / 2.0
    }
}

/// "9,3".
fn decimal1(x: f64) -> String {
    format!("{x:.1}").replace('.', ",")
}
