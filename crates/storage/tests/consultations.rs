//! Consultations in the database: the lifecycle with one audit entry per change, what a
//! refusal and a stale version leave (nothing), who sees a consultation (its buyer, the
//! members of its groupement) and who may change it (its buyer's coordinator and purchasing
//! officers) — on both backends, under the rules file the project ships.

#![allow(clippy::unwrap_used)] // a test that cannot unwrap has failed

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use mutualis_domain::consultation::{
    Action, ActionKind, Consultation, ConsultationStatus, Criteria, CriterionKind,
};
use mutualis_domain::rules::Procedure;
use mutualis_domain::{Amount, Role};
use mutualis_reference::cpv::nomenclature;
use mutualis_reference::rules::rule_book;
use mutualis_storage::consultations::{CREATE_ACTION, ConsultationError, StoredConsultation};
use mutualis_storage::{Database, Principal};
use mutualis_test_db::consultations::{
    self, cleaning_groupement, criterion, deadline, echirolles_joins, invite_echirolles_and_open,
};
use mutualis_test_db::{GRENOBLE, METRO, World, each_backend, sign_in, world};

fn date(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

/// Monday 7 December 2026, 10:30 in Paris (9:30 UTC), plus `n` minutes, to the microsecond
/// the databases keep.
fn at(n: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 7, 9, 30, 0)
        .single()
        .unwrap()
        + Duration::minutes(n)
        + Duration::microseconds(123_456)
}

/// Cleaning services of `buyer`, two lots (260,000 € HT), priced, technical and
/// environmental criteria.
fn cleaning(reference: &str, buyer: &str) -> Consultation {
    consultations::cleaning(
        reference,
        buyer,
        &[
            ("Bâtiments de la métropole", 180_000),
            ("Bâtiments des communes", 80_000),
        ],
        vec![
            criterion(CriterionKind::Price, "Prix", 50),
            criterion(CriterionKind::Technical, "Valeur technique", 35),
            criterion(CriterionKind::Environmental, "Produits et méthodes", 15),
        ],
    )
}

fn publish() -> Action {
    Action::Publish {
        at: at(0),
        launched_on: date("2026-12-07"),
    }
}

async fn attempt(
    db: &Database,
    who: &Principal,
    id: i64,
    version: i64,
    action: &Action,
    now: DateTime<Utc>,
) -> Result<StoredConsultation, ConsultationError> {
    db.apply_consultation_action(
        who.scope(),
        id,
        version,
        action,
        rule_book(),
        who.email.as_str(),
        now,
        nomenclature(),
    )
    .await
}

/// Applies an action that must succeed; what is read back is what was written.
async fn act(
    db: &Database,
    who: &Principal,
    id: i64,
    version: i64,
    action: &Action,
    now: DateTime<Utc>,
) -> StoredConsultation {
    let stored = attempt(db, who, id, version, action, now)
        .await
        .unwrap_or_else(|e| panic!("{}: {e}", action.code()));
    assert_eq!(stored.version, version + 1);
    let reread = db
        .consultation(who.scope(), id, nomenclature())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(reread, stored);
    stored
}

/// The audit actions recorded about consultation `id`, in order.
async fn audit_actions(db: &Database, w: &World, id: i64) -> Vec<String> {
    db.audit_entries(w.coordinator.scope().territory_wide().unwrap())
        .await
        .unwrap()
        .into_iter()
        .filter(|r| r.record_type == "consultation" && r.record_id == id)
        .map(|r| r.entry.action)
        .collect()
}

#[tokio::test]
async fn a_consultation_goes_from_draft_to_award_with_every_change_in_the_audit_log() {
    each_backend(|db| async move {
        let w = world(&db).await;
        let id = db
            .create_consultation(
                w.coordinator.scope(),
                None,
                &cleaning("GAM-2026-NET-01", METRO),
                w.coordinator.email.as_str(),
                at(-60),
            )
            .await
            .unwrap();
        let draft = db
            .consultation(w.coordinator.scope(), id, nomenclature())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(draft.version, 1);
        let coordinator = db.consultation_actor(w.coordinator.scope()).await.unwrap();
        assert_eq!(
            draft
                .consultation
                .available_actions(&coordinator, at(-60))
                .into_iter()
                .collect::<Vec<_>>(),
            [ActionKind::Amend, ActionKind::Publish, ActionKind::Cancel]
        );
        assert_eq!(draft.consultation, cleaning("GAM-2026-NET-01", METRO));

        // Published on 7 December 2026: 260,000 € HT reach the EU threshold of local
        // authorities' supplies and services (216,000 € since 1 January 2026), so a formal
        // procedure; the decision is kept with that threshold.
        let published = act(&db, &w.coordinator, id, 1, &publish(), at(0)).await;
        let c = &published.consultation;
        assert_eq!(c.status, ConsultationStatus::Published);
        let chosen = c.procedure.as_ref().unwrap();
        assert_eq!(chosen.procedure, Procedure::Formal);
        assert_eq!(chosen.derived.estimated, Amount::from_euros(260_000));
        let threshold = chosen.derived.lower.as_ref().unwrap();
        assert_eq!(threshold.value, Amount::from_euros(216_000));
        assert!(chosen.reason.is_none());

        // Before the deadline the deposits cannot close: refused, nothing written.
        let early = attempt(
            &db,
            &w.coordinator,
            id,
            2,
            &Action::Close { at: at(10) },
            at(10),
        )
        .await
        .unwrap_err();
        assert!(matches!(early, ConsultationError::Refused(_)), "{early}");
        assert!(
            early.to_string().contains("avant la date limite"),
            "{early}"
        );
        let after = deadline() + Duration::seconds(1);
        let closed = act(
            &db,
            &w.coordinator,
            id,
            2,
            &Action::Close { at: after },
            after,
        )
        .await;
        assert_eq!(closed.consultation.status, ConsultationStatus::Closed);

        // A stale version writes nothing.
        let stale = attempt(
            &db,
            &w.coordinator,
            id,
            2,
            &Action::Open { at: after },
            after,
        )
        .await
        .unwrap_err();
        assert!(matches!(stale, ConsultationError::Conflict { expected: 2 }));
        act(
            &db,
            &w.coordinator,
            id,
            3,
            &Action::Open { at: after },
            after,
        )
        .await;
        act(&db, &w.coordinator, id, 4, &Action::StartAnalysis, after).await;
        let awarded = act(&db, &w.coordinator, id, 5, &Action::Award, after).await;
        assert_eq!(awarded.consultation.status, ConsultationStatus::Awarded);

        assert_eq!(
            audit_actions(&db, &w, id).await,
            [
                CREATE_ACTION,
                "consultation.publish",
                "consultation.close",
                "consultation.open",
                "consultation.start_analysis",
                "consultation.award"
            ]
        );
        let report = db.verify_audit().await.unwrap();
        assert_eq!(report.entries, 6);

        // A reference is one consultation's per buyer.
        let again = db
            .create_consultation(
                w.coordinator.scope(),
                None,
                &cleaning("GAM-2026-NET-01", METRO),
                w.coordinator.email.as_str(),
                at(1),
            )
            .await
            .unwrap_err();
        assert!(matches!(again, ConsultationError::Invalid(_)), "{again}");
        assert!(again.to_string().contains("GAM-2026-NET-01"), "{again}");
    })
    .await;
}

#[tokio::test]
async fn publishing_without_an_environmental_criterion_is_refused_with_the_article() {
    each_backend(|db| async move {
        let w = world(&db).await;
        let mut price_only = cleaning("GAM-2026-NET-02", METRO);
        price_only.terms.criteria = Criteria(vec![
            criterion(CriterionKind::Price, "Prix", 60),
            criterion(CriterionKind::Technical, "Valeur technique", 40),
        ]);
        let id = db
            .create_consultation(
                w.coordinator.scope(),
                None,
                &price_only,
                w.coordinator.email.as_str(),
                at(-1),
            )
            .await
            .unwrap();
        let refused = attempt(&db, &w.coordinator, id, 1, &publish(), at(0))
            .await
            .unwrap_err();
        assert!(refused.to_string().contains("R2152-7"), "{refused}");
        let stored = db
            .consultation(w.coordinator.scope(), id, nomenclature())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(stored.version, 1);
        assert_eq!(stored.consultation.status, ConsultationStatus::Draft);
        assert_eq!(audit_actions(&db, &w, id).await, [CREATE_ACTION]);
    })
    .await;
}

#[tokio::test]
async fn a_consultation_is_seen_by_its_buyer_and_its_groupement_s_members_and_changed_by_its_buyer_only()
 {
    each_backend(|db| async move {
        let w = world(&db).await;
        let evaluator = sign_in(&db, METRO, Role::Evaluator, "expert@lametro.test")
            .await
            .0;
        // The métropole's own consultation.
        let own = db
            .create_consultation(
                w.coordinator.scope(),
                None,
                &cleaning("GAM-2026-NET-03", METRO),
                w.coordinator.email.as_str(),
                at(0),
            )
            .await
            .unwrap();
        // A groupement the métropole coordinates, Échirolles a member, Grenoble not.
        let gid = db
            .create_groupement_with_actions(
                w.coordinator.scope(),
                cleaning_groupement(),
                None,
                invite_echirolles_and_open(),
                w.coordinator.email.as_str(),
                at(0),
            )
            .await
            .unwrap();
        db.apply_groupement_action(
            w.echirolles.scope(),
            gid,
            3,
            echirolles_joins(),
            w.echirolles.email.as_str(),
            at(1),
            nomenclature(),
        )
        .await
        .unwrap();
        let joint = db
            .create_consultation(
                w.coordinator.scope(),
                Some(gid),
                &cleaning("GAM-2026-NET-04", METRO),
                w.coordinator.email.as_str(),
                at(2),
            )
            .await
            .unwrap();
        // Grenoble's own.
        let grenoble = db
            .create_consultation(
                w.grenoble.scope(),
                None,
                &cleaning("VDG-2026-01", GRENOBLE),
                w.grenoble.email.as_str(),
                at(3),
            )
            .await
            .unwrap();

        let seen = |who: &Principal| {
            let db = db.clone();
            let scope = *who.scope();
            async move {
                let mut ids: Vec<i64> = db
                    .consultations_for(&scope, nomenclature())
                    .await
                    .unwrap()
                    .into_iter()
                    .map(|c| c.id)
                    .collect();
                ids.sort_unstable();
                ids
            }
        };
        assert_eq!(seen(&w.coordinator).await, [own, joint]);
        assert_eq!(seen(&evaluator).await, [own, joint]);
        assert_eq!(seen(&w.echirolles).await, [joint]);
        assert_eq!(seen(&w.grenoble).await, [grenoble]);
        assert!(seen(&w.fontaine).await.is_empty());

        // Not seen: not found, whatever is asked.
        for id in [own, joint] {
            assert!(
                db.consultation(w.grenoble.scope(), id, nomenclature())
                    .await
                    .unwrap()
                    .is_none()
            );
            let e = attempt(&db, &w.grenoble, id, 1, &publish(), at(5))
                .await
                .unwrap_err();
            assert!(matches!(e, ConsultationError::NotFound), "{e}");
        }
        // Seen, not changed: a member of the groupement, an evaluator of the buyer.
        let member_view = db
            .consultation(w.echirolles.scope(), joint, nomenclature())
            .await
            .unwrap()
            .unwrap();
        let member = db.consultation_actor(w.echirolles.scope()).await.unwrap();
        assert!(
            member_view
                .consultation
                .available_actions(&member, at(5))
                .is_empty()
        );
        for who in [&w.echirolles, &evaluator] {
            let e = attempt(&db, who, joint, 1, &publish(), at(5))
                .await
                .unwrap_err();
            assert!(matches!(e, ConsultationError::Forbidden(_)), "{e}");
        }
        // Only the groupement's coordinator launches its consultation; a buyer names itself.
        let e = db
            .create_consultation(
                w.grenoble.scope(),
                Some(gid),
                &cleaning("VDG-2026-02", GRENOBLE),
                w.grenoble.email.as_str(),
                at(6),
            )
            .await
            .unwrap_err();
        assert!(matches!(e, ConsultationError::Forbidden(_)), "{e}");
        let e = db
            .create_consultation(
                w.grenoble.scope(),
                None,
                &cleaning("VDG-2026-03", METRO),
                w.grenoble.email.as_str(),
                at(6),
            )
            .await
            .unwrap_err();
        assert!(matches!(e, ConsultationError::Forbidden(_)), "{e}");
        let e = db
            .create_consultation(
                evaluator.scope(),
                None,
                &cleaning("GAM-2026-NET-05", METRO),
                evaluator.email.as_str(),
                at(6),
            )
            .await
            .unwrap_err();
        assert!(matches!(e, ConsultationError::Forbidden(_)), "{e}");
        // The joint one is changed by its buyer.
        act(&db, &w.coordinator, joint, 1, &publish(), at(7)).await;
    })
    .await;
}
