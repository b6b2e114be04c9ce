//! What the plausibility checks found on the stored contracts (`domain::plausibility`): the
//! few facts they read of every contract, and their answer, stored whole in
//! `contract_flags` (replaced at each computation), read back by the engine's facts and the
//! contract page.
//!
//! The table holds the flags by their kind's code, and the works evidence under the kind
//! `works` (level `note`): a contract whose CCAG or object says works though its CPV does
//! not.

use std::collections::HashMap;

use chrono::NaiveDate;
use futures::TryStreamExt;
use mutualis_domain::contract::{Decp2Fields, Modification, Operator};
use mutualis_domain::plausibility::{ContractFlag, FlagKind, FlagLevel};
use mutualis_domain::{Amount, CpvCode, CpvNomenclature, Siren, Siret};
use serde::Deserialize;

use crate::contracts::corrupt;
use crate::copy_text::CopyLine;
use crate::{Database, Result, StorageError, on_backend};

/// The kind under which the works evidence is stored.
const WORKS: &str = "works";
const WORKS_LEVEL: &str = "note";
const INSERT_CHUNK: usize = 500;

/// What the checks read of a stored contract.
#[derive(Debug, Clone)]
pub struct PlausibilityInput {
    pub contract_id: i64,
    /// The buyer's organisation.
    pub organisation_id: i64,
    pub decp_id: String,
    pub buyer: Siren,
    /// A concession, not a marché.
    pub concession: bool,
    pub object: String,
    pub cpv: Option<CpvCode>,
    pub ends_on: Option<NaiveDate>,
    /// After modifications.
    pub amount: Option<Amount>,
    /// After modifications.
    pub duration_months: Option<u32>,
    /// The current titulaires (those of the last modification that names any).
    pub operators: Vec<Operator>,
    /// The CCAG the contract refers to (DECP 2.0).
    pub ccag: Option<String>,
    /// The buyer organisation's population, when known (the territory's communes).
    pub population: Option<u32>,
}

/// What the checks found on a contract.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StoredFlags {
    pub flags: Vec<ContractFlag>,
    /// Why it is works though its CPV code is not, in French.
    pub works: Option<String>,
}

/// The part of the details document the checks read.
#[derive(Deserialize)]
struct DetailsPart {
    #[serde(default)]
    operators: Vec<Operator>,
    #[serde(default)]
    modifications: Vec<Modification>,
    #[serde(default)]
    decp2: Option<Decp2Fields>,
}

type InputRow = (
    i64,
    i64,
    String,
    String,
    String,
    Option<String>,
    Option<NaiveDate>,
    Option<i64>,
    Option<i64>,
    String,
    Option<i64>,
    String,
);

impl Database {
    /// What the checks read of every stored contract, in id order.
    pub async fn plausibility_inputs(
        &self,
        cpv: &CpvNomenclature,
    ) -> Result<Vec<PlausibilityInput>> {
        self.plausibility_inputs_reduced(cpv, |input| input).await
    }

    /// What the checks read of every stored contract, in id order, each reduced by `reduce`
    /// as it is read: a million contracts' texts and titulaires are never held at once, only
    /// what `reduce` keeps of them.
    pub async fn plausibility_inputs_reduced<T>(
        &self,
        cpv: &CpvNomenclature,
        mut reduce: impl FnMut(PlausibilityInput) -> T,
    ) -> Result<Vec<T>> {
        let out: Vec<T> = on_backend!(self, pool => {
            let mut rows = sqlx::query_as::<_, InputRow>(
                "SELECT c.id, c.organisation_id, c.decp_id, c.buyer_siret, c.object, c.cpv, c.ends_on, \
                 c.current_amount_cents, c.current_duration_months, c.details, o.population, c.kind \
                 FROM contracts c JOIN organisations o ON o.id = c.organisation_id ORDER BY c.id",
            )
            .fetch(pool);
            let mut out = Vec::new();
            while let Some(row) = rows.try_next().await? {
                out.push(reduce(input(row, cpv)?));
            }
            out
        });
        Ok(out)
    }

    /// Replaces every stored flag with `found` (by contract id and its buyer organisation), in
    /// one transaction.
    pub async fn replace_contract_flags(&self, found: &[(i64, i64, StoredFlags)]) -> Result<()> {
        let rows: Vec<(i64, i64, &str, &str, &str)> = found
            .iter()
            .flat_map(|(id, org, f)| {
                f.flags
                    .iter()
                    .map(move |flag| {
                        (
                            *id,
                            *org,
                            flag.kind.code(),
                            flag.level.code(),
                            flag.reason.as_str(),
                        )
                    })
                    .chain(
                        f.works
                            .as_deref()
                            .map(|w| (*id, *org, WORKS, WORKS_LEVEL, w)),
                    )
            })
            .collect();
        match self.split() {
            crate::Backends::Sqlite(pool) => {
                let mut tx = pool.begin().await?;
                sqlx::query("DELETE FROM contract_flags")
                    .execute(&mut *tx)
                    .await?;
                for chunk in rows.chunks(INSERT_CHUNK) {
                    let mut q = sqlx::QueryBuilder::new(
                        "INSERT INTO contract_flags (contract_id, organisation_id, kind, level, reason) ",
                    );
                    q.push_values(chunk.iter(), |mut row, (id, org, kind, level, reason)| {
                        row.push_bind(*id)
                            .push_bind(*org)
                            .push_bind(*kind)
                            .push_bind(*level)
                            .push_bind(*reason);
                    });
                    q.build().execute(&mut *tx).await?;
                }
                tx.commit().await?;
            }
            // PostgreSQL takes the rows by COPY: a hundred thousand flags in one statement.
            crate::Backends::Postgres(pool) => {
                let mut tx = pool.begin().await?;
                sqlx::query("DELETE FROM contract_flags")
                    .execute(&mut *tx)
                    .await?;
                if !rows.is_empty() {
                    let mut text = String::with_capacity(rows.len() * 64);
                    for (id, org, kind, level, reason) in &rows {
                        CopyLine::new(&mut text)
                            .shown(Some(id))
                            .shown(Some(org))
                            .text(Some(kind))
                            .text(Some(level))
                            .text(Some(reason))
                            .end();
                    }
                    let mut copy = tx
                        .copy_in_raw(
                            "COPY contract_flags (contract_id, organisation_id, kind, level, reason) \
                             FROM STDIN",
                        )
                        .await?;
                    copy.send(text.as_bytes()).await?;
                    copy.finish().await?;
                }
                tx.commit().await?;
            }
        }
        Ok(())
    }

    /// The stored flags of every contract that has any.
    pub async fn all_contract_flags(&self) -> Result<HashMap<i64, StoredFlags>> {
        let rows: Vec<(i64, String, String, String)> = on_backend!(self, pool => {
            sqlx::query_as(
                "SELECT contract_id, kind, level, reason FROM contract_flags \
                 ORDER BY contract_id, kind",
            )
            .fetch_all(pool)
            .await?
        });
        let mut out: HashMap<i64, StoredFlags> = HashMap::new();
        for row in rows {
            add_row(&mut out, row)?;
        }
        Ok(out)
    }

    /// The stored flags of one contract (none when it has none, or does not exist).
    pub async fn contract_flags(&self, contract_id: i64) -> Result<StoredFlags> {
        let rows: Vec<(i64, String, String, String)> = on_backend!(self, pool => {
            sqlx::query_as(
                "SELECT contract_id, kind, level, reason FROM contract_flags \
                 WHERE contract_id = $1 ORDER BY kind",
            )
            .bind(contract_id)
            .fetch_all(pool)
            .await?
        });
        let mut out = HashMap::new();
        for row in rows {
            add_row(&mut out, row)?;
        }
        Ok(out.remove(&contract_id).unwrap_or_default())
    }

    /// The stored flags of the given contracts that have any (a page of a listing).
    pub async fn contract_flags_of(
        &self,
        contract_ids: &[i64],
    ) -> Result<HashMap<i64, StoredFlags>> {
        let mut out = HashMap::new();
        for chunk in contract_ids.chunks(INSERT_CHUNK) {
            let rows: Vec<(i64, String, String, String)> = on_backend!(self, pool => {
                let mut q = sqlx::QueryBuilder::new(
                    "SELECT contract_id, kind, level, reason FROM contract_flags WHERE contract_id IN (",
                );
                let mut list = q.separated(", ");
                for id in chunk {
                    list.push_bind(*id);
                }
                q.push(") ORDER BY contract_id, kind");
                q.build_query_as().fetch_all(pool).await?
            });
            for row in rows {
                add_row(&mut out, row)?;
            }
        }
        Ok(out)
    }
}

fn input(
    (
        id,
        organisation_id,
        decp_id,
        siret,
        object,
        code,
        ends_on,
        amount,
        duration,
        details,
        population,
        kind,
    ): InputRow,
    cpv: &CpvNomenclature,
) -> Result<PlausibilityInput> {
    let part: DetailsPart =
        serde_json::from_str(&details).map_err(|e| corrupt("details", "…", e))?;
    let buyer = Siret::parse_published(&siret)
        .map_err(|e| corrupt("buyer_siret", &siret, e))?
        .siren();
    Ok(PlausibilityInput {
        contract_id: id,
        organisation_id,
        decp_id,
        buyer,
        concession: kind == mutualis_domain::ContractKind::Concession.code(),
        object,
        cpv: code
            .map(|c| cpv.parse(&c).map_err(|e| corrupt("cpv", &c, e)))
            .transpose()?,
        ends_on,
        amount: amount.map(Amount::from_cents),
        duration_months: duration.and_then(|d| u32::try_from(d).ok()),
        operators: current_operators(part.operators, part.modifications),
        ccag: part.decp2.and_then(|d| d.ccag),
        population: population.and_then(|p| u32::try_from(p).ok()),
    })
}

fn flag_corrupt(column: &'static str, value: &str) -> StorageError {
    StorageError::Corrupt {
        table: "contract_flags",
        column,
        value: value.to_owned(),
        reason: "inconnu".to_owned(),
    }
}

fn add_row(
    out: &mut HashMap<i64, StoredFlags>,
    (id, kind, level, reason): (i64, String, String, String),
) -> Result<()> {
    let entry = out.entry(id).or_default();
    if kind == WORKS {
        entry.works = Some(reason);
        return Ok(());
    }
    entry.flags.push(ContractFlag {
        kind: FlagKind::from_code(&kind).ok_or_else(|| flag_corrupt("kind", &kind))?,
        level: FlagLevel::from_code(&level).ok_or_else(|| flag_corrupt("level", &level))?,
        reason,
    });
    Ok(())
}

/// As `Contract::current_operators`: those of the last modification, in publication order,
/// that names any, else the original ones.
fn current_operators(original: Vec<Operator>, modifications: Vec<Modification>) -> Vec<Operator> {
    let mut mods: Vec<(usize, Modification)> = modifications.into_iter().enumerate().collect();
    mods.sort_by_key(|(i, m)| (m.published_on, m.signed_on, *i));
    mods.into_iter()
        .rev()
        .map(|(_, m)| m.new_operators)
        .find(|ops| !ops.is_empty())
        .unwrap_or(original)
}
