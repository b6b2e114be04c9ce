//! Inventory campaigns: who sees which campaign and which needs, who may write, when, and
//! the workbook replacement being all or nothing — on both backends.

#![allow(clippy::unwrap_used)] // a test that cannot unwrap has failed

use chrono::NaiveDate;
use mutualis_domain::{Amount, Need, Organisation, OrganisationKind, Quantity, Reservation, Siren};
use mutualis_reference::cpv::nomenclature;
use mutualis_storage::Database;
use mutualis_storage::campaigns::{
    CampaignError, CampaignRefusal, CampaignStatus, NeedSource, NewCampaign, OTHER_FAMILY,
};
use mutualis_test_db::{ECHIROLLES, FONTAINE, GRENOBLE, METRO, World, each_backend, world};

fn date(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

/// A day when the test campaign takes answers.
fn today() -> NaiveDate {
    date("2026-06-15")
}

fn need(siren: &str, cpv: &str, description: &str, euros: i64) -> Need {
    Need {
        buyer: Siren::parse(siren).unwrap(),
        cpv: nomenclature().parse(cpv).unwrap(),
        description: description.into(),
        annual_amount: Amount::from_euros(euros),
        quantity: None,
        desired_start: date("2027-01-01"),
        current_contract: None,
        current_contract_ends_on: None,
        social_requirements: None,
        environmental_requirements: None,
        reservation: None,
    }
}

/// A need with every optional field filled.
fn full_need(siren: &str) -> Need {
    Need {
        quantity: Some(Quantity {
            thousandths: 12_500,
            unit: "t".into(),
        }),
        current_contract: Some("2019-ECH-042".into()),
        current_contract_ends_on: Some(date("2026-12-31")),
        social_requirements: Some("Clause d'insertion : 5 % des heures".into()),
        environmental_requirements: Some("Produits écolabellisés".into()),
        reservation: Some(Reservation::Insertion),
        ..need(siren, "90910000-9", "Nettoyage des écoles", 48_000)
    }
}

fn new_campaign(opens: &str, closes: &str) -> NewCampaign {
    NewCampaign {
        title: "Recensement 2027".into(),
        opens_on: date(opens),
        closes_on: date(closes),
        cpv_families: vec!["90910000".into(), "30".into()],
    }
}

/// A campaign open on `today()`, inviting Grenoble and Échirolles (not Fontaine, nor the
/// métropole itself).
async fn open_campaign(db: &Database, w: &World) -> i64 {
    db.create_campaign(
        w.coordinator.scope().territory_wide().unwrap(),
        w.metro_id,
        &new_campaign("2026-06-01", "2026-07-31"),
        &[w.grenoble_id, w.echirolles_id, w.grenoble_id],
        chrono::Utc::now(),
    )
    .await
    .unwrap()
}

#[tokio::test]
async fn members_see_only_the_campaigns_they_are_invited_to() {
    each_backend(|db| async move {
        let w = world(&db).await;
        let id = open_campaign(&db, &w).await;

        let coordinator = db.campaigns_for(w.coordinator.scope()).await.unwrap();
        assert_eq!(coordinator.len(), 1);
        let c = &coordinator[0].campaign;
        assert_eq!(c.cpv_families, ["9091", "30"], "normalised families");
        assert_eq!(c.status, CampaignStatus::Open);
        let progress = coordinator[0].progress.unwrap();
        assert_eq!((progress.invited, progress.answered), (2, 0));
        assert!(
            coordinator[0].invitation.is_none(),
            "the métropole is not invited"
        );

        let grenoble = db.campaigns_for(w.grenoble.scope()).await.unwrap();
        assert_eq!(grenoble.len(), 1);
        assert_eq!(grenoble[0].campaign.id, id);
        assert!(
            grenoble[0].progress.is_none(),
            "a member sees no one else's answer"
        );
        let invitation = grenoble[0].invitation.as_ref().unwrap();
        assert_eq!(invitation.organisation_id, w.grenoble_id);
        assert!(invitation.answered_at.is_none());

        assert!(
            db.campaigns_for(w.fontaine.scope())
                .await
                .unwrap()
                .is_empty()
        );
        assert!(db.campaign(w.fontaine.scope(), id).await.unwrap().is_none());
        assert!(db.campaign(w.grenoble.scope(), id).await.unwrap().is_some());
        assert!(
            db.campaign(w.coordinator.scope(), id)
                .await
                .unwrap()
                .is_some()
        );
        assert!(
            db.campaign(w.grenoble.scope(), id + 1)
                .await
                .unwrap()
                .is_none()
        );
    })
    .await;
}

#[tokio::test]
async fn a_campaign_that_does_not_hold_together_is_refused() {
    each_backend(|db| async move {
        let w = world(&db).await;
        let wide = w.coordinator.scope().territory_wide().unwrap();
        let backwards = new_campaign("2026-08-01", "2026-07-01");
        assert!(matches!(
            db.create_campaign(wide, w.metro_id, &backwards, &[], chrono::Utc::now()).await,
            Err(CampaignError::Invalid(m)) if m.contains("avant d'ouvrir")
        ));
        let mut bad_family = new_campaign("2026-06-01", "2026-07-31");
        bad_family.cpv_families = vec!["9".into()];
        assert!(matches!(
            db.create_campaign(wide, w.metro_id, &bad_family, &[], chrono::Utc::now()).await,
            Err(CampaignError::Invalid(m)) if m.contains("« 9 »")
        ));
        // A company outside the territory cannot be invited; nothing is written.
        let (company, _) = db
            .upsert_organisation(
                &Organisation {
                    siren: Siren::parse("912345675").unwrap(),
                    name: "NETTOYAGE DES ALPES".into(),
                    kind: OrganisationKind::Company,
                    insee_code: None,
                    population: None,
                    establishments: vec![],
                },
                chrono::Utc::now(),
            )
            .await
            .unwrap();
        assert!(matches!(
            db.create_campaign(
                wide,
                w.metro_id,
                &new_campaign("2026-06-01", "2026-07-31"),
                &[w.grenoble_id, company]
            , chrono::Utc::now())
            .await,
            Err(CampaignError::NotATerritoryMember(id)) if id == company
        ));
        assert!(
            db.campaigns_for(w.coordinator.scope())
                .await
                .unwrap()
                .is_empty()
        );
    })
    .await;
}

#[tokio::test]
async fn a_member_reads_and_writes_only_its_own_needs() {
    each_backend(|db| async move {
        let w = world(&db).await;
        let id = open_campaign(&db, &w).await;
        let cpv = nomenclature();

        let g = db
            .add_need(w.grenoble.scope(), id, &full_need(GRENOBLE), today(), chrono::Utc::now())
            .await
            .unwrap();
        db.add_need(
            w.echirolles.scope(),
            id,
            &need(ECHIROLLES, "30192000", "Fournitures de bureau", 12_000),
            today(), chrono::Utc::now(),
        )
        .await
        .unwrap();

        // Each member sees its own need, every field intact; the coordinator sees both.
        let own = db.needs_of(w.grenoble.scope(), id, cpv).await.unwrap();
        assert_eq!(own.len(), 1);
        assert_eq!(own[0].id, g);
        assert_eq!(own[0].need, full_need(GRENOBLE));
        assert_eq!(own[0].source, NeedSource::Form);
        assert_eq!(own[0].organisation_id, w.grenoble_id);
        let theirs = db.needs_of(w.echirolles.scope(), id, cpv).await.unwrap();
        assert_eq!(theirs.len(), 1);
        assert_eq!(theirs[0].need.description, "Fournitures de bureau");
        assert_eq!(
            db.needs_of(w.coordinator.scope(), id, cpv)
                .await
                .unwrap()
                .len(),
            2
        );

        // Fontaine is not invited: the campaign does not exist for it.
        assert!(matches!(
            db.needs_of(w.fontaine.scope(), id, cpv).await,
            Err(CampaignError::NotFound)
        ));
        assert!(matches!(
            db.add_need(
                w.fontaine.scope(),
                id,
                &need(FONTAINE, "30192000", "Papier", 1_000),
                today()
            , chrono::Utc::now())
            .await,
            Err(CampaignError::NotFound)
        ));
        // Grenoble cannot declare a need for Échirolles, nor delete Échirolles' need.
        assert!(matches!(
            db.add_need(
                w.grenoble.scope(),
                id,
                &need(ECHIROLLES, "30192000", "Papier", 1_000),
                today()
            , chrono::Utc::now())
            .await,
            Err(CampaignError::WrongBuyer { .. })
        ));
        let echirolles_need = theirs[0].id;
        assert!(matches!(
            db.delete_need(w.grenoble.scope(), id, echirolles_need, today())
                .await,
            Err(CampaignError::NeedNotFound)
        ));
        assert!(matches!(
            db.replace_needs_from_workbook(
                w.grenoble.scope(),
                id,
                &[need(ECHIROLLES, "30192000", "Papier", 1_000)],
                today()
            , chrono::Utc::now())
            .await,
            Err(CampaignError::WrongBuyer { .. })
        ));
        // The coordinator sees the campaign but is not invited to answer it.
        assert!(matches!(
            db.add_need(
                w.coordinator.scope(),
                id,
                &need(METRO, "30192000", "Papier", 1_000),
                today()
            , chrono::Utc::now())
            .await,
            Err(CampaignError::NotInvited)
        ));
        // A need without a description or with no amount is refused.
        assert!(matches!(
            db.add_need(
                w.grenoble.scope(),
                id,
                &need(GRENOBLE, "30192000", " ", 1_000),
                today()
            , chrono::Utc::now())
            .await,
            Err(CampaignError::Invalid(_))
        ));
        assert!(matches!(
            db.add_need(
                w.grenoble.scope(),
                id,
                &need(GRENOBLE, "30192000", "Papier", 0),
                today()
            , chrono::Utc::now())
            .await,
            Err(CampaignError::Invalid(_))
        ));
        // A need to start before the campaign opens (1 June 2026) contradicts it, by form or
        // by workbook; the workbook is refused whole.
        let old = Need {
            desired_start: date("2019-01-01"),
            ..need(GRENOBLE, "30192000", "Papier", 1_000)
        };
        let Err(CampaignError::Invalid(why)) =
            db.add_need(w.grenoble.scope(), id, &old, today(), chrono::Utc::now()).await
        else {
            panic!("a need of 2019 accepted in a campaign of 2026");
        };
        assert_eq!(
            why,
            "besoin « Papier » : date de début souhaitée le 01/01/2019, avant l'ouverture de la \
             campagne le 01/06/2026 : un besoin recensé porte sur un achat à venir ; indiquez une \
             date à partir du 01/06/2026"
        );
        let workbook = [need(GRENOBLE, "30192000", "Cartouches", 500), old];
        assert!(matches!(
            db.replace_needs_from_workbook(w.grenoble.scope(), id, &workbook, today(), chrono::Utc::now())
                .await,
            Err(CampaignError::Invalid(m)) if m.contains("avant l'ouverture")
        ));
        let opening_day = Need {
            desired_start: date("2026-06-01"),
            ..need(GRENOBLE, "30192000", "Papier", 1_000)
        };
        let kept = db
            .add_need(w.grenoble.scope(), id, &opening_day, today(), chrono::Utc::now())
            .await
            .unwrap();
        db.delete_need(w.grenoble.scope(), id, kept, today())
            .await
            .unwrap();

        // The opportunity engine's reads: the member's own, or the whole territory's.
        let mine = db
            .campaign_needs_for_member(w.echirolles.scope(), cpv)
            .await
            .unwrap();
        assert_eq!(mine.len(), 1);
        assert_eq!(mine[0].buyer.as_str(), ECHIROLLES);
        let all = db
            .all_campaign_needs(w.coordinator.scope().territory_wide().unwrap(), cpv)
            .await
            .unwrap();
        assert_eq!(all.len(), 2);

        // Échirolles deletes its own need.
        db.delete_need(w.echirolles.scope(), id, echirolles_need, today())
            .await
            .unwrap();
        assert!(
            db.needs_of(w.echirolles.scope(), id, cpv)
                .await
                .unwrap()
                .is_empty()
        );
        assert_eq!(
            db.needs_of(w.grenoble.scope(), id, cpv)
                .await
                .unwrap()
                .len(),
            1
        );
    })
    .await;
}

#[tokio::test]
async fn a_campaign_takes_answers_only_while_open() {
    each_backend(|db| async move {
        let w = world(&db).await;
        let id = open_campaign(&db, &w).await;
        let paper = need(GRENOBLE, "30192000", "Papier", 3_000);
        assert!(matches!(
            db.add_need(
                w.grenoble.scope(),
                id,
                &paper,
                date("2026-05-31"),
                chrono::Utc::now()
            )
            .await,
            Err(CampaignError::Refused(CampaignRefusal::NotYetOpen { .. }))
        ));
        // The closing day itself still counts.
        let kept = db
            .add_need(
                w.grenoble.scope(),
                id,
                &paper,
                date("2026-07-31"),
                chrono::Utc::now(),
            )
            .await
            .unwrap();
        for late in [
            db.add_need(
                w.grenoble.scope(),
                id,
                &paper,
                date("2026-08-01"),
                chrono::Utc::now(),
            )
            .await
            .map(|_| ()),
            db.submit_answer(
                w.grenoble.scope(),
                id,
                date("2026-08-01"),
                chrono::Utc::now(),
            )
            .await,
            db.delete_need(w.grenoble.scope(), id, kept, date("2026-08-01"))
                .await,
            db.replace_needs_from_workbook(
                w.grenoble.scope(),
                id,
                &[],
                date("2026-08-01"),
                chrono::Utc::now(),
            )
            .await
            .map(|_| ()),
        ] {
            let err = late.unwrap_err();
            assert!(
                matches!(err, CampaignError::Refused(CampaignRefusal::Closed { .. })),
                "{err:?}"
            );
            assert!(
                err.to_string().contains("close depuis le 31/07/2026"),
                "{err}"
            );
        }
        // Closed by the coordinator before its date: closed all the same.
        db.close_campaign(w.coordinator.scope(), id, today(), chrono::Utc::now())
            .await
            .unwrap();
        assert!(matches!(
            db.add_need(w.grenoble.scope(), id, &paper, today(), chrono::Utc::now())
                .await,
            Err(CampaignError::Refused(CampaignRefusal::Closed { .. }))
        ));
        let summary = db.campaign(w.grenoble.scope(), id).await.unwrap().unwrap();
        assert_eq!(summary.campaign.status, CampaignStatus::Closed);
        // Its needs still feed the opportunity engine.
        assert_eq!(
            db.all_campaign_needs(
                w.coordinator.scope().territory_wide().unwrap(),
                nomenclature()
            )
            .await
            .unwrap()
            .len(),
            1
        );
    })
    .await;
}

#[tokio::test]
async fn a_workbook_replaces_the_members_workbook_needs_all_or_nothing() {
    each_backend(|db| async move {
        let w = world(&db).await;
        let id = open_campaign(&db, &w).await;
        let cpv = nomenclature();
        let scope = w.grenoble.scope();
        db.add_need(
            scope,
            id,
            &need(GRENOBLE, "30192000", "Papier (formulaire)", 2_000),
            today(),
            chrono::Utc::now(),
        )
        .await
        .unwrap();
        let first = vec![
            full_need(GRENOBLE),
            need(GRENOBLE, "45000000", "Travaux de voirie", 300_000),
        ];
        assert_eq!(
            db.replace_needs_from_workbook(scope, id, &first, today(), chrono::Utc::now())
                .await
                .unwrap(),
            2
        );
        let answered = db.campaign(scope, id).await.unwrap().unwrap();
        assert!(answered.invitation.unwrap().answered_at.is_some());
        let stored = db.needs_of(scope, id, cpv).await.unwrap();
        assert_eq!(stored.len(), 3);
        assert_eq!(
            stored
                .iter()
                .filter(|n| n.source == NeedSource::Workbook)
                .count(),
            2
        );

        // A second workbook replaces the first one's needs, not the form's.
        let second = vec![need(GRENOBLE, "90911000", "Nettoyage des gymnases", 20_000)];
        db.replace_needs_from_workbook(scope, id, &second, today(), chrono::Utc::now())
            .await
            .unwrap();
        let mut descriptions: Vec<String> = db
            .needs_of(scope, id, cpv)
            .await
            .unwrap()
            .into_iter()
            .map(|n| n.need.description)
            .collect();
        descriptions.sort();
        assert_eq!(
            descriptions,
            ["Nettoyage des gymnases", "Papier (formulaire)"]
        );

        // A write failing mid-way (the database refuses the second row) leaves the previous
        // workbook's needs in place.
        install_failing_insert(&db).await;
        let failing = vec![
            need(GRENOBLE, "90911000", "Nettoyage des piscines", 20_000),
            need(GRENOBLE, "90911000", "BOOM", 20_000),
        ];
        assert!(matches!(
            db.replace_needs_from_workbook(scope, id, &failing, today(), chrono::Utc::now())
                .await,
            Err(CampaignError::Storage(_))
        ));
        let mut after: Vec<String> = db
            .needs_of(scope, id, cpv)
            .await
            .unwrap()
            .into_iter()
            .map(|n| n.need.description)
            .collect();
        after.sort();
        assert_eq!(after, descriptions);
    })
    .await;
}

/// Makes the database refuse any need described "BOOM", as a failing disk would.
async fn install_failing_insert(db: &Database) {
    match db {
        Database::Sqlite(p) => {
            sqlx::query(
                "CREATE TRIGGER boom BEFORE INSERT ON campaign_needs \
                 WHEN NEW.description = 'BOOM' BEGIN SELECT RAISE(ABORT, 'boom'); END",
            )
            .execute(p)
            .await
            .unwrap();
        }
        Database::Postgres(p) => {
            sqlx::query(
                "CREATE FUNCTION boom() RETURNS trigger AS $$ BEGIN \
                 IF NEW.description = 'BOOM' THEN RAISE EXCEPTION 'boom'; END IF; \
                 RETURN NEW; END $$ LANGUAGE plpgsql",
            )
            .execute(p)
            .await
            .unwrap();
            sqlx::query(
                "CREATE TRIGGER boom BEFORE INSERT ON campaign_needs \
                 FOR EACH ROW EXECUTE FUNCTION boom()",
            )
            .execute(p)
            .await
            .unwrap();
        }
    }
}

#[tokio::test]
async fn the_board_shows_who_answered_and_the_totals_per_family() {
    each_backend(|db| async move {
        let w = world(&db).await;
        let id = open_campaign(&db, &w).await;
        let wide = w.coordinator.scope().territory_wide().unwrap();
        db.replace_needs_from_workbook(
            w.grenoble.scope(),
            id,
            &[
                full_need(GRENOBLE),
                need(GRENOBLE, "30192000", "Fournitures de bureau", 10_000),
                need(GRENOBLE, "45000000", "Travaux", 100_000),
            ],
            today(),
            chrono::Utc::now(),
        )
        .await
        .unwrap();
        db.add_need(
            w.echirolles.scope(),
            id,
            &need(ECHIROLLES, "90911000", "Nettoyage des locaux", 30_000),
            today(),
            chrono::Utc::now(),
        )
        .await
        .unwrap();
        db.record_reminder(
            w.coordinator.scope(),
            id,
            w.echirolles_id,
            today(),
            chrono::Utc::now(),
        )
        .await
        .unwrap();
        db.record_reminder(
            w.coordinator.scope(),
            id,
            w.echirolles_id,
            today(),
            chrono::Utc::now(),
        )
        .await
        .unwrap();
        assert!(matches!(
            db.record_reminder(
                w.coordinator.scope(),
                id,
                w.metro_id,
                today(),
                chrono::Utc::now()
            )
            .await,
            Err(CampaignError::NotFound)
        ));

        let board = db.campaign_board(wide, id).await.unwrap();
        assert_eq!(board.need_count, 4);
        assert_eq!(board.annual_amount, Amount::from_euros(188_000));
        assert_eq!(board.answered(), 1);
        let names: Vec<&str> = board.members.iter().map(|m| m.name.as_str()).collect();
        assert_eq!(names, ["Grenoble", "Échirolles"]);
        let grenoble = &board.members[0];
        assert!(grenoble.invitation.answered_at.is_some());
        assert_eq!(grenoble.need_count, 3);
        assert_eq!(grenoble.annual_amount, Amount::from_euros(158_000));
        let echirolles = &board.members[1];
        assert!(echirolles.invitation.answered_at.is_none());
        assert_eq!(echirolles.invitation.reminder_count, 2);
        assert!(echirolles.invitation.last_reminded_at.is_some());
        assert_eq!(echirolles.need_count, 1);

        let families: Vec<(&str, i64, i64, Amount)> = board
            .families
            .iter()
            .map(|f| {
                (
                    f.family.as_str(),
                    f.need_count,
                    f.member_count,
                    f.annual_amount,
                )
            })
            .collect();
        assert_eq!(
            families,
            [
                ("9091", 2, 2, Amount::from_euros(78_000)),
                ("30", 1, 1, Amount::from_euros(10_000)),
                (OTHER_FAMILY, 1, 1, Amount::from_euros(100_000)),
            ]
        );
        assert!(matches!(
            db.campaign_board(wide, id + 100).await,
            Err(CampaignError::NotFound)
        ));
    })
    .await;
}

#[tokio::test]
async fn a_form_answer_is_submitted_once_the_needs_are_entered() {
    each_backend(|db| async move {
        let w = world(&db).await;
        let id = open_campaign(&db, &w).await;
        db.submit_answer(w.echirolles.scope(), id, today(), chrono::Utc::now())
            .await
            .unwrap();
        let summary = db
            .campaign(w.echirolles.scope(), id)
            .await
            .unwrap()
            .unwrap();
        assert!(summary.invitation.unwrap().answered_at.is_some());
        let progress = db
            .campaign(w.coordinator.scope(), id)
            .await
            .unwrap()
            .unwrap()
            .progress
            .unwrap();
        assert_eq!((progress.invited, progress.answered), (2, 1));
        assert!(matches!(
            db.submit_answer(w.fontaine.scope(), id, today(), chrono::Utc::now())
                .await,
            Err(CampaignError::NotFound)
        ));
    })
    .await;
}

/// The coordinator's decisions on a campaign — each reminder and the closing — are entries of
/// the audit log, about the campaign under its organisation, by the coordinator's account,
/// written with the change; the chain verifies.
#[tokio::test]
async fn reminders_and_the_closing_are_in_the_audit_log() {
    each_backend(|db| async move {
        let w = world(&db).await;
        let id = open_campaign(&db, &w).await;
        let now = chrono::Utc::now();
        let coordinator = w.coordinator.scope();
        db.record_reminder(coordinator, id, w.echirolles_id, today(), now)
            .await
            .unwrap();
        db.close_campaign(coordinator, id, today(), now)
            .await
            .unwrap();
        // Refused writes leave nothing: a second closing, a reminder after it.
        assert!(
            db.close_campaign(coordinator, id, today(), now)
                .await
                .is_err()
        );
        assert!(
            db.record_reminder(coordinator, id, w.echirolles_id, today(), now)
                .await
                .is_err()
        );
        let entries = db
            .audit_entries(coordinator.territory_wide().unwrap())
            .await
            .unwrap();
        let campaign: Vec<_> = entries
            .iter()
            .filter(|e| e.record_type == "campaign" && e.record_id == id)
            .collect();
        let actions: Vec<&str> = campaign.iter().map(|e| e.entry.action.as_str()).collect();
        assert_eq!(actions, ["remind", "close"]);
        for e in &campaign {
            assert_eq!(e.organisation_id, w.coordinator.scope().organisation_id());
            assert!(e.entry.actor.contains('@'), "{}", e.entry.actor);
        }
        assert_eq!(db.verify_audit().await.unwrap().entries, entries.len());
    })
    .await;
}
