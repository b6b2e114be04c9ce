//! The JSON API under `/api/v1`, authenticated by personal tokens, described by the OpenAPI
//! document generated from these handlers (`/api/v1/openapi.json`).

mod campaigns;
mod groupements;

use std::sync::Arc;

use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use mutualis_domain::Capability;
use mutualis_domain::opportunity::{Opportunity, Report};
use mutualis_storage::contracts::ContractRecord;
use mutualis_storage::organisations::OrganisationRecord;
use serde::{Deserialize, Serialize};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi, ToSchema};

use crate::AppState;
use crate::error::{ApiError, ApiErrorBody, ErrorCode, WebError};
use crate::session::{ApiJson, ApiUser, require};
use mutualis_app::accounts::{self, check_token_name};
use mutualis_app::contracts::{FilterQuery, visible_contract, visible_contracts};
use mutualis_app::opportunities::{
    FieldError, RawQuestion, answer, list_question, question_for_prefix,
};
use mutualis_app::organisations::{OrganisationQuery, visible_organisation, visible_organisations};

pub fn router() -> Router<Arc<AppState>> {
    Router::new()
        .route("/openapi.json", get(openapi))
        .route("/me", get(me))
        .route("/organisations", get(organisations))
        .route("/organisations/{id}", get(organisation))
        .route("/contracts", get(contracts))
        .route("/contracts/{id}", get(contract))
        .route("/opportunities", get(opportunities))
        .route("/opportunities/{prefix}", get(opportunity))
        .route("/campaigns", get(campaigns::campaigns))
        .route("/campaigns/{id}/needs", get(campaigns::needs))
        .route("/groupements", get(groupements::groupements))
        .route("/groupements/{id}", get(groupements::groupement))
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
    paths(me, organisations, organisation, contracts, contract, opportunities, opportunity, campaigns::campaigns, campaigns::needs, groupements::groupements, groupements::groupement, new_token, revoke_token),
    components(schemas(ApiErrorBody, ErrorCode, Me, OrganisationJson, OrganisationList, ContractJson, ContractList, OpportunityReportSchema, OpportunitySchema, campaigns::CampaignList, campaigns::CampaignJson, campaigns::InvitationJson, campaigns::ProgressJson, campaigns::NeedList, campaigns::NeedJson, groupements::GroupementList, groupements::GroupementSummaryJson, groupements::GroupementJson, groupements::CpvJson, groupements::GroupementStatusJson, groupements::MemberStatusJson, groupements::MemberJson, groupements::SignatureJson, groupements::DeliberationJson, groupements::QuantityJson, groupements::LotJson, groupements::LotNeedJson, groupements::LotAwardJson, groupements::AwardJson, groupements::AwardedLotJson, groupements::CostSharingJson, groupements::FixedShareJson, groupements::CancellationJson, groupements::GroupementContractJson, groupements::OwnJson, groupements::OwnNeedJson, groupements::OwnShareJson, NewTokenRequest, CreatedToken)),
    modifiers(&BearerToken),
    tags((name = "compte", description = "Le titulaire du jeton"), (name = "organisations", description = "Organisations visibles"), (name = "contrats", description = "Contrats visibles (DECP importées ou saisies)"), (name = "opportunités", description = "Opportunités de mutualisation : contrats qui prennent fin et besoins qui commencent ensemble, chez plusieurs acheteurs"), (name = "campagnes", description = "Campagnes de recensement des besoins et besoins déclarés visibles"), (name = "groupements", description = "Groupements de commandes visibles : membres, lots, besoins, attributions et contrats créés"))
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
async fn organisations(
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
async fn organisation(
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

#[derive(Deserialize, ToSchema)]
struct NewTokenRequest {
    /// What the token is for (1 to 100 characters).
    #[schema(min_length = 1, max_length = 100)]
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
async fn revoke_token(
    State(state): State<Arc<AppState>>,
    ApiUser(user): ApiUser,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let id: i64 = id.parse().map_err(|_| WebError::not_found())?;
    if state
        .db
        .revoke_api_token(user.scope(), id, state.clock.now())
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
        ("cpv" = Option<String>, Query, pattern = "^([0-9]{2,8})?$", description = "Début du code CPV, 2 à 8 chiffres"),
        ("procedure" = Option<String>, Query, pattern = "^(Procédure adaptée|Appel d'offres ouvert|Appel d'offres restreint|Procédure avec négociation|Marché passé sans publicité ni mise en concurrence préalable|Dialogue compétitif|Procédure négociée ouverte|Procédure non négociée ouverte|Procédure négociée restreinte|Procédure non négociée restreinte)?$", description = "Procédure DECP 2.0, son libellé exact"),
        ("fin_apres" = Option<String>, Query, description = "Fin à partir de (AAAA-MM-JJ ; JJ/MM/AAAA accepté)"),
        ("fin_avant" = Option<String>, Query, description = "Fin jusqu'au (AAAA-MM-JJ ; JJ/MM/AAAA accepté)"),
        ("montant_min" = Option<String>, Query, description = "Montant actuel minimal, euros HT, écrit comme en français : 12 500,50 ou 12500.5 (« 12.500 », ambigu, est refusé)"),
        ("montant_max" = Option<String>, Query, description = "Montant actuel maximal, euros HT, écrit comme en français : 12 500,50 ou 12500.5 (« 12.500 », ambigu, est refusé)"),
        ("tri" = Option<String>, Query, pattern = "^(fin|montant|acheteur|objet)?$", description = "fin (défaut), montant, acheteur ou objet"),
        ("page" = Option<u32>, Query, minimum = 1, maximum = 1000000, description = "Page, de 1 à 1 000 000 (25 contrats par page) ; une autre valeur est refusée (400)"),
    ),
    responses(
        (status = 200, description = "Les contrats que le jeton voit : ceux de son organisation ; tout le territoire pour un coordinateur", body = ContractList),
        (status = 400, description = "Filtre invalide ; le message nomme le champ", body = ApiErrorBody),
        (status = 401, description = "Jeton absent, invalide ou révoqué", body = ApiErrorBody),
        (status = 403, description = "Rôle sans accès aux données des membres (valideur, évaluateur, fournisseur, médiateur)", body = ApiErrorBody),
    ))]
async fn contracts(
    State(state): State<Arc<AppState>>,
    ApiUser(user): ApiUser,
    query: Result<Query<FilterQuery>, QueryRejection>,
) -> Result<Json<ContractList>, ApiError> {
    require(&user, Capability::MemberData)?;
    let Query(query) = query.map_err(bad_query)?;
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
        (status = 403, description = "Rôle sans accès aux données des membres (valideur, évaluateur, fournisseur, médiateur)", body = ApiErrorBody),
        (status = 404, description = "Inconnu, ou hors de la portée du jeton", body = ApiErrorBody),
    ))]
async fn contract(
    State(state): State<Arc<AppState>>,
    ApiUser(user): ApiUser,
    Path(id): Path<String>,
) -> Result<Json<ContractJson>, ApiError> {
    require(&user, Capability::MemberData)?;
    let id: i64 = id.parse().map_err(|_| WebError::not_found())?;
    let record = visible_contract(&state, &user, id).await?;
    record
        .map(|r| Json((&r).into()))
        .ok_or_else(|| ApiError(WebError::not_found()))
}

/// The question of the opportunity endpoints, as typed (text, so that a bad value is named).
#[derive(Debug, Default, Deserialize)]
struct OpportunityQuery {
    #[serde(default)]
    as_of: String,
    #[serde(default)]
    depth: String,
    #[serde(default)]
    window_months: String,
    #[serde(default)]
    min_buyers: String,
    #[serde(default)]
    family: String,
    #[serde(default)]
    cpv: String,
    #[serde(default)]
    perimeter: String,
}

impl OpportunityQuery {
    fn raw(&self) -> RawQuestion<'_> {
        RawQuestion {
            date: &self.as_of,
            depth: &self.depth,
            window: &self.window_months,
            min_buyers: &self.min_buyers,
            family: &self.family,
            cpv: &self.cpv,
            perimeter: &self.perimeter,
        }
    }
}

/// A query string that does not parse (a parameter given twice, say).
fn bad_query(rejection: QueryRejection) -> ApiError {
    // axum names the parameter ("Failed to deserialize query string: duplicate field `page`").
    let text = rejection.body_text();
    let detail = text.rsplit_once(": ").map_or(text.as_str(), |(_, d)| d);
    ApiError(WebError::with_detail(
        ErrorCode::BadRequest,
        format!(
            "{} ({detail})",
            mutualis_app::opportunities::UNREADABLE_QUERY
        ),
    ))
}

/// A 400 naming the parameter.
fn bad_parameter(e: &FieldError) -> ApiError {
    ApiError(WebError::with_detail(
        ErrorCode::BadRequest,
        format!("{} : {}", e.field.api_name(), e.message),
    ))
}

#[utoipa::path(get, path = "/api/v1/opportunities", tag = "opportunités", security(("token" = [])),
    params(
        ("as_of" = Option<String>, Query, description = "Date d'observation (AAAA-MM-JJ ; JJ/MM/AAAA accepté) ; aujourd'hui par défaut"),
        ("depth" = Option<String>, Query, pattern = "^(division|groupe|group|classe|class|categorie|catégorie|category)?$", description = "Regroupement CPV : division (2 chiffres), group (3), class (4, défaut) ou category (5) ; les noms français division, groupe, classe, categorie sont acceptés"),
        ("window_months" = Option<u32>, Query, minimum = 1, maximum = 120, description = "Fenêtre commune en mois après la date d'observation, de 1 à 120 (18 par défaut)"),
        ("min_buyers" = Option<u32>, Query, minimum = 2, maximum = 100, description = "Nombre minimal d'acheteurs distincts, de 2 (défaut) à 100"),
        ("family" = Option<String>, Query, description = "Ne garder qu'une famille d'achats (energy, cleaning, insurance…, other)"),
        ("cpv" = Option<String>, Query, pattern = "^([0-9]{2,8})?$", description = "Ne garder que les familles CPV qui contiennent ce début de code (2 à 8 chiffres) ou y sont contenues"),
        ("perimeter" = Option<String>, Query, pattern = "^(territory|territoire|all|tous)?$", description = "Acheteurs pris en compte : territory (les organisations du territoire : la métropole et ses communes membres, par défaut) ou all (tous les acheteurs des contrats publiés, réservé au coordinateur)"),
    ),
    responses(
        (status = 200, description = "Le rapport : paramètres, décomptes, exclusions et opportunités, la meilleure d'abord. Entre les organisations du territoire par défaut : le coordinateur voit toutes les opportunités ; un membre, celles dont son organisation fait partie (sur les contrats publiés du territoire et ses propres besoins)", body = OpportunityReportSchema),
        (status = 400, description = "Paramètre invalide ; le message le nomme", body = ApiErrorBody),
        (status = 401, description = "Jeton absent, invalide ou révoqué", body = ApiErrorBody),
        (status = 403, description = "Rôle sans accès aux opportunités (valideur, évaluateur, fournisseur, médiateur)", body = ApiErrorBody),
    ))]
async fn opportunities(
    State(state): State<Arc<AppState>>,
    ApiUser(user): ApiUser,
    query: Result<Query<OpportunityQuery>, QueryRejection>,
) -> Result<Json<Report>, ApiError> {
    let Query(query) = query.map_err(bad_query)?;
    let (question, errors) = list_question(&state, &query.raw());
    if let Some(e) = errors.first() {
        return Err(bad_parameter(e));
    }
    let report = answer(&state, &user, &question)
        .await?
        .map_err(|e| bad_parameter(&e))?;
    Ok(Json(report))
}

#[utoipa::path(get, path = "/api/v1/opportunities/{prefix}", tag = "opportunités", security(("token" = [])),
    params(
        ("prefix" = String, Path, description = "Chiffres significatifs de la famille CPV (2 à 5), par exemple 9091"),
        ("as_of" = Option<String>, Query, description = "Date d'observation (AAAA-MM-JJ ; JJ/MM/AAAA accepté) ; aujourd'hui par défaut"),
        ("depth" = Option<String>, Query, pattern = "^(division|groupe|group|classe|class|categorie|catégorie|category)?$", description = "Regroupement CPV ; par défaut, celui de la longueur du préfixe"),
        ("window_months" = Option<u32>, Query, minimum = 1, maximum = 120, description = "Fenêtre commune en mois, de 1 à 120 (18 par défaut)"),
        ("min_buyers" = Option<u32>, Query, minimum = 2, maximum = 100, description = "Nombre minimal d'acheteurs distincts, de 2 (défaut) à 100"),
        ("perimeter" = Option<String>, Query, pattern = "^(territory|territoire|all|tous)?$", description = "Acheteurs pris en compte : territory (les organisations du territoire : la métropole et ses communes membres, par défaut) ou all (tous les acheteurs des contrats publiés, réservé au coordinateur)"),
    ),
    responses(
        (status = 200, description = "L'opportunité, avec ses membres, ses ajustements, l'effet de seuil, l'économie estimée et ses hypothèses, le score et ses raisons", body = OpportunitySchema),
        (status = 400, description = "Paramètre invalide ; le message le nomme", body = ApiErrorBody),
        (status = 401, description = "Jeton absent, invalide ou révoqué", body = ApiErrorBody),
        (status = 403, description = "Rôle sans accès aux opportunités (valideur, évaluateur, fournisseur, médiateur)", body = ApiErrorBody),
        (status = 404, description = "Pas d'opportunité visible pour ce préfixe et ces paramètres", body = ApiErrorBody),
    ))]
async fn opportunity(
    State(state): State<Arc<AppState>>,
    ApiUser(user): ApiUser,
    Path(prefix): Path<String>,
    query: Result<Query<OpportunityQuery>, QueryRejection>,
) -> Result<Json<Opportunity>, ApiError> {
    let Query(query) = query.map_err(bad_query)?;
    let Some((question, errors)) =
        question_for_prefix(&prefix, &query.raw(), state.opportunities_as_of())
    else {
        return Err(ApiError(WebError::not_found()));
    };
    if let Some(e) = errors.first() {
        return Err(bad_parameter(e));
    }
    let report = answer(&state, &user, &question)
        .await?
        .map_err(|e| bad_parameter(&e))?;
    report
        .opportunities
        .into_iter()
        .find(|o| o.cpv.prefix == prefix)
        .map(Json)
        .ok_or_else(|| ApiError(WebError::not_found()))
}

/// The OpenAPI description of the engine's report. The domain types do not know utoipa, so
/// their JSON is described here by hand; a test checks every property described against a
/// real answer.
mod opportunity_schema {
    use utoipa::openapi::schema::{
        ArrayBuilder, KnownFormat, ObjectBuilder, Schema, SchemaFormat, SchemaType, Type,
    };
    use utoipa::openapi::{Ref, RefOr};

    fn typed(t: Type, description: &str) -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(t)
            .description(Some(description))
            .into()
    }

    pub fn int(description: &str) -> RefOr<Schema> {
        typed(Type::Integer, description)
    }

    pub fn cents(description: &str) -> RefOr<Schema> {
        typed(
            Type::Integer,
            &format!("{description}, en centimes d'euro HT"),
        )
    }

    pub fn nullable_int(description: &str) -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(SchemaType::from_iter([Type::Integer, Type::Null]))
            .description(Some(description))
            .into()
    }

    pub fn number(description: &str) -> RefOr<Schema> {
        typed(Type::Number, description)
    }

    pub fn boolean(description: &str) -> RefOr<Schema> {
        typed(Type::Boolean, description)
    }

    pub fn string(description: &str) -> RefOr<Schema> {
        typed(Type::String, description)
    }

    pub fn nullable_string(description: &str) -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(SchemaType::from_iter([Type::String, Type::Null]))
            .description(Some(description))
            .into()
    }

    pub fn date(description: &str) -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::Date)))
            .description(Some(description))
            .into()
    }

    pub fn one_of(values: &[&str], description: &str) -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .enum_values(Some(values.iter().copied()))
            .description(Some(description))
            .into()
    }

    pub fn array(items: RefOr<Schema>, description: &str) -> RefOr<Schema> {
        ArrayBuilder::new()
            .items(items)
            .description(Some(description))
            .into()
    }

    pub fn reference(name: &str) -> RefOr<Schema> {
        RefOr::Ref(Ref::from_schema_name(name))
    }

    /// An object whose every property is present (nullable ones as `null`).
    pub fn object(description: &str, properties: Vec<(&str, RefOr<Schema>)>) -> RefOr<Schema> {
        let mut builder = ObjectBuilder::new()
            .schema_type(Type::Object)
            .description(Some(description));
        for (name, schema) in properties {
            builder = builder.property(name, schema).required(name);
        }
        builder.into()
    }

    fn procedure_choice() -> Vec<(&'static str, RefOr<Schema>)> {
        vec![
            (
                "estimated_cents",
                cents("Montant estimé sur la durée proposée (R2121-1)"),
            ),
            (
                "procedure",
                one_of(&["no_publicity", "adapted", "formal"], "Procédure requise"),
            ),
            ("label", string("Libellé français de la procédure")),
            (
                "rules",
                array(
                    object(
                        "Seuil appliqué",
                        vec![
                            (
                                "rule_id",
                                string("Identifiant de la règle (data/rules/rules.toml)"),
                            ),
                            ("value_cents", cents("Seuil")),
                            ("source", string("Source juridique")),
                        ],
                    ),
                    "Seuils appliqués, avec leur règle et leur source juridique",
                ),
            ),
            ("explanation", string("Explication en français")),
        ]
    }

    pub fn opportunity() -> RefOr<Schema> {
        let contract = object(
            "Contrat en cours d'un membre",
            vec![
                ("id", string("Identifiant DECP du contrat")),
                (
                    "record_id",
                    nullable_int(
                        "Identifiant dans Mutualis (GET /api/v1/contracts/{id}), s'il est enregistré",
                    ),
                ),
                ("object", string("Objet")),
                ("cpv", string("Code CPV")),
                ("ends_on", date("Fin, modifications comprises")),
                (
                    "amount_cents",
                    nullable_int("Montant après modifications, en centimes"),
                ),
                (
                    "duration_months",
                    nullable_int("Durée après modifications, en mois"),
                ),
                ("annual_amount_cents", cents("Montant annualisé")),
            ],
        );
        let need = object(
            "Besoin déclaré par un membre lors d'un recensement",
            vec![
                ("description", string("Description")),
                ("cpv", string("Code CPV")),
                ("desired_start", date("Début souhaité")),
                ("annual_amount_cents", cents("Montant annuel estimé")),
                (
                    "current_contract",
                    nullable_string("Contrat que le besoin renouvelle"),
                ),
            ],
        );
        let buyer = object(
            "Membre de l'opportunité",
            vec![
                ("siren", string("SIREN")),
                ("name", string("Nom")),
                (
                    "kind",
                    one_of(
                        &["local_authority", "state"],
                        "Seuils applicables : collectivité ou État",
                    ),
                ),
                ("annual_amount_cents", cents("Montant annuel du membre")),
                (
                    "contracts",
                    array(contract, "Contrats qui prennent fin dans la fenêtre"),
                ),
                (
                    "needs",
                    array(need, "Besoins qui commencent dans la fenêtre"),
                ),
            ],
        );
        let bridging = object(
            "Ajustement d'un contrat ou d'un besoin au début commun",
            vec![
                ("siren", string("SIREN du membre")),
                ("name", string("Nom du membre")),
                ("item", one_of(&["contract", "need"], "Contrat ou besoin")),
                (
                    "reference",
                    string("Identifiant du contrat ou description du besoin"),
                ),
                ("date", date("Fin du contrat ou début souhaité du besoin")),
                (
                    "months",
                    int("Mois à prolonger ou décaler (positif), à raccourcir ou avancer (négatif)"),
                ),
                (
                    "action",
                    one_of(&["extend", "shorten", "none"], "Ajustement"),
                ),
            ],
        );
        let mut alone = vec![("siren", string("SIREN")), ("name", string("Nom"))];
        alone.extend(
            procedure_choice()
                .into_iter()
                .filter(|(name, _)| *name != "explanation"),
        );
        object(
            "Une opportunité de mutualisation, qui s'explique elle-même",
            vec![
                (
                    "cpv",
                    object(
                        "Famille CPV regroupée",
                        vec![
                            ("code", string("Code CPV du nœud, par exemple 90910000-9")),
                            ("prefix", string("Chiffres significatifs, par exemple 9091")),
                            ("label", string("Libellé français")),
                            (
                                "depth",
                                one_of(
                                    &["division", "group", "class", "category", "finer"],
                                    "Profondeur",
                                ),
                            ),
                        ],
                    ),
                ),
                (
                    "nature",
                    one_of(
                        &["works", "supplies_services"],
                        "Travaux, ou fournitures et services",
                    ),
                ),
                (
                    "family",
                    object(
                        "Famille d'achats (paramètres de mutualisation)",
                        vec![
                            ("id", string("Identifiant")),
                            ("label", string("Libellé")),
                            ("weight", number("Poids, de 0 (peu mutualisable) à 1")),
                        ],
                    ),
                ),
                (
                    "buyers",
                    array(buyer, "Membres, le plus gros montant d'abord"),
                ),
                ("annual_amount_cents", cents("Montant annuel cumulé")),
                (
                    "proposed_duration_months",
                    int("Durée proposée du marché commun, en mois"),
                ),
                (
                    "total_amount_cents",
                    cents("Montant cumulé sur la durée proposée"),
                ),
                ("proposed_start", date("Début commun proposé")),
                (
                    "bridging",
                    array(bridging, "Ajustements de chaque contrat et besoin"),
                ),
                (
                    "procedure",
                    object(
                        "Effet de seuil : procédure de chacun seul et de tous ensemble",
                        vec![
                            (
                                "launch_on",
                                date("Lancement de la procédure commune (règles de cette date)"),
                            ),
                            (
                                "alone",
                                array(
                                    object("Procédure d'un membre seul", alone),
                                    "Chaque membre seul",
                                ),
                            ),
                            (
                                "pooled",
                                object("Procédure du marché commun", procedure_choice()),
                            ),
                            (
                                "threshold_crossed",
                                boolean("La mutualisation fait franchir un seuil"),
                            ),
                        ],
                    ),
                ),
                (
                    "savings",
                    object(
                        "Économie estimée par an, avec ses hypothèses",
                        vec![
                            ("low_cents", cents("Bas de la fourchette, par an")),
                            ("high_cents", cents("Haut de la fourchette, par an")),
                            ("low_percent", int("Taux bas, en %")),
                            ("high_percent", int("Taux haut, en %")),
                            ("source", string("Source des taux")),
                            (
                                "assumptions",
                                array(string("Hypothèse"), "Hypothèses, en français"),
                            ),
                        ],
                    ),
                ),
                ("score", int("Score de 0 à 100")),
                (
                    "score_factors",
                    object(
                        "Facteurs du score, de 0 à 1, avant le poids de la famille",
                        vec![
                            ("amount", number("Montant annuel cumulé")),
                            ("buyers", number("Nombre d'acheteurs")),
                            ("alignment", number("Alignement des dates")),
                        ],
                    ),
                ),
                (
                    "reasons",
                    array(
                        string("Raison"),
                        "Pourquoi elle est là et à ce rang, en français",
                    ),
                ),
            ],
        )
    }

    pub fn report() -> RefOr<Schema> {
        object(
            "Rapport du moteur d'opportunités",
            vec![
                ("as_of", date("Date d'observation")),
                (
                    "depth",
                    one_of(
                        &["division", "group", "class", "category"],
                        "Regroupement CPV",
                    ),
                ),
                ("window_months", int("Fenêtre, en mois")),
                ("window_end", date("Dernier jour de la fenêtre")),
                ("min_buyers", int("Nombre minimal d'acheteurs")),
                (
                    "counts",
                    object(
                        "Contrats et besoins examinés, et pourquoi certains ne comptent pas",
                        vec![
                            ("contracts", int("Contrats publiés lus")),
                            ("needs", int("Besoins déclarés lus")),
                            (
                                "contracts_in_window",
                                int(
                                    "Contrats dans la fenêtre, avec un code CPV, pas déjà mutualisés",
                                ),
                            ),
                            ("needs_in_window", int("Besoins dans la fenêtre")),
                            ("without_cpv", int("Contrats sans code CPV")),
                            ("without_end_date", int("Contrats sans date de fin")),
                            ("outside_window", int("Contrats hors fenêtre")),
                            (
                                "renewed_by_need",
                                int("Contrats remplacés par un besoin qui les renouvelle"),
                            ),
                        ],
                    ),
                ),
                (
                    "excluded",
                    array(
                        object(
                            "Contrats déjà mutualisés, écartés",
                            vec![
                                (
                                    "reason",
                                    one_of(&["central_purchasing", "groupement"], "Motif"),
                                ),
                                ("body", nullable_string("Centrale d'achat")),
                                ("contracts", int("Nombre de contrats")),
                                ("explanation", string("Explication en français")),
                            ],
                        ),
                        "Exclusions",
                    ),
                ),
                (
                    "opportunities",
                    array(
                        reference("Opportunity"),
                        "Opportunités, la meilleure d'abord",
                    ),
                ),
            ],
        )
    }
}

/// The engine's report (`mutualis_domain::opportunity::Report`), described for OpenAPI.
struct OpportunityReportSchema;

impl utoipa::PartialSchema for OpportunityReportSchema {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        opportunity_schema::report()
    }
}

impl ToSchema for OpportunityReportSchema {
    fn name() -> std::borrow::Cow<'static, str> {
        "OpportunityReport".into()
    }
}

/// One opportunity (`mutualis_domain::opportunity::Opportunity`), described for OpenAPI.
struct OpportunitySchema;

impl utoipa::PartialSchema for OpportunitySchema {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        opportunity_schema::opportunity()
    }
}

impl ToSchema for OpportunitySchema {
    fn name() -> std::borrow::Cow<'static, str> {
        "Opportunity".into()
    }
}
