//! What a withdrawal changes: the lots' totals and the shares of the costs.

use super::*;

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
