use anyhow::bail;
use mutualis_domain::amount::group_thousands;
use mutualis_domain::{Organisation, Territory};
use mutualis_reference::territory::{GRENOBLE_SLUG, grenoble_alpes_metropole};
use std::fmt::Write;

use serde::Serialize;

use crate::commands::emit;

use crate::config::{Format, Global};

/// The territory named by the configuration, from the reference data shipped with Mutualis.
pub fn shipped(global: &Global) -> anyhow::Result<Territory> {
    if global.territory != GRENOBLE_SLUG {
        bail!(
            "territoire « {} » inconnu : les territoires livrés sont {GRENOBLE_SLUG}",
            global.territory
        );
    }
    Ok(grenoble_alpes_metropole())
}

#[derive(Serialize)]
struct TerritoryJson<'a> {
    slug: &'a str,
    name: &'a str,
    member_count: usize,
    members_population: u64,
    organisations: Vec<OrganisationJson<'a>>,
}

#[derive(Serialize)]
struct OrganisationJson<'a> {
    role: &'static str,
    #[serde(flatten)]
    organisation: &'a Organisation,
}

pub fn show(global: &Global, format: Format) -> anyhow::Result<()> {
    let mut out = String::new();
    let territory = shipped(global)?;
    match format {
        Format::Json => {
            let json = TerritoryJson {
                slug: &territory.slug,
                name: &territory.lead.name,
                member_count: territory.members.len(),
                members_population: territory.members_population(),
                organisations: territory
                    .organisations()
                    .enumerate()
                    .map(|(i, organisation)| OrganisationJson {
                        role: if i == 0 { "lead" } else { "member" },
                        organisation,
                    })
                    .collect(),
            };
            writeln!(out, "{}", serde_json::to_string_pretty(&json)?)?;
        }
        Format::Table => {
            let lead = &territory.lead;
            let siret = lead
                .establishments
                .first()
                .map(|s| format!(", SIRET {s}"))
                .unwrap_or_default();
            writeln!(out, "{} — SIREN {}{siret}", lead.name, lead.siren)?;
            writeln!(
                out,
                "{} communes membres, population municipale {} habitants\n",
                territory.members.len(),
                group_thousands(territory.members_population())
            )?;
            writeln!(
                out,
                "{:<32} {:<6} {:<9} {:>12}",
                "Commune", "INSEE", "SIREN", "Population"
            )?;
            for m in &territory.members {
                writeln!(
                    out,
                    "{:<32} {:<6} {:<9} {:>12}",
                    m.name,
                    m.insee_code.as_deref().unwrap_or(""),
                    m.siren,
                    m.population
                        .map(|p| group_thousands(u64::from(p)))
                        .unwrap_or_default()
                )?;
            }
        }
    }
    emit(&out)
}
