//! Background jobs: what runs outside a request, durable in the database (`storage::jobs`).
//!
//! A page or a command queues a [`JobSpec`] with [`enqueue`]; a [`Worker`] (inside
//! `mutualis serve`, or alone in `mutualis worker`) claims it, runs it by its kind, renews its
//! lease while it runs with how far it is, and records its result, or its attempt failed with a
//! French error, queued again after a delay while attempts remain.
//!
//! Each kind is a variant of [`JobSpec`] and a module with its parameters (serialised as the
//! job's payload), its result and its handler: a new kind (bid openings at a deadline, search
//! indexing, reminders) adds a variant, its module and one arm in each `match` below.

pub mod decp_import;
mod uploads;
mod worker;

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use mutualis_storage::jobs::{JobProgress, NewJob};
use mutualis_storage::{Database, Scope, StorageError};

pub use decp_import::DecpImport;
pub use uploads::{Upload, Uploads};
pub use worker::{Worker, WorkerConfig};

use crate::Clock;

/// A job to run, by kind, with its parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JobSpec {
    /// Import a DECP file deposited in the uploads folder.
    DecpImport(DecpImport),
}

/// A stored job whose kind or payload this build cannot read (a newer version wrote it, or
/// someone edited the row).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownJob(pub String);

impl JobSpec {
    /// Every kind this build runs: a worker claims only these.
    pub const KINDS: &'static [&'static str] = &[decp_import::KIND];

    /// The kind, as stored.
    pub fn kind(&self) -> &'static str {
        match self {
            JobSpec::DecpImport(_) => decp_import::KIND,
        }
    }

    /// The attempts a job of this kind may take.
    pub fn max_attempts(&self) -> u32 {
        match self {
            JobSpec::DecpImport(_) => decp_import::MAX_ATTEMPTS,
        }
    }

    /// Its parameters, as stored (JSON).
    pub fn payload(&self) -> String {
        let json = match self {
            JobSpec::DecpImport(job) => serde_json::to_string(job),
        };
        // A struct of strings and numbers always serialises.
        json.unwrap_or_default()
    }

    /// The job of a stored kind and payload.
    pub fn parse(kind: &str, payload: &str) -> Result<JobSpec, UnknownJob> {
        let unreadable = |e: serde_json::Error| UnknownJob(format!("{kind} : {e}"));
        match kind {
            decp_import::KIND => serde_json::from_str(payload)
                .map(JobSpec::DecpImport)
                .map_err(unreadable),
            _ => Err(UnknownJob(kind.to_owned())),
        }
    }

    /// Runs one attempt; the result as stored (JSON).
    async fn run(self, context: JobContext, progress: Progress) -> Result<String, JobFailure> {
        match self {
            JobSpec::DecpImport(job) => job.run(&context, &progress).await,
        }
    }

    /// What the job leaves behind once it is done or failed for good (an uploaded file).
    fn release(&self, context: &JobContext) {
        match self {
            JobSpec::DecpImport(job) => job.release(context),
        }
    }
}

/// What a job's handler can reach.
#[derive(Clone)]
pub struct JobContext {
    pub db: Database,
    pub uploads: Uploads,
    /// The worker's clock.
    pub clock: std::sync::Arc<dyn crate::Clock>,
}

/// A failed attempt: the error for people (French), and whether another attempt may help
/// (a database that was unreachable) or not (a file that is not DECP).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobFailure {
    pub message: String,
    pub retry: bool,
}

impl JobFailure {
    /// An error that another attempt would meet again.
    pub fn permanent(message: impl Into<String>) -> JobFailure {
        JobFailure {
            message: message.into(),
            retry: false,
        }
    }

    /// An error that may pass: the job is tried again later, while attempts remain.
    pub fn transient(message: impl Into<String>) -> JobFailure {
        JobFailure {
            message: message.into(),
            retry: true,
        }
    }
}

/// How far a running job is, written by its handler as it goes and read by the worker at each
/// heartbeat.
#[derive(Debug, Clone, Default)]
pub struct Progress {
    done: Arc<AtomicI64>,
    /// Negative while unknown.
    total: Arc<AtomicI64>,
}

impl Progress {
    pub fn new() -> Progress {
        let progress = Progress::default();
        progress.total.store(-1, Ordering::Relaxed);
        progress
    }

    pub fn set_total(&self, total: u64) {
        self.total
            .store(i64::try_from(total).unwrap_or(i64::MAX), Ordering::Relaxed);
    }

    pub fn advance(&self, by: u64) {
        self.done
            .fetch_add(i64::try_from(by).unwrap_or(i64::MAX), Ordering::Relaxed);
    }

    pub fn snapshot(&self) -> JobProgress {
        let total = self.total.load(Ordering::Relaxed);
        JobProgress {
            done: self.done.load(Ordering::Relaxed),
            total: (total >= 0).then_some(total),
        }
    }
}

/// Queues `job`, asked by the user of `by` now; its id.
pub async fn enqueue(
    db: &Database,
    clock: &dyn Clock,
    by: &Scope,
    job: &JobSpec,
) -> Result<i64, StorageError> {
    let payload = job.payload();
    db.enqueue_job(
        Some(by),
        &NewJob {
            kind: job.kind(),
            payload: &payload,
            max_attempts: job.max_attempts(),
        },
        clock.now(),
    )
    .await
}

/// The last `limit` jobs, for the territory's coordinator only: jobs are the coordinator's.
pub async fn visible_jobs(
    app: &crate::App,
    user: &mutualis_storage::Principal,
    limit: u32,
) -> Result<Vec<mutualis_storage::jobs::Job>, crate::AppError> {
    let wide = user
        .scope()
        .territory_wide()
        .ok_or(crate::AppError::Forbidden)?;
    Ok(app.db.jobs_territory_wide(wide, limit).await?)
}

/// One job, for the territory's coordinator; for anyone else, no job exists.
pub async fn visible_job(
    app: &crate::App,
    user: &mutualis_storage::Principal,
    id: i64,
) -> Result<mutualis_storage::jobs::Job, crate::AppError> {
    let wide = user
        .scope()
        .territory_wide()
        .ok_or(crate::AppError::NotFound)?;
    app.db
        .job_territory_wide(wide, id)
        .await?
        .ok_or(crate::AppError::NotFound)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // a test that cannot unwrap has failed
mod tests {
    use super::*;

    #[test]
    fn a_spec_reads_back_from_its_kind_and_payload() {
        let spec = JobSpec::DecpImport(DecpImport {
            upload: "decp-1.upload".into(),
            file_name: "marchés 2019.json".into(),
            size: 42,
        });
        assert_eq!(JobSpec::parse(spec.kind(), &spec.payload()), Ok(spec));
        assert!(JobSpec::KINDS.contains(&"decp_import"));
        assert_eq!(
            JobSpec::parse("reminder", "{}"),
            Err(UnknownJob("reminder".into()))
        );
        assert!(JobSpec::parse("decp_import", "{}").is_err());
    }

    #[test]
    fn progress_is_unknown_until_its_total_is_set() {
        let progress = Progress::new();
        assert_eq!(
            progress.snapshot(),
            JobProgress {
                done: 0,
                total: None
            }
        );
        progress.set_total(10);
        progress.advance(4);
        progress.clone().advance(1);
        assert_eq!(
            progress.snapshot(),
            JobProgress {
                done: 5,
                total: Some(10)
            }
        );
    }
}
