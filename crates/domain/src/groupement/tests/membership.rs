//! Invitations, adhesions, refusals and withdrawals, and unanswered invitations withdrawn.

use super::*;

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
