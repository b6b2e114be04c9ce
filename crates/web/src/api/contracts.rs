//! The contracts the token's holder sees (its organisation's; the territory's for a
//! coordinator), with their modifications applied, filtered as the contracts page filters.

use std::sync::Arc;

use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use mutualis_domain::Capability;
use mutualis_storage::contract_flags::StoredFlags;
use mutualis_storage::contracts::ContractRecord;
use serde::Serialize;
use utoipa::ToSchema;

use super::bad_query;
use crate::AppState;
use crate::error::{ApiError, ApiErrorBody, ErrorCode, WebError};
use crate::session::{ApiUser, require};
use mutualis_app::contracts::{
    FilterQuery, contract_flags, contracts_flags, visible_contract, visible_contracts,
};

/// A contract, with its modifications applied.
#[derive(Serialize, ToSchema)]
pub struct ContractJson {
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
    /// What the import changed in the published record to keep it; empty for a record
    /// imported as published.
    repairs: Vec<RepairJson>,
    /// What the plausibility checks found (placeholders, an implausible amount); empty when
    /// nothing. A flag with `excludes_amount` leaves the contract's amount out of the
    /// opportunities' figures.
    flags: Vec<FlagJson>,
    /// Why the contract counts as works though its CPV code does not say so, in French.
    works_reason: Option<String>,
    /// Its earlier publications (a DECP 1.x republication under a new id suffix or a new
    /// publication date), oldest first; this record is its newest.
    earlier_publications: Vec<PublicationJson>,
}

/// One thing the plausibility checks found wrong with a contract.
#[derive(Serialize, ToSchema)]
pub struct FlagJson {
    /// placeholder_amount, placeholder_operator or implausible_amount.
    kind: &'static str,
    /// suspect or aberrant.
    level: &'static str,
    /// Whether the amount is left out of the figures.
    excludes_amount: bool,
    /// What was seen and against what, in French.
    reason: String,
}

/// An earlier publication of a contract.
#[derive(Serialize, ToSchema)]
pub struct PublicationJson {
    /// The id it was published under.
    decp_id: String,
    published_on: Option<chrono::NaiveDate>,
}

/// One change the import made to a published record.
#[derive(Serialize, ToSchema)]
pub struct RepairJson {
    /// cpv_leading_zero, cpv_check_digit, cpv_hyphen_missing, cpv_dropped, legacy_procedure,
    /// legacy_nature, identifier_scheme, place_type_inferred, place_dropped, buyer_siret_key
    /// or label_spelling.
    kind: &'static str,
    /// The field as DECP names it (codeCPV, acheteur.id…).
    field: String,
    /// The value as published.
    published: String,
    /// The value kept; absent when the field was dropped.
    kept: Option<String>,
    /// The change and its reason, in French.
    message: String,
}

impl ContractJson {
    fn of(r: &ContractRecord, found: Option<&StoredFlags>) -> ContractJson {
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
            repairs: c
                .repairs
                .iter()
                .map(|r| RepairJson {
                    kind: r.kind.code(),
                    field: r.field.clone(),
                    published: r.published.clone(),
                    kept: r.kept.clone(),
                    message: r.note.clone(),
                })
                .collect(),
            flags: found
                .map(|f| {
                    f.flags
                        .iter()
                        .map(|flag| FlagJson {
                            kind: flag.kind.code(),
                            level: flag.level.code(),
                            excludes_amount: flag.excludes_amount(),
                            reason: flag.reason.clone(),
                        })
                        .collect()
                })
                .unwrap_or_default(),
            works_reason: found.and_then(|f| f.works.clone()),
            earlier_publications: r
                .earlier_versions
                .iter()
                .map(|v| PublicationJson {
                    decp_id: v.id.clone(),
                    published_on: v.published_on,
                })
                .collect(),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct ContractList {
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
pub async fn contracts(
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
    let found = contracts_flags(&state, &page.records).await?;
    Ok(Json(ContractList {
        total: page.total,
        page: filter.page + 1,
        per_page: filter.per_page,
        contracts: page
            .records
            .iter()
            .map(|r| ContractJson::of(r, found.get(&r.id)))
            .collect(),
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
pub async fn contract(
    State(state): State<Arc<AppState>>,
    ApiUser(user): ApiUser,
    Path(id): Path<String>,
) -> Result<Json<ContractJson>, ApiError> {
    require(&user, Capability::MemberData)?;
    let id: i64 = id.parse().map_err(|_| WebError::not_found())?;
    let Some(record) = visible_contract(&state, &user, id).await? else {
        return Err(ApiError(WebError::not_found()));
    };
    let found = contract_flags(&state, &record).await?;
    Ok(Json(ContractJson::of(&record, Some(&found))))
}
