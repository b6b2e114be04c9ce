//! Database URLs and connection set-up, where the two backends differ most.

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};

use crate::{Database, Result, StorageError};

/// How long a SQLite writer waits for another before giving up.
const SQLITE_BUSY_TIMEOUT: Duration = Duration::from_secs(5);
/// How long to wait for a PostgreSQL connection before saying it is unreachable.
const POSTGRES_CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// A parsed database URL: `sqlite://PATH` (or `sqlite::memory:`) or `postgres://…`.
#[derive(Clone, PartialEq, Eq)]
pub enum DatabaseUrl {
    Sqlite(SqliteTarget),
    Postgres(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SqliteTarget {
    File(PathBuf),
    Memory,
}

impl FromStr for DatabaseUrl {
    type Err = StorageError;

    fn from_str(s: &str) -> Result<Self> {
        let s = s.trim();
        if s == "sqlite::memory:" || s == "sqlite://:memory:" {
            return Ok(DatabaseUrl::Sqlite(SqliteTarget::Memory));
        }
        if let Some(rest) = s
            .strip_prefix("sqlite://")
            .or_else(|| s.strip_prefix("sqlite:"))
        {
            let path = rest.split('?').next().unwrap_or_default();
            if path.is_empty() {
                return Err(StorageError::BadUrl(s.to_owned()));
            }
            return Ok(DatabaseUrl::Sqlite(SqliteTarget::File(PathBuf::from(path))));
        }
        if s.starts_with("postgres://") || s.starts_with("postgresql://") {
            url::Url::parse(s).map_err(|_| StorageError::BadUrl(redact(s)))?;
            return Ok(DatabaseUrl::Postgres(s.to_owned()));
        }
        Err(StorageError::BadUrl(redact(s)))
    }
}

/// Shown to people and logs: never the password.
impl fmt::Display for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DatabaseUrl::Sqlite(SqliteTarget::Memory) => f.write_str("sqlite::memory:"),
            DatabaseUrl::Sqlite(SqliteTarget::File(p)) => write!(f, "sqlite://{}", p.display()),
            DatabaseUrl::Postgres(url) => f.write_str(&redact(url)),
        }
    }
}

impl fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl DatabaseUrl {
    /// The full URL, password included, for the driver only.
    pub fn expose(&self) -> String {
        match self {
            DatabaseUrl::Postgres(url) => url.clone(),
            other => other.to_string(),
        }
    }
}

/// Replaces the password of a URL by `***`.
fn redact(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) if parsed.password().is_some() => {
            // Setting a password only fails on URLs that cannot have one.
            let _ = parsed.set_password(Some("***"));
            parsed.to_string()
        }
        Ok(_) => url.to_owned(),
        // Not a URL at all: it may still hold a secret, so show only its scheme-like start.
        Err(_) => url.chars().take_while(|c| *c != '@').collect(),
    }
}

/// How many connections a pool may open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Sharing {
    /// As many as the work needs (the server, its jobs).
    Shared,
    /// One: the process is meant to be the database's only user (a command), so that a bulk
    /// load may leave the WAL (SQLite) or drop its foreign keys (PostgreSQL) for its one
    /// transaction (`ContractImport::begin_bulk`).
    Alone,
}

pub(crate) async fn connect(url: &DatabaseUrl, sharing: Sharing) -> Result<Database> {
    match url {
        DatabaseUrl::Sqlite(target) => connect_sqlite(target, sharing).await,
        DatabaseUrl::Postgres(raw) => connect_postgres(url, raw, sharing).await,
    }
}

/// `PRAGMA cache_size` of every connection: negative means KiB. Each connection of the pool
/// has its own cache: 16 MB each (the default is 2 MB), and an import raises its own
/// connection's to [`SQLITE_IMPORT_CACHE_SIZE`] while it writes.
pub(crate) const SQLITE_CACHE_SIZE: &str = "-16384";
/// The page cache of an import's connection, 64 MB: the pages of the contracts table and its
/// indexes stay in memory instead of being read back from the WAL.
pub(crate) const SQLITE_IMPORT_CACHE_SIZE: &str = "-65536";

async fn connect_sqlite(target: &SqliteTarget, sharing: Sharing) -> Result<Database> {
    let base = match target {
        SqliteTarget::Memory => SqliteConnectOptions::from_str("sqlite::memory:")?,
        SqliteTarget::File(path) => {
            check_sqlite_parent(path)?;
            SqliteConnectOptions::new().filename(path)
        }
    };
    let options = base
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Normal)
        .busy_timeout(SQLITE_BUSY_TIMEOUT)
        .foreign_keys(true)
        // Statement journals stay in memory.
        .pragma("cache_size", SQLITE_CACHE_SIZE)
        .pragma("temp_store", "memory");
    let mut pool = SqlitePoolOptions::new();
    if sharing == Sharing::Alone {
        pool = pool.max_connections(1);
    }
    if *target == SqliteTarget::Memory {
        // Each in-memory connection would be a database of its own: keep exactly one.
        pool = pool
            .max_connections(1)
            .min_connections(1)
            .idle_timeout(None)
            .max_lifetime(None);
    }
    let path_label = match target {
        SqliteTarget::Memory => ":memory:".to_owned(),
        SqliteTarget::File(p) => p.display().to_string(),
    };
    let pool = pool
        .connect_with(options)
        .await
        .map_err(|e| StorageError::SqliteOpen {
            path: path_label,
            reason: e.to_string(),
        })?;
    Ok(Database::Sqlite(pool))
}

/// SQLite's own message for a missing folder is "unable to open database file": say which.
fn check_sqlite_parent(path: &Path) -> Result<()> {
    let parent = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => return Ok(()),
    };
    if !parent.is_dir() {
        return Err(StorageError::SqliteOpen {
            path: path.display().to_string(),
            reason: format!("le dossier « {} » n'existe pas", parent.display()),
        });
    }
    Ok(())
}

async fn connect_postgres(url: &DatabaseUrl, raw: &str, sharing: Sharing) -> Result<Database> {
    let err = |reason: String| StorageError::PostgresConnect {
        url: url.to_string(),
        reason,
    };
    let options = PgConnectOptions::from_str(raw).map_err(|e| err(e.to_string()))?;
    let pool = PgPoolOptions::new()
        .max_connections(match sharing {
            Sharing::Shared => 10,
            Sharing::Alone => 1,
        })
        .acquire_timeout(POSTGRES_CONNECT_TIMEOUT)
        .connect_with(options)
        .await
        .map_err(|e| err(e.to_string()))?;
    Ok(Database::Postgres(pool))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_supported_urls() {
        assert_eq!(
            "sqlite://mutualis.db".parse::<DatabaseUrl>().unwrap(),
            DatabaseUrl::Sqlite(SqliteTarget::File("mutualis.db".into()))
        );
        assert_eq!(
            "sqlite:///var/lib/mutualis/m.db?mode=rwc"
                .parse::<DatabaseUrl>()
                .unwrap(),
            DatabaseUrl::Sqlite(SqliteTarget::File("/var/lib/mutualis/m.db".into()))
        );
        assert_eq!(
            "sqlite::memory:".parse::<DatabaseUrl>().unwrap(),
            DatabaseUrl::Sqlite(SqliteTarget::Memory)
        );
        assert!(matches!(
            "postgres://postgres@127.0.0.1:5432/mutualis"
                .parse::<DatabaseUrl>()
                .unwrap(),
            DatabaseUrl::Postgres(_)
        ));
    }

    #[test]
    fn refuses_other_schemes_with_the_value_and_what_is_expected() {
        let err = "mysql://root@localhost/db"
            .parse::<DatabaseUrl>()
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "URL de base de données « mysql://root@localhost/db » non reconnue : attendu sqlite://CHEMIN ou postgres://UTILISATEUR@HÔTE:PORT/BASE"
        );
        assert!("sqlite://".parse::<DatabaseUrl>().is_err());
        assert!("".parse::<DatabaseUrl>().is_err());
    }

    #[test]
    fn never_shows_the_password() {
        let url: DatabaseUrl = "postgres://app:s3cret@db.example:5432/mutualis"
            .parse()
            .unwrap();
        assert_eq!(
            url.to_string(),
            "postgres://app:***@db.example:5432/mutualis"
        );
        assert!(url.expose().contains("s3cret"));
        assert!(!format!("{url:?}").contains("s3cret"));
    }
}
