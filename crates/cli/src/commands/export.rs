//! `mutualis export decp|ocds`: the open-data publications of the contracts stored.

use mutualis_app::{Clock, SystemClock};
use std::fs::File;
use std::io::Write;
use std::path::Path;

use anyhow::Context;
use chrono::NaiveDate;
use mutualis_domain::{Contract, Siret};
use mutualis_formats::decp_write::{self, WriteStats};
use mutualis_formats::ocds::{self, OcdsOptions, ReleaseInput};
use mutualis_reference::cpv::nomenclature;
use mutualis_reference::rules::rule_book;
use mutualis_storage::{Database, TerritoryWide};

use crate::config::{DecpFormatArg, Global};

/// Where the publication goes: a file, or standard output.
fn output(out: Option<&Path>) -> anyhow::Result<Box<dyn Write>> {
    Ok(match out {
        Some(path) => Box::new(std::io::BufWriter::new(
            File::create(path)
                .with_context(|| format!("impossible de créer « {} »", path.display()))?,
        )),
        None => Box::new(std::io::stdout().lock()),
    })
}

/// What is published: the contracts stored for `buyer` (or all) since `since`, the members'
/// shares of a groupement left out, then each awarded groupement lot as one contract under its
/// coordinator with the members as co-buyers.
struct Published {
    contracts: Vec<Contract>,
    /// One per entry of `contracts`: the other buyers of a groupement's contract.
    co_buyers: Vec<Vec<Siret>>,
    /// Groupements whose coordinator has no SIRET.
    without_siret: Vec<String>,
}

async fn stored(
    global: &Global,
    buyer: Option<&Siret>,
    since: Option<NaiveDate>,
) -> anyhow::Result<Published> {
    let db = Database::open(&global.database_url).await?;
    let wide = TerritoryWide::for_operator_command_line;
    let records = db
        .contracts_for_export(wide(), buyer, since, nomenclature())
        .await?;
    let groupements = db
        .groupement_publications(wide(), buyer, since, nomenclature())
        .await?;
    db.close().await;
    let mut co_buyers = vec![Vec::new(); records.len()];
    let mut contracts: Vec<Contract> = records.into_iter().map(|r| r.contract).collect();
    for p in groupements.records {
        contracts.push(p.contract);
        co_buyers.push(p.co_buyers);
    }
    Ok(Published {
        contracts,
        co_buyers,
        without_siret: groupements.without_siret,
    })
}

fn report_without_siret(published: &Published) -> anyhow::Result<()> {
    let mut report = std::io::stderr().lock();
    for g in &published.without_siret {
        writeln!(
            report,
            "  groupement {g} : coordonnateur sans SIRET connu, attribution non publiée"
        )?;
    }
    Ok(())
}

/// Whether DECP publication applies (R2196-1): amount at or above the threshold in force on
/// the notification date. A contract without amount or date cannot be judged and is kept, so
/// that the exporter names what it lacks.
fn above_threshold(c: &Contract) -> bool {
    match (c.amount, c.notified_on.or(c.starts_on)) {
        (Some(amount), Some(date)) => rule_book()
            .decp_publication_required(amount, date)
            .unwrap_or(true),
        _ => true,
    }
}

pub async fn decp(
    global: &Global,
    format: DecpFormatArg,
    buyer: Option<&Siret>,
    since: Option<NaiveDate>,
    out: Option<&Path>,
) -> anyhow::Result<()> {
    let all = stored(global, buyer, since).await?;
    let (published, below): (Vec<&Contract>, Vec<&Contract>) =
        all.contracts.iter().partition(|c| above_threshold(c));
    let mut writer = output(out)?;
    let stats: WriteStats = match format {
        DecpFormatArg::Json => decp_write::write_json(published.iter().copied(), &mut writer)?,
        DecpFormatArg::Xml => decp_write::write_xml(published.iter().copied(), &mut writer)?,
    };
    writer.flush()?;
    let mut report = std::io::stderr().lock();
    writeln!(
        report,
        "DECP 2.0 : {} marché(s) et {} concession(s) publiés ; {} sous le seuil de publication ; {} incomplet(s) non publiés.",
        stats.marches,
        stats.concessions,
        below.len(),
        stats.skipped.len()
    )?;
    for s in &stats.skipped {
        writeln!(
            report,
            "  {} {} : manque {}",
            s.buyer,
            s.id,
            s.missing.join(", ")
        )?;
    }
    drop(report);
    report_without_siret(&all)
}

pub async fn ocds(
    global: &Global,
    prefix: &str,
    buyer: Option<&Siret>,
    uri: &str,
    out: Option<&Path>,
) -> anyhow::Result<()> {
    let all = stored(global, buyer, None).await?;
    let mut options = OcdsOptions::new(uri, "Mutualis", SystemClock.now().fixed_offset());
    options.ocid_prefix = prefix.to_owned();
    options.license = Some("https://www.etalab.gouv.fr/licence-ouverte-open-licence".into());
    let mut writer = output(out)?;
    let inputs = all
        .contracts
        .iter()
        .zip(&all.co_buyers)
        .map(|(contract, co_buyers)| ReleaseInput {
            contract,
            co_buyers,
        });
    let n = ocds::write_release_package(inputs, &ocds::no_names, &options, &mut writer)?;
    writer.flush()?;
    writeln!(std::io::stderr(), "OCDS 1.1 : {n} publication(s).")?;
    report_without_siret(&all)
}
