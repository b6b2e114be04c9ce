//! The plausibility flags of the stored contracts (`domain::plausibility`): placeholders,
//! implausible amounts among all the stored contracts, works published under another CPV.
//! Recomputed whole after an import that changed something (`mutualis import decp`, the
//! import job), since an amount is judged against all the others.

use std::collections::HashMap;

use mutualis_domain::plausibility::placeholders::operator_flag;
use mutualis_domain::plausibility::works::works_evidence;
use mutualis_domain::plausibility::{
    AmountSample, BuyerProfile, ContractFlag, FlagKind, amount_flags,
};
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
    // Each contract is reduced, as it is read, to its ids and its `AmountSample` (a few dozen
    // bytes); what its object and titulaires say (works evidence, a placeholder titulaire) is
    // judged there and kept only when found. Memory holds a million samples, not a million
    // contracts.
    let rules = plausibility();
    // The contracts where the reading found something, by index: the works evidence as an
    // index in `reasons` (a few distinct sentences for many contracts), a placeholder
    // titulaire.
    let mut noted: Vec<(usize, Option<usize>, Option<ContractFlag>)> = Vec::new();
    let mut reasons: Vec<String> = Vec::new();
    let mut reason_index: HashMap<String, usize> = HashMap::new();
    // Sized once from the count (a vector grown by doubling would hold up to twice it).
    let count = usize::try_from(db.contract_count().await?).unwrap_or(0);
    let mut ids: Vec<(i64, i64)> = Vec::with_capacity(count);
    let mut samples: Vec<AmountSample> = Vec::with_capacity(count);
    db.plausibility_inputs_reduced(nomenclature(), |i| {
        let works = works_evidence(i.cpv, i.ccag.as_deref(), &i.object, &rules.works);
        let operator = operator_flag(&i.operators, &rules.placeholders);
        let sample = AmountSample {
            amount: i.amount,
            duration_months: i.duration_months,
            cpv: i.cpv,
            works: works.is_some(),
            concession: i.concession,
            buyer: BuyerProfile::of(&i.buyer, i.population, &rules.model),
        };
        if works.is_some() || operator.is_some() {
            let works = works.map(|w| {
                *reason_index.entry(w).or_insert_with_key(|w| {
                    reasons.push(w.clone());
                    reasons.len() - 1
                })
            });
            noted.push((samples.len(), works, operator));
        }
        ids.push((i.contract_id, i.organisation_id));
        samples.push(sample);
    })
    .await?;
    let (found, summary) = blocking::run(move || {
        let amounts = amount_flags(&mut samples, rules);
        drop(samples);
        let mut summary = FlagSummary {
            contracts: ids.len(),
            ..FlagSummary::default()
        };
        // Both lists are in index order, each index once: merged into one list of flagged
        // contracts, in index order.
        let mut amounts = amounts.into_iter().peekable();
        let mut noted = noted.into_iter().peekable();
        let mut found: Vec<(i64, i64, StoredFlags)> = Vec::new();
        loop {
            let next_noted = noted.peek().map(|(i, _, _)| *i);
            let next_amount = amounts.peek().map(|(i, _)| *i);
            let i = match (next_noted, next_amount) {
                (None, None) => break,
                (Some(n), Some(a)) => n.min(a),
                (Some(n), None) => n,
                (None, Some(a)) => a,
            };
            let mut f = StoredFlags::default();
            if let Some((_, works, operator)) = noted.next_if(|(n, _, _)| *n == i) {
                f.flags.extend(operator);
                f.works = works.map(|w| reasons[w].clone());
            }
            if let Some((_, flag)) = amounts.next_if(|(a, _)| *a == i) {
                f.flags.push(flag);
            }
            summary.works += usize::from(f.works.is_some());
            for flag in &f.flags {
                match (flag.kind, flag.excludes_amount()) {
                    (FlagKind::PlaceholderAmount, _) => summary.placeholder_amounts += 1,
                    (FlagKind::PlaceholderOperator, _) => summary.placeholder_operators += 1,
                    (FlagKind::ImplausibleAmount, true) => summary.aberrant_amounts += 1,
                    (FlagKind::ImplausibleAmount, false) => summary.suspect_amounts += 1,
                }
            }
            let (id, org) = ids[i];
            found.push((id, org, f));
        }
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
