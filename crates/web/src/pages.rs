//! Server-rendered pages.

use std::sync::Arc;

use askama::Template;
use axum::extract::State;
use axum::response::{Html, IntoResponse, Response};
use mutualis_domain::amount::group_thousands;

use crate::{AppState, WebError};

struct MemberRow {
    name: String,
    insee_code: String,
    siren: String,
    population: String,
}

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage {
    lead_name: String,
    lead_siren: String,
    member_count: usize,
    population: String,
    members: Vec<MemberRow>,
}

#[derive(Template)]
#[template(path = "empty.html")]
struct EmptyPage;

/// The home page presents the territory: the lead body and its member communes.
pub async fn home(State(state): State<Arc<AppState>>) -> Result<Response, WebError> {
    let Some(territory) = state.db.territory(&state.territory_slug).await? else {
        return Ok(Html(EmptyPage.render()?).into_response());
    };
    let page = HomePage {
        lead_name: territory.lead.organisation.name.clone(),
        lead_siren: territory.lead.organisation.siren.to_string(),
        member_count: territory.members.len(),
        population: group_thousands(territory.members_population()),
        members: territory
            .members
            .into_iter()
            .map(|m| MemberRow {
                siren: m.organisation.siren.to_string(),
                insee_code: m.organisation.insee_code.unwrap_or_default(),
                population: m
                    .organisation
                    .population
                    .map(|p| group_thousands(u64::from(p)))
                    .unwrap_or_default(),
                name: m.organisation.name,
            })
            .collect(),
    };
    Ok(Html(page.render()?).into_response())
}

pub async fn not_found() -> WebError {
    WebError::NotFound
}
