//! Runtime hygiene, on both backends: every request has an id, answered back and named by
//! its log line; a request past its route's time limit is answered by the platform's error;
//! CPU-heavy work (password hashing and checking, the convention's PDF, the needs workbook, the
//! opportunity engine) waits for tokio's blocking pool instead of holding the async worker.
//!
//! The blocking-pool tests run on a current-thread runtime (one async worker: the test's
//! thread) whose blocking pool is watched: every thread it starts is counted and held at its
//! start until the test lets it go. With the pool empty and held, a request that does its heavy
//! work on the pool cannot answer before a thread has started for it, and meanwhile another
//! page is served; a request that did the work inline would answer without any thread started,
//! and fails.

#![allow(clippy::unwrap_used)] // a test that cannot unwrap has failed

mod common;

use mutualis_app::Clock;
use std::collections::HashSet;
use std::future::Future;
use std::pin::pin;
use std::sync::{Arc, Condvar, Mutex, OnceLock};
use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use chrono::NaiveDate;
use common::{App, COORDINATOR, ECHIROLLES_BUYER, PASSWORD, Reply};
use mutualis_domain::Siren;
use mutualis_domain::groupement::{CostSharing, Lot, Mission, NewGroupement};
use mutualis_reference::cpv::nomenclature;
use mutualis_storage::Database;
use mutualis_test_db::each_backend;
use mutualis_web::{ErrorCode, Timeouts, WebConfig};
use tokio::sync::watch;

const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// The application with its accounts, and the coordinator's session cookie and API token.
async fn with_coordinator(db: Database) -> (App, String, String) {
    let app = App::new(db).await;
    let cookies = app.sign_in(COORDINATOR).await;
    let token = app.create_token(&cookies, "exploitation").await;
    (app, cookies, token)
}

#[tokio::test]
async fn every_response_carries_a_request_id() {
    each_backend(|db| async move {
        let (app, cookies, token) = with_coordinator(db).await;
        let replies = [
            app.get("/", None).await,
            app.get("/contrats", Some(&cookies)).await,
            app.get("/nulle-part", Some(&cookies)).await,
            app.get("/compte", None).await,
            app.post_form("/connexion", None, &[]).await,
            app.get("/static/style.css", None).await,
            app.api("GET", "/api/v1/me", Some(&token), None).await,
            app.api("GET", "/api/v1/me", None, None).await,
        ];
        let mut ids = HashSet::new();
        for reply in &replies {
            let id = reply.header("x-request-id");
            assert!(
                uuid::Uuid::parse_str(&id).is_ok(),
                "{} {id:?}",
                reply.status
            );
            ids.insert(id);
        }
        assert_eq!(ids.len(), replies.len(), "a new id for every request");

        // An id given by the client (or a proxy in front) is kept and answered back.
        let given = app
            .send(
                Request::get("/contrats")
                    .header(header::COOKIE, &cookies)
                    .header("x-request-id", "proxy-7f3a")
                    .body(Body::empty())
                    .unwrap(),
            )
            .await;
        assert_eq!(given.status, StatusCode::OK);
        assert_eq!(given.header("x-request-id"), "proxy-7f3a");
    })
    .await;
}

/// What this file's tests log at INFO, as `mutualis serve` writes it.
#[derive(Clone, Default)]
struct Log(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Log {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The process's log, a subscriber for all threads: tracing remembers across threads which
/// call sites are enabled, so that a subscriber of this test's thread alone would miss those
/// another test's thread met first.
fn log() -> &'static Log {
    static LOG: OnceLock<Log> = OnceLock::new();
    LOG.get_or_init(|| {
        let log = Log::default();
        let writer = log.clone();
        tracing_subscriber::fmt()
            .with_max_level(tracing::Level::INFO)
            .with_ansi(false)
            .with_writer(move || writer.clone())
            .init();
        // Call sites met before the subscriber was set are asked again.
        tracing::callsite::rebuild_interest_cache();
        log
    })
}

#[tokio::test]
async fn each_request_logs_one_line_with_its_id_and_without_its_query() {
    let log = log();
    each_backend(|db| async move {
        let app = App::bare(db);
        let id = format!("journal-{}", uuid::Uuid::new_v4());
        let reply = app
            .send(
                Request::get("/connexion?suite=/compte%3Fjeton%3Dsecret-42")
                    .header("x-request-id", &id)
                    .body(Body::empty())
                    .unwrap(),
            )
            .await;
        assert_eq!(reply.status, StatusCode::OK);
        let written = String::from_utf8(log.0.lock().unwrap().clone()).unwrap();
        let lines: Vec<&str> = written.lines().filter(|l| l.contains(&id)).collect();
        assert_eq!(lines.len(), 1, "{lines:?}");
        for part in [
            " INFO ",
            &format!("request{{method=GET path=/connexion request_id={id}}}"),
            "status=200",
            "latency=",
        ] {
            assert!(lines[0].contains(part), "{part:?} missing: {}", lines[0]);
        }
        assert!(!written.contains("secret-42"), "{written}");
    })
    .await;
}

const SHORT: Duration = Duration::from_millis(50);
const LONG: Duration = Duration::from_secs(3600);

/// The application over `app`'s database with other time limits.
fn with_timeouts(app: &App, timeouts: Timeouts) -> App {
    App::with_config(
        app.db.clone(),
        WebConfig {
            timeouts,
            ..WebConfig::default()
        },
    )
}

/// A request whose body never comes: its handler waits for it until the time limit strikes.
fn stalled(request: axum::http::request::Builder) -> Request<Body> {
    let never = futures::stream::pending::<Result<axum::body::Bytes, std::io::Error>>();
    request.body(Body::from_stream(never)).unwrap()
}

/// The answer to a stalled request, which only a time limit gives (the test fails after a
/// minute rather than wait for ever without one).
async fn cut_short(app: &App, request: Request<Body>) -> Reply {
    tokio::time::timeout(Duration::from_secs(60), app.send(request))
        .await
        .expect("a stalled request answered by its time limit")
}

const FORM: &str = "application/x-www-form-urlencoded";
const MULTIPART: &str = "multipart/form-data; boundary=mutualis-test-boundary";

#[tokio::test]
async fn a_request_past_its_time_is_answered_by_the_platform_error() {
    each_backend(|db| async move {
        let (seeded, cookies, token) = with_coordinator(db).await;
        let app = with_timeouts(
            &seeded,
            Timeouts {
                request: SHORT,
                ..Timeouts::default()
            },
        );
        // A page: the error page, in the signed-in user's frame, with its request id.
        let page = cut_short(
            &app,
            stalled(
                Request::post("/compte/jetons")
                    .header(header::COOKIE, &cookies)
                    .header(header::CONTENT_TYPE, FORM),
            ),
        )
        .await;
        assert_eq!(page.status, StatusCode::SERVICE_UNAVAILABLE);
        let text = common::text(&page.body);
        for part in [
            "<h1>Délai dépassé</h1>",
            ErrorCode::Timeout.message(),
            "Se déconnecter",
            COORDINATOR,
        ] {
            assert!(text.contains(part), "{part:?} missing: {text}");
        }
        assert!(uuid::Uuid::parse_str(&page.header("x-request-id")).is_ok());
        // The API: its JSON error.
        let api = cut_short(
            &app,
            stalled(
                Request::post("/api/v1/tokens")
                    .header(header::AUTHORIZATION, format!("Bearer {token}"))
                    .header(header::CONTENT_TYPE, "application/json"),
            ),
        )
        .await;
        assert_eq!(api.status, StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(
            api.json(),
            serde_json::json!({"code": "timeout", "message": ErrorCode::Timeout.message()})
        );
    })
    .await;
}

#[tokio::test]
async fn the_uploads_have_time_limits_of_their_own() {
    each_backend(|db| async move {
        let (seeded, coordinator, _) = with_coordinator(db).await;
        let member = seeded.sign_in(ECHIROLLES_BUYER).await;
        let campaign = seeded.campaign_inviting(&coordinator, &member).await;
        let decp = || {
            stalled(
                Request::post("/contrats/import")
                    .header(header::COOKIE, &coordinator)
                    .header(header::CONTENT_TYPE, MULTIPART),
            )
        };
        let workbook = || {
            stalled(
                Request::post(format!("/campagnes/{campaign}/classeur"))
                    .header(header::COOKIE, &member)
                    .header(header::CONTENT_TYPE, MULTIPART),
            )
        };

        // Each upload is cut at its own limit...
        let app = with_timeouts(
            &seeded,
            Timeouts {
                request: LONG,
                workbook: SHORT,
                import: SHORT,
            },
        );
        for request in [decp(), workbook()] {
            let reply = cut_short(&app, request).await;
            assert_eq!(reply.status, StatusCode::SERVICE_UNAVAILABLE);
            assert!(reply.body.contains("<h1>Délai dépassé</h1>"));
        }

        // ... and not at the ordinary one: sent first, both uploads are still waiting when a
        // form sent after them has been cut at the ordinary limit.
        let app = with_timeouts(
            &seeded,
            Timeouts {
                request: SHORT,
                workbook: LONG,
                import: LONG,
            },
        );
        let mut decp = pin!(app.send(decp()));
        let mut workbook = pin!(app.send(workbook()));
        let form = cut_short(
            &app,
            stalled(Request::post("/connexion").header(header::CONTENT_TYPE, FORM)),
        );
        tokio::select! {
            biased;
            reply = &mut decp => panic!("DECP upload cut at the ordinary limit: {}", reply.status),
            reply = &mut workbook => panic!("workbook cut at the ordinary limit: {}", reply.status),
            reply = form => assert_eq!(reply.status, StatusCode::SERVICE_UNAVAILABLE),
        }
    })
    .await;
}

/// tokio's blocking pool, watched and held.
struct Pool {
    threads: watch::Sender<Threads>,
    open: Mutex<bool>,
    opened: Condvar,
}

#[derive(Debug, Clone, Copy, Default)]
struct Threads {
    alive: usize,
    started: usize,
}

impl Pool {
    fn new() -> Arc<Pool> {
        Arc::new(Pool {
            threads: watch::Sender::new(Threads::default()),
            open: Mutex::new(true),
            opened: Condvar::new(),
        })
    }

    /// A current-thread runtime whose blocking threads this pool watches. They leave as soon
    /// as they are idle, so that the next blocking task starts a thread.
    fn runtime(self: &Arc<Pool>) -> tokio::runtime::Runtime {
        let (start, stop) = (self.clone(), self.clone());
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .thread_keep_alive(Duration::from_millis(1))
            .on_thread_start(move || start.thread_started())
            .on_thread_stop(move || stop.threads.send_modify(|t| t.alive -= 1))
            .build()
            .unwrap()
    }

    fn thread_started(&self) {
        self.threads.send_modify(|t| {
            t.alive += 1;
            t.started += 1;
        });
        let mut open = self.open.lock().unwrap();
        while !*open {
            open = self.opened.wait(open).unwrap();
        }
    }

    fn set_open(&self, open: bool) {
        *self.open.lock().unwrap() = open;
        self.opened.notify_all();
    }

    /// Sends `request` with the pool empty and held; checks that it cannot answer before
    /// `threads` blocking threads have started for it, that a page is served meanwhile, and
    /// returns its answer once the pool is let go.
    async fn needed_by<T>(&self, app: &App, threads: usize, request: impl Future<Output = T>) -> T {
        let mut watch = self.threads.subscribe();
        watch.wait_for(|t| t.alive == 0).await.unwrap();
        let held = Held::new(self);
        let before = watch.borrow().started;
        let mut request = pin!(request);
        tokio::select! {
            _ = &mut request => panic!("answered without the blocking pool"),
            started = watch.wait_for(|t| t.started >= before + threads) => { started.unwrap(); }
        }
        let (answer, page) = tokio::join!(request, async {
            let page = app.get("/static/style.css", None).await;
            drop(held);
            page
        });
        assert_eq!(page.status, StatusCode::OK);
        answer
    }
}

/// The pool held until dropped (a failed assertion included, or the runtime would wait for
/// its threads for ever).
struct Held<'a>(&'a Pool);

impl<'a> Held<'a> {
    fn new(pool: &'a Pool) -> Held<'a> {
        pool.set_open(false);
        Held(pool)
    }
}

impl Drop for Held<'_> {
    fn drop(&mut self) {
        self.0.set_open(true);
    }
}

/// Runs `body` on both backends on the watched runtime.
fn on_watched_runtime<F, Fut>(body: F)
where
    F: Fn(Arc<Pool>, App) -> Fut,
    Fut: Future<Output = ()>,
{
    let pool = Pool::new();
    pool.runtime().block_on(each_backend(|db| {
        let pool = pool.clone();
        let body = &body;
        async move { body(pool, App::new(db).await).await }
    }));
}

#[test]
fn password_checks_wait_for_the_blocking_pool() {
    on_watched_runtime(|pool, app| async move {
        // A known account and an unknown one (checked against a dummy hash, to take as long),
        // at once: a thread each.
        let (known, unknown) = pool
            .needed_by(&app, 2, async {
                tokio::join!(
                    app.try_sign_in(COORDINATOR, PASSWORD, "/"),
                    app.try_sign_in("personne@nulle-part.test", PASSWORD, "/"),
                )
            })
            .await;
        assert_eq!(known.status, StatusCode::SEE_OTHER, "{}", known.body);
        assert_eq!(unknown.status, StatusCode::OK);
        assert!(common::text(&unknown.body).contains("mot de passe incorrect"));

        // Changing one's password checks the current one first.
        let cookies = app.sign_in(ECHIROLLES_BUYER).await;
        let csrf = app.session_csrf(&cookies).await;
        let new_password = "un nouveau mot de passe assez long";
        let changed = pool
            .needed_by(
                &app,
                1,
                app.post_form(
                    "/compte/mot-de-passe",
                    Some(&cookies),
                    &[
                        ("csrf", &csrf),
                        ("current_password", PASSWORD),
                        ("new_password", new_password),
                        ("confirmation", new_password),
                    ],
                ),
            )
            .await;
        assert_eq!(changed.status, StatusCode::OK, "{}", changed.body);
        let again = app.try_sign_in(ECHIROLLES_BUYER, new_password, "/").await;
        assert_eq!(again.status, StatusCode::SEE_OTHER);
    });
}

#[test]
fn documents_are_made_on_the_blocking_pool() {
    on_watched_runtime(|pool, app| async move {
        let coordinator = app.sign_in(COORDINATOR).await;
        let id = groupement(&app, &coordinator).await;
        let get = |path: String| {
            app.send_for_bytes(
                Request::get(path)
                    .header(header::COOKIE, &coordinator)
                    .body(Body::empty())
                    .unwrap(),
            )
        };
        let (status, _, pdf) = pool
            .needed_by(&app, 1, get(format!("/groupements/{id}/convention.pdf")))
            .await;
        assert_eq!(status, StatusCode::OK);
        assert!(pdf.starts_with(b"%PDF-"));

        let opportunities = pool.needed_by(&app, 1, app.get("/opportunites", Some(&coordinator)));
        assert_eq!(opportunities.await.status, StatusCode::OK);

        // The needs workbook, written for a member, then read back from its upload.
        let member = app.sign_in(ECHIROLLES_BUYER).await;
        let campaign = app.campaign_inviting(&coordinator, &member).await;
        let path = format!("/campagnes/{campaign}");
        let download = app.send_for_bytes(
            Request::get(format!("{path}/classeur"))
                .header(header::COOKIE, &member)
                .body(Body::empty())
                .unwrap(),
        );
        let (status, _, workbook) = pool.needed_by(&app, 1, download).await;
        assert_eq!(status, StatusCode::OK);
        assert!(workbook.starts_with(b"PK"));
        let csrf = app.get(&path, Some(&member)).await.csrf_field();
        let (content_type, body) =
            common::multipart(&csrf, "classeur", "besoins.xlsx", XLSX, &workbook);
        let upload = app.send(
            Request::post(format!("{path}/classeur"))
                .header(header::COOKIE, &member)
                .header(header::CONTENT_TYPE, content_type)
                .body(Body::from(body))
                .unwrap(),
        );
        let uploaded: Reply = pool.needed_by(&app, 1, upload).await;
        assert_eq!(uploaded.status, StatusCode::SEE_OTHER, "{}", uploaded.body);
    });
}

/// A groupement drafted by the métropole's coordinator; its id.
async fn groupement(app: &App, coordinator: &str) -> i64 {
    let principal = app.principal(coordinator).await;
    let cpv = nomenclature().parse("90910000-9").unwrap();
    let day = NaiveDate::from_ymd_opt(2027, 1, 10).unwrap();
    app.db
        .create_groupement(
            principal.scope().territory_wide().unwrap(),
            principal.organisation_id(),
            NewGroupement {
                coordinator: Siren::parse("200040715").unwrap(),
                coordinator_name: "Grenoble-Alpes-Métropole".into(),
                coordinator_population: Some(449_509),
                title: "Nettoyage des locaux".into(),
                cpv,
                lots: vec![Lot {
                    number: 1,
                    title: "Nettoyage".into(),
                    cpv,
                }],
                mission: Mission::AwardOnly,
                cost_sharing: CostSharing::ByVolume,
                duration_months: 48,
                adhesion_deadline: NaiveDate::from_ymd_opt(2027, 3, 1).unwrap(),
                proposed_start: None,
                created_on: day,
            },
            None,
            principal.email.as_str(),
            app.clock.now(),
        )
        .await
        .unwrap()
}
