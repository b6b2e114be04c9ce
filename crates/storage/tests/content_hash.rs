//! The content hash of imported contracts is pinned: every contract of the real DECP files the
//! project ships (the Isère extract, the two whole files of 2019, the format's own examples in
//! 1.5 and 2.0) hashes to the value databases already store. A change of the hash form would
//! make every stored contract look changed at the next import.

#![allow(clippy::unwrap_used)] // a test that cannot unwrap has failed

use std::io::BufReader;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use mutualis_domain::contract::{
    Decp2Fields, ExecutionData, Label, Modification, Operator, Place, Subcontracting,
    SubcontractingModification, Tariff,
};
use mutualis_domain::{
    Amount, Contract, ContractKind, ContractSource, Decimal, Repair, RepairKind, Share, Siret,
};
use mutualis_formats::decp_read::read_decp;
use mutualis_reference::cpv::nomenclature;
use mutualis_storage::contract_import::PreparedContract;
use sha2::{Digest, Sha256};

fn repo_file(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(path)
}

/// The content hashes of the contracts of a DECP file read as published (without repairs:
/// those were rejected when the hashes were pinned), in file order.
fn hashes(path: &str) -> Vec<String> {
    let file = std::fs::File::open(repo_file(path)).unwrap();
    let mut out = Vec::new();
    read_decp(BufReader::new(file), nomenclature(), |record| {
        if let Ok(contract) = record
            && contract.repairs.is_empty()
        {
            out.push(
                PreparedContract::new(contract)
                    .unwrap()
                    .content_hash()
                    .to_owned(),
            );
        }
    })
    .unwrap();
    out
}

/// One SHA-256 over every hash of a file, one per line.
fn digest(hashes: &[String]) -> String {
    let mut sha = Sha256::new();
    for h in hashes {
        sha.update(h.as_bytes());
        sha.update(b"\n");
    }
    hex::encode(sha.finalize())
}

/// (file, contracts read, first contract's hash, digest of all the hashes)
const PINNED: &[(&str, usize, &str, &str)] = &[
    (
        "data/decp/isere_extract_2019.json",
        220,
        "8d9dc7af201f9d7050bd14dc0d9b3fe6c660205c06cc06a191e184dbf2452dae",
        "e271090a1dee9a8d3fece3062ab2a68994c747d086d54963b80134ec5b3bceeb",
    ),
    (
        "tests/data/decp-2019/data.gouv.fr_pes.json",
        // 1,111 before its test record (950, objet "TEST") was rejected as such.
        1110,
        "aabe4cd59ad1c52e2c40cf0b0631288b72b89e782bfc388fa46a20940e9d71d2",
        "b736b06d837148417e29b7a3385742a25a5026f3faae20f6500d2f67a5361427",
    ),
    (
        "tests/data/decp-2019/marches-publics.info.json",
        4484,
        "cd60a046b1d1a2f90eb5e6d2ff5cbfcf092c7efbe151998ffd087cf99da56f9d",
        "38d5a2feb070e2899d99b7fa84e2d75169d8960fe694a15888ab42edb355140a",
    ),
    (
        "crates/formats/tests/data/decp-format/v1.5/paquet.json",
        2,
        "eacc7271928dc4af4b5af1806418395686033358babb1bd1c855b2fed4b067ad",
        "36c19b6b9ba1c57e7dc11f0e3d96b4d98de3072106e16ad38347111626b2abd6",
    ),
    (
        "crates/formats/tests/data/decp-format/v1.5/mar-avec-modifications.json",
        1,
        "688c34bdba6f468daef7f81f91c452983e4d0a1f9263c801404ccb53c0ce437b",
        "964f48f6126e510910e10f36f6417eb3628332d50a3544fcf071aaf9b60e44a9",
    ),
    (
        "crates/formats/tests/data/decp-format/v1.5/cc-avec-modifications.json",
        1,
        "a5e5b6dcfeba1757ab1b305081c035f686545542aa25ffa6e8deaa4f77f5b695",
        "48c3cad973da2f0342e87cdc4fa55404db5ba1dcfacc78d3106bc624ece39503",
    ),
    // The two 2.0 examples publish `origineUE`, `origineFrance` and
    // `modificationsActesSousTraitance`, which were not read before: their hashes changed when
    // these fields were kept (they were 824c180d… and a5c6ca14…), and such a contract stored
    // before is updated with them at its next import.
    (
        "crates/formats/tests/data/decp-format/v2.0/json/marches_concessions.json",
        1,
        "d5e469464391336ab9c12e1ea99b62b5abd4adfab44bb1fa98d6aefd29f98a70",
        "efb7c444e9426c6cc2b574517816f4d06560cc6a7ea88c9daa06ab811e103b7f",
    ),
    (
        "crates/formats/tests/data/decp-format/v2.0/xml/Marche.xml",
        2,
        "a6e56963869f9519c4bede09be3bb8e4b9161e7219f525242a2b1b5f923085e4",
        "ea98be73af8719eafff0a4bf341a422ef29c7533899535e1eacb5a9a61fbc632",
    ),
];

#[test]
fn content_hashes_of_the_real_files_are_those_stored() {
    let files = [
        "data/decp/isere_extract_2019.json",
        "tests/data/decp-2019/data.gouv.fr_pes.json",
        "tests/data/decp-2019/marches-publics.info.json",
        "crates/formats/tests/data/decp-format/v1.5/paquet.json",
        "crates/formats/tests/data/decp-format/v1.5/mar-avec-modifications.json",
        "crates/formats/tests/data/decp-format/v1.5/cc-avec-modifications.json",
        "crates/formats/tests/data/decp-format/v2.0/json/marches_concessions.json",
        "crates/formats/tests/data/decp-format/v2.0/xml/Marche.xml",
    ];
    let found: Vec<(String, usize, String, String)> = files
        .iter()
        .map(|f| {
            let h = hashes(f);
            (
                f.to_string(),
                h.len(),
                h.first().cloned().unwrap_or_default(),
                digest(&h),
            )
        })
        .collect();
    let pinned: Vec<(String, usize, String, String)> = PINNED
        .iter()
        .map(|(f, n, first, all)| (f.to_string(), *n, first.to_string(), all.to_string()))
        .collect();
    assert_eq!(found, pinned);
}

fn date(s: &str) -> Option<NaiveDate> {
    Some(NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap())
}

/// A concession with every field of the hash form given, lists of two where a list is hashed.
fn every_field() -> Contract {
    let operator = |id: &str, name: Option<&str>| Operator {
        id: id.into(),
        id_type: "SIRET".into(),
        name: name.map(Into::into),
    };
    Contract {
        id: "2024-C-007".into(),
        buyer: Siret::parse("21380185500015").unwrap(),
        buyer_name: Some("VILLE DE GRENOBLE".into()),
        kind: ContractKind::Concession,
        source: ContractSource::Decp2,
        nature: Label {
            value: Some("Concession de service".into()),
            original: Some("Délégation de service public".into()),
        },
        object: "Gestion du réseau de chaleur \"urbain\" — lot n°1".into(),
        cpv: Some(nomenclature().parse("09323000").unwrap()),
        procedure: Label {
            value: Some("Procédure ouverte".into()),
            original: None,
        },
        place: Some(Place {
            code: "38185".into(),
            code_type: "Code commune".into(),
        }),
        duration_months: Some(240),
        notified_on: date("2024-03-01"),
        starts_on: date("2024-07-01"),
        published_on: date("2024-03-15"),
        amount: Some(Amount::from_cents(12_345_678_901)),
        price_form: Label {
            value: None,
            original: Some("Révisable".into()),
        },
        operators: vec![
            operator("91234567500017", Some("CHALEUR DES ALPES")),
            operator("FR12345678901", None),
        ],
        modifications: vec![
            Modification {
                id: "1".into(),
                object: Some("Avenant 1".into()),
                signed_on: date("2025-01-10"),
                published_on: date("2025-01-20"),
                new_amount: Some(Amount::from_cents(13_000_000_000)),
                new_duration_months: Some(252),
                new_operators: vec![operator("91234567500017", None)],
            },
            Modification {
                id: "2".into(),
                object: None,
                signed_on: None,
                published_on: None,
                new_amount: None,
                new_duration_months: None,
                new_operators: vec![],
            },
        ],
        subcontracting: vec![Subcontracting {
            id: "S1".into(),
            subcontractor: operator("44306184100047", Some("SOUS-TRAITANT")),
            amount: Some(Amount::from_cents(500_000)),
            duration_months: Some(12),
            signed_on: date("2024-05-02"),
            published_on: date("2024-05-03"),
            price_variation: Some("Ferme".into()),
        }],
        decp2: Some(Decp2Fields {
            techniques: vec!["Accord-cadre".into(), "Concours".into()],
            execution_modes: vec!["Tranches".into()],
            framework_id: Some("AC-2023-1".into()),
            innovative: Some(false),
            ccag: Some("Travaux".into()),
            offers_received: Some(3),
            advance_paid: Some(true),
            advance_rate_permille: Some(50),
            operator_grouping: Some("Solidaire".into()),
            price_types: vec!["Définitif ferme".into()],
            subcontracting_declared: Some(true),
            social_considerations: vec!["Clause sociale".into()],
            environmental_considerations: vec!["Critère environnemental".into()],
            public_subsidy: Some(Amount::from_cents(100_000)),
            ..Decp2Fields::default()
        }),
        repairs: Vec::new(),
    }
}

/// A contract with every field absent or empty that may be.
fn fewest_fields() -> Contract {
    Contract {
        id: "X".into(),
        buyer: Siret::parse("21380185500015").unwrap(),
        buyer_name: None,
        kind: ContractKind::Marche,
        source: ContractSource::Mutualis,
        nature: Label {
            value: None,
            original: None,
        },
        object: String::new(),
        cpv: None,
        procedure: Label {
            value: None,
            original: None,
        },
        place: None,
        duration_months: None,
        notified_on: None,
        starts_on: None,
        published_on: None,
        amount: None,
        price_form: Label {
            value: None,
            original: None,
        },
        operators: vec![],
        modifications: vec![],
        subcontracting: vec![],
        decp2: Some(Decp2Fields::default()),
        repairs: Vec::new(),
    }
}

#[test]
fn content_hashes_of_every_field_are_pinned() {
    let hash = |c: Contract| PreparedContract::new(c).unwrap().content_hash().to_owned();
    let mut decp1 = fewest_fields();
    decp1.decp2 = None;
    decp1.source = ContractSource::Decp1;
    let found = [hash(every_field()), hash(fewest_fields()), hash(decp1)];
    assert_eq!(
        found,
        [
            "0729e0c8d526c55c04f906cac2349b1972317f13ddfdb45c7f23aa842d2a0910",
            "3f977d7ec27c91364f70e0b0d575b11bdd481f5eb79ee6ea22d18c2cd650cf65",
            "6a761d2cd4f9b8690b0a8a916c6fc5389823f627ed5f0d85f13cae338f478a84",
        ]
    );
}

#[test]
fn the_fields_kept_later_change_the_hash_only_when_present() {
    let hash = |c: Contract| PreparedContract::new(c).unwrap().content_hash().to_owned();
    let with = |change: &dyn Fn(&mut Decp2Fields)| {
        let mut c = every_field();
        change(c.decp2.as_mut().unwrap());
        hash(c)
    };
    // Absent or empty, they leave the hash of every contract as it was (pinned above).
    assert_eq!(
        with(&|d| {
            d.origin_eu = None;
            d.subcontracting_modifications.clear();
            d.execution_data.clear();
        }),
        hash(every_field())
    );
    let found = [
        hash(every_field()),
        with(&|d| d.origin_eu = Some(Share::parse("0.2").unwrap())),
        with(&|d| d.origin_france = Some(Share::parse("0.2").unwrap())),
        with(&|d| {
            d.subcontracting_modifications = vec![SubcontractingModification {
                act_id: "1".into(),
                new_duration_months: None,
                new_amount: None,
                signed_on: None,
                published_on: None,
            }]
        }),
        with(&|d| {
            d.execution_data = vec![ExecutionData {
                published_on: None,
                investment_spending: None,
                tariffs: vec![],
            }]
        }),
        with(&|d| d.execution_data = vec![tariff("14.29")]),
        with(&|d| d.execution_data = vec![tariff("14.3")]),
    ];
    for (i, h) in found.iter().enumerate() {
        assert!(
            !found[..i].contains(h),
            "change {i} gives the hash of another"
        );
    }
    // A decimal's hash is its value, not its writing.
    assert_eq!(
        with(&|d| d.execution_data = vec![tariff("14.290")]),
        found[5]
    );
    assert_eq!(
        with(&|d| d.execution_data = vec![tariff("14.3")]),
        "c28aac89d7ae0a6c49c0325de71668f273de0c897477486f90f5ceba42b22435"
    );
}

/// Execution data with one tariff of `price`.
fn tariff(price: &str) -> ExecutionData {
    ExecutionData {
        published_on: None,
        investment_spending: None,
        tariffs: vec![Tariff {
            label: None,
            price: Some(Decimal::parse(price).unwrap()),
        }],
    }
}

#[test]
fn repairs_are_hashed_when_there_are_some_and_their_sentence_is_not() {
    let hash = |c: &Contract| {
        PreparedContract::new(c.clone())
            .unwrap()
            .content_hash()
            .to_owned()
    };
    let plain = fewest_fields();
    let mut repaired = fewest_fields();
    repaired.repairs.push(Repair {
        kind: RepairKind::CpvCheckDigit,
        field: "codeCPV".into(),
        published: "90620000-1".into(),
        kept: Some("90620000-9".into()),
        note: "une phrase".into(),
    });
    assert_ne!(hash(&plain), hash(&repaired));
    let mut reworded = repaired.clone();
    reworded.repairs[0].note = "une autre phrase".into();
    assert_eq!(hash(&repaired), hash(&reworded));
    let mut other = repaired.clone();
    other.repairs[0].published = "90620000-2".into();
    assert_ne!(hash(&repaired), hash(&other));
}
