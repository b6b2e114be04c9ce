//! Territories, from `data/territories/<slug>/`: `territory.toml` for the lead body and a
//! CSV of member communes (`code_insee;nom;siren;population_totale;population_municipale`).

use mutualis_domain::{IdError, Organisation, OrganisationKind, Siren, Siret, Territory};
use serde::Deserialize;

/// Grenoble-Alpes-Métropole and its 49 communes, the first territory served.
pub const GRENOBLE_SLUG: &str = "grenoble-alpes-metropole";
const GRENOBLE_TOML: &str =
    include_str!("../../../data/territories/grenoble-alpes-metropole/territory.toml");
const GRENOBLE_MEMBERS: &str =
    include_str!("../../../data/territories/grenoble-alpes-metropole/members.csv");

#[derive(Debug, thiserror::Error)]
pub enum TerritoryFileError {
    #[error("territory.toml : {0}")]
    Toml(#[from] toml::de::Error),
    #[error("territory.toml : type d'organisation « {0} » inconnu")]
    Kind(String),
    #[error("territory.toml : {0}")]
    Id(IdError),
    #[error("fichier des membres, ligne {line} : {message}")]
    Member { line: u64, message: String },
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TerritoryFile {
    lead: LeadSection,
    members: MembersSection,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LeadSection {
    name: String,
    kind: String,
    siren: String,
    siret: String,
    population: Option<u32>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MembersSection {
    #[allow(dead_code)] // names the CSV beside the TOML; the embedded copy is passed directly
    file: String,
    kind: String,
}

#[derive(Deserialize)]
struct MemberRecord {
    code_insee: String,
    nom: String,
    siren: String,
    population_municipale: u32,
}

fn kind(code: &str) -> Result<OrganisationKind, TerritoryFileError> {
    OrganisationKind::from_code(code).ok_or_else(|| TerritoryFileError::Kind(code.to_owned()))
}

/// Parses a territory from its TOML description and its members CSV.
pub fn parse_territory(
    slug: &str,
    toml_text: &str,
    members_csv: &str,
) -> Result<Territory, TerritoryFileError> {
    let file: TerritoryFile = toml::from_str(toml_text)?;
    let siren = Siren::parse(&file.lead.siren).map_err(TerritoryFileError::Id)?;
    let siret = Siret::parse(&file.lead.siret).map_err(TerritoryFileError::Id)?;
    if siret.siren() != siren {
        return Err(TerritoryFileError::Id(IdError::Checksum {
            kind: "SIRET (n'appartient pas au SIREN du territoire)",
            value: siret.to_string(),
        }));
    }
    let lead = Organisation {
        siren,
        name: file.lead.name,
        kind: kind(&file.lead.kind)?,
        insee_code: None,
        population: file.lead.population,
        establishments: vec![siret],
    };
    let member_kind = kind(&file.members.kind)?;
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(b';')
        .from_reader(members_csv.as_bytes());
    let mut members = Vec::new();
    for result in reader.deserialize::<MemberRecord>() {
        let line = members.len() as u64 + 2;
        let record = result.map_err(|e| TerritoryFileError::Member {
            line,
            message: e.to_string(),
        })?;
        let siren = Siren::parse(&record.siren).map_err(|e| TerritoryFileError::Member {
            line,
            message: e.to_string(),
        })?;
        members.push(Organisation {
            siren,
            name: record.nom,
            kind: member_kind,
            insee_code: Some(record.code_insee),
            population: Some(record.population_municipale),
            establishments: Vec::new(),
        });
    }
    Ok(Territory {
        slug: slug.to_owned(),
        lead,
        members,
    })
}

/// Grenoble-Alpes-Métropole as shipped in `data/`.
pub fn grenoble_alpes_metropole() -> Territory {
    parse_territory(GRENOBLE_SLUG, GRENOBLE_TOML, GRENOBLE_MEMBERS)
        .expect("the embedded territory files are valid (checked by the reference crate's tests)")
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    #[test]
    fn grenoble_has_49_communes_of_449_509_inhabitants() {
        let t = grenoble_alpes_metropole();
        assert_eq!(t.lead.siren.as_str(), "200040715");
        assert_eq!(t.lead.establishments[0].as_str(), "20004071500019");
        assert_eq!(t.lead.kind, OrganisationKind::Metropole);
        assert_eq!(t.members.len(), 49);
        assert_eq!(t.members_population(), 449_509);
        assert_eq!(t.lead.population, Some(449_509));
        let sirens: HashSet<_> = t.organisations().map(|o| &o.siren).collect();
        assert_eq!(sirens.len(), 50, "every SIREN is distinct");
        let grenoble = t.members.iter().find(|m| m.name == "Grenoble").unwrap();
        assert_eq!(grenoble.siren.as_str(), "213801855");
        assert_eq!(grenoble.population, Some(156_389));
        assert_eq!(grenoble.insee_code.as_deref(), Some("38185"));
    }

    #[test]
    fn a_bad_member_siren_names_its_line() {
        let csv = "code_insee;nom;siren;population_totale;population_municipale\n\
                   38185;Grenoble;213801855;158601;156389\n\
                   38151;Échirolles;213801518;36926;36708\n";
        let err = parse_territory("t", GRENOBLE_TOML, csv).unwrap_err();
        assert_eq!(
            err.to_string(),
            "fichier des membres, ligne 3 : SIREN « 213801518 » invalide : la clé de contrôle (Luhn) est fausse"
        );
    }

    #[test]
    fn an_unknown_kind_is_refused() {
        let toml = GRENOBLE_TOML.replace("kind = \"metropole\"", "kind = \"empire\"");
        let err = parse_territory("t", &toml, GRENOBLE_MEMBERS).unwrap_err();
        assert!(matches!(err, TerritoryFileError::Kind(k) if k == "empire"));
    }
}
