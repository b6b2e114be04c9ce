//! CPU-heavy work off the async worker threads. Password hashing and checking (argon2, slow on
//! purpose), the convention's PDF, the needs workbook (written and read) and the opportunity
//! engine each take from milliseconds to seconds of CPU: run on an async worker, they would
//! stall every other request that worker serves. They run on tokio's blocking pool instead,
//! through [`run`], and the caller awaits the result.

use crate::AppError;

/// Runs `work` on tokio's blocking pool and returns what it returns. A panic in `work` (or a
/// runtime shutting down) is an internal error, logged, never shown.
pub async fn run<T, F>(work: F) -> Result<T, AppError>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    tokio::task::spawn_blocking(work)
        .await
        .map_err(AppError::internal)
}

#[cfg(test)]
mod tests {
    use std::sync::mpsc;
    use std::time::Duration;

    use super::*;

    /// On a current-thread runtime the test's own thread is the only async worker: the work
    /// waits for a message that this thread sends only once the work has started elsewhere.
    /// Run inline, the work would hold the thread and wait in vain (and fail on its timeout).
    #[tokio::test(flavor = "current_thread")]
    async fn the_work_runs_off_the_async_worker() {
        let worker = std::thread::current().id();
        let (started_tx, started_rx) = tokio::sync::oneshot::channel();
        let (go_tx, go_rx) = mpsc::channel::<()>();
        let work = run(move || {
            let _ = started_tx.send(std::thread::current().id());
            go_rx.recv_timeout(Duration::from_secs(10)).is_ok()
        });
        let release = async move {
            let thread = started_rx.await.expect("the work started");
            go_tx.send(()).expect("the work waits for the message");
            thread
        };
        let (done, thread) = tokio::join!(work, release);
        assert_eq!(done.ok(), Some(true), "the work did not get the message");
        assert_ne!(thread, worker);
    }

    #[tokio::test(flavor = "current_thread")]
    async fn a_panic_in_the_work_is_an_internal_error() {
        let error = run(|| -> u8 { panic!("the work failed") })
            .await
            .expect_err("a panic is an error");
        assert!(matches!(error, AppError::Internal(_)));
    }
}
