#![allow(clippy::unwrap_used)]
//! DECP reading on real files: the official examples of both versions in JSON and XML (copied
//! under `tests/data/decp-format`), the Isère extract shipped in `data/decp`, and, when
//! `../shared/data/real` exists, the large 2019 files and the decp-processing fixtures.

use std::collections::{BTreeMap, BTreeSet};
use std::fs::File;
use std::io::{self, BufReader, Read, Write};
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use mutualis_domain::contract::{Label, Operator, Place};
use mutualis_domain::{
    Amount, Contract, ContractKind, ContractSource, CpvNomenclature, Repair, RepairKind,
};
use mutualis_formats::decp_read::{
    DecpFormat, FileError, ReadStats, RejectReason, Rejection, read_decp, read_decp_until,
};

// ---------------------------------------------------------------------------------------------
// Helpers

fn cpv() -> &'static CpvNomenclature {
    mutualis_reference::cpv::nomenclature()
}

/// Everything a read produced.
struct Outcome {
    stats: ReadStats,
    contracts: Vec<Contract>,
    rejections: Vec<Rejection>,
    /// Position of each contract in the file.
    contract_index: Vec<usize>,
}

impl Outcome {
    fn counts(&self) -> (DecpFormat, usize, usize, usize) {
        (
            self.stats.format,
            self.stats.read,
            self.stats.contracts,
            self.stats.rejected,
        )
    }

    fn contract(&self, id: &str) -> &Contract {
        self.contracts
            .iter()
            .find(|c| c.id == id)
            .unwrap_or_else(|| panic!("no contract {id}"))
    }

    fn reasons(&self) -> BTreeMap<&'static str, usize> {
        let mut by = BTreeMap::new();
        for r in &self.rejections {
            *by.entry(r.reason.code()).or_default() += 1;
        }
        by
    }

    /// The repairs made, by kind.
    fn repairs(&self) -> BTreeMap<&'static str, usize> {
        let mut by = BTreeMap::new();
        for r in self.contracts.iter().flat_map(|c| &c.repairs) {
            *by.entry(r.kind.code()).or_default() += 1;
        }
        by
    }

    /// The contract read at position `index` of the file.
    fn at(&self, index: usize) -> &Contract {
        let i = self
            .contract_index
            .iter()
            .position(|&p| p == index)
            .unwrap_or_else(|| panic!("no contract at {index}"));
        &self.contracts[i]
    }
}

/// A repair, as the reader notes it (its sentence aside).
fn repair(kind: RepairKind, field: &str, published: &str, kept: Option<&str>) -> Repair {
    Repair {
        kind,
        field: field.into(),
        published: published.into(),
        kept: kept.map(str::to_owned),
        note: String::new(),
    }
}

/// A contract's repairs without their sentences, each of which must name the published value.
fn repairs_of(c: &Contract) -> Vec<Repair> {
    c.repairs
        .iter()
        .map(|r| {
            assert!(r.note.contains(&r.published), "{r:?}");
            Repair {
                note: String::new(),
                ..r.clone()
            }
        })
        .collect()
}

fn read(reader: impl io::BufRead) -> Result<Outcome, FileError> {
    let mut contracts = Vec::new();
    let mut rejections = Vec::new();
    let mut contract_index = Vec::new();
    let mut position = 0;
    let stats = read_decp(reader, cpv(), |record| {
        match record {
            Ok(c) => {
                contracts.push(c);
                contract_index.push(position);
            }
            Err(r) => {
                assert_eq!(r.index, position, "rejections carry their position");
                rejections.push(r);
            }
        }
        position += 1;
    })?;
    assert_eq!(stats.read, position);
    assert_eq!(stats.read, stats.contracts + stats.rejected);
    assert!(!stats.stopped);
    Ok(Outcome {
        stats,
        contracts,
        rejections,
        contract_index,
    })
}

fn read_str(text: &str) -> Result<Outcome, FileError> {
    read(text.as_bytes())
}

fn read_path(path: &Path) -> Outcome {
    let file = File::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    read(BufReader::new(file)).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn data(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(rel)
}

fn example(rel: &str) -> Outcome {
    read_path(&data(&format!("decp-format/{rel}")))
}

fn example_text(rel: &str) -> String {
    std::fs::read_to_string(data(&format!("decp-format/{rel}"))).unwrap()
}

/// A file of `../shared/data/real`, which only exists beside the project's main clone: when
/// it is absent the test says so on the terminal and skips.
fn shared(rel: &str) -> Option<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/real");
    let path = root.join(rel);
    if path.exists() {
        Some(path)
    } else {
        // Written to stderr directly, so the test harness does not capture it.
        let _ = writeln!(
            io::stderr(),
            "note: {} absent (../shared is not part of a clone): test skipped",
            path.display()
        );
        None
    }
}

fn date(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

fn euros(s: &str) -> Amount {
    Amount::parse_euros(s).unwrap()
}

fn label(value: Option<&str>, original: Option<&str>) -> Label {
    Label {
        value: value.map(str::to_owned),
        original: original.map(str::to_owned),
    }
}

fn op(id: &str, id_type: &str, name: Option<&str>) -> Operator {
    Operator {
        id: id.into(),
        id_type: id_type.into(),
        name: name.map(str::to_owned),
    }
}

/// A DECP 1.x document with one marché, whose fields are `fields` over a valid base.
fn v1_marche(fields: &[(&str, serde_json::Value)]) -> String {
    let mut record = serde_json::json!({
        "_type": "Marché",
        "id": "2019-001",
        "acheteur": {"id": "20004071500019", "nom": "GRENOBLE ALPES METROPOLE"},
        "nature": "Marché",
        "objet": "Nettoyage des locaux",
        "codeCPV": "90910000-9",
        "procedure": "Procédure adaptée",
        "lieuExecution": {"code": "38000", "typeCode": "Code postal", "nom": "Grenoble"},
        "dureeMois": 24,
        "dateNotification": "2019-03-15",
        "datePublicationDonnees": "2019-04-01",
        "montant": 100000,
        "formePrix": "Ferme",
        "titulaires": [{"typeIdentifiant": "SIRET", "id": "21380185500015", "denominationSociale": "X"}],
        "modifications": []
    });
    for (key, value) in fields {
        if value.is_null() {
            record.as_object_mut().unwrap().remove(*key);
        } else {
            record[*key] = value.clone();
        }
    }
    serde_json::json!({ "marches": [record] }).to_string()
}

/// The one contract of a document, or its rejection.
fn one(text: &str) -> Result<Contract, Box<Rejection>> {
    let mut r = read_str(text).unwrap();
    assert_eq!(r.stats.read, 1);
    match (r.contracts.pop(), r.rejections.pop()) {
        (Some(c), None) => Ok(c),
        (None, Some(rej)) => Err(Box::new(rej)),
        _ => unreachable!(),
    }
}

fn rejected(text: &str) -> Rejection {
    *one(text).expect_err("rejected")
}

// ---------------------------------------------------------------------------------------------
// Official examples (fictitious data; several use fictitious buyer SIRETs with a wrong Luhn key)

#[test]
fn every_official_example_gives_exact_counts() {
    use DecpFormat::*;
    let cases = [
        ("v1.5/paquet.json", V1Json, 2, 2, 0),
        ("v1.5/mar-avec-modifications.json", V1Json, 1, 1, 0),
        ("v1.5/cc-avec-modifications.json", V1Json, 1, 1, 0),
        ("v1.5/paquet.xml", V1Xml, 4, 4, 0),
        ("v1.5/mar-avec-modifications.xml", V1Xml, 1, 1, 0),
        ("v2.0/json/concessions.json", V2Json, 2, 0, 2),
        (
            "v2.0/json/concessions_avec_modifications.json",
            V2Json,
            2,
            0,
            2,
        ),
        ("v2.0/json/marches_avec_modifications.json", V2Json, 2, 2, 0),
        ("v2.0/json/marches_concessions.json", V2Json, 4, 2, 2),
        ("v2.0/xml/Marche.xml", V2Xml, 2, 2, 0),
        ("v2.0/xml/Contrat-concession.xml", V2Xml, 2, 0, 2),
        (
            "v2.0/xml/Contrat-concession-modification.xml",
            V2Xml,
            2,
            0,
            2,
        ),
    ];
    for (file, format, read, contracts, rejected) in cases {
        let r = example(file);
        assert_eq!(
            r.counts(),
            (format, read, contracts, rejected),
            "{file}: {:?}",
            r.rejections
                .iter()
                .map(|r| r.to_string())
                .collect::<Vec<_>>()
        );
        // The only rejections are the examples' fictitious buyers whose SIRET fails both
        // keys; 21750001630066 passes its SIREN's key and is kept, noted.
        for c in &r.contracts {
            let noted: Vec<_> = c.repairs.iter().map(|r| r.kind).collect();
            if c.buyer.as_str() == "21750001630066" {
                assert_eq!(noted, [RepairKind::BuyerSiretKey], "{file}");
            } else {
                assert!(noted.is_empty(), "{file}: {noted:?}");
            }
        }
        for rej in &r.rejections {
            assert_eq!(rej.reason, RejectReason::InvalidSiret, "{file}: {rej}");
            assert!(
                ["acheteur.id", "autoriteConcedante.id"].contains(&rej.field.as_str()),
                "{file}: {rej}"
            );
            assert!(
                ["12345678901234", "12345678901250"].contains(&rej.value.as_str()),
                "{file}: {rej}"
            );
        }
    }
}

#[test]
fn a_1_x_marche_is_read_with_its_labels_mapped_to_2_0() {
    let r = example("v1.5/paquet.json");
    let c = r.contract("2010345211200");
    assert_eq!(c.kind, ContractKind::Marche);
    assert_eq!(c.source, ContractSource::Decp1);
    assert_eq!(c.buyer.as_str(), "21350238800019");
    assert_eq!(c.buyer_name.as_deref(), Some("Ville de Rennes"));
    assert_eq!(c.nature, label(Some("Marché"), Some("Accord-cadre")));
    assert_eq!(c.object, "Entretien des jardins municipaux");
    assert_eq!(c.cpv, Some(cpv().parse("77313000").unwrap()));
    assert_eq!(
        c.procedure,
        Label::v2("Marché passé sans publicité ni mise en concurrence préalable")
    );
    assert_eq!(
        c.place,
        Some(Place {
            code: "35238".into(),
            code_type: "Code commune".into()
        })
    );
    assert_eq!(c.duration_months, Some(24));
    assert_eq!(c.notified_on, Some(date("2007-08-13")));
    assert_eq!(c.published_on, Some(date("2007-08-19")));
    assert_eq!(c.starts_on, None);
    assert_eq!(c.amount, Some(Amount::from_euros(127_000)));
    assert_eq!(c.price_form, label(None, Some("Ferme et actualisable")));
    assert_eq!(
        c.operators,
        [
            op("81223113200026", "SIRET", Some("Garami SARL")),
            op("DE814864138", "TVA", Some("Hellman Gmbh")),
        ]
    );
    assert!(c.modifications.is_empty() && c.subcontracting.is_empty());
    assert_eq!(c.decp2, None);
}

#[test]
fn a_1_x_concession_is_read_from_its_own_fields() {
    let r = example("v1.5/cc-avec-modifications.json");
    let c = r.contract("20010345211202");
    assert_eq!(c.kind, ContractKind::Concession);
    assert_eq!(c.buyer.as_str(), "21350238800019");
    assert_eq!(c.buyer_name.as_deref(), Some("Ville de Millau"));
    assert_eq!(c.nature, Label::v2("Concession de travaux"));
    assert_eq!(c.procedure, Label::v2("Procédure négociée restreinte"));
    assert_eq!(c.notified_on, Some(date("2001-02-21")));
    assert_eq!(c.starts_on, Some(date("2001-02-21")));
    assert_eq!(c.amount, Some(Amount::from_euros(27_860_000)));
    assert_eq!(c.price_form, label(None, None));
    assert_eq!(
        c.operators,
        [op("81223113200026", "SIRET", Some("Atlas SAS"))]
    );
    let ids: Vec<&str> = c.modifications.iter().map(|m| m.id.as_str()).collect();
    assert_eq!(
        ids,
        ["1", "2"],
        "1.x modifications are numbered by position"
    );
    let last = &c.modifications[1];
    assert_eq!(last.signed_on, Some(date("2002-01-06")));
    assert_eq!(last.published_on, Some(date("2002-01-19")));
    assert_eq!(last.new_duration_months, Some(540));
    assert_eq!(last.new_amount, Some(Amount::from_euros(33_890_000)));
    assert_eq!(c.current_amount(), Some(Amount::from_euros(33_890_000)));
    assert_eq!(c.decp2, None);
}

#[test]
fn the_1_x_xml_example_reads_like_its_json_counterpart() {
    let json = example("v1.5/paquet.json");
    let xml = example("v1.5/paquet.xml");
    // paquet.xml holds the same marché as paquet.json, beside other records.
    let from_xml = &xml.contracts[2];
    assert_eq!(from_xml, json.contract("2010345211200"));
    assert_eq!(xml.contracts[0].kind, ContractKind::Concession);
    assert_eq!(
        xml.contracts[0].operators[0].name.as_deref(),
        Some("Atlas SAS")
    );

    let m = example("v1.5/mar-avec-modifications.xml");
    let c = &m.contracts[0];
    assert_eq!(m.stats.format, DecpFormat::V1Xml);
    assert_eq!(c.modifications.len(), 3);
    assert_eq!(
        c.modifications[0].object.as_deref(),
        Some("Changement de titulaire : remplacement d'Hellman par Amandier.")
    );
    assert_eq!(c.modifications[1].new_duration_months, Some(30));
    assert_eq!(c.current_duration_months(), Some(30));
    // Titulaires follow the modification published last.
    assert_eq!(c.current_operators()[1].name.as_deref(), Some("Jullié SA"));
}

#[test]
fn a_2_0_marche_fills_every_2_0_field() {
    let r = example("v2.0/json/marches_avec_modifications.json");
    let c = r.contract("TEST2022Bis");
    assert_eq!(c.source, ContractSource::Decp2);
    assert_eq!(c.buyer.as_str(), "21750001630040");
    assert_eq!(c.buyer_name, None);
    assert_eq!(c.nature, Label::v2("Marché"));
    assert_eq!(c.cpv, Some(cpv().parse("45000000-7").unwrap()));
    assert_eq!(c.procedure, Label::v2("Appel d'offres ouvert"));
    assert_eq!(c.price_form, Label::v2("Forfaitaire"));
    assert_eq!(c.amount, Some(Amount::from_euros(575_000)));
    assert_eq!(c.duration_months, Some(48));
    assert_eq!(c.operators, [op("55204599900869", "SIRET", None)]);
    let d = c.decp2.as_ref().unwrap();
    assert_eq!(d.techniques, ["Concours", "Accord-cadre"]);
    assert_eq!(d.execution_modes, ["Tranches"]);
    assert_eq!(d.framework_id.as_deref(), Some("1234567890"));
    assert_eq!(d.innovative, Some(true));
    assert_eq!(d.ccag.as_deref(), Some("Travaux"));
    assert_eq!(d.offers_received, Some(4));
    assert_eq!(d.advance_paid, Some(true));
    assert_eq!(d.advance_rate_permille, Some(0));
    assert_eq!(d.operator_grouping.as_deref(), Some("Pas de groupement"));
    assert_eq!(d.price_types, ["Définitif ferme"]);
    assert_eq!(d.subcontracting_declared, Some(true));
    assert_eq!(
        d.social_considerations,
        ["Clause sociale", "Critère social"]
    );
    assert_eq!(d.environmental_considerations, ["Clause environnementale"]);
    assert_eq!(d.public_subsidy, None);
    let act = &c.subcontracting[0];
    assert_eq!(act.id, "1");
    assert_eq!(act.subcontractor, op("214356", "SIRET", None));
    assert_eq!(act.amount, Some(euros("123456.89")));
    assert_eq!(act.duration_months, Some(12));
    assert_eq!(act.signed_on, Some(date("2023-10-11")));
    assert_eq!(act.price_variation.as_deref(), Some("Révisable"));
    let m = &c.modifications[0];
    assert_eq!(m.id, "1");
    assert_eq!(m.new_amount, Some(euros("123457.87")));
    assert_eq!(m.new_duration_months, Some(12));
    assert_eq!(m.new_operators, [op("868768687576575", "SIRET", None)]);
    assert_eq!(m.signed_on, Some(date("2022-10-18")));
}

#[test]
fn the_2_0_xml_example_reads_like_the_json_one() {
    let json = example("v2.0/json/marches_avec_modifications.json");
    let xml = example("v2.0/xml/Marche.xml");
    let from_json = json.contract("TEST2022Bis");
    let from_xml = &xml.contracts[0];
    // The examples differ in id, object, the act's dates and the modifications (of the
    // contract and of its subcontracting act, which the XML example lacks); all else is the
    // same record, "oui" in XML being true in JSON.
    let mut json_fields = from_json.decp2.clone().unwrap();
    assert_eq!(json_fields.subcontracting_modifications.len(), 1);
    json_fields.subcontracting_modifications.clear();
    assert_eq!(from_xml.decp2, Some(json_fields));
    assert_eq!(
        from_xml
            .decp2
            .as_ref()
            .unwrap()
            .origin_eu
            .map(|s| s.to_string()),
        Some("0.1".to_owned())
    );
    assert_eq!(from_xml.operators, from_json.operators);
    assert_eq!(
        from_xml.subcontracting[0].amount,
        from_json.subcontracting[0].amount
    );
    assert_eq!(
        from_xml.subcontracting[0].subcontractor,
        from_json.subcontracting[0].subcontractor
    );
    for (a, b) in [
        (&from_xml.nature, &from_json.nature),
        (&from_xml.procedure, &from_json.procedure),
        (&from_xml.price_form, &from_json.price_form),
    ] {
        assert_eq!(a, b);
    }
    assert_eq!(
        (
            from_xml.cpv,
            from_xml.amount,
            from_xml.duration_months,
            &from_xml.place
        ),
        (
            from_json.cpv,
            from_json.amount,
            from_json.duration_months,
            &from_json.place
        )
    );
    assert_eq!(from_xml.notified_on, from_json.notified_on);
    assert!(from_xml.modifications.is_empty());
}

#[test]
fn a_2_0_concession_with_a_valid_buyer_is_read_in_full_from_json_and_xml() {
    // The examples' autorité concédante 12345678901234 fails the Luhn check: with a real
    // SIRET, the same records are read in full.
    let fix = |text: String| text.replace("12345678901234", "21380185500015");
    let xml = read_str(&fix(example_text(
        "v2.0/xml/Contrat-concession-modification.xml",
    )))
    .unwrap();
    assert_eq!(xml.counts(), (DecpFormat::V2Xml, 2, 2, 0));
    let json = read_str(&fix(example_text(
        "v2.0/json/concessions_avec_modifications.json",
    )))
    .unwrap();
    assert_eq!(json.counts(), (DecpFormat::V2Json, 2, 1, 1));
    let (x, j) = (&xml.contracts[0], &json.contracts[0]);
    for c in [x, j] {
        assert_eq!(c.kind, ContractKind::Concession);
        assert_eq!(c.buyer.as_str(), "21380185500015");
        assert_eq!(c.amount, Some(euros("10.3")));
        assert_eq!(c.starts_on, Some(date("2024-04-01")));
        assert_eq!(c.notified_on, Some(date("2024-04-02")));
        assert_eq!(
            c.operators,
            [
                op("38103128500491", "SIRET", None),
                op("38103128500574", "SIRET", None)
            ]
        );
        let d = c.decp2.as_ref().unwrap();
        assert_eq!(d.public_subsidy, Some(euros("0.5")));
        assert!(d.techniques.is_empty() && d.ccag.is_none());
        assert_eq!(
            d.social_considerations,
            ["Clause sociale", "Critère social"]
        );
        assert_eq!(c.modifications[0].new_amount, Some(Amount::from_euros(25)));
        assert_eq!(c.modifications[0].new_duration_months, Some(14));
    }
    // The XML example lists the first of the JSON example's two tariffs; all else is equal.
    let (xd, mut jd) = (x.decp2.clone().unwrap(), j.decp2.clone().unwrap());
    let tariffs = |d: &mutualis_domain::contract::Decp2Fields| -> Vec<(String, String)> {
        d.execution_data[0]
            .tariffs
            .iter()
            .map(|t| (t.label.clone().unwrap(), t.price.unwrap().to_string()))
            .collect()
    };
    assert_eq!(
        tariffs(&jd),
        [
            ("Intitulé du tarif".to_owned(), "14.29".to_owned()),
            ("Intitulé du tarif2".to_owned(), "19.29".to_owned())
        ]
    );
    assert_eq!(tariffs(&xd), tariffs(&jd)[..1]);
    jd.execution_data[0].tariffs.truncate(1);
    assert_eq!(xd, jd);
    assert_eq!(
        xd.execution_data[0].investment_spending,
        Some(euros("15.3"))
    );
    assert_eq!(x.modifications[0].signed_on, Some(date("2024-04-19")));
}

#[test]
fn records_are_numbered_in_document_order_across_lists() {
    // marches_concessions.json lists its concessions before its marchés.
    let r = example("v2.0/json/marches_concessions.json");
    let kinds: Vec<_> = r.rejections.iter().map(|r| (r.index, r.kind)).collect();
    assert_eq!(
        kinds,
        [
            (0, Some(ContractKind::Concession)),
            (1, Some(ContractKind::Concession)),
        ]
    );
    assert_eq!(r.contract_index, [2, 3]);
    assert_eq!(r.contracts[0].id, "TEST2022");
    assert_eq!(r.contracts[1].id, "TEST2022Bis");
    // The rejected record is kept whole, for a rejects file.
    assert_eq!(
        r.rejections[1].record["objet"],
        "Objet de la consultation 2"
    );
}

// ---------------------------------------------------------------------------------------------
// Real data

#[test]
fn the_isere_extract_is_read_in_full() {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/decp/isere_extract_2019.json");
    let r = read_path(&path);
    assert_eq!(r.counts(), (DecpFormat::V1Json, 220, 220, 0));
    // The SOURCES' "33 buyers" are 33 names: 32 SIRETs of 31 organisations (SIREN).
    let names: BTreeSet<_> = r.contracts.iter().map(|c| c.buyer_name.clone()).collect();
    let sirets: BTreeSet<_> = r.contracts.iter().map(|c| c.buyer.clone()).collect();
    let sirens: BTreeSet<_> = r.contracts.iter().map(|c| c.buyer_siren()).collect();
    assert_eq!((names.len(), sirets.len(), sirens.len()), (33, 32, 31));
    let metropole = r
        .contracts
        .iter()
        .filter(|c| c.buyer_siren().as_str() == "200040715")
        .count();
    assert_eq!(metropole, 18);
    // Dates with a zone suffix ("2018-12-21+01:00") keep their date.
    assert!(
        r.contracts
            .iter()
            .all(|c| c.source == ContractSource::Decp1)
    );
    let mapped = r
        .contracts
        .iter()
        .filter(|c| c.nature.original.as_deref() == Some("Marché subséquent"))
        .count();
    assert_eq!(mapped, 25);
}

#[test]
fn marches_publics_info_2019() {
    let Some(path) = shared("decp-2019/marches-publics.info.json") else {
        return;
    };
    let r = read_path(&path);
    // Before repairs: 4,484 contracts, 14 rejected for their CPV code and 8 for their buyer's
    // SIRET. The CPV codes are repaired or dropped; 5 SIRETs pass their SIREN's key.
    assert_eq!(r.counts(), (DecpFormat::V1Json, 4509, 4503, 6));
    assert_eq!(
        r.reasons(),
        BTreeMap::from([
            ("invalid_date", 2),
            ("invalid_duration", 1),
            ("invalid_siret", 3),
        ])
    );
    assert_eq!(
        r.repairs(),
        BTreeMap::from([
            ("buyer_siret_key", 5),
            ("cpv_check_digit", 6),
            ("cpv_dropped", 2),
            ("cpv_hyphen_missing", 1),
            ("cpv_leading_zero", 5),
        ])
    );
    let concessions = r
        .contracts
        .iter()
        .filter(|c| c.kind == ContractKind::Concession)
        .count();
    assert_eq!(concessions, 10);

    // Grenoble Alpes Métropole, matched by SIREN.
    let metropole: Vec<&Contract> = r
        .contracts
        .iter()
        .filter(|c| c.buyer_siren().as_str() == "200040715")
        .collect();
    assert_eq!(metropole.len(), 18);
    assert!(
        metropole
            .iter()
            .all(|c| c.buyer_name.as_deref() == Some("GRENOBLE ALPES METROPOLE"))
    );

    // The quirks the SOURCES list.
    let by_index = |i: usize| r.rejections.iter().find(|r| r.index == i).unwrap();
    let year = by_index(523);
    assert_eq!(
        (year.reason, year.field.as_str(), year.value.as_str()),
        (RejectReason::InvalidDate, "dateNotification", "0218-10-29")
    );
    // Repaired, each with its note.
    let check = r.at(15);
    assert_eq!(check.cpv.unwrap().to_string(), "90620000-9");
    assert_eq!(
        repairs_of(check),
        [repair(
            RepairKind::CpvCheckDigit,
            "codeCPV",
            "90620000-1",
            Some("90620000-9")
        )]
    );
    assert!(
        check.repairs[0].note.contains("90620000-9"),
        "{:?}",
        check.repairs
    );
    let short = r.at(3722);
    assert_eq!(short.cpv.unwrap().to_string(), "03111000-2");
    assert_eq!(
        repairs_of(short),
        [repair(
            RepairKind::CpvLeadingZero,
            "codeCPV",
            "3111000",
            Some("03111000-2")
        )]
    );
    let hyphen = r.at(3433);
    assert_eq!(hyphen.cpv.unwrap().to_string(), "03121000-5");
    assert_eq!(hyphen.repairs[0].kind, RepairKind::CpvHyphenMissing);
    // "4543100-7": 45431000-7 lost its last zero, or 04543100 its first, which does not
    // exist: not guessed, the contract kept without a code.
    let dropped = r.at(1803);
    assert_eq!(dropped.cpv, None);
    assert_eq!(
        repairs_of(dropped),
        [repair(RepairKind::CpvDropped, "codeCPV", "4543100-7", None)]
    );
    let siret = r.at(470);
    assert_eq!(siret.buyer.as_str(), "25600053000015");
    assert_eq!(
        repairs_of(siret),
        [repair(
            RepairKind::BuyerSiretKey,
            "acheteur.id",
            "25600053000015",
            Some("25600053000015")
        )]
    );
    // Both keys wrong: still rejected.
    let siret = by_index(929);
    assert_eq!(
        (siret.reason, siret.field.as_str(), siret.value.as_str()),
        (RejectReason::InvalidSiret, "acheteur.id", "22740001400074")
    );
    let months = by_index(4267);
    assert_eq!(
        (months.reason, months.field.as_str(), months.value.as_str()),
        (
            RejectReason::InvalidDuration,
            "modifications[0].dureeMois",
            "1.5"
        )
    );
    // Legacy labels are mapped, the original kept.
    let negotiated = r
        .contracts
        .iter()
        .filter(|c| {
            c.procedure.original.as_deref()
                == Some("Marché négocié sans publicité ni mise en concurrence préalable")
        })
        .count();
    assert!(negotiated > 90, "{negotiated}");
    assert!(r.contracts.iter().all(|c| c.procedure.value.is_some()));
    // Both CPV forms are read.
    assert!(r.contracts.iter().filter(|c| c.cpv.is_some()).count() > 4400);
    // Every other contract is read as published.
    assert_eq!(
        r.contracts.iter().filter(|c| !c.repairs.is_empty()).count(),
        19
    );
    // "2019-1-1" (a concession's start) is read as 1 January 2019.
    assert!(
        r.contracts
            .iter()
            .any(|c| c.starts_on == Some(date("2019-01-01")))
    );
}

#[test]
fn data_gouv_fr_pes_2019() {
    let Some(path) = shared("decp-2019/data.gouv.fr_pes.json") else {
        return;
    };
    let r = read_path(&path);
    // Before repairs: 1,111 contracts and 37 rejected for their CPV code, the test record
    // imported as a contract.
    assert_eq!(r.counts(), (DecpFormat::V1Json, 1148, 1147, 1));
    assert_eq!(r.reasons(), BTreeMap::from([("test_record", 1)]));
    let test = &r.rejections[0];
    assert_eq!(
        (
            test.index,
            test.id.as_deref(),
            test.field.as_str(),
            test.value.as_str()
        ),
        (950, Some("2018TEST00"), "objet", "TEST")
    );
    // 00000000-1 (11 records), 74000000-9 (CPV 2003), 11111111-1, a date "20190128-1"…
    assert_eq!(
        r.repairs(),
        BTreeMap::from([("cpv_check_digit", 20), ("cpv_dropped", 17)])
    );
    let zeros = r.at(886);
    assert_eq!(
        repairs_of(zeros),
        [repair(
            RepairKind::CpvDropped,
            "codeCPV",
            "00000000-1",
            None
        )]
    );
    assert!(
        zeros.repairs[0].note.contains("inconnu"),
        "{:?}",
        zeros.repairs
    );
    let first = &r.contracts[0];
    // Every date of this file carries a zone: "2018-12-21+01:00".
    assert!(first.notified_on.is_some() && first.published_on.is_some());
    let isere = r
        .contracts
        .iter()
        .filter(|c| c.buyer.as_str() == "22380001200013")
        .count();
    assert!(isere > 0);
}

#[test]
fn every_deliberate_anomaly_of_the_decp_processing_fixtures_is_rejected_or_repaired() {
    let (Some(v1), Some(v2)) = (
        shared("decp-fixtures/decp-processing_decp_test_2019.json"),
        shared("decp-fixtures/decp-processing_decp_test_2022.json"),
    ) else {
        return;
    };
    let expect = |r: &Outcome, cases: &[(RejectReason, &str, &str)]| {
        let got: Vec<(RejectReason, &str, &str)> = r
            .rejections
            .iter()
            .map(|r| (r.reason, r.field.as_str(), r.value.as_str()))
            .collect();
        assert_eq!(got, cases);
    };

    let r = read_path(&v1);
    assert_eq!(r.counts(), (DecpFormat::V1Json, 2, 0, 2));
    expect(
        &r,
        &[
            // "Un marché sans acheteur": a flat "acheteur.id" key is not an acheteur.
            (RejectReason::MissingField, "acheteur.id", ""),
            (RejectReason::InvalidDuration, "dureeMois", "NC"),
        ],
    );

    // The 2022 file also has a bare NaN (pandas), read as null.
    let r = read_path(&v2);
    assert_eq!(r.counts(), (DecpFormat::V2Json, 5, 1, 4));
    expect(
        &r,
        &[
            (RejectReason::InvalidDuration, "dureeMois", "NC"),
            (RejectReason::InvalidAmount, "montant", "100000000000000000"),
            (
                RejectReason::InvalidOperator,
                "modifications[0].titulaires[0]",
                "typeIdentifiant",
            ),
            (RejectReason::InvalidNumber, "offresRecues", "0"),
        ],
    );
    assert_eq!(r.rejections[3].id.as_deref(), Some("202207LOT03"));
    // A subcontracting act's price variation written "ferme": kept as "Ferme", noted.
    let kept = &r.contracts[0];
    assert_eq!(kept.id, "202401L04");
    assert_eq!(
        repairs_of(kept),
        [repair(
            RepairKind::LabelSpelling,
            "actesSousTraitance[0].variationPrix",
            "ferme",
            Some("Ferme")
        )]
    );
}

// ---------------------------------------------------------------------------------------------
// Conversion rules, on small documents

#[test]
fn legacy_labels_map_to_2_0_and_keep_the_original() {
    let procedure = |p: &str| {
        one(&v1_marche(&[("procedure", p.into())]))
            .unwrap()
            .procedure
    };
    for (v1, v2) in [
        (
            "Procédure négociée sans publicité préalable",
            "Marché passé sans publicité ni mise en concurrence préalable",
        ),
        (
            "Marché négocié sans publicité ni mise en concurrence préalable",
            "Marché passé sans publicité ni mise en concurrence préalable",
        ),
        (
            "Procédure concurrentielle avec négociation",
            "Procédure avec négociation",
        ),
        (
            "Procédure négociée avec mise en concurrence préalable",
            "Procédure avec négociation",
        ),
    ] {
        assert_eq!(procedure(v1), label(Some(v2), Some(v1)));
    }
    assert_eq!(
        procedure("Appel d'offres ouvert"),
        Label::v2("Appel d'offres ouvert")
    );

    let nature = |n: &str| one(&v1_marche(&[("nature", n.into())])).unwrap().nature;
    assert_eq!(
        nature("Accord-cadre"),
        label(Some("Marché"), Some("Accord-cadre"))
    );
    assert_eq!(
        nature("Marché subséquent"),
        label(Some("Marché"), Some("Marché subséquent"))
    );
    assert_eq!(
        nature("Marché de partenariat"),
        Label::v2("Marché de partenariat")
    );

    let price = |p: &str| {
        one(&v1_marche(&[("formePrix", p.into())]))
            .unwrap()
            .price_form
    };
    for v1 in ["Ferme", "Révisable", "Ferme et actualisable"] {
        assert_eq!(price(v1), label(None, Some(v1)));
    }
    assert_eq!(price("Mixte"), Label::v2("Mixte"));

    let unknown = rejected(&v1_marche(&[("procedure", "Gré à gré".into())]));
    assert_eq!(
        (
            unknown.reason,
            unknown.field.as_str(),
            unknown.value.as_str()
        ),
        (RejectReason::UnknownLabel, "procedure", "Gré à gré")
    );
    // A missing label is no reason to reject.
    let none = one(&v1_marche(&[("procedure", serde_json::Value::Null)])).unwrap();
    assert_eq!(none.procedure, label(None, None));
}

/// The 2019 files hold no label, scheme or place outside the lists (their rejects were CPV
/// codes, SIRETs, dates and durations): these repairs are checked on the base record, with
/// the values other publishers wrote.
#[test]
fn labels_written_otherwise_are_repaired_with_a_note() {
    let without_publicity = "Marché passé sans publicité ni mise en concurrence préalable";
    for (published, value) in [
        (
            "Marché public négocié sans publicité ni mise en concurrence préalable",
            without_publicity,
        ),
        (
            "MARCHE NEGOCIE SANS PUBLICITE NI MISE EN CONCURRENCE PREALABLE",
            without_publicity,
        ),
        ("Appel d'offre ouvert", "Appel d'offres ouvert"),
        ("procédure adaptée", "Procédure adaptée"),
        ("Appel d’offres ouvert", "Appel d'offres ouvert"),
    ] {
        let c = one(&v1_marche(&[("procedure", published.into())])).unwrap();
        assert_eq!(
            c.procedure,
            label(Some(value), Some(published)),
            "{published}"
        );
        assert_eq!(
            repairs_of(&c),
            [repair(
                RepairKind::LegacyProcedure,
                "procedure",
                published,
                Some(value)
            )]
        );
    }
    let c = one(&v1_marche(&[("nature", "ACCORD CADRE".into())])).unwrap();
    assert_eq!(c.nature, label(Some("Marché"), Some("ACCORD CADRE")));
    assert_eq!(c.repairs[0].kind, RepairKind::LegacyNature);
    // A label exactly as 1.x published it is mapped without a repair, as before.
    let c = one(&v1_marche(&[("nature", "Accord-cadre".into())])).unwrap();
    assert!(c.repairs.is_empty());
    // 2.0 forgives case, never a 1.x label.
    let marche = |extra: &str| {
        format!(
            r#"{{"marches":{{"marche":[{{"id":"A1","acheteur":{{"id":"20004071500019"}},"objet":"x"{extra}}}]}}}}"#
        )
    };
    let c = one(&marche(r#","procedure":"appel d'offres ouvert""#)).unwrap();
    assert_eq!(c.procedure.value.as_deref(), Some("Appel d'offres ouvert"));
    let rej = rejected(&marche(
        r#","procedure":"Procédure négociée avec mise en concurrence préalable""#,
    ));
    assert_eq!(rej.reason, RejectReason::UnknownLabel);
}

#[test]
fn closed_list_values_written_in_another_case_are_read_as_the_list_s() {
    // An official 2.0 example (its SIRETs made valid), its CCAG, grouping and a
    // subcontracting act's price variation written as publishers sometimes do ("ferme" in
    // decp-processing's test file).
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/data/decp-2.0-examples/json/marches_avec_modifications.json");
    let text = std::fs::read_to_string(path).unwrap();
    let published = read_str(&text).unwrap();
    let text = text
        .replacen("\"ccag\": \"Travaux\"", "\"ccag\": \"TRAVAUX\"", 1)
        .replacen("\"Pas de groupement\"", "\"pas de  groupement\"", 1)
        .replacen(
            "\"variationPrix\": \"Révisable\"",
            "\"variationPrix\": \"revisable\"",
            1,
        );
    let r = read_str(&text).unwrap();
    assert_eq!(r.rejections, []);
    assert_eq!(r.contracts.len(), published.contracts.len());
    let c = &r.contracts[0];
    let d = c.decp2.as_ref().unwrap();
    assert_eq!(d.ccag.as_deref(), Some("Travaux"));
    assert_eq!(d.operator_grouping.as_deref(), Some("Pas de groupement"));
    assert_eq!(
        c.subcontracting[0].price_variation.as_deref(),
        Some("Révisable")
    );
    assert_eq!(
        repairs_of(c),
        [
            repair(
                RepairKind::LabelSpelling,
                "ccag",
                "TRAVAUX",
                Some("Travaux")
            ),
            repair(
                RepairKind::LabelSpelling,
                "typeGroupementOperateurs",
                "pas de  groupement",
                Some("Pas de groupement")
            ),
            repair(
                RepairKind::LabelSpelling,
                "actesSousTraitance[0].variationPrix",
                "revisable",
                Some("Révisable")
            ),
        ]
    );
    // Apart from the repairs, the contract is the one published.
    let mut same = c.clone();
    same.repairs.clear();
    assert_eq!(same, published.contracts[0]);
    // A value that is no spelling of the list's is still refused.
    let r = read_str(&text.replacen("\"revisable\"", "\"indexé\"", 1)).unwrap();
    assert_eq!(
        (r.rejections[0].reason, r.rejections[0].field.as_str()),
        (
            RejectReason::UnknownLabel,
            "actesSousTraitance[0].variationPrix"
        )
    );
}

#[test]
fn identifier_schemes_written_otherwise_are_normalised() {
    let c = one(&v1_marche(&[(
        "titulaires",
        serde_json::json!([
            {"typeIdentifiant": "TVA_INTRACOMMUNAUTAIRE", "id": "FR32392100319", "denominationSociale": "X"},
            {"typeIdentifiant": "siret", "id": "21380185500015", "denominationSociale": "Y"},
            {"typeIdentifiant": "UE", "id": "BE0123456789", "denominationSociale": "Z"}
        ]),
    )]))
    .unwrap();
    let schemes: Vec<&str> = c.operators.iter().map(|o| o.id_type.as_str()).collect();
    assert_eq!(schemes, ["TVA", "SIRET", "UE"]);
    assert_eq!(
        repairs_of(&c),
        [
            repair(
                RepairKind::IdentifierScheme,
                "titulaires[0].typeIdentifiant",
                "TVA_INTRACOMMUNAUTAIRE",
                Some("TVA")
            ),
            repair(
                RepairKind::IdentifierScheme,
                "titulaires[1].typeIdentifiant",
                "siret",
                Some("SIRET")
            ),
        ]
    );
    assert_eq!(c.operators[1].siret().unwrap().as_str(), "21380185500015");
    let rej = rejected(&v1_marche(&[(
        "titulaires",
        serde_json::json!([{"typeIdentifiant": "DUNS", "id": "123"}]),
    )]));
    assert_eq!(
        (rej.reason, rej.field.as_str()),
        (RejectReason::UnknownLabel, "titulaires[0].typeIdentifiant")
    );
}

#[test]
fn a_place_without_a_known_type_is_inferred_when_unambiguous_else_dropped() {
    let place = |p: serde_json::Value| one(&v1_marche(&[("lieuExecution", p)])).unwrap();
    let c = place(serde_json::json!({"code": "38000", "typeCode": "code postal"}));
    assert_eq!(
        c.place,
        Some(Place {
            code: "38000".into(),
            code_type: "Code postal".into()
        })
    );
    assert_eq!(c.repairs[0].kind, RepairKind::PlaceTypeInferred);
    let c = place(serde_json::json!({"code": "FR", "nom": "France"}));
    assert_eq!(c.place.as_ref().unwrap().code_type, "Code pays");
    assert_eq!(
        repairs_of(&c),
        [repair(
            RepairKind::PlaceTypeInferred,
            "lieuExecution.typeCode",
            "",
            Some("Code pays")
        )]
    );
    // 38000 could be a postal code or a commune's INSEE code: not guessed.
    for p in [
        serde_json::json!({"code": "38000", "nom": "Grenoble"}),
        serde_json::json!({"code": "38000", "typeCode": "Ville"}),
        serde_json::json!({"code": {"cp": "38000"}, "typeCode": "Code postal"}),
    ] {
        let c = place(p.clone());
        assert_eq!(c.place, None, "{p}");
        assert_eq!(c.repairs.len(), 1, "{p}");
        assert_eq!(c.repairs[0].kind, RepairKind::PlaceDropped, "{p}");
        assert_eq!(c.repairs[0].kept, None);
    }
    // A place without a code is absent, as before.
    let c = place(serde_json::json!({"typeCode": "Code postal"}));
    assert_eq!((c.place, c.repairs.len()), (None, 0));
}

#[test]
fn a_test_record_is_rejected() {
    // data.gouv.fr's 2019 PES file, record 950: id "2018TEST00", objet "TEST".
    let rej = rejected(&v1_marche(&[
        ("id", "2018TEST00".into()),
        ("objet", "TEST".into()),
    ]));
    assert_eq!(
        (rej.reason, rej.field.as_str(), rej.value.as_str()),
        (RejectReason::TestRecord, "objet", "TEST")
    );
    // A real object that mentions tests is a contract.
    let c = one(&v1_marche(&[(
        "objet",
        "Essais de sol et tests d'étanchéité".into(),
    )]));
    assert!(c.is_ok());
}

#[test]
fn dates_with_a_zone_or_a_time_keep_their_date_and_impossible_ones_are_rejected() {
    let notified = |d: &str| one(&v1_marche(&[("dateNotification", d.into())]));
    for d in [
        "2018-12-21+01:00",
        "2018-12-21-05:00",
        "2018-12-21Z",
        "2018-12-21T09:30:00+01:00",
        "2018-12-21",
    ] {
        assert_eq!(
            notified(d).unwrap().notified_on,
            Some(date("2018-12-21")),
            "{d}"
        );
    }
    for d in ["0218-10-29", "2019-02-30", "21/12/2018", "hier"] {
        let rej = notified(d).unwrap_err();
        assert_eq!(
            (rej.reason, rej.field.as_str(), rej.value.as_str()),
            (RejectReason::InvalidDate, "dateNotification", d)
        );
    }
    let rej = notified("0218-10-29").unwrap_err();
    assert!(rej.detail.contains("0218"), "{}", rej.detail);
}

#[test]
fn cpv_codes_are_read_with_or_without_their_check_digit() {
    let code = |c: serde_json::Value| one(&v1_marche(&[("codeCPV", c)]));
    let with = code("45233140-2".into()).unwrap().cpv.unwrap();
    let without = code("45233140".into()).unwrap().cpv.unwrap();
    assert_eq!(with, without);
    assert_eq!(with.to_string(), "45233140-2");
    assert_eq!(code(serde_json::json!(45233140)).unwrap().cpv, Some(with));
    assert!(code("45233140-2".into()).unwrap().repairs.is_empty());
    // A wrong check digit is corrected; a code not in CPV 2008 is dropped: neither rejects.
    let wrong = code("45233140-3".into()).unwrap();
    assert_eq!(wrong.cpv, Some(with));
    assert_eq!(
        repairs_of(&wrong),
        [repair(
            RepairKind::CpvCheckDigit,
            "codeCPV",
            "45233140-3",
            Some("45233140-2")
        )]
    );
    for bad in ["99999999", "4523314", "031210004", "NC"] {
        let c = code(bad.into()).unwrap();
        assert_eq!(c.cpv, None, "{bad}");
        assert_eq!(
            repairs_of(&c),
            [repair(RepairKind::CpvDropped, "codeCPV", bad, None)]
        );
    }
    assert_eq!(code("".into()).unwrap().cpv, None);
    assert!(code("".into()).unwrap().repairs.is_empty());
}

#[test]
fn amounts_are_read_from_numbers_and_strings_without_floats() {
    let amount = |m: serde_json::Value| one(&v1_marche(&[("montant", m)]));
    assert_eq!(
        amount("127000.50".into()).unwrap().amount,
        Some(euros("127000.5"))
    );
    assert_eq!(
        amount("1 234,56".into()).unwrap().amount,
        Some(Amount::from_cents(123_456))
    );
    assert_eq!(
        amount(serde_json::json!(77899.0)).unwrap().amount,
        Some(Amount::from_euros(77_899))
    );
    assert_eq!(
        amount(serde_json::json!(123456.89)).unwrap().amount,
        Some(Amount::from_cents(12_345_689))
    );
    assert_eq!(
        amount(serde_json::json!(0.1)).unwrap().amount,
        Some(Amount::from_cents(10))
    );
    assert_eq!(
        amount(serde_json::json!(0)).unwrap().amount,
        Some(Amount::ZERO)
    );
    for bad in [
        serde_json::json!("12.345"),
        serde_json::json!("cent euros"),
        serde_json::json!(-5),
        serde_json::json!(true),
        serde_json::json!(1.0e17),
    ] {
        let rej = amount(bad.clone()).unwrap_err();
        assert_eq!(
            (rej.reason, rej.field.as_str()),
            (RejectReason::InvalidAmount, "montant"),
            "{bad}"
        );
    }
}

#[test]
fn identity_is_required_and_the_buyer_must_be_a_valid_siret() {
    for (field, reported) in [
        ("id", "id"),
        ("objet", "objet"),
        ("acheteur", "acheteur.id"),
    ] {
        let rej = rejected(&v1_marche(&[(field, serde_json::Value::Null)]));
        assert_eq!(
            (rej.reason, rej.field.as_str(), rej.value.as_str()),
            (RejectReason::MissingField, reported, ""),
            "{field}"
        );
    }
    // A buyer SIRET failing both its key and its SIREN's (marches-publics.info 2019, record
    // 929) is rejected; one failing only one of them is kept, noted.
    let rej = rejected(&v1_marche(&[(
        "acheteur",
        serde_json::json!({"id": "22740001400074"}),
    )]));
    assert_eq!(
        (rej.reason, rej.field.as_str(), rej.value.as_str()),
        (RejectReason::InvalidSiret, "acheteur.id", "22740001400074")
    );
    let kept = one(&v1_marche(&[(
        "acheteur",
        serde_json::json!({"id": "20004071500018"}),
    )]))
    .unwrap();
    assert_eq!(kept.buyer.as_str(), "20004071500018");
    assert_eq!(
        repairs_of(&kept),
        [repair(
            RepairKind::BuyerSiretKey,
            "acheteur.id",
            "20004071500018",
            Some("20004071500018")
        )]
    );
    assert!(kept.repairs[0].note.contains("Luhn"), "{:?}", kept.repairs);
    assert_eq!(rej.id.as_deref(), Some("2019-001"));
    assert_eq!(rej.kind, Some(ContractKind::Marche));
    assert!(rej.to_string().contains("acheteur.id"), "{rej}");
    // Other optional fields may be missing.
    let c = one(&v1_marche(&[
        ("codeCPV", serde_json::Value::Null),
        ("lieuExecution", serde_json::Value::Null),
        ("montant", serde_json::Value::Null),
        ("titulaires", serde_json::Value::Null),
    ]))
    .unwrap();
    assert_eq!((c.cpv, c.place, c.amount), (None, None, None));
    assert!(c.operators.is_empty());
    // A titulaire's bad SIRET is kept as published.
    let c = one(&v1_marche(&[(
        "titulaires",
        serde_json::json!([{"typeIdentifiant": "SIRET", "id": "12345678900022"}]),
    )]))
    .unwrap();
    assert_eq!(c.operators[0].siret(), None);
}

#[test]
fn durations_must_be_whole_months() {
    let months = |m: serde_json::Value| one(&v1_marche(&[("dureeMois", m)]));
    assert_eq!(
        months(serde_json::json!("36")).unwrap().duration_months,
        Some(36)
    );
    assert_eq!(
        months(serde_json::json!(36.0)).unwrap().duration_months,
        Some(36)
    );
    for bad in [
        serde_json::json!("NC"),
        serde_json::json!(1.5),
        serde_json::json!(-2),
    ] {
        let rej = months(bad).unwrap_err();
        assert_eq!(rej.reason, RejectReason::InvalidDuration);
    }
}

#[test]
fn the_kind_of_a_1_x_record_comes_from_type_or_its_buyer_field() {
    let unknown = rejected(&v1_marche(&[("_type", "Avenant".into())]));
    assert_eq!(
        (unknown.reason, unknown.field.as_str(), unknown.kind),
        (RejectReason::UnknownLabel, "_type", None)
    );
    let untyped = one(&v1_marche(&[("_type", serde_json::Value::Null)])).unwrap();
    assert_eq!(untyped.kind, ContractKind::Marche);
}

#[test]
fn quirks_with_a_clear_meaning_are_read() {
    // Titulaires nested in extra lists, a 2.0-style modification in a 1.x file, a bare NaN.
    let text = v1_marche(&[(
        "modifications",
        serde_json::json!([{"modification": {
            "id": 1,
            "dateNotificationModification": "2020-01-10",
            "datePublicationDonneesModification": "2020-01-15",
            "titulaires": [[[{"typeIdentifiant": "SIRET", "id": "34027049500021", "denominationSociale": "FFF"}]]]
        }}]),
    )])
    .replace("\"montant\":100000", "\"montant\":NaN");
    let c = one(&text).unwrap();
    assert_eq!(c.amount, None);
    assert_eq!(
        c.modifications[0].new_operators,
        [op("34027049500021", "SIRET", Some("FFF"))]
    );
    assert_eq!(c.modifications[0].signed_on, Some(date("2020-01-10")));

    // A 2.0 titulaire without its wrapper, booleans as the XML schema writes them.
    let text = r#"{"marches":{"marche":[{"id":"A1","acheteur":{"id":"20004071500019"},"objet":"x",
        "marcheInnovant":"non","attributionAvance":"1","tauxAvance":"0.05",
        "titulaires":[{"typeIdentifiant":"SIRET","id":"39210031900038"},{"titulaire":{"typeIdentifiant":"TVA","id":"FR1"}}]}]}}"#;
    let c = one(text).unwrap();
    let d = c.decp2.unwrap();
    assert_eq!(
        (d.innovative, d.advance_paid, d.advance_rate_permille),
        (Some(false), Some(true), Some(50))
    );
    assert_eq!(c.operators.len(), 2);
}

#[test]
fn decp_2_0_values_are_checked_against_the_schema_lists() {
    let marche = |extra: &str| {
        format!(
            r#"{{"marches":{{"marche":[{{"id":"A1","acheteur":{{"id":"20004071500019"}},"objet":"x"{extra}}}]}}}}"#
        )
    };
    for (extra, reason, field, value) in [
        (
            r#","nature":"Accord-cadre""#,
            RejectReason::UnknownLabel,
            "nature",
            "Accord-cadre",
        ),
        (
            r#","ccag":"CCAG-FCS""#,
            RejectReason::UnknownLabel,
            "ccag",
            "CCAG-FCS",
        ),
        (
            r#","techniques":{"technique":["Concours","Enchère"]}"#,
            RejectReason::UnknownLabel,
            "techniques",
            "Enchère",
        ),
        (
            r#","offresRecues":0"#,
            RejectReason::InvalidNumber,
            "offresRecues",
            "0",
        ),
        (
            r#","tauxAvance":1.5"#,
            RejectReason::InvalidNumber,
            "tauxAvance",
            "1.5",
        ),
        (
            r#","marcheInnovant":"peut-être""#,
            RejectReason::InvalidBoolean,
            "marcheInnovant",
            "peut-être",
        ),
        (
            r#","montant":0.5"#,
            RejectReason::InvalidAmount,
            "montant",
            "0.5",
        ),
        (
            r#","dureeMois":0"#,
            RejectReason::InvalidDuration,
            "dureeMois",
            "0",
        ),
        (
            r#","titulaires":[{"titulaire":{"typeIdentifiant":"UE","id":"X"}}]"#,
            RejectReason::UnknownLabel,
            "titulaires[0].typeIdentifiant",
            "UE",
        ),
        (
            r#","titulaires":[{"titulaire":{"typeIdentifiant":"SIRET"}}]"#,
            RejectReason::MissingField,
            "titulaires[0].id",
            "",
        ),
        (
            r#","origineUE":1.2"#,
            RejectReason::InvalidNumber,
            "origineUE",
            "1.2",
        ),
        (
            r#","origineFrance":"beaucoup""#,
            RejectReason::InvalidNumber,
            "origineFrance",
            "beaucoup",
        ),
        (
            r#","modificationsActesSousTraitance":[{"modificationActeSousTraitance":{"dureeMois":3}}]"#,
            RejectReason::MissingField,
            "modificationsActesSousTraitance[0].id",
            "",
        ),
        (
            r#","modificationsActesSousTraitance":[{"modificationActeSousTraitance":{"id":1,"montant":0.5}}]"#,
            RejectReason::InvalidAmount,
            "modificationsActesSousTraitance[0].montant",
            "0.5",
        ),
    ] {
        let rej = rejected(&marche(extra));
        assert_eq!(
            (rej.reason, rej.field.as_str(), rej.value.as_str()),
            (reason, field, value),
            "{extra}"
        );
    }
    let minimal = one(&marche("")).unwrap();
    assert_eq!(minimal.decp2, Some(Default::default()));

    let concession = |extra: &str| {
        format!(
            r#"{{"marches":{{"contrat-concession":[{{"id":"C1","autoriteConcedante":{{"id":"20004071500019"}},"objet":"x"{extra}}}]}}}}"#
        )
    };
    let year = |inner: &str| {
        format!(
            r#","donneesExecution":[{{"donneesAnnuelles":{{"datePublicationDonneesExecution":"2025-04-18"{inner}}}}}]"#
        )
    };
    for (extra, reason, field, value) in [
        (
            year(r#","depensesInvestissement":-3"#),
            RejectReason::InvalidAmount,
            "donneesExecution[0].depensesInvestissement",
            "-3",
        ),
        (
            year(r#","tarifs":[{"tarif":{"intituleTarif":"Eau","tarif":"1,5 €"}}]"#),
            RejectReason::InvalidNumber,
            "donneesExecution[0].tarifs[0].tarif",
            "1,5 €",
        ),
        (
            year(r#","tarifs":[{"tarif":{"intituleTarif":"Eau","tarif":0.1234567890123}}]"#),
            RejectReason::InvalidNumber,
            "donneesExecution[0].tarifs[0].tarif",
            "0.1234567890123",
        ),
        (
            r#","donneesExecution":[{"donneesAnnuelles":{"datePublicationDonneesExecution":"18/04/2025"}}]"#.to_owned(),
            RejectReason::InvalidDate,
            "donneesExecution[0].datePublicationDonneesExecution",
            "18/04/2025",
        ),
    ] {
        let rej = rejected(&concession(&extra));
        assert_eq!(
            (rej.reason, rej.field.as_str(), rej.value.as_str()),
            (reason, field, value),
            "{extra}"
        );
    }
    // A tariff written without its wrapper, with four decimals, is read exactly.
    let c = one(&concession(&year(
        r#","depensesInvestissement":"1200.5","tarifs":[{"intituleTarif":"Prix du m³","tarif":1.2345}]"#,
    )))
    .unwrap();
    let y = &c.decp2.unwrap().execution_data[0];
    assert_eq!(y.investment_spending, Some(euros("1200.5")));
    assert_eq!(y.tariffs[0].label.as_deref(), Some("Prix du m³"));
    assert_eq!(y.tariffs[0].price.unwrap().to_string(), "1.2345");
    // A place is never a reason to reject: one that cannot be read is dropped, noted.
    let c = one(&marche(r#","lieuExecution":"Grenoble""#)).unwrap();
    assert_eq!(c.place, None);
    assert_eq!(
        repairs_of(&c),
        [repair(
            RepairKind::PlaceDropped,
            "lieuExecution",
            "Grenoble",
            None
        )]
    );
    // A 2.0 scheme in another case is normalised; "UE" is not a 2.0 scheme in any case.
    let c = one(&marche(
        r#","titulaires":[{"titulaire":{"typeIdentifiant":"Siret","id":"39210031900038"}}]"#,
    ))
    .unwrap();
    assert_eq!(c.operators[0].id_type, "SIRET");
    assert_eq!(
        repairs_of(&c),
        [repair(
            RepairKind::IdentifierScheme,
            "titulaires[0].typeIdentifiant",
            "Siret",
            Some("SIRET")
        )]
    );
}

// ---------------------------------------------------------------------------------------------
// Files that cannot be read

fn file_error(text: &[u8]) -> FileError {
    match read(text) {
        Ok(r) => panic!("read: {:?}", r.counts()),
        Err(e) => {
            assert!(!e.to_string().contains('\n'), "{e}");
            e
        }
    }
}

#[test]
fn a_truncated_file_is_a_syntax_error_with_its_line() {
    let text = example_text("v1.5/paquet.json");
    let cut = &text[..text.find("\"Ville de Millau\"").unwrap()];
    let line = cut.lines().count() as u64;
    match file_error(cut.as_bytes()) {
        FileError::Syntax {
            line: l, message, ..
        } => {
            assert_eq!(l, line);
            assert!(message.contains("tronqué"), "{message}");
        }
        e => panic!("{e}"),
    }
    // The records before the break were handed over.
    let mut seen = 0;
    let result = read_decp(cut.as_bytes(), cpv(), |_| seen += 1);
    assert!(result.is_err());
    assert_eq!(seen, 1);

    let xml = example_text("v2.0/xml/Marche.xml");
    let cut = &xml[..xml.find("<procedure>").unwrap()];
    match file_error(cut.as_bytes()) {
        FileError::Syntax { line, message, .. } => {
            assert_eq!(line, cut.lines().count() as u64);
            assert!(message.contains("tronqué"), "{message}");
        }
        e => panic!("{e}"),
    }

    let broken = "{\"marches\": [\n  {\"id\": \"1\",}\n]}";
    match file_error(broken.as_bytes()) {
        FileError::Syntax { line, column, .. } => assert_eq!((line, column), (2, 14)),
        e => panic!("{e}"),
    }
    let mismatched = "<marches>\n<marche>\n<id>1</objet>\n</marche></marches>";
    match file_error(mismatched.as_bytes()) {
        FileError::Syntax { line, message, .. } => {
            assert_eq!(line, 3);
            assert!(message.contains("</objet>"), "{message}");
        }
        e => panic!("{e}"),
    }
}

#[test]
fn json_or_xml_that_is_not_decp_is_refused() {
    for text in [
        r#"{"type": "FeatureCollection", "features": []}"#,
        r#"{"marches": "aucun"}"#,
        r#"{"marches": {"lots": []}}"#,
        r#"[{"id": "1"}]"#,
        "<?xml version=\"1.0\"?>\n<html><body/></html>",
    ] {
        assert!(
            matches!(file_error(text.as_bytes()), FileError::NotDecp { .. }),
            "{text}"
        );
    }
    let e = file_error(br#"{"rows": [1, 2]}"#);
    assert!(e.to_string().contains("marches"), "{e}");
}

#[test]
fn garbage_and_empty_files_are_refused() {
    for text in [
        &b"PK\x03\x04\x14\x00\x06\x00"[..],
        b"id;acheteur;montant\n1;2;3",
        b"\xff\xfe{",
    ] {
        let e = file_error(text);
        assert!(matches!(e, FileError::NotJsonOrXml { .. }), "{e}");
        assert!(e.to_string().contains("ni du JSON ni du XML"), "{e}");
    }
    assert!(matches!(file_error(b""), FileError::Empty));
    assert!(matches!(file_error(b"  \n\t\n"), FileError::Empty));
}

#[test]
fn a_byte_order_mark_and_leading_blank_lines_are_skipped_and_counted() {
    let mut text = b"\xEF\xBB\xBF\n\n".to_vec();
    text.extend_from_slice(br#"{"marches": [}"#);
    match file_error(&text) {
        FileError::Syntax { line, .. } => assert_eq!(line, 3),
        e => panic!("{e}"),
    }
    let mut ok = b"\xEF\xBB\xBF  ".to_vec();
    ok.extend_from_slice(v1_marche(&[]).as_bytes());
    assert_eq!(
        read(&ok[..]).unwrap().counts(),
        (DecpFormat::V1Json, 1, 1, 0)
    );
}

// ---------------------------------------------------------------------------------------------
// Streaming

/// A reader that serves `head`, then fails.
struct FailingAfter<'a> {
    head: &'a [u8],
}

impl Read for FailingAfter<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.head.is_empty() {
            return Err(io::Error::other("disque débranché"));
        }
        let n = self.head.len().min(buf.len());
        buf[..n].copy_from_slice(&self.head[..n]);
        self.head = &self.head[n..];
        Ok(n)
    }
}

#[test]
fn records_are_handed_over_as_they_are_read() {
    // Nothing past the first records exists yet when they reach the callback: the reader
    // does not wait for the end of the file.
    let json = example_text("v1.5/paquet.json");
    let head = &json[..json.find("\"Ville de Millau\"").unwrap()];
    let mut seen = Vec::new();
    let result = read_decp(
        BufReader::with_capacity(
            16,
            FailingAfter {
                head: head.as_bytes(),
            },
        ),
        cpv(),
        |r| seen.push(r.map(|c| c.id)),
    );
    assert!(matches!(result, Err(FileError::Io(_))), "{result:?}");
    assert_eq!(seen, [Ok("2010345211200".to_owned())]);

    let xml = example_text("v1.5/paquet.xml");
    let head = &xml[..xml.find("<id>2010345213500</id>").unwrap()];
    let mut seen = 0;
    let result = read_decp(
        BufReader::with_capacity(
            16,
            FailingAfter {
                head: head.as_bytes(),
            },
        ),
        cpv(),
        |_| seen += 1,
    );
    assert!(matches!(result, Err(FileError::Io(_))), "{result:?}");
    assert_eq!(seen, 3);
}

#[test]
fn the_callback_can_stop_the_reading() {
    for file in ["v1.5/paquet.xml", "v2.0/json/marches_concessions.json"] {
        let text = example_text(file);
        let mut seen = 0;
        let stats = read_decp_until(text.as_bytes(), cpv(), |_| {
            seen += 1;
            if seen == 2 {
                ControlFlow::Break(())
            } else {
                ControlFlow::Continue(())
            }
        })
        .unwrap();
        assert_eq!((stats.read, stats.stopped, seen), (2, true, 2), "{file}");
    }
}

// ---------------------------------------------------------------------------------------------
// Limits against hostile files: past a limit the record is rejected, naming the limit, and
// the other records of the file are still read.

/// A DECP 1.x document with the marché of `v1_marche(fields)` and, after it, a valid one.
fn v1_then_valid(fields: &[(&str, serde_json::Value)]) -> String {
    let mut doc: serde_json::Value = serde_json::from_str(&v1_marche(fields)).unwrap();
    let mut good: serde_json::Value = serde_json::from_str(&v1_marche(&[])).unwrap();
    good["marches"][0]["id"] = "2019-002".into();
    let good = good["marches"][0].take();
    doc["marches"].as_array_mut().unwrap().push(good);
    doc.to_string()
}

/// The rejection of the first record of `text`, the second being imported.
fn first_rejected_second_read(text: &str) -> Rejection {
    let mut r = read_str(text).unwrap();
    assert_eq!((r.stats.read, r.stats.contracts), (2, 1));
    assert_eq!(r.contracts[0].id, "2019-002");
    r.rejections.pop().unwrap()
}

#[test]
fn an_xml_marche_nested_6000_deep_is_rejected_and_the_next_records_read() {
    let base = example_text("v1.5/paquet.xml");
    let counts = read_str(&base).unwrap().counts();
    let deep = format!(
        "<marche><id>profond</id>{}{}</marche>\n    <marche>",
        "<a>".repeat(6_000),
        "</a>".repeat(6_000)
    );
    let text = base.replacen("<marche>", &deep, 1);
    let r = read_str(&text).unwrap();
    assert_eq!(
        r.counts(),
        (counts.0, counts.1 + 1, counts.2, counts.3 + 1),
        "the other records are read as before"
    );
    let rej = &r.rejections[0];
    assert_eq!(rej.reason, RejectReason::RecordTooLarge, "{rej}");
    assert_eq!(rej.id.as_deref(), Some("profond"));
    assert!(rej.detail.contains("plus de 128 niveaux"), "{rej}");
    assert!(rej.detail.contains("ligne "), "{rej}");
    assert!(rej.field.starts_with("a.a.a"), "{rej}");
}

#[test]
fn an_xml_marche_with_too_many_elements_or_too_long_a_text_is_rejected() {
    let base = example_text("v1.5/paquet.xml");
    let counts = read_str(&base).unwrap().counts();
    let many = format!(
        "<marche><id>nombreux</id>{}</marche>\n    <marche><id>long</id><objet>{}</objet></marche>\n    <marche>",
        "<x>1</x>".repeat(10_000),
        "é".repeat(2_000_000)
    );
    let text = base.replacen("<marche>", &many, 1);
    let r = read_str(&text).unwrap();
    assert_eq!(r.counts(), (counts.0, counts.1 + 2, counts.2, counts.3 + 2));
    let (many, long) = (&r.rejections[0], &r.rejections[1]);
    assert_eq!(many.reason, RejectReason::RecordTooLarge, "{many}");
    assert!(many.detail.contains("plus de 10000 éléments"), "{many}");
    assert_eq!(long.reason, RejectReason::TextTooLong, "{long}");
    assert_eq!(
        (long.field.as_str(), long.id.as_deref()),
        ("objet", Some("long"))
    );
    assert!(long.detail.contains("1000 caractères"), "{long}");
}

#[test]
fn a_text_of_a_few_megabytes_is_rejected_naming_the_field_and_the_limit() {
    let rej = first_rejected_second_read(&v1_then_valid(&[("objet", "x".repeat(3 << 20).into())]));
    assert_eq!(
        (rej.reason, rej.field.as_str(), rej.id.as_deref()),
        (RejectReason::TextTooLong, "objet", Some("2019-001"))
    );
    assert!(
        rej.detail
            .contains("3145728 caractères, au-delà de la limite de 1000 caractères"),
        "{rej}"
    );
    // The record kept for a rejects file is cut down.
    assert!(rej.record["objet"].as_str().unwrap().len() < 1_100);

    // Any text, at any depth; up to the limit is fine, counted in characters.
    let name = serde_json::json!([{"typeIdentifiant": "SIRET", "id": "21380185500015", "denominationSociale": "n".repeat(1_001)}]);
    let rej = first_rejected_second_read(&v1_then_valid(&[("titulaires", name)]));
    assert_eq!(
        (rej.reason, rej.field.as_str()),
        (
            RejectReason::TextTooLong,
            "titulaires[0].denominationSociale"
        )
    );
    let c = one(&v1_marche(&[("objet", "é".repeat(1_000).into())])).unwrap();
    assert_eq!(c.object.chars().count(), 1_000);
}

/// A record too big to hold is rejected whole without being kept: its text past the limit
/// (an `objet` of 190 MB made the import hold it twice over), in one line or many.
#[test]
fn a_json_record_past_the_byte_limit_is_rejected_without_being_kept() {
    let limit = mutualis_formats::decp_read::MAX_RECORD_BYTES;
    for filler in ["x".repeat(limit + 1), "x\\n".repeat(limit / 3 + 1)] {
        let text = v1_then_valid(&[("objet", filler.into())]);
        let rej = first_rejected_second_read(&text);
        assert_eq!(rej.reason, RejectReason::RecordTooLarge, "{rej}");
        assert_eq!((rej.index, rej.id.as_deref()), (0, None));
        assert!(
            rej.detail
                .contains(&format!("au-delà de la limite de {} Mio", limit >> 20)),
            "{rej}"
        );
        assert_eq!(rej.record, serde_json::Value::Null);
        // Read from a file, through a buffer much smaller than the record: the same.
        let mut r = read(BufReader::with_capacity(8 << 10, text.as_bytes())).unwrap();
        assert_eq!((r.stats.read, r.stats.contracts), (2, 1));
        let streamed = r.rejections.pop().unwrap();
        assert_eq!((streamed.reason, streamed.detail), (rej.reason, rej.detail));
    }
    // Up to the limit, the record is read, and its text refused by the text limit.
    let rej = first_rejected_second_read(&v1_then_valid(&[(
        "objet",
        "x".repeat(limit - 1_000).into(),
    )]));
    assert_eq!(rej.reason, RejectReason::TextTooLong, "{rej}");
}

#[test]
fn infinite_amounts_and_absurd_durations_are_rejected_naming_the_field() {
    let text = v1_then_valid(&[]).replacen("\"montant\":100000", "\"montant\":Infinity", 1);
    let rej = first_rejected_second_read(&text);
    assert_eq!(
        (rej.reason, rej.field.as_str(), rej.value.as_str()),
        (RejectReason::InvalidAmount, "montant", "Infinity")
    );
    let text = v1_then_valid(&[]).replacen("\"dureeMois\":24", "\"dureeMois\":-Infinity", 1);
    let rej = first_rejected_second_read(&text);
    assert_eq!(
        (rej.reason, rej.field.as_str()),
        (RejectReason::InvalidDuration, "dureeMois")
    );
    let rej = first_rejected_second_read(&v1_then_valid(&[("dureeMois", 99_999_999.into())]));
    assert_eq!(
        (rej.reason, rej.field.as_str(), rej.value.as_str()),
        (RejectReason::InvalidDuration, "dureeMois", "99999999")
    );
    assert!(rej.detail.contains("au plus 1200 (100 ans)"), "{rej}");
    assert_eq!(
        one(&v1_marche(&[("dureeMois", 1_200.into())]))
            .unwrap()
            .duration_months,
        Some(1_200)
    );
}

#[test]
fn the_facts_reader_rejects_what_the_import_rejects() {
    let marche = |id: &str, objet: &str, months: u64| {
        serde_json::json!({
            "id": id,
            "acheteur": {"id": "20004071500019"},
            "nature": "Marché",
            "objet": objet,
            "codeCPV": "90910000-9",
            "dureeMois": months,
            "dateNotification": "2024-01-10",
            "montant": 1000,
            "titulaires": [{"titulaire": {"typeIdentifiant": "SIRET", "id": "21380185500015"}}]
        })
    };
    let mut too_french = marche("origine", "Nettoyage", 12);
    too_french["origineFrance"] = 1.5.into();
    let mut sub_modified = marche("modifie", "Nettoyage", 12);
    sub_modified["modificationsActesSousTraitance"] =
        serde_json::json!([{"modificationActeSousTraitance": {"dureeMois": 3}}]);
    let mut with_origin = marche("bon-ue", "Nettoyage", 12);
    with_origin["origineUE"] = 0.25.into();
    let text = serde_json::json!({"marches": {"marche": [
        marche("long", &"x".repeat(5_000), 12),
        marche("siecle", "Nettoyage", 99_999_999),
        marche("double", "Nettoyage", 12),
        marche("bon", "Nettoyage", 12),
        too_french,
        sub_modified,
        with_origin,
    ]}})
    .to_string()
    .replace(
        r#""id":"double""#,
        r#""id":"double","inconnu":1,"inconnu":2"#,
    );
    let mut seen = Vec::new();
    let stats = mutualis_formats::decp_read::read_decp_facts(
        text.as_bytes(),
        cpv(),
        |view| Ok(view.id.into_owned()),
        |record| record.map(|c| c.id).map_err(|r| (r.reason, r.field)),
        |item: Result<String, (RejectReason, String)>| {
            seen.push(item);
            ControlFlow::Continue(())
        },
    )
    .unwrap();
    assert_eq!((stats.read, stats.contracts, stats.rejected), (7, 2, 5));
    assert_eq!(
        seen,
        [
            Err((RejectReason::TextTooLong, "objet".to_owned())),
            Err((RejectReason::InvalidDuration, "dureeMois".to_owned())),
            Err((RejectReason::DuplicateKey, "inconnu".to_owned())),
            Ok("bon".to_owned()),
            Err((RejectReason::InvalidNumber, "origineFrance".to_owned())),
            Err((
                RejectReason::MissingField,
                "modificationsActesSousTraitance[0].id".to_owned()
            )),
            Ok("bon-ue".to_owned()),
        ]
    );
}

#[test]
fn a_key_given_twice_in_a_json_record_is_reported() {
    let text =
        v1_then_valid(&[]).replacen("\"montant\":100000", "\"montant\":100000,\"montant\":5", 1);
    let rej = first_rejected_second_read(&text);
    assert_eq!(
        (rej.reason, rej.field.as_str(), rej.id.as_deref()),
        (RejectReason::DuplicateKey, "montant", Some("2019-001"))
    );
    assert!(rej.detail.contains("« montant » figure deux fois"), "{rej}");
    let text = v1_then_valid(&[]).replacen(
        "\"id\":\"21380185500015\"",
        "\"id\":\"21380185500015\",\"id\":\"34027049500021\"",
        1,
    );
    let rej = first_rejected_second_read(&text);
    assert_eq!(
        (rej.reason, rej.field.as_str()),
        (RejectReason::DuplicateKey, "titulaires[0].id")
    );
}

#[test]
fn reading_on_this_thread_hands_over_what_the_workers_do() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let files = [
        "tests/data/decp-2019/data.gouv.fr_pes.json",
        "data/decp/isere_extract_2019.json",
        "crates/formats/tests/data/decp-format/v2.0/json/marches_concessions.json",
        "crates/formats/tests/data/decp-format/v1.5/paquet.xml",
    ];
    for rel in files {
        let bytes = std::fs::read(root.join(rel)).unwrap();
        let mut threaded = Vec::new();
        let stats = mutualis_formats::decp_read::read_decp_map(
            bytes.as_slice(),
            cpv(),
            |record| record.map_err(Box::new),
            |record| {
                threaded.push(record);
                ControlFlow::Continue(())
            },
        )
        .unwrap();
        let mut here = Vec::new();
        let stats_here = mutualis_formats::decp_read::read_decp_on_this_thread(
            bytes.as_slice(),
            cpv(),
            None,
            &|record| record.map_err(Box::new),
            &mut |record| {
                here.push(record);
                ControlFlow::Continue(())
            },
        )
        .unwrap();
        assert_eq!(stats, stats_here, "{rel}");
        assert!(stats.read > 0 && threaded == here, "{rel}");
    }
}

/// The opportunity engine's shortcut keeps the records the import keeps, with the same
/// repaired values: a buyer SIRET failing one key, CPV codes repaired or dropped (values of
/// marches-publics.info and data.gouv.fr 2019), and rejects a test record.
#[test]
fn the_facts_reader_repairs_what_the_import_repairs() {
    let marche = |id: &str, buyer: &str, cpv: &str, objet: &str| {
        serde_json::json!({
            "id": id, "acheteur": {"id": buyer}, "nature": "Marché", "objet": objet,
            "codeCPV": cpv, "dureeMois": 12, "dateNotification": "2024-01-10", "montant": 1000
        })
    };
    let text = serde_json::json!({"marches": {"marche": [
        marche("cle", "25600053000015", "90910000-9", "Nettoyage"),
        marche("zero", "20004071500019", "3111000", "Graines"),
        marche("controle", "20004071500019", "90620000-1", "Déneigement"),
        marche("inconnu", "20004071500019", "00000000-1", "Nettoyage"),
        marche("2018TEST00", "20004071500019", "90910000-9", "TEST"),
    ]}})
    .to_string();
    type Seen = Result<(String, String, Option<String>), RejectReason>;
    let read = |lean: bool| {
        let mut seen: Vec<(bool, Seen)> = Vec::new();
        let full = |record: Result<Contract, Rejection>| {
            (
                false,
                record
                    .map(|c| (c.id, c.buyer.to_string(), c.cpv.map(|c| c.to_string())))
                    .map_err(|r| r.reason),
            )
        };
        let stats = if lean {
            mutualis_formats::decp_read::read_decp_facts(
                text.as_bytes(),
                cpv(),
                |v| {
                    (
                        true,
                        Ok((
                            v.id.into_owned(),
                            v.buyer.to_string(),
                            v.cpv.map(|c| c.to_string()),
                        )),
                    )
                },
                full,
                |item| {
                    seen.push(item);
                    ControlFlow::Continue(())
                },
            )
        } else {
            mutualis_formats::decp_read::read_decp_map(text.as_bytes(), cpv(), full, |item| {
                seen.push(item);
                ControlFlow::Continue(())
            })
        }
        .unwrap();
        assert_eq!((stats.read, stats.contracts, stats.rejected), (5, 4, 1));
        seen
    };
    let lean = read(true);
    let full = read(false);
    let values = |s: &[(bool, Seen)]| s.iter().map(|(_, v)| v.clone()).collect::<Vec<_>>();
    assert_eq!(values(&lean), values(&full));
    assert_eq!(
        values(&full),
        [
            Ok((
                "cle".into(),
                "25600053000015".into(),
                Some("90910000-9".into())
            )),
            Ok((
                "zero".into(),
                "20004071500019".into(),
                Some("03111000-2".into())
            )),
            Ok((
                "controle".into(),
                "20004071500019".into(),
                Some("90620000-9".into())
            )),
            Ok(("inconnu".into(), "20004071500019".into(), None)),
            Err(RejectReason::TestRecord),
        ]
    );
    // The repaired records take the shortcut, without building the whole contract.
    let shortcut: Vec<bool> = lean.iter().map(|(l, _)| *l).collect();
    assert_eq!(shortcut, [true, true, true, true, false]);
}
