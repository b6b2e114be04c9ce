//! The real DECP files of 2019, uploaded through the coordinator's page (and imported by its
//! job), then every list page
//! and API list of every role: nothing the importer accepted may make a reader fail.

#![allow(clippy::unwrap_used)] // a test that cannot unwrap has failed

mod common;

use axum::http::StatusCode;
use common::{App, COORDINATOR, ECHIROLLES_BUYER, GRENOBLE_APPROVER, GRENOBLE_BUYER};
use mutualis_app::Clock;
use mutualis_domain::{Organisation, OrganisationKind, Role, Siren, Siret};
use mutualis_test_db::{each_backend, execute_sql};

/// The real files: the Isère extract the demo loads, and two whole consolidated files of 2019
/// (`tests/data/decp-2019/SOURCES.md`).
const REAL_FILES: [(&str, &[u8]); 3] = [
    (
        "isere_extract_2019.json",
        include_bytes!("../../../data/decp/isere_extract_2019.json"),
    ),
    (
        "data.gouv.fr_pes.json",
        include_bytes!("../../../tests/data/decp-2019/data.gouv.fr_pes.json"),
    ),
    (
        "marches-publics.info.json",
        include_bytes!("../../../tests/data/decp-2019/marches-publics.info.json"),
    ),
];

const EVALUATOR: &str = "expertise@echirolles.test";
const SUPPLIER: &str = "offres@entreprise.test";
const MEDIATOR: &str = "mediation@lametro.test";

/// The pages a signed-in user may open from the navigation, and the API lists.
const PAGES: [&str; 10] = [
    "/",
    "/contrats",
    "/contrats?page=2",
    "/calendrier",
    "/organisations",
    "/opportunites",
    "/campagnes",
    "/groupements",
    "/compte",
    "/utilisateurs",
];
const API_LISTS: [&str; 6] = [
    "/api/v1/me",
    "/api/v1/organisations",
    "/api/v1/contracts",
    "/api/v1/opportunities",
    "/api/v1/campaigns",
    "/api/v1/groupements",
];

/// Every role of the product, with an account of the test territory.
async fn every_role(app: &App) -> Vec<(&'static str, &'static str)> {
    let company = Organisation {
        siren: Siren::parse("912345675").unwrap(),
        name: "Entreprise de test".into(),
        kind: OrganisationKind::Company,
        insee_code: None,
        population: None,
        establishments: vec![Siret::parse("91234567500017").unwrap()],
    };
    app.db
        .upsert_organisation(&company, app.clock.now())
        .await
        .unwrap();
    app.add_account("213801517", Role::Evaluator, EVALUATOR)
        .await;
    app.add_account("912345675", Role::Supplier, SUPPLIER).await;
    app.add_account("200040715", Role::Mediator, MEDIATOR).await;
    vec![
        ("coordinator", COORDINATOR),
        ("member_buyer", GRENOBLE_BUYER),
        ("member_buyer", ECHIROLLES_BUYER),
        ("approver", GRENOBLE_APPROVER),
        ("evaluator", EVALUATOR),
        ("supplier", SUPPLIER),
        ("mediator", MEDIATOR),
    ]
}

/// Uploads `file` through the coordinator's page, runs its import job, and reads the job's
/// page.
async fn upload(app: &App, cookie: &str, name: &str, file: &[u8]) -> String {
    app.import_through_page(cookie, name, file).await.body
}

#[tokio::test]
async fn after_every_real_file_every_page_of_every_role_answers() {
    each_backend(|db| async move {
        let app = App::new(db).await;
        let accounts = every_role(&app).await;
        let coordinator = app.sign_in(COORDINATOR).await;
        for (name, file) in REAL_FILES {
            let summary = upload(&app, &coordinator, name, file).await;
            assert!(summary.contains("<dt>Lus</dt>"), "{name}: {summary}");
        }
        for (role, email) in accounts {
            let cookie = app.sign_in(email).await;
            for page in PAGES {
                let reply = app.get(page, Some(&cookie)).await;
                assert!(
                    reply.status.as_u16() < 500,
                    "{role} {email} {page}: {} {}",
                    reply.status,
                    reply.body
                );
            }
            let token = app.create_token(&cookie, "essai").await;
            for list in API_LISTS {
                let reply = app.api("GET", list, Some(&token), None).await;
                assert!(
                    reply.status.as_u16() < 500,
                    "{role} {email} {list}: {} {}",
                    reply.status,
                    reply.body
                );
            }
        }
    })
    .await;
}

/// A titulaire whose 14 digits pass the Luhn check while its SIREN does not (record 3822 of
/// marches-publics.info.json): no such organisation is created, and the contract keeps the
/// identifier as published.
#[tokio::test]
async fn a_titulaire_siret_with_a_false_siren_key_makes_no_organisation() {
    each_backend(|db| async move {
        let app = App::new(db).await;
        let coordinator = app.sign_in(COORDINATOR).await;
        let (name, file) = REAL_FILES[2];
        upload(&app, &coordinator, name, file).await;
        let token = app.create_token(&coordinator, "essai").await;
        let orgs = app
            .api("GET", "/api/v1/organisations", Some(&token), None)
            .await;
        assert_eq!(orgs.status, StatusCode::OK, "{}", orgs.body);
        assert!(!orgs.body.contains("301309006"), "{}", orgs.body);
        let page = app.get("/organisations", Some(&coordinator)).await;
        assert_eq!(page.status, StatusCode::OK);
    })
    .await;
}

/// A row the application cannot read (left by an older version, say) is a 500 — inside the
/// signed-in user's frame, with its navigation and sign-out form, not a bare page.
#[tokio::test]
async fn an_internal_error_page_keeps_the_users_menu() {
    each_backend(|db| async move {
        let app = App::new(db).await;
        execute_sql(
            &app.db,
            "INSERT INTO organisations (siren, name, kind, created_at, updated_at) \
             VALUES ('30130900X', 'Ligne illisible', 'company', \
             '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z')",
        )
        .await;
        let coordinator = app.sign_in(COORDINATOR).await;
        let page = app.get("/organisations", Some(&coordinator)).await;
        assert_eq!(page.status, StatusCode::INTERNAL_SERVER_ERROR);
        assert!(page.body.contains("Erreur interne"), "{}", page.body);
        assert!(page.body.contains(COORDINATOR), "{}", page.body);
        assert!(page.body.contains("Se déconnecter"), "{}", page.body);
        assert!(page.body.contains("href=\"/contrats\""), "{}", page.body);
    })
    .await;
}
