//! Tenant isolation: a member sees its own data, through every route, HTML and API; other
//! tenants' ids answer 404, not 403. The coordinator's territory-wide views see everything.

#![allow(clippy::unwrap_used)] // a test that cannot unwrap has failed

mod common;

use axum::http::StatusCode;
use common::{App, COORDINATOR, ECHIROLLES_BUYER, GRENOBLE_APPROVER, GRENOBLE_BUYER};
use mutualis_test_db::each_backend;

const METROPOLE: &str = "200040715";
const GRENOBLE: &str = "213801855";
const ECHIROLLES: &str = "213801517";

#[tokio::test]
async fn a_member_buyer_sees_only_its_organisation_in_pages() {
    each_backend(|db| async move {
        let app = App::new(db).await;
        let cookie = app.sign_in(GRENOBLE_BUYER).await;
        let list = app.get("/organisations", Some(&cookie)).await;
        assert_eq!(list.status, StatusCode::OK);
        let body = list.body.split("<tbody>").nth(1).unwrap();
        assert_eq!(body.matches("<tr>").count(), 1);
        assert!(body.contains(">Grenoble</a>"));
        let own = app.org_id(GRENOBLE).await;
        let own_page = app
            .get(&format!("/organisations/{own}"), Some(&cookie))
            .await;
        assert_eq!(own_page.status, StatusCode::OK);
        assert!(own_page.body.contains("<h1>Grenoble</h1>"));
        for siren in [ECHIROLLES, METROPOLE] {
            let other = app.org_id(siren).await;
            let page = app
                .get(&format!("/organisations/{other}"), Some(&cookie))
                .await;
            assert_eq!(page.status, StatusCode::NOT_FOUND, "{siren}");
            assert!(page.body.contains("<h1>Page introuvable</h1>"));
        }
        // An id that exists nowhere looks the same as another tenant's.
        assert_eq!(
            app.get("/organisations/999999", Some(&cookie)).await.status,
            StatusCode::NOT_FOUND
        );
        assert_eq!(
            app.get("/organisations/abc", Some(&cookie)).await.status,
            StatusCode::NOT_FOUND
        );
    })
    .await;
}

#[tokio::test]
async fn only_the_coordinator_lists_the_territory_and_its_users() {
    each_backend(|db| async move {
        let app = App::new(db).await;
        let coordinator = app.sign_in(COORDINATOR).await;
        let list = app.get("/organisations", Some(&coordinator)).await;
        assert!(list.body.contains("50 organisation(s) — page 1 sur 2"));
        let body = list.body.split("<tbody>").nth(1).unwrap();
        assert_eq!(body.matches("<tr>").count(), 25, "25 a page");
        let echirolles = app.org_id(ECHIROLLES).await;
        let page = app
            .get(&format!("/organisations/{echirolles}"), Some(&coordinator))
            .await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(page.body.contains("<h1>Échirolles</h1>"));
        let users = app.get("/utilisateurs", Some(&coordinator)).await;
        assert_eq!(users.status, StatusCode::OK);
        for email in [
            COORDINATOR,
            GRENOBLE_BUYER,
            ECHIROLLES_BUYER,
            GRENOBLE_APPROVER,
        ] {
            assert!(users.body.contains(email), "{email}");
        }
        assert!(list.body.contains("href=\"/utilisateurs\""));
        for member in [GRENOBLE_BUYER, GRENOBLE_APPROVER] {
            let cookie = app.sign_in(member).await;
            let denied = app.get("/utilisateurs", Some(&cookie)).await;
            assert_eq!(denied.status, StatusCode::FORBIDDEN, "{member}");
            assert!(denied.body.contains("<h1>Accès refusé</h1>"));
            assert!(!denied.body.contains(COORDINATOR));
            assert!(
                !app.get("/organisations", Some(&cookie))
                    .await
                    .body
                    .contains("href=\"/utilisateurs\"")
            );
        }
    })
    .await;
}

#[tokio::test]
async fn a_member_token_cannot_reach_another_members_organisation() {
    each_backend(|db| async move {
        let app = App::new(db).await;
        let cookie = app.sign_in(GRENOBLE_BUYER).await;
        let token = app.create_token(&cookie, "tableur").await;
        assert!(token.starts_with("mtl_"));
        let me = app.api("GET", "/api/v1/me", Some(&token), None).await;
        assert_eq!(me.json()["role"], "member_buyer");
        let list = app
            .api("GET", "/api/v1/organisations", Some(&token), None)
            .await;
        assert_eq!(list.status, StatusCode::OK);
        let json = list.json();
        assert_eq!(json["count"], 1);
        assert_eq!(json["organisations"][0]["siren"], GRENOBLE);
        for siren in [ECHIROLLES, METROPOLE] {
            let other = app.org_id(siren).await;
            let reply = app
                .api(
                    "GET",
                    &format!("/api/v1/organisations/{other}"),
                    Some(&token),
                    None,
                )
                .await;
            assert_eq!(reply.status, StatusCode::NOT_FOUND);
            assert_eq!(reply.json()["code"], "not_found");
        }
        let own = app.org_id(GRENOBLE).await;
        let reply = app
            .api(
                "GET",
                &format!("/api/v1/organisations/{own}"),
                Some(&token),
                None,
            )
            .await;
        assert_eq!(reply.json()["name"], "Grenoble");
    })
    .await;
}

#[tokio::test]
async fn a_coordinator_token_sees_the_territory() {
    each_backend(|db| async move {
        let app = App::new(db).await;
        let cookie = app.sign_in(COORDINATOR).await;
        let token = app.create_token(&cookie, "pilotage").await;
        let list = app
            .api("GET", "/api/v1/organisations", Some(&token), None)
            .await;
        assert_eq!(list.json()["count"], 50);
        let echirolles = app.org_id(ECHIROLLES).await;
        let reply = app
            .api(
                "GET",
                &format!("/api/v1/organisations/{echirolles}"),
                Some(&token),
                None,
            )
            .await;
        assert_eq!(reply.json()["population"], 36_708);
    })
    .await;
}

#[tokio::test]
async fn tokens_are_needed_personal_and_revocable() {
    each_backend(|db| async move {
        let app = App::new(db).await;
        let none = app.api("GET", "/api/v1/organisations", None, None).await;
        assert_eq!(none.status, StatusCode::UNAUTHORIZED);
        assert_eq!(none.json()["code"], "unauthenticated");
        assert!(none.header("www-authenticate").starts_with("Bearer"));
        let forged = app
            .api("GET", "/api/v1/organisations", Some("mtl_forged"), None)
            .await;
        assert_eq!(forged.status, StatusCode::UNAUTHORIZED);

        let grenoble = app.sign_in(GRENOBLE_BUYER).await;
        let token = app.create_token(&grenoble, "tableur").await;
        // Create a second token through the API; malformed JSON names the field.
        let malformed = app
            .api(
                "POST",
                "/api/v1/tokens",
                Some(&token),
                Some("{\"nom\": \"x\"}"),
            )
            .await;
        assert_eq!(malformed.status, StatusCode::BAD_REQUEST);
        assert_eq!(malformed.json()["code"], "invalid_json");
        assert!(
            malformed.json()["message"]
                .as_str()
                .unwrap()
                .contains("name"),
            "{}",
            malformed.body
        );
        let broken = app
            .api("POST", "/api/v1/tokens", Some(&token), Some("{\"name\": "))
            .await;
        assert_eq!(broken.status, StatusCode::BAD_REQUEST);
        let created = app
            .api(
                "POST",
                "/api/v1/tokens",
                Some(&token),
                Some("{\"name\": \"script\"}"),
            )
            .await;
        assert_eq!(created.status, StatusCode::CREATED);
        let second_id = created.json()["id"].as_i64().unwrap();
        let second = created.json()["token"].as_str().unwrap().to_owned();

        // Échirolles cannot revoke Grenoble's token, even by id.
        let echirolles = app.sign_in(ECHIROLLES_BUYER).await;
        let theirs = app.create_token(&echirolles, "leur jeton").await;
        let attempt = app
            .api(
                "DELETE",
                &format!("/api/v1/tokens/{second_id}"),
                Some(&theirs),
                None,
            )
            .await;
        assert_eq!(attempt.status, StatusCode::NOT_FOUND);
        let csrf = app.session_csrf(&echirolles).await;
        let html_attempt = app
            .post_form(
                &format!("/compte/jetons/{second_id}/revoquer"),
                Some(&echirolles),
                &[("csrf", &csrf)],
            )
            .await;
        assert_eq!(html_attempt.status, StatusCode::NOT_FOUND);
        assert_eq!(
            app.api("GET", "/api/v1/me", Some(&second), None)
                .await
                .status,
            StatusCode::OK
        );

        // Its owner can.
        let revoked = app
            .api(
                "DELETE",
                &format!("/api/v1/tokens/{second_id}"),
                Some(&token),
                None,
            )
            .await;
        assert_eq!(revoked.status, StatusCode::NO_CONTENT);
        assert_eq!(
            app.api("GET", "/api/v1/me", Some(&second), None)
                .await
                .status,
            StatusCode::UNAUTHORIZED
        );
        // And from the account page, which lists the tokens with their state.
        let page = app.get("/compte", Some(&grenoble)).await;
        assert!(page.body.contains("révoqué le"));
        assert!(page.body.contains("<th scope=\"row\">tableur</th>"));
        assert!(!page.body.contains("leur jeton"));
    })
    .await;
}
