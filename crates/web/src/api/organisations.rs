//! The organisations the token's holder sees: its own; the whole territory for a
//! coordinator.

use std::sync::Arc;

use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use mutualis_domain::Capability;
use mutualis_storage::organisations::OrganisationRecord;
use serde::Serialize;
use utoipa::ToSchema;

use super::bad_query;
use crate::AppState;
use crate::error::{ApiError, ApiErrorBody, ErrorCode, WebError};
use crate::session::{ApiUser, require};
use mutualis_app::organisations::{OrganisationQuery, visible_organisation, visible_organisations};

/// An organisation as the API publishes it.
#[derive(Serialize, ToSchema)]
pub struct OrganisationJson {
    id: i64,
    /// 9 digits, Luhn-checked.
    siren: String,
    name: String,
    /// metropole, commune, ccas, syndicate, public_establishment, department, region, state,
    /// company or other.
    kind: &'static str,
    insee_code: Option<String>,
    /// Municipal population (INSEE).
    population: Option<u32>,
    /// Known establishments, head office first.
    sirets: Vec<String>,
}

impl From<OrganisationRecord> for OrganisationJson {
    fn from(r: OrganisationRecord) -> OrganisationJson {
        OrganisationJson {
            id: r.id,
            siren: r.organisation.siren.to_string(),
            kind: r.organisation.kind.code(),
            sirets: r
                .organisation
                .establishments
                .iter()
                .map(ToString::to_string)
                .collect(),
            name: r.organisation.name,
            insee_code: r.organisation.insee_code,
            population: r.organisation.population,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct OrganisationList {
    /// The organisations in this answer.
    count: usize,
    /// The organisations that pass the filters, over every page.
    total: i64,
    /// The page answered, when one was asked.
    #[serde(skip_serializing_if = "Option::is_none")]
    page: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    per_page: Option<u32>,
    organisations: Vec<OrganisationJson>,
}

#[utoipa::path(get, path = "/api/v1/organisations", tag = "organisations", security(("token" = [])),
    params(
        ("nom" = Option<String>, Query, description = "Texte du nom, sans tenir compte des accents ni de la casse"),
        ("type" = Option<String>, Query, pattern = "^(metropole|commune|ccas|syndicate|public_establishment|department|region|state|company|other)?$", description = "Type : metropole, commune, ccas, syndicate, public_establishment, department, region, state, company ou other"),
        ("territoire" = Option<String>, Query, pattern = "^(membres|autres)?$", description = "membres (du territoire) ou autres ; les deux par défaut"),
        ("page" = Option<u32>, Query, minimum = 1, maximum = 1000000, description = "Page, de 1 à 1 000 000 (25 organisations par page) ; toutes les organisations sans ce paramètre ; une autre valeur est refusée (400)"),
    ),
    responses(
        (status = 200, description = "Les organisations que le jeton voit : la sienne ; tout le territoire pour un coordinateur", body = OrganisationList),
        (status = 400, description = "Paramètre répété, illisible ou hors limites ; le message le nomme", body = ApiErrorBody),
        (status = 401, description = "Jeton absent, invalide ou révoqué", body = ApiErrorBody),
        (status = 403, description = "Rôle sans accès aux données des membres (valideur, évaluateur, fournisseur, médiateur)", body = ApiErrorBody),
    ))]
pub async fn organisations(
    State(state): State<Arc<AppState>>,
    ApiUser(user): ApiUser,
    query: Result<Query<OrganisationQuery>, QueryRejection>,
) -> Result<Json<OrganisationList>, ApiError> {
    let Query(query) = query.map_err(bad_query)?;
    // Without `page`, every organisation, as the first version of this endpoint answered.
    let filter = query
        .filter(&state.territory_slug, !query.page.trim().is_empty())
        .map_err(|message| ApiError(WebError::with_detail(ErrorCode::BadRequest, message)))?;
    let page = visible_organisations(&state, &user, &filter).await?;
    let organisations: Vec<OrganisationJson> = page.records.into_iter().map(Into::into).collect();
    Ok(Json(OrganisationList {
        count: organisations.len(),
        total: page.total,
        page: filter.page.map(|(p, _)| p + 1),
        per_page: filter.page.map(|(_, n)| n),
        organisations,
    }))
}

#[utoipa::path(get, path = "/api/v1/organisations/{id}", tag = "organisations", security(("token" = [])),
    params(("id" = i64, Path, description = "Identifiant de l'organisation")),
    responses(
        (status = 200, description = "L'organisation", body = OrganisationJson),
        (status = 401, description = "Jeton absent, invalide ou révoqué", body = ApiErrorBody),
        (status = 403, description = "Rôle sans accès aux données des membres (valideur, évaluateur, fournisseur, médiateur)", body = ApiErrorBody),
        (status = 404, description = "Inconnue, ou hors de la portée du jeton", body = ApiErrorBody),
    ))]
pub async fn organisation(
    State(state): State<Arc<AppState>>,
    ApiUser(user): ApiUser,
    Path(id): Path<String>,
) -> Result<Json<OrganisationJson>, ApiError> {
    require(&user, Capability::MemberData)?;
    let id: i64 = id.parse().map_err(|_| WebError::not_found())?;
    visible_organisation(&state, &user, id)
        .await?
        .map(|r| Json(r.into()))
        .ok_or_else(|| ApiError(WebError::not_found()))
}
