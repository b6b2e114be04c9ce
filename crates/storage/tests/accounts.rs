//! Accounts, sessions, API tokens, throttling and tenant scopes, on both backends.

#![allow(clippy::unwrap_used)] // a test that cannot unwrap has failed

use chrono::{Duration, Utc};
use mutualis_domain::{Email, Role};
use mutualis_reference::territory::grenoble_alpes_metropole;
use mutualis_storage::StorageError;
use mutualis_storage::accounts::SessionPolicy;
use mutualis_storage::credentials::{hash_password, hash_secret, new_secret};
use mutualis_test_db::{SESSION_POLICY, each_backend, sign_in};

const POLICY: SessionPolicy = SESSION_POLICY;

const GRENOBLE: &str = "213801855";
const ECHIROLLES: &str = "213801517";
const METROPOLE: &str = "200040715";

#[tokio::test]
async fn a_member_sees_only_its_own_organisation() {
    each_backend(|db| async move {
        db.upsert_territory(&grenoble_alpes_metropole(), chrono::Utc::now())
            .await
            .unwrap();
        let (grenoble, _) = sign_in(&db, GRENOBLE, Role::MemberBuyer, "achats@grenoble.fr").await;
        let (echirolles, _) =
            sign_in(&db, ECHIROLLES, Role::MemberBuyer, "achats@echirolles.fr").await;
        let scope = grenoble.scope();
        assert!(scope.territory_wide().is_none());
        let own = db.organisations_in_scope(scope).await.unwrap();
        assert_eq!(own.len(), 1);
        assert_eq!(own[0].organisation.name, "Grenoble");
        let other = echirolles.organisation_id();
        assert!(
            db.organisation_in_scope(scope, other)
                .await
                .unwrap()
                .is_none()
        );
        assert!(
            db.organisation_in_scope(scope, own[0].id)
                .await
                .unwrap()
                .is_some()
        );
    })
    .await;
}

#[tokio::test]
async fn only_the_coordinator_sees_the_territory() {
    each_backend(|db| async move {
        db.upsert_territory(&grenoble_alpes_metropole(), chrono::Utc::now())
            .await
            .unwrap();
        let (coordinator, _) =
            sign_in(&db, METROPOLE, Role::Coordinator, "achats@lametro.fr").await;
        sign_in(&db, GRENOBLE, Role::Approver, "budget@grenoble.fr").await;
        let wide = coordinator
            .scope()
            .territory_wide()
            .expect("a coordinator sees the territory");
        assert_eq!(
            db.organisations_territory_wide(wide).await.unwrap().len(),
            50
        );
        let users = db.users_territory_wide(wide).await.unwrap();
        let emails: Vec<&str> = users.iter().map(|u| u.email.as_str()).collect();
        // By organisation name: "Grenoble" before "Grenoble-Alpes-Métropole".
        assert_eq!(emails, ["budget@grenoble.fr", "achats@lametro.fr"]);
        assert_eq!(users[0].role, Role::Approver);
        assert_eq!(users[1].organisation_name, "Grenoble-Alpes-Métropole");
        for role in [
            Role::MemberBuyer,
            Role::Approver,
            Role::Evaluator,
            Role::Supplier,
            Role::Mediator,
        ] {
            let (p, _) =
                sign_in(&db, GRENOBLE, role, &format!("{}@grenoble.fr", role.code())).await;
            assert!(p.scope().territory_wide().is_none(), "{role}");
        }
    })
    .await;
}

#[tokio::test]
async fn an_email_has_one_account() {
    each_backend(|db| async move {
        db.upsert_territory(&grenoble_alpes_metropole(), chrono::Utc::now())
            .await
            .unwrap();
        sign_in(&db, GRENOBLE, Role::MemberBuyer, "achats@grenoble.fr").await;
        let email = Email::parse("ACHATS@grenoble.fr").unwrap();
        let err = db
            .create_user(1, &email, Role::Approver, "x", Utc::now())
            .await
            .unwrap_err();
        assert!(matches!(err, StorageError::Conflict(_)), "{err}");
    })
    .await;
}

#[tokio::test]
async fn sessions_expire_when_idle_or_old_and_are_then_gone() {
    each_backend(|db| async move {
        db.upsert_territory(&grenoble_alpes_metropole(), chrono::Utc::now())
            .await
            .unwrap();
        let (_, token) = sign_in(&db, GRENOBLE, Role::MemberBuyer, "achats@grenoble.fr").await;
        let soon = Utc::now() + Duration::minutes(90);
        assert!(db.session(&token, soon, POLICY).await.unwrap().is_some());
        // 90 minutes later it was touched, so two more hours of idleness are needed.
        let later = soon + Duration::minutes(119);
        assert!(db.session(&token, later, POLICY).await.unwrap().is_some());
        let too_old = Utc::now() + Duration::hours(12);
        assert!(db.session(&token, too_old, POLICY).await.unwrap().is_none());
        assert!(
            db.session(&token, Utc::now(), POLICY)
                .await
                .unwrap()
                .is_none(),
            "deleted"
        );
        assert!(
            db.session("unknown", Utc::now(), POLICY)
                .await
                .unwrap()
                .is_none()
        );
    })
    .await;
}

#[tokio::test]
async fn changing_the_password_ends_the_other_sessions() {
    each_backend(|db| async move {
        db.upsert_territory(&grenoble_alpes_metropole(), chrono::Utc::now())
            .await
            .unwrap();
        let (p, kept) = sign_in(&db, GRENOBLE, Role::MemberBuyer, "achats@grenoble.fr").await;
        let credentials = db.credentials(&p.email).await.unwrap().unwrap();
        let other = hash_secret(&new_secret("s_"));
        db.create_session(&credentials, &other, "c2", Utc::now(), POLICY)
            .await
            .unwrap();
        let secret = new_secret("mtl_");
        db.create_api_token(p.scope(), "tableur", &hash_secret(&secret), Utc::now())
            .await
            .unwrap()
            .unwrap();
        let new_hash = hash_password("un autre mot de passe long").unwrap();
        let revoked = db
            .change_own_password(p.scope(), &new_hash, &kept, Utc::now())
            .await
            .unwrap();
        // The tokens made with the old password die with it.
        assert_eq!(revoked, 1);
        assert!(
            db.api_token_principal(&hash_secret(&secret), Utc::now())
                .await
                .unwrap()
                .is_none()
        );
        assert!(
            db.session(&kept, Utc::now(), POLICY)
                .await
                .unwrap()
                .is_some()
        );
        assert!(
            db.session(&other, Utc::now(), POLICY)
                .await
                .unwrap()
                .is_none()
        );
        assert_eq!(
            db.own_password_hash(p.scope()).await.unwrap(),
            Some(new_hash)
        );
    })
    .await;
}

#[tokio::test]
async fn api_tokens_are_personal_and_revocable() {
    each_backend(|db| async move {
        db.upsert_territory(&grenoble_alpes_metropole(), chrono::Utc::now())
            .await
            .unwrap();
        let (grenoble, _) = sign_in(&db, GRENOBLE, Role::MemberBuyer, "achats@grenoble.fr").await;
        let (echirolles, _) =
            sign_in(&db, ECHIROLLES, Role::MemberBuyer, "achats@echirolles.fr").await;
        let secret = new_secret("mtl_");
        let id = db
            .create_api_token(
                grenoble.scope(),
                "tableur",
                &hash_secret(&secret),
                Utc::now(),
            )
            .await
            .unwrap()
            .unwrap();
        let found = db
            .api_token_principal(&hash_secret(&secret), Utc::now())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(found.scope(), grenoble.scope());
        let listed = db.api_tokens(grenoble.scope()).await.unwrap();
        assert_eq!(listed.len(), 1);
        assert!(listed[0].last_used_at.is_some());
        assert!(db.api_tokens(echirolles.scope()).await.unwrap().is_empty());
        // Another member cannot revoke it, even knowing its id.
        assert!(
            !db.revoke_api_token(echirolles.scope(), id, Utc::now())
                .await
                .unwrap()
        );
        assert!(
            db.revoke_api_token(grenoble.scope(), id, Utc::now())
                .await
                .unwrap()
        );
        assert!(
            !db.revoke_api_token(grenoble.scope(), id, Utc::now())
                .await
                .unwrap()
        );
        assert!(
            db.api_token_principal(&hash_secret(&secret), Utc::now())
                .await
                .unwrap()
                .is_none()
        );
    })
    .await;
}

#[tokio::test]
async fn login_failures_count_within_their_window() {
    each_backend(|db| async move {
        let window = Duration::minutes(15);
        let t0 = Utc::now();
        let key = "account:achats@grenoble.fr";
        assert_eq!(db.login_failures(key, t0, window).await.unwrap(), 0);
        for expected in 1..=3 {
            let at = t0 + Duration::minutes(expected);
            assert_eq!(
                db.record_login_failure(key, at, window).await.unwrap(),
                expected
            );
        }
        assert_eq!(
            db.login_failures(key, t0 + Duration::minutes(14), window)
                .await
                .unwrap(),
            3
        );
        // The window started at the first failure: 15 minutes later it is over.
        assert_eq!(
            db.login_failures(key, t0 + Duration::minutes(16), window)
                .await
                .unwrap(),
            0
        );
        assert_eq!(
            db.record_login_failure(key, t0 + Duration::minutes(16), window)
                .await
                .unwrap(),
            1
        );
        db.clear_login_failures(key).await.unwrap();
        assert_eq!(
            db.login_failures(key, t0 + Duration::minutes(17), window)
                .await
                .unwrap(),
            0
        );
        assert_eq!(
            db.login_failures("address:127.0.0.1", t0, window)
                .await
                .unwrap(),
            0
        );
    })
    .await;
}

#[tokio::test]
async fn a_user_holds_a_bounded_number_of_live_tokens() {
    each_backend(|db| async move {
        db.upsert_territory(&grenoble_alpes_metropole(), chrono::Utc::now())
            .await
            .unwrap();
        let (p, _) = sign_in(&db, GRENOBLE, Role::MemberBuyer, "achats@grenoble.fr").await;
        let max = mutualis_storage::accounts::MAX_LIVE_API_TOKENS;
        let mut ids = Vec::new();
        for i in 0..max {
            let secret = new_secret("mtl_");
            let id = db
                .create_api_token(
                    p.scope(),
                    &format!("outil {i}"),
                    &hash_secret(&secret),
                    Utc::now(),
                )
                .await
                .unwrap();
            ids.push(id.expect("under the cap"));
        }
        let refused = db
            .create_api_token(
                p.scope(),
                "un de trop",
                &hash_secret(&new_secret("mtl_")),
                Utc::now(),
            )
            .await
            .unwrap();
        assert_eq!(refused, None);
        assert_eq!(db.api_tokens(p.scope()).await.unwrap().len(), max as usize);
        // A revoked token frees its place.
        assert!(
            db.revoke_api_token(p.scope(), ids[0], Utc::now())
                .await
                .unwrap()
        );
        assert!(
            db.create_api_token(
                p.scope(),
                "à nouveau",
                &hash_secret(&new_secret("mtl_")),
                Utc::now()
            )
            .await
            .unwrap()
            .is_some()
        );
    })
    .await;
}
