//! The JSON API, under `/api/v1`.

use std::sync::Arc;

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::Serialize;

use crate::AppState;

pub fn router() -> Router<Arc<AppState>> {
    Router::new()
        .route("/organisations", get(organisations))
        .fallback(|| async { crate::WebError::NotFound.into_json() })
}

/// An organisation as the API publishes it.
#[derive(Serialize)]
struct OrganisationJson {
    id: i64,
    siren: String,
    name: String,
    kind: &'static str,
    insee_code: Option<String>,
    population: Option<u32>,
    sirets: Vec<String>,
}

#[derive(Serialize)]
struct OrganisationList {
    count: usize,
    organisations: Vec<OrganisationJson>,
}

async fn organisations(State(state): State<Arc<AppState>>) -> Response {
    match state.db.list_organisations().await {
        Ok(records) => {
            let organisations: Vec<OrganisationJson> = records
                .into_iter()
                .map(|r| OrganisationJson {
                    id: r.id,
                    siren: r.organisation.siren.to_string(),
                    kind: r.organisation.kind.code(),
                    name: r.organisation.name,
                    insee_code: r.organisation.insee_code,
                    population: r.organisation.population,
                    sirets: r
                        .organisation
                        .establishments
                        .iter()
                        .map(ToString::to_string)
                        .collect(),
                })
                .collect();
            Json(OrganisationList {
                count: organisations.len(),
                organisations,
            })
            .into_response()
        }
        Err(e) => crate::WebError::from(e).into_json(),
    }
}
