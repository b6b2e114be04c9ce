//! `mutualis audit verify`: checks the audit log's hash chain, entry by entry, and against an
//! anchor kept outside the database.

use std::path::Path;

use anyhow::{Context, bail};
use mutualis_domain::amount::group_thousands;
use mutualis_domain::audit::AuditAnchor;
use mutualis_storage::Database;
use mutualis_storage::groupements::AuditReport;

use crate::commands::emit;
use crate::config::{AuditVerifyArgs, Global};

/// The first word of an anchor file: its format, should it change.
const ANCHOR_FORMAT: &str = "mutualis-audit-anchor-1";

/// Reads the whole audit log and checks its numbering, links and hashes. Intact: one line
/// with the number of entries and the last hash. Broken: the error names the first entry
/// found altered, removed or moved, and why, and the command exits non-zero. `--against`
/// also checks an anchor written earlier (a log cut at its end is intact as a chain: only a
/// copy of its head kept elsewhere shows it); `--anchor` writes the anchor of this log.
pub async fn verify(global: &Global, args: &AuditVerifyArgs) -> anyhow::Result<()> {
    let against = match &args.against {
        Some(path) => Some(read_anchor(path)?),
        None => None,
    };
    let db = Database::open(&global.database_url).await?;
    let report = db.verify_audit_against(against.as_ref()).await;
    db.close().await;
    let report = report?;
    if let Some(path) = &args.anchor {
        std::fs::write(path, anchor_text(&report.anchor()))
            .with_context(|| format!("impossible d'écrire l'ancre {}", path.display()))?;
    }
    let mut text = summary(&report);
    if let Some(anchor) = &against {
        text.push_str(&format!(
            " ; l'ancre de {} entrée(s) est retrouvée",
            anchor.entries
        ));
    }
    emit(&format!("{text}\n"))
}

/// "mutualis-audit-anchor-1 12 3f…": the format, the number of entries, the last hash.
fn anchor_text(anchor: &AuditAnchor) -> String {
    format!("{ANCHOR_FORMAT} {} {}\n", anchor.entries, anchor.head_hash)
}

fn read_anchor(path: &Path) -> anyhow::Result<AuditAnchor> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("impossible de lire l'ancre {}", path.display()))?;
    parse_anchor(&text).with_context(|| format!("ancre {}", path.display()))
}

fn parse_anchor(text: &str) -> anyhow::Result<AuditAnchor> {
    let fields: Vec<&str> = text.split_whitespace().collect();
    let [format, entries, hash] = fields[..] else {
        bail!(
            "attendu « {ANCHOR_FORMAT} NOMBRE EMPREINTE », trouvé « {} »",
            text.trim()
        );
    };
    if format != ANCHOR_FORMAT {
        bail!("format « {format} » inconnu : attendu {ANCHOR_FORMAT}");
    }
    let Ok(entries) = entries.parse::<u64>() else {
        bail!("nombre d'entrées « {entries} » invalide");
    };
    if hash.len() != 64
        || !hash
            .bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
    {
        bail!("empreinte « {hash} » invalide : attendu 64 caractères hexadécimaux minuscules");
    }
    Ok(AuditAnchor {
        entries,
        head_hash: hash.to_owned(),
    })
}

/// "Journal d'audit : 12 entrées, chaîne intègre (dernière empreinte 3f…)".
fn summary(report: &AuditReport) -> String {
    let count = match report.entries {
        0 | 1 => format!("{} entrée", report.entries),
        n => format!("{} entrées", group_thousands(n as u64)),
    };
    match &report.head_hash {
        Some(hash) => {
            format!("Journal d'audit : {count}, chaîne intègre (dernière empreinte {hash})")
        }
        None => format!("Journal d'audit : {count}, chaîne intègre (journal vide)"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_anchor_reads_back_what_was_written_and_refuses_anything_else() {
        let anchor = AuditAnchor {
            entries: 12,
            head_hash: "ab".repeat(32),
        };
        assert_eq!(parse_anchor(&anchor_text(&anchor)).unwrap(), anchor);
        for bad in [
            "",
            "mutualis-audit-anchor-1 12",
            "autre 12 ab",
            "mutualis-audit-anchor-1 x ab",
        ] {
            assert!(parse_anchor(bad).is_err(), "{bad:?}");
        }
        let upper = format!("{ANCHOR_FORMAT} 1 {}", "AB".repeat(32));
        assert!(parse_anchor(&upper).is_err());
    }

    #[test]
    fn the_summary_counts_in_french() {
        let report = |entries, hash: Option<&str>| AuditReport {
            entries,
            head_hash: hash.map(str::to_owned),
        };
        assert_eq!(
            summary(&report(0, None)),
            "Journal d'audit : 0 entrée, chaîne intègre (journal vide)"
        );
        assert_eq!(
            summary(&report(1, Some("ab"))),
            "Journal d'audit : 1 entrée, chaîne intègre (dernière empreinte ab)"
        );
        assert_eq!(
            summary(&report(12_345, Some("ab"))),
            "Journal d'audit : 12\u{202f}345 entrées, chaîne intègre (dernière empreinte ab)"
        );
    }
}
