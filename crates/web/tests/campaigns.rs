//! Inventory campaign pages, workbook and API, on both backends: the coordinator opens a
//! campaign and follows its board; members answer by form and by workbook; what is refused,
//! to whom, and why.

#![allow(clippy::unwrap_used)] // a test that cannot unwrap has failed

mod common;

use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode, header};
use chrono::{Days, Local, NaiveDate};
use common::{App, COORDINATOR, ECHIROLLES_BUYER, GRENOBLE_BUYER};
use mutualis_app::Clock;
use mutualis_domain::{Organisation, OrganisationKind, Role, Siren, Siret};
use mutualis_formats::needs_workbook::{
    MAX_SHARED_STRINGS, MAX_SHEET_ROWS, PrefillRow, WorkbookMeta, read_workbook, write_workbook,
};
use mutualis_reference::cpv::nomenclature;
use mutualis_test_db::each_backend;
use tower::ServiceExt;

const GRENOBLE: &str = "213801855";
const ECHIROLLES: &str = "213801517";
const FONTAINE: &str = "213801699";
const FONTAINE_BUYER: &str = "achats@fontaine.test";
const SUPPLIER: &str = "offres@nettoyage.test";
const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// The server's calendar day, as the pages read it.
fn today() -> NaiveDate {
    Local::now().date_naive()
}

fn fr(date: NaiveDate) -> String {
    date.format("%d/%m/%Y").to_string()
}

fn days_ago(n: u64) -> NaiveDate {
    today().checked_sub_days(Days::new(n)).unwrap()
}

fn in_days(n: u64) -> NaiveDate {
    today().checked_add_days(Days::new(n)).unwrap()
}

/// The page's text with askama's escapes undone.
fn text(html: &str) -> String {
    html.replace("&#39;", "'")
        .replace("&#x27;", "'")
        .replace("&quot;", "\"")
        .replace("&#34;", "\"")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

/// The text of the table row whose header cell is `header`, tags removed, spaces collapsed.
fn row(html: &str, header: &str) -> String {
    let at = html
        .find(&format!("<th scope=\"row\">{header}</th>"))
        .unwrap_or_else(|| panic!("no row {header}: {html}"));
    let start = html[..at].rfind("<tr").unwrap();
    let end = at + html[at..].find("</tr>").unwrap();
    let mut text = String::new();
    let mut in_tag = false;
    for c in html[start..end].chars() {
        match c {
            '<' => in_tag = true,
            '>' => {
                in_tag = false;
                text.push(' ');
            }
            c if !in_tag => text.push(c),
            _ => {}
        }
    }
    text.split_ascii_whitespace().collect::<Vec<_>>().join(" ")
}

/// The application, with a buyer of Fontaine (never invited) and a supplier.
async fn app(db: mutualis_storage::Database) -> App {
    let app = App::new(db).await;
    app.add_account(FONTAINE, Role::MemberBuyer, FONTAINE_BUYER)
        .await;
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
    app
}

/// Contracts of Échirolles: a cleaning contract running past the campaign's opening (the
/// one its workbook is pre-filled with), road works (outside the campaign's families) and
/// an old contract, long ended.
async fn with_echirolles_contracts(app: &App) {
    let record = |id: &str, cpv: &str, object: &str, notified: NaiveDate, months: u32| {
        serde_json::json!({
            "_type": "Marché",
            "id": id,
            "uid": format!("21380151700540{id}"),
            "acheteur": {"id": "21380151700540", "nom": "Ville d'Échirolles"},
            "nature": "Marché",
            "objet": object,
            "codeCPV": cpv,
            "procedure": "Procédure adaptée",
            "dureeMois": months,
            "dateNotification": notified.format("%Y-%m-%d").to_string(),
            "datePublicationDonnees": notified.format("%Y-%m-%d").to_string(),
            "montant": 90000,
            "formePrix": "Ferme",
            "titulaires": [{"typeIdentifiant": "SIRET", "id": "91234567500017", "denominationSociale": "NETTOYAGE DES ALPES"}],
            "modifications": []
        })
    };
    let file = serde_json::json!({"marches": [
        record("2026-ECH-NET", "90910000", "NETTOYAGE DES BATIMENTS COMMUNAUX", days_ago(30), 36),
        record("2026-ECH-VOI", "45233140", "TRAVAUX DE VOIRIE", days_ago(30), 24),
        record("2019-ECH-OLD", "90910000", "NETTOYAGE (ANCIEN MARCHE)", NaiveDate::from_ymd_opt(2019, 1, 10).unwrap(), 12),
    ]});
    let summary = mutualis_import::import_decp(
        &app.db,
        std::io::Cursor::new(serde_json::to_vec(&file).unwrap()),
        app.clock.now(),
        |r| panic!("rejected: {r:?}"),
    )
    .await
    .unwrap();
    assert_eq!(summary.created, 3);
}

/// Fills and posts the new-campaign form; returns the reply.
async fn post_campaign(
    app: &App,
    cookies: &str,
    title: &str,
    opens: &str,
    closes: &str,
    families: &str,
    members: &[i64],
) -> common::Reply {
    let csrf = app.session_csrf(cookies).await;
    let members: Vec<String> = members.iter().map(i64::to_string).collect();
    let mut fields = vec![
        ("csrf", csrf.as_str()),
        ("titre", title),
        ("ouverture", opens),
        ("cloture", closes),
        ("familles", families),
    ];
    fields.extend(members.iter().map(|m| ("membres", m.as_str())));
    app.post_form("/campagnes/nouvelle", Some(cookies), &fields)
        .await
}

/// A campaign open today over cleaning (9091) and office supplies (30), inviting Grenoble and
/// Échirolles; returns its id.
async fn open_campaign(app: &App, coordinator: &str) -> i64 {
    let invited = [app.org_id(GRENOBLE).await, app.org_id(ECHIROLLES).await];
    let reply = post_campaign(
        app,
        coordinator,
        "Recensement 2027",
        &fr(days_ago(10)),
        &fr(in_days(60)),
        "9091, 30",
        &invited,
    )
    .await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER, "{}", reply.body);
    let location = reply.header("location");
    let id = location
        .strip_prefix("/campagnes/")
        .and_then(|rest| rest.split('?').next())
        .unwrap();
    assert!(location.ends_with("?fait=creee"), "{location}");
    id.parse().unwrap()
}

/// A desired start to come: a month from today, after the test campaign's opening.
fn start_to_come() -> &'static str {
    static START: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    START.get_or_init(|| fr(in_days(30)))
}

/// The need form's fields, complete; `changes` replaces some.
fn need_fields<'a>(csrf: &'a str, changes: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut fields = vec![
        ("csrf", csrf),
        ("cpv", "90910000"),
        ("description", "Nettoyage des écoles"),
        ("montant", "12 500,50"),
        ("quantite", "1 200"),
        ("unite", "m²"),
        ("debut", start_to_come()),
        ("contrat", "2019-GRE-001"),
        ("fin_contrat", "31/12/2026"),
        ("exigences_sociales", "Clause d'insertion : 5 % des heures"),
        ("exigences_environnementales", "Produits écolabellisés"),
        ("reserve", "insertion"),
    ];
    for (name, value) in changes {
        fields.iter_mut().find(|(n, _)| n == name).unwrap().1 = value;
    }
    fields
}

/// A GET whose body is bytes (the workbook).
async fn get_bytes(app: &App, uri: &str, cookies: &str) -> (StatusCode, HeaderMap, Vec<u8>) {
    let request = Request::get(uri)
        .header(header::COOKIE, cookies)
        .body(Body::empty())
        .unwrap();
    let response = app.router.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = axum::body::to_bytes(response.into_body(), 1 << 24)
        .await
        .unwrap();
    (status, headers, bytes.to_vec())
}

/// Downloads a member's workbook and checks what the browser is told about it.
async fn download(app: &App, campaign: i64, cookies: &str) -> Vec<u8> {
    let (status, headers, bytes) =
        get_bytes(app, &format!("/campagnes/{campaign}/classeur"), cookies).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers[header::CONTENT_TYPE], XLSX);
    let disposition = headers[header::CONTENT_DISPOSITION].to_str().unwrap();
    assert!(
        disposition.starts_with("attachment; filename=\"besoins-")
            && disposition.ends_with(".xlsx\""),
        "{disposition}"
    );
    assert!(bytes.starts_with(b"PK"), "an XLSX file is a zip");
    bytes
}

fn multipart(csrf: &str, file: &[u8]) -> (String, Vec<u8>) {
    common::multipart(csrf, "classeur", "besoins.xlsx", XLSX, file)
}

async fn upload(app: &App, campaign: i64, cookies: &str, csrf: &str, file: &[u8]) -> common::Reply {
    let (content_type, body) = multipart(csrf, file);
    app.send(
        Request::post(format!("/campagnes/{campaign}/classeur"))
            .header(header::COOKIE, cookies)
            .header(header::CONTENT_TYPE, content_type)
            .body(Body::from(body))
            .unwrap(),
    )
    .await
}

/// What the workbook of a member of the test campaign is checked against.
fn meta(campaign: i64, siren: &str, name: &str) -> WorkbookMeta {
    WorkbookMeta {
        campaign_id: campaign,
        campaign_title: "Recensement 2027".into(),
        opens_on: days_ago(10),
        closes_on: in_days(60),
        cpv_families: vec!["9091".into(), "30".into()],
        member: Siren::parse(siren).unwrap(),
        member_name: name.into(),
    }
}

/// The needs the API shows a token in a campaign.
async fn api_needs(app: &App, token: &str, campaign: i64) -> serde_json::Value {
    let reply = app
        .api(
            "GET",
            &format!("/api/v1/campaigns/{campaign}/needs"),
            Some(token),
            None,
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    reply.json()
}

#[tokio::test]
async fn the_coordinator_opens_a_campaign_and_bad_fields_are_shown_next_to_them() {
    each_backend(|db| async move {
        let app = app(db).await;
        let coordinator = app.sign_in(COORDINATOR).await;
        let list = app.get("/campagnes", Some(&coordinator)).await;
        assert_eq!(list.status, StatusCode::OK);
        assert!(list.body.contains("href=\"/campagnes/nouvelle\""));
        assert!(
            list.body.contains("Aucune campagne pour l'instant")
                || text(&list.body).contains("Aucune campagne pour l'instant")
        );
        assert!(list.body.contains("href=\"/campagnes\""), "nav link");

        let form = app.get("/campagnes/nouvelle", Some(&coordinator)).await;
        assert_eq!(form.status, StatusCode::OK);
        let grenoble = app.org_id(GRENOBLE).await;
        let echirolles = app.org_id(ECHIROLLES).await;
        for id in [grenoble, echirolles] {
            assert!(form.body.contains(&format!(
                "id=\"membre-{id}\" name=\"membres\" value=\"{id}\""
            )));
        }
        assert!(
            !form.body.contains("checked>"),
            "no member checked by default"
        );

        // Every bad field is named next to itself; nothing is created.
        let bad = post_campaign(
            &app,
            &coordinator,
            " ",
            "31/02/2026",
            "demain",
            "9, 99, 30",
            &[],
        )
        .await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
        let page = text(&bad.body);
        for field in ["titre", "ouverture", "cloture", "familles", "membres"] {
            assert!(
                page.contains(&format!("id=\"{field}-erreur\"")),
                "{field}: {page}"
            );
        }
        assert!(page.contains(
            "aria-invalid=\"true\" aria-describedby=\"ouverture-erreur ouverture-aide\""
        ));
        assert!(page.contains("id=\"ouverture-erreur\">Date « 31/02/2026 » impossible."));
        assert!(page.contains("« 9 » n'est pas un début de code CPV"));
        assert!(page.contains("« 99 » ne correspond à aucune famille"));
        assert!(
            page.contains("value=\"31/02/2026\""),
            "the typed value is shown back"
        );
        assert!(
            page.contains("<fieldset class=\"field-error\" aria-describedby=\"membres-erreur\">")
        );
        // Closing before opening, or already past.
        let backwards = post_campaign(
            &app,
            &coordinator,
            "Recensement",
            &fr(in_days(10)),
            &fr(in_days(5)),
            "30",
            &[grenoble],
        )
        .await;
        assert_eq!(backwards.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(text(&backwards.body).contains(
            "id=\"cloture-erreur\">La date limite de réponse précède la date d'ouverture."
        ));
        let past = post_campaign(
            &app,
            &coordinator,
            "Recensement",
            &fr(days_ago(10)),
            &fr(days_ago(1)),
            "30",
            &[grenoble],
        )
        .await;
        assert!(
            text(&past.body).contains("id=\"cloture-erreur\">La date limite de réponse est passée")
        );
        assert!(
            text(&app.get("/campagnes", Some(&coordinator)).await.body)
                .contains("Aucune campagne pour l'instant")
        );

        // A good form creates the campaign and leads to its board.
        let id = open_campaign(&app, &coordinator).await;
        let board = app
            .get(&format!("/campagnes/{id}?fait=creee"), Some(&coordinator))
            .await;
        assert_eq!(board.status, StatusCode::OK);
        let board = text(&board.body);
        assert!(board.contains("<h1>Recensement 2027</h1>"));
        assert!(board.contains("Campagne créée. Mutualis n'envoie pas encore de courriel"));
        assert!(board.contains("<dd>0 sur 2</dd>"));
        assert_eq!(board.matches("Pas encore répondu").count(), 2);
        assert!(
            board.contains("9091 — ") && board.contains("30 — "),
            "families labelled"
        );
        let list = text(&app.get("/campagnes", Some(&coordinator)).await.body);
        assert!(list.contains(&format!("<a href=\"/campagnes/{id}\">Recensement 2027</a>")));
        assert!(list.contains("0 sur 2 membres invités"));

        // Members see it in their list with their own answer; the uninvited do not.
        let member = app.sign_in(GRENOBLE_BUYER).await;
        let theirs = text(&app.get("/campagnes", Some(&member)).await.body);
        assert!(theirs.contains(&format!("<a href=\"/campagnes/{id}\">Recensement 2027</a>")));
        assert!(theirs.contains("pas encore envoyée"));
        assert!(!theirs.contains("href=\"/campagnes/nouvelle\""));
        let fontaine = app.sign_in(FONTAINE_BUYER).await;
        let none = text(&app.get("/campagnes", Some(&fontaine)).await.body);
        assert!(
            none.contains("Fontaine n'est invité à aucune campagne"),
            "{none}"
        );

        // Only the coordinator opens campaigns.
        assert_eq!(
            app.get("/campagnes/nouvelle", Some(&member)).await.status,
            StatusCode::FORBIDDEN
        );
        let refused = post_campaign(
            &app,
            &member,
            "Le mien",
            &fr(today()),
            &fr(in_days(5)),
            "30",
            &[grenoble],
        )
        .await;
        assert_eq!(refused.status, StatusCode::FORBIDDEN);
        let token = app.create_token(&coordinator, "campagnes").await;
        let api = app
            .api("GET", "/api/v1/campaigns", Some(&token), None)
            .await
            .json();
        assert_eq!(api["count"], 1);
        assert_eq!(api["campaigns"][0]["progress"]["invited"], 2);
    })
    .await;
}

#[tokio::test]
async fn members_answer_by_form_and_by_workbook_and_the_board_adds_it_up() {
    each_backend(|db| async move {
        let app = app(db).await;
        with_echirolles_contracts(&app).await;
        let coordinator = app.sign_in(COORDINATOR).await;
        let id = open_campaign(&app, &coordinator).await;
        let grenoble = app.sign_in(GRENOBLE_BUYER).await;
        let echirolles = app.sign_in(ECHIROLLES_BUYER).await;
        let grenoble_token = app.create_token(&grenoble, "campagnes").await;
        let echirolles_token = app.create_token(&echirolles, "campagnes").await;

        // Grenoble's page: the form, the closing date, the workbook.
        let page = app.get(&format!("/campagnes/{id}"), Some(&grenoble)).await;
        assert_eq!(page.status, StatusCode::OK);
        let body = text(&page.body);
        assert!(body.contains(&format!("<dd>{} (incluse)</dd>", fr(in_days(60)))));
        assert!(body.contains("Ouverte : les membres invités déclarent leurs besoins"));
        assert!(body.contains(&format!("href=\"/campagnes/{id}/classeur\"")));
        assert!(body.contains("<legend>Marché réservé</legend>"));
        let csrf = page.csrf_field();

        // A bad date is shown next to its field; the French amount is kept as typed.
        let bad = app
            .post_form(
                &format!("/campagnes/{id}/besoins"),
                Some(&grenoble),
                &need_fields(&csrf, &[("debut", "31/02/2027")]),
            )
            .await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
        let body = text(&bad.body);
        assert!(body.contains("id=\"debut-erreur\">Date « 31/02/2027 » impossible."), "{body}");
        assert!(body.contains("value=\"31/02/2027\""), "the typed date is shown back");
        assert!(
            body.contains("aria-invalid=\"true\" aria-describedby=\"debut-erreur debut-aide\""),
            "{body}"
        );
        assert!(body.contains("value=\"12 500,50\""));
        assert!(!body.contains("id=\"montant-erreur\""), "the French amount is accepted");
        assert!(body.contains("<a href=\"#debut\">"), "the summary links to the field");
        assert_eq!(api_needs(&app, &grenoble_token, id).await["count"], 0);
        // A desired start before the campaign opened, as a need copied from 2019, is refused
        // next to its field with both dates.
        let past = app
            .post_form(
                &format!("/campagnes/{id}/besoins"),
                Some(&grenoble),
                &need_fields(&csrf, &[("debut", "01/01/2019")]),
            )
            .await;
        assert_eq!(past.status, StatusCode::UNPROCESSABLE_ENTITY);
        let body = text(&past.body);
        assert!(
            body.contains(&format!(
                "id=\"debut-erreur\">Date de début souhaitée le 01/01/2019, avant l'ouverture de \
                 la campagne le {} : un besoin recensé porte sur un achat à venir ; indiquez une \
                 date à partir du {}.",
                fr(days_ago(10)),
                fr(days_ago(10))
            )),
            "{body}"
        );
        assert_eq!(api_needs(&app, &grenoble_token, id).await["count"], 0);
        // So is a workbook row, at its cell, and nothing of the workbook is written.
        let old_need = PrefillRow {
            cpv: Some(nomenclature().parse("90910000").unwrap()),
            description: "Nettoyage des écoles".into(),
            annual_amount: Some(mutualis_domain::Amount::from_euros(12_000)),
            desired_start: NaiveDate::from_ymd_opt(2019, 1, 1),
            ..PrefillRow::default()
        };
        let old = write_workbook(&meta(id, GRENOBLE, "Grenoble"), &[old_need]).unwrap();
        let refused = upload(&app, id, &grenoble, &app.session_csrf(&grenoble).await, &old).await;
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            text(&refused.body).contains(
                "<tr><td>Besoins</td><th scope=\"row\">F2</th><td>Date de début souhaitée le \
                 01/01/2019, avant l'ouverture de la campagne"
            ),
            "{}",
            refused.body
        );
        assert_eq!(api_needs(&app, &grenoble_token, id).await["count"], 0);
        // Ambiguous amounts are refused, as in the workbook.
        let ambiguous = app
            .post_form(&format!("/campagnes/{id}/besoins"), Some(&grenoble), &need_fields(&csrf, &[("montant", "12.500")]))
            .await;
        assert!(text(&ambiguous.body).contains("id=\"montant-erreur\">Montant « 12.500 » ambigu"));

        // Grenoble declares two needs by form.
        let added = app
            .post_form(&format!("/campagnes/{id}/besoins"), Some(&grenoble), &need_fields(&csrf, &[]))
            .await;
        assert_eq!(added.status, StatusCode::SEE_OTHER, "{}", added.body);
        let office = need_fields(
            &csrf,
            &[
                ("cpv", "30192000"),
                ("description", "Fournitures de bureau"),
                ("montant", "2000"),
                ("quantite", ""),
                ("unite", ""),
                ("contrat", ""),
                ("fin_contrat", ""),
                ("exigences_sociales", ""),
                ("exigences_environnementales", ""),
                ("reserve", ""),
            ],
        );
        let added = app.post_form(&format!("/campagnes/{id}/besoins"), Some(&grenoble), &office).await;
        assert_eq!(added.status, StatusCode::SEE_OTHER);
        let after = text(&app.get(&added.header("location"), Some(&grenoble)).await.body);
        assert!(after.contains("Besoin enregistré."));
        assert!(after.contains("12\u{202f}500,50 € HT") && after.contains("1\u{202f}200 m²"));
        let needs = api_needs(&app, &grenoble_token, id).await;
        assert_eq!(needs["count"], 2);
        let cleaning = &needs["needs"][0];
        assert_eq!(cleaning["cpv"], "90910000-9");
        assert_eq!(cleaning["annual_amount_cents"], 1_250_050);
        assert_eq!(cleaning["quantity_thousandths"], 1_200_000);
        assert_eq!(cleaning["reservation"], "insertion");
        assert_eq!(cleaning["source"], "form");
        assert_eq!(needs["needs"][1]["reservation"], serde_json::Value::Null);

        // Échirolles' workbook: its cleaning contract running past the opening, and nothing
        // else (road works are outside the families, the old contract ended long ago).
        let workbook = download(&app, id, &echirolles).await;
        let rows = read_workbook(&workbook, &meta(id, ECHIROLLES, "Échirolles"), nomenclature()).unwrap();
        assert_eq!(rows.len(), 1, "{rows:?}");
        assert_eq!(rows[0].current_contract.as_deref(), Some("2026-ECH-NET"));
        assert_eq!(rows[0].annual_amount.cents(), 3_000_000, "90 000 € over 36 months");
        // Uploaded as it is: its row becomes a need, and Échirolles has answered.
        let echirolles_csrf = app.session_csrf(&echirolles).await;
        let uploaded = upload(&app, id, &echirolles, &echirolles_csrf, &workbook).await;
        assert_eq!(uploaded.status, StatusCode::SEE_OTHER, "{}", uploaded.body);
        let summary = text(&app.get(&uploaded.header("location"), Some(&echirolles)).await.body);
        assert!(summary.contains("Classeur déposé : 1 besoin importé. Votre réponse est envoyée."), "{summary}");
        assert!(summary.contains("Envoyée le "));
        let theirs = api_needs(&app, &echirolles_token, id).await;
        assert_eq!(theirs["count"], 1);
        assert_eq!(theirs["needs"][0]["source"], "workbook");

        // Grenoble's workbook carries its two needs; uploaded by Échirolles it is refused,
        // naming the cell, and nothing changes.
        let grenoble_workbook = download(&app, id, &grenoble).await;
        let own = read_workbook(&grenoble_workbook, &meta(id, GRENOBLE, "Grenoble"), nomenclature()).unwrap();
        assert_eq!(own.len(), 2);
        let wrong = upload(&app, id, &echirolles, &echirolles_csrf, &grenoble_workbook).await;
        assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
        let refusal = text(&wrong.body);
        assert!(refusal.contains("Classeur refusé, rien n'a été enregistré : 1 erreur"), "{refusal}");
        assert!(refusal.contains("<tr><td>Campagne</td><th scope=\"row\">B4</th><td>Ce classeur est celui d'un autre organisme (SIREN 213801855)"), "{refusal}");
        assert!(refusal.contains("aria-invalid=\"true\" aria-describedby=\"classeur-erreur\""));
        assert_eq!(api_needs(&app, &echirolles_token, id).await["count"], 1);
        // Not a workbook at all: one error, nothing written.
        let garbage = upload(&app, id, &echirolles, &echirolles_csrf, b"pas un classeur").await;
        assert_eq!(garbage.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(text(&garbage.body).contains("n'est pas un classeur Excel (.xlsx) lisible"));

        // The board: who answered, the needs per member and per family, every need.
        let board = text(&app.get(&format!("/campagnes/{id}"), Some(&coordinator)).await.body);
        assert!(board.contains("<dd>1 sur 2</dd>"), "{board}");
        assert!(
            row(&board, "Grenoble").starts_with("Grenoble Pas encore répondu 2 14\u{202f}500,50 € HT aucune Relancer"),
            "{}",
            row(&board, "Grenoble")
        );
        assert!(row(&board, "Échirolles").starts_with("Échirolles Répondu le "));
        let cleaning_label = &nomenclature().lookup("90910000").unwrap().label_fr;
        assert!(board.contains(&format!("<tr><th scope=\"row\">9091 — {cleaning_label}</th><td class=\"num\">2</td><td class=\"num\">2</td><td class=\"num\">42\u{202f}500,50 € HT</td></tr>")), "{board}");
        assert!(board.contains("<td class=\"num\">1</td><td class=\"num\">1</td><td class=\"num\">2\u{202f}000,00 € HT</td></tr>"));
        assert!(board.contains("<td class=\"num\">3</td><td class=\"num\">2</td><td class=\"num\">44\u{202f}500,50 € HT</td>"));
        assert!(board.contains("NETTOYAGE DES BATIMENTS COMMUNAUX") && board.contains("Fournitures de bureau"));
        let coordinator_token = app.create_token(&coordinator, "campagnes").await;
        assert_eq!(api_needs(&app, &coordinator_token, id).await["count"], 3);

        // A reminder to Grenoble is recorded, and said to be no e-mail.
        let reminded = app
            .post_form(
                &format!("/campagnes/{id}/relances/{}", app.org_id(GRENOBLE).await),
                Some(&coordinator),
                &[("csrf", &app.session_csrf(&coordinator).await)],
            )
            .await;
        assert_eq!(reminded.status, StatusCode::SEE_OTHER);
        let board = text(&app.get(&reminded.header("location"), Some(&coordinator)).await.body);
        assert!(board.contains("Relance enregistrée pour Grenoble. Aucun courriel n'a été envoyé"), "{board}");
        assert!(row(&board, "Grenoble").contains(" 1, le "), "{}", row(&board, "Grenoble"));

        // Grenoble's workbook uploaded back unchanged: its form needs are not doubled.
        let grenoble_csrf = app.session_csrf(&grenoble).await;
        let back = upload(&app, id, &grenoble, &grenoble_csrf, &grenoble_workbook).await;
        assert_eq!(back.status, StatusCode::SEE_OTHER, "{}", back.body);
        let summary = text(&app.get(&back.header("location"), Some(&grenoble)).await.body);
        assert!(summary.contains("aucun besoin importé ; 2 lignes identiques à des besoins saisis dans le formulaire"), "{summary}");
        assert_eq!(api_needs(&app, &grenoble_token, id).await["count"], 2);
        // A filled workbook adds its new rows.
        let mut filled: Vec<PrefillRow> = own.iter().map(PrefillRow::from).collect();
        filled.push(PrefillRow {
            cpv: Some(nomenclature().parse("30192000").unwrap()),
            description: "Papier recyclé".into(),
            annual_amount: Some(mutualis_domain::Amount::from_euros(800)),
            desired_start: Some(in_days(200)),
            ..PrefillRow::default()
        });
        let filled = write_workbook(&meta(id, GRENOBLE, "Grenoble"), &filled).unwrap();
        let back = upload(&app, id, &grenoble, &grenoble_csrf, &filled).await;
        assert!(back.header("location").contains("fait=classeur&n=1&doublons=2"));
        assert_eq!(api_needs(&app, &grenoble_token, id).await["count"], 3);

        // Deleting a need, and sending the answer by form.
        let need = api_needs(&app, &grenoble_token, id).await["needs"][0]["id"].as_i64().unwrap();
        let deleted = app
            .post_form(&format!("/campagnes/{id}/besoins/{need}/supprimer"), Some(&grenoble), &[("csrf", &grenoble_csrf)])
            .await;
        assert_eq!(deleted.status, StatusCode::SEE_OTHER);
        assert_eq!(api_needs(&app, &grenoble_token, id).await["count"], 2);
        // Another member's need is not found.
        let theirs = api_needs(&app, &echirolles_token, id).await["needs"][0]["id"].as_i64().unwrap();
        let denied = app
            .post_form(&format!("/campagnes/{id}/besoins/{theirs}/supprimer"), Some(&grenoble), &[("csrf", &grenoble_csrf)])
            .await;
        assert_eq!(denied.status, StatusCode::NOT_FOUND);
        let sent = app.post_form(&format!("/campagnes/{id}/reponse"), Some(&grenoble), &[("csrf", &grenoble_csrf)]).await;
        assert_eq!(sent.status, StatusCode::SEE_OTHER);
        assert!(text(&app.get(&sent.header("location"), Some(&grenoble)).await.body).contains("Réponse envoyée : la coordination voit que vous avez répondu."));

        // The API lists the campaign for each with what it may know.
        let mine = app.api("GET", "/api/v1/campaigns", Some(&grenoble_token), None).await.json();
        assert_eq!(mine["count"], 1);
        assert_eq!(mine["campaigns"][0]["cpv_families"], serde_json::json!(["9091", "30"]));
        assert_eq!(mine["campaigns"][0]["takes_answers"], true);
        assert!(mine["campaigns"][0]["invitation"]["answered_at"].is_string());
        assert!(mine["campaigns"][0]["progress"].is_null());
        let all = app.api("GET", "/api/v1/campaigns", Some(&coordinator_token), None).await.json();
        assert_eq!(all["campaigns"][0]["progress"], serde_json::json!({"invited": 2, "answered": 2}));
    })
    .await;
}

#[tokio::test]
async fn a_closed_campaign_refuses_every_write_with_its_reason() {
    each_backend(|db| async move {
        let app = app(db).await;
        let coordinator = app.sign_in(COORDINATOR).await;
        let id = open_campaign(&app, &coordinator).await;
        let grenoble = app.sign_in(GRENOBLE_BUYER).await;
        let csrf = app.session_csrf(&grenoble).await;
        let workbook = download(&app, id, &grenoble).await;
        // A member cannot close it.
        let refused = app
            .post_form(
                &format!("/campagnes/{id}/cloture"),
                Some(&grenoble),
                &[("csrf", &csrf)],
            )
            .await;
        assert_eq!(refused.status, StatusCode::FORBIDDEN);

        // The first post asks for a confirmation that says what closing does; nothing is
        // written.
        let coordinator_csrf = app.session_csrf(&coordinator).await;
        let asked = app
            .post_form(
                &format!("/campagnes/{id}/cloture"),
                Some(&coordinator),
                &[("csrf", &coordinator_csrf)],
            )
            .await;
        assert_eq!(asked.status, StatusCode::OK, "{}", asked.body);
        let confirm = text(&asked.body);
        assert!(
            confirm.contains("<h1>Clore la campagne « Recensement 2027 » ?</h1>"),
            "{confirm}"
        );
        assert!(confirm.contains(&format!(
            "La campagne sera close dès maintenant, avant sa date limite du {} : les membres \
             invités ne pourront plus y répondre, ni ajouter, modifier ou supprimer un besoin",
            fr(in_days(60))
        )));
        assert!(confirm.contains("Les besoins déclarés sont arrêtés tels quels : 0 besoin"));
        assert!(
            confirm.contains("Sans réponse à ce jour, et qui ne pourront plus répondre : ")
                && confirm.contains("(2 sur 2)"),
            "{confirm}"
        );
        assert!(confirm.contains("une campagne close ne se rouvre pas"));
        assert!(confirm.contains(&format!("action=\"/campagnes/{id}/cloture\"")));
        assert!(confirm.contains("name=\"confirmation\" value=\"oui\""));
        assert!(confirm.contains(&format!("name=\"csrf\" value=\"{coordinator_csrf}\"")));
        let board = text(
            &app.get(&format!("/campagnes/{id}"), Some(&coordinator))
                .await
                .body,
        );
        assert!(board.contains(">Clore la campagne</button>"), "still open");

        let closed = app
            .post_form(
                &format!("/campagnes/{id}/cloture"),
                Some(&coordinator),
                &[("csrf", &coordinator_csrf), ("confirmation", "oui")],
            )
            .await;
        assert_eq!(closed.status, StatusCode::SEE_OTHER);
        let board = text(
            &app.get(&closed.header("location"), Some(&coordinator))
                .await
                .body,
        );
        assert!(board.contains("Campagne close : elle n'accepte plus de réponse."));
        assert!(!board.contains(">Clore la campagne</button>"));
        assert!(
            !board.contains(">Relancer</button>"),
            "no reminder once closed"
        );

        let page = text(
            &app.get(&format!("/campagnes/{id}"), Some(&grenoble))
                .await
                .body,
        );
        assert!(page.contains("Close par la coordination : elle n'accepte plus de réponse."));
        assert!(!page.contains("Enregistrer le besoin") && !page.contains("Déposer le classeur"));
        let reason = "close depuis le";
        let need = app
            .post_form(
                &format!("/campagnes/{id}/besoins"),
                Some(&grenoble),
                &need_fields(&csrf, &[]),
            )
            .await;
        assert_eq!(need.status, StatusCode::CONFLICT);
        let body = text(&need.body);
        assert!(
            body.contains("Refusé : rien n'a été enregistré") && body.contains(reason),
            "{body}"
        );
        let answer = app
            .post_form(
                &format!("/campagnes/{id}/reponse"),
                Some(&grenoble),
                &[("csrf", &csrf)],
            )
            .await;
        assert_eq!(answer.status, StatusCode::CONFLICT);
        assert!(text(&answer.body).contains(reason));
        let upload = upload(&app, id, &grenoble, &csrf, &workbook).await;
        assert_eq!(upload.status, StatusCode::CONFLICT);
        assert!(text(&upload.body).contains(reason));
        // Its workbook can still be read, and the list says it is closed.
        download(&app, id, &grenoble).await;
        let list = text(&app.get("/campagnes", Some(&grenoble)).await.body);
        assert!(list.contains("<td>close</td>"));
    })
    .await;
}

#[tokio::test]
async fn who_is_not_invited_finds_nothing_and_suppliers_are_refused() {
    each_backend(|db| async move {
        let app = app(db).await;
        let coordinator = app.sign_in(COORDINATOR).await;
        let id = open_campaign(&app, &coordinator).await;

        let fontaine = app.sign_in(FONTAINE_BUYER).await;
        let csrf = app.session_csrf(&fontaine).await;
        for path in [
            format!("/campagnes/{id}"),
            format!("/campagnes/{id}/classeur"),
            format!("/campagnes/{}", id + 1),
            "/campagnes/abc".into(),
        ] {
            let page = app.get(&path, Some(&fontaine)).await;
            assert_eq!(page.status, StatusCode::NOT_FOUND, "{path}");
            assert!(page.body.contains("<h1>Page introuvable</h1>"));
            assert!(!page.body.contains("Recensement 2027"));
        }
        let need = app
            .post_form(
                &format!("/campagnes/{id}/besoins"),
                Some(&fontaine),
                &need_fields(&csrf, &[]),
            )
            .await;
        assert_eq!(need.status, StatusCode::NOT_FOUND);
        let token = app.create_token(&fontaine, "campagnes").await;
        let api = app
            .api(
                "GET",
                &format!("/api/v1/campaigns/{id}/needs"),
                Some(&token),
                None,
            )
            .await;
        assert_eq!(api.status, StatusCode::NOT_FOUND);
        assert_eq!(api.json()["code"], "not_found");
        assert_eq!(
            app.api("GET", "/api/v1/campaigns", Some(&token), None)
                .await
                .json()["count"],
            0
        );
        // The coordinator's organisation is not invited: no workbook of its own.
        assert_eq!(
            get_bytes(&app, &format!("/campagnes/{id}/classeur"), &coordinator)
                .await
                .0,
            StatusCode::NOT_FOUND
        );
        // A reminder to a member not invited: not found.
        let fontaine_id = app.org_id(FONTAINE).await;
        let reminder = app
            .post_form(
                &format!("/campagnes/{id}/relances/{fontaine_id}"),
                Some(&coordinator),
                &[("csrf", &app.session_csrf(&coordinator).await)],
            )
            .await;
        assert_eq!(reminder.status, StatusCode::NOT_FOUND);

        let supplier = app.sign_in(SUPPLIER).await;
        for path in [
            "/campagnes".to_owned(),
            "/campagnes/nouvelle".into(),
            format!("/campagnes/{id}"),
            format!("/campagnes/{id}/classeur"),
        ] {
            let page = app.get(&path, Some(&supplier)).await;
            assert_eq!(page.status, StatusCode::FORBIDDEN, "{path}");
            assert!(page.body.contains("<h1>Accès refusé</h1>"));
        }
        assert!(
            !app.get("/", Some(&supplier))
                .await
                .body
                .contains("href=\"/campagnes\""),
            "no nav link"
        );
        let token = app.create_token(&supplier, "campagnes").await;
        for path in [
            "/api/v1/campaigns".to_owned(),
            format!("/api/v1/campaigns/{id}/needs"),
        ] {
            let reply = app.api("GET", &path, Some(&token), None).await;
            assert_eq!(reply.status, StatusCode::FORBIDDEN, "{path}");
            assert_eq!(reply.json()["code"], "forbidden");
        }
        assert_eq!(
            app.api("GET", "/api/v1/campaigns", None, None).await.status,
            StatusCode::UNAUTHORIZED
        );
        // Signed out: to the sign-in page, and back here afterwards.
        let anonymous = app.get(&format!("/campagnes/{id}"), None).await;
        assert_eq!(anonymous.status, StatusCode::SEE_OTHER);
        assert_eq!(
            anonymous.header("location"),
            format!("/connexion?suite=%2Fcampagnes%2F{id}")
        );

        // The OpenAPI document describes both endpoints.
        let doc = app.get("/api/v1/openapi.json", None).await.json();
        for path in ["/api/v1/campaigns", "/api/v1/campaigns/{id}/needs"] {
            assert!(doc["paths"].get(path).is_some(), "{path}");
        }
    })
    .await;
}

#[tokio::test]
async fn every_post_needs_the_sessions_csrf_token() {
    each_backend(|db| async move {
        let app = app(db).await;
        let coordinator = app.sign_in(COORDINATOR).await;
        let id = open_campaign(&app, &coordinator).await;
        let grenoble = app.sign_in(GRENOBLE_BUYER).await;
        let token = app.create_token(&grenoble, "campagnes").await;
        let csrf = app.session_csrf(&grenoble).await;
        let added = app
            .post_form(
                &format!("/campagnes/{id}/besoins"),
                Some(&grenoble),
                &need_fields(&csrf, &[]),
            )
            .await;
        assert_eq!(added.status, StatusCode::SEE_OTHER);
        let need = api_needs(&app, &token, id).await["needs"][0]["id"]
            .as_i64()
            .unwrap();
        let grenoble_id = app.org_id(GRENOBLE).await;

        for forged in ["", "forged"] {
            let created = post_campaign_forged(&app, &coordinator, forged, grenoble_id).await;
            assert_eq!(
                created.status,
                StatusCode::FORBIDDEN,
                "create, csrf {forged:?}"
            );
            for (cookies, path, fields) in [
                (
                    &grenoble,
                    format!("/campagnes/{id}/besoins"),
                    need_fields(forged, &[]),
                ),
                (
                    &grenoble,
                    format!("/campagnes/{id}/besoins/{need}/supprimer"),
                    vec![("csrf", forged)],
                ),
                (
                    &grenoble,
                    format!("/campagnes/{id}/reponse"),
                    vec![("csrf", forged)],
                ),
                (
                    &coordinator,
                    format!("/campagnes/{id}/relances/{grenoble_id}"),
                    vec![("csrf", forged)],
                ),
                (
                    &coordinator,
                    format!("/campagnes/{id}/cloture"),
                    vec![("csrf", forged)],
                ),
            ] {
                let fields: Vec<(&str, &str)> = fields
                    .into_iter()
                    .filter(|(k, v)| *k != "csrf" || !v.is_empty())
                    .collect();
                let reply = app.post_form(&path, Some(cookies), &fields).await;
                assert_eq!(
                    reply.status,
                    StatusCode::FORBIDDEN,
                    "{path}, csrf {forged:?}"
                );
                assert!(reply.body.contains("<h1>Accès refusé</h1>"));
            }
            let workbook = download(&app, id, &grenoble).await;
            let uploaded = upload(&app, id, &grenoble, forged, &workbook).await;
            assert_eq!(
                uploaded.status,
                StatusCode::FORBIDDEN,
                "upload, csrf {forged:?}"
            );
        }
        // Nothing changed.
        let needs = api_needs(&app, &token, id).await;
        assert_eq!(needs["count"], 1);
        assert_eq!(needs["needs"][0]["source"], "form");
        let coordinator_token = app.create_token(&coordinator, "campagnes").await;
        let list = app
            .api("GET", "/api/v1/campaigns", Some(&coordinator_token), None)
            .await
            .json();
        assert_eq!(list["count"], 1);
        let campaign = &list["campaigns"][0];
        assert_eq!(campaign["status"], "open");
        assert_eq!(campaign["progress"]["answered"], 0);
        let board = text(
            &app.get(&format!("/campagnes/{id}"), Some(&coordinator))
                .await
                .body,
        );
        assert_eq!(
            board.matches("<td>aucune</td>").count(),
            2,
            "no reminder recorded"
        );
    })
    .await;
}

async fn post_campaign_forged(app: &App, cookies: &str, csrf: &str, member: i64) -> common::Reply {
    let member = member.to_string();
    let mut fields = vec![
        ("titre", "Recensement"),
        ("ouverture", "01/01/2026"),
        ("cloture", "31/12/2099"),
        ("familles", "30"),
        ("membres", member.as_str()),
    ];
    if !csrf.is_empty() {
        fields.push(("csrf", csrf));
    }
    app.post_form("/campagnes/nouvelle", Some(cookies), &fields)
        .await
}

#[tokio::test]
async fn a_workbook_too_large_is_refused_with_a_clear_message() {
    each_backend(|db| async move {
        let app = app(db).await;
        let coordinator = app.sign_in(COORDINATOR).await;
        let id = open_campaign(&app, &coordinator).await;
        let grenoble = app.sign_in(GRENOBLE_BUYER).await;
        let csrf = app.session_csrf(&grenoble).await;
        let huge = vec![b'x'; 6 * 1024 * 1024];
        let reply = upload(&app, id, &grenoble, &csrf, &huge).await;
        assert_eq!(reply.status, StatusCode::PAYLOAD_TOO_LARGE);
        let body = text(&reply.body);
        assert!(body.contains("id=\"classeur-erreur\">Le fichier dépasse 5 Mo, la taille maximale d'un classeur : rien n'a été enregistré."), "{body}");
        assert!(body.contains("(.xlsx, 5 Mo au plus)"), "the limit is stated before upload");
        // A form without any file says so next to the field.
        let (content_type, body) = {
            let boundary = "b";
            (
                format!("multipart/form-data; boundary={boundary}"),
                format!("--{boundary}\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{csrf}\r\n--{boundary}--\r\n"),
            )
        };
        let missing = app
            .send(
                Request::post(format!("/campagnes/{id}/classeur"))
                    .header(header::COOKIE, &grenoble)
                    .header(header::CONTENT_TYPE, content_type)
                    .body(Body::from(body))
                    .unwrap(),
            )
            .await;
        assert_eq!(missing.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(missing.body.contains("id=\"classeur-erreur\">Choisissez le classeur rempli (.xlsx) à déposer."));
    })
    .await;
}

/// A workbook of the template with its part `name` replaced by `xml`.
fn with_part(workbook: &[u8], name: &str, xml: &str) -> Vec<u8> {
    use std::io::Write;
    let mut source = zip::ZipArchive::new(std::io::Cursor::new(workbook)).unwrap();
    let mut out = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for i in 0..source.len() {
        let part = source.by_index(i).unwrap();
        if part.name().unwrap() != name {
            out.raw_copy_file(part).unwrap();
        }
    }
    out.start_file(name, zip::write::SimpleFileOptions::default())
        .unwrap();
    out.write_all(xml.as_bytes()).unwrap();
    out.finish().unwrap().into_inner()
}

#[tokio::test]
async fn a_workbook_bomb_is_refused_with_its_limit_and_the_server_keeps_serving() {
    each_backend(|db| async move {
        let app = app(db).await;
        let coordinator = app.sign_in(COORDINATOR).await;
        let id = open_campaign(&app, &coordinator).await;
        let grenoble = app.sign_in(GRENOBLE_BUYER).await;
        let good = write_workbook(&meta(id, GRENOBLE, "Grenoble"), &[]).unwrap();
        let main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main";
        // Two kilobytes declaring the whole grid, cells A1 and XFD1048576: the grid was built.
        let grid = with_part(
            &good,
            "xl/worksheets/sheet1.xml",
            &format!(
                r#"<worksheet xmlns="{main}"><dimension ref="A1:XFD1048576"/><sheetData><row r="1"><c r="A1"><v>1</v></c></row><row r="1048576"><c r="XFD1048576"><v>1</v></c></row></sheetData></worksheet>"#
            ),
        );
        // A billion shared strings declared: room was reserved for them.
        let strings = with_part(
            &good,
            "xl/sharedStrings.xml",
            &format!(r#"<sst xmlns="{main}" count="1000000000" uniqueCount="1000000000"></sst>"#),
        );
        for (bomb, limit) in [
            (grid, format!("au plus {MAX_SHEET_ROWS} lignes")),
            (strings, format!("{MAX_SHARED_STRINGS} textes")),
        ] {
            assert!(bomb.len() < 20_000);
            let csrf = app.session_csrf(&grenoble).await;
            let reply = upload(&app, id, &grenoble, &csrf, &bomb).await;
            assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
            assert!(text(&reply.body).contains(&limit), "{}", reply.body);
            let page = app.get(&format!("/campagnes/{id}"), Some(&grenoble)).await;
            assert_eq!(page.status, StatusCode::OK);
        }
    })
    .await;
}

/// The application's clock moved, not waited for: a campaign takes answers on its closing day
/// and refuses them the day after, the page saying it is over.
#[tokio::test]
async fn past_its_closing_day_a_campaign_refuses_answers_without_anyone_waiting() {
    each_backend(|db| async move {
        let app = app(db).await;
        let coordinator = app.sign_in(COORDINATOR).await;
        let grenoble = app.sign_in(GRENOBLE_BUYER).await;
        // Open from today for 30 days.
        let id = app.campaign_inviting(&coordinator, &grenoble).await;
        let closing_day = app.clock.today() + Days::new(30);
        let desired_start = fr(closing_day + Days::new(60));
        let declare = |cookies: String| {
            let app = &app;
            let desired_start = desired_start.clone();
            async move {
                let csrf = app.session_csrf(&cookies).await;
                app.post_form(
                    &format!("/campagnes/{id}/besoins"),
                    Some(&cookies),
                    &need_fields(&csrf, &[("debut", &desired_start)]),
                )
                .await
            }
        };
        // On its closing day (a month later: the sessions have expired, so sign in again).
        app.clock.advance(chrono::TimeDelta::days(30));
        assert_eq!(app.clock.today(), closing_day);
        let grenoble = app.sign_in(GRENOBLE_BUYER).await;
        let accepted = declare(grenoble.clone()).await;
        assert_eq!(
            accepted.status,
            StatusCode::SEE_OTHER,
            "{}",
            text(&accepted.body)
        );
        // The day after.
        app.clock.advance(chrono::TimeDelta::days(1));
        let grenoble = app.sign_in(GRENOBLE_BUYER).await;
        let refused = declare(grenoble.clone()).await;
        assert_eq!(refused.status, StatusCode::CONFLICT);
        assert!(
            text(&refused.body).contains(&format!(
                "est close depuis le {} : elle n'accepte plus de réponse",
                fr(closing_day)
            )),
            "{}",
            text(&refused.body)
        );
        let page = text(
            &app.get(&format!("/campagnes/{id}"), Some(&grenoble))
                .await
                .body,
        );
        assert!(
            page.contains(&format!(
                "Terminée : la date limite du {} est passée",
                fr(closing_day)
            )),
            "{page}"
        );
        // One need: the one of the closing day.
        let coordinator = app.sign_in(COORDINATOR).await;
        let needs = app
            .api(
                "GET",
                &format!("/api/v1/campaigns/{id}/needs"),
                Some(&app.create_token(&coordinator, "relevé").await),
                None,
            )
            .await;
        assert_eq!(
            needs.json()["needs"].as_array().map(Vec::len),
            Some(1),
            "{}",
            needs.body
        );
    })
    .await;
}

/// Each campaign page offers the actions the domain's campaign policy gives its user on that
/// day, and only those: the need form and the answer to an invited member while the campaign
/// takes answers; reminders while it takes answers and closing until it is closed to its
/// coordinator. Every action offered is accepted; every action hidden is refused, whatever
/// is posted. Upcoming, open, ended and closed, on the application's clock.
#[tokio::test]
async fn each_campaign_page_offers_what_the_policy_allows_and_every_other_action_is_refused() {
    use mutualis_domain::campaign::{CampaignAction, Stage};
    each_backend(|db| async move {
        let app = app(db).await;
        let coordinator = app.sign_in(COORDINATOR).await;
        let grenoble = app.sign_in(GRENOBLE_BUYER).await;
        let open = app.campaign_inviting(&coordinator, &grenoble).await;
        // A second campaign, opening in 5 days.
        let c = app.principal(&coordinator).await;
        let member = app.principal(&grenoble).await;
        let today = app.clock.today();
        let upcoming = app
            .db
            .create_campaign(
                c.scope().territory_wide().unwrap(),
                c.organisation_id(),
                &mutualis_storage::campaigns::NewCampaign {
                    title: "Recensement à venir".into(),
                    opens_on: today + Days::new(5),
                    closes_on: today + Days::new(60),
                    cpv_families: vec!["9091".into()],
                },
                &[member.organisation_id()],
                app.clock.now(),
            )
            .await
            .unwrap();
        let grenoble_org = member.organisation_id();

        // What the pages offer and what is accepted, against what the policy gives.
        let check = |id: i64, stage: Stage| {
            let app = &app;
            async move {
                let coordinator = app.sign_in(COORDINATOR).await;
                let grenoble = app.sign_in(GRENOBLE_BUYER).await;
                for (cookies, email) in [(&grenoble, GRENOBLE_BUYER), (&coordinator, COORDINATOR)] {
                    let principal = app.principal(cookies).await;
                    let summary = app
                        .db
                        .campaign(principal.scope(), id)
                        .await
                        .unwrap()
                        .unwrap();
                    assert_eq!(summary.campaign.period().stage_on(app.clock.today()), stage);
                    let expected = mutualis_domain::campaign::available_actions(
                        mutualis_domain::campaign::CampaignActor {
                            role: principal.role(),
                            owner: summary.progress.is_some(),
                            invited: summary.invitation.is_some(),
                        },
                        summary.campaign.period(),
                        app.clock.today(),
                    );
                    let page = app.get(&format!("/campagnes/{id}"), Some(cookies)).await;
                    assert_eq!(page.status, StatusCode::OK);
                    let offers = |path: &str| {
                        page.body
                            .contains(&format!("action=\"/campagnes/{id}{path}"))
                    };
                    let offered = [
                        (CampaignAction::Answer, offers("/besoins\"")),
                        (CampaignAction::Remind, offers("/relances/")),
                        (CampaignAction::Close, offers("/cloture\"")),
                    ];
                    for (action, shown) in offered {
                        assert_eq!(
                            shown,
                            expected.contains(&action),
                            "{email}, {stage:?}: {action:?} shown {shown}"
                        );
                    }
                    let csrf = app.session_csrf(cookies).await;
                    let start = fr(app.clock.today() + Days::new(400));
                    // Answering: a need declared.
                    if summary.invitation.is_some() {
                        let reply = app
                            .post_form(
                                &format!("/campagnes/{id}/besoins"),
                                Some(cookies),
                                &need_fields(&csrf, &[("debut", &start)]),
                            )
                            .await;
                        let accepted = reply.status == StatusCode::SEE_OTHER;
                        assert!(
                            accepted || reply.status.is_client_error(),
                            "{}",
                            reply.status
                        );
                        assert_eq!(
                            accepted,
                            expected.contains(&CampaignAction::Answer),
                            "{email}, {stage:?}: answer {}",
                            reply.status
                        );
                    }
                    // Reminding Grenoble, which has not answered.
                    let reply = app
                        .post_form(
                            &format!("/campagnes/{id}/relances/{grenoble_org}"),
                            Some(cookies),
                            &[("csrf", &csrf)],
                        )
                        .await;
                    assert_eq!(
                        reply.status == StatusCode::SEE_OTHER,
                        expected.contains(&CampaignAction::Remind),
                        "{email}, {stage:?}: remind {}",
                        reply.status
                    );
                    assert!(
                        reply.status.is_redirection() || reply.status.is_client_error(),
                        "{email}, {stage:?}: remind {}",
                        reply.status
                    );
                    // Storage refuses what the policy does not give, whatever the page does.
                    if !expected.contains(&CampaignAction::Remind) {
                        assert!(
                            app.db
                                .record_reminder(
                                    principal.scope(),
                                    id,
                                    grenoble_org,
                                    app.clock.today(),
                                    app.clock.now()
                                )
                                .await
                                .is_err(),
                            "{email}, {stage:?}: storage took a reminder"
                        );
                    }
                }
            }
        };

        check(upcoming, Stage::Upcoming).await;
        check(open, Stage::Open).await;
        // A month later, the first campaign has ended; the second is open.
        app.clock.advance(chrono::TimeDelta::days(31));
        check(open, Stage::Ended).await;
        check(upcoming, Stage::Open).await;
        // Closed by its coordinator, confirmed.
        let coordinator = app.sign_in(COORDINATOR).await;
        let csrf = app.session_csrf(&coordinator).await;
        let closed = app
            .post_form(
                &format!("/campagnes/{open}/cloture"),
                Some(&coordinator),
                &[("csrf", &csrf), ("confirmation", "oui")],
            )
            .await;
        assert_eq!(closed.status, StatusCode::SEE_OTHER);
        check(open, Stage::Closed).await;
        // Storage refuses to close it again.
        let c = app.principal(&coordinator).await;
        assert!(
            app.db
                .close_campaign(c.scope(), open, app.clock.today(), app.clock.now())
                .await
                .is_err()
        );
    })
    .await;
}
