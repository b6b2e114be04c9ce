//! Groupements de commandes in the JSON API, read-only: the groupements the token's holder
//! sees and one groupement with its members, lots, needs, awards and, after award, the
//! contracts the award created. Changes are made in the pages (`/groupements/{id}`).
//!
//! Who sees what is storage's decision (`groupements_for`, `groupement`), as for the pages:
//! the coordinator sees its organisation's groupements, a member's buyer those its
//! organisation is invited to, has joined or has withdrawn from; another groupement answers
//! 404 whatever its id; the roles without `Capability::Groupements` get 403. Contracts: every member's for the coordinator of the groupement, the
//! holder's organisation's own otherwise (storage filters, and so does this module, so that a
//! member never reads another member's amounts).
//!
//! The JSON it answers is in `json.rs`: wire types built field by field from the domain's
//! types (never derived on them), reading only the fields they publish.

mod json;

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, State};
use mutualis_domain::Capability;
use mutualis_storage::groupements::GroupementError;

pub use self::json::*;
use crate::AppState;
use crate::error::{ApiError, ApiErrorBody, WebError};
use crate::session::{ApiUser, require};

use mutualis_app::groupements::{self as use_cases, own_siren, owns};

fn groupement_error(e: GroupementError) -> ApiError {
    match e {
        GroupementError::NotFound => ApiError(WebError::not_found()),
        GroupementError::Storage(e) => e.into(),
        other => ApiError(WebError::internal(other)),
    }
}

#[utoipa::path(get, path = "/api/v1/groupements", tag = "groupements", security(("token" = [])),
    responses(
        (status = 200, description = "Les groupements de commandes que le jeton voit : ceux de son organisation pour un coordinateur, ceux auxquels son organisation est invitée ou a adhéré ; le dernier modifié d'abord", body = GroupementList),
        (status = 401, description = "Jeton absent, invalide ou révoqué", body = ApiErrorBody),
        (status = 403, description = "Rôle sans accès aux groupements (valideur, évaluateur, fournisseur, médiateur)", body = ApiErrorBody),
    ))]
pub async fn groupements(
    State(state): State<Arc<AppState>>,
    ApiUser(user): ApiUser,
) -> Result<Json<GroupementList>, ApiError> {
    require(&user, Capability::Groupements)?;
    let own = own_siren(&state, &user).await?;
    let stored = use_cases::visible_groupements(&state, &user).await?;
    let groupements: Vec<GroupementSummaryJson> = stored
        .iter()
        .map(|s| GroupementSummaryJson::new(s, &own))
        .collect();
    Ok(Json(GroupementList::new(groupements)))
}

#[utoipa::path(get, path = "/api/v1/groupements/{id}", tag = "groupements", security(("token" = [])),
    params(("id" = i64, Path, description = "Identifiant du groupement")),
    responses(
        (status = 200, description = "Le groupement : membres, lots et besoins, attributions ; après l'attribution, les contrats créés (tous pour le coordonnateur, ceux de l'organisation du jeton pour un membre)", body = GroupementJson),
        (status = 401, description = "Jeton absent, invalide ou révoqué", body = ApiErrorBody),
        (status = 403, description = "Rôle sans accès aux groupements (valideur, évaluateur, fournisseur, médiateur)", body = ApiErrorBody),
        (status = 404, description = "Inconnu, ou groupement dont l'organisation du jeton n'est pas membre", body = ApiErrorBody),
    ))]
pub async fn groupement(
    State(state): State<Arc<AppState>>,
    ApiUser(user): ApiUser,
    Path(id): Path<String>,
) -> Result<Json<GroupementJson>, ApiError> {
    require(&user, Capability::Groupements)?;
    let id: i64 = id.parse().map_err(|_| WebError::not_found())?;
    let stored = use_cases::visible_groupement(&state, &user, id).await?;
    let own = own_siren(&state, &user).await?;
    let owner = owns(&user, &stored);
    let contracts = use_cases::visible_contracts(&state, &user, &stored)
        .await
        .map_err(groupement_error)?;
    let supplier_names = use_cases::supplier_names(&state, &stored.groupement).await?;
    Ok(Json(GroupementJson::new(
        &stored,
        &own,
        owner,
        &contracts,
        state.clock.today(),
        &supplier_names,
    )))
}
