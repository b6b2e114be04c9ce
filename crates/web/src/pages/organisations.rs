//! Organisations and, for the coordinator, the territory's users. The list pages and filters
//! like the contracts list: by name (accents and case ignored), kind, and membership of the
//! territory.

use std::sync::Arc;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{Html, IntoResponse, Response};
use mutualis_domain::amount::group_thousands;
use mutualis_domain::{Capability, OrganisationKind};
use mutualis_storage::organisations::{
    self, OrganisationFilter, OrganisationRecord, TerritoryMembership,
};
use serde::Deserialize;

use crate::AppState;
use crate::error::{ErrorCode, WebError};
use crate::layout::Layout;
use crate::pages::contracts::PER_PAGE;
use crate::pages::{Pagination, datetime_label, imported_text};
use crate::session::{SignedIn, require};

struct OrgRow {
    id: i64,
    name: String,
    kind: &'static str,
    siren: String,
    population: String,
}

/// The filters of the list as typed, kept from page to page; the API takes the same.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct OrganisationQuery {
    /// Text of the name, accents and case ignored.
    #[serde(default)]
    pub nom: String,
    /// An organisation kind's code (`commune`, `metropole`…); empty for every kind.
    #[serde(default, rename = "type")]
    pub kind: String,
    /// `membres` of the territory, `autres`, or both when empty.
    #[serde(default)]
    pub territoire: String,
    #[serde(default)]
    pub page: String,
}

impl OrganisationQuery {
    /// The storage filter, over the territory `slug`; one page of `PER_PAGE` when `paged`.
    /// A value that names no kind, membership or page is refused with its parameter named.
    pub fn filter(&self, slug: &str, paged: bool) -> Result<OrganisationFilter, String> {
        let name = self.nom.trim();
        let kind = match self.kind.trim() {
            "" => None,
            code => Some(OrganisationKind::from_code(code).ok_or_else(|| {
                let known: Vec<&str> = OrganisationKind::ALL.iter().map(|k| k.code()).collect();
                format!("type « {code} » inconnu : attendu {}.", known.join(", "))
            })?),
        };
        let territory = match self.territoire.trim() {
            "" => None,
            "membres" => Some(true),
            "autres" => Some(false),
            other => {
                return Err(format!(
                    "territoire « {other} » invalide : attendu membres ou autres."
                ));
            }
        };
        let page = Pagination::asked(&self.page)?;
        Ok(OrganisationFilter {
            name: (!name.is_empty()).then(|| name.to_owned()),
            kind,
            territory: territory.map(|members| TerritoryMembership {
                slug: slug.to_owned(),
                members,
            }),
            page: paged.then(|| (page - 1, PER_PAGE)),
        })
    }

    fn pairs(&self) -> [(&'static str, &str); 3] {
        [
            ("nom", self.nom.as_str()),
            ("type", &self.kind),
            ("territoire", &self.territoire),
        ]
    }
}

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

/// The organisations the user sees that pass `filter`: its own; all for the coordinator.
pub async fn visible_organisations(
    state: &AppState,
    user: &mutualis_storage::Principal,
    filter: &OrganisationFilter,
) -> Result<organisations::OrganisationPage, WebError> {
    require(user, Capability::MemberData)?;
    let scope = user.scope();
    Ok(match scope.territory_wide() {
        Some(wide) => {
            state
                .db
                .organisations_page_territory_wide(wide, filter)
                .await?
        }
        None => state.db.organisations_page_in_scope(scope, filter).await?,
    })
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
