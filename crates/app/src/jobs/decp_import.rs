//! The DECP import of a file deposited through the coordinator's page: the same import as
//! `mutualis import decp` (`mutualis_import::import_decp`, its reader on the blocking pool and
//! its own threads), its progress the bytes of the file read. Its result is the summary and the
//! first [`REJECTS_KEPT`] rejected records, as the page shows them.

use std::collections::BTreeMap;
use std::io::{BufReader, Read};

use mutualis_import::{ImportError, ImportSummary, import_decp};
use serde::{Deserialize, Serialize};

use super::{JobContext, JobFailure, Progress};

/// The kind, as stored.
pub const KIND: &str = "decp_import";

/// Attempts of an import: a database that was unreachable gets two more chances.
pub const MAX_ATTEMPTS: u32 = 3;

/// Rejected records kept in the result, as the page lists them; all are counted.
pub const REJECTS_KEPT: usize = 200;

/// The job's parameters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DecpImport {
    /// The file's name in the uploads folder.
    pub upload: String,
    /// The file's name as the coordinator's browser sent it, for the pages.
    pub file_name: String,
    /// Its size in bytes.
    pub size: u64,
}

/// What the import did: its summary's figures and the first rejected records.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DecpImportResult {
    pub format: String,
    pub read: usize,
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
    pub rejected: usize,
    /// Rejected records per reason code.
    pub rejected_by_reason: BTreeMap<String, usize>,
    /// The first [`REJECTS_KEPT`] rejected records, in file order.
    pub rejects: Vec<RejectedRecord>,
    /// Records imported with repairs (absent from the results stored before repairs).
    #[serde(default)]
    pub repaired: usize,
    /// Repaired records per repair code.
    #[serde(default)]
    pub repaired_by_kind: BTreeMap<String, usize>,
}

/// One rejected record, as the page lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RejectedRecord {
    /// 0-based position in the file.
    pub index: usize,
    pub id: String,
    pub field: String,
    pub value: String,
    /// Why, in French.
    pub reason: String,
}

impl DecpImportResult {
    /// A stored result; `None` when it does not read (another version wrote it).
    pub fn parse(json: &str) -> Option<DecpImportResult> {
        serde_json::from_str(json).ok()
    }

    /// The import's summary, as `mutualis import decp` prints it.
    pub fn summary(&self) -> ImportSummary {
        ImportSummary {
            format: self.format.clone(),
            read: self.read,
            created: self.created,
            updated: self.updated,
            unchanged: self.unchanged,
            rejected: self.rejected,
            rejected_by_reason: self.rejected_by_reason.clone(),
            repaired: self.repaired,
            repaired_by_kind: self.repaired_by_kind.clone(),
        }
    }
}

/// A reader that counts the bytes read into the job's progress.
struct Counted<R> {
    inner: R,
    progress: Progress,
}

impl<R: Read> Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.progress.advance(n as u64);
        Ok(n)
    }
}

impl DecpImport {
    pub(super) async fn run(
        &self,
        context: &JobContext,
        progress: &Progress,
    ) -> Result<String, JobFailure> {
        let path = context.uploads.path(&self.upload).ok_or_else(|| {
            JobFailure::permanent(format!(
                "Nom de fichier déposé invalide : « {} ».",
                self.upload
            ))
        })?;
        let file = std::fs::File::open(&path).map_err(|e| {
            tracing::warn!(path = %path.display(), error = %e, "the uploaded DECP file cannot be opened");
            JobFailure::permanent(format!(
                "Le fichier déposé « {} » est introuvable dans le dossier des fichiers déposés : \
                 déposez-le à nouveau.",
                self.file_name
            ))
        })?;
        let size = file.metadata().map(|m| m.len()).unwrap_or(self.size);
        progress.set_total(size);
        let reader = BufReader::with_capacity(
            1 << 20,
            Counted {
                inner: file,
                progress: progress.clone(),
            },
        );
        let mut rejects = Vec::new();
        let outcome = import_decp(&context.db, reader, context.clock.now(), |r| {
            if rejects.len() < REJECTS_KEPT {
                rejects.push(RejectedRecord {
                    index: r.index,
                    id: r.id.clone().unwrap_or_default(),
                    field: r.field.clone(),
                    value: r.value.clone(),
                    reason: r.detail.clone(),
                });
            }
        })
        .await;
        match outcome {
            Ok(s) => {
                tracing::info!(file = %self.file_name, read = s.read, rejected = s.rejected, "DECP upload imported");
                // An amount is judged against all the stored ones: the flags are computed
                // again over every contract once something changed. A failure here leaves
                // the import done and the former flags in place; it is logged.
                if s.created + s.updated > 0 {
                    match crate::plausibility::recompute_flags(&context.db).await {
                        Ok(flags) => tracing::info!(
                            contracts = flags.contracts,
                            aberrant = flags.aberrant_amounts,
                            placeholders = flags.placeholder_amounts,
                            "plausibility flags recomputed"
                        ),
                        Err(e) => {
                            tracing::error!(error = %e, "plausibility flags not recomputed")
                        }
                    }
                }
                let result = DecpImportResult {
                    format: s.format,
                    read: s.read,
                    created: s.created,
                    updated: s.updated,
                    unchanged: s.unchanged,
                    rejected: s.rejected,
                    rejected_by_reason: s.rejected_by_reason,
                    rejects,
                    repaired: s.repaired,
                    repaired_by_kind: s.repaired_by_kind,
                };
                serde_json::to_string(&result)
                    .map_err(|e| JobFailure::permanent(format!("Résultat illisible : {e}")))
            }
            // The file itself cannot be used: another attempt would read the same.
            Err(ImportError::File(e)) => Err(JobFailure::permanent(e.to_string())),
            Err(e) => {
                tracing::error!(file = %self.file_name, error = %e, "DECP upload: the import failed");
                Err(JobFailure::transient(
                    "L'import s'est interrompu sur une erreur du serveur (sa base de données) ; \
                     le détail est dans le journal du serveur.",
                ))
            }
        }
    }

    /// Done or failed for good: the uploaded file goes.
    pub(super) fn release(&self, context: &JobContext) {
        context.uploads.remove(&self.upload);
    }
}
