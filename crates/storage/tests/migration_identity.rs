//! The migration that drops the unique (buyer SIRET, id) key of contracts keeps what was
//! stored before it: the contracts with their ids (their URLs), their supplier links, and gives
//! each its id stem — on SQLite, which rebuilds the table, and on PostgreSQL.

#![allow(clippy::unwrap_used)] // a test that cannot unwrap has failed

use std::path::{Path, PathBuf};

use mutualis_storage::{Database, DatabaseUrl};
use sqlx::Connection;

const BEFORE: i64 = 20261207000011;

/// A folder holding the migrations of `backend` before the identity one.
fn migrations_before(backend: &str) -> PathBuf {
    let source = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("migrations")
        .join(backend);
    let target = std::env::temp_dir().join(format!(
        "mutualis-migrations-{backend}-{}",
        std::process::id()
    ));
    std::fs::create_dir_all(&target).unwrap();
    for entry in std::fs::read_dir(source).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_str().unwrap().to_owned();
        let version: i64 = name.split('_').next().unwrap().parse().unwrap();
        if version < BEFORE {
            std::fs::copy(&path, target.join(name)).unwrap();
        }
    }
    target
}

const ROWS: &[&str] = &[
    "INSERT INTO organisations (id, siren, name, kind, created_at, updated_at) VALUES \
     (1, '200027159', 'ACHETEUR', 'other', '2026-01-01', '2026-01-01'), \
     (2, '912345675', 'TITULAIRE', 'company', '2026-01-01', '2026-01-01')",
    "INSERT INTO contracts (id, organisation_id, buyer_siret, decp_id, kind, source, object, \
     modification_count, details, content_hash, created_at, updated_at) VALUES \
     (41, 1, '20002715900017', '2019A01504', 'marche', 'decp1', 'Aménagement', 0, '{}', 'h1', \
      '2026-01-01', '2026-01-01'), \
     (42, 1, '20002715900017', 'S2023', 'marche', 'decp2', 'Autre', 0, '{}', 'h2', \
      '2026-01-01', '2026-01-01')",
    "INSERT INTO contract_suppliers (contract_id, organisation_id, supplier_organisation_id) \
     VALUES (41, 1, 2)",
];

async fn check(db: &Database) {
    let sql = "SELECT id, decp_id, identity_stem FROM contracts ORDER BY id";
    let rows: Vec<(i64, String, String)> = match db {
        Database::Sqlite(p) => sqlx::query_as(sql).fetch_all(p).await.unwrap(),
        Database::Postgres(p) => sqlx::query_as(sql).fetch_all(p).await.unwrap(),
    };
    assert_eq!(
        rows,
        [
            (41, "2019A01504".to_owned(), "2019A015".to_owned()),
            (42, "S2023".to_owned(), "S2023".to_owned())
        ]
    );
    let links = "SELECT contract_id FROM contract_suppliers";
    let links: Vec<i64> = match db {
        Database::Sqlite(p) => sqlx::query_scalar(links).fetch_all(p).await.unwrap(),
        Database::Postgres(p) => sqlx::query_scalar(links).fetch_all(p).await.unwrap(),
    };
    assert_eq!(links, [41]);
    // A second contract under the same buyer and id (another lot) is accepted now.
    let lot = "INSERT INTO contracts (organisation_id, buyer_siret, decp_id, kind, source, \
               object, modification_count, details, content_hash, created_at, updated_at, \
               identity_stem) VALUES (1, '20002715900017', '2019A01504', 'marche', 'decp1', \
               'Lot 2', 0, '{}', 'h3', '2026-01-01', '2026-01-01', '2019A015')";
    mutualis_test_db::execute_sql(db, lot).await;
}

#[tokio::test]
async fn contracts_stored_before_keep_their_ids_and_links() {
    // SQLite.
    let path = std::env::temp_dir().join(format!("mutualis-identity-{}.db", std::process::id()));
    let url: DatabaseUrl = format!("sqlite://{}", path.display()).parse().unwrap();
    let db = Database::connect(&url).await.unwrap();
    let Database::Sqlite(pool) = &db else {
        panic!("a SQLite URL")
    };
    let folder = migrations_before("sqlite");
    let before = sqlx::migrate::Migrator::new(folder.as_path())
        .await
        .unwrap();
    before.run(pool).await.unwrap();
    let _ = std::fs::remove_dir_all(folder);
    for sql in ROWS {
        mutualis_test_db::execute_sql(&db, sql).await;
    }
    db.migrate().await.unwrap();
    check(&db).await;
    pool.close().await;
    let _ = std::fs::remove_file(&path);

    // PostgreSQL, when a server is configured.
    let Some(server) = std::env::var(mutualis_test_db::POSTGRES_ENV)
        .ok()
        .filter(|s| !s.is_empty())
    else {
        println!(
            "PostgreSQL skipped: {} is not set",
            mutualis_test_db::POSTGRES_ENV
        );
        return;
    };
    let name = format!("mutualis_identity_{}", std::process::id());
    let mut admin = sqlx::PgConnection::connect(&server).await.unwrap();
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&mut admin)
        .await
        .unwrap();
    let base = server.rsplit_once('/').unwrap().0;
    let url: DatabaseUrl = format!("{base}/{name}").parse().unwrap();
    let db = Database::connect(&url).await.unwrap();
    let Database::Postgres(pool) = &db else {
        panic!("a PostgreSQL URL")
    };
    let folder = migrations_before("postgres");
    let before = sqlx::migrate::Migrator::new(folder.as_path())
        .await
        .unwrap();
    before.run(pool).await.unwrap();
    let _ = std::fs::remove_dir_all(folder);
    for sql in ROWS {
        mutualis_test_db::execute_sql(&db, sql).await;
    }
    db.migrate().await.unwrap();
    check(&db).await;
    pool.close().await;
    sqlx::query(&format!("DROP DATABASE {name} WITH (FORCE)"))
        .execute(&mut admin)
        .await
        .unwrap();
}
