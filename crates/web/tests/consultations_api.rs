//! The consultations in the JSON API, public and read-only, on both backends: a published
//! consultation is listed without a token, with its deadline in UTC and in Paris time, its
//! lots, criteria and procedure; a draft is neither listed nor readable (404).

#![allow(clippy::unwrap_used)] // a test that cannot unwrap has failed

mod common;

use axum::http::StatusCode;
use chrono::{NaiveDate, TimeZone, Utc};
use common::App;
use mutualis_domain::consultation::{Action, Consultation, CriterionKind};
use mutualis_reference::cpv::nomenclature;
use mutualis_reference::rules::rule_book;
use mutualis_test_db::consultations::{cleaning, criterion};
use mutualis_test_db::{METRO, each_backend, world};

/// Cleaning services of the métropole: one lot, 120,000 € HT, price and environment.
fn draft(reference: &str) -> Consultation {
    cleaning(
        reference,
        METRO,
        &[("Bâtiments", 120_000)],
        vec![
            criterion(CriterionKind::Price, "Prix", 60),
            criterion(CriterionKind::Environmental, "Produits et méthodes", 40),
        ],
    )
}

#[tokio::test]
async fn a_published_consultation_is_read_without_a_token_and_a_draft_is_not() {
    each_backend(|db| async move {
        let w = world(&db).await;
        let now = Utc.with_ymd_and_hms(2026, 12, 7, 9, 30, 0).unwrap();
        let email = w.coordinator.email.as_str();
        let published = db
            .create_consultation(
                w.coordinator.scope(),
                None,
                &draft("GAM-2026-NET-01"),
                email,
                now,
            )
            .await
            .unwrap();
        db.apply_consultation_action(
            w.coordinator.scope(),
            published,
            1,
            &Action::Publish {
                at: now,
                launched_on: NaiveDate::from_ymd_opt(2026, 12, 7).unwrap(),
            },
            rule_book(),
            email,
            now,
            nomenclature(),
        )
        .await
        .unwrap();
        let hidden = db
            .create_consultation(
                w.coordinator.scope(),
                None,
                &draft("GAM-2026-NET-02"),
                email,
                now,
            )
            .await
            .unwrap();

        let app = App::bare(db.clone());
        let list = app.get("/api/v1/consultations", None).await;
        assert_eq!(list.status, StatusCode::OK, "{}", list.body);
        let json = list.json();
        assert_eq!(json["count"], 1);
        let c = &json["consultations"][0];
        assert_eq!(c["id"], published);
        assert_eq!(c["reference"], "GAM-2026-NET-01");
        assert_eq!(c["buyer"]["siren"], METRO);
        assert_eq!(c["buyer"]["name"], "Grenoble-Alpes-Métropole");
        assert_eq!(c["status"]["code"], "published");
        assert_eq!(c["deadline"], "2027-01-15T11:00:00Z");
        assert_eq!(c["deadline_paris"], "2027-01-15T12:00:00+01:00");
        assert_eq!(c["launched_on"], "2026-12-07");
        // 120,000 € HT of services in 2026: below the EU threshold, an adapted procedure.
        assert_eq!(c["procedure"]["code"], "adapted");
        assert_eq!(c["estimated_cents"], 12_000_000);
        assert_eq!(c["cpv"]["code"], "90910000-9");
        assert_eq!(c["criteria"][1]["kind"], "environmental");
        assert_eq!(c["criteria"][1]["weight"], 40);

        let one = app
            .get(&format!("/api/v1/consultations/{published}"), None)
            .await;
        assert_eq!(one.status, StatusCode::OK, "{}", one.body);
        assert_eq!(one.json()["reference"], "GAM-2026-NET-01");
        for uri in [
            format!("/api/v1/consultations/{hidden}"),
            "/api/v1/consultations/999999".to_owned(),
            "/api/v1/consultations/abc".to_owned(),
        ] {
            let reply = app.get(&uri, None).await;
            assert_eq!(reply.status, StatusCode::NOT_FOUND, "{uri}: {}", reply.body);
        }
    })
    .await;
}
