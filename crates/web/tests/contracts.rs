//! Contract pages, calendar, API and the DECP upload, on both backends.

#![allow(clippy::unwrap_used)] // a test that cannot unwrap has failed

mod common;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use common::{App, COORDINATOR, ECHIROLLES_BUYER, GRENOBLE_BUYER};
use mutualis_app::Clock;
use mutualis_domain::plausibility::FlagKind;
use mutualis_test_db::each_backend;

/// The real Isère extract shipped with the project: 220 DECP 1.x records.
const ISERE: &[u8] = include_bytes!("../../../data/decp/isere_extract_2019.json");

async fn with_isere_contracts(app: &App) -> mutualis_import::ImportSummary {
    mutualis_import::import_decp(
        &app.db,
        std::io::Cursor::new(ISERE),
        app.clock.now(),
        |_| {},
    )
    .await
    .unwrap()
}

fn rows(html: &str) -> usize {
    html.split("<tbody>").nth(1).map_or(0, |b| {
        b.split("</tbody>").next().unwrap().matches("<tr>").count()
    })
}

#[tokio::test]
async fn members_see_their_contracts_and_the_coordinator_the_territorys() {
    each_backend(|db| async move {
        let app = App::new(db).await;
        let summary = with_isere_contracts(&app).await;
        assert_eq!(summary.read, 220);
        let coordinator = app.sign_in(COORDINATOR).await;
        let all = app.get("/contrats", Some(&coordinator)).await;
        assert_eq!(all.status, StatusCode::OK);
        let total = (summary.created) as usize;
        assert!(
            all.body.contains(&format!("{total} contrat(s)")),
            "coordinator sees all {total}"
        );
        assert_eq!(rows(&all.body), 25, "25 per page");
        // Échirolles published 24 contracts in the extract; the city of Grenoble none.
        let echirolles = app.sign_in(ECHIROLLES_BUYER).await;
        let own = app.get("/contrats", Some(&echirolles)).await;
        assert!(own.body.contains("24 contrat(s)"), "{}", own.body);
        assert!(!own.body.contains("Grenoble-Alpes-Métropole</td>"));
        let grenoble = app.sign_in(GRENOBLE_BUYER).await;
        assert!(
            app.get("/contrats", Some(&grenoble))
                .await
                .body
                .contains("0 contrat(s)")
        );
        // A contract of the métropole, opened by Grenoble's buyer: not found.
        let metro = app.org_id("200040715").await;
        let metro_list = app
            .get(&format!("/contrats?membre={metro}"), Some(&coordinator))
            .await;
        let link = metro_list
            .body
            .split("<tbody>")
            .nth(1)
            .unwrap()
            .split("href=\"/contrats/")
            .nth(1)
            .unwrap()
            .split('"')
            .next()
            .unwrap()
            .to_owned();
        assert_eq!(
            app.get(&format!("/contrats/{link}"), Some(&coordinator))
                .await
                .status,
            StatusCode::OK
        );
        let denied = app.get(&format!("/contrats/{link}"), Some(&grenoble)).await;
        assert_eq!(denied.status, StatusCode::NOT_FOUND);
        assert_eq!(
            app.get(&format!("/contrats/{link}"), Some(&echirolles))
                .await
                .status,
            StatusCode::NOT_FOUND
        );
    })
    .await;
}

#[tokio::test]
async fn bad_filters_are_shown_next_to_their_field() {
    each_backend(|db| async move {
        let app = App::new(db).await;
        with_isere_contracts(&app).await;
        let cookie = app.sign_in(COORDINATOR).await;
        let page = app
            .get(
                "/contrats?fin_avant=31.12.2026&montant_min=beaucoup&cpv=9",
                Some(&cookie),
            )
            .await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(
            page.body.contains(
                "id=\"fin_avant-erreur\">Date « 31.12.2026 » non reconnue : attendu JJ/MM/AAAA"
            ),
            "{}",
            page.body
        );
        assert!(page.body.contains("id=\"montant_min-erreur\""));
        assert!(page.body.contains("id=\"cpv-erreur\""));
        assert!(
            page.body
                .contains("aria-invalid=\"true\" aria-describedby=\"fin_avant-erreur\"")
        );
        // A valid filter narrows the list: cleaning services (CPV 9091…).
        let cleaning = app
            .get("/contrats?cpv=9091&tri=montant", Some(&cookie))
            .await;
        let n = rows(&cleaning.body);
        assert!(n > 0 && n < 25, "{n}");
        assert!(cleaning.body.contains("9091"));
    })
    .await;
}

#[tokio::test]
async fn a_contract_page_shows_its_modifications_and_the_calendar_its_end_dates() {
    each_backend(|db| async move {
        let app = App::new(db).await;
        with_isere_contracts(&app).await;
        let cookie = app.sign_in(COORDINATOR).await;
        let metro = app.org_id("200040715").await;
        let calendar = app
            .get(&format!("/calendrier?membre={metro}"), Some(&cookie))
            .await;
        assert_eq!(calendar.status, StatusCode::OK);
        assert!(calendar.body.contains("<svg") && calendar.body.contains("role=\"img\""));
        assert!(calendar.body.contains("<desc id=\"calendrier-desc\">"));
        // The text alternative lists the same contracts as the chart.
        assert_eq!(
            calendar.body.matches("<circle").count(),
            rows(&calendar.body)
        );
        let member = app.sign_in(GRENOBLE_BUYER).await;
        let own = app
            .get(&format!("/calendrier?membre={metro}"), Some(&member))
            .await;
        assert!(
            own.body.contains("<strong>Grenoble</strong>"),
            "a member sees its own calendar whatever it asks"
        );
    })
    .await;
}

#[tokio::test]
async fn the_api_lists_contracts_within_the_tokens_scope() {
    each_backend(|db| async move {
        let app = App::new(db).await;
        let summary = with_isere_contracts(&app).await;
        let coordinator = app.sign_in(COORDINATOR).await;
        let token = app.create_token(&coordinator, "api").await;
        let all = app
            .api("GET", "/api/v1/contracts", Some(&token), None)
            .await;
        assert_eq!(all.json()["total"], summary.created as i64);
        let echirolles = app.sign_in(ECHIROLLES_BUYER).await;
        let member_token = app.create_token(&echirolles, "api").await;
        let own = app
            .api("GET", "/api/v1/contracts", Some(&member_token), None)
            .await
            .json();
        assert_eq!(own["total"], 24);
        let buyers: std::collections::HashSet<&str> = own["contracts"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| &c["buyer_siret"].as_str().unwrap()[..9])
            .collect();
        assert_eq!(buyers.into_iter().collect::<Vec<_>>(), ["213801517"]);
        let bad = app
            .api(
                "GET",
                "/api/v1/contracts?fin_apres=demain",
                Some(&member_token),
                None,
            )
            .await;
        assert_eq!(bad.status, StatusCode::BAD_REQUEST);
        assert!(
            bad.json()["message"]
                .as_str()
                .unwrap()
                .starts_with("fin_apres")
        );
    })
    .await;
}

/// The database id of the contract published under `decp_id`.
async fn record_id(app: &App, decp_id: &str) -> i64 {
    app.db
        .plausibility_inputs(mutualis_reference::cpv::nomenclature())
        .await
        .unwrap()
        .into_iter()
        .find(|i| i.decp_id == decp_id)
        .unwrap()
        .contract_id
}

#[tokio::test]
async fn a_contract_page_shows_what_the_plausibility_checks_found() {
    each_backend(|db| async move {
        let app = App::new(db).await;
        app.with_isere_contracts().await;
        let cookie = app.sign_in(COORDINATOR).await;
        // "Prestation d'accompagnement Organisation GRD", published at 0 €.
        let zero = record_id(&app, "2019SPA52568700").await;
        let page = app.get(&format!("/contrats/{zero}"), Some(&cookie)).await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(page.body.contains("Contrôles des données"), "{}", page.body);
        assert!(
            page.body.contains("montant fictif (aberrant)"),
            "{}",
            page.body
        );
        assert!(page.body.contains("montant de 0 € publié"), "{}", page.body);
        assert!(page.body.contains("écarté des chiffres"), "{}", page.body);
        // The Isère département's "Collège Massegu Vif réhabilitation lot 6 serrurerie",
        // published under a CPV of supplies (44316500).
        let lot = record_id(&app, "2019DCT01400").await;
        let page = app.get(&format!("/contrats/{lot}"), Some(&cookie)).await;
        assert!(page.body.contains("Classé en travaux"), "{}", page.body);
        assert!(page.body.contains("serrurerie"), "{}", page.body);
        // The API gives the same findings.
        let token = app.create_token(&cookie, "api").await;
        let json = app
            .api(
                "GET",
                &format!("/api/v1/contracts/{zero}"),
                Some(&token),
                None,
            )
            .await
            .json();
        assert_eq!(json["flags"][0]["kind"], "placeholder_amount");
        assert_eq!(json["flags"][0]["level"], "aberrant");
        assert_eq!(json["flags"][0]["excludes_amount"], true);
        let json = app
            .api(
                "GET",
                &format!("/api/v1/contracts/{lot}"),
                Some(&token),
                None,
            )
            .await
            .json();
        assert!(
            json["works_reason"]
                .as_str()
                .unwrap()
                .contains("serrurerie"),
            "{json}"
        );
        let list = app
            .api("GET", "/api/v1/contracts?tri=montant", Some(&token), None)
            .await
            .json();
        let listed: Vec<&serde_json::Value> =
            list["contracts"].as_array().unwrap().iter().collect();
        assert!(listed.iter().all(|c| c["flags"].is_array()), "{list}");
        // An ordinary contract says nothing of the kind.
        let ordinary = record_id(&app, "20190040100").await;
        let json = app
            .api(
                "GET",
                &format!("/api/v1/contracts/{ordinary}"),
                Some(&token),
                None,
            )
            .await
            .json();
        assert_eq!(json["flags"], serde_json::json!([]));
        assert_eq!(json["works_reason"], serde_json::Value::Null);
        let page = app
            .get(&format!("/contrats/{ordinary}"), Some(&cookie))
            .await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(
            !page.body.contains("Contrôles des données"),
            "{}",
            page.body
        );
    })
    .await;
}

#[tokio::test]
async fn the_coordinator_uploads_a_decp_file_and_sees_the_summary() {
    each_backend(|db| async move {
        let app = App::new(db).await;
        let cookie = app.sign_in(COORDINATOR).await;
        let form = app.get("/contrats/import", Some(&cookie)).await;
        assert_eq!(form.status, StatusCode::OK);
        let csrf = form.csrf_field();
        let first = app.import_through_page(&cookie, "isere.json", ISERE).await;
        assert!(
            first.body.contains("<dt>Lus</dt><dd>220</dd>"),
            "{}",
            first.body
        );
        // The job computed the plausibility flags of the contracts it stored: the 0 € record
        // of the extract is a placeholder amount.
        let flags = app.db.all_contract_flags().await.unwrap();
        assert!(
            flags.values().any(|f| f
                .flags
                .iter()
                .any(|f| f.kind == FlagKind::PlaceholderAmount)),
            "{flags:?}"
        );
        let second = app.import_through_page(&cookie, "isere.json", ISERE).await;
        assert!(
            second.body.contains("<dt>Créés</dt><dd>0</dd>"),
            "idempotent"
        );
        assert_eq!(app.db.all_contract_flags().await.unwrap(), flags);
        // A file that is not DECP: its job fails, and its page says why.
        let garbage = app
            .upload_decp_with(&cookie, &csrf, "notes.txt", b"pas du JSON")
            .await;
        assert_eq!(garbage.status, StatusCode::SEE_OTHER);
        app.run_jobs().await;
        let failed = app.get(&garbage.header("location"), Some(&cookie)).await;
        assert!(failed.body.contains("Échec"), "{}", failed.body);
        assert!(failed.body.contains("role=\"alert\""), "{}", failed.body);
        // No file at all: refused next to the field, nothing queued.
        let (content_type, body) = common::multipart(&csrf, "autre", "x", "text/plain", b"x");
        let none = app
            .send(
                Request::post("/contrats/import")
                    .header(header::COOKIE, &cookie)
                    .header(header::CONTENT_TYPE, content_type)
                    .body(Body::from(body))
                    .unwrap(),
            )
            .await;
        assert_eq!(none.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(none.body.contains("id=\"fichier-erreur\""));
        let forged = app
            .upload_decp_with(&cookie, "forged", "isere.json", ISERE)
            .await;
        assert_eq!(forged.status, StatusCode::FORBIDDEN);
        assert_eq!(app.run_jobs().await, 0, "nothing queued by a forged form");
        let member = app.sign_in(GRENOBLE_BUYER).await;
        assert_eq!(
            app.get("/contrats/import", Some(&member)).await.status,
            StatusCode::FORBIDDEN
        );
    })
    .await;
}

#[tokio::test]
async fn html_in_imported_objects_is_shown_as_text_and_kept_as_published() {
    each_backend(|db| async move {
        let app = App::new(db).await;
        with_isere_contracts(&app).await;
        let cookie = app.sign_in(COORDINATOR).await;
        // Contracts whose published object holds "<br />": "Ilot Sévigné<br />Aménagement…".
        let list = app.get("/contrats?cpv=4510", Some(&cookie)).await;
        assert!(rows(&list.body) > 0);
        let body = &list.body;
        assert!(
            body.contains("Ilot Sévigné\nAménagement du parking silo"),
            "{body}"
        );
        assert!(body.contains("class=\"texte-importe\""));
        // Société d'Habitation des Alpes - Pluralis, whose contracts these are.
        let pluralis = app.org_id("057506206").await;
        let calendar = app
            .get(&format!("/calendrier?membre={pluralis}"), Some(&cookie))
            .await;
        assert!(calendar.body.contains("Ilot Sévigné"), "{}", calendar.body);
        for page in [&list.body, &calendar.body] {
            for raw in ["&#60;br", "&lt;br", "&#x3c;br", "<br"] {
                assert!(!page.contains(raw), "{raw}");
            }
        }
        let at = body.find("Ilot Sévigné\nAménagement").unwrap();
        let link = body[..at].rfind("href=\"/contrats/").unwrap() + "href=\"/contrats/".len();
        let id = body[link..].split('"').next().unwrap().to_owned();
        let detail = app.get(&format!("/contrats/{id}"), Some(&cookie)).await;
        assert!(
            detail
                .body
                .contains("<h1 class=\"texte-importe\">VOIRON - G. Sand - ZAC Rossignol - Ilot Sévigné\nAménagement"),
            "{}",
            detail.body
        );
        // The data keeps what was published: the API gives it back as it came.
        let token = app.create_token(&cookie, "api").await;
        let json = app
            .api("GET", &format!("/api/v1/contracts/{id}"), Some(&token), None)
            .await
            .json();
        assert!(
            json["object"].as_str().unwrap().contains("Sévigné<br />Aménagement"),
            "{json}"
        );
    })
    .await;
}

#[tokio::test]
async fn the_upload_summary_names_rejections_and_repairs_and_the_contract_shows_its_repairs() {
    each_backend(|db| async move {
        let app = App::new(db).await;
        let cookie = app.sign_in(COORDINATOR).await;
        // Three records of the real extract: one as published, one whose buyer SIRET fails
        // both keys (rejected), one whose CPV lost its leading zero as in marches-publics.info
        // 2019 (record 3722, "3111000"): repaired.
        let isere: serde_json::Value = serde_json::from_slice(ISERE).unwrap();
        let good = isere["marches"][0].clone();
        let mut bad = isere["marches"][1].clone();
        bad["acheteur"]["id"] = "22740001400074".into();
        let mut short = isere["marches"][2].clone();
        short["codeCPV"] = "3111000".into();
        let file = serde_json::json!({ "marches": [good, bad, short] }).to_string();
        let page = app
            .import_through_page(&cookie, "isere.json", file.as_bytes())
            .await;
        assert!(
            page.body.contains("<dt>Rejetés</dt><dd>1</dd>"),
            "{}",
            page.body
        );
        assert!(
            page.body.contains("<dt>Corrigés</dt><dd>1</dd>"),
            "{}",
            page.body
        );
        assert!(
            page.body.contains("SIRET de l&#39;acheteur invalide"),
            "{}",
            page.body
        );
        assert!(
            page.body
                .contains("code CPV privé de son zéro initial, complété : 1"),
            "{}",
            page.body
        );
        assert!(!page.body.contains("invalid_siret"), "{}", page.body);

        // The repaired contract's page lists its repair; the API gives it.
        let token = app.create_token(&cookie, "api").await;
        let list = app
            .api("GET", "/api/v1/contracts", Some(&token), None)
            .await
            .json();
        let items = list["contracts"].as_array().unwrap();
        let repaired = items
            .iter()
            .find(|c| c["decp_id"] == isere["marches"][2]["id"])
            .unwrap();
        assert_eq!(repaired["cpv"], "03111000-2");
        assert_eq!(repaired["repairs"][0]["kind"], "cpv_leading_zero");
        assert_eq!(repaired["repairs"][0]["published"], "3111000");
        assert_eq!(repaired["repairs"][0]["kept"], "03111000-2");
        let plain = items
            .iter()
            .find(|c| c["decp_id"] == isere["marches"][0]["id"])
            .unwrap();
        assert_eq!(plain["repairs"], serde_json::json!([]));
        let detail = app
            .get(&format!("/contrats/{}", repaired["id"]), Some(&cookie))
            .await;
        assert!(detail.body.contains("Corrections à l"), "{}", detail.body);
        assert!(detail.body.contains("« 3111000 »"), "{}", detail.body);
        let detail = app
            .get(&format!("/contrats/{}", plain["id"]), Some(&cookie))
            .await;
        assert!(!detail.body.contains("Corrections à l"), "{}", detail.body);
    })
    .await;
}

#[tokio::test]
async fn a_republished_contract_is_one_contract_whose_page_lists_its_publications() {
    each_backend(|db| async move {
        let app = App::new(db).await;
        let cookie = app.sign_in(COORDINATOR).await;
        // A record of the real extract, and the same contract republished as DECP 1.x
        // publishers did: the id's two-digit suffix raised ("…00" → "…01"), a later
        // publication date, the same amount and object.
        let isere: serde_json::Value = serde_json::from_slice(ISERE).unwrap();
        let mut first = isere["marches"][0].clone();
        let id = first["id"].as_str().unwrap().to_owned();
        assert!(id.ends_with("00"), "{id}");
        first["datePublicationDonnees"] = "2019-01-10".into();
        let mut again = first.clone();
        let republished = format!("{}01", &id[..id.len() - 2]);
        again["id"] = republished.clone().into();
        again["datePublicationDonnees"] = "2019-03-04".into();
        let file = serde_json::json!({ "marches": [first, again] }).to_string();
        let page = app
            .import_through_page(&cookie, "republication.json", file.as_bytes())
            .await;
        assert!(
            page.body.contains("<dt>Créés</dt><dd>1</dd>"),
            "{}",
            page.body
        );
        let token = app.create_token(&cookie, "api").await;
        let list = app
            .api("GET", "/api/v1/contracts", Some(&token), None)
            .await
            .json();
        assert_eq!(list["total"], 1, "{list}");
        let contract = &list["contracts"][0];
        assert_eq!(contract["decp_id"], republished.as_str());
        assert_eq!(
            contract["earlier_publications"],
            serde_json::json!([{"decp_id": id, "published_on": "2019-01-10"}])
        );
        let detail = app
            .get(&format!("/contrats/{}", contract["id"]), Some(&cookie))
            .await;
        assert!(
            detail.body.contains("Publications successives"),
            "{}",
            detail.body
        );
        assert!(detail.body.contains("publié 2 fois"), "{}", detail.body);
        let table = detail
            .body
            .split("Publications successives")
            .nth(1)
            .unwrap();
        let (old, new) = (table.find(&id).unwrap(), table.find(&republished).unwrap());
        assert!(old < new, "oldest first");
        assert!(
            table.contains("10/01/2019") && table.contains("04/03/2019"),
            "{table}"
        );
    })
    .await;
}

/// The official DECP 2.0 example of marchés and concessions (valid SIRETs:
/// `tests/data/decp-2.0-examples/`), its first concession and first marché bought by Grenoble.
fn grenoble_examples() -> Vec<u8> {
    let text = include_str!("../../../tests/data/decp-2.0-examples/json/marches_concessions.json");
    text.replace("26730104200011", "21380185500015")
        .replace("21750001630065", "21380185500015")
        .into_bytes()
}

/// The id of the contract whose object is `object` in a list page.
fn contract_id(list: &str, object: &str) -> String {
    let at = list
        .find(object)
        .unwrap_or_else(|| panic!("{object}: {list}"));
    let link = list[..at].rfind("href=\"/contrats/").unwrap() + "href=\"/contrats/".len();
    list[link..].split('"').next().unwrap().to_owned()
}

#[tokio::test]
async fn a_contract_page_shows_every_decp_2_0_field_published() {
    each_backend(|db| async move {
        let app = App::new(db).await;
        let summary = mutualis_import::import_decp(
            &app.db,
            std::io::Cursor::new(grenoble_examples()),
            app.clock.now(),
            |_| {},
        )
        .await
        .unwrap();
        assert_eq!(summary.created, 4);
        let cookie = app.sign_in(COORDINATOR).await;
        let list = app.get("/contrats", Some(&cookie)).await;

        let marche = contract_id(&list.body, "envoi pour Json test 1");
        let page = app.get(&format!("/contrats/{marche}"), Some(&cookie)).await;
        assert_eq!(page.status, StatusCode::OK);
        let body = &page.body;
        assert!(
            body.contains("<dt>Part d'origine UE</dt><dd>10 %</dd>"),
            "{body}"
        );
        assert!(body.contains("<dt>Part d'origine France</dt><dd>10 %</dd>"));
        assert!(body.contains("<h2>Modifications d'actes de sous-traitance</h2>"));
        assert!(body.contains("23\u{202f}465,87 € HT"), "{body}");
        assert!(!body.contains("Données d'exécution"));

        let concession = contract_id(&list.body, "Objet de la consultation 1");
        let page = app
            .get(&format!("/contrats/{concession}"), Some(&cookie))
            .await;
        let body = &page.body;
        assert!(body.contains("<h2>Données d'exécution</h2>"), "{body}");
        assert!(body.contains("Publiées le 18/04/2024"), "{body}");
        assert!(body.contains("15,30 € HT"), "{body}");
        assert!(body.contains("Intitulé du tarif2"));
        assert!(body.contains("14,29 €") && body.contains("19,29 €"));
        assert!(!body.contains("Part d'origine UE"));
        assert!(!body.contains("Modifications d'actes de sous-traitance"));
    })
    .await;
}
