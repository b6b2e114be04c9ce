//! Organisations (public buyers and, later, suppliers) and the territory they form.

use serde::Serialize;

use crate::ids::{Siren, Siret};

/// What kind of body an organisation is. Stored and exchanged by its `code`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum OrganisationKind {
    Metropole,
    Commune,
    Ccas,
    Syndicate,
    PublicEstablishment,
    Department,
    Region,
    State,
    Company,
    Other,
}

impl OrganisationKind {
    pub const ALL: [OrganisationKind; 10] = [
        OrganisationKind::Metropole,
        OrganisationKind::Commune,
        OrganisationKind::Ccas,
        OrganisationKind::Syndicate,
        OrganisationKind::PublicEstablishment,
        OrganisationKind::Department,
        OrganisationKind::Region,
        OrganisationKind::State,
        OrganisationKind::Company,
        OrganisationKind::Other,
    ];

    /// The stable code used in files, the database and the API.
    pub fn code(self) -> &'static str {
        match self {
            OrganisationKind::Metropole => "metropole",
            OrganisationKind::Commune => "commune",
            OrganisationKind::Ccas => "ccas",
            OrganisationKind::Syndicate => "syndicate",
            OrganisationKind::PublicEstablishment => "public_establishment",
            OrganisationKind::Department => "department",
            OrganisationKind::Region => "region",
            OrganisationKind::State => "state",
            OrganisationKind::Company => "company",
            OrganisationKind::Other => "other",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.code() == code)
    }

    pub fn label_fr(self) -> &'static str {
        match self {
            OrganisationKind::Metropole => "Métropole",
            OrganisationKind::Commune => "Commune",
            OrganisationKind::Ccas => "CCAS",
            OrganisationKind::Syndicate => "Syndicat",
            OrganisationKind::PublicEstablishment => "Établissement public",
            OrganisationKind::Department => "Département",
            OrganisationKind::Region => "Région",
            OrganisationKind::State => "État",
            OrganisationKind::Company => "Entreprise",
            OrganisationKind::Other => "Autre",
        }
    }
}

/// A legal unit, identified by its SIREN.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Organisation {
    pub siren: Siren,
    pub name: String,
    pub kind: OrganisationKind,
    /// INSEE commune code, for communes.
    pub insee_code: Option<String>,
    /// Municipal population (INSEE "population municipale"), for local authorities.
    pub population: Option<u32>,
    /// The establishments known for it (SIRET), head office first.
    pub establishments: Vec<Siret>,
}

/// A territory: a lead body (the métropole, which coordinates) and its member communes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Territory {
    /// A short, stable name for the territory, used in URLs and the database.
    pub slug: String,
    pub lead: Organisation,
    pub members: Vec<Organisation>,
}

impl Territory {
    /// The sum of the members' municipal populations.
    pub fn members_population(&self) -> u64 {
        self.members
            .iter()
            .filter_map(|m| m.population)
            .map(u64::from)
            .sum()
    }

    /// The lead body first, then the members.
    pub fn organisations(&self) -> impl Iterator<Item = &Organisation> {
        std::iter::once(&self.lead).chain(self.members.iter())
    }

    pub fn contains(&self, siren: &Siren) -> bool {
        self.organisations().any(|o| &o.siren == siren)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kind_codes_round_trip() {
        for kind in OrganisationKind::ALL {
            assert_eq!(OrganisationKind::from_code(kind.code()), Some(kind));
        }
        assert_eq!(OrganisationKind::from_code("unknown"), None);
    }

    #[test]
    fn territory_sums_member_populations() {
        let org = |siren: &str, pop| Organisation {
            siren: Siren::parse(siren).unwrap(),
            name: siren.into(),
            kind: OrganisationKind::Commune,
            insee_code: None,
            population: pop,
            establishments: vec![],
        };
        let t = Territory {
            slug: "t".into(),
            lead: org("200040715", Some(10)),
            members: vec![
                org("213801855", Some(156_389)),
                org("213801517", Some(36_708)),
                org("213804214", None),
            ],
        };
        assert_eq!(t.members_population(), 193_097);
        assert_eq!(t.organisations().count(), 4);
        assert!(t.contains(&Siren::parse("213801517").unwrap()));
        assert!(!t.contains(&Siren::parse("356000000").unwrap()));
    }
}
