//! Contracts: the DECP import (idempotent, one transaction per batch) and the scoped reads of
//! the contract pages and exports.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, NaiveDate, Utc};
use mutualis_domain::contract::{
    Decp2Fields, Label, Modification, Operator, Place, Subcontracting,
};
use mutualis_domain::{Contract, ContractKind, ContractSource, CpvNomenclature, Siret};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::scope::{Scope, TerritoryWide};
use crate::{Database, Result, StorageError, on_pool};

/// What importing one contract did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportAction {
    Created,
    Updated,
    /// The same record, or an older publication of a contract already stored.
    Unchanged,
}

/// Organisation ids and SIRETs already written during one import, so that each is looked up
/// once. It grows with the number of distinct organisations, not with the file.
#[derive(Debug, Default)]
pub struct ImportCache {
    organisations: HashMap<String, i64>,
    sirets: HashSet<String>,
}

/// The parts of a contract stored as one JSON document (absent values left out).
#[derive(Deserialize)]
struct Details {
    #[serde(default)]
    buyer_name: Option<String>,
    #[serde(default)]
    operators: Vec<Operator>,
    #[serde(default)]
    modifications: Vec<Modification>,
    #[serde(default)]
    subcontracting: Vec<Subcontracting>,
    #[serde(default)]
    decp2: Option<Decp2Fields>,
}

/// `Details` as written, borrowed from the contract.
#[derive(Serialize)]
struct DetailsRef<'a> {
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
}

/// Feeds what serde writes straight into the hash, without an intermediate buffer.
struct HashWriter(Sha256);

impl std::io::Write for HashWriter {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.update(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Which version of a contract is the newer: later publication, then more modifications,
/// then the content hash as a deterministic tie-break, so that importing the same records in
/// any order, any number of times, ends with the same row.
fn version_key(
    published_on: Option<NaiveDate>,
    modifications: i64,
    hash: &str,
) -> (Option<NaiveDate>, i64, String) {
    (published_on, modifications, hash.to_owned())
}

fn content_hash(c: &Contract) -> Result<String> {
    let mut hasher = HashWriter(Sha256::new());
    serde_json::to_writer(&mut hasher, c).map_err(|e| StorageError::Conflict(e.to_string()))?;
    Ok(hex::encode(hasher.0.finalize()))
}

fn to_i64(v: Option<u32>) -> Option<i64> {
    v.map(i64::from)
}

/// The version of a contract that a batch compares with: stored, or written earlier in the
/// same batch.
struct Known {
    id: Option<i64>,
    hash: String,
    published_on: Option<NaiveDate>,
    modifications: i64,
}

/// A contract of the batch to write, with what the writer needs about it.
struct Pending<'a> {
    contract: &'a Contract,
    hash: String,
    buyer_org: i64,
    details: String,
}

/// Rows per multi-row INSERT: 28 parameters a row stays under SQLite's 32,766.
const INSERT_CHUNK: usize = 500;

/// Binds a contract's columns, in `CONTRACT_COLUMNS_WRITTEN` order, ending with `updated_at`.
macro_rules! bind_contract {
    ($q:expr, $p:expr, $now:expr) => {{
        let c: &Contract = $p.contract;
        $q.push_bind($p.buyer_org)
            .push_bind(c.buyer.as_str().to_owned())
            .push_bind(c.id.clone())
            .push_bind(c.kind.code())
            .push_bind(c.source.code())
            .push_bind(c.object.clone())
            .push_bind(c.cpv.map(|code| code.code8()))
            .push_bind(c.nature.value.clone())
            .push_bind(c.nature.original.clone())
            .push_bind(c.procedure.value.clone())
            .push_bind(c.procedure.original.clone())
            .push_bind(c.price_form.value.clone())
            .push_bind(c.price_form.original.clone())
            .push_bind(c.place.as_ref().map(|p| p.code.clone()))
            .push_bind(c.place.as_ref().map(|p| p.code_type.clone()))
            .push_bind(to_i64(c.duration_months))
            .push_bind(c.notified_on)
            .push_bind(c.starts_on)
            .push_bind(c.published_on)
            .push_bind(c.amount.map(|a| a.cents()))
            .push_bind(c.current_amount().map(|a| a.cents()))
            .push_bind(to_i64(c.current_duration_months()))
            .push_bind(c.end_date())
            .push_bind(c.modifications.len() as i64)
            .push_bind($p.details.clone())
            .push_bind($p.hash.clone())
            .push_bind($now);
    }};
}

/// The columns an import writes, in the order `bind_contract!` binds them.
const CONTRACT_COLUMNS_WRITTEN: &str = "organisation_id, buyer_siret, decp_id, kind, source, \
    object, cpv, nature, nature_original, procedure, procedure_original, price_form, \
    price_form_original, place_code, place_type, duration_months, notified_on, starts_on, \
    published_on, amount_cents, current_amount_cents, current_duration_months, ends_on, \
    modification_count, details, content_hash, updated_at";

impl Database {
    /// Imports a batch of contracts in one transaction: new ones are created, newer
    /// publications of stored ones (same buyer SIRET and id) update them, the rest is left
    /// unchanged. Buyers and suppliers with a SIRET become organisations keyed by SIREN.
    /// The batch costs a few statements, not a few per contract: one query for the stored
    /// versions, multi-row inserts for new contracts and supplier links.
    pub async fn import_contracts(
        &self,
        batch: &[Contract],
        cache: &mut ImportCache,
    ) -> Result<Vec<ImportAction>> {
        let now: DateTime<Utc> = Utc::now();
        let mut actions = Vec::with_capacity(batch.len());
        let result: Result<()> = async {
            on_pool!(self, pool => {
                let mut tx = pool.begin().await?;
                // The organisations and establishments of the batch, in a few statements.
                let mut wanted: HashMap<String, (Option<&str>, &str)> = HashMap::new();
                let mut sirets: Vec<(String, Siret)> = Vec::new();
                for c in batch {
                    let siren = c.buyer.siren().to_string();
                    if !cache.sirets.contains(c.buyer.as_str()) {
                        sirets.push((siren.clone(), c.buyer.clone()));
                    }
                    if !cache.organisations.contains_key(&siren) {
                        let entry = wanted.entry(siren).or_insert((None, "other"));
                        entry.0 = entry.0.or(c.buyer_name.as_deref());
                    }
                    for operator in c.current_operators() {
                        let Some(siret) = operator.siret() else { continue };
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
                if !wanted.is_empty() {
                    let mut q = sqlx::QueryBuilder::new("SELECT id, siren, name FROM organisations WHERE siren IN (");
                    let mut list = q.separated(", ");
                    for siren in wanted.keys() {
                        list.push_bind(siren.clone());
                    }
                    q.push(")");
                    let found: Vec<(i64, String, String)> = q.build_query_as().fetch_all(&mut *tx).await?;
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
                                .execute(&mut *tx)
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
                            let name = name.map(str::trim).filter(|n| !n.is_empty()).unwrap_or(siren);
                            row.push_bind(siren.clone())
                                .push_bind(name.to_owned())
                                .push_bind(*kind)
                                .push_bind(now)
                                .push_bind(now);
                        });
                        q.push(" RETURNING id, siren");
                        let ids: Vec<(i64, String)> = q.build_query_as().fetch_all(&mut *tx).await?;
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
                    let mut q = sqlx::QueryBuilder::new("INSERT INTO establishments (organisation_id, siret) ");
                    q.push_values(chunk.iter(), |mut row, (org, siret)| {
                        row.push_bind(*org).push_bind(siret.clone());
                    });
                    q.push(" ON CONFLICT (siret) DO NOTHING");
                    q.build().execute(&mut *tx).await?;
                }
                let org_of = |siren: String| -> Result<i64> {
                    cache.organisations.get(&siren).copied().ok_or_else(|| {
                        StorageError::Conflict(format!("organisation {siren} absente"))
                    })
                };
                // The stored versions of the batch's contracts, in one query.
                let mut known: HashMap<(String, String), Known> = HashMap::new();
                if !batch.is_empty() {
                    // A row-value IN over the unique (buyer_siret, decp_id) index: both
                    // backends look each key up in the index.
                    let keys: HashSet<(&str, &str)> =
                        batch.iter().map(|c| (c.buyer.as_str(), c.id.as_str())).collect();
                    let mut q = sqlx::QueryBuilder::new(
                        "SELECT id, buyer_siret, decp_id, content_hash, published_on, modification_count \
                         FROM contracts WHERE (buyer_siret, decp_id) IN (VALUES ",
                    );
                    let mut list = q.separated(", ");
                    for (siret, id) in &keys {
                        list.push("(");
                        list.push_bind_unseparated(siret.to_string());
                        list.push_unseparated(", ");
                        list.push_bind_unseparated(id.to_string());
                        list.push_unseparated(")");
                    }
                    q.push(")");
                    let rows: Vec<(i64, String, String, String, Option<NaiveDate>, i64)> =
                        q.build_query_as().fetch_all(&mut *tx).await?;
                    for (id, siret, decp_id, hash, published_on, modifications) in rows {
                        known.insert((siret, decp_id), Known { id: Some(id), hash, published_on, modifications });
                    }
                }
                // Decide, record by record in file order, which version wins.
                let mut winners: HashMap<(String, String), Pending> = HashMap::new();
                for c in batch {
                    let hash = content_hash(c)?;
                    let modifications = c.modifications.len() as i64;
                    let key = (c.buyer.as_str().to_owned(), c.id.clone());
                    let action = match known.get(&key) {
                        None => ImportAction::Created,
                        Some(k) if k.hash == hash
                            || version_key(c.published_on, modifications, &hash)
                                < version_key(k.published_on, k.modifications, &k.hash) =>
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
                    known.insert(key.clone(), Known { id: stored_id, hash: hash.clone(), published_on: c.published_on, modifications });
                    let details = serde_json::to_string(&DetailsRef {
                        buyer_name: &c.buyer_name,
                        operators: &c.operators,
                        modifications: &c.modifications,
                        subcontracting: &c.subcontracting,
                        decp2: &c.decp2,
                    })
                    .map_err(|e| StorageError::Conflict(e.to_string()))?;
                    winners.insert(key, Pending { contract: c, hash, buyer_org, details });
                }
                // Write the winners: updates one by one (rare), inserts many rows at a time.
                let mut written: Vec<(i64, &Pending)> = Vec::with_capacity(winners.len());
                let mut inserts: Vec<&Pending> = Vec::new();
                for (key, p) in &winners {
                    match known.get(key).and_then(|k| k.id) {
                        Some(id) => {
                            let mut q = sqlx::QueryBuilder::new(format!(
                                "UPDATE contracts SET ({CONTRACT_COLUMNS_WRITTEN}) = ("
                            ));
                            {
                                let mut row = q.separated(", ");
                                bind_contract!(row, p, now);
                            }
                            q.push(") WHERE id = ").push_bind(id);
                            q.build().execute(&mut *tx).await?;
                            sqlx::query("DELETE FROM contract_suppliers WHERE contract_id = $1")
                                .bind(id)
                                .execute(&mut *tx)
                                .await?;
                            written.push((id, p));
                        }
                        None => inserts.push(p),
                    }
                }
                for chunk in inserts.chunks(INSERT_CHUNK) {
                    let mut q = sqlx::QueryBuilder::new(format!(
                        "INSERT INTO contracts ({CONTRACT_COLUMNS_WRITTEN}, created_at) "
                    ));
                    q.push_values(chunk.iter(), |mut row, p| {
                        bind_contract!(row, p, now);
                        row.push_bind(now);
                    });
                    q.push(" RETURNING id, buyer_siret, decp_id");
                    let ids: Vec<(i64, String, String)> = q.build_query_as().fetch_all(&mut *tx).await?;
                    let by_key: HashMap<(String, String), i64> =
                        ids.into_iter().map(|(id, siret, decp_id)| ((siret, decp_id), id)).collect();
                    for p in chunk {
                        let key = (p.contract.buyer.as_str().to_owned(), p.contract.id.clone());
                        if let Some(id) = by_key.get(&key) {
                            written.push((*id, p));
                        }
                    }
                }
                // Supplier links, many rows at a time.
                let mut links: Vec<(i64, i64, i64)> = Vec::new();
                for (contract_id, p) in &written {
                    let mut seen = HashSet::new();
                    for operator in p.contract.current_operators() {
                        let Some(siret) = operator.siret() else { continue };
                        let supplier = org_of(siret.siren().to_string())?;
                        if seen.insert(supplier) {
                            links.push((*contract_id, p.buyer_org, supplier));
                        }
                    }
                }
                for chunk in links.chunks(INSERT_CHUNK) {
                    let mut q = sqlx::QueryBuilder::new(
                        "INSERT INTO contract_suppliers (contract_id, organisation_id, supplier_organisation_id) ",
                    );
                    q.push_values(chunk.iter(), |mut row, (c, o, s)| {
                        row.push_bind(*c).push_bind(*o).push_bind(*s);
                    });
                    q.push(" ON CONFLICT (contract_id, supplier_organisation_id) DO NOTHING");
                    q.build().execute(&mut *tx).await?;
                }
                tx.commit().await?;
            });
            Ok(())
        }
        .await;
        if result.is_err() {
            // Ids written in a rolled-back transaction must not be reused.
            *cache = ImportCache::default();
        }
        result.map(|()| actions)
    }
}

/// A contract as stored, with its database id and buyer organisation.
#[derive(Debug, Clone)]
pub struct ContractRecord {
    pub id: i64,
    pub organisation_id: i64,
    pub organisation_name: String,
    pub contract: Contract,
}

/// How to filter and order a list of contracts.
#[derive(Debug, Clone, Default)]
pub struct ContractFilter {
    /// Only this buyer organisation (territory-wide views).
    pub organisation_id: Option<i64>,
    /// CPV prefix (a division "90", a group "909"…).
    pub cpv_prefix: Option<String>,
    pub procedure: Option<String>,
    pub ends_from: Option<NaiveDate>,
    pub ends_until: Option<NaiveDate>,
    pub min_amount_cents: Option<i64>,
    pub max_amount_cents: Option<i64>,
    pub sort: ContractSort,
    /// 0-based page.
    pub page: u32,
    pub per_page: u32,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ContractSort {
    #[default]
    EndDate,
    AmountDesc,
    Buyer,
    Object,
}

impl ContractSort {
    fn sql(self) -> &'static str {
        match self {
            ContractSort::EndDate => "c.ends_on IS NULL, c.ends_on, c.id",
            ContractSort::AmountDesc => {
                "c.current_amount_cents IS NULL, c.current_amount_cents DESC, c.id"
            }
            ContractSort::Buyer => "o.name, c.ends_on, c.id",
            ContractSort::Object => "c.object, c.id",
        }
    }
}

/// One page of contracts and how many match in all.
#[derive(Debug, Clone)]
pub struct ContractPage {
    pub total: i64,
    pub records: Vec<ContractRecord>,
}

#[derive(sqlx::FromRow)]
struct ContractRow {
    id: i64,
    organisation_id: i64,
    organisation_name: String,
    buyer_siret: String,
    decp_id: String,
    kind: String,
    source: String,
    object: String,
    cpv: Option<String>,
    nature: Option<String>,
    nature_original: Option<String>,
    procedure: Option<String>,
    procedure_original: Option<String>,
    price_form: Option<String>,
    price_form_original: Option<String>,
    place_code: Option<String>,
    place_type: Option<String>,
    duration_months: Option<i64>,
    notified_on: Option<NaiveDate>,
    starts_on: Option<NaiveDate>,
    published_on: Option<NaiveDate>,
    amount_cents: Option<i64>,
    details: String,
}

const CONTRACT_COLUMNS: &str = "c.id, c.organisation_id, o.name AS organisation_name, c.buyer_siret, c.decp_id, c.kind, \
    c.source, c.object, c.cpv, c.nature, c.nature_original, c.procedure, c.procedure_original, \
    c.price_form, c.price_form_original, c.place_code, c.place_type, c.duration_months, \
    c.notified_on, c.starts_on, c.published_on, c.amount_cents, c.details";

/// Which organisations a listing covers.
enum Visibility {
    Own(i64),
    Territory,
}

impl Database {
    /// The scope's own contracts.
    pub async fn contracts_in_scope(
        &self,
        scope: &Scope,
        filter: &ContractFilter,
        cpv: &CpvNomenclature,
    ) -> Result<ContractPage> {
        self.list_contracts(Visibility::Own(scope.organisation_id()), filter, cpv)
            .await
    }

    /// Every member's contracts: the coordinator's territory-wide view.
    pub async fn contracts_territory_wide(
        &self,
        _wide: TerritoryWide,
        filter: &ContractFilter,
        cpv: &CpvNomenclature,
    ) -> Result<ContractPage> {
        self.list_contracts(Visibility::Territory, filter, cpv)
            .await
    }

    /// One contract, if the scope sees it.
    pub async fn contract_in_scope(
        &self,
        scope: &Scope,
        id: i64,
        cpv: &CpvNomenclature,
    ) -> Result<Option<ContractRecord>> {
        self.contract_by_id(id, Some(scope.organisation_id()), cpv)
            .await
    }

    pub async fn contract_territory_wide(
        &self,
        _wide: TerritoryWide,
        id: i64,
        cpv: &CpvNomenclature,
    ) -> Result<Option<ContractRecord>> {
        self.contract_by_id(id, None, cpv).await
    }

    async fn contract_by_id(
        &self,
        id: i64,
        organisation: Option<i64>,
        cpv: &CpvNomenclature,
    ) -> Result<Option<ContractRecord>> {
        let rows: Vec<ContractRow> = on_pool!(self, pool => {
            let mut q = sqlx::QueryBuilder::new(format!(
                "SELECT {CONTRACT_COLUMNS} FROM contracts c JOIN organisations o ON o.id = c.organisation_id WHERE c.id = "
            ));
            q.push_bind(id);
            if let Some(org) = organisation {
                q.push(" AND c.organisation_id = ").push_bind(org);
            }
            q.build_query_as().fetch_all(pool).await?
        });
        rows.into_iter().next().map(|r| record(r, cpv)).transpose()
    }

    async fn list_contracts(
        &self,
        visibility: Visibility,
        filter: &ContractFilter,
        cpv: &CpvNomenclature,
    ) -> Result<ContractPage> {
        let per_page = filter.per_page.clamp(1, 500);
        let (total, rows): (i64, Vec<ContractRow>) = on_pool!(self, pool => {
            let mut count = sqlx::QueryBuilder::new(
                "SELECT COUNT(*) FROM contracts c JOIN organisations o ON o.id = c.organisation_id WHERE 1 = 1",
            );
            push_filters(&mut count, &visibility, filter);
            let total: i64 = count.build_query_scalar().fetch_one(pool).await?;
            let mut q = sqlx::QueryBuilder::new(format!(
                "SELECT {CONTRACT_COLUMNS} FROM contracts c JOIN organisations o ON o.id = c.organisation_id WHERE 1 = 1"
            ));
            push_filters(&mut q, &visibility, filter);
            q.push(" ORDER BY ").push(filter.sort.sql());
            q.push(" LIMIT ").push_bind(i64::from(per_page));
            q.push(" OFFSET ").push_bind(i64::from(filter.page) * i64::from(per_page));
            (total, q.build_query_as().fetch_all(pool).await?)
        });
        Ok(ContractPage {
            total,
            records: rows
                .into_iter()
                .map(|r| record(r, cpv))
                .collect::<Result<_>>()?,
        })
    }

    /// Contracts of one buyer SIRET (or all) notified since a date, for the open-data exports
    /// the coordinator publishes. Reads across members: it takes the territory-wide escape.
    /// The members' shares of a groupement's award are left out: the exports publish the
    /// groupement's own record instead (`Database::groupement_publications`).
    pub async fn contracts_for_export(
        &self,
        _wide: TerritoryWide,
        buyer: Option<&Siret>,
        since: Option<NaiveDate>,
        cpv: &CpvNomenclature,
    ) -> Result<Vec<ContractRecord>> {
        let rows: Vec<ContractRow> = on_pool!(self, pool => {
            let mut q = sqlx::QueryBuilder::new(format!(
                "SELECT {CONTRACT_COLUMNS} FROM contracts c JOIN organisations o ON o.id = c.organisation_id WHERE c.groupement_id IS NULL"
            ));
            if let Some(siret) = buyer {
                q.push(" AND c.buyer_siret = ").push_bind(siret.as_str().to_owned());
            }
            if let Some(date) = since {
                q.push(" AND c.notified_on >= ").push_bind(date);
            }
            q.push(" ORDER BY c.buyer_siret, c.decp_id");
            q.build_query_as().fetch_all(pool).await?
        });
        rows.into_iter().map(|r| record(r, cpv)).collect()
    }

    /// How many contracts are stored.
    pub async fn contract_count(&self) -> Result<i64> {
        Ok(on_pool!(self, pool => {
            sqlx::query_scalar("SELECT COUNT(*) FROM contracts").fetch_one(pool).await?
        }))
    }
}

fn push_filters<DB: sqlx::Database>(
    q: &mut sqlx::QueryBuilder<'_, DB>,
    visibility: &Visibility,
    filter: &ContractFilter,
) where
    i64: for<'q> sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    String: for<'q> sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    NaiveDate: for<'q> sqlx::Encode<'q, DB> + sqlx::Type<DB>,
{
    match visibility {
        Visibility::Own(org) => {
            q.push(" AND c.organisation_id = ").push_bind(*org);
        }
        Visibility::Territory => {
            if let Some(org) = filter.organisation_id {
                q.push(" AND c.organisation_id = ").push_bind(org);
            }
        }
    }
    if let Some(prefix) = &filter.cpv_prefix {
        q.push(" AND c.cpv LIKE ").push_bind(format!("{prefix}%"));
    }
    if let Some(procedure) = &filter.procedure {
        q.push(" AND c.procedure = ").push_bind(procedure.clone());
    }
    if let Some(d) = filter.ends_from {
        q.push(" AND c.ends_on >= ").push_bind(d);
    }
    if let Some(d) = filter.ends_until {
        q.push(" AND c.ends_on <= ").push_bind(d);
    }
    if let Some(a) = filter.min_amount_cents {
        q.push(" AND c.current_amount_cents >= ").push_bind(a);
    }
    if let Some(a) = filter.max_amount_cents {
        q.push(" AND c.current_amount_cents <= ").push_bind(a);
    }
}

fn label(value: Option<String>, original: Option<String>) -> Label {
    Label { value, original }
}

pub(crate) fn corrupt(column: &'static str, value: &str, reason: impl ToString) -> StorageError {
    StorageError::Corrupt {
        table: "contracts",
        column,
        value: value.to_owned(),
        reason: reason.to_string(),
    }
}

fn record(r: ContractRow, cpv: &CpvNomenclature) -> Result<ContractRecord> {
    let details: Details =
        serde_json::from_str(&r.details).map_err(|e| corrupt("details", "…", e))?;
    let contract = Contract {
        id: r.decp_id,
        buyer: Siret::parse(&r.buyer_siret)
            .map_err(|e| corrupt("buyer_siret", &r.buyer_siret, e))?,
        buyer_name: details.buyer_name,
        kind: ContractKind::from_code(&r.kind)
            .ok_or_else(|| corrupt("kind", &r.kind, "inconnu"))?,
        source: ContractSource::from_code(&r.source)
            .ok_or_else(|| corrupt("source", &r.source, "inconnue"))?,
        nature: label(r.nature, r.nature_original),
        object: r.object,
        cpv: r
            .cpv
            .map(|c| cpv.parse(&c).map_err(|e| corrupt("cpv", &c, e)))
            .transpose()?,
        procedure: label(r.procedure, r.procedure_original),
        place: match (r.place_code, r.place_type) {
            (Some(code), Some(code_type)) => Some(Place { code, code_type }),
            _ => None,
        },
        duration_months: r.duration_months.and_then(|d| u32::try_from(d).ok()),
        notified_on: r.notified_on,
        starts_on: r.starts_on,
        published_on: r.published_on,
        amount: r.amount_cents.map(mutualis_domain::Amount::from_cents),
        price_form: label(r.price_form, r.price_form_original),
        operators: details.operators,
        modifications: details.modifications,
        subcontracting: details.subcontracting,
        decp2: details.decp2,
    };
    Ok(ContractRecord {
        id: r.id,
        organisation_id: r.organisation_id,
        organisation_name: r.organisation_name,
        contract,
    })
}
