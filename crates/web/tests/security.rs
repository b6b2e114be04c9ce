//! What every response promises a browser: the sign-in sends nowhere but this site, security
//! headers on every response, and no page kept in a cache.

#![allow(clippy::unwrap_used)] // a test that cannot unwrap has failed

mod common;

use axum::http::StatusCode;
use common::{App, COORDINATOR, PASSWORD};
use mutualis_test_db::each_backend;

/// `suite` values that would send a signed-in user elsewhere, or break the redirect: a tab or
/// a newline that browsers drop (`/\t/evil.example` is `//evil.example`), a backslash, a
/// scheme, a protocol-relative URL, control characters.
const HOSTILE: [&str; 9] = [
    "/\t/evil.example",
    "/\n/evil.example",
    "/\r\n/evil.example",
    "/\\evil.example",
    "\\/evil.example",
    "//evil.example",
    "https://evil.example",
    "/ /evil.example",
    "/compte\u{0}",
];

#[tokio::test]
async fn the_sign_in_only_returns_to_a_path_of_this_site() {
    each_backend(|db| async move {
        let app = App::new(db).await;
        for suite in HOSTILE {
            let reply = app.try_sign_in(COORDINATOR, PASSWORD, suite).await;
            assert_eq!(
                reply.status,
                StatusCode::SEE_OTHER,
                "{suite:?}: {}",
                reply.body
            );
            assert_eq!(reply.header("location"), "/", "{suite:?}");
            // The form shown with the hostile value keeps nothing of it either.
            let encoded: String = url::form_urlencoded::byte_serialize(suite.as_bytes()).collect();
            let form = app.get(&format!("/connexion?suite={encoded}"), None).await;
            assert_eq!(form.status, StatusCode::OK, "{suite:?}");
            assert!(
                form.body.contains("name=\"suite\" value=\"/\""),
                "{suite:?}"
            );
        }
        let fine = app
            .try_sign_in(COORDINATOR, PASSWORD, "/contrats?page=2&tri=fin")
            .await;
        assert_eq!(fine.header("location"), "/contrats?page=2&tri=fin");
    })
    .await;
}

#[tokio::test]
async fn every_response_carries_the_security_headers() {
    each_backend(|db| async move {
        let app = App::new(db).await;
        let cookies = app.sign_in(COORDINATOR).await;
        for (path, signed_in) in [
            ("/", false),
            ("/connexion", false),
            ("/page-inexistante", false),
            ("/api/v1/openapi.json", false),
            ("/api/v1/organisations", false),
            ("/static/style.css", false),
            ("/compte", true),
            ("/contrats", true),
        ] {
            let reply = app.get(path, signed_in.then_some(cookies.as_str())).await;
            let csp = reply.header("content-security-policy");
            assert!(csp.contains("default-src 'self'"), "{path}: {csp}");
            assert!(csp.contains("frame-ancestors 'none'"), "{path}: {csp}");
            assert!(!csp.contains("unsafe-inline"), "{path}: {csp}");
            assert_eq!(reply.header("x-content-type-options"), "nosniff", "{path}");
            assert_eq!(reply.header("x-frame-options"), "DENY", "{path}");
            assert_eq!(reply.header("referrer-policy"), "same-origin", "{path}");
        }
        // Pages and API answers are never cached; the stylesheet is.
        for path in ["/compte", "/contrats", "/"] {
            let reply = app.get(path, Some(&cookies)).await;
            assert_eq!(reply.header("cache-control"), "no-store", "{path}");
        }
        let token = app.create_token(&cookies, "essai").await;
        let api = app.api("GET", "/api/v1/me", Some(&token), None).await;
        assert_eq!(api.header("cache-control"), "no-store");
        let css = app.get("/static/style.css", None).await;
        assert_eq!(css.header("cache-control"), "public, max-age=3600");
    })
    .await;
}

/// A repeated, malformed or out-of-range query parameter is a 400 naming it, in the API's
/// `{code, message}`, never ignored.
#[tokio::test]
async fn bad_query_parameters_are_refused_by_name() {
    each_backend(|db| async move {
        let app = App::new(db).await;
        let cookies = app.sign_in(COORDINATOR).await;
        let token = app.create_token(&cookies, "essai").await;
        for (query, named) in [
            ("/api/v1/contracts?page=abc", "page"),
            ("/api/v1/contracts?page=-1", "page"),
            ("/api/v1/contracts?page=0", "page"),
            ("/api/v1/contracts?page=2147483648", "page"),
            ("/api/v1/contracts?tri=x", "tri"),
            ("/api/v1/contracts?membre=abc", "membre"),
            ("/api/v1/contracts?procedure=inconnue", "procedure"),
            ("/api/v1/contracts?page=1&page=2", "page"),
            ("/api/v1/organisations?page=abc", "page"),
            ("/api/v1/organisations?page=99999999999", "page"),
            ("/api/v1/organisations?type=ville", "type"),
            ("/api/v1/organisations?territoire=tous", "territoire"),
            ("/api/v1/organisations?nom=a&nom=b", "nom"),
        ] {
            let reply = app.api("GET", query, Some(&token), None).await;
            assert_eq!(
                reply.status,
                StatusCode::BAD_REQUEST,
                "{query}: {}",
                reply.body
            );
            let body = reply.json();
            assert_eq!(body["code"], "bad_request", "{query}");
            let message = body["message"].as_str().unwrap();
            assert!(message.contains(named), "{query}: {message}");
        }
        for fine in [
            "/api/v1/contracts?page=1&tri=montant",
            "/api/v1/organisations?page=2&type=commune&territoire=membres",
        ] {
            let reply = app.api("GET", fine, Some(&token), None).await;
            assert_eq!(reply.status, StatusCode::OK, "{fine}: {}", reply.body);
        }
        // The pages say it too, next to the filters or as a 400 page.
        let page = app.get("/contrats?tri=x", Some(&cookies)).await;
        assert!(
            page.body.contains("» n&#39;est pas un tri"),
            "{}",
            page.body
        );
        let page = app.get("/organisations?page=abc", Some(&cookies)).await;
        assert_eq!(page.status, StatusCode::BAD_REQUEST);
        assert!(page.body.contains("page « abc » invalide"), "{}", page.body);
    })
    .await;
}

/// A user's live API tokens are capped, and changing the password revokes them.
#[tokio::test]
async fn tokens_are_capped_and_die_with_the_old_password() {
    each_backend(|db| async move {
        let app = App::new(db).await;
        let cookies = app.sign_in(COORDINATOR).await;
        let max = mutualis_storage::accounts::MAX_LIVE_API_TOKENS;
        let mut tokens = Vec::new();
        for i in 0..max {
            tokens.push(app.create_token(&cookies, &format!("outil {i}")).await);
        }
        let csrf = app.session_csrf(&cookies).await;
        let refused = app
            .post_form(
                "/compte/jetons",
                Some(&cookies),
                &[("csrf", &csrf), ("name", "un de trop")],
            )
            .await;
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            refused
                .body
                .contains(&format!("Vous avez déjà {max} jetons actifs")),
            "{}",
            refused.body
        );
        let api = app
            .api(
                "POST",
                "/api/v1/tokens",
                Some(&tokens[0]),
                Some(r#"{"name":"un de trop"}"#),
            )
            .await;
        assert_eq!(api.status, StatusCode::BAD_REQUEST, "{}", api.body);
        assert!(
            api.json()["message"]
                .as_str()
                .unwrap()
                .contains("révoquez-en un")
        );

        let changed = app
            .post_form(
                "/compte/mot-de-passe",
                Some(&cookies),
                &[
                    ("csrf", &csrf),
                    ("current_password", PASSWORD),
                    ("new_password", "une nouvelle phrase de passe"),
                    ("confirmation", "une nouvelle phrase de passe"),
                ],
            )
            .await;
        assert_eq!(changed.status, StatusCode::OK);
        assert!(
            changed
                .body
                .contains(&format!("vos {max} jeton(s) d'API actif(s) révoqué(s)")),
            "{}",
            changed.body
        );
        for token in &tokens {
            let reply = app.api("GET", "/api/v1/me", Some(token), None).await;
            assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
        }
    })
    .await;
}

/// Tokens asked for at once by one user (a script in parallel, schemathesis's workers) are
/// each created or refused with the cap's 400, never a 500, and the cap still holds.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn tokens_asked_for_at_once_are_created_up_to_the_cap() {
    each_backend(|db| async move {
        let app = App::new(db).await;
        let cookies = app.sign_in(COORDINATOR).await;
        let token = app.create_token(&cookies, "outil").await;
        let max = mutualis_storage::accounts::MAX_LIVE_API_TOKENS;
        let asked = usize::try_from(max).unwrap() + 6;
        // Each on a task of its own, so that they run on the runtime's threads at once.
        let mut calls = tokio::task::JoinSet::new();
        for i in 0..asked {
            let (db, token) = (app.db.clone(), token.clone());
            calls.spawn(async move {
                let body = format!(r#"{{"name":"parallèle {i}"}}"#);
                App::bare(db)
                    .api("POST", "/api/v1/tokens", Some(&token), Some(&body))
                    .await
            });
        }
        let replies = calls.join_all().await;
        let mut created = 0;
        for reply in &replies {
            match reply.status {
                StatusCode::CREATED => created += 1,
                StatusCode::BAD_REQUEST => assert!(
                    reply.json()["message"]
                        .as_str()
                        .unwrap()
                        .contains("révoquez-en un"),
                    "{}",
                    reply.body
                ),
                other => panic!("{other}: {}", reply.body),
            }
        }
        // The one created through the account page, and as many more as the cap allows.
        assert_eq!(created, max - 1);
    })
    .await;
}

/// Signs in from `ip`: the login form then its POST, both as if from that address.
async fn sign_in_from(app: &App, ip: &str, email: &str, password: &str) -> common::Reply {
    use axum::body::Body;
    use axum::extract::ConnectInfo;
    use axum::http::{Request, header};
    let peer: std::net::SocketAddr = format!("{ip}:40000").parse().unwrap();
    let form = app.get("/connexion", None).await;
    let csrf = form.cookie("mutualis_csrf").unwrap();
    let body: String = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("csrf", &csrf)
        .append_pair("email", email)
        .append_pair("password", password)
        .append_pair("suite", "/")
        .finish();
    let mut request = Request::post("/connexion")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::COOKIE, format!("mutualis_csrf={csrf}"))
        .body(Body::from(body))
        .unwrap();
    request.extensions_mut().insert(ConnectInfo(peer));
    app.send(request).await
}

/// A guesser locks the account out for its own address only: the owner, from elsewhere,
/// still signs in; the guesser's address is refused even with the right password.
#[tokio::test]
async fn a_guesser_cannot_lock_the_owner_out() {
    each_backend(|db| async move {
        let app = App::new(db).await;
        let (guesser, owner) = ("198.51.100.66", "192.0.2.10");
        for _ in 0..5 {
            let reply = sign_in_from(&app, guesser, COORDINATOR, "mauvais mot de passe").await;
            assert_eq!(reply.status, StatusCode::OK);
        }
        let refused = sign_in_from(&app, guesser, COORDINATOR, PASSWORD).await;
        assert_eq!(refused.status, StatusCode::TOO_MANY_REQUESTS);
        let signed_in = sign_in_from(&app, owner, COORDINATOR, PASSWORD).await;
        assert_eq!(
            signed_in.status,
            StatusCode::SEE_OTHER,
            "{}",
            signed_in.body
        );
        assert!(signed_in.cookie("mutualis_session").is_some());
    })
    .await;
}

/// The OpenAPI document states the limits the handlers enforce, so that a client (and
/// schemathesis) knows what is refused before asking.
#[tokio::test]
async fn the_openapi_document_states_the_real_limits() {
    each_backend(|db| async move {
        let app = App::new(db).await;
        let doc = app.get("/api/v1/openapi.json", None).await.json();
        let param = |path: &str, name: &str| -> serde_json::Value {
            doc["paths"][path]["get"]["parameters"]
                .as_array()
                .unwrap()
                .iter()
                .find(|p| p["name"] == name)
                .unwrap_or_else(|| panic!("{path} {name}"))["schema"]
                .clone()
        };
        for path in ["/api/v1/opportunities", "/api/v1/opportunities/{prefix}"] {
            let min = param(path, "min_buyers");
            assert_eq!(
                (min["minimum"].as_f64(), min["maximum"].as_f64()),
                (Some(2.0), Some(100.0)),
                "{path}"
            );
            let window = param(path, "window_months");
            assert_eq!(
                (window["minimum"].as_f64(), window["maximum"].as_f64()),
                (Some(1.0), Some(120.0)),
                "{path}"
            );
        }
        assert_eq!(
            param("/api/v1/opportunities", "cpv")["pattern"],
            "^([0-9]{2,8})?$"
        );
        assert_eq!(
            param("/api/v1/contracts", "cpv")["pattern"],
            "^([0-9]{2,8})?$"
        );
        for path in ["/api/v1/contracts", "/api/v1/organisations"] {
            let page = param(path, "page");
            assert_eq!(
                (page["minimum"].as_f64(), page["maximum"].as_f64()),
                (Some(1.0), Some(1_000_000.0)),
                "{path}"
            );
        }
        let token = &doc["components"]["schemas"]["NewTokenRequest"]["properties"]["name"];
        assert_eq!(
            (token["minLength"].as_u64(), token["maxLength"].as_u64()),
            (Some(1), Some(100)),
            "{token}"
        );
    })
    .await;
}

/// The query parameters that take one of a few words state them (`^(a|b|…)?$`, empty being no
/// filter), and the API answers every one of them.
#[tokio::test]
async fn the_openapi_document_lists_the_words_a_parameter_takes() {
    each_backend(|db| async move {
        let app = App::new(db).await;
        let token = app.api_token(COORDINATOR, "outil").await;
        let doc = app.get("/api/v1/openapi.json", None).await.json();
        let words = |path: &str, name: &str| -> Vec<String> {
            let param = doc["paths"][path]["get"]["parameters"]
                .as_array()
                .unwrap()
                .iter()
                .find(|p| p["name"] == name)
                .unwrap_or_else(|| panic!("{path} {name}"));
            let pattern = param["schema"]["pattern"].as_str().unwrap_or_default();
            let choices = pattern
                .strip_prefix("^(")
                .and_then(|p| p.strip_suffix(")?$"))
                .unwrap_or_else(|| panic!("{path} {name}: pattern {pattern:?}"));
            choices.split('|').map(str::to_owned).collect()
        };
        let kinds: Vec<&str> = mutualis_domain::OrganisationKind::ALL
            .iter()
            .map(|k| k.code())
            .collect();
        assert_eq!(words("/api/v1/organisations", "type"), kinds);
        for prefix in ["/api/v1/opportunities", "/api/v1/opportunities/{prefix}"] {
            for name in ["depth", "perimeter"] {
                assert_eq!(
                    words(prefix, name),
                    words("/api/v1/opportunities", name),
                    "{prefix} {name}"
                );
            }
        }
        for (path, name) in [
            ("/api/v1/organisations", "type"),
            ("/api/v1/organisations", "territoire"),
            ("/api/v1/contracts", "procedure"),
            ("/api/v1/contracts", "tri"),
            ("/api/v1/opportunities", "depth"),
            ("/api/v1/opportunities", "perimeter"),
        ] {
            for word in words(path, name) {
                let value: String = url::form_urlencoded::byte_serialize(word.as_bytes()).collect();
                let uri = format!("{path}?{name}={value}");
                let reply = app.api("GET", &uri, Some(&token), None).await;
                assert_eq!(reply.status, StatusCode::OK, "{uri}: {}", reply.body);
            }
        }
    })
    .await;
}
