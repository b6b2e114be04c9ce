use std::sync::Arc;

use askama::Template;
use axum::extract::State;
use axum::response::{Html, IntoResponse, Response};
use mutualis_domain::amount::group_thousands;

use crate::layout::Layout;
use crate::session::MaybeSignedIn;
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
    layout: Layout,
    lead_name: String,
    lead_siren: String,
    member_count: usize,
    population: String,
    members: Vec<MemberRow>,
}

#[derive(Template)]
#[template(path = "empty.html")]
struct EmptyPage {
    layout: Layout,
}

/// The home page presents the territory, to anyone: the lead body and its member communes.
pub async fn home(
    State(state): State<Arc<AppState>>,
    user: MaybeSignedIn,
) -> Result<Response, WebError> {
    let layout = user.layout();
    let Some(territory) = state.db.territory(&state.territory_slug).await? else {
        return Ok(Html(EmptyPage { layout }.render()?).into_response());
    };
    let page = HomePage {
        layout,
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
