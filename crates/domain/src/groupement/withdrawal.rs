//! What a member's withdrawal changes: the needs leaving the lots' totals, its share of the
//! procedure costs under the key, and the new shares of the members who stay.

use chrono::NaiveDate;
use serde::Serialize;

use super::{Action, Groupement, MemberStatus, Refusal, Share};
use crate::amount::Amount;
use crate::ids::Siren;

/// How a lot's total changes when a member leaves it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LotTotalChange {
    pub lot: u32,
    /// The member's need that leaves the total.
    pub need: Amount,
    pub before: Amount,
    pub after: Amount,
}

/// How a remaining member's share of the key changes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ShareChange {
    pub member: Siren,
    pub before: Share,
    pub after: Share,
}

/// What a member's withdrawal changes (PRODUCT.md §2.4: "a withdrawal's financial consequence
/// follows the convention's key"). The convention says that the member who withdraws bears its
/// share, under the key, of the procedure costs incurred on the day of its withdrawal, the key
/// applied to all its needs, as the costs are shared among the members (article "Répartition
/// des coûts", column "Frais de procédure"). Mutualis records no procedure costs: the amount
/// owed is that share of whatever the coordinator has incurred, which only the coordinator
/// knows; what is computed here is the share, the needs that leave the lots' totals, and the
/// new shares of the members who stay.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Withdrawal {
    pub member: Siren,
    pub on: NaiveDate,
    /// The lots where the member's need counted, in lot order.
    pub lots: Vec<LotTotalChange>,
    /// Its share of the procedure costs incurred up to `on`. `None` when it has declared no
    /// need (the key gives it no share), or when the key cannot be applied yet (`key_problems`).
    pub cost_share: Option<Share>,
    /// The members who stay and have a need: their share before and after, in SIREN order.
    pub remaining: Vec<ShareChange>,
    /// Why the key cannot be applied yet (a population or a fixed share missing); then there
    /// is no share to give.
    pub key_problems: Vec<String>,
}

impl Withdrawal {
    /// Between the groupement before the withdrawal and after it; the lots' totals as of
    /// `as_of`.
    fn between(
        before: &Groupement,
        after: &Groupement,
        member: &Siren,
        on: NaiveDate,
        as_of: NaiveDate,
    ) -> Withdrawal {
        let lots = before
            .lots
            .iter()
            .filter_map(|lot| {
                let need: Amount = before
                    .counted_needs(lot.number, as_of)
                    .filter(|n| &n.member == member)
                    .map(|n| n.estimated_amount)
                    .sum();
                (need > Amount::ZERO).then(|| LotTotalChange {
                    lot: lot.number,
                    need,
                    before: before.lot_total(lot.number, as_of),
                    after: after.lot_total(lot.number, as_of),
                })
            })
            .collect();
        let (cost_share, remaining, key_problems) =
            match (before.cost_shares(), after.cost_shares()) {
                (Ok(was), Ok(now)) => {
                    let share_of = |siren: &Siren| {
                        was.iter()
                            .find(|(s, _)| s == siren)
                            .map(|(_, share)| *share)
                    };
                    let remaining = now
                        .into_iter()
                        .filter_map(|(siren, after)| {
                            let before = share_of(&siren)?;
                            Some(ShareChange {
                                member: siren,
                                before,
                                after,
                            })
                        })
                        .collect();
                    (share_of(member), remaining, Vec::new())
                }
                (was, now) => {
                    let mut reasons = was.err().map(|r| r.reasons).unwrap_or_default();
                    for reason in now.err().map(|r| r.reasons).unwrap_or_default() {
                        if !reasons.contains(&reason) {
                            reasons.push(reason);
                        }
                    }
                    (None, Vec::new(), reasons)
                }
            };
        Withdrawal {
            member: member.clone(),
            on,
            lots,
            cost_share,
            remaining,
            key_problems,
        }
    }
}

impl Groupement {
    /// What withdrawing `member` on `on` would change (see [`Withdrawal`]), or the refusal
    /// [`Action::Withdraw`] would get.
    pub fn withdrawal(&self, member: &Siren, on: NaiveDate) -> Result<Withdrawal, Refusal> {
        let after = self.apply(&Action::Withdraw {
            member: member.clone(),
            on,
        })?;
        Ok(Withdrawal::between(self, &after, member, on, on))
    }

    /// What the withdrawal of a member that has withdrawn changes, on the groupement as it
    /// stands (the others' needs may have changed since): this state compared with the same
    /// with the member still joined, the lots' totals as of `as_of`. `None` unless the member
    /// has withdrawn.
    pub fn withdrawal_of(&self, member: &Siren, as_of: NaiveDate) -> Option<Withdrawal> {
        let MemberStatus::Withdrawn { on } = self.member(member)?.status else {
            return None;
        };
        let before = self.with_member_status(member, MemberStatus::Joined { on });
        Some(Withdrawal::between(&before, self, member, on, as_of))
    }
}
