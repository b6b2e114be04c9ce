//! `mutualis worker`: the background jobs' worker alone; and the worker `mutualis serve` runs
//! inside its process. Both stop on Ctrl-C or SIGTERM: no new job is claimed, the running one
//! is given a few seconds to finish, or is left to be claimed again once its lease runs out.

use std::path::PathBuf;
use std::sync::Arc;

use mutualis_app::SystemClock;
use mutualis_app::jobs::{Uploads, Worker, WorkerConfig};
use mutualis_storage::Database;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::config::{DataDirArgs, Global, WorkerArgs};

pub async fn run(global: &Global, args: &WorkerArgs) -> anyhow::Result<()> {
    let db = Database::open(&global.database_url).await?;
    let uploads = uploads(global, &args.data);
    tracing::info!(database = %global.database_url, backend = %db.backend(), "database ready");
    let running = Running::start(db.clone(), uploads);
    println!("Le programme de traitement des travaux est prêt (Ctrl-C pour arrêter).");
    mutualis_app::shutdown_signal().await;
    running.stop().await;
    db.close().await;
    Ok(())
}

/// The uploads folder: `DATA_DIR/uploads`.
pub fn uploads(global: &Global, args: &DataDirArgs) -> Uploads {
    Uploads::new(data_dir(global, args).join("uploads"))
}

/// `--data-dir`, or beside the SQLite file, or in the system's temporary folder.
fn data_dir(global: &Global, args: &DataDirArgs) -> PathBuf {
    if let Some(dir) = &args.data_dir {
        return dir.clone();
    }
    let url = global.database_url.to_string();
    match url.strip_prefix("sqlite://") {
        Some(file) => std::path::Path::new(file)
            .parent()
            .unwrap_or(std::path::Path::new(""))
            .join("mutualis-data"),
        None => std::env::temp_dir().join("mutualis-data"),
    }
}

/// A worker running on its own task.
pub struct Running {
    stop: watch::Sender<bool>,
    task: JoinHandle<()>,
}

impl Running {
    pub fn start(db: Database, uploads: Uploads) -> Running {
        let worker = Worker::new(db, Arc::new(SystemClock), uploads, WorkerConfig::default());
        let (stop, stopped) = watch::channel(false);
        let task = tokio::spawn(async move { worker.run(stopped).await });
        Running { stop, task }
    }

    /// Stops claiming and waits for the running job (within the worker's grace).
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        if let Err(e) = self.task.await {
            tracing::error!(error = %e, "the worker ended on an error");
        }
    }
}
