//! Is a contract's data what it says? Three checks, each a flag on the contract with its level
//! and its reason in French, which the opportunity engine and the pages read:
//!
//! - placeholders (`placeholders.rs`): an operator that stands for "no titulaire" (a SIRET of
//!   one repeated digit, "PAS DE CANDIDAT", "INFRUCTUEUX"…) is not an organisation; an amount
//!   that stands for "unknown" (999 999 999 €, 0 €, 1 € over a year) is no amount;
//! - implausible amounts (`model.rs`): the amount per month against the contracts of the same
//!   kind (CPV division, works/supplies/services, buyer category, population band), by the
//!   median absolute deviation of the log amount, as decp.info does;
//! - works published as supplies or services (`works.rs`): a contract whose CCAG or object
//!   says works counts as works whatever its CPV.
//!
//! Pure: the rules are a [`PlausibilityRules`] (data with its sources, `data/rules/
//! plausibility.toml`, loaded by `mutualis-reference`), the population of contracts is the
//! caller's, and the answer depends on nothing else.

use serde::Serialize;

mod model;
pub mod placeholders;
mod rules;
pub mod works;

pub use model::{AmountSample, BuyerProfile, PurchaseType, assess_amounts, implausible_amounts};
pub use rules::{
    BuyerCategory, ModelRules, PlaceholderRules, PlausibilityRules, PopulationBand, WorksRules,
};

/// What a flag says is wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FlagKind {
    /// The amount stands for "unknown": the engine takes the contract as having no amount.
    PlaceholderAmount,
    /// A titulaire stands for "no titulaire": not linked to an organisation.
    PlaceholderOperator,
    /// The amount is far above those of comparable contracts.
    ImplausibleAmount,
}

impl FlagKind {
    pub const ALL: [FlagKind; 3] = [
        FlagKind::PlaceholderAmount,
        FlagKind::PlaceholderOperator,
        FlagKind::ImplausibleAmount,
    ];

    /// Stored and published by this code.
    pub fn code(self) -> &'static str {
        match self {
            FlagKind::PlaceholderAmount => "placeholder_amount",
            FlagKind::PlaceholderOperator => "placeholder_operator",
            FlagKind::ImplausibleAmount => "implausible_amount",
        }
    }

    pub fn from_code(code: &str) -> Option<FlagKind> {
        FlagKind::ALL.into_iter().find(|k| k.code() == code)
    }

    pub fn label_fr(self) -> &'static str {
        match self {
            FlagKind::PlaceholderAmount => "montant fictif",
            FlagKind::PlaceholderOperator => "titulaire fictif",
            FlagKind::ImplausibleAmount => "montant invraisemblable",
        }
    }
}

/// How sure the flag is: decp.info's two levels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FlagLevel {
    /// Worth a look; the amount still counts.
    Suspect,
    /// Not a real figure; the amount does not count.
    Aberrant,
}

impl FlagLevel {
    pub fn code(self) -> &'static str {
        match self {
            FlagLevel::Suspect => "suspect",
            FlagLevel::Aberrant => "aberrant",
        }
    }

    pub fn from_code(code: &str) -> Option<FlagLevel> {
        [FlagLevel::Suspect, FlagLevel::Aberrant]
            .into_iter()
            .find(|l| l.code() == code)
    }

    pub fn label_fr(self) -> &'static str {
        match self {
            FlagLevel::Suspect => "suspect",
            FlagLevel::Aberrant => "aberrant",
        }
    }
}

/// One thing found wrong with a contract.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct ContractFlag {
    pub kind: FlagKind,
    pub level: FlagLevel,
    /// In French: what was seen and against what.
    pub reason: String,
}

impl ContractFlag {
    /// Whether the contract's amount must be left out of every figure: a placeholder amount,
    /// or an amount "aberrant" among its peers. A "suspect" amount still counts: four MADs
    /// above the median is rare but real (a large framework agreement, a multi-year works
    /// programme), and leaving it out would understate what the buyers spend.
    pub fn excludes_amount(&self) -> bool {
        match self.kind {
            FlagKind::PlaceholderAmount => true,
            FlagKind::ImplausibleAmount => self.level == FlagLevel::Aberrant,
            FlagKind::PlaceholderOperator => false,
        }
    }

    /// "montant invraisemblable (aberrant) : …".
    pub fn sentence(&self) -> String {
        format!(
            "{} ({}) : {}",
            self.kind.label_fr(),
            self.level.label_fr(),
            self.reason
        )
    }
}

/// The flags of one contract that leave its amount out, if any.
pub fn excluding_flag(flags: &[ContractFlag]) -> Option<&ContractFlag> {
    flags.iter().find(|f| f.excludes_amount())
}

/// Flags a population of contracts' facts in place: each placeholder amount, then each amount
/// implausible among the others (a placeholder amount is no peer). `profile` says what is
/// known of each buyer (its category and population band). Flags already there (a
/// placeholder titulaire found while reading) are kept, and a kind is never flagged twice.
pub fn flag_facts(
    contracts: &mut [crate::opportunity::ContractFacts],
    rules: &PlausibilityRules,
    profile: impl Fn(&crate::ids::Siren) -> BuyerProfile,
) {
    let mut profiles: std::collections::HashMap<&crate::ids::Siren, BuyerProfile> =
        std::collections::HashMap::new();
    let mut samples: Vec<AmountSample> = contracts
        .iter()
        .map(|c| AmountSample {
            amount: c.amount.filter(|_| c.excluding_flag().is_none()),
            duration_months: c.duration_months,
            cpv: c.cpv,
            works: c.works.is_some(),
            concession: c.concession,
            buyer: *profiles
                .entry(&c.buyer)
                .or_insert_with(|| profile(&c.buyer)),
        })
        .collect();
    drop(profiles);
    for (i, flag) in amount_flags(&mut samples, rules) {
        let c = &mut contracts[i];
        if !c.flags.iter().any(|f| f.kind == flag.kind) {
            c.flags.push(flag);
        }
    }
}

/// The amount flags of a population of contracts, each given as its [`AmountSample`] (a few
/// dozen bytes: what a million stored contracts can be reduced to): each placeholder amount
/// (its sample's amount is then cleared, since it is no peer), then each amount implausible
/// among the others. Each flag comes with its sample's index; a sample has at most one.
pub fn amount_flags(
    samples: &mut [AmountSample],
    rules: &PlausibilityRules,
) -> Vec<(usize, ContractFlag)> {
    let mut found = Vec::new();
    for (i, s) in samples.iter_mut().enumerate() {
        if let Some(amount) = s.amount
            && let Some(reason) =
                placeholders::amount_placeholder(amount, s.duration_months, &rules.placeholders)
        {
            s.amount = None;
            found.push((
                i,
                ContractFlag {
                    kind: FlagKind::PlaceholderAmount,
                    level: FlagLevel::Aberrant,
                    reason,
                },
            ));
        }
    }
    found.extend(implausible_amounts(samples, &rules.model));
    found.sort_by_key(|(i, _)| *i);
    found
}
