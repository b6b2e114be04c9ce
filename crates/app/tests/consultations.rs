//! Consultations as the pages and the API use them: a groupement's consultation drafted from
//! its lots and needs, published at the clock's time under the rules of that day in Paris,
//! and the deposits closed only once the clock has passed the deadline.

#![allow(clippy::unwrap_used)] // a test that cannot unwrap has failed

use std::sync::Arc;

use chrono::{NaiveDate, TimeDelta, TimeZone, Utc};
use mutualis_app::consultations::{
    action_now, actor, amend, apply, create, paris_date, visible_consultation,
    visible_consultations,
};
use mutualis_app::{App, AppError, Clock, SettableClock};
use mutualis_domain::consultation::{ActionKind, ConsultationStatus, Criteria, CriterionKind};
use mutualis_domain::groupement::{self, LotNeed};
use mutualis_domain::rules::{Nature, Procedure};
use mutualis_domain::{Amount, Siren};
use mutualis_storage::consultations::ConsultationError;
use mutualis_test_db::consultations::{
    cleaning_groupement, criterion, deadline, echirolles_joins, invite_echirolles_and_open,
};
use mutualis_test_db::{ECHIROLLES, METRO, TestDb, world};

fn siren(s: &str) -> Siren {
    Siren::parse(s).unwrap()
}

fn date(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

#[test]
fn the_launch_date_is_the_day_in_paris() {
    // 23:30 UTC on 31 December 2026 is 00:30 on 1 January 2027 in Paris (UTC+1).
    let new_year = Utc.with_ymd_and_hms(2026, 12, 31, 23, 30, 0).unwrap();
    assert_eq!(paris_date(new_year), date("2027-01-01"));
    // 22:30 UTC on 30 June is 00:30 on 1 July in Paris (UTC+2, summer time).
    let july = Utc.with_ymd_and_hms(2027, 6, 30, 22, 30, 0).unwrap();
    assert_eq!(paris_date(july), date("2027-07-01"));
    let june = Utc.with_ymd_and_hms(2027, 6, 30, 21, 59, 59).unwrap();
    assert_eq!(paris_date(june), date("2027-06-30"));
}

#[tokio::test]
async fn a_groupement_s_consultation_is_drafted_from_its_needs_and_published_at_the_clock_s_time() {
    let test_db = TestDb::sqlite().await;
    let db = test_db.db.clone();
    let w = world(&db).await;
    let clock = Arc::new(SettableClock::new(
        Utc.with_ymd_and_hms(2026, 12, 7, 9, 30, 0).unwrap(),
    ));
    let mut app = App::new(db.clone(), "grenoble-alpes-metropole");
    app.clock = clock.clone();

    // A groupement of the métropole and Échirolles, one lot, 150,000 € of needs each.
    let need = |member: &str| {
        groupement::Action::SetNeed(LotNeed {
            lot: 1,
            member: siren(member),
            quantity: None,
            estimated_amount: Amount::from_euros(150_000),
            confirmed: true,
        })
    };
    let gid = db
        .create_groupement_with_actions(
            w.coordinator.scope(),
            cleaning_groupement(),
            None,
            invite_echirolles_and_open(),
            w.coordinator.email.as_str(),
            clock.now(),
        )
        .await
        .unwrap();
    let mut version = 3;
    for (who, action) in [
        (&w.echirolles, echirolles_joins()),
        (&w.coordinator, need(METRO)),
        (&w.echirolles, need(ECHIROLLES)),
    ] {
        version = mutualis_app::groupements::apply(&app, who, gid, version, action)
            .await
            .unwrap()
            .version;
    }

    let id = create(&app, &w.coordinator, Some(gid), "GAM-2026-NET-01", None)
        .await
        .unwrap();
    let draft = visible_consultation(&app, &w.coordinator, id)
        .await
        .unwrap();
    let terms = &draft.consultation.terms;
    assert_eq!(terms.title, "Nettoyage des locaux");
    assert_eq!(terms.nature, Nature::SuppliesAndServices);
    assert_eq!(terms.lots.len(), 1);
    assert_eq!(terms.lots[0].estimated, Amount::from_euros(300_000));
    assert_eq!(draft.groupement_id, Some(gid));
    // The member sees it, changes nothing; the coordinator may publish.
    assert_eq!(
        visible_consultations(&app, &w.echirolles)
            .await
            .unwrap()
            .len(),
        1
    );
    let coordinator = actor(&app, &w.coordinator).await.unwrap();
    assert!(
        draft
            .consultation
            .available_actions(&coordinator, clock.now())
            .contains(&ActionKind::Publish)
    );
    let member = actor(&app, &w.echirolles).await.unwrap();
    assert!(
        draft
            .consultation
            .available_actions(&member, clock.now())
            .is_empty()
    );

    // Publishing needs criteria and a deadline: refused without, then amended.
    let publish = action_now(&app, ActionKind::Publish, None).unwrap();
    let refused = apply(&app, &w.coordinator, id, 1, &publish)
        .await
        .unwrap_err();
    assert!(
        matches!(refused, ConsultationError::Refused(_)),
        "{refused}"
    );
    let mut terms = terms.clone();
    terms.criteria = Criteria(vec![
        criterion(CriterionKind::Price, "Prix", 60),
        criterion(CriterionKind::Environmental, "Produits et méthodes", 40),
    ]);
    let deadline = deadline();
    terms.deadline = Some(deadline);
    amend(&app, &w.coordinator, id, 1, terms).await.unwrap();
    let published = apply(&app, &w.coordinator, id, 2, &publish).await.unwrap();
    let c = &published.consultation;
    assert_eq!(c.status, ConsultationStatus::Published);
    assert_eq!(c.launched_on, Some(date("2026-12-07")));
    assert_eq!(c.published_at, Some(clock.now()));
    // 300,000 € HT of services: over the EU threshold of 2026, a formal procedure.
    assert_eq!(c.procedure.as_ref().unwrap().procedure, Procedure::Formal);

    // One second before the deadline, closing is refused; at the deadline, accepted.
    clock.set(deadline - TimeDelta::seconds(1));
    let close = action_now(&app, ActionKind::Close, None).unwrap();
    assert!(apply(&app, &w.coordinator, id, 3, &close).await.is_err());
    clock.set(deadline);
    let close = action_now(&app, ActionKind::Close, None).unwrap();
    let closed = apply(&app, &w.coordinator, id, 3, &close).await.unwrap();
    assert_eq!(closed.consultation.status, ConsultationStatus::Closed);

    // Another commune's buyer does not see it.
    let e = visible_consultation(&app, &w.fontaine, id)
        .await
        .unwrap_err();
    assert!(matches!(e, AppError::NotFound), "{e}");
    test_db.drop_db().await;
}
