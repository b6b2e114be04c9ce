//! The Mutualis web application: server-rendered French pages and the JSON API under
//! `/api/v1`. This crate knows HTTP, HTML and JSON; it asks the storage crate for data and
//! the domain crate for meaning, and neither of them knows it exists.

mod api;
mod error;
mod pages;

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::http::{HeaderValue, header};
use axum::response::IntoResponse;
use axum::routing::get;
use mutualis_storage::Database;
use tokio::net::TcpListener;

pub use error::WebError;

/// What every request handler can reach.
pub struct AppState {
    pub db: Database,
    /// The territory the home page presents.
    pub territory_slug: String,
}

/// Builds the application's router. Tests call it in-process; `serve` binds it to a socket.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/", get(pages::home))
        .route("/healthz", get(healthz))
        .route("/static/style.css", get(stylesheet))
        .nest("/api/v1", api::router())
        .fallback(pages::not_found)
        .with_state(Arc::new(state))
}

/// Serves the application on `listener` until Ctrl-C or SIGTERM.
pub async fn serve(listener: TcpListener, state: AppState) -> std::io::Result<()> {
    let app = router(state);
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown_signal())
    .await
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
}

/// Liveness and readiness: the process answers and its database does too.
async fn healthz(
    axum::extract::State(state): axum::extract::State<Arc<AppState>>,
) -> impl IntoResponse {
    match state.db.ping().await {
        Ok(()) => (axum::http::StatusCode::OK, "ok\n"),
        Err(e) => {
            tracing::error!(error = %e, "health check: database unreachable");
            (
                axum::http::StatusCode::SERVICE_UNAVAILABLE,
                "database unavailable\n",
            )
        }
    }
}

const STYLESHEET: &str = include_str!("../static/style.css");

async fn stylesheet() -> impl IntoResponse {
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/css; charset=utf-8"),
            ),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=3600"),
            ),
        ],
        STYLESHEET,
    )
}
