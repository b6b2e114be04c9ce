//! Who may do what with a groupement, and when: one policy with three users.
//! [`Groupement::apply_as`] refuses what it does not allow, storage applies every change through
//! `apply_as`, and the pages draw their forms from [`Groupement::may`] and
//! [`Groupement::available_actions`]; a test checks that every form a page offers is accepted
//! and every one it hides is refused.
//!
//! An action is allowed when two things hold:
//! - **authority** ([`Groupement::authority`]): it is the actor's business. The coordinator's
//!   actions (open, amend, invite, uninvite, propose a need, launch, award, execution, close,
//!   cancel) belong to a coordinator account of the groupement's coordinator; a member's own
//!   actions (join, decline, withdraw, its need, its signature) to a buyer account of that
//!   member. The other roles (approver, evaluator, supplier, mediator) act on no groupement.
//! - **stage** ([`Groupement::stage_problems`]): the groupement's step, and the place in it of
//!   the member the action is about, allow this kind of action now.
//!
//! What the action carries (its dates, amounts, terms, signatory…) is then checked by
//! [`Groupement::apply`]. A [`Refusal`] says which of the three failed with its
//! [`RefusalCode`].

use std::collections::BTreeSet;

use super::{Action, Groupement, GroupementStatus, MemberStatus, Mission, Refusal, RefusalCode};
use crate::account::{Capability, Role};
use crate::ids::Siren;
use crate::rules::date_label;
use GroupementStatus::{
    Awarded, Consultation, ConventionSigned, Draft, InExecution, OpenForAdhesion,
};

/// What an action does, without what it carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ActionKind {
    Open,
    Amend,
    Invite,
    Uninvite,
    Join,
    Decline,
    Withdraw,
    /// A member's own need (confirmed).
    SetNeed,
    /// The coordinator's proposal of a member's need, for the member to confirm.
    ProposeNeed,
    Sign,
    StartConsultation,
    Award,
    StartExecution,
    Close,
    Cancel,
}

impl ActionKind {
    pub const ALL: [ActionKind; 15] = [
        ActionKind::Open,
        ActionKind::Amend,
        ActionKind::Invite,
        ActionKind::Uninvite,
        ActionKind::Join,
        ActionKind::Decline,
        ActionKind::Withdraw,
        ActionKind::SetNeed,
        ActionKind::ProposeNeed,
        ActionKind::Sign,
        ActionKind::StartConsultation,
        ActionKind::Award,
        ActionKind::StartExecution,
        ActionKind::Close,
        ActionKind::Cancel,
    ];

    /// A stable code: [`Action::code`] for every kind but the proposal (`propose_need`), which
    /// the audit log records as the `set_need` it is.
    pub fn code(self) -> &'static str {
        match self {
            ActionKind::Open => "open",
            ActionKind::Amend => "amend",
            ActionKind::Invite => "invite",
            ActionKind::Uninvite => "uninvite",
            ActionKind::Join => "join",
            ActionKind::Decline => "decline",
            ActionKind::Withdraw => "withdraw",
            ActionKind::SetNeed => "set_need",
            ActionKind::ProposeNeed => "propose_need",
            ActionKind::Sign => "sign",
            ActionKind::StartConsultation => "start_consultation",
            ActionKind::Award => "award",
            ActionKind::StartExecution => "start_execution",
            ActionKind::Close => "close",
            ActionKind::Cancel => "cancel",
        }
    }

    pub fn label_fr(self) -> &'static str {
        match self {
            ActionKind::Open => "Ouverture aux adhésions",
            ActionKind::Amend => "Modification des termes",
            ActionKind::Invite => "Invitation",
            ActionKind::Uninvite => "Retrait d'invitation",
            ActionKind::Join => "Adhésion",
            ActionKind::Decline => "Refus d'adhésion",
            ActionKind::Withdraw => "Retrait",
            ActionKind::SetNeed | ActionKind::ProposeNeed => "Besoin par lot",
            ActionKind::Sign => "Signature de la convention",
            ActionKind::StartConsultation => "Lancement de la consultation",
            ActionKind::Award => "Attribution",
            ActionKind::StartExecution => "Début de l'exécution",
            ActionKind::Close => "Clôture",
            ActionKind::Cancel => "Annulation",
        }
    }

    /// Whether the coordinator takes it; otherwise the member it is about takes it, for itself.
    pub fn is_coordinators(self) -> bool {
        !matches!(
            self,
            ActionKind::Join
                | ActionKind::Decline
                | ActionKind::Withdraw
                | ActionKind::SetNeed
                | ActionKind::Sign
        )
    }
}

/// Who acts on a groupement: the organisation its account belongs to, and its role.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    pub organisation: Siren,
    pub role: Role,
}

impl Action {
    pub fn kind(&self) -> ActionKind {
        match self {
            Action::Open => ActionKind::Open,
            Action::Amend(_) => ActionKind::Amend,
            Action::Invite { .. } => ActionKind::Invite,
            Action::Uninvite { .. } => ActionKind::Uninvite,
            Action::Join { .. } => ActionKind::Join,
            Action::Decline { .. } => ActionKind::Decline,
            Action::Withdraw { .. } => ActionKind::Withdraw,
            Action::SetNeed(need) if need.confirmed => ActionKind::SetNeed,
            Action::SetNeed(_) => ActionKind::ProposeNeed,
            Action::Sign(_) => ActionKind::Sign,
            Action::StartConsultation { .. } => ActionKind::StartConsultation,
            Action::Award(_) => ActionKind::Award,
            Action::StartExecution { .. } => ActionKind::StartExecution,
            Action::Close { .. } => ActionKind::Close,
            Action::Cancel { .. } => ActionKind::Cancel,
        }
    }

    /// The member the action is about: who joins, declines, withdraws or signs, whose need it
    /// is, whose invitation is withdrawn. `None` for the groupement as a whole (and for an
    /// invitation, whose buyer is not a member yet).
    pub fn subject(&self) -> Option<&Siren> {
        match self {
            Action::Uninvite { member }
            | Action::Join { member, .. }
            | Action::Decline { member, .. }
            | Action::Withdraw { member, .. } => Some(member),
            Action::SetNeed(need) => Some(&need.member),
            Action::Sign(signature) => Some(&signature.member),
            _ => None,
        }
    }
}

impl Groupement {
    /// Whether `kind` (about `subject`) is `actor`'s business; why not, in French, naming who
    /// may.
    pub fn authority(
        &self,
        actor: &Actor,
        kind: ActionKind,
        subject: Option<&Siren>,
    ) -> Result<(), String> {
        let what = kind.label_fr();
        if kind.is_coordinators() {
            if actor.role == Role::Coordinator && actor.organisation == self.coordinator {
                return Ok(());
            }
            return Err(format!(
                "{what} : seul le coordonnateur du groupement ({}) peut le faire",
                self.name_of(&self.coordinator)
            ));
        }
        if !actor.role.can(Capability::Groupements) {
            return Err(format!(
                "{what} : un compte « {} » ne peut pas agir pour un membre du groupement ; il \
                 faut un compte acheteur de l'organisme",
                actor.role.label_fr()
            ));
        }
        match subject {
            Some(member) if *member == actor.organisation => Ok(()),
            Some(member) => Err(format!(
                "{what} : vous ne pouvez agir que pour votre propre organisme (SIREN {}), pas \
                 pour {}",
                actor.organisation,
                self.member(member)
                    .map_or_else(|| format!("SIREN {member}"), |m| m.name.clone())
            )),
            None => Ok(()),
        }
    }

    /// Why the groupement's step, or the place in it of `subject` (the member the action is
    /// about), does not allow `kind` now: empty when it does. [`Groupement::apply`] starts
    /// from these reasons; the pages show a form only where there are none.
    pub fn stage_problems(&self, kind: ActionKind, subject: Option<&Siren>) -> Vec<String> {
        let mut reasons = Vec::new();
        if self.status.is_final() {
            reasons.push(format!(
                "le groupement est au statut « {} » : plus aucune action n'est possible",
                self.status.label_fr()
            ));
            return reasons;
        }
        let signing_begun = !self.signatures.is_empty();
        match kind {
            ActionKind::Open => {
                self.require_status(&mut reasons, "l'ouverture aux adhésions", &[Draft]);
            }
            ActionKind::Amend => {
                self.require_status(
                    &mut reasons,
                    "la modification des termes",
                    &[Draft, OpenForAdhesion],
                );
                if signing_begun {
                    reasons.push(
                        "la signature de la convention a commencé : ses termes ne changent plus \
                         que par avenant"
                            .to_owned(),
                    );
                }
            }
            ActionKind::Invite => {
                self.require_status(&mut reasons, "l'invitation", &[Draft, OpenForAdhesion]);
                if signing_begun {
                    reasons.push(
                        "la signature de la convention a commencé : un nouveau membre demande \
                         un avenant"
                            .to_owned(),
                    );
                }
            }
            ActionKind::Uninvite => {
                self.require_status(
                    &mut reasons,
                    "le retrait d'une invitation",
                    &[Draft, OpenForAdhesion],
                );
                if let Some(member) = subject {
                    self.require_invited(&mut reasons, member);
                }
                if signing_begun {
                    reasons.push(
                        "la signature de la convention a commencé : la liste des membres ne \
                         change plus que par avenant"
                            .to_owned(),
                    );
                }
            }
            ActionKind::Join => {
                match self.status {
                    OpenForAdhesion => {}
                    Draft => {
                        reasons.push("le groupement n'est pas encore ouvert aux adhésions".into())
                    }
                    ConventionSigned => reasons.push(
                        "les adhésions sont closes : la convention est signée par tous ses \
                         membres"
                            .into(),
                    ),
                    _ => reasons.push(
                        "un acheteur ne peut plus adhérer une fois la consultation lancée".into(),
                    ),
                }
                if let Some(member) = subject {
                    self.require_invited(&mut reasons, member);
                }
            }
            ActionKind::Decline => {
                self.require_status(&mut reasons, "le refus d'adhésion", &[OpenForAdhesion]);
                if let Some(member) = subject {
                    self.require_invited(&mut reasons, member);
                }
            }
            ActionKind::Withdraw => {
                if self.status.consultation_launched() {
                    reasons.push(
                        "un membre ne peut plus se retirer une fois la consultation lancée \
                         (L2113-7 : il reste engagé pour les opérations conjointes)"
                            .to_owned(),
                    );
                } else {
                    self.require_status(
                        &mut reasons,
                        "le retrait",
                        &[OpenForAdhesion, ConventionSigned],
                    );
                }
                if let Some(member) = subject {
                    self.require_joined(&mut reasons, member, "");
                    if *member == self.coordinator {
                        reasons.push(
                            "le coordonnateur ne peut pas se retirer : il mène la procédure au \
                             nom et pour le compte des membres (L2113-7) ; annulez le groupement \
                             s'il ne peut plus être mené"
                                .to_owned(),
                        );
                    }
                }
            }
            ActionKind::SetNeed | ActionKind::ProposeNeed => {
                if self.status.consultation_launched() {
                    reasons.push(
                        "les besoins ne sont plus modifiables une fois la consultation lancée"
                            .into(),
                    );
                }
                // The member declares its own need once it has joined; the coordinator
                // proposes one to an invited buyer too.
                if let Some(member) = subject {
                    match self.member(member) {
                        Some(m)
                            if kind == ActionKind::ProposeNeed
                                && m.status == MemberStatus::Invited => {}
                        Some(m)
                            if matches!(
                                m.status,
                                MemberStatus::Declined { .. } | MemberStatus::Withdrawn { .. }
                            ) =>
                        {
                            reasons.push(format!(
                                "{} ({}) : ses besoins ne comptent plus",
                                m.name,
                                m.status.label_fr()
                            ));
                        }
                        _ => self.require_joined(&mut reasons, member, ""),
                    }
                }
            }
            ActionKind::Sign => {
                match self.status {
                    OpenForAdhesion => {}
                    Draft => reasons.push(
                        "la convention n'est pas encore soumise aux membres : ouvrez d'abord le \
                         groupement aux adhésions"
                            .into(),
                    ),
                    _ => reasons.push(format!(
                        "la convention ne se signe plus au statut « {} »",
                        self.status.label_fr()
                    )),
                }
                if let Some(member) = subject {
                    self.require_joined(
                        &mut reasons,
                        member,
                        " : seul un membre qui a adhéré signe la convention",
                    );
                    if let Some(previous) = self.signature_of(member) {
                        reasons.push(format!(
                            "{} a déjà signé la convention le {}",
                            self.name_of(member),
                            date_label(previous.signed_on)
                        ));
                    }
                }
            }
            ActionKind::StartConsultation => match self.status {
                Draft => reasons.push("le groupement n'est pas encore ouvert aux adhésions".into()),
                OpenForAdhesion | ConventionSigned => {}
                _ => reasons.push("la consultation est déjà lancée".into()),
            },
            ActionKind::Award => {
                self.require_status(&mut reasons, "l'attribution", &[Consultation]);
            }
            ActionKind::StartExecution => {
                self.require_status(&mut reasons, "le début de l'exécution", &[Awarded]);
            }
            ActionKind::Close => match (self.status, self.mission) {
                (InExecution, _) | (Awarded, Mission::AwardOnly) => {}
                (Awarded, Mission::AwardAndExecution) => reasons.push(
                    "le coordonnateur est chargé de l'exécution (mission « passation et \
                     exécution ») : commencez l'exécution avant de clore le groupement"
                        .into(),
                ),
                _ => self.require_status(&mut reasons, "la clôture", &[Awarded, InExecution]),
            },
            ActionKind::Cancel => {}
        }
        reasons
    }

    /// Whether `actor` may take `kind` (about `subject`) now: its business, at a stage that
    /// allows it. What the action will carry is not judged.
    pub fn may(&self, actor: &Actor, kind: ActionKind, subject: Option<&Siren>) -> bool {
        self.authority(actor, kind, subject).is_ok()
            && self.stage_problems(kind, subject).is_empty()
    }

    /// What `actor` may do now: its member actions for its own organisation, the coordinator's
    /// on the groupement as a whole (an invitation withdrawn is asked member by member with
    /// [`Groupement::may`]).
    pub fn available_actions(&self, actor: &Actor) -> BTreeSet<ActionKind> {
        ActionKind::ALL
            .into_iter()
            .filter(|kind| {
                let subject = (!kind.is_coordinators()).then_some(&actor.organisation);
                self.may(actor, *kind, subject)
            })
            .collect()
    }

    /// [`Groupement::apply`] for `actor`: refused first when the action is not its business.
    pub fn apply_as(&self, actor: &Actor, action: &Action) -> Result<Groupement, Refusal> {
        self.authority(actor, action.kind(), action.subject())
            .map_err(|reason| Refusal {
                code: RefusalCode::Forbidden,
                reasons: vec![reason],
            })?;
        self.apply(action)
    }

    /// `member` has joined; otherwise why not, `after` added to the reason.
    fn require_joined(&self, reasons: &mut Vec<String>, member: &Siren, after: &str) {
        match self.member(member) {
            None => reasons.push(format!("le SIREN {member} n'est pas membre du groupement")),
            Some(m) if m.status.is_joined() => {}
            Some(m) => reasons.push(format!(
                "{} n'a pas adhéré au groupement ({}){after}",
                m.name,
                m.status.label_fr()
            )),
        }
    }

    fn require_status(&self, reasons: &mut Vec<String>, what: &str, allowed: &[GroupementStatus]) {
        if !allowed.contains(&self.status) {
            let allowed: Vec<String> = allowed
                .iter()
                .map(|s| format!("« {} »", s.label_fr()))
                .collect();
            reasons.push(format!(
                "{what} est impossible au statut « {} » (possible seulement au statut {})",
                self.status.label_fr(),
                allowed.join(" ou ")
            ));
        }
    }

    fn require_invited(&self, reasons: &mut Vec<String>, siren: &Siren) {
        match self.member(siren) {
            None => reasons.push(format!("le SIREN {siren} n'est pas invité au groupement")),
            Some(member) => match member.status {
                MemberStatus::Invited => {}
                MemberStatus::Joined { on } => reasons.push(format!(
                    "{} a déjà adhéré le {}",
                    member.name,
                    date_label(on)
                )),
                MemberStatus::Declined { on } => reasons.push(format!(
                    "{} a décliné l'invitation le {}",
                    member.name,
                    date_label(on)
                )),
                MemberStatus::Withdrawn { on } => reasons.push(format!(
                    "{} a quitté le groupement le {}",
                    member.name,
                    date_label(on)
                )),
            },
        }
    }
}
