//! The members' needs, and the coordinator's proposals that wait for their member.

use super::*;

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
