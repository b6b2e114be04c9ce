//! Consultations in the JSON API, public and read-only: every consultation published (a draft
//! is the buyer's alone), without a token, as a bidder finds them; deadlines in UTC and in
//! Europe/Paris. A draft or an unknown id answers 404.

use std::collections::HashMap;
use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, State};
use chrono::{DateTime, NaiveDate, Utc};
use mutualis_app::consultations::{self as use_cases, paris};
use mutualis_domain::Siren;
use mutualis_domain::consultation::Consultation;
use mutualis_storage::consultations::StoredConsultation;
use serde::Serialize;
use utoipa::ToSchema;

use super::groupements::{CpvJson, cpv_json};
use crate::AppState;
use crate::error::{ApiError, ApiErrorBody, WebError};

/// A code with its French label.
#[derive(Serialize, ToSchema)]
pub struct LabelledJson {
    code: String,
    label: String,
}

/// The buyer: a groupement's coordinator, for a joint consultation.
#[derive(Serialize, ToSchema)]
pub struct BuyerJson {
    siren: String,
    /// As Mutualis knows it (absent if unknown).
    name: Option<String>,
}

/// One lot.
#[derive(Serialize, ToSchema)]
pub struct ConsultationLotJson {
    number: u32,
    title: String,
    /// Estimated amount excluding VAT, in cents, over the whole duration.
    estimated_cents: i64,
}

/// A sub-criterion and its weight (the weights of a criterion's sub-criteria sum to its own).
#[derive(Serialize, ToSchema)]
pub struct SubCriterionJson {
    name: String,
    weight: u32,
    environmental: bool,
}

/// An award criterion and its weight (the weights sum to 100).
#[derive(Serialize, ToSchema)]
pub struct CriterionJson {
    /// price, global_cost, technical, environmental, social or delay.
    kind: String,
    name: String,
    weight: u32,
    sub_criteria: Vec<SubCriterionJson>,
}

/// A published consultation.
#[derive(Serialize, ToSchema)]
pub struct ConsultationJson {
    id: i64,
    /// The buyer's reference, quoted on every deposit.
    reference: String,
    buyer: BuyerJson,
    /// The groupement it was launched for, if any.
    groupement_id: Option<i64>,
    title: String,
    object: String,
    /// published, closed, opened, in_analysis, awarded, unsuccessful or cancelled.
    status: LabelledJson,
    /// works or supplies_and_services.
    nature: LabelledJson,
    /// With its check digit and its French label.
    cpv: Option<CpvJson>,
    /// The deadline for bids, in UTC.
    deadline: Option<DateTime<Utc>>,
    /// The same instant in Europe/Paris, as shown on the deposit pages.
    deadline_paris: Option<String>,
    published_at: Option<DateTime<Utc>>,
    /// The day of publication in Europe/Paris, whose rules apply.
    launched_on: Option<NaiveDate>,
    /// The procedure fixed at publication.
    procedure: Option<LabelledJson>,
    /// The sum of the lots' estimates, in cents.
    estimated_cents: Option<i64>,
    lots: Vec<ConsultationLotJson>,
    criteria: Vec<CriterionJson>,
}

/// The published consultations.
#[derive(Serialize, ToSchema)]
pub struct ConsultationList {
    count: usize,
    consultations: Vec<ConsultationJson>,
}

fn consultation_json(s: &StoredConsultation, names: &HashMap<Siren, String>) -> ConsultationJson {
    let c: &Consultation = &s.consultation;
    let t = &c.terms;
    ConsultationJson {
        id: s.id,
        reference: c.reference.clone(),
        buyer: BuyerJson {
            siren: c.buyer.to_string(),
            name: names.get(&c.buyer).cloned(),
        },
        groupement_id: s.groupement_id,
        title: t.title.clone(),
        object: t.object.clone(),
        status: LabelledJson {
            code: c.status.code().into(),
            label: c.status.label_fr().into(),
        },
        nature: LabelledJson {
            code: t.nature.code().into(),
            label: t.nature.label().into(),
        },
        cpv: t.cpv.map(cpv_json),
        deadline: t.deadline,
        deadline_paris: t.deadline.map(|d| paris(d).to_rfc3339()),
        published_at: c.published_at,
        launched_on: c.launched_on,
        procedure: c.procedure.as_ref().map(|p| LabelledJson {
            code: p.procedure.code().into(),
            label: p.procedure.label().into(),
        }),
        estimated_cents: c.estimated().map(|a| a.cents()),
        lots: t
            .lots
            .iter()
            .map(|l| ConsultationLotJson {
                number: l.number,
                title: l.title.clone(),
                estimated_cents: l.estimated.cents(),
            })
            .collect(),
        criteria: t
            .criteria
            .0
            .iter()
            .map(|k| CriterionJson {
                kind: k.kind.code().into(),
                name: k.name.clone(),
                weight: k.weight,
                sub_criteria: k
                    .sub_criteria
                    .iter()
                    .map(|sub| SubCriterionJson {
                        name: sub.name.clone(),
                        weight: sub.weight,
                        environmental: sub.environmental,
                    })
                    .collect(),
            })
            .collect(),
    }
}

#[utoipa::path(get, path = "/api/v1/consultations", tag = "consultations",
    responses(
        (status = 200, description = "Les consultations publiées (sans jeton) : référence, acheteur, lots, critères, date limite en UTC et à l'heure de Paris ; la dernière modifiée d'abord", body = ConsultationList),
    ))]
pub async fn consultations(
    State(state): State<Arc<AppState>>,
) -> Result<Json<ConsultationList>, ApiError> {
    let (list, names) = use_cases::public_consultations(&state).await?;
    let consultations: Vec<ConsultationJson> =
        list.iter().map(|s| consultation_json(s, &names)).collect();
    Ok(Json(ConsultationList {
        count: consultations.len(),
        consultations,
    }))
}

#[utoipa::path(get, path = "/api/v1/consultations/{id}", tag = "consultations",
    params(("id" = i64, Path, description = "Identifiant de la consultation")),
    responses(
        (status = 200, description = "Une consultation publiée (sans jeton)", body = ConsultationJson),
        (status = 404, description = "Inconnue, ou encore en brouillon", body = ApiErrorBody),
    ))]
pub async fn consultation(
    State(state): State<Arc<AppState>>,
    Path(id): Path<String>,
) -> Result<Json<ConsultationJson>, ApiError> {
    let id: i64 = id.parse().map_err(|_| WebError::not_found())?;
    let (found, names) = use_cases::public_consultation(&state, id).await?;
    Ok(Json(consultation_json(&found, &names)))
}
