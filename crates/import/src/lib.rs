//! Importing a DECP file: the reader (`formats`) runs on a blocking thread and streams
//! contracts in batches over a bounded channel to the writer (`storage`). Each contract is
//! prepared for writing (hashed, its details serialised) on the reading threads, so that the
//! writer only writes. The writer commits every [`COMMIT_EVERY`] contracts and at the end:
//! an interrupted import loses the open transaction, never half a contract. Memory holds at
//! most a few batches, whatever the file size. Rejected records are handed to the caller as
//! they come, with their position, field, value and reason.

pub mod facts;

use std::collections::BTreeMap;
use std::io::BufRead;

use std::ops::ControlFlow;

use mutualis_formats::decp_read::{FileError, Rejection, read_decp_map};
use mutualis_reference::cpv::nomenclature;
use mutualis_storage::contract_import::{ImportAction, PreparedContract};
use mutualis_storage::{Database, StorageError};
use serde::Serialize;
use tokio::sync::mpsc;

/// Contracts handed from the reader to the writer at a time.
pub const BATCH_SIZE: usize = 1_000;

/// Contracts written per transaction. A commit writes again every index page the transaction
/// touched, and a DECP file's keys come in no order: few large transactions write far less
/// than many small ones (for 100,000 contracts into SQLite, 20 times fewer commits halve the
/// import's time). The batches of an open transaction are already in the database's hands,
/// not in memory.
pub const COMMIT_EVERY: usize = 25_000;

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

enum Message {
    Batch(Vec<PreparedContract>),
    Rejected(Box<Rejection>),
    /// A contract that could not be prepared for writing: the import stops.
    Failed(StorageError),
}

/// Imports one DECP file. `on_rejection` sees every rejected record, in file order.
pub async fn import_decp<R>(
    db: &Database,
    reader: R,
    mut on_rejection: impl FnMut(&Rejection),
) -> Result<ImportSummary, ImportError>
where
    R: BufRead + Send + 'static,
{
    let (tx, mut rx) = mpsc::channel::<Message>(4);
    let reading = tokio::task::spawn_blocking(move || {
        let mut batch = Vec::with_capacity(BATCH_SIZE);
        // On the reading threads: a contract is prepared for writing, a rejection boxed.
        let prepare = |record| match record {
            Ok(contract) => PreparedContract::new(contract).map_err(Message::Failed),
            Err(rejection) => Err(Message::Rejected(Box::new(rejection))),
        };
        let stats = read_decp_map(reader, nomenclature(), prepare, |record| {
            let message = match record {
                Ok(contract) => {
                    batch.push(contract);
                    if batch.len() < BATCH_SIZE {
                        return ControlFlow::Continue(());
                    }
                    Message::Batch(std::mem::replace(
                        &mut batch,
                        Vec::with_capacity(BATCH_SIZE),
                    ))
                }
                Err(message) => message,
            };
            // The writer stopped (a storage error): no need to read the rest.
            match tx.blocking_send(message) {
                Ok(()) => ControlFlow::Continue(()),
                Err(_) => ControlFlow::Break(()),
            }
        });
        if !batch.is_empty() {
            let _ = tx.blocking_send(Message::Batch(batch));
        }
        stats
    });

    let mut summary = ImportSummary::default();
    let mut import = db.contract_import();
    let mut uncommitted = 0;
    let mut write_error = None;
    while let Some(message) = rx.recv().await {
        match message {
            Message::Batch(contracts) => match import.write(&contracts).await {
                Ok(actions) => {
                    uncommitted += actions.len();
                    for action in actions {
                        match action {
                            ImportAction::Created => summary.created += 1,
                            ImportAction::Updated => summary.updated += 1,
                            ImportAction::Unchanged => summary.unchanged += 1,
                        }
                    }
                    if uncommitted >= COMMIT_EVERY {
                        uncommitted = 0;
                        if let Err(e) = import.commit().await {
                            write_error = Some(e);
                            break;
                        }
                    }
                }
                Err(e) => {
                    write_error = Some(e);
                    break;
                }
            },
            Message::Rejected(rejection) => {
                summary.rejected += 1;
                *summary
                    .rejected_by_reason
                    .entry(rejection.reason.code().to_owned())
                    .or_default() += 1;
                on_rejection(&rejection);
            }
            Message::Failed(e) => {
                write_error = Some(e);
                break;
            }
        }
    }
    if write_error.is_none() {
        write_error = import.commit().await.err();
    }
    drop(rx);
    let stats = reading
        .await
        .map_err(|e| ImportError::Reader(e.to_string()))??;
    if let Some(e) = write_error {
        return Err(e.into());
    }
    summary.format = stats.format.label().to_owned();
    summary.read = stats.read;
    Ok(summary)
}
