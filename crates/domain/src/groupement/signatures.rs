//! The convention's signatures and the deliberations that authorise them: the signature that
//! completes the set concludes the convention and closes the adhesions.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::GroupementStatus::{ConventionSigned, OpenForAdhesion};
use super::{Groupement, MIN_MEMBERS, Member};
use crate::ids::Siren;

/// The council's deliberation that approves the convention and authorises its signature
/// (PRODUCT.md §2.4: the launch waits for every member's deliberation).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Deliberation {
    /// The deliberation's reference, as the member numbers it ("DEL-2027-042").
    pub reference: String,
    pub adopted_on: NaiveDate,
}

/// A member's signature of the convention.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Signature {
    pub member: Siren,
    pub signed_on: NaiveDate,
    /// Who signed, with their capacity ("Le maire, Mme X").
    pub signatory: String,
    pub deliberation: Deliberation,
}

impl Groupement {
    pub fn signature_of(&self, siren: &Siren) -> Option<&Signature> {
        self.signatures.iter().find(|s| &s.member == siren)
    }

    /// The joined members who have not signed the convention, in invitation order.
    pub fn unsigned_members(&self) -> Vec<&Member> {
        self.joined_members()
            .filter(|m| self.signature_of(&m.siren).is_none())
            .collect()
    }

    /// Invitations still open on `on`: unanswered, and the deadline not passed.
    pub(super) fn pending_invitations(&self, on: NaiveDate) -> Vec<&Member> {
        if on > self.adhesion_deadline {
            return Vec::new();
        }
        self.unanswered_members().collect()
    }

    /// Concludes the convention when, on `on`, every joined member (at least two) has signed
    /// and no invitation is still open.
    pub(super) fn conclude_if_signed(&mut self, on: NaiveDate) {
        if self.status == OpenForAdhesion
            && self.joined_members().count() >= MIN_MEMBERS
            && self.unsigned_members().is_empty()
            && self.pending_invitations(on).is_empty()
        {
            self.status = ConventionSigned;
        }
    }
}
