use mutualis_app::{Clock, SystemClock};
use std::fmt::Write;

use chrono::NaiveDate;
use mutualis_domain::Amount;
use mutualis_domain::rules::{BuyerKind, Nature, Rule, date_label};
use mutualis_reference::rules::rule_book;

use crate::commands::emit;
use crate::config::Format;

fn today() -> NaiveDate {
    SystemClock.today()
}

pub fn procedure(
    nature: Nature,
    amount: Amount,
    buyer: BuyerKind,
    date: Option<NaiveDate>,
    format: Format,
) -> anyhow::Result<()> {
    let decision = rule_book().procedure_for(nature, amount, buyer, date.unwrap_or_else(today))?;
    let mut out = String::new();
    match format {
        Format::Json => {
            #[derive(serde::Serialize)]
            struct Json<'a> {
                #[serde(flatten)]
                decision: &'a mutualis_domain::rules::ProcedureDecision,
                procedure_label: &'static str,
                reasons: Vec<String>,
            }
            let json = Json {
                decision: &decision,
                procedure_label: decision.procedure.label(),
                reasons: decision.reasons(),
            };
            writeln!(out, "{}", serde_json::to_string_pretty(&json)?)?;
        }
        Format::Table => {
            writeln!(out, "{}", decision.procedure.label())?;
            for reason in decision.reasons() {
                writeln!(out, "  - {reason}")?;
            }
        }
    }
    emit(&out)
}

pub fn list(date: Option<NaiveDate>, format: Format) -> anyhow::Result<()> {
    let date = date.unwrap_or_else(today);
    let rules: Vec<&Rule> = rule_book()
        .rules()
        .iter()
        .filter(|r| r.in_force_on(date))
        .collect();
    let mut out = String::new();
    match format {
        Format::Json => writeln!(out, "{}", serde_json::to_string_pretty(&rules)?)?,
        Format::Table => {
            writeln!(out, "Règles en vigueur le {} :", date_label(date))?;
            for r in rules {
                let scope: Vec<&str> = [r.nature.map(Nature::label), r.buyer.map(BuyerKind::label)]
                    .into_iter()
                    .flatten()
                    .collect();
                let scope = if scope.is_empty() {
                    String::new()
                } else {
                    format!(" ({})", scope.join(", "))
                };
                let value = match (&r.value, &r.value_text) {
                    (Some(v), _) => v.to_string(),
                    (None, Some(t)) => t.clone(),
                    (None, None) => String::new(),
                };
                writeln!(out, "- {}{scope} : {value}", r.kind.label())?;
                writeln!(out, "    {} ; source : {}", r.period_label(), r.source)?;
            }
        }
    }
    emit(&out)
}
