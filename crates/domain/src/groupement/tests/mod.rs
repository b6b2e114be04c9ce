//! The groupement's lifecycle, policy and shares, on the métropole's energy groupement: the
//! fixtures here, the tests of each concern in a file of their own.

use std::collections::BTreeSet;

use chrono::NaiveDate;

use super::GroupementStatus::{
    Awarded, Cancelled, Closed, Consultation, ConventionSigned, Draft, InExecution, OpenForAdhesion,
};
use super::shares::split_cents;
use super::*;
use crate::Role;
use crate::amount::Amount;
use crate::contract::{Decp2Fields, Place};
use crate::cpv::{CpvNomenclature, CpvRow};
use crate::ids::Siret;
use crate::need::Quantity;

mod award;
mod membership;
mod needs;
mod policy;
mod procedure;
mod shares;
mod signatures;
mod terms;
mod withdrawal;

fn d(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("date")
}

fn siren(s: &str) -> Siren {
    Siren::parse(s).expect("siren")
}

fn metro() -> Siren {
    siren("200040715")
}
fn grenoble() -> Siren {
    siren("213801855")
}
fn echirolles() -> Siren {
    siren("213801517")
}
fn fontaine() -> Siren {
    siren("213801699")
}
fn meylan() -> Siren {
    siren("213802291")
}

fn cpv(code8: &str) -> CpvCode {
    let rows = [
        (
            "09000000",
            3,
            "Produits pétroliers, combustibles, électricité",
        ),
        ("09123000", 7, "Gaz naturel"),
        ("09310000", 5, "Électricité"),
    ];
    CpvNomenclature::new(rows.into_iter().map(|(code8, check, fr)| CpvRow {
        code8: code8.into(),
        check_digit: check,
        label_fr: fr.into(),
        label_en: String::new(),
    }))
    .expect("nomenclature")
    .parse(code8)
    .expect("cpv")
}

fn new_groupement(cost_sharing: CostSharing) -> NewGroupement {
    NewGroupement {
        coordinator: metro(),
        coordinator_name: "Grenoble-Alpes-Métropole".into(),
        coordinator_population: Some(449_509),
        title: "Fourniture d'énergie 2028-2031".into(),
        cpv: cpv("09000000"),
        lots: vec![
            Lot {
                number: 1,
                title: "Gaz naturel".into(),
                cpv: cpv("09123000"),
            },
            Lot {
                number: 2,
                title: "Électricité".into(),
                cpv: cpv("09310000"),
            },
        ],
        mission: Mission::AwardOnly,
        cost_sharing,
        duration_months: 48,
        adhesion_deadline: d("2027-03-01"),
        proposed_start: Some(d("2028-01-01")),
        created_on: d("2027-01-10"),
    }
}

fn ok(g: &Groupement, action: Action) -> Groupement {
    match g.apply(&action) {
        Ok(next) => next,
        Err(refusal) => panic!("{} refused: {refusal}", action.code()),
    }
}

fn refused(g: &Groupement, action: Action) -> Vec<String> {
    match g.apply(&action) {
        Ok(_) => panic!("{} accepted", action.code()),
        Err(refusal) => refusal.reasons,
    }
}

fn has(reasons: &[String], needle: &str) -> bool {
    reasons.iter().any(|r| r.contains(needle))
}

fn invite(member: Siren, name: &str, population: u32) -> Action {
    Action::Invite {
        member,
        name: name.into(),
        population: Some(population),
    }
}

fn need(lot: u32, member: Siren, euros: i64) -> Action {
    Action::SetNeed(LotNeed {
        lot,
        member,
        quantity: Some(Quantity {
            thousandths: 1_000_000,
            unit: "MWh".into(),
        }),
        estimated_amount: Amount::from_euros(euros),
        confirmed: true,
    })
}

fn join(member: Siren, on: &str) -> Action {
    Action::Join { member, on: d(on) }
}

fn decline(member: Siren, on: &str) -> Action {
    Action::Decline { member, on: d(on) }
}

fn withdraw(member: Siren, on: &str) -> Action {
    Action::Withdraw { member, on: d(on) }
}

fn consult(on: &str) -> Action {
    Action::StartConsultation { on: d(on) }
}

fn execute(on: &str) -> Action {
    Action::StartExecution { on: d(on) }
}

fn close(on: &str) -> Action {
    Action::Close { on: d(on) }
}

fn sign(member: Siren, on: &str) -> Action {
    Action::Sign(Signature {
        member,
        signed_on: d(on),
        signatory: "Le maire".into(),
        deliberation: Deliberation {
            reference: "DEL-2027-001".into(),
            adopted_on: d("2027-02-15"),
        },
    })
}

/// Drafted, Échirolles and Fontaine invited, open.
fn open_groupement(cost_sharing: CostSharing) -> Groupement {
    let g = Groupement::draft(new_groupement(cost_sharing)).expect("draft");
    let g = ok(&g, invite(echirolles(), "Ville d'Échirolles", 36_926));
    let g = ok(&g, invite(fontaine(), "Ville de Fontaine", 22_684));
    ok(&g, Action::Open)
}

/// Open, both communes joined, needs in both lots.
fn joined_groupement() -> Groupement {
    let g = open_groupement(CostSharing::ByVolume);
    let g = ok(&g, join(echirolles(), "2027-02-01"));
    let g = ok(&g, join(fontaine(), "2027-02-20"));
    let g = ok(&g, need(1, metro(), 300_000));
    let g = ok(&g, need(1, echirolles(), 100_000));
    let g = ok(&g, need(2, fontaine(), 50_000));
    ok(&g, need(2, echirolles(), 70_000))
}

fn signed_groupement() -> Groupement {
    let g = joined_groupement();
    let g = ok(&g, sign(metro(), "2027-03-02"));
    let g = ok(&g, sign(echirolles(), "2027-03-03"));
    ok(&g, sign(fontaine(), "2027-03-04"))
}

fn in_consultation() -> Groupement {
    ok(&signed_groupement(), consult("2027-04-01"))
}

fn siret() -> Siret {
    Siret::parse("44306184100047").expect("siret")
}

fn award(lots: &[(u32, i64)]) -> Award {
    Award {
        supplier_siret: siret(),
        lots: lots
            .iter()
            .map(|&(lot, cents)| LotAward {
                lot,
                total: Amount::from_cents(cents),
            })
            .collect(),
        publication: None,
    }
}

fn terms_of(g: &Groupement) -> Terms {
    Terms {
        title: g.title.clone(),
        cpv: g.cpv,
        lots: g.lots.clone(),
        mission: g.mission,
        cost_sharing: g.cost_sharing.clone(),
        duration_months: g.duration_months,
        adhesion_deadline: g.adhesion_deadline,
        proposed_start: g.proposed_start,
    }
}

/// The coordinator's proposal of a member's need, for it to confirm.
fn proposal(lot: u32, member: Siren, euros: i64) -> Action {
    Action::SetNeed(LotNeed {
        lot,
        member,
        quantity: None,
        estimated_amount: Amount::from_euros(euros),
        confirmed: false,
    })
}
