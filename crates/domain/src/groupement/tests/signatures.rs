//! The convention's signatures, the last of which concludes it.

use super::*;

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
