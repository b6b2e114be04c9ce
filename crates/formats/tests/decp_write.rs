#![allow(clippy::unwrap_used)]
//! DECP 2.0 export: every output is validated against the official schemas (JSON with
//! `jsonschema`, XML with `xmllint`), and the official examples survive a round trip.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::process::Command;

use chrono::NaiveDate;
use mutualis_domain::contract::{
    Decp2Fields, ExecutionData, Label, Modification, Operator, Place, Subcontracting,
    SubcontractingModification, Tariff,
};
use mutualis_domain::{
    Amount, Contract, ContractKind, ContractSource, CpvCode, Decimal, Share, Siret,
};
use mutualis_formats::decp_read::read_decp;
use mutualis_formats::decp_write::{WriteStats, missing_for_decp2, write_json, write_xml};
use serde_json::Value;

// ---------------------------------------------------------------------------------------------
// Helpers

fn schemas() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/schemas")
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

fn strings(values: &[&str]) -> Vec<String> {
    values.iter().map(|v| (*v).to_owned()).collect()
}

/// A marché with everything DECP 2.0 asks for, two modifications and a subcontracting act.
fn complete_marche() -> Contract {
    Contract {
        id: "2025-VOIRIE-07".into(),
        buyer: siret("20004071500019"),
        buyer_name: None,
        kind: ContractKind::Marche,
        source: ContractSource::Mutualis,
        nature: Label::v2("Marché"),
        object: "Entretien de la voirie & des réseaux <lot 2> : « chaussées »".into(),
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
                id: "1".into(),
                object: Some("Avenant 1 : prolongation".into()),
                signed_on: Some(date("2025-09-01")),
                published_on: Some(date("2025-09-15")),
                new_amount: Some(Amount::from_cents(13_000_010)),
                new_duration_months: Some(42),
                new_operators: vec![],
            },
            Modification {
                id: "2".into(),
                object: None,
                signed_on: Some(date("2026-01-05")),
                published_on: Some(date("2026-01-20")),
                new_amount: None,
                new_duration_months: None,
                new_operators: vec![siret_op("38024392300089")],
            },
        ],
        subcontracting: vec![Subcontracting {
            id: "1".into(),
            subcontractor: siret_op("38103128500574"),
            amount: Some(Amount::from_cents(2_500_050)),
            duration_months: Some(12),
            signed_on: Some(date("2025-04-01")),
            published_on: Some(date("2025-04-10")),
            price_variation: Some("Révisable".into()),
        }],
        decp2: Some(Decp2Fields {
            techniques: strings(&["Accord-cadre"]),
            execution_modes: strings(&["Bons de commande", "Tranches"]),
            framework_id: Some("2024-AC-01".into()),
            innovative: Some(false),
            ccag: Some("Travaux".into()),
            offers_received: Some(3),
            advance_paid: Some(true),
            advance_rate_permille: Some(100),
            operator_grouping: Some("Solidaire".into()),
            price_types: strings(&["Définitif révisable"]),
            subcontracting_declared: Some(true),
            social_considerations: strings(&["Clause sociale"]),
            environmental_considerations: strings(&["Pas de considération environnementale"]),
            public_subsidy: None,
            ..Decp2Fields::default()
        }),
        repairs: Vec::new(),
    }
}

fn complete_concession() -> Contract {
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
        published_on: Some(date("2025-07-15")),
        amount: Some(Amount::from_cents(4_500_000_000)),
        price_form: Label {
            value: None,
            original: None,
        },
        operators: vec![siret_op("38103128500491")],
        modifications: vec![Modification {
            id: "1".into(),
            object: None,
            signed_on: Some(date("2026-02-01")),
            published_on: Some(date("2026-02-10")),
            new_amount: Some(Amount::from_cents(4_600_000_050)),
            new_duration_months: None,
            new_operators: vec![],
        }],
        subcontracting: vec![],
        decp2: Some(Decp2Fields {
            public_subsidy: Some(Amount::ZERO),
            social_considerations: strings(&["Pas de considération sociale"]),
            environmental_considerations: strings(&["Critère environnemental"]),
            ..Decp2Fields::default()
        }),
        repairs: Vec::new(),
    }
}

/// As imported from DECP 1.x: no 2.0 fields, and a nature with no 2.0 equivalent.
fn legacy_marche() -> Contract {
    Contract {
        id: "2019-001".into(),
        buyer: siret("20004071500019"),
        buyer_name: Some("GRENOBLE ALPES METROPOLE".into()),
        kind: ContractKind::Marche,
        source: ContractSource::Decp1,
        nature: Label {
            value: None,
            original: Some("Accord-cadre".into()),
        },
        object: "Nettoyage des locaux".into(),
        cpv: Some(cpv("90910000-9")),
        procedure: Label::v2("Appel d'offres ouvert"),
        place: Some(Place {
            code: "38000".into(),
            code_type: "Code postal".into(),
        }),
        duration_months: Some(24),
        notified_on: Some(date("2019-03-15")),
        starts_on: None,
        published_on: Some(date("2019-04-01")),
        amount: Some(Amount::from_euros(100_000)),
        price_form: Label::v2("Forfaitaire"),
        operators: vec![Operator {
            name: Some("NETTOYAGE SA".into()),
            ..siret_op("21380185500015")
        }],
        modifications: vec![],
        subcontracting: vec![],
        decp2: None,
        repairs: Vec::new(),
    }
}

fn json_validator() -> jsonschema::Validator {
    let text = fs::read_to_string(schemas().join("schema_decp_v2.0.3.json")).unwrap();
    let schema: Value = serde_json::from_str(&text).unwrap();
    jsonschema::options().offline().build(&schema).unwrap()
}

/// Parses the export and checks it against `schema_decp_v2.0.3.json`.
fn assert_valid_json(bytes: &[u8]) -> Value {
    let text = std::str::from_utf8(bytes).unwrap();
    let doc: Value = serde_json::from_str(text)
        .unwrap_or_else(|e| panic!("the export is not JSON ({e}):\n{text}"));
    let validator = json_validator();
    let errors: Vec<String> = validator
        .iter_errors(&doc)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "schema_decp_v2.0.3.json rejects the export:\n{}\n{text}",
        errors.join("\n")
    );
    doc
}

/// Runs `xmllint --noout --schema schema_decp_v2.0.2.xsd` on `bytes`: its complaints, if any.
fn xmllint(bytes: &[u8], name: &str) -> Result<(), String> {
    let file = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("decp_write_{name}_{}.xml", std::process::id()));
    fs::write(&file, bytes).unwrap();
    let output = match Command::new("xmllint")
        .arg("--noout")
        .arg("--schema")
        .arg(schemas().join("schema_decp_v2.0.2.xsd"))
        .arg(&file)
        .output()
    {
        Ok(output) => output,
        Err(e) if e.kind() == io::ErrorKind::NotFound => panic!(
            "xmllint is not installed: install the package libxml2-utils \
             (`apt-get install libxml2-utils`; CI installs it) to validate the XML exports \
             against schema_decp_v2.0.2.xsd"
        ),
        Err(e) => panic!("cannot run xmllint: {e}"),
    };
    fs::remove_file(&file).unwrap();
    if output.status.success() {
        Ok(())
    } else {
        Err(String::from_utf8_lossy(&output.stderr).into_owned())
    }
}

/// Checks an XML export against `schema_decp_v2.0.2.xsd`.
fn assert_valid_xml(bytes: &[u8], name: &str) {
    if let Err(complaints) = xmllint(bytes, name) {
        panic!(
            "schema_decp_v2.0.2.xsd rejects the export:\n{complaints}\n{}",
            String::from_utf8_lossy(bytes)
        );
    }
}

fn export_json(contracts: &[&Contract]) -> (Vec<u8>, WriteStats) {
    let mut out = Vec::new();
    let stats = write_json(contracts.iter().copied(), &mut out).unwrap();
    (out, stats)
}

fn export_xml(contracts: &[&Contract]) -> (Vec<u8>, WriteStats) {
    let mut out = Vec::new();
    let stats = write_xml(contracts.iter().copied(), &mut out).unwrap();
    (out, stats)
}

/// Every number as a float, so that 25 and 25.0 compare equal.
fn normalize_numbers(v: &mut Value) {
    match v {
        Value::Number(n) => {
            *v = Value::from(n.as_f64().unwrap());
        }
        Value::Array(items) => items.iter_mut().for_each(normalize_numbers),
        Value::Object(map) => map.values_mut().for_each(normalize_numbers),
        _ => {}
    }
}

fn example(file: &str) -> Value {
    let text = fs::read_to_string(schemas().join("exemples").join(file)).unwrap();
    serde_json::from_str(&text).unwrap()
}

// ---------------------------------------------------------------------------------------------
// Tests

#[test]
fn a_complete_marche_and_concession_export_as_valid_json() {
    let (m, c) = (complete_marche(), complete_concession());
    assert_eq!(missing_for_decp2(&m), Vec::<&str>::new());
    assert_eq!(missing_for_decp2(&c), Vec::<&str>::new());

    let (out, stats) = export_json(&[&c, &m]);
    assert_eq!((stats.marches, stats.concessions), (1, 1));
    assert!(stats.skipped.is_empty());
    let doc = assert_valid_json(&out);

    let text = String::from_utf8(out).unwrap();
    assert!(text.contains(r#""montant":123456.89"#), "{text}");
    assert!(text.contains(r#""tauxAvance":0.1"#), "{text}");
    assert!(text.contains(r#""valeurGlobale":45000000,"#), "{text}");
    assert!(text.contains(r#""valeurGlobale":46000000.5"#), "{text}");
    assert!(text.contains(r#""montantSubventionPublique":0,"#), "{text}");

    let marche = &doc["marches"]["marche"][0];
    assert_eq!(marche["id"], "2025-VOIRIE-07");
    assert_eq!(marche["acheteur"]["id"], "20004071500019");
    assert_eq!(marche["objet"], complete_marche().object);
    assert_eq!(marche["codeCPV"], "45000000-7");
    assert_eq!(marche["dateNotification"], "2025-02-10");
    assert_eq!(
        marche["modalitesExecution"]["modaliteExecution"],
        serde_json::json!(["Bons de commande", "Tranches"])
    );
    assert_eq!(marche["titulaires"][1]["titulaire"]["id"], "38103128500491");
    assert_eq!(
        marche["titulaires"][1]["titulaire"]["typeIdentifiant"],
        "SIRET"
    );
    let first = &marche["modifications"][0]["modification"];
    assert_eq!(first["id"], 1);
    assert_eq!(first["montant"].to_string(), "130000.1");
    assert_eq!(first["dureeMois"], 42);
    assert_eq!(first["dateNotificationModification"], "2025-09-01");
    assert_eq!(first["datePublicationDonneesModification"], "2025-09-15");
    assert!(
        first.get("objet").is_none(),
        "DECP 2.0 has no modification object"
    );
    let second = &marche["modifications"][1]["modification"];
    assert_eq!(second["titulaires"][0]["titulaire"]["id"], "38024392300089");
    assert!(second.get("montant").is_none());
    let act = &marche["actesSousTraitance"][0]["acteSousTraitance"];
    assert_eq!(act["id"], 1);
    assert_eq!(act["sousTraitant"]["id"], "38103128500574");
    assert_eq!(act["montant"].to_string(), "25000.5");
    assert_eq!(act["variationPrix"], "Révisable");
    assert_eq!(act["dateNotification"], "2025-04-01");

    let concession = &doc["marches"]["contrat-concession"][0];
    assert_eq!(concession["autoriteConcedante"]["id"], "21380185500015");
    assert_eq!(concession["dateSignature"], "2025-06-30");
    assert_eq!(concession["dateDebutExecution"], "2025-07-01");
    assert_eq!(
        concession["modifications"][0]["modification"]["dateSignatureModification"],
        "2026-02-01"
    );
    assert!(concession.get("codeCPV").is_none());
}

#[test]
fn a_complete_marche_and_concession_export_as_valid_xml() {
    let (m, c) = (complete_marche(), complete_concession());
    let (out, stats) = export_xml(&[&c, &m]);
    assert_eq!((stats.marches, stats.concessions), (1, 1));
    assert_valid_xml(&out, "complete");

    let text = String::from_utf8(out).unwrap();
    assert!(text.starts_with(r#"<?xml version="1.0" encoding="UTF-8"?>"#));
    assert!(
        text.contains("<objet>Entretien de la voirie &amp; des réseaux &lt;lot 2&gt;"),
        "{text}"
    );
    assert!(text.contains("<montant>123456.89</montant>"), "{text}");
    assert!(text.contains("<tauxAvance>0.1</tauxAvance>"), "{text}");
    assert!(
        text.contains("<marcheInnovant>false</marcheInnovant>"),
        "{text}"
    );
    assert!(
        text.contains("<modaliteExecution>Bons de commande</modaliteExecution>"),
        "{text}"
    );
    assert!(
        text.contains("<acteSousTraitance>") && text.contains("<sousTraitant>"),
        "{text}"
    );
    // Input order is kept: the concession comes first.
    assert!(text.find("<contrat-concession>").unwrap() < text.find("<marche>").unwrap());
}

#[test]
fn a_decp1_contract_lacks_the_fields_decp2_added() {
    let missing = missing_for_decp2(&legacy_marche());
    for field in [
        "nature",
        "techniques",
        "modalitesExecution",
        "marcheInnovant",
        "ccag",
        "offresRecues",
        "attributionAvance",
        "typeGroupementOperateurs",
        "sousTraitanceDeclaree",
        "typesPrix",
        "considerationsSociales",
        "considerationsEnvironnementales",
    ] {
        assert!(missing.contains(&field), "{field} not in {missing:?}");
    }
    for present in [
        "id",
        "objet",
        "montant",
        "titulaires",
        "procedure",
        "formePrix",
    ] {
        assert!(!missing.contains(&present), "{present} in {missing:?}");
    }

    let mut concession = complete_concession();
    concession.decp2 = None;
    assert_eq!(
        missing_for_decp2(&concession),
        [
            "montantSubventionPublique",
            "considerationsSociales",
            "considerationsEnvironnementales"
        ]
    );
}

#[test]
fn incomplete_contracts_are_skipped_and_reported() {
    let (m, legacy, c) = (complete_marche(), legacy_marche(), complete_concession());
    let (out, stats) = export_json(&[&m, &legacy, &c]);
    assert_eq!((stats.marches, stats.concessions), (1, 1));
    assert_eq!(stats.skipped.len(), 1);
    let skipped = &stats.skipped[0];
    assert_eq!(skipped.id, "2019-001");
    assert_eq!(skipped.buyer.as_str(), "20004071500019");
    assert_eq!(skipped.kind, ContractKind::Marche);
    assert_eq!(skipped.missing, missing_for_decp2(&legacy));
    let doc = assert_valid_json(&out);
    assert_eq!(doc["marches"]["marche"].as_array().unwrap().len(), 1);
    assert!(!String::from_utf8(out).unwrap().contains("2019-001"));

    let (out, stats) = export_xml(&[&legacy, &m, &c]);
    assert_eq!((stats.marches, stats.concessions), (1, 1));
    assert_eq!(stats.skipped[0].id, "2019-001");
    assert_valid_xml(&out, "skipped");
    assert!(!String::from_utf8(out).unwrap().contains("2019-001"));
}

#[test]
fn values_decp2_refuses_are_reported_not_written() {
    type Change = fn(&mut Contract);
    let cases: [(Change, &[&str]); 14] = [
        (
            |c| c.decp2.as_mut().unwrap().ccag = Some("CCAG maison".into()),
            &["ccag"],
        ),
        (|c| c.id = "2025-VOIRIE-07-LOT2".into(), &["id"]),
        (|c| c.amount = Some(Amount::from_cents(99)), &["montant"]),
        (|c| c.duration_months = Some(0), &["dureeMois"]),
        (|c| c.object = "  ".into(), &["objet"]),
        (|c| c.object = "Objet\u{1}".into(), &["objet"]),
        (|c| c.price_form = Label::v2("Révisable"), &["formePrix"]),
        (
            |c| c.decp2.as_mut().unwrap().techniques = strings(&["Concours", "Concours"]),
            &["techniques"],
        ),
        (
            |c| c.decp2.as_mut().unwrap().advance_rate_permille = Some(1200),
            &["tauxAvance"],
        ),
        (|c| c.operators[0].id_type = "SIREN".into(), &["titulaires"]),
        (|c| c.operators.clear(), &["titulaires"]),
        (
            |c| c.modifications[0].id = "A1".into(),
            &["modifications.id"],
        ),
        (
            |c| c.modifications[1].signed_on = None,
            &["modifications.dateNotificationModification"],
        ),
        (
            |c| {
                c.subcontracting[0].amount = None;
                c.subcontracting[0].price_variation = Some("Indexé".into());
            },
            &[
                "actesSousTraitance.montant",
                "actesSousTraitance.variationPrix",
            ],
        ),
    ];
    for (i, (change, expected)) in cases.iter().enumerate() {
        let mut c = complete_marche();
        change(&mut c);
        assert_eq!(missing_for_decp2(&c), *expected, "case {i}");
        let (out, stats) = export_json(&[&c]);
        assert_eq!(stats.skipped.len(), 1, "case {i}");
        assert_valid_json(&out);
    }
}

#[test]
fn an_empty_export_is_valid() {
    let (out, stats) = export_json(&[]);
    assert_eq!(stats, WriteStats::default());
    let doc = assert_valid_json(&out);
    assert_eq!(
        doc,
        serde_json::json!({"marches": {"marche": [], "contrat-concession": []}})
    );
    let (out, _) = export_xml(&[]);
    assert_valid_xml(&out, "empty");
}

/// The marché `TEST2022Bis` of the official example, as the domain holds it.
fn official_example_marche() -> Contract {
    Contract {
        id: "TEST2022Bis".into(),
        buyer: siret("21750001630040"),
        buyer_name: None,
        kind: ContractKind::Marche,
        source: ContractSource::Decp2,
        nature: Label::v2("Marché"),
        object: "envoi pour Json test 2".into(),
        cpv: Some(cpv("45000000-7")),
        procedure: Label::v2("Appel d'offres ouvert"),
        place: Some(Place {
            code: "75000".into(),
            code_type: "Code postal".into(),
        }),
        duration_months: Some(48),
        notified_on: Some(date("2024-05-15")),
        starts_on: None,
        published_on: Some(date("2024-05-25")),
        amount: Some(Amount::from_euros(575_000)),
        price_form: Label::v2("Forfaitaire"),
        operators: vec![siret_op("55204599900869")],
        modifications: vec![Modification {
            id: "1".into(),
            object: None,
            signed_on: Some(date("2022-10-18")),
            published_on: Some(date("2022-10-20")),
            new_amount: Some(Amount::from_cents(12_345_787)),
            new_duration_months: Some(12),
            new_operators: vec![siret_op("868768687576575")],
        }],
        subcontracting: vec![Subcontracting {
            id: "1".into(),
            subcontractor: siret_op("214356"),
            amount: Some(Amount::from_cents(12_345_689)),
            duration_months: Some(12),
            signed_on: Some(date("2023-10-11")),
            published_on: Some(date("2023-10-12")),
            price_variation: Some("Révisable".into()),
        }],
        decp2: Some(Decp2Fields {
            techniques: strings(&["Concours", "Accord-cadre"]),
            execution_modes: strings(&["Tranches"]),
            framework_id: Some("1234567890".into()),
            innovative: Some(true),
            ccag: Some("Travaux".into()),
            offers_received: Some(4),
            advance_paid: Some(true),
            advance_rate_permille: Some(0),
            operator_grouping: Some("Pas de groupement".into()),
            price_types: strings(&["Définitif ferme"]),
            subcontracting_declared: Some(true),
            social_considerations: strings(&["Clause sociale", "Critère social"]),
            environmental_considerations: strings(&["Clause environnementale"]),
            public_subsidy: None,
            origin_eu: Some(Share::parse("0.1").unwrap()),
            origin_france: Some(Share::parse("0.1").unwrap()),
            subcontracting_modifications: vec![SubcontractingModification {
                act_id: "1".into(),
                new_duration_months: Some(12),
                new_amount: Some(Amount::from_cents(2_346_587)),
                signed_on: Some(date("2022-10-20")),
                published_on: Some(date("2022-12-15")),
            }],
            execution_data: vec![],
        }),
        repairs: Vec::new(),
    }
}

#[test]
fn the_official_marche_example_keeps_its_values() {
    let mut expected = example("marches_avec_modifications.json")["marches"]["marche"][1].clone();
    assert_eq!(expected["id"], "TEST2022Bis");

    let contract = official_example_marche();
    let (out, _) = export_json(&[&contract]);
    let doc = assert_valid_json(&out);
    let mut exported = doc["marches"]["marche"][0].clone();
    normalize_numbers(&mut exported);
    normalize_numbers(&mut expected);
    assert_eq!(exported, expected);

    let (out, _) = export_xml(&[&contract]);
    assert_valid_xml(&out, "example_marche");
}

#[test]
fn the_official_concession_example_keeps_its_values() {
    let mut expected =
        example("concessions_avec_modifications.json")["marches"]["contrat-concession"][0].clone();
    assert_eq!(expected["id"], "0612202306122024");
    let record = expected.as_object_mut().unwrap();
    // The example's SIRET 12345678901250 fails the Luhn check a `Siret` enforces.
    assert_eq!(record["autoriteConcedante"]["id"], "12345678901250");
    assert!(Siret::parse("12345678901250").is_err());
    record["autoriteConcedante"]["id"] = "21380185500015".into();

    let contract = Contract {
        id: "0612202306122024".into(),
        buyer: siret("21380185500015"),
        buyer_name: None,
        kind: ContractKind::Concession,
        source: ContractSource::Decp2,
        nature: Label::v2("Concession de travaux"),
        object: "Objet de la consultation 1".into(),
        cpv: None,
        procedure: Label::v2("Procédure négociée ouverte"),
        place: None,
        duration_months: Some(12),
        notified_on: Some(date("2024-04-02")),
        starts_on: Some(date("2024-04-01")),
        published_on: Some(date("2024-04-12")),
        amount: Some(Amount::from_cents(1030)),
        price_form: Label {
            value: None,
            original: None,
        },
        operators: vec![siret_op("38103128500491"), siret_op("38103128500574")],
        modifications: vec![Modification {
            id: "1".into(),
            object: None,
            signed_on: Some(date("2023-04-19")),
            published_on: Some(date("2023-04-20")),
            new_amount: Some(Amount::from_euros(25)),
            new_duration_months: Some(14),
            new_operators: vec![],
        }],
        subcontracting: vec![],
        decp2: Some(Decp2Fields {
            public_subsidy: Some(Amount::from_cents(50)),
            execution_data: vec![ExecutionData {
                published_on: Some(date("2024-04-18")),
                investment_spending: Some(Amount::from_cents(1530)),
                tariffs: vec![
                    Tariff {
                        label: Some("Intitulé du tarif".into()),
                        price: Some(Decimal::parse("14.29").unwrap()),
                    },
                    Tariff {
                        label: Some("Intitulé du tarif2".into()),
                        price: Some(Decimal::parse("19.29").unwrap()),
                    },
                ],
            }],
            social_considerations: strings(&["Clause sociale", "Critère social"]),
            environmental_considerations: strings(&[
                "Clause environnementale",
                "Critère environnemental",
            ]),
            ..Decp2Fields::default()
        }),
        repairs: Vec::new(),
    };
    let (out, _) = export_json(&[&contract]);
    let doc = assert_valid_json(&out);
    let mut exported = doc["marches"]["contrat-concession"][0].clone();
    normalize_numbers(&mut exported);
    normalize_numbers(&mut expected);
    assert_eq!(exported, expected);

    let (out, _) = export_xml(&[&contract]);
    assert_valid_xml(&out, "example_concession");
}

#[test]
fn the_official_examples_are_valid_against_the_copied_schema() {
    // Guards the copies: the schema accepts the official examples as published.
    for file in [
        "marches_avec_modifications.json",
        "concessions_avec_modifications.json",
    ] {
        let doc = example(file);
        assert!(json_validator().is_valid(&doc), "{file}");
    }
}

#[test]
fn the_validators_reject_a_record_without_ccag() {
    // Guards the checks above: a validator that accepted anything would pass them all.
    let m = complete_marche();
    let (out, _) = export_json(&[&m]);
    let mut doc = assert_valid_json(&out);
    doc["marches"]["marche"][0]
        .as_object_mut()
        .unwrap()
        .remove("ccag");
    assert!(!json_validator().is_valid(&doc));

    let (out, _) = export_xml(&[&m]);
    let text = String::from_utf8(out).unwrap();
    assert!(text.contains("<ccag>Travaux</ccag>"));
    let broken = text.replace("<ccag>Travaux</ccag>", "");
    let complaints = xmllint(broken.as_bytes(), "broken").unwrap_err();
    assert!(complaints.contains("ccag"), "{complaints}");
}

/// A groupement's award, as the award form records it, publishes one record per lot under the
/// coordinator that both schemas accept.
#[test]
fn a_groupement_award_publishes_valid_records_under_the_coordinator() {
    use mutualis_domain::groupement::{
        Action, Award, AwardPublication, CostSharing, Deliberation, Groupement, Lot, LotAward,
        LotNeed, Mission, NewGroupement, Signature,
    };
    use mutualis_domain::{Quantity, Siren};

    let siren = |s: &str| Siren::parse(s).unwrap();
    let (metro, echirolles) = (siren("200040715"), siren("213801517"));
    let mut g = Groupement::draft(NewGroupement {
        coordinator: metro.clone(),
        coordinator_name: "Grenoble-Alpes-Métropole".into(),
        coordinator_population: Some(449_509),
        title: "Nettoyage des bâtiments & écoles 2028-2031".into(),
        cpv: cpv("90911200-8"),
        lots: vec![Lot {
            number: 1,
            title: "Locaux <administratifs>".into(),
            cpv: cpv("90911200-8"),
        }],
        mission: Mission::AwardOnly,
        cost_sharing: CostSharing::ByVolume,
        duration_months: 48,
        adhesion_deadline: date("2027-03-01"),
        proposed_start: Some(date("2028-01-01")),
        created_on: date("2027-01-10"),
    })
    .unwrap();
    let sign = |member: &Siren, on: &str| {
        Action::Sign(Signature {
            member: member.clone(),
            signed_on: date(on),
            signatory: "Le maire".into(),
            deliberation: Deliberation {
                reference: "DEL-1".into(),
                adopted_on: date("2027-02-15"),
            },
        })
    };
    let need = |member: &Siren, euros: i64| {
        Action::SetNeed(LotNeed {
            lot: 1,
            member: member.clone(),
            quantity: Some(Quantity {
                thousandths: 12_000_000,
                unit: "m²".into(),
            }),
            estimated_amount: Amount::from_euros(euros),
            confirmed: true,
        })
    };
    let award = Award {
        supplier_siret: siret("55204599900869"),
        lots: vec![LotAward {
            lot: 1,
            total: Amount::from_cents(60_000_001),
        }],
        publication: Some(Box::new(AwardPublication {
            notified_on: date("2027-06-01"),
            published_on: date("2027-06-15"),
            procedure: "Appel d'offres ouvert".into(),
            price_form: "Unitaire".into(),
            place: Place {
                code: "38".into(),
                code_type: "Code département".into(),
            },
            decp2: Decp2Fields {
                techniques: strings(&["Accord-cadre"]),
                execution_modes: strings(&["Bons de commande"]),
                innovative: Some(false),
                ccag: Some("Fournitures courantes et services".into()),
                offers_received: Some(4),
                advance_paid: Some(true),
                advance_rate_permille: Some(50),
                operator_grouping: Some("Pas de groupement".into()),
                price_types: strings(&["Définitif révisable"]),
                subcontracting_declared: Some(false),
                social_considerations: strings(&["Clause sociale"]),
                environmental_considerations: strings(&["Critère environnemental"]),
                ..Decp2Fields::default()
            },
        })),
    };
    for action in [
        Action::Invite {
            member: echirolles.clone(),
            name: "Ville d'Échirolles".into(),
            population: Some(36_926),
        },
        Action::Open,
        Action::Join {
            member: echirolles.clone(),
            on: date("2027-02-01"),
        },
        need(&metro, 400_000),
        need(&echirolles, 200_000),
        sign(&metro, "2027-03-02"),
        sign(&echirolles, "2027-03-03"),
        Action::StartConsultation {
            on: date("2027-04-01"),
        },
        Action::Award(award),
    ] {
        g = g.apply(&action).unwrap();
    }
    let published = g.published_contracts(12, &siret("20004071500019"));
    assert_eq!(published.len(), 1);
    let c = &published[0];
    assert!(
        missing_for_decp2(c).is_empty(),
        "{:?}",
        missing_for_decp2(c)
    );

    let (json, stats) = export_json(&[c]);
    assert_eq!((stats.marches, stats.skipped.len()), (1, 0));
    let doc = assert_valid_json(&json);
    let marche = &doc["marches"]["marche"][0];
    assert_eq!(marche["id"], "GRP12-L1");
    assert_eq!(marche["acheteur"]["id"], "20004071500019");
    assert_eq!(marche["montant"].to_string(), "600000.01");
    assert_eq!(marche["tauxAvance"].to_string(), "0.05");
    let (xml, stats) = export_xml(&[c]);
    assert_eq!(stats.marches, 1);
    assert_valid_xml(&xml, "groupement");
}

#[test]
fn the_new_fields_decp2_refuses_are_reported_not_written() {
    let mut m = official_example_marche();
    m.decp2.as_mut().unwrap().subcontracting_modifications[0].act_id = "A".into();
    m.decp2.as_mut().unwrap().subcontracting_modifications[0].signed_on = None;
    assert_eq!(
        missing_for_decp2(&m),
        [
            "modificationsActesSousTraitance.id",
            "modificationsActesSousTraitance.dateNotificationModificationSousTraitance"
        ]
    );

    let mut c = complete_concession();
    let year = |tariffs: Vec<Tariff>| ExecutionData {
        published_on: Some(date("2026-07-01")),
        investment_spending: Some(Amount::ZERO),
        tariffs,
    };
    c.decp2.as_mut().unwrap().execution_data = vec![year(vec![])];
    assert_eq!(missing_for_decp2(&c), ["donneesExecution.tarifs"]);
    c.decp2.as_mut().unwrap().execution_data = vec![year(vec![Tariff {
        label: Some("x".repeat(257)),
        price: None,
    }])];
    assert_eq!(
        missing_for_decp2(&c),
        [
            "donneesExecution.tarifs.intituleTarif",
            "donneesExecution.tarifs.tarif"
        ]
    );
    // A tariff of more than two decimals is written exactly, and both schemas take it.
    c.decp2.as_mut().unwrap().execution_data = vec![year(vec![Tariff {
        label: Some("Prix du m³ d'eau".into()),
        price: Some(Decimal::parse("1.2345").unwrap()),
    }])];
    assert_eq!(missing_for_decp2(&c), Vec::<&str>::new());
    let (out, _) = export_json(&[&c]);
    assert!(String::from_utf8_lossy(&out).contains(r#""tarif":1.2345"#));
    assert_valid_json(&out);
    let (out, _) = export_xml(&[&c]);
    assert!(String::from_utf8_lossy(&out).contains("<tarif>1.2345</tarif>"));
    assert_valid_xml(&out, "tariff");
}

// ---------------------------------------------------------------------------------------------
// The official DECP 2.0 examples (their SIRETs made valid: `tests/data/decp-2.0-examples/`)
// survive import → export → import with every field equal.

fn examples_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/data/decp-2.0-examples")
}

/// Every contract of a DECP document; a rejected record fails the test, naming its reason.
fn import(bytes: &[u8]) -> Vec<Contract> {
    let mut contracts = Vec::new();
    read_decp(
        bytes,
        mutualis_reference::cpv::nomenclature(),
        |record| match record {
            Ok(c) => contracts.push(c),
            Err(r) => panic!("record {} rejected: {:?} {}", r.index, r.field, r.detail),
        },
    )
    .unwrap();
    contracts
}

/// The order of a JSON export: the marchés, then the concessions, each in input order.
fn in_json_order(contracts: &[Contract]) -> Vec<Contract> {
    let of = |kind| contracts.iter().filter(move |c| c.kind == kind).cloned();
    of(ContractKind::Marche)
        .chain(of(ContractKind::Concession))
        .collect()
}

/// A JSON number's decimal text without the zeros that carry no value: 25.0 → 25, 10.30 → 10.3.
fn number_text(n: &serde_json::Number) -> String {
    let text = n.to_string();
    if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_owned()
    } else {
        text
    }
}

/// `exported` has exactly the keys of `example`, each with an equal value; numbers are
/// compared by their decimal text once trailing zeros are dropped (the example's 25.0 is
/// exported 25), which is the only difference of formatting allowed.
fn assert_same_record(example: &Value, exported: &Value, path: &str) {
    match (example, exported) {
        (Value::Object(e), Value::Object(x)) => {
            for (key, value) in e {
                let Some(found) = x.get(key) else {
                    panic!("{path}.{key} is in the example, not in the export: {exported:#}");
                };
                assert_same_record(value, found, &format!("{path}.{key}"));
            }
            for key in x.keys() {
                assert!(
                    e.contains_key(key),
                    "{path}.{key} is in the export, not in the example"
                );
            }
        }
        (Value::Array(e), Value::Array(x)) => {
            assert_eq!(e.len(), x.len(), "{path}: list lengths");
            for (i, (ev, xv)) in e.iter().zip(x).enumerate() {
                assert_same_record(ev, xv, &format!("{path}[{i}]"));
            }
        }
        (Value::Number(e), Value::Number(x)) => {
            assert_eq!(number_text(e), number_text(x), "{path}")
        }
        (e, x) => assert_eq!(e, x, "{path}"),
    }
}

#[test]
fn the_official_json_examples_survive_a_round_trip_with_every_field() {
    let files = [
        "concessions.json",
        "concessions_avec_modifications.json",
        "marches_avec_modifications.json",
        "marches_concessions.json",
    ];
    let mut records = 0;
    for file in files {
        let bytes = fs::read(examples_dir().join("json").join(file)).unwrap();
        let example: Value = serde_json::from_slice(&bytes).unwrap();
        assert!(json_validator().is_valid(&example), "{file}");
        let imported = import(&bytes);
        let in_example = |kind: &str| example["marches"][kind].as_array().map_or(0, Vec::len);
        assert_eq!(
            imported.len(),
            in_example("marche") + in_example("contrat-concession"),
            "{file}: every record is imported"
        );

        let (json, stats) = export_json(&imported.iter().collect::<Vec<_>>());
        assert!(stats.skipped.is_empty(), "{file}: {:?}", stats.skipped);
        let exported = assert_valid_json(&json);
        for kind in ["marche", "contrat-concession"] {
            let empty = Vec::new();
            let theirs = example["marches"][kind].as_array().unwrap_or(&empty);
            let ours = exported["marches"][kind].as_array().unwrap();
            assert_eq!(ours.len(), theirs.len(), "{file} {kind}");
            for (i, (e, x)) in theirs.iter().zip(ours).enumerate() {
                assert_same_record(e, x, &format!("{file} {kind}[{i}]"));
                records += 1;
            }
        }
        assert_eq!(
            import(&json),
            in_json_order(&imported),
            "{file}: JSON import → export → import"
        );

        let (xml, _) = export_xml(&imported.iter().collect::<Vec<_>>());
        assert_valid_xml(&xml, &format!("roundtrip_{file}"));
        assert_eq!(import(&xml), imported, "{file}: JSON → XML → import");
    }
    assert_eq!(records, 10);
}

#[test]
fn the_official_xml_examples_survive_a_round_trip_with_every_field() {
    for file in [
        "Marche.xml",
        "Contrat-concession.xml",
        "Contrat-concession-modification.xml",
    ] {
        let bytes = fs::read(examples_dir().join("xml").join(file)).unwrap();
        assert_valid_xml(&bytes, &format!("example_{file}"));
        let imported = import(&bytes);
        assert_eq!(imported.len(), 2, "{file}");
        let (xml, stats) = export_xml(&imported.iter().collect::<Vec<_>>());
        assert!(stats.skipped.is_empty(), "{file}: {:?}", stats.skipped);
        assert_valid_xml(&xml, &format!("roundtrip_{file}"));
        assert_eq!(
            import(&xml),
            imported,
            "{file}: XML import → export → import"
        );
        let (json, _) = export_json(&imported.iter().collect::<Vec<_>>());
        assert_valid_json(&json);
        assert_eq!(
            import(&json),
            in_json_order(&imported),
            "{file}: XML → JSON → import"
        );
    }
}

#[test]
fn the_fields_read_from_the_examples_are_their_values() {
    let bytes = fs::read(examples_dir().join("json/marches_concessions.json")).unwrap();
    let imported = import(&bytes);
    let concession = &imported[0];
    assert_eq!(concession.kind, ContractKind::Concession);
    let d = concession.decp2.as_ref().unwrap();
    assert_eq!(d.public_subsidy, Some(Amount::from_cents(50)));
    let year = &d.execution_data[0];
    assert_eq!(year.published_on, Some(date("2024-04-18")));
    assert_eq!(year.investment_spending, Some(Amount::from_cents(1530)));
    let tariffs: Vec<(String, String)> = year
        .tariffs
        .iter()
        .map(|t| (t.label.clone().unwrap(), t.price.unwrap().to_string()))
        .collect();
    assert_eq!(
        tariffs,
        [
            ("Intitulé du tarif".to_owned(), "14.29".to_owned()),
            ("Intitulé du tarif2".to_owned(), "19.29".to_owned())
        ]
    );

    let marche = &imported[2];
    assert_eq!(marche.id, "TEST2022");
    assert_eq!(marche.buyer.as_str(), "21750001630065");
    let d = marche.decp2.as_ref().unwrap();
    assert_eq!(d.origin_eu.unwrap().percent_fr(), "10 %");
    assert_eq!(d.origin_france.unwrap().to_string(), "0.1");
    assert_eq!(
        d.subcontracting_modifications,
        [SubcontractingModification {
            act_id: "1".into(),
            new_duration_months: Some(12),
            new_amount: Some(Amount::from_cents(2_346_587)),
            signed_on: Some(date("2022-10-20")),
            published_on: Some(date("2022-12-15")),
        }]
    );

    // The XML example holds the same values as its JSON counterpart.
    let xml = fs::read(examples_dir().join("xml/Marche.xml")).unwrap();
    let from_xml = import(&xml);
    let d = from_xml[0].decp2.as_ref().unwrap();
    assert_eq!(d.origin_eu, Some(Share::parse("0.1").unwrap()));
    let xml = fs::read(examples_dir().join("xml/Contrat-concession.xml")).unwrap();
    let from_xml = import(&xml);
    let year = &from_xml[0].decp2.as_ref().unwrap().execution_data[0];
    assert_eq!(
        year.tariffs[0].price,
        Some(Decimal::parse("14.29").unwrap())
    );
}
