//! The contracts an award creates, one per member per lot, written in the award's transaction,
//! and the contracts a groupement's award created.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, NaiveDate, Utc};
use mutualis_domain::contract::{Label, Operator};
use mutualis_domain::groupement::{Award, Groupement, member_contract_id};
use mutualis_domain::{
    Amount, Contract, ContractKind, ContractSource, CpvNomenclature, Siren, Siret,
};

use super::{GroupementContract, GroupementError};
use crate::contract_import::details_json;
use crate::hash_form::content_hash;
use crate::scope::Scope;
use crate::{Database, Result, StorageError, Tx, on_backend};

/// A contract to create at award.
pub(super) struct PlannedContract {
    pub(super) organisation_id: i64,
    pub(super) lot: u32,
    pub(super) contract: Contract,
    pub(super) details: String,
    pub(super) content_hash: String,
}

/// Writes the contracts of an award, and links them to their titulaire, inside the
/// transaction.
pub(super) async fn insert_contracts(
    tx: &mut Tx<'_>,
    groupement_id: i64,
    contracts: &[PlannedContract],
    now: DateTime<Utc>,
) -> Result<()> {
    for p in contracts {
        let c = &p.contract;
        let contract_id: i64 = on_backend!(tx, conn => {
            sqlx::query_scalar(
                "INSERT INTO contracts (organisation_id, buyer_siret, decp_id, kind, source, \
                 object, cpv, nature, nature_original, procedure, procedure_original, price_form, \
                 price_form_original, duration_months, notified_on, amount_cents, \
                 current_amount_cents, current_duration_months, ends_on, modification_count, \
                 details, content_hash, created_at, updated_at, groupement_id, groupement_lot, \
                 starts_on, identity_stem) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, \
                 $17, $18, $19, 0, $20, $21, $22, $22, $23, $24, $25, $3) RETURNING id",
            )
            .bind(p.organisation_id)
            .bind(c.buyer.as_str())
            .bind(&c.id)
            .bind(c.kind.code())
            .bind(c.source.code())
            .bind(&c.object)
            .bind(c.cpv.map(|code| code.code8()))
            .bind(&c.nature.value)
            .bind(&c.nature.original)
            .bind(&c.procedure.value)
            .bind(&c.procedure.original)
            .bind(&c.price_form.value)
            .bind(&c.price_form.original)
            .bind(c.duration_months.map(i64::from))
            .bind(c.notified_on)
            .bind(c.amount.map(|a| a.cents()))
            .bind(c.current_amount().map(|a| a.cents()))
            .bind(c.current_duration_months().map(i64::from))
            .bind(c.end_date())
            .bind(&p.details)
            .bind(&p.content_hash)
            .bind(now)
            .bind(groupement_id)
            .bind(i64::from(p.lot))
            .bind(c.starts_on)
            .fetch_one(&mut *conn)
            .await?
        });
        for siret in c.operators.iter().filter_map(Operator::siret) {
            let siren = siret.siren().to_string();
            on_backend!(tx, conn => {
                sqlx::query(
                    "INSERT INTO organisations (siren, name, kind, created_at, updated_at) \
                     VALUES ($1, $1, 'company', $2, $2) ON CONFLICT (siren) DO NOTHING",
                )
                .bind(&siren)
                .bind(now)
                .execute(&mut *conn)
                .await?;
                let supplier: i64 =
                    sqlx::query_scalar("SELECT id FROM organisations WHERE siren = $1")
                        .bind(&siren)
                        .fetch_one(&mut *conn)
                        .await?;
                sqlx::query(
                    "INSERT INTO establishments (organisation_id, siret) VALUES ($1, $2) \
                     ON CONFLICT (siret) DO NOTHING",
                )
                .bind(supplier)
                .bind(siret.as_str())
                .execute(&mut *conn)
                .await?;
                sqlx::query(
                    "INSERT INTO contract_suppliers (contract_id, organisation_id, \
                     supplier_organisation_id) VALUES ($1, $2, $3) \
                     ON CONFLICT (contract_id, supplier_organisation_id) DO NOTHING",
                )
                .bind(contract_id)
                .bind(p.organisation_id)
                .bind(supplier)
                .execute(&mut *conn)
                .await?;
            });
        }
    }
    Ok(())
}

impl Database {
    /// The contracts a groupement's award created, by lot then buyer: all of them for the
    /// coordinator, its own for a member.
    pub async fn groupement_contracts(
        &self,
        scope: &Scope,
        id: i64,
        cpv: &CpvNomenclature,
    ) -> Result<Vec<GroupementContract>, GroupementError> {
        let loaded = self
            .load(scope, id, cpv)
            .await?
            .ok_or(GroupementError::NotFound)?;
        type Row = (
            i64,
            i64,
            i64,
            String,
            String,
            Option<i64>,
            Option<NaiveDate>,
            Option<NaiveDate>,
        );
        let rows: Vec<Row> = on_backend!(self, pool => {
            // Contracts awarded before their start was recorded start on their notification.
            let mut q = sqlx::QueryBuilder::new(
                "SELECT id, organisation_id, groupement_lot, decp_id, buyer_siret, amount_cents, \
                 COALESCE(starts_on, notified_on), ends_on \
                 FROM contracts WHERE groupement_id = ",
            );
            q.push_bind(id);
            if !loaded.owner {
                q.push(" AND organisation_id = ").push_bind(scope.organisation_id());
            }
            q.push(" ORDER BY groupement_lot, buyer_siret");
            q.build_query_as().fetch_all(pool).await?
        });
        rows.into_iter()
            .map(
                |(
                    contract_id,
                    organisation_id,
                    lot,
                    decp_id,
                    buyer_siret,
                    cents,
                    starts_on,
                    ends_on,
                )| {
                    let lot = u32::try_from(lot).map_err(|e| StorageError::Corrupt {
                        table: "contracts",
                        column: "groupement_lot",
                        value: lot.to_string(),
                        reason: e.to_string(),
                    })?;
                    Ok(GroupementContract {
                        contract_id,
                        organisation_id,
                        lot,
                        decp_id,
                        buyer_siret,
                        amount: Amount::from_cents(cents.unwrap_or(0)),
                        starts_on,
                        ends_on,
                    })
                },
            )
            .collect()
    }

    /// The contracts an award creates, or why it cannot: a member without a SIRET.
    pub(super) async fn plan_contracts(
        &self,
        id: i64,
        g: &Groupement,
        award: &Award,
        notified_on: NaiveDate,
        orgs: &HashMap<Siren, i64>,
    ) -> Result<Vec<PlannedContract>, GroupementError> {
        let shares = g.member_shares(award).map_err(GroupementError::Refused)?;
        let buyers: Vec<&Siren> = {
            let mut b: Vec<&Siren> = shares.iter().map(|s| &s.member).collect();
            b.sort();
            b.dedup();
            b
        };
        let sirets = self.main_sirets(&buyers).await?;
        let missing: Vec<String> = buyers
            .iter()
            .filter(|s| !sirets.contains_key(s.as_str()))
            .map(|s| {
                let name = g.member(s).map_or("?", |m| m.name.as_str());
                format!("{name} (SIREN {s})")
            })
            .collect();
        if !missing.is_empty() {
            return Err(GroupementError::NoSiret(missing.join(", ")));
        }
        let operators = vec![Operator {
            id: award.supplier_siret.as_str().to_owned(),
            id_type: "SIRET".into(),
            name: None,
        }];
        let mut planned = Vec::with_capacity(shares.len());
        for share in shares {
            let (Some(lot), Some(member), Some(siret), Some(org)) = (
                g.lot(share.lot),
                g.member(&share.member),
                sirets.get(share.member.as_str()),
                orgs.get(&share.member),
            ) else {
                return Err(StorageError::Conflict(format!(
                    "part du lot {} sans lot, membre ou SIRET",
                    share.lot
                ))
                .into());
            };
            let buyer = Siret::parse(siret).map_err(|e| StorageError::Corrupt {
                table: "establishments",
                column: "siret",
                value: siret.clone(),
                reason: e.to_string(),
            })?;
            let publication = award.publication.as_ref();
            let label = |v: Option<&String>| Label {
                value: v.cloned(),
                original: None,
            };
            let notified_on = publication.map_or(notified_on, |p| p.notified_on);
            let (starts_on, _) = g.contract_period(notified_on);
            let contract = Contract {
                id: member_contract_id(id, lot.number, &share.member),
                buyer,
                buyer_name: Some(member.name.clone()),
                kind: ContractKind::Marche,
                source: ContractSource::Mutualis,
                nature: Label::v2("Marché"),
                object: g.lot_object(lot),
                cpv: Some(lot.cpv),
                procedure: label(publication.map(|p| &p.procedure)),
                place: publication.map(|p| p.place.clone()),
                duration_months: Some(g.duration_months),
                notified_on: Some(notified_on),
                starts_on: Some(starts_on),
                published_on: None,
                amount: Some(share.amount),
                price_form: label(publication.map(|p| &p.price_form)),
                operators: operators.clone(),
                modifications: Vec::new(),
                subcontracting: Vec::new(),
                decp2: None,
                repairs: Vec::new(),
            };
            let details = details_json(&contract)?;
            // The same hash as an import of this contract would compute.
            let content_hash =
                content_hash(&contract).map_err(|e| StorageError::Conflict(e.to_string()))?;
            planned.push(PlannedContract {
                organisation_id: *org,
                lot: lot.number,
                contract,
                details,
                content_hash,
            });
        }
        Ok(planned)
    }

    /// The head-office SIRET, or else the first known SIRET, of each SIREN that has one.
    pub(super) async fn main_sirets(&self, sirens: &[&Siren]) -> Result<BTreeMap<String, String>> {
        if sirens.is_empty() {
            return Ok(BTreeMap::new());
        }
        let rows: Vec<(String, String)> = on_backend!(self, pool => {
            let mut q = sqlx::QueryBuilder::new(
                "SELECT o.siren, e.siret FROM organisations o \
                 JOIN establishments e ON e.organisation_id = o.id WHERE o.siren IN (",
            );
            let mut list = q.separated(", ");
            for siren in sirens {
                list.push_bind(siren.as_str().to_owned());
            }
            q.push(") ORDER BY o.siren, e.is_head_office DESC, e.siret");
            q.build_query_as().fetch_all(pool).await?
        });
        let mut sirets = BTreeMap::new();
        for (siren, siret) in rows {
            sirets.entry(siren).or_insert(siret);
        }
        Ok(sirets)
    }
}
