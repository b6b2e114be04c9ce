//! When the members' contracts run, their ids, and what the award publishes.

use super::*;

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
