//! The award split into the members' shares, to the cent.

use super::*;

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
