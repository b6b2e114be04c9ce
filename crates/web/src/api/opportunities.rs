//! The pooling opportunities the token's holder sees: the engine's report, or one
//! opportunity of it, for the question asked in the query string, answered in the published
//! opportunity JSON (`mutualis_formats::opportunity_json`, the command line's too).

use std::sync::Arc;

use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use mutualis_formats::opportunity_json::{Opportunity, OpportunityReport, UnknownCode};
use serde::Deserialize;

use super::bad_query;
use crate::AppState;
use crate::error::{ApiError, ApiErrorBody, ErrorCode, WebError};
use crate::session::ApiUser;
use mutualis_app::opportunities::{
    FieldError, RawQuestion, answer, list_question, question_for_prefix,
};

/// The question of the opportunity endpoints, as typed (text, so that a bad value is named).
#[derive(Debug, Default, Deserialize)]
pub struct OpportunityQuery {
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

/// A 400 naming the parameter.
fn bad_parameter(e: &FieldError) -> ApiError {
    ApiError(WebError::with_detail(
        ErrorCode::BadRequest,
        format!("{} : {}", e.field.api_name(), e.message),
    ))
}

/// A report the published JSON has no code for: a fault of the server, logged, never shown.
fn unpublishable(e: UnknownCode) -> ApiError {
    ApiError(WebError::internal(e))
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
        (status = 200, description = "Le rapport : paramètres, décomptes, exclusions et opportunités, la meilleure d'abord. Entre les organisations du territoire par défaut : le coordinateur voit toutes les opportunités ; un membre, celles dont son organisation fait partie (sur les contrats publiés du territoire et ses propres besoins)", body = OpportunityReport),
        (status = 400, description = "Paramètre invalide ; le message le nomme", body = ApiErrorBody),
        (status = 401, description = "Jeton absent, invalide ou révoqué", body = ApiErrorBody),
        (status = 403, description = "Rôle sans accès aux opportunités (valideur, évaluateur, fournisseur, médiateur)", body = ApiErrorBody),
    ))]
pub async fn opportunities(
    State(state): State<Arc<AppState>>,
    ApiUser(user): ApiUser,
    query: Result<Query<OpportunityQuery>, QueryRejection>,
) -> Result<Json<OpportunityReport>, ApiError> {
    let Query(query) = query.map_err(bad_query)?;
    let (question, errors) = list_question(&state, &query.raw());
    if let Some(e) = errors.first() {
        return Err(bad_parameter(e));
    }
    let report = answer(&state, &user, &question)
        .await?
        .map_err(|e| bad_parameter(&e))?;
    let json = OpportunityReport::try_from(&report).map_err(unpublishable)?;
    Ok(Json(json))
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
        (status = 200, description = "L'opportunité, avec ses membres, ses ajustements, l'effet de seuil, l'économie estimée et ses hypothèses, le score et ses raisons", body = Opportunity),
        (status = 400, description = "Paramètre invalide ; le message le nomme", body = ApiErrorBody),
        (status = 401, description = "Jeton absent, invalide ou révoqué", body = ApiErrorBody),
        (status = 403, description = "Rôle sans accès aux opportunités (valideur, évaluateur, fournisseur, médiateur)", body = ApiErrorBody),
        (status = 404, description = "Pas d'opportunité visible pour ce préfixe et ces paramètres", body = ApiErrorBody),
    ))]
pub async fn opportunity(
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
    let found = report
        .opportunities
        .iter()
        .find(|o| o.cpv.prefix == prefix)
        .ok_or_else(|| ApiError(WebError::not_found()))?;
    let json = Opportunity::try_from(found).map_err(unpublishable)?;
    Ok(Json(json))
}
