//! The JSON API under `/api/v1`, authenticated by personal tokens, described by the OpenAPI
//! document generated from these handlers (`/api/v1/openapi.json`).

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use chrono::Utc;
use mutualis_storage::organisations::OrganisationRecord;
use serde::{Deserialize, Serialize};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi, ToSchema};

use crate::AppState;
use crate::error::{ApiError, ApiErrorBody, ErrorCode, WebError};
use crate::pages::account::{check_token_name, create_token};
use crate::pages::organisations::visible_organisation;
use crate::session::{ApiJson, ApiUser};

pub fn router() -> Router<Arc<AppState>> {
    Router::new()
        .route("/openapi.json", get(openapi))
        .route("/me", get(me))
        .route("/organisations", get(organisations))
        .route("/organisations/{id}", get(organisation))
        .route("/tokens", post(new_token))
        .route("/tokens/{id}", delete(revoke_token))
        .fallback(|| async { ApiError(WebError::not_found()) })
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Mutualis API",
        description = "API JSON de Mutualis, plateforme d'achats mutualisés. Authentification par jeton personnel (créé depuis la page « Mon compte ») : `Authorization: Bearer mtl_…`. Chaque jeton a les droits de son utilisateur : un membre ne voit que son organisation.",
        version = "1"
    ),
    paths(me, organisations, organisation, new_token, revoke_token),
    components(schemas(ApiErrorBody, ErrorCode, Me, OrganisationJson, OrganisationList, NewTokenRequest, CreatedToken)),
    modifiers(&BearerToken),
    tags((name = "compte", description = "Le titulaire du jeton"), (name = "organisations", description = "Organisations visibles"))
)]
pub struct ApiDoc;

struct BearerToken;

impl Modify for BearerToken {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "token",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("Jeton personnel mtl_…"))
                    .build(),
            ),
        );
    }
}

async fn openapi() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}

/// The holder of the token.
#[derive(Serialize, ToSchema)]
struct Me {
    email: String,
    /// coordinator, member_buyer, approver, evaluator, supplier or mediator.
    role: String,
    organisation_id: i64,
    organisation_name: String,
}

#[utoipa::path(get, path = "/api/v1/me", tag = "compte", security(("token" = [])),
    responses(
        (status = 200, description = "Le titulaire du jeton", body = Me),
        (status = 401, description = "Jeton absent, invalide ou révoqué", body = ApiErrorBody),
    ))]
async fn me(ApiUser(user): ApiUser) -> Json<Me> {
    Json(Me {
        email: user.email.to_string(),
        role: user.role().code().to_owned(),
        organisation_id: user.organisation_id(),
        organisation_name: user.organisation_name.clone(),
    })
}

/// An organisation as the API publishes it.
#[derive(Serialize, ToSchema)]
struct OrganisationJson {
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
struct OrganisationList {
    count: usize,
    organisations: Vec<OrganisationJson>,
}

#[utoipa::path(get, path = "/api/v1/organisations", tag = "organisations", security(("token" = [])),
    responses(
        (status = 200, description = "Les organisations que le jeton voit : la sienne ; tout le territoire pour un coordinateur", body = OrganisationList),
        (status = 401, description = "Jeton absent, invalide ou révoqué", body = ApiErrorBody),
    ))]
async fn organisations(
    State(state): State<Arc<AppState>>,
    ApiUser(user): ApiUser,
) -> Result<Json<OrganisationList>, ApiError> {
    let scope = user.scope();
    let records = match scope.territory_wide() {
        Some(wide) => state.db.organisations_territory_wide(wide).await?,
        None => state.db.organisations_in_scope(scope).await?,
    };
    let organisations: Vec<OrganisationJson> = records.into_iter().map(Into::into).collect();
    Ok(Json(OrganisationList {
        count: organisations.len(),
        organisations,
    }))
}

#[utoipa::path(get, path = "/api/v1/organisations/{id}", tag = "organisations", security(("token" = [])),
    params(("id" = i64, Path, description = "Identifiant de l'organisation")),
    responses(
        (status = 200, description = "L'organisation", body = OrganisationJson),
        (status = 401, description = "Jeton absent, invalide ou révoqué", body = ApiErrorBody),
        (status = 404, description = "Inconnue, ou hors de la portée du jeton", body = ApiErrorBody),
    ))]
async fn organisation(
    State(state): State<Arc<AppState>>,
    ApiUser(user): ApiUser,
    Path(id): Path<String>,
) -> Result<Json<OrganisationJson>, ApiError> {
    let id: i64 = id.parse().map_err(|_| WebError::not_found())?;
    visible_organisation(&state, &user, id)
        .await?
        .map(|r| Json(r.into()))
        .ok_or_else(|| ApiError(WebError::not_found()))
}

#[derive(Deserialize, ToSchema)]
struct NewTokenRequest {
    /// What the token is for (1 to 100 characters).
    name: String,
}

/// A token just created: its secret is shown this once.
#[derive(Serialize, ToSchema)]
struct CreatedToken {
    id: i64,
    name: String,
    token: String,
}

#[utoipa::path(post, path = "/api/v1/tokens", tag = "compte", security(("token" = [])),
    request_body = NewTokenRequest,
    responses(
        (status = 201, description = "Jeton créé ; son secret n'est donné qu'ici", body = CreatedToken),
        (status = 400, description = "Corps JSON invalide ou nom manquant", body = ApiErrorBody),
        (status = 401, description = "Jeton absent, invalide ou révoqué", body = ApiErrorBody),
        (status = 413, description = "Corps trop volumineux", body = ApiErrorBody),
    ))]
async fn new_token(
    State(state): State<Arc<AppState>>,
    ApiUser(user): ApiUser,
    ApiJson(request): ApiJson<NewTokenRequest>,
) -> Result<Response, ApiError> {
    let name = check_token_name(&request.name).map_err(|message| {
        WebError::with_detail(ErrorCode::InvalidJson, format!("champ name : {message}"))
    })?;
    let (id, token) = create_token(&state, user.scope(), &name).await?;
    Ok((StatusCode::CREATED, Json(CreatedToken { id, name, token })).into_response())
}

#[utoipa::path(delete, path = "/api/v1/tokens/{id}", tag = "compte", security(("token" = [])),
    params(("id" = i64, Path, description = "Identifiant du jeton")),
    responses(
        (status = 204, description = "Jeton révoqué"),
        (status = 401, description = "Jeton absent, invalide ou révoqué", body = ApiErrorBody),
        (status = 404, description = "Aucun jeton actif de ce titulaire sous cet identifiant", body = ApiErrorBody),
    ))]
async fn revoke_token(
    State(state): State<Arc<AppState>>,
    ApiUser(user): ApiUser,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let id: i64 = id.parse().map_err(|_| WebError::not_found())?;
    if state
        .db
        .revoke_api_token(user.scope(), id, Utc::now())
        .await?
    {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError(WebError::not_found()))
    }
}
