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
