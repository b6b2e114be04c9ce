use mutualis_domain::CpvEntry;
use mutualis_reference::cpv::nomenclature;
use std::fmt::Write;

use serde::Serialize;

use crate::commands::emit;

use crate::config::Format;

#[derive(Serialize)]
struct CodeJson<'a> {
    code: String,
    label_fr: &'a str,
    label_en: &'a str,
    depth: mutualis_domain::CpvDepth,
    ancestors: Vec<&'a CpvEntry>,
}

pub fn show(input: &str, format: Format) -> anyhow::Result<()> {
    let mut out = String::new();
    let n = nomenclature();
    let entry = n.lookup(input)?;
    let ancestors = n.ancestors(entry.code);
    match format {
        Format::Json => {
            let json = CodeJson {
                code: entry.code.to_string(),
                label_fr: &entry.label_fr,
                label_en: &entry.label_en,
                depth: entry.code.depth(),
                ancestors,
            };
            writeln!(out, "{}", serde_json::to_string_pretty(&json)?)?;
        }
        Format::Table => {
            writeln!(out, "{}  {}", entry.code, entry.label_fr)?;
            writeln!(out, "{:12}{}", "", entry.label_en)?;
            writeln!(
                out,
                "niveau : {} ({} chiffres significatifs)",
                entry.code.depth().label_fr(),
                entry.code.significant_digits()
            )?;
            if !ancestors.is_empty() {
                writeln!(out, "parents :")?;
                for a in ancestors {
                    writeln!(out, "  {}  {}", a.code, a.label_fr)?;
                }
            }
        }
    }
    emit(&out)
}

pub fn search(text: &str, limit: usize, format: Format) -> anyhow::Result<()> {
    let mut out = String::new();
    let hits = nomenclature().search(text);
    let total = hits.len();
    let shown = &hits[..total.min(limit)];
    match format {
        Format::Json => writeln!(out, "{}", serde_json::to_string_pretty(shown)?)?,
        Format::Table => {
            if total == 0 {
                writeln!(out, "Aucun code CPV ne correspond à « {text} ».")?;
            }
            for e in shown {
                writeln!(out, "{}  {}", e.code, e.label_fr)?;
            }
            if total > shown.len() {
                writeln!(
                    out,
                    "… {} autres résultats (--limit pour en voir plus)",
                    total - shown.len()
                )?;
            }
        }
    }
    emit(&out)
}
