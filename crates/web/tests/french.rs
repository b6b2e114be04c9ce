//! French as the pages write it: "de" elides before a name that starts with a vowel
//! ("d'Échirolles") and a body named by an acronym takes its article ("de l'ADVIVO").

#![allow(clippy::unwrap_used)] // a test that cannot unwrap has failed

mod common;

use axum::http::StatusCode;
use common::{App, COORDINATOR, ECHIROLLES_BUYER};
use mutualis_storage::campaigns::NewCampaign;
use mutualis_test_db::each_backend;

const ISERE: &[u8] = include_bytes!("../../../data/decp/isere_extract_2019.json");

/// The page's text with askama's escapes undone.
fn text(html: &str) -> String {
    html.replace("&#39;", "'")
        .replace("&#x27;", "'")
        .replace("&quot;", "\"")
        .replace("&#34;", "\"")
        .replace("&amp;", "&")
}

#[tokio::test]
async fn pages_elide_de_before_a_vowel() {
    each_backend(|db| async move {
        let app = App::new(db).await;
        mutualis_import::import_decp(&app.db, std::io::Cursor::new(ISERE), |_| {})
            .await
            .unwrap();
        let echirolles = app.sign_in(ECHIROLLES_BUYER).await;
        let calendar = text(&app.get("/calendrier", Some(&echirolles)).await.body);
        for expected in [
            "Fin des contrats d'<strong>Échirolles</strong>",
            "Échéances des contrats d'Échirolles",
        ] {
            assert!(calendar.contains(expected), "{expected}: {calendar}");
        }
        assert!(!calendar.contains("de Échirolles"));

        // A campaign Échirolles is invited to: its answer page and its workbook.
        let coordinator = app.sign_in(COORDINATOR).await;
        let c = app.principal(&coordinator).await;
        let e = app.principal(&echirolles).await;
        let today = chrono::Local::now().date_naive();
        let campaign = app
            .db
            .create_campaign(
                c.scope().territory_wide().unwrap(),
                c.organisation_id(),
                &NewCampaign {
                    title: "Recensement".into(),
                    opens_on: today,
                    closes_on: today + chrono::Days::new(30),
                    cpv_families: vec!["9091".into()],
                },
                &[e.organisation_id()],
            )
            .await
            .unwrap();
        let page = app
            .get(&format!("/campagnes/{campaign}"), Some(&echirolles))
            .await;
        assert_eq!(page.status, StatusCode::OK);
        let page = text(&page.body);
        for expected in [
            "Recensement — réponse d'Échirolles",
            "Le classeur d'Échirolles pour cette campagne",
            "Télécharger le classeur d'Échirolles",
        ] {
            assert!(page.contains(expected), "{expected}: {page}");
        }

        // The cleaning opportunity of 2019: ADVIVO, a body named by its acronym, is one of
        // its buyers.
        let detail = text(
            &app.get("/opportunites/9091?date=2019-01-01", Some(&coordinator))
                .await
                .body,
        );
        assert!(
            detail.contains("Contrats de l'ADVIVO qui prennent fin"),
            "{detail}"
        );
    })
    .await;
}
