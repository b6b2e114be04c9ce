//! The policy: every action offered is accepted, every other refused, and a refusal says why.

use super::*;

// -- policy

/// One action of `kind` as `own` would send it: its own for a member's action, about Fontaine
/// (invited, then joined) for the coordinator's on one member.
fn sample(kind: ActionKind, g: &Groupement, own: &Siren) -> Action {
    match kind {
        ActionKind::Open => Action::Open,
        ActionKind::Amend => Action::Amend(Box::new(terms_of(g))),
        ActionKind::Invite => invite(meylan(), "Ville de Meylan", 18_000),
        ActionKind::Uninvite => Action::Uninvite { member: fontaine() },
        ActionKind::Join => join(own.clone(), "2027-02-10"),
        ActionKind::Decline => decline(own.clone(), "2027-02-10"),
        ActionKind::Withdraw => withdraw(own.clone(), "2027-03-10"),
        ActionKind::SetNeed => need(1, own.clone(), 1_000),
        ActionKind::ProposeNeed => proposal(1, fontaine(), 1_000),
        ActionKind::Sign => sign(own.clone(), "2027-03-05"),
        ActionKind::StartConsultation => consult("2027-04-01"),
        ActionKind::Award => Action::Award(award(&[(1, 40_000_000), (2, 12_000_000)])),
        ActionKind::StartExecution => execute("2027-06-01"),
        ActionKind::Close => close("2027-07-01"),
        ActionKind::Cancel => Action::Cancel {
            on: d("2027-05-01"),
            reason: "besoin abandonné".into(),
        },
    }
}

/// What the pages draw from the policy is what `apply_as` accepts: for every step of the
/// lifecycle, every kind of actor and every kind of action, an action offered is applied or
/// refused only for what it carries (`invalid`), and an action not offered is refused as not
/// the actor's business (`forbidden`) or not possible now (`not_now`).
#[test]
fn every_action_the_policy_offers_is_accepted_and_every_other_refused() {
    let draft = {
        let g = Groupement::draft(new_groupement(CostSharing::ByVolume)).expect("draft");
        let g = ok(&g, invite(echirolles(), "Ville d'Échirolles", 36_926));
        ok(&g, invite(fontaine(), "Ville de Fontaine", 22_684))
    };
    let awarded = ok(
        &in_consultation(),
        Action::Award(award(&[(1, 40_000_000), (2, 12_000_000)])),
    );
    let mut execution_mission = new_groupement(CostSharing::ByVolume);
    execution_mission.mission = Mission::AwardAndExecution;
    let states = [
        ("brouillon", draft.clone()),
        ("ouvert", open_groupement(CostSharing::ByVolume)),
        ("adhésions", joined_groupement()),
        ("signé", signed_groupement()),
        ("consultation", in_consultation()),
        ("attribué", awarded.clone()),
        ("exécution", ok(&awarded, execute("2027-06-01"))),
        ("clos", ok(&awarded, close("2027-07-01"))),
        (
            "annulé",
            ok(&draft, sample(ActionKind::Cancel, &draft, &metro())),
        ),
        (
            "brouillon, mission d'exécution",
            Groupement::draft(execution_mission).expect("draft"),
        ),
    ];
    let actor = |organisation: Siren, role: Role| Actor { organisation, role };
    let actors = [
        actor(metro(), Role::Coordinator),
        actor(metro(), Role::MemberBuyer),
        actor(metro(), Role::Approver),
        actor(echirolles(), Role::MemberBuyer),
        actor(echirolles(), Role::Evaluator),
        actor(fontaine(), Role::MemberBuyer),
        actor(meylan(), Role::MemberBuyer),
        actor(meylan(), Role::Coordinator),
    ];
    let mut accepted = BTreeSet::new();
    for (step, g) in &states {
        for actor in &actors {
            let available = g.available_actions(actor);
            for kind in ActionKind::ALL {
                let action = sample(kind, g, &actor.organisation);
                let offered = g.may(actor, kind, action.subject());
                if action.subject().is_none_or(|s| *s == actor.organisation) {
                    assert_eq!(
                        offered,
                        available.contains(&kind),
                        "{step} {actor:?} {kind:?}"
                    );
                }
                let case = format!(
                    "{step}, {:?} de {}, {kind:?}",
                    actor.role, actor.organisation
                );
                match g.apply_as(actor, &action) {
                    Ok(_) => {
                        assert!(offered, "{case}: applied but not offered");
                        accepted.insert(kind);
                    }
                    Err(refusal) if offered => {
                        assert_eq!(refusal.code, RefusalCode::Invalid, "{case}: {refusal}");
                    }
                    Err(refusal) => {
                        assert_ne!(refusal.code, RefusalCode::Invalid, "{case}: {refusal}");
                    }
                }
            }
        }
    }
    // Not vacuous: every kind of action is offered and applied somewhere.
    assert_eq!(accepted, ActionKind::ALL.into_iter().collect());
}

#[test]
fn a_refusal_says_whose_business_the_action_is() {
    let g = joined_groupement();
    let evaluator = Actor {
        organisation: echirolles(),
        role: Role::Evaluator,
    };
    let refusal = g
        .apply_as(&evaluator, &need(1, echirolles(), 1_000))
        .unwrap_err();
    assert_eq!(refusal.code, RefusalCode::Forbidden);
    assert_eq!(
        refusal.reasons,
        [
            "Besoin par lot : un compte « Évaluateur » ne peut pas agir pour un membre du \
             groupement ; il faut un compte acheteur de l'organisme"
        ]
    );
    let fontaine_buyer = Actor {
        organisation: fontaine(),
        role: Role::MemberBuyer,
    };
    let refusal = g
        .apply_as(&fontaine_buyer, &withdraw(echirolles(), "2027-03-10"))
        .unwrap_err();
    assert_eq!(refusal.code, RefusalCode::Forbidden);
    assert!(
        has(&refusal.reasons, "pas pour Ville d'Échirolles"),
        "{refusal}"
    );
    let refusal = g.apply_as(&fontaine_buyer, &Action::Open).unwrap_err();
    assert!(
        has(
            &refusal.reasons,
            "seul le coordonnateur du groupement (Grenoble-Alpes-Métropole)"
        ),
        "{refusal}"
    );
    assert_eq!(RefusalCode::NotNow.code(), "not_now");
}
