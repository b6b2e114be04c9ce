//! Importing a DECP file: the reader (`formats`) runs on a blocking thread and streams
//! contracts in batches over a bounded channel to the writer (`storage`), one transaction per
//! batch. Memory holds at most a few batches, whatever the file size. Rejected records are
//! handed to the caller as they come, with their position, field, value and reason.

pub mod facts;

use std::collections::BTreeMap;
use std::io::BufRead;

use mutualis_domain::Contract;
use std::ops::ControlFlow;

use mutualis_formats::decp_read::{FileError, Rejection, read_decp_until};
use mutualis_reference::cpv::nomenclature;
use mutualis_storage::contracts::{ImportAction, ImportCache};
use mutualis_storage::{Database, StorageError};
use serde::Serialize;
use tokio::sync::mpsc;

/// Contracts written per transaction.
pub const BATCH_SIZE: usize = 1_000;

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
    Batch(Vec<Contract>),
    Rejected(Box<Rejection>),
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
        let stats = read_decp_until(reader, nomenclature(), |record| {
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
                Err(rejection) => Message::Rejected(Box::new(rejection)),
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
    let mut cache = ImportCache::default();
    let mut write_error = None;
    while let Some(message) = rx.recv().await {
        match message {
            Message::Batch(contracts) => match db.import_contracts(&contracts, &mut cache).await {
                Ok(actions) => {
                    for action in actions {
                        match action {
                            ImportAction::Created => summary.created += 1,
                            ImportAction::Updated => summary.updated += 1,
                            ImportAction::Unchanged => summary.unchanged += 1,
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
        }
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
