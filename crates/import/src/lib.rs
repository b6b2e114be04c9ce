//! Importing a DECP file: the reader (`formats`) runs on a blocking thread and streams
//! contracts in batches over a bounded channel to the writer (`storage`). Each contract is
//! prepared for writing (hashed, its details serialised) on the reading threads, so that the
//! writer only writes. The writer commits every [`COMMIT_EVERY`] contracts and at the end:
//! an interrupted import loses the open transaction, never half a contract. Memory holds at
//! most a few batches, whatever the file size. Rejected records are handed to the caller as
//! they come, with their position, field, value and reason; repaired ones (imported with
//! what the reader changed to keep them, `Contract::repairs`) the same way, with their
//! position and repairs.

pub mod facts;

use std::collections::BTreeMap;
use std::io::BufRead;

use std::ops::ControlFlow;

use chrono::{DateTime, Utc};
use mutualis_domain::{Repair, RepairKind};
use mutualis_formats::decp_read::{FileError, RejectReason, Rejection, read_decp_map};
use mutualis_reference::cpv::nomenclature;
use mutualis_storage::contract_import::{
    ContractImport, ImportAction, KnownHashes, PreparedContract,
};
use mutualis_storage::{Database, StorageError};
use serde::Serialize;
use tokio::sync::mpsc;

/// Contracts handed from the reader to the writer at a time.
pub const BATCH_SIZE: usize = 1_000;

/// Contracts written per transaction. A commit writes again every index page the transaction
/// touched, and a DECP file's keys come in no order: few large transactions write far less
/// than many small ones (for 100,000 contracts into SQLite, 10 times fewer commits take the
/// import from about 6 s to about 4 s). The batches of an open transaction are in the
/// database's hands (its page cache, then its log), not in the import's memory.
pub const COMMIT_EVERY: usize = 10_000;

/// What an import did, in the words of its summary.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ImportSummary {
    /// "DECP 1.x (JSON)", "DECP 2.0 (JSON)" or "DECP 2.0 (XML)".
    pub format: String,
    pub read: usize,
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
    pub rejected: usize,
    /// Rejected records per reason code.
    pub rejected_by_reason: BTreeMap<String, usize>,
    /// Records imported with at least one repair (counted in `created`, `updated` or
    /// `unchanged` too).
    pub repaired: usize,
    /// Repaired records per repair code (`RepairKind::code`): a record with two kinds of
    /// repair counts under each, once.
    pub repaired_by_kind: BTreeMap<String, usize>,
}

impl ImportSummary {
    /// The rejected records per reason, the reason in French (`RejectReason::message`), for
    /// people: summaries on a page or a terminal. `rejected_by_reason` keeps the codes, for
    /// scripts.
    pub fn rejected_by_reason_fr(&self) -> Vec<(&str, usize)> {
        self.rejected_by_reason
            .iter()
            .map(|(code, n)| {
                let reason = RejectReason::from_code(code).map_or(code.as_str(), |r| r.message());
                (reason, *n)
            })
            .collect()
    }

    /// The repaired records per repair, the repair in French (`RepairKind::label_fr`).
    pub fn repaired_by_kind_fr(&self) -> Vec<(&str, usize)> {
        self.repaired_by_kind
            .iter()
            .map(|(code, n)| {
                let kind = RepairKind::from_code(code).map_or(code.as_str(), |k| k.label_fr());
                (kind, *n)
            })
            .collect()
    }
}

/// A record imported with repairs, for a repairs file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RepairedRecord {
    /// 0-based position of the record in the file, as a [`Rejection`]'s.
    pub index: usize,
    pub id: String,
    /// The buyer's SIRET, as kept.
    pub buyer: String,
    pub repairs: Vec<Repair>,
}

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// The file itself cannot be used: nothing was imported from it.
    #[error(transparent)]
    File(#[from] FileError),
    #[error(transparent)]
    Storage(#[from] StorageError),
    #[error("la lecture du fichier s'est interrompue : {0}")]
    Reader(String),
}

/// A record as the reading threads leave it.
#[expect(
    clippy::large_enum_variant,
    reason = "a new contract is moved at once into its batch: a box would cost an allocation a record"
)]
enum Read {
    /// Stored already, as it is; with its repairs when it has any.
    Known(Option<Box<RepairedRecord>>),
    New(PreparedContract),
}

enum Message {
    Batch(Vec<PreparedContract>),
    /// Records already stored, as they were: counted unchanged, nothing to write.
    Known(usize),
    /// Rejected and repaired records, in file order, many at a time: a national file can
    /// have a repair on nine records in ten, and one message each would wake the writer as
    /// often.
    Notes(Vec<Note>),
    /// A contract that could not be prepared for writing: the import stops.
    Failed(StorageError),
}

/// What the caller is told of one record.
enum Note {
    Rejected(Box<Rejection>),
    Repaired(Box<RepairedRecord>),
}

/// What [`read_decp_map`] hands over from the reading threads: a record read, or what stops
/// it (a rejection is a note, a failure ends the import).
enum Unread {
    Rejected(Box<Rejection>),
    Failed(StorageError),
}

/// Imports one DECP file; `now` (the caller's clock) dates every contract written.
/// `on_rejection` sees every rejected record, in file order.
///
/// How an import writes into an empty database.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoadMode {
    /// An empty database is loaded in one transaction, the secondary indexes built at its
    /// end ([`ContractImport::begin_bulk`]): the fastest first load, but nothing else writes
    /// to SQLite (one writer) nor reads the contracts of PostgreSQL (their indexes are being
    /// rebuilt) until it ends. For the command line, which has the database to itself.
    BulkWhenEmpty,
    /// A commit every [`COMMIT_EVERY`] contracts, whatever the database holds: the web
    /// application and a job's progress get their turn between commits. For the background
    /// jobs of a running server, and the demo.
    Shared,
}

/// Imports one DECP file, sharing the database ([`LoadMode::Shared`]); `now` (the caller's
/// clock) dates every contract written. `on_rejection` sees every rejected record, in file
/// order.
///
/// Into a database that holds contracts, the content hashes of the stored publications are
/// read first ([`KnownHashes`]), and a record found there is counted unchanged on the
/// reading threads, neither prepared nor sent to the writer: a daily refresh of a national
/// file, mostly unchanged, costs little more than reading it.
pub async fn import_decp<R>(
    db: &Database,
    reader: R,
    now: DateTime<Utc>,
    on_rejection: impl FnMut(&Rejection),
) -> Result<ImportSummary, ImportError>
where
    R: BufRead + Send + 'static,
{
    import_decp_noting(db, reader, now, LoadMode::Shared, on_rejection, |_| {}).await
}

/// [`import_decp`] in the given [`LoadMode`], and `on_repaired` sees every record imported
/// with repairs, in file order (interleaved with the rejections as in the file).
pub async fn import_decp_noting<R>(
    db: &Database,
    reader: R,
    now: DateTime<Utc>,
    mode: LoadMode,
    mut on_rejection: impl FnMut(&Rejection),
    mut on_repaired: impl FnMut(&RepairedRecord),
) -> Result<ImportSummary, ImportError>
where
    R: BufRead + Send + 'static,
{
    let mut import = db.contract_import().await?;
    let empty = import.is_empty().await?;
    let bulk = empty && mode == LoadMode::BulkWhenEmpty;
    let known = if empty {
        KnownHashes::default()
    } else {
        import.known_hashes().await?
    };
    let (tx, mut rx) = mpsc::channel::<Message>(4);
    let reading = tokio::task::spawn_blocking(move || {
        let mut batch = Vec::with_capacity(BATCH_SIZE);
        let mut known_run = 0;
        // On the reading threads: a contract is hashed, and prepared for writing unless it is
        // stored already; a rejection boxed.
        let prepare = |record| match record {
            Ok(contract) => {
                let hash = PreparedContract::hash_of(&contract).map_err(Unread::Failed)?;
                if known.contains(&hash) {
                    // Stored already, as it is: only its repairs, if any, are reported.
                    let repaired = (!contract.repairs.is_empty()).then(|| {
                        Box::new(RepairedRecord {
                            index: 0,
                            buyer: contract.buyer.to_string(),
                            id: contract.id,
                            repairs: contract.repairs,
                        })
                    });
                    return Ok(Read::Known(repaired));
                }
                PreparedContract::with_hash(contract, hash)
                    .map(Read::New)
                    .map_err(Unread::Failed)
            }
            Err(rejection) => Err(Unread::Rejected(Box::new(rejection))),
        };
        // Notes wait here until a batch goes, or until there are a batch's worth.
        let mut notes: Vec<Note> = Vec::new();
        // The position of the record in the file.
        let mut index = 0;
        let stats = read_decp_map(reader, nomenclature(), prepare, |record| {
            index += 1;
            let message = match record {
                Ok(Read::Known(repaired)) => {
                    if let Some(mut repaired) = repaired {
                        repaired.index = index - 1;
                        notes.push(Note::Repaired(repaired));
                    }
                    known_run += 1;
                    if known_run < BATCH_SIZE && notes.len() < BATCH_SIZE {
                        return ControlFlow::Continue(());
                    }
                    Message::Known(std::mem::take(&mut known_run))
                }
                Ok(Read::New(contract)) => {
                    let c = contract.contract();
                    if !c.repairs.is_empty() {
                        notes.push(Note::Repaired(Box::new(RepairedRecord {
                            index: index - 1,
                            id: c.id.clone(),
                            buyer: c.buyer.to_string(),
                            repairs: c.repairs.clone(),
                        })));
                    }
                    batch.push(contract);
                    if batch.len() < BATCH_SIZE && notes.len() < BATCH_SIZE {
                        return ControlFlow::Continue(());
                    }
                    Message::Batch(std::mem::replace(
                        &mut batch,
                        Vec::with_capacity(BATCH_SIZE),
                    ))
                }
                Err(Unread::Rejected(rejection)) => {
                    notes.push(Note::Rejected(rejection));
                    if notes.len() < BATCH_SIZE {
                        return ControlFlow::Continue(());
                    }
                    Message::Notes(std::mem::take(&mut notes))
                }
                Err(Unread::Failed(e)) => Message::Failed(e),
            };
            // The notes go first: they are of records before those of the message, or among
            // them (a batch's records are counted when the batch is written).
            if !notes.is_empty()
                && tx
                    .blocking_send(Message::Notes(std::mem::take(&mut notes)))
                    .is_err()
            {
                return ControlFlow::Break(());
            }
            // The writer stopped (a storage error): no need to read the rest.
            match tx.blocking_send(message) {
                Ok(()) => ControlFlow::Continue(()),
                Err(_) => ControlFlow::Break(()),
            }
        });
        if !notes.is_empty() {
            let _ = tx.blocking_send(Message::Notes(notes));
        }
        if known_run > 0 {
            let _ = tx.blocking_send(Message::Known(known_run));
        }
        if !batch.is_empty() {
            let _ = tx.blocking_send(Message::Batch(batch));
        }
        stats
    });

    let mut summary = ImportSummary::default();
    let written = write(
        &mut import,
        bulk,
        &mut rx,
        now,
        &mut summary,
        &mut on_rejection,
        &mut on_repaired,
    )
    .await;
    // The writer stopped (or finished): the reader sees the channel closed and ends.
    drop(rx);
    let stats = reading
        .await
        .map_err(|e| ImportError::Reader(e.to_string()))??;
    written?;
    import.finish().await?;
    summary.format = stats.format.label().to_owned();
    summary.read = stats.read;
    Ok(summary)
}

/// Writes the batches as they come, one transaction every [`COMMIT_EVERY`] contracts and one
/// for the rest (a bulk load: one transaction), and counts what each record did. Stops at the
/// first storage error: the open transaction is rolled back.
async fn write(
    import: &mut ContractImport,
    bulk: bool,
    rx: &mut mpsc::Receiver<Message>,
    now: DateTime<Utc>,
    summary: &mut ImportSummary,
    on_rejection: &mut impl FnMut(&Rejection),
    on_repaired: &mut impl FnMut(&RepairedRecord),
) -> Result<(), StorageError> {
    let mut tx = if bulk {
        import.begin_bulk().await?
    } else {
        import.begin().await?
    };
    let mut uncommitted = 0;
    while let Some(message) = rx.recv().await {
        match message {
            Message::Batch(contracts) => {
                let actions = tx.write(&contracts, now).await?;
                // A thousand contracts are tens of thousands of allocations, made on the
                // reading threads: freed on another thread, off the writer's path.
                tokio::task::spawn_blocking(move || drop(contracts));
                uncommitted += actions.len();
                for action in actions {
                    match action {
                        ImportAction::Created => summary.created += 1,
                        ImportAction::Updated => summary.updated += 1,
                        ImportAction::Unchanged => summary.unchanged += 1,
                    }
                }
                if !bulk && uncommitted >= COMMIT_EVERY {
                    uncommitted = 0;
                    tx.commit().await?;
                    tx = import.begin().await?;
                }
            }
            Message::Known(n) => summary.unchanged += n,
            Message::Notes(notes) => {
                for note in notes {
                    match note {
                        Note::Rejected(rejection) => {
                            summary.rejected += 1;
                            *summary
                                .rejected_by_reason
                                .entry(rejection.reason.code().to_owned())
                                .or_default() += 1;
                            on_rejection(&rejection);
                        }
                        Note::Repaired(repaired) => {
                            summary.repaired += 1;
                            let mut kinds: Vec<RepairKind> =
                                repaired.repairs.iter().map(|r| r.kind).collect();
                            kinds.sort_unstable();
                            kinds.dedup();
                            for kind in kinds {
                                *summary
                                    .repaired_by_kind
                                    .entry(kind.code().to_owned())
                                    .or_default() += 1;
                            }
                            on_repaired(&repaired);
                        }
                    }
                }
            }
            Message::Failed(e) => return Err(e),
        }
    }
    tx.commit().await
}
