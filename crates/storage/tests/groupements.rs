//! Groupements de commandes in the database: the whole lifecycle with its contracts and its
//! audit chain, who may see and do what, refusals and conflicts that write nothing, and a
//! tampered audit log found out — on both backends.

#![allow(clippy::unwrap_used)] // a test that cannot unwrap has failed

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use mutualis_domain::audit::BreakReason;
use mutualis_domain::contract::{Decp2Fields, Place};
use mutualis_domain::groupement::{
    Action, Award, AwardPublication, CostSharing, Deliberation, GroupementStatus, Lot, LotAward,
    LotNeed, MemberStatus, Mission, NewGroupement, Signature,
};
use mutualis_domain::{Amount, ContractSource, Quantity, Role, Siren, Siret};
use mutualis_reference::cpv::nomenclature;
use mutualis_storage::contracts::ContractFilter;
use mutualis_storage::groupements::{
    AuditError, CREATE_ACTION, GroupementError, GroupementPublication, OpportunitySource,
    StoredGroupement,
};
use mutualis_storage::{Database, Principal, TerritoryWide};
use mutualis_test_db::{
    ECHIROLLES, FONTAINE, GRENOBLE, METRO, World, add_establishment, each_backend, sign_in,
};

/// EDF's head office, the supplier of the tests.
const SUPPLIER: &str = "55208131766522";

fn date(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

fn siren(s: &str) -> Siren {
    Siren::parse(s).unwrap()
}

/// The `n`-th minute after 10 January 2027, 9 o'clock, to the nanosecond (the audit log keeps
/// microseconds, and its hashes must survive the round trip): when the test's changes are made.
fn at(n: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2027, 1, 10, 9, 0, 0).single().unwrap()
        + Duration::minutes(n)
        + Duration::nanoseconds(123_456_789)
}

/// The territory's [`World`], with SIRETs for Échirolles and Fontaine (not Grenoble).
async fn world(db: &Database) -> World {
    let world = mutualis_test_db::world(db).await;
    add_establishment(db, "21380151700011").await;
    add_establishment(db, "21380169900017").await;
    world
}

fn new_groupement() -> NewGroupement {
    let cpv = |code: &str| nomenclature().parse(code).unwrap();
    NewGroupement {
        coordinator: siren(METRO),
        coordinator_name: "Grenoble-Alpes-Métropole".into(),
        coordinator_population: Some(449_509),
        title: "Fourniture d'énergie 2028-2031".into(),
        cpv: cpv("09000000-3"),
        lots: vec![
            Lot {
                number: 1,
                title: "Gaz naturel".into(),
                cpv: cpv("09123000-7"),
            },
            Lot {
                number: 2,
                title: "Électricité".into(),
                cpv: cpv("09310000-5"),
            },
        ],
        mission: Mission::AwardOnly,
        cost_sharing: CostSharing::ByVolume,
        duration_months: 48,
        adhesion_deadline: date("2027-03-01"),
        proposed_start: None,
        created_on: date("2027-01-10"),
    }
}

async fn create(db: &Database, w: &World) -> i64 {
    create_new(db, w, new_groupement()).await
}

async fn create_new(db: &Database, w: &World, new: NewGroupement) -> i64 {
    db.create_groupement(
        w.coordinator.scope().territory_wide().unwrap(),
        w.metro_id,
        new,
        Some(OpportunitySource {
            cpv_prefix: "09".into(),
            as_of: date("2027-01-01"),
            all_buyers: true,
        }),
        w.coordinator.email.as_str(),
        at(0),
    )
    .await
    .unwrap()
}

/// Applies an action as `who`, starting from `version`.
async fn attempt(
    db: &Database,
    who: &Principal,
    id: i64,
    version: i64,
    action: Action,
) -> Result<StoredGroupement, GroupementError> {
    db.apply_groupement_action(
        who.scope(),
        id,
        version,
        action,
        who.email.as_str(),
        at(version),
        nomenclature(),
    )
    .await
}

/// Applies an action that must succeed, and checks that what is read back is what was
/// written.
async fn act(
    db: &Database,
    who: &Principal,
    id: i64,
    version: i64,
    action: Action,
) -> StoredGroupement {
    let code = action.code();
    let stored = attempt(db, who, id, version, action)
        .await
        .unwrap_or_else(|e| panic!("{code} by {}: {e}", who.email));
    assert_eq!(stored.version, version + 1);
    let reread = db
        .groupement(who.scope(), id, nomenclature())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(reread, stored, "{code}: the state reads back as written");
    stored
}

/// Applies an action that must fail.
async fn refused(
    db: &Database,
    who: &Principal,
    id: i64,
    version: i64,
    action: Action,
) -> GroupementError {
    attempt(db, who, id, version, action)
        .await
        .expect_err("the action should be refused")
}

fn invite(s: &str, name: &str, population: u32) -> Action {
    Action::Invite {
        member: siren(s),
        name: name.into(),
        population: Some(population),
    }
}

fn join(s: &str, on: &str) -> Action {
    Action::Join {
        member: siren(s),
        on: date(on),
    }
}

fn need(lot: u32, s: &str, euros: i64) -> Action {
    Action::SetNeed(LotNeed {
        lot,
        member: siren(s),
        quantity: Some(Quantity {
            thousandths: 1_500_000,
            unit: "MWh".into(),
        }),
        estimated_amount: Amount::from_euros(euros),
        confirmed: true,
    })
}

fn sign(s: &str, on: &str) -> Action {
    Action::Sign(Signature {
        member: siren(s),
        signed_on: date(on),
        signatory: "Le maire".into(),
        deliberation: Deliberation {
            reference: "DEL-2027-001".into(),
            adopted_on: date("2027-02-15"),
        },
    })
}

fn award(lots: &[(u32, i64)]) -> Action {
    Action::Award(Award {
        supplier_siret: Siret::parse(SUPPLIER).unwrap(),
        lots: lots
            .iter()
            .map(|(lot, euros)| LotAward {
                lot: *lot,
                total: Amount::from_euros(*euros),
            })
            .collect(),
        publication: None,
    })
}

/// Both lots awarded, notified on 1 June 2027 and published on 15 June.
fn published_award() -> Action {
    let Action::Award(mut lots) = award(&[(1, 1_000_003), (2, 100_001)]) else {
        unreachable!()
    };
    lots.publication = Some(Box::new(AwardPublication {
        notified_on: date("2027-06-01"),
        published_on: date("2027-06-15"),
        procedure: "Appel d'offres ouvert".into(),
        price_form: "Unitaire".into(),
        place: Place {
            code: "38".into(),
            code_type: "Code département".into(),
        },
        decp2: Decp2Fields::default(),
    }));
    Action::Award(lots)
}

/// Drafted, Échirolles and Fontaine invited, open: version 4.
async fn opened(db: &Database, w: &World) -> (i64, i64) {
    opened_new(db, w, new_groupement()).await
}

async fn opened_new(db: &Database, w: &World, new: NewGroupement) -> (i64, i64) {
    let id = create_new(db, w, new).await;
    let g = act(
        db,
        &w.coordinator,
        id,
        1,
        invite(ECHIROLLES, "Ville d'Échirolles", 36_926),
    )
    .await;
    let g = act(
        db,
        &w.coordinator,
        id,
        g.version,
        invite(FONTAINE, "Ville de Fontaine", 22_684),
    )
    .await;
    let g = act(db, &w.coordinator, id, g.version, Action::Open).await;
    (id, g.version)
}

/// Opened, both communes joined, needs in both lots, the convention signed by all, the
/// consultation launched.
async fn in_consultation(db: &Database, w: &World) -> (i64, i64) {
    in_consultation_new(db, w, new_groupement()).await
}

async fn in_consultation_new(db: &Database, w: &World, new: NewGroupement) -> (i64, i64) {
    let (id, v) = opened_new(db, w, new).await;
    let steps: [(&Principal, Action); 10] = [
        (&w.echirolles, join(ECHIROLLES, "2027-02-01")),
        (&w.fontaine, join(FONTAINE, "2027-02-03")),
        (&w.coordinator, need(1, METRO, 300_000)),
        (&w.echirolles, need(1, ECHIROLLES, 100_000)),
        (&w.echirolles, need(2, ECHIROLLES, 70_000)),
        (&w.fontaine, need(2, FONTAINE, 50_000)),
        (&w.coordinator, sign(METRO, "2027-03-02")),
        (&w.echirolles, sign(ECHIROLLES, "2027-03-03")),
        (&w.fontaine, sign(FONTAINE, "2027-03-04")),
        (
            &w.coordinator,
            Action::StartConsultation {
                on: date("2027-04-01"),
            },
        ),
    ];
    let mut version = v;
    for (who, action) in steps {
        version = act(db, who, id, version, action).await.version;
    }
    (id, version)
}

async fn audit_count(db: &Database, w: &World) -> usize {
    db.audit_entries(w.coordinator.scope().territory_wide().unwrap())
        .await
        .unwrap()
        .len()
}

#[tokio::test]
async fn a_groupement_goes_from_draft_to_closed_with_its_contracts_and_audit_chain() {
    each_backend(|db| async move {
        let w = world(&db).await;
        // A draft, as created: the coordinator alone, version 1, with its source.
        let draft_id = create(&db, &w).await;
        let draft = db
            .groupement(w.coordinator.scope(), draft_id, nomenclature())
            .await
            .unwrap()
            .unwrap();
        assert_eq!((draft.version, draft.organisation_id), (1, w.metro_id));
        assert_eq!(draft.groupement.status, GroupementStatus::Draft);
        assert_eq!(draft.groupement.members.len(), 1);
        assert_eq!(
            draft.source,
            Some(OpportunitySource {
                cpv_prefix: "09".into(),
                as_of: date("2027-01-01"),
                all_buyers: true,
            })
        );
        // Not invited: Échirolles does not see it.
        assert!(
            db.groupement(w.echirolles.scope(), draft_id, nomenclature())
                .await
                .unwrap()
                .is_none()
        );

        // Another one, taken to the consultation by the coordinator and two communes.
        let (id, version) = in_consultation(&db, &w).await;
        let consulting = db
            .groupement(w.echirolles.scope(), id, nomenclature())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(consulting.groupement.status, GroupementStatus::Consultation);
        assert_eq!(consulting.groupement.signatures.len(), 3);
        for (who, expected) in [
            (&w.coordinator, 2),
            (&w.echirolles, 1),
            (&w.fontaine, 1),
            (&w.grenoble, 0),
        ] {
            let seen = db
                .groupements_for(who.scope(), nomenclature())
                .await
                .unwrap();
            assert_eq!(seen.len(), expected, "{}", who.email);
        }

        // Award both lots: one contract per member and per lot, adding up to each total.
        let awarded = act(
            &db,
            &w.coordinator,
            id,
            version,
            award(&[(1, 1_000_003), (2, 100_001)]),
        )
        .await;
        assert_eq!(awarded.groupement.status, GroupementStatus::Awarded);
        let contracts = db
            .groupement_contracts(w.coordinator.scope(), id, nomenclature())
            .await
            .unwrap();
        let got: Vec<(u32, &str, &str, i64)> = contracts
            .iter()
            .map(|c| {
                (
                    c.lot,
                    c.decp_id.as_str(),
                    c.buyer_siret.as_str(),
                    c.amount.cents(),
                )
            })
            .collect();
        // Each member's contract has its own id: the lot's, then the member's SIREN.
        let lot1 = format!("GRP{id}-L1-{ECHIROLLES}");
        let ids = [
            format!("GRP{id}-L1-{METRO}"),
            lot1.clone(),
            format!("GRP{id}-L2-{ECHIROLLES}"),
            format!("GRP{id}-L2-{FONTAINE}"),
        ];
        assert_eq!(
            got,
            [
                (1, ids[0].as_str(), "20004071500019", 75_000_225),
                (1, ids[1].as_str(), "21380151700011", 25_000_075),
                (2, ids[2].as_str(), "21380151700011", 5_833_392),
                (2, ids[3].as_str(), "21380169900017", 4_166_708),
            ]
        );
        for (lot, total) in [(1, 100_000_300), (2, 10_000_100)] {
            let sum: i64 = contracts
                .iter()
                .filter(|c| c.lot == lot)
                .map(|c| c.amount.cents())
                .sum();
            assert_eq!(sum, total, "lot {lot}");
        }
        // A member sees its own contracts of the groupement, and on its contract pages.
        let own = db
            .groupement_contracts(w.echirolles.scope(), id, nomenclature())
            .await
            .unwrap();
        assert_eq!(own.len(), 2);
        assert!(own.iter().all(|c| c.organisation_id == w.echirolles_id));
        let page = db
            .contracts_in_scope(
                w.echirolles.scope(),
                &ContractFilter {
                    per_page: 50,
                    ..ContractFilter::default()
                },
                nomenclature(),
            )
            .await
            .unwrap();
        assert_eq!(page.total, 2);
        let gas = page
            .records
            .iter()
            .map(|r| &r.contract)
            .find(|c| c.id == lot1)
            .unwrap();
        assert_eq!(gas.source, ContractSource::Mutualis);
        assert_eq!(
            gas.object,
            "Fourniture d'énergie 2028-2031 — lot 1 : Gaz naturel"
        );
        assert_eq!(gas.cpv.map(|c| c.to_string()), Some("09123000-7".into()));
        assert_eq!(gas.amount, Some(Amount::from_cents(25_000_075)));
        assert_eq!(gas.duration_months, Some(48));
        assert_eq!(gas.notified_on, Some(at(version).date_naive()));
        // No start planned: the contract runs from its notification, for the duration.
        assert_eq!(gas.starts_on, gas.notified_on);
        assert_eq!(gas.end_date(), Some(date("2031-01-10")));
        assert_eq!(gas.buyer_name.as_deref(), Some("Ville d'Échirolles"));
        assert_eq!(gas.operators[0].id, SUPPLIER);

        let running = act(
            &db,
            &w.coordinator,
            id,
            awarded.version,
            Action::StartExecution {
                on: date("2027-09-01"),
            },
        )
        .await;
        let closed = act(
            &db,
            &w.coordinator,
            id,
            running.version,
            Action::Close {
                on: date("2031-09-01"),
            },
        )
        .await;
        assert_eq!(closed.groupement.status, GroupementStatus::Closed);

        // The draft's creation, then the other's and every change to it, in one chain.
        let log = db
            .audit_entries(w.coordinator.scope().territory_wide().unwrap())
            .await
            .unwrap();
        let ours: Vec<&str> = log
            .iter()
            .filter(|r| r.record_id == id)
            .map(|r| r.entry.action.as_str())
            .collect();
        assert_eq!(
            ours,
            [
                CREATE_ACTION,
                "invite",
                "invite",
                "open",
                "join",
                "join",
                "set_need",
                "set_need",
                "set_need",
                "set_need",
                "sign",
                "sign",
                "sign",
                "start_consultation",
                "award",
                "start_execution",
                "close",
            ]
        );
        assert_eq!(log.len(), ours.len() + 1);
        assert!(log.iter().all(|r| r.organisation_id == w.metro_id));
        let join = log.iter().find(|r| r.entry.action == "join").unwrap();
        assert_eq!(join.entry.actor, "achats@echirolles.test");
        assert!(
            join.entry
                .before
                .starts_with(&format!(r#"{{"groupement_id":{id},"version":4,"state":{{"#)),
            "{}",
            join.entry.before
        );
        // Each entry's state before is the previous entry's state after.
        let states: Vec<&mutualis_storage::groupements::AuditRecord> =
            log.iter().filter(|r| r.record_id == id).collect();
        for pair in states.windows(2) {
            assert_eq!(pair[1].entry.before, pair[0].entry.after);
        }
        let report = db.verify_audit().await.unwrap();
        assert_eq!(report.entries, log.len());
        assert_eq!(report.head_hash, log.last().map(|r| r.entry.hash.clone()));
    })
    .await;
}

#[tokio::test]
async fn a_refused_action_writes_nothing_and_says_why() {
    each_backend(|db| async move {
        let w = world(&db).await;
        let id = create(&db, &w).await;
        let before = db
            .groupement(w.coordinator.scope(), id, nomenclature())
            .await
            .unwrap()
            .unwrap();
        let entries = audit_count(&db, &w).await;

        let err = refused(
            &db,
            &w.coordinator,
            id,
            1,
            Action::StartConsultation {
                on: date("2027-04-01"),
            },
        )
        .await;
        let GroupementError::Refused(refusal) = &err else {
            panic!("{err:?}")
        };
        assert!(
            refusal
                .reasons
                .contains(&"le groupement n'est pas encore ouvert aux adhésions".to_owned()),
            "{refusal}"
        );
        // Opening without anyone invited.
        let err = refused(&db, &w.coordinator, id, 1, Action::Open).await;
        assert!(
            err.to_string().contains("aucun acheteur n'est invité"),
            "{err}"
        );
        // A buyer Mutualis does not know cannot be invited.
        let err = refused(
            &db,
            &w.coordinator,
            id,
            1,
            invite("552100554", "Inconnu", 1),
        )
        .await;
        assert!(
            matches!(&err, GroupementError::UnknownOrganisation(s) if s.as_str() == "552100554"),
            "{err:?}"
        );

        let after = db
            .groupement(w.coordinator.scope(), id, nomenclature())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(after, before);
        assert_eq!(audit_count(&db, &w).await, entries);
        db.verify_audit().await.unwrap();
    })
    .await;
}

#[tokio::test]
async fn an_adhesion_after_the_deadline_is_refused_with_the_reason() {
    each_backend(|db| async move {
        let w = world(&db).await;
        let (id, version) = opened(&db, &w).await;
        let entries = audit_count(&db, &w).await;
        let err = refused(
            &db,
            &w.echirolles,
            id,
            version,
            join(ECHIROLLES, "2027-03-02"),
        )
        .await;
        assert_eq!(
            err.to_string(),
            "adhésion reçue le 02/03/2027 après la date limite du 01/03/2027"
        );
        assert_eq!(audit_count(&db, &w).await, entries);
        // The deadline day itself is accepted.
        let g = act(
            &db,
            &w.echirolles,
            id,
            version,
            join(ECHIROLLES, "2027-03-01"),
        )
        .await;
        assert_eq!(
            g.groupement.member(&siren(ECHIROLLES)).unwrap().status,
            MemberStatus::Joined {
                on: date("2027-03-01")
            }
        );
    })
    .await;
}

#[tokio::test]
async fn a_member_acts_only_for_itself_and_sees_only_its_groupements() {
    each_backend(|db| async move {
        let w = world(&db).await;
        let (id, version) = opened(&db, &w).await;

        // Échirolles cannot answer, declare or sign for Fontaine.
        for action in [
            join(FONTAINE, "2027-02-01"),
            need(2, FONTAINE, 1),
            sign(FONTAINE, "2027-03-04"),
        ] {
            let err = refused(&db, &w.echirolles, id, version, action).await;
            assert!(
                matches!(&err, GroupementError::Forbidden(m)
                    if m.contains("vous ne pouvez agir que pour votre propre organisme (SIREN 213801517), pas pour Ville de Fontaine")),
                "{err:?}"
            );
        }
        // Nor the coordinator for a member.
        let err = refused(&db, &w.coordinator, id, version, join(ECHIROLLES, "2027-02-01")).await;
        assert!(matches!(err, GroupementError::Forbidden(_)), "{err:?}");
        // Nor a member for the coordinator.
        let err = refused(
            &db,
            &w.echirolles,
            id,
            version,
            Action::Cancel {
                on: date("2027-02-01"),
                reason: "Plus besoin".into(),
            },
        )
        .await;
        assert_eq!(
            err.to_string(),
            "Annulation : seul le coordonnateur du groupement (Grenoble-Alpes-Métropole) peut le faire"
        );
        // An approver of Échirolles only reads.
        let approver = sign_in(&db, ECHIROLLES, Role::Approver, "dgs@echirolles.test").await.0;
        assert!(
            db.groupement(approver.scope(), id, nomenclature())
                .await
                .unwrap()
                .is_some()
        );
        let err = refused(&db, &approver, id, version, join(ECHIROLLES, "2027-02-01")).await;
        assert!(err.to_string().contains("il faut un compte acheteur"), "{err}");

        // Grenoble is not invited: the groupement does not exist for it.
        assert!(
            db.groupement(w.grenoble.scope(), id, nomenclature())
                .await
                .unwrap()
                .is_none()
        );
        assert!(
            db.groupements_for(w.grenoble.scope(), nomenclature())
                .await
                .unwrap()
                .is_empty()
        );
        let err = refused(&db, &w.grenoble, id, version, join(GRENOBLE, "2027-02-01")).await;
        assert!(matches!(err, GroupementError::NotFound), "{err:?}");
        assert!(matches!(
            db.groupement_contracts(w.grenoble.scope(), id, nomenclature())
                .await,
            Err(GroupementError::NotFound)
        ));

        // Nothing of the above was written.
        let g = db
            .groupement(w.coordinator.scope(), id, nomenclature())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(g.version, version);

        // A member that declines no longer sees it.
        attempt(
            &db,
            &w.fontaine,
            id,
            version,
            Action::Decline {
                member: siren(FONTAINE),
                on: date("2027-02-01"),
            },
        )
        .await
        .unwrap();
        assert!(
            db.groupement(w.fontaine.scope(), id, nomenclature())
                .await
                .unwrap()
                .is_none()
        );
    })
    .await;
}

/// A member that withdraws keeps seeing the groupement it left, and can no longer act in it;
/// the confirmation's dry run checks as the change does and writes nothing.
#[tokio::test]
async fn a_withdrawn_member_still_reads_the_groupement_and_a_dry_run_writes_nothing() {
    each_backend(|db| async move {
        let w = world(&db).await;
        let (id, version) = opened(&db, &w).await;
        let v = act(
            &db,
            &w.echirolles,
            id,
            version,
            join(ECHIROLLES, "2027-02-01"),
        )
        .await
        .version;
        let v = act(&db, &w.echirolles, id, v, need(1, ECHIROLLES, 100_000))
            .await
            .version;
        let withdraw = Action::Withdraw {
            member: siren(ECHIROLLES),
            on: date("2027-02-10"),
        };

        // The dry run: what the change would write, with its checks, and nothing written.
        let next = db
            .check_groupement_action(w.echirolles.scope(), id, v, &withdraw, nomenclature())
            .await
            .unwrap();
        assert_eq!(
            next.member(&siren(ECHIROLLES)).unwrap().status,
            MemberStatus::Withdrawn {
                on: date("2027-02-10")
            }
        );
        let stale = db
            .check_groupement_action(w.echirolles.scope(), id, v - 1, &withdraw, nomenclature())
            .await;
        assert!(
            matches!(stale, Err(GroupementError::Conflict { .. })),
            "{stale:?}"
        );
        let cancel = Action::Cancel {
            on: date("2027-02-10"),
            reason: "Plus besoin".into(),
        };
        let forbidden = db
            .check_groupement_action(w.echirolles.scope(), id, v, &cancel, nomenclature())
            .await;
        assert!(
            matches!(forbidden, Err(GroupementError::Forbidden(_))),
            "{forbidden:?}"
        );
        let stored = db
            .groupement(w.coordinator.scope(), id, nomenclature())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(stored.version, v, "nothing written");

        let v = act(&db, &w.echirolles, id, v, withdraw).await.version;
        let seen = db
            .groupement(w.echirolles.scope(), id, nomenclature())
            .await
            .unwrap()
            .expect("a withdrawn member still sees it");
        assert_eq!(seen.version, v);
        let listed = db
            .groupements_for(w.echirolles.scope(), nomenclature())
            .await
            .unwrap();
        assert_eq!(listed.len(), 1);
        // It can no longer act there: the domain refuses.
        let err = refused(&db, &w.echirolles, id, v, need(1, ECHIROLLES, 1)).await;
        assert!(
            err.to_string().contains("ses besoins ne comptent plus"),
            "{err}"
        );
    })
    .await;
}

#[tokio::test]
async fn two_members_editing_at_once_never_overwrite_each_other() {
    each_backend(|db| async move {
        let w = world(&db).await;
        let (id, version) = opened(&db, &w).await;
        let v = act(
            &db,
            &w.echirolles,
            id,
            version,
            join(ECHIROLLES, "2027-02-01"),
        )
        .await
        .version;
        let v = act(&db, &w.fontaine, id, v, join(FONTAINE, "2027-02-01"))
            .await
            .version;
        let entries = audit_count(&db, &w).await;

        // Both start from version v.
        let (a, b) = tokio::join!(
            attempt(&db, &w.echirolles, id, v, need(2, ECHIROLLES, 70_000)),
            attempt(&db, &w.fontaine, id, v, need(2, FONTAINE, 50_000)),
        );
        let (winner, loser) = match (a, b) {
            (Ok(_), Err(e)) => (ECHIROLLES, e),
            (Err(e), Ok(_)) => (FONTAINE, e),
            other => panic!("exactly one should win: {other:?}"),
        };
        assert!(
            matches!(loser, GroupementError::Conflict { expected } if expected == v),
            "{loser:?}"
        );
        assert!(
            loser
                .to_string()
                .contains("modifié entre-temps par quelqu'un d'autre")
        );
        assert_eq!(audit_count(&db, &w).await, entries + 1);

        // The loser reloads and applies again: both needs are there.
        let (who, action) = if winner == ECHIROLLES {
            (&w.fontaine, need(2, FONTAINE, 50_000))
        } else {
            (&w.echirolles, need(2, ECHIROLLES, 70_000))
        };
        let current = db
            .groupement(who.scope(), id, nomenclature())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(current.version, v + 1);
        let g = act(&db, who, id, current.version, action).await;
        let mut needs: Vec<(String, i64)> = g
            .groupement
            .needs
            .iter()
            .map(|n| (n.member.to_string(), n.estimated_amount.cents()))
            .collect();
        needs.sort();
        assert_eq!(
            needs,
            [
                (ECHIROLLES.to_owned(), 7_000_000),
                (FONTAINE.to_owned(), 5_000_000)
            ]
        );

        // A stale version is refused even when nobody else is writing.
        let err = refused(&db, &w.echirolles, id, v, need(1, ECHIROLLES, 1)).await;
        assert!(matches!(err, GroupementError::Conflict { .. }), "{err:?}");
        db.verify_audit().await.unwrap();
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn changes_to_several_groupements_at_once_extend_one_chain() {
    each_backend(|db| async move {
        let w = world(&db).await;
        let mut opened_ones = Vec::new();
        for _ in 0..6 {
            opened_ones.push(opened(&db, &w).await);
        }
        // Each on its own task, so that the transactions really overlap.
        let tasks: Vec<_> = opened_ones
            .iter()
            .map(|&(id, v)| {
                let (db, who) = (db.clone(), w.echirolles.clone());
                tokio::spawn(async move {
                    attempt(&db, &who, id, v, join(ECHIROLLES, "2027-02-01")).await
                })
            })
            .collect();
        for task in tasks {
            task.await.unwrap().unwrap();
        }
        let report = db.verify_audit().await.unwrap();
        assert_eq!(report.entries, 6 * 4 + 6);
    })
    .await;
}

#[tokio::test]
async fn an_award_waits_until_every_member_has_a_siret() {
    each_backend(|db| async move {
        let w = world(&db).await;
        let id = create(&db, &w).await;
        let mut v = 1;
        let steps: [(&Principal, Action); 8] = [
            (
                &w.coordinator,
                invite(GRENOBLE, "Ville de Grenoble", 156_389),
            ),
            (&w.coordinator, Action::Open),
            (&w.grenoble, join(GRENOBLE, "2027-02-01")),
            (&w.coordinator, need(1, METRO, 300_000)),
            (&w.grenoble, need(2, GRENOBLE, 200_000)),
            (&w.coordinator, sign(METRO, "2027-03-02")),
            (&w.grenoble, sign(GRENOBLE, "2027-03-02")),
            (
                &w.coordinator,
                Action::StartConsultation {
                    on: date("2027-04-01"),
                },
            ),
        ];
        for (who, action) in steps {
            v = act(&db, who, id, v, action).await.version;
        }
        let entries = audit_count(&db, &w).await;
        let err = refused(&db, &w.coordinator, id, v, award(&[(1, 1_000), (2, 2_000)])).await;
        assert_eq!(
            err.to_string(),
            "attribution impossible : aucun SIRET connu pour Ville de Grenoble (SIREN \
             213801855) ; enregistrez l'établissement acheteur de chacun avant d'attribuer"
        );
        assert_eq!(audit_count(&db, &w).await, entries);
        assert!(
            db.groupement_contracts(w.coordinator.scope(), id, nomenclature())
                .await
                .unwrap()
                .is_empty()
        );
        // Once Grenoble's establishment is known, the same award goes through.
        add_establishment(&db, "21380185500015").await;
        let g = act(&db, &w.coordinator, id, v, award(&[(1, 1_000), (2, 2_000)])).await;
        assert_eq!(g.groupement.status, GroupementStatus::Awarded);
        let contracts = db
            .groupement_contracts(w.grenoble.scope(), id, nomenclature())
            .await
            .unwrap();
        assert_eq!(contracts.len(), 1);
        assert_eq!(contracts[0].buyer_siret, "21380185500015");
        assert_eq!(contracts[0].amount, Amount::from_euros(2_000));
    })
    .await;
}

/// With a planned start, each member's contract starts on it, not on the notification, and
/// ends at the start plus the duration; the notification stays the notification; each member's
/// contract has its own id, the publication one record per lot.
#[tokio::test]
async fn the_members_contracts_run_from_the_planned_start_each_with_its_own_id() {
    each_backend(|db| async move {
        let w = world(&db).await;
        let mut new = new_groupement();
        new.proposed_start = Some(date("2028-01-01"));
        let (id, v) = in_consultation_new(&db, &w, new).await;
        act(&db, &w.coordinator, id, v, published_award()).await;
        let page = db
            .contracts_in_scope(
                w.echirolles.scope(),
                &ContractFilter {
                    per_page: 50,
                    ..ContractFilter::default()
                },
                nomenclature(),
            )
            .await
            .unwrap();
        let mut ids: Vec<&str> = page
            .records
            .iter()
            .map(|r| r.contract.id.as_str())
            .collect();
        ids.sort_unstable();
        assert_eq!(
            ids,
            [
                format!("GRP{id}-L1-{ECHIROLLES}"),
                format!("GRP{id}-L2-{ECHIROLLES}")
            ]
        );
        for record in &page.records {
            let c = &record.contract;
            assert_eq!(c.notified_on, Some(date("2027-06-01")), "{}", c.id);
            assert_eq!(c.starts_on, Some(date("2028-01-01")), "{}", c.id);
            assert_eq!(c.end_date(), Some(date("2032-01-01")), "{}", c.id);
        }
        // The contracts list filters on the stored end date: the planned start's.
        let ending = db
            .contracts_in_scope(
                w.echirolles.scope(),
                &ContractFilter {
                    ends_from: Some(date("2031-12-31")),
                    per_page: 50,
                    ..ContractFilter::default()
                },
                nomenclature(),
            )
            .await
            .unwrap();
        assert_eq!(ending.total, 2);
        // Every member's contract of a lot has its own id; DECP still gets one per lot.
        let all = db
            .groupement_contracts(w.coordinator.scope(), id, nomenclature())
            .await
            .unwrap();
        let mut distinct: Vec<&str> = all.iter().map(|c| c.decp_id.as_str()).collect();
        distinct.sort_unstable();
        distinct.dedup();
        assert_eq!(distinct.len(), all.len());
        for c in &all {
            assert_eq!(
                (c.starts_on, c.ends_on),
                (Some(date("2028-01-01")), Some(date("2032-01-01"))),
                "{}",
                c.decp_id
            );
        }
        // The titulaire, unknown before the award, is recorded without a name: none is
        // given; once the data names it, its name is.
        let g = db
            .groupement(w.coordinator.scope(), id, nomenclature())
            .await
            .unwrap()
            .unwrap()
            .groupement;
        assert!(db.award_supplier_names(&g).await.unwrap().is_empty());
        by_hand(
            &db,
            "UPDATE organisations SET name = 'Électricité de France' WHERE siren = '552081317'",
        )
        .await
        .unwrap();
        let names = db.award_supplier_names(&g).await.unwrap();
        assert_eq!(
            names.get(SUPPLIER).map(String::as_str),
            Some("Électricité de France")
        );
        let published = db
            .groupement_publications(
                TerritoryWide::for_operator_command_line(),
                None,
                None,
                nomenclature(),
            )
            .await
            .unwrap();
        let published: Vec<&str> = published
            .records
            .iter()
            .map(|r| r.contract.id.as_str())
            .collect();
        assert_eq!(published, [format!("GRP{id}-L1"), format!("GRP{id}-L2")]);
    })
    .await;
}

/// Runs one statement as whoever holds the database, past the application.
async fn by_hand(db: &Database, sql: &str) -> Result<u64, sqlx::Error> {
    Ok(match db {
        Database::Sqlite(pool) => sqlx::query(sql).execute(pool).await?.rows_affected(),
        Database::Postgres(pool) => sqlx::query(sql).execute(pool).await?.rows_affected(),
    })
}

#[tokio::test]
async fn a_tampered_audit_log_is_found_out() {
    each_backend(|db| async move {
        let w = world(&db).await;
        opened(&db, &w).await;
        assert_eq!(db.verify_audit().await.unwrap().entries, 4);

        // The database itself refuses to change or remove an entry…
        for sql in [
            "UPDATE audit_log SET actor = 'intrus' WHERE seq = 2",
            "DELETE FROM audit_log WHERE seq = 3",
        ] {
            let err = by_hand(&db, sql).await.expect_err(sql);
            assert!(err.to_string().contains("append-only"), "{err}");
        }
        // …until someone who holds it drops the guard.
        let drop_guards = match db {
            Database::Sqlite(_) => [
                "DROP TRIGGER audit_log_no_update",
                "DROP TRIGGER audit_log_no_delete",
            ],
            Database::Postgres(_) => [
                "ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_update",
                "ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_delete",
            ],
        };
        for sql in drop_guards {
            by_hand(&db, sql).await.unwrap();
        }
        by_hand(&db, "UPDATE audit_log SET actor = 'intrus' WHERE seq = 2")
            .await
            .unwrap();
        let err = db.verify_audit().await.expect_err("tampered");
        let AuditError::Broken(broken) = &err else {
            panic!("{err:?}")
        };
        assert_eq!(broken.seq, 2);
        assert!(
            matches!(broken.reason, BreakReason::Altered { .. }),
            "{broken}"
        );
        assert!(
            err.to_string()
                .starts_with("journal d'audit altéré à l'entrée n° 2 : contenu modifié"),
            "{err}"
        );

        // Put back, the chain verifies again; a removed entry is found too.
        by_hand(
            &db,
            "UPDATE audit_log SET actor = 'coord@lametro.test' WHERE seq = 2",
        )
        .await
        .unwrap();
        db.verify_audit().await.unwrap();
        by_hand(&db, "DELETE FROM audit_log WHERE seq = 3")
            .await
            .unwrap();
        let err = db.verify_audit().await.expect_err("an entry removed");
        assert_eq!(
            err.to_string(),
            "journal d'audit altéré à l'entrée n° 4 : entrée(s) manquante(s) : n° 3 attendue, n° 4 trouvée"
        );
    })
    .await;
}

/// The open-data exports publish a groupement's award once per lot, under the coordinator and
/// for the lot's total, with the members sharing it; the members' own contracts stay out.
#[tokio::test]
async fn the_exports_publish_the_award_under_the_coordinator_not_the_shares() {
    each_backend(|db| async move {
        let w = world(&db).await;
        let (id, v) = in_consultation(&db, &w).await;
        act(&db, &w.coordinator, id, v, published_award()).await;
        let wide = || TerritoryWide::for_operator_command_line();
        let stored = db
            .contracts_for_export(wide(), None, None, nomenclature())
            .await
            .unwrap();
        assert!(stored.is_empty(), "the members' shares are not published");

        // The métropole's SIRET comes with the territory.
        let metro_siret = Siret::parse("20004071500019").unwrap();
        let published = db
            .groupement_publications(wide(), None, None, nomenclature())
            .await
            .unwrap();
        assert!(published.without_siret.is_empty());
        let records = &published.records;
        assert_eq!(records.len(), 2);
        let (lot1, lot2) = (&records[0], &records[1]);
        assert_eq!(lot1.contract.id, format!("GRP{id}-L1"));
        assert_eq!(lot1.contract.buyer, metro_siret);
        assert_eq!(lot1.contract.amount, Some(Amount::from_euros(1_000_003)));
        assert_eq!(lot1.contract.notified_on, Some(date("2027-06-01")));
        // Lot 1: the métropole and Échirolles; lot 2: Échirolles and Fontaine.
        let sirets = |r: &GroupementPublication| -> Vec<String> {
            r.co_buyers.iter().map(|s| s.to_string()).collect()
        };
        assert_eq!(sirets(lot1), ["20004071500019", "21380151700011"]);
        assert_eq!(sirets(lot2), ["21380151700011", "21380169900017"]);
        assert_eq!(lot2.contract.amount, Some(Amount::from_euros(100_001)));

        // `--buyer` keeps the coordinator's SIRET; `--since` the notification date.
        let echirolles = Siret::parse("21380151700011").unwrap();
        for (buyer, since, expected) in [
            (Some(&echirolles), None, 0),
            (Some(&metro_siret), None, 2),
            (None, Some(date("2027-06-02")), 0),
            (None, Some(date("2027-06-01")), 2),
        ] {
            let found = db
                .groupement_publications(wide(), buyer, since, nomenclature())
                .await
                .unwrap();
            assert_eq!(found.records.len(), expected, "{buyer:?} {since:?}");
        }
    })
    .await;
}

/// What the pages prefill from an opportunity: two buyers invited, the coordinator's need and
/// a proposed need of Grenoble.
fn prefill() -> Vec<Action> {
    let mut proposed = need(1, GRENOBLE, 80_000);
    if let Action::SetNeed(n) = &mut proposed {
        n.confirmed = false;
    }
    vec![
        invite(GRENOBLE, "Ville de Grenoble", 156_389),
        invite(ECHIROLLES, "Ville d'Échirolles", 37_000),
        need(1, METRO, 200_000),
        proposed,
    ]
}

fn opportunity() -> Option<OpportunitySource> {
    Some(OpportunitySource {
        cpv_prefix: "09".into(),
        as_of: date("2027-01-01"),
        all_buyers: false,
    })
}

/// A groupement's audit entries as (action, actor, at, before, after), its id written `ID`.
async fn trail(db: &Database, w: &World, id: i64) -> Vec<[String; 5]> {
    let records = db
        .audit_entries(w.coordinator.scope().territory_wide().unwrap())
        .await
        .unwrap();
    let anonymous =
        |s: &str| s.replace(&format!("\"groupement_id\":{id},"), "\"groupement_id\":ID,");
    records
        .into_iter()
        .filter(|r| r.record_type == "groupement" && r.record_id == id)
        .map(|r| {
            [
                r.entry.action,
                r.entry.actor,
                r.entry.at.to_rfc3339(),
                anonymous(&r.entry.before),
                anonymous(&r.entry.after),
            ]
        })
        .collect()
}

#[tokio::test]
async fn a_groupement_created_with_its_first_actions_is_what_one_change_after_another_makes() {
    each_backend(|db| async move {
        let w = world(&db).await;
        let who = &w.coordinator;
        // One change after another, as the pages did.
        let one_by_one = create_new(&db, &w, new_groupement()).await;
        let mut version = 1;
        for action in prefill() {
            version = db
                .apply_groupement_action(
                    who.scope(),
                    one_by_one,
                    version,
                    action,
                    who.email.as_str(),
                    at(0),
                    nomenclature(),
                )
                .await
                .unwrap()
                .version;
        }
        // All at once.
        let at_once = db
            .create_groupement_with_actions(
                who.scope(),
                new_groupement(),
                Some(OpportunitySource {
                    cpv_prefix: "09".into(),
                    as_of: date("2027-01-01"),
                    all_buyers: true,
                }),
                prefill(),
                who.email.as_str(),
                at(0),
            )
            .await
            .unwrap();

        let read = |id| db.groupement(who.scope(), id, nomenclature());
        let (a, b) = (
            read(one_by_one).await.unwrap().unwrap(),
            read(at_once).await.unwrap().unwrap(),
        );
        assert_eq!(b.version, 5);
        assert_eq!(
            (b.version, &b.groupement, &b.source),
            (a.version, &a.groupement, &a.source)
        );
        assert_eq!(b.groupement.members.len(), 3);
        assert_eq!(b.groupement.needs.len(), 2);
        // Grenoble sees it, invited.
        let seen = db
            .groupements_for(w.grenoble.scope(), nomenclature())
            .await
            .unwrap();
        assert!(seen.iter().any(|g| g.id == at_once), "{seen:?}");
        // The same audit trail: create, then one entry per action, versions 1 to 5.
        let (ta, tb) = (
            trail(&db, &w, one_by_one).await,
            trail(&db, &w, at_once).await,
        );
        let actions: Vec<&str> = tb.iter().map(|e| e[0].as_str()).collect();
        assert_eq!(
            actions,
            [CREATE_ACTION, "invite", "invite", "set_need", "set_need"]
        );
        assert_eq!(tb, ta);
        db.verify_audit().await.unwrap();
    })
    .await;
}

#[tokio::test]
async fn a_groupement_whose_first_actions_fail_is_not_created_at_all() {
    each_backend(|db| async move {
        let w = world(&db).await;
        let who = &w.coordinator;
        let entries = audit_count(&db, &w).await;
        let create = |actions| {
            db.create_groupement_with_actions(
                who.scope(),
                new_groupement(),
                opportunity(),
                actions,
                who.email.as_str(),
                at(0),
            )
        };
        // The domain refuses the last action: a consultation before the adhesions.
        let mut actions = prefill();
        actions.push(Action::StartConsultation {
            on: date("2027-04-01"),
        });
        let err = create(actions).await.expect_err("a consultation too early");
        assert!(matches!(err, GroupementError::Refused(_)), "{err:?}");
        // An organisation Mutualis does not know, found when the members are written.
        let mut actions = prefill();
        actions.push(invite("552100554", "Inconnu", 1));
        let err = create(actions).await.expect_err("an unknown organisation");
        assert!(
            matches!(&err, GroupementError::UnknownOrganisation(s) if s.as_str() == "552100554"),
            "{err:?}"
        );
        // A member's scope may not create one.
        let err = db
            .create_groupement_with_actions(
                w.grenoble.scope(),
                new_groupement(),
                None,
                vec![],
                w.grenoble.email.as_str(),
                at(0),
            )
            .await
            .expect_err("a member creating");
        assert!(matches!(err, GroupementError::Forbidden(_)), "{err:?}");

        assert!(
            db.groupements_for(who.scope(), nomenclature())
                .await
                .unwrap()
                .is_empty()
        );
        assert_eq!(audit_count(&db, &w).await, entries);
        // Nothing half-written either: no member row, no groupement row.
        let rows = by_hand(&db, "DELETE FROM groupement_members")
            .await
            .unwrap();
        assert_eq!(rows, 0);
    })
    .await;
}

#[tokio::test]
async fn organisations_are_found_by_siren_in_one_call() {
    each_backend(|db| async move {
        world(&db).await;
        let unknown = siren("552100554");
        let found = db
            .organisations_by_sirens(&[
                siren(GRENOBLE),
                siren(ECHIROLLES),
                unknown.clone(),
                siren(GRENOBLE),
            ])
            .await
            .unwrap();
        assert_eq!(found.len(), 2);
        assert!(!found.contains_key(&unknown));
        for s in [GRENOBLE, ECHIROLLES] {
            let one = db.organisation_by_siren(&siren(s)).await.unwrap().unwrap();
            assert_eq!(found[&siren(s)], one);
        }
        // More SIRENs than one query takes: every organisation of the territory, and as many
        // unknown SIRENs.
        let territory = mutualis_reference::territory::grenoble_alpes_metropole();
        let mut many: Vec<Siren> = territory.organisations().map(|o| o.siren.clone()).collect();
        let known = many.len();
        many.extend((0..600).map(|n| Siren::parse(&luhn_siren(n)).unwrap()));
        let found = db.organisations_by_sirens(&many).await.unwrap();
        assert_eq!(found.len(), known);
        assert!(db.organisations_by_sirens(&[]).await.unwrap().is_empty());
    })
    .await;
}

/// A valid SIREN no organisation of the tests has: "9" then 7 digits of `n`, then the Luhn key.
fn luhn_siren(n: u32) -> String {
    let body = format!("9{n:07}");
    (0..10)
        .map(|k| format!("{body}{k}"))
        .find(|s| Siren::parse(s).is_ok())
        .unwrap()
}

#[tokio::test]
async fn a_stored_state_says_its_format_and_one_written_before_is_read_as_format_1() {
    each_backend(|db| async move {
        let w = world(&db).await;
        let (id, version) = opened(&db, &w).await;
        let read = || db.groupement(w.coordinator.scope(), id, nomenclature());
        let written = read().await.unwrap().unwrap();
        // The state as it was written before it said its format.
        let old = by_hand(
            &db,
            "UPDATE groupements SET state = REPLACE(state, '{\"v\":1,', '{')",
        )
        .await
        .unwrap();
        assert_eq!(old, 1);
        assert_eq!(read().await.unwrap().unwrap(), written);
        // And it takes the next change, written in the current format.
        act(
            &db,
            &w.echirolles,
            id,
            version,
            join(ECHIROLLES, "2027-02-01"),
        )
        .await;
        db.verify_audit().await.unwrap();
        let entries = db
            .audit_entries(w.coordinator.scope().territory_wide().unwrap())
            .await
            .unwrap();
        let last = &entries.last().unwrap().entry;
        assert!(
            !last.before.contains("\"state\":{\"v\":"),
            "{}",
            last.before
        );
        assert!(last.after.contains("\"state\":{\"v\":1,"), "{}", last.after);
        // A format this version does not know is not guessed at.
        by_hand(
            &db,
            "UPDATE groupements SET state = REPLACE(state, '{\"v\":1,', '{\"v\":2,')",
        )
        .await
        .unwrap();
        let err = read().await.expect_err("an unknown format");
        assert!(err.to_string().contains("format 2 inconnu"), "{err}");
    })
    .await;
}
