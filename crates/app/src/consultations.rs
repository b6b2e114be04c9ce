//! Consultations: which consultations a user sees, one drafted for the user's organisation
//! (alone, or for a groupement it coordinates: the groupement's lots, estimated at its
//! members' needs), and an action applied as that user at the clock's time. Storage applies
//! every change with the domain's policy (`mutualis_domain::consultation::policy`) in the
//! same transaction as the write. The domain reads no clock: the instant, and the date in
//! Europe/Paris that the rules in force are read for, are put in the action here.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Europe::Paris;
use chrono_tz::Tz;
use mutualis_domain::consultation::{Action, ActionKind, Actor, Consultation, Terms};
use mutualis_domain::rules::BuyerKind;
use mutualis_domain::{Capability, OrganisationKind, Siren};
use mutualis_reference::cpv::nomenclature;
use mutualis_reference::rules::rule_book;
use mutualis_storage::Principal;
use mutualis_storage::consultations::{ConsultationError, StoredConsultation};

use crate::{App, AppError, require};

/// The date of `at` in Europe/Paris: a consultation published at 23:30 UTC on 31 December
/// is launched on 1 January, under the rules of the new year.
pub fn paris_date(at: DateTime<Utc>) -> NaiveDate {
    paris(at).date_naive()
}

/// `at` in Europe/Paris, the time every deadline is shown in.
pub fn paris(at: DateTime<Utc>) -> DateTime<Tz> {
    at.with_timezone(&Paris)
}

/// The user as the consultation policy sees it, for `Consultation::available_actions`.
pub async fn actor(app: &App, user: &Principal) -> Result<Actor, AppError> {
    Ok(app.db.consultation_actor(user.scope()).await?)
}

/// The consultations the user sees: its organisation's, and those of the groupements its
/// organisation joined; the last changed first.
pub async fn visible_consultations(
    app: &App,
    user: &Principal,
) -> Result<Vec<StoredConsultation>, AppError> {
    require(user, Capability::Consultations)?;
    Ok(app
        .db
        .consultations_for(user.scope(), nomenclature())
        .await?)
}

/// One consultation the user sees; any other id is not found.
pub async fn visible_consultation(
    app: &App,
    user: &Principal,
    id: i64,
) -> Result<StoredConsultation, AppError> {
    require(user, Capability::Consultations)?;
    app.db
        .consultation(user.scope(), id, nomenclature())
        .await?
        .ok_or(AppError::NotFound)
}

/// Drafts a consultation of the user's organisation under `reference`: with `terms`, or, for
/// `groupement_id`, the groupement's own ([`Terms::for_groupement`]) when `terms` is `None`.
/// Returns its id.
pub async fn create(
    app: &App,
    user: &Principal,
    groupement_id: Option<i64>,
    reference: &str,
    terms: Option<Terms>,
) -> Result<i64, ConsultationError> {
    let own = crate::organisations::own_organisation(app, user)
        .await
        .map_err(|e| ConsultationError::Invalid(e.to_string()))?
        .organisation;
    let terms = match (terms, groupement_id) {
        (Some(terms), _) => terms,
        (None, Some(gid)) => {
            let stored = app
                .db
                .groupement(user.scope(), gid, nomenclature())
                .await?
                .ok_or_else(|| ConsultationError::Invalid("groupement introuvable".into()))?;
            Terms::for_groupement(&stored.groupement)
        }
        (None, None) => {
            return Err(ConsultationError::Invalid(
                "une consultation sans groupement demande ses termes".into(),
            ));
        }
    };
    let buyer_kind = match own.kind {
        OrganisationKind::State => BuyerKind::State,
        _ => BuyerKind::LocalAuthority,
    };
    let draft = Consultation::draft(reference.trim().to_owned(), own.siren, buyer_kind, terms);
    app.db
        .create_consultation(
            user.scope(),
            groupement_id,
            &draft,
            &user.email.to_string(),
            app.clock.now(),
        )
        .await
}

/// The action of `kind` at the clock's time (`reason` for declaring unsuccessful or
/// cancelling); `None` for an amendment, which carries its terms ([`amend`]).
pub fn action_now(app: &App, kind: ActionKind, reason: Option<String>) -> Option<Action> {
    let at = app.clock.now();
    let reason = reason.unwrap_or_default();
    Some(match kind {
        ActionKind::Amend => return None,
        ActionKind::Publish => Action::Publish {
            at,
            launched_on: paris_date(at),
        },
        ActionKind::Close => Action::Close { at },
        ActionKind::Open => Action::Open { at },
        ActionKind::StartAnalysis => Action::StartAnalysis,
        ActionKind::Award => Action::Award,
        ActionKind::DeclareUnsuccessful => Action::DeclareUnsuccessful { reason },
        ActionKind::Cancel => Action::Cancel { reason },
    })
}

/// Applies `action` to the consultation as the user, at the clock's time, if it is still at
/// `version`, under the rules file the project ships: the consultation as stored after it.
pub async fn apply(
    app: &App,
    user: &Principal,
    id: i64,
    version: i64,
    action: &Action,
) -> Result<StoredConsultation, ConsultationError> {
    app.db
        .apply_consultation_action(
            user.scope(),
            id,
            version,
            action,
            rule_book(),
            &user.email.to_string(),
            app.clock.now(),
            nomenclature(),
        )
        .await
}

/// Replaces the terms of a draft.
pub async fn amend(
    app: &App,
    user: &Principal,
    id: i64,
    version: i64,
    terms: Terms,
) -> Result<StoredConsultation, ConsultationError> {
    apply(app, user, id, version, &Action::Amend(terms)).await
}

/// The consultations the public sees, without an account (every one published), with the
/// names of their buyers by SIREN.
pub async fn public_consultations(
    app: &App,
) -> Result<(Vec<StoredConsultation>, HashMap<Siren, String>), AppError> {
    let list = app.db.public_consultations(nomenclature()).await?;
    let names = buyer_names(app, &list).await?;
    Ok((list, names))
}

/// One consultation the public sees, with its buyer's name; a draft or an unknown id is not
/// found.
pub async fn public_consultation(
    app: &App,
    id: i64,
) -> Result<(StoredConsultation, HashMap<Siren, String>), AppError> {
    let found = app
        .db
        .public_consultation(id, nomenclature())
        .await?
        .ok_or(AppError::NotFound)?;
    let names = buyer_names(app, std::slice::from_ref(&found)).await?;
    Ok((found, names))
}

/// The names of the buyers of `list`, by SIREN.
pub async fn buyer_names(
    app: &App,
    list: &[StoredConsultation],
) -> Result<HashMap<Siren, String>, AppError> {
    Ok(consultation_buyer_names(&app.db, list).await?)
}

/// [`buyer_names`] over a database, for the command line.
pub async fn consultation_buyer_names(
    db: &mutualis_storage::Database,
    list: &[StoredConsultation],
) -> Result<HashMap<Siren, String>, mutualis_storage::StorageError> {
    let sirens: Vec<Siren> = list.iter().map(|s| s.consultation.buyer.clone()).collect();
    Ok(db
        .organisations_by_sirens(&sirens)
        .await?
        .into_iter()
        .map(|(siren, record)| (siren, record.organisation.name))
        .collect())
}
