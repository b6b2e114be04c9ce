//! Storage behaviour, the same on SQLite and PostgreSQL (see `mutualis_test_db`).

#![allow(clippy::unwrap_used)] // a test that cannot unwrap has failed

use mutualis_domain::{OrganisationKind, Siren, Siret};
use mutualis_reference::territory::{GRENOBLE_SLUG, grenoble_alpes_metropole};
use mutualis_storage::organisations::SeedReport;
use mutualis_storage::{Backend, Database, DatabaseUrl, StorageError};
use mutualis_test_db::each_backend;

/// Tables that hold no member's data and so carry no organisation id: the organisations
/// themselves, and failed-login counters keyed by e-mail or address.
const SHARED_TABLES: [&str; 2] = ["organisations", "login_throttle"];

#[tokio::test]
async fn both_backends_have_the_same_schema_history_and_columns() {
    assert_eq!(
        Database::known_migrations(Backend::Sqlite),
        Database::known_migrations(Backend::Postgres)
    );
    let sqlite = mutualis_test_db::TestDb::sqlite().await;
    let sqlite_schema = sqlite.db.schema().await.unwrap();
    sqlite.drop_db().await;
    each_backend(|db| {
        let expected = sqlite_schema.clone();
        async move {
            assert_eq!(
                db.applied_migrations().await.unwrap(),
                Database::known_migrations(db.backend())
            );
            assert_eq!(db.schema().await.unwrap(), expected, "{}", db.backend());
        }
    })
    .await;
}

#[tokio::test]
async fn every_tenant_table_carries_the_organisation_id() {
    each_backend(|db| async move {
        for (table, columns) in db.schema().await.unwrap() {
            if SHARED_TABLES.contains(&table.as_str()) {
                continue;
            }
            assert!(
                columns.iter().any(|c| c == "organisation_id"),
                "{}: table {table} has no organisation_id ({columns:?})",
                db.backend()
            );
        }
    })
    .await;
}

#[tokio::test]
async fn migrating_again_changes_nothing() {
    each_backend(|db| async move {
        let before = db.applied_migrations().await.unwrap();
        db.migrate().await.unwrap();
        assert_eq!(db.applied_migrations().await.unwrap(), before);
    })
    .await;
}

#[tokio::test]
async fn the_grenoble_territory_is_stored_once() {
    each_backend(|db| async move {
        let territory = grenoble_alpes_metropole();
        let first = db
            .upsert_territory(&territory, chrono::Utc::now())
            .await
            .unwrap();
        assert_eq!(
            first,
            SeedReport {
                created: 50,
                updated: 0,
                unchanged: 0,
                // One establishment (the métropole's SIRET), one territory, 49 memberships.
                links_added: 51,
            }
        );
        let second = db
            .upsert_territory(&territory, chrono::Utc::now())
            .await
            .unwrap();
        assert_eq!(
            second,
            SeedReport {
                created: 0,
                updated: 0,
                unchanged: 50,
                links_added: 0,
            }
        );
        assert_eq!(count(&db, "organisations").await, 50);

        let stored = db.territory(GRENOBLE_SLUG).await.unwrap().unwrap();
        assert_eq!(stored.lead.organisation.siren.as_str(), "200040715");
        assert_eq!(
            stored.lead.organisation.establishments[0].as_str(),
            "20004071500019"
        );
        assert_eq!(stored.members.len(), 49);
        assert_eq!(stored.members_population(), 449_509);
        assert_eq!(stored.members[0].organisation.name, "Grenoble");
        assert!(
            stored
                .members
                .iter()
                .all(|m| m.organisation.kind == OrganisationKind::Commune)
        );
        assert_eq!(db.territory_slugs().await.unwrap(), [GRENOBLE_SLUG]);
        assert!(db.territory("nowhere").await.unwrap().is_none());
    })
    .await;
}

#[tokio::test]
async fn a_changed_population_is_an_update_not_a_new_organisation() {
    each_backend(|db| async move {
        let mut territory = grenoble_alpes_metropole();
        db.upsert_territory(&territory, chrono::Utc::now())
            .await
            .unwrap();
        territory.members[0].population = Some(160_000);
        territory.members[1].name = "Saint-Martin-d'Hères (ville)".into();
        let report = db
            .upsert_territory(&territory, chrono::Utc::now())
            .await
            .unwrap();
        assert_eq!(
            (report.created, report.updated, report.unchanged),
            (0, 2, 48)
        );
        let grenoble = db
            .organisation_by_siren(&Siren::parse("213801855").unwrap())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(grenoble.organisation.population, Some(160_000));
    })
    .await;
}

#[tokio::test]
async fn an_establishment_is_added_once_to_its_organisation() {
    each_backend(|db| async move {
        db.upsert_territory(&grenoble_alpes_metropole(), chrono::Utc::now())
            .await
            .unwrap();
        let siret = Siret::parse("21380185500015").unwrap();
        assert!(
            db.add_establishment(&siret, chrono::Utc::now())
                .await
                .unwrap()
        );
        assert!(
            db.add_establishment(&siret, chrono::Utc::now())
                .await
                .unwrap()
        );
        let grenoble = db
            .organisation_by_siren(&siret.siren())
            .await
            .unwrap()
            .unwrap();
        let matching = grenoble
            .organisation
            .establishments
            .iter()
            .filter(|s| **s == siret)
            .count();
        assert_eq!(matching, 1);
        // No organisation has this SIREN: nothing is written.
        let stranger = Siret::parse("91234567500017").unwrap();
        assert!(
            !db.add_establishment(&stranger, chrono::Utc::now())
                .await
                .unwrap()
        );
        assert!(
            db.organisation_by_siren(&stranger.siren())
                .await
                .unwrap()
                .is_none()
        );
    })
    .await;
}

#[tokio::test]
async fn a_failed_write_leaves_nothing_behind() {
    each_backend(|db| async move {
        let mut territory = grenoble_alpes_metropole();
        // The same SIRET for two organisations is refused half-way through the write.
        let siret = territory.lead.establishments[0].clone();
        territory.members[10].establishments.push(siret);
        assert!(matches!(
            db.upsert_territory(&territory, chrono::Utc::now()).await,
            Err(StorageError::Conflict(_))
        ));
        assert_eq!(count(&db, "organisations").await, 0);
        assert!(db.territory_slugs().await.unwrap().is_empty());
    })
    .await;
}

#[tokio::test]
async fn foreign_keys_are_enforced() {
    each_backend(|db| async move {
        let result = match &db {
            Database::Sqlite(pool) => {
                sqlx::query("INSERT INTO establishments (organisation_id, siret) VALUES (999, '20004071500019')")
                    .execute(pool)
                    .await
                    .map(|_| ())
            }
            Database::Postgres(pool) => {
                sqlx::query("INSERT INTO establishments (organisation_id, siret) VALUES (999, '20004071500019')")
                    .execute(pool)
                    .await
                    .map(|_| ())
            }
        };
        assert!(result.is_err(), "{}", db.backend());
    })
    .await;
}

#[tokio::test]
async fn sqlite_runs_in_wal_mode_with_a_busy_timeout() {
    let test = mutualis_test_db::TestDb::sqlite().await;
    let Database::Sqlite(pool) = &test.db else {
        unreachable!()
    };
    let mode: String = sqlx::query_scalar("PRAGMA journal_mode")
        .fetch_one(pool)
        .await
        .unwrap();
    let timeout: i64 = sqlx::query_scalar("PRAGMA busy_timeout")
        .fetch_one(pool)
        .await
        .unwrap();
    let fk: i64 = sqlx::query_scalar("PRAGMA foreign_keys")
        .fetch_one(pool)
        .await
        .unwrap();
    test.drop_db().await;
    assert_eq!(mode, "wal");
    assert_eq!(timeout, 5000);
    assert_eq!(fk, 1);
}

#[tokio::test]
async fn a_missing_folder_and_an_unreachable_server_are_named() {
    let url: DatabaseUrl = "sqlite:///nonexistent-folder/mutualis.db".parse().unwrap();
    let err = Database::connect(&url).await.err().unwrap();
    assert_eq!(
        err.to_string(),
        "impossible d'ouvrir la base SQLite « /nonexistent-folder/mutualis.db » : le dossier « /nonexistent-folder » n'existe pas"
    );
    // Port 1 on loopback: nothing listens there, the refusal is immediate.
    let url: DatabaseUrl = "postgres://postgres:pw@127.0.0.1:1/mutualis"
        .parse()
        .unwrap();
    let err = Database::connect(&url).await.err().unwrap().to_string();
    assert!(
        err.starts_with(
            "impossible de joindre PostgreSQL à « postgres://postgres:***@127.0.0.1:1/mutualis » : "
        ),
        "{err}"
    );
}

async fn count(db: &Database, table: &str) -> i64 {
    let sql = format!("SELECT COUNT(*) FROM {table}");
    match db {
        Database::Sqlite(pool) => sqlx::query_scalar(&sql).fetch_one(pool).await.unwrap(),
        Database::Postgres(pool) => sqlx::query_scalar(&sql).fetch_one(pool).await.unwrap(),
    }
}
