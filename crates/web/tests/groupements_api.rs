//! The groupements in the JSON API, on both backends: what the coordinator, an invited commune,
//! a commune never invited, a supplier and the mediator read through `/api/v1/groupements`;
//! after the award, each member reads only its own contracts, and the coordinator every
//! member's, adding up to each lot's awarded total.
//!
//! The groupements are made directly through storage (as `crates/storage/tests/groupements.rs`
//! does), with fixed dates: the API only reads them.

#![allow(clippy::unwrap_used)] // a test that cannot unwrap has failed

mod common;

use axum::http::StatusCode;
use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use common::{App, COORDINATOR, ECHIROLLES_BUYER, GRENOBLE_APPROVER, GRENOBLE_BUYER, Reply};
use mutualis_app::Clock;
use mutualis_domain::groupement::{
    Action, Award, CostSharing, Deliberation, Lot, LotAward, LotNeed, Mission, NewGroupement,
    Signature,
};
use mutualis_domain::{Amount, Organisation, OrganisationKind, Quantity, Role, Siren, Siret};
use mutualis_reference::cpv::nomenclature;
use mutualis_storage::Principal;
use mutualis_test_db::{add_establishment, each_backend};
use serde_json::Value;

const METRO: &str = "200040715";
const GRENOBLE: &str = "213801855";
const ECHIROLLES: &str = "213801517";
const FONTAINE: &str = "213801699";
const FONTAINE_BUYER: &str = "achats@fontaine.test";
const SUPPLIER_EMAIL: &str = "commercial@energie-alpes.test";
const MEDIATOR_EMAIL: &str = "mediation@lametro.test";
/// The establishments the award makes the communes' contracts out to (the métropole has its
/// own in the territory's data).
const GRENOBLE_SIRET: &str = "21380185500007";
const ECHIROLLES_SIRET: &str = "21380151700011";
/// The supplier the lots are awarded to.
const SUPPLIER_SIRET: &str = "91234567500017";

fn date(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

fn siren(s: &str) -> Siren {
    Siren::parse(s).unwrap()
}

/// The `n`-th minute after 10 January 2027, 9 o'clock.
fn at(n: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2027, 1, 10, 9, 0, 0).single().unwrap() + Duration::minutes(n)
}

/// Everyone's principal (for storage) and API token.
struct World {
    app: App,
    /// The coordinator's session, for the pages.
    coordinator_cookies: String,
    coordinator: Principal,
    grenoble: Principal,
    echirolles: Principal,
    coordinator_token: String,
    grenoble_token: String,
    echirolles_token: String,
    approver_token: String,
    fontaine_token: String,
    supplier_token: String,
    mediator_token: String,
}

/// The harness's accounts, plus a buyer of Fontaine (never invited), a supplier and the
/// mediator; SIRETs for Grenoble and Échirolles; a token for each.
async fn world(db: mutualis_storage::Database) -> World {
    let app = App::new(db).await;
    add_establishment(&app.db, GRENOBLE_SIRET).await;
    add_establishment(&app.db, ECHIROLLES_SIRET).await;
    app.add_account(FONTAINE, Role::MemberBuyer, FONTAINE_BUYER)
        .await;
    app.db
        .upsert_organisation(
            &Organisation {
                siren: siren("912345675"),
                name: "Énergie des Alpes".into(),
                kind: OrganisationKind::Company,
                insee_code: None,
                population: None,
                establishments: vec![Siret::parse(SUPPLIER_SIRET).unwrap()],
            },
            app.clock.now(),
        )
        .await
        .unwrap();
    app.add_account("912345675", Role::Supplier, SUPPLIER_EMAIL)
        .await;
    app.add_account(METRO, Role::Mediator, MEDIATOR_EMAIL).await;

    let coordinator = app.sign_in(COORDINATOR).await;
    let grenoble = app.sign_in(GRENOBLE_BUYER).await;
    let echirolles = app.sign_in(ECHIROLLES_BUYER).await;
    let mut tokens = Vec::new();
    for email in [
        COORDINATOR,
        GRENOBLE_BUYER,
        ECHIROLLES_BUYER,
        GRENOBLE_APPROVER,
        FONTAINE_BUYER,
        SUPPLIER_EMAIL,
        MEDIATOR_EMAIL,
    ] {
        let cookies = app.sign_in(email).await;
        tokens.push(app.create_token(&cookies, "groupements").await);
    }
    let [c, g, e, a, f, s, m] = <[String; 7]>::try_from(tokens).unwrap();
    World {
        coordinator: app.principal(&coordinator).await,
        grenoble: app.principal(&grenoble).await,
        echirolles: app.principal(&echirolles).await,
        coordinator_cookies: coordinator,
        app,
        coordinator_token: c,
        grenoble_token: g,
        echirolles_token: e,
        approver_token: a,
        fontaine_token: f,
        supplier_token: s,
        mediator_token: m,
    }
}

impl World {
    async fn get(&self, token: &str, path: &str) -> Reply {
        self.app.api("GET", path, Some(token), None).await
    }

    /// A 200 answer's JSON.
    async fn json(&self, token: &str, path: &str) -> Value {
        let reply = self.get(token, path).await;
        assert_eq!(reply.status, StatusCode::OK, "{path}: {}", reply.body);
        reply.json()
    }

    /// Drafts an energy groupement of the métropole (two lots, by volume): version 1.
    async fn create(&self, title: &str) -> i64 {
        let cpv = |code: &str| nomenclature().parse(code).unwrap();
        self.app
            .db
            .create_groupement(
                self.coordinator.scope().territory_wide().unwrap(),
                self.coordinator.organisation_id(),
                NewGroupement {
                    coordinator: siren(METRO),
                    coordinator_name: "Grenoble-Alpes-Métropole".into(),
                    coordinator_population: Some(449_509),
                    title: title.into(),
                    cpv: cpv("09000000-3"),
                    lots: vec![
                        Lot {
                            number: 1,
                            title: "Gaz naturel".into(),
                            cpv: cpv("09123000-7"),
                        },
                        Lot {
                            number: 2,
                            title: "Électricité".into(),
                            cpv: cpv("09310000-5"),
                        },
                    ],
                    mission: Mission::AwardOnly,
                    cost_sharing: CostSharing::ByVolume,
                    duration_months: 48,
                    adhesion_deadline: date("2027-03-01"),
                    proposed_start: None,
                    created_on: date("2027-01-10"),
                },
                None,
                self.coordinator.email.as_str(),
                at(0),
            )
            .await
            .unwrap()
    }

    /// Applies the actions in order, each by its principal, from `version`; the new version.
    async fn act(&self, id: i64, version: i64, steps: Vec<(&Principal, Action)>) -> i64 {
        let mut version = version;
        for (who, action) in steps {
            let code = action.code();
            version = self
                .app
                .db
                .apply_groupement_action(
                    who.scope(),
                    id,
                    version,
                    action,
                    who.email.as_str(),
                    at(version),
                    nomenclature(),
                )
                .await
                .unwrap_or_else(|e| panic!("{code} by {}: {e}", who.email))
                .version;
        }
        version
    }
}

fn invite(s: &str, name: &str, population: u32) -> Action {
    Action::Invite {
        member: siren(s),
        name: name.into(),
        population: Some(population),
    }
}

fn join(s: &str, on: &str) -> Action {
    Action::Join {
        member: siren(s),
        on: date(on),
    }
}

fn need(lot: u32, s: &str, cents: i64, mwh: Option<i64>) -> Action {
    Action::SetNeed(LotNeed {
        lot,
        member: siren(s),
        quantity: mwh.map(|m| Quantity {
            thousandths: m * 1000,
            unit: "MWh".into(),
        }),
        estimated_amount: Amount::from_cents(cents),
        // Entered by the member itself.
        confirmed: true,
    })
}

fn sign(s: &str, on: &str, signatory: &str) -> Action {
    Action::Sign(Signature {
        member: siren(s),
        signed_on: date(on),
        signatory: signatory.into(),
        deliberation: Deliberation {
            reference: format!("DEL-2027-{}", &s[..3]),
            adopted_on: date("2027-02-15"),
        },
    })
}

/// The groupement of this id in a list answer.
fn listed(list: &Value, id: i64) -> Option<Value> {
    list["groupements"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["id"] == id)
        .cloned()
}

/// The member of this SIREN in a detail answer.
fn member<'a>(detail: &'a Value, s: &str) -> &'a Value {
    detail["members"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["siren"] == s)
        .unwrap_or_else(|| panic!("member {s} in {detail}"))
}

fn lot(detail: &Value, number: u32) -> &Value {
    detail["lots"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["number"] == number)
        .unwrap()
}

/// The contracts of a detail answer as (member SIREN, lot, amount in cents).
fn contracts(detail: &Value) -> Vec<(String, u64, i64)> {
    detail["contracts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["member_siren"].as_str().unwrap().to_owned(),
                c["lot"].as_u64().unwrap(),
                c["amount_cents"].as_i64().unwrap(),
            )
        })
        .collect()
}

/// A member that withdraws: its need leaves the lot's needs and total, and it still reads the
/// groupement it left, with its status and its own needs on record.
#[tokio::test]
async fn a_withdrawn_members_need_leaves_the_lot_total() {
    each_backend(|db| async move {
        let w = world(db).await;
        let (c, g, e) = (&w.coordinator, &w.grenoble, &w.echirolles);
        let id = w.create("Fourniture d'énergie 2028-2031").await;
        let version = w
            .act(
                id,
                1,
                vec![
                    (c, invite(GRENOBLE, "Ville de Grenoble", 158_198)),
                    (c, invite(ECHIROLLES, "Ville d'Échirolles", 36_926)),
                    (c, Action::Open),
                    (g, join(GRENOBLE, "2027-02-01")),
                    (e, join(ECHIROLLES, "2027-02-01")),
                    (c, need(1, METRO, 30_000_000, None)),
                    (g, need(1, GRENOBLE, 20_000_000, None)),
                    (e, need(1, ECHIROLLES, 10_000_000, Some(1_500))),
                ],
            )
            .await;
        let path = format!("/api/v1/groupements/{id}");
        let detail = w.json(&w.coordinator_token, &path).await;
        assert_eq!(lot(&detail, 1)["total_cents"], 60_000_000);

        w.act(
            id,
            version,
            vec![(
                e,
                Action::Withdraw {
                    member: siren(ECHIROLLES),
                    on: date("2027-02-10"),
                },
            )],
        )
        .await;
        let detail = w.json(&w.coordinator_token, &path).await;
        assert_eq!(member(&detail, ECHIROLLES)["status"]["code"], "withdrawn");
        let lot1 = lot(&detail, 1);
        assert_eq!(lot1["total_cents"], 50_000_000, "{lot1}");
        let members: Vec<&str> = lot1["needs"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n["member_siren"].as_str().unwrap())
            .collect();
        assert_eq!(members, [METRO, GRENOBLE]);

        // Échirolles still reads it: its withdrawal, and its own needs on record.
        let theirs = w.json(&w.echirolles_token, &path).await;
        assert_eq!(theirs["own"]["status"]["code"], "withdrawn");
        assert_eq!(theirs["own"]["status"]["answered_on"], "2027-02-10");
        assert_eq!(
            theirs["own"]["needs"][0]["estimated_amount_cents"],
            10_000_000
        );
        assert_eq!(lot(&theirs, 1)["total_cents"], 50_000_000);
        let list = w.json(&w.echirolles_token, "/api/v1/groupements").await;
        assert_eq!(list["count"], 1, "{list}");
    })
    .await;
}

#[tokio::test]
async fn the_coordinator_and_invited_communes_see_a_groupement_and_no_one_else() {
    each_backend(|db| async move {
        let w = world(db).await;
        let (c, e) = (&w.coordinator, &w.echirolles);
        // Invited: Grenoble (no answer) and Échirolles (joined, with a need).
        let id = w.create("Fourniture d'énergie 2028-2031").await;
        let version = w
            .act(
                id,
                1,
                vec![
                    (c, invite(GRENOBLE, "Ville de Grenoble", 158_198)),
                    (c, invite(ECHIROLLES, "Ville d'Échirolles", 36_926)),
                    (c, Action::Open),
                    (e, join(ECHIROLLES, "2027-02-01")),
                    (e, need(1, ECHIROLLES, 10_000_000, Some(1_500))),
                    (c, need(1, METRO, 30_000_000, None)),
                    (c, need(2, METRO, 5_000_050, None)),
                ],
            )
            .await;
        // A draft nobody is invited to yet.
        let draft = w.create("Carburants 2028").await;

        // The coordinator: both, with their counts and its own status.
        let list = w.json(&w.coordinator_token, "/api/v1/groupements").await;
        assert_eq!(list["count"], 2, "{list}");
        let g = listed(&list, id).unwrap();
        assert_eq!(g["version"], version);
        assert_eq!(g["title"], "Fourniture d'énergie 2028-2031");
        assert_eq!(g["cpv"]["code"], "09000000-3");
        assert!(!g["cpv"]["label"].as_str().unwrap().is_empty(), "{g}");
        assert_eq!(g["status"]["code"], "open_for_adhesion");
        assert_eq!(g["status"]["label"], "Ouvert aux adhésions");
        assert_eq!(g["coordinator_siren"], METRO);
        assert_eq!(g["joined_count"], 2);
        assert_eq!(g["invited_count"], 1);
        assert_eq!(g["own_status"]["code"], "joined");
        assert_eq!(g["own_status"]["answered_on"], "2027-01-10");
        assert_eq!(listed(&list, draft).unwrap()["status"]["code"], "draft");

        let path = format!("/api/v1/groupements/{id}");
        let detail = w.json(&w.coordinator_token, &path).await;
        assert_eq!(detail["id"], id);
        assert_eq!(detail["version"], version);
        assert_eq!(detail["mission"], "award_only");
        assert_eq!(detail["cost_sharing"]["code"], "by_volume");
        assert_eq!(detail["cost_sharing"]["fixed_shares"], Value::Null);
        assert_eq!(detail["duration_months"], 48);
        assert_eq!(detail["adhesion_deadline"], "2027-03-01");
        let sirens: Vec<&str> = detail["members"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["siren"].as_str().unwrap())
            .collect();
        assert_eq!(sirens, [METRO, GRENOBLE, ECHIROLLES]);
        assert_eq!(member(&detail, METRO)["is_coordinator"], true);
        assert_eq!(member(&detail, GRENOBLE)["status"]["code"], "invited");
        assert_eq!(
            member(&detail, GRENOBLE)["status"]["answered_on"],
            Value::Null
        );
        assert_eq!(member(&detail, GRENOBLE)["population"], 158_198);
        assert_eq!(member(&detail, ECHIROLLES)["status"]["code"], "joined");
        assert_eq!(
            member(&detail, ECHIROLLES)["status"]["answered_on"],
            "2027-02-01"
        );
        assert_eq!(member(&detail, ECHIROLLES)["signature"], Value::Null);
        // The needs of every member, with their quantity, and each lot's total.
        let lot1 = lot(&detail, 1);
        assert_eq!(lot1["title"], "Gaz naturel");
        assert_eq!(lot1["cpv"], "09123000-7");
        assert_eq!(lot1["total_cents"], 40_000_000);
        assert_eq!(lot1["award"], Value::Null);
        let needs = lot1["needs"].as_array().unwrap();
        assert_eq!(needs.len(), 2);
        let theirs = needs
            .iter()
            .find(|n| n["member_siren"] == ECHIROLLES)
            .unwrap();
        assert_eq!(theirs["estimated_amount_cents"], 10_000_000);
        assert_eq!(theirs["quantity"]["thousandths"], 1_500_000);
        assert_eq!(theirs["quantity"]["unit"], "MWh");
        assert_eq!(theirs["confirmed"], true, "entered by the member itself");
        assert_eq!(detail["proposed_start"], Value::Null);
        assert_eq!(lot(&detail, 2)["total_cents"], 5_000_050);
        assert_eq!(detail["contracts"], serde_json::json!([]));
        assert_eq!(detail["awards"], serde_json::json!([]));
        assert_eq!(detail["consultation_started_on"], Value::Null);
        let own = &detail["own"];
        assert_eq!(own["siren"], METRO);
        assert_eq!(own["is_coordinator"], true);
        assert_eq!(own["status"]["code"], "joined");
        let own_lots: Vec<(i64, i64)> = own["needs"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| {
                (
                    n["lot"].as_i64().unwrap(),
                    n["estimated_amount_cents"].as_i64().unwrap(),
                )
            })
            .collect();
        assert_eq!(own_lots, [(1, 30_000_000), (2, 5_000_050)]);

        // Grenoble, invited: the groupement with its own status, not the draft.
        {
            let token = &w.grenoble_token;
            let list = w.json(token, "/api/v1/groupements").await;
            assert_eq!(list["count"], 1, "{list}");
            let g = listed(&list, id).unwrap();
            assert_eq!(g["own_status"]["code"], "invited");
            assert_eq!(g["own_status"]["label"], "invitation sans réponse");
            let detail = w.json(token, &path).await;
            assert_eq!(detail["own"]["siren"], GRENOBLE);
            assert_eq!(detail["own"]["is_coordinator"], false);
            assert_eq!(detail["own"]["status"]["code"], "invited");
            assert_eq!(detail["own"]["needs"], serde_json::json!([]));
            assert_eq!(detail["lots"].as_array().unwrap().len(), 2);
            assert_eq!(
                w.get(token, &format!("/api/v1/groupements/{draft}"))
                    .await
                    .status,
                StatusCode::NOT_FOUND
            );
        }
        // Échirolles, joined: its own need.
        let detail = w.json(&w.echirolles_token, &path).await;
        assert_eq!(detail["own"]["status"]["code"], "joined");
        assert_eq!(detail["own"]["needs"][0]["lot"], 1);
        assert_eq!(detail["own"]["needs"][0]["quantity"]["unit"], "MWh");

        // Fontaine, never invited: nothing listed, 404 on the detail whatever the id.
        let list = w.json(&w.fontaine_token, "/api/v1/groupements").await;
        assert_eq!(list["count"], 0, "{list}");
        for path in [
            path.clone(),
            format!("/api/v1/groupements/{draft}"),
            format!("/api/v1/groupements/{}", id + 1000),
            "/api/v1/groupements/abc".into(),
            "/api/v1/groupements/-1".into(),
        ] {
            let reply = w.get(&w.fontaine_token, &path).await;
            assert_eq!(reply.status, StatusCode::NOT_FOUND, "{path}");
            assert_eq!(reply.json()["code"], "not_found");
            assert!(!reply.body.contains("énergie"), "{}", reply.body);
        }
        // Not even the coordinator finds an unknown or non-numeric id.
        for bad in ["abc", "1.5", "99999"] {
            let reply = w
                .get(&w.coordinator_token, &format!("/api/v1/groupements/{bad}"))
                .await;
            assert_eq!(reply.status, StatusCode::NOT_FOUND, "{bad}");
        }

        // An approver, a supplier and the mediator: 403, list and detail alike.
        for token in [&w.approver_token, &w.supplier_token, &w.mediator_token] {
            for path in ["/api/v1/groupements".to_owned(), path.clone()] {
                let reply = w.get(token, &path).await;
                assert_eq!(reply.status, StatusCode::FORBIDDEN, "{path}");
                assert_eq!(reply.json()["code"], "forbidden");
                assert!(!reply.body.contains("énergie"));
            }
        }

        // No token, or a bad one: 401.
        for token in [None, Some("mtl_pas_un_jeton")] {
            for path in ["/api/v1/groupements".to_owned(), path.clone()] {
                let reply = w.app.api("GET", &path, token, None).await;
                assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{path}");
                assert_eq!(reply.json()["code"], "unauthenticated");
            }
        }

        // A cancelled groupement says why.
        w.act(
            draft,
            1,
            vec![(
                c,
                Action::Cancel {
                    on: date("2027-01-20"),
                    reason: "Besoin abandonné".into(),
                },
            )],
        )
        .await;
        let cancelled = w
            .json(
                &w.coordinator_token,
                &format!("/api/v1/groupements/{draft}"),
            )
            .await;
        assert_eq!(cancelled["status"]["code"], "cancelled");
        assert_eq!(cancelled["cancellation"]["on"], "2027-01-20");
        assert_eq!(cancelled["cancellation"]["reason"], "Besoin abandonné");

        // The OpenAPI document describes both endpoints and their schemas.
        let doc = w.app.get("/api/v1/openapi.json", None).await.json();
        for path in ["/api/v1/groupements", "/api/v1/groupements/{id}"] {
            assert!(doc["paths"].get(path).is_some(), "{path}");
        }
        for schema in ["GroupementList", "GroupementJson", "GroupementContractJson"] {
            assert!(
                doc["components"]["schemas"].get(schema).is_some(),
                "{schema}"
            );
        }
    })
    .await;
}

#[tokio::test]
async fn after_the_award_each_member_reads_only_its_own_contracts() {
    each_backend(|db| async move {
        let w = world(db).await;
        let (c, g, e) = (&w.coordinator, &w.grenoble, &w.echirolles);
        let id = w.create("Fourniture d'énergie 2028-2031").await;
        // Lot 1: the métropole and Grenoble; lot 2: Grenoble and Échirolles.
        let version = w
            .act(
                id,
                1,
                vec![
                    (c, invite(GRENOBLE, "Ville de Grenoble", 158_198)),
                    (c, invite(ECHIROLLES, "Ville d'Échirolles", 36_926)),
                    (c, Action::Open),
                    (g, join(GRENOBLE, "2027-02-01")),
                    (e, join(ECHIROLLES, "2027-02-02")),
                    (c, need(1, METRO, 30_000_000, None)),
                    (g, need(1, GRENOBLE, 10_000_000, Some(900))),
                    (g, need(2, GRENOBLE, 7_000_000, None)),
                    (e, need(2, ECHIROLLES, 5_000_000, None)),
                    (c, sign(METRO, "2027-03-02", "Le président")),
                    (g, sign(GRENOBLE, "2027-03-03", "Le maire de Grenoble")),
                    (e, sign(ECHIROLLES, "2027-03-04", "La maire d'Échirolles")),
                    (
                        c,
                        Action::StartConsultation {
                            on: date("2027-04-01"),
                        },
                    ),
                ],
            )
            .await;
        // Totals that do not divide evenly.
        let (total1, total2) = (100_000_301_i64, 10_000_103_i64);
        let version = w
            .act(
                id,
                version,
                vec![(
                    c,
                    Action::Award(Award {
                        supplier_siret: Siret::parse(SUPPLIER_SIRET).unwrap(),
                        lots: vec![
                            LotAward {
                                lot: 1,
                                total: Amount::from_cents(total1),
                            },
                            LotAward {
                                lot: 2,
                                total: Amount::from_cents(total2),
                            },
                        ],
                        publication: None,
                    }),
                )],
            )
            .await;
        let path = format!("/api/v1/groupements/{id}");

        // The coordinator: every member's contract, adding up to each lot's total.
        let all = w.json(&w.coordinator_token, &path).await;
        assert_eq!(all["version"], version);
        assert_eq!(all["status"]["code"], "awarded");
        assert_eq!(all["consultation_started_on"], "2027-04-01");
        let signature = &member(&all, GRENOBLE)["signature"];
        assert_eq!(signature["signed_on"], "2027-03-03");
        assert_eq!(signature["signatory"], "Le maire de Grenoble");
        assert_eq!(signature["deliberation"]["reference"], "DEL-2027-213");
        assert_eq!(signature["deliberation"]["adopted_on"], "2027-02-15");
        assert_eq!(all["awards"][0]["supplier_siret"], SUPPLIER_SIRET);
        // The winner's name, from the organisations the data knows.
        assert_eq!(all["awards"][0]["supplier_name"], "Énergie des Alpes");
        for (number, total) in [(1, total1), (2, total2)] {
            let award = &lot(&all, number)["award"];
            assert_eq!(award["supplier_siret"], SUPPLIER_SIRET);
            assert_eq!(award["supplier_name"], "Énergie des Alpes");
            assert_eq!(award["total_cents"], total);
        }
        let every = contracts(&all);
        let mut who: Vec<(&str, u64)> = every.iter().map(|(s, l, _)| (s.as_str(), *l)).collect();
        who.sort_unstable();
        assert_eq!(
            who,
            [(METRO, 1), (ECHIROLLES, 2), (GRENOBLE, 1), (GRENOBLE, 2)]
        );
        for (number, total) in [(1, total1), (2, total2)] {
            let in_lot: Vec<&Value> = all["contracts"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|c| c["lot"] == number)
                .collect();
            let cents: i64 = in_lot
                .iter()
                .map(|c| c["amount_cents"].as_i64().unwrap())
                .sum();
            assert_eq!(cents, total, "lot {number}");
            let permille: i64 = in_lot
                .iter()
                .map(|c| c["share_permille"].as_i64().unwrap())
                .sum();
            // Each share rounded to the nearest: at most half a thousandth off per member.
            let off = (permille - 1000).abs() * 2;
            assert!(off <= in_lot.len() as i64, "{permille}");
            // Each member's contract has its own id: the lot's, then the member's SIREN.
            for c in &in_lot {
                let member = c["member_siren"].as_str().unwrap();
                assert_eq!(c["decp_id"], format!("GRP{id}-L{number}-{member}"));
                // No start planned: from the notification (the award's day), for 48 months.
                assert_eq!(c["starts_on"], "2027-01-10");
                assert_eq!(c["ends_on"], "2031-01-10");
            }
        }
        // By volume: lot 1 is 3/4 for the métropole, 1/4 for Grenoble.
        let metro_share = every.iter().find(|(s, _, _)| s == METRO).unwrap().2;
        assert_eq!(metro_share, 75_000_226);
        assert_eq!(all["own"]["shares"][0]["lot"], 1);
        assert_eq!(all["own"]["shares"][0]["amount_cents"], metro_share);
        assert_eq!(all["own"]["shares"][0]["share_permille"], 750);

        // Each member: its own contracts, those of the coordinator's view, and nobody else's.
        for (token, own, siret) in [
            (&w.grenoble_token, GRENOBLE, GRENOBLE_SIRET),
            (&w.echirolles_token, ECHIROLLES, ECHIROLLES_SIRET),
        ] {
            let reply = w.get(token, &path).await;
            assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
            let detail = reply.json();
            let mine = contracts(&detail);
            let expected: Vec<(String, u64, i64)> =
                every.iter().filter(|(s, _, _)| s == own).cloned().collect();
            assert!(!mine.is_empty());
            assert_eq!(mine, expected, "{own}");
            for contract in detail["contracts"].as_array().unwrap() {
                assert_eq!(contract["buyer_siret"], siret);
            }
            // No other member's establishment anywhere in the answer.
            for other in [GRENOBLE_SIRET, ECHIROLLES_SIRET, "20004071500019"] {
                if other != siret {
                    assert!(!reply.body.contains(other), "{own} reads {other}");
                }
            }
            let shares: Vec<(u64, i64)> = detail["own"]["shares"]
                .as_array()
                .unwrap()
                .iter()
                .map(|s| {
                    (
                        s["lot"].as_u64().unwrap(),
                        s["amount_cents"].as_i64().unwrap(),
                    )
                })
                .collect();
            let expected: Vec<(u64, i64)> = mine.iter().map(|(_, l, a)| (*l, *a)).collect();
            assert_eq!(shares, expected);
            // Its contract, as the contracts endpoint knows it.
            let contract_id = detail["contracts"][0]["contract_id"].as_i64().unwrap();
            let contract = w
                .json(token, &format!("/api/v1/contracts/{contract_id}"))
                .await;
            assert_eq!(contract["amount_cents"], mine[0].2);
            assert_eq!(contract["buyer_siret"], siret);
        }
        // Grenoble's shares: 1/4 of lot 1, 7/12 of lot 2.
        let grenoble: Vec<i64> = every
            .iter()
            .filter(|(s, _, _)| s == GRENOBLE)
            .map(|(_, _, a)| *a)
            .collect();
        assert_eq!(grenoble, [25_000_075, 5_833_393]);
        let grenoble_permille: Vec<&Value> = all["contracts"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| c["member_siren"] == GRENOBLE)
            .map(|c| &c["share_permille"])
            .collect();
        assert_eq!(grenoble_permille, [250, 583], "a quarter, 7/12");

        // The coordinator's page shows each share with the API's precision: 5/12 is 417 ‰,
        // "41,7 %" (not 41,6 % truncated), and the winner's name next to its SIRET.
        let page = w
            .app
            .get(&format!("/groupements/{id}"), Some(&w.coordinator_cookies))
            .await;
        assert_eq!(page.status, StatusCode::OK);
        let table = page
            .body
            .split("Contrats créés à l'attribution")
            .nth(1)
            .unwrap()
            .split("</table>")
            .next()
            .unwrap();
        for c in all["contracts"].as_array().unwrap() {
            let permille = c["share_permille"].as_i64().unwrap();
            let label = format!("{},{} %", permille / 10, permille % 10);
            let row = table
                .split("<tr>")
                .find(|r| r.contains(c["decp_id"].as_str().unwrap()))
                .unwrap();
            assert!(row.contains(&label), "{label} in {row}");
        }
        let echirolles_share = all["contracts"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["member_siren"] == ECHIROLLES)
            .unwrap();
        assert_eq!(echirolles_share["share_permille"], 417);
        assert!(table.contains("41,7 %"), "{table}");
        assert!(
            page.body
                .contains("attribué à Énergie des Alpes, SIRET 91234567500017, pour"),
            "{}",
            page.body
        );

        // The contracts stay out of reach of whoever does not see the groupement.
        let reply = w.get(&w.fontaine_token, &path).await;
        assert_eq!(reply.status, StatusCode::NOT_FOUND);
        assert!(!reply.body.contains("GRP"));
        for token in [&w.approver_token, &w.supplier_token, &w.mediator_token] {
            let reply = w.get(token, &path).await;
            assert_eq!(reply.status, StatusCode::FORBIDDEN);
        }
    })
    .await;
}
