//! The Mutualis web application: server-rendered French pages and the JSON API under
//! `/api/v1`. This crate knows HTTP, HTML and JSON; it asks the storage crate for data and
//! the domain crate for meaning, and neither of them knows it exists.

mod api;
mod blocking;
mod error;
mod layout;
mod limits;
mod pages;
mod session;

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::http::{HeaderValue, header};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use chrono::Duration;
use mutualis_storage::accounts::SessionPolicy;
use tokio::net::TcpListener;
use tower_http::LatencyUnit;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::{DefaultOnResponse, TraceLayer};

pub use api::ApiDoc;
pub use error::{ErrorCode, WebError};
pub use limits::{BODY_LIMIT_BYTES, Timeouts, UPLOAD_LIMIT_BYTES};
pub use pages::account::TOKEN_PREFIX;

/// What every request handler can reach: the application (its database, clock and
/// territory, which the use cases of `mutualis_app` work with) and the web layer's own
/// settings. It dereferences to the [`App`](mutualis_app::App).
pub struct AppState {
    pub app: mutualis_app::App,
    /// Started with `--demo`: the sign-in page says so.
    pub demo: bool,
    pub config: WebConfig,
    /// Where the DECP uploads wait for their import job (shared with the workers).
    pub uploads: mutualis_app::jobs::Uploads,
}

impl std::ops::Deref for AppState {
    type Target = mutualis_app::App;

    fn deref(&self) -> &mutualis_app::App {
        &self.app
    }
}

/// Security settings of the web layer.
#[derive(Debug, Clone, Copy)]
pub struct WebConfig {
    /// Send cookies with `Secure` (on by default; browsers accept it on http://localhost).
    pub cookie_secure: bool,
    pub session: SessionPolicy,
    pub throttle: Throttle,
    /// The reverse proxy in front of Mutualis, if any: for its requests only, the client's
    /// address is the last one it added to `X-Forwarded-For` (anyone else's header is ignored,
    /// as a client could write any address in it).
    pub trusted_proxy: Option<std::net::IpAddr>,
    /// How long a request may take, per route (`limits.rs`).
    pub timeouts: Timeouts,
}

pub use mutualis_app::accounts::Throttle;

impl Default for WebConfig {
    fn default() -> WebConfig {
        WebConfig {
            cookie_secure: true,
            session: SessionPolicy {
                absolute: Duration::hours(12),
                idle: Duration::hours(2),
            },
            throttle: Throttle {
                window: Duration::minutes(15),
                per_account: 5,
                per_account_anywhere: 50,
                per_address: 50,
            },
            trusted_proxy: None,
            timeouts: Timeouts::default(),
        }
    }
}

/// Builds the application's router. Tests call it in-process; `serve` binds it to a socket.
pub fn router(state: AppState) -> Router {
    let state = Arc::new(state);
    let timeouts = state.config.timeouts;
    let ordinary = Router::new()
        .route("/", get(pages::home::home))
        .route(
            "/connexion",
            get(pages::auth::login_form).post(pages::auth::login),
        )
        .route("/deconnexion", post(pages::auth::logout))
        .route("/compte", get(pages::account::account))
        .route(
            "/compte/mot-de-passe",
            post(pages::account::change_password),
        )
        .route("/compte/jetons", post(pages::account::new_token))
        .route(
            "/compte/jetons/{id}/revoquer",
            post(pages::account::revoke_token),
        )
        .route("/organisations", get(pages::organisations::list))
        .route("/organisations/{id}", get(pages::organisations::detail))
        .route("/utilisateurs", get(pages::organisations::users))
        .route("/contrats", get(pages::contracts::list))
        .route("/contrats/{id}", get(pages::contracts::detail))
        .route("/calendrier", get(pages::contracts::calendar))
        .route("/campagnes", get(pages::campaigns::list))
        .route(
            "/campagnes/nouvelle",
            get(pages::campaigns::new_form).post(pages::campaigns::create),
        )
        .route("/campagnes/{id}", get(pages::campaigns::detail))
        .route("/campagnes/{id}/besoins", post(pages::campaigns::add_need))
        .route(
            "/campagnes/{id}/besoins/{need}/supprimer",
            post(pages::campaigns::delete_need),
        )
        .route(
            "/campagnes/{id}/reponse",
            post(pages::campaigns::submit_answer),
        )
        .route(
            "/campagnes/{id}/relances/{organisation}",
            post(pages::campaigns::remind),
        )
        .route("/campagnes/{id}/cloture", post(pages::campaigns::close))
        .route("/opportunites", get(pages::opportunities::list))
        .route("/opportunites/{prefix}", get(pages::opportunities::detail))
        .route(
            "/opportunites/{prefix}/groupement",
            post(pages::groupements::create_from_opportunity),
        )
        .route("/groupements", get(pages::groupements::list))
        .route("/groupements/{id}", get(pages::groupements::detail))
        .route("/groupements/{id}/actions", post(pages::groupements::act))
        .route(
            "/groupements/{id}/convention",
            get(pages::groupements::convention_html),
        )
        .route(
            "/groupements/{id}/convention.pdf",
            get(pages::groupements::convention_pdf),
        )
        .route("/travaux", get(pages::jobs::list))
        .route("/travaux/{id}", get(pages::jobs::detail))
        .route("/healthz", get(healthz))
        .route("/static/style.css", get(stylesheet))
        .nest("/api/v1", api::router())
        .fallback(pages::not_found);
    // The routes whose body and time limits are not the ordinary ones (`limits.rs`).
    let workbook = Router::new().route(
        "/campagnes/{id}/classeur",
        get(pages::campaigns::download_workbook).post(pages::campaigns::upload_workbook),
    );
    let import = Router::new().route(
        "/contrats/import",
        get(pages::import::form).post(pages::import::upload),
    );
    let router = limits::within(ordinary, BODY_LIMIT_BYTES, timeouts.request)
        .merge(limits::within(
            workbook,
            limits::WORKBOOK_LIMIT_BYTES,
            timeouts.workbook,
        ))
        .merge(limits::within(
            import,
            limits::UPLOAD_LIMIT_BYTES,
            timeouts.import,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            error::frame_error_pages,
        ));
    let router = SECURITY_HEADERS
        .into_iter()
        .fold(router, |router, (name, value)| {
            router.layer(SetResponseHeaderLayer::if_not_present(
                name,
                HeaderValue::from_static(value),
            ))
        });
    traced(router).with_state(state)
}

/// Every request gets an id, `x-request-id` (the one the client or a proxy sent, or a new
/// UUID), which its response carries back, and a span `request{method path request_id}` that
/// every log line written while serving it names. At INFO, one line when it is answered, with
/// its status and latency. The path is logged without its query string, which may carry a
/// token or personal data; internal errors are logged by `WebError`, with their cause.
fn traced(router: Router<Arc<AppState>>) -> Router<Arc<AppState>> {
    let trace = TraceLayer::new_for_http()
        .make_span_with(request_span)
        .on_response(
            DefaultOnResponse::new()
                .level(tracing::Level::INFO)
                .latency_unit(LatencyUnit::Millis),
        )
        .on_failure(());
    router
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(trace)
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
}

fn request_span(request: &axum::extract::Request) -> tracing::Span {
    let id = request
        .headers()
        .get("x-request-id")
        .and_then(|id| id.to_str().ok())
        .unwrap_or_default();
    tracing::info_span!(
        "request",
        method = %request.method(),
        path = %request.uri().path(),
        request_id = %id,
    )
}

/// The Content-Security-Policy of every response: the site's own stylesheet, images and
/// forms only; no script at all (the pages have none), no inline style, no framing.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'none'; \
    style-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; \
    form-action 'self'; frame-ancestors 'none'";

/// The headers every response carries (OWASP's secure headers): the policy above, no MIME
/// sniffing, no framing (for browsers without `frame-ancestors`), the referrer kept on this
/// site, and nothing kept in a cache unless the handler says so (the stylesheet does): pages
/// and API answers hold a member's data. `Strict-Transport-Security` belongs to the HTTPS
/// front that terminates TLS, not to this plain-HTTP server.
const SECURITY_HEADERS: [(header::HeaderName, &str); 5] = [
    (header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY),
    (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
    (header::X_FRAME_OPTIONS, "DENY"),
    (header::REFERRER_POLICY, "same-origin"),
    (header::CACHE_CONTROL, "no-store"),
];

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

use mutualis_app::shutdown_signal;

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
