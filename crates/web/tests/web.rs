//! The application in-process (`router` + `oneshot`), on each storage backend.

#![allow(clippy::unwrap_used)] // a test that cannot unwrap has failed

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use mutualis_reference::territory::{GRENOBLE_SLUG, grenoble_alpes_metropole};
use mutualis_storage::Database;
use mutualis_test_db::each_backend;
use mutualis_web::{AppState, router};
use tower::ServiceExt;

struct Reply {
    status: StatusCode,
    content_type: String,
    cache_control: Option<String>,
    body: String,
}

async fn get(db: &Database, uri: &str) -> Reply {
    let app = router(AppState {
        db: db.clone(),
        territory_slug: GRENOBLE_SLUG.into(),
    });
    let response = app
        .oneshot(Request::get(uri).body(Body::empty()).unwrap())
        .await
        .unwrap();
    let header_of = |name| {
        response
            .headers()
            .get(name)
            .map(|v: &axum::http::HeaderValue| v.to_str().unwrap().to_owned())
    };
    let content_type = header_of(header::CONTENT_TYPE).unwrap_or_default();
    let cache_control = header_of(header::CACHE_CONTROL);
    let status = response.status();
    let bytes = axum::body::to_bytes(response.into_body(), 1 << 22)
        .await
        .unwrap();
    Reply {
        status,
        content_type,
        cache_control,
        body: String::from_utf8(bytes.to_vec()).unwrap(),
    }
}

async fn seeded(db: &Database) {
    db.upsert_territory(&grenoble_alpes_metropole())
        .await
        .unwrap();
}

#[tokio::test]
async fn home_page_presents_the_49_communes_and_their_population() {
    each_backend(|db| async move {
        seeded(&db).await;
        let page = get(&db, "/").await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(page.content_type.starts_with("text/html"));
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
        assert!(body.contains("Saint-Martin-d&#39;Hères") || body.contains("Saint-Martin-d&#x27;Hères"));
    })
    .await;
}

#[tokio::test]
async fn an_empty_database_says_how_to_load_the_territory() {
    each_backend(|db| async move {
        let page = get(&db, "/").await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(page.body.contains("mutualis serve --demo"));
    })
    .await;
}

#[tokio::test]
async fn organisations_api_lists_the_territory_as_json() {
    each_backend(|db| async move {
        seeded(&db).await;
        let reply = get(&db, "/api/v1/organisations").await;
        assert_eq!(reply.status, StatusCode::OK);
        assert!(reply.content_type.starts_with("application/json"));
        let json: serde_json::Value = serde_json::from_str(&reply.body).unwrap();
        assert_eq!(json["count"], 50);
        let orgs = json["organisations"].as_array().unwrap();
        assert_eq!(orgs.len(), 50);
        let metropole = orgs.iter().find(|o| o["siren"] == "200040715").unwrap();
        assert_eq!(metropole["kind"], "metropole");
        assert_eq!(metropole["sirets"][0], "20004071500019");
        let population: u64 = orgs
            .iter()
            .filter(|o| o["kind"] == "commune")
            .map(|o| o["population"].as_u64().unwrap())
            .sum();
        assert_eq!(population, 449_509);
    })
    .await;
}

#[tokio::test]
async fn health_check_and_static_assets() {
    each_backend(|db| async move {
        let health = get(&db, "/healthz").await;
        assert_eq!(
            (health.status, health.body.as_str()),
            (StatusCode::OK, "ok\n")
        );
        let css = get(&db, "/static/style.css").await;
        assert_eq!(css.status, StatusCode::OK);
        assert!(css.content_type.starts_with("text/css"));
        assert_eq!(css.cache_control.as_deref(), Some("public, max-age=3600"));
    })
    .await;
}

#[tokio::test]
async fn unknown_routes_are_real_404s() {
    each_backend(|db| async move {
        let page = get(&db, "/nulle-part").await;
        assert_eq!(page.status, StatusCode::NOT_FOUND);
        assert!(page.body.contains("<h1>Page introuvable</h1>"));
        let api = get(&db, "/api/v1/nothing").await;
        assert_eq!(api.status, StatusCode::NOT_FOUND);
        let json: serde_json::Value = serde_json::from_str(&api.body).unwrap();
        assert_eq!(json["code"], "not_found");
    })
    .await;
}

#[tokio::test]
async fn a_closed_database_fails_the_health_check() {
    each_backend(|db| async move {
        db.close().await;
        let health = get(&db, "/healthz").await;
        assert_eq!(health.status, StatusCode::SERVICE_UNAVAILABLE);
        let page = get(&db, "/").await;
        assert_eq!(page.status, StatusCode::INTERNAL_SERVER_ERROR);
        assert!(!page.body.contains("closed"), "internal detail leaked");
    })
    .await;
}
