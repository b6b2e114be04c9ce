//! The plausibility rules, from `data/rules/plausibility.toml`: placeholders, the
//! implausible-amount model's thresholds, groups and bands (decp.info's, with their source),
//! and the words that make an object works.

use std::sync::OnceLock;

use mutualis_domain::plausibility::{
    BuyerCategory, ModelRules, PlaceholderRules, PlausibilityRules, PopulationBand, WorksRules,
};
use mutualis_domain::text::fold;
use serde::Deserialize;

/// The file shipped with Mutualis, embedded at build time.
pub const PLAUSIBILITY_TOML: &str = include_str!("../../../data/rules/plausibility.toml");

#[derive(Debug, thiserror::Error)]
pub enum PlausibilityFileError {
    #[error("fichier de plausibilité : {0}")]
    Toml(#[from] toml::de::Error),
    #[error("fichier de plausibilité, « {field} » : {message}")]
    Field {
        field: &'static str,
        message: String,
    },
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    placeholders: RawPlaceholders,
    model: RawModel,
    works: RawWorks,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPlaceholders {
    source: String,
    operator_names: Vec<String>,
    repeated_digit_min_len: usize,
    nines_min_digits: usize,
    symbolic_max_euros: i64,
    symbolic_min_months: u32,
    zero_is_placeholder: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawModel {
    source: String,
    suspect_mads: f64,
    aberrant_mads: f64,
    min_group_size: usize,
    cpv_digits: usize,
    monthly_above_months: u32,
    buyer_category: Vec<RawCategory>,
    population_band: Vec<RawBand>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCategory {
    code: String,
    label: String,
    siren_prefixes: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawBand {
    code: String,
    label: String,
    below: Option<u32>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawWorks {
    rationale: String,
    ccag: Vec<String>,
    object_words: Vec<String>,
    about_works_before: Vec<String>,
    lot_trades: Vec<String>,
    not_works: Vec<String>,
}

fn err(field: &'static str, message: impl Into<String>) -> PlausibilityFileError {
    PlausibilityFileError::Field {
        field,
        message: message.into(),
    }
}

/// Folded words, one space between them, as the checks compare them; a word that folds to
/// nothing is refused.
fn folded(field: &'static str, words: Vec<String>) -> Result<Vec<String>, PlausibilityFileError> {
    words
        .into_iter()
        .map(|w| {
            let f = fold(&w).split_whitespace().collect::<Vec<_>>().join(" ");
            if f.is_empty() {
                Err(err(field, format!("« {w} » ne contient aucun mot")))
            } else {
                Ok(f)
            }
        })
        .collect()
}

/// Parses and checks a plausibility file.
pub fn parse_plausibility(text: &str) -> Result<PlausibilityRules, PlausibilityFileError> {
    let file: File = toml::from_str(text)?;
    let p = file.placeholders;
    if p.repeated_digit_min_len < 2 {
        return Err(err("repeated_digit_min_len", "au moins 2 chiffres"));
    }
    if p.nines_min_digits < 2 {
        return Err(err("nines_min_digits", "au moins 2 chiffres"));
    }
    let placeholders = PlaceholderRules {
        operator_names: folded("operator_names", p.operator_names)?,
        repeated_digit_min_len: p.repeated_digit_min_len,
        nines_min_digits: p.nines_min_digits,
        symbolic_max_cents: p
            .symbolic_max_euros
            .checked_mul(100)
            .filter(|c| *c >= 0)
            .ok_or_else(|| err("symbolic_max_euros", "montant hors limites"))?,
        symbolic_min_months: p.symbolic_min_months,
        zero_is_placeholder: p.zero_is_placeholder,
        source: p.source,
    };
    let m = file.model;
    if !(m.suspect_mads > 0.0 && m.aberrant_mads >= m.suspect_mads) {
        return Err(err(
            "aberrant_mads",
            "les seuils doivent être positifs, « aberrant » au moins égal à « suspect »",
        ));
    }
    if m.min_group_size < 2 {
        return Err(err("min_group_size", "au moins 2 contrats"));
    }
    if !(2..=8).contains(&m.cpv_digits) {
        return Err(err("cpv_digits", "de 2 à 8 chiffres"));
    }
    let bands: Vec<PopulationBand> = m
        .population_band
        .into_iter()
        .map(|b| PopulationBand {
            code: b.code,
            label: b.label,
            below: b.below,
        })
        .collect();
    let bounds: Vec<Option<u32>> = bands.iter().map(|b| b.below).collect();
    let increasing = bounds.windows(2).all(|w| match (w[0], w[1]) {
        (Some(a), Some(b)) => a < b,
        (Some(_), None) => true,
        (None, _) => false,
    });
    if bands.is_empty() || !increasing || bounds.last().copied().flatten().is_some() {
        return Err(err(
            "population_band",
            "des bornes croissantes, la dernière tranche sans borne",
        ));
    }
    if m.buyer_category.iter().any(|c| {
        c.siren_prefixes
            .iter()
            .any(|p| p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit()))
    }) {
        return Err(err("siren_prefixes", "des chiffres de début de SIREN"));
    }
    let model = ModelRules {
        suspect_mads: m.suspect_mads,
        aberrant_mads: m.aberrant_mads,
        min_group_size: m.min_group_size,
        cpv_digits: m.cpv_digits,
        monthly_above_months: m.monthly_above_months,
        buyer_categories: m
            .buyer_category
            .into_iter()
            .map(|c| BuyerCategory {
                code: c.code,
                label: c.label,
                siren_prefixes: c.siren_prefixes,
            })
            .collect(),
        population_bands: bands,
        source: m.source,
    };
    let w = file.works;
    let works = WorksRules {
        ccag: w.ccag,
        object_words: folded("object_words", w.object_words)?,
        about_works_before: folded("about_works_before", w.about_works_before)?,
        lot_trades: folded("lot_trades", w.lot_trades)?,
        not_works: folded("not_works", w.not_works)?,
        rationale: w.rationale,
    };
    Ok(PlausibilityRules {
        placeholders,
        model,
        works,
    })
}

/// The rules shipped with Mutualis, parsed once.
pub fn plausibility() -> &'static PlausibilityRules {
    static RULES: OnceLock<PlausibilityRules> = OnceLock::new();
    RULES.get_or_init(|| {
        parse_plausibility(PLAUSIBILITY_TOML)
            .expect("data/rules/plausibility.toml, embedded at build time and tested, is valid")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_file_gives_decp_info_thresholds() {
        let rules = parse_plausibility(PLAUSIBILITY_TOML).unwrap();
        assert_eq!(rules.model.suspect_mads, 4.0);
        assert_eq!(rules.model.aberrant_mads, 6.0);
        assert_eq!(rules.model.min_group_size, 30);
        assert_eq!(rules.model.population_bands.len(), 5);
        assert!(rules.model.source.contains("decp-processing"));
        assert!(
            rules
                .placeholders
                .operator_names
                .contains(&"pas de candidat".to_owned())
        );
        assert!(
            rules
                .works
                .not_works
                .contains(&"maitrise d oeuvre".to_owned())
        );
        // Grenoble's SIREN is a commune's; the métropole's was given after 2000.
        assert_eq!(
            rules
                .model
                .category_of("213801855")
                .map(|i| rules.model.buyer_categories[i].code.as_str()),
            Some("commune")
        );
        assert_eq!(rules.model.band_of(156_389), Some(3));
        assert_eq!(rules.model.band_of(1_999), Some(0));
        assert_eq!(rules.model.band_of(900_000), Some(4));
    }

    #[test]
    fn a_file_with_thresholds_in_the_wrong_order_is_refused_with_the_field() {
        let bad = PLAUSIBILITY_TOML.replace("aberrant_mads = 6.0", "aberrant_mads = 3.0");
        let e = parse_plausibility(&bad).unwrap_err().to_string();
        assert!(e.contains("aberrant_mads"), "{e}");
        let bad = PLAUSIBILITY_TOML.replace("below = 10000", "below = 1000");
        let e = parse_plausibility(&bad).unwrap_err().to_string();
        assert!(e.contains("population_band"), "{e}");
    }
}
