//! The audit log of every aggregate: one hash chain for the whole database, in `seq` order
//! (`domain::audit` gives the hash layout), so that one head hash kept elsewhere covers every
//! record. Each aggregate appends its entries with `append` inside the transaction of the
//! change they record, naming what the entry is about with an [`AuditSubject`] (its
//! `record_type`: `groupement`, …); `before` and `after` are the aggregate's own snapshots.
//! The table is append-only: no UPDATE or DELETE here, and triggers refuse them.
//!
//! Two transactions appending at once: SQLite runs one writer at a time; on PostgreSQL the
//! unique `seq` makes the second fail, `append` says so, and the caller tries its whole
//! change again from the start.
//!
//! Reading: [`Database::audit_entries`] lists the log, [`Database::verify_audit`] and
//! [`Database::verify_audit_against`] recompute the chain (what `mutualis audit verify` runs),
//! entries of every hash format and record type alike.

use chrono::{DateTime, Utc};
use mutualis_domain::audit::{AnchorMismatch, AuditAnchor, AuditEntry, ChainBreak, verify_chain};

use crate::scope::TerritoryWide;
use crate::{Database, Result, StorageError, Tx, on_backend};

/// What an audit entry is about: a record of one aggregate, owned by one organisation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AuditSubject {
    /// The tenant whose record changed.
    pub organisation_id: i64,
    /// The aggregate: `groupement`, …
    pub record_type: &'static str,
    pub record_id: i64,
}

/// An entry of the audit log with what it is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditRecord {
    /// The tenant whose record changed (for a groupement, its coordinator's organisation).
    pub organisation_id: i64,
    pub record_type: String,
    pub record_id: i64,
    pub entry: AuditEntry,
}

/// A verified audit log: how many entries, and the hash of the last one (to keep elsewhere:
/// see `domain::audit` for what the chain proves).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditReport {
    pub entries: usize,
    /// `None` for an empty log.
    pub head_hash: Option<String>,
}

impl AuditReport {
    /// The anchor to keep outside the database for this verified log.
    pub fn anchor(&self) -> AuditAnchor {
        AuditAnchor {
            entries: self.entries as u64,
            head_hash: self
                .head_hash
                .clone()
                .unwrap_or_else(|| mutualis_domain::audit::GENESIS_HASH.to_owned()),
        }
    }
}

/// Why the audit log did not verify.
#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    /// The first entry found altered, removed, reordered or relinked.
    #[error(transparent)]
    Broken(#[from] ChainBreak),
    /// The chain holds, but not the anchor kept outside: cut at its end, or rewritten.
    #[error(transparent)]
    Anchor(#[from] AnchorMismatch),
    #[error(transparent)]
    Storage(#[from] StorageError),
}

impl From<sqlx::Error> for AuditError {
    fn from(e: sqlx::Error) -> Self {
        AuditError::Storage(StorageError::Sql(e))
    }
}

/// Whether a failed statement is a unique constraint: another transaction wrote the same
/// audit `seq` first.
/// A change that found the audit chain extended by other transactions on each of its tries:
/// nothing was written.
pub(crate) fn too_busy() -> StorageError {
    StorageError::Conflict(
        "le journal d'audit est très sollicité : rien n'a été enregistré, réessayez".into(),
    )
}

pub(crate) fn is_unique_violation(e: &sqlx::Error) -> bool {
    e.as_database_error()
        .is_some_and(|d| d.is_unique_violation())
}

/// Appends an entry about `subject` after the last one, inside the transaction of the change
/// it records. `false` when another transaction appended the same `seq` first: the caller
/// drops its transaction and starts the whole change over.
pub(crate) async fn append(
    tx: &mut Tx<'_>,
    subject: &AuditSubject,
    at: DateTime<Utc>,
    actor: &str,
    action: &str,
    before: String,
    after: String,
) -> Result<bool> {
    let head: Option<AuditRow> = on_backend!(tx, conn => {
        sqlx::query_as(&format!("{AUDIT_SELECT} ORDER BY seq DESC LIMIT 1"))
            .fetch_optional(&mut *conn)
            .await?
    });
    let prev = head.map(AuditRow::into_record).transpose()?;
    let entry = AuditEntry::about(
        prev.as_ref().map(|p| &p.entry),
        mutualis_domain::audit::record_text(
            subject.record_type,
            subject.record_id,
            subject.organisation_id,
        ),
        at,
        actor,
        action,
        before,
        after,
    );
    let seq = i64::try_from(entry.seq)
        .map_err(|_| StorageError::Conflict("journal d'audit plein".into()))?;
    let inserted = on_backend!(tx, conn => {
        sqlx::query(
            "INSERT INTO audit_log (organisation_id, record_type, record_id, seq, at, actor, \
             action, before, after, prev_hash, hash, hash_format) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
        )
        .bind(subject.organisation_id)
        .bind(subject.record_type)
        .bind(subject.record_id)
        .bind(seq)
        .bind(entry.at)
        .bind(&entry.actor)
        .bind(&entry.action)
        .bind(&entry.before)
        .bind(&entry.after)
        .bind(&entry.prev_hash)
        .bind(&entry.hash)
        .bind(i16::from(entry.format))
        .execute(&mut *conn)
        .await
        .map(|_| ())
    });
    match inserted {
        Ok(()) => Ok(true),
        Err(e) if is_unique_violation(&e) => Ok(false),
        Err(e) => Err(e.into()),
    }
}

#[derive(sqlx::FromRow)]
struct AuditRow {
    organisation_id: i64,
    record_type: String,
    record_id: i64,
    seq: i64,
    at: DateTime<Utc>,
    actor: String,
    action: String,
    before: String,
    after: String,
    prev_hash: String,
    hash: String,
    hash_format: i16,
}

const AUDIT_SELECT: &str = "SELECT organisation_id, record_type, record_id, seq, at, actor, \
    action, before, after, prev_hash, hash, hash_format FROM audit_log";

impl AuditRow {
    fn into_record(self) -> Result<AuditRecord> {
        let seq = u64::try_from(self.seq).map_err(|e| StorageError::Corrupt {
            table: "audit_log",
            column: "seq",
            value: self.seq.to_string(),
            reason: e.to_string(),
        })?;
        let format = u8::try_from(self.hash_format).map_err(|e| StorageError::Corrupt {
            table: "audit_log",
            column: "hash_format",
            value: self.hash_format.to_string(),
            reason: e.to_string(),
        })?;
        let record = mutualis_domain::audit::record_text(
            &self.record_type,
            self.record_id,
            self.organisation_id,
        );
        Ok(AuditRecord {
            organisation_id: self.organisation_id,
            record_type: self.record_type,
            record_id: self.record_id,
            entry: AuditEntry {
                record,
                format,
                seq,
                at: self.at,
                actor: self.actor,
                action: self.action,
                before: self.before,
                after: self.after,
                prev_hash: self.prev_hash,
                hash: self.hash,
            },
        })
    }
}

impl Database {
    /// The whole audit log, in `seq` order. It reads across members: the coordinator's or the
    /// operator's.
    pub async fn audit_entries(&self, _wide: TerritoryWide) -> Result<Vec<AuditRecord>> {
        self.audit_log().await
    }

    /// Reads the whole audit log in `seq` order and checks its chain: the number of entries
    /// and the last hash, or the first entry found broken and why. It shows no entry's content.
    pub async fn verify_audit(&self) -> Result<AuditReport, AuditError> {
        self.verify_audit_against(None).await
    }

    /// As [`Database::verify_audit`], and then checks that the log still holds `anchor` (a
    /// head kept outside the database), which detects its last entries dropped.
    pub async fn verify_audit_against(
        &self,
        anchor: Option<&AuditAnchor>,
    ) -> Result<AuditReport, AuditError> {
        let entries: Vec<AuditEntry> = self
            .audit_log()
            .await?
            .into_iter()
            .map(|r| r.entry)
            .collect();
        verify_chain(&entries)?;
        if let Some(anchor) = anchor {
            anchor.check(&entries)?;
        }
        Ok(AuditReport {
            entries: entries.len(),
            head_hash: entries.last().map(|e| e.hash.clone()),
        })
    }

    async fn audit_log(&self) -> Result<Vec<AuditRecord>> {
        let rows: Vec<AuditRow> = on_backend!(self, pool => {
            sqlx::query_as(&format!("{AUDIT_SELECT} ORDER BY seq"))
                .fetch_all(pool)
                .await?
        });
        rows.into_iter().map(AuditRow::into_record).collect()
    }
}
