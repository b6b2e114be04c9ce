//! Throwaway databases for tests, one per test and per backend.
//!
//! `each_backend` runs a test body against a fresh, migrated SQLite database, and then against
//! a fresh PostgreSQL database when `MUTUALIS_TEST_POSTGRES_URL` names a server (for example
//! `postgres://postgres@127.0.0.1:5432/postgres`). Each PostgreSQL test gets a database of its
//! own, created from the server URL and dropped afterwards, even when the body panics. When
//! the variable is unset, the skip is written straight to the terminal (not to the captured
//! test output), once per test binary.

pub mod consultations;

use std::future::Future;
use std::io::Write;
use std::panic::AssertUnwindSafe;
use std::path::PathBuf;
use std::sync::Once;

use chrono::{Duration, Utc};
use futures::FutureExt;
use mutualis_domain::{Email, Role, Siren, Siret};
use mutualis_storage::accounts::SessionPolicy;
use mutualis_storage::credentials::{hash_password, hash_secret, new_secret, verify_password};
use mutualis_storage::{Database, DatabaseUrl, Principal};
use sqlx::{Connection, PgConnection};

/// The environment variable naming the PostgreSQL server the tests may use.
pub const POSTGRES_ENV: &str = "MUTUALIS_TEST_POSTGRES_URL";

/// Runs `body` on a fresh SQLite database, then on a fresh PostgreSQL one when configured.
pub async fn each_backend<F, Fut>(body: F)
where
    F: Fn(Database) -> Fut,
    Fut: Future<Output = ()>,
{
    let sqlite = TestDb::sqlite().await;
    let outcome = AssertUnwindSafe(body(sqlite.db.clone()))
        .catch_unwind()
        .await;
    sqlite.drop_db().await;
    if let Err(panic) = outcome {
        std::panic::resume_unwind(panic);
    }
    match TestDb::postgres().await {
        Some(pg) => {
            let outcome = AssertUnwindSafe(body(pg.db.clone())).catch_unwind().await;
            pg.drop_db().await;
            if let Err(panic) = outcome {
                std::panic::resume_unwind(panic);
            }
        }
        None => say_postgres_skipped(),
    }
}

fn say_postgres_skipped() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // Straight to stderr: libtest captures print macros, not the raw handle.
        let _ = writeln!(
            std::io::stderr(),
            "note: PostgreSQL tests SKIPPED ({POSTGRES_ENV} is not set); \
             set it to e.g. postgres://postgres@127.0.0.1:5432/postgres to run them"
        );
    });
}

/// The session lifetimes of [`sign_in`]'s sessions.
pub const SESSION_POLICY: SessionPolicy = SessionPolicy {
    absolute: Duration::hours(12),
    idle: Duration::hours(2),
};

/// The password of [`sign_in`]'s accounts.
pub const PASSWORD: &str = "un mot de passe assez long";

/// Creates an account of the organisation `siren` (already stored) with `role`, and opens a
/// session for it through the storage calls the sign-in page makes. Returns the principal
/// and the session's token hash.
pub async fn sign_in(db: &Database, siren: &str, role: Role, email: &str) -> (Principal, String) {
    let siren = Siren::parse(siren).expect("a valid SIREN");
    let org = db
        .organisation_by_siren(&siren)
        .await
        .expect("read the organisation")
        .expect("the organisation is stored");
    let email = Email::parse(email).expect("a valid e-mail");
    let hash = hash_password(PASSWORD).expect("hash the password");
    db.create_user(org.id, &email, role, &hash, Utc::now())
        .await
        .expect("create the account");
    let credentials = db
        .credentials(&email)
        .await
        .expect("read the credentials")
        .expect("the account exists");
    assert!(verify_password(PASSWORD, &credentials.password_hash));
    let token_hash = hash_secret(&new_secret("s_"));
    db.create_session(
        &credentials,
        &token_hash,
        "csrf",
        Utc::now(),
        SESSION_POLICY,
    )
    .await
    .expect("open the session");
    let session = db
        .session(&token_hash, Utc::now(), SESSION_POLICY)
        .await
        .expect("read the session")
        .expect("the session is live");
    assert_eq!(session.csrf_token, "csrf");
    (session.principal, token_hash)
}

/// Gives a stored organisation one more establishment ([`Database::add_establishment`]).
pub async fn add_establishment(db: &Database, siret: &str) {
    let siret = Siret::parse(siret).expect("a valid SIRET");
    let stored = db
        .add_establishment(&siret, Utc::now())
        .await
        .expect("store the establishment");
    assert!(stored, "the organisation of {siret} is stored");
}

/// The métropole and three of its communes, as the storage tests use them.
pub const METRO: &str = "200040715";
pub const GRENOBLE: &str = "213801855";
pub const ECHIROLLES: &str = "213801517";
pub const FONTAINE: &str = "213801699";

/// The Grenoble territory stored, with one signed-in account per organisation: the
/// métropole's coordinator and a buyer of each commune.
pub struct World {
    pub coordinator: Principal,
    pub grenoble: Principal,
    pub echirolles: Principal,
    pub fontaine: Principal,
    pub metro_id: i64,
    pub grenoble_id: i64,
    pub echirolles_id: i64,
}

/// Stores the territory and signs in its [`World`] accounts.
pub async fn world(db: &Database) -> World {
    db.upsert_territory(
        &mutualis_reference::territory::grenoble_alpes_metropole(),
        Utc::now(),
    )
    .await
    .expect("store the territory");
    World {
        coordinator: sign_in(db, METRO, Role::Coordinator, "coord@lametro.test")
            .await
            .0,
        grenoble: sign_in(db, GRENOBLE, Role::MemberBuyer, "achats@grenoble.test")
            .await
            .0,
        echirolles: sign_in(db, ECHIROLLES, Role::MemberBuyer, "achats@echirolles.test")
            .await
            .0,
        fontaine: sign_in(db, FONTAINE, Role::MemberBuyer, "achats@fontaine.test")
            .await
            .0,
        metro_id: organisation_id(db, METRO).await,
        grenoble_id: organisation_id(db, GRENOBLE).await,
        echirolles_id: organisation_id(db, ECHIROLLES).await,
    }
}

/// The database id of the stored organisation `siren`.
pub async fn organisation_id(db: &Database, siren: &str) -> i64 {
    db.organisation_by_siren(&Siren::parse(siren).expect("a valid SIREN"))
        .await
        .expect("read the organisation")
        .expect("the organisation is stored")
        .id
}

/// A database that exists for one test.
pub struct TestDb {
    pub db: Database,
    url: String,
    cleanup: Cleanup,
}

enum Cleanup {
    SqliteFile(PathBuf),
    PostgresDatabase { server_url: String, name: String },
}

fn unique_name() -> String {
    format!("mutualis_test_{}", uuid::Uuid::new_v4().simple())
}

impl TestDb {
    /// A migrated SQLite database in a temporary file (a file, not memory, so that WAL and
    /// several connections behave as in production).
    pub async fn sqlite() -> Self {
        let path = std::env::temp_dir().join(format!("{}.db", unique_name()));
        let url = format!("sqlite://{}", path.display());
        let parsed: DatabaseUrl = url
            .parse()
            .expect("a temporary path makes a valid SQLite URL");
        let db = Database::open(&parsed)
            .await
            .expect("open a test SQLite database");
        TestDb {
            db,
            url,
            cleanup: Cleanup::SqliteFile(path),
        }
    }

    /// A migrated PostgreSQL database of its own, or `None` when no server is configured.
    pub async fn postgres() -> Option<Self> {
        let server_url = std::env::var(POSTGRES_ENV).ok().filter(|s| !s.is_empty())?;
        let name = unique_name();
        let mut admin = PgConnection::connect(&server_url)
            .await
            .unwrap_or_else(|e| panic!("{POSTGRES_ENV}: cannot connect to the server: {e}"));
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&mut admin)
            .await
            .expect("create a test database");
        admin.close().await.ok();
        let url = with_database(&server_url, &name);
        let parsed: DatabaseUrl = url.parse().expect("a valid PostgreSQL URL");
        let db = Database::open(&parsed)
            .await
            .expect("open the test database");
        Some(TestDb {
            db,
            url,
            cleanup: Cleanup::PostgresDatabase { server_url, name },
        })
    }

    /// The database's URL, for a `mutualis` process of the test's own.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Closes the pool and removes the database.
    pub async fn drop_db(self) {
        self.db.close().await;
        match self.cleanup {
            Cleanup::SqliteFile(path) => {
                for suffix in ["", "-wal", "-shm"] {
                    let mut p = path.clone().into_os_string();
                    p.push(suffix);
                    let _ = std::fs::remove_file(p);
                }
            }
            Cleanup::PostgresDatabase { server_url, name } => {
                if let Ok(mut admin) = PgConnection::connect(&server_url).await {
                    let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                        .execute(&mut admin)
                        .await;
                    admin.close().await.ok();
                }
            }
        }
    }
}

/// Runs one SQL statement as it is, on either backend: for tests that must put the database
/// in a state the application itself never writes (rows left by an older version, say).
pub async fn execute_sql(db: &Database, sql: &str) {
    match db {
        Database::Sqlite(pool) => sqlx::query(sql).execute(pool).await.map(|_| ()),
        Database::Postgres(pool) => sqlx::query(sql).execute(pool).await.map(|_| ()),
    }
    .unwrap_or_else(|e| panic!("{sql}: {e}"));
}

/// The server URL with its database name replaced.
fn with_database(server_url: &str, name: &str) -> String {
    let (base, query) = match server_url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (server_url, None),
    };
    // postgres://user@host:port/db: keep everything up to the last '/' after the authority.
    let authority_end = base.find("://").map_or(0, |i| i + 3);
    let base = match base[authority_end..].find('/') {
        Some(slash) => &base[..authority_end + slash],
        None => base,
    };
    match query {
        Some(q) => format!("{base}/{name}?{q}"),
        None => format!("{base}/{name}"),
    }
}

#[cfg(test)]
mod tests {
    use super::with_database;

    #[test]
    fn replaces_the_database_name() {
        assert_eq!(
            with_database("postgres://postgres@127.0.0.1:5432/postgres", "t1"),
            "postgres://postgres@127.0.0.1:5432/t1"
        );
        assert_eq!(
            with_database("postgres://u:p@h/db?sslmode=disable", "t2"),
            "postgres://u:p@h/t2?sslmode=disable"
        );
        assert_eq!(
            with_database("postgres://h:5432", "t3"),
            "postgres://h:5432/t3"
        );
    }
}
