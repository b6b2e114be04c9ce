//! The stored state of a groupement: the JSON document in `groupements.state`, which says its
//! format version in its first member, `"v"`. A state written before the documents said their
//! version has no `"v"`, and is read as version 1.

use chrono::NaiveDate;
use mutualis_domain::groupement::{
    Award, Cancellation, CostSharing, Groupement, GroupementStatus, Lot, LotNeed, Member, Mission,
    Signature,
};
use mutualis_domain::{Amount, CpvNomenclature, Quantity, Siren};
use serde::{Deserialize, Serialize};

use crate::{Result, StorageError};

/// A [`Groupement`] as stored in `groupements.state`. The domain's own serde describes the
/// parts that need nothing but themselves; lots and needs are mirrored here.
#[derive(Debug, Serialize, Deserialize)]
struct StateDoc {
    /// The format version, [`STATE_FORMAT`]; absent (version 1) from the states written
    /// before.
    #[serde(default = "format_1")]
    v: u32,
    coordinator: Siren,
    title: String,
    /// "09123000-7".
    cpv: String,
    lots: Vec<LotDoc>,
    members: Vec<Member>,
    needs: Vec<NeedDoc>,
    mission: Mission,
    cost_sharing: CostSharing,
    duration_months: u32,
    adhesion_deadline: NaiveDate,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    proposed_start: Option<NaiveDate>,
    signatures: Vec<Signature>,
    status: GroupementStatus,
    awards: Vec<Award>,
    consultation_started_on: Option<NaiveDate>,
    execution_started_on: Option<NaiveDate>,
    closed_on: Option<NaiveDate>,
    cancellation: Option<Cancellation>,
}

/// The format of the states this version of Mutualis writes and reads.
const STATE_FORMAT: u32 = 1;

fn format_1() -> u32 {
    1
}

#[derive(Debug, Serialize, Deserialize)]
struct LotDoc {
    number: u32,
    title: String,
    cpv: String,
}

#[derive(Debug, Serialize, Deserialize)]
struct NeedDoc {
    lot: u32,
    member: Siren,
    quantity: Option<QuantityDoc>,
    estimated_amount: Amount,
    /// Absent from states written before proposals existed: every need was its member's own.
    #[serde(default = "confirmed_by_default")]
    confirmed: bool,
}

fn confirmed_by_default() -> bool {
    true
}

#[derive(Debug, Serialize, Deserialize)]
struct QuantityDoc {
    thousandths: i64,
    unit: String,
}

impl StateDoc {
    fn of(g: &Groupement) -> StateDoc {
        StateDoc {
            v: STATE_FORMAT,
            coordinator: g.coordinator.clone(),
            title: g.title.clone(),
            cpv: g.cpv.to_string(),
            lots: g
                .lots
                .iter()
                .map(|l| LotDoc {
                    number: l.number,
                    title: l.title.clone(),
                    cpv: l.cpv.to_string(),
                })
                .collect(),
            members: g.members.clone(),
            needs: g
                .needs
                .iter()
                .map(|n| NeedDoc {
                    lot: n.lot,
                    member: n.member.clone(),
                    quantity: n.quantity.as_ref().map(|q| QuantityDoc {
                        thousandths: q.thousandths,
                        unit: q.unit.clone(),
                    }),
                    estimated_amount: n.estimated_amount,
                    confirmed: n.confirmed,
                })
                .collect(),
            mission: g.mission,
            cost_sharing: g.cost_sharing.clone(),
            duration_months: g.duration_months,
            adhesion_deadline: g.adhesion_deadline,
            proposed_start: g.proposed_start,
            signatures: g.signatures.clone(),
            status: g.status,
            awards: g.awards.clone(),
            consultation_started_on: g.consultation_started_on,
            execution_started_on: g.execution_started_on,
            closed_on: g.closed_on,
            cancellation: g.cancellation.clone(),
        }
    }

    fn into_groupement(self, cpv: &CpvNomenclature) -> Result<Groupement, String> {
        if self.v != STATE_FORMAT {
            return Err(format!(
                "format {} inconnu : cette version de Mutualis lit le format {STATE_FORMAT}",
                self.v
            ));
        }
        let code = |s: &str| cpv.parse(s).map_err(|e| e.to_string());
        let lots = self
            .lots
            .into_iter()
            .map(|l| {
                Ok(Lot {
                    number: l.number,
                    cpv: code(&l.cpv)?,
                    title: l.title,
                })
            })
            .collect::<Result<Vec<Lot>, String>>()?;
        Ok(Groupement {
            coordinator: self.coordinator,
            title: self.title,
            cpv: code(&self.cpv)?,
            lots,
            members: self.members,
            needs: self
                .needs
                .into_iter()
                .map(|n| LotNeed {
                    lot: n.lot,
                    member: n.member,
                    quantity: n.quantity.map(|q| Quantity {
                        thousandths: q.thousandths,
                        unit: q.unit,
                    }),
                    estimated_amount: n.estimated_amount,
                    confirmed: n.confirmed,
                })
                .collect(),
            mission: self.mission,
            cost_sharing: self.cost_sharing,
            duration_months: self.duration_months,
            adhesion_deadline: self.adhesion_deadline,
            proposed_start: self.proposed_start,
            signatures: self.signatures,
            status: self.status,
            awards: self.awards,
            consultation_started_on: self.consultation_started_on,
            execution_started_on: self.execution_started_on,
            closed_on: self.closed_on,
            cancellation: self.cancellation,
        })
    }
}

/// The JSON written in `groupements.state`.
pub(super) fn state_json(g: &Groupement) -> Result<String> {
    serde_json::to_string(&StateDoc::of(g)).map_err(|e| StorageError::Conflict(e.to_string()))
}

pub(super) fn parse_state(json: &str, cpv: &CpvNomenclature) -> Result<Groupement> {
    serde_json::from_str::<StateDoc>(json)
        .map_err(|e| e.to_string())
        .and_then(|doc| doc.into_groupement(cpv))
        .map_err(|reason| StorageError::Corrupt {
            table: "groupements",
            column: "state",
            value: json.chars().take(80).collect(),
            reason,
        })
}
