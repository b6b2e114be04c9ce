//! The worker stopped while a job runs: the job is left as it stands (neither done nor failed,
//! no result, its upload kept), and claimed again once its lease runs out, by a clock moved
//! past it without sleeping. On both backends.

#![allow(clippy::unwrap_used)] // a test that cannot unwrap has failed

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::TimeDelta;
use mutualis_app::jobs::decp_import::DecpImportResult;
use mutualis_app::jobs::{DecpImport, JobSpec, Uploads, Worker, WorkerConfig};
use mutualis_app::{Clock, SettableClock};
use mutualis_storage::jobs::{JobStatus, NewJob};
use mutualis_test_db::each_backend;
use tokio::sync::watch;

const REPEATS: usize = 240;

const ISERE: &[u8] = include_bytes!("../../../data/decp/isere_extract_2019.json");

/// The Isère records repeated 240 times (about 36 MB): an import long enough to be stopped
/// halfway, even now that a publication already met is counted without being written again.
fn long_decp_file() -> Vec<u8> {
    let isere: serde_json::Value = serde_json::from_slice(ISERE).unwrap();
    let records = isere["marches"].as_array().unwrap();
    let repeated: Vec<serde_json::Value> = (0..REPEATS).flat_map(|_| records.clone()).collect();
    serde_json::to_vec(&serde_json::json!({ "marches": repeated })).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_job_abandoned_on_stopping_is_claimed_again_once_its_lease_ran_out() {
    let file = long_decp_file();
    each_backend(|db| {
        let file = file.clone();
        async move {
            let clock = Arc::new(SettableClock::at_system_time());
            let uploads = Uploads::new(std::env::temp_dir().join("mutualis-app-worker-tests"));
            let mut upload = uploads.create("decp").unwrap();
            std::io::Write::write_all(upload.file(), &file).unwrap();
            let name = upload.keep();
            let spec = JobSpec::DecpImport(DecpImport {
                upload: name.clone(),
                file_name: "long.json".into(),
                size: file.len() as u64,
            });
            let id = db
                .enqueue_job(
                    None,
                    &NewJob {
                        kind: spec.kind(),
                        payload: &spec.payload(),
                        max_attempts: spec.max_attempts(),
                    },
                    clock.now(),
                )
                .await
                .unwrap();
            let config = WorkerConfig {
                heartbeat: Duration::from_millis(20),
                stop_grace: Duration::ZERO,
                ..WorkerConfig::default()
            };
            let worker = Worker::new(db.clone(), clock.clone(), uploads.clone(), config);
            let (stop, stopped) = watch::channel(false);
            let running = tokio::spawn({
                let worker = worker.clone();
                async move { worker.run(stopped).await }
            });
            // Stopped once it has read part of the file.
            let start = Instant::now();
            loop {
                let job = db.job(id).await.unwrap().unwrap();
                if job.status == JobStatus::Running && job.progress.done > 0 {
                    assert!(job.progress.done < job.progress.total.unwrap(), "{job:?}");
                    break;
                }
                assert!(start.elapsed() < Duration::from_secs(60), "{job:?}");
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
            stop.send(true).unwrap();
            running.await.unwrap();

            let job = db.job(id).await.unwrap().unwrap();
            assert_eq!(job.status, JobStatus::Running, "left as it stands");
            assert_eq!((job.attempts, job.result, job.error), (1, None, None));
            assert_eq!(job.lease_owner.as_deref(), Some(worker.id()));
            assert!(uploads.path(&name).unwrap().exists(), "its upload kept");

            // Within its lease, nobody takes it; past it, another worker does and finishes it.
            let other = Worker::new(db.clone(), clock.clone(), uploads.clone(), config);
            assert_eq!(other.run_until_idle().await.unwrap(), 0);
            clock.advance(TimeDelta::seconds(61));
            assert_eq!(other.run_until_idle().await.unwrap(), 1);
            let job = db.job(id).await.unwrap().unwrap();
            assert_eq!((job.status, job.attempts), (JobStatus::Done, 2));
            let result = DecpImportResult::parse(job.result.as_deref().unwrap()).unwrap();
            assert_eq!(result.read, 220 * REPEATS, "the whole file counted once");
            assert_eq!(
                result.created + result.updated + result.unchanged + result.rejected,
                result.read
            );
            assert!(!uploads.path(&name).unwrap().exists(), "its upload deleted");
        }
    })
    .await;
}
