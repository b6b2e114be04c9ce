//! Public contracts as the DECP ("données essentielles de la commande publique") describe
//! them: marchés and contrats de concession, their titulaires, their modifications and
//! subcontracting acts. Labels keep the DECP 2.0 vocabulary (French legal terms); the original
//! 1.x label is kept beside the mapped one.

use chrono::{Months, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::amount::Amount;
use crate::cpv::CpvCode;
use crate::decimal::{Decimal, Share};
use crate::ids::{Siren, Siret};
use crate::plausibility::placeholders::{self, is_repeated_digit};

pub mod identity;
use crate::repair::Repair;

/// Marché public or contrat de concession.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ContractKind {
    Marche,
    Concession,
}

impl ContractKind {
    pub fn code(self) -> &'static str {
        match self {
            ContractKind::Marche => "marche",
            ContractKind::Concession => "concession",
        }
    }

    pub fn from_code(code: &str) -> Option<ContractKind> {
        match code {
            "marche" => Some(ContractKind::Marche),
            "concession" => Some(ContractKind::Concession),
            _ => None,
        }
    }

    pub fn label_fr(self) -> &'static str {
        match self {
            ContractKind::Marche => "Marché",
            ContractKind::Concession => "Contrat de concession",
        }
    }
}

/// Where a contract's data comes from, which decides what can be republished.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ContractSource {
    /// Imported from a DECP 1.x file: lacks fields that DECP 2.0 requires.
    Decp1,
    /// Imported from a DECP 2.0 file (JSON or XML).
    Decp2,
    /// Entered or created in Mutualis.
    Mutualis,
}

impl ContractSource {
    pub fn code(self) -> &'static str {
        match self {
            ContractSource::Decp1 => "decp1",
            ContractSource::Decp2 => "decp2",
            ContractSource::Mutualis => "mutualis",
        }
    }

    pub fn from_code(code: &str) -> Option<ContractSource> {
        [
            ContractSource::Decp1,
            ContractSource::Decp2,
            ContractSource::Mutualis,
        ]
        .into_iter()
        .find(|s| s.code() == code)
    }
}

/// A label in the DECP 2.0 vocabulary, with the label the source used when it differed
/// (a 1.x procedure "Procédure négociée sans publicité" becomes "Marché passé sans publicité
/// ni mise en concurrence préalable", and the original is kept).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Label {
    /// The DECP 2.0 value, when the source's label maps to one.
    pub value: Option<String>,
    /// The label as published, when it was not already the 2.0 value.
    pub original: Option<String>,
}

impl Label {
    pub fn v2(value: impl Into<String>) -> Label {
        Label {
            value: Some(value.into()),
            original: None,
        }
    }

    /// What to show: the 2.0 value, else the original label.
    pub fn display(&self) -> Option<&str> {
        self.value.as_deref().or(self.original.as_deref())
    }
}

/// An economic operator named in a contract: titulaire, concessionnaire or subcontractor.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Operator {
    /// The identifier as published (a SIRET for French firms).
    pub id: String,
    /// "SIRET", "TVA", "TAHITI", "RIDET", "FRWF", "IREP" or "HORS-UE".
    pub id_type: String,
    /// Published by DECP 1.x only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

impl Operator {
    /// The operator's SIRET, when it has a valid one. A SIRET of one repeated digit
    /// (00000000000000, 99999999999999) passes the check key but stands for "no titulaire":
    /// it is none (`plausibility::placeholders`).
    pub fn siret(&self) -> Option<Siret> {
        if self.id_type != "SIRET"
            || is_repeated_digit(&self.id, placeholders::REPEATED_DIGIT_ID_LEN)
        {
            return None;
        }
        Siret::parse(&self.id).ok()
    }

    pub fn siren(&self) -> Option<Siren> {
        self.siret().map(|s| s.siren())
    }
}

// Stored as JSON in the contracts' details: absent values are left out (and read back as
// absent), which keeps each stored contract small.

/// A change published after the contract: new amount, new duration, new titulaires.
/// Applied in the order of their publication.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Modification {
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub object: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signed_on: Option<NaiveDate>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub published_on: Option<NaiveDate>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub new_amount: Option<Amount>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub new_duration_months: Option<u32>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub new_operators: Vec<Operator>,
}

/// A subcontracting act ("acte spécial de sous-traitance").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Subcontracting {
    pub id: String,
    pub subcontractor: Operator,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amount: Option<Amount>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration_months: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signed_on: Option<NaiveDate>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub published_on: Option<NaiveDate>,
    /// "Ferme", "Actualisable" or "Révisable".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub price_variation: Option<String>,
}

/// A modification of a subcontracting act (DECP 2.0 `modificationsActesSousTraitance`): the
/// act's number and what changed. Published after the act, never merged into it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SubcontractingModification {
    /// The number of the act it modifies ([`Subcontracting::id`]).
    pub act_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub new_duration_months: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub new_amount: Option<Amount>,
    /// Notification of the modification to the subcontractor.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signed_on: Option<NaiveDate>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub published_on: Option<NaiveDate>,
}

/// A concession's execution data, published each year until its end (DECP 2.0
/// `donneesExecution`, one `donneesAnnuelles` each).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExecutionData {
    /// When these execution data were published.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub published_on: Option<NaiveDate>,
    /// Investment expenses (`depensesInvestissement`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub investment_spending: Option<Amount>,
    /// The main tariffs the users pay.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tariffs: Vec<Tariff>,
}

/// A tariff the users of a concession pay: its label and its price, exact (a price per unit
/// may have more than two decimals).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tariff {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub price: Option<Decimal>,
}

/// The place of execution: a code and what kind of code it is ("Code postal", "Code
/// commune", "Code département"…).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Place {
    pub code: String,
    pub code_type: String,
}

/// The fields DECP 2.0 requires that 1.x did not publish. Present for contracts imported from
/// 2.0 or entered in Mutualis; absent for 1.x imports, which are never republished with
/// invented values.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Decp2Fields {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub techniques: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub execution_modes: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub framework_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub innovative: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ccag: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub offers_received: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub advance_paid: Option<bool>,
    /// Per mille of the amount (DECP gives a rate: 0.1 = 10 % = 100 ‰), kept exact.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub advance_rate_permille: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub operator_grouping: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub price_types: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subcontracting_declared: Option<bool>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub social_considerations: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub environmental_considerations: Vec<String>,
    /// Concessions: public subsidy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub public_subsidy: Option<Amount>,
    /// Marchés of food, vehicles, health products and clothing: the share of products from
    /// the European Union (`origineUE`, 0.2 = 20 %).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub origin_eu: Option<Share>,
    /// The same contracts: the share of French products (`origineFrance`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub origin_france: Option<Share>,
    /// Marchés: modifications of the subcontracting acts, in the order published.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub subcontracting_modifications: Vec<SubcontractingModification>,
    /// Concessions: the execution data of each year, in the order published.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub execution_data: Vec<ExecutionData>,
}

/// A contract as published.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Contract {
    /// The buyer's own identifier of the contract (DECP `id`).
    pub id: String,
    /// The buyer (acheteur, or autorité concédante for a concession).
    pub buyer: Siret,
    /// Published by DECP 1.x only.
    pub buyer_name: Option<String>,
    pub kind: ContractKind,
    pub source: ContractSource,
    pub nature: Label,
    pub object: String,
    pub cpv: Option<CpvCode>,
    pub procedure: Label,
    pub place: Option<Place>,
    pub duration_months: Option<u32>,
    /// Notification (marché) or signature (concession).
    pub notified_on: Option<NaiveDate>,
    /// Start of execution: published for concessions; for a member's contract of a
    /// groupement, the groupement's planned start (or a later notification).
    pub starts_on: Option<NaiveDate>,
    pub published_on: Option<NaiveDate>,
    /// Amount HT (montant; valeurGlobale for a concession).
    pub amount: Option<Amount>,
    pub price_form: Label,
    pub operators: Vec<Operator>,
    pub modifications: Vec<Modification>,
    pub subcontracting: Vec<Subcontracting>,
    pub decp2: Option<Decp2Fields>,
    /// What the import changed in the published record to keep it (empty for a record read
    /// as published, and for a contract entered in Mutualis).
    pub repairs: Vec<Repair>,
}

impl Contract {
    /// The amount after every modification, in publication order.
    pub fn current_amount(&self) -> Option<Amount> {
        self.ordered_modifications()
            .iter()
            .rev()
            .find_map(|m| m.new_amount)
            .or(self.amount)
    }

    /// The duration in months after every modification, in publication order.
    pub fn current_duration_months(&self) -> Option<u32> {
        self.ordered_modifications()
            .iter()
            .rev()
            .find_map(|m| m.new_duration_months)
            .or(self.duration_months)
    }

    /// The current titulaires: those of the last modification that names any, else the
    /// original ones.
    pub fn current_operators(&self) -> &[Operator] {
        self.ordered_modifications()
            .iter()
            .rev()
            .find(|m| !m.new_operators.is_empty())
            .map_or(&self.operators[..], |m| &m.new_operators[..])
    }

    /// Modifications sorted by publication date (then signature date, then their order in
    /// the file), which is the order in which they apply.
    pub fn ordered_modifications(&self) -> Vec<&Modification> {
        let mut mods: Vec<(usize, &Modification)> = self.modifications.iter().enumerate().collect();
        mods.sort_by_key(|(i, m)| (m.published_on, m.signed_on, *i));
        mods.into_iter().map(|(_, m)| m).collect()
    }

    /// When the contract ends: start of execution (or notification) plus the current duration.
    pub fn end_date(&self) -> Option<NaiveDate> {
        let start = self.starts_on.or(self.notified_on)?;
        let months = self.current_duration_months()?;
        start.checked_add_months(Months::new(months))
    }

    /// The buyer's organisation.
    pub fn buyer_siren(&self) -> Siren {
        self.buyer.siren()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn modification(
        id: &str,
        published: &str,
        amount: Option<i64>,
        months: Option<u32>,
    ) -> Modification {
        Modification {
            id: id.into(),
            object: None,
            signed_on: None,
            published_on: Some(date(published)),
            new_amount: amount.map(Amount::from_euros),
            new_duration_months: months,
            new_operators: vec![],
        }
    }

    fn contract() -> Contract {
        Contract {
            id: "2019-001".into(),
            buyer: Siret::parse("20004071500019").unwrap(),
            buyer_name: Some("GRENOBLE ALPES METROPOLE".into()),
            kind: ContractKind::Marche,
            source: ContractSource::Decp1,
            nature: Label::v2("Marché"),
            object: "Nettoyage des locaux".into(),
            cpv: None,
            procedure: Label::v2("Appel d'offres ouvert"),
            place: None,
            duration_months: Some(24),
            notified_on: Some(date("2019-03-15")),
            starts_on: None,
            published_on: Some(date("2019-04-01")),
            amount: Some(Amount::from_euros(100_000)),
            price_form: Label::v2("Forfaitaire"),
            operators: vec![Operator {
                id: "21380185500015".into(),
                id_type: "SIRET".into(),
                name: None,
            }],
            modifications: vec![],
            subcontracting: vec![],
            decp2: None,
            repairs: vec![],
        }
    }

    #[test]
    fn the_end_date_is_the_start_plus_the_duration() {
        let c = contract();
        assert_eq!(c.end_date(), Some(date("2021-03-15")));
        let mut no_date = contract();
        no_date.notified_on = None;
        assert_eq!(no_date.end_date(), None);
    }

    #[test]
    fn modifications_apply_in_publication_order_whatever_their_order_in_the_file() {
        let mut c = contract();
        c.modifications = vec![
            modification("2", "2020-06-01", Some(130_000), None),
            modification("1", "2020-01-01", Some(110_000), Some(36)),
        ];
        assert_eq!(c.current_amount(), Some(Amount::from_euros(130_000)));
        assert_eq!(c.current_duration_months(), Some(36));
        assert_eq!(c.end_date(), Some(date("2022-03-15")));
        let ids: Vec<&str> = c
            .ordered_modifications()
            .iter()
            .map(|m| m.id.as_str())
            .collect();
        assert_eq!(ids, ["1", "2"]);
    }

    #[test]
    fn titulaires_follow_the_last_modification_that_names_them() {
        let mut c = contract();
        assert_eq!(
            c.current_operators()[0].siren().unwrap().as_str(),
            "213801855"
        );
        let mut m = modification("1", "2020-01-01", None, None);
        m.new_operators = vec![Operator {
            id: "FR12345678901".into(),
            id_type: "TVA".into(),
            name: None,
        }];
        c.modifications.push(m);
        assert_eq!(c.current_operators()[0].id, "FR12345678901");
        assert_eq!(c.current_operators()[0].siret(), None);
        assert_eq!(c.buyer_siren().as_str(), "200040715");
    }

    #[test]
    fn a_siret_of_one_repeated_digit_is_no_siret() {
        // 00000000000000 passes the check key; the 2019 files carry the 16-digit
        // "0000000000000000" for CAFETERIA CARRE ROUGE, whose 14-digit form is this.
        assert!(Siret::parse("00000000000000").is_ok());
        for id in ["00000000000000", "99999999999999", "0000000000000000"] {
            let o = Operator {
                id: id.into(),
                id_type: "SIRET".into(),
                name: Some("CAFETERIA CARRE ROUGE".into()),
            };
            assert_eq!(o.siret(), None, "{id}");
            assert_eq!(o.siren(), None, "{id}");
        }
        let real = Operator {
            id: "21380185500015".into(),
            id_type: "SIRET".into(),
            name: None,
        };
        assert!(real.siret().is_some());
    }

    #[test]
    fn labels_show_the_v2_value_else_the_original() {
        let mapped = Label {
            value: Some("Procédure avec négociation".into()),
            original: Some("Procédure concurrentielle avec négociation".into()),
        };
        assert_eq!(mapped.display(), Some("Procédure avec négociation"));
        let unmapped = Label {
            value: None,
            original: Some("Autre".into()),
        };
        assert_eq!(unmapped.display(), Some("Autre"));
    }
}
