//! The stable opportunity JSON of `GET /api/v1/opportunities` (README "Opportunities JSON"),
//! byte for byte: the answers over the real Isère extract, with two declared needs, are
//! compared with the files under `tests/data/opportunities-json/`, written from the answers
//! of the API before its wire types had a module of their own. A change to a byte of this
//! JSON is a change of the API: it fails here first.

#![allow(clippy::unwrap_used)] // a test that cannot unwrap has failed

mod common;

use axum::http::StatusCode;
use chrono::NaiveDate;
use common::{App, COORDINATOR, ECHIROLLES_BUYER, GRENOBLE_BUYER};
use mutualis_app::Clock;
use mutualis_domain::{Amount, Need, Siren};
use mutualis_reference::cpv::nomenclature;
use mutualis_storage::campaigns::NewCampaign;
use mutualis_test_db::each_backend;

const ECHIROLLES: &str = "213801517";
const GRENOBLE: &str = "213801855";

/// Each question asked, and the file that holds its answer.
const GOLDEN: [(&str, &str); 4] = [
    (
        "/api/v1/opportunities?as_of=2019-01-01&perimeter=all",
        "api-all-2019-01-01-class.json",
    ),
    (
        "/api/v1/opportunities?as_of=2019-01-01&perimeter=all&depth=group",
        "api-all-2019-01-01-group.json",
    ),
    (
        "/api/v1/opportunities?as_of=2019-01-01&depth=group",
        "api-territory-2019-01-01-group.json",
    ),
    (
        "/api/v1/opportunities/9091?as_of=2019-01-01&perimeter=all",
        "api-all-2019-01-01-9091.json",
    ),
];

fn golden(name: &str) -> String {
    let path = format!(
        "{}/../../tests/data/opportunities-json/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn need(buyer: &str, description: &str, start: &str, current: Option<&str>) -> Need {
    Need {
        buyer: Siren::parse(buyer).unwrap(),
        cpv: nomenclature().parse("90911200-8").unwrap(),
        description: description.into(),
        annual_amount: Amount::from_cents(12_000_000),
        quantity: None,
        desired_start: NaiveDate::parse_from_str(start, "%Y-%m-%d").unwrap(),
        current_contract: current.map(str::to_owned),
        current_contract_ends_on: None,
        social_requirements: None,
        environmental_requirements: None,
        reservation: None,
    }
}

#[tokio::test]
async fn the_api_answers_the_documented_opportunity_json_byte_for_byte() {
    each_backend(|db| async move {
        let app = App::new(db).await;
        app.with_isere_contracts().await;
        let coordinator = app.sign_in(COORDINATOR).await;
        let echirolles = app.sign_in(ECHIROLLES_BUYER).await;
        let grenoble = app.sign_in(GRENOBLE_BUYER).await;
        let (c, e, g) = (
            app.principal(&coordinator).await,
            app.principal(&echirolles).await,
            app.principal(&grenoble).await,
        );
        // Two needs in the cleaning family: the report's need lines, and a bridging line of
        // each kind of item.
        let day = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        let campaign = app
            .db
            .create_campaign(
                c.scope().territory_wide().unwrap(),
                c.organisation_id(),
                &NewCampaign {
                    title: "Recensement 2019".into(),
                    opens_on: day("2018-12-01"),
                    closes_on: day("2019-02-01"),
                    cpv_families: vec!["9091".into()],
                },
                &[e.organisation_id(), g.organisation_id()],
                app.clock.now(),
            )
            .await
            .unwrap();
        let today = day("2018-12-15");
        for (principal, need) in [
            (
                &e,
                need(ECHIROLLES, "Nettoyage des écoles", "2020-01-01", None),
            ),
            (
                &g,
                need(
                    GRENOBLE,
                    "Nettoyage des gymnases",
                    "2019-12-01",
                    Some("2016-042"),
                ),
            ),
        ] {
            app.db
                .add_need(principal.scope(), campaign, &need, today, app.clock.now())
                .await
                .unwrap();
        }
        let token = app.api_token(COORDINATOR, "golden").await;

        for (uri, file) in GOLDEN {
            let reply = app.api("GET", uri, Some(&token), None).await;
            assert_eq!(reply.status, StatusCode::OK, "{uri}: {}", reply.body);
            assert_eq!(reply.header("content-type"), "application/json", "{uri}");
            assert!(
                reply.body == golden(file),
                "{uri}: the answer differs from tests/data/opportunities-json/{file}:\n{}",
                reply.body
            );
        }
    })
    .await;
}
