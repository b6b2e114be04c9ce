//! The JSON API under `/api/v1`, authenticated by personal tokens, described by the OpenAPI
//! document generated from these handlers (`/api/v1/openapi.json`).

use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use chrono::Utc;
use mutualis_storage::contracts::ContractRecord;
use mutualis_storage::organisations::OrganisationRecord;
use serde::{Deserialize, Serialize};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi, ToSchema};

use crate::AppState;
use crate::error::{ApiError, ApiErrorBody, ErrorCode, WebError};
use crate::pages::account::{check_token_name, create_token};
use crate::pages::contracts::{FilterQuery, visible_contract, visible_contracts};
use crate::pages::organisations::visible_organisation;
use crate::session::{ApiJson, ApiUser};

pub fn router() -> Router<Arc<AppState>> {
    Router::new()
        .route("/openapi.json", get(openapi))
        .route("/me", get(me))
        .route("/organisations", get(organisations))
        .route("/organisations/{id}", get(organisation))
        .route("/contracts", get(contracts))
        .route("/contracts/{id}", get(contract))
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
    paths(me, organisations, organisation, contracts, contract, new_token, revoke_token),
    components(schemas(ApiErrorBody, ErrorCode, Me, OrganisationJson, OrganisationList, ContractJson, ContractList, NewTokenRequest, CreatedToken)),
    modifiers(&BearerToken),
    tags((name = "compte", description = "Le titulaire du jeton"), (name = "organisations", description = "Organisations visibles"), (name = "contrats", description = "Contrats visibles (DECP importées ou saisies)"))
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

/// A contract, with its modifications applied.
#[derive(Serialize, ToSchema)]
struct ContractJson {
    id: i64,
    /// The buyer's own identifier (DECP id).
    decp_id: String,
    buyer_siret: String,
    buyer_organisation_id: i64,
    buyer_name: String,
    /// marche or concession.
    kind: &'static str,
    object: String,
    /// CPV code with its check digit.
    cpv: Option<String>,
    /// DECP 2.0 procedure, or the published label when it has no 2.0 equivalent.
    procedure: Option<String>,
    notified_on: Option<chrono::NaiveDate>,
    duration_months: Option<u32>,
    /// Start (or notification) plus the current duration.
    ends_on: Option<chrono::NaiveDate>,
    amount_cents: Option<i64>,
    /// After the modifications, in publication order.
    current_amount_cents: Option<i64>,
    modification_count: usize,
    /// Current titulaires' identifiers (SIRET for French firms).
    titulaires: Vec<String>,
    /// decp1, decp2 or mutualis.
    source: &'static str,
}

impl From<&ContractRecord> for ContractJson {
    fn from(r: &ContractRecord) -> ContractJson {
        let c = &r.contract;
        ContractJson {
            id: r.id,
            decp_id: c.id.clone(),
            buyer_siret: c.buyer.to_string(),
            buyer_organisation_id: r.organisation_id,
            buyer_name: r.organisation_name.clone(),
            kind: c.kind.code(),
            object: c.object.clone(),
            cpv: c.cpv.map(|code| code.to_string()),
            procedure: c.procedure.display().map(str::to_owned),
            notified_on: c.notified_on,
            duration_months: c.current_duration_months(),
            ends_on: c.end_date(),
            amount_cents: c.amount.map(|a| a.cents()),
            current_amount_cents: c.current_amount().map(|a| a.cents()),
            modification_count: c.modifications.len(),
            titulaires: c.current_operators().iter().map(|o| o.id.clone()).collect(),
            source: c.source.code(),
        }
    }
}

#[derive(Serialize, ToSchema)]
struct ContractList {
    total: i64,
    page: u32,
    per_page: u32,
    contracts: Vec<ContractJson>,
}

#[utoipa::path(get, path = "/api/v1/contracts", tag = "contrats", security(("token" = [])),
    params(
        ("membre" = Option<i64>, Query, description = "Organisation acheteuse (coordinateur seulement)"),
        ("cpv" = Option<String>, Query, description = "Début du code CPV, 2 à 8 chiffres"),
        ("procedure" = Option<String>, Query, description = "Procédure DECP 2.0"),
        ("fin_apres" = Option<String>, Query, description = "Fin à partir de (AAAA-MM-JJ)"),
        ("fin_avant" = Option<String>, Query, description = "Fin jusqu'au (AAAA-MM-JJ)"),
        ("montant_min" = Option<String>, Query, description = "Montant actuel minimal, euros HT"),
        ("montant_max" = Option<String>, Query, description = "Montant actuel maximal, euros HT"),
        ("tri" = Option<String>, Query, description = "fin (défaut), montant, acheteur ou objet"),
        ("page" = Option<u32>, Query, description = "Page, à partir de 1 (25 contrats par page)"),
    ),
    responses(
        (status = 200, description = "Les contrats que le jeton voit : ceux de son organisation ; tout le territoire pour un coordinateur", body = ContractList),
        (status = 400, description = "Filtre invalide ; le message nomme le champ", body = ApiErrorBody),
        (status = 401, description = "Jeton absent, invalide ou révoqué", body = ApiErrorBody),
    ))]
async fn contracts(
    State(state): State<Arc<AppState>>,
    ApiUser(user): ApiUser,
    Query(query): Query<FilterQuery>,
) -> Result<Json<ContractList>, ApiError> {
    let (filter, errors) = query.to_filter();
    if let Some(e) = errors.first() {
        return Err(ApiError(WebError::with_detail(
            ErrorCode::BadRequest,
            format!("{} : {}", e.field, e.message),
        )));
    }
    let page = visible_contracts(&state, &user, &filter).await?;
    Ok(Json(ContractList {
        total: page.total,
        page: filter.page + 1,
        per_page: filter.per_page,
        contracts: page.records.iter().map(Into::into).collect(),
    }))
}

#[utoipa::path(get, path = "/api/v1/contracts/{id}", tag = "contrats", security(("token" = [])),
    params(("id" = i64, Path, description = "Identifiant du contrat dans Mutualis")),
    responses(
        (status = 200, description = "Le contrat", body = ContractJson),
        (status = 401, description = "Jeton absent, invalide ou révoqué", body = ApiErrorBody),
        (status = 404, description = "Inconnu, ou hors de la portée du jeton", body = ApiErrorBody),
    ))]
async fn contract(
    State(state): State<Arc<AppState>>,
    ApiUser(user): ApiUser,
    Path(id): Path<String>,
) -> Result<Json<ContractJson>, ApiError> {
    let id: i64 = id.parse().map_err(|_| WebError::not_found())?;
    let record = visible_contract(&state, &user, id).await?;
    record
        .map(|r| Json((&r).into()))
        .ok_or_else(|| ApiError(WebError::not_found()))
}
