//! The procedure each buyer would use alone and the one the pooled purchase requires, with the
//! rules applied and the reason in French.

use crate::amount::Amount;
use crate::rules::{Procedure, ProcedureDecision, ProcedureThresholds};

use super::{AloneProcedure, AppliedRule, ProcedureChoice};

/// The thresholds that place an amount in `procedure`: the one it reaches, then the one it
/// stays below (as [`ProcedureDecision`] gives them).
pub(super) fn applied_rules(t: &ProcedureThresholds, procedure: Procedure) -> Vec<AppliedRule> {
    match procedure {
        Procedure::NoPublicity => vec![AppliedRule::from(&t.no_publicity)],
        Procedure::Adapted => vec![AppliedRule::from(&t.no_publicity), AppliedRule::from(&t.eu)],
        Procedure::Formal => vec![AppliedRule::from(&t.eu)],
    }
}

impl From<&crate::rules::AppliedThreshold> for AppliedRule {
    fn from(a: &crate::rules::AppliedThreshold) -> AppliedRule {
        AppliedRule {
            rule_id: a.rule_id.clone(),
            value_cents: a.value.cents(),
            source: a.source.clone(),
        }
    }
}

pub(super) fn choice(decision: &ProcedureDecision) -> ProcedureChoice {
    ProcedureChoice {
        estimated_cents: decision.estimated.cents(),
        procedure: decision.procedure,
        label: decision.procedure.label().to_owned(),
        rules: decision
            .lower
            .iter()
            .chain(decision.upper.iter())
            .map(AppliedRule::from)
            .collect(),
        explanation: decision.explanation(),
    }
}

pub(super) fn procedure_reason(
    pooled: &ProcedureChoice,
    alone: &[AloneProcedure],
    duration: u32,
) -> String {
    let lighter: Vec<String> = alone
        .iter()
        .filter(|a| a.procedure < pooled.procedure)
        .map(|a| format!("{} ({})", a.name, a.label))
        .collect();
    let threshold = pooled
        .rules
        .first()
        .map(|r| {
            format!(
                ", seuil {} ({})",
                Amount::from_cents(r.value_cents),
                r.source
            )
        })
        .unwrap_or_default();
    let base = format!(
        "Ensemble, sur {duration} mois, {} : {}{threshold}",
        Amount::from_cents(pooled.estimated_cents),
        pooled.label
    );
    if lighter.is_empty() {
        format!("{base} ; aucun membre ne passerait seul par une procédure plus légère.")
    } else {
        format!(
            "{base} ; seuls, {} : la mutualisation fait franchir un seuil.",
            lighter.join(", ")
        )
    }
}
