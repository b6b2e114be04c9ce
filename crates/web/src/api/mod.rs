//! The JSON API under `/api/v1`, authenticated by personal tokens, described by the OpenAPI
//! document generated from these handlers (`/api/v1/openapi.json`).
//!
//! One module per capability (`account`, `organisations`, `contracts`, `opportunities`,
//! `campaigns`, `groupements`, `consultations`), each with its handlers and the wire types it answers: structs
//! of the API's own (deriving `ToSchema`), built from the domain's and storage's types, never
//! derived on them. The opportunity report's are `mutualis_formats::opportunity_json`, the
//! JSON the command line prints too. This module holds the router, the OpenAPI document, its
//! token scheme and the errors every capability answers.

mod account;
mod campaigns;
mod consultations;
mod contracts;
mod groupements;
mod opportunities;
mod organisations;

use std::sync::Arc;

use axum::extract::rejection::QueryRejection;
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use mutualis_formats::opportunity_json::{Opportunity, OpportunityReport};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::AppState;
use crate::error::{ApiError, ApiErrorBody, ErrorCode, WebError};

pub fn router() -> Router<Arc<AppState>> {
    Router::new()
        .route("/openapi.json", get(openapi))
        .route("/me", get(account::me))
        .route("/organisations", get(organisations::organisations))
        .route("/organisations/{id}", get(organisations::organisation))
        .route("/contracts", get(contracts::contracts))
        .route("/contracts/{id}", get(contracts::contract))
        .route("/opportunities", get(opportunities::opportunities))
        .route("/opportunities/{prefix}", get(opportunities::opportunity))
        .route("/campaigns", get(campaigns::campaigns))
        .route("/campaigns/{id}/needs", get(campaigns::needs))
        .route("/groupements", get(groupements::groupements))
        .route("/groupements/{id}", get(groupements::groupement))
        .route("/consultations", get(consultations::consultations))
        .route("/consultations/{id}", get(consultations::consultation))
        .route("/tokens", post(account::new_token))
        .route("/tokens/{id}", delete(account::revoke_token))
        .fallback(|| async { ApiError(WebError::not_found()) })
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Mutualis API",
        description = "API JSON de Mutualis, plateforme d'achats mutualisés. Authentification par jeton personnel (créé depuis la page « Mon compte ») : `Authorization: Bearer mtl_…`. Chaque jeton a les droits de son utilisateur : un membre ne voit que son organisation.",
        version = "1"
    ),
    paths(account::me, organisations::organisations, organisations::organisation, contracts::contracts, contracts::contract, opportunities::opportunities, opportunities::opportunity, campaigns::campaigns, campaigns::needs, groupements::groupements, groupements::groupement, consultations::consultations, consultations::consultation, account::new_token, account::revoke_token),
    components(schemas(ApiErrorBody, ErrorCode, account::Me, organisations::OrganisationJson, organisations::OrganisationList, contracts::ContractJson, contracts::RepairJson, contracts::FlagJson, contracts::PublicationJson, contracts::ContractList, OpportunityReport, Opportunity, campaigns::CampaignList, campaigns::CampaignJson, campaigns::InvitationJson, campaigns::ProgressJson, campaigns::NeedList, campaigns::NeedJson, groupements::GroupementList, groupements::GroupementSummaryJson, groupements::GroupementJson, groupements::CpvJson, groupements::GroupementStatusJson, groupements::MemberStatusJson, groupements::MemberJson, groupements::SignatureJson, groupements::DeliberationJson, groupements::QuantityJson, groupements::LotJson, groupements::LotNeedJson, groupements::LotAwardJson, groupements::AwardJson, groupements::AwardedLotJson, groupements::CostSharingJson, groupements::FixedShareJson, groupements::CancellationJson, groupements::GroupementContractJson, groupements::OwnJson, groupements::OwnNeedJson, groupements::OwnShareJson, consultations::ConsultationList, consultations::ConsultationJson, consultations::BuyerJson, consultations::LabelledJson, consultations::ConsultationLotJson, consultations::CriterionJson, consultations::SubCriterionJson, account::NewTokenRequest, account::CreatedToken)),
    modifiers(&BearerToken),
    tags((name = "compte", description = "Le titulaire du jeton"), (name = "organisations", description = "Organisations visibles"), (name = "contrats", description = "Contrats visibles (DECP importées ou saisies)"), (name = "opportunités", description = "Opportunités de mutualisation : contrats qui prennent fin et besoins qui commencent ensemble, chez plusieurs acheteurs"), (name = "campagnes", description = "Campagnes de recensement des besoins et besoins déclarés visibles"), (name = "groupements", description = "Groupements de commandes visibles : membres, lots, besoins, attributions et contrats créés"), (name = "consultations", description = "Consultations publiées, sans jeton : lots, critères d'attribution, date limite"))
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
