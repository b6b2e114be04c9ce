//! Signing in and out, sessions, CSRF, throttling, body limits — on both backends.

#![allow(clippy::unwrap_used)] // a test that cannot unwrap has failed

mod common;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use chrono::Duration;
use common::{App, COORDINATOR, GRENOBLE_BUYER, PASSWORD};
use mutualis_storage::accounts::SessionPolicy;
use mutualis_test_db::each_backend;
use mutualis_web::WebConfig;

const BAD_CREDENTIALS: &str = "Adresse électronique ou mot de passe incorrect.";

#[tokio::test]
async fn signing_in_sets_a_safe_cookie_and_returns_to_the_page_asked_for() {
    each_backend(|db| async move {
        let app = App::new(db).await;
        let reply = app
            .try_sign_in(GRENOBLE_BUYER, PASSWORD, "/organisations")
            .await;
        assert_eq!(reply.status, StatusCode::SEE_OTHER);
        assert_eq!(reply.header("location"), "/organisations");
        let line = reply.set_cookie_line("mutualis_session");
        for flag in ["HttpOnly", "Secure", "SameSite=Lax", "Path=/"] {
            assert!(line.contains(flag), "{flag} missing in {line}");
        }
        let cookie = format!(
            "mutualis_session={}",
            reply.cookie("mutualis_session").unwrap()
        );
        let account = app.get("/compte", Some(&cookie)).await;
        assert_eq!(account.status, StatusCode::OK);
        assert!(account.body.contains("<h1>Mon compte</h1>"));
        assert!(account.body.contains("achats@grenoble.test"));
        assert!(account.body.contains("Acheteur membre"));
        // Back to another site is never followed.
        let reply = app
            .try_sign_in(GRENOBLE_BUYER, PASSWORD, "//evil.example/")
            .await;
        assert_eq!(reply.header("location"), "/");
    })
    .await;
}

#[tokio::test]
async fn a_wrong_password_and_an_unknown_account_get_the_same_answer() {
    each_backend(|db| async move {
        let app = App::new(db).await;
        let wrong = app
            .try_sign_in(GRENOBLE_BUYER, "pas le bon mot de passe", "/")
            .await;
        let unknown = app
            .try_sign_in("personne@nulle-part.test", PASSWORD, "/")
            .await;
        let malformed = app.try_sign_in("pas-une-adresse", PASSWORD, "/").await;
        for reply in [&wrong, &unknown, &malformed] {
            assert_eq!(reply.status, StatusCode::OK);
            assert!(reply.body.contains(BAD_CREDENTIALS));
            assert!(reply.body.contains("role=\"alert\""));
            assert!(reply.cookie("mutualis_session").is_none());
        }
        // The address typed is kept in the form; the password is not.
        assert!(wrong.body.contains("value=\"achats@grenoble.test\""));
        assert!(!wrong.body.contains("pas le bon mot de passe"));
    })
    .await;
}

#[tokio::test]
async fn an_account_is_locked_after_five_failures_even_with_the_right_password() {
    each_backend(|db| async move {
        let app = App::new(db).await;
        for _ in 0..5 {
            let reply = app
                .try_sign_in(GRENOBLE_BUYER, "mauvais mot de passe", "/")
                .await;
            assert_eq!(reply.status, StatusCode::OK);
        }
        let locked = app.try_sign_in(GRENOBLE_BUYER, PASSWORD, "/").await;
        assert_eq!(locked.status, StatusCode::TOO_MANY_REQUESTS);
        assert!(locked.body.contains("Réessayez dans 15 minutes"));
        assert!(locked.cookie("mutualis_session").is_none());
        // Another account is not affected.
        app.sign_in(COORDINATOR).await;
    })
    .await;
}

#[tokio::test]
async fn a_new_session_id_at_every_sign_in() {
    each_backend(|db| async move {
        let app = App::new(db).await;
        let first = app.sign_in(GRENOBLE_BUYER).await;
        // Signing in again from the same browser replaces its session.
        let form = app.get("/connexion", None).await;
        let csrf = form.cookie("mutualis_csrf").unwrap();
        let reply = app
            .post_form(
                "/connexion",
                Some(&format!("mutualis_csrf={csrf}; {first}")),
                &[
                    ("csrf", &csrf),
                    ("email", GRENOBLE_BUYER),
                    ("password", PASSWORD),
                ],
            )
            .await;
        let second = reply.cookie("mutualis_session").unwrap();
        assert_ne!(format!("mutualis_session={second}"), first);
        let old = app.get("/compte", Some(&first)).await;
        assert_eq!(old.status, StatusCode::SEE_OTHER, "the old session is gone");
    })
    .await;
}

#[tokio::test]
async fn without_a_session_pages_send_to_sign_in_and_back() {
    each_backend(|db| async move {
        let app = App::new(db).await;
        let reply = app.get("/organisations?tri=nom", None).await;
        assert_eq!(reply.status, StatusCode::SEE_OTHER);
        assert_eq!(
            reply.header("location"),
            "/connexion?suite=%2Forganisations%3Ftri%3Dnom"
        );
        let form = app.get(&reply.header("location"), None).await;
        assert!(
            form.body
                .contains("name=\"suite\" value=\"/organisations?tri=nom\"")
        );
        let garbage = app.get("/compte", Some("mutualis_session=forged")).await;
        assert_eq!(garbage.status, StatusCode::SEE_OTHER);
    })
    .await;
}

#[tokio::test]
async fn an_expired_session_is_sent_to_sign_in() {
    each_backend(|db| async move {
        App::new(db.clone()).await;
        // Sessions that expire at once.
        let config = WebConfig {
            session: SessionPolicy {
                absolute: Duration::zero(),
                idle: Duration::hours(2),
            },
            ..WebConfig::default()
        };
        let app = App::with_config(db, config);
        let cookie = app.sign_in(GRENOBLE_BUYER).await;
        let reply = app.get("/compte", Some(&cookie)).await;
        assert_eq!(reply.status, StatusCode::SEE_OTHER);
        assert_eq!(reply.header("location"), "/connexion?suite=%2Fcompte");
    })
    .await;
}

#[tokio::test]
async fn state_changing_forms_need_the_session_csrf_token() {
    each_backend(|db| async move {
        let app = App::new(db).await;
        let cookie = app.sign_in(GRENOBLE_BUYER).await;
        let csrf = app.session_csrf(&cookie).await;
        // Missing, forged, and not a form at all.
        let missing = app.post_form("/deconnexion", Some(&cookie), &[]).await;
        let forged = app
            .post_form("/deconnexion", Some(&cookie), &[("csrf", "forged")])
            .await;
        let bare = app
            .send(
                Request::post("/deconnexion")
                    .header(header::COOKIE, &cookie)
                    .body(Body::empty())
                    .unwrap(),
            )
            .await;
        for reply in [&missing, &forged, &bare] {
            assert_eq!(reply.status, StatusCode::FORBIDDEN);
            assert!(reply.body.contains("<h1>Accès refusé</h1>"));
        }
        let token = app
            .post_form(
                "/compte/jetons",
                Some(&cookie),
                &[("csrf", "forged"), ("name", "x")],
            )
            .await;
        assert_eq!(token.status, StatusCode::FORBIDDEN);
        let account = app.get("/compte", Some(&cookie)).await;
        assert_eq!(account.status, StatusCode::OK, "still signed in");
        assert!(account.body.contains("Aucun jeton."), "nothing was created");
        // The sign-in form too.
        let login = app
            .post_form(
                "/connexion",
                None,
                &[
                    ("csrf", "x"),
                    ("email", GRENOBLE_BUYER),
                    ("password", PASSWORD),
                ],
            )
            .await;
        assert_eq!(login.status, StatusCode::FORBIDDEN);
        // With the right token, signing out works.
        let out = app
            .post_form("/deconnexion", Some(&cookie), &[("csrf", &csrf)])
            .await;
        assert_eq!(out.status, StatusCode::SEE_OTHER);
        assert_eq!(
            app.get("/compte", Some(&cookie)).await.status,
            StatusCode::SEE_OTHER
        );
    })
    .await;
}

#[tokio::test]
async fn password_change_shows_errors_next_to_fields_and_then_works() {
    each_backend(|db| async move {
        let app = App::new(db).await;
        let cookie = app.sign_in(GRENOBLE_BUYER).await;
        let other_session = app.sign_in(GRENOBLE_BUYER).await;
        let csrf = app.session_csrf(&cookie).await;
        let bad = app
            .post_form(
                "/compte/mot-de-passe",
                Some(&cookie),
                &[("csrf", &csrf), ("current_password", "faux"), ("new_password", "court"), ("confirmation", "court")],
            )
            .await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(bad.body.contains("<a href=\"#current_password\">Le mot de passe actuel est incorrect.</a>"));
        assert!(bad.body.contains("id=\"new_password-erreur\">Nouveau mot de passe : le mot de passe doit compter au moins 12 caractères.</p>"));
        assert!(bad.body.contains("aria-invalid=\"true\" aria-describedby=\"current_password-erreur\""));
        let mismatch = app
            .post_form(
                "/compte/mot-de-passe",
                Some(&cookie),
                &[("csrf", &csrf), ("current_password", PASSWORD), ("new_password", "une nouvelle phrase"), ("confirmation", "autre chose encore")],
            )
            .await;
        assert!(mismatch.body.contains("La confirmation ne correspond pas"));
        let good = app
            .post_form(
                "/compte/mot-de-passe",
                Some(&cookie),
                &[("csrf", &csrf), ("current_password", PASSWORD), ("new_password", "une nouvelle phrase"), ("confirmation", "une nouvelle phrase")],
            )
            .await;
        assert_eq!(good.status, StatusCode::OK);
        assert!(good.body.contains("Votre mot de passe a été changé."));
        assert_eq!(app.get("/compte", Some(&cookie)).await.status, StatusCode::OK);
        assert_eq!(app.get("/compte", Some(&other_session)).await.status, StatusCode::SEE_OTHER);
        let old = app.try_sign_in(GRENOBLE_BUYER, PASSWORD, "/").await;
        assert!(old.body.contains(BAD_CREDENTIALS));
        let new = app.try_sign_in(GRENOBLE_BUYER, "une nouvelle phrase", "/").await;
        assert_eq!(new.status, StatusCode::SEE_OTHER);
    })
    .await;
}

#[tokio::test]
async fn oversized_bodies_are_refused_with_413() {
    each_backend(|db| async move {
        let app = App::new(db).await;
        let huge = "x".repeat(mutualis_web::BODY_LIMIT_BYTES + 1);
        let page = app.post_form("/connexion", None, &[("csrf", &huge)]).await;
        assert_eq!(page.status, StatusCode::PAYLOAD_TOO_LARGE);
        assert!(page.body.contains("<h1>Envoi trop volumineux</h1>"));
        let cookie = app.sign_in(GRENOBLE_BUYER).await;
        let token = app.create_token(&cookie, "api").await;
        let api = app
            .api(
                "POST",
                "/api/v1/tokens",
                Some(&token),
                Some(&format!("{{\"name\":\"{huge}\"}}")),
            )
            .await;
        assert_eq!(api.status, StatusCode::PAYLOAD_TOO_LARGE);
        assert_eq!(api.json()["code"], "payload_too_large");
    })
    .await;
}
