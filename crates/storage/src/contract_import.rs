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
use mutualis_domain::contract::{Decp2Fields, Modification, Operator, Subcontracting};
use mutualis_domain::{Contract, Repair, Siret};
use serde::Serialize;

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
}

impl PreparedContract {
    /// Pure computing, no I/O: call it where the contract is read.
    pub fn new(contract: Contract) -> Result<Self> {
        let hash = crate::hash_form::content_hash(&contract).map_err(serialisation)?;
        let details = details_json(&contract)?;
        Ok(PreparedContract {
            contract,
            hash,
            details,
        })
    }

    pub fn contract(&self) -> &Contract {
        &self.contract
    }

    /// The content hash stored in `contracts.content_hash` (hex SHA-256).
    pub fn content_hash(&self) -> &str {
        &self.hash
    }

    /// The contract's key: its buyer's SIRET and the buyer's own identifier.
    fn key(&self) -> (&str, &str) {
        (self.contract.buyer.as_str(), self.contract.id.as_str())
    }
}

/// Which version of a contract is the newer: later publication, then more modifications,
/// then the content hash as a deterministic tie-break, so that importing the same records in
/// any order, any number of times, ends with the same row.
fn version_key(
    published_on: Option<NaiveDate>,
    modifications: i64,
    hash: &str,
) -> (Option<NaiveDate>, i64, &str) {
    (published_on, modifications, hash)
}

fn to_i64(v: Option<u32>) -> Option<i64> {
    v.map(i64::from)
}

/// The version of a contract that a batch compares with: stored, or written earlier in the
/// same batch.
struct Known<'a> {
    id: Option<i64>,
    hash: &'a str,
    published_on: Option<NaiveDate>,
    modifications: i64,
}

/// A contract of the batch to write, with its buyer's organisation.
struct Pending<'a> {
    prepared: &'a PreparedContract,
    buyer_org: i64,
}

/// Rows per multi-row INSERT: 28 parameters a row stays under SQLite's 32,766.
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
        .push_bind(now);
}

/// The columns an import writes, in the order `bind_contract` binds them.
const CONTRACT_COLUMNS_WRITTEN: &str = "organisation_id, buyer_siret, decp_id, kind, source, \
    object, cpv, nature, nature_original, procedure, procedure_original, price_form, \
    price_form_original, place_code, place_type, duration_months, notified_on, starts_on, \
    published_on, amount_cents, current_amount_cents, current_duration_months, ends_on, \
    modification_count, details, content_hash, updated_at";

/// Organisation ids and SIRETs already written during one import, so that each is looked up
/// once. It grows with the number of distinct organisations, not with the file.
#[derive(Debug, Default)]
struct ImportCache {
    organisations: HashMap<String, i64>,
    sirets: HashSet<String>,
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
}

/// A transaction of an import. Dropped without a commit, or after a failed batch, it is rolled
/// back: no half-written contract stays, and the import forgets the ids it had learnt in it.
pub struct ImportTransaction<'i> {
    /// `None` once a batch failed: the transaction was rolled back.
    tx: Option<Tx<'i>>,
    cache: &'i mut ImportCache,
}

impl Database {
    /// Starts an import on a connection of its own.
    pub async fn contract_import(&self) -> Result<ContractImport> {
        let conn = match self {
            Database::Sqlite(pool) => ImportConnection::Sqlite(pool.acquire().await?),
            Database::Postgres(pool) => ImportConnection::Postgres(pool.acquire().await?),
        };
        Ok(ContractImport {
            conn,
            cache: ImportCache::default(),
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
        })
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
    // The stored versions of the batch's contracts, a few thousand keys a query: a
    // row-value IN over the unique (buyer_siret, decp_id) index, where both backends look
    // each key up.
    let keys: Vec<(&str, &str)> = batch
        .iter()
        .map(PreparedContract::key)
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    let stored: Vec<(i64, String, String, String, Option<NaiveDate>, i64)> = on_backend!(tx, conn => {
        let mut stored = Vec::new();
        for chunk in keys.chunks(LOOKUP_CHUNK) {
            let mut q = sqlx::QueryBuilder::new(
                "SELECT id, buyer_siret, decp_id, content_hash, published_on, modification_count \
                 FROM contracts WHERE (buyer_siret, decp_id) IN (VALUES ",
            );
            let mut list = q.separated(", ");
            for (siret, id) in chunk {
                list.push("(");
                list.push_bind_unseparated(*siret);
                list.push_unseparated(", ");
                list.push_bind_unseparated(*id);
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
    let mut known: HashMap<(&str, &str), Known> = stored
        .iter()
        .map(|(id, siret, decp_id, hash, published_on, modifications)| {
            let version = Known {
                id: Some(*id),
                hash,
                published_on: *published_on,
                modifications: *modifications,
            };
            ((siret.as_str(), decp_id.as_str()), version)
        })
        .collect();
    // Decide, record by record in file order, which version wins; the winners are
    // written in file order.
    let mut actions = Vec::with_capacity(batch.len());
    let mut winners: Vec<Pending> = Vec::new();
    let mut winner_at: HashMap<(&str, &str), usize> = HashMap::new();
    for prepared in batch {
        let c = &prepared.contract;
        let modifications = c.modifications.len() as i64;
        let key = prepared.key();
        let action = match known.get(&key) {
            None => ImportAction::Created,
            Some(k)
                if k.hash == prepared.hash
                    || version_key(c.published_on, modifications, &prepared.hash)
                        < version_key(k.published_on, k.modifications, k.hash) =>
            {
                ImportAction::Unchanged
            }
            Some(_) => ImportAction::Updated,
        };
        actions.push(action);
        if action == ImportAction::Unchanged {
            continue;
        }
        let buyer_org = org_of(c.buyer.siren().to_string())?;
        let stored_id = known.get(&key).and_then(|k| k.id);
        known.insert(
            key,
            Known {
                id: stored_id,
                hash: &prepared.hash,
                published_on: c.published_on,
                modifications,
            },
        );
        let pending = Pending {
            prepared,
            buyer_org,
        };
        match winner_at.get(&key) {
            Some(&at) => winners[at] = pending,
            None => {
                winner_at.insert(key, winners.len());
                winners.push(pending);
            }
        }
    }
    // Write the winners: updates one by one (rare), inserts many rows at a time.
    let mut written: Vec<(i64, &Pending)> = Vec::with_capacity(winners.len());
    let mut inserts: Vec<&Pending> = Vec::new();
    for p in &winners {
        match known.get(&p.prepared.key()).and_then(|k| k.id) {
            Some(id) => {
                on_backend!(tx, conn => {
                    let mut q = sqlx::QueryBuilder::new(format!(
                        "UPDATE contracts SET ({CONTRACT_COLUMNS_WRITTEN}) = ("
                    ));
                    {
                        let mut row = q.separated(", ");
                        bind_contract(&mut row, p, now);
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
            None => inserts.push(p),
        }
    }
    for chunk in inserts.chunks(INSERT_CHUNK) {
        let ids = on_backend!(tx, conn => {
            let mut q = sqlx::QueryBuilder::new(format!(
                "INSERT INTO contracts ({CONTRACT_COLUMNS_WRITTEN}, created_at) "
            ));
            q.push_values(chunk.iter(), |mut row, p| {
                bind_contract(&mut row, p, now);
                row.push_bind(now);
            });
            q.push(" RETURNING id, buyer_siret, decp_id");
            let ids: Vec<(i64, String, String)> =
                q.build_query_as().fetch_all(&mut *conn).await?;
            ids
        });
        let by_key: HashMap<(&str, &str), i64> = ids
            .iter()
            .map(|(id, siret, decp_id)| ((siret.as_str(), decp_id.as_str()), *id))
            .collect();
        for p in chunk {
            if let Some(id) = by_key.get(&p.prepared.key()) {
                written.push((*id, p));
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
    on_backend!(tx, conn => {
        for chunk in links.chunks(INSERT_CHUNK) {
            let mut q = sqlx::QueryBuilder::new(
                "INSERT INTO contract_suppliers (contract_id, organisation_id, supplier_organisation_id) ",
            );
            q.push_values(chunk.iter(), |mut row, (c, o, s)| {
                row.push_bind(*c).push_bind(*o).push_bind(*s);
            });
            q.push(" ON CONFLICT (contract_id, supplier_organisation_id) DO NOTHING");
            q.build().execute(&mut *conn).await?;
        }
    });
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

    /// Commits the batches written in this transaction.
    pub async fn commit(mut self) -> Result<()> {
        let result = match self.tx.take() {
            None => Err(rolled_back()),
            Some(tx) => tx.commit().await,
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
