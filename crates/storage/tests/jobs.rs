//! The jobs table: claims atomic between workers, retries up to the limit, leases that run out,
//! progress and results — on both backends.

#![allow(clippy::unwrap_used)] // a test that cannot unwrap has failed

use std::collections::BTreeSet;

use chrono::{DateTime, TimeDelta, Utc};
use mutualis_storage::Database;
use mutualis_storage::jobs::{AttemptOutcome, JobProgress, JobStatus, NewJob};
use mutualis_test_db::{each_backend, world};

const KIND: &str = "decp_import";
const LEASE: TimeDelta = TimeDelta::seconds(60);

fn t0() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-12-07T10:00:00Z")
        .unwrap()
        .with_timezone(&Utc)
}

fn new_job(max_attempts: u32) -> NewJob<'static> {
    NewJob {
        kind: KIND,
        payload: r#"{"file":"x.json"}"#,
        max_attempts,
    }
}

async fn enqueue(db: &Database, max_attempts: u32) -> i64 {
    db.enqueue_job(None, &new_job(max_attempts), t0())
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_workers_never_claim_the_same_job() {
    each_backend(|db| async move {
        let mut queued = BTreeSet::new();
        for _ in 0..40 {
            queued.insert(enqueue(&db, 3).await);
        }
        // Two workers claim as fast as they can, concurrently, until nothing is left.
        let worker = |name: &'static str| {
            let db = db.clone();
            async move {
                let mut mine = Vec::new();
                while let Some((job, lease)) =
                    db.claim_job(name, &[KIND], t0(), LEASE).await.unwrap()
                {
                    assert_eq!(job.status, JobStatus::Running);
                    assert_eq!(lease.owner, name);
                    mine.push(job.id);
                }
                mine
            }
        };
        let (a, b) = tokio::join!(
            tokio::spawn(worker("worker-a")),
            tokio::spawn(worker("worker-b"))
        );
        let (a, b) = (a.unwrap(), b.unwrap());
        let claimed: BTreeSet<i64> = a.iter().chain(&b).copied().collect();
        assert_eq!(a.len() + b.len(), 40, "each job claimed once: {a:?} {b:?}");
        assert_eq!(claimed, queued);

        // One job, many claims at once: exactly one wins.
        let single = enqueue(&db, 3).await;
        let claims = (0..8).map(|i| {
            let db = db.clone();
            tokio::spawn(async move {
                db.claim_job(&format!("w{i}"), &[KIND], t0(), LEASE)
                    .await
                    .unwrap()
            })
        });
        let mut winners = Vec::new();
        for claim in claims {
            if let Some((job, _)) = claim.await.unwrap() {
                winners.push(job.id);
            }
        }
        assert_eq!(winners, vec![single]);
    })
    .await;
}

#[tokio::test]
async fn a_failed_attempt_is_retried_after_its_delay_up_to_the_limit() {
    each_backend(|db| async move {
        let id = enqueue(&db, 3).await;
        let mut now = t0();
        for attempt in 1..=3 {
            // Not before its retry time.
            assert!(
                db.claim_job("w", &[KIND], now - TimeDelta::seconds(1), LEASE)
                    .await
                    .unwrap()
                    .is_none()
            );
            let (job, lease) = db
                .claim_job("w", &[KIND], now, LEASE)
                .await
                .unwrap()
                .unwrap();
            assert_eq!(
                (job.id, job.attempts, lease.attempt),
                (id, attempt, attempt)
            );
            assert_eq!(job.started_at, Some(t0()), "the first attempt's start");
            let retry_at = now + TimeDelta::seconds(30);
            let outcome = db
                .fail_job_attempt(
                    &lease,
                    &format!("base injoignable (essai {attempt})"),
                    Some(retry_at),
                    now,
                )
                .await
                .unwrap();
            let job = db.job(id).await.unwrap().unwrap();
            assert_eq!(
                job.error.unwrap(),
                format!("base injoignable (essai {attempt})")
            );
            if attempt < 3 {
                assert_eq!(outcome, AttemptOutcome::Retry { at: retry_at });
                assert_eq!(job.status, JobStatus::Queued);
                assert_eq!(job.finished_at, None);
                assert_eq!(job.lease_owner, None);
            } else {
                assert_eq!(outcome, AttemptOutcome::Failed);
                assert_eq!(job.status, JobStatus::Failed);
                assert_eq!(job.attempts, 3);
                assert_eq!(job.finished_at, Some(now));
            }
            now = retry_at;
        }
        // Failed for good: never claimed again.
        let later = now + TimeDelta::days(1);
        assert!(
            db.claim_job("w", &[KIND], later, LEASE)
                .await
                .unwrap()
                .is_none()
        );

        // An error not worth another attempt fails the job at once, attempts left or not.
        let id = enqueue(&db, 3).await;
        let (_, lease) = db
            .claim_job("w", &[KIND], t0(), LEASE)
            .await
            .unwrap()
            .unwrap();
        let outcome = db
            .fail_job_attempt(&lease, "le fichier n'est pas du DECP", None, t0())
            .await
            .unwrap();
        assert_eq!(outcome, AttemptOutcome::Failed);
        let job = db.job(id).await.unwrap().unwrap();
        assert_eq!(
            (job.status, job.attempts, job.error.as_deref()),
            (JobStatus::Failed, 1, Some("le fichier n'est pas du DECP"))
        );
    })
    .await;
}

#[tokio::test]
async fn a_job_whose_lease_ran_out_is_claimed_again_and_its_first_worker_is_shut_out() {
    each_backend(|db| async move {
        let id = enqueue(&db, 2).await;
        let (_, first) = db
            .claim_job("a", &[KIND], t0(), LEASE)
            .await
            .unwrap()
            .unwrap();
        // Alive: renewing pushes the lease.
        let renewed_at = t0() + TimeDelta::seconds(50);
        assert!(
            db.renew_job_lease(&first, JobProgress::default(), renewed_at, LEASE)
                .await
                .unwrap()
        );
        assert!(
            db.claim_job("b", &[KIND], t0() + TimeDelta::seconds(100), LEASE)
                .await
                .unwrap()
                .is_none(),
            "still held"
        );
        // Then it dies: past its lease, another worker takes the job, as its second attempt.
        let past = renewed_at + LEASE + TimeDelta::seconds(1);
        let (job, second) = db
            .claim_job("b", &[KIND], past, LEASE)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            (job.id, job.attempts, job.lease_owner.as_deref()),
            (id, 2, Some("b"))
        );
        assert_eq!(job.lease_until, Some(past + LEASE));
        // The first worker, back to life, can write nothing.
        assert!(
            !db.renew_job_lease(&first, JobProgress::default(), past, LEASE)
                .await
                .unwrap()
        );
        assert!(
            !db.complete_job(&first, "{}", JobProgress::default(), past)
                .await
                .unwrap()
        );
        assert_eq!(
            db.fail_job_attempt(&first, "x", None, past).await.unwrap(),
            AttemptOutcome::Lost
        );
        assert!(
            db.complete_job(&second, r#"{"ok":true}"#, JobProgress::default(), past)
                .await
                .unwrap()
        );
        let job = db.job(id).await.unwrap().unwrap();
        assert_eq!(job.status, JobStatus::Done);
        assert_eq!(job.result.as_deref(), Some(r#"{"ok":true}"#));

        // A worker that dies on the last attempt: not claimed again, failed by the sweep.
        let id = enqueue(&db, 1).await;
        db.claim_job("a", &[KIND], t0(), LEASE)
            .await
            .unwrap()
            .unwrap();
        let past = t0() + LEASE + TimeDelta::seconds(1);
        assert!(
            db.claim_job("b", &[KIND], past, LEASE)
                .await
                .unwrap()
                .is_none()
        );
        assert!(
            db.fail_abandoned_jobs(t0() + TimeDelta::seconds(30), "interrompu")
                .await
                .unwrap()
                .is_empty(),
            "its lease still runs"
        );
        let failed = db.fail_abandoned_jobs(past, "interrompu").await.unwrap();
        assert_eq!(failed.len(), 1);
        assert_eq!(failed[0].id, id);
        let job = db.job(id).await.unwrap().unwrap();
        assert_eq!(
            (job.status, job.error.as_deref(), job.finished_at),
            (JobStatus::Failed, Some("interrompu"), Some(past))
        );
    })
    .await;
}

#[tokio::test]
async fn progress_and_result_are_recorded_and_the_coordinator_sees_who_asked() {
    each_backend(|db| async move {
        let w = world(&db).await;
        let id = db
            .enqueue_job(Some(w.coordinator.scope()), &new_job(3), t0())
            .await
            .unwrap();
        // Another kind's worker does not take it.
        assert!(
            db.claim_job("w", &["search_index"], t0(), LEASE)
                .await
                .unwrap()
                .is_none()
        );
        let (job, lease) = db
            .claim_job("w", &[KIND], t0(), LEASE)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(job.progress, JobProgress::default());
        let halfway = JobProgress {
            done: 500,
            total: Some(1_000),
        };
        let at = t0() + TimeDelta::seconds(5);
        assert!(
            db.renew_job_lease(&lease, halfway, at, LEASE)
                .await
                .unwrap()
        );
        let tw = w.coordinator.scope().territory_wide().unwrap();
        let seen = db.job_territory_wide(tw, id).await.unwrap().unwrap();
        assert_eq!(seen.status, JobStatus::Running);
        assert_eq!(seen.progress, halfway);
        assert_eq!(seen.heartbeat_at, Some(at));
        assert_eq!(seen.lease_until, Some(at + LEASE));
        assert_eq!(seen.created_by, Some(w.coordinator.user_id()));
        assert_eq!(seen.created_by_email.as_deref(), Some("coord@lametro.test"));
        assert_eq!(seen.organisation_id, Some(w.metro_id));

        let whole = JobProgress {
            done: 1_000,
            total: Some(1_000),
        };
        assert!(
            db.complete_job(&lease, r#"{"read":3}"#, whole, at)
                .await
                .unwrap()
        );
        let list = db.jobs_territory_wide(tw, 10).await.unwrap();
        assert_eq!(list.len(), 1);
        assert_eq!(list[0].status, JobStatus::Done);
        assert_eq!(list[0].progress, whole);
        assert_eq!(list[0].finished_at, Some(at));
        assert_eq!(list[0].result.as_deref(), Some(r#"{"read":3}"#));
        assert!(db.job_territory_wide(tw, id + 1).await.unwrap().is_none());
    })
    .await;
}
