//! The consultation, the award, the execution, the close and the cancellation; refusals and
//! action codes.

use super::*;

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
