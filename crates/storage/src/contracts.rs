//! Contracts: the scoped reads of the contract pages and exports (the import writes them,
//! see `contract_import`).

use chrono::NaiveDate;
use mutualis_domain::contract::{
    Decp2Fields, Label, Modification, Operator, Place, Subcontracting,
};
use mutualis_domain::{Contract, ContractKind, ContractSource, CpvNomenclature, Repair, Siret};
use serde::Deserialize;

use crate::contract_import::{ContractVersion, DETAILS_FORMAT, read_versions};
use crate::scope::{Scope, TerritoryWide};
use crate::{Database, Result, StorageError, on_backend};

/// The parts of a contract stored as one JSON document (absent values left out), written by
/// `contract_import::details_json`.
#[derive(Deserialize)]
struct Details {
    /// The format version; absent (version 1) from the documents written before.
    #[serde(default = "format_1")]
    v: u32,
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
    #[serde(default)]
    repairs: Vec<Repair>,
}

fn format_1() -> u32 {
    1
}

/// A contract as stored, with its database id and buyer organisation.
#[derive(Debug, Clone)]
pub struct ContractRecord {
    pub id: i64,
    pub organisation_id: i64,
    pub organisation_name: String,
    pub contract: Contract,
    /// Its earlier publications (a 1.x republication under a new id suffix or a new
    /// publication date), oldest first; empty when it was published once. The contract is
    /// its newest publication.
    pub earlier_versions: Vec<ContractVersion>,
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
    versions: Option<String>,
}

const CONTRACT_COLUMNS: &str = "c.id, c.organisation_id, o.name AS organisation_name, c.buyer_siret, c.decp_id, c.kind, \
    c.source, c.object, c.cpv, c.nature, c.nature_original, c.procedure, c.procedure_original, \
    c.price_form, c.price_form_original, c.place_code, c.place_type, c.duration_months, \
    c.notified_on, c.starts_on, c.published_on, c.amount_cents, c.details, c.versions";

/// Which organisations a listing covers.
enum Visibility {
    Own(i64),
    Territory,
}

impl Database {
    /// The scope's own contracts; none for a role without a member's data.
    pub async fn contracts_in_scope(
        &self,
        scope: &Scope,
        filter: &ContractFilter,
        cpv: &CpvNomenclature,
    ) -> Result<ContractPage> {
        let Some(own) = scope.member_data() else {
            return Ok(ContractPage {
                total: 0,
                records: Vec::new(),
            });
        };
        self.list_contracts(Visibility::Own(own), filter, cpv).await
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
        let Some(own) = scope.member_data() else {
            return Ok(None);
        };
        self.contract_by_id(id, Some(own), cpv).await
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
        let rows: Vec<ContractRow> = on_backend!(self, pool => {
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
        let (total, rows): (i64, Vec<ContractRow>) = on_backend!(self, pool => {
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
        let rows: Vec<ContractRow> = on_backend!(self, pool => {
            let mut q = sqlx::QueryBuilder::new(format!(
                "SELECT {CONTRACT_COLUMNS} FROM contracts c JOIN organisations o ON o.id = c.organisation_id WHERE c.groupement_id IS NULL"
            ));
            if let Some(siret) = buyer {
                q.push(" AND c.buyer_siret = ").push_bind(siret.as_str().to_owned());
            }
            if let Some(date) = since {
                q.push(" AND c.notified_on >= ").push_bind(date);
            }
            q.push(" ORDER BY c.buyer_siret, c.decp_id, c.id");
            q.build_query_as().fetch_all(pool).await?
        });
        let mut records = rows
            .into_iter()
            .map(|r| record(r, cpv))
            .collect::<Result<Vec<_>>>()?;
        export_ids(&mut records);
        Ok(records)
    }

    /// How many contracts are stored.
    pub async fn contract_count(&self) -> Result<i64> {
        Ok(on_backend!(self, pool => {
            sqlx::query_scalar("SELECT COUNT(*) FROM contracts").fetch_one(pool).await?
        }))
    }
}

/// Distinct contracts published under one id by one buyer (lots, see ARCHITECTURE.md, "Identity
/// of a contract") are exported under distinct ids, so that a DECP file or an OCDS package keeps
/// them apart (one ocid each): the first stored keeps the id as published, the next ones take
/// `-2`, `-3`… after it, in the order they were stored. `records` is sorted by buyer, id and
/// database id.
fn export_ids(records: &mut [ContractRecord]) {
    let mut last: Option<(String, String)> = None;
    let mut rank = 1;
    for r in records.iter_mut() {
        let key = (r.contract.buyer.as_str().to_owned(), r.contract.id.clone());
        if last.as_ref() == Some(&key) {
            rank += 1;
            r.contract.id = format!("{}-{rank}", key.1);
        } else {
            rank = 1;
            last = Some(key);
        }
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
    if details.v != DETAILS_FORMAT {
        return Err(corrupt(
            "details",
            &r.details.chars().take(80).collect::<String>(),
            format!(
                "format {} inconnu : cette version de Mutualis lit le format {DETAILS_FORMAT}",
                details.v
            ),
        ));
    }
    let contract = Contract {
        id: r.decp_id,
        buyer: Siret::parse_published(&r.buyer_siret)
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
        repairs: details.repairs,
    };
    Ok(ContractRecord {
        id: r.id,
        organisation_id: r.organisation_id,
        organisation_name: r.organisation_name,
        contract,
        earlier_versions: read_versions(r.versions.as_deref())?,
    })
}
