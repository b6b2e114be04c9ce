//! The pooling parameters of the opportunity engine, from `data/pooling/pooling.toml`:
//! families of purchases (CPV prefixes, poolability weight, savings range and its source),
//! central purchasing bodies, the proposed duration and lead times, the score's weights.

use std::sync::OnceLock;

use mutualis_domain::Siren;
use mutualis_domain::opportunity::{
    CentralPurchasingBody, Family, LeadTimes, PoolingConfig, ScoreWeights,
};
use serde::Deserialize;

/// The pooling file shipped with Mutualis, embedded at build time.
pub const POOLING_TOML: &str = include_str!("../../../data/pooling/pooling.toml");

#[derive(Debug, thiserror::Error)]
pub enum PoolingFileError {
    #[error("fichier de mutualisation : {0}")]
    Toml(#[from] toml::de::Error),
    #[error("fichier de mutualisation, {place} : {message}")]
    Invalid { place: String, message: String },
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    proposal: Proposal,
    score: Score,
    #[serde(default)]
    central_purchasing: Vec<RawBody>,
    #[serde(default)]
    family: Vec<RawFamily>,
    default_family: RawFamily,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Proposal {
    duration_months: u32,
    duration_source: String,
    lead_months_no_publicity: u32,
    lead_months_adapted: u32,
    lead_months_formal: u32,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Score {
    amount: f64,
    buyers: f64,
    alignment: f64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawBody {
    siren: String,
    name: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFamily {
    id: String,
    label: String,
    #[serde(default)]
    prefixes: Vec<String>,
    weight: f64,
    savings_low_percent: u32,
    savings_high_percent: u32,
    source: String,
    rationale: String,
}

fn invalid(place: impl Into<String>, message: impl Into<String>) -> PoolingFileError {
    PoolingFileError::Invalid {
        place: place.into(),
        message: message.into(),
    }
}

fn family(raw: RawFamily, place: String, needs_prefixes: bool) -> Result<Family, PoolingFileError> {
    if !(0.0..=1.0).contains(&raw.weight) {
        return Err(invalid(
            place,
            format!("poids {} hors de 0 à 1", raw.weight),
        ));
    }
    if raw.savings_low_percent > raw.savings_high_percent || raw.savings_high_percent > 100 {
        return Err(invalid(
            place,
            format!(
                "fourchette d'économie {} à {} % invalide",
                raw.savings_low_percent, raw.savings_high_percent
            ),
        ));
    }
    if needs_prefixes && raw.prefixes.is_empty() {
        return Err(invalid(place, "aucun préfixe CPV"));
    }
    if let Some(bad) = raw
        .prefixes
        .iter()
        .find(|p| !(2..=8).contains(&p.len()) || !p.chars().all(|c| c.is_ascii_digit()))
    {
        return Err(invalid(
            place,
            format!("préfixe CPV « {bad} » : de 2 à 8 chiffres attendus"),
        ));
    }
    if raw.source.trim().is_empty() {
        return Err(invalid(place, "source manquante"));
    }
    Ok(Family {
        id: raw.id,
        label: raw.label,
        prefixes: raw.prefixes,
        weight: raw.weight,
        savings_low_percent: raw.savings_low_percent,
        savings_high_percent: raw.savings_high_percent,
        source: raw.source,
        rationale: raw.rationale,
    })
}

/// Parses and checks a pooling file.
pub fn parse_pooling(toml_text: &str) -> Result<PoolingConfig, PoolingFileError> {
    let file: File = toml::from_str(toml_text)?;
    let weights = [file.score.amount, file.score.buyers, file.score.alignment];
    if weights.iter().any(|w| *w < 0.0) || (weights.iter().sum::<f64>() - 1.0).abs() > 1e-9 {
        return Err(invalid(
            "[score]",
            "les poids doivent être positifs et faire 1",
        ));
    }
    if file.proposal.duration_months == 0 {
        return Err(invalid("[proposal]", "durée proposée nulle"));
    }
    let mut families = Vec::with_capacity(file.family.len());
    for (i, raw) in file.family.into_iter().enumerate() {
        let place = format!("famille n° {} « {} »", i + 1, raw.id);
        families.push(family(raw, place, true)?);
    }
    let mut seen = std::collections::HashMap::new();
    for f in &families {
        for p in &f.prefixes {
            if let Some(other) = seen.insert(p.as_str(), f.id.as_str()) {
                return Err(invalid(
                    format!("famille « {} »", f.id),
                    format!("préfixe {p} déjà pris par la famille « {other} »"),
                ));
            }
        }
    }
    let default_family = family(file.default_family, "[default_family]".to_owned(), false)?;
    let central_purchasing = file
        .central_purchasing
        .into_iter()
        .map(|b| {
            let siren = Siren::parse(&b.siren)
                .map_err(|e| invalid(format!("centrale d'achat « {} »", b.name), e.to_string()))?;
            Ok(CentralPurchasingBody {
                siren,
                name: b.name,
            })
        })
        .collect::<Result<Vec<_>, PoolingFileError>>()?;
    Ok(PoolingConfig {
        families,
        default_family,
        central_purchasing,
        duration_months: file.proposal.duration_months,
        duration_source: file.proposal.duration_source,
        lead_times: LeadTimes {
            no_publicity: file.proposal.lead_months_no_publicity,
            adapted: file.proposal.lead_months_adapted,
            formal: file.proposal.lead_months_formal,
        },
        score: ScoreWeights {
            amount: file.score.amount,
            buyers: file.score.buyers,
            alignment: file.score.alignment,
        },
    })
}

/// The pooling parameters shipped with Mutualis.
pub fn pooling() -> &'static PoolingConfig {
    static CONFIG: OnceLock<PoolingConfig> = OnceLock::new();
    CONFIG.get_or_init(|| {
        parse_pooling(POOLING_TOML)
            .expect("data/pooling/pooling.toml, embedded at build time and tested, is valid")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_file_is_valid_and_seeds_ugap() {
        let config = parse_pooling(POOLING_TOML).expect("valid");
        assert!(
            config
                .central_purchasing
                .iter()
                .any(|c| c.siren.as_str() == "776056467" && c.name == "UGAP")
        );
        assert_eq!(config.family_of("9091").id, "cleaning");
        assert_eq!(config.family_of("45233").id, "works");
        assert_eq!(config.family_of("3019").id, "office_supplies");
        assert_eq!(config.family_of("3021").id, "office_it");
        assert_eq!(config.family_of("7999").id, "other");
        assert!(config.family_of("45").weight < config.family_of("09").weight);
    }

    #[test]
    fn a_bad_family_is_refused_with_its_place() {
        let text = POOLING_TOML.replacen("weight = 0.95", "weight = 1.5", 1);
        let err = parse_pooling(&text).expect_err("weight above 1");
        assert_eq!(
            err.to_string(),
            "fichier de mutualisation, famille n° 1 « energy » : poids 1.5 hors de 0 à 1"
        );
        let text = POOLING_TOML.replacen("prefixes = [\"15\", \"03\"]", "prefixes = [\"09\"]", 1);
        let err = parse_pooling(&text).expect_err("duplicate prefix");
        assert!(err.to_string().contains("préfixe 09 déjà pris"), "{err}");
    }
}
