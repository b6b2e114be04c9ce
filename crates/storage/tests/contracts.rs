//! The contract import: idempotent, newer publications update, batches are all or nothing,
//! reads are scoped — on both backends.

#![allow(clippy::unwrap_used)] // a test that cannot unwrap has failed

use chrono::NaiveDate;
use mutualis_domain::contract::{Label, Modification, Operator};
use mutualis_domain::{Amount, Contract, ContractKind, ContractSource, Role, Siren, Siret};
use mutualis_reference::cpv::nomenclature;
use mutualis_reference::territory::grenoble_alpes_metropole;
use mutualis_storage::contract_import::{ImportAction, PreparedContract};
use mutualis_storage::contracts::{ContractFilter, ContractRecord, ContractSort};
use mutualis_storage::credentials::{hash_secret, new_secret};
use mutualis_storage::{Database, Principal};
use mutualis_test_db::{each_backend, sign_in};

/// The time the imports are dated with: fixed, the tests' own clock.
fn at() -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::parse_from_rfc3339("2026-12-07T12:00:00Z")
        .unwrap()
        .to_utc()
}

fn date(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

/// A 1.x-like contract of `buyer` (SIRET), cleaning services, 24 months from `notified`.
fn contract(buyer: &str, id: &str, notified: &str, euros: i64) -> Contract {
    Contract {
        id: id.into(),
        buyer: Siret::parse(buyer).unwrap(),
        buyer_name: Some("ACHETEUR".into()),
        kind: ContractKind::Marche,
        source: ContractSource::Decp1,
        nature: Label::v2("Marché"),
        object: format!("Nettoyage {id}"),
        cpv: Some(nomenclature().parse("90910000").unwrap()),
        procedure: Label {
            value: Some("Procédure avec négociation".into()),
            original: Some("Procédure concurrentielle avec négociation".into()),
        },
        place: None,
        duration_months: Some(24),
        notified_on: Some(date(notified)),
        starts_on: None,
        published_on: Some(date(notified)),
        amount: Some(Amount::from_euros(euros)),
        price_form: Label {
            value: None,
            original: Some("Ferme".into()),
        },
        operators: vec![Operator {
            id: "91234567500017".into(),
            id_type: "SIRET".into(),
            name: Some("NETTOYAGE DES ALPES".into()),
        }],
        modifications: vec![],
        subcontracting: vec![],
        decp2: None,
        repairs: Vec::new(),
    }
}

const METRO: &str = "20004071500019";
const GRENOBLE: &str = "21380185500015";

/// One contract of the Métropole, one of Grenoble.
fn metro_and_grenoble() -> Vec<Contract> {
    vec![
        contract(METRO, "2019-001", "2019-01-15", 120_000),
        contract(GRENOBLE, "G-1", "2019-06-01", 80_000),
    ]
}

async fn count(db: &Database, sql: &str) -> i64 {
    match db {
        Database::Sqlite(pool) => sqlx::query_scalar(sql).fetch_one(pool).await.unwrap(),
        Database::Postgres(pool) => sqlx::query_scalar(sql).fetch_one(pool).await.unwrap(),
    }
}

/// The contracts the coordinator would export, of one buyer (SIRET) or of all.
async fn exported(db: &Database, buyer: Option<&str>) -> Vec<ContractRecord> {
    let wide = coordinator(db).await;
    let buyer = buyer.map(|b| Siret::parse(b).unwrap());
    db.contracts_for_export(
        wide.scope().territory_wide().unwrap(),
        buyer.as_ref(),
        None,
        nomenclature(),
    )
    .await
    .unwrap()
}

#[tokio::test]
async fn importing_twice_changes_nothing_and_a_round_trip_keeps_every_field() {
    each_backend(|db| async move {
        let mut with_modification = contract(METRO, "2019-002", "2019-03-01", 50_000);
        with_modification.modifications.push(Modification {
            id: "1".into(),
            object: Some("Avenant 1".into()),
            signed_on: Some(date("2020-01-10")),
            published_on: Some(date("2020-01-15")),
            new_amount: Some(Amount::from_cents(6_000_050)),
            new_duration_months: Some(36),
            new_operators: vec![],
        });
        let batch = vec![
            contract(METRO, "2019-001", "2019-01-15", 120_000),
            with_modification.clone(),
            contract(GRENOBLE, "G-1", "2019-06-01", 80_000),
        ];
        let first = db.import_contracts(&batch, at()).await.unwrap();
        assert_eq!(first, [ImportAction::Created; 3]);
        let second = db.import_contracts(&batch, at()).await.unwrap();
        assert_eq!(second, [ImportAction::Unchanged; 3]);
        assert_eq!(db.contract_count().await.unwrap(), 3);
        // Buyers and the supplier became organisations, the supplier once.
        assert_eq!(count(&db, "SELECT COUNT(*) FROM organisations").await, 3);
        assert_eq!(
            count(&db, "SELECT COUNT(*) FROM contract_suppliers").await,
            3
        );
        let supplier: String = match &db {
            Database::Sqlite(p) => {
                sqlx::query_scalar("SELECT name FROM organisations WHERE siren = '912345675'")
                    .fetch_one(p)
                    .await
                    .unwrap()
            }
            Database::Postgres(p) => {
                sqlx::query_scalar("SELECT name FROM organisations WHERE siren = '912345675'")
                    .fetch_one(p)
                    .await
                    .unwrap()
            }
        };
        assert_eq!(supplier, "NETTOYAGE DES ALPES");

        let stored = exported(&db, Some(METRO)).await;
        assert_eq!(stored.len(), 2);
        let back = stored
            .into_iter()
            .find(|r| r.contract.id == "2019-002")
            .unwrap();
        assert_eq!(
            back.contract, with_modification,
            "every field survives storage"
        );
        assert_eq!(
            back.contract.current_amount(),
            Some(Amount::from_cents(6_000_050))
        );
        assert_eq!(back.contract.end_date(), Some(date("2022-03-01")));
    })
    .await;
}

#[tokio::test]
async fn a_newer_publication_updates_an_older_one_does_not() {
    each_backend(|db| async move {
        let original = contract(METRO, "2019-001", "2019-01-15", 120_000);
        let mut newer = original.clone();
        newer.published_on = Some(date("2019-02-01"));
        newer.object = "Nettoyage des locaux (corrigé)".into();
        db.import_contracts(std::slice::from_ref(&original), at())
            .await
            .unwrap();
        assert_eq!(
            db.import_contracts(&[newer.clone()], at()).await.unwrap(),
            [ImportAction::Updated]
        );
        // The older one again, in the same file or a later one: no going back.
        assert_eq!(
            db.import_contracts(std::slice::from_ref(&original), at())
                .await
                .unwrap(),
            [ImportAction::Unchanged]
        );
        // Both in one batch, in either order, end the same way.
        assert_eq!(
            db.import_contracts(&[newer.clone(), original.clone()], at())
                .await
                .unwrap(),
            [ImportAction::Unchanged, ImportAction::Unchanged]
        );
        let stored = exported(&db, None).await;
        assert_eq!(stored.len(), 1);
        assert_eq!(stored[0].contract.object, "Nettoyage des locaux (corrigé)");
    })
    .await;
}

#[tokio::test]
async fn a_failed_batch_leaves_no_half_written_contract() {
    each_backend(|db| async move {
        let batch = metro_and_grenoble();
        // Break the last write of each contract (its supplier link) to fail mid-batch, after
        // the organisations and the first contract row were written.
        count(&db, "SELECT COUNT(*) FROM contract_suppliers").await;
        match &db {
            Database::Sqlite(p) => sqlx::query("DROP TABLE contract_suppliers")
                .execute(p)
                .await
                .map(|_| ()),
            Database::Postgres(p) => sqlx::query("DROP TABLE contract_suppliers")
                .execute(p)
                .await
                .map(|_| ()),
        }
        .unwrap();
        assert!(db.import_contracts(&batch, at()).await.is_err());
        assert_eq!(db.contract_count().await.unwrap(), 0);
        assert_eq!(count(&db, "SELECT COUNT(*) FROM organisations").await, 0);
        assert_eq!(count(&db, "SELECT COUNT(*) FROM establishments").await, 0);
    })
    .await;
}

#[tokio::test]
async fn an_import_holds_its_batches_until_it_commits() {
    each_backend(|db| async move {
        let first = metro_and_grenoble();
        let mut newer = first[0].clone();
        newer.published_on = Some(date("2019-02-01"));
        newer.object = "Nettoyage des locaux (corrigé)".into();
        let second = vec![newer, contract(METRO, "2019-002", "2019-03-01", 50_000)];
        let prepare = |batch: &[Contract]| {
            batch
                .iter()
                .cloned()
                .map(|c| PreparedContract::new(c).unwrap())
                .collect::<Vec<_>>()
        };
        let (first, second) = (prepare(&first), prepare(&second));

        // Two batches in one transaction: the second sees the first.
        let mut import = db.contract_import().await.unwrap();
        let mut tx = import.begin().await.unwrap();
        assert_eq!(
            tx.write(&first, at()).await.unwrap(),
            [ImportAction::Created; 2]
        );
        assert_eq!(
            tx.write(&second, at()).await.unwrap(),
            [ImportAction::Updated, ImportAction::Created]
        );
        drop(tx);
        // Never committed: nothing stays, not even the organisations.
        assert_eq!(db.contract_count().await.unwrap(), 0);
        assert_eq!(count(&db, "SELECT COUNT(*) FROM organisations").await, 0);

        // The same import goes on after a rollback: it forgot the ids it had learnt.
        let mut tx = import.begin().await.unwrap();
        assert_eq!(
            tx.write(&first, at()).await.unwrap(),
            [ImportAction::Created; 2]
        );
        tx.commit().await.unwrap();
        // What was committed stays when the next transaction is dropped.
        let mut tx = import.begin().await.unwrap();
        assert_eq!(
            tx.write(&second, at()).await.unwrap(),
            [ImportAction::Updated, ImportAction::Created]
        );
        drop(tx);
        assert_eq!(db.contract_count().await.unwrap(), 2);
        let stored = exported(&db, Some(METRO)).await;
        assert_eq!(stored.len(), 1);
        assert_eq!(stored[0].contract.object, "Nettoyage 2019-001");

        // Committed, the second transaction's batch stays too.
        let mut tx = import.begin().await.unwrap();
        tx.write(&second, at()).await.unwrap();
        tx.commit().await.unwrap();
        assert_eq!(db.contract_count().await.unwrap(), 3);
    })
    .await;
}

#[tokio::test]
async fn members_see_their_contracts_and_the_coordinator_all() {
    each_backend(|db| async move {
        db.upsert_territory(&grenoble_alpes_metropole(), at())
            .await
            .unwrap();
        let batch = vec![
            contract(METRO, "M-1", "2019-01-15", 120_000),
            contract(GRENOBLE, "G-1", "2019-06-01", 80_000),
            contract(GRENOBLE, "G-2", "2018-06-01", 300_000),
        ];
        db.import_contracts(&batch, at()).await.unwrap();
        // The buyers were already the territory's organisations: linked, not duplicated.
        assert_eq!(count(&db, "SELECT COUNT(*) FROM organisations").await, 51);
        let grenoble = sign_in(&db, "213801855", Role::MemberBuyer, "achats@grenoble.test")
            .await
            .0;
        let filter = ContractFilter {
            per_page: 50,
            ..ContractFilter::default()
        };
        let own = db
            .contracts_in_scope(grenoble.scope(), &filter, nomenclature())
            .await
            .unwrap();
        assert_eq!(own.total, 2);
        let ids: Vec<&str> = own.records.iter().map(|r| r.contract.id.as_str()).collect();
        assert_eq!(ids, ["G-2", "G-1"], "by end date");
        let metro_contract = {
            let wide = coordinator(&db).await;
            let all = db
                .contracts_territory_wide(
                    wide.scope().territory_wide().unwrap(),
                    &filter,
                    nomenclature(),
                )
                .await
                .unwrap();
            assert_eq!(all.total, 3);
            all.records
                .iter()
                .find(|r| r.contract.id == "M-1")
                .unwrap()
                .id
        };
        assert!(
            db.contract_in_scope(grenoble.scope(), metro_contract, nomenclature())
                .await
                .unwrap()
                .is_none()
        );
        // Filters and sorting.
        let big = ContractFilter {
            min_amount_cents: Some(Amount::from_euros(100_000).cents()),
            sort: ContractSort::AmountDesc,
            per_page: 50,
            ..ContractFilter::default()
        };
        let own_big = db
            .contracts_in_scope(grenoble.scope(), &big, nomenclature())
            .await
            .unwrap();
        assert_eq!(own_big.total, 1);
        assert_eq!(own_big.records[0].contract.id, "G-2");
        let paged = ContractFilter {
            per_page: 1,
            page: 1,
            ..ContractFilter::default()
        };
        let second = db
            .contracts_in_scope(grenoble.scope(), &paged, nomenclature())
            .await
            .unwrap();
        assert_eq!(
            (second.total, second.records[0].contract.id.as_str()),
            (2, "G-1")
        );
        let other_family = ContractFilter {
            cpv_prefix: Some("45".into()),
            per_page: 50,
            ..ContractFilter::default()
        };
        assert_eq!(
            db.contracts_in_scope(grenoble.scope(), &other_family, nomenclature())
                .await
                .unwrap()
                .total,
            0
        );
    })
    .await;
}

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
    let email = format!("coord{}@lametro.test", uuid_like());
    sign_in(db, "200040715", Role::Coordinator, &email).await.0
}

fn uuid_like() -> String {
    hash_secret(&new_secret(""))[..8].to_owned()
}

#[tokio::test]
async fn a_details_document_says_its_format_and_one_written_before_is_read_as_format_1() {
    each_backend(|db| async move {
        let mut full = contract(METRO, "2019-001", "2019-01-15", 120_000);
        full.modifications.push(Modification {
            id: "1".into(),
            object: Some("Avenant 1".into()),
            signed_on: Some(date("2020-01-10")),
            published_on: None,
            new_amount: Some(Amount::from_cents(6_000_050)),
            new_duration_months: None,
            new_operators: vec![],
        });
        db.import_contracts(&[full], at()).await.unwrap();
        let written = exported(&db, Some(METRO)).await;
        assert_eq!(
            count(
                &db,
                "SELECT COUNT(*) FROM contracts WHERE details LIKE '{\"v\":1,%'"
            )
            .await,
            1
        );
        // The document as it was written before it said its format.
        mutualis_test_db::execute_sql(
            &db,
            "UPDATE contracts SET details = REPLACE(details, '{\"v\":1,', '{')",
        )
        .await;
        assert_eq!(
            count(
                &db,
                "SELECT COUNT(*) FROM contracts WHERE details LIKE '{\"buyer_name\":%'"
            )
            .await,
            1
        );
        let read = exported(&db, Some(METRO)).await;
        assert_eq!(read[0].contract, written[0].contract);
        assert_eq!(read[0].contract.modifications.len(), 1);
        // A format this version does not know is not guessed at.
        mutualis_test_db::execute_sql(
            &db,
            "UPDATE contracts SET details = REPLACE(details, '{', '{\"v\":2,')",
        )
        .await;
        let wide = coordinator(&db).await;
        let err = db
            .contracts_for_export(
                wide.scope().territory_wide().unwrap(),
                None,
                None,
                nomenclature(),
            )
            .await
            .expect_err("an unknown format");
        assert!(err.to_string().contains("format 2 inconnu"), "{err}");
    })
    .await;
}

/// PostgreSQL takes new contracts by COPY, whose text format escapes tabs, line breaks and
/// backslashes: every character of every field comes back as it went in.
#[tokio::test]
async fn text_with_tabs_line_breaks_and_backslashes_survives_the_import() {
    each_backend(|db| async move {
        let mut c = contract(METRO, "2019-003", "2019-01-15", 1_000);
        c.object = "Lot 1\tvoirie\\réseaux\nsuite\r\n\\N fin".into();
        c.buyer_name = Some("\\N".into());
        c.operators[0].name = Some("A\tB".into());
        db.import_contracts(std::slice::from_ref(&c), at())
            .await
            .unwrap();
        let stored = exported(&db, Some(METRO)).await;
        assert_eq!(stored.len(), 1);
        assert_eq!(stored[0].contract, c);
    })
    .await;
}

/// The official DECP 2.0 examples (valid SIRETs: `tests/data/decp-2.0-examples/`) as read.
fn official_examples() -> Vec<Contract> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/data/decp-2.0-examples/json/marches_concessions.json");
    let bytes = std::fs::read(path).unwrap();
    let mut contracts = Vec::new();
    mutualis_formats::decp_read::read_decp(&bytes[..], nomenclature(), |record| {
        contracts.push(record.unwrap());
    })
    .unwrap();
    contracts
}

#[tokio::test]
async fn every_decp_2_0_field_survives_storage() {
    let examples = official_examples();
    assert_eq!(examples.len(), 4);
    let fields = |i: usize| examples[i].decp2.clone().unwrap();
    assert_eq!(fields(0).execution_data[0].tariffs.len(), 2);
    assert!(fields(2).origin_eu.is_some() && !fields(2).subcontracting_modifications.is_empty());
    each_backend(|db| {
        let examples = examples.clone();
        async move {
            let actions = db.import_contracts(&examples, at()).await.unwrap();
            assert_eq!(actions, [ImportAction::Created; 4]);
            let again = db.import_contracts(&examples, at()).await.unwrap();
            assert_eq!(again, [ImportAction::Unchanged; 4]);
            let stored = exported(&db, None).await;
            for c in &examples {
                let back = stored
                    .iter()
                    .find(|r| r.contract.buyer == c.buyer && r.contract.id == c.id)
                    .unwrap_or_else(|| panic!("{} {} not stored", c.buyer, c.id));
                assert_eq!(&back.contract, c, "every field survives storage");
            }
        }
    })
    .await;
}
