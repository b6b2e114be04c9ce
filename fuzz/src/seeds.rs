//! Seed corpora from the real files of the repository: the 2019 DECP files of
//! `tests/data/decp-2019/`, the Isère extract of `data/decp/`, the official DECP examples of
//! `crates/formats/tests/data/decp-format/`, and needs workbooks written by
//! `needs_workbook::write_workbook` from those contracts.
//!
//! A target started with `MUTUALIS_FUZZ_SEEDS=DIR` writes its seeds into `DIR` and exits
//! (`scripts/fuzz` does so before each run): the seeds are made by the code under test, and
//! no generated file is kept in git.

use std::path::{Path, PathBuf};

use mutualis_domain::Contract;
use mutualis_formats::decp_read::read_decp;
use mutualis_formats::needs_workbook::{PrefillRow, write_workbook};
use serde_json::{Map, Value};

/// The fuzz targets, by the seeds they start from.
#[derive(Clone, Copy)]
pub enum Target {
    DecpJson,
    DecpXml,
    NeedsWorkbook,
    Forms,
}

/// Records taken from each real file: one in `STEP`, so that the seeds spread over the file.
const STEP: usize = 40;

fn repo(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(rel)
}

fn bytes(rel: &str) -> Vec<u8> {
    let path = repo(rel);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

const REAL_FILES: [&str; 3] = [
    "tests/data/decp-2019/marches-publics.info.json",
    "tests/data/decp-2019/data.gouv.fr_pes.json",
    "data/decp/isere_extract_2019.json",
];

const EXAMPLES: [&str; 12] = [
    "v1.5/cc-avec-modifications.json",
    "v1.5/mar-avec-modifications.json",
    "v1.5/paquet.json",
    "v2.0/json/concessions.json",
    "v2.0/json/concessions_avec_modifications.json",
    "v2.0/json/marches_avec_modifications.json",
    "v2.0/json/marches_concessions.json",
    "v1.5/mar-avec-modifications.xml",
    "v1.5/paquet.xml",
    "v2.0/xml/Marche.xml",
    "v2.0/xml/Contrat-concession.xml",
    "v2.0/xml/Contrat-concession-modification.xml",
];

/// The records of a real DECP 1.x file (`{"marches": […]}`), its bytes read as UTF-8 with
/// the invalid ones replaced.
fn records(rel: &str) -> Vec<Value> {
    let text = String::from_utf8_lossy(&bytes(rel)).into_owned();
    let mut doc: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{rel}: {e}"));
    match doc.get_mut("marches").map(Value::take) {
        Some(Value::Array(records)) => records,
        _ => panic!("{rel}: no list of marches"),
    }
}

fn sampled(rel: &str) -> impl Iterator<Item = Value> {
    records(rel).into_iter().step_by(STEP)
}

fn is_concession(record: &Value) -> bool {
    record["_type"]
        .as_str()
        .is_some_and(|t| t.contains("concession"))
}

fn json_seeds() -> Vec<Vec<u8>> {
    let mut seeds = Vec::new();
    for rel in REAL_FILES {
        let records = records(rel);
        for record in records.iter().step_by(STEP) {
            // As published (DECP 1.x), and in the lists of DECP 2.0.
            seeds.push(serde_json::json!({ "marches": [record] }).to_string());
            let list = if is_concession(record) {
                "contrat-concession"
            } else {
                "marche"
            };
            seeds.push(serde_json::json!({ "marches": { list: [record] } }).to_string());
        }
        let first: Vec<&Value> = records.iter().take(3).collect();
        seeds.push(
            serde_json::to_string_pretty(&serde_json::json!({ "marches": first }))
                .unwrap_or_default(),
        );
    }
    let mut seeds: Vec<Vec<u8>> = seeds.into_iter().map(String::into_bytes).collect();
    // The Isère extract's first records, bytes as published (a few are not UTF-8).
    let isere = bytes(REAL_FILES[2]);
    let ends: Vec<usize> = isere
        .windows(5)
        .enumerate()
        .filter(|(_, w)| *w == b"\n  },")
        .map(|(i, _)| i + 4)
        .take(3)
        .collect();
    if let Some(&end) = ends.last() {
        let mut seed = isere[..end].to_vec();
        seed.extend_from_slice(b"\n ]\n}\n");
        seeds.push(seed);
    }
    seeds.extend(examples("json"));
    seeds
}

fn examples(extension: &str) -> Vec<Vec<u8>> {
    EXAMPLES
        .iter()
        .filter(|rel| rel.ends_with(extension))
        .map(|rel| bytes(&format!("crates/formats/tests/data/decp-format/{rel}")))
        .collect()
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// A JSON value as DECP XML writes it: a list `titulaires` becomes `<titulaires>` holding one
/// `<titulaire>` an element.
fn xml_of(name: &str, value: &Value, out: &mut String) {
    match value {
        Value::Array(items) => {
            out.push_str(&format!("<{name}>"));
            let item = name.strip_suffix('s').unwrap_or(name);
            for v in items {
                xml_of(item, v, out);
            }
            out.push_str(&format!("</{name}>"));
        }
        Value::Object(fields) => xml_fields(name, fields, out),
        Value::Null => {}
        Value::String(s) => out.push_str(&format!("<{name}>{}</{name}>", escape(s))),
        other => out.push_str(&format!("<{name}>{other}</{name}>")),
    }
}

fn xml_fields(name: &str, fields: &Map<String, Value>, out: &mut String) {
    out.push_str(&format!("<{name}>"));
    for (key, v) in fields.iter().filter(|(k, _)| !k.starts_with('_')) {
        xml_of(key, v, out);
    }
    out.push_str(&format!("</{name}>"));
}

fn xml_seeds() -> Vec<Vec<u8>> {
    let mut seeds = Vec::new();
    for rel in REAL_FILES {
        for record in sampled(rel) {
            let tag = if is_concession(&record) {
                "contrat-concession"
            } else {
                "marche"
            };
            let mut xml = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<marches>");
            if let Value::Object(fields) = &record {
                xml_fields(tag, fields, &mut xml);
            }
            xml.push_str("</marches>\n");
            seeds.push(xml.into_bytes());
        }
    }
    seeds.extend(examples("xml"));
    seeds
}

/// Contracts of the Isère extract, as the prefilled rows of a member's workbook.
fn contracts() -> Vec<Contract> {
    let mut contracts = Vec::new();
    let text = bytes(REAL_FILES[2]);
    let _ = read_decp(text.as_slice(), super::cpv(), |record| {
        if let Ok(c) = record {
            contracts.push(c);
        }
    });
    contracts
}

fn workbook_seeds() -> Vec<Vec<u8>> {
    let meta = super::workbook::meta();
    let rows: Vec<PrefillRow> = contracts().iter().map(PrefillRow::from_contract).collect();
    [0, 1, 3, 12]
        .into_iter()
        .map(|n| {
            write_workbook(&meta, &rows[..n.min(rows.len())]).unwrap_or_else(|e| panic!("{e}"))
        })
        .collect()
}

/// Texts a person may type, taken from the real records: amounts, dates in both notations,
/// SIRETs and CPV codes; and a few of each written by hand, in French notation.
fn form_seeds() -> Vec<Vec<u8>> {
    let mut texts: Vec<String> = [
        "12 500,50 €",
        "12500.5",
        "1\u{202f}250\u{202f}000,00 € HT",
        "-12.30",
        "31/12/2026",
        "1/2/2027",
        "2026-12-31T10:00:00",
        "200 040 715 00019",
        "213801855",
        "90910000-9",
        "acheteur@grenoble.fr",
        "1 250",
        "12,5",
    ]
    .map(String::from)
    .to_vec();
    for record in sampled(REAL_FILES[0]) {
        for field in ["montant", "dateNotification", "codeCPV", "dureeMois"] {
            match &record[field] {
                Value::String(s) => texts.push(s.clone()),
                Value::Number(n) => texts.push(n.to_string()),
                _ => {}
            }
        }
        if let Some(id) = record["acheteur"]["id"].as_str() {
            texts.push(id.to_owned());
        }
        if let Some(date) = record["dateNotification"].as_str()
            && let [y, m, d] = date.split('-').collect::<Vec<_>>()[..]
        {
            texts.push(format!("{d}/{m}/{y}"));
        }
    }
    texts.sort();
    texts.dedup();
    texts.into_iter().map(String::into_bytes).collect()
}

/// Writes the target's seeds into the folder named by `MUTUALIS_FUZZ_SEEDS`, and exits, when
/// that variable is set; does nothing otherwise.
pub fn write_if_asked(target: Target) {
    let Some(dir) = std::env::var_os("MUTUALIS_FUZZ_SEEDS") else {
        return;
    };
    let dir = PathBuf::from(dir);
    let seeds = match target {
        Target::DecpJson => json_seeds(),
        Target::DecpXml => xml_seeds(),
        Target::NeedsWorkbook => workbook_seeds(),
        Target::Forms => form_seeds(),
    };
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    for (i, seed) in seeds.iter().enumerate() {
        let path = dir.join(format!("seed-{i:04}"));
        std::fs::write(&path, seed).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    }
    println!("{} seeds written to {}", seeds.len(), dir.display());
    std::process::exit(0);
}
