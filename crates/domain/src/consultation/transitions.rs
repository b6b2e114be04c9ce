//! [`Consultation::apply`]: each action checks the state it starts from and what it carries,
//! and returns the new state or every reason why not.

use chrono::{DateTime, Utc};

use super::ConsultationStatus::{
    Awarded, Cancelled, Closed, InAnalysis, Opened, Published, Unsuccessful,
};
use super::{Action, ChosenProcedure, Consultation, ConsultationStatus, Terms};
use crate::amount::Amount;
use crate::refusal::{Refusal, RefusalCode};
use crate::rules::RuleBook;

impl Consultation {
    /// Applies an action under `rules` (the rules table, read for the launch date): the new
    /// state, or every reason why not. `self` is left untouched.
    pub fn apply(&self, action: &Action, rules: &RuleBook) -> Result<Consultation, Refusal> {
        let allowed = action.kind().allowed_from();
        if !allowed.contains(&self.status) {
            return Err(Refusal {
                code: RefusalCode::NotNow,
                reasons: vec![format!(
                    "impossible à l'étape « {} » de la consultation",
                    self.status.label_fr()
                )],
            });
        }
        match action {
            Action::Amend(terms) => self.amend(terms),
            Action::Publish { at, launched_on } => self.publish(*at, *launched_on, rules),
            Action::Close { at } => self.after_deadline(*at, "clore les dépôts", Closed),
            Action::Open { at } => self.after_deadline(*at, "ouvrir les plis", Opened),
            Action::StartAnalysis => Ok(self.with_status(InAnalysis)),
            Action::Award => Ok(self.with_status(Awarded)),
            Action::DeclareUnsuccessful { reason } => self.with_reason(
                reason,
                "déclarer la consultation infructueuse",
                Unsuccessful,
            ),
            Action::Cancel { reason } => {
                self.with_reason(reason, "annuler la consultation", Cancelled)
            }
        }
    }

    fn with_status(&self, status: ConsultationStatus) -> Consultation {
        let mut next = self.clone();
        next.status = status;
        next
    }

    fn amend(&self, terms: &Terms) -> Result<Consultation, Refusal> {
        let mut next = self.clone();
        next.terms = terms.clone();
        Ok(next)
    }

    fn publish(
        &self,
        at: DateTime<Utc>,
        launched_on: chrono::NaiveDate,
        rules: &RuleBook,
    ) -> Result<Consultation, Refusal> {
        let t = &self.terms;
        let mut reasons = Vec::new();
        if t.title.trim().is_empty() {
            reasons.push("la consultation n'a pas de titre".to_owned());
        }
        if t.object.trim().is_empty() {
            reasons.push("l'objet de la consultation n'est pas décrit".to_owned());
        }
        if t.lots.is_empty() {
            reasons.push("la consultation n'a aucun lot".to_owned());
        }
        for (i, lot) in t.lots.iter().enumerate() {
            let n = i + 1;
            if lot.number != n as u32 {
                reasons.push(format!(
                    "les lots sont numérotés à la suite à partir de 1 : le lot n° {} est en position {n}",
                    lot.number
                ));
            }
            if lot.title.trim().is_empty() {
                reasons.push(format!("le lot n° {} n'a pas d'intitulé", lot.number));
            }
            if lot.estimated < Amount::ZERO {
                reasons.push(format!(
                    "le lot n° {} a un montant estimé négatif",
                    lot.number
                ));
            }
        }
        match t.deadline {
            None => reasons.push("la date limite de remise des offres n'est pas fixée".to_owned()),
            Some(deadline) if deadline <= at => reasons.push(
                "la date limite de remise des offres est déjà passée au moment de publier"
                    .to_owned(),
            ),
            Some(_) => {}
        }
        reasons.extend(t.criteria.problems(rules, launched_on));
        let estimated = self.estimated();
        let derived = match estimated {
            Some(total) => match rules.procedure_for(t.nature, total, self.buyer_kind, launched_on)
            {
                Ok(decision) => Some(decision),
                Err(e) => {
                    reasons.push(format!("la procédure ne peut être déterminée : {e}"));
                    None
                }
            },
            None => {
                reasons.push("le montant estimé total dépasse ce que Mutualis compte".to_owned());
                None
            }
        };
        if let Some(chosen) = &t.procedure_override
            && chosen.reason.trim().is_empty()
        {
            reasons.push(
                "une procédure autre que celle du montant estimé demande une justification écrite"
                    .to_owned(),
            );
        }
        Refusal::unless_empty(reasons)?;
        let mut next = self.with_status(Published);
        next.published_at = Some(at);
        next.launched_on = Some(launched_on);
        next.procedure = derived.map(|decision| ChosenProcedure {
            procedure: t
                .procedure_override
                .as_ref()
                .map_or(decision.procedure, |o| o.procedure),
            derived: decision,
            reason: t
                .procedure_override
                .as_ref()
                .map(|o| o.reason.trim().to_owned()),
        });
        Ok(next)
    }

    fn after_deadline(
        &self,
        at: DateTime<Utc>,
        what: &str,
        status: ConsultationStatus,
    ) -> Result<Consultation, Refusal> {
        match self.terms.deadline {
            Some(deadline) if at >= deadline => Ok(self.with_status(status)),
            _ => Err(Refusal {
                code: RefusalCode::NotNow,
                reasons: vec![format!(
                    "impossible de {what} avant la date limite de remise des offres"
                )],
            }),
        }
    }

    fn with_reason(
        &self,
        reason: &str,
        what: &str,
        status: ConsultationStatus,
    ) -> Result<Consultation, Refusal> {
        if reason.trim().is_empty() {
            return Err(Refusal::invalid(vec![format!(
                "un motif écrit est demandé pour {what}"
            )]));
        }
        let mut next = self.with_status(status);
        next.ended_because = Some(reason.trim().to_owned());
        Ok(next)
    }
}
