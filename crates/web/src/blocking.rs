//! CPU-heavy work off the async worker threads. Password hashing and checking (argon2, slow on
//! purpose), the convention's PDF, the needs workbook (written and read) and the opportunity
//! engine each take from milliseconds to seconds of CPU: run on an async worker, they would
//! stall every other request that worker serves. They run on tokio's blocking pool instead,
//! through [`run`], and the handler awaits the result.

use crate::error::WebError;

/// Runs `work` on tokio's blocking pool (`mutualis_app::blocking`) and returns what it
/// returns. A panic in `work` (or a runtime shutting down) is an internal error, logged,
/// never shown.
pub async fn run<T, F>(work: F) -> Result<T, WebError>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    Ok(mutualis_app::blocking::run(work).await?)
}
