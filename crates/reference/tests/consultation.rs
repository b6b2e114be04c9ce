#![allow(clippy::unwrap_used)] // a test that cannot unwrap has failed
//! A consultation's lifecycle under the rules file the project ships (`data/rules/rules.toml`):
//! publication with its procedure and criteria checked for the launch date, the deadline that
//! keeps the bids sealed, and the end states with their reasons.

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use mutualis_domain::consultation::{
    Action, Consultation, ConsultationStatus, Criteria, Criterion, CriterionKind, Lot,
    ProcedureOverride, Terms,
};
use mutualis_domain::consultation::{ActionKind, Actor};
use mutualis_domain::refusal::RefusalCode;
use mutualis_domain::rules::{BuyerKind, Nature, Procedure};
use mutualis_domain::{Amount, Role, Siren};
use mutualis_reference::rules::rule_book;

fn at(y: i32, m: u32, d: u32, h: u32, min: u32, s: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, h, min, s).unwrap()
}

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

/// Publication on Monday 7 December 2026 at 10:30, Paris time.
fn publish_on_7_december() -> Action {
    Action::Publish {
        at: at(2026, 12, 7, 9, 30, 0),
        launched_on: day(2026, 12, 7),
    }
}

fn criterion(kind: CriterionKind, name: &str, weight: u32) -> Criterion {
    Criterion {
        kind,
        name: name.into(),
        weight,
        sub_criteria: Vec::new(),
    }
}

/// The demo groupement's cleaning services: two lots, 260,000 € HT estimated together, a
/// deadline on 15 January 2027 at noon, Paris time (11:00 UTC).
fn cleaning(criteria: Vec<Criterion>) -> Consultation {
    Consultation::draft(
        "GAM-2026-NET-01".into(),
        Siren::parse("200040715").unwrap(),
        BuyerKind::LocalAuthority,
        Terms {
            title: "Nettoyage des locaux".into(),
            object: "Nettoyage des bâtiments administratifs des membres du groupement".into(),
            nature: Nature::SuppliesAndServices,
            cpv: None,
            lots: vec![
                Lot {
                    number: 1,
                    title: "Bâtiments de la métropole".into(),
                    estimated: Amount::from_euros(180_000),
                },
                Lot {
                    number: 2,
                    title: "Bâtiments des communes".into(),
                    estimated: Amount::from_euros(80_000),
                },
            ],
            criteria: Criteria(criteria),
            deadline: Some(at(2027, 1, 15, 11, 0, 0)),
            procedure_override: None,
        },
    )
}

fn with_environment() -> Vec<Criterion> {
    vec![
        criterion(CriterionKind::Price, "Prix", 50),
        criterion(CriterionKind::Technical, "Valeur technique", 35),
        criterion(
            CriterionKind::Environmental,
            "Produits et méthodes de nettoyage",
            15,
        ),
    ]
}

#[test]
fn a_consultation_is_published_with_the_procedure_its_estimate_calls_for() {
    let draft = cleaning(with_environment());
    let published = draft.apply(&publish_on_7_december(), rule_book()).unwrap();
    assert_eq!(published.status, ConsultationStatus::Published);
    assert_eq!(published.launched_on, Some(day(2026, 12, 7)));
    let chosen = published.procedure.as_ref().unwrap();
    // 260,000 € of services for a local authority: at or above the EU threshold in force
    // since 1 January 2026 (216,000 € HT), a formal procedure.
    assert_eq!(chosen.procedure, Procedure::Formal);
    assert_eq!(chosen.derived.procedure, Procedure::Formal);
    let threshold = chosen.derived.lower.as_ref().unwrap();
    assert_eq!(threshold.rule_id, "eu-supplies-local-2026");
    assert_eq!(threshold.value, Amount::from_euros(216_000));
    assert_eq!(chosen.reason, None);
    // The draft is untouched.
    assert_eq!(draft.status, ConsultationStatus::Draft);
}

#[test]
fn publishing_without_an_environmental_criterion_is_refused_from_21_august_2026() {
    let price_and_value = vec![
        criterion(CriterionKind::Price, "Prix", 60),
        criterion(CriterionKind::Technical, "Valeur technique", 40),
    ];
    let publish = |on: NaiveDate| Action::Publish {
        at: Utc.from_utc_datetime(&on.and_hms_opt(8, 0, 0).unwrap()),
        launched_on: on,
    };
    let draft = cleaning(price_and_value);
    assert!(draft.apply(&publish(day(2026, 8, 20)), rule_book()).is_ok());
    let refused = draft
        .apply(&publish(day(2026, 8, 21)), rule_book())
        .unwrap_err();
    assert_eq!(refused.code, RefusalCode::Invalid);
    assert_eq!(refused.reasons.len(), 1, "{refused:?}");
    assert!(
        refused.reasons[0].contains("L2152-7"),
        "{}",
        refused.reasons[0]
    );
    assert!(
        refused.reasons[0].contains("21/08/2026"),
        "{}",
        refused.reasons[0]
    );
}

#[test]
fn another_procedure_needs_a_written_reason_and_keeps_the_derived_one() {
    let mut draft = cleaning(with_environment());
    draft.terms.procedure_override = Some(ProcedureOverride {
        procedure: Procedure::Adapted,
        reason: "  ".into(),
    });
    let publish = publish_on_7_december();
    let refused = draft.apply(&publish, rule_book()).unwrap_err();
    assert!(
        refused.reasons[0].contains("justification écrite"),
        "{refused:?}"
    );
    draft.terms.procedure_override = Some(ProcedureOverride {
        procedure: Procedure::Adapted,
        reason: "Services sociaux et autres services spécifiques (R2123-1 3°)".into(),
    });
    let published = draft.apply(&publish, rule_book()).unwrap();
    let chosen = published.procedure.unwrap();
    assert_eq!(chosen.procedure, Procedure::Adapted);
    assert_eq!(chosen.derived.procedure, Procedure::Formal);
    assert!(chosen.reason.unwrap().contains("R2123-1"));
}

#[test]
fn every_missing_term_is_named_at_publication() {
    let mut draft = cleaning(with_environment());
    draft.terms.title = String::new();
    draft.terms.lots[1].number = 3;
    draft.terms.lots[0].title = " ".into();
    draft.terms.criteria.0[0].weight = 40;
    let refused = draft
        .apply(
            &Action::Publish {
                // One second after the deadline.
                at: at(2027, 1, 15, 11, 0, 1),
                launched_on: day(2027, 1, 15),
            },
            rule_book(),
        )
        .unwrap_err();
    let all = refused.reasons.join(" | ");
    for expected in [
        "pas de titre",
        "lot n° 3 est en position 2",
        "le lot n° 1 n'a pas d'intitulé",
        "déjà passée",
        "font 90 %",
    ] {
        assert!(all.contains(expected), "{expected}: {all}");
    }
    assert_eq!(refused.reasons.len(), 5, "{all}");
}

#[test]
fn nothing_closes_or_opens_the_bids_before_the_deadline_to_the_second() {
    let published = cleaning(with_environment())
        .apply(&publish_on_7_december(), rule_book())
        .unwrap();
    let deadline = at(2027, 1, 15, 11, 0, 0);
    let just_before = at(2027, 1, 15, 10, 59, 59);
    assert!(published.sealed_at(just_before));
    assert!(published.on_time_at(just_before));
    assert!(!published.sealed_at(deadline));
    assert!(!published.on_time_at(deadline));
    // Opening is refused until closed, closing until the deadline.
    let refused = published
        .apply(&Action::Open { at: deadline }, rule_book())
        .unwrap_err();
    assert_eq!(refused.code, RefusalCode::NotNow);
    let refused = published
        .apply(&Action::Close { at: just_before }, rule_book())
        .unwrap_err();
    assert_eq!(refused.code, RefusalCode::NotNow);
    assert!(refused.reasons[0].contains("avant la date limite"));
    let closed = published
        .apply(&Action::Close { at: deadline }, rule_book())
        .unwrap();
    assert_eq!(closed.status, ConsultationStatus::Closed);
    let opened = closed
        .apply(&Action::Open { at: deadline }, rule_book())
        .unwrap();
    assert_eq!(opened.status, ConsultationStatus::Opened);
    // The terms are fixed once published.
    let amend = Action::Amend(published.terms.clone());
    assert_eq!(
        published.apply(&amend, rule_book()).unwrap_err().code,
        RefusalCode::NotNow
    );
}

#[test]
fn the_end_states_need_their_step_and_a_written_reason() {
    let deadline = at(2027, 1, 15, 11, 0, 0);
    let opened = [
        publish_on_7_december(),
        Action::Close { at: deadline },
        Action::Open { at: deadline },
    ]
    .iter()
    .fold(cleaning(with_environment()), |c, a| {
        c.apply(a, rule_book()).unwrap()
    });
    // Award only after the analysis has started.
    assert!(opened.apply(&Action::Award, rule_book()).is_err());
    let analysed = opened.apply(&Action::StartAnalysis, rule_book()).unwrap();
    assert_eq!(
        analysed.apply(&Action::Award, rule_book()).unwrap().status,
        ConsultationStatus::Awarded
    );
    let refused = analysed
        .apply(
            &Action::DeclareUnsuccessful {
                reason: String::new(),
            },
            rule_book(),
        )
        .unwrap_err();
    assert_eq!(refused.code, RefusalCode::Invalid);
    let unsuccessful = analysed
        .apply(
            &Action::DeclareUnsuccessful {
                reason: "Aucune offre acceptable (R2152-2)".into(),
            },
            rule_book(),
        )
        .unwrap();
    assert_eq!(unsuccessful.status, ConsultationStatus::Unsuccessful);
    assert!(unsuccessful.status.is_final());
    // Nothing after a final state.
    let cancel = Action::Cancel {
        reason: "Besoin disparu".into(),
    };
    assert!(unsuccessful.apply(&cancel, rule_book()).is_err());
    let cancelled = opened.apply(&cancel, rule_book()).unwrap();
    assert_eq!(cancelled.ended_because.as_deref(), Some("Besoin disparu"));
    assert_eq!(cancel.code(), "consultation.cancel");
}

#[test]
fn statuses_have_stable_codes() {
    for s in ConsultationStatus::ALL {
        assert_eq!(ConsultationStatus::from_code(s.code()), Some(s));
        assert!(!s.label_fr().is_empty());
    }
}

#[test]
fn the_buyer_s_staff_alone_may_act_and_the_deposits_close_only_at_the_deadline() {
    let rules = rule_book();
    let c = cleaning(with_environment())
        .apply(&publish_on_7_december(), rules)
        .unwrap();
    let buyer = Actor {
        organisation: Siren::parse("200040715").unwrap(),
        role: Role::MemberBuyer,
    };
    // The deadline is 15 January 2027 at noon, Paris time: 11:00:00 UTC.
    let before = at(2027, 1, 15, 10, 59, 59);
    let after = at(2027, 1, 15, 11, 0, 0);
    assert_eq!(
        c.available_actions(&buyer, before),
        [ActionKind::Cancel].into()
    );
    assert_eq!(
        c.available_actions(&buyer, after),
        [ActionKind::Close, ActionKind::Cancel].into()
    );
    let evaluator = Actor {
        role: Role::Evaluator,
        ..buyer.clone()
    };
    assert!(c.available_actions(&evaluator, after).is_empty());
    let grenoble = Actor {
        organisation: Siren::parse("213801855").unwrap(),
        role: Role::Coordinator,
    };
    assert!(c.available_actions(&grenoble, after).is_empty());
    let refused = c
        .apply_as(&grenoble, &Action::Close { at: after }, rules)
        .unwrap_err();
    assert_eq!(refused.code, RefusalCode::Forbidden);
    let closed = c
        .apply_as(&buyer, &Action::Close { at: after }, rules)
        .unwrap();
    assert_eq!(closed.status, ConsultationStatus::Closed);
}
