//! The groupement's lifecycle, policy and shares, on the métropole's energy groupement.
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

// -- codes and labels

#[test]
fn status_codes_round_trip_and_are_snake_case() {
    for status in GroupementStatus::ALL {
        assert_eq!(GroupementStatus::from_code(status.code()), Some(status));
        assert!(
            status
                .code()
                .chars()
                .all(|c| c.is_ascii_lowercase() || c == '_')
        );
        assert!(!status.label_fr().is_empty());
    }
    assert_eq!(
        GroupementStatus::OpenForAdhesion.code(),
        "open_for_adhesion"
    );
    assert_eq!(GroupementStatus::from_code("nope"), None);
    for mission in Mission::ALL {
        assert_eq!(Mission::from_code(mission.code()), Some(mission));
    }
    assert_eq!(
        MemberStatus::Joined {
            on: d("2027-03-01")
        }
        .label_fr(),
        "adhésion le 01/03/2027"
    );
}

// -- draft and open

#[test]
fn the_coordinator_is_the_first_joined_member() {
    let g = Groupement::draft(new_groupement(CostSharing::ByVolume)).expect("draft");
    assert_eq!(g.status, Draft);
    assert_eq!(g.members.len(), 1);
    assert_eq!(g.members[0].siren, metro());
    assert_eq!(
        g.members[0].status,
        MemberStatus::Joined {
            on: d("2027-01-10")
        }
    );
}

#[test]
fn a_draft_with_incomplete_terms_is_refused_with_every_reason() {
    let mut new = new_groupement(CostSharing::FixedShares(vec![
        (metro(), 600),
        (echirolles(), 300),
        (echirolles(), 0),
    ]));
    new.title = " ".into();
    new.duration_months = 0;
    new.lots.push(Lot {
        number: 2,
        title: String::new(),
        cpv: cpv("09310000"),
    });
    new.adhesion_deadline = d("2027-01-09");
    let reasons = Groupement::draft(new).expect_err("refused").reasons;
    assert!(has(&reasons, "l'intitulé du groupement est vide"));
    assert!(has(
        &reasons,
        "la durée du groupement doit être d'au moins un mois"
    ));
    assert!(has(&reasons, "le lot 2 est défini deux fois"));
    assert!(has(&reasons, "le lot 2 n'a pas d'intitulé"));
    assert!(has(
        &reasons,
        "les parts fixes totalisent 900 ‰ au lieu de 1000 ‰"
    ));
    assert!(has(&reasons, "SIREN 213801517 a deux parts fixes"));
    assert!(has(&reasons, "la part fixe de SIREN 213801517 est nulle"));
    assert!(has(
        &reasons,
        "la date limite d'adhésion du 09/01/2027 précède la création du groupement le 10/01/2027"
    ));
    assert_eq!(reasons.len(), 8, "{reasons:?}");
}

#[test]
fn a_draft_without_lots_is_refused() {
    let mut new = new_groupement(CostSharing::ByVolume);
    new.lots.clear();
    let reasons = Groupement::draft(new).expect_err("refused").reasons;
    assert_eq!(reasons, ["le groupement ne compte aucun lot"]);
}

#[test]
fn open_sends_invitations_and_needs_someone_invited() {
    let g = Groupement::draft(new_groupement(CostSharing::ByVolume)).expect("draft");
    let reasons = refused(&g, Action::Open);
    assert_eq!(
        reasons,
        [
            "aucun acheteur n'est invité : un groupement de commandes réunit au moins deux acheteurs (L2113-6)"
        ]
    );
    let g = ok(&g, invite(echirolles(), "Ville d'Échirolles", 36_926));
    let opened = ok(&g, Action::Open);
    assert_eq!(opened.status, OpenForAdhesion);
    assert_eq!(g.status, Draft, "apply leaves self untouched");
    let reasons = refused(&opened, Action::Open);
    assert_eq!(
        reasons,
        [
            "l'ouverture aux adhésions est impossible au statut « Ouvert aux adhésions » (possible seulement au statut « Brouillon »)"
        ]
    );
}

#[test]
fn open_checks_that_fixed_shares_name_members() {
    let g = Groupement::draft(new_groupement(CostSharing::FixedShares(vec![
        (metro(), 500),
        (grenoble(), 500),
    ])))
    .expect("draft");
    let g = ok(&g, invite(echirolles(), "Ville d'Échirolles", 36_926));
    let reasons = refused(&g, Action::Open);
    assert_eq!(
        reasons,
        ["la part fixe du SIREN 213801855 ne correspond à aucun membre du groupement"]
    );
}

// -- invitations

#[test]
fn invite_refuses_a_known_siren_a_blank_name_and_late_invitations() {
    let g = open_groupement(CostSharing::ByVolume);
    let reasons = refused(&g, invite(echirolles(), "Échirolles", 1));
    assert_eq!(
        reasons,
        [
            "Ville d'Échirolles (SIREN 213801517) figure déjà au groupement : invitation sans réponse"
        ]
    );
    let reasons = refused(
        &g,
        Action::Invite {
            member: meylan(),
            name: "  ".into(),
            population: None,
        },
    );
    assert_eq!(
        reasons,
        ["le nom de l'acheteur invité (SIREN 213802291) est vide"]
    );
    let g = ok(&g, invite(meylan(), "Ville de Meylan", 19_124));
    assert_eq!(g.members.len(), 4);
    // Once a signature is in, a new member takes an amendment.
    let g = ok(&g, decline(meylan(), "2027-02-01"));
    let g = ok(&g, decline(fontaine(), "2027-02-01"));
    let g = ok(&g, join(echirolles(), "2027-02-01"));
    let g = ok(&g, sign(echirolles(), "2027-02-20"));
    let reasons = refused(&g, invite(grenoble(), "Ville de Grenoble", 158_601));
    assert_eq!(
        reasons,
        ["la signature de la convention a commencé : un nouveau membre demande un avenant"]
    );
}

// -- join and decline

#[test]
fn join_on_the_deadline_day_is_accepted_the_day_after_refused() {
    let g = open_groupement(CostSharing::ByVolume);
    let on_time = ok(&g, join(echirolles(), "2027-03-01"));
    assert_eq!(
        on_time.member(&echirolles()).map(|m| m.status),
        Some(MemberStatus::Joined {
            on: d("2027-03-01")
        })
    );
    let reasons = refused(&g, join(echirolles(), "2027-03-02"));
    assert_eq!(
        reasons,
        ["adhésion reçue le 02/03/2027 après la date limite du 01/03/2027"]
    );
    let reasons = refused(&g, join(echirolles(), "2027-03-12"));
    assert_eq!(
        reasons,
        ["adhésion reçue le 12/03/2027 après la date limite du 01/03/2027"]
    );
}

#[test]
fn join_requires_an_open_groupement_and_an_unanswered_invitation() {
    let draft = Groupement::draft(new_groupement(CostSharing::ByVolume)).expect("draft");
    let draft = ok(&draft, invite(echirolles(), "Ville d'Échirolles", 36_926));
    let reasons = refused(&draft, join(echirolles(), "2027-03-05"));
    assert_eq!(
        reasons,
        [
            "le groupement n'est pas encore ouvert aux adhésions",
            "adhésion reçue le 05/03/2027 après la date limite du 01/03/2027",
        ]
    );
    let g = joined_groupement();
    assert_eq!(
        refused(&g, join(echirolles(), "2027-02-05")),
        ["Ville d'Échirolles a déjà adhéré le 01/02/2027"]
    );
    assert_eq!(
        refused(&g, join(meylan(), "2027-02-05")),
        ["le SIREN 213802291 n'est pas invité au groupement"]
    );
    assert_eq!(
        refused(&g, join(metro(), "2027-02-05")),
        ["Grenoble-Alpes-Métropole a déjà adhéré le 10/01/2027"]
    );
}

#[test]
fn join_is_refused_once_the_convention_is_signed_or_the_consultation_launched() {
    // Fontaine never answers; the others sign after the deadline: its invitation lapses.
    let g = open_groupement(CostSharing::ByVolume);
    let g = ok(&g, join(echirolles(), "2027-02-01"));
    let g = ok(&g, need(1, metro(), 1_000));
    let g = ok(&g, need(2, echirolles(), 1_000));
    let g = ok(&g, sign(metro(), "2027-03-02"));
    let g = ok(&g, sign(echirolles(), "2027-03-02"));
    assert_eq!(g.status, ConventionSigned);
    // Even with an adhesion dated before the deadline.
    assert_eq!(
        refused(&g, join(fontaine(), "2027-02-27")),
        ["les adhésions sont closes : la convention est signée par tous ses membres"]
    );
    let g = ok(&g, consult("2027-04-01"));
    assert_eq!(
        refused(&g, join(fontaine(), "2027-02-27")),
        ["un acheteur ne peut plus adhérer une fois la consultation lancée"]
    );
}

#[test]
fn decline_settles_an_invitation() {
    let g = open_groupement(CostSharing::ByVolume);
    let g = ok(&g, decline(fontaine(), "2027-03-05"));
    assert_eq!(
        g.member(&fontaine()).map(|m| m.status),
        Some(MemberStatus::Declined {
            on: d("2027-03-05")
        })
    );
    assert_eq!(
        refused(&g, join(fontaine(), "2027-02-06")),
        ["Ville de Fontaine a décliné l'invitation le 05/03/2027"]
    );
    assert_eq!(
        refused(&g, decline(metro(), "2027-02-06")),
        ["Grenoble-Alpes-Métropole a déjà adhéré le 10/01/2027"]
    );
    let draft = Groupement::draft(new_groupement(CostSharing::ByVolume)).expect("draft");
    let draft = ok(&draft, invite(fontaine(), "Ville de Fontaine", 1));
    assert_eq!(
        refused(&draft, decline(fontaine(), "2027-02-06")),
        [
            "le refus d'adhésion est impossible au statut « Brouillon » (possible seulement au statut « Ouvert aux adhésions »)"
        ]
    );
}

// -- withdraw

#[test]
fn a_member_may_withdraw_before_the_consultation() {
    let g = joined_groupement();
    let g = ok(&g, withdraw(fontaine(), "2027-02-25"));
    assert_eq!(
        g.member(&fontaine()).map(|m| m.status),
        Some(MemberStatus::Withdrawn {
            on: d("2027-02-25")
        })
    );
    // Its needs stay on record but no longer count.
    assert!(g.lot_participants(2).keys().all(|s| **s != fontaine()));
    // After the convention is signed too, while two members remain.
    let g = signed_groupement();
    let g = ok(&g, withdraw(fontaine(), "2027-03-10"));
    assert_eq!(g.status, ConventionSigned);
    assert_eq!(
        refused(&g, withdraw(echirolles(), "2027-03-10")),
        [
            "après ce retrait, il ne resterait que Grenoble-Alpes-Métropole : un groupement de commandes réunit au moins deux acheteurs (L2113-6) ; annulez-le plutôt"
        ]
    );
}

#[test]
fn a_member_cannot_withdraw_once_the_consultation_is_launched() {
    let g = in_consultation();
    assert_eq!(
        refused(&g, withdraw(fontaine(), "2027-04-02")),
        [
            "un membre ne peut plus se retirer une fois la consultation lancée (L2113-7 : il reste engagé pour les opérations conjointes)"
        ]
    );
}

#[test]
fn withdraw_refuses_the_coordinator_non_members_and_backdating() {
    let g = joined_groupement();
    assert_eq!(
        refused(&g, withdraw(metro(), "2027-02-25")),
        [
            "le coordonnateur ne peut pas se retirer : il mène la procédure au nom et pour le compte des membres (L2113-7) ; annulez le groupement s'il ne peut plus être mené"
        ]
    );
    assert_eq!(
        refused(&g, withdraw(fontaine(), "2027-02-19")),
        ["retrait de Ville de Fontaine daté du 19/02/2027, avant son adhésion du 20/02/2027"]
    );
    assert_eq!(
        refused(&g, withdraw(meylan(), "2027-02-25")),
        ["le SIREN 213802291 n'est pas membre du groupement"]
    );
    let g = open_groupement(CostSharing::ByVolume);
    assert_eq!(
        refused(&g, withdraw(fontaine(), "2027-02-25")),
        ["Ville de Fontaine n'a pas adhéré au groupement (invitation sans réponse)"]
    );
}

#[test]
fn withdrawing_the_last_unsigned_member_concludes_the_convention() {
    let g = joined_groupement();
    let g = ok(&g, sign(metro(), "2027-03-02"));
    let g = ok(&g, sign(echirolles(), "2027-03-03"));
    assert_eq!(g.status, OpenForAdhesion);
    let g = ok(&g, withdraw(fontaine(), "2027-03-04"));
    assert_eq!(g.status, ConventionSigned);
}

#[test]
fn the_needs_of_a_member_who_withdrew_or_declined_leave_the_lot_totals() {
    let on = d("2027-02-25");
    let g = joined_groupement();
    assert_eq!(g.lot_total(1, on), Amount::from_euros(400_000));
    assert_eq!(g.lot_total(2, on), Amount::from_euros(120_000));
    let g = ok(&g, withdraw(fontaine(), "2027-02-25"));
    assert_eq!(g.lot_total(2, on), Amount::from_euros(70_000));
    let counted: Vec<&Siren> = g.counted_needs(2, on).map(|n| &n.member).collect();
    assert_eq!(counted, [&echirolles()]);
    // Its need stays on record.
    assert!(g.needs.iter().any(|n| n.member == fontaine()));

    // A proposal for an invited buyer counts while it may still join, not once it declines
    // or its invitation lapses.
    let g = open_groupement(CostSharing::ByVolume);
    let g = ok(&g, need(1, metro(), 300_000));
    let g = ok(&g, proposal(1, fontaine(), 10_000));
    assert_eq!(g.lot_total(1, d("2027-03-01")), Amount::from_euros(310_000));
    assert_eq!(g.lot_total(1, d("2027-03-02")), Amount::from_euros(300_000));
    let g = ok(&g, decline(fontaine(), "2027-02-01"));
    assert_eq!(g.lot_total(1, d("2027-02-01")), Amount::from_euros(300_000));
}

#[test]
fn a_withdrawal_says_what_it_changes_under_the_volume_key() {
    // Métropole 300 000 €, Échirolles 170 000 €, Fontaine 50 000 € (lot 2): 520 000 €.
    let g = joined_groupement();
    let w = g
        .withdrawal(&fontaine(), d("2027-02-25"))
        .expect("possible");
    assert_eq!(w.member, fontaine());
    assert_eq!(w.on, d("2027-02-25"));
    assert_eq!(
        w.lots,
        [LotTotalChange {
            lot: 2,
            need: Amount::from_euros(50_000),
            before: Amount::from_euros(120_000),
            after: Amount::from_euros(70_000),
        }]
    );
    let cents = |euros: u128| euros * 100;
    assert_eq!(
        w.cost_share,
        Some(Share {
            part: cents(50_000),
            whole: cents(520_000)
        })
    );
    assert_eq!(w.cost_share.map(Share::label_fr).unwrap(), "9,62\u{a0}%");
    assert!(w.key_problems.is_empty());
    let remaining: Vec<(Siren, String, String)> = w
        .remaining
        .iter()
        .map(|c| (c.member.clone(), c.before.label_fr(), c.after.label_fr()))
        .collect();
    assert_eq!(
        remaining,
        [
            (metro(), "57,69\u{a0}%".into(), "63,83\u{a0}%".into()),
            (echirolles(), "32,69\u{a0}%".into(), "36,17\u{a0}%".into()),
        ]
    );
    // After the withdrawal, the same.
    let after = ok(&g, withdraw(fontaine(), "2027-02-25"));
    assert_eq!(after.withdrawal_of(&fontaine(), d("2027-02-25")), Some(w));
    assert_eq!(after.withdrawal_of(&echirolles(), d("2027-02-25")), None);
}

#[test]
fn a_withdrawal_under_the_population_key_and_fixed_shares() {
    let mut g = joined_groupement();
    g.cost_sharing = CostSharing::ByPopulation;
    let w = g
        .withdrawal(&fontaine(), d("2027-02-25"))
        .expect("possible");
    let population = 449_509 + 36_926 + 22_684;
    assert_eq!(
        w.cost_share,
        Some(Share {
            part: 22_684,
            whole: population
        })
    );
    assert_eq!(w.remaining[0].after.whole, population - 22_684);
    // Fixed shares: among the members who stay, theirs scaled up.
    g.cost_sharing =
        CostSharing::FixedShares(vec![(metro(), 500), (echirolles(), 300), (fontaine(), 200)]);
    let w = g
        .withdrawal(&fontaine(), d("2027-02-25"))
        .expect("possible");
    assert_eq!(w.cost_share.map(Share::label_fr).unwrap(), "20,00\u{a0}%");
    let after: Vec<String> = w.remaining.iter().map(|c| c.after.label_fr()).collect();
    assert_eq!(after, ["62,50\u{a0}%", "37,50\u{a0}%"]);
    // A key that cannot be applied yet says why, and gives no share.
    g.cost_sharing = CostSharing::ByPopulation;
    g.members[2].population = None; // Fontaine
    let w = g
        .withdrawal(&fontaine(), d("2027-02-25"))
        .expect("possible");
    assert_eq!(w.cost_share, None);
    assert!(w.remaining.is_empty());
    assert_eq!(
        w.key_problems,
        ["la clé « Au prorata de la population » demande une population pour : Ville de Fontaine"]
    );
    assert_eq!(w.lots.len(), 1, "its need still leaves the total");
}

#[test]
fn a_withdrawal_without_needs_owes_no_share_and_a_refused_one_says_why() {
    let g = open_groupement(CostSharing::ByVolume);
    let g = ok(&g, join(fontaine(), "2027-02-20"));
    let g = ok(&g, need(1, metro(), 300_000));
    let w = g
        .withdrawal(&fontaine(), d("2027-02-25"))
        .expect("possible");
    assert!(w.lots.is_empty());
    assert_eq!(w.cost_share, None);
    assert_eq!(w.remaining.len(), 1, "the coordinator keeps the whole key");
    assert_eq!(w.remaining[0].after.label_fr(), "100,00\u{a0}%");
    assert_eq!(
        g.withdrawal(&metro(), d("2027-02-25"))
            .expect_err("refused")
            .reasons,
        refused(&g, withdraw(metro(), "2027-02-25"))
    );
}

#[test]
fn shares_read_in_hundredths_of_a_percent() {
    let share = |part, whole| Share { part, whole };
    assert_eq!(share(1, 3).label_fr(), "33,33\u{a0}%");
    assert_eq!(share(2, 3).label_fr(), "66,67\u{a0}%");
    assert_eq!(share(1, 8).hundredths_of_percent(), 1250);
    assert_eq!(
        share(1, 20_000).hundredths_of_percent(),
        1,
        "a half rounds up"
    );
    assert_eq!(share(0, 0).hundredths_of_percent(), 0);
}

// -- needs

#[test]
fn set_need_replaces_the_members_need_in_the_lot() {
    let g = joined_groupement();
    let before = g.needs.len();
    let g = ok(&g, need(1, echirolles(), 120_000));
    assert_eq!(g.needs.len(), before);
    let mine: Vec<&LotNeed> = g
        .needs
        .iter()
        .filter(|n| n.lot == 1 && n.member == echirolles())
        .collect();
    assert_eq!(mine.len(), 1);
    assert_eq!(mine[0].estimated_amount, Amount::from_euros(120_000));
    // An invited member's need may be pre-filled before it answers; the member itself
    // declares its own once it has joined.
    let g = open_groupement(CostSharing::ByVolume);
    assert!(g.apply(&proposal(1, fontaine(), 10_000)).is_ok());
    let refusal = g.apply(&need(1, fontaine(), 10_000)).unwrap_err();
    assert_eq!(refusal.code, RefusalCode::NotNow);
    assert_eq!(
        refusal.reasons,
        ["Ville de Fontaine n'a pas adhéré au groupement (invitation sans réponse)"]
    );
}

#[test]
fn set_need_refuses_with_every_reason() {
    let g = ok(&joined_groupement(), withdraw(fontaine(), "2027-02-25"));
    let reasons = refused(
        &g,
        Action::SetNeed(LotNeed {
            lot: 9,
            member: fontaine(),
            quantity: Some(Quantity {
                thousandths: 0,
                unit: " ".into(),
            }),
            estimated_amount: Amount::ZERO,
            confirmed: true,
        }),
    );
    assert_eq!(
        reasons,
        [
            "Ville de Fontaine (retrait le 25/02/2027) : ses besoins ne comptent plus",
            "le lot 9 n'existe pas dans ce groupement",
            "le montant estimé du besoin de Ville de Fontaine pour le lot 9 doit être positif, reçu 0,00 € HT",
            "la quantité du besoin de Ville de Fontaine pour le lot 9 doit être positive",
            "la quantité du besoin de Ville de Fontaine pour le lot 9 n'a pas d'unité",
        ]
    );
    assert_eq!(
        refused(&g, need(1, meylan(), 1)),
        ["le SIREN 213802291 n'est pas membre du groupement"]
    );
}

#[test]
fn refusals_elide_de_before_a_members_name() {
    let g = Groupement::draft(new_groupement(CostSharing::ByVolume)).expect("draft");
    let g = ok(&g, invite(echirolles(), "Échirolles", 36_926));
    let g = ok(&g, Action::Open);
    let g = ok(&g, join(echirolles(), "2027-02-01"));
    let reasons = refused(
        &g,
        Action::SetNeed(LotNeed {
            lot: 1,
            member: echirolles(),
            quantity: None,
            estimated_amount: Amount::ZERO,
            confirmed: true,
        }),
    );
    assert!(
        has(
            &reasons,
            "le montant estimé du besoin d'Échirolles pour le lot 1"
        ),
        "{reasons:?}"
    );
    let Action::Sign(mut signature) = sign(echirolles(), "2027-01-15") else {
        unreachable!()
    };
    signature.deliberation.reference = String::new();
    let reasons = refused(&g, Action::Sign(signature));
    for expected in [
        "signature d'Échirolles datée du 15/01/2027",
        "la référence de la délibération d'Échirolles approuvant la convention est vide",
    ] {
        assert!(has(&reasons, expected), "{expected}: {reasons:?}");
    }
}

#[test]
fn needs_are_editable_until_the_consultation_only() {
    assert!(
        signed_groupement()
            .apply(&need(1, fontaine(), 5_000))
            .is_ok()
    );
    assert_eq!(
        refused(&in_consultation(), need(1, fontaine(), 5_000)),
        ["les besoins ne sont plus modifiables une fois la consultation lancée"]
    );
}

// -- signatures

#[test]
fn the_last_signature_concludes_the_convention() {
    let g = joined_groupement();
    let g = ok(&g, sign(metro(), "2027-03-02"));
    assert_eq!(g.status, OpenForAdhesion);
    let g = ok(&g, sign(echirolles(), "2027-03-03"));
    assert_eq!(g.status, OpenForAdhesion);
    assert_eq!(names(&g.unsigned_members()), "Ville de Fontaine");
    let g = ok(&g, sign(fontaine(), "2027-03-04"));
    assert_eq!(g.status, ConventionSigned);
    assert_eq!(g.signatures.len(), 3);
}

#[test]
fn a_member_signs_once_and_only_if_joined() {
    let g = open_groupement(CostSharing::ByVolume);
    let g = ok(&g, invite(meylan(), "Ville de Meylan", 19_124));
    let g = ok(&g, join(echirolles(), "2027-02-01"));
    let g = ok(&g, join(fontaine(), "2027-02-01"));
    let g = ok(&g, decline(meylan(), "2027-02-01"));
    let g = ok(&g, sign(metro(), "2027-03-02"));
    assert_eq!(
        refused(&g, sign(metro(), "2027-03-05")),
        ["Grenoble-Alpes-Métropole a déjà signé la convention le 02/03/2027"]
    );
    assert_eq!(
        refused(&g, sign(meylan(), "2027-03-05")),
        [
            "Ville de Meylan n'a pas adhéré au groupement (refus le 01/02/2027) : seul un membre qui a adhéré signe la convention"
        ]
    );
    assert_eq!(
        refused(&g, sign(grenoble(), "2027-03-05")),
        ["le SIREN 213801855 n'est pas membre du groupement"]
    );
}

#[test]
fn signature_checks_dates_signatory_and_deliberation() {
    let g = joined_groupement();
    let reasons = refused(
        &g,
        Action::Sign(Signature {
            member: fontaine(),
            signed_on: d("2027-02-10"),
            signatory: " ".into(),
            deliberation: Deliberation {
                reference: String::new(),
                adopted_on: d("2027-02-11"),
            },
        }),
    );
    assert_eq!(
        reasons,
        [
            "signature de Ville de Fontaine datée du 10/02/2027, avant son adhésion du 20/02/2027",
            "le nom du signataire pour Ville de Fontaine est vide",
            "la référence de la délibération de Ville de Fontaine approuvant la convention est vide",
            "la délibération de Ville de Fontaine est datée du 11/02/2027, après la signature du 10/02/2027",
        ]
    );
}

#[test]
fn signatures_wait_for_the_adhesions_to_be_settled() {
    let g = open_groupement(CostSharing::ByVolume);
    let g = ok(&g, join(echirolles(), "2027-02-01"));
    // Fontaine has not answered and the deadline has not passed.
    assert_eq!(
        refused(&g, sign(echirolles(), "2027-02-20")),
        [
            "la convention se signe une fois les adhésions arrêtées : invitation sans réponse de Ville de Fontaine (date limite d'adhésion : 01/03/2027)"
        ]
    );
    // On the deadline day the invitation is still open; the day after, it has lapsed.
    assert!(g.apply(&sign(echirolles(), "2027-03-01")).is_err());
    let g = ok(&g, sign(echirolles(), "2027-03-02"));
    let g = ok(&g, sign(metro(), "2027-03-03"));
    assert_eq!(g.status, ConventionSigned);
    assert_eq!(
        g.member(&fontaine()).map(|m| m.status),
        Some(MemberStatus::Invited)
    );
}

#[test]
fn signing_needs_two_joined_members_and_an_open_groupement() {
    let g = open_groupement(CostSharing::ByVolume);
    let g = ok(&g, decline(echirolles(), "2027-02-01"));
    let g = ok(&g, decline(fontaine(), "2027-02-01"));
    assert_eq!(
        refused(&g, sign(metro(), "2027-03-02")),
        [
            "un groupement de commandes réunit au moins deux acheteurs (L2113-6) : Grenoble-Alpes-Métropole est le seul membre à avoir adhéré"
        ]
    );
    let draft = Groupement::draft(new_groupement(CostSharing::ByVolume)).expect("draft");
    assert!(has(
        &refused(&draft, sign(metro(), "2027-03-02")),
        "la convention n'est pas encore soumise aux membres"
    ));
    assert_eq!(
        refused(&signed_groupement(), sign(metro(), "2027-03-09")),
        [
            "la convention ne se signe plus au statut « Convention signée »",
            "Grenoble-Alpes-Métropole a déjà signé la convention le 02/03/2027",
        ]
    );
}

// -- consultation

#[test]
fn consultation_is_refused_while_a_joined_member_has_not_signed() {
    let g = joined_groupement();
    let g = ok(&g, sign(metro(), "2027-03-02"));
    let reasons = refused(&g, consult("2027-04-01"));
    assert_eq!(
        reasons,
        ["la convention n'est pas signée par : Ville d'Échirolles, Ville de Fontaine"]
    );
}

#[test]
fn consultation_starts_once_signed_and_freezes_the_membership() {
    let g = in_consultation();
    assert_eq!(g.status, Consultation);
    assert_eq!(g.consultation_started_on, Some(d("2027-04-01")));
    assert_eq!(
        refused(&g, consult("2027-04-02")),
        ["la consultation est déjà lancée"]
    );
}

#[test]
fn consultation_needs_a_need_in_every_lot_and_a_date_after_the_signatures() {
    let g = open_groupement(CostSharing::ByVolume);
    let g = ok(&g, join(echirolles(), "2027-02-01"));
    let g = ok(&g, join(fontaine(), "2027-02-20"));
    let g = ok(&g, need(1, echirolles(), 100_000));
    let g = ok(&g, sign(metro(), "2027-03-02"));
    let g = ok(&g, sign(echirolles(), "2027-03-03"));
    let g = ok(&g, sign(fontaine(), "2027-03-04"));
    assert_eq!(
        refused(&g, consult("2027-03-03")),
        [
            "aucun membre ayant adhéré n'a exprimé de besoin pour le lot 2 « Électricité »",
            "consultation lancée le 03/03/2027, avant la signature de la convention par Ville de Fontaine le 04/03/2027",
        ]
    );
}

#[test]
fn consultation_checks_the_key_can_be_applied() {
    let g = open_groupement(CostSharing::ByPopulation);
    let g = ok(&g, invite_without_population());
    let g = ok(&g, join(echirolles(), "2027-02-01"));
    let g = ok(&g, join(fontaine(), "2027-02-01"));
    let g = ok(&g, join(meylan(), "2027-02-01"));
    let g = ok(&g, need(1, meylan(), 1_000));
    let g = ok(&g, need(2, echirolles(), 1_000));
    let mut signed = g;
    for member in [metro(), echirolles(), fontaine(), meylan()] {
        signed = ok(&signed, sign(member, "2027-03-02"));
    }
    assert_eq!(
        refused(&signed, consult("2027-04-01")),
        ["la clé de répartition par population demande la population de : Ville de Meylan"]
    );
    signed.cost_sharing = CostSharing::FixedShares(vec![(metro(), 600), (echirolles(), 400)]);
    assert_eq!(
        refused(&signed, consult("2027-04-01")),
        ["la clé de répartition à parts fixes ne donne aucune part à : Ville de Meylan"]
    );
}

fn invite_without_population() -> Action {
    Action::Invite {
        member: meylan(),
        name: "Ville de Meylan".into(),
        population: None,
    }
}

// -- award, execution, close, cancel

#[test]
fn award_of_every_lot_moves_to_awarded() {
    let g = in_consultation();
    let g = ok(&g, Action::Award(award(&[(1, 40_000_000)])));
    assert_eq!(g.status, Consultation, "lot 2 is not awarded yet");
    assert_eq!(
        refused(&g, Action::Award(award(&[(1, 1_000)]))),
        ["le lot 1 « Gaz naturel » est déjà attribué (titulaire SIRET 44306184100047)"]
    );
    let g = ok(&g, Action::Award(award(&[(2, 11_999_999)])));
    assert_eq!(g.status, Awarded);
    assert_eq!(g.awards.len(), 2);
}

#[test]
fn award_is_refused_before_the_consultation_and_for_bad_amounts() {
    assert_eq!(
        refused(&signed_groupement(), Action::Award(award(&[(1, 100)]))),
        [
            "l'attribution est impossible au statut « Convention signée » (possible seulement au statut « Consultation lancée »)"
        ]
    );
    assert_eq!(
        refused(
            &in_consultation(),
            Action::Award(award(&[(1, 0), (3, 5), (2, 7), (2, 8)]))
        ),
        [
            "le montant attribué du lot 1 « Gaz naturel » doit être positif, reçu 0,00 € HT",
            "le lot 2 figure deux fois dans l'attribution",
            "le lot 3 n'existe pas dans ce groupement",
        ]
    );
    assert_eq!(
        refused(&in_consultation(), Action::Award(award(&[]))),
        ["l'attribution ne porte sur aucun lot"]
    );
}

#[test]
fn execution_and_close_follow_the_award() {
    let g = in_consultation();
    assert!(has(
        &refused(&g, execute("2027-09-01")),
        "le début de l'exécution est impossible au statut « Consultation lancée »"
    ));
    let g = ok(&g, Action::Award(award(&[(1, 100), (2, 100)])));
    assert_eq!(
        refused(&g, execute("2027-03-31")),
        ["exécution commencée le 31/03/2027, avant le lancement de la consultation le 01/04/2027"]
    );
    let running = ok(&g, execute("2027-09-01"));
    assert_eq!(running.status, InExecution);
    assert_eq!(
        refused(&running, close("2027-08-31")),
        ["clôture datée du 31/08/2027, avant le 01/09/2027"]
    );
    let closed = ok(&running, close("2031-09-01"));
    assert_eq!(closed.status, Closed);
    assert_eq!(closed.closed_on, Some(d("2031-09-01")));
    assert_eq!(
        refused(
            &closed,
            Action::Cancel {
                on: d("2031-09-02"),
                reason: "x".into()
            }
        ),
        ["le groupement est au statut « Clos » : plus aucune action n'est possible"]
    );
    // Award only: the coordinator's mission ends at award, the groupement may close then.
    assert_eq!(ok(&g, close("2027-06-01")).status, Closed);
}

#[test]
fn with_the_execution_mission_close_waits_for_the_execution() {
    let mut g = in_consultation();
    g.mission = Mission::AwardAndExecution;
    let g = ok(&g, Action::Award(award(&[(1, 100), (2, 100)])));
    assert_eq!(
        refused(&g, close("2027-06-01")),
        [
            "le coordonnateur est chargé de l'exécution (mission « passation et exécution ») : commencez l'exécution avant de clore le groupement"
        ]
    );
    let draft = Groupement::draft(new_groupement(CostSharing::ByVolume)).expect("draft");
    assert_eq!(
        refused(&draft, close("2027-06-01")),
        [
            "la clôture est impossible au statut « Brouillon » (possible seulement au statut « Attribué » ou « En exécution »)"
        ]
    );
}

#[test]
fn cancel_from_any_non_final_state_with_a_reason() {
    let draft = Groupement::draft(new_groupement(CostSharing::ByVolume)).expect("draft");
    let states = [
        draft,
        open_groupement(CostSharing::ByVolume),
        signed_groupement(),
        in_consultation(),
        ok(
            &in_consultation(),
            Action::Award(award(&[(1, 100), (2, 100)])),
        ),
    ];
    let running = ok(&states[4], execute("2027-09-01"));
    let states = [states.as_slice(), &[running]].concat();
    for g in &states {
        let cancelled = ok(
            g,
            Action::Cancel {
                on: d("2027-05-01"),
                reason: " Offres inacceptables ".into(),
            },
        );
        assert_eq!(cancelled.status, Cancelled);
        assert_eq!(
            cancelled.cancellation,
            Some(Cancellation {
                on: d("2027-05-01"),
                reason: "Offres inacceptables".into()
            })
        );
        assert_eq!(
            refused(&cancelled, Action::Open),
            ["le groupement est au statut « Annulé » : plus aucune action n'est possible"]
        );
    }
    assert_eq!(
        refused(
            &states[0],
            Action::Cancel {
                on: d("2027-05-01"),
                reason: " ".into()
            }
        ),
        ["le motif de l'annulation est vide"]
    );
}

#[test]
fn a_refusal_reads_as_one_line() {
    let draft = Groupement::draft(new_groupement(CostSharing::ByVolume)).expect("draft");
    let refusal = draft.apply(&consult("2027-04-01")).expect_err("refused");
    assert_eq!(
        refusal.to_string(),
        "le groupement n'est pas encore ouvert aux adhésions ; un groupement de commandes \
         réunit au moins deux acheteurs (L2113-6) : Grenoble-Alpes-Métropole est le seul \
         membre à avoir adhéré ; la convention n'est pas signée par : \
         Grenoble-Alpes-Métropole ; aucun membre ayant adhéré n'a exprimé de besoin pour le \
         lot 1 « Gaz naturel » ; aucun membre ayant adhéré n'a exprimé de besoin pour le lot \
         2 « Électricité »"
    );
}

#[test]
fn action_codes_are_distinct() {
    let actions = [
        Action::Open,
        invite(meylan(), "x", 1),
        join(meylan(), "2027-01-01"),
        decline(meylan(), "2027-01-01"),
        withdraw(meylan(), "2027-01-01"),
        need(1, meylan(), 1),
        sign(meylan(), "2027-01-01"),
        consult("2027-01-01"),
        Action::Award(award(&[])),
        execute("2027-01-01"),
        close("2027-01-01"),
        Action::Cancel {
            on: d("2027-01-01"),
            reason: "x".into(),
        },
    ];
    let codes: BTreeSet<&str> = actions.iter().map(Action::code).collect();
    assert_eq!(codes.len(), actions.len());
    assert!(actions.iter().all(|a| !a.label_fr().is_empty()));
}

// -- shares

#[test]
fn shares_by_volume_split_each_lot_among_its_members() {
    let g = in_consultation();
    // Lot 1: Métropole 300 000, Échirolles 100 000 → 3/4, 1/4.
    // Lot 2: Fontaine 50 000, Échirolles 70 000 → 5/12, 7/12.
    let shares = g
        .member_shares(&award(&[(2, 100_001), (1, 1_000_003)]))
        .expect("shares");
    let expected = [
        (metro(), 1, 750_002),
        (echirolles(), 1, 250_001),
        (echirolles(), 2, 58_334),
        (fontaine(), 2, 41_667),
    ];
    let got: Vec<(Siren, u32, i64)> = shares
        .iter()
        .map(|s| (s.member.clone(), s.lot, s.amount.cents()))
        .collect();
    assert_eq!(got, expected);
}

#[test]
fn shares_by_population_and_fixed_shares() {
    let mut g = in_consultation();
    g.cost_sharing = CostSharing::ByPopulation;
    // Lot 2: Échirolles 36 926, Fontaine 22 684 inhabitants.
    let shares = g.member_shares(&award(&[(2, 5_961_000)])).expect("shares");
    let amounts: Vec<i64> = shares.iter().map(|s| s.amount.cents()).collect();
    assert_eq!(amounts, [3_692_600, 2_268_400]);
    g.cost_sharing =
        CostSharing::FixedShares(vec![(metro(), 500), (echirolles(), 300), (fontaine(), 200)]);
    // Lot 2 holds Échirolles (300) and Fontaine (200): 3/5 and 2/5.
    let shares = g.member_shares(&award(&[(2, 1_001)])).expect("shares");
    let amounts: Vec<i64> = shares.iter().map(|s| s.amount.cents()).collect();
    assert_eq!(amounts, [601, 400]);
}

#[test]
fn shares_refuse_a_missing_population_or_fixed_share() {
    let mut g = in_consultation();
    g.cost_sharing = CostSharing::ByPopulation;
    g.members[2].population = None; // Fontaine
    assert_eq!(
        g.member_shares(&award(&[(1, 100), (2, 100)]))
            .expect_err("refused")
            .reasons,
        [
            "lot 2 « Électricité » : la clé « Au prorata de la population » demande une population pour : Ville de Fontaine"
        ]
    );
    g.cost_sharing = CostSharing::FixedShares(vec![(metro(), 1000)]);
    assert_eq!(
        g.member_shares(&award(&[(1, 100)]))
            .expect_err("refused")
            .reasons,
        [
            "lot 1 « Gaz naturel » : la clé « Parts fixes » demande une part fixe pour : Ville d'Échirolles"
        ]
    );
    // The award itself is refused before anything is recorded.
    assert!(has(
        &refused(&g, Action::Award(award(&[(1, 100)]))),
        "demande une part fixe"
    ));
}

#[test]
fn remainder_cents_go_to_the_largest_remainders_then_by_siren() {
    // Three equal weights, 100 cents: 33 each and one left, to the smallest SIREN.
    let parties = [(fontaine(), 1), (echirolles(), 1), (metro(), 1)];
    let split = split_cents(Amount::from_cents(100), &parties);
    let got: Vec<(String, i64)> = split
        .iter()
        .map(|(s, a)| (s.to_string(), a.cents()))
        .collect();
    assert_eq!(
        got,
        [
            ("200040715".to_owned(), 34),
            ("213801517".to_owned(), 33),
            ("213801699".to_owned(), 33),
        ]
    );
    // Weights 1, 2, 7 over 11 cents: exact 1.1, 2.2, 7.7 → 1, 2, 7 plus one cent to 7.7.
    let parties = [(metro(), 1), (echirolles(), 2), (fontaine(), 7)];
    let amounts: Vec<i64> = split_cents(Amount::from_cents(11), &parties)
        .iter()
        .map(|(_, a)| a.cents())
        .collect();
    assert_eq!(amounts, [1, 2, 8]);
}

/// A Luhn-valid SIREN built from `n`.
fn nth_siren(n: u32) -> Siren {
    let base = format!("{:08}", 10_000_000 + n);
    (0..10)
        .find_map(|check| Siren::parse(&format!("{base}{check}")).ok())
        .expect("some check digit is valid")
}

/// A small deterministic generator (64-bit LCG), so the "property" tests need no crate.
struct Lcg(u64);
impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        self.0 >> 33
    }
}

#[test]
fn splits_always_add_up_to_the_total_and_are_deterministic() {
    let mut rng = Lcg(42);
    let mut cases = 0;
    for members in 1..=9u32 {
        let sirens: Vec<Siren> = (0..members).map(|i| nth_siren(i * 7 + 1)).collect();
        for round in 0..60 {
            let weights: Vec<(Siren, u64)> = sirens
                .iter()
                .map(|s| {
                    let w = match round % 3 {
                        0 => rng.next() % 5 + 1,         // small, many ties
                        1 => rng.next() % 1_000_000 + 1, // amounts, populations
                        _ => rng.next() * 1_000_003 + 1, // large
                    };
                    (s.clone(), w)
                })
                .collect();
            let weight_sum: u128 = weights.iter().map(|(_, w)| u128::from(*w)).sum();
            let totals = (0..40).map(|t| t * 37 + i64::from(round)).chain([
                1,
                99,
                100_000_000_007,
                i64::MAX / 3,
            ]);
            for total in totals {
                let split = split_cents(Amount::from_cents(total), &weights);
                assert_eq!(split.len(), weights.len());
                let sum: i64 = split.iter().map(|(_, a)| a.cents()).sum();
                assert_eq!(sum, total, "{weights:?} {total}");
                // Each share is its exact share rounded down, or up by one cent; the cents
                // go to the largest remainders, ties to the smaller SIREN.
                let mut up = Vec::new();
                let mut down = Vec::new();
                for (siren, amount) in &split {
                    let w = weights.iter().find(|(s, _)| s == siren).map(|(_, w)| *w);
                    let exact = total as u128 * u128::from(w.unwrap_or(0));
                    let floor = i64::try_from(exact / weight_sum).expect("fits");
                    let remainder = exact % weight_sum;
                    match amount.cents() - floor {
                        0 => down.push((remainder, siren)),
                        1 => up.push((remainder, siren)),
                        other => panic!("{other} cents away from the exact share"),
                    }
                }
                for (r_up, s_up) in &up {
                    for (r_down, s_down) in &down {
                        assert!(r_up > r_down || (r_up == r_down && s_up < s_down));
                    }
                }
                // Same result whatever the order of the parties.
                let mut reversed = weights.clone();
                reversed.reverse();
                assert_eq!(split_cents(Amount::from_cents(total), &reversed), split);
                assert_eq!(split_cents(Amount::from_cents(total), &weights), split);
                cases += 1;
            }
        }
    }
    assert_eq!(cases, 9 * 60 * 44);
}

#[test]
fn member_shares_add_up_per_lot_over_many_totals() {
    let base = in_consultation();
    for key in [
        CostSharing::ByVolume,
        CostSharing::ByPopulation,
        CostSharing::FixedShares(vec![(metro(), 334), (echirolles(), 333), (fontaine(), 333)]),
    ] {
        let mut g = base.clone();
        g.cost_sharing = key;
        for total in (1..3_000).step_by(7) {
            let a = award(&[(1, total), (2, total * 13 + 5)]);
            let shares = g.member_shares(&a).expect("shares");
            for lot_award in &a.lots {
                let sum: Amount = shares
                    .iter()
                    .filter(|s| s.lot == lot_award.lot)
                    .map(|s| s.amount)
                    .sum();
                assert_eq!(sum, lot_award.total);
            }
            // Needs in another order give the same shares.
            let mut shuffled = g.clone();
            shuffled.needs.reverse();
            shuffled.members[1..].reverse();
            assert_eq!(shuffled.member_shares(&a).expect("shares"), shares);
        }
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

#[test]
fn amending_the_terms_until_the_first_signature() {
    let g = Groupement::draft(new_groupement(CostSharing::ByVolume)).expect("draft");
    let mut terms = terms_of(&g);
    terms.title = "  Énergie 2028-2031 ".into();
    terms.lots.truncate(1);
    terms.mission = Mission::AwardAndExecution;
    terms.duration_months = 36;
    terms.proposed_start = None;
    let amended = ok(&g, Action::Amend(Box::new(terms)));
    assert_eq!(amended.title, "Énergie 2028-2031");
    assert_eq!(amended.lots.len(), 1);
    assert_eq!(amended.mission, Mission::AwardAndExecution);
    assert_eq!(amended.duration_months, 36);
    assert_eq!(amended.proposed_start, None);
    assert_eq!(amended.members, g.members);

    // A lot holding needs stays; incomplete terms are refused with every reason.
    let joined = joined_groupement();
    let mut terms = terms_of(&joined);
    terms.lots.retain(|l| l.number == 1);
    terms.title = " ".into();
    terms.duration_months = 0;
    let reasons = refused(&joined, Action::Amend(Box::new(terms)));
    assert!(
        has(&reasons, "lot 2 « Électricité » porte des besoins"),
        "{reasons:?}"
    );
    assert!(
        has(&reasons, "intitulé du groupement est vide"),
        "{reasons:?}"
    );
    assert!(has(&reasons, "au moins un mois"), "{reasons:?}");

    // Once open, fixed shares must name members.
    let mut terms = terms_of(&joined);
    terms.cost_sharing = CostSharing::FixedShares(vec![(metro(), 500), (meylan(), 500)]);
    let reasons = refused(&joined, Action::Amend(Box::new(terms)));
    assert!(has(&reasons, "ne correspond à aucun membre"), "{reasons:?}");

    // After a signature, the convention changes only by amendment.
    let signed = ok(&joined, sign(metro(), "2027-03-02"));
    let reasons = refused(&signed, Action::Amend(Box::new(terms_of(&signed))));
    assert!(has(&reasons, "avenant"), "{reasons:?}");
}

// -- dates that hold together

#[test]
fn a_planned_start_on_or_before_the_adhesion_deadline_is_refused() {
    let mut new = new_groupement(CostSharing::ByVolume);
    new.proposed_start = Some(d("2027-03-01"));
    assert_eq!(
        Groupement::draft(new.clone()).expect_err("refused").reasons,
        [
            "le début envisagé des contrats, le 01/03/2027, doit suivre la date limite \
             d'adhésion du 01/03/2027 : les contrats commencent une fois les adhésions closes \
             et la consultation passée"
        ]
    );
    // The day after the deadline holds together; so does no planned start at all.
    new.proposed_start = Some(d("2027-03-02"));
    let g = Groupement::draft(new.clone()).expect("draft");
    new.proposed_start = None;
    Groupement::draft(new).expect("draft without a planned start");

    // Amending: a start years before the deadline, as from an opportunity of 2019.
    let mut terms = terms_of(&g);
    terms.proposed_start = Some(d("2020-01-01"));
    let reasons = refused(&g, Action::Amend(Box::new(terms.clone())));
    assert!(
        has(
            &reasons,
            "le début envisagé des contrats, le 01/01/2020, doit suivre la date limite \
             d'adhésion du 01/03/2027"
        ),
        "{reasons:?}"
    );
    // Moving the deadline past the start is refused the same way.
    let mut terms = terms_of(&g);
    terms.adhesion_deadline = d("2027-04-01");
    terms.proposed_start = Some(d("2027-04-01"));
    assert!(has(
        &refused(&g, Action::Amend(Box::new(terms))),
        "le 01/04/2027, doit suivre la date limite d'adhésion du 01/04/2027"
    ));
    // A stored groupement whose start contradicts its deadline is not opened as it is.
    let mut stale = open_groupement(CostSharing::ByVolume);
    stale.status = Draft;
    stale.proposed_start = Some(d("2020-01-01"));
    assert!(has(
        &refused(&stale, Action::Open),
        "le 01/01/2020, doit suivre"
    ));
}

#[test]
fn the_deadline_cannot_be_amended_before_an_adhesion() {
    let g = Groupement::draft(new_groupement(CostSharing::ByVolume)).expect("draft");
    let mut terms = terms_of(&g);
    terms.adhesion_deadline = d("2027-01-09");
    assert_eq!(
        refused(&g, Action::Amend(Box::new(terms))),
        [
            "la date limite d'adhésion du 09/01/2027 précède la création du groupement le \
             10/01/2027"
        ]
    );
    // Fontaine joined on 20 February: the deadline cannot move before that day.
    let joined = joined_groupement();
    let mut terms = terms_of(&joined);
    terms.adhesion_deadline = d("2027-02-10");
    assert_eq!(
        refused(&joined, Action::Amend(Box::new(terms.clone()))),
        [
            "la date limite d'adhésion du 10/02/2027 précède l'adhésion de Ville de Fontaine \
             le 20/02/2027"
        ]
    );
    terms.adhesion_deadline = d("2027-02-20");
    assert_eq!(
        ok(&joined, Action::Amend(Box::new(terms))).adhesion_deadline,
        d("2027-02-20")
    );
}

#[test]
fn the_earliest_start_is_the_first_of_a_month_after_the_deadline_and_the_lead() {
    assert_eq!(earliest_start(d("2027-03-15"), 0), d("2027-04-01"));
    assert_eq!(earliest_start(d("2027-03-15"), 4), d("2027-08-01"));
    // A deadline on the last day of a month: the next day is the first of the next one.
    assert_eq!(earliest_start(d("2027-02-28"), 0), d("2027-03-01"));
    // A deadline on the first of a month: the start is never the deadline itself.
    assert_eq!(earliest_start(d("2027-03-01"), 0), d("2027-04-01"));
    assert_eq!(earliest_start(d("2027-01-31"), 1), d("2027-03-01"));
    for (deadline, lead) in [("2027-03-01", 0), ("2027-12-31", 8), ("2028-02-29", 1)] {
        let start = earliest_start(d(deadline), lead);
        let mut new = new_groupement(CostSharing::ByVolume);
        new.adhesion_deadline = d(deadline);
        new.proposed_start = Some(start);
        Groupement::draft(new).expect("the earliest start holds together");
    }
}

#[test]
fn the_members_contracts_run_from_the_planned_start_for_the_duration() {
    // Planned start 1 January 2028, 48 months; notified on 1 June 2027.
    let g = in_consultation();
    let notified = d("2027-06-01");
    assert_eq!(
        g.contract_period(notified),
        (d("2028-01-01"), d("2032-01-01"))
    );
    assert_eq!(g.late_notification(notified), None);
    assert_eq!(g.late_notification(d("2028-01-01")), None);
    // Notified after the planned start: a contract is not executed before it is notified.
    let late = d("2028-02-15");
    assert_eq!(g.contract_period(late), (late, d("2032-02-15")));
    assert_eq!(
        g.late_notification(late).as_deref(),
        Some(
            "notification le 15/02/2028, après le début envisagé des contrats le \
             01/01/2028 : un marché est notifié avant tout commencement d'exécution \
             (article R2182-4 du code de la commande publique), les contrats des membres \
             commenceraient donc le 15/02/2028"
        )
    );
    // Without a planned start, the contracts start on their notification.
    let mut unplanned = g.clone();
    unplanned.proposed_start = None;
    assert_eq!(
        unplanned.contract_period(notified),
        (notified, d("2031-06-01"))
    );
    assert_eq!(unplanned.late_notification(late), None);
}

#[test]
fn each_members_contract_has_its_own_id_and_the_lot_one_publication() {
    assert_eq!(lot_contract_id(7, 2), "GRP7-L2");
    assert_eq!(member_contract_id(7, 2, &echirolles()), "GRP7-L2-213801517");
    assert_ne!(
        member_contract_id(7, 2, &echirolles()),
        member_contract_id(7, 2, &fontaine())
    );
    assert_ne!(
        member_contract_id(7, 1, &echirolles()),
        member_contract_id(7, 2, &echirolles())
    );
}

#[test]
fn a_share_of_a_lot_is_rounded_to_the_nearest_thousandth() {
    let share =
        |part: i64, total: i64| share_permille(Amount::from_cents(part), Amount::from_cents(total));
    // Two thirds: 666.67 ‰ reads 667, not 666; a quarter 250; halves up.
    assert_eq!(share(200, 300), Some(667));
    assert_eq!(share(100, 300), Some(333));
    assert_eq!(share(25, 100), Some(250));
    assert_eq!(share(1, 2000), Some(1));
    assert_eq!(share(300, 300), Some(1000));
    assert_eq!(share(1, 0), None);
    assert_eq!(share_percent_label(667), "66,7 %");
    assert_eq!(share_percent_label(1000), "100,0 %");
    assert_eq!(share_percent_label(5), "0,5 %");
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

#[test]
fn a_proposed_need_waits_for_its_member() {
    let g = open_groupement(CostSharing::ByVolume);
    // The coordinator pre-fills an invited member's need; not its own.
    let g = ok(&g, proposal(1, echirolles(), 90_000));
    assert!(has(
        &refused(&g, proposal(1, metro(), 1)),
        "le coordonnateur saisit son propre besoin"
    ));
    let g = ok(&g, join(echirolles(), "2027-02-01"));
    let g = ok(&g, join(fontaine(), "2027-02-02"));
    let g = ok(&g, need(1, metro(), 300_000));
    let g = ok(&g, need(2, fontaine(), 50_000));
    let g = ok(&g, sign(metro(), "2027-03-02"));
    let g = ok(&g, sign(echirolles(), "2027-03-03"));
    let g = ok(&g, sign(fontaine(), "2027-03-04"));
    let reasons = refused(&g, consult("2027-04-01"));
    assert_eq!(
        reasons,
        vec![
            "besoins pré-remplis par le coordonnateur, pas encore confirmés par : Ville \
             d'Échirolles"
                .to_owned()
        ]
    );
    // The member confirms (here with a corrected amount); the coordinator can no longer
    // replace it.
    let g = ok(&g, need(1, echirolles(), 95_000));
    assert!(has(
        &refused(&g, proposal(1, echirolles(), 1)),
        "Ville d'Échirolles a confirmé son besoin pour le lot 1"
    ));
    let g = ok(&g, consult("2027-04-01"));
    assert_eq!(g.status, Consultation);
}

#[test]
fn an_unanswered_invitation_can_be_withdrawn_until_the_first_signature() {
    let g = open_groupement(CostSharing::ByVolume);
    let g = ok(&g, proposal(1, fontaine(), 10_000));
    let g = ok(&g, Action::Uninvite { member: fontaine() });
    assert!(g.member(&fontaine()).is_none());
    assert!(g.needs.iter().all(|n| n.member != fontaine()));
    // Re-invited later, it is a new invitation.
    let g = ok(&g, invite(fontaine(), "Ville de Fontaine", 22_684));
    let g = ok(&g, join(echirolles(), "2027-02-01"));
    assert!(has(
        &refused(
            &g,
            Action::Uninvite {
                member: echirolles()
            }
        ),
        "a déjà adhéré"
    ));
    assert!(has(
        &refused(&g, Action::Uninvite { member: metro() }),
        "a déjà adhéré"
    ));
    let g = ok(&g, join(fontaine(), "2027-02-02"));
    let g = ok(&g, invite(meylan(), "Ville de Meylan", 18_000));
    let g = ok(
        &g,
        Action::Decline {
            member: meylan(),
            on: d("2027-02-03"),
        },
    );
    let g = ok(&g, sign(metro(), "2027-03-02"));
    let reasons = refused(&g, Action::Uninvite { member: meylan() });
    assert!(has(&reasons, "avenant"), "{reasons:?}");
    assert!(has(&reasons, "décliné"), "{reasons:?}");
}

fn publication(notified: &str, published: &str) -> AwardPublication {
    AwardPublication {
        notified_on: d(notified),
        published_on: d(published),
        procedure: "Appel d'offres ouvert".into(),
        price_form: "Unitaire".into(),
        place: Place {
            code: "38".into(),
            code_type: "Code département".into(),
        },
        decp2: Decp2Fields::default(),
    }
}

#[test]
fn the_award_publishes_one_contract_per_lot_under_the_coordinator() {
    let g = in_consultation();
    let mut a = award(&[(1, 40_000_000), (2, 12_500_001)]);
    a.publication = Some(Box::new(publication("2027-03-31", "2027-03-30")));
    let reasons = refused(&g, Action::Award(a.clone()));
    assert!(
        has(&reasons, "avant le lancement de la consultation"),
        "{reasons:?}"
    );
    assert!(has(&reasons, "avant la notification"), "{reasons:?}");

    a.publication = Some(Box::new(publication("2027-06-01", "2027-06-15")));
    let g = ok(&g, Action::Award(a));
    let coordinator = Siret::parse("20004071500019").expect("siret");
    let published = g.published_contracts(7, &coordinator);
    assert_eq!(published.len(), 2);
    let lot2 = &published[1];
    assert_eq!(lot2.id, "GRP7-L2");
    assert_eq!(lot2.buyer, coordinator);
    assert_eq!(lot2.amount, Some(Amount::from_cents(12_500_001)));
    assert_eq!(lot2.notified_on, Some(d("2027-06-01")));
    assert_eq!(lot2.published_on, Some(d("2027-06-15")));
    assert_eq!(
        lot2.procedure.value.as_deref(),
        Some("Appel d'offres ouvert")
    );
    assert_eq!(lot2.operators[0].id, siret().as_str());
    assert_eq!(
        lot2.object,
        "Fourniture d'énergie 2028-2031 — lot 2 : Électricité"
    );
    assert_eq!(lot2.duration_months, Some(48));
}

#[test]
fn an_award_without_publication_publishes_what_it_knows() {
    let g = ok(&in_consultation(), Action::Award(award(&[(1, 40_000_000)])));
    let coordinator = Siret::parse("20004071500019").expect("siret");
    let published = g.published_contracts(3, &coordinator);
    assert_eq!(published.len(), 1, "lot 2 is not awarded yet");
    assert_eq!(published[0].notified_on, None);
    assert_eq!(published[0].decp2, None);
}

// -- policy

/// One action of `kind` as `own` would send it: its own for a member's action, about Fontaine
/// (invited, then joined) for the coordinator's on one member.
fn sample(kind: ActionKind, g: &Groupement, own: &Siren) -> Action {
    match kind {
        ActionKind::Open => Action::Open,
        ActionKind::Amend => Action::Amend(Box::new(terms_of(g))),
        ActionKind::Invite => invite(meylan(), "Ville de Meylan", 18_000),
        ActionKind::Uninvite => Action::Uninvite { member: fontaine() },
        ActionKind::Join => join(own.clone(), "2027-02-10"),
        ActionKind::Decline => decline(own.clone(), "2027-02-10"),
        ActionKind::Withdraw => withdraw(own.clone(), "2027-03-10"),
        ActionKind::SetNeed => need(1, own.clone(), 1_000),
        ActionKind::ProposeNeed => proposal(1, fontaine(), 1_000),
        ActionKind::Sign => sign(own.clone(), "2027-03-05"),
        ActionKind::StartConsultation => consult("2027-04-01"),
        ActionKind::Award => Action::Award(award(&[(1, 40_000_000), (2, 12_000_000)])),
        ActionKind::StartExecution => execute("2027-06-01"),
        ActionKind::Close => close("2027-07-01"),
        ActionKind::Cancel => Action::Cancel {
            on: d("2027-05-01"),
            reason: "besoin abandonné".into(),
        },
    }
}

/// What the pages draw from the policy is what `apply_as` accepts: for every step of the
/// lifecycle, every kind of actor and every kind of action, an action offered is applied or
/// refused only for what it carries (`invalid`), and an action not offered is refused as not
/// the actor's business (`forbidden`) or not possible now (`not_now`).
#[test]
fn every_action_the_policy_offers_is_accepted_and_every_other_refused() {
    let draft = {
        let g = Groupement::draft(new_groupement(CostSharing::ByVolume)).expect("draft");
        let g = ok(&g, invite(echirolles(), "Ville d'Échirolles", 36_926));
        ok(&g, invite(fontaine(), "Ville de Fontaine", 22_684))
    };
    let awarded = ok(
        &in_consultation(),
        Action::Award(award(&[(1, 40_000_000), (2, 12_000_000)])),
    );
    let mut execution_mission = new_groupement(CostSharing::ByVolume);
    execution_mission.mission = Mission::AwardAndExecution;
    let states = [
        ("brouillon", draft.clone()),
        ("ouvert", open_groupement(CostSharing::ByVolume)),
        ("adhésions", joined_groupement()),
        ("signé", signed_groupement()),
        ("consultation", in_consultation()),
        ("attribué", awarded.clone()),
        ("exécution", ok(&awarded, execute("2027-06-01"))),
        ("clos", ok(&awarded, close("2027-07-01"))),
        (
            "annulé",
            ok(&draft, sample(ActionKind::Cancel, &draft, &metro())),
        ),
        (
            "brouillon, mission d'exécution",
            Groupement::draft(execution_mission).expect("draft"),
        ),
    ];
    let actor = |organisation: Siren, role: Role| Actor { organisation, role };
    let actors = [
        actor(metro(), Role::Coordinator),
        actor(metro(), Role::MemberBuyer),
        actor(metro(), Role::Approver),
        actor(echirolles(), Role::MemberBuyer),
        actor(echirolles(), Role::Evaluator),
        actor(fontaine(), Role::MemberBuyer),
        actor(meylan(), Role::MemberBuyer),
        actor(meylan(), Role::Coordinator),
    ];
    let mut accepted = BTreeSet::new();
    for (step, g) in &states {
        for actor in &actors {
            let available = g.available_actions(actor);
            for kind in ActionKind::ALL {
                let action = sample(kind, g, &actor.organisation);
                let offered = g.may(actor, kind, action.subject());
                if action.subject().is_none_or(|s| *s == actor.organisation) {
                    assert_eq!(
                        offered,
                        available.contains(&kind),
                        "{step} {actor:?} {kind:?}"
                    );
                }
                let case = format!(
                    "{step}, {:?} de {}, {kind:?}",
                    actor.role, actor.organisation
                );
                match g.apply_as(actor, &action) {
                    Ok(_) => {
                        assert!(offered, "{case}: applied but not offered");
                        accepted.insert(kind);
                    }
                    Err(refusal) if offered => {
                        assert_eq!(refusal.code, RefusalCode::Invalid, "{case}: {refusal}");
                    }
                    Err(refusal) => {
                        assert_ne!(refusal.code, RefusalCode::Invalid, "{case}: {refusal}");
                    }
                }
            }
        }
    }
    // Not vacuous: every kind of action is offered and applied somewhere.
    assert_eq!(accepted, ActionKind::ALL.into_iter().collect());
}

#[test]
fn a_refusal_says_whose_business_the_action_is() {
    let g = joined_groupement();
    let evaluator = Actor {
        organisation: echirolles(),
        role: Role::Evaluator,
    };
    let refusal = g
        .apply_as(&evaluator, &need(1, echirolles(), 1_000))
        .unwrap_err();
    assert_eq!(refusal.code, RefusalCode::Forbidden);
    assert_eq!(
        refusal.reasons,
        [
            "Besoin par lot : un compte « Évaluateur » ne peut pas agir pour un membre du \
             groupement ; il faut un compte acheteur de l'organisme"
        ]
    );
    let fontaine_buyer = Actor {
        organisation: fontaine(),
        role: Role::MemberBuyer,
    };
    let refusal = g
        .apply_as(&fontaine_buyer, &withdraw(echirolles(), "2027-03-10"))
        .unwrap_err();
    assert_eq!(refusal.code, RefusalCode::Forbidden);
    assert!(
        has(&refusal.reasons, "pas pour Ville d'Échirolles"),
        "{refusal}"
    );
    let refusal = g.apply_as(&fontaine_buyer, &Action::Open).unwrap_err();
    assert!(
        has(
            &refusal.reasons,
            "seul le coordonnateur du groupement (Grenoble-Alpes-Métropole)"
        ),
        "{refusal}"
    );
    assert_eq!(RefusalCode::NotNow.code(), "not_now");
}
