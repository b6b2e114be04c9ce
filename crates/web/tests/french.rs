//! French as the pages write it: "de" elides before a name that starts with a vowel
//! ("d'Échirolles") and a body named by an acronym takes its article ("de l'ADVIVO").

#![allow(clippy::unwrap_used)] // a test that cannot unwrap has failed

mod common;

use axum::http::StatusCode;
use common::{App, COORDINATOR, ECHIROLLES_BUYER, text};
use mutualis_test_db::each_backend;

#[tokio::test]
async fn pages_elide_de_before_a_vowel() {
    each_backend(|db| async move {
        let app = App::new(db).await;
        app.with_isere_contracts().await;
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
        let campaign = app.campaign_inviting(&coordinator, &echirolles).await;
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
            &app.get(
                "/opportunites/9091?date=2019-01-01&perimetre=tous",
                Some(&coordinator),
            )
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
