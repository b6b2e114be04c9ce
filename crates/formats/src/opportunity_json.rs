//! The opportunity JSON: the report of the opportunity engine as `mutualis opportunities
//! --format json` prints it and `GET /api/v1/opportunities` answers it, stable as the README
//! ("Opportunities JSON") documents it, and described for the OpenAPI document by the same
//! types (`ToSchema`).
//!
//! These are wire types: built field by field from the domain's report
//! (`mutualis_domain::opportunity::Report`), never derived on it, so that a field or a code
//! renamed in the domain changes nothing here. The closed lists (depth, nature, buyer kind,
//! procedure, bridging item and action, exclusion reason) are enums of their own; a domain
//! value outside them is refused (`UnknownCode`) rather than published under a new name.
//! Fields are declared in the order they are written out: the order is part of the format.

use chrono::NaiveDate;
use mutualis_domain::CpvDepth;
use mutualis_domain::opportunity as domain;
use mutualis_domain::rules::{BuyerKind, Nature, Procedure};
use serde::Serialize;
use utoipa::ToSchema;

/// A value of the domain's report that the opportunity JSON has no code for.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("rapport d'opportunités : valeur « {value} » sans code dans le JSON publié ({field})")]
pub struct UnknownCode {
    /// The field of the JSON, as a path (`opportunities[].bridging[].item`).
    pub field: &'static str,
    pub value: String,
}

/// The engine's report: its question, what it read, what it set aside, and the
/// opportunities, the best first.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct OpportunityReport {
    /// The day the question is asked for.
    pub as_of: NaiveDate,
    /// How deep in the CPV tree contracts and needs are grouped.
    pub depth: ReportDepth,
    /// The window after `as_of`, in months.
    pub window_months: u32,
    /// The last day of the window.
    pub window_end: NaiveDate,
    /// The least number of distinct buyers an opportunity has.
    pub min_buyers: usize,
    pub counts: OpportunityCounts,
    /// Contracts already pooled, set aside.
    pub excluded: Vec<OpportunityExclusion>,
    /// The opportunities, the best first.
    pub opportunities: Vec<Opportunity>,
}

impl TryFrom<&domain::Report> for OpportunityReport {
    type Error = UnknownCode;

    fn try_from(r: &domain::Report) -> Result<OpportunityReport, UnknownCode> {
        Ok(OpportunityReport {
            as_of: r.as_of,
            depth: ReportDepth::try_from(r.depth)?,
            window_months: r.window_months,
            window_end: r.window_end,
            min_buyers: r.min_buyers,
            counts: OpportunityCounts::from(&r.counts),
            excluded: r
                .excluded
                .iter()
                .map(OpportunityExclusion::try_from)
                .collect::<Result<_, _>>()?,
            opportunities: r
                .opportunities
                .iter()
                .map(Opportunity::try_from)
                .collect::<Result<_, _>>()?,
        })
    }
}

/// The CPV levels a report groups by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReportDepth {
    Division,
    Group,
    Class,
    Category,
}

impl TryFrom<CpvDepth> for ReportDepth {
    type Error = UnknownCode;

    fn try_from(depth: CpvDepth) -> Result<ReportDepth, UnknownCode> {
        match depth {
            CpvDepth::Division => Ok(ReportDepth::Division),
            CpvDepth::Group => Ok(ReportDepth::Group),
            CpvDepth::Class => Ok(ReportDepth::Class),
            CpvDepth::Category => Ok(ReportDepth::Category),
            CpvDepth::Finer => Err(UnknownCode {
                field: "depth",
                value: format!("{depth:?}"),
            }),
        }
    }
}

/// The contracts and needs read, and why some do not count.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct OpportunityCounts {
    /// Published contracts read.
    pub contracts: usize,
    /// Declared needs read.
    pub needs: usize,
    /// Contracts in the window, with a CPV code, not already pooled.
    pub contracts_in_window: usize,
    /// Needs in the window.
    pub needs_in_window: usize,
    /// Contracts without a CPV code.
    pub without_cpv: usize,
    /// Contracts without an end date.
    pub without_end_date: usize,
    /// Contracts ending outside the window.
    pub outside_window: usize,
    /// Contracts replaced by a declared need that renews them.
    pub renewed_by_need: usize,
    /// Contracts in the window left out of the figures: a placeholder amount, or one
    /// implausible ("aberrant") among comparable contracts.
    pub flagged: usize,
}

impl From<&domain::Counts> for OpportunityCounts {
    fn from(c: &domain::Counts) -> OpportunityCounts {
        OpportunityCounts {
            contracts: c.contracts,
            needs: c.needs,
            contracts_in_window: c.contracts_in_window,
            needs_in_window: c.needs_in_window,
            without_cpv: c.without_cpv,
            without_end_date: c.without_end_date,
            outside_window: c.outside_window,
            renewed_by_need: c.renewed_by_need,
            flagged: c.flagged,
        }
    }
}

/// Contracts already pooled, set aside.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct OpportunityExclusion {
    pub reason: ExclusionReason,
    /// The central purchasing body (for `central_purchasing`).
    #[schema(required = true)]
    pub body: Option<String>,
    /// How many contracts.
    pub contracts: usize,
    /// Why, in French.
    pub explanation: String,
}

impl TryFrom<&domain::Exclusion> for OpportunityExclusion {
    type Error = UnknownCode;

    fn try_from(e: &domain::Exclusion) -> Result<OpportunityExclusion, UnknownCode> {
        let reason = match e.reason {
            "central_purchasing" => ExclusionReason::CentralPurchasing,
            "groupement" => ExclusionReason::Groupement,
            "placeholder_amount" => ExclusionReason::PlaceholderAmount,
            "implausible_amount" => ExclusionReason::ImplausibleAmount,
            other => {
                return Err(UnknownCode {
                    field: "excluded[].reason",
                    value: other.to_owned(),
                });
            }
        };
        Ok(OpportunityExclusion {
            reason,
            body: e.body.clone(),
            contracts: e.contracts,
            explanation: e.explanation.clone(),
        })
    }
}

/// Why contracts are set aside: already pooled (bought through a central purchasing body, or
/// in a groupement de commandes), or left out of the figures (a placeholder amount, an
/// implausible one).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ExclusionReason {
    CentralPurchasing,
    Groupement,
    PlaceholderAmount,
    ImplausibleAmount,
}

/// One pooling opportunity, which explains itself.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Opportunity {
    pub cpv: OpportunityCpv,
    pub nature: OpportunityNature,
    pub family: OpportunityFamily,
    /// The members, the largest annual amount first.
    pub buyers: Vec<OpportunityBuyer>,
    /// The members' annual amounts together, in euro cents excluding VAT.
    pub annual_amount_cents: i64,
    /// The proposed duration of the pooled contract, in months.
    pub proposed_duration_months: u32,
    /// The annual amount over the proposed duration, in euro cents excluding VAT.
    pub total_amount_cents: i64,
    /// The proposed common start.
    pub proposed_start: NaiveDate,
    /// How each contract and need meets the common start.
    pub bridging: Vec<OpportunityBridging>,
    pub procedure: OpportunityProcedure,
    pub savings: OpportunitySavings,
    /// From 0 to 100.
    pub score: u32,
    pub score_factors: OpportunityScoreFactors,
    /// Why it is there and at this rank, in French.
    pub reasons: Vec<String>,
    /// Why it is works though its CPV code is not in division 45, in French.
    #[schema(required = true)]
    pub nature_reason: Option<String>,
    /// The contracts of its CPV node left out of its figures, with the flag that leaves each
    /// out.
    pub set_aside: Vec<OpportunitySetAside>,
}

/// What was found wrong with a contract.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct OpportunityFlag {
    pub kind: FlagKindCode,
    pub level: FlagLevelCode,
    /// What was seen and against what, in French.
    pub reason: String,
}

impl From<&mutualis_domain::plausibility::ContractFlag> for OpportunityFlag {
    fn from(f: &mutualis_domain::plausibility::ContractFlag) -> OpportunityFlag {
        use mutualis_domain::plausibility::{FlagKind, FlagLevel};
        OpportunityFlag {
            kind: match f.kind {
                FlagKind::PlaceholderAmount => FlagKindCode::PlaceholderAmount,
                FlagKind::PlaceholderOperator => FlagKindCode::PlaceholderOperator,
                FlagKind::ImplausibleAmount => FlagKindCode::ImplausibleAmount,
            },
            level: match f.level {
                FlagLevel::Suspect => FlagLevelCode::Suspect,
                FlagLevel::Aberrant => FlagLevelCode::Aberrant,
            },
            reason: f.reason.clone(),
        }
    }
}

/// A placeholder amount (999 999 999 €, 0 €…), a placeholder titulaire ("PAS DE CANDIDAT", a
/// SIRET of one repeated digit), or an amount far above those of comparable contracts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum FlagKindCode {
    PlaceholderAmount,
    PlaceholderOperator,
    ImplausibleAmount,
}

/// `suspect` (more than 4 median absolute deviations above the median of comparable
/// contracts: still counted) or `aberrant` (more than 6, or a placeholder: left out).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum FlagLevelCode {
    Suspect,
    Aberrant,
}

/// A contract of the opportunity's node left out of its figures.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct OpportunitySetAside {
    /// Its buyer's SIREN.
    pub siren: String,
    /// Its buyer's name.
    pub name: String,
    /// The contract's DECP identifier.
    pub id: String,
    /// Its identifier in Mutualis, when it is stored.
    #[schema(required = true)]
    pub record_id: Option<i64>,
    pub object: String,
    pub cpv: String,
    #[schema(required = true)]
    pub ends_on: Option<NaiveDate>,
    /// Its amount as published, in euro cents excluding VAT.
    #[schema(required = true)]
    pub amount_cents: Option<i64>,
    #[schema(required = true)]
    pub duration_months: Option<u32>,
    pub flag: OpportunityFlag,
    /// In French.
    pub explanation: String,
}

impl From<&domain::SetAsideLine> for OpportunitySetAside {
    fn from(l: &domain::SetAsideLine) -> OpportunitySetAside {
        OpportunitySetAside {
            siren: l.siren.to_string(),
            name: l.name.clone(),
            id: l.id.clone(),
            record_id: l.record_id,
            object: l.object.clone(),
            cpv: l.cpv.to_string(),
            ends_on: l.ends_on,
            amount_cents: l.amount_cents,
            duration_months: l.duration_months,
            flag: OpportunityFlag::from(&l.flag),
            explanation: l.explanation(),
        }
    }
}

impl TryFrom<&domain::Opportunity> for Opportunity {
    type Error = UnknownCode;

    fn try_from(o: &domain::Opportunity) -> Result<Opportunity, UnknownCode> {
        Ok(Opportunity {
            cpv: OpportunityCpv::from(&o.cpv),
            nature: o.nature.into(),
            family: OpportunityFamily::from(&o.family),
            buyers: o.buyers.iter().map(OpportunityBuyer::from).collect(),
            annual_amount_cents: o.annual_amount_cents,
            proposed_duration_months: o.proposed_duration_months,
            total_amount_cents: o.total_amount_cents,
            proposed_start: o.proposed_start,
            bridging: o
                .bridging
                .iter()
                .map(OpportunityBridging::try_from)
                .collect::<Result<_, _>>()?,
            procedure: OpportunityProcedure::from(&o.procedure),
            savings: OpportunitySavings::from(&o.savings),
            score: o.score,
            score_factors: OpportunityScoreFactors::from(&o.score_factors),
            reasons: o.reasons.clone(),
            nature_reason: o.nature_reason.clone(),
            set_aside: o.set_aside.iter().map(OpportunitySetAside::from).collect(),
        })
    }
}

/// The CPV node the opportunity groups.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct OpportunityCpv {
    /// The node's CPV code, e.g. 90910000-9.
    pub code: String,
    /// Its significant digits, e.g. 9091.
    pub prefix: String,
    /// Its French label.
    pub label: String,
    pub depth: OpportunityDepth,
}

impl From<&domain::CpvNode> for OpportunityCpv {
    fn from(n: &domain::CpvNode) -> OpportunityCpv {
        OpportunityCpv {
            code: n.code.to_string(),
            prefix: n.prefix.clone(),
            label: n.label.clone(),
            depth: n.depth.into(),
        }
    }
}

/// How deep in the CPV tree a node sits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum OpportunityDepth {
    Division,
    Group,
    Class,
    Category,
    Finer,
}

impl From<CpvDepth> for OpportunityDepth {
    fn from(depth: CpvDepth) -> OpportunityDepth {
        match depth {
            CpvDepth::Division => OpportunityDepth::Division,
            CpvDepth::Group => OpportunityDepth::Group,
            CpvDepth::Class => OpportunityDepth::Class,
            CpvDepth::Category => OpportunityDepth::Category,
            CpvDepth::Finer => OpportunityDepth::Finer,
        }
    }
}

/// Works, or supplies and services (the two families of thresholds).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum OpportunityNature {
    Works,
    SuppliesServices,
}

impl From<Nature> for OpportunityNature {
    fn from(nature: Nature) -> OpportunityNature {
        match nature {
            Nature::Works => OpportunityNature::Works,
            Nature::SuppliesAndServices => OpportunityNature::SuppliesServices,
        }
    }
}

/// The family of purchases, whose pooling parameters apply.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct OpportunityFamily {
    pub id: String,
    pub label: String,
    /// Poolability, from 0 (hardly) to 1.
    pub weight: f64,
}

impl From<&domain::FamilyRef> for OpportunityFamily {
    fn from(f: &domain::FamilyRef) -> OpportunityFamily {
        OpportunityFamily {
            id: f.id.clone(),
            label: f.label.clone(),
            weight: f.weight,
        }
    }
}

/// A member of the opportunity, with its contracts ending and its needs starting in the
/// window.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct OpportunityBuyer {
    pub siren: String,
    pub name: String,
    pub kind: OpportunityBuyerKind,
    /// The member's annual amount, in euro cents excluding VAT.
    pub annual_amount_cents: i64,
    pub contracts: Vec<OpportunityContract>,
    pub needs: Vec<OpportunityNeed>,
}

impl From<&domain::BuyerShare> for OpportunityBuyer {
    fn from(b: &domain::BuyerShare) -> OpportunityBuyer {
        OpportunityBuyer {
            siren: b.siren.to_string(),
            name: b.name.clone(),
            kind: b.kind.into(),
            annual_amount_cents: b.annual_amount_cents,
            contracts: b.contracts.iter().map(OpportunityContract::from).collect(),
            needs: b.needs.iter().map(OpportunityNeed::from).collect(),
        }
    }
}

/// Which thresholds apply to a buyer: a local authority's or the State's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum OpportunityBuyerKind {
    LocalAuthority,
    State,
}

impl From<BuyerKind> for OpportunityBuyerKind {
    fn from(kind: BuyerKind) -> OpportunityBuyerKind {
        match kind {
            BuyerKind::LocalAuthority => OpportunityBuyerKind::LocalAuthority,
            BuyerKind::State => OpportunityBuyerKind::State,
        }
    }
}

/// A member's current contract, ending in the window.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct OpportunityContract {
    /// The contract's DECP identifier.
    pub id: String,
    /// Its identifier in Mutualis (`GET /api/v1/contracts/{id}`), when it is stored.
    #[schema(required = true)]
    pub record_id: Option<i64>,
    pub object: String,
    /// Its CPV code, e.g. 90911200-8.
    pub cpv: String,
    /// Its end, modifications included.
    pub ends_on: NaiveDate,
    /// Its amount after modifications, in euro cents excluding VAT.
    #[schema(required = true)]
    pub amount_cents: Option<i64>,
    /// Its duration after modifications, in months.
    #[schema(required = true)]
    pub duration_months: Option<u32>,
    /// Its annualised amount, in euro cents excluding VAT.
    pub annual_amount_cents: i64,
    /// Flags that do not leave it out (a `suspect` amount, a placeholder titulaire).
    pub flags: Vec<OpportunityFlag>,
    /// Why it counts as works though its CPV code is not, in French.
    #[schema(required = true)]
    pub works: Option<String>,
}

impl From<&domain::ContractLine> for OpportunityContract {
    fn from(c: &domain::ContractLine) -> OpportunityContract {
        OpportunityContract {
            id: c.id.clone(),
            record_id: c.record_id,
            object: c.object.clone(),
            cpv: c.cpv.to_string(),
            ends_on: c.ends_on,
            amount_cents: c.amount_cents,
            duration_months: c.duration_months,
            annual_amount_cents: c.annual_amount_cents,
            flags: c.flags.iter().map(OpportunityFlag::from).collect(),
            works: c.works.clone(),
        }
    }
}

/// A need a member declared in an inventory campaign, starting in the window.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct OpportunityNeed {
    pub description: String,
    /// Its CPV code, e.g. 90911200-8.
    pub cpv: String,
    pub desired_start: NaiveDate,
    /// Its estimated annual amount, in euro cents excluding VAT.
    pub annual_amount_cents: i64,
    /// The contract the need renews, if the member named one.
    #[schema(required = true)]
    pub current_contract: Option<String>,
}

impl From<&domain::NeedLine> for OpportunityNeed {
    fn from(n: &domain::NeedLine) -> OpportunityNeed {
        OpportunityNeed {
            description: n.description.clone(),
            cpv: n.cpv.to_string(),
            desired_start: n.desired_start,
            annual_amount_cents: n.annual_amount_cents,
            current_contract: n.current_contract.clone(),
        }
    }
}

/// How a contract or a need meets the common start.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct OpportunityBridging {
    /// The member's SIREN.
    pub siren: String,
    /// The member's name.
    pub name: String,
    pub item: BridgingItem,
    /// The contract's identifier, or the need's description.
    pub reference: String,
    /// The contract's end, or the need's desired start.
    pub date: NaiveDate,
    /// Months to extend the contract or delay the need (positive), to shorten or advance it
    /// (negative).
    pub months: i32,
    pub action: BridgingAction,
}

impl TryFrom<&domain::Bridging> for OpportunityBridging {
    type Error = UnknownCode;

    fn try_from(b: &domain::Bridging) -> Result<OpportunityBridging, UnknownCode> {
        let item = match b.item {
            "contract" => BridgingItem::Contract,
            "need" => BridgingItem::Need,
            other => {
                return Err(UnknownCode {
                    field: "opportunities[].bridging[].item",
                    value: other.to_owned(),
                });
            }
        };
        let action = match b.action {
            "extend" => BridgingAction::Extend,
            "shorten" => BridgingAction::Shorten,
            "none" => BridgingAction::None,
            other => {
                return Err(UnknownCode {
                    field: "opportunities[].bridging[].action",
                    value: other.to_owned(),
                });
            }
        };
        Ok(OpportunityBridging {
            siren: b.siren.to_string(),
            name: b.name.clone(),
            item,
            reference: b.reference.clone(),
            date: b.date,
            months: b.months,
            action,
        })
    }
}

/// A contract or a need.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum BridgingItem {
    Contract,
    Need,
}

/// What meeting the common start asks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum BridgingAction {
    Extend,
    Shorten,
    None,
}

/// The threshold effect: the procedure of each member alone and of all together.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct OpportunityProcedure {
    /// The launch of the pooled procedure, whose rules apply.
    pub launch_on: NaiveDate,
    /// Each member alone.
    pub alone: Vec<OpportunityAloneProcedure>,
    pub pooled: OpportunityPooledProcedure,
    /// Whether pooling crosses a threshold.
    pub threshold_crossed: bool,
}

impl From<&domain::ProcedureEffect> for OpportunityProcedure {
    fn from(p: &domain::ProcedureEffect) -> OpportunityProcedure {
        OpportunityProcedure {
            launch_on: p.launch_on,
            alone: p
                .alone
                .iter()
                .map(OpportunityAloneProcedure::from)
                .collect(),
            pooled: OpportunityPooledProcedure::from(&p.pooled),
            threshold_crossed: p.threshold_crossed,
        }
    }
}

/// The procedure a member would run alone for its share, over the same duration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct OpportunityAloneProcedure {
    pub siren: String,
    pub name: String,
    /// The estimated amount over the proposed duration (R2121-1), in euro cents excluding VAT.
    pub estimated_cents: i64,
    pub procedure: ProcedureKind,
    /// The procedure's French label.
    pub label: String,
    /// The thresholds applied, with their rules and legal sources.
    pub rules: Vec<OpportunityRule>,
}

impl From<&domain::AloneProcedure> for OpportunityAloneProcedure {
    fn from(a: &domain::AloneProcedure) -> OpportunityAloneProcedure {
        OpportunityAloneProcedure {
            siren: a.siren.to_string(),
            name: a.name.clone(),
            estimated_cents: a.estimated_cents,
            procedure: a.procedure.into(),
            label: a.label.to_owned(),
            rules: a.rules.iter().map(OpportunityRule::from).collect(),
        }
    }
}

/// The procedure the pooled purchase requires.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct OpportunityPooledProcedure {
    /// The estimated amount over the proposed duration (R2121-1), in euro cents excluding VAT.
    pub estimated_cents: i64,
    pub procedure: ProcedureKind,
    /// The procedure's French label.
    pub label: String,
    /// The thresholds applied, with their rules and legal sources.
    pub rules: Vec<OpportunityRule>,
    /// Why, in French.
    pub explanation: String,
}

impl From<&domain::ProcedureChoice> for OpportunityPooledProcedure {
    fn from(p: &domain::ProcedureChoice) -> OpportunityPooledProcedure {
        OpportunityPooledProcedure {
            estimated_cents: p.estimated_cents,
            procedure: p.procedure.into(),
            label: p.label.clone(),
            rules: p.rules.iter().map(OpportunityRule::from).collect(),
            explanation: p.explanation.clone(),
        }
    }
}

/// The procedure an estimated amount calls for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ProcedureKind {
    NoPublicity,
    Adapted,
    Formal,
}

impl From<Procedure> for ProcedureKind {
    fn from(procedure: Procedure) -> ProcedureKind {
        match procedure {
            Procedure::NoPublicity => ProcedureKind::NoPublicity,
            Procedure::Adapted => ProcedureKind::Adapted,
            Procedure::Formal => ProcedureKind::Formal,
        }
    }
}

/// A threshold applied.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct OpportunityRule {
    /// The rule's identifier (`data/rules/rules.toml`).
    pub rule_id: String,
    /// The threshold, in euro cents excluding VAT.
    pub value_cents: i64,
    /// Its legal source.
    pub source: String,
}

impl From<&domain::AppliedRule> for OpportunityRule {
    fn from(r: &domain::AppliedRule) -> OpportunityRule {
        OpportunityRule {
            rule_id: r.rule_id.clone(),
            value_cents: r.value_cents,
            source: r.source.clone(),
        }
    }
}

/// The estimated savings per year, with their assumptions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct OpportunitySavings {
    /// The low end, per year, in euro cents excluding VAT.
    pub low_cents: i64,
    /// The high end, per year, in euro cents excluding VAT.
    pub high_cents: i64,
    /// The low rate, in %.
    pub low_percent: u32,
    /// The high rate, in %.
    pub high_percent: u32,
    /// The source of the rates.
    pub source: String,
    /// What was assumed, in French.
    pub assumptions: Vec<String>,
}

impl From<&domain::Savings> for OpportunitySavings {
    fn from(s: &domain::Savings) -> OpportunitySavings {
        OpportunitySavings {
            low_cents: s.low_cents,
            high_cents: s.high_cents,
            low_percent: s.low_percent,
            high_percent: s.high_percent,
            source: s.source.clone(),
            assumptions: s.assumptions.clone(),
        }
    }
}

/// The factors of the score, from 0 to 1, before the family's weight.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, ToSchema)]
pub struct OpportunityScoreFactors {
    /// The pooled annual amount.
    pub amount: f64,
    /// The number of buyers.
    pub buyers: f64,
    /// How close the renewals fall.
    pub alignment: f64,
}

impl From<&domain::ScoreFactors> for OpportunityScoreFactors {
    fn from(f: &domain::ScoreFactors) -> OpportunityScoreFactors {
        OpportunityScoreFactors {
            amount: f.amount,
            buyers: f.buyers,
            alignment: f.alignment,
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use mutualis_domain::Siren;

    use super::*;

    fn bridging(item: &'static str, action: &'static str) -> domain::Bridging {
        domain::Bridging {
            siren: Siren::parse("213801517").unwrap(),
            name: "ÉCHIROLLES".into(),
            item,
            reference: "Nettoyage des écoles".into(),
            date: NaiveDate::from_ymd_opt(2020, 1, 1).unwrap(),
            months: -2,
            action,
        }
    }

    #[test]
    fn a_bridging_line_keeps_its_published_codes() {
        let line = OpportunityBridging::try_from(&bridging("need", "shorten")).unwrap();
        assert_eq!(
            serde_json::to_string(&line).unwrap(),
            r#"{"siren":"213801517","name":"ÉCHIROLLES","item":"need","reference":"Nettoyage des écoles","date":"2020-01-01","months":-2,"action":"shorten"}"#
        );
    }

    #[test]
    fn a_code_the_json_does_not_know_is_refused_not_published() {
        let err = OpportunityBridging::try_from(&bridging("lot", "none")).unwrap_err();
        assert_eq!(err.field, "opportunities[].bridging[].item");
        assert_eq!(err.value, "lot");
        let err = OpportunityBridging::try_from(&bridging("contract", "postpone")).unwrap_err();
        assert_eq!(err.field, "opportunities[].bridging[].action");
        assert_eq!(
            ReportDepth::try_from(CpvDepth::Finer).unwrap_err().field,
            "depth"
        );
    }
}
