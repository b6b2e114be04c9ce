//! `mutualis consultation list|show`: the consultations of the database, as the operator sees
//! them (every buyer's), in a table or as JSON; deadlines in Europe/Paris.

use std::collections::HashMap;
use std::fmt::Write;

use anyhow::bail;
use chrono::{DateTime, NaiveDate, Utc};
use mutualis_app::consultations::{consultation_buyer_names, paris};
use mutualis_domain::consultation::{Criteria, Lot};
use mutualis_domain::rules::Procedure;
use mutualis_domain::{Amount, Siren};
use mutualis_reference::cpv::nomenclature;
use mutualis_storage::consultations::StoredConsultation;
use mutualis_storage::{Database, TerritoryWide};
use serde::Serialize;

use crate::commands::emit;
use crate::config::{Format, Global};

/// A consultation as the command prints it in JSON.
#[derive(Serialize)]
struct ConsultationJson<'a> {
    id: i64,
    reference: &'a str,
    buyer_siren: &'a str,
    buyer_name: Option<&'a str>,
    groupement_id: Option<i64>,
    version: i64,
    status: &'static str,
    title: &'a str,
    object: &'a str,
    nature: &'static str,
    cpv: Option<String>,
    /// In UTC (RFC 3339), and in Europe/Paris as shown to bidders.
    deadline: Option<DateTime<Utc>>,
    deadline_paris: Option<String>,
    estimated_total: Option<Amount>,
    lots: &'a [Lot],
    criteria: &'a Criteria,
    published_at: Option<DateTime<Utc>>,
    launched_on: Option<NaiveDate>,
    procedure: Option<ProcedureJson<'a>>,
    ended_because: Option<&'a str>,
}

#[derive(Serialize)]
struct ProcedureJson<'a> {
    procedure: Procedure,
    derived: Procedure,
    /// Why the rules call for the derived procedure, one sentence per step.
    derived_reasons: Vec<String>,
    /// Why another one was chosen, when it was.
    reason: Option<&'a str>,
}

/// "15/01/2027 12:00:00 (heure de Paris)".
fn paris_text(at: DateTime<Utc>) -> String {
    format!("{} (heure de Paris)", paris(at).format("%d/%m/%Y %H:%M:%S"))
}

fn json<'a>(s: &'a StoredConsultation, names: &'a HashMap<Siren, String>) -> ConsultationJson<'a> {
    let c = &s.consultation;
    let t = &c.terms;
    ConsultationJson {
        id: s.id,
        reference: &c.reference,
        buyer_siren: c.buyer.as_str(),
        buyer_name: names.get(&c.buyer).map(String::as_str),
        groupement_id: s.groupement_id,
        version: s.version,
        status: c.status.code(),
        title: &t.title,
        object: &t.object,
        nature: t.nature.code(),
        cpv: t.cpv.map(|code| code.to_string()),
        deadline: t.deadline,
        deadline_paris: t.deadline.map(paris_text),
        estimated_total: c.estimated(),
        lots: &t.lots,
        criteria: &t.criteria,
        published_at: c.published_at,
        launched_on: c.launched_on,
        procedure: c.procedure.as_ref().map(|p| ProcedureJson {
            procedure: p.procedure,
            derived: p.derived.procedure,
            derived_reasons: p.derived.reasons(),
            reason: p.reason.as_deref(),
        }),
        ended_because: c.ended_because.as_deref(),
    }
}

pub async fn list(global: &Global, format: Format) -> anyhow::Result<()> {
    let db = Database::open(&global.database_url).await?;
    let all = db
        .all_consultations(TerritoryWide::for_operator_command_line(), nomenclature())
        .await;
    let all = match all {
        Ok(all) => all,
        Err(e) => {
            db.close().await;
            return Err(e.into());
        }
    };
    let names = consultation_buyer_names(&db, &all).await;
    db.close().await;
    let names = names?;
    let mut out = String::new();
    match format {
        Format::Json => {
            let json: Vec<ConsultationJson> = all.iter().map(|s| json(s, &names)).collect();
            writeln!(out, "{}", serde_json::to_string_pretty(&json)?)?;
        }
        Format::Table => {
            if all.is_empty() {
                out.push_str("Aucune consultation.\n");
            } else {
                writeln!(
                    out,
                    "{:>4}  {:<20} {:<28} {:<36} {:>22}  Intitulé",
                    "n°", "Référence", "Statut", "Date limite", "Estimé"
                )?;
            }
            for s in &all {
                let c = &s.consultation;
                writeln!(
                    out,
                    "{:>4}  {:<20} {:<28} {:<36} {:>22}  {}",
                    s.id,
                    c.reference,
                    c.status.label_fr(),
                    c.terms.deadline.map(paris_text).unwrap_or_default(),
                    c.estimated().map(|a| a.to_string()).unwrap_or_default(),
                    c.terms.title
                )?;
            }
        }
    }
    emit(&out)
}

pub async fn show(global: &Global, id: i64, format: Format) -> anyhow::Result<()> {
    let db = Database::open(&global.database_url).await?;
    let found = db
        .any_consultation(
            TerritoryWide::for_operator_command_line(),
            id,
            nomenclature(),
        )
        .await;
    let found = match found {
        Ok(found) => found,
        Err(e) => {
            db.close().await;
            return Err(e.into());
        }
    };
    let Some(s) = found else {
        db.close().await;
        bail!("consultation n° {id} introuvable : `mutualis consultation list` donne les numéros");
    };
    let names = consultation_buyer_names(&db, std::slice::from_ref(&s)).await;
    db.close().await;
    let names = names?;
    let mut out = String::new();
    match format {
        Format::Json => {
            writeln!(out, "{}", serde_json::to_string_pretty(&json(&s, &names))?)?;
        }
        Format::Table => {
            let c = &s.consultation;
            let t = &c.terms;
            writeln!(
                out,
                "Consultation n° {} — {} — {}",
                s.id, c.reference, t.title
            )?;
            writeln!(
                out,
                "Acheteur : {} (SIREN {}){}",
                names.get(&c.buyer).map_or("?", String::as_str),
                c.buyer,
                s.groupement_id
                    .map(|g| format!(", pour le groupement n° {g}"))
                    .unwrap_or_default()
            )?;
            writeln!(out, "Statut : {}", c.status.label_fr())?;
            writeln!(out, "Objet : {}", t.object)?;
            writeln!(
                out,
                "Nature : {}{}",
                t.nature.label(),
                t.cpv
                    .map(|code| format!(", CPV {code}"))
                    .unwrap_or_default()
            )?;
            match t.deadline {
                Some(at) => writeln!(out, "Date limite de remise des offres : {}", paris_text(at))?,
                None => writeln!(out, "Date limite de remise des offres : non fixée")?,
            }
            writeln!(out, "Lots :")?;
            for lot in &t.lots {
                writeln!(out, "  {}. {} — {}", lot.number, lot.title, lot.estimated)?;
            }
            if let Some(total) = c.estimated() {
                writeln!(out, "  Montant estimé total : {total}")?;
            }
            writeln!(out, "Critères d'attribution :")?;
            if t.criteria.0.is_empty() {
                writeln!(out, "  aucun pour l'instant")?;
            }
            for criterion in &t.criteria.0 {
                writeln!(out, "  {} — {} %", criterion.name, criterion.weight)?;
                for sub in &criterion.sub_criteria {
                    writeln!(out, "    {} — {} %", sub.name, sub.weight)?;
                }
            }
            if let Some(p) = &c.procedure {
                writeln!(
                    out,
                    "Procédure : {} (publiée le {})",
                    p.procedure.label(),
                    c.launched_on
                        .map(|d| d.format("%d/%m/%Y").to_string())
                        .unwrap_or_default()
                )?;
                for reason in p.derived.reasons() {
                    writeln!(out, "  {reason}")?;
                }
                if let Some(reason) = &p.reason {
                    writeln!(out, "  Procédure choisie autrement : {reason}")?;
                }
            }
            if let Some(reason) = &c.ended_because {
                writeln!(out, "Motif : {reason}")?;
            }
        }
    }
    emit(&out)
}
