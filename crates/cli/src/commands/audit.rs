//! `mutualis audit verify`: checks the audit log's hash chain, entry by entry.

use mutualis_domain::amount::group_thousands;
use mutualis_storage::Database;
use mutualis_storage::groupements::AuditReport;

use crate::commands::emit;
use crate::config::Global;

/// Reads the whole audit log and checks its numbering, links and hashes. Intact: one line
/// with the number of entries and the last hash (to keep elsewhere: only a copy of a recent
/// hash shows a log rewritten from some entry to the end). Broken: the error names the first
/// entry found altered, removed or moved, and why, and the command exits non-zero.
pub async fn verify(global: &Global) -> anyhow::Result<()> {
    let db = Database::open(&global.database_url).await?;
    let report = db.verify_audit().await;
    db.close().await;
    emit(&format!("{}\n", summary(&report?)))
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
