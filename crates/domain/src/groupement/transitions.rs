//! [`Groupement::apply`]: each transition starts from what the stage allows
//! ([`Groupement::stage_problems`]), adds what the action carries, and returns the new state
//! or every reason why not.

use chrono::NaiveDate;

use super::GroupementStatus::{
    Awarded, Cancelled, Closed, Consultation, ConventionSigned, Draft, InExecution, OpenForAdhesion,
};
use super::{
    Action, ActionKind, Award, Cancellation, CostSharing, Groupement, GroupementStatus, LotNeed,
    MIN_MEMBERS, Member, MemberStatus, Refusal, RefusalCode, Signature, Terms, names,
};
use crate::amount::Amount;
use crate::ids::Siren;
use crate::rules::date_label;
use crate::text::de;

impl Groupement {
    /// Applies an action: the new state, or every reason why not. `self` is left untouched.
    /// Each transition starts from [`Groupement::stage_problems`] and adds what the action
    /// carries; the refusal is `not_now` when the stage was at fault, `invalid` otherwise.
    pub fn apply(&self, action: &Action) -> Result<Groupement, Refusal> {
        let (kind, subject) = (action.kind(), action.subject());
        if self.status.is_final() {
            return Err(Refusal {
                code: RefusalCode::NotNow,
                reasons: self.stage_problems(kind, subject),
            });
        }
        let applied = match action {
            Action::Open => self.open(),
            Action::Amend(terms) => self.amend(terms),
            Action::Invite {
                member,
                name,
                population,
            } => self.invite(member, name, *population),
            Action::Uninvite { member } => self.uninvite(member),
            Action::Join { member, on } => self.join(member, *on),
            Action::Decline { member, on } => self.decline(member, *on),
            Action::Withdraw { member, on } => self.withdraw(member, *on),
            Action::SetNeed(need) => self.set_need(need),
            Action::Sign(signature) => self.sign(signature),
            Action::StartConsultation { on } => self.start_consultation(*on),
            Action::Award(award) => self.award(award),
            Action::StartExecution { on } => self.start_execution(*on),
            Action::Close { on } => self.close(*on),
            Action::Cancel { on, reason } => self.cancel(*on, reason),
        };
        applied.map_err(|mut refusal| {
            if !self.stage_problems(kind, subject).is_empty() {
                refusal.code = RefusalCode::NotNow;
            }
            refusal
        })
    }

    fn open(&self) -> Result<Groupement, Refusal> {
        let mut reasons = self.stage_problems(ActionKind::Open, None);
        reasons.extend(self.terms_problems(true));
        if self.unanswered_members().next().is_none() {
            reasons.push(
                "aucun acheteur n'est invité : un groupement de commandes réunit au moins deux \
                 acheteurs (L2113-6)"
                    .to_owned(),
            );
        }
        Refusal::unless_empty(reasons)?;
        Ok(self.with_status(OpenForAdhesion))
    }

    fn amend(&self, terms: &Terms) -> Result<Groupement, Refusal> {
        let mut reasons = self.stage_problems(ActionKind::Amend, None);
        let mut next = self.clone();
        next.title = terms.title.trim().to_owned();
        next.cpv = terms.cpv;
        next.lots = terms.lots.clone();
        next.mission = terms.mission;
        next.cost_sharing = terms.cost_sharing.clone();
        next.duration_months = terms.duration_months;
        next.adhesion_deadline = terms.adhesion_deadline;
        next.proposed_start = terms.proposed_start;
        reasons.extend(next.terms_problems(self.status != Draft));
        reasons.extend(self.deadline_problems(terms.adhesion_deadline));
        let mut orphaned: Vec<u32> = self
            .needs
            .iter()
            .map(|n| n.lot)
            .filter(|lot| next.lot(*lot).is_none())
            .collect();
        orphaned.dedup();
        for lot in orphaned {
            reasons.push(format!(
                "le {} porte des besoins de membres : il ne peut pas être supprimé",
                self.lot_label(lot)
            ));
        }
        Refusal::unless_empty(reasons)?;
        Ok(next)
    }

    fn invite(
        &self,
        siren: &Siren,
        name: &str,
        population: Option<u32>,
    ) -> Result<Groupement, Refusal> {
        let mut reasons = self.stage_problems(ActionKind::Invite, None);
        if let Some(member) = self.member(siren) {
            reasons.push(format!(
                "{} (SIREN {siren}) figure déjà au groupement : {}",
                member.name,
                member.status.label_fr()
            ));
        }
        if name.trim().is_empty() {
            reasons.push(format!(
                "le nom de l'acheteur invité (SIREN {siren}) est vide"
            ));
        }
        Refusal::unless_empty(reasons)?;
        let mut next = self.clone();
        next.members.push(Member {
            siren: siren.clone(),
            name: name.trim().to_owned(),
            population,
            status: MemberStatus::Invited,
        });
        Ok(next)
    }

    fn uninvite(&self, siren: &Siren) -> Result<Groupement, Refusal> {
        let reasons = self.stage_problems(ActionKind::Uninvite, Some(siren));
        Refusal::unless_empty(reasons)?;
        let mut next = self.clone();
        next.members.retain(|m| &m.siren != siren);
        next.needs.retain(|n| &n.member != siren);
        if let CostSharing::FixedShares(shares) = &mut next.cost_sharing {
            shares.retain(|(s, _)| s != siren);
        }
        Ok(next)
    }

    fn join(&self, siren: &Siren, on: NaiveDate) -> Result<Groupement, Refusal> {
        let mut reasons = self.stage_problems(ActionKind::Join, Some(siren));
        if on > self.adhesion_deadline {
            reasons.push(format!(
                "adhésion reçue le {} après la date limite du {}",
                date_label(on),
                date_label(self.adhesion_deadline)
            ));
        }
        Refusal::unless_empty(reasons)?;
        Ok(self.with_member_status(siren, MemberStatus::Joined { on }))
    }

    fn decline(&self, siren: &Siren, on: NaiveDate) -> Result<Groupement, Refusal> {
        let reasons = self.stage_problems(ActionKind::Decline, Some(siren));
        Refusal::unless_empty(reasons)?;
        Ok(self.with_member_status(siren, MemberStatus::Declined { on }))
    }

    fn withdraw(&self, siren: &Siren, on: NaiveDate) -> Result<Groupement, Refusal> {
        let mut reasons = self.stage_problems(ActionKind::Withdraw, Some(siren));
        if let Some(member) = self.member(siren)
            && let MemberStatus::Joined { on: joined } = member.status
            && on < joined
        {
            reasons.push(format!(
                "retrait {} daté du {}, avant son adhésion du {}",
                de(&member.name),
                date_label(on),
                date_label(joined)
            ));
        }
        let remaining: Vec<&Member> = self
            .joined_members()
            .filter(|m| &m.siren != siren)
            .collect();
        if self.status == ConventionSigned && remaining.len() < MIN_MEMBERS {
            let left = match remaining.as_slice() {
                [] => "il ne resterait aucun membre".to_owned(),
                _ => format!("il ne resterait que {}", names(&remaining)),
            };
            reasons.push(format!(
                "après ce retrait, {left} : un groupement de commandes réunit au moins deux \
                 acheteurs (L2113-6) ; annulez-le plutôt"
            ));
        }
        Refusal::unless_empty(reasons)?;
        let mut next = self.with_member_status(siren, MemberStatus::Withdrawn { on });
        next.conclude_if_signed(on);
        Ok(next)
    }

    fn set_need(&self, need: &LotNeed) -> Result<Groupement, Refusal> {
        let kind = Action::SetNeed(need.clone()).kind();
        let mut reasons = self.stage_problems(kind, Some(&need.member));
        if self.lot(need.lot).is_none() {
            reasons.push(format!(
                "le lot {} n'existe pas dans ce groupement",
                need.lot
            ));
        }
        let who = self.name_of(&need.member);
        let of_who = de(&who);
        if !need.confirmed {
            if need.member == self.coordinator {
                reasons.push(
                    "le coordonnateur saisit son propre besoin directement, sans proposition"
                        .to_owned(),
                );
            }
            if self
                .needs
                .iter()
                .any(|n| n.lot == need.lot && n.member == need.member && n.confirmed)
            {
                reasons.push(format!(
                    "{who} a confirmé son besoin pour le {} : seul ce membre peut le modifier",
                    self.lot_label(need.lot)
                ));
            }
        }
        if need.estimated_amount <= Amount::ZERO {
            reasons.push(format!(
                "le montant estimé du besoin {of_who} pour le {} doit être positif, reçu {}",
                self.lot_label(need.lot),
                need.estimated_amount
            ));
        }
        if let Some(quantity) = &need.quantity {
            if quantity.thousandths <= 0 {
                reasons.push(format!(
                    "la quantité du besoin {of_who} pour le {} doit être positive",
                    self.lot_label(need.lot)
                ));
            }
            if quantity.unit.trim().is_empty() {
                reasons.push(format!(
                    "la quantité du besoin {of_who} pour le {} n'a pas d'unité",
                    self.lot_label(need.lot)
                ));
            }
        }
        Refusal::unless_empty(reasons)?;
        let mut next = self.clone();
        next.needs
            .retain(|n| !(n.lot == need.lot && n.member == need.member));
        next.needs.push(need.clone());
        Ok(next)
    }

    fn sign(&self, signature: &Signature) -> Result<Groupement, Refusal> {
        let mut reasons = self.stage_problems(ActionKind::Sign, Some(&signature.member));
        let who = self.name_of(&signature.member);
        let of_who = de(&who);
        if let Some(member) = self.member(&signature.member)
            && let MemberStatus::Joined { on } = member.status
            && signature.signed_on < on
        {
            reasons.push(format!(
                "signature {of_who} datée du {}, avant son adhésion du {}",
                date_label(signature.signed_on),
                date_label(on)
            ));
        }
        if signature.signatory.trim().is_empty() {
            reasons.push(format!("le nom du signataire pour {who} est vide"));
        }
        if signature.deliberation.reference.trim().is_empty() {
            reasons.push(format!(
                "la référence de la délibération {of_who} approuvant la convention est vide"
            ));
        }
        if signature.deliberation.adopted_on > signature.signed_on {
            let reference = signature.deliberation.reference.trim();
            let reference = if reference.is_empty() {
                String::new()
            } else {
                format!(" n° {reference}")
            };
            reasons.push(format!(
                "la délibération{reference} {of_who} est datée du {}, après la signature du {}",
                date_label(signature.deliberation.adopted_on),
                date_label(signature.signed_on)
            ));
        }
        let pending = self.pending_invitations(signature.signed_on);
        if !pending.is_empty() {
            reasons.push(format!(
                "la convention se signe une fois les adhésions arrêtées : invitation sans réponse \
                 {} (date limite d'adhésion : {})",
                de(&names(&pending)),
                date_label(self.adhesion_deadline)
            ));
        }
        let joined: Vec<&Member> = self.joined_members().collect();
        if joined.len() < MIN_MEMBERS {
            reasons.push(too_few_members(&joined));
        }
        Refusal::unless_empty(reasons)?;
        let mut next = self.clone();
        next.signatures.push(signature.clone());
        next.conclude_if_signed(signature.signed_on);
        Ok(next)
    }

    fn start_consultation(&self, on: NaiveDate) -> Result<Groupement, Refusal> {
        let mut reasons = self.stage_problems(ActionKind::StartConsultation, None);
        match self.status {
            ConventionSigned => {}
            Draft | OpenForAdhesion => {
                let joined: Vec<&Member> = self.joined_members().collect();
                if joined.len() < MIN_MEMBERS {
                    reasons.push(too_few_members(&joined));
                }
                let unsigned = self.unsigned_members();
                if !unsigned.is_empty() {
                    reasons.push(format!(
                        "la convention n'est pas signée par : {}",
                        names(&unsigned)
                    ));
                }
                if reasons.is_empty() {
                    // Cannot happen: a complete set of signatures concludes the convention.
                    reasons.push("la convention n'est pas encore conclue".into());
                }
            }
            _ => {}
        }
        for lot in &self.lots {
            let participants = self.lot_participants(lot.number);
            if participants.is_empty() {
                reasons.push(format!(
                    "aucun membre ayant adhéré n'a exprimé de besoin pour le {}",
                    self.lot_label(lot.number)
                ));
            }
        }
        let unconfirmed: Vec<&Member> = self
            .joined_members()
            .filter(|m| {
                self.needs
                    .iter()
                    .any(|n| n.member == m.siren && !n.confirmed)
            })
            .collect();
        if !unconfirmed.is_empty() {
            reasons.push(format!(
                "besoins pré-remplis par le coordonnateur, pas encore confirmés par : {}",
                names(&unconfirmed)
            ));
        }
        reasons.extend(self.key_problems());
        let last_signature = self
            .joined_members()
            .filter_map(|m| self.signature_of(&m.siren))
            .max_by_key(|s| s.signed_on);
        if let Some(last) = last_signature
            && on < last.signed_on
        {
            reasons.push(format!(
                "consultation lancée le {}, avant la signature de la convention par {} le {}",
                date_label(on),
                self.name_of(&last.member),
                date_label(last.signed_on)
            ));
        }
        Refusal::unless_empty(reasons)?;
        let mut next = self.with_status(Consultation);
        next.consultation_started_on = Some(on);
        Ok(next)
    }

    fn award(&self, award: &Award) -> Result<Groupement, Refusal> {
        let mut reasons = self.stage_problems(ActionKind::Award, None);
        for lot_award in &award.lots {
            if let Some(previous) = self.award_of(lot_award.lot) {
                reasons.push(format!(
                    "le {} est déjà attribué (titulaire SIRET {})",
                    self.lot_label(lot_award.lot),
                    previous.supplier_siret
                ));
            }
        }
        if let Err(refusal) = self.member_shares(award) {
            reasons.extend(refusal.reasons);
        }
        if let Some(p) = &award.publication {
            if let Some(launched) = self.consultation_started_on
                && p.notified_on < launched
            {
                reasons.push(format!(
                    "notification datée du {}, avant le lancement de la consultation le {}",
                    date_label(p.notified_on),
                    date_label(launched)
                ));
            }
            if p.published_on < p.notified_on {
                reasons.push(format!(
                    "publication des données datée du {}, avant la notification du {}",
                    date_label(p.published_on),
                    date_label(p.notified_on)
                ));
            }
        }
        Refusal::unless_empty(reasons)?;
        let mut next = self.clone();
        next.awards.push(award.clone());
        if next.lots.iter().all(|l| next.award_of(l.number).is_some()) {
            next.status = Awarded;
        }
        Ok(next)
    }

    fn start_execution(&self, on: NaiveDate) -> Result<Groupement, Refusal> {
        let mut reasons = self.stage_problems(ActionKind::StartExecution, None);
        if let Some(launched) = self.consultation_started_on
            && on < launched
        {
            reasons.push(format!(
                "exécution commencée le {}, avant le lancement de la consultation le {}",
                date_label(on),
                date_label(launched)
            ));
        }
        Refusal::unless_empty(reasons)?;
        let mut next = self.with_status(InExecution);
        next.execution_started_on = Some(on);
        Ok(next)
    }

    fn close(&self, on: NaiveDate) -> Result<Groupement, Refusal> {
        let mut reasons = self.stage_problems(ActionKind::Close, None);
        if let Some(since) = self.execution_started_on.or(self.consultation_started_on)
            && on < since
        {
            reasons.push(format!(
                "clôture datée du {}, avant le {}",
                date_label(on),
                date_label(since)
            ));
        }
        Refusal::unless_empty(reasons)?;
        let mut next = self.with_status(Closed);
        next.closed_on = Some(on);
        Ok(next)
    }

    fn cancel(&self, on: NaiveDate, reason: &str) -> Result<Groupement, Refusal> {
        if reason.trim().is_empty() {
            return Err(Refusal::invalid(vec![
                "le motif de l'annulation est vide".to_owned(),
            ]));
        }
        let mut next = self.with_status(Cancelled);
        next.cancellation = Some(Cancellation {
            on,
            reason: reason.trim().to_owned(),
        });
        Ok(next)
    }

    fn with_status(&self, status: GroupementStatus) -> Groupement {
        let mut next = self.clone();
        next.status = status;
        next
    }

    pub(super) fn with_member_status(&self, siren: &Siren, status: MemberStatus) -> Groupement {
        let mut next = self.clone();
        if let Some(member) = next.members.iter_mut().find(|m| &m.siren == siren) {
            member.status = status;
        }
        next
    }
}

/// Why fewer than two joined members cannot form a groupement.
fn too_few_members(joined: &[&Member]) -> String {
    let who = match joined {
        [] => "aucun acheteur n'a adhéré".to_owned(),
        [one] => format!("{} est le seul membre à avoir adhéré", one.name),
        more => format!("{} sont les seuls membres à avoir adhéré", names(more)),
    };
    format!("un groupement de commandes réunit au moins deux acheteurs (L2113-6) : {who}")
}
