//! The members' needs per lot and the lots' totals: whose needs count, and when.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::Serialize;

use super::GroupementStatus::{Draft, OpenForAdhesion};
use super::{Groupement, Member, MemberStatus};
use crate::amount::Amount;
use crate::ids::Siren;
use crate::need::Quantity;

/// A member's need in one lot. At most one per member and lot: setting it again replaces it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LotNeed {
    pub lot: u32,
    pub member: Siren,
    pub quantity: Option<Quantity>,
    /// Estimated amount over the groupement's duration, excluding VAT; positive.
    pub estimated_amount: Amount,
    /// Whether the member itself entered or confirmed it. A need the coordinator pre-fills for
    /// a member (from the opportunity or a campaign) is a proposal until the member confirms
    /// it; the consultation waits for every joined member's confirmation.
    pub confirmed: bool,
}

impl Groupement {
    /// The joined members' needs in a lot, by member (several needs of one member are added).
    pub(super) fn lot_participants(&self, lot: u32) -> BTreeMap<&Siren, Amount> {
        self.participants(Some(lot))
    }

    /// The joined members' needs in `lot`, or in every lot for `None`, by member.
    pub(super) fn participants(&self, lot: Option<u32>) -> BTreeMap<&Siren, Amount> {
        let mut by_member = BTreeMap::new();
        for need in self.needs.iter().filter(|n| lot.is_none_or(|l| n.lot == l)) {
            if self
                .member(&need.member)
                .is_some_and(|m| m.status.is_joined())
            {
                let sum = by_member.entry(&need.member).or_insert(Amount::ZERO);
                // One need per member and lot through `apply`; saturate rather than overflow
                // on a state built otherwise.
                *sum = sum
                    .checked_add(need.estimated_amount)
                    .unwrap_or(Amount::from_cents(i64::MAX));
            }
        }
        by_member
    }

    /// Whether a member's needs count in the lots' totals on `on`: a joined member's do; so do
    /// those the coordinator proposed for a buyer whose invitation is still open (adhesions
    /// open, deadline not passed), since it may still join; never those of a buyer who
    /// declined, withdrew, or let its invitation lapse.
    fn needs_count(&self, member: &Member, on: NaiveDate) -> bool {
        match member.status {
            MemberStatus::Joined { .. } => true,
            MemberStatus::Invited => {
                matches!(self.status, Draft | OpenForAdhesion) && on <= self.adhesion_deadline
            }
            MemberStatus::Declined { .. } | MemberStatus::Withdrawn { .. } => false,
        }
    }

    /// The needs of a lot that count in its total on `on` (see the lot total), in the order
    /// they were set. The needs of a buyer who declined or withdrew stay on record in
    /// `needs`, but are in no total and no share.
    pub fn counted_needs(&self, lot: u32, on: NaiveDate) -> impl Iterator<Item = &LotNeed> {
        self.needs.iter().filter(move |n| {
            n.lot == lot
                && self
                    .member(&n.member)
                    .is_some_and(|m| self.needs_count(m, on))
        })
    }

    /// A lot's estimated total on `on`: its counted needs added up (saturating rather than
    /// overflowing on absurd amounts).
    pub fn lot_total(&self, lot: u32, on: NaiveDate) -> Amount {
        self.counted_needs(lot, on).fold(Amount::ZERO, |sum, n| {
            sum.checked_add(n.estimated_amount)
                .unwrap_or(Amount::from_cents(i64::MAX))
        })
    }
}
