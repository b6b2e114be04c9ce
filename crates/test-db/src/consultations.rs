//! What the consultation tests of every layer start from: cleaning services (CPV 90910000-9)
//! with a deadline on 15 January 2027 at noon in Paris, and the métropole's cleaning
//! groupement that Échirolles joins.

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use mutualis_domain::consultation::{Consultation, Criteria, Criterion, CriterionKind, Lot, Terms};
use mutualis_domain::groupement::{self, CostSharing, Mission, NewGroupement};
use mutualis_domain::rules::{BuyerKind, Nature};
use mutualis_domain::{Amount, CpvCode, Siren};
use mutualis_reference::cpv::nomenclature;

use crate::{ECHIROLLES, METRO};

fn siren(s: &str) -> Siren {
    Siren::parse(s).expect("a valid SIREN")
}

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("a valid date")
}

/// Cleaning of buildings, 90910000-9.
pub fn cleaning_cpv() -> CpvCode {
    nomenclature().parse("90910000-9").expect("a CPV 2008 code")
}

/// The deadline: 15 January 2027 at noon in Paris (11:00 UTC).
pub fn deadline() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2027, 1, 15, 11, 0, 0)
        .single()
        .expect("a valid instant")
}

/// An award criterion without sub-criteria.
pub fn criterion(kind: CriterionKind, name: &str, weight: u32) -> Criterion {
    Criterion {
        kind,
        name: name.into(),
        weight,
        sub_criteria: Vec::new(),
    }
}

/// A draft of cleaning services of `buyer` under `reference`: one lot per (title, euros HT),
/// numbered from 1, with `criteria`.
pub fn cleaning(
    reference: &str,
    buyer: &str,
    lots: &[(&str, i64)],
    criteria: Vec<Criterion>,
) -> Consultation {
    Consultation::draft(
        reference.into(),
        siren(buyer),
        BuyerKind::LocalAuthority,
        Terms {
            title: "Nettoyage des locaux".into(),
            object: "Nettoyage des bâtiments administratifs".into(),
            nature: Nature::SuppliesAndServices,
            cpv: Some(cleaning_cpv()),
            lots: (1..)
                .zip(lots)
                .map(|(number, (title, euros))| Lot {
                    number,
                    title: (*title).into(),
                    estimated: Amount::from_euros(*euros),
                })
                .collect(),
            criteria: Criteria(criteria),
            deadline: Some(deadline()),
            procedure_override: None,
        },
    )
}

/// The métropole's cleaning groupement: one lot, four years, adhesions until 1 March 2027.
pub fn cleaning_groupement() -> NewGroupement {
    NewGroupement {
        coordinator: siren(METRO),
        coordinator_name: "Grenoble-Alpes-Métropole".into(),
        coordinator_population: Some(449_509),
        title: "Nettoyage des locaux".into(),
        cpv: cleaning_cpv(),
        lots: vec![groupement::Lot {
            number: 1,
            title: "Bâtiments".into(),
            cpv: cleaning_cpv(),
        }],
        mission: Mission::AwardOnly,
        cost_sharing: CostSharing::ByVolume,
        duration_months: 48,
        adhesion_deadline: date(2027, 3, 1),
        proposed_start: None,
        created_on: date(2026, 12, 1),
    }
}

/// The coordinator's first actions on it: Échirolles invited, the groupement opened (it is
/// then at version 3).
pub fn invite_echirolles_and_open() -> Vec<groupement::Action> {
    vec![
        groupement::Action::Invite {
            member: siren(ECHIROLLES),
            name: "Échirolles".into(),
            population: Some(37_000),
        },
        groupement::Action::Open,
    ]
}

/// Échirolles joins, on 2 December 2026.
pub fn echirolles_joins() -> groupement::Action {
    groupement::Action::Join {
        member: siren(ECHIROLLES),
        on: date(2026, 12, 2),
    }
}
