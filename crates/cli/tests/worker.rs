//! `mutualis worker`: the background jobs' worker alone, against the database and the data
//! folder that `mutualis serve` uses; it imports a queued DECP upload and stops on SIGTERM.

#![allow(clippy::unwrap_used)] // a test that cannot unwrap has failed

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{mutualis, remove_sqlite, stderr, temp_db};
use mutualis_app::jobs::{DecpImport, JobSpec};
use mutualis_storage::jobs::{JobStatus, NewJob};
use mutualis_storage::{Database, DatabaseUrl};

const ISERE: &[u8] = include_bytes!("../../../data/decp/isere_extract_2019.json");

#[tokio::test]
async fn the_worker_alone_imports_a_queued_upload_and_stops_on_sigterm() {
    let (path, url) = temp_db();
    let data = std::env::temp_dir().join(format!("mutualis-worker-{}", uuid::Uuid::new_v4()));
    let migrated = mutualis(&["db", "migrate", "--database-url", &url]);
    assert!(migrated.status.success(), "{}", stderr(&migrated));

    // An upload waiting in the data folder, and its job queued, as the page leaves them.
    let uploads = data.join("uploads");
    std::fs::create_dir_all(&uploads).unwrap();
    std::fs::write(uploads.join("decp-test.upload"), ISERE).unwrap();
    let db = Database::open(&url.parse::<DatabaseUrl>().unwrap())
        .await
        .unwrap();
    let spec = JobSpec::DecpImport(DecpImport {
        upload: "decp-test.upload".into(),
        file_name: "isere.json".into(),
        size: ISERE.len() as u64,
    });
    let id = db
        .enqueue_job(
            None,
            &NewJob {
                kind: spec.kind(),
                payload: &spec.payload(),
                max_attempts: spec.max_attempts(),
            },
            chrono::Utc::now(),
        )
        .await
        .unwrap();

    let mut worker = Command::new(env!("CARGO_BIN_EXE_mutualis"))
        .args(["worker", "--database-url", &url, "--data-dir"])
        .arg(&data)
        .env_remove("DATABASE_URL")
        .env_remove("MUTUALIS_DATA_DIR")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut ready = String::new();
    BufReader::new(worker.stdout.take().unwrap())
        .read_line(&mut ready)
        .unwrap();
    assert!(ready.contains("prêt"), "{ready}");

    let start = Instant::now();
    let job = loop {
        let job = db.job(id).await.unwrap().unwrap();
        if job.status.is_finished() {
            break job;
        }
        assert!(start.elapsed() < Duration::from_secs(120), "{job:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(job.status, JobStatus::Done, "{job:?}");
    let result: serde_json::Value = serde_json::from_str(job.result.as_deref().unwrap()).unwrap();
    assert_eq!(result["read"], 220);
    let counted: u64 = ["created", "updated", "unchanged", "rejected"]
        .iter()
        .map(|k| result[k].as_u64().unwrap())
        .sum();
    assert_eq!(counted, 220, "{result}");
    assert!(result["created"].as_u64().unwrap() > 0, "{result}");
    assert!(
        !uploads.join("decp-test.upload").exists(),
        "the upload deleted once imported"
    );

    // SIGTERM: the worker stops cleanly.
    let killed = Command::new("kill")
        .args(["-TERM", &worker.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let start = Instant::now();
    let status = loop {
        if let Some(status) = worker.try_wait().unwrap() {
            break status;
        }
        assert!(start.elapsed() < Duration::from_secs(30), "still running");
        std::thread::sleep(Duration::from_millis(50));
    };
    let mut log = String::new();
    std::io::Read::read_to_string(&mut worker.stderr.take().unwrap(), &mut log).unwrap();
    assert!(status.success(), "{status:?}: {log}");
    assert!(
        log.contains("job done") && log.contains("worker stopped"),
        "{log}"
    );

    db.close().await;
    remove_sqlite(&path);
    let _ = std::fs::remove_dir_all(&data);
}
