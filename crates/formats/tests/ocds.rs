#![allow(clippy::unwrap_used)]
//! OCDS 1.1 export: packages validate against the OCDS 1.1.5 release package schema (resolved
//! offline), and the official DECP → OCDS converter's fixture is reproduced.

use std::collections::HashMap;
use std::error::Error;
use std::fs;
use std::path::{Path, PathBuf};

use chrono::{DateTime, NaiveDate};
use mutualis_domain::contract::{Decp2Fields, Label, Modification, Operator, Place};
use mutualis_domain::{Amount, Contract, ContractKind, ContractSource, CpvCode, Siret};
use mutualis_formats::ocds::{
    FRANCE_OCID_PREFIX, OcdsError, OcdsOptions, ReleaseInput, no_names, ocid, release,
    release_package, releases, write_release_package,
};
use serde_json::{Value, json};

// ---------------------------------------------------------------------------------------------
// Helpers

fn tests_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests")
}

fn read_json(path: PathBuf) -> Value {
    let text = fs::read_to_string(&path).unwrap();
    serde_json::from_str(&text).unwrap()
}

const RELEASE_SCHEMA_URL: &str =
    "https://standard.open-contracting.org/schema/1__1__5/release-schema.json";

/// Resolves the release schema's URL to the local copy; refuses anything else, so that
/// validation never reaches the network.
struct LocalOcdsSchemas;

impl jsonschema::Retrieve for LocalOcdsSchemas {
    fn retrieve(
        &self,
        uri: &jsonschema::Uri<String>,
    ) -> Result<Value, Box<dyn Error + Send + Sync>> {
        if uri.as_str() == RELEASE_SCHEMA_URL {
            Ok(read_json(
                tests_dir().join("schemas/ocds/release-schema.json"),
            ))
        } else {
            Err(format!("no local copy of {uri}: these tests do not use the network").into())
        }
    }
}

fn package_validator() -> jsonschema::Validator {
    let schema = read_json(tests_dir().join("schemas/ocds/release-package-schema.json"));
    jsonschema::options()
        .with_retriever(LocalOcdsSchemas)
        .build(&schema)
        .unwrap()
}

fn assert_valid_package(package: &Value) {
    let validator = package_validator();
    let errors: Vec<String> = validator
        .iter_errors(package)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "release-package-schema.json rejects the package:\n{}\n{package:#}",
        errors.join("\n")
    );
}

fn date(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

fn cpv(code: &str) -> CpvCode {
    mutualis_reference::cpv::nomenclature().parse(code).unwrap()
}

fn siret(s: &str) -> Siret {
    Siret::parse(s).unwrap()
}

fn siret_op(id: &str) -> Operator {
    Operator {
        id: id.into(),
        id_type: "SIRET".into(),
        name: None,
    }
}

fn options() -> OcdsOptions {
    let mut o = OcdsOptions::new(
        "https://mutualis.example/ocds/2026-01.json",
        "Grenoble-Alpes-Métropole",
        DateTime::parse_from_rfc3339("2026-01-31T12:00:00+01:00").unwrap(),
    );
    o.publisher_scheme = Some("FR-RCS".into());
    o.publisher_uid = Some("20004071500019".into());
    o.license = Some("https://www.etalab.gouv.fr/licence-ouverte-open-licence".into());
    o
}

/// A DECP 2.0 marché (no names published) with two modifications, the second one changing the
/// titulaire.
fn marche_with_modifications() -> Contract {
    Contract {
        id: "2025-VOIRIE-07".into(),
        buyer: siret("20004071500019"),
        buyer_name: None,
        kind: ContractKind::Marche,
        source: ContractSource::Decp2,
        nature: Label::v2("Marché"),
        object: "Entretien de la voirie".into(),
        cpv: Some(cpv("45000000-7")),
        procedure: Label::v2("Appel d'offres ouvert"),
        place: Some(Place {
            code: "38185".into(),
            code_type: "Code commune".into(),
        }),
        duration_months: Some(36),
        notified_on: Some(date("2025-02-10")),
        starts_on: None,
        published_on: Some(date("2025-03-01")),
        amount: Some(Amount::from_cents(12_345_689)),
        price_form: Label::v2("Unitaire"),
        operators: vec![siret_op("55204599900869"), siret_op("38103128500491")],
        modifications: vec![
            Modification {
                id: "2".into(),
                object: None,
                signed_on: Some(date("2026-01-05")),
                published_on: Some(date("2026-01-20")),
                new_amount: None,
                new_duration_months: None,
                new_operators: vec![siret_op("38024392300089")],
            },
            Modification {
                id: "1".into(),
                object: Some("Avenant 1 : prolongation".into()),
                signed_on: Some(date("2025-09-01")),
                published_on: Some(date("2025-09-15")),
                new_amount: Some(Amount::from_cents(13_000_010)),
                new_duration_months: Some(42),
                new_operators: vec![],
            },
        ],
        subcontracting: vec![],
        decp2: Some(Decp2Fields::default()),
        repairs: Vec::new(),
    }
}

fn concession() -> Contract {
    Contract {
        id: "DSP-EAU-2025".into(),
        buyer: siret("21380185500015"),
        buyer_name: None,
        kind: ContractKind::Concession,
        source: ContractSource::Mutualis,
        nature: Label::v2("Délégation de service public"),
        object: "Exploitation du service public de l'eau potable".into(),
        cpv: None,
        procedure: Label::v2("Procédure négociée ouverte"),
        place: None,
        duration_months: Some(120),
        notified_on: Some(date("2025-06-30")),
        starts_on: Some(date("2025-07-01")),
        published_on: None,
        amount: Some(Amount::from_euros(45_000_000)),
        price_form: Label {
            value: None,
            original: None,
        },
        operators: vec![Operator {
            id: "FR12345678901".into(),
            id_type: "TVA".into(),
            name: None,
        }],
        modifications: vec![],
        subcontracting: vec![],
        decp2: None,
        repairs: Vec::new(),
    }
}

/// The DECP 1.5 record of the converter's fixture, read field by field into the domain.
fn contract_from_decp1(m: &Value) -> Contract {
    let s = |v: &Value| v.as_str().unwrap().to_owned();
    assert_eq!(m["_type"], "Marché");
    assert_eq!(m["modifications"], json!([]));
    Contract {
        id: s(&m["id"]),
        buyer: siret(m["acheteur"]["id"].as_str().unwrap()),
        buyer_name: Some(s(&m["acheteur"]["nom"])),
        kind: ContractKind::Marche,
        source: ContractSource::Decp1,
        nature: Label::v2(s(&m["nature"])),
        object: s(&m["objet"]),
        cpv: Some(cpv(m["codeCPV"].as_str().unwrap())),
        procedure: Label::v2(s(&m["procedure"])),
        place: Some(Place {
            code: s(&m["lieuExecution"]["code"]),
            code_type: s(&m["lieuExecution"]["typeCode"]),
        }),
        duration_months: Some(m["dureeMois"].as_u64().unwrap().try_into().unwrap()),
        notified_on: Some(date(m["dateNotification"].as_str().unwrap())),
        starts_on: None,
        // "2019-04-25+02:00": DECP 1.x dates may carry an offset, which the domain drops.
        published_on: Some(date(&m["datePublicationDonnees"].as_str().unwrap()[..10])),
        amount: Some(Amount::parse_euros(&m["montant"].to_string()).unwrap()),
        // "Révisable" is a 1.x price form with no 2.0 equivalent.
        price_form: Label {
            value: None,
            original: Some(s(&m["formePrix"])),
        },
        operators: m["titulaires"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| Operator {
                id: s(&t["id"]),
                id_type: s(&t["typeIdentifiant"]),
                name: Some(s(&t["denominationSociale"])),
            })
            .collect(),
        modifications: vec![],
        subcontracting: vec![],
        decp2: None,
        repairs: Vec::new(),
    }
}

// ---------------------------------------------------------------------------------------------
// Tests

#[test]
fn the_converter_fixture_001_is_reproduced() {
    let source = read_json(tests_dir().join("data/ocds/001_marche_simple.decp-source.json"));
    let mut expected =
        read_json(tests_dir().join("data/ocds/001_marche_simple.ocds-release-package.json"));
    let contract = contract_from_decp1(&source["marches"][0]);

    let mut o = OcdsOptions::new(
        expected["uri"].as_str().unwrap(),
        expected["publisher"]["name"].as_str().unwrap(),
        DateTime::parse_from_rfc3339(expected["publishedDate"].as_str().unwrap()).unwrap(),
    );
    o.publisher_scheme = Some("FR-RCS".into());
    o.publisher_uid = Some("12000101100010".into());
    o.license = expected["license"].as_str().map(str::to_owned);
    o.publication_policy = expected["publicationPolicy"].as_str().map(str::to_owned);
    assert_eq!(o.ocid_prefix, FRANCE_OCID_PREFIX);

    let package = release_package([&contract], &no_names, &o).unwrap();
    assert_valid_package(&package);
    assert_valid_package(&expected);

    // The one difference: the converter writes a date published without a zone (the
    // notification, "2018-12-03") as UTC midnight; Mutualis writes the day's midnight in Paris.
    let ours_award_date = package["releases"][0]["awards"][0]["date"].clone();
    assert_eq!(ours_award_date, "2018-12-03T00:00:00+01:00");
    assert_eq!(
        expected["releases"][0]["awards"][0]["date"],
        "2018-12-03T00:00:00Z"
    );
    expected["releases"][0]["awards"][0]["date"] = ours_award_date;

    let ours = &package["releases"][0];
    let theirs = &expected["releases"][0];
    assert_eq!(ours["ocid"], "ocds-78apv2-200013183000212018MAPA20180500");
    for field in [
        "ocid",
        "id",
        "decpUID",
        "language",
        "tag",
        "initiationType",
        "parties",
        "buyer",
        "awards",
        "contracts",
    ] {
        assert_eq!(ours[field], theirs[field], "{field}");
    }
    assert_eq!(
        ours["awards"][0]["value"],
        json!({"amount": 80000, "currency": "EUR"})
    );
    assert_eq!(ours["contracts"][0]["value"]["amount"], 80000);

    // The source's publication date carries its offset ("2019-04-25+02:00"), which the
    // converter keeps; the domain keeps the day, and its Paris midnight has the same offset.
    assert_eq!(theirs["date"], "2019-04-25T00:00:00+02:00");
    assert_eq!(ours["date"], theirs["date"]);
    assert_eq!(package, expected);
    assert_eq!(ocds_rule_problems(&package), Vec::<String>::new());
}

#[test]
fn a_package_of_every_kind_of_contract_validates() {
    let (m, c) = (marche_with_modifications(), concession());
    let legacy = {
        let source = read_json(tests_dir().join("data/ocds/001_marche_simple.decp-source.json"));
        contract_from_decp1(&source["marches"][0])
    };
    let members = [siret("21380185500015"), siret("20001318300021")];
    let inputs = [
        ReleaseInput::from(&m),
        ReleaseInput::from(&c),
        ReleaseInput::from(&legacy),
        ReleaseInput {
            contract: &legacy,
            co_buyers: &members,
        },
    ];
    let package = release_package(inputs, &no_names, &options()).unwrap();
    assert_valid_package(&package);
    // The marché's three versions (as published, after each of its two modifications), then
    // one release for each other contract.
    assert_eq!(package["releases"].as_array().unwrap().len(), 6);
    assert_eq!(package["publishedDate"], "2026-01-31T12:00:00+01:00");
    // The legacy contract is given twice (alone and in a groupement): the only rule broken.
    assert_eq!(
        ocds_rule_problems(&package),
        ["release id ocds-78apv2-200013183000212018MAPA20180500-00 twice"]
    );

    // The streamed package is the same document.
    let mut out = Vec::new();
    let written = write_release_package(inputs, &no_names, &options(), &mut out).unwrap();
    assert_eq!(written, 6);
    let streamed: Value = serde_json::from_slice(&out).unwrap();
    assert_valid_package(&streamed);
    assert_eq!(streamed, package);
}

#[test]
fn modifications_become_amendments_and_the_contract_holds_the_current_values() {
    let m = marche_with_modifications();
    let r = release(ReleaseInput::from(&m), &no_names, &options());
    let ocid = "ocds-78apv2-200040715000192025-VOIRIE-07";
    assert_eq!(r["ocid"], ocid);
    assert_eq!(r["id"], format!("{ocid}-02"));
    // The release after the second modification is dated by its publication.
    assert_eq!(r["date"], "2026-01-20T00:00:00+01:00");
    assert_eq!(
        r["tag"],
        json!(["award", "contract", "awardUpdate", "contractAmendment"])
    );

    let award = &r["awards"][0];
    assert_eq!(
        award["value"],
        json!({"amount": 123456.89, "currency": "EUR"})
    );
    assert_eq!(award["contractPeriod"], json!({"durationInDays": 1098}));
    // The titulaire named by the last modification replaces the original ones.
    assert_eq!(
        award["suppliers"],
        json!([{"id": "FR-RCS-38024392300089-supplier"}])
    );
    let contract = &r["contracts"][0];
    assert_eq!(contract["value"]["amount"].to_string(), "130000.1");
    assert_eq!(contract["period"], json!({"durationInDays": 1281}));
    assert_eq!(contract["status"], "active");
    assert_eq!(
        contract["amendments"],
        json!([
            {
                "id": format!("{ocid}-amendment-1"),
                "date": "2025-09-01T00:00:00+02:00",
                "rationale": "Avenant 1 : prolongation",
                "amendsReleaseID": format!("{ocid}-00"),
                "releaseID": format!("{ocid}-01"),
            },
            {
                "id": format!("{ocid}-amendment-2"),
                "date": "2026-01-05T00:00:00+01:00",
                "amendsReleaseID": format!("{ocid}-01"),
                "releaseID": format!("{ocid}-02"),
            }
        ])
    );
}

#[test]
fn a_groupement_lists_every_member_as_buyer_and_the_coordinator_as_procuring_entity() {
    let m = marche_with_modifications();
    let (a, b) = (siret("21380185500015"), siret("20001318300021"));
    // The coordinator and a duplicate in the list are listed once.
    let members = [a.clone(), m.buyer.clone(), b.clone(), a.clone()];
    let names: HashMap<&str, &str> = [
        ("20004071500019", "Grenoble-Alpes-Métropole"),
        ("21380185500015", "Commune de Grenoble"),
        ("38024392300089", "TECAN FRANCE SASU"),
    ]
    .into_iter()
    .collect();
    let lookup = |id: &str| names.get(id).map(|n| (*n).to_owned());
    let r = release(
        ReleaseInput {
            contract: &m,
            co_buyers: &members,
        },
        &lookup,
        &options(),
    );

    let parties = r["parties"].as_array().unwrap();
    let summary: Vec<(String, Value, Value)> = parties
        .iter()
        .map(|p| {
            (
                p["id"].as_str().unwrap().to_owned(),
                p["roles"].clone(),
                p.get("name").cloned().unwrap_or(Value::Null),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            (
                "FR-RCS-20004071500019-buyer".to_owned(),
                json!(["buyer", "procuringEntity"]),
                json!("Grenoble-Alpes-Métropole")
            ),
            (
                "FR-RCS-21380185500015-buyer".to_owned(),
                json!(["buyer"]),
                json!("Commune de Grenoble")
            ),
            (
                "FR-RCS-20001318300021-buyer".to_owned(),
                json!(["buyer"]),
                Value::Null
            ),
            (
                "FR-RCS-38024392300089-supplier".to_owned(),
                json!(["supplier"]),
                json!("TECAN FRANCE SASU")
            ),
        ]
    );
    assert_eq!(
        parties[1]["identifier"],
        json!({"scheme": "FR-RCS", "id": "21380185500015", "legalName": "Commune de Grenoble"})
    );
    let coordinator =
        json!({"id": "FR-RCS-20004071500019-buyer", "name": "Grenoble-Alpes-Métropole"});
    assert_eq!(r["buyer"], coordinator);
    assert_eq!(r["tender"]["procuringEntity"], coordinator);
    assert_eq!(
        r["tender"]["id"],
        format!("{}-tender", r["ocid"].as_str().unwrap())
    );

    let package = release_package(
        [ReleaseInput {
            contract: &m,
            co_buyers: &members,
        }],
        &lookup,
        &options(),
    )
    .unwrap();
    assert_valid_package(&package);
}

#[test]
fn a_single_buyer_has_no_tender_and_other_identifiers_keep_their_type() {
    let c = concession();
    let r = release(ReleaseInput::from(&c), &no_names, &options());
    assert!(r.get("tender").is_none());
    assert_eq!(r["parties"][0]["roles"], json!(["buyer"]));
    assert_eq!(
        r["parties"][1],
        json!({
            "id": "TVA-FR12345678901-supplier",
            "roles": ["supplier"],
            // org-id.guide has no scheme for a VAT number: none is claimed.
            "identifier": {"id": "FR12345678901"},
        })
    );
    // No publication date: the package's date stands in, as the converter does.
    assert_eq!(r["date"], "2026-01-31T12:00:00+01:00");
    assert_eq!(r["contracts"][0]["status"], "pending");
    assert!(r["awards"][0]["items"][0].get("classification").is_none());
    assert_eq!(
        r["awards"][0]["value"],
        json!({"amount": 45000000, "currency": "EUR"})
    );
}

#[test]
fn the_ocid_prefix_is_configurable() {
    let c = concession();
    let mut o = options();
    o.ocid_prefix = "ocds-test01".into();
    assert_eq!(
        ocid(&c, "ocds-test01"),
        "ocds-test01-21380185500015DSP-EAU-2025"
    );
    let r = release(ReleaseInput::from(&c), &no_names, &o);
    assert_eq!(r["ocid"], "ocds-test01-21380185500015DSP-EAU-2025");
    assert_eq!(
        r["awards"][0]["id"],
        "ocds-test01-21380185500015DSP-EAU-2025-award-1"
    );
}

#[test]
fn an_empty_package_is_refused() {
    let none: [&Contract; 0] = [];
    assert!(matches!(
        release_package(none, &no_names, &options()),
        Err(OcdsError::Empty)
    ));
    let mut out = Vec::new();
    assert!(matches!(
        write_release_package(none, &no_names, &options(), &mut out),
        Err(OcdsError::Empty)
    ));
    assert!(out.is_empty());
}

#[test]
fn the_validator_resolves_the_release_schema_offline_and_rejects_bad_releases() {
    let c = concession();
    let mut package = release_package([&c], &no_names, &options()).unwrap();
    assert_valid_package(&package);
    // A release without its required `tag`, and an award status outside the codelist.
    let release = package["releases"][0].as_object_mut().unwrap();
    release.remove("tag");
    assert!(!package_validator().is_valid(&package));
    let mut package = release_package([&c], &no_names, &options()).unwrap();
    package["releases"][0]["awards"][0]["status"] = "signed".into();
    assert!(!package_validator().is_valid(&package));
}

/// The OCDS rules the schema does not check, as broken by earlier exports: each release id once;
/// every amendment's `releaseID` and `amendsReleaseID` a release of the package, of the same
/// contracting process; no empty `suppliers`; every date of a release with an explicit offset,
/// a day's date as Paris midnight (+01:00 or +02:00); every identifier scheme one of
/// org-id.guide's register (`FR-RCS`, the only one Mutualis uses).
fn ocds_rule_problems(package: &Value) -> Vec<String> {
    let mut problems = Vec::new();
    let releases = package["releases"].as_array().unwrap();
    let mut ids: HashMap<&str, &str> = HashMap::new();
    for r in releases {
        let id = r["id"].as_str().unwrap();
        if ids.insert(id, r["ocid"].as_str().unwrap()).is_some() {
            problems.push(format!("release id {id} twice"));
        }
    }
    for r in releases {
        let ocid = r["ocid"].as_str().unwrap();
        for c in r["contracts"].as_array().into_iter().flatten() {
            for a in c["amendments"].as_array().into_iter().flatten() {
                for key in ["releaseID", "amendsReleaseID"] {
                    match a[key].as_str() {
                        Some(target) if ids.get(target) == Some(&ocid) => {}
                        other => problems.push(format!(
                            "{}: amendment {key} {other:?} is not a release of {ocid} in the package",
                            r["id"]
                        )),
                    }
                }
            }
        }
        for a in r["awards"].as_array().into_iter().flatten() {
            if a.get("suppliers")
                .is_some_and(|s| s.as_array().unwrap().is_empty())
            {
                problems.push(format!("{}: empty suppliers", r["id"]));
            }
        }
        for p in r["parties"].as_array().into_iter().flatten() {
            if let Some(scheme) = p["identifier"].get("scheme")
                && scheme != "FR-RCS"
            {
                problems.push(format!("{}: scheme {scheme} not in org-id.guide", p["id"]));
            }
        }
        dates(r, &mut |d| {
            let day = d.len() == 25
                && d[10..].starts_with("T00:00:00")
                && (d.ends_with("+01:00") || d.ends_with("+02:00"));
            if !day && DateTime::parse_from_rfc3339(d).is_err() {
                problems.push(format!("{}: date {d} without an offset", r["id"]));
            } else if !day && d.ends_with('Z') {
                problems.push(format!("{}: date {d} in UTC, not a French day", r["id"]));
            }
        });
    }
    problems
}

/// Every value of a member named `date`.
fn dates<'v>(v: &'v Value, found: &mut impl FnMut(&'v str)) {
    match v {
        Value::Object(map) => {
            for (k, x) in map {
                match (k.as_str(), x) {
                    ("date", Value::String(d)) => found(d),
                    _ => dates(x, found),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|x| dates(x, found)),
        _ => {}
    }
}

#[test]
fn every_version_of_a_contract_is_a_release_its_amendments_point_to() {
    let m = marche_with_modifications();
    let ocid = "ocds-78apv2-200040715000192025-VOIRIE-07";
    let all = releases(ReleaseInput::from(&m), &no_names, &options());
    let summary: Vec<(Value, Value, Value, Value)> = all
        .iter()
        .map(|r| {
            (
                r["id"].clone(),
                r["date"].clone(),
                r["contracts"][0]["value"]["amount"].clone(),
                r["awards"][0]["suppliers"].clone(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            (
                json!(format!("{ocid}-00")),
                json!("2025-03-01T00:00:00+01:00"),
                json!(123456.89),
                json!([
                    {"id": "FR-RCS-38103128500491-supplier"},
                    {"id": "FR-RCS-55204599900869-supplier"}
                ])
            ),
            (
                json!(format!("{ocid}-01")),
                json!("2025-09-15T00:00:00+02:00"),
                json!(130000.1),
                json!([
                    {"id": "FR-RCS-38103128500491-supplier"},
                    {"id": "FR-RCS-55204599900869-supplier"}
                ])
            ),
            (
                json!(format!("{ocid}-02")),
                json!("2026-01-20T00:00:00+01:00"),
                json!(130000.1),
                json!([{"id": "FR-RCS-38024392300089-supplier"}])
            ),
        ]
    );
    assert!(all[0]["contracts"][0].get("amendments").is_none());
    assert_eq!(all[0]["tag"], json!(["award", "contract"]));
    assert_eq!(
        all[1]["contracts"][0]["amendments"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        all[2],
        release(ReleaseInput::from(&m), &no_names, &options())
    );

    let package = release_package([&m], &no_names, &options()).unwrap();
    assert_valid_package(&package);
    assert_eq!(ocds_rule_problems(&package), Vec::<String>::new());
}

#[test]
fn an_award_without_titulaire_has_no_suppliers_and_the_rules_check_fails_on_broken_packages() {
    let mut c = concession();
    c.operators.clear();
    let package = release_package([&c], &no_names, &options()).unwrap();
    assert_valid_package(&package);
    assert!(
        package["releases"][0]["awards"][0]
            .get("suppliers")
            .is_none()
    );
    assert_eq!(ocds_rule_problems(&package), Vec::<String>::new());

    // Each rule fails on the package an earlier export wrote.
    let m = marche_with_modifications();
    let good = release_package([&m], &no_names, &options()).unwrap();
    let mut only_last = good.clone();
    only_last["releases"] = json!([good["releases"][2].clone()]);
    let problems = ocds_rule_problems(&only_last);
    assert_eq!(problems.len(), 3, "{problems:?}");
    assert!(
        problems.iter().any(|p| p.contains("amendsReleaseID")),
        "{problems:?}"
    );

    let mut broken = good.clone();
    broken["releases"][0]["awards"][0]["suppliers"] = json!([]);
    broken["releases"][0]["date"] = "2025-03-01T00:00:00Z".into();
    broken["releases"][0]["parties"][1]["identifier"]["scheme"] = "TVA".into();
    broken["releases"][1]["awards"][0]["date"] = "2025-02-10T00:00:00".into();
    let problems = ocds_rule_problems(&broken);
    for expected in ["empty suppliers", "in UTC", "scheme", "without an offset"] {
        assert!(
            problems.iter().any(|p| p.contains(expected)),
            "{expected}: {problems:?}"
        );
    }
}
