//! The rules of French public procurement in force by date (PRODUCT.md §4): procedure
//! thresholds, publication thresholds, mandatory criteria, and the legal rules that carry no
//! number. Each rule is effective-dated and names its legal source.
//!
//! A rule applies to the procedures whose consultation is launched (or whose notice is sent)
//! on or after its `from` date, up to and including its `until` date when it has one.
//!
//! This module holds the types and the lookups only; the rules themselves are data, shipped in
//! `data/rules/rules.toml` and parsed by the reference crate.

use std::collections::HashSet;
use std::fmt;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::amount::Amount;

/// What is bought: works, or supplies and services (the two families of thresholds).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Nature {
    #[serde(rename = "works")]
    Works,
    #[serde(rename = "supplies_services")]
    SuppliesAndServices,
}

impl Nature {
    pub const ALL: [Nature; 2] = [Nature::Works, Nature::SuppliesAndServices];

    /// Stable identifier, as written in the rules file: "works", "supplies_services".
    pub fn code(self) -> &'static str {
        match self {
            Nature::Works => "works",
            Nature::SuppliesAndServices => "supplies_services",
        }
    }

    pub fn from_code(code: &str) -> Option<Nature> {
        Nature::ALL.into_iter().find(|n| n.code() == code)
    }

    /// French label: "travaux", "fournitures et services".
    pub fn label(self) -> &'static str {
        match self {
            Nature::Works => "travaux",
            Nature::SuppliesAndServices => "fournitures et services",
        }
    }
}

impl fmt::Display for Nature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// Who buys, as far as the EU thresholds are concerned: the State and its central authorities
/// have lower supplies and services thresholds than local authorities.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BuyerKind {
    LocalAuthority,
    State,
}

impl BuyerKind {
    pub const ALL: [BuyerKind; 2] = [BuyerKind::LocalAuthority, BuyerKind::State];

    /// Stable identifier, as written in the rules file: "local_authority", "state".
    pub fn code(self) -> &'static str {
        match self {
            BuyerKind::LocalAuthority => "local_authority",
            BuyerKind::State => "state",
        }
    }

    pub fn from_code(code: &str) -> Option<BuyerKind> {
        BuyerKind::ALL.into_iter().find(|b| b.code() == code)
    }

    /// French label: "collectivité territoriale", "État".
    pub fn label(self) -> &'static str {
        match self {
            BuyerKind::LocalAuthority => "collectivité territoriale",
            BuyerKind::State => "État",
        }
    }
}

impl fmt::Display for BuyerKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// The procedure an estimated amount calls for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Procedure {
    /// Below the no-publicity threshold (R2122-8).
    NoPublicity,
    /// From the no-publicity threshold up to the EU threshold (R2123-1).
    Adapted,
    /// At or above the EU threshold (R2124-1).
    Formal,
}

impl Procedure {
    /// The stable code, as serde writes it ("no_publicity", "adapted", "formal").
    pub fn code(self) -> &'static str {
        match self {
            Procedure::NoPublicity => "no_publicity",
            Procedure::Adapted => "adapted",
            Procedure::Formal => "formal",
        }
    }

    /// French label.
    pub fn label(self) -> &'static str {
        match self {
            Procedure::NoPublicity => "sans publicité ni mise en concurrence préalables",
            Procedure::Adapted => "procédure adaptée (MAPA)",
            Procedure::Formal => "procédure formalisée",
        }
    }

    /// The article that opens this procedure by reason of the amount (in French).
    pub fn legal_basis(self) -> &'static str {
        match self {
            Procedure::NoPublicity => {
                "article R2122-8 du code de la commande publique \
                 (article 30 I 8° du décret 2016-360 avant le 01/04/2019)"
            }
            Procedure::Adapted => {
                "article R2123-1 du code de la commande publique \
                 (article 27 du décret 2016-360 avant le 01/04/2019)"
            }
            Procedure::Formal => {
                "article R2124-1 du code de la commande publique \
                 (article 25 du décret 2016-360 avant le 01/04/2019)"
            }
        }
    }
}

impl fmt::Display for Procedure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// What a rule is about. Numeric kinds carry a value (an amount); the others carry a text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RuleKind {
    /// A contract may be awarded without publicity or competition below this amount (R2122-8).
    NoPublicityThreshold,
    /// Formal procedures apply at or above this amount (EU thresholds, CCP annex 2).
    EuThreshold,
    /// The procedure must be dematerialised on the buyer profile at or above this amount
    /// (R2132-2).
    BuyerProfileThreshold,
    /// Innovative purchases may be made without publicity or competition below this amount
    /// (R2122-9-1).
    InnovativePurchaseThreshold,
    /// The essential data of a contract (DECP) must be published at or above this amount
    /// (R2196-1).
    DecpPublicationThreshold,
    /// At least one award criterion must bear on environmental characteristics (L2152-7).
    EnvironmentalCriterionMandatory,
    /// A buyer whose annual purchases exceed this amount must adopt a SPASER (L2111-3,
    /// D2111-3).
    SpaserThreshold,
    /// Groupement de commandes (L2113-6 to L2113-8).
    Groupement,
    /// Central purchasing body (L2113-2 to L2113-5).
    CentralPurchasing,
    /// Division into lots (L2113-10, L2113-11).
    Allotissement,
    /// Reserved contracts (L2113-12 to L2113-15).
    ReservedContracts,
    /// Abnormally low offer (L2152-5, L2152-6, R2152-3 to R2152-5).
    AbnormallyLowOffer,
}

impl RuleKind {
    pub const ALL: [RuleKind; 12] = [
        RuleKind::NoPublicityThreshold,
        RuleKind::EuThreshold,
        RuleKind::BuyerProfileThreshold,
        RuleKind::InnovativePurchaseThreshold,
        RuleKind::DecpPublicationThreshold,
        RuleKind::EnvironmentalCriterionMandatory,
        RuleKind::SpaserThreshold,
        RuleKind::Groupement,
        RuleKind::CentralPurchasing,
        RuleKind::Allotissement,
        RuleKind::ReservedContracts,
        RuleKind::AbnormallyLowOffer,
    ];

    /// Stable identifier, as written in the rules file.
    pub fn code(self) -> &'static str {
        match self {
            RuleKind::NoPublicityThreshold => "no_publicity_threshold",
            RuleKind::EuThreshold => "eu_threshold",
            RuleKind::BuyerProfileThreshold => "buyer_profile_threshold",
            RuleKind::InnovativePurchaseThreshold => "innovative_purchase_threshold",
            RuleKind::DecpPublicationThreshold => "decp_publication_threshold",
            RuleKind::EnvironmentalCriterionMandatory => "environmental_criterion_mandatory",
            RuleKind::SpaserThreshold => "spaser_threshold",
            RuleKind::Groupement => "groupement",
            RuleKind::CentralPurchasing => "central_purchasing",
            RuleKind::Allotissement => "allotissement",
            RuleKind::ReservedContracts => "reserved_contracts",
            RuleKind::AbnormallyLowOffer => "abnormally_low_offer",
        }
    }

    pub fn from_code(code: &str) -> Option<RuleKind> {
        RuleKind::ALL.into_iter().find(|k| k.code() == code)
    }

    /// Whether rules of this kind carry an amount (`Rule::value`).
    pub fn is_numeric(self) -> bool {
        matches!(
            self,
            RuleKind::NoPublicityThreshold
                | RuleKind::EuThreshold
                | RuleKind::BuyerProfileThreshold
                | RuleKind::InnovativePurchaseThreshold
                | RuleKind::DecpPublicationThreshold
                | RuleKind::SpaserThreshold
        )
    }

    /// French label.
    pub fn label(self) -> &'static str {
        match self {
            RuleKind::NoPublicityThreshold => {
                "seuil de dispense de publicité et de mise en concurrence préalables"
            }
            RuleKind::EuThreshold => "seuil européen des procédures formalisées",
            RuleKind::BuyerProfileThreshold => {
                "seuil de dématérialisation sur le profil d'acheteur"
            }
            RuleKind::InnovativePurchaseThreshold => "seuil des achats innovants sans publicité",
            RuleKind::DecpPublicationThreshold => {
                "seuil de publication des données essentielles (DECP)"
            }
            RuleKind::EnvironmentalCriterionMandatory => "critère environnemental obligatoire",
            RuleKind::SpaserThreshold => "seuil d'obligation d'adopter un SPASER",
            RuleKind::Groupement => "groupement de commandes",
            RuleKind::CentralPurchasing => "centrale d'achat",
            RuleKind::Allotissement => "allotissement",
            RuleKind::ReservedContracts => "marchés réservés",
            RuleKind::AbnormallyLowOffer => "offre anormalement basse",
        }
    }
}

impl fmt::Display for RuleKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// One row of the rules table.
///
/// `nature` and `buyer` restrict the rule; `None` means it applies whatever the nature or the
/// buyer (an EU works threshold is the same for the State and local authorities).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Rule {
    /// Stable identifier, e.g. "no-publicity-supplies-2026".
    pub id: String,
    pub kind: RuleKind,
    pub nature: Option<Nature>,
    pub buyer: Option<BuyerKind>,
    /// The amount, for numeric kinds.
    pub value: Option<Amount>,
    /// The rule in words, for the kinds that carry no amount (and optionally the others).
    pub value_text: Option<String>,
    /// First day the rule applies to a launched consultation.
    pub from: NaiveDate,
    /// Last day (inclusive) it applies; `None` while in force.
    pub until: Option<NaiveDate>,
    /// Legal source, e.g. "R2122-8 CCP ; décret 2025-1386".
    pub source: String,
    pub note: Option<String>,
}

impl Rule {
    /// Whether the rule applies to a consultation launched on `date`.
    pub fn in_force_on(&self, date: NaiveDate) -> bool {
        self.from <= date && self.until.is_none_or(|until| date <= until)
    }

    /// The period in French: "du 01/01/2020 au 31/03/2026", "depuis le 01/04/2026".
    pub fn period_label(&self) -> String {
        period_label(self.from, self.until)
    }

    fn overlaps(&self, other: &Rule) -> bool {
        let starts_before_other_ends = other.until.is_none_or(|until| self.from <= until);
        let other_starts_before_end = self.until.is_none_or(|until| other.from <= until);
        self.kind == other.kind
            && compatible(self.nature, other.nature)
            && compatible(self.buyer, other.buyer)
            && starts_before_other_ends
            && other_starts_before_end
    }

    /// Whether the rule answers a lookup for this nature and buyer: a restriction of the rule
    /// must be met by the query; an unrestricted rule answers every query.
    fn matches(&self, nature: Option<Nature>, buyer: Option<BuyerKind>) -> bool {
        restriction_met(self.nature, nature) && restriction_met(self.buyer, buyer)
    }
}

/// Two restrictions can apply to the same case unless both are set and differ.
fn compatible<T: PartialEq>(a: Option<T>, b: Option<T>) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => a == b,
        _ => true,
    }
}

fn restriction_met<T: PartialEq>(rule: Option<T>, query: Option<T>) -> bool {
    match rule {
        None => true,
        Some(r) => query == Some(r),
    }
}

/// A date in French notation: "01/04/2026".
pub fn date_label(date: NaiveDate) -> String {
    date.format("%d/%m/%Y").to_string()
}

fn period_label(from: NaiveDate, until: Option<NaiveDate>) -> String {
    match until {
        Some(until) => format!("du {} au {}", date_label(from), date_label(until)),
        None => format!("depuis le {}", date_label(from)),
    }
}

/// "(travaux, État)", "(fournitures et services)", or "" when nothing restricts.
fn scope_label(nature: Option<Nature>, buyer: Option<BuyerKind>) -> String {
    let parts: Vec<&str> = [nature.map(Nature::label), buyer.map(BuyerKind::label)]
        .into_iter()
        .flatten()
        .collect();
    if parts.is_empty() {
        String::new()
    } else {
        format!(" ({})", parts.join(", "))
    }
}

/// Why a set of rules cannot form a rule book.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RuleBookError {
    #[error("règle n° {index} : identifiant vide")]
    EmptyId { index: usize },
    #[error("règle « {id} » : identifiant en double")]
    DuplicateId { id: String },
    #[error("règle « {id} » : source juridique manquante")]
    MissingSource { id: String },
    #[error(
        "règle « {id} » : période invalide, la date de fin {} précède la date de début {}",
        date_label(*until),
        date_label(*from)
    )]
    InvertedPeriod {
        id: String,
        from: NaiveDate,
        until: NaiveDate,
    },
    #[error("règle « {id} » ({kind}) : montant manquant")]
    MissingValue { id: String, kind: RuleKind },
    #[error("règle « {id} » ({kind}) : cette règle ne porte pas de montant")]
    UnexpectedValue { id: String, kind: RuleKind },
    #[error("règle « {id} » ({kind}) : texte de la règle (value_text) manquant")]
    MissingText { id: String, kind: RuleKind },
    #[error("règle « {id} » : montant négatif ({value})")]
    NegativeValue { id: String, value: Amount },
    #[error(
        "règles « {first} » et « {second} » ({kind}) : périodes qui se chevauchent pour le même \
         champ d'application"
    )]
    Overlap {
        first: String,
        second: String,
        kind: RuleKind,
    },
}

/// Why a lookup could not be answered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RuleLookupError {
    #[error(
        "aucune règle « {kind} »{} en vigueur le {} : la table des règles ne couvre pas cette \
         date et doit être complétée",
        scope_label(*nature, *buyer),
        date_label(*date)
    )]
    NoRuleInForce {
        kind: RuleKind,
        nature: Option<Nature>,
        buyer: Option<BuyerKind>,
        date: NaiveDate,
    },
    #[error("montant estimé négatif ({amount}) : aucune procédure ne peut en être déduite")]
    NegativeAmount { amount: Amount },
    #[error("règle « {id} » ({kind}) sans montant : elle ne peut pas servir de seuil")]
    RuleWithoutValue { id: String, kind: RuleKind },
}

/// A threshold used in a decision, with where it comes from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppliedThreshold {
    pub rule_id: String,
    pub kind: RuleKind,
    pub value: Amount,
    pub source: String,
    pub from: NaiveDate,
    pub until: Option<NaiveDate>,
}

impl AppliedThreshold {
    fn from_rule(rule: &Rule) -> Result<Self, RuleLookupError> {
        let value = rule
            .value
            .ok_or_else(|| RuleLookupError::RuleWithoutValue {
                id: rule.id.clone(),
                kind: rule.kind,
            })?;
        Ok(Self {
            rule_id: rule.id.clone(),
            kind: rule.kind,
            value,
            source: rule.source.clone(),
            from: rule.from,
            until: rule.until,
        })
    }

    /// "seuil européen des procédures formalisées de 216 000,00 € HT, en vigueur du 01/01/2026
    /// au 31/12/2027 (CCP annexe 2 ; …)".
    pub fn describe(&self) -> String {
        format!(
            "{} de {}, en vigueur {} ({})",
            self.kind.label(),
            self.value,
            period_label(self.from, self.until),
            self.source
        )
    }
}

/// The no-publicity and EU thresholds of one nature, buyer and date.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProcedureThresholds {
    pub no_publicity: AppliedThreshold,
    pub eu: AppliedThreshold,
}

impl ProcedureThresholds {
    /// Strictly below the no-publicity threshold, none (R2122-8 "inférieure à"); from it up to
    /// strictly below the EU threshold, adapted (R2123-1); at or above the EU threshold, formal
    /// (R2124-1). A negative amount is the caller's error ([`RuleBook::procedure_for`] refuses
    /// it); here it counts as below every threshold.
    pub fn procedure_for(&self, estimated: Amount) -> Procedure {
        if estimated >= self.eu.value {
            Procedure::Formal
        } else if estimated < self.no_publicity.value {
            Procedure::NoPublicity
        } else {
            Procedure::Adapted
        }
    }
}

/// The procedure an estimated amount calls for, and why.
///
/// `lower` is the threshold the amount reaches (none for `NoPublicity`); `upper` is the
/// threshold it stays below (none for `Formal`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProcedureDecision {
    pub procedure: Procedure,
    pub nature: Nature,
    pub buyer: BuyerKind,
    pub estimated: Amount,
    pub launched_on: NaiveDate,
    pub lower: Option<AppliedThreshold>,
    pub upper: Option<AppliedThreshold>,
}

impl ProcedureDecision {
    /// The reasoning in French, one sentence per step.
    pub fn reasons(&self) -> Vec<String> {
        let mut reasons = vec![format!(
            "Montant estimé : {} ({}, {}), consultation lancée le {}.",
            self.estimated,
            self.nature.label(),
            self.buyer.label(),
            date_label(self.launched_on)
        )];
        if let Some(lower) = &self.lower {
            reasons.push(format!("Il est égal ou supérieur au {}.", lower.describe()));
        }
        if let Some(upper) = &self.upper {
            reasons.push(format!(
                "Il est strictement inférieur au {}.",
                upper.describe()
            ));
        }
        // Below the no-publicity threshold, the basis is the threshold's own text (R2122-8, or
        // the temporary texts for works in 2020-2025).
        let basis = match (&self.procedure, &self.upper) {
            (Procedure::NoPublicity, Some(upper)) => upper.source.clone(),
            _ => self.procedure.legal_basis().to_owned(),
        };
        reasons.push(format!("Procédure : {} ({basis}).", self.procedure.label()));
        reasons
    }

    /// The reasons as one paragraph.
    pub fn explanation(&self) -> String {
        self.reasons().join(" ")
    }
}

/// A validated set of rules: ids unique, periods well formed, numeric rules valued, and at most
/// one rule of a kind in force for any date, nature and buyer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleBook {
    rules: Vec<Rule>,
}

impl RuleBook {
    /// Validates the rules. Two rules of the same kind whose natures and buyers can apply to the
    /// same case (equal, or one of them unrestricted) must not overlap in time, so that a lookup
    /// never has two answers.
    pub fn new(rules: Vec<Rule>) -> Result<RuleBook, RuleBookError> {
        let mut ids = HashSet::new();
        for (index, rule) in rules.iter().enumerate() {
            if rule.id.trim().is_empty() {
                return Err(RuleBookError::EmptyId { index: index + 1 });
            }
            if !ids.insert(rule.id.as_str()) {
                return Err(RuleBookError::DuplicateId {
                    id: rule.id.clone(),
                });
            }
            if rule.source.trim().is_empty() {
                return Err(RuleBookError::MissingSource {
                    id: rule.id.clone(),
                });
            }
            if let Some(until) = rule.until.filter(|until| *until < rule.from) {
                return Err(RuleBookError::InvertedPeriod {
                    id: rule.id.clone(),
                    from: rule.from,
                    until,
                });
            }
            match (rule.kind.is_numeric(), rule.value) {
                (true, None) => {
                    return Err(RuleBookError::MissingValue {
                        id: rule.id.clone(),
                        kind: rule.kind,
                    });
                }
                (false, Some(_)) => {
                    return Err(RuleBookError::UnexpectedValue {
                        id: rule.id.clone(),
                        kind: rule.kind,
                    });
                }
                (true, Some(value)) if value < Amount::ZERO => {
                    return Err(RuleBookError::NegativeValue {
                        id: rule.id.clone(),
                        value,
                    });
                }
                (false, None)
                    if rule
                        .value_text
                        .as_deref()
                        .is_none_or(|t| t.trim().is_empty()) =>
                {
                    return Err(RuleBookError::MissingText {
                        id: rule.id.clone(),
                        kind: rule.kind,
                    });
                }
                _ => {}
            }
        }
        for (i, first) in rules.iter().enumerate() {
            if let Some(second) = rules[i + 1..].iter().find(|r| first.overlaps(r)) {
                return Err(RuleBookError::Overlap {
                    first: first.id.clone(),
                    second: second.id.clone(),
                    kind: first.kind,
                });
            }
        }
        Ok(RuleBook { rules })
    }

    /// Every rule, in the order given.
    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    pub fn get(&self, id: &str) -> Option<&Rule> {
        self.rules.iter().find(|r| r.id == id)
    }

    /// The rules of a kind that can apply to this nature and buyer, oldest first.
    pub fn history(
        &self,
        kind: RuleKind,
        nature: Option<Nature>,
        buyer: Option<BuyerKind>,
    ) -> Vec<&Rule> {
        let mut rules: Vec<&Rule> = self
            .rules
            .iter()
            .filter(|r| r.kind == kind && r.matches(nature, buyer))
            .collect();
        rules.sort_by_key(|r| r.from);
        rules
    }

    /// The rule of `kind` in force on `date` for this nature and buyer. A rule restricted to a
    /// nature (or buyer) answers only a query naming that nature (or buyer); an unrestricted
    /// rule answers every query.
    pub fn in_force(
        &self,
        kind: RuleKind,
        nature: Option<Nature>,
        buyer: Option<BuyerKind>,
        date: NaiveDate,
    ) -> Option<&Rule> {
        self.rules
            .iter()
            .find(|r| r.kind == kind && r.matches(nature, buyer) && r.in_force_on(date))
    }

    /// Like `in_force`, but a missing rule is an error naming what is missing.
    pub fn require(
        &self,
        kind: RuleKind,
        nature: Option<Nature>,
        buyer: Option<BuyerKind>,
        date: NaiveDate,
    ) -> Result<&Rule, RuleLookupError> {
        self.in_force(kind, nature, buyer, date)
            .ok_or(RuleLookupError::NoRuleInForce {
                kind,
                nature,
                buyer,
                date,
            })
    }

    fn threshold(
        &self,
        kind: RuleKind,
        nature: Option<Nature>,
        buyer: Option<BuyerKind>,
        date: NaiveDate,
    ) -> Result<AppliedThreshold, RuleLookupError> {
        AppliedThreshold::from_rule(self.require(kind, nature, buyer, date)?)
    }

    /// The two thresholds that decide the procedure, in force for a consultation launched on
    /// `launched_on`: to classify many amounts at once (the members of a pooled purchase).
    pub fn procedure_thresholds(
        &self,
        nature: Nature,
        buyer: BuyerKind,
        launched_on: NaiveDate,
    ) -> Result<ProcedureThresholds, RuleLookupError> {
        Ok(ProcedureThresholds {
            no_publicity: self.threshold(
                RuleKind::NoPublicityThreshold,
                Some(nature),
                Some(buyer),
                launched_on,
            )?,
            eu: self.threshold(
                RuleKind::EuThreshold,
                Some(nature),
                Some(buyer),
                launched_on,
            )?,
        })
    }

    /// The procedure an estimated amount calls for, for a consultation launched on
    /// `launched_on`: strictly below the no-publicity threshold, none (R2122-8 "inférieure
    /// à"); from it up to strictly below the EU threshold, an adapted procedure (R2123-1); at
    /// or above the EU threshold, a formal procedure (R2124-1).
    ///
    /// Both thresholds must be in force on that date, otherwise the rules table is incomplete
    /// and the answer is an error rather than a guess.
    pub fn procedure_for(
        &self,
        nature: Nature,
        estimated: Amount,
        buyer: BuyerKind,
        launched_on: NaiveDate,
    ) -> Result<ProcedureDecision, RuleLookupError> {
        if estimated < Amount::ZERO {
            return Err(RuleLookupError::NegativeAmount { amount: estimated });
        }
        let thresholds = self.procedure_thresholds(nature, buyer, launched_on)?;
        let procedure = thresholds.procedure_for(estimated);
        let ProcedureThresholds { no_publicity, eu } = thresholds;
        let (lower, upper) = match procedure {
            Procedure::Formal => (Some(eu), None),
            Procedure::NoPublicity => (None, Some(no_publicity)),
            Procedure::Adapted => (Some(no_publicity), Some(eu)),
        };
        Ok(ProcedureDecision {
            procedure,
            nature,
            buyer,
            estimated,
            launched_on,
            lower,
            upper,
        })
    }

    /// Whether at least one award criterion must bear on environmental characteristics
    /// (L2152-7) for a consultation launched on `date`.
    pub fn environmental_criterion_required(&self, date: NaiveDate) -> bool {
        self.environmental_criterion_rule(date).is_some()
    }

    /// The rule that makes an environmental award criterion mandatory for a consultation
    /// launched on `date`, with its source, if one is in force.
    pub fn environmental_criterion_rule(&self, date: NaiveDate) -> Option<&Rule> {
        self.in_force(RuleKind::EnvironmentalCriterionMandatory, None, None, date)
    }

    /// Whether the procedure must be dematerialised on the buyer profile: estimated amount
    /// equal to or above the threshold (R2132-2).
    pub fn buyer_profile_required(
        &self,
        amount: Amount,
        date: NaiveDate,
    ) -> Result<bool, RuleLookupError> {
        let t = self.threshold(RuleKind::BuyerProfileThreshold, None, None, date)?;
        Ok(amount >= t.value)
    }

    /// Whether the contract's essential data must be published (DECP): amount equal to or
    /// above the threshold (R2196-1).
    pub fn decp_publication_required(
        &self,
        amount: Amount,
        date: NaiveDate,
    ) -> Result<bool, RuleLookupError> {
        let t = self.threshold(RuleKind::DecpPublicationThreshold, None, None, date)?;
        Ok(amount >= t.value)
    }

    /// Whether an innovative purchase may be made without publicity or competition: estimated
    /// amount strictly below the threshold (R2122-9-1).
    pub fn innovative_purchase_without_publicity(
        &self,
        nature: Nature,
        amount: Amount,
        date: NaiveDate,
    ) -> Result<bool, RuleLookupError> {
        let t = self.threshold(
            RuleKind::InnovativePurchaseThreshold,
            Some(nature),
            None,
            date,
        )?;
        Ok(amount < t.value)
    }

    /// Whether a buyer must adopt a SPASER: annual purchases strictly above the threshold
    /// (L2111-3, D2111-3).
    pub fn spaser_required(
        &self,
        annual_purchases: Amount,
        date: NaiveDate,
    ) -> Result<bool, RuleLookupError> {
        let t = self.threshold(RuleKind::SpaserThreshold, None, None, date)?;
        Ok(annual_purchases > t.value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn rule(
        id: &str,
        kind: RuleKind,
        nature: Option<Nature>,
        buyer: Option<BuyerKind>,
        euros: Option<i64>,
        from: NaiveDate,
        until: Option<NaiveDate>,
    ) -> Rule {
        Rule {
            id: id.to_owned(),
            kind,
            nature,
            buyer,
            value: euros.map(Amount::from_euros),
            value_text: None,
            from,
            until,
            source: format!("source de {id}"),
            note: None,
        }
    }

    fn sample_rules() -> Vec<Rule> {
        use BuyerKind::*;
        use Nature::*;
        use RuleKind::*;
        let mut env = rule(
            "env",
            EnvironmentalCriterionMandatory,
            None,
            None,
            None,
            d(2026, 8, 21),
            None,
        );
        env.value_text = Some("au moins un critère environnemental".to_owned());
        vec![
            rule(
                "np-s-2020",
                NoPublicityThreshold,
                Some(SuppliesAndServices),
                None,
                Some(40_000),
                d(2020, 1, 1),
                Some(d(2026, 3, 31)),
            ),
            rule(
                "np-s-2026",
                NoPublicityThreshold,
                Some(SuppliesAndServices),
                None,
                Some(60_000),
                d(2026, 4, 1),
                None,
            ),
            rule(
                "np-w-2020",
                NoPublicityThreshold,
                Some(Works),
                None,
                Some(100_000),
                d(2020, 12, 8),
                None,
            ),
            rule(
                "eu-s-local",
                EuThreshold,
                Some(SuppliesAndServices),
                Some(LocalAuthority),
                Some(216_000),
                d(2026, 1, 1),
                Some(d(2027, 12, 31)),
            ),
            rule(
                "eu-s-state",
                EuThreshold,
                Some(SuppliesAndServices),
                Some(State),
                Some(140_000),
                d(2026, 1, 1),
                Some(d(2027, 12, 31)),
            ),
            rule(
                "eu-w",
                EuThreshold,
                Some(Works),
                None,
                Some(5_404_000),
                d(2026, 1, 1),
                Some(d(2027, 12, 31)),
            ),
            rule(
                "profile",
                BuyerProfileThreshold,
                None,
                None,
                Some(60_000),
                d(2026, 4, 1),
                None,
            ),
            rule(
                "decp",
                DecpPublicationThreshold,
                None,
                None,
                Some(40_000),
                d(2020, 1, 1),
                None,
            ),
            rule(
                "spaser",
                SpaserThreshold,
                None,
                None,
                Some(50_000_000),
                d(2023, 1, 1),
                None,
            ),
            env,
        ]
    }

    fn book() -> RuleBook {
        RuleBook::new(sample_rules()).unwrap()
    }

    const S: Nature = Nature::SuppliesAndServices;
    const W: Nature = Nature::Works;
    const LOCAL: BuyerKind = BuyerKind::LocalAuthority;
    const STATE: BuyerKind = BuyerKind::State;

    fn procedure(nature: Nature, cents: i64, buyer: BuyerKind, on: NaiveDate) -> Procedure {
        book()
            .procedure_for(nature, Amount::from_cents(cents), buyer, on)
            .unwrap()
            .procedure
    }

    #[test]
    fn no_publicity_threshold_is_strict() {
        let on = d(2026, 4, 1);
        assert_eq!(procedure(S, 6_000_000, LOCAL, on), Procedure::Adapted);
        assert_eq!(procedure(S, 5_999_999, LOCAL, on), Procedure::NoPublicity);
        assert_eq!(procedure(S, 0, LOCAL, on), Procedure::NoPublicity);
        // The day before, the threshold was 40 000 €.
        assert_eq!(
            procedure(S, 5_999_999, LOCAL, d(2026, 3, 31)),
            Procedure::Adapted
        );
        assert_eq!(
            procedure(S, 3_999_999, LOCAL, d(2026, 3, 31)),
            Procedure::NoPublicity
        );
    }

    #[test]
    fn eu_threshold_is_reached_at_its_value() {
        let on = d(2026, 4, 1);
        assert_eq!(procedure(S, 21_600_000, LOCAL, on), Procedure::Formal);
        assert_eq!(procedure(S, 21_599_999, LOCAL, on), Procedure::Adapted);
        assert_eq!(procedure(S, 14_000_000, STATE, on), Procedure::Formal);
        assert_eq!(procedure(S, 13_999_999, STATE, on), Procedure::Adapted);
        // Works: one threshold for every buyer.
        assert_eq!(procedure(W, 540_400_000, STATE, on), Procedure::Formal);
        assert_eq!(procedure(W, 540_399_999, LOCAL, on), Procedure::Adapted);
        assert_eq!(procedure(W, 9_999_999, LOCAL, on), Procedure::NoPublicity);
        assert_eq!(procedure(W, 10_000_000, LOCAL, on), Procedure::Adapted);
    }

    #[test]
    fn decision_names_its_thresholds_and_explains_in_french() {
        let decision = book()
            .procedure_for(S, Amount::from_euros(50_000), LOCAL, d(2026, 3, 31))
            .unwrap();
        assert_eq!(decision.procedure, Procedure::Adapted);
        let lower = decision.lower.as_ref().unwrap();
        let upper = decision.upper.as_ref().unwrap();
        assert_eq!(lower.rule_id, "np-s-2020");
        assert_eq!(lower.value, Amount::from_euros(40_000));
        assert_eq!(upper.rule_id, "eu-s-local");
        let text = decision.explanation();
        assert!(text.contains("50\u{202f}000,00 € HT"), "{text}");
        assert!(text.contains("40\u{202f}000,00 € HT"), "{text}");
        assert!(text.contains("216\u{202f}000,00 € HT"), "{text}");
        assert!(text.contains("du 01/01/2020 au 31/03/2026"), "{text}");
        assert!(text.contains("source de np-s-2020"), "{text}");
        assert!(text.contains("31/03/2026"), "{text}");
        assert!(text.contains("procédure adaptée (MAPA)"), "{text}");
        assert!(text.contains("R2123-1"), "{text}");

        let formal = book()
            .procedure_for(S, Amount::from_euros(300_000), STATE, d(2026, 5, 1))
            .unwrap();
        assert!(formal.upper.is_none());
        assert_eq!(formal.lower.unwrap().rule_id, "eu-s-state");
        let none = book()
            .procedure_for(S, Amount::from_euros(1), STATE, d(2026, 5, 1))
            .unwrap();
        assert!(none.lower.is_none());
        let text = none.explanation();
        assert!(
            text.contains("Procédure : sans publicité ni mise en concurrence préalables (source de np-s-2026)."),
            "{text}"
        );
        assert_eq!(none.upper.unwrap().rule_id, "np-s-2026");
    }

    #[test]
    fn missing_rule_is_a_french_error_naming_the_date() {
        // No EU threshold after 2027.
        let err = book()
            .procedure_for(S, Amount::from_euros(1_000), LOCAL, d(2028, 1, 1))
            .unwrap_err();
        assert_eq!(
            err,
            RuleLookupError::NoRuleInForce {
                kind: RuleKind::EuThreshold,
                nature: Some(S),
                buyer: Some(LOCAL),
                date: d(2028, 1, 1),
            }
        );
        let msg = err.to_string();
        assert!(msg.contains("01/01/2028"), "{msg}");
        assert!(msg.contains("seuil européen"), "{msg}");
        assert!(
            msg.contains("fournitures et services, collectivité territoriale"),
            "{msg}"
        );
        // No no-publicity threshold before 2020 in this book.
        let err = book()
            .procedure_for(W, Amount::from_euros(1_000), LOCAL, d(2019, 6, 1))
            .unwrap_err();
        assert!(matches!(
            err,
            RuleLookupError::NoRuleInForce {
                kind: RuleKind::NoPublicityThreshold,
                ..
            }
        ));
        assert!(matches!(
            book().procedure_for(W, Amount::from_cents(-1), LOCAL, d(2026, 6, 1)),
            Err(RuleLookupError::NegativeAmount { .. })
        ));
    }

    #[test]
    fn small_lookups() {
        let b = book();
        assert!(!b.environmental_criterion_required(d(2026, 8, 20)));
        assert!(b.environmental_criterion_required(d(2026, 8, 21)));
        assert!(
            b.buyer_profile_required(Amount::from_euros(60_000), d(2026, 4, 1))
                .unwrap()
        );
        assert!(
            !b.buyer_profile_required(Amount::from_cents(5_999_999), d(2026, 4, 1))
                .unwrap()
        );
        assert!(
            b.buyer_profile_required(Amount::ZERO, d(2026, 3, 31))
                .is_err()
        );
        assert!(
            b.decp_publication_required(Amount::from_euros(40_000), d(2024, 1, 1))
                .unwrap()
        );
        assert!(
            !b.decp_publication_required(Amount::from_cents(3_999_999), d(2024, 1, 1))
                .unwrap()
        );
        assert!(
            !b.spaser_required(Amount::from_euros(50_000_000), d(2024, 1, 1))
                .unwrap()
        );
        assert!(
            b.spaser_required(Amount::from_cents(5_000_000_001), d(2024, 1, 1))
                .unwrap()
        );
        assert_eq!(
            b.in_force(RuleKind::EuThreshold, Some(W), Some(STATE), d(2026, 1, 1))
                .map(|r| r.id.as_str()),
            Some("eu-w")
        );
        // A nature-specific rule does not answer a query that names no nature.
        assert!(
            b.in_force(RuleKind::EuThreshold, None, None, d(2026, 1, 1))
                .is_none()
        );
        assert_eq!(
            b.history(RuleKind::NoPublicityThreshold, Some(S), None)
                .iter()
                .map(|r| r.id.as_str())
                .collect::<Vec<_>>(),
            ["np-s-2020", "np-s-2026"]
        );
        assert_eq!(
            b.get("decp").map(|r| r.value),
            Some(Some(Amount::from_euros(40_000)))
        );
    }

    #[test]
    fn overlapping_rules_are_refused() {
        let mut rules = sample_rules();
        // Starts on the last day of np-s-2020.
        rules.push(rule(
            "np-s-bis",
            RuleKind::NoPublicityThreshold,
            Some(S),
            None,
            Some(50_000),
            d(2026, 3, 31),
            Some(d(2026, 3, 31)),
        ));
        assert_eq!(
            RuleBook::new(rules).unwrap_err(),
            RuleBookError::Overlap {
                first: "np-s-2020".into(),
                second: "np-s-bis".into(),
                kind: RuleKind::NoPublicityThreshold,
            }
        );
        // An unrestricted rule overlaps a nature-specific one of the same kind.
        let mut rules = sample_rules();
        rules.push(rule(
            "np-any",
            RuleKind::NoPublicityThreshold,
            None,
            None,
            Some(50_000),
            d(2030, 1, 1),
            None,
        ));
        assert!(matches!(
            RuleBook::new(rules),
            Err(RuleBookError::Overlap { .. })
        ));
        // Different buyers, or adjacent periods, do not overlap.
        let mut rules = sample_rules();
        rules.push(rule(
            "eu-s-local-2028",
            RuleKind::EuThreshold,
            Some(S),
            Some(LOCAL),
            Some(220_000),
            d(2028, 1, 1),
            None,
        ));
        assert!(RuleBook::new(rules).is_ok());
    }

    #[test]
    fn malformed_rules_are_refused() {
        let mut rules = sample_rules();
        rules[1].id = "np-s-2020".into();
        assert_eq!(
            RuleBook::new(rules).unwrap_err(),
            RuleBookError::DuplicateId {
                id: "np-s-2020".into()
            }
        );

        let mut rules = sample_rules();
        rules[0].until = Some(d(2019, 12, 31));
        let err = RuleBook::new(rules).unwrap_err();
        assert!(matches!(err, RuleBookError::InvertedPeriod { .. }));
        assert!(err.to_string().contains("31/12/2019"), "{err}");

        let mut rules = sample_rules();
        rules[0].value = None;
        assert!(matches!(
            RuleBook::new(rules),
            Err(RuleBookError::MissingValue { .. })
        ));

        let mut rules = sample_rules();
        rules[0].value = Some(Amount::from_cents(-1));
        assert!(matches!(
            RuleBook::new(rules),
            Err(RuleBookError::NegativeValue { .. })
        ));

        let mut rules = sample_rules();
        let last = rules.len() - 1;
        rules[last].value_text = None;
        assert!(matches!(
            RuleBook::new(rules),
            Err(RuleBookError::MissingText { .. })
        ));

        let mut rules = sample_rules();
        rules[last].value = Some(Amount::from_euros(1));
        assert!(matches!(
            RuleBook::new(rules),
            Err(RuleBookError::UnexpectedValue { .. })
        ));

        let mut rules = sample_rules();
        rules[0].source = " ".into();
        assert!(matches!(
            RuleBook::new(rules),
            Err(RuleBookError::MissingSource { .. })
        ));

        let mut rules = sample_rules();
        rules[0].id = String::new();
        assert_eq!(
            RuleBook::new(rules).unwrap_err(),
            RuleBookError::EmptyId { index: 1 }
        );
    }

    #[test]
    fn codes_round_trip() {
        for kind in RuleKind::ALL {
            assert_eq!(RuleKind::from_code(kind.code()), Some(kind));
        }
        for nature in Nature::ALL {
            assert_eq!(Nature::from_code(nature.code()), Some(nature));
        }
        for buyer in BuyerKind::ALL {
            assert_eq!(BuyerKind::from_code(buyer.code()), Some(buyer));
        }
        assert_eq!(Nature::from_code("supplies"), None);
        assert_eq!(
            Procedure::NoPublicity.label(),
            "sans publicité ni mise en concurrence préalables"
        );
    }
}
