//! Who may do what with a campaign, and when: [`available_actions`] over a
//! [`CampaignActor`], which storage enforces before every member write and the pages draw their
//! buttons from, and why a campaign refuses an answer now ([`CampaignRefusal`]).

use std::collections::BTreeSet;

use chrono::NaiveDate;

use super::{CampaignStatus, Period, Stage};
use crate::account::{Capability, Role};
use crate::rules::date_label;

impl Period {
    /// Why members may not answer on `today`, in French, naming the campaign; `None` when they
    /// may.
    pub fn answer_refusal(self, title: &str, today: NaiveDate) -> Option<CampaignRefusal> {
        match self.stage_on(today) {
            Stage::Open => None,
            Stage::Closed | Stage::Ended => Some(CampaignRefusal::Closed {
                title: title.to_owned(),
                closes_on: self.closes_on,
            }),
            Stage::Upcoming => Some(CampaignRefusal::NotYetOpen {
                title: title.to_owned(),
                opens_on: self.opens_on,
            }),
        }
    }
}

/// Why a campaign refuses an answer now.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CampaignRefusal {
    #[error("la campagne « {title} » est close depuis le {} : elle n'accepte plus de réponse", date_label(*closes_on))]
    Closed { title: String, closes_on: NaiveDate },
    #[error("la campagne « {title} » n'ouvre que le {}", date_label(*opens_on))]
    NotYetOpen { title: String, opens_on: NaiveDate },
}

/// What a user may do with a campaign.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum CampaignAction {
    /// Declare or delete needs, upload the workbook, submit the answer.
    Answer,
    /// Remind a member that has not answered.
    Remind,
    /// Close the campaign, freezing its needs.
    Close,
}

impl CampaignAction {
    pub const ALL: [CampaignAction; 3] = [
        CampaignAction::Answer,
        CampaignAction::Remind,
        CampaignAction::Close,
    ];
}

/// Who acts on a campaign: its role, whether its organisation owns the campaign (the
/// coordinator's), whether it is invited to answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CampaignActor {
    pub role: Role,
    pub owner: bool,
    pub invited: bool,
}

impl CampaignActor {
    /// Whether answering is this actor's business: a buyer account of an invited member.
    pub fn may_answer(self) -> bool {
        self.invited && self.role.can(Capability::Campaigns)
    }

    /// Whether running the campaign is: the coordinator account of the owning organisation.
    pub fn runs(self) -> bool {
        self.owner && self.role == Role::Coordinator
    }
}

/// What `actor` may do with a campaign of `period` on `today`.
pub fn available_actions(
    actor: CampaignActor,
    period: Period,
    today: NaiveDate,
) -> BTreeSet<CampaignAction> {
    CampaignAction::ALL
        .into_iter()
        .filter(|action| match action {
            CampaignAction::Answer => actor.may_answer() && period.takes_answers_on(today),
            CampaignAction::Remind => actor.runs() && period.takes_answers_on(today),
            CampaignAction::Close => actor.runs() && period.status == CampaignStatus::Open,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::campaign::tests::{PERIOD, d};

    #[test]
    fn only_an_invited_buyer_answers_and_only_the_coordinator_runs_the_campaign() {
        let on = d("2027-01-20");
        let actor = |role, owner, invited| CampaignActor {
            role,
            owner,
            invited,
        };
        let answer = BTreeSet::from([CampaignAction::Answer]);
        assert_eq!(
            available_actions(actor(Role::MemberBuyer, false, true), PERIOD, on),
            answer
        );
        for role in [
            Role::Approver,
            Role::Evaluator,
            Role::Supplier,
            Role::Mediator,
        ] {
            assert!(available_actions(actor(role, false, true), PERIOD, on).is_empty());
            assert!(available_actions(actor(role, true, true), PERIOD, on).is_empty());
        }
        assert!(available_actions(actor(Role::MemberBuyer, false, false), PERIOD, on).is_empty());
        assert_eq!(
            available_actions(actor(Role::Coordinator, true, false), PERIOD, on),
            BTreeSet::from([CampaignAction::Remind, CampaignAction::Close])
        );
        // Past its closing day: no answer, no reminder; the coordinator may still close it.
        assert_eq!(
            available_actions(
                actor(Role::Coordinator, true, true),
                PERIOD,
                d("2027-03-01")
            ),
            BTreeSet::from([CampaignAction::Close])
        );
    }
}
