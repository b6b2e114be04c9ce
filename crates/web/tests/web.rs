//! The application in-process (`router` + `oneshot`), on each storage backend.

#![allow(clippy::unwrap_used)] // a test that cannot unwrap has failed

mod common;

use axum::http::StatusCode;
use common::{App, get_on};
use mutualis_test_db::each_backend;

#[tokio::test]
async fn home_page_presents_the_49_communes_and_their_population() {
    each_backend(|db| async move {
        let app = App::new(db).await;
        let page = app.get("/", None).await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(page.header("content-type").starts_with("text/html"));
        let html = page.body;
        assert!(html.contains("<html lang=\"fr\">"));
        assert_eq!(html.matches("<h1>").count(), 1);
        assert!(html.contains("<h1>Grenoble-Alpes-Métropole</h1>"));
        assert!(html.contains("<dd>49</dd>"));
        assert!(html.contains("<dd>449\u{202f}509 habitants</dd>"));
        // One row per commune in the table body, with its population.
        let body = html.split("<tbody>").nth(1).unwrap().split("</tbody>").next().unwrap();
        assert_eq!(body.matches("<tr>").count(), 49);
        assert!(body.contains("<th scope=\"row\">Grenoble</th><td>38185</td><td>213801855</td><td class=\"num\">156\u{202f}389</td>"));
        // Anonymous: the navigation offers to sign in, not the account.
        assert!(html.contains("href=\"/connexion\""));
        assert!(!html.contains("href=\"/compte\""));
    })
    .await;
}

#[tokio::test]
async fn an_empty_database_says_how_to_load_the_territory() {
    each_backend(|db| async move {
        let page = get_on(&db, "/").await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(page.body.contains("mutualis serve --demo"));
    })
    .await;
}

#[tokio::test]
async fn health_check_and_static_assets() {
    each_backend(|db| async move {
        let health = get_on(&db, "/healthz").await;
        assert_eq!(
            (health.status, health.body.as_str()),
            (StatusCode::OK, "ok\n")
        );
        let css = get_on(&db, "/static/style.css").await;
        assert_eq!(css.status, StatusCode::OK);
        assert!(css.header("content-type").starts_with("text/css"));
        assert_eq!(css.header("cache-control"), "public, max-age=3600");
    })
    .await;
}

#[tokio::test]
async fn unknown_routes_are_real_404s() {
    each_backend(|db| async move {
        let page = get_on(&db, "/nulle-part").await;
        assert_eq!(page.status, StatusCode::NOT_FOUND);
        assert!(page.body.contains("<h1>Page introuvable</h1>"));
        let api = get_on(&db, "/api/v1/nothing").await;
        assert_eq!(api.status, StatusCode::NOT_FOUND);
        assert_eq!(api.json()["code"], "not_found");
    })
    .await;
}

#[tokio::test]
async fn a_closed_database_fails_the_health_check() {
    each_backend(|db| async move {
        db.close().await;
        let health = get_on(&db, "/healthz").await;
        assert_eq!(health.status, StatusCode::SERVICE_UNAVAILABLE);
        let page = get_on(&db, "/").await;
        assert_eq!(page.status, StatusCode::INTERNAL_SERVER_ERROR);
        assert!(page.body.contains("<h1>Erreur interne</h1>"));
        assert!(!page.body.contains("closed"), "internal detail leaked");
    })
    .await;
}

#[tokio::test]
async fn the_openapi_document_describes_the_api() {
    each_backend(|db| async move {
        let doc = get_on(&db, "/api/v1/openapi.json").await;
        assert_eq!(doc.status, StatusCode::OK);
        let json = doc.json();
        assert!(json["openapi"].as_str().unwrap().starts_with("3."));
        for path in [
            "/api/v1/organisations",
            "/api/v1/organisations/{id}",
            "/api/v1/me",
            "/api/v1/tokens",
            "/api/v1/tokens/{id}",
        ] {
            assert!(json["paths"].get(path).is_some(), "{path} missing");
        }
        assert_eq!(
            json["components"]["securitySchemes"]["token"]["scheme"],
            "bearer"
        );
        let codes = json["components"]["schemas"]["ErrorCode"]["enum"]
            .as_array()
            .unwrap();
        assert!(codes.contains(&"not_found".into()) && codes.contains(&"invalid_json".into()));
    })
    .await;
}
