//! The rules of the checks, as data: `data/rules/plausibility.toml` gives every figure and
//! word list with its source or rationale; `mutualis-reference` builds this from it.

/// Everything the checks need.
#[derive(Debug, Clone, PartialEq)]
pub struct PlausibilityRules {
    pub placeholders: PlaceholderRules,
    pub model: ModelRules,
    pub works: WorksRules,
}

/// What stands for "unknown" or "nobody".
#[derive(Debug, Clone, PartialEq)]
pub struct PlaceholderRules {
    /// Titulaire names (folded: lower case, no accents, one space between words) that say
    /// there is no titulaire: "pas de candidat", "infructueux"…
    pub operator_names: Vec<String>,
    /// An identifier of at least this many digits, all the same, is a placeholder
    /// (00000000000000, 99999999999).
    pub repeated_digit_min_len: usize,
    /// An amount in whole euros written with only 9s and at least this many digits
    /// (999 999, 99 999 999, 999 999 999) is a placeholder.
    pub nines_min_digits: usize,
    /// An amount above zero and at most this (in cents) is symbolic…
    pub symbolic_max_cents: i64,
    /// …and a placeholder when the contract runs at least this many months.
    pub symbolic_min_months: u32,
    /// A zero amount is a placeholder.
    pub zero_is_placeholder: bool,
    pub source: String,
}

/// The implausible-amount model (decp.info's, see `model.rs`).
#[derive(Debug, Clone, PartialEq)]
pub struct ModelRules {
    /// "suspect" beyond this many median absolute deviations above the group's median.
    pub suspect_mads: f64,
    /// "aberrant" beyond this many.
    pub aberrant_mads: f64,
    /// A peer group is used from this many contracts; else the next coarser one.
    pub min_group_size: usize,
    /// Significant digits of the CPV code that make the peer group (2: the division).
    pub cpv_digits: usize,
    /// Supplies and services running more than this many months are compared per month.
    pub monthly_above_months: u32,
    /// Buyer categories, first match wins; a SIREN matching none is of unknown category.
    pub buyer_categories: Vec<BuyerCategory>,
    /// Population bands, in increasing order of `below`; the last has none.
    pub population_bands: Vec<PopulationBand>,
    pub source: String,
}

/// A kind of buyer, recognised by the leading digits of its SIREN.
#[derive(Debug, Clone, PartialEq)]
pub struct BuyerCategory {
    pub code: String,
    pub label: String,
    pub siren_prefixes: Vec<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct PopulationBand {
    pub code: String,
    pub label: String,
    /// Communes of fewer inhabitants than this; `None` for the last band.
    pub below: Option<u32>,
}

/// When a contract published under a supplies or services CPV is works.
#[derive(Debug, Clone, PartialEq)]
pub struct WorksRules {
    /// CCAG values that mean works ("Travaux").
    pub ccag: Vec<String>,
    /// Folded words that name works ("travaux").
    pub object_words: Vec<String>,
    /// A works word right after one of these folded words is about works, not works itself
    /// ("maîtrise d'œuvre pour les travaux").
    pub about_works_before: Vec<String>,
    /// Building trades that make a lot a works lot ("lot 12 plomberie").
    pub lot_trades: Vec<String>,
    /// Folded phrases that make an object a service or a supply whatever else it says
    /// ("maitrise d oeuvre", "fourniture").
    pub not_works: Vec<String>,
    pub rationale: String,
}

impl ModelRules {
    /// The category of a buyer from its SIREN, if the rules know it.
    pub fn category_of(&self, siren: &str) -> Option<usize> {
        self.buyer_categories.iter().position(|c| {
            c.siren_prefixes
                .iter()
                .any(|p| siren.starts_with(p.as_str()))
        })
    }

    /// The band of a commune's population.
    pub fn band_of(&self, population: u32) -> Option<usize> {
        self.population_bands
            .iter()
            .position(|b| b.below.is_none_or(|below| population < below))
    }
}
