//! The token's holder (`/me`) and its personal API tokens: created (the secret shown once)
//! and revoked.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::AppState;
use crate::error::{ApiError, ApiErrorBody, ErrorCode, WebError};
use crate::session::{ApiJson, ApiUser};
use mutualis_app::accounts::{self, check_token_name};

/// The holder of the token.
#[derive(Serialize, ToSchema)]
pub struct Me {
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
pub async fn me(ApiUser(user): ApiUser) -> Json<Me> {
    Json(Me {
        email: user.email.to_string(),
        role: user.role().code().to_owned(),
        organisation_id: user.organisation_id(),
        organisation_name: user.organisation_name.clone(),
    })
}

#[derive(Deserialize, ToSchema)]
pub struct NewTokenRequest {
    /// What the token is for (1 to 100 characters).
    #[schema(min_length = 1, max_length = 100)]
    name: String,
}

/// A token just created: its secret is shown this once.
#[derive(Serialize, ToSchema)]
pub struct CreatedToken {
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
pub async fn new_token(
    State(state): State<Arc<AppState>>,
    ApiUser(user): ApiUser,
    ApiJson(request): ApiJson<NewTokenRequest>,
) -> Result<Response, ApiError> {
    let name = check_token_name(&request.name).map_err(|message| {
        WebError::with_detail(ErrorCode::InvalidJson, format!("champ name : {message}"))
    })?;
    let created = accounts::create_token(&state, user.scope(), &name)
        .await?
        .map_err(|message| WebError::with_detail(ErrorCode::BadRequest, message))?;
    Ok((
        StatusCode::CREATED,
        Json(CreatedToken {
            id: created.id,
            name: created.name,
            token: created.secret,
        }),
    )
        .into_response())
}

#[utoipa::path(delete, path = "/api/v1/tokens/{id}", tag = "compte", security(("token" = [])),
    params(("id" = i64, Path, description = "Identifiant du jeton")),
    responses(
        (status = 204, description = "Jeton révoqué"),
        (status = 401, description = "Jeton absent, invalide ou révoqué", body = ApiErrorBody),
        (status = 404, description = "Aucun jeton actif de ce titulaire sous cet identifiant", body = ApiErrorBody),
    ))]
pub async fn revoke_token(
    State(state): State<Arc<AppState>>,
    ApiUser(user): ApiUser,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let id: i64 = id.parse().map_err(|_| WebError::not_found())?;
    accounts::revoke_token(&state, user.scope(), id).await?;
    Ok(StatusCode::NO_CONTENT)
}
