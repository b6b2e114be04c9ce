//! Organisations: the list's filters as typed, and the organisations a user may see.

use mutualis_domain::{Capability, OrganisationKind};
use mutualis_storage::Principal;
use mutualis_storage::accounts::UserRecord;
use mutualis_storage::organisations::{
    self, OrganisationFilter, OrganisationRecord, TerritoryMembership, TerritoryRecord,
};
use serde::Deserialize;

use crate::{App, AppError, page_asked, require};

/// Organisations per page of the list.
pub const PER_PAGE: u32 = 25;

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
        let page = page_asked(&self.page)?;
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

    pub fn pairs(&self) -> [(&'static str, &str); 3] {
        [
            ("nom", self.nom.as_str()),
            ("type", &self.kind),
            ("territoire", &self.territoire),
        ]
    }
}

/// The organisations the user sees that pass `filter`: its own; all for the coordinator.
pub async fn visible_organisations(
    app: &App,
    user: &mutualis_storage::Principal,
    filter: &OrganisationFilter,
) -> Result<organisations::OrganisationPage, AppError> {
    require(user, Capability::MemberData)?;
    let scope = user.scope();
    Ok(match scope.territory_wide() {
        Some(wide) => {
            app.db
                .organisations_page_territory_wide(wide, filter)
                .await?
        }
        None => app.db.organisations_page_in_scope(scope, filter).await?,
    })
}

/// One organisation the user's scope sees; any other id is "not found", not "forbidden",
/// so that ids of other tenants reveal nothing (a role without a member's data is refused
/// whatever the id).
pub async fn visible_organisation(
    app: &App,
    user: &mutualis_storage::Principal,
    id: i64,
) -> Result<Option<OrganisationRecord>, AppError> {
    require(user, Capability::MemberData)?;
    let scope = user.scope();
    Ok(match scope.territory_wide() {
        Some(wide) => app.db.organisation_territory_wide(wide, id).await?,
        None => app.db.organisation_in_scope(scope, id).await?,
    })
}

/// The user's own organisation.
pub async fn own_organisation(app: &App, user: &Principal) -> Result<OrganisationRecord, AppError> {
    let scope = user.scope();
    app.db
        .organisation_in_scope(scope, scope.organisation_id())
        .await?
        .ok_or_else(|| AppError::internal("the user's organisation is missing"))
}

/// The territory served, with its lead body and members; `None` before it is loaded.
pub async fn territory(app: &App) -> Result<Option<TerritoryRecord>, AppError> {
    Ok(app.db.territory(&app.territory_slug).await?)
}

/// The accounts of every organisation, for the territory's coordinator only.
pub async fn users(app: &App, user: &Principal) -> Result<Vec<UserRecord>, AppError> {
    let wide = user.scope().territory_wide().ok_or(AppError::Forbidden)?;
    Ok(app.db.users_territory_wide(wide).await?)
}
