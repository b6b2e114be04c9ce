//! Storage for Mutualis: one `Database` over SQLite (the default, embedded) or PostgreSQL
//! (production). Both run the same queries and pass the same tests; the few places where the
//! two differ are in this crate and nowhere else.
//!
//! Every query is written once, with `$1`-style parameters that both backends accept, and
//! run on either backend by the one dispatch macro, `on_backend!`: on a pool of the
//! [`Database`], or on the connection of a transaction ([`Tx`]). Helpers that write inside a
//! transaction are plain functions taking `&mut Tx<'_>`. sqlx's `Any` driver is not used.

pub mod accounts;
pub mod audit;
pub mod campaigns;
mod connect;
pub mod consultations;
pub mod contract_flags;
pub mod contract_import;
pub mod contracts;
mod copy_text;
pub mod credentials;
pub mod groupements;
mod hash_form;
pub mod jobs;
pub mod opportunities;
pub mod organisations;
mod scope;

use std::fmt;

pub use connect::DatabaseUrl;
pub use scope::{Principal, Scope, TerritoryWide};
use sqlx::{PgConnection, PgPool, SqliteConnection, SqlitePool};

/// The schema history, one migrator per backend with the same versions and names.
static SQLITE_MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

/// A connection pool to the database of one of the supported backends.
#[derive(Clone)]
pub enum Database {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl fmt::Display for Backend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Backend::Sqlite => "SQLite",
            Backend::Postgres => "PostgreSQL",
        })
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    #[error(
        "URL de base de données « {0} » non reconnue : attendu sqlite://CHEMIN ou postgres://UTILISATEUR@HÔTE:PORT/BASE"
    )]
    BadUrl(String),
    #[error("impossible d'ouvrir la base SQLite « {path} » : {reason}")]
    SqliteOpen { path: String, reason: String },
    #[error("impossible de joindre PostgreSQL à « {url} » : {reason}")]
    PostgresConnect { url: String, reason: String },
    #[error("échec de la migration du schéma : {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("erreur de la base de données : {0}")]
    Sql(#[from] sqlx::Error),
    /// The write contradicts what is stored; nothing was written.
    #[error("{0}")]
    Conflict(String),
    /// A row that the application itself wrote no longer parses: the database was edited by
    /// hand or by another program.
    #[error("donnée invalide en base ({table}.{column} = « {value} ») : {reason}")]
    Corrupt {
        table: &'static str,
        column: &'static str,
        value: String,
        reason: String,
    },
}

pub type Result<T, E = StorageError> = std::result::Result<T, E>;

/// One value per backend: what [`Database::split`] and [`Tx::split`] give the dispatch macro.
pub(crate) enum Backends<S, P> {
    Sqlite(S),
    Postgres(P),
}

/// Runs `$body` with `$x` bound to the concrete pool of a [`Database`], or to the concrete
/// connection of a [`Tx`], once per backend: the one place where the two are dispatched. The
/// body is compiled twice, so it must only use what both backends support.
macro_rules! on_backend {
    ($on:expr, $x:ident => $body:expr) => {
        match $on.split() {
            $crate::Backends::Sqlite($x) => $body,
            $crate::Backends::Postgres($x) => $body,
        }
    };
}
pub(crate) use on_backend;

/// A transaction on either backend. Dropped without [`Tx::commit`], it is rolled back.
pub enum Tx<'c> {
    Sqlite(sqlx::Transaction<'c, sqlx::Sqlite>),
    Postgres(sqlx::Transaction<'c, sqlx::Postgres>),
}

impl Tx<'_> {
    /// The transaction's connection, for `on_backend!`.
    pub(crate) fn split(&mut self) -> Backends<&mut SqliteConnection, &mut PgConnection> {
        match self {
            Tx::Sqlite(tx) => Backends::Sqlite(&mut **tx),
            Tx::Postgres(tx) => Backends::Postgres(&mut **tx),
        }
    }

    pub async fn commit(self) -> Result<()> {
        match self {
            Tx::Sqlite(tx) => tx.commit().await?,
            Tx::Postgres(tx) => tx.commit().await?,
        }
        Ok(())
    }
}

impl Database {
    /// The pool, for `on_backend!`.
    pub(crate) fn split(&self) -> Backends<&SqlitePool, &PgPool> {
        match self {
            Database::Sqlite(pool) => Backends::Sqlite(pool),
            Database::Postgres(pool) => Backends::Postgres(pool),
        }
    }

    /// Starts a transaction on a connection of the pool.
    pub async fn begin(&self) -> Result<Tx<'static>> {
        Ok(match self {
            Database::Sqlite(pool) => Tx::Sqlite(pool.begin().await?),
            Database::Postgres(pool) => Tx::Postgres(pool.begin().await?),
        })
    }

    /// Opens (and for SQLite creates) the database at `url`. Does not migrate.
    pub async fn connect(url: &DatabaseUrl) -> Result<Self> {
        connect::connect(url, connect::Sharing::Shared).await
    }

    /// Applies the migrations that this database has not seen yet.
    pub async fn migrate(&self) -> Result<()> {
        match self {
            Database::Sqlite(pool) => SQLITE_MIGRATOR.run(pool).await?,
            Database::Postgres(pool) => POSTGRES_MIGRATOR.run(pool).await?,
        }
        Ok(())
    }

    /// Connects and migrates: what the application does at start.
    pub async fn open(url: &DatabaseUrl) -> Result<Self> {
        let db = Self::connect(url).await?;
        db.migrate().await?;
        Ok(db)
    }

    /// [`Self::open`] for a command that works alone on the database: its pool holds one
    /// connection, its statements run one at a time, and a first import may load the empty
    /// tables the fastest way ([`ContractImport::begin_bulk`]): on SQLite through a rollback
    /// journal instead of the WAL (half the writing), on PostgreSQL with its foreign keys
    /// checked once at the end (which holds the organisations for the time of the load).
    ///
    /// [`ContractImport::begin_bulk`]: contract_import::ContractImport::begin_bulk
    pub async fn open_alone(url: &DatabaseUrl) -> Result<Self> {
        let db = connect::connect(url, connect::Sharing::Alone).await?;
        db.migrate().await?;
        Ok(db)
    }

    pub fn backend(&self) -> Backend {
        match self {
            Database::Sqlite(_) => Backend::Sqlite,
            Database::Postgres(_) => Backend::Postgres,
        }
    }

    /// A round trip to the database, for health checks.
    pub async fn ping(&self) -> Result<()> {
        on_backend!(self, pool => {
            sqlx::query("SELECT 1").execute(pool).await?;
        });
        Ok(())
    }

    /// The migrations applied, as (version, description), oldest first.
    pub async fn applied_migrations(&self) -> Result<Vec<(i64, String)>> {
        Ok(on_backend!(self, pool => {
            sqlx::query_as(
                "SELECT version, description FROM _sqlx_migrations WHERE success ORDER BY version",
            )
            .fetch_all(pool)
            .await?
        }))
    }

    /// The migrations this build knows, as (version, description): the same on both backends.
    pub fn known_migrations(backend: Backend) -> Vec<(i64, String)> {
        let migrator = match backend {
            Backend::Sqlite => &SQLITE_MIGRATOR,
            Backend::Postgres => &POSTGRES_MIGRATOR,
        };
        migrator
            .iter()
            .map(|m| (m.version, m.description.to_string()))
            .collect()
    }

    /// The application's tables and their columns, sorted, as the database reports them.
    pub async fn schema(&self) -> Result<Vec<(String, Vec<String>)>> {
        let rows: Vec<(String, String)> =
            match self {
                Database::Sqlite(pool) => {
                    sqlx::query_as(
                        "SELECT m.name, p.name FROM sqlite_master m, pragma_table_info(m.name) p \
                     WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' \
                     AND m.name NOT LIKE '_sqlx%' ORDER BY m.name, p.name",
                    )
                    .fetch_all(pool)
                    .await?
                }
                Database::Postgres(pool) => sqlx::query_as(
                    "SELECT table_name::text, column_name::text FROM information_schema.columns \
                     WHERE table_schema = current_schema() AND table_name NOT LIKE '\\_sqlx%' \
                     ORDER BY table_name, column_name",
                )
                .fetch_all(pool)
                .await?,
            };
        let mut tables: Vec<(String, Vec<String>)> = Vec::new();
        for (table, column) in rows {
            match tables.last_mut() {
                Some((t, cols)) if *t == table => cols.push(column),
                _ => tables.push((table, vec![column])),
            }
        }
        Ok(tables)
    }

    pub async fn close(&self) {
        on_backend!(self, pool => pool.close().await);
    }
}
