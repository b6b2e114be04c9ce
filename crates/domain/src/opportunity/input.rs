//! What the engine is given: the contracts' facts, what is known of the buyers, and the
//! parameters of a run.

use std::collections::HashMap;

use chrono::{Months, NaiveDate};
use serde::Serialize;

use crate::amount::Amount;
use crate::contract::Contract;
use crate::cpv::{CpvCode, CpvDepth};
use crate::ids::Siren;
use crate::need::Need;
use crate::plausibility::ContractFlag;
use crate::rules::BuyerKind;

/// What the engine needs to know of a contract.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContractFacts {
    /// The buyer's identifier of the contract (DECP id).
    pub id: String,
    /// The database id, when the contract is stored.
    pub record_id: Option<i64>,
    pub buyer: Siren,
    /// The buyer's name as published (DECP 1.x), when the caller knows no better.
    pub buyer_name: Option<String>,
    pub object: String,
    pub cpv: Option<CpvCode>,
    /// After modifications.
    pub ends_on: Option<NaiveDate>,
    /// After modifications.
    pub amount: Option<Amount>,
    /// After modifications.
    pub duration_months: Option<u32>,
    /// The SIRENs of the current titulaires.
    pub suppliers: Vec<Siren>,
    /// Bought under a groupement de commandes already.
    pub groupement: bool,
    /// A concession (its amount is the concession's value, not a price paid).
    pub concession: bool,
    /// What was found wrong with it (placeholders, an implausible amount), with the reasons:
    /// a contract with a flag that `excludes_amount` is shown but left out of the figures.
    pub flags: Vec<ContractFlag>,
    /// Why it is works though its CPV code is not (`plausibility::works`), in French.
    pub works: Option<String>,
}

impl ContractFacts {
    pub fn from_contract(contract: &Contract) -> ContractFacts {
        ContractFacts::from_owned(contract.clone())
    }

    /// Like [`ContractFacts::from_contract`], taking the contract's strings instead of copying
    /// them.
    pub fn from_owned(contract: Contract) -> ContractFacts {
        let ends_on = contract.end_date();
        let amount = contract.current_amount();
        let duration_months = contract.current_duration_months();
        let suppliers = contract
            .current_operators()
            .iter()
            .filter_map(|o| o.siren())
            .collect();
        ContractFacts {
            buyer: contract.buyer.siren(),
            id: contract.id,
            record_id: None,
            buyer_name: contract.buyer_name,
            object: contract.object,
            cpv: contract.cpv,
            ends_on,
            amount,
            duration_months,
            suppliers,
            groupement: false,
            concession: contract.kind == crate::contract::ContractKind::Concession,
            flags: Vec::new(),
            works: None,
        }
    }

    /// The flag that leaves its amount out of the figures, if any.
    pub fn excluding_flag(&self) -> Option<&ContractFlag> {
        crate::plausibility::excluding_flag(&self.flags)
    }

    /// Amount × 12 / duration in months. A contract of less than a year counts its whole
    /// amount as one year's purchase: a 2-month study is a need of the year, not six a year.
    pub fn annual_amount(&self) -> Option<Amount> {
        let amount = self.amount?;
        let months = i64::from(self.duration_months?.max(12));
        Some(Amount::from_cents(
            amount.cents().saturating_mul(12) / months,
        ))
    }
}

/// What the caller knows of a buyer: its name and, for the thresholds, its kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuyerInfo {
    pub name: String,
    pub kind: BuyerKind,
}

impl From<&crate::organisation::Organisation> for BuyerInfo {
    /// The State's bodies have the State's thresholds; every other public buyer has the local
    /// authorities'.
    fn from(o: &crate::organisation::Organisation) -> BuyerInfo {
        let kind = if o.kind == crate::organisation::OrganisationKind::State {
            BuyerKind::State
        } else {
            BuyerKind::LocalAuthority
        };
        BuyerInfo {
            name: o.name.clone(),
            kind,
        }
    }
}

/// What the engine works on.
#[derive(Debug, Clone, Copy)]
pub struct Input<'a> {
    pub contracts: &'a [ContractFacts],
    pub needs: &'a [Need],
    /// Names and kinds of the buyers the caller knows; the others are taken as local
    /// authorities named after their contracts (and the report says so).
    pub buyers: &'a HashMap<Siren, BuyerInfo>,
}

/// The question asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Params {
    pub as_of: NaiveDate,
    pub depth: CpvDepth,
    pub window_months: u32,
    pub min_buyers: usize,
    /// Only the best this many opportunities are wanted: every node is still ranked, but only
    /// these are built in full (members, contracts, bridging, procedures, reasons). `None`:
    /// all of them.
    pub limit: Option<usize>,
}

impl Params {
    pub const DEFAULT_DEPTH: CpvDepth = CpvDepth::Class;
    pub const DEFAULT_WINDOW_MONTHS: u32 = 18;
    pub const DEFAULT_MIN_BUYERS: usize = 2;

    pub fn new(as_of: NaiveDate) -> Params {
        Params {
            as_of,
            depth: Self::DEFAULT_DEPTH,
            window_months: Self::DEFAULT_WINDOW_MONTHS,
            min_buyers: Self::DEFAULT_MIN_BUYERS,
            limit: None,
        }
    }

    /// The last day of the window.
    pub fn window_end(&self) -> NaiveDate {
        self.as_of
            .checked_add_months(Months::new(self.window_months))
            .unwrap_or(NaiveDate::MAX)
    }
}
