//! The worker: claims the jobs of the kinds this build knows, one at a time, runs each on a task
//! of its own, renews its lease with its progress while it runs, and records how it ended.
//!
//! Stopping (Ctrl-C, SIGTERM): no new job is claimed; the running one has
//! [`WorkerConfig::stop_grace`] to finish and be recorded, after which it is abandoned as it
//! stands: nothing of it is recorded (neither done nor failed, no result), its row stays
//! `running` until its lease runs out, and then a worker claims it again. A DECP import commits
//! every 10,000 contracts: an abandoned one has written some, which the next attempt finds
//! unchanged.

use std::sync::Arc;
use std::time::Duration;

use chrono::TimeDelta;
use mutualis_storage::jobs::{AttemptOutcome, Job, Lease};
use mutualis_storage::{Database, StorageError};
use tokio::sync::watch;

use super::{JobContext, JobFailure, JobSpec, Progress, Uploads};
use crate::Clock;

/// The error of a job whose worker stopped on its last attempt.
const ABANDONED: &str = "Le traitement s'est interrompu à chaque essai (le programme qui \
    l'exécutait s'est arrêté avant de le finir) : il est abandonné.";

/// How a worker paces itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WorkerConfig {
    /// How long a claim holds a job without news of its worker; past it, another worker may
    /// claim the job.
    pub lease: Duration,
    /// How often a running job's lease is renewed (with its progress): well under `lease`.
    pub heartbeat: Duration,
    /// How long to wait before looking again when no job is due.
    pub poll: Duration,
    /// The delay before a failed attempt's retry, doubled at each attempt.
    pub retry_delay: Duration,
    /// How long a stopping worker lets its running job finish.
    pub stop_grace: Duration,
}

impl Default for WorkerConfig {
    fn default() -> WorkerConfig {
        WorkerConfig {
            lease: Duration::from_secs(60),
            heartbeat: Duration::from_secs(5),
            poll: Duration::from_secs(1),
            retry_delay: Duration::from_secs(30),
            stop_grace: Duration::from_secs(10),
        }
    }
}

/// A worker over one database and uploads folder.
#[derive(Clone)]
pub struct Worker {
    context: JobContext,
    clock: Arc<dyn Clock>,
    config: WorkerConfig,
    /// This worker's name in the leases it holds.
    id: String,
}

/// How one claimed job ended for this worker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ran {
    Done,
    /// Failed, and queued again or failed for good (as the table now says).
    Failed(String),
    /// Its lease was lost to another worker, or it was abandoned on stopping.
    Abandoned,
}

impl Worker {
    pub fn new(
        db: Database,
        clock: Arc<dyn Clock>,
        uploads: Uploads,
        config: WorkerConfig,
    ) -> Worker {
        let id = format!(
            "worker-{}-{}",
            std::process::id(),
            &uuid::Uuid::new_v4().simple().to_string()[..8]
        );
        Worker {
            context: JobContext {
                db,
                uploads,
                clock: clock.clone(),
            },
            clock,
            config,
            id,
        }
    }

    pub fn id(&self) -> &str {
        &self.id
    }

    /// Runs jobs until `stop` turns true.
    pub async fn run(&self, mut stop: watch::Receiver<bool>) {
        tracing::info!(worker = %self.id, uploads = %self.context.uploads.dir().display(), "worker started");
        while !*stop.borrow() {
            let ran = match self.next(Some(&mut stop)).await {
                Ok(ran) => ran,
                Err(e) => {
                    tracing::error!(worker = %self.id, error = %e, "worker: the database failed; trying again");
                    None
                }
            };
            if ran.is_none() {
                tokio::select! {
                    () = tokio::time::sleep(self.config.poll) => {}
                    _ = stop.wait_for(|stopped| *stopped) => {}
                }
            }
        }
        tracing::info!(worker = %self.id, "worker stopped");
    }

    /// Claims one due job and runs it to its end; `None` when no job is due.
    pub async fn run_next(&self) -> Result<Option<(i64, Ran)>, StorageError> {
        self.next(None).await
    }

    /// Runs jobs until none is due; how many ran.
    pub async fn run_until_idle(&self) -> Result<usize, StorageError> {
        let mut ran = 0;
        while self.run_next().await?.is_some() {
            ran += 1;
        }
        Ok(ran)
    }

    async fn next(
        &self,
        stop: Option<&mut watch::Receiver<bool>>,
    ) -> Result<Option<(i64, Ran)>, StorageError> {
        let db = &self.context.db;
        for job in db.fail_abandoned_jobs(self.clock.now(), ABANDONED).await? {
            tracing::warn!(job = job.id, kind = %job.kind, "job abandoned by its worker on its last attempt: failed");
            if let Ok(spec) = JobSpec::parse(&job.kind, &job.payload) {
                spec.release(&self.context);
            }
        }
        let lease_for = delta(self.config.lease);
        let Some((job, lease)) = db
            .claim_job(&self.id, JobSpec::KINDS, self.clock.now(), lease_for)
            .await?
        else {
            return Ok(None);
        };
        let id = job.id;
        let ran = self.run_claimed(job, lease, stop).await?;
        Ok(Some((id, ran)))
    }

    async fn run_claimed(
        &self,
        job: Job,
        lease: Lease,
        stop: Option<&mut watch::Receiver<bool>>,
    ) -> Result<Ran, StorageError> {
        let db = &self.context.db;
        tracing::info!(worker = %self.id, job = job.id, kind = %job.kind, attempt = lease.attempt, "job started");
        let spec = match JobSpec::parse(&job.kind, &job.payload) {
            Ok(spec) => spec,
            Err(unknown) => {
                let failure = JobFailure::permanent(format!(
                    "Paramètres du traitement illisibles ({}).",
                    unknown.0
                ));
                return self.record_failure(&job, &lease, failure, None).await;
            }
        };
        let progress = Progress::new();
        let mut task = tokio::spawn(spec.clone().run(self.context.clone(), progress.clone()));
        let mut beat = tokio::time::interval(self.config.heartbeat);
        beat.tick().await;
        let stopping = async {
            match stop {
                Some(stop) => {
                    let _ = stop.wait_for(|stopped| *stopped).await;
                    tokio::time::sleep(self.config.stop_grace).await;
                }
                None => std::future::pending().await,
            }
        };
        tokio::pin!(stopping);
        let outcome = loop {
            tokio::select! {
                joined = &mut task => break joined,
                _ = beat.tick() => {
                    let renewed = db
                        .renew_job_lease(&lease, progress.snapshot(), self.clock.now(), delta(self.config.lease))
                        .await;
                    match renewed {
                        Ok(true) => {}
                        Ok(false) => {
                            tracing::warn!(worker = %self.id, job = job.id, "job lost to another worker (its lease ran out): abandoned here");
                            task.abort();
                            return Ok(Ran::Abandoned);
                        }
                        // The lease may run out meanwhile: then another worker takes the job.
                        Err(e) => tracing::warn!(worker = %self.id, job = job.id, error = %e, "job lease not renewed"),
                    }
                }
                () = &mut stopping => {
                    tracing::warn!(worker = %self.id, job = job.id, "stopping: job abandoned as it stands, claimed again when its lease runs out");
                    task.abort();
                    return Ok(Ran::Abandoned);
                }
            }
        };
        let outcome = outcome.unwrap_or_else(|e| {
            tracing::error!(worker = %self.id, job = job.id, error = %e, "job task panicked");
            Err(JobFailure::transient(
                "Le traitement s'est arrêté sur une erreur interne ; le détail est dans le \
                 journal du serveur.",
            ))
        });
        match outcome {
            Ok(result) => {
                let recorded = db
                    .complete_job(&lease, &result, progress.snapshot(), self.clock.now())
                    .await?;
                if !recorded {
                    return Ok(Ran::Abandoned);
                }
                tracing::info!(worker = %self.id, job = job.id, "job done");
                spec.release(&self.context);
                Ok(Ran::Done)
            }
            Err(failure) => {
                self.record_failure(&job, &lease, failure, Some(&spec))
                    .await
            }
        }
    }

    async fn record_failure(
        &self,
        job: &Job,
        lease: &Lease,
        failure: JobFailure,
        spec: Option<&JobSpec>,
    ) -> Result<Ran, StorageError> {
        let now = self.clock.now();
        let retry_at = failure.retry.then(|| {
            // 1, 2, 4… times the delay.
            let factor = 1u32 << lease.attempt.saturating_sub(1).min(16);
            now + delta(self.config.retry_delay) * i32::try_from(factor).unwrap_or(i32::MAX)
        });
        let outcome = self
            .context
            .db
            .fail_job_attempt(lease, &failure.message, retry_at, now)
            .await?;
        match outcome {
            AttemptOutcome::Retry { at } => {
                tracing::warn!(worker = %self.id, job = job.id, error = %failure.message, retry_at = %at, "job attempt failed: retried later");
            }
            AttemptOutcome::Failed => {
                tracing::warn!(worker = %self.id, job = job.id, error = %failure.message, "job failed");
                if let Some(spec) = spec {
                    spec.release(&self.context);
                }
            }
            AttemptOutcome::Lost => return Ok(Ran::Abandoned),
        }
        Ok(Ran::Failed(failure.message))
    }
}

fn delta(d: Duration) -> TimeDelta {
    TimeDelta::from_std(d).unwrap_or(TimeDelta::MAX)
}
