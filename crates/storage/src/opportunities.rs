//! What the opportunity engine reads from the database: the facts of the published contracts
//! and who their buyers are.
//!
//! Contracts imported from DECP are open data: any member may see them, and the engine needs
//! every buyer's to find partners. So these facts are read without a scope, but only for
//! contracts whose source is a DECP publication; contracts entered in Mutualis and declared
//! needs stay behind their scope.

use std::collections::HashMap;

use chrono::NaiveDate;
use mutualis_domain::opportunity::{BuyerInfo, ContractFacts};
use mutualis_domain::rules::BuyerKind;
use mutualis_domain::{ContractSource, CpvNomenclature, OrganisationKind, Siren, Siret};

use crate::contracts::corrupt;
use crate::{Database, Result, on_backend};

/// The published contracts of some buyers, and those buyers' names and kinds.
#[derive(Debug, Default)]
pub struct PublishedFacts {
    pub contracts: Vec<ContractFacts>,
    pub buyers: HashMap<Siren, BuyerInfo>,
}

type FactRow = (
    i64,
    String,
    String,
    String,
    String,
    String,
    Option<String>,
    Option<NaiveDate>,
    Option<i64>,
    Option<i64>,
    String,
);

impl Database {
    /// The facts of the contracts published as DECP, of the buyers named (all buyers when
    /// `buyers` is `None`). `suppliers_of_interest` are the SIRENs (central purchasing bodies)
    /// whose presence among a contract's titulaires the engine must know; other suppliers are
    /// left out, which keeps a million contracts cheap to read.
    pub async fn published_contract_facts(
        &self,
        buyers: Option<&[Siren]>,
        suppliers_of_interest: &[Siren],
        cpv: &CpvNomenclature,
    ) -> Result<PublishedFacts> {
        let published = [ContractSource::Decp1.code(), ContractSource::Decp2.code()];
        let rows: Vec<FactRow> = on_backend!(self, pool => {
            let mut q = sqlx::QueryBuilder::new(
                "SELECT c.id, c.decp_id, c.buyer_siret, o.name, o.kind, c.object, c.cpv, c.ends_on, \
                 c.current_amount_cents, c.current_duration_months, c.kind \
                 FROM contracts c JOIN organisations o ON o.id = c.organisation_id \
                 WHERE c.source IN (",
            );
            let mut list = q.separated(", ");
            for s in published {
                list.push_bind(s);
            }
            q.push(")");
            if let Some(buyers) = buyers {
                if buyers.is_empty() {
                    return Ok(PublishedFacts::default());
                }
                q.push(" AND o.siren IN (");
                let mut list = q.separated(", ");
                for b in buyers {
                    list.push_bind(b.as_str().to_owned());
                }
                q.push(")");
            }
            q.push(" ORDER BY c.id");
            q.build_query_as().fetch_all(pool).await?
        });
        let mut suppliers: HashMap<i64, Vec<Siren>> = HashMap::new();
        if !suppliers_of_interest.is_empty() {
            let links: Vec<(i64, String)> = on_backend!(self, pool => {
                let mut q = sqlx::QueryBuilder::new(
                    "SELECT cs.contract_id, s.siren FROM contract_suppliers cs \
                     JOIN organisations s ON s.id = cs.supplier_organisation_id WHERE s.siren IN (",
                );
                let mut list = q.separated(", ");
                for s in suppliers_of_interest {
                    list.push_bind(s.as_str().to_owned());
                }
                q.push(")");
                q.build_query_as().fetch_all(pool).await?
            });
            for (contract_id, siren) in links {
                let siren =
                    Siren::parse_published(&siren).map_err(|e| corrupt("siren", &siren, e))?;
                suppliers.entry(contract_id).or_default().push(siren);
            }
        }
        // What the plausibility checks found (`contract_flags`), by contract.
        let mut flags = self.all_contract_flags().await?;
        let mut facts = PublishedFacts::default();
        facts.contracts.reserve(rows.len());
        for (
            id,
            decp_id,
            siret,
            name,
            kind,
            object,
            code,
            ends_on,
            amount,
            duration,
            contract_kind,
        ) in rows
        {
            // The SIREN as the import derived it, from the buyer's SIRET (whose check key is
            // the SIRET's, not the SIREN's).
            let buyer = Siret::parse_published(&siret)
                .map_err(|e| corrupt("buyer_siret", &siret, e))?
                .siren();
            if !facts.buyers.contains_key(&buyer) {
                let kind = match OrganisationKind::from_code(&kind) {
                    Some(OrganisationKind::State) => BuyerKind::State,
                    _ => BuyerKind::LocalAuthority,
                };
                facts.buyers.insert(buyer.clone(), BuyerInfo { name, kind });
            }
            facts.contracts.push(ContractFacts {
                id: decp_id,
                record_id: Some(id),
                buyer,
                buyer_name: None,
                object,
                cpv: code
                    .map(|c| cpv.parse(&c).map_err(|e| corrupt("cpv", &c, e)))
                    .transpose()?,
                ends_on,
                amount: amount.map(mutualis_domain::Amount::from_cents),
                duration_months: duration.and_then(|d| u32::try_from(d).ok()),
                suppliers: suppliers.remove(&id).unwrap_or_default(),
                groupement: false,
                concession: contract_kind == mutualis_domain::ContractKind::Concession.code(),
                flags: Vec::new(),
                works: None,
            });
            if let Some(found) = flags.remove(&id)
                && let Some(last) = facts.contracts.last_mut()
            {
                last.flags = found.flags;
                last.works = found.works;
            }
        }
        Ok(facts)
    }
}
