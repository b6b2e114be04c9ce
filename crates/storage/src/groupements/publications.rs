//! What the open-data exports publish of the groupements' awards.

use std::collections::{BTreeMap, HashMap};

use chrono::NaiveDate;
use mutualis_domain::groupement::{Groupement, lot_contract_id};
use mutualis_domain::{CpvNomenclature, Siren, Siret};

use super::read::{GROUPEMENT_SELECT, GroupementRow};
use super::{GroupementPublication, GroupementPublications};
use crate::scope::TerritoryWide;
use crate::{Database, Result, on_backend};

impl Database {
    /// The names the database knows for the titulaires of a groupement's awards, by SIRET:
    /// the name of the organisation with the SIRET's SIREN (the titulaires of the imported
    /// DECP data, the supplier directory). A titulaire recorded without a name (an award
    /// records an unknown one under its SIREN) or unknown is left out.
    pub async fn award_supplier_names(&self, g: &Groupement) -> Result<BTreeMap<String, String>> {
        let mut sirets: Vec<&Siret> = g.awards.iter().map(|a| &a.supplier_siret).collect();
        sirets.sort();
        sirets.dedup();
        if sirets.is_empty() {
            return Ok(BTreeMap::new());
        }
        let rows: Vec<(String, String)> = on_backend!(self, pool => {
            let mut q =
                sqlx::QueryBuilder::new("SELECT siren, name FROM organisations WHERE siren IN (");
            let mut list = q.separated(", ");
            for siret in &sirets {
                list.push_bind(siret.siren().as_str().to_owned());
            }
            q.push(")");
            q.build_query_as().fetch_all(pool).await?
        });
        let names: HashMap<String, String> = rows
            .into_iter()
            .filter(|(siren, name)| !name.trim().is_empty() && name != siren)
            .collect();
        Ok(sirets
            .into_iter()
            .filter_map(|siret| {
                let name = names.get(siret.siren().as_str())?;
                Some((siret.as_str().to_owned(), name.clone()))
            })
            .collect())
    }

    /// What the DECP and OCDS exports publish for the groupements' awards (the members'
    /// contracts are left out of [`Database::contracts_for_export`]): one record per awarded
    /// lot under the coordinator's main SIRET ([`Groupement::published_contracts`]), with the
    /// members who share it. `buyer` keeps the coordinator's SIRET only; `since` the records
    /// notified on or after it (a record without notification date is then left out, as a
    /// stored contract would be). By groupement, then lot.
    pub async fn groupement_publications(
        &self,
        _wide: TerritoryWide,
        buyer: Option<&Siret>,
        since: Option<NaiveDate>,
        cpv: &CpvNomenclature,
    ) -> Result<GroupementPublications> {
        let rows: Vec<GroupementRow> = on_backend!(self, pool => {
            sqlx::query_as(&format!("{GROUPEMENT_SELECT} ORDER BY g.id"))
                .fetch_all(pool)
                .await?
        });
        let mut out = GroupementPublications::default();
        for row in rows {
            let stored = row.into_stored(cpv)?;
            let g = &stored.groupement;
            if g.awards.is_empty() {
                continue;
            }
            let members: Vec<&Siren> = g.members.iter().map(|m| &m.siren).collect();
            let sirets = self.main_sirets(&members).await?;
            let Some(coordinator) = sirets
                .get(g.coordinator.as_str())
                .and_then(|s| Siret::parse(s).ok())
            else {
                out.without_siret
                    .push(format!("{} (SIREN {})", g.title, g.coordinator));
                continue;
            };
            for contract in g.published_contracts(stored.id, &coordinator) {
                if buyer.is_some_and(|b| *b != contract.buyer)
                    || since.is_some_and(|d| contract.notified_on.is_none_or(|n| n < d))
                {
                    continue;
                }
                let lot = g
                    .lots
                    .iter()
                    .find(|l| lot_contract_id(stored.id, l.number) == contract.id);
                let shares = lot
                    .and_then(|l| g.award_of(l.number))
                    .and_then(|a| g.member_shares(a).ok())
                    .unwrap_or_default();
                let mut co_buyers: Vec<Siret> = shares
                    .iter()
                    .filter(|s| lot.is_some_and(|l| l.number == s.lot))
                    .filter_map(|s| sirets.get(s.member.as_str()))
                    .filter_map(|s| Siret::parse(s).ok())
                    .collect();
                co_buyers.dedup();
                out.records.push(GroupementPublication {
                    groupement_id: stored.id,
                    contract,
                    co_buyers,
                });
            }
        }
        Ok(out)
    }
}
