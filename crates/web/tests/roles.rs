//! The roles that have no pages of their own yet (approver, evaluator, supplier, mediator):
//! a home page that says what they will do here, their account, and none of a member's pages
//! or API lists, whatever organisation their account belongs to.

#![allow(clippy::unwrap_used)] // a test that cannot unwrap has failed

mod common;

use axum::http::StatusCode;
use common::{App, COORDINATOR, GRENOBLE_APPROVER, GRENOBLE_BUYER};
use mutualis_app::Clock;
use mutualis_domain::{Organisation, OrganisationKind, Role, Siren, Siret};
use mutualis_storage::campaigns::CampaignError;
use mutualis_test_db::each_backend;

const METROPOLE: &str = "200040715";
const ECHIROLLES: &str = "213801517";
const SUPPLIER: &str = "offres@nettoyage.test";
const EVALUATOR: &str = "expert@echirolles.test";
const MEDIATOR: &str = "mediation@lametro.test";

/// The four accounts, with what their home page says they will do.
const ROLES: [(&str, &str); 4] = [
    (GRENOBLE_APPROVER, "valider ou refuser les commandes"),
    (
        EVALUATOR,
        "noter les sous-critères techniques et environnementaux",
    ),
    (SUPPLIER, "déposer vos offres"),
    (MEDIATOR, "litiges sur les commandes"),
];

async fn app_with_roles(db: mutualis_storage::Database) -> App {
    let app = App::new(db).await;
    app.with_isere_contracts().await;
    app.db
        .upsert_organisation(
            &Organisation {
                siren: Siren::parse("912345675").unwrap(),
                name: "Nettoyage des Alpes".into(),
                kind: OrganisationKind::Company,
                insee_code: None,
                population: None,
                establishments: vec![Siret::parse("91234567500017").unwrap()],
            },
            app.clock.now(),
        )
        .await
        .unwrap();
    app.add_account("912345675", Role::Supplier, SUPPLIER).await;
    app.add_account(ECHIROLLES, Role::Evaluator, EVALUATOR)
        .await;
    // The demo's mediator belongs to the métropole, which has contracts.
    app.add_account(METROPOLE, Role::Mediator, MEDIATOR).await;
    app
}

/// The paths of the main navigation's links.
fn nav_links(html: &str) -> Vec<String> {
    let nav = html
        .split("<nav aria-label=\"Navigation principale\">")
        .nth(1)
        .unwrap()
        .split("</nav>")
        .next()
        .unwrap();
    nav.split("href=\"")
        .skip(1)
        .map(|s| s.split('"').next().unwrap().to_owned())
        .collect()
}

/// The id of the first contract linked from a page.
fn first_contract(html: &str) -> String {
    html.split("<tbody>")
        .nth(1)
        .unwrap()
        .split("href=\"/contrats/")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn each_role_without_pages_has_a_home_page_that_says_what_it_will_do() {
    each_backend(|db| async move {
        let app = app_with_roles(db).await;
        for (email, promise) in ROLES {
            let cookies = app.sign_in(email).await;
            let home = app.get("/", Some(&cookies)).await;
            assert_eq!(home.status, StatusCode::OK, "{email}");
            assert!(home.body.contains(promise), "{email}: {}", home.body);
            assert_eq!(home.body.matches("<h1>").count(), 1, "{email}");
            // Its own things only: the home page and its account.
            assert_eq!(nav_links(&home.body), ["/", "/compte"], "{email}");
            assert_eq!(
                app.get("/compte", Some(&cookies)).await.status,
                StatusCode::OK,
                "{email}"
            );
            // Not the territory's table of members, which is the buyers' home page.
            assert!(!home.body.contains("<tbody>"), "{email}");
        }
        // The buyer roles keep the territory's home page and the member's navigation.
        for email in [COORDINATOR, GRENOBLE_BUYER] {
            let cookies = app.sign_in(email).await;
            let home = app.get("/", Some(&cookies)).await;
            assert!(home.body.contains("<h1>Grenoble-Alpes-Métropole</h1>"));
            let links = nav_links(&home.body);
            for path in [
                "/contrats",
                "/calendrier",
                "/campagnes",
                "/opportunites",
                "/groupements",
                "/organisations",
                "/compte",
            ] {
                assert!(links.iter().any(|l| l == path), "{email} {path}");
            }
        }
    })
    .await;
}

#[tokio::test]
async fn roles_without_pages_are_refused_every_members_page_and_api_list() {
    each_backend(|db| async move {
        let app = app_with_roles(db).await;
        // A contract of the métropole, the mediator's organisation.
        let coordinator = app.sign_in(COORDINATOR).await;
        let metro = app.org_id(METROPOLE).await;
        let metro_contract = first_contract(
            &app.get(&format!("/contrats?membre={metro}"), Some(&coordinator))
                .await
                .body,
        );
        let echirolles = app.org_id(ECHIROLLES).await;
        for (email, _) in ROLES {
            let cookies = app.sign_in(email).await;
            let own = app.principal(&cookies).await.organisation_id();
            for path in [
                "/contrats".to_owned(),
                format!("/contrats/{metro_contract}"),
                "/calendrier".to_owned(),
                format!("/calendrier?membre={metro}"),
                "/organisations".to_owned(),
                format!("/organisations/{own}"),
                format!("/organisations/{echirolles}"),
                "/campagnes".to_owned(),
                "/opportunites".to_owned(),
                "/opportunites/9091".to_owned(),
                "/groupements".to_owned(),
            ] {
                let page = app.get(&path, Some(&cookies)).await;
                assert_eq!(page.status, StatusCode::FORBIDDEN, "{email} {path}");
                assert!(
                    page.body.contains("<h1>Accès refusé</h1>"),
                    "{email} {path}"
                );
                // The error page keeps the user's own navigation.
                assert_eq!(nav_links(&page.body), ["/", "/compte"], "{email} {path}");
            }
            let token = app.create_token(&cookies, "essai").await;
            let me = app.api("GET", "/api/v1/me", Some(&token), None).await;
            assert_eq!(me.status, StatusCode::OK, "{email}");
            for path in [
                "/api/v1/contracts".to_owned(),
                format!("/api/v1/contracts/{metro_contract}"),
                "/api/v1/organisations".to_owned(),
                format!("/api/v1/organisations/{own}"),
                "/api/v1/opportunities".to_owned(),
                "/api/v1/opportunities/9091".to_owned(),
                "/api/v1/campaigns".to_owned(),
                "/api/v1/groupements".to_owned(),
            ] {
                let reply = app.api("GET", &path, Some(&token), None).await;
                assert_eq!(reply.status, StatusCode::FORBIDDEN, "{email} {path}");
                assert_eq!(reply.json()["code"], "forbidden", "{email} {path}");
            }
        }
    })
    .await;
}

#[tokio::test]
async fn the_mediator_does_not_read_the_contracts_of_the_organisation_it_belongs_to() {
    each_backend(|db| async move {
        let app = app_with_roles(db).await;
        let mediator = app.principal(&app.sign_in(MEDIATOR).await).await;
        assert_eq!(mediator.organisation_id(), app.org_id(METROPOLE).await);
        // The storage scope itself reads none of the métropole's contracts.
        let page = app
            .db
            .contracts_in_scope(
                mediator.scope(),
                &mutualis_storage::contracts::ContractFilter {
                    per_page: 50,
                    ..Default::default()
                },
                mutualis_reference::cpv::nomenclature(),
            )
            .await
            .unwrap();
        assert_eq!((page.total, page.records.len()), (0, 0));
    })
    .await;
}

/// The approver and the evaluator belong to invited organisations, yet neither declares a
/// need, uploads a workbook nor answers: the pages refuse (403), and so does storage when
/// asked directly with their scope.
#[tokio::test]
async fn roles_without_pages_cannot_answer_a_campaign_of_their_organisation() {
    each_backend(|db| async move {
        let app = app_with_roles(db).await;
        let coordinator = app.sign_in(COORDINATOR).await;
        for email in [GRENOBLE_APPROVER, EVALUATOR] {
            let cookies = app.sign_in(email).await;
            let id = app.campaign_inviting(&coordinator, &cookies).await;
            let csrf = app.session_csrf(&cookies).await;
            let today = app.clock.today();
            let start = (today + chrono::Days::new(30))
                .format("%d/%m/%Y")
                .to_string();
            let need = [
                ("csrf", csrf.as_str()),
                ("cpv", "90910000"),
                ("description", "Nettoyage des écoles"),
                ("montant", "12 500"),
                ("quantite", "1"),
                ("unite", "an"),
                ("debut", start.as_str()),
            ];
            let (content_type, body) = common::multipart(
                &csrf,
                "classeur",
                "besoins.xlsx",
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                b"PK\x03\x04",
            );
            let replies = [
                app.post_form(&format!("/campagnes/{id}/besoins"), Some(&cookies), &need)
                    .await,
                app.post_form(
                    &format!("/campagnes/{id}/reponse"),
                    Some(&cookies),
                    &[("csrf", &csrf)],
                )
                .await,
                app.post_form(
                    &format!("/campagnes/{id}/besoins/1/supprimer"),
                    Some(&cookies),
                    &[("csrf", &csrf)],
                )
                .await,
                app.send(
                    axum::http::Request::post(format!("/campagnes/{id}/classeur"))
                        .header(axum::http::header::COOKIE, &cookies)
                        .header(axum::http::header::CONTENT_TYPE, content_type)
                        .body(axum::body::Body::from(body))
                        .unwrap(),
                )
                .await,
                app.get(&format!("/campagnes/{id}/classeur"), Some(&cookies))
                    .await,
            ];
            for reply in replies {
                assert_eq!(reply.status, StatusCode::FORBIDDEN, "{email}");
                assert!(reply.body.contains("<h1>Accès refusé</h1>"), "{email}");
            }
            // Storage refuses the same scope on its own, by role, before looking at the campaign.
            let scope = *app.principal(&cookies).await.scope();
            let refused = app
                .db
                .submit_answer(&scope, id, today, app.clock.now())
                .await
                .unwrap_err();
            assert!(
                matches!(refused, CampaignError::RoleRefused(_)),
                "{email}: {refused:?}"
            );
            assert!(
                refused
                    .to_string()
                    .contains("ne peut pas répondre à une campagne de recensement"),
                "{refused}"
            );
            let refused = app
                .db
                .replace_needs_from_workbook(&scope, id, &[], today, app.clock.now())
                .await
                .unwrap_err();
            assert!(matches!(refused, CampaignError::RoleRefused(_)), "{email}");
            // Nothing was written: the campaign has no need and no answer.
            let wide = *app.principal(&coordinator).await.scope();
            let needs = app
                .db
                .needs_of(&wide, id, mutualis_reference::cpv::nomenclature())
                .await
                .unwrap();
            assert!(needs.is_empty(), "{email}: {needs:?}");
            let summary = app.db.campaign(&wide, id).await.unwrap().unwrap();
            assert_eq!(summary.progress.unwrap().answered, 0, "{email}");
        }
    })
    .await;
}
