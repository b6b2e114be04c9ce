//! A need declared by a member during an inventory campaign ("recensement"): what it will buy,
//! for how much a year, from when. Needs feed the opportunity engine next to the contracts
//! already published.

use chrono::NaiveDate;
use serde::Serialize;

use crate::amount::Amount;
use crate::cpv::CpvCode;
use crate::ids::Siren;
use crate::rules::date_label;

/// Reserved contracts a need may call for (L2113-12 to L2113-15).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Reservation {
    /// Entreprises adaptées and ESAT (L2113-12).
    DisabilityEmployers,
    /// Structures d'insertion par l'activité économique (L2113-13).
    Insertion,
    /// Social and solidarity economy, for social services of at most 3 years (L2113-15).
    SocialEconomy,
}

impl Reservation {
    pub const ALL: [Reservation; 3] = [
        Reservation::DisabilityEmployers,
        Reservation::Insertion,
        Reservation::SocialEconomy,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Reservation::DisabilityEmployers => "disability_employers",
            Reservation::Insertion => "insertion",
            Reservation::SocialEconomy => "social_economy",
        }
    }

    pub fn from_code(code: &str) -> Option<Reservation> {
        Reservation::ALL.into_iter().find(|r| r.code() == code)
    }

    pub fn label_fr(self) -> &'static str {
        match self {
            Reservation::DisabilityEmployers => {
                "Réservé aux entreprises adaptées et ESAT (L2113-12)"
            }
            Reservation::Insertion => "Réservé aux structures d'insertion (L2113-13)",
            Reservation::SocialEconomy => "Réservé à l'économie sociale et solidaire (L2113-15)",
        }
    }
}

/// A need as declared by a member.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Need {
    /// The declaring member.
    pub buyer: Siren,
    pub cpv: CpvCode,
    pub description: String,
    /// Estimated amount per year, excluding VAT.
    pub annual_amount: Amount,
    /// Quantity per year and its unit ("m²", "postes", "MWh"…), when the member knows them.
    pub quantity: Option<Quantity>,
    /// When the member wants the new contract to start.
    pub desired_start: NaiveDate,
    /// The member's current contract for this need (its DECP id) and when it ends.
    pub current_contract: Option<String>,
    pub current_contract_ends_on: Option<NaiveDate>,
    /// Social requirements in words (insertion clause, etc.).
    pub social_requirements: Option<String>,
    /// Environmental requirements in words.
    pub environmental_requirements: Option<String>,
    pub reservation: Option<Reservation>,
}

/// Why a need's desired start contradicts the inventory campaign it is declared in, which
/// opens on `campaign_opens_on`, in French: it comes before the campaign opens (the period
/// in which members declare their needs), whereas a need recorded there is a purchase to
/// come. `None` when it does not.
pub fn desired_start_problem(
    desired_start: NaiveDate,
    campaign_opens_on: NaiveDate,
) -> Option<String> {
    (desired_start < campaign_opens_on).then(|| {
        format!(
            "date de début souhaitée le {}, avant l'ouverture de la campagne le {} : un besoin \
             recensé porte sur un achat à venir ; indiquez une date à partir du {}",
            date_label(desired_start),
            date_label(campaign_opens_on),
            date_label(campaign_opens_on)
        )
    })
}

/// A quantity with its unit. Thousandths, so that "12,5 t" stays exact.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Quantity {
    pub thousandths: i64,
    pub unit: String,
}

impl Quantity {
    /// French notation: "1 250 postes", "12,5 t".
    pub fn label_fr(&self) -> String {
        let whole = self.thousandths / 1000;
        let frac = (self.thousandths % 1000).unsigned_abs();
        let sign = if self.thousandths < 0 { "-" } else { "" };
        let whole = crate::amount::group_thousands(whole.unsigned_abs());
        if frac == 0 {
            format!("{sign}{whole} {}", self.unit)
        } else {
            let frac = format!("{frac:03}");
            format!("{sign}{whole},{} {}", frac.trim_end_matches('0'), self.unit)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("date")
    }

    #[test]
    fn a_desired_start_before_the_campaign_opens_contradicts_it() {
        let opens = d("2026-12-01");
        assert_eq!(
            desired_start_problem(d("2020-01-01"), opens).as_deref(),
            Some(
                "date de début souhaitée le 01/01/2020, avant l'ouverture de la campagne le \
                 01/12/2026 : un besoin recensé porte sur un achat à venir ; indiquez une date à \
                 partir du 01/12/2026"
            )
        );
        assert!(desired_start_problem(d("2026-11-30"), opens).is_some());
        // From the opening day on, whenever the member wants it.
        assert_eq!(desired_start_problem(opens, opens), None);
        assert_eq!(desired_start_problem(d("2029-01-01"), opens), None);
    }
}
