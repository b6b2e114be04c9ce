//! Background jobs: a durable queue in the `jobs` table. The application enqueues a job (its
//! kind and a JSON payload), a worker claims it, renews its lease while it runs (saying how far
//! it is), and records it done with its result, or its attempt failed with a French error: the
//! job is queued again after a delay while attempts remain, failed for good otherwise.
//!
//! A claim is atomic when several workers run, on both backends: on PostgreSQL the candidate
//! row is locked with `FOR UPDATE SKIP LOCKED` (another worker skips it rather than waiting);
//! on SQLite the claim is one `UPDATE … RETURNING`, which takes the database's write lock before
//! it reads, so that two claims run one after the other. A worker that dies leaves its job
//! `running` with a lease that runs out: past it, the job is claimed again (or failed, when it
//! has no attempt left). Every write of a claimed job names its [`Lease`] (the worker and the
//! attempt): a worker that lost its job to another cannot overwrite what the other records.
//!
//! Storage reads no clock: every function takes the time.

use chrono::{DateTime, TimeDelta, Utc};

use crate::scope::{Scope, TerritoryWide};
use crate::{Database, Result, StorageError, on_backend};

/// Where a job is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum JobStatus {
    /// Waiting for a worker (a new job, or a failed attempt waiting its retry).
    Queued,
    Running,
    Done,
    /// Failed for good: its last attempt failed and no other may run.
    Failed,
}

impl JobStatus {
    pub fn code(self) -> &'static str {
        match self {
            JobStatus::Queued => "queued",
            JobStatus::Running => "running",
            JobStatus::Done => "done",
            JobStatus::Failed => "failed",
        }
    }

    pub fn from_code(code: &str) -> Option<JobStatus> {
        match code {
            "queued" => Some(JobStatus::Queued),
            "running" => Some(JobStatus::Running),
            "done" => Some(JobStatus::Done),
            "failed" => Some(JobStatus::Failed),
            _ => None,
        }
    }

    /// Done or failed for good: nothing more will happen to it.
    pub fn is_finished(self) -> bool {
        matches!(self, JobStatus::Done | JobStatus::Failed)
    }
}

/// How far a running attempt is: `done` units out of `total` (bytes read of a file, items…),
/// the total unknown when `None`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct JobProgress {
    pub done: i64,
    pub total: Option<i64>,
}

/// A job to enqueue.
#[derive(Debug, Clone)]
pub struct NewJob<'a> {
    /// What to do, as the application names it ("decp_import").
    pub kind: &'a str,
    /// Its parameters, JSON text.
    pub payload: &'a str,
    /// Attempts allowed, at least 1.
    pub max_attempts: u32,
}

/// One job as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Job {
    pub id: i64,
    pub kind: String,
    pub payload: String,
    pub status: JobStatus,
    /// Attempts started so far.
    pub attempts: u32,
    pub max_attempts: u32,
    pub progress: JobProgress,
    /// The last failed attempt's error, in French.
    pub error: Option<String>,
    /// A finished job's result, JSON text.
    pub result: Option<String>,
    /// The user who asked for it, and their organisation; `None` for the platform's own jobs.
    pub created_by: Option<i64>,
    pub created_by_email: Option<String>,
    pub organisation_id: Option<i64>,
    pub created_at: DateTime<Utc>,
    /// When its first attempt started.
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
    pub run_after: DateTime<Utc>,
    pub lease_owner: Option<String>,
    pub lease_until: Option<DateTime<Utc>>,
    pub heartbeat_at: Option<DateTime<Utc>>,
}

/// A worker's hold on the job it claimed: the worker and the attempt. Every write of a running
/// job names it and is refused (nothing written, `false` or [`AttemptOutcome::Lost`]) once the
/// job is no longer this attempt's: its lease ran out and another worker claimed it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lease {
    pub job_id: i64,
    pub owner: String,
    pub attempt: u32,
}

/// What a failed attempt made of its job.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttemptOutcome {
    /// Queued again, not claimed before this instant.
    Retry { at: DateTime<Utc> },
    /// Failed for good: no attempt left, or the error is not worth another.
    Failed,
    /// The job was no longer this attempt's: nothing written.
    Lost,
}

#[derive(sqlx::FromRow)]
struct JobRow {
    id: i64,
    kind: String,
    payload: String,
    status: String,
    attempts: i32,
    max_attempts: i32,
    progress_done: i64,
    progress_total: Option<i64>,
    error: Option<String>,
    result: Option<String>,
    created_by: Option<i64>,
    created_by_email: Option<String>,
    organisation_id: Option<i64>,
    created_at: DateTime<Utc>,
    started_at: Option<DateTime<Utc>>,
    finished_at: Option<DateTime<Utc>>,
    run_after: DateTime<Utc>,
    lease_owner: Option<String>,
    lease_until: Option<DateTime<Utc>>,
    heartbeat_at: Option<DateTime<Utc>>,
}

/// The columns of [`JobRow`] from `jobs j` (with `users u` for the e-mail, when joined).
const COLUMNS: &str = "j.id, j.kind, j.payload, j.status, j.attempts, j.max_attempts, \
    j.progress_done, j.progress_total, j.error, j.result, j.created_by, \
    (SELECT u.email FROM users u WHERE u.id = j.created_by) AS created_by_email, \
    j.organisation_id, j.created_at, j.started_at, j.finished_at, j.run_after, j.lease_owner, \
    j.lease_until, j.heartbeat_at";

/// The same, for a `RETURNING` clause, where the table has no alias.
const RETURNING: &str = "id, kind, payload, status, attempts, max_attempts, progress_done, \
    progress_total, error, result, created_by, \
    (SELECT u.email FROM users u WHERE u.id = jobs.created_by) AS created_by_email, \
    organisation_id, created_at, started_at, finished_at, run_after, lease_owner, lease_until, \
    heartbeat_at";

impl TryFrom<JobRow> for Job {
    type Error = StorageError;

    fn try_from(row: JobRow) -> Result<Job> {
        let status = JobStatus::from_code(&row.status).ok_or_else(|| StorageError::Corrupt {
            table: "jobs",
            column: "status",
            value: row.status.clone(),
            reason: "attendu queued, running, done ou failed".into(),
        })?;
        let count = |column: &'static str, n: i32| {
            u32::try_from(n).map_err(|_| StorageError::Corrupt {
                table: "jobs",
                column,
                value: n.to_string(),
                reason: "attendu un nombre positif".into(),
            })
        };
        Ok(Job {
            id: row.id,
            kind: row.kind,
            payload: row.payload,
            status,
            attempts: count("attempts", row.attempts)?,
            max_attempts: count("max_attempts", row.max_attempts)?,
            progress: JobProgress {
                done: row.progress_done,
                total: row.progress_total,
            },
            error: row.error,
            result: row.result,
            created_by: row.created_by,
            created_by_email: row.created_by_email,
            organisation_id: row.organisation_id,
            created_at: row.created_at,
            started_at: row.started_at,
            finished_at: row.finished_at,
            run_after: row.run_after,
            lease_owner: row.lease_owner,
            lease_until: row.lease_until,
            heartbeat_at: row.heartbeat_at,
        })
    }
}

fn attempts_param(n: u32) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}

impl Database {
    /// Queues a job, to run from `now`; asked by the user of `by`, or by the platform itself
    /// when `None`. Its id.
    pub async fn enqueue_job(
        &self,
        by: Option<&Scope>,
        job: &NewJob<'_>,
        now: DateTime<Utc>,
    ) -> Result<i64> {
        let max_attempts = attempts_param(job.max_attempts.max(1));
        let (user, organisation) = (by.map(Scope::user_id), by.map(Scope::organisation_id));
        let id: i64 = on_backend!(self, pool => {
            sqlx::query_scalar(
                "INSERT INTO jobs (kind, payload, status, attempts, max_attempts, \
                 created_by, organisation_id, created_at, run_after) \
                 VALUES ($1, $2, 'queued', 0, $3, $4, $5, $6, $6) RETURNING id",
            )
            .bind(job.kind)
            .bind(job.payload)
            .bind(max_attempts)
            .bind(user)
            .bind(organisation)
            .bind(now)
            .fetch_one(pool)
            .await?
        });
        Ok(id)
    }

    /// Claims the next job of one of `kinds` for the worker `owner`, holding it until
    /// `now + lease_for`: the oldest queued job due by `now`, or a running one whose lease ran
    /// out before `now` and that has an attempt left. Counts an attempt. Atomic: two workers
    /// never claim the same attempt.
    pub async fn claim_job(
        &self,
        owner: &str,
        kinds: &[&str],
        now: DateTime<Utc>,
        lease_for: TimeDelta,
    ) -> Result<Option<(Job, Lease)>> {
        if kinds.is_empty() {
            return Ok(None);
        }
        let kind_params: Vec<String> = (0..kinds.len()).map(|i| format!("${}", i + 4)).collect();
        let candidates = format!(
            "SELECT id FROM jobs WHERE kind IN ({}) AND \
             ((status = 'queued' AND run_after <= $1) \
              OR (status = 'running' AND lease_until < $1 AND attempts < max_attempts)) \
             ORDER BY run_after, id LIMIT 1",
            kind_params.join(", ")
        );
        // PostgreSQL: the candidate is locked, and skipped by every other claim meanwhile.
        // SQLite: the UPDATE holds the write lock from its start, subquery included.
        let lock = match self {
            Database::Postgres(_) => " FOR UPDATE SKIP LOCKED",
            Database::Sqlite(_) => "",
        };
        let sql = format!(
            "UPDATE jobs SET status = 'running', attempts = attempts + 1, lease_owner = $2, \
             lease_until = $3, heartbeat_at = $1, started_at = COALESCE(started_at, $1), \
             progress_done = 0, progress_total = NULL \
             WHERE id = ({candidates}{lock}) RETURNING {RETURNING}"
        );
        let lease_until = now + lease_for;
        let row: Option<JobRow> = on_backend!(self, pool => {
            let mut query = sqlx::query_as(&sql).bind(now).bind(owner).bind(lease_until);
            for kind in kinds {
                query = query.bind(*kind);
            }
            query.fetch_optional(pool).await?
        });
        let Some(job) = row.map(Job::try_from).transpose()? else {
            return Ok(None);
        };
        let lease = Lease {
            job_id: job.id,
            owner: owner.to_owned(),
            attempt: job.attempts,
        };
        Ok(Some((job, lease)))
    }

    /// The worker holding `lease` is alive: extends the lease to `now + lease_for` and records
    /// how far it is. `false` when the job is no longer this attempt's (nothing written).
    pub async fn renew_job_lease(
        &self,
        lease: &Lease,
        progress: JobProgress,
        now: DateTime<Utc>,
        lease_for: TimeDelta,
    ) -> Result<bool> {
        let updated = on_backend!(self, pool => {
            sqlx::query(
                "UPDATE jobs SET lease_until = $1, heartbeat_at = $2, progress_done = $3, \
                 progress_total = $4 \
                 WHERE id = $5 AND status = 'running' AND lease_owner = $6 AND attempts = $7",
            )
            .bind(now + lease_for)
            .bind(now)
            .bind(progress.done)
            .bind(progress.total)
            .bind(lease.job_id)
            .bind(&lease.owner)
            .bind(attempts_param(lease.attempt))
            .execute(pool)
            .await?
            .rows_affected()
        });
        Ok(updated == 1)
    }

    /// The attempt of `lease` succeeded: the job is done with `result` (JSON text). `false`
    /// when the job is no longer this attempt's (nothing written).
    pub async fn complete_job(
        &self,
        lease: &Lease,
        result: &str,
        progress: JobProgress,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        let updated = on_backend!(self, pool => {
            sqlx::query(
                "UPDATE jobs SET status = 'done', result = $1, error = NULL, finished_at = $2, \
                 progress_done = $3, progress_total = $4, lease_owner = NULL, \
                 lease_until = NULL, heartbeat_at = $2 \
                 WHERE id = $5 AND status = 'running' AND lease_owner = $6 AND attempts = $7",
            )
            .bind(result)
            .bind(now)
            .bind(progress.done)
            .bind(progress.total)
            .bind(lease.job_id)
            .bind(&lease.owner)
            .bind(attempts_param(lease.attempt))
            .execute(pool)
            .await?
            .rows_affected()
        });
        Ok(updated == 1)
    }

    /// The attempt of `lease` failed with `error` (French, for people). With `retry_at` and
    /// an attempt left, the job is queued again, not to run before `retry_at`; otherwise it
    /// has failed for good.
    pub async fn fail_job_attempt(
        &self,
        lease: &Lease,
        error: &str,
        retry_at: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
    ) -> Result<AttemptOutcome> {
        let row: Option<(String, DateTime<Utc>)> = on_backend!(self, pool => {
            sqlx::query_as(
                "UPDATE jobs SET \
                 status = CASE WHEN $1 AND attempts < max_attempts THEN 'queued' ELSE 'failed' END, \
                 run_after = CASE WHEN $1 AND attempts < max_attempts THEN $2 ELSE run_after END, \
                 finished_at = CASE WHEN $1 AND attempts < max_attempts THEN NULL ELSE $3 END, \
                 error = $4, lease_owner = NULL, lease_until = NULL \
                 WHERE id = $5 AND status = 'running' AND lease_owner = $6 AND attempts = $7 \
                 RETURNING status, run_after",
            )
            .bind(retry_at.is_some())
            .bind(retry_at.unwrap_or(now))
            .bind(now)
            .bind(error)
            .bind(lease.job_id)
            .bind(&lease.owner)
            .bind(attempts_param(lease.attempt))
            .fetch_optional(pool)
            .await?
        });
        Ok(match row {
            None => AttemptOutcome::Lost,
            Some((status, at)) if status == "queued" => AttemptOutcome::Retry { at },
            Some(_) => AttemptOutcome::Failed,
        })
    }

    /// Fails for good, with `error`, every running job whose lease ran out before `now` and
    /// that has no attempt left (its worker died on its last attempt); the jobs so failed.
    pub async fn fail_abandoned_jobs(&self, now: DateTime<Utc>, error: &str) -> Result<Vec<Job>> {
        let sql = format!(
            "UPDATE jobs SET status = 'failed', error = $1, finished_at = $2, \
             lease_owner = NULL, lease_until = NULL \
             WHERE status = 'running' AND lease_until < $2 AND attempts >= max_attempts \
             RETURNING {RETURNING}"
        );
        let rows: Vec<JobRow> = on_backend!(self, pool => {
            sqlx::query_as(&sql).bind(error).bind(now).fetch_all(pool).await?
        });
        rows.into_iter().map(Job::try_from).collect()
    }

    /// One job, whoever asked for it: for the workers and the operator's command line.
    pub async fn job(&self, id: i64) -> Result<Option<Job>> {
        let sql = format!("SELECT {COLUMNS} FROM jobs j WHERE j.id = $1");
        let row: Option<JobRow> = on_backend!(self, pool => {
            sqlx::query_as(&sql).bind(id).fetch_optional(pool).await?
        });
        row.map(Job::try_from).transpose()
    }

    /// One job, for the coordinator's view of the territory's jobs.
    pub async fn job_territory_wide(&self, _: TerritoryWide, id: i64) -> Result<Option<Job>> {
        self.job(id).await
    }

    /// The latest `limit` jobs, newest first, for the coordinator's view.
    pub async fn jobs_territory_wide(&self, _: TerritoryWide, limit: u32) -> Result<Vec<Job>> {
        let sql = format!("SELECT {COLUMNS} FROM jobs j ORDER BY j.id DESC LIMIT $1");
        let rows: Vec<JobRow> = on_backend!(self, pool => {
            sqlx::query_as(&sql).bind(i64::from(limit)).fetch_all(pool).await?
        });
        rows.into_iter().map(Job::try_from).collect()
    }
}
