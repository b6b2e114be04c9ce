//! The JSON of the groupements in the API: the list's summaries and one groupement with its
//! members, lots, needs, awards and contracts, built field by field from the domain's types
//! (never derived on them), reading only the fields they publish, and described for the
//! OpenAPI document (`ToSchema`).

use std::collections::BTreeMap;

use chrono::NaiveDate;
use mutualis_domain::groupement::{
    Award, CostSharing, Groupement, GroupementStatus, LotNeed, MemberStatus, Signature,
    share_permille,
};
use mutualis_domain::{Amount, CpvCode, Quantity, Siren};
use mutualis_reference::cpv::nomenclature;
use mutualis_storage::groupements::{GroupementContract, StoredGroupement};
use serde::Serialize;
use utoipa::ToSchema;

// ---------------------------------------------------------------------------------------------
// Small parts

/// A CPV code with its French label.
#[derive(Serialize, ToSchema)]
pub struct CpvJson {
    /// With its check digit, e.g. 09123000-7.
    code: String,
    /// French label of the nomenclature (empty if unknown).
    label: String,
}

pub(crate) fn cpv_json(code: CpvCode) -> CpvJson {
    CpvJson {
        code: code.to_string(),
        label: nomenclature()
            .entry(code)
            .map(|e| e.label_fr.clone())
            .unwrap_or_default(),
    }
}

/// Where a groupement stands in its lifecycle.
#[derive(Serialize, ToSchema)]
pub struct GroupementStatusJson {
    /// draft, open_for_adhesion, convention_signed, consultation, awarded, in_execution,
    /// closed or cancelled.
    code: &'static str,
    /// French label ("Ouvert aux adhésions").
    label: &'static str,
}

fn status_json(status: GroupementStatus) -> GroupementStatusJson {
    GroupementStatusJson {
        code: status.code(),
        label: status.label_fr(),
    }
}

/// Where a member stands.
#[derive(Serialize, ToSchema)]
pub struct MemberStatusJson {
    /// invited, joined, declined or withdrawn.
    code: &'static str,
    /// French label ("adhésion le 01/03/2027").
    label: String,
    /// The day it joined, declined or withdrew; null while the invitation is unanswered.
    answered_on: Option<NaiveDate>,
}

fn member_status_json(status: MemberStatus) -> MemberStatusJson {
    let answered_on = match status {
        MemberStatus::Joined { on }
        | MemberStatus::Declined { on }
        | MemberStatus::Withdrawn { on } => Some(on),
        // Invited; and any status the domain may add later, until it is published here.
        _ => None,
    };
    MemberStatusJson {
        code: status.code(),
        label: status.label_fr(),
        answered_on,
    }
}

/// A quantity in thousandths of its unit ("12,5 t": 12500).
#[derive(Serialize, ToSchema)]
pub struct QuantityJson {
    thousandths: i64,
    unit: String,
}

fn quantity_json(q: &Quantity) -> QuantityJson {
    QuantityJson {
        thousandths: q.thousandths,
        unit: q.unit.clone(),
    }
}

/// A member's signature of the convention.
#[derive(Serialize, ToSchema)]
pub struct SignatureJson {
    signed_on: NaiveDate,
    /// Who signed, with their capacity.
    signatory: String,
    /// The council's deliberation approving the convention.
    deliberation: DeliberationJson,
}

/// A council's deliberation.
#[derive(Serialize, ToSchema)]
pub struct DeliberationJson {
    reference: String,
    adopted_on: NaiveDate,
}

fn signature_json(s: &Signature) -> SignatureJson {
    SignatureJson {
        signed_on: s.signed_on,
        signatory: s.signatory.clone(),
        deliberation: DeliberationJson {
            reference: s.deliberation.reference.clone(),
            adopted_on: s.deliberation.adopted_on,
        },
    }
}

// ---------------------------------------------------------------------------------------------
// The list

/// A groupement in the list.
#[derive(Serialize, ToSchema)]
pub struct GroupementSummaryJson {
    id: i64,
    /// The version the next change starts from.
    version: i64,
    title: String,
    /// The main CPV code of its scope.
    cpv: CpvJson,
    status: GroupementStatusJson,
    /// SIREN of the coordinator (mandataire), itself a member.
    coordinator_siren: String,
    /// Members who joined (the coordinator included).
    joined_count: usize,
    /// Invitations still unanswered.
    invited_count: usize,
    /// The token's organisation's status in the groupement; null when it is not a member
    /// (a coordinator's groupement it was never invited to is impossible: it is a member).
    own_status: Option<MemberStatusJson>,
}

impl GroupementSummaryJson {
    pub(super) fn new(stored: &StoredGroupement, own: &Siren) -> GroupementSummaryJson {
        let g = &stored.groupement;
        GroupementSummaryJson {
            id: stored.id,
            version: stored.version,
            title: g.title.clone(),
            cpv: cpv_json(g.cpv),
            status: status_json(g.status),
            coordinator_siren: g.coordinator.to_string(),
            joined_count: g.joined_members().count(),
            invited_count: g.unanswered_members().count(),
            own_status: g.member(own).map(|m| member_status_json(m.status)),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct GroupementList {
    count: usize,
    groupements: Vec<GroupementSummaryJson>,
}

impl GroupementList {
    pub(super) fn new(groupements: Vec<GroupementSummaryJson>) -> GroupementList {
        GroupementList {
            count: groupements.len(),
            groupements,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// One groupement

/// A member of the groupement.
#[derive(Serialize, ToSchema)]
pub struct MemberJson {
    siren: String,
    name: String,
    /// Municipal population, used by the population key.
    population: Option<u32>,
    is_coordinator: bool,
    status: MemberStatusJson,
    /// Its signature of the convention; null until it signs.
    signature: Option<SignatureJson>,
}

/// A member's need in a lot.
#[derive(Serialize, ToSchema)]
pub struct LotNeedJson {
    member_siren: String,
    /// Estimated amount over the groupement's duration, excluding VAT, in cents.
    estimated_amount_cents: i64,
    quantity: Option<QuantityJson>,
    /// False while it is the coordinator's proposal, not yet confirmed by the member.
    confirmed: bool,
}

fn need_json(n: &LotNeed) -> LotNeedJson {
    LotNeedJson {
        member_siren: n.member.to_string(),
        estimated_amount_cents: n.estimated_amount.cents(),
        quantity: n.quantity.as_ref().map(quantity_json),
        confirmed: n.confirmed,
    }
}

/// What a lot was awarded for.
#[derive(Serialize, ToSchema)]
pub struct LotAwardJson {
    supplier_siret: String,
    /// The titulaire's name, from the organisations the data names (imported DECP
    /// titulaires); null when unknown.
    supplier_name: Option<String>,
    /// Total for all the members, excluding VAT, in cents.
    total_cents: i64,
}

/// A lot of the joint procedure.
#[derive(Serialize, ToSchema)]
pub struct LotJson {
    number: u32,
    title: String,
    /// CPV code of the lot, with its check digit.
    cpv: String,
    /// The needs that count in the lot's total: those of the joined members and, while their
    /// invitation is open, the needs proposed for invited buyers; not those of a buyer who
    /// declined or withdrew (its own are still in its `own.needs`).
    needs: Vec<LotNeedJson>,
    /// These needs' estimated amounts added up, in cents.
    total_cents: i64,
    /// Null until the lot is awarded.
    award: Option<LotAwardJson>,
}

/// One lot of an award.
#[derive(Serialize, ToSchema)]
pub struct AwardedLotJson {
    lot: u32,
    total_cents: i64,
}

/// The award of one or more lots to one supplier.
#[derive(Serialize, ToSchema)]
pub struct AwardJson {
    supplier_siret: String,
    /// The titulaire's name, as for a lot's award; null when unknown.
    supplier_name: Option<String>,
    lots: Vec<AwardedLotJson>,
}

fn award_json(a: &Award, names: &BTreeMap<String, String>) -> AwardJson {
    AwardJson {
        supplier_siret: a.supplier_siret.to_string(),
        supplier_name: names.get(a.supplier_siret.as_str()).cloned(),
        lots: a
            .lots
            .iter()
            .map(|l| AwardedLotJson {
                lot: l.lot,
                total_cents: l.total.cents(),
            })
            .collect(),
    }
}

/// A member's fixed share of the cost.
#[derive(Serialize, ToSchema)]
pub struct FixedShareJson {
    siren: String,
    /// Thousandths of the cost; the shares add up to 1000.
    permille: u32,
}

/// The convention's cost-sharing key.
#[derive(Serialize, ToSchema)]
pub struct CostSharingJson {
    /// by_population, by_volume or fixed_shares.
    code: &'static str,
    /// French label.
    label: &'static str,
    /// The fixed shares, for the fixed_shares key; null otherwise.
    fixed_shares: Option<Vec<FixedShareJson>>,
}

fn cost_sharing_json(c: &CostSharing) -> CostSharingJson {
    let fixed_shares = if let CostSharing::FixedShares(shares) = c {
        Some(
            shares
                .iter()
                .map(|(siren, permille)| FixedShareJson {
                    siren: siren.to_string(),
                    permille: *permille,
                })
                .collect(),
        )
    } else {
        None
    };
    CostSharingJson {
        code: c.code(),
        label: c.label_fr(),
        fixed_shares,
    }
}

/// Why and when the groupement was cancelled.
#[derive(Serialize, ToSchema)]
pub struct CancellationJson {
    on: NaiveDate,
    reason: String,
}

/// A contract created by the award: one per member and per lot.
#[derive(Serialize, ToSchema)]
pub struct GroupementContractJson {
    /// The contract in Mutualis (GET /api/v1/contracts/{id}).
    contract_id: i64,
    member_siren: String,
    /// The member's establishment the contract is made out to.
    buyer_siret: String,
    lot: u32,
    /// The contract's own id, GRP{groupement}-L{lot}-{member SIREN} (DECP publishes the lot
    /// once, as GRP{groupement}-L{lot}, under the coordinator).
    decp_id: String,
    /// The member's share of the lot, excluding VAT, in cents.
    amount_cents: i64,
    /// The share of the lot's awarded total, in thousandths, rounded to the nearest (so the
    /// shares of a lot may add up to a few thousandths more or less than 1000): the page's
    /// percentage with one decimal (667 is "66,7 %"); null if the lot's award is unknown.
    share_permille: Option<i64>,
    /// When the contract starts: the groupement's planned start, or its notification when
    /// that is later or no start is planned.
    starts_on: Option<NaiveDate>,
    /// When it ends: the start plus the groupement's duration.
    ends_on: Option<NaiveDate>,
}

/// The token's organisation in the groupement.
#[derive(Serialize, ToSchema)]
pub struct OwnJson {
    siren: String,
    /// Whether the token's holder is the groupement's coordinator (its organisation, with the
    /// coordinator role).
    is_coordinator: bool,
    /// Its status as a member; null when its organisation is not a member.
    status: Option<MemberStatusJson>,
    /// Its needs, by lot.
    needs: Vec<OwnNeedJson>,
    /// Its fixed share, under the fixed_shares key.
    fixed_share_permille: Option<u32>,
    /// After award: its share of each lot (its contracts).
    shares: Vec<OwnShareJson>,
}

/// The holder's need in one lot.
#[derive(Serialize, ToSchema)]
pub struct OwnNeedJson {
    lot: u32,
    estimated_amount_cents: i64,
    quantity: Option<QuantityJson>,
    /// False while it is the coordinator's proposal, to confirm.
    confirmed: bool,
}

/// The holder's share of one awarded lot.
#[derive(Serialize, ToSchema)]
pub struct OwnShareJson {
    lot: u32,
    amount_cents: i64,
    share_permille: Option<i64>,
}

/// A groupement de commandes, as its member or coordinator sees it.
#[derive(Serialize, ToSchema)]
pub struct GroupementJson {
    id: i64,
    /// The version the next change starts from.
    version: i64,
    title: String,
    /// The main CPV code of its scope.
    cpv: CpvJson,
    status: GroupementStatusJson,
    coordinator_siren: String,
    /// What the convention entrusts to the coordinator: award_only or award_and_execution.
    mission: &'static str,
    cost_sharing: CostSharingJson,
    duration_months: u32,
    /// The last day an adhesion is accepted (included).
    adhesion_deadline: NaiveDate,
    /// When the joint contracts are meant to start; null when not set.
    proposed_start: Option<NaiveDate>,
    /// In invitation order, the coordinator first.
    members: Vec<MemberJson>,
    lots: Vec<LotJson>,
    awards: Vec<AwardJson>,
    consultation_started_on: Option<NaiveDate>,
    execution_started_on: Option<NaiveDate>,
    closed_on: Option<NaiveDate>,
    cancellation: Option<CancellationJson>,
    /// The contracts created by the award: every member's for the coordinator, the token's
    /// organisation's own otherwise; empty before the award.
    contracts: Vec<GroupementContractJson>,
    /// The token's organisation in the groupement.
    own: OwnJson,
}

/// A member's share of a lot, in thousandths of its awarded total.
fn lot_share_permille(g: &Groupement, lot: u32, amount: Amount) -> Option<i64> {
    let total = g
        .award_of(lot)
        .and_then(|a| a.lots.iter().find(|l| l.lot == lot))
        .map(|l| l.total)?;
    share_permille(amount, total)
}

impl GroupementJson {
    pub(super) fn new(
        stored: &StoredGroupement,
        own: &Siren,
        owner: bool,
        contracts: &[GroupementContract],
        today: NaiveDate,
        supplier_names: &BTreeMap<String, String>,
    ) -> GroupementJson {
        let g = &stored.groupement;
        let members = g
            .members
            .iter()
            .map(|m| MemberJson {
                siren: m.siren.to_string(),
                name: m.name.clone(),
                population: m.population,
                is_coordinator: m.siren == g.coordinator,
                status: member_status_json(m.status),
                signature: g.signature_of(&m.siren).map(signature_json),
            })
            .collect();
        let lots = g
            .lots
            .iter()
            .map(|l| {
                let needs: Vec<&LotNeed> = g.counted_needs(l.number, today).collect();
                LotJson {
                    number: l.number,
                    title: l.title.clone(),
                    cpv: l.cpv.to_string(),
                    total_cents: g.lot_total(l.number, today).cents(),
                    needs: needs.into_iter().map(need_json).collect(),
                    award: g.award_of(l.number).and_then(|a| {
                        a.lots
                            .iter()
                            .find(|x| x.lot == l.number)
                            .map(|x| LotAwardJson {
                                supplier_siret: a.supplier_siret.to_string(),
                                supplier_name: supplier_names
                                    .get(a.supplier_siret.as_str())
                                    .cloned(),
                                total_cents: x.total.cents(),
                            })
                    }),
                }
            })
            .collect();
        let contracts: Vec<GroupementContractJson> = contracts
            .iter()
            .map(|c| GroupementContractJson {
                contract_id: c.contract_id,
                member_siren: c.buyer_siret.get(..9).unwrap_or_default().to_owned(),
                buyer_siret: c.buyer_siret.clone(),
                lot: c.lot,
                decp_id: c.decp_id.clone(),
                amount_cents: c.amount.cents(),
                share_permille: lot_share_permille(g, c.lot, c.amount),
                starts_on: c.starts_on,
                ends_on: c.ends_on,
            })
            .collect();
        let own_json = OwnJson {
            siren: own.to_string(),
            is_coordinator: owner,
            status: g.member(own).map(|m| member_status_json(m.status)),
            needs: g
                .needs
                .iter()
                .filter(|n| &n.member == own)
                .map(|n| OwnNeedJson {
                    lot: n.lot,
                    estimated_amount_cents: n.estimated_amount.cents(),
                    quantity: n.quantity.as_ref().map(quantity_json),
                    confirmed: n.confirmed,
                })
                .collect(),
            fixed_share_permille: match &g.cost_sharing {
                CostSharing::FixedShares(shares) => {
                    shares.iter().find(|(s, _)| s == own).map(|(_, p)| *p)
                }
                _ => None,
            },
            shares: contracts
                .iter()
                .filter(|c| c.member_siren == own.as_str())
                .map(|c| OwnShareJson {
                    lot: c.lot,
                    amount_cents: c.amount_cents,
                    share_permille: c.share_permille,
                })
                .collect(),
        };
        GroupementJson {
            id: stored.id,
            version: stored.version,
            title: g.title.clone(),
            cpv: cpv_json(g.cpv),
            status: status_json(g.status),
            coordinator_siren: g.coordinator.to_string(),
            mission: g.mission.code(),
            cost_sharing: cost_sharing_json(&g.cost_sharing),
            duration_months: g.duration_months,
            adhesion_deadline: g.adhesion_deadline,
            proposed_start: g.proposed_start,
            members,
            lots,
            awards: g
                .awards
                .iter()
                .map(|a| award_json(a, supplier_names))
                .collect(),
            consultation_started_on: g.consultation_started_on,
            execution_started_on: g.execution_started_on,
            closed_on: g.closed_on,
            cancellation: g.cancellation.as_ref().map(|c| CancellationJson {
                on: c.on,
                reason: c.reason.clone(),
            }),
            contracts,
            own: own_json,
        }
    }
}
