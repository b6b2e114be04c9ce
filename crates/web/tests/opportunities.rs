//! The opportunity pages and API over the real Isère extract, on both backends: what the
//! coordinator sees, what a member sees, what a supplier cannot see, and the question's
//! errors.

#![allow(clippy::unwrap_used)] // a test that cannot unwrap has failed

mod common;

use axum::http::StatusCode;
use chrono::NaiveDate;
use common::{App, COORDINATOR, ECHIROLLES_BUYER, GRENOBLE_BUYER};
use mutualis_app::Clock;
use mutualis_domain::{Amount, Need, Organisation, OrganisationKind, Role, Siren, Siret};
use mutualis_reference::cpv::nomenclature;
use mutualis_storage::campaigns::NewCampaign;
use mutualis_test_db::each_backend;
use serde_json::Value;

/// The real Isère extract shipped with the project.
const ISERE: &[u8] = include_bytes!("../../../data/decp/isere_extract_2019.json");

/// The question the coordinator's tests ask: as of 1 January 2019, over every buyer of the
/// extract (the perimeter widened explicitly: most of its buyers are outside the territory),
/// the defaults otherwise.
const AS_OF: &str = "date=2019-01-01&perimetre=tous";
const API_AS_OF: &str = "as_of=2019-01-01&perimeter=all";
/// The same day within the territory, the default perimeter, at the CPV group level: where
/// the territory's communes meet in the extract (Domène's meals and Échirolles' bakery
/// products, both ending in 2019).
const TERRITORY: &str = "date=2019-01-01&profondeur=groupe";
const API_TERRITORY: &str = "as_of=2019-01-01&depth=group";

const METROPOLE: &str = "200040715";
const ADVIVO: &str = "350276580";
const ISERE_DEPARTMENT: &str = "223800012";
const AUTRANS_MEAUDRE: &str = "200056224";
const VILLEFONTAINE: &str = "213805534";
const ECHIROLLES: &str = "213801517";
const DOMENE: &str = "213801509";
const GRENOBLE: &str = "213801855";

async fn with_isere_contracts(app: &App) {
    mutualis_import::import_decp(
        &app.db,
        std::io::Cursor::new(ISERE),
        app.clock.now(),
        |_| {},
    )
    .await
    .unwrap();
}

/// The page's text with askama's escapes undone, to search for French text.
fn text(html: &str) -> String {
    html.replace("&#39;", "'")
        .replace("&#38;", "&")
        .replace("&#x27;", "'")
        .replace("&#34;", "\"")
        .replace("&quot;", "\"")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

/// The CPV prefixes of the detail links of a list page, in order.
fn listed_prefixes(html: &str) -> Vec<String> {
    html.split("href=\"/opportunites/")
        .skip(1)
        .map(|s| s.split(['?', '"']).next().unwrap().to_owned())
        .collect()
}

/// The CPV prefixes of an API report, in order.
fn api_prefixes(report: &Value) -> Vec<String> {
    report["opportunities"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["cpv"]["prefix"].as_str().unwrap().to_owned())
        .collect()
}

fn sirens(opportunity: &Value) -> Vec<String> {
    opportunity["buyers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["siren"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn the_coordinator_sees_every_opportunity_explained() {
    each_backend(|db| async move {
        let app = App::new(db).await;
        with_isere_contracts(&app).await;
        let coordinator = app.sign_in(COORDINATOR).await;

        let list = app
            .get(&format!("/opportunites?{AS_OF}"), Some(&coordinator))
            .await;
        assert_eq!(list.status, StatusCode::OK, "{}", list.body);
        let page = text(&list.body);
        assert!(page.contains("<a href=\"/opportunites\">Opportunités</a>"));
        let prefixes = listed_prefixes(&list.body);
        assert_eq!(
            prefixes.first().map(String::as_str),
            Some("9091"),
            "{prefixes:?}"
        );
        assert!(prefixes.contains(&"7124".to_owned()), "{prefixes:?}");
        assert!(page.contains("90910000-9") && page.contains("Services de nettoyage"));
        assert!(page.contains("71240000-2"));
        // The cleaning opportunity, explained in French: its buyers, family and reasons.
        assert!(page.contains("Famille « Nettoyage et propreté »"), "{page}");
        assert!(page.contains("ADVIVO"));
        assert!(page.contains("Au 1er janvier 2019 : regroupement par classe CPV"));
        assert!(
            page.contains("Contrats publiés : "),
            "the counts in one sentence"
        );
        // The timeline and its text alternative.
        assert!(list.body.contains("<svg") && list.body.contains("role=\"img\""));
        assert!(list.body.contains("<desc id=\"frise-svg-desc\">"));
        assert!(page.contains("Les mêmes échéances, par opportunité"));
        assert!(list.body.contains("class=\"contract\""), "contract marks");

        // The detail of the cleaning opportunity.
        let detail = app
            .get(
                &format!("/opportunites/9091?{AS_OF}&profondeur=classe&fenetre=18&min=2"),
                Some(&coordinator),
            )
            .await;
        assert_eq!(detail.status, StatusCode::OK, "{}", detail.body);
        let page = text(&detail.body);
        assert!(
            page.contains("<h1>Services de nettoyage — CPV 90910000-9</h1>"),
            "{page}"
        );
        for siren in [METROPOLE, ADVIVO] {
            assert!(page.contains(&format!("SIREN {siren}")), "{siren}");
        }
        // The coordinator may open every contract of the opportunity.
        assert!(detail.body.contains("href=\"/contrats/"));

        // The architecture and engineering opportunity, found without the depth (from the
        // prefix's length).
        let detail = app
            .get(&format!("/opportunites/7124?{AS_OF}"), Some(&coordinator))
            .await;
        assert_eq!(detail.status, StatusCode::OK, "{}", detail.body);
        let page = text(&detail.body);
        assert!(page.contains("71240000-2"));
        for siren in [ISERE_DEPARTMENT, AUTRANS_MEAUDRE, VILLEFONTAINE] {
            assert!(page.contains(&format!("SIREN {siren}")), "{siren}");
        }
        assert!(
            page.contains("la mutualisation fait franchir un seuil"),
            "{page}"
        );

        // Unknown prefixes are the 404 page.
        for path in [
            "/opportunites/9999",
            "/opportunites/9o91",
            "/opportunites/909100000",
        ] {
            let missing = app
                .get(&format!("{path}?{AS_OF}"), Some(&coordinator))
                .await;
            assert_eq!(missing.status, StatusCode::NOT_FOUND, "{path}");
            assert!(missing.body.contains("Page introuvable"));
        }

        // Signed out: the sign-in page, which brings the browser back.
        let out = app.get(&format!("/opportunites?{AS_OF}"), None).await;
        assert_eq!(out.status, StatusCode::SEE_OTHER);
        assert!(
            out.header("location")
                .starts_with("/connexion?suite=%2Fopportunites")
        );
        let out = app.get("/opportunites/9091", None).await;
        assert_eq!(out.status, StatusCode::SEE_OTHER);
    })
    .await;
}

#[tokio::test]
async fn the_detail_shows_the_procedures_sources_and_the_savings_assumptions() {
    each_backend(|db| async move {
        let app = App::new(db).await;
        with_isere_contracts(&app).await;
        let coordinator = app.sign_in(COORDINATOR).await;
        let token = app.create_token(&coordinator, "opportunités").await;
        let reply = app
            .api(
                "GET",
                &format!("/api/v1/opportunities/9091?{API_AS_OF}"),
                Some(&token),
                None,
            )
            .await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
        let o = reply.json();
        let detail = app
            .get(&format!("/opportunites/9091?{AS_OF}"), Some(&coordinator))
            .await;
        let page = text(&detail.body);

        // The threshold effect: every rule applied, with its id and legal source.
        let mut rules = o["procedure"]["pooled"]["rules"]
            .as_array()
            .unwrap()
            .clone();
        for alone in o["procedure"]["alone"].as_array().unwrap() {
            rules.extend(alone["rules"].as_array().unwrap().iter().cloned());
        }
        assert!(!rules.is_empty());
        for rule in &rules {
            let id = rule["rule_id"].as_str().unwrap();
            let source = rule["source"].as_str().unwrap();
            assert!(page.contains(&format!("<code>{id}</code>")), "{id}");
            assert!(page.contains(source), "{source}");
        }
        assert!(page.contains(o["procedure"]["pooled"]["label"].as_str().unwrap()));
        // The savings range with every assumption and its source.
        let savings = &o["savings"];
        for assumption in savings["assumptions"].as_array().unwrap() {
            assert!(page.contains(assumption.as_str().unwrap()), "{assumption}");
        }
        assert!(page.contains(savings["source"].as_str().unwrap()));
        let low = Amount::from_cents(savings["low_cents"].as_i64().unwrap()).to_string();
        assert!(page.contains(&low), "{low}");
        // The score with its factors, the reasons, each bridging line.
        assert!(page.contains(&format!("Score : {}/100", o["score"])));
        assert!(page.contains("Alignement des dates"));
        for reason in o["reasons"].as_array().unwrap() {
            assert!(page.contains(reason.as_str().unwrap()), "{reason}");
        }
        for line in o["bridging"].as_array().unwrap() {
            let reference = line["reference"].as_str().unwrap();
            assert!(page.contains(reference), "{line}");
            if line["action"] == "extend" && line["item"] == "contract" {
                assert!(
                    page.contains(&format!(
                        "prolonger le contrat {reference} de {} mois",
                        line["months"]
                    )),
                    "{line}"
                );
            }
        }
        // Every stored contract links to its page.
        for buyer in o["buyers"].as_array().unwrap() {
            for c in buyer["contracts"].as_array().unwrap() {
                let id = c["record_id"].as_i64().unwrap();
                assert!(
                    detail.body.contains(&format!("href=\"/contrats/{id}\"")),
                    "{id}"
                );
            }
        }
    })
    .await;
}

#[tokio::test]
async fn the_api_returns_the_pages_opportunities_as_documented() {
    each_backend(|db| async move {
        let app = App::new(db).await;
        with_isere_contracts(&app).await;
        let coordinator = app.sign_in(COORDINATOR).await;
        let token = app.create_token(&coordinator, "opportunités").await;
        let reply = app
            .api(
                "GET",
                &format!(
                    "/api/v1/opportunities?{API_AS_OF}&depth=class&window_months=18&min_buyers=2"
                ),
                Some(&token),
                None,
            )
            .await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
        let report = reply.json();
        let list = app
            .get(&format!("/opportunites?{AS_OF}"), Some(&coordinator))
            .await;
        assert_eq!(api_prefixes(&report), listed_prefixes(&list.body));

        let cleaning = &report["opportunities"][0];
        assert_eq!(cleaning["cpv"]["code"], "90910000-9");
        assert_eq!(sirens(cleaning), [METROPOLE, ADVIVO]);
        assert!(cleaning["annual_amount_cents"].as_i64().unwrap() > 0);
        assert!(
            cleaning["proposed_start"]
                .as_str()
                .unwrap()
                .starts_with("20")
        );
        assert!(!cleaning["bridging"].as_array().unwrap().is_empty());
        assert!(
            !cleaning["procedure"]["alone"]
                .as_array()
                .unwrap()
                .is_empty()
        );
        assert!(cleaning["procedure"]["pooled"]["procedure"].is_string());
        assert!(
            cleaning["savings"]["low_cents"].as_i64().unwrap()
                <= cleaning["savings"]["high_cents"].as_i64().unwrap()
        );
        assert!(
            !cleaning["savings"]["assumptions"]
                .as_array()
                .unwrap()
                .is_empty()
        );
        assert!(cleaning["score"].as_u64().unwrap() <= 100);
        assert!(!cleaning["reasons"].as_array().unwrap().is_empty());
        let engineering = report["opportunities"]
            .as_array()
            .unwrap()
            .iter()
            .find(|o| o["cpv"]["code"] == "71240000-2")
            .unwrap();
        assert_eq!(
            sirens(engineering),
            [ISERE_DEPARTMENT, AUTRANS_MEAUDRE, VILLEFONTAINE]
        );

        // One opportunity: the same as in the report; an unknown one is a JSON 404.
        let one = app
            .api(
                "GET",
                &format!("/api/v1/opportunities/9091?{API_AS_OF}"),
                Some(&token),
                None,
            )
            .await;
        assert_eq!(one.status, StatusCode::OK);
        assert_eq!(&one.json(), cleaning);
        let missing = app
            .api(
                "GET",
                &format!("/api/v1/opportunities/9999?{API_AS_OF}"),
                Some(&token),
                None,
            )
            .await;
        assert_eq!(missing.status, StatusCode::NOT_FOUND);
        assert_eq!(missing.json()["code"], "not_found");

        // Bad parameters: 400, the message naming the parameter.
        for (query, name) in [
            ("as_of=hier", "as_of"),
            ("depth=profonde", "depth"),
            ("window_months=0", "window_months"),
            ("min_buyers=1", "min_buyers"),
            ("family=inconnue", "family"),
            ("cpv=9x", "cpv"),
            ("as_of=2010-01-01&window_months=120&perimeter=all", "as_of"),
        ] {
            let bad = app
                .api(
                    "GET",
                    &format!("/api/v1/opportunities?{query}"),
                    Some(&token),
                    None,
                )
                .await;
            assert_eq!(bad.status, StatusCode::BAD_REQUEST, "{query}");
            let body = bad.json();
            assert_eq!(body["code"], "bad_request");
            assert!(
                body["message"]
                    .as_str()
                    .unwrap()
                    .starts_with(&format!("{name} : ")),
                "{body}"
            );
        }
        let bad = app
            .api(
                "GET",
                "/api/v1/opportunities/9091?depth=x",
                Some(&token),
                None,
            )
            .await;
        assert_eq!(bad.status, StatusCode::BAD_REQUEST);
        // A parameter given twice: 400 too.
        let twice = app
            .api(
                "GET",
                "/api/v1/opportunities?as_of=2019-01-01&as_of=2019-02-01",
                Some(&token),
                None,
            )
            .await;
        assert_eq!(twice.status, StatusCode::BAD_REQUEST);
        assert_eq!(twice.json()["code"], "bad_request");
        // Without a token: 401.
        let anonymous = app.api("GET", "/api/v1/opportunities", None, None).await;
        assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);

        // The OpenAPI document describes exactly what the API answers.
        let doc = app.get("/api/v1/openapi.json", None).await.json();
        assert!(doc["paths"]["/api/v1/opportunities"]["get"].is_object());
        assert!(doc["paths"]["/api/v1/opportunities/{prefix}"]["get"].is_object());
        let schemas = &doc["components"]["schemas"];
        conforms(&schemas["OpportunityReport"], &report, schemas, "report");
        conforms(&schemas["Opportunity"], &one.json(), schemas, "opportunity");
    })
    .await;
}

/// Asserts that `value` has the type, the enum values and exactly the properties that
/// `schema` describes, all the way down.
fn conforms(schema: &Value, value: &Value, schemas: &Value, path: &str) {
    let schema = match schema["$ref"].as_str() {
        Some(r) => &schemas[r.trim_start_matches("#/components/schemas/")],
        None => schema,
    };
    assert!(schema.is_object(), "{path}: no schema");
    let types: Vec<&str> = match &schema["type"] {
        Value::String(t) => vec![t.as_str()],
        Value::Array(ts) => ts.iter().map(|t| t.as_str().unwrap()).collect(),
        other => panic!("{path}: type {other}"),
    };
    let actual = match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    };
    assert!(
        types.contains(&actual) || (actual == "integer" && types.contains(&"number")),
        "{path}: {actual} is not {types:?}"
    );
    if let Some(values) = schema["enum"].as_array() {
        assert!(values.contains(value), "{path}: {value} not in {values:?}");
    }
    match value {
        Value::Object(fields) => {
            let properties = schema["properties"].as_object().unwrap();
            let mut described: Vec<&String> = properties.keys().collect();
            let mut answered: Vec<&String> = fields.keys().collect();
            described.sort();
            answered.sort();
            assert_eq!(described, answered, "{path}: properties");
            for (name, field) in fields {
                conforms(&properties[name], field, schemas, &format!("{path}.{name}"));
            }
        }
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                conforms(&schema["items"], item, schemas, &format!("{path}[{i}]"));
            }
        }
        _ => {}
    }
}

#[tokio::test]
async fn a_member_sees_only_the_opportunities_of_its_organisation() {
    each_backend(|db| async move {
        let app = App::new(db).await;
        with_isere_contracts(&app).await;
        let member = app.sign_in(ECHIROLLES_BUYER).await;

        let list = app
            .get(&format!("/opportunites?{TERRITORY}"), Some(&member))
            .await;
        assert_eq!(list.status, StatusCode::OK, "{}", list.body);
        assert!(
            list.body
                .contains("<a href=\"/opportunites\">Opportunités</a>")
        );
        let prefixes = listed_prefixes(&list.body);
        assert_eq!(prefixes, ["158"], "{prefixes:?}");
        let page = text(&list.body);
        assert!(page.contains("Vous voyez les opportunités dont"));
        assert!(
            page.contains("Périmètre : les 50 organisations du territoire"),
            "{page}"
        );
        // A member cannot widen the perimeter: said next to the field, the territory kept.
        let widened = app
            .get(
                &format!("/opportunites?{TERRITORY}&perimetre=tous"),
                Some(&member),
            )
            .await;
        assert!(
            text(&widened.body).contains("Seul le coordonnateur du territoire peut élargir"),
            "{}",
            widened.body
        );

        // The API gives the same, each with the member's organisation among its buyers.
        let token = app.create_token(&member, "opportunités").await;
        let report = app
            .api(
                "GET",
                &format!("/api/v1/opportunities?{API_TERRITORY}"),
                Some(&token),
                None,
            )
            .await
            .json();
        assert_eq!(api_prefixes(&report), prefixes);
        for o in report["opportunities"].as_array().unwrap() {
            assert_eq!(sirens(o), [DOMENE, ECHIROLLES], "{o}");
        }
        let refused = app
            .api(
                "GET",
                &format!("/api/v1/opportunities?{API_TERRITORY}&perimeter=all"),
                Some(&token),
                None,
            )
            .await;
        assert_eq!(refused.status, StatusCode::BAD_REQUEST, "{}", refused.body);
        assert!(refused.body.contains("perimeter : Seul le coordonnateur"));
        let other = app
            .api(
                "GET",
                "/api/v1/opportunities/9091?as_of=2019-01-01",
                Some(&token),
                None,
            )
            .await;
        assert_eq!(other.status, StatusCode::NOT_FOUND);

        // Another's opportunity is not found; in its own, only its contracts link to their
        // page (the contract pages open for their buyer only).
        let other = app
            .get("/opportunites/9091?date=2019-01-01", Some(&member))
            .await;
        assert_eq!(other.status, StatusCode::NOT_FOUND);
        let detail = app
            .get(&format!("/opportunites/158?{TERRITORY}"), Some(&member))
            .await;
        assert_eq!(detail.status, StatusCode::OK);
        let food = &report["opportunities"][0];
        for buyer in food["buyers"].as_array().unwrap() {
            let own = buyer["siren"] == ECHIROLLES;
            for c in buyer["contracts"].as_array().unwrap() {
                let id = c["record_id"].as_i64().unwrap();
                let link = format!("href=\"/contrats/{id}\"");
                assert_eq!(detail.body.contains(&link), own, "{link}");
                if own {
                    let page = app.get(&format!("/contrats/{id}"), Some(&member)).await;
                    assert_eq!(page.status, StatusCode::OK);
                }
            }
        }

        // The Département de l'Isère, outside the territory, shares opportunities with
        // ADVIVO and others in the extract; its account sees none of them in the territory.
        let isere_buyer = "achats@isere.test";
        app.add_account(ISERE_DEPARTMENT, Role::MemberBuyer, isere_buyer)
            .await;
        let isere = app.sign_in(isere_buyer).await;
        let none = app.get("/opportunites?date=2019-01-01", Some(&isere)).await;
        assert_eq!(listed_prefixes(&none.body), Vec::<String>::new());

        // The city of Grenoble published nothing in the extract: no opportunity, and the
        // page says how to widen the question.
        let grenoble = app.sign_in(GRENOBLE_BUYER).await;
        let empty = app
            .get(&format!("/opportunites?{TERRITORY}"), Some(&grenoble))
            .await;
        assert_eq!(empty.status, StatusCode::OK);
        assert!(listed_prefixes(&empty.body).is_empty());
        assert!(
            text(&empty.body)
                .contains("Aucune opportunité pour ces paramètres : élargissez la fenêtre")
        );
    })
    .await;
}

/// The territory by default, on the pages and in the API as in the CLI: over the Isère
/// extract, no opportunity names a buyer outside the métropole and its communes; widened by
/// the coordinator, the outsiders are marked, and a groupement created from the opportunity
/// invites the territory's buyers only.
#[tokio::test]
async fn the_territory_is_the_default_perimeter() {
    each_backend(|db| async move {
        let app = App::new(db).await;
        with_isere_contracts(&app).await;
        let coordinator = app.sign_in(COORDINATOR).await;
        let territory: Vec<String> = mutualis_reference::territory::grenoble_alpes_metropole()
            .organisations()
            .map(|o| o.siren.to_string())
            .collect();
        let token = app.create_token(&coordinator, "opportunités").await;
        for depth in ["division", "group", "class"] {
            let report = app
                .api(
                    "GET",
                    &format!(
                        "/api/v1/opportunities?as_of=2019-01-01&depth={depth}&window_months=60"
                    ),
                    Some(&token),
                    None,
                )
                .await
                .json();
            let found = report["opportunities"].as_array().unwrap();
            assert!(!found.is_empty(), "{depth}");
            for o in found {
                for siren in sirens(o) {
                    assert!(territory.contains(&siren), "{depth}: {siren} outside: {o}");
                }
            }
        }
        let list = app
            .get(
                "/opportunites?date=2019-01-01&profondeur=groupe",
                Some(&coordinator),
            )
            .await;
        let page = text(&list.body);
        assert_eq!(listed_prefixes(&list.body), ["158"], "{page}");
        assert!(
            page.contains("Périmètre : les 50 organisations du territoire"),
            "{page}"
        );
        assert!(!page.contains("ADVIVO"), "{page}");
        assert!(page.contains("<select id=\"perimetre\" name=\"perimetre\""));

        // Widened, ADVIVO's cleaning contracts meet the métropole's: ADVIVO is marked.
        let wide = text(
            &app.get(&format!("/opportunites?{AS_OF}"), Some(&coordinator))
                .await
                .body,
        );
        assert!(wide.contains("Périmètre élargi"), "{wide}");
        assert!(wide.contains("ADVIVO (hors territoire)"), "{wide}");
        let detail = text(
            &app.get(&format!("/opportunites/9091?{AS_OF}"), Some(&coordinator))
                .await
                .body,
        );
        assert!(detail.contains("hors territoire"), "{detail}");
        assert!(
            detail.contains("Hors territoire, non invités : ADVIVO"),
            "{detail}"
        );
        // The link of every opportunity keeps the widened perimeter.
        assert!(detail.contains("perimetre=tous"), "{detail}");

        // Created in one click, the groupement invites nobody outside the territory.
        let csrf = app.session_csrf(&coordinator).await;
        let created = app
            .post_form(
                &format!("/opportunites/9091/groupement?{AS_OF}"),
                Some(&coordinator),
                &[("csrf", &csrf)],
            )
            .await;
        assert_eq!(created.status, StatusCode::SEE_OTHER, "{}", created.body);
        let id = created.header("location");
        let groupement = text(&app.get(&id, Some(&coordinator)).await.body);
        assert!(groupement.contains("Services de nettoyage"), "{groupement}");
        assert!(!groupement.contains(ADVIVO), "{groupement}");
        // Its link back to the opportunity keeps the perimeter it was found in.
        assert!(
            groupement.contains("href=\"/opportunites/9091?date=2019-01-01&perimetre=tous\""),
            "{groupement}"
        );
    })
    .await;
}

#[tokio::test]
async fn suppliers_and_the_mediator_see_no_opportunity() {
    each_backend(|db| async move {
        let app = App::new(db).await;
        with_isere_contracts(&app).await;
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
        app.add_account("912345675", Role::Supplier, "offres@nettoyage.test")
            .await;
        // The mediator belongs to the métropole, which is in the cleaning opportunity.
        app.add_account(METROPOLE, Role::Mediator, "mediation@lametro.test")
            .await;
        for email in ["offres@nettoyage.test", "mediation@lametro.test"] {
            let cookies = app.sign_in(email).await;
            for path in ["/opportunites", "/opportunites/9091"] {
                let page = app.get(&format!("{path}?{AS_OF}"), Some(&cookies)).await;
                assert_eq!(page.status, StatusCode::FORBIDDEN, "{email} {path}");
                assert!(page.body.contains("Accès refusé"));
            }
            let home = app.get("/", Some(&cookies)).await;
            assert!(
                !home.body.contains("href=\"/opportunites\""),
                "{email}: no nav link"
            );
            let token = app.create_token(&cookies, "opportunités").await;
            for path in ["/api/v1/opportunities", "/api/v1/opportunities/9091"] {
                let reply = app
                    .api("GET", &format!("{path}?{API_AS_OF}"), Some(&token), None)
                    .await;
                assert_eq!(reply.status, StatusCode::FORBIDDEN, "{email} {path}");
                assert_eq!(reply.json()["code"], "forbidden");
            }
        }
    })
    .await;
}

fn need(buyer: &str, description: &str, start: &str) -> Need {
    Need {
        buyer: Siren::parse(buyer).unwrap(),
        cpv: nomenclature().parse("90911200-8").unwrap(),
        description: description.into(),
        annual_amount: Amount::from_cents(12_000_000),
        quantity: None,
        desired_start: NaiveDate::parse_from_str(start, "%Y-%m-%d").unwrap(),
        current_contract: None,
        current_contract_ends_on: None,
        social_requirements: None,
        environmental_requirements: None,
        reservation: None,
    }
}

#[tokio::test]
async fn declared_needs_are_the_coordinators_and_their_own_members_only() {
    each_backend(|db| async move {
        let app = App::new(db).await;
        with_isere_contracts(&app).await;
        let coordinator = app.sign_in(COORDINATOR).await;
        let echirolles = app.sign_in(ECHIROLLES_BUYER).await;
        let grenoble = app.sign_in(GRENOBLE_BUYER).await;
        let (c, e, g) = (
            app.principal(&coordinator).await,
            app.principal(&echirolles).await,
            app.principal(&grenoble).await,
        );
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
        app.db
            .add_need(
                e.scope(),
                campaign,
                &need(ECHIROLLES, "Nettoyage des écoles", "2020-01-01"),
                today,
                app.clock.now(),
            )
            .await
            .unwrap();
        app.db
            .add_need(
                g.scope(),
                campaign,
                &need(GRENOBLE, "Nettoyage des gymnases", "2019-12-01"),
                today,
                app.clock.now(),
            )
            .await
            .unwrap();

        // The coordinator sees both needs in the cleaning opportunity.
        let detail = text(
            &app.get(&format!("/opportunites/9091?{AS_OF}"), Some(&coordinator))
                .await
                .body,
        );
        for expected in [
            "Nettoyage des écoles",
            "Nettoyage des gymnases",
            &format!("SIREN {ECHIROLLES}"),
            &format!("SIREN {GRENOBLE}"),
        ] {
            assert!(detail.contains(expected), "{expected}");
        }
        assert!(detail.contains("Besoins déclarés par"));

        // Each member sees the opportunity with its own need, not the other's.
        for (cookies, own, other, other_siren) in [
            (
                &echirolles,
                "Nettoyage des écoles",
                "Nettoyage des gymnases",
                GRENOBLE,
            ),
            (
                &grenoble,
                "Nettoyage des gymnases",
                "Nettoyage des écoles",
                ECHIROLLES,
            ),
        ] {
            let list = app
                .get("/opportunites?date=2019-01-01", Some(cookies))
                .await;
            assert!(listed_prefixes(&list.body).contains(&"9091".to_owned()));
            let list = text(&list.body);
            assert!(list.contains(own) && !list.contains(other), "{own}");
            let detail = app
                .get("/opportunites/9091?date=2019-01-01", Some(cookies))
                .await;
            assert_eq!(detail.status, StatusCode::OK);
            let detail = text(&detail.body);
            assert!(detail.contains(own), "{own}");
            assert!(!detail.contains(other), "{other}");
            assert!(
                !detail.contains(&format!("SIREN {other_siren}")),
                "{other_siren}"
            );
            assert!(detail.contains(&format!("SIREN {METROPOLE}")));
        }
    })
    .await;
}

#[tokio::test]
async fn bad_values_are_shown_next_to_their_fields() {
    each_backend(|db| async move {
        let app = App::new(db).await;
        with_isere_contracts(&app).await;
        let cookies = app.sign_in(COORDINATOR).await;
        let page = app
            .get(
                "/opportunites?date=hier&profondeur=profonde&fenetre=0&min=1&famille=inconnue&cpv=9x",
                Some(&cookies),
            )
            .await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.body);
        let body = text(&page.body);
        assert!(body.contains("role=\"alert\""));
        assert!(body.contains("id=\"date-erreur\">Date « hier » non reconnue : attendu JJ/MM/AAAA"), "{body}");
        for field in ["date", "profondeur", "fenetre", "min", "famille", "cpv"] {
            assert!(body.contains(&format!("id=\"{field}-erreur\"")), "{field}");
            assert!(
                body.contains(&format!(
                    "aria-invalid=\"true\" aria-describedby=\"{field}-erreur {field}-aide\""
                )),
                "{field}"
            );
            assert!(body.contains(&format!("<a href=\"#{field}\">")), "{field} in the summary");
        }
        // The value typed is shown back.
        assert!(body.contains("value=\"hier\""));

        // A date the rules do not cover: said next to the date.
        let page = text(
            &app.get("/opportunites?date=2010-01-01&fenetre=120&perimetre=tous", Some(&cookies))
                .await
                .body,
        );
        assert!(page.contains("id=\"date-erreur\">aucune règle"), "{page}");

        // The filters narrow the list; an empty answer says how to widen the question.
        let cleaning = app
            .get(&format!("/opportunites?{AS_OF}&famille=cleaning"), Some(&cookies))
            .await;
        assert_eq!(listed_prefixes(&cleaning.body), ["9091"]);
        let engineering = app
            .get(&format!("/opportunites?{AS_OF}&cpv=71"), Some(&cookies))
            .await;
        assert_eq!(listed_prefixes(&engineering.body), ["7124"]);
        let division = app
            .get(&format!("/opportunites?{AS_OF}&profondeur=division&cpv=9091"), Some(&cookies))
            .await;
        assert_eq!(listed_prefixes(&division.body), ["90"]);
        let empty = text(
            &app.get("/opportunites?date=2030-01-01", Some(&cookies))
                .await
                .body,
        );
        assert!(empty.contains("Aucune opportunité pour ces paramètres"));
        assert!(empty.contains("élargissez la fenêtre"));

        let twice = app
            .get("/opportunites?min=2&min=3", Some(&cookies))
            .await;
        assert_eq!(twice.status, StatusCode::BAD_REQUEST);
        assert!(twice.body.contains("Requête invalide"));

        // The detail page refuses a bad question with a 400 page naming the field.
        let bad = app
            .get("/opportunites/9091?fenetre=beaucoup", Some(&cookies))
            .await;
        assert_eq!(bad.status, StatusCode::BAD_REQUEST);
        assert!(text(&bad.body).contains("fenetre : « beaucoup »"));
    })
    .await;
}
