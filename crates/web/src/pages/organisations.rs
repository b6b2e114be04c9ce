//! Organisations and, for the coordinator, the territory's users. The list pages and filters
//! like the contracts list: by name (accents and case ignored), kind, and membership of the
//! territory.

use std::sync::Arc;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{Html, IntoResponse, Response};
use mutualis_domain::amount::group_thousands;
use mutualis_domain::{Capability, OrganisationKind};

use crate::AppState;
use crate::error::{ErrorCode, WebError};
use crate::layout::Layout;
use crate::pages::{Pagination, datetime_label, imported_text};
use crate::session::SignedIn;
use mutualis_app::organisations::{PER_PAGE, visible_organisation, visible_organisations};

struct OrgRow {
    id: i64,
    name: String,
    kind: &'static str,
    siren: String,
    population: String,
}

pub use mutualis_app::organisations::OrganisationQuery;

#[derive(Template)]
#[template(path = "organisations.html")]
struct OrganisationsPage {
    layout: Layout,
    scope_note: &'static str,
    /// The filters are the coordinator's, who lists the territory.
    filters: bool,
    query: OrganisationQuery,
    kinds: Vec<(&'static str, &'static str)>,
    rows: Vec<OrgRow>,
    total: i64,
    pagination: Pagination,
}

pub async fn list(
    State(state): State<Arc<AppState>>,
    user: SignedIn,
    Query(query): Query<OrganisationQuery>,
) -> Result<Response, WebError> {
    user.require(Capability::MemberData)?;
    let filter = query
        .filter(&state.territory_slug, true)
        .map_err(|message| user.error(WebError::with_detail(ErrorCode::BadRequest, message)))?;
    let page = visible_organisations(&state, &user.principal, &filter).await?;
    let coordinator = user.principal.scope().territory_wide().is_some();
    let scope_note = if coordinator {
        "En tant que coordinateur, vous voyez toutes les organisations connues : celles du \
         territoire et les acheteurs et titulaires des données importées."
    } else {
        "Vous voyez votre organisation ; les groupements auxquels elle participe s'ajouteront ici."
    };
    let rows = page
        .records
        .into_iter()
        .map(|r| OrgRow {
            id: r.id,
            kind: r.organisation.kind.label_fr(),
            siren: r.organisation.siren.to_string(),
            population: r
                .organisation
                .population
                .map(|p| group_thousands(u64::from(p)))
                .unwrap_or_default(),
            name: imported_text(&r.organisation.name).into_owned(),
        })
        .collect();
    let html = OrganisationsPage {
        layout: user.layout(),
        scope_note,
        filters: coordinator,
        kinds: OrganisationKind::ALL
            .into_iter()
            .map(|k| (k.code(), k.label_fr()))
            .collect(),
        rows,
        total: page.total,
        pagination: Pagination::new(
            "/organisations",
            page.total,
            PER_PAGE,
            filter.page.map_or(1, |(p, _)| p + 1),
            &query.pairs(),
        ),
        query,
    }
    .render()?;
    Ok(Html(html).into_response())
}

#[derive(Template)]
#[template(path = "organisation.html")]
struct OrganisationPage {
    layout: Layout,
    name: String,
    kind: &'static str,
    siren: String,
    insee_code: Option<String>,
    population: Option<String>,
    sirets: Vec<String>,
}

pub async fn detail(
    State(state): State<Arc<AppState>>,
    user: SignedIn,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    user.require(Capability::MemberData)?;
    let Ok(id) = id.parse::<i64>() else {
        return Err(user.error(WebError::not_found()));
    };
    let Some(record) = visible_organisation(&state, &user.principal, id).await? else {
        return Err(user.error(WebError::not_found()));
    };
    let org = record.organisation;
    let page = OrganisationPage {
        layout: user.layout(),
        kind: org.kind.label_fr(),
        siren: org.siren.to_string(),
        insee_code: org.insee_code,
        population: org.population.map(|p| group_thousands(u64::from(p))),
        sirets: org.establishments.iter().map(ToString::to_string).collect(),
        name: imported_text(&org.name).into_owned(),
    };
    Ok(Html(page.render()?).into_response())
}

struct UserRow {
    email: String,
    role: &'static str,
    organisation: String,
    created: String,
}

#[derive(Template)]
#[template(path = "users.html")]
struct UsersPage {
    layout: Layout,
    rows: Vec<UserRow>,
}

/// The territory's accounts: the coordinator only.
pub async fn users(
    State(state): State<Arc<AppState>>,
    user: SignedIn,
) -> Result<Response, WebError> {
    let rows = mutualis_app::organisations::users(&state, &user.principal)
        .await
        .map_err(|e| user.error(e))?
        .into_iter()
        .map(|u| UserRow {
            email: u.email,
            role: u.role.label_fr(),
            organisation: u.organisation_name,
            created: datetime_label(u.created_at),
        })
        .collect();
    let page = UsersPage {
        layout: user.layout(),
        rows,
    };
    Ok(Html(page.render()?).into_response())
}
