#![allow(clippy::unwrap_used)]
//! The database-less reading (`opportunities --decp`) counts each contract once by the identity
//! rule of the import, on the real records of the 2019 files the repository ships.

use std::io::BufReader;
use std::path::Path;

use mutualis_import::facts::DecpFacts;

fn file(name: &str) -> BufReader<std::fs::File> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/data/decp-2019")
        .join(name);
    BufReader::new(std::fs::File::open(path).unwrap())
}

/// How many contracts of `buyer` (SIREN) have an id starting with `prefix`.
fn count(facts: &DecpFacts, buyer: &str, prefix: &str) -> usize {
    facts
        .contracts
        .iter()
        .filter(|c| c.buyer.to_string() == buyer && c.id.starts_with(prefix))
        .count()
}

#[test]
fn republications_count_once_and_lots_under_one_id_apart() {
    let mut facts = DecpFacts::default();
    facts.add_file(file("data.gouv.fr_pes.json")).unwrap();
    facts.add_file(file("marches-publics.info.json")).unwrap();
    // Republished under a new sequence number, or on a new date: one contract.
    assert_eq!(count(&facts, "200027159", "2019A015"), 1);
    assert_eq!(count(&facts, "200030708", "2018MAPA062/02"), 1);
    assert_eq!(count(&facts, "217402254", "20191815AC0"), 1);
    assert_eq!(count(&facts, "217402254", "20191815AC"), 3);
    assert_eq!(count(&facts, "216702183", "201818M12600"), 1);
    assert_eq!(count(&facts, "216901231", "2018J1134A"), 1);
    // A shared stem with other amounts and objects: three.
    assert_eq!(
        ["2018J1227", "2018J1228", "2018J1230"]
            .iter()
            .map(|id| count(&facts, "216901231", id))
            .sum::<usize>(),
        3
    );
    // Lots under one id: two each; an object rewritten: one.
    assert_eq!(count(&facts, "244500468", "2019M1900400"), 2);
    assert_eq!(count(&facts, "244500468", "2019M19007R00"), 2);
    assert_eq!(count(&facts, "244500468", "2018M18414GR"), 2);
    assert_eq!(count(&facts, "244500468", "2019M18428S00"), 1);
    assert_eq!(
        facts.contracts.len() + facts.duplicates,
        facts.read - facts.rejected
    );
}
