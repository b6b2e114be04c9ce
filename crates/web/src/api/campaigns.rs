//! The inventory campaigns in the JSON API: what `/campagnes` lists for the token's holder,
//! and the needs of one campaign it sees (its own; every member's for the coordinator's own
//! campaign). Read-only: needs are declared in the pages, by form or by workbook.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, State};
use chrono::NaiveDate;
use mutualis_reference::cpv::nomenclature;
use mutualis_storage::campaigns::{CampaignSummary, Invitation, StoredNeed};
use serde::Serialize;
use utoipa::ToSchema;

use crate::AppState;
use crate::error::{ApiError, ApiErrorBody, WebError};
use crate::session::ApiUser;
use mutualis_app::campaigns::{visible_campaigns, visible_needs};

/// An inventory campaign.
#[derive(Serialize, ToSchema)]
pub struct CampaignJson {
    id: i64,
    title: String,
    opens_on: NaiveDate,
    /// The last day members may answer (included).
    closes_on: NaiveDate,
    /// CPV prefixes the campaign covers ("9091", "30").
    cpv_families: Vec<String>,
    /// open or closed (closed by the coordinator).
    status: &'static str,
    /// Whether members may answer today: open, opened, closing date not passed (the
    /// server's local calendar day).
    takes_answers: bool,
    /// The token's organisation's invitation, when it is invited.
    invitation: Option<InvitationJson>,
    /// Who answered: for the coordinator's own campaigns only.
    progress: Option<ProgressJson>,
}

/// An organisation's invitation to a campaign.
#[derive(Serialize, ToSchema)]
pub struct InvitationJson {
    organisation_id: i64,
    invited_at: chrono::DateTime<chrono::Utc>,
    /// When the organisation sent its answer; null until then.
    answered_at: Option<chrono::DateTime<chrono::Utc>>,
}

/// How many members were invited and answered.
#[derive(Serialize, ToSchema)]
pub struct ProgressJson {
    invited: i64,
    answered: i64,
}

#[derive(Serialize, ToSchema)]
pub struct CampaignList {
    count: usize,
    campaigns: Vec<CampaignJson>,
}

fn invitation_json(i: &Invitation) -> InvitationJson {
    InvitationJson {
        organisation_id: i.organisation_id,
        invited_at: i.invited_at,
        answered_at: i.answered_at,
    }
}

impl CampaignJson {
    /// A campaign as the API gives it, on the day `today` (whether it takes answers then).
    fn new(s: &CampaignSummary, today: NaiveDate) -> CampaignJson {
        let c = &s.campaign;
        CampaignJson {
            id: c.id,
            title: c.title.clone(),
            opens_on: c.opens_on,
            closes_on: c.closes_on,
            cpv_families: c.cpv_families.clone(),
            status: c.status.code(),
            takes_answers: c.takes_answers_on(today),
            invitation: s.invitation.as_ref().map(invitation_json),
            progress: s.progress.map(|p| ProgressJson {
                invited: p.invited,
                answered: p.answered,
            }),
        }
    }
}

#[utoipa::path(get, path = "/api/v1/campaigns", tag = "campagnes", security(("token" = [])),
    responses(
        (status = 200, description = "Les campagnes de recensement que le jeton voit : celles de son organisation pour un coordinateur, celles auxquelles son organisation est invitée ; la date limite la plus lointaine d'abord", body = CampaignList),
        (status = 401, description = "Jeton absent, invalide ou révoqué", body = ApiErrorBody),
        (status = 403, description = "Rôle sans accès aux campagnes (valideur, évaluateur, fournisseur, médiateur)", body = ApiErrorBody),
    ))]
pub async fn campaigns(
    State(state): State<Arc<AppState>>,
    ApiUser(user): ApiUser,
) -> Result<Json<CampaignList>, ApiError> {
    let today = state.clock.today();
    let campaigns: Vec<CampaignJson> = visible_campaigns(&state, &user)
        .await?
        .iter()
        .map(|c| CampaignJson::new(c, today))
        .collect();
    Ok(Json(CampaignList {
        count: campaigns.len(),
        campaigns,
    }))
}

/// A need declared in a campaign.
#[derive(Serialize, ToSchema)]
pub struct NeedJson {
    id: i64,
    /// The declaring member.
    organisation_id: i64,
    organisation_name: String,
    siren: String,
    /// CPV code with its check digit.
    cpv: String,
    /// French label of the CPV code.
    cpv_label: String,
    description: String,
    /// Estimated amount per year, excluding VAT, in cents.
    annual_amount_cents: i64,
    /// Quantity per year in thousandths of the unit ("12,5 t": 12500).
    quantity_thousandths: Option<i64>,
    quantity_unit: Option<String>,
    desired_start: NaiveDate,
    /// The member's current contract for this need (its DECP id).
    current_contract: Option<String>,
    current_contract_ends_on: Option<NaiveDate>,
    social_requirements: Option<String>,
    environmental_requirements: Option<String>,
    /// disability_employers (L2113-12), insertion (L2113-13) or social_economy (L2113-15).
    reservation: Option<&'static str>,
    /// form or workbook.
    source: &'static str,
}

impl From<&StoredNeed> for NeedJson {
    fn from(s: &StoredNeed) -> NeedJson {
        let n = &s.need;
        NeedJson {
            id: s.id,
            organisation_id: s.organisation_id,
            organisation_name: s.organisation_name.clone(),
            siren: n.buyer.to_string(),
            cpv: n.cpv.to_string(),
            cpv_label: nomenclature()
                .entry(n.cpv)
                .map(|e| e.label_fr.clone())
                .unwrap_or_default(),
            description: n.description.clone(),
            annual_amount_cents: n.annual_amount.cents(),
            quantity_thousandths: n.quantity.as_ref().map(|q| q.thousandths),
            quantity_unit: n.quantity.as_ref().map(|q| q.unit.clone()),
            desired_start: n.desired_start,
            current_contract: n.current_contract.clone(),
            current_contract_ends_on: n.current_contract_ends_on,
            social_requirements: n.social_requirements.clone(),
            environmental_requirements: n.environmental_requirements.clone(),
            reservation: n.reservation.map(|r| r.code()),
            source: s.source.code(),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct NeedList {
    campaign_id: i64,
    count: usize,
    /// Annual amounts added up, in cents excluding VAT.
    annual_amount_cents: i64,
    needs: Vec<NeedJson>,
}

#[utoipa::path(get, path = "/api/v1/campaigns/{id}/needs", tag = "campagnes", security(("token" = [])),
    params(("id" = i64, Path, description = "Identifiant de la campagne")),
    responses(
        (status = 200, description = "Les besoins de la campagne que le jeton voit : ceux de son organisation ; ceux de tous les membres invités pour le coordinateur de la campagne", body = NeedList),
        (status = 401, description = "Jeton absent, invalide ou révoqué", body = ApiErrorBody),
        (status = 403, description = "Rôle sans accès aux campagnes (valideur, évaluateur, fournisseur, médiateur)", body = ApiErrorBody),
        (status = 404, description = "Inconnue, ou campagne à laquelle l'organisation du jeton n'est pas invitée", body = ApiErrorBody),
    ))]
pub async fn needs(
    State(state): State<Arc<AppState>>,
    ApiUser(user): ApiUser,
    Path(id): Path<String>,
) -> Result<Json<NeedList>, ApiError> {
    let id: i64 = id.parse().map_err(|_| WebError::not_found())?;
    let needs = visible_needs(&state, &user, id)
        .await?
        .ok_or_else(WebError::not_found)?;
    Ok(Json(NeedList {
        campaign_id: id,
        count: needs.len(),
        annual_amount_cents: needs.iter().map(|n| n.need.annual_amount.cents()).sum(),
        needs: needs.iter().map(Into::into).collect(),
    }))
}
