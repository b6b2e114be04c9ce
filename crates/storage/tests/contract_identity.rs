//! The identity of a contract (ARCHITECTURE.md, "Identity of a contract") on the real records
//! of the two 2019 files the repository ships (`tests/data/decp-2019/`): republications under a
//! new sequence number or a new publication date are one contract with its versions, lots
//! published under one id are distinct contracts; and the import's order does not matter —
//! on both backends.

#![allow(clippy::unwrap_used)] // a test that cannot unwrap has failed

use std::io::BufReader;
use std::path::Path;

use mutualis_domain::{Contract, Role, Siren, Siret};
use mutualis_formats::decp_read::read_decp;
use mutualis_reference::cpv::nomenclature;
use mutualis_reference::territory::grenoble_alpes_metropole;
use mutualis_storage::contract_import::{ImportAction, PreparedContract};
use mutualis_storage::{Database, Principal};
use mutualis_test_db::{each_backend, sign_in};

/// A coordinator of the Grenoble territory, who exports every contract.
async fn coordinator(db: &Database) -> Principal {
    if db
        .organisation_by_siren(&Siren::parse("200040715").unwrap())
        .await
        .unwrap()
        .is_none()
    {
        db.upsert_territory(&grenoble_alpes_metropole(), at())
            .await
            .unwrap();
    }
    sign_in(
        db,
        "200040715",
        Role::Coordinator,
        "coordination@lametro.test",
    )
    .await
    .0
}

/// The buyers and id prefixes of the examples.
const EXAMPLES: &[(&str, &str)] = &[
    // data.gouv.fr_pes.json: five publications of one contract, 2019A01500…04.
    ("20002715900017", "2019A015"),
    // data.gouv.fr_pes.json: three, 2018MAPA062/0200…02.
    ("20003070800016", "2018MAPA062/02"),
    // marches-publics.info.json: the notification date corrected under 20191815AC01 (and two
    // lots, AC101 and AC202).
    ("21740225400015", "20191815AC"),
    // data.gouv.fr_pes.json: the same id, published again later.
    ("21670218300015", "201818M12600"),
    // Both files: the same id published again, once with a character lost (l?air).
    ("21690123100011", "2018J1134A"),
    // Both files: a shared stem, three contracts.
    ("21690123100011", "2018J1227"),
    ("21690123100011", "2018J1228"),
    ("21690123100011", "2018J1230"),
    // marches-publics.info.json: lots under one id, and one object rewritten.
    ("24450046800040", "2019M1900400"),
    ("24450046800040", "2019M19007R00"),
    ("24450046800040", "2018M18414GR"),
    ("24450046800040", "2019M18428S00"),
];

/// The records of the examples, in file order, both files one after the other.
fn example_records() -> Vec<Contract> {
    let mut out = Vec::new();
    for file in ["data.gouv.fr_pes.json", "marches-publics.info.json"] {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../tests/data/decp-2019")
            .join(file);
        let file = std::fs::File::open(path).unwrap();
        read_decp(BufReader::new(file), nomenclature(), |record| {
            if let Ok(c) = record
                && EXAMPLES
                    .iter()
                    .any(|(buyer, prefix)| c.buyer.as_str() == *buyer && c.id.starts_with(prefix))
            {
                out.push(c);
            }
        })
        .unwrap();
    }
    out
}

/// Every stored contract: (buyer SIRET, id, content hash, earlier versions), sorted.
async fn rows(db: &Database) -> Vec<(String, String, String, Option<String>)> {
    const SQL: &str = "SELECT buyer_siret, decp_id, content_hash, versions FROM contracts \
                       ORDER BY buyer_siret, decp_id, content_hash";
    match db {
        Database::Sqlite(p) => sqlx::query_as(SQL).fetch_all(p).await.unwrap(),
        Database::Postgres(p) => sqlx::query_as(SQL).fetch_all(p).await.unwrap(),
    }
}

async fn execute(db: &Database, sql: &str) {
    match db {
        Database::Sqlite(p) => sqlx::query(sql).execute(p).await.map(|_| ()),
        Database::Postgres(p) => sqlx::query(sql).execute(p).await.map(|_| ()),
    }
    .unwrap();
}

/// How many stored contracts of `buyer` have an id starting with `prefix`, and how many
/// earlier versions each keeps.
fn versions_of(
    rows: &[(String, String, String, Option<String>)],
    buyer: &str,
    prefix: &str,
) -> Vec<usize> {
    rows.iter()
        .filter(|(b, id, _, _)| b == buyer && id.starts_with(prefix))
        .map(|(_, _, _, versions)| {
            versions.as_deref().map_or(0, |v| {
                serde_json::from_str::<Vec<serde_json::Value>>(v)
                    .unwrap()
                    .len()
            })
        })
        .collect()
}

#[tokio::test]
async fn republications_are_versions_and_lots_under_one_id_are_distinct_in_any_order() {
    let records = example_records();
    // 5 + 3 + 4 (20191815AC00 and 01, and the lots AC101 and AC202) + 2 + 3 (2018J1134A00: twice in one file,
    // once in the other) + 6 (2018J1227, 28 and 30 in both files) + 3 × 4 (buyer
    // 24450046800040: one record in one file, two in the other).
    assert_eq!(records.len(), 35, "the examples are in the files");
    each_backend(|db| {
        let records = records.clone();
        async move {
            let actions = db.import_contracts(&records, at()).await.unwrap();
            let created = actions
                .iter()
                .filter(|a| **a == ImportAction::Created)
                .count();
            let first = rows(&db).await;
            assert_eq!(created, first.len());
            // One contract, its four earlier publications kept.
            assert_eq!(versions_of(&first, "20002715900017", "2019A015"), [4]);
            // Its five publications share one date: the newest is the greatest suffix.
            assert!(
                first
                    .iter()
                    .any(|(b, id, _, _)| b == "20002715900017" && id == "2019A01504"),
                "{first:?}"
            );
            assert_eq!(versions_of(&first, "20003070800016", "2018MAPA062/02"), [2]);
            assert_eq!(versions_of(&first, "21740225400015", "20191815AC0"), [1]);
            // Its lots 1 and 2, 20191815AC101 and AC202 (5,000 €): stems of their own.
            assert_eq!(versions_of(&first, "21740225400015", "20191815AC1"), [0]);
            assert_eq!(versions_of(&first, "21740225400015", "20191815AC2"), [0]);
            assert_eq!(versions_of(&first, "21670218300015", "201818M12600"), [1]);
            // The newest publication is the stored one: the one without the lost character.
            assert_eq!(versions_of(&first, "21690123100011", "2018J1134A"), [1]);
            let newest = first
                .iter()
                .find(|(_, id, _, _)| id == "2018J1134A00")
                .unwrap();
            let object: String = match &db {
                Database::Sqlite(p) => {
                    sqlx::query_scalar("SELECT object FROM contracts WHERE content_hash = $1")
                        .bind(&newest.2)
                        .fetch_one(p)
                        .await
                        .unwrap()
                }
                Database::Postgres(p) => {
                    sqlx::query_scalar("SELECT object FROM contracts WHERE content_hash = $1")
                        .bind(&newest.2)
                        .fetch_one(p)
                        .await
                        .unwrap()
                }
            };
            assert!(object.contains("l'air"), "{object}");
            // Three contracts sharing a prefix; the same records twice are nothing more.
            for id in ["2018J1227", "2018J1228", "2018J1230"] {
                assert_eq!(versions_of(&first, "21690123100011", id), [0]);
            }
            // Two lots under one id each time; the rewritten object is one contract.
            assert_eq!(
                versions_of(&first, "24450046800040", "2019M1900400"),
                [0, 0]
            );
            assert_eq!(
                versions_of(&first, "24450046800040", "2019M19007R00"),
                [0, 0]
            );
            assert_eq!(
                versions_of(&first, "24450046800040", "2018M18414GR"),
                [0, 0]
            );
            assert_eq!(versions_of(&first, "24450046800040", "2019M18428S00"), [1]);
            assert_eq!(first.len(), 17);

            // Exported, the lots under one id keep apart: the second stored takes "-2".
            let wide = coordinator(&db).await;
            let exported = db
                .contracts_for_export(
                    wide.scope().territory_wide().unwrap(),
                    Some(&Siret::parse("24450046800040").unwrap()),
                    None,
                    nomenclature(),
                )
                .await
                .unwrap();
            let mut ids: Vec<&str> = exported.iter().map(|r| r.contract.id.as_str()).collect();
            ids.sort_unstable();
            assert_eq!(
                ids,
                [
                    "2018M18414GR00",
                    "2018M18414GR01",
                    "2019M18428S00",
                    "2019M1900400",
                    "2019M1900400-2",
                    "2019M19007R00",
                    "2019M19007R00-2"
                ]
            );

            // Again: nothing changes.
            let again = db.import_contracts(&records, at()).await.unwrap();
            assert!(again.iter().all(|a| *a == ImportAction::Unchanged));
            assert_eq!(rows(&db).await, first);

            // In the reverse order, one record a batch (each compared with what is stored):
            // the same rows.
            execute(&db, "DELETE FROM contract_suppliers").await;
            execute(&db, "DELETE FROM contracts").await;
            for record in records.iter().rev() {
                db.import_contracts(std::slice::from_ref(record), at())
                    .await
                    .unwrap();
            }
            assert_eq!(rows(&db).await, first);

            // A bulk load into the emptied table, one record a batch: each batch looks up only
            // the keys the load may have written before (its key filter), and finds the
            // same rows.
            execute(&db, "DELETE FROM contract_suppliers").await;
            execute(&db, "DELETE FROM contracts").await;
            let mut import = db.contract_import().await.unwrap();
            assert!(import.is_empty().await.unwrap());
            let mut tx = import.begin_bulk().await.unwrap();
            for record in &records {
                let prepared = PreparedContract::new(record.clone()).unwrap();
                tx.write(std::slice::from_ref(&prepared), at())
                    .await
                    .unwrap();
            }
            tx.commit().await.unwrap();
            import.finish().await.unwrap();
            assert_eq!(rows(&db).await, first);
        }
    })
    .await;
}

/// The time the imports are dated with: fixed, the tests' own clock.
fn at() -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::parse_from_rfc3339("2026-12-07T12:00:00Z")
        .unwrap()
        .to_utc()
}
