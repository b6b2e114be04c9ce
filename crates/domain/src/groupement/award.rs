//! The award of lots to a supplier and what it publishes: the ids of the contracts, when they
//! run, and DECP's record of each awarded lot under the coordinator.

use chrono::{Datelike, Months, NaiveDate};
use serde::{Deserialize, Serialize};

use super::{Groupement, Lot};
use crate::amount::Amount;
use crate::contract::{
    Contract, ContractKind, ContractSource, Decp2Fields, Label, Operator, Place,
};
use crate::ids::{Siren, Siret};
use crate::rules::date_label;

/// The award of one or more lots to one supplier.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Award {
    pub supplier_siret: Siret,
    pub lots: Vec<LotAward>,
    /// What DECP publishes about the contract that the groupement's data does not say, as the
    /// coordinator recorded it. Without it the award's DECP record lists what it lacks and is
    /// not published (nothing is invented).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub publication: Option<Box<AwardPublication>>,
}

/// The facts of an award that DECP 2.0 publishes (arrêté du 22 décembre 2022 relatif aux
/// données essentielles) beyond the groupement's own data: the values are DECP 2.0's
/// vocabulary ("Appel d'offres ouvert", "Unitaire"…), which the export checks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AwardPublication {
    /// The day the contract was notified to the titulaire.
    pub notified_on: NaiveDate,
    /// The day its essential data are published (`datePublicationDonnees`).
    pub published_on: NaiveDate,
    pub procedure: String,
    pub price_form: String,
    pub place: Place,
    pub decp2: Decp2Fields,
}

/// What a lot was awarded for, in total for all the members.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct LotAward {
    pub lot: u32,
    pub total: Amount,
}

impl Groupement {
    /// The award of a lot, if any.
    pub fn award_of(&self, lot: u32) -> Option<&Award> {
        self.awards
            .iter()
            .find(|a| a.lots.iter().any(|l| l.lot == lot))
    }
}

/// The DECP id of a groupement's lot as published: `GRP{groupement}-L{lot}`, one record per
/// lot under the coordinator (DECP 2.0 ids have at most 16 characters).
pub fn lot_contract_id(groupement_id: i64, lot: u32) -> String {
    format!("GRP{groupement_id}-L{lot}")
}

/// The id of one member's contract of a lot, its share: the lot's id followed by the member's
/// SIREN, `GRP{groupement}-L{lot}-{siren}`. Distinct for each member and stable (it depends on
/// nothing that changes once the lot is awarded); these contracts stay in Mutualis, DECP
/// publishing the lot under [`lot_contract_id`].
pub fn member_contract_id(groupement_id: i64, lot: u32, member: &Siren) -> String {
    format!("{}-{member}", lot_contract_id(groupement_id, lot))
}

/// The first day the contracts of a groupement can start when its adhesions close on
/// `adhesion_deadline` and its consultation then takes `lead_months` (the procedure's lead
/// time): the first day of the month that follows the deadline plus the lead time, so always
/// after the deadline.
pub fn earliest_start(adhesion_deadline: NaiveDate, lead_months: u32) -> NaiveDate {
    let after = adhesion_deadline
        .checked_add_months(Months::new(lead_months))
        .and_then(|d| d.succ_opt())
        .unwrap_or(NaiveDate::MAX);
    if after.day() == 1 {
        return after;
    }
    after
        .with_day(1)
        .and_then(|d| d.checked_add_months(Months::new(1)))
        .unwrap_or(NaiveDate::MAX)
}

impl Groupement {
    /// When the members' contracts of an award notified on `notified_on` run, as (start,
    /// end): from the groupement's planned start, or from the notification when it comes
    /// later (a contract is notified before its execution begins, R2182-4) or when no start is
    /// planned; until the start plus the groupement's duration. The notification stays the
    /// notification.
    pub fn contract_period(&self, notified_on: NaiveDate) -> (NaiveDate, NaiveDate) {
        let start = self
            .proposed_start
            .map_or(notified_on, |planned| planned.max(notified_on));
        let end = start
            .checked_add_months(Months::new(self.duration_months))
            .unwrap_or(NaiveDate::MAX);
        (start, end)
    }

    /// Why a notification on `notified_on` contradicts the planned start, in French: it comes
    /// after it, so the contracts would start on the notification instead. `None` when it
    /// does not (or no start is planned).
    pub fn late_notification(&self, notified_on: NaiveDate) -> Option<String> {
        let planned = self.proposed_start.filter(|p| notified_on > *p)?;
        Some(format!(
            "notification le {}, après le début envisagé des contrats le {} : un marché est \
             notifié avant tout commencement d'exécution (article R2182-4 du code de la commande \
             publique), les contrats des membres commenceraient donc le {}",
            date_label(notified_on),
            date_label(planned),
            date_label(notified_on)
        ))
    }
}

impl Groupement {
    /// The object of a lot's contracts: "title — lot n : lot title".
    pub fn lot_object(&self, lot: &Lot) -> String {
        format!("{} — lot {} : {}", self.title, lot.number, lot.title)
    }

    /// The contracts DECP publishes for the awarded lots: French DECP knows only the
    /// coordinator, so one record per lot under `coordinator` (its SIRET) for the lot's total,
    /// the members' shares staying in Mutualis. The DECP 2.0 facts come from the award's
    /// publication; an award recorded without it gives a contract that lacks them, which the
    /// export names and leaves out. In lot order.
    pub fn published_contracts(&self, groupement_id: i64, coordinator: &Siret) -> Vec<Contract> {
        let mut out = Vec::new();
        for lot in &self.lots {
            let Some(award) = self.award_of(lot.number) else {
                continue;
            };
            let Some(lot_award) = award.lots.iter().find(|l| l.lot == lot.number) else {
                continue;
            };
            let p = award.publication.as_ref();
            let label = |v: Option<&String>| Label {
                value: v.cloned(),
                original: None,
            };
            out.push(Contract {
                id: lot_contract_id(groupement_id, lot.number),
                buyer: coordinator.clone(),
                buyer_name: self.member(&self.coordinator).map(|m| m.name.clone()),
                kind: ContractKind::Marche,
                source: ContractSource::Mutualis,
                nature: Label::v2("Marché"),
                object: self.lot_object(lot),
                cpv: Some(lot.cpv),
                procedure: label(p.map(|p| &p.procedure)),
                place: p.map(|p| p.place.clone()),
                duration_months: Some(self.duration_months),
                notified_on: p.map(|p| p.notified_on),
                starts_on: None,
                published_on: p.map(|p| p.published_on),
                amount: Some(lot_award.total),
                price_form: label(p.map(|p| &p.price_form)),
                operators: vec![Operator {
                    id: award.supplier_siret.as_str().to_owned(),
                    id_type: "SIRET".into(),
                    name: None,
                }],
                modifications: Vec::new(),
                subcontracting: Vec::new(),
                decp2: p.map(|p| p.decp2.clone()),
                repairs: Vec::new(),
            });
        }
        out
    }
}
