//! What one request may cost, in one place: how large its body may be and how long it may
//! take, per route. `router` applies them:
//!
//! | route | body | time |
//! |---|---|---|
//! | `/contrats/import` (the coordinator's DECP upload, received within the request and imported by a background job) | [`UPLOAD_LIMIT_BYTES`] | [`IMPORT_TIMEOUT`] |
//! | `/campagnes/{id}/classeur` (a member's needs workbook, downloaded and uploaded) | [`WORKBOOK_LIMIT_BYTES`] | [`WORKBOOK_TIMEOUT`] |
//! | every other route: pages, forms, the JSON API | [`BODY_LIMIT_BYTES`] | [`REQUEST_TIMEOUT`] |
//!
//! A body over its limit is refused by the extractor that reads it (413, the platform's error
//! page or JSON, or the workbook page saying so). A request still unanswered at its time limit
//! is dropped where it stands and answered [`ErrorCode::Timeout`]: 503, as the platform's error
//! page, or `{code, message}` under `/api/`. Not 408, which browsers may answer by sending the
//! request again on their own, a form's POST included. A database transaction cut short is
//! rolled back; work already committed (an import commits every 10,000 contracts) stays, and
//! work already handed to the blocking pool runs to its end, its result dropped.
//! The time counts from the request's arrival to the handler's answer, the body's upload
//! included: a slow line must still upload a whole file in time.

use std::time::Duration;

use axum::Router;
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::error::{ApiError, ErrorCode, WebError};

/// The largest request body of forms and JSON, which are small.
pub const BODY_LIMIT_BYTES: usize = 64 * 1024;

/// The largest DECP file accepted from the browser (the command line takes any size).
pub const UPLOAD_LIMIT_BYTES: usize = 200 * 1024 * 1024;
/// [`UPLOAD_LIMIT_BYTES`] as the page states it.
pub const UPLOAD_LIMIT_LABEL: &str = "200 Mio";

/// The largest workbook accepted. A workbook of the template with a few thousand needs is well
/// under 1 MB; the limit leaves room for a member's formatting and bounds what the server
/// unpacks.
pub const WORKBOOK_LIMIT_BYTES: usize = 5 * 1024 * 1024;
/// [`WORKBOOK_LIMIT_BYTES`] as the page states it.
pub const WORKBOOK_LIMIT_LABEL: &str = "5 Mo";

/// An ordinary request: a page, a form, an API call. The slowest take a few seconds (the
/// opportunities over every published contract); past this, something is stuck.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// The needs workbook: its 5 MiB uploaded over a slow line (in 30 s, they would need 1.4 Mbit/s
/// upstream, more than some town halls have), read and checked, or written with every contract
/// of a member.
pub const WORKBOOK_TIMEOUT: Duration = Duration::from_secs(5 * 60);

/// The DECP upload: up to 200 MiB to receive over a slow line (its import runs afterwards, as a
/// background job).
pub const IMPORT_TIMEOUT: Duration = Duration::from_secs(15 * 60);

/// The time limits the router applies (the constants above, unless a test shortens them).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    pub request: Duration,
    pub workbook: Duration,
    pub import: Duration,
}

impl Default for Timeouts {
    fn default() -> Timeouts {
        Timeouts {
            request: REQUEST_TIMEOUT,
            workbook: WORKBOOK_TIMEOUT,
            import: IMPORT_TIMEOUT,
        }
    }
}

/// `routes` with their limits: a body of `body_bytes` at most, an answer within `time`.
pub fn within<S>(routes: Router<S>, body_bytes: usize, time: Duration) -> Router<S>
where
    S: Clone + Send + Sync + 'static,
{
    routes
        .layer(DefaultBodyLimit::max(body_bytes))
        .layer(axum::middleware::from_fn_with_state(time, time_limit))
}

/// Middleware: the request within `limit`, or [`ErrorCode::Timeout`] (see the module's
/// documentation). An error page rendered here is framed by `error::frame_error_pages`, as
/// any other.
async fn time_limit(State(limit): State<Duration>, request: Request, next: Next) -> Response {
    let api = request.uri().path().starts_with("/api/");
    match tokio::time::timeout(limit, next.run(request)).await {
        Ok(response) => response,
        Err(_) => {
            tracing::warn!(limit = ?limit, "request timed out");
            let error = WebError::new(ErrorCode::Timeout);
            if api {
                ApiError(error).into_response()
            } else {
                error.into_response()
            }
        }
    }
}
