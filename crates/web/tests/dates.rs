//! One date format in every form and filter: each date field's label says "au format
//! JJ/MM/AAAA", shows its date that way, reads JJ/MM/AAAA and AAAA-MM-JJ alike, and refuses
//! anything else next to itself, naming the value and the format.

#![allow(clippy::unwrap_used)] // a test that cannot unwrap has failed

mod common;

use axum::http::StatusCode;
use chrono::NaiveDate;
use common::{App, COORDINATOR, GRENOBLE_BUYER, text};
use mutualis_test_db::each_backend;

const FORMAT: &str = "au format JJ/MM/AAAA";

/// The text of the label of the field `id`.
fn label(html: &str, id: &str) -> String {
    let marker = format!("<label for=\"{id}\">");
    let start = html
        .find(&marker)
        .unwrap_or_else(|| panic!("no label for {id}"))
        + marker.len();
    text(html[start..].split("</label>").next().unwrap())
}

/// The value of the input `id`.
fn value(html: &str, id: &str) -> String {
    let marker = format!("<input id=\"{id}\" name=\"");
    let start = html
        .find(&marker)
        .unwrap_or_else(|| panic!("no input {id}"));
    let rest = &html[start..];
    let start = rest.find("value=\"").unwrap() + "value=\"".len();
    text(rest[start..].split('"').next().unwrap())
}

/// The error shown next to the field `id`, if any.
fn error(html: &str, id: &str) -> Option<String> {
    let marker = format!("id=\"{id}-erreur\">");
    let start = html.find(&marker)? + marker.len();
    Some(text(html[start..].split("</p>").next().unwrap()))
}

#[tokio::test]
async fn the_contracts_filters_read_french_and_iso_dates() {
    each_backend(|db| async move {
        let app = App::new(db).await;
        app.with_isere_contracts().await;
        let cookies = app.sign_in(COORDINATOR).await;
        let french = app
            .get(
                "/contrats?fin_apres=01%2F01%2F2019&fin_avant=31%2F12%2F2019",
                Some(&cookies),
            )
            .await;
        assert_eq!(french.status, StatusCode::OK);
        assert!(!french.body.contains("error-summary"), "{}", french.body);
        for id in ["fin_apres", "fin_avant"] {
            assert!(label(&french.body, id).contains(FORMAT), "{id}");
        }
        let iso = app
            .get(
                "/contrats?fin_apres=2019-01-01&fin_avant=2019-12-31",
                Some(&cookies),
            )
            .await;
        assert!(!iso.body.contains("error-summary"));
        // The same filter either way, shown the French way.
        let caption = |html: &str| {
            let after = html.split("<caption>").nth(1).unwrap();
            after.split("</caption>").next().unwrap().to_owned()
        };
        assert_eq!(caption(&french.body), caption(&iso.body));
        assert_eq!(value(&iso.body, "fin_apres"), "01/01/2019");
        assert_eq!(value(&iso.body, "fin_avant"), "31/12/2019");
        let bad = app.get("/contrats?fin_avant=demain", Some(&cookies)).await;
        let message = error(&bad.body, "fin_avant").unwrap();
        assert!(
            message.contains("« demain »") && message.contains("JJ/MM/AAAA"),
            "{message}"
        );
        assert_eq!(value(&bad.body, "fin_avant"), "demain", "shown back");
    })
    .await;
}

#[tokio::test]
async fn the_opportunities_date_reads_french_and_iso_dates() {
    each_backend(|db| async move {
        let app = App::new(db).await;
        app.with_isere_contracts().await;
        let cookies = app.sign_in(COORDINATOR).await;
        for query in ["date=01%2F01%2F2019", "date=2019-01-01"] {
            let page = app
                .get(&format!("/opportunites?{query}"), Some(&cookies))
                .await;
            assert_eq!(page.status, StatusCode::OK);
            assert_eq!(error(&page.body, "date"), None, "{query}");
            assert_eq!(value(&page.body, "date"), "01/01/2019", "{query}");
            assert!(label(&page.body, "date").contains(FORMAT));
        }
        // Left empty, the field shows the day used, the French way.
        let default = app.get("/opportunites", Some(&cookies)).await;
        assert!(value(&default.body, "date").contains('/'));
        let bad = app.get("/opportunites?date=hier", Some(&cookies)).await;
        let message = error(&bad.body, "date").unwrap();
        assert!(
            message.contains("« hier »") && message.contains("JJ/MM/AAAA"),
            "{message}"
        );
    })
    .await;
}

#[tokio::test]
async fn the_campaign_forms_label_their_dates_with_the_format() {
    each_backend(|db| async move {
        let app = App::new(db).await;
        let coordinator = app.sign_in(COORDINATOR).await;
        let form = app.get("/campagnes/nouvelle", Some(&coordinator)).await;
        for id in ["ouverture", "cloture"] {
            assert!(label(&form.body, id).contains(FORMAT), "{id}");
        }
        let grenoble = app.sign_in(GRENOBLE_BUYER).await;
        let campaign = app.campaign_inviting(&coordinator, &grenoble).await;
        let page = app
            .get(&format!("/campagnes/{campaign}"), Some(&grenoble))
            .await;
        assert_eq!(page.status, StatusCode::OK);
        for id in ["debut", "fin_contrat"] {
            assert!(label(&page.body, id).contains(FORMAT), "{id}");
        }
    })
    .await;
}

#[tokio::test]
async fn the_groupement_terms_read_french_and_iso_dates() {
    each_backend(|db| async move {
        let app = App::new(db).await;
        app.with_isere_contracts().await;
        let cookies = app.sign_in(COORDINATOR).await;
        let csrf = app.session_csrf(&cookies).await;
        let created = app
            .post_form(
                "/opportunites/9091/groupement?date=2019-01-01&perimetre=tous",
                Some(&cookies),
                &[("csrf", &csrf)],
            )
            .await;
        assert_eq!(created.status, StatusCode::SEE_OTHER, "{}", created.body);
        let path = created.header("location");
        let id = path.strip_prefix("/groupements/").unwrap();
        let id = id.split('?').next().unwrap().to_owned();
        let page = app.get(&format!("/groupements/{id}"), Some(&cookies)).await;
        for field in ["termes-date_limite", "termes-debut"] {
            assert!(label(&page.body, field).contains(FORMAT), "{field}");
            let shown = value(&page.body, field);
            assert!(
                NaiveDate::parse_from_str(&shown, "%d/%m/%Y").is_ok(),
                "{field}: {shown}"
            );
        }
        let amend = |deadline: &'static str, version: String| {
            let (cookies, csrf) = (cookies.clone(), csrf.clone());
            let app = &app;
            let id = id.clone();
            async move {
                app.post_form(
                    &format!("/groupements/{id}/actions"),
                    Some(&cookies),
                    &[
                        ("csrf", &csrf),
                        ("version", &version),
                        ("action", "amend"),
                        ("titre", "Nettoyage"),
                        ("cpv", "90911200-8"),
                        ("mission", "award_only"),
                        ("cle", "by_volume"),
                        ("duree", "36"),
                        ("date_limite", deadline),
                        ("debut", "01/01/2100"),
                        ("lot_1_titre", "Nettoyage des locaux"),
                        ("lot_1_cpv", "90911200-8"),
                    ],
                )
                .await
            }
        };
        let version = |html: &str| {
            let marker = "name=\"version\" value=\"";
            let start = html.find(marker).unwrap() + marker.len();
            html[start..].split('"').next().unwrap().to_owned()
        };
        let bad = amend("31.12.2099", version(&page.body)).await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
        let message = error(&bad.body, "termes-date_limite").unwrap();
        assert!(
            message.contains("« 31.12.2099 »") && message.contains("JJ/MM/AAAA"),
            "{message}"
        );
        let done = amend("2099-12-31", version(&page.body)).await;
        assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
        let page = app.get(&format!("/groupements/{id}"), Some(&cookies)).await;
        assert_eq!(value(&page.body, "termes-date_limite"), "31/12/2099");
    })
    .await;
}
