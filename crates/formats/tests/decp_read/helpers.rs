//! What every part of the DECP reading tests uses: the reading itself, the files, and small
//! documents built from the official examples.

pub(crate) use std::collections::{BTreeMap, BTreeSet};
pub(crate) use std::fs::File;
pub(crate) use std::io::{self, BufReader, Read, Write};
pub(crate) use std::ops::ControlFlow;
pub(crate) use std::path::{Path, PathBuf};

pub(crate) use chrono::NaiveDate;
pub(crate) use mutualis_domain::contract::{Label, Operator, Place};
pub(crate) use mutualis_domain::{
    Amount, Contract, ContractKind, ContractSource, CpvNomenclature, Repair, RepairKind,
};
pub(crate) use mutualis_formats::decp_read::{
    DecpFormat, FileError, ReadStats, RejectReason, Rejection, read_decp, read_decp_until,
};

// ---------------------------------------------------------------------------------------------
// Helpers

pub(crate) fn cpv() -> &'static CpvNomenclature {
    mutualis_reference::cpv::nomenclature()
}

/// Everything a read produced.
pub(crate) struct Outcome {
    pub(crate) stats: ReadStats,
    pub(crate) contracts: Vec<Contract>,
    pub(crate) rejections: Vec<Rejection>,
    /// Position of each contract in the file.
    pub(crate) contract_index: Vec<usize>,
}

impl Outcome {
    pub(crate) fn counts(&self) -> (DecpFormat, usize, usize, usize) {
        (
            self.stats.format,
            self.stats.read,
            self.stats.contracts,
            self.stats.rejected,
        )
    }

    pub(crate) fn contract(&self, id: &str) -> &Contract {
        self.contracts
            .iter()
            .find(|c| c.id == id)
            .unwrap_or_else(|| panic!("no contract {id}"))
    }

    pub(crate) fn reasons(&self) -> BTreeMap<&'static str, usize> {
        let mut by = BTreeMap::new();
        for r in &self.rejections {
            *by.entry(r.reason.code()).or_default() += 1;
        }
        by
    }

    /// The repairs made, by kind.
    pub(crate) fn repairs(&self) -> BTreeMap<&'static str, usize> {
        let mut by = BTreeMap::new();
        for r in self.contracts.iter().flat_map(|c| &c.repairs) {
            *by.entry(r.kind.code()).or_default() += 1;
        }
        by
    }

    /// The contract read at position `index` of the file.
    pub(crate) fn at(&self, index: usize) -> &Contract {
        let i = self
            .contract_index
            .iter()
            .position(|&p| p == index)
            .unwrap_or_else(|| panic!("no contract at {index}"));
        &self.contracts[i]
    }
}

/// A repair, as the reader notes it (its sentence aside).
pub(crate) fn repair(kind: RepairKind, field: &str, published: &str, kept: Option<&str>) -> Repair {
    Repair {
        kind,
        field: field.into(),
        published: published.into(),
        kept: kept.map(str::to_owned),
        note: String::new(),
    }
}

/// A contract's repairs without their sentences, each of which must name the published value.
pub(crate) fn repairs_of(c: &Contract) -> Vec<Repair> {
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

pub(crate) fn read(reader: impl io::BufRead) -> Result<Outcome, FileError> {
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

pub(crate) fn read_str(text: &str) -> Result<Outcome, FileError> {
    read(text.as_bytes())
}

pub(crate) fn read_path(path: &Path) -> Outcome {
    let file = File::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    read(BufReader::new(file)).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

pub(crate) fn data(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(rel)
}

pub(crate) fn example(rel: &str) -> Outcome {
    read_path(&data(&format!("decp-format/{rel}")))
}

pub(crate) fn example_text(rel: &str) -> String {
    std::fs::read_to_string(data(&format!("decp-format/{rel}"))).unwrap()
}

/// A file of `../shared/data/real`, which only exists beside the project's main clone: when
/// it is absent the test says so on the terminal and skips.
pub(crate) fn shared(rel: &str) -> Option<PathBuf> {
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

pub(crate) fn date(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

pub(crate) fn euros(s: &str) -> Amount {
    Amount::parse_euros(s).unwrap()
}

pub(crate) fn label(value: Option<&str>, original: Option<&str>) -> Label {
    Label {
        value: value.map(str::to_owned),
        original: original.map(str::to_owned),
    }
}

pub(crate) fn op(id: &str, id_type: &str, name: Option<&str>) -> Operator {
    Operator {
        id: id.into(),
        id_type: id_type.into(),
        name: name.map(str::to_owned),
    }
}

/// A DECP 1.x document with one marché, whose fields are `fields` over a valid base.
pub(crate) fn v1_marche(fields: &[(&str, serde_json::Value)]) -> String {
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
pub(crate) fn one(text: &str) -> Result<Contract, Box<Rejection>> {
    let mut r = read_str(text).unwrap();
    assert_eq!(r.stats.read, 1);
    match (r.contracts.pop(), r.rejections.pop()) {
        (Some(c), None) => Ok(c),
        (None, Some(rej)) => Err(Box::new(rej)),
        _ => unreachable!(),
    }
}

pub(crate) fn rejected(text: &str) -> Rejection {
    *one(text).expect_err("rejected")
}
