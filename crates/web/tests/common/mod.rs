//! An application in-process with a seeded territory and a few accounts, and a minimal
//! browser: requests with a cookie, responses with their status, headers and body.

#![allow(dead_code)] // each test file uses part of it

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use mutualis_app::jobs::{Uploads, Worker, WorkerConfig};
use mutualis_app::{Clock, SettableClock};
use mutualis_domain::{Email, Role, Siren};
use mutualis_reference::territory::{GRENOBLE_SLUG, grenoble_alpes_metropole};
use mutualis_storage::Database;
use mutualis_storage::credentials::hash_password;
use mutualis_web::{AppState, WebConfig, router};
use tower::ServiceExt;

pub const PASSWORD: &str = "mot de passe de test assez long";
pub const COORDINATOR: &str = "coordination@lametro.test";
pub const GRENOBLE_BUYER: &str = "achats@grenoble.test";
pub const ECHIROLLES_BUYER: &str = "achats@echirolles.test";
pub const GRENOBLE_APPROVER: &str = "budget@grenoble.test";

/// The real Isère extract shipped with the project: 220 DECP 1.x records.
pub const ISERE: &[u8] = include_bytes!("../../../../data/decp/isere_extract_2019.json");

/// A page's text with askama's escapes undone.
pub fn text(html: &str) -> String {
    html.replace("&#39;", "'")
        .replace("&#x27;", "'")
        .replace("&quot;", "\"")
        .replace("&#34;", "\"")
        .replace("&lt;", "<")
        .replace("&#60;", "<")
        .replace("&#62;", ">")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

pub struct Reply {
    pub status: StatusCode,
    pub headers: axum::http::HeaderMap,
    pub body: String,
}

impl Reply {
    pub fn header(&self, name: &str) -> String {
        self.headers
            .get(name)
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default()
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("{e}: {}", self.body))
    }

    /// The value of a cookie set by this response.
    pub fn cookie(&self, name: &str) -> Option<String> {
        self.headers
            .get_all(header::SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find_map(|c| {
                let (pair, _) = c.split_once(';').unwrap_or((c, ""));
                let (n, v) = pair.split_once('=')?;
                (n == name && !v.is_empty()).then(|| v.to_owned())
            })
    }

    pub fn set_cookie_line(&self, name: &str) -> String {
        self.headers
            .get_all(header::SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find(|c| c.starts_with(&format!("{name}=")))
            .unwrap_or_default()
            .to_owned()
    }

    /// The value of the hidden `csrf` field of the page's first form that has one.
    pub fn csrf_field(&self) -> String {
        let marker = "name=\"csrf\" value=\"";
        let start = self.body.find(marker).expect("a csrf field") + marker.len();
        self.body[start..].split('"').next().unwrap().to_owned()
    }
}

pub struct App {
    pub db: Database,
    pub router: Router,
    /// The application's clock: stopped at the test's start, moved by the test.
    pub clock: Arc<SettableClock>,
    /// Where uploads wait for their job.
    pub uploads: Uploads,
}

pub async fn get_on(db: &Database, uri: &str) -> Reply {
    App::bare(db.clone()).get(uri, None).await
}

impl App {
    /// The application over `db` without seeding anything.
    pub fn bare(db: Database) -> App {
        App::with_config(db, WebConfig::default())
    }

    pub fn with_config(db: Database, config: WebConfig) -> App {
        let clock = Arc::new(SettableClock::at_system_time());
        let uploads = Uploads::new(std::env::temp_dir().join("mutualis-web-tests-uploads"));
        let router = router(AppState {
            app: mutualis_app::App {
                clock: clock.clone(),
                ..mutualis_app::App::new(db.clone(), GRENOBLE_SLUG)
            },
            demo: false,
            config,
            uploads: uploads.clone(),
        });
        App {
            db,
            router,
            clock,
            uploads,
        }
    }

    /// A background jobs' worker over the application's database, clock and uploads folder.
    pub fn worker(&self) -> Worker {
        Worker::new(
            self.db.clone(),
            self.clock.clone(),
            self.uploads.clone(),
            WorkerConfig::default(),
        )
    }

    /// Runs the queued jobs to their end; how many ran.
    pub async fn run_jobs(&self) -> usize {
        self.worker().run_until_idle().await.unwrap()
    }

    /// Posts `file` to the coordinator's DECP upload page as the signed-in `cookie`; the
    /// reply (a 303 to the job's page when queued).
    pub async fn upload_decp(&self, cookie: &str, name: &str, file: &[u8]) -> Reply {
        let csrf = self
            .get("/contrats/import", Some(cookie))
            .await
            .csrf_field();
        self.upload_decp_with(cookie, &csrf, name, file).await
    }

    /// [`App::upload_decp`] with a given CSRF token.
    pub async fn upload_decp_with(
        &self,
        cookie: &str,
        csrf: &str,
        name: &str,
        file: &[u8],
    ) -> Reply {
        let (content_type, body) = multipart(csrf, "fichier", name, "application/json", file);
        self.send(
            Request::post("/contrats/import")
                .header(header::COOKIE, cookie)
                .header(header::CONTENT_TYPE, content_type)
                .body(Body::from(body))
                .unwrap(),
        )
        .await
    }

    /// Uploads `file`, runs the jobs, and reads the job's page: the import's summary.
    pub async fn import_through_page(&self, cookie: &str, name: &str, file: &[u8]) -> Reply {
        let queued = self.upload_decp(cookie, name, file).await;
        assert_eq!(
            queued.status,
            StatusCode::SEE_OTHER,
            "{name}: {}",
            queued.body
        );
        let job = queued.header("location");
        assert!(job.starts_with("/travaux/"), "{job}");
        self.run_jobs().await;
        let page = self.get(&job, Some(cookie)).await;
        assert_eq!(page.status, StatusCode::OK, "{name}: {}", page.body);
        page
    }

    /// The territory, and accounts: the coordinator (métropole), a buyer of Grenoble, a buyer
    /// of Échirolles, an approver of Grenoble.
    pub async fn new(db: Database) -> App {
        let app = App::bare(db);
        app.db
            .upsert_territory(&grenoble_alpes_metropole(), app.clock.now())
            .await
            .unwrap();
        for (email, role, siren) in [
            (COORDINATOR, Role::Coordinator, "200040715"),
            (GRENOBLE_BUYER, Role::MemberBuyer, "213801855"),
            (ECHIROLLES_BUYER, Role::MemberBuyer, "213801517"),
            (GRENOBLE_APPROVER, Role::Approver, "213801855"),
        ] {
            app.add_account(siren, role, email).await;
        }
        app
    }

    /// An account of the organisation `siren` with the harness's password.
    pub async fn add_account(&self, siren: &str, role: Role, email: &str) {
        let org = self.org_id(siren).await;
        self.db
            .create_user(
                org,
                &Email::parse(email).unwrap(),
                role,
                &hash_password(PASSWORD).unwrap(),
                self.clock.now(),
            )
            .await
            .unwrap();
    }

    /// The principal of a signed-in browser, as storage knows it.
    pub async fn principal(&self, cookies: &str) -> mutualis_storage::Principal {
        let secret = cookies.strip_prefix("mutualis_session=").unwrap();
        self.db
            .session(
                &mutualis_storage::credentials::hash_secret(secret),
                self.clock.now(),
                WebConfig::default().session,
            )
            .await
            .unwrap()
            .unwrap()
            .principal
    }

    /// The real Isère contracts, imported, and their plausibility flags computed, as the
    /// import command and the import job do.
    pub async fn with_isere_contracts(&self) -> mutualis_import::ImportSummary {
        let summary = mutualis_import::import_decp(
            &self.db,
            std::io::Cursor::new(ISERE),
            self.clock.now(),
            |_| {},
        )
        .await
        .unwrap();
        mutualis_app::plausibility::recompute_flags(&self.db)
            .await
            .unwrap();
        summary
    }

    /// A campaign of the coordinator signed in as `coordinator`, open from today for 30
    /// days over cleaning (9091), inviting the organisation of `member`; its id.
    pub async fn campaign_inviting(&self, coordinator: &str, member: &str) -> i64 {
        let c = self.principal(coordinator).await;
        let m = self.principal(member).await;
        let today = self.clock.today();
        self.db
            .create_campaign(
                c.scope().territory_wide().unwrap(),
                c.organisation_id(),
                &mutualis_storage::campaigns::NewCampaign {
                    title: "Recensement".into(),
                    opens_on: today,
                    closes_on: today + chrono::Days::new(30),
                    cpv_families: vec!["9091".into()],
                },
                &[m.organisation_id()],
                self.clock.now(),
            )
            .await
            .unwrap()
    }

    pub async fn org_id(&self, siren: &str) -> i64 {
        self.db
            .organisation_by_siren(&Siren::parse(siren).unwrap())
            .await
            .unwrap()
            .unwrap()
            .id
    }

    pub async fn send(&self, request: Request<Body>) -> Reply {
        let (status, headers, bytes) = self.send_for_bytes(request).await;
        Reply {
            status,
            headers,
            body: String::from_utf8(bytes).unwrap(),
        }
    }

    /// The reply as bytes, for a file (a PDF, a workbook).
    pub async fn send_for_bytes(
        &self,
        request: Request<Body>,
    ) -> (StatusCode, axum::http::HeaderMap, Vec<u8>) {
        let response = self.router.clone().oneshot(request).await.unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = axum::body::to_bytes(response.into_body(), 1 << 24)
            .await
            .unwrap();
        (status, headers, bytes.to_vec())
    }

    /// GET with an optional `Cookie` header.
    pub async fn get(&self, uri: &str, cookies: Option<&str>) -> Reply {
        let mut request = Request::get(uri);
        if let Some(c) = cookies {
            request = request.header(header::COOKIE, c);
        }
        self.send(request.body(Body::empty()).unwrap()).await
    }

    /// POST a URL-encoded form.
    pub async fn post_form(
        &self,
        uri: &str,
        cookies: Option<&str>,
        fields: &[(&str, &str)],
    ) -> Reply {
        let body: String = url_encode(fields);
        let mut request =
            Request::post(uri).header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
        if let Some(c) = cookies {
            request = request.header(header::COOKIE, c);
        }
        self.send(request.body(Body::from(body)).unwrap()).await
    }

    /// An API request with a bearer token and an optional JSON body.
    pub async fn api(
        &self,
        method: &str,
        uri: &str,
        token: Option<&str>,
        json: Option<&str>,
    ) -> Reply {
        let mut request = Request::builder().method(method).uri(uri);
        if let Some(t) = token {
            request = request.header(header::AUTHORIZATION, format!("Bearer {t}"));
        }
        let body = match json {
            Some(j) => {
                request = request.header(header::CONTENT_TYPE, "application/json");
                Body::from(j.to_owned())
            }
            None => Body::empty(),
        };
        self.send(request.body(body).unwrap()).await
    }

    /// Signs in through the login form; returns the `Cookie` header of the session.
    pub async fn sign_in(&self, email: &str) -> String {
        let reply = self.try_sign_in(email, PASSWORD, "/").await;
        assert_eq!(reply.status, StatusCode::SEE_OTHER, "{}", reply.body);
        let session = reply.cookie("mutualis_session").expect("a session cookie");
        format!("mutualis_session={session}")
    }

    /// Loads the login form (for its CSRF cookie and field) and posts it.
    pub async fn try_sign_in(&self, email: &str, password: &str, suite: &str) -> Reply {
        let form = self.get("/connexion", None).await;
        let csrf_cookie = form.cookie("mutualis_csrf").expect("a CSRF cookie");
        let csrf = form.csrf_field();
        assert_eq!(csrf, csrf_cookie);
        self.post_form(
            "/connexion",
            Some(&format!("mutualis_csrf={csrf_cookie}")),
            &[
                ("csrf", &csrf),
                ("email", email),
                ("password", password),
                ("suite", suite),
            ],
        )
        .await
    }

    /// The CSRF token of the signed-in session, read from a page's sign-out form.
    pub async fn session_csrf(&self, cookies: &str) -> String {
        self.get("/compte", Some(cookies)).await.csrf_field()
    }

    /// Signs `email` in and creates an API token named `name` for it; its secret.
    pub async fn api_token(&self, email: &str, name: &str) -> String {
        let cookies = self.sign_in(email).await;
        self.create_token(&cookies, name).await
    }

    /// Creates an API token from the account page; returns its secret.
    pub async fn create_token(&self, cookies: &str, name: &str) -> String {
        let csrf = self.session_csrf(cookies).await;
        let page = self
            .post_form(
                "/compte/jetons",
                Some(cookies),
                &[("csrf", &csrf), ("name", name)],
            )
            .await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.body);
        let marker = "<code id=\"nouveau-jeton\">";
        let start = page.body.find(marker).expect("the new token") + marker.len();
        page.body[start..].split('<').next().unwrap().to_owned()
    }
}

/// A `multipart/form-data` body with the form's CSRF token and one file of `file_type` in the
/// field `field`: the body's content type and its bytes.
pub fn multipart(
    csrf: &str,
    field: &str,
    filename: &str,
    file_type: &str,
    file: &[u8],
) -> (String, Vec<u8>) {
    let boundary = "mutualis-test-boundary";
    let mut body = Vec::new();
    body.extend_from_slice(
        format!("--{boundary}\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{csrf}\r\n")
            .as_bytes(),
    );
    body.extend_from_slice(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"{field}\"; \
             filename=\"{filename}\"\r\nContent-Type: {file_type}\r\n\r\n"
        )
        .as_bytes(),
    );
    body.extend_from_slice(file);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

fn url_encode(fields: &[(&str, &str)]) -> String {
    fields
        .iter()
        .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}
