//! The split of an award into the members' shares, to the cent: one contract per member and
//! per lot, adding up to the lot's total by the largest remainder method.

use std::collections::BTreeSet;

use serde::Serialize;

use super::{Award, Groupement, LotAward, Refusal};
use crate::amount::Amount;
use crate::ids::Siren;

/// One member's share of one lot: the contract to create for it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MemberShare {
    pub member: Siren,
    pub lot: u32,
    pub amount: Amount,
}

impl Groupement {
    /// The contracts an award creates: for each awarded lot, one share per joined member with
    /// a need in that lot, splitting the lot's total by the cost-sharing key:
    /// - by volume: in proportion to the member's estimated amount in the lot;
    /// - by population: in proportion to its population (refused if a member has none);
    /// - fixed shares: in proportion to its share, among the members of the lot.
    ///
    /// In integer cents, the shares of a lot add up to its total exactly: each member gets the
    /// whole cents of its exact share, and the cents left over go one each to the largest
    /// remainders, ties broken by SIREN order. The result is sorted by lot, then SIREN, and
    /// depends neither on the order of members nor of needs.
    ///
    /// Refused, with every reason, before anything is created: an award without lots, a lot
    /// unknown or twice in the award, a total not positive, a lot without a joined member with
    /// a need, a member the key cannot be applied to.
    pub fn member_shares(&self, award: &Award) -> Result<Vec<MemberShare>, Refusal> {
        let mut reasons = Vec::new();
        let mut shares = Vec::new();
        if award.lots.is_empty() {
            reasons.push("l'attribution ne porte sur aucun lot".to_owned());
        }
        let mut seen = BTreeSet::new();
        let mut lots: Vec<&LotAward> = award.lots.iter().collect();
        lots.sort_by_key(|l| l.lot);
        for lot_award in lots {
            let lot = lot_award.lot;
            if !seen.insert(lot) {
                reasons.push(format!("le lot {lot} figure deux fois dans l'attribution"));
                continue;
            }
            if self.lot(lot).is_none() {
                reasons.push(format!("le lot {lot} n'existe pas dans ce groupement"));
                continue;
            }
            if lot_award.total <= Amount::ZERO {
                reasons.push(format!(
                    "le montant attribué du {} doit être positif, reçu {}",
                    self.lot_label(lot),
                    lot_award.total
                ));
                continue;
            }
            match self.lot_weights(lot) {
                Err(mut why) => reasons.append(&mut why),
                Ok(weights) => {
                    let split = split_cents(lot_award.total, &weights);
                    let sum: Amount = split.iter().map(|(_, a)| *a).sum();
                    if sum != lot_award.total {
                        // The method guarantees it; checked so that a bug can never create
                        // contracts that do not add up.
                        reasons.push(format!(
                            "la répartition du {} ne tombe pas juste : {} au lieu de {}",
                            self.lot_label(lot),
                            sum,
                            lot_award.total
                        ));
                    }
                    shares.extend(split.into_iter().map(|(member, amount)| MemberShare {
                        member,
                        lot,
                        amount,
                    }));
                }
            }
        }
        Refusal::unless_empty(reasons)?;
        Ok(shares)
    }

    /// Each participant of a lot with its weight under the cost-sharing key.
    pub(super) fn lot_weights(&self, lot: u32) -> Result<Vec<(Siren, u64)>, Vec<String>> {
        let participants = self.lot_participants(lot);
        if participants.is_empty() {
            return Err(vec![format!(
                "aucun membre ayant adhéré n'a de besoin dans le {}",
                self.lot_label(lot)
            )]);
        }
        self.key_weights(participants).map_err(|missing| {
            vec![format!(
                "{} : {}",
                self.lot_label(lot),
                self.key_missing(&missing)
            )]
        })
    }
}

/// Splits `total` (not negative) in proportion to positive `weights`, in whole cents, by the
/// largest remainder method: each party gets the floor of its exact share, then the cents left
/// over (fewer than the number of parties) go one each to the largest remainders, ties broken
/// by SIREN. The result is in SIREN order and adds up to `total` exactly.
pub(super) fn split_cents(total: Amount, weights: &[(Siren, u64)]) -> Vec<(Siren, Amount)> {
    let mut parties: Vec<&(Siren, u64)> = weights.iter().collect();
    parties.sort_by(|a, b| a.0.cmp(&b.0));
    let total = u128::try_from(total.cents()).unwrap_or(0);
    let weight_sum: u128 = parties.iter().map(|(_, w)| u128::from(*w)).sum();
    if parties.is_empty() || weight_sum == 0 {
        return Vec::new();
    }
    // total × weight fits in u128: both are below 2^64.
    let mut rows: Vec<(usize, u128, u128)> = parties
        .iter()
        .enumerate()
        .map(|(i, (_, w))| {
            let exact = total * u128::from(*w);
            (i, exact / weight_sum, exact % weight_sum)
        })
        .collect();
    let given: u128 = rows.iter().map(|(_, floor, _)| floor).sum();
    let left = total - given;
    let mut order: Vec<usize> = (0..rows.len()).collect();
    // Largest remainder first; equal remainders in SIREN order (the parties' order).
    order.sort_by(|&a, &b| rows[b].2.cmp(&rows[a].2).then(a.cmp(&b)));
    for &i in order
        .iter()
        .take(usize::try_from(left).unwrap_or(usize::MAX))
    {
        rows[i].1 += 1;
    }
    rows.into_iter()
        .map(|(i, cents, _)| {
            // A share never exceeds the total, which came from an i64.
            let cents = i64::try_from(cents).unwrap_or(i64::MAX);
            (parties[i].0.clone(), Amount::from_cents(cents))
        })
        .collect()
}

/// A member's share of a lot, `part` of `total`, in thousandths rounded to the nearest (halves
/// up: a quarter is 250, two thirds 667), so that the shares of a lot may add up to a few
/// thousandths more or less than 1000. `None` when the total is not positive.
pub fn share_permille(part: Amount, total: Amount) -> Option<i64> {
    let total = i128::from(total.cents());
    if total <= 0 {
        return None;
    }
    let permille = (i128::from(part.cents()) * 2000 + total).div_euclid(2 * total);
    i64::try_from(permille).ok()
}

/// A share in thousandths as a French percentage with one decimal: 667 → "66,7 %".
pub fn share_percent_label(permille: i64) -> String {
    let sign = if permille < 0 { "-" } else { "" };
    let p = permille.unsigned_abs();
    format!("{sign}{},{} %", p / 10, p % 10)
}
