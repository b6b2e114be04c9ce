//! The plausibility flags of the stored contracts (`domain::plausibility`): placeholders,
//! implausible amounts among all the stored contracts, works published under another CPV.
//! Recomputed whole after an import that changed something (`mutualis import decp`, the
//! import job), since an amount is judged against all the others.

use mutualis_domain::opportunity::ContractFacts;
use mutualis_domain::plausibility::placeholders::operator_flag;
use mutualis_domain::plausibility::works::works_evidence;
use mutualis_domain::plausibility::{BuyerProfile, FlagKind, flag_facts};
use mutualis_reference::cpv::nomenclature;
use mutualis_reference::plausibility::plausibility;
use mutualis_storage::Database;
use mutualis_storage::contract_flags::StoredFlags;

use crate::{AppError, blocking};

/// What a computation found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FlagSummary {
    /// Contracts looked at.
    pub contracts: usize,
    pub placeholder_amounts: usize,
    pub placeholder_operators: usize,
    /// Implausible amounts, "suspect" and "aberrant".
    pub suspect_amounts: usize,
    pub aberrant_amounts: usize,
    /// Works published under a supplies or services CPV.
    pub works: usize,
}

/// Recomputes and stores the flags of every stored contract.
pub async fn recompute_flags(db: &Database) -> Result<FlagSummary, AppError> {
    // Each contract reduced to its facts as it is read (its object and titulaires looked at,
    // then dropped): memory holds the facts of every contract, not their texts.
    let rules = plausibility();
    let mut populations = std::collections::HashMap::new();
    let reduced = db
        .plausibility_inputs_reduced(nomenclature(), |i| {
            if let Some(p) = i.population {
                populations.insert(i.buyer.clone(), p);
            }
            let facts = ContractFacts {
                works: works_evidence(i.cpv, i.ccag.as_deref(), &i.object, &rules.works),
                flags: operator_flag(&i.operators, &rules.placeholders)
                    .into_iter()
                    .collect(),
                id: i.decp_id,
                record_id: Some(i.contract_id),
                buyer: i.buyer,
                buyer_name: None,
                object: String::new(),
                cpv: i.cpv,
                ends_on: i.ends_on,
                amount: i.amount,
                duration_months: i.duration_months,
                suppliers: Vec::new(),
                groupement: false,
            };
            ((i.contract_id, i.organisation_id), facts)
        })
        .await?;
    let (found, summary) = blocking::run(move || {
        let (ids, mut facts): (Vec<(i64, i64)>, Vec<ContractFacts>) = reduced.into_iter().unzip();
        flag_facts(&mut facts, rules, |siren| {
            BuyerProfile::of(siren, populations.get(siren).copied(), &rules.model)
        });
        let mut summary = FlagSummary {
            contracts: facts.len(),
            ..FlagSummary::default()
        };
        let found: Vec<(i64, i64, StoredFlags)> = ids
            .into_iter()
            .zip(facts)
            .filter(|(_, f)| !f.flags.is_empty() || f.works.is_some())
            .map(|((id, org), f)| {
                summary.works += usize::from(f.works.is_some());
                for flag in &f.flags {
                    match (flag.kind, flag.excludes_amount()) {
                        (FlagKind::PlaceholderAmount, _) => summary.placeholder_amounts += 1,
                        (FlagKind::PlaceholderOperator, _) => summary.placeholder_operators += 1,
                        (FlagKind::ImplausibleAmount, true) => summary.aberrant_amounts += 1,
                        (FlagKind::ImplausibleAmount, false) => summary.suspect_amounts += 1,
                    }
                }
                (
                    id,
                    org,
                    StoredFlags {
                        flags: f.flags,
                        works: f.works,
                    },
                )
            })
            .collect();
        (found, summary)
    })
    .await?;
    db.replace_contract_flags(&found).await?;
    Ok(summary)
}

impl FlagSummary {
    /// One line in French, for the import's summary.
    pub fn sentence(&self) -> String {
        format!(
            "Contrôle de plausibilité sur {} contrat(s) : {} montant(s) fictif(s), {} titulaire(s) fictif(s), {} montant(s) invraisemblable(s) (écartés des chiffres) et {} suspect(s), {} contrat(s) de travaux publiés sous un autre code CPV.",
            self.contracts,
            self.placeholder_amounts,
            self.placeholder_operators,
            self.aberrant_amounts,
            self.suspect_amounts,
            self.works
        )
    }
}
