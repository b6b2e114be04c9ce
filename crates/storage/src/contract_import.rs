//! Writing imported contracts: idempotent (the same record twice changes nothing, a newer
//! publication of a contract updates it), in transactions that hold whole batches.
//!
//! The work is split so that the writing thread only writes. [`PreparedContract::new`] does
//! the per-contract computing (the content hash, the details document) wherever the contract
//! was read, on the reading threads of an import; a [`ContractImport`] then writes batches of
//! prepared contracts in a few multi-row statements each, on one connection, in transactions
//! ([`ImportTransaction`]) that each hold many batches: a commit rewrites every index page the
//! transaction touched, so fewer, larger transactions write much less.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, NaiveDate, Utc};
use mutualis_domain::contract::identity::{IdentityFacts, same_contract};
use mutualis_domain::contract::{Decp2Fields, Modification, Operator, Subcontracting};
use mutualis_domain::{Amount, Contract, ContractSource, Repair, Siret};
use serde::Serialize;

use crate::connect::{SQLITE_CACHE_SIZE, SQLITE_IMPORT_CACHE_SIZE};
use crate::copy_text::CopyLine;
use crate::{Database, Result, StorageError, Tx, on_backend};

/// What importing one contract did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportAction {
    Created,
    Updated,
    /// The same record, or an older publication of a contract already stored.
    Unchanged,
}

/// The parts of a contract stored as one JSON document (absent values left out), borrowed
/// from the contract; read back as `contracts::Details`. Its first member, `"v"`, says its
/// format version, [`DETAILS_FORMAT`]; the documents written before have none, and are read as
/// version 1.
#[derive(Serialize)]
struct DetailsRef<'a> {
    v: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    buyer_name: &'a Option<String>,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    operators: &'a [Operator],
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    modifications: &'a [Modification],
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    subcontracting: &'a [Subcontracting],
    #[serde(skip_serializing_if = "Option::is_none")]
    decp2: &'a Option<Decp2Fields>,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    repairs: &'a [Repair],
}

fn serialisation(e: serde_json::Error) -> StorageError {
    StorageError::Conflict(e.to_string())
}

/// The format of the details documents this version of Mutualis writes and reads.
pub(crate) const DETAILS_FORMAT: u32 = 1;

/// The details document of a contract (`contracts.details`), as every writer stores it.
pub(crate) fn details_json(contract: &Contract) -> Result<String> {
    serde_json::to_string(&DetailsRef {
        v: DETAILS_FORMAT,
        buyer_name: &contract.buyer_name,
        operators: &contract.operators,
        modifications: &contract.modifications,
        subcontracting: &contract.subcontracting,
        decp2: &contract.decp2,
        repairs: &contract.repairs,
    })
    .map_err(serialisation)
}

/// A contract ready to be written: its SHA-256 content hash (over the hash form v1, see
/// `hash_form`: re-importing the same record changes nothing) and its details document,
/// computed in advance.
#[derive(Debug, Clone)]
pub struct PreparedContract {
    contract: Contract,
    hash: String,
    details: String,
    /// A hash of [`Self::identity_key`] ([`KeyFilter::hash`]), made where the contract is
    /// prepared.
    key_hash: u64,
}

impl PreparedContract {
    /// Pure computing, no I/O: call it where the contract is read.
    pub fn new(contract: Contract) -> Result<Self> {
        let hash = Self::hash_of(&contract)?;
        Self::with_hash(contract, hash)
    }

    /// The content hash of a contract (hex SHA-256 of its hash form v1), what
    /// [`KnownHashes::contains`] is asked about before the rest is prepared.
    pub fn hash_of(contract: &Contract) -> Result<String> {
        crate::hash_form::content_hash(contract).map_err(serialisation)
    }

    /// [`PreparedContract::new`] with the hash already computed by [`Self::hash_of`].
    pub fn with_hash(contract: Contract, hash: String) -> Result<Self> {
        let details = details_json(&contract)?;
        let key_hash =
            KeyFilter::hash((contract.buyer.as_str(), IdentityFacts::of(&contract).stem()));
        Ok(PreparedContract {
            contract,
            hash,
            details,
            key_hash,
        })
    }

    pub fn contract(&self) -> &Contract {
        &self.contract
    }

    /// The content hash stored in `contracts.content_hash` (hex SHA-256).
    pub fn content_hash(&self) -> &str {
        &self.hash
    }

    /// What finds the contracts this record may be: its buyer's SIRET and its id's stem
    /// (`domain::contract::identity`).
    fn identity_key(&self) -> (&str, &str) {
        let c = &self.contract;
        (c.buyer.as_str(), IdentityFacts::of(c).stem())
    }
}

/// Which version of a contract is the newer: later publication, then more modifications, then
/// the greater id (a DECP 1.x republication raises the id's two-digit suffix: "…03" after
/// "…02" on the same day), then the content hash as a deterministic tie-break, so that
/// importing the same records in any order, any number of times, ends with the same row.
fn version_key<'a>(
    published_on: Option<NaiveDate>,
    modifications: i64,
    id: &'a str,
    hash: &'a str,
) -> (Option<NaiveDate>, i64, &'a str, &'a str) {
    (published_on, modifications, id, hash)
}

fn to_i64(v: Option<u32>) -> Option<i64> {
    v.map(i64::from)
}

/// A contract of the batch to write, with its buyer's organisation.
#[derive(Clone, Copy)]
struct Pending<'a> {
    prepared: &'a PreparedContract,
    buyer_org: i64,
}

/// Rows per multi-row INSERT: 30 parameters a row stays under SQLite's 32,766.
const INSERT_CHUNK: usize = 500;

/// Keys per lookup of stored versions: two parameters a key.
const LOOKUP_CHUNK: usize = 5_000;

/// Binds a contract's columns, in `CONTRACT_COLUMNS_WRITTEN` order, ending with `updated_at`,
/// on either backend's query. Text is bound borrowed from the batch.
fn bind_contract<'args, DB: sqlx::Database>(
    row: &mut sqlx::query_builder::Separated<'_, 'args, DB, &'static str>,
    p: &Pending<'args>,
    now: DateTime<Utc>,
) where
    i64: sqlx::Encode<'args, DB> + sqlx::Type<DB>,
    Option<i64>: sqlx::Encode<'args, DB> + sqlx::Type<DB>,
    &'args str: sqlx::Encode<'args, DB> + sqlx::Type<DB>,
    Option<&'args str>: sqlx::Encode<'args, DB> + sqlx::Type<DB>,
    Option<String>: sqlx::Encode<'args, DB> + sqlx::Type<DB>,
    Option<NaiveDate>: sqlx::Encode<'args, DB> + sqlx::Type<DB>,
    DateTime<Utc>: sqlx::Encode<'args, DB> + sqlx::Type<DB>,
{
    let prepared: &'args PreparedContract = p.prepared;
    let c = &prepared.contract;
    row.push_bind(p.buyer_org)
        .push_bind(c.buyer.as_str())
        .push_bind(c.id.as_str())
        .push_bind(c.kind.code())
        .push_bind(c.source.code())
        .push_bind(c.object.as_str())
        .push_bind(c.cpv.map(|code| code.code8()))
        .push_bind(c.nature.value.as_deref())
        .push_bind(c.nature.original.as_deref())
        .push_bind(c.procedure.value.as_deref())
        .push_bind(c.procedure.original.as_deref())
        .push_bind(c.price_form.value.as_deref())
        .push_bind(c.price_form.original.as_deref())
        .push_bind(c.place.as_ref().map(|p| p.code.as_str()))
        .push_bind(c.place.as_ref().map(|p| p.code_type.as_str()))
        .push_bind(to_i64(c.duration_months))
        .push_bind(c.notified_on)
        .push_bind(c.starts_on)
        .push_bind(c.published_on)
        .push_bind(c.amount.map(|a| a.cents()))
        .push_bind(c.current_amount().map(|a| a.cents()))
        .push_bind(to_i64(c.current_duration_months()))
        .push_bind(c.end_date())
        .push_bind(c.modifications.len() as i64)
        .push_bind(prepared.details.as_str())
        .push_bind(prepared.hash.as_str())
        .push_bind(IdentityFacts::of(c).stem())
        .push_bind(now);
}

/// One contract as a line of `COPY contracts (id, CONTRACT_COLUMNS_WRITTEN, versions,
/// created_at)`, its values those `bind_contract` binds.
fn copy_contract(
    out: &mut String,
    id: i64,
    p: &Pending<'_>,
    versions: Option<&str>,
    now: DateTime<Utc>,
) {
    let c = &p.prepared.contract;
    let now = now.to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
    let mut line = CopyLine::new(out);
    line.shown(Some(id))
        .shown(Some(p.buyer_org))
        .text(Some(c.buyer.as_str()))
        .text(Some(&c.id))
        .text(Some(c.kind.code()))
        .text(Some(c.source.code()))
        .text(Some(&c.object))
        .text(c.cpv.map(|code| code.code8()).as_deref())
        .text(c.nature.value.as_deref())
        .text(c.nature.original.as_deref())
        .text(c.procedure.value.as_deref())
        .text(c.procedure.original.as_deref())
        .text(c.price_form.value.as_deref())
        .text(c.price_form.original.as_deref())
        .text(c.place.as_ref().map(|p| p.code.as_str()))
        .text(c.place.as_ref().map(|p| p.code_type.as_str()))
        .shown(c.duration_months)
        .shown(c.notified_on)
        .shown(c.starts_on)
        .shown(c.published_on)
        .shown(c.amount.map(|a| a.cents()))
        .shown(c.current_amount().map(|a| a.cents()))
        .shown(c.current_duration_months())
        .shown(c.end_date())
        .shown(Some(c.modifications.len()))
        .text(Some(&p.prepared.details))
        .text(Some(&p.prepared.hash))
        .text(Some(IdentityFacts::of(c).stem()))
        .text(Some(&now))
        .text(versions)
        .text(Some(&now))
        .end();
}

/// The columns an import writes, in the order `bind_contract` binds them.
const CONTRACT_COLUMNS_WRITTEN: &str = "organisation_id, buyer_siret, decp_id, kind, source, \
    object, cpv, nature, nature_original, procedure, procedure_original, price_form, \
    price_form_original, place_code, place_type, duration_months, notified_on, starts_on, \
    published_on, amount_cents, current_amount_cents, current_duration_months, ends_on, \
    modification_count, details, content_hash, identity_stem, updated_at";

/// Organisation ids and SIRETs already written during one import, so that each is looked up
/// once. It grows with the number of distinct organisations, not with the file.
#[derive(Debug, Default)]
struct ImportCache {
    organisations: HashMap<String, i64>,
    sirets: HashSet<String>,
    /// During a bulk load ([`ContractImport::begin_bulk`]), the identity keys of the contracts
    /// it wrote: a batch's key that is not there is no stored contract, and is not looked up.
    bulk_keys: Option<KeyFilter>,
}

/// A set of identity keys (buyer SIRET, id stem) that may answer "perhaps" for a key never
/// added, never "no" for one added: a Bloom filter of [`KeyFilter::BITS`] bits (4 MB) and two
/// bits a key, taken from one 64-bit hash (random keys: a file cannot choose its collisions).
/// For a million keys, about 1 key in 300 never added is looked up for nothing; memory stays
/// the same whatever the file's size.
#[derive(Debug)]
struct KeyFilter {
    bits: Vec<u64>,
}

/// The keys of [`KeyFilter::hash`]: drawn at random once a process, shared by its threads.
static KEY_HASHER: std::sync::OnceLock<std::hash::RandomState> = std::sync::OnceLock::new();

impl KeyFilter {
    const BITS: usize = 1 << 25;

    fn new() -> KeyFilter {
        KeyFilter {
            bits: vec![0; Self::BITS / 64],
        }
    }

    /// The hash of an identity key, the same on every thread of the process.
    fn hash(key: (&str, &str)) -> u64 {
        use std::hash::BuildHasher;
        KEY_HASHER
            .get_or_init(std::hash::RandomState::new)
            .hash_one(key)
    }

    /// The two bits of a key's hash: its low bits and its high bits.
    fn positions(hash: u64) -> [usize; 2] {
        let mask = (Self::BITS - 1) as u64;
        [(hash & mask) as usize, ((hash >> 32) & mask) as usize]
    }

    fn insert(&mut self, hash: u64) {
        for bit in Self::positions(hash) {
            self.bits[bit / 64] |= 1 << (bit % 64);
        }
    }

    fn may_contain(&self, hash: u64) -> bool {
        Self::positions(hash)
            .iter()
            .all(|&bit| self.bits[bit / 64] & (1 << (bit % 64)) != 0)
    }
}

/// The import's one connection: every transaction of an import runs on it, so that its page
/// cache (SQLite) stays warm from one transaction to the next. Two connections taking turns
/// would each find their cache stale after the other's commit, and hold one cache each.
enum ImportConnection {
    Sqlite(sqlx::pool::PoolConnection<sqlx::Sqlite>),
    Postgres(sqlx::pool::PoolConnection<sqlx::Postgres>),
}

/// One import's writing, on one connection: its transactions ([`Self::begin`]) hold whole
/// batches until they commit.
pub struct ContractImport {
    conn: ImportConnection,
    cache: ImportCache,
    /// Whether the import's connection is its pool's only one ([`Database::open_alone`]): a
    /// bulk load may then leave the WAL (SQLite) or check its foreign keys once at the end
    /// (PostgreSQL).
    alone: bool,
    /// Whether a bulk load left the WAL for a rollback journal, to be restored by
    /// [`Self::finish`].
    left_wal: bool,
}

/// A transaction of an import. Dropped without a commit, or after a failed batch, it is rolled
/// back: no half-written contract stays, and the import forgets the ids it had learnt in it.
pub struct ImportTransaction<'i> {
    /// `None` once a batch failed: the transaction was rolled back.
    tx: Option<Tx<'i>>,
    cache: &'i mut ImportCache,
    /// What a bulk load dropped, made again before it commits
    /// ([`ContractImport::begin_bulk`]): its indexes, and on PostgreSQL its foreign keys.
    rebuild: Vec<String>,
}

/// The publications already stored (every contract's newest and its earlier versions), by
/// the first 128 bits of their content hash: a record whose hash is there is known, and an
/// import counts it unchanged without preparing or sending it further. The set costs 16 bytes
/// a publication in a table that is between half and seven eighths full: at most 40 bytes a
/// publication, 40 MB for a million. (Two different records sharing 128 bits of SHA-256 is not
/// a case to plan for.)
#[derive(Debug, Default, Clone)]
pub struct KnownHashes(HashSet<u128>);

impl KnownHashes {
    fn prefix(hash: &str) -> Option<u128> {
        u128::from_str_radix(hash.get(..32)?, 16).ok()
    }

    fn insert(&mut self, hash: &str) {
        if let Some(prefix) = Self::prefix(hash) {
            self.0.insert(prefix);
        }
    }

    /// Whether a publication with this content hash (hex, as [`PreparedContract::hash_of`]
    /// gives it) is stored.
    pub fn contains(&self, hash: &str) -> bool {
        Self::prefix(hash).is_some_and(|prefix| self.0.contains(&prefix))
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// The secondary indexes of the tables a bulk load fills, as statements that build them
/// again: every index of `contracts` and `contract_suppliers` but their keys, their unique
/// constraints and `contracts_identity`, which the load itself reads.
const BULK_INDEXES_SQLITE: &str = "SELECT name, sql FROM sqlite_master WHERE type = 'index' \
    AND tbl_name IN ('contracts', 'contract_suppliers') AND sql IS NOT NULL \
    AND name <> 'contracts_identity' ORDER BY name";
const BULK_INDEXES_POSTGRES: &str = "SELECT i.relname::TEXT, pg_get_indexdef(i.oid) \
    FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid \
    WHERE t.relname IN ('contracts', 'contract_suppliers') AND t.relnamespace = current_schema()::regnamespace \
    AND NOT x.indisprimary AND NOT x.indisunique AND i.relname <> 'contracts_identity' \
    ORDER BY i.relname";

/// The foreign keys of the contracts and their suppliers, as (table, name, definition).
const BULK_FOREIGN_KEYS_POSTGRES: &str = "SELECT c.conrelid::regclass::TEXT, c.conname::TEXT, \
    pg_get_constraintdef(c.oid) FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid \
    WHERE c.contype = 'f' AND t.relname IN ('contracts', 'contract_suppliers') \
    AND t.relnamespace = current_schema()::regnamespace ORDER BY 1, 2";

impl Database {
    /// Starts an import on a connection of its own (on SQLite, with a larger page cache until
    /// [`ContractImport::finish`]).
    pub async fn contract_import(&self) -> Result<ContractImport> {
        let alone = match self {
            Database::Sqlite(pool) => pool.options().get_max_connections() == 1,
            Database::Postgres(pool) => pool.options().get_max_connections() == 1,
        };
        let conn = match self {
            Database::Sqlite(pool) => {
                let mut conn = pool.acquire().await?;
                sqlx::query(&format!("PRAGMA cache_size = {SQLITE_IMPORT_CACHE_SIZE}"))
                    .execute(&mut *conn)
                    .await?;
                // The sorts that build a bulk load's indexes spill to a temporary file past
                // the page cache, instead of growing in memory with the table.
                sqlx::query("PRAGMA temp_store = FILE")
                    .execute(&mut *conn)
                    .await?;
                ImportConnection::Sqlite(conn)
            }
            Database::Postgres(pool) => ImportConnection::Postgres(pool.acquire().await?),
        };
        Ok(ContractImport {
            conn,
            cache: ImportCache::default(),
            alone,
            left_wal: false,
        })
    }

    /// Imports one batch of contracts in one transaction (see [`ContractImport`]), dated
    /// `now`.
    pub async fn import_contracts(
        &self,
        batch: &[Contract],
        now: DateTime<Utc>,
    ) -> Result<Vec<ImportAction>> {
        let prepared = batch
            .iter()
            .cloned()
            .map(PreparedContract::new)
            .collect::<Result<Vec<_>>>()?;
        let mut import = self.contract_import().await?;
        let mut tx = import.begin().await?;
        let actions = tx.write(&prepared, now).await?;
        tx.commit().await?;
        Ok(actions)
    }
}

impl ContractImport {
    /// Ends the import: on SQLite, its connection goes back to the pool with the common page
    /// cache size, its pages freed (a million contracts' pages would otherwise stay in memory
    /// while the next steps read the table on other connections).
    pub async fn finish(mut self) -> Result<()> {
        if let ImportConnection::Sqlite(conn) = &mut self.conn {
            if self.left_wal {
                sqlx::query("PRAGMA journal_mode = WAL")
                    .execute(&mut **conn)
                    .await?;
            }
            sqlx::query(&format!("PRAGMA cache_size = {SQLITE_CACHE_SIZE}"))
                .execute(&mut **conn)
                .await?;
            sqlx::query("PRAGMA temp_store = MEMORY")
                .execute(&mut **conn)
                .await?;
            sqlx::query("PRAGMA shrink_memory")
                .execute(&mut **conn)
                .await?;
        }
        Ok(())
    }

    /// Opens a transaction on the import's connection.
    pub async fn begin(&mut self) -> Result<ImportTransaction<'_>> {
        let tx = match &mut self.conn {
            ImportConnection::Sqlite(conn) => {
                Tx::Sqlite(sqlx::Connection::begin(&mut **conn).await?)
            }
            ImportConnection::Postgres(conn) => {
                Tx::Postgres(sqlx::Connection::begin(&mut **conn).await?)
            }
        };
        Ok(ImportTransaction {
            tx: Some(tx),
            cache: &mut self.cache,
            rebuild: Vec::new(),
        })
    }

    /// Whether no contract is stored: an import may then load in bulk
    /// ([`Self::begin_bulk`]).
    pub async fn is_empty(&mut self) -> Result<bool> {
        let any: Option<i64> = match &mut self.conn {
            ImportConnection::Sqlite(conn) => {
                sqlx::query_scalar("SELECT id FROM contracts LIMIT 1")
                    .fetch_optional(&mut **conn)
                    .await?
            }
            ImportConnection::Postgres(conn) => {
                sqlx::query_scalar("SELECT id FROM contracts LIMIT 1")
                    .fetch_optional(&mut **conn)
                    .await?
            }
        };
        Ok(any.is_none())
    }

    /// Opens the one transaction of a bulk load: the secondary indexes of the contracts and
    /// their suppliers are dropped in it and built again, from the loaded rows, when it
    /// commits; an import that stops before rolls the whole load back, indexes included (no
    /// half contract, no missing index). Meant for an empty table, where nothing else reads
    /// (PostgreSQL holds the tables locked until the commit).
    ///
    /// On SQLite, when the import's connection is the only one to the file
    /// ([`Database::open_alone`], and no other process has it open), the load goes through a
    /// rollback journal instead of the WAL: the pages of an empty file are then written once,
    /// not to the WAL first and copied into the file after, and a load that stops is still
    /// rolled back whole. [`Self::finish`] puts the WAL back (and so does the next connection
    /// opened, if the import stops before).
    ///
    /// On PostgreSQL, in the same case, the foreign keys of the contracts and their suppliers
    /// are dropped in the transaction and added again, checked in one pass, when it commits.
    /// Dropping them locks the organisations too: a command alone on the database may hold
    /// them for the time of a first load; the server never does (its pool is shared).
    pub async fn begin_bulk(&mut self) -> Result<ImportTransaction<'_>> {
        let alone = self.alone;
        if let (true, ImportConnection::Sqlite(conn)) = (self.alone, &mut self.conn) {
            // Refused ("database is locked") while another connection has the file open:
            // the load then stays in the WAL.
            let mode: std::result::Result<String, _> =
                sqlx::query_scalar("PRAGMA journal_mode = DELETE")
                    .fetch_one(&mut **conn)
                    .await;
            self.left_wal = matches!(mode.as_deref(), Ok("delete"));
        }
        let mut tx = self.begin().await?;
        let Some(inner) = tx.tx.as_mut() else {
            return Err(rolled_back());
        };
        let indexes: Vec<(String, String)> = match inner {
            Tx::Sqlite(conn) => {
                sqlx::query_as(BULK_INDEXES_SQLITE)
                    .fetch_all(&mut **conn)
                    .await?
            }
            Tx::Postgres(conn) => {
                sqlx::query_as(BULK_INDEXES_POSTGRES)
                    .fetch_all(&mut **conn)
                    .await?
            }
        };
        on_backend!(inner, conn => {
            for (name, _) in &indexes {
                sqlx::query(&format!("DROP INDEX {name}"))
                    .execute(&mut *conn)
                    .await?;
            }
        });
        tx.rebuild = indexes.into_iter().map(|(_, sql)| sql).collect();
        if let (true, Tx::Postgres(conn)) = (alone, &mut *inner) {
            // Checking a million references one row at a time costs the load a tenth of its
            // time; checked again in one pass when the load commits.
            let keys: Vec<(String, String, String)> = sqlx::query_as(BULK_FOREIGN_KEYS_POSTGRES)
                .fetch_all(&mut **conn)
                .await?;
            for (table, name, definition) in keys {
                sqlx::query(&format!("ALTER TABLE {table} DROP CONSTRAINT {name}"))
                    .execute(&mut **conn)
                    .await?;
                tx.rebuild.push(format!(
                    "ALTER TABLE {table} ADD CONSTRAINT {name} {definition}"
                ));
            }
        }
        tx.cache.bulk_keys = Some(KeyFilter::new());
        Ok(tx)
    }

    /// The content hashes of every stored publication ([`KnownHashes`]), read in one pass.
    pub async fn known_hashes(&mut self) -> Result<KnownHashes> {
        use futures::TryStreamExt;
        const QUERY: &str = "SELECT content_hash, versions FROM contracts";
        let mut known = KnownHashes::default();
        let mut add = |(hash, versions): (String, Option<String>)| -> Result<()> {
            known.insert(&hash);
            for version in read_versions(versions.as_deref())? {
                known.insert(&version.hash);
            }
            Ok(())
        };
        match &mut self.conn {
            ImportConnection::Sqlite(conn) => {
                let mut rows = sqlx::query_as(QUERY).fetch(&mut **conn);
                while let Some(row) = rows.try_next().await? {
                    add(row)?;
                }
            }
            ImportConnection::Postgres(conn) => {
                let mut rows = sqlx::query_as(QUERY).fetch(&mut **conn);
                while let Some(row) = rows.try_next().await? {
                    add(row)?;
                }
            }
        }
        Ok(known)
    }
}

/// The organisations and establishments of a batch, in a few statements: those the import
/// has not met yet are looked up, created, or named from the data.
async fn write_parties(
    tx: &mut Tx<'_>,
    batch: &[PreparedContract],
    cache: &mut ImportCache,
    now: DateTime<Utc>,
) -> Result<()> {
    let mut wanted: HashMap<String, (Option<&str>, &str)> = HashMap::new();
    let mut sirets: Vec<(String, Siret)> = Vec::new();
    for c in batch.iter().map(PreparedContract::contract) {
        let siren = c.buyer.siren().to_string();
        if !cache.sirets.contains(c.buyer.as_str()) {
            sirets.push((siren.clone(), c.buyer.clone()));
        }
        if !cache.organisations.contains_key(&siren) {
            let entry = wanted.entry(siren).or_insert((None, "other"));
            entry.0 = entry.0.or(c.buyer_name.as_deref());
        }
        for operator in c.current_operators() {
            let Some(siret) = operator.siret() else {
                continue;
            };
            let siren = siret.siren().to_string();
            if !cache.sirets.contains(siret.as_str()) {
                sirets.push((siren.clone(), siret));
            }
            if !cache.organisations.contains_key(&siren) {
                let entry = wanted.entry(siren).or_insert((None, "company"));
                entry.0 = entry.0.or(operator.name.as_deref());
            }
        }
    }
    on_backend!(tx, conn => {
        if !wanted.is_empty() {
            let mut q = sqlx::QueryBuilder::new(
                "SELECT id, siren, name FROM organisations WHERE siren IN (",
            );
            let mut list = q.separated(", ");
            for siren in wanted.keys() {
                list.push_bind(siren.as_str());
            }
            q.push(")");
            let found: Vec<(i64, String, String)> =
                q.build_query_as().fetch_all(&mut *conn).await?;
            for (id, siren, stored_name) in found {
                // A name learnt from the data replaces a bare SIREN.
                if let Some(name) = wanted
                    .remove(&siren)
                    .and_then(|(name, _)| name)
                    .map(str::trim)
                    .filter(|n| stored_name == siren && !n.is_empty())
                {
                    sqlx::query("UPDATE organisations SET name = $1, updated_at = $2 WHERE id = $3")
                        .bind(name)
                        .bind(now)
                        .bind(id)
                        .execute(&mut *conn)
                        .await?;
                }
                cache.organisations.insert(siren, id);
            }
            let missing: Vec<(String, (Option<&str>, &str))> = wanted.into_iter().collect();
            for chunk in missing.chunks(INSERT_CHUNK) {
                let mut q = sqlx::QueryBuilder::new(
                    "INSERT INTO organisations (siren, name, kind, created_at, updated_at) ",
                );
                q.push_values(chunk.iter(), |mut row, (siren, (name, kind))| {
                    let name = name
                        .map(str::trim)
                        .filter(|n| !n.is_empty())
                        .unwrap_or(siren);
                    row.push_bind(siren.as_str())
                        .push_bind(name)
                        .push_bind(*kind)
                        .push_bind(now)
                        .push_bind(now);
                });
                q.push(" RETURNING id, siren");
                let ids: Vec<(i64, String)> = q.build_query_as().fetch_all(&mut *conn).await?;
                for (id, siren) in ids {
                    cache.organisations.insert(siren, id);
                }
            }
        }
        let mut new_sirets: Vec<(i64, String)> = Vec::new();
        for (siren, siret) in sirets {
            if cache.sirets.insert(siret.to_string()) {
                let org = *cache.organisations.get(&siren).ok_or_else(|| {
                    StorageError::Conflict(format!("organisation {siren} absente"))
                })?;
                new_sirets.push((org, siret.to_string()));
            }
        }
        for chunk in new_sirets.chunks(INSERT_CHUNK) {
            let mut q =
                sqlx::QueryBuilder::new("INSERT INTO establishments (organisation_id, siret) ");
            q.push_values(chunk.iter(), |mut row, (org, siret)| {
                row.push_bind(*org).push_bind(siret.as_str());
            });
            q.push(" ON CONFLICT (siret) DO NOTHING");
            q.build().execute(&mut *conn).await?;
        }
        Ok(())
    })
}

/// An earlier publication of a contract (`contracts.versions`): the id as published, its
/// publication date and its content hash. The contract's row is its newest publication.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, serde::Deserialize)]
pub struct ContractVersion {
    pub published_on: Option<NaiveDate>,
    pub id: String,
    pub hash: String,
}

/// The `versions` column: NULL when the contract has one publication, else its earlier ones
/// in order (publication date, id, hash), so that any import order writes the same text.
fn versions_json(versions: &[ContractVersion]) -> Result<Option<String>> {
    if versions.is_empty() {
        return Ok(None);
    }
    let mut sorted = versions.to_vec();
    sorted.sort();
    serde_json::to_string(&sorted)
        .map(Some)
        .map_err(serialisation)
}

/// Reads a stored `versions` column.
pub(crate) fn read_versions(text: Option<&str>) -> Result<Vec<ContractVersion>> {
    match text {
        None => Ok(Vec::new()),
        Some(text) => serde_json::from_str(text).map_err(|e| StorageError::Corrupt {
            table: "contracts",
            column: "versions",
            value: text.to_owned(),
            reason: e.to_string(),
        }),
    }
}

/// A contract stored before the batch, as the lookup reads it.
type StoredRow = (
    i64,
    String,
    String,
    String,
    String,
    Option<i64>,
    String,
    String,
    Option<NaiveDate>,
    i64,
    Option<String>,
);

/// A contract the batch compares its records with: stored, or created by the batch; its
/// fields are those of its newest publication so far.
struct Entry<'a> {
    stored_id: Option<i64>,
    buyer: &'a str,
    decp_id: &'a str,
    decp1: bool,
    amount: Option<i64>,
    object: &'a str,
    hash: &'a str,
    published_on: Option<NaiveDate>,
    modifications: i64,
    /// The earlier publications.
    versions: Vec<ContractVersion>,
    versions_changed: bool,
    /// The record of the batch that is now its newest publication.
    newest: Option<&'a PreparedContract>,
}

impl<'a> Entry<'a> {
    fn facts(&self) -> IdentityFacts<'a> {
        IdentityFacts {
            buyer: self.buyer,
            id: self.decp_id,
            decp1: self.decp1,
            amount: self.amount.map(Amount::from_cents),
            object: self.object,
        }
    }

    fn knows(&self, hash: &str) -> bool {
        self.hash == hash || self.versions.iter().any(|v| v.hash == hash)
    }

    /// Makes `p` the newest publication, the one before kept as a version.
    fn take(&mut self, p: &'a PreparedContract) {
        self.versions.push(ContractVersion {
            published_on: self.published_on,
            id: self.decp_id.to_owned(),
            hash: self.hash.to_owned(),
        });
        self.versions_changed = true;
        let c = &p.contract;
        self.decp_id = &c.id;
        self.amount = c.amount.map(|a| a.cents());
        self.object = &c.object;
        self.hash = &p.hash;
        self.published_on = c.published_on;
        self.modifications = c.modifications.len() as i64;
        self.newest = Some(p);
    }
}

/// The statements of one batch, inside the import's transaction.
async fn write_batch(
    tx: &mut Tx<'_>,
    batch: &[PreparedContract],
    cache: &mut ImportCache,
    now: DateTime<Utc>,
) -> Result<Vec<ImportAction>> {
    write_parties(tx, batch, cache, now).await?;
    let org_of = |siren: String| -> Result<i64> {
        cache
            .organisations
            .get(&siren)
            .copied()
            .ok_or_else(|| StorageError::Conflict(format!("organisation {siren} absente")))
    };
    // The stored contracts that may be the batch's records (same buyer and id stem), a few
    // thousand keys a query: a row-value IN over the (buyer_siret, identity_stem) index,
    // where both backends look each key up.
    // In a bulk load, only the keys it may already have written.
    let keys: Vec<(&str, &str)> = batch
        .iter()
        .filter(|p| {
            cache
                .bulk_keys
                .as_ref()
                .is_none_or(|f| f.may_contain(p.key_hash))
        })
        .map(PreparedContract::identity_key)
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    let mut stored: Vec<StoredRow> = on_backend!(tx, conn => {
        let mut stored = Vec::new();
        for chunk in keys.chunks(LOOKUP_CHUNK) {
            let mut q = sqlx::QueryBuilder::new(
                "SELECT id, buyer_siret, identity_stem, decp_id, source, amount_cents, object, \
                 content_hash, published_on, modification_count, versions \
                 FROM contracts WHERE (buyer_siret, identity_stem) IN (VALUES ",
            );
            let mut list = q.separated(", ");
            for (siret, stem) in chunk {
                list.push("(");
                list.push_bind_unseparated(*siret);
                list.push_unseparated(", ");
                list.push_bind_unseparated(*stem);
                list.push_unseparated(")");
            }
            q.push(")");
            // Planned afresh each time, not kept as a prepared statement: PostgreSQL would
            // keep the generic plan it made while the table was small (a hash join over a
            // scan of every contract) as the table grows, each batch scanning more.
            let query = q.build_query_as().persistent(false);
            stored.extend(query.fetch_all(&mut *conn).await?);
        }
        stored
    });
    // Compared in the order they were created, whatever the order the lookup gave.
    stored.sort_by_key(|row| row.0);
    let mut entries: Vec<Entry> = Vec::with_capacity(stored.len() + batch.len());
    let mut families: HashMap<(&str, &str), Vec<usize>> = HashMap::new();
    for row in &stored {
        let (id, siret, stem, decp_id, source, amount, object, hash, published_on, mods, versions) =
            row;
        families
            .entry((siret.as_str(), stem.as_str()))
            .or_default()
            .push(entries.len());
        entries.push(Entry {
            stored_id: Some(*id),
            buyer: siret,
            decp_id,
            decp1: source == ContractSource::Decp1.code(),
            amount: *amount,
            object,
            hash,
            published_on: *published_on,
            modifications: *mods,
            versions: read_versions(versions.as_deref())?,
            versions_changed: false,
            newest: None,
        });
    }
    // Record by record in file order: a publication already known changes nothing; the same
    // contract (`same_contract`, the same id first) keeps its newest publication and the
    // list of the others; a record that is no stored contract is a new one.
    let mut actions = Vec::with_capacity(batch.len());
    for prepared in batch {
        let c = &prepared.contract;
        let family = families.entry(prepared.identity_key()).or_default();
        if family.iter().any(|&e| entries[e].knows(&prepared.hash)) {
            actions.push(ImportAction::Unchanged);
            continue;
        }
        let facts = IdentityFacts::of(c);
        let same = |&&e: &&usize| same_contract(&entries[e].facts(), &facts);
        let found = family
            .iter()
            .filter(same)
            .find(|&&e| entries[e].decp_id == c.id)
            .or_else(|| family.iter().find(same))
            .copied();
        let action = match found {
            None => {
                family.push(entries.len());
                entries.push(Entry {
                    stored_id: None,
                    buyer: c.buyer.as_str(),
                    decp_id: &c.id,
                    decp1: facts.decp1,
                    amount: c.amount.map(|a| a.cents()),
                    object: &c.object,
                    hash: &prepared.hash,
                    published_on: c.published_on,
                    modifications: c.modifications.len() as i64,
                    versions: Vec::new(),
                    versions_changed: false,
                    newest: Some(prepared),
                });
                ImportAction::Created
            }
            Some(e) => {
                let entry = &mut entries[e];
                let modifications = c.modifications.len() as i64;
                if version_key(c.published_on, modifications, &c.id, &prepared.hash)
                    > version_key(
                        entry.published_on,
                        entry.modifications,
                        entry.decp_id,
                        entry.hash,
                    )
                {
                    entry.take(prepared);
                    ImportAction::Updated
                } else {
                    entry.versions.push(ContractVersion {
                        published_on: c.published_on,
                        id: c.id.clone(),
                        hash: prepared.hash.clone(),
                    });
                    entry.versions_changed = true;
                    ImportAction::Unchanged
                }
            }
        };
        actions.push(action);
    }
    // Write what changed: updates one by one (rare), inserts many rows at a time.
    let mut written: Vec<(i64, Pending)> = Vec::new();
    let mut inserts: Vec<(Pending, Option<String>)> = Vec::new();
    for entry in &entries {
        let versions = if entry.versions_changed {
            versions_json(&entry.versions)?
        } else {
            None
        };
        match (entry.stored_id, entry.newest) {
            (None, Some(prepared)) => {
                let buyer_org = org_of(prepared.contract.buyer.siren().to_string())?;
                if let Some(filter) = cache.bulk_keys.as_mut() {
                    filter.insert(prepared.key_hash);
                }
                inserts.push((
                    Pending {
                        prepared,
                        buyer_org,
                    },
                    versions,
                ));
            }
            (Some(id), Some(prepared)) => {
                let p = Pending {
                    prepared,
                    buyer_org: org_of(prepared.contract.buyer.siren().to_string())?,
                };
                on_backend!(tx, conn => {
                    let mut q = sqlx::QueryBuilder::new(format!(
                        "UPDATE contracts SET ({CONTRACT_COLUMNS_WRITTEN}, versions) = ("
                    ));
                    {
                        let mut row = q.separated(", ");
                        bind_contract(&mut row, &p, now);
                        row.push_bind(versions.clone());
                    }
                    q.push(") WHERE id = ").push_bind(id);
                    q.build().execute(&mut *conn).await?;
                    sqlx::query("DELETE FROM contract_suppliers WHERE contract_id = $1")
                        .bind(id)
                        .execute(&mut *conn)
                        .await?;
                });
                written.push((id, p));
            }
            (Some(id), None) if entry.versions_changed => {
                on_backend!(tx, conn => {
                    sqlx::query("UPDATE contracts SET versions = $1, updated_at = $2 WHERE id = $3")
                        .bind(versions.as_deref())
                        .bind(now)
                        .bind(id)
                        .execute(&mut *conn)
                        .await?;
                });
            }
            _ => {}
        }
    }
    // New contracts: SQLite takes them by multi-row INSERTs, PostgreSQL by COPY, their ids
    // drawn from the table's sequence first.
    match tx.split() {
        crate::Backends::Sqlite(conn) => {
            for chunk in inserts.chunks(INSERT_CHUNK) {
                let mut q = sqlx::QueryBuilder::new(format!(
                    "INSERT INTO contracts ({CONTRACT_COLUMNS_WRITTEN}, versions, created_at) "
                ));
                q.push_values(chunk.iter(), |mut row, (p, versions)| {
                    bind_contract(&mut row, p, now);
                    row.push_bind(versions.as_deref());
                    row.push_bind(now);
                });
                q.push(" RETURNING id, content_hash");
                let ids: Vec<(i64, String)> = q.build_query_as().fetch_all(&mut *conn).await?;
                // The batch creates no two contracts with one content hash: the second would
                // be a publication already known.
                let by_hash: HashMap<&str, i64> =
                    ids.iter().map(|(id, hash)| (hash.as_str(), *id)).collect();
                for (p, _) in chunk {
                    if let Some(id) = by_hash.get(p.prepared.hash.as_str()) {
                        written.push((*id, *p));
                    }
                }
            }
        }
        crate::Backends::Postgres(conn) => {
            if !inserts.is_empty() {
                let count = inserts.len() as i64;
                let ids: Vec<i64> = if cache.bulk_keys.is_some() {
                    // A bulk load holds the table locked (its indexes were dropped in its
                    // transaction): no other insert draws from the sequence meanwhile, and
                    // the batch's ids are reserved as one block, in one step.
                    let last: i64 = sqlx::query_scalar(
                        "SELECT setval(pg_get_serial_sequence('contracts', 'id'), \
                         nextval(pg_get_serial_sequence('contracts', 'id')) + $1 - 1)",
                    )
                    .bind(count)
                    .fetch_one(&mut *conn)
                    .await?;
                    (last - count + 1..=last).collect()
                } else {
                    sqlx::query_scalar(
                        "SELECT nextval(pg_get_serial_sequence('contracts', 'id')) \
                         FROM generate_series(1, $1)",
                    )
                    .bind(count)
                    .fetch_all(&mut *conn)
                    .await?
                };
                if ids.len() != inserts.len() {
                    return Err(StorageError::Conflict(
                        "identifiants de contrats manquants".into(),
                    ));
                }
                let mut text = String::with_capacity(inserts.len() * 1_024);
                for (id, (p, versions)) in ids.iter().zip(&inserts) {
                    copy_contract(&mut text, *id, p, versions.as_deref(), now);
                    written.push((*id, *p));
                }
                let mut copy = conn
                    .copy_in_raw(&format!(
                        "COPY contracts (id, {CONTRACT_COLUMNS_WRITTEN}, versions, created_at) \
                         FROM STDIN"
                    ))
                    .await?;
                copy.send(text.as_bytes()).await?;
                copy.finish().await?;
            }
        }
    }
    // Supplier links, many rows at a time.
    let mut links: Vec<(i64, i64, i64)> = Vec::new();
    for (contract_id, p) in &written {
        let mut seen = HashSet::new();
        for operator in p.prepared.contract.current_operators() {
            let Some(siret) = operator.siret() else {
                continue;
            };
            let supplier = org_of(siret.siren().to_string())?;
            if seen.insert(supplier) {
                links.push((*contract_id, p.buyer_org, supplier));
            }
        }
    }
    // A written contract has no link left (new, or its links deleted), and `seen` keeps each
    // supplier once a contract: PostgreSQL takes them by COPY.
    match tx.split() {
        crate::Backends::Sqlite(conn) => {
            for chunk in links.chunks(INSERT_CHUNK) {
                let mut q = sqlx::QueryBuilder::new(
                    "INSERT INTO contract_suppliers \
                     (contract_id, organisation_id, supplier_organisation_id) ",
                );
                q.push_values(chunk.iter(), |mut row, (c, o, s)| {
                    row.push_bind(*c).push_bind(*o).push_bind(*s);
                });
                q.push(" ON CONFLICT (contract_id, supplier_organisation_id) DO NOTHING");
                q.build().execute(&mut *conn).await?;
            }
        }
        crate::Backends::Postgres(conn) => {
            if !links.is_empty() {
                use std::fmt::Write;
                let mut text = String::with_capacity(links.len() * 24);
                for (c, o, s) in &links {
                    let _ = writeln!(text, "{c}\t{o}\t{s}");
                }
                let mut copy = conn
                    .copy_in_raw(
                        "COPY contract_suppliers \
                         (contract_id, organisation_id, supplier_organisation_id) FROM STDIN",
                    )
                    .await?;
                copy.send(text.as_bytes()).await?;
                copy.finish().await?;
            }
        }
    }
    Ok(actions)
}

impl ImportTransaction<'_> {
    /// Writes a batch: new contracts are created, newer publications of stored ones (same
    /// buyer SIRET and id) update them, the rest is left unchanged. Buyers and suppliers with
    /// a SIRET become organisations keyed by SIREN. The batch costs a few statements, not a
    /// few per contract. On error the whole transaction is rolled back, and so are the
    /// batches written in it before. `now` dates the rows written.
    pub async fn write(
        &mut self,
        batch: &[PreparedContract],
        now: DateTime<Utc>,
    ) -> Result<Vec<ImportAction>> {
        let cache = &mut *self.cache;
        let result = match &mut self.tx {
            None => Err(rolled_back()),
            Some(tx) => write_batch(tx, batch, cache, now).await,
        };
        if result.is_err() {
            self.rollback();
        }
        result
    }

    /// Commits the batches written in this transaction (what a bulk load dropped made again
    /// first).
    pub async fn commit(mut self) -> Result<()> {
        let rebuild = std::mem::take(&mut self.rebuild);
        let result = match self.tx.take() {
            None => Err(rolled_back()),
            Some(mut tx) => {
                let built: Result<()> = on_backend!(&mut tx, conn => {
                    for sql in &rebuild {
                        sqlx::query(sql).execute(&mut *conn).await?;
                    }
                    Ok(())
                });
                match built {
                    Ok(()) => tx.commit().await,
                    Err(e) => Err(e),
                }
            }
        };
        if result.is_err() {
            self.rollback();
        }
        result
    }

    /// Drops the transaction (sqlx rolls it back) and the ids learnt, which it may have
    /// written: they must not be reused.
    fn rollback(&mut self) {
        self.tx = None;
        *self.cache = ImportCache::default();
    }
}

/// A write or commit after a failed batch: the transaction is gone.
fn rolled_back() -> StorageError {
    StorageError::Conflict("la transaction de l'import a été annulée".into())
}

impl Drop for ImportTransaction<'_> {
    fn drop(&mut self) {
        if self.tx.is_some() {
            self.rollback();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_key_filter_finds_every_key_added_and_few_others() {
        let mut filter = KeyFilter::new();
        let key = |n: u32| KeyFilter::hash(("21380185500015", &format!("2024-{n}")));
        for n in 0..100_000 {
            filter.insert(key(n));
        }
        assert!((0..100_000).all(|n| filter.may_contain(key(n))));
        // Two bits a key out of 2^25: for 100,000 keys, about 4 in 100,000 others answer
        // "perhaps".
        let perhaps = (100_000..200_000)
            .filter(|&n| filter.may_contain(key(n)))
            .count();
        assert!(perhaps < 100, "{perhaps}");
    }
}
