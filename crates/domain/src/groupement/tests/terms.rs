//! The codes and labels, a draft and its opening, the terms amended, and dates that hold
//! together.

use super::*;

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
