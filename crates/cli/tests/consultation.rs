//! `mutualis consultation list|show` on a database holding a published consultation and a
//! draft: the table with the deadline in Paris time, the detail with the procedure's reasons,
//! the JSON, and an unknown number refused with a hint.

#![allow(clippy::unwrap_used)] // a test that cannot unwrap has failed

mod common;

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use common::{mutualis, stderr, stdout};
use mutualis_domain::consultation::{Action, Consultation, CriterionKind};
use mutualis_reference::cpv::nomenclature;
use mutualis_reference::rules::rule_book;
use mutualis_test_db::consultations::{cleaning, criterion};
use mutualis_test_db::{METRO, TestDb, world};

fn block_on<F: std::future::Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(future)
}

fn at(h: u32, m: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 7, h, m, 0).unwrap()
}

/// Cleaning services of the métropole: one lot, 260,000 € HT, price and environment.
fn draft(reference: &str) -> Consultation {
    cleaning(
        reference,
        METRO,
        &[("Bâtiments", 260_000)],
        vec![
            criterion(CriterionKind::Price, "Prix", 60),
            criterion(CriterionKind::Environmental, "Produits et méthodes", 40),
        ],
    )
}

#[test]
fn the_operator_lists_the_consultations_and_reads_one_with_its_procedure() {
    let test_db = block_on(TestDb::sqlite());
    let db = test_db.db.clone();
    let (published, _draft) = block_on(async {
        let w = world(&db).await;
        let email = w.coordinator.email.as_str();
        let published = db
            .create_consultation(
                w.coordinator.scope(),
                None,
                &draft("GAM-2026-NET-01"),
                email,
                at(9, 0),
            )
            .await
            .unwrap();
        db.apply_consultation_action(
            w.coordinator.scope(),
            published,
            1,
            &Action::Publish {
                at: at(9, 30),
                launched_on: NaiveDate::from_ymd_opt(2026, 12, 7).unwrap(),
            },
            rule_book(),
            email,
            at(9, 30),
            nomenclature(),
        )
        .await
        .unwrap();
        let other = db
            .create_consultation(
                w.coordinator.scope(),
                None,
                &draft("GAM-2026-NET-02"),
                email,
                at(10, 0),
            )
            .await
            .unwrap();
        (published, other)
    });
    let url = test_db.url().to_owned();

    let out = mutualis(&["consultation", "list", "--database-url", &url]);
    assert!(out.status.success(), "{}", stderr(&out));
    let table = stdout(&out);
    assert!(table.contains("GAM-2026-NET-01"), "{table}");
    assert!(table.contains("GAM-2026-NET-02"), "{table}");
    assert!(table.contains("Publiée"), "{table}");
    assert!(table.contains("Brouillon"), "{table}");
    assert!(
        table.contains("15/01/2027 12:00:00 (heure de Paris)"),
        "{table}"
    );

    let id = published.to_string();
    let out = mutualis(&["consultation", "show", &id, "--database-url", &url]);
    assert!(out.status.success(), "{}", stderr(&out));
    let detail = stdout(&out);
    assert!(detail.contains("Grenoble-Alpes-Métropole"), "{detail}");
    assert!(detail.contains("Produits et méthodes — 40 %"), "{detail}");
    // 260,000 € HT of services reach the EU threshold of 2026: the reasons say so.
    assert!(detail.contains("publiée le 07/12/2026"), "{detail}");
    assert!(detail.contains("216"), "{detail}");

    let out = mutualis(&[
        "consultation",
        "show",
        &id,
        "--format",
        "json",
        "--database-url",
        &url,
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let json: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(json["reference"], "GAM-2026-NET-01");
    assert_eq!(json["status"], "published");
    assert_eq!(json["deadline"], "2027-01-15T11:00:00Z");
    assert_eq!(json["procedure"]["procedure"], "formal");
    assert_eq!(json["launched_on"], "2026-12-07");

    let out = mutualis(&["consultation", "show", "999", "--database-url", &url]);
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("consultation n° 999 introuvable"),
        "{}",
        stderr(&out)
    );
    block_on(test_db.drop_db());
}
