//! `mutualis opportunities`: the opportunity engine over the database, or over DECP files
//! directly (`--decp`), printed as text or as the JSON documented in the README (the wire
//! types of `mutualis_formats::opportunity_json`, which the API answers too).

use mutualis_app::{Clock, SystemClock};
use std::collections::HashMap;
use std::fmt::Write as _;
use std::fs::File;
use std::io::BufReader;
use std::time::Instant;

use anyhow::{Context, bail};
use mutualis_app::opportunities;
use mutualis_domain::opportunity::{
    BuyerInfo, Input, Params, Report, find_opportunities, french_date,
};
use mutualis_domain::{Amount, Siren, Territory};
use mutualis_formats::opportunity_json::OpportunityReport;
use mutualis_import::facts::DecpFacts;
use mutualis_reference::cpv::nomenclature;
use mutualis_reference::pooling::pooling;
use mutualis_reference::rules::rule_book;
use mutualis_reference::territory::{GRENOBLE_SLUG, grenoble_alpes_metropole};
use mutualis_storage::Database;

use crate::commands::emit;
use crate::config::{Format, Global, OpportunitiesArgs};

/// The territory `--territory` names: a shipped slug, or the SIREN of its lead or a member.
fn territory(global: &Global) -> anyhow::Result<Territory> {
    let shipped = grenoble_alpes_metropole();
    if global.territory == GRENOBLE_SLUG {
        return Ok(shipped);
    }
    if let Ok(siren) = Siren::parse(&global.territory) {
        if shipped.contains(&siren) {
            return Ok(shipped);
        }
        bail!("SIREN {siren} : ni la tête ni un membre d'un territoire livré ({GRENOBLE_SLUG})");
    }
    bail!(
        "territoire « {} » inconnu : attendu {GRENOBLE_SLUG} ou le SIREN d'un de ses membres",
        global.territory
    )
}

/// The territory's organisations as the engine's buyers: their names and kinds.
fn territory_buyers(territory: &Territory) -> HashMap<Siren, BuyerInfo> {
    territory
        .organisations()
        .map(|o| (o.siren.clone(), BuyerInfo::from(o)))
        .collect()
}

pub async fn run(global: &Global, args: &OpportunitiesArgs) -> anyhow::Result<()> {
    if args.all && global.territory_given {
        bail!("--all et --territory s'excluent : choisissez tous les acheteurs ou un territoire");
    }
    let params = Params {
        as_of: args.as_of.unwrap_or_else(|| SystemClock.now().date_naive()),
        depth: args.depth.into(),
        window_months: args.window_months,
        min_buyers: args.min_buyers,
        limit: args.top,
    };
    // Timings for the benchmark (`RUST_LOG=timings=info`), never for pass/fail.
    let started = Instant::now();
    let report = if args.decp.is_empty() {
        let db = Database::open(&global.database_url).await?;
        let territory = if args.all {
            None
        } else {
            Some(territory(global)?)
        };
        let inputs = opportunities::operator_inputs(&db, territory.as_ref()).await?;
        db.close().await;
        let input = Input {
            contracts: &inputs.contracts,
            needs: &inputs.needs,
            buyers: &inputs.buyers,
        };
        engine(input, params, started)?
    } else {
        let mut facts = DecpFacts::within(params.as_of, params.window_end());
        let mut files = Vec::with_capacity(args.decp.len());
        for path in &args.decp {
            let file = File::open(path)
                .with_context(|| format!("impossible d'ouvrir {}", path.display()))?;
            if let Ok(metadata) = file.metadata() {
                facts.reserve_for(metadata.len());
            }
            files.push((path, file));
        }
        for (path, file) in files {
            facts
                .add_file(BufReader::with_capacity(1 << 20, file))
                .with_context(|| format!("fichier {}", path.display()))?;
        }
        // Placeholder and implausible amounts, over every contract read (the peers of each),
        // the served territory giving its communes' population.
        let flagging = Instant::now();
        facts.flag(Some(&territory(global)?));
        tracing::info!(target: "timings", "flagged in {:?}", flagging.elapsed());
        let (buyers, contracts) = if global.territory_given {
            let t = territory(global)?;
            let contracts = std::mem::take(&mut facts.contracts)
                .into_iter()
                .filter(|c| t.contains(&c.buyer))
                .collect();
            (territory_buyers(&t), contracts)
        } else {
            (HashMap::new(), std::mem::take(&mut facts.contracts))
        };
        let input = Input {
            contracts: &contracts,
            needs: &[],
            buyers: &buyers,
        };
        let report = engine(input, params, started)?;
        // The command ends once the report is printed: the memory goes back with the process,
        // instead of a million contracts and keys being freed one by one (a tenth of a second
        // or more over a large file).
        std::mem::forget(contracts);
        std::mem::forget(facts);
        report
    };
    match args.format {
        Format::Json => {
            let json = OpportunityReport::try_from(&report)?;
            emit(&(serde_json::to_string_pretty(&json)? + "\n"))
        }
        Format::Table => emit(&table(&report)),
    }
}

/// Runs the engine, and logs how long reading and the engine took.
fn engine(input: Input<'_>, params: Params, started: Instant) -> anyhow::Result<Report> {
    let read = started.elapsed();
    let engine_started = Instant::now();
    let report = find_opportunities(input, params, pooling(), rule_book(), nomenclature())?;
    tracing::info!(
        target: "timings",
        contracts = input.contracts.len(),
        needs = input.needs.len(),
        read_seconds = read.as_secs_f64(),
        engine_seconds = engine_started.elapsed().as_secs_f64(),
        "opportunities"
    );
    Ok(report)
}

fn table(report: &Report) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{}", opportunities::question_sentence(report));
    let _ = writeln!(out, "{}", opportunities::counts_sentence(report));
    for e in &report.excluded {
        let _ = writeln!(out, "Exclus : {}", e.explanation);
    }
    let _ = writeln!(
        out,
        "{} opportunité(s), la meilleure d'abord.",
        report.opportunities.len()
    );
    for (rank, o) in report.opportunities.iter().enumerate() {
        let _ = writeln!(
            out,
            "\n{}. {} {} — score {}/100",
            rank + 1,
            o.cpv.code,
            o.cpv.label,
            o.score
        );
        let _ = writeln!(
            out,
            "   {} acheteurs ; {} par an ; début proposé le {} ; ensemble : {}",
            o.buyers.len(),
            Amount::from_cents(o.annual_amount_cents),
            french_date(o.proposed_start),
            o.procedure.pooled.label
        );
        let _ = writeln!(
            out,
            "   Économie estimée : {} à {} par an",
            Amount::from_cents(o.savings.low_cents),
            Amount::from_cents(o.savings.high_cents)
        );
        for reason in &o.reasons {
            let _ = writeln!(out, "   - {reason}");
        }
    }
    out
}
