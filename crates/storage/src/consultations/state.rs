//! The stored state of a consultation: the JSON document in `consultations.state`, which says
//! its format version in its first member, `"v"`. A `CpvCode` cannot be read back without the
//! nomenclature: the document keeps the code as text, and the rest in the domain's own serde.

use chrono::{DateTime, NaiveDate, Utc};
use mutualis_domain::consultation::{
    ChosenProcedure, Consultation, ConsultationStatus, Criteria, Lot, ProcedureOverride, Terms,
};
use mutualis_domain::rules::{BuyerKind, Nature, Procedure, ProcedureDecision};
use mutualis_domain::{CpvNomenclature, Siren};
use serde::{Deserialize, Serialize};

use crate::{Result, StorageError};

/// A [`Consultation`] as stored in `consultations.state`.
#[derive(Debug, Serialize, Deserialize)]
struct StateDoc {
    /// The format version, [`STATE_FORMAT`].
    v: u32,
    reference: String,
    buyer: Siren,
    buyer_kind: BuyerKind,
    title: String,
    object: String,
    nature: Nature,
    /// "09123000-7".
    cpv: Option<String>,
    lots: Vec<Lot>,
    criteria: Criteria,
    deadline: Option<DateTime<Utc>>,
    procedure_override: Option<ProcedureOverride>,
    status: ConsultationStatus,
    published_at: Option<DateTime<Utc>>,
    launched_on: Option<NaiveDate>,
    procedure: Option<ProcedureDoc>,
    ended_because: Option<String>,
}

/// The procedure fixed at publication, with the decision as the rules of that day gave it
/// (kept whole: a later change of the rules table does not rewrite it).
#[derive(Debug, Serialize, Deserialize)]
struct ProcedureDoc {
    procedure: Procedure,
    derived: ProcedureDecision,
    reason: Option<String>,
}

/// The format of the states this version of Mutualis writes and reads.
const STATE_FORMAT: u32 = 1;

impl StateDoc {
    fn of(c: &Consultation) -> StateDoc {
        let t = &c.terms;
        StateDoc {
            v: STATE_FORMAT,
            reference: c.reference.clone(),
            buyer: c.buyer.clone(),
            buyer_kind: c.buyer_kind,
            title: t.title.clone(),
            object: t.object.clone(),
            nature: t.nature,
            cpv: t.cpv.map(|code| code.to_string()),
            lots: t.lots.clone(),
            criteria: t.criteria.clone(),
            deadline: t.deadline,
            procedure_override: t.procedure_override.clone(),
            status: c.status,
            published_at: c.published_at,
            launched_on: c.launched_on,
            procedure: c.procedure.as_ref().map(|p| ProcedureDoc {
                procedure: p.procedure,
                derived: p.derived.clone(),
                reason: p.reason.clone(),
            }),
            ended_because: c.ended_because.clone(),
        }
    }

    fn into_consultation(self, cpv: &CpvNomenclature) -> Result<Consultation, String> {
        if self.v != STATE_FORMAT {
            return Err(format!(
                "format {} inconnu : cette version de Mutualis lit le format {STATE_FORMAT}",
                self.v
            ));
        }
        let code = self
            .cpv
            .as_deref()
            .map(|s| cpv.parse(s).map_err(|e| e.to_string()))
            .transpose()?;
        Ok(Consultation {
            reference: self.reference,
            buyer: self.buyer,
            buyer_kind: self.buyer_kind,
            terms: Terms {
                title: self.title,
                object: self.object,
                nature: self.nature,
                cpv: code,
                lots: self.lots,
                criteria: self.criteria,
                deadline: self.deadline,
                procedure_override: self.procedure_override,
            },
            status: self.status,
            published_at: self.published_at,
            launched_on: self.launched_on,
            procedure: self.procedure.map(|p| ChosenProcedure {
                procedure: p.procedure,
                derived: p.derived,
                reason: p.reason,
            }),
            ended_because: self.ended_because,
        })
    }
}

/// The JSON written in `consultations.state`.
pub(super) fn state_json(c: &Consultation) -> Result<String> {
    serde_json::to_string(&StateDoc::of(c)).map_err(|e| StorageError::Conflict(e.to_string()))
}

pub(super) fn parse_state(json: &str, cpv: &CpvNomenclature) -> Result<Consultation> {
    serde_json::from_str::<StateDoc>(json)
        .map_err(|e| e.to_string())
        .and_then(|doc| doc.into_consultation(cpv))
        .map_err(|reason| StorageError::Corrupt {
            table: "consultations",
            column: "state",
            value: json.chars().take(80).collect(),
            reason,
        })
}
