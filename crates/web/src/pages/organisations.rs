//! Organisations and, for the coordinator, the territory's users.

use std::sync::Arc;

use askama::Template;
use axum::extract::{Path, State};
use axum::response::{Html, IntoResponse, Response};
use mutualis_domain::Capability;
use mutualis_domain::amount::group_thousands;
use mutualis_storage::organisations::OrganisationRecord;

use crate::AppState;
use crate::error::WebError;
use crate::layout::Layout;
use crate::pages::{datetime_label, imported_text};
use crate::session::{SignedIn, require};

struct OrgRow {
    id: i64,
    name: String,
    kind: &'static str,
    siren: String,
    population: String,
}

#[derive(Template)]
#[template(path = "organisations.html")]
struct OrganisationsPage {
    layout: Layout,
    scope_note: &'static str,
    rows: Vec<OrgRow>,
}

pub async fn list(
    State(state): State<Arc<AppState>>,
    user: SignedIn,
) -> Result<Response, WebError> {
    user.require(Capability::MemberData)?;
    let scope = user.principal.scope();
    let (records, scope_note) = match scope.territory_wide() {
        Some(wide) => (
            state.db.organisations_territory_wide(wide).await?,
            "En tant que coordinateur, vous voyez toutes les organisations du territoire.",
        ),
        None => (
            state.db.organisations_in_scope(scope).await?,
            "Vous voyez votre organisation ; les groupements auxquels elle participe s'ajouteront ici.",
        ),
    };
    let rows = records
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
    let page = OrganisationsPage {
        layout: user.layout(),
        scope_note,
        rows,
    };
    Ok(Html(page.render()?).into_response())
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

/// One organisation the user's scope sees; any other id is "not found", not "forbidden",
/// so that ids of other tenants reveal nothing (a role without a member's data is refused
/// whatever the id).
pub async fn visible_organisation(
    state: &AppState,
    user: &mutualis_storage::Principal,
    id: i64,
) -> Result<Option<OrganisationRecord>, WebError> {
    require(user, Capability::MemberData)?;
    let scope = user.scope();
    Ok(match scope.territory_wide() {
        Some(wide) => state.db.organisation_territory_wide(wide, id).await?,
        None => state.db.organisation_in_scope(scope, id).await?,
    })
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
    let Some(wide) = user.principal.scope().territory_wide() else {
        return Err(user.error(WebError::forbidden()));
    };
    let rows = state
        .db
        .users_territory_wide(wide)
        .await?
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
