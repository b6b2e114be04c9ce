use std::sync::Arc;

use askama::Template;
use axum::extract::State;
use axum::response::{Html, IntoResponse, Response};
use mutualis_domain::Role;
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

/// The home page of a role that has no pages yet: what it will do here (PRODUCT.md §1).
struct RoleSpace {
    heading: &'static str,
    /// Completes "Ici, vous pourrez …".
    promise: &'static str,
}

#[derive(Template)]
#[template(path = "home_role.html")]
struct RoleHomePage {
    layout: Layout,
    space: RoleSpace,
}

/// The space of a role whose pages are still to come; `None` for the buyer roles, whose home
/// page is the territory's.
fn role_space(role: Role) -> Option<RoleSpace> {
    let space = |heading, promise| Some(RoleSpace { heading, promise });
    match role {
        Role::Coordinator | Role::MemberBuyer => None,
        Role::Approver => space(
            "Espace valideur",
            "valider ou refuser les commandes de votre organisation qui dépassent le seuil \
             fixé pour elle",
        ),
        Role::Evaluator => space(
            "Espace évaluateur",
            "noter les sous-critères techniques et environnementaux des consultations qui \
             vous sont confiées, en commentant chaque note",
        ),
        Role::Supplier => space(
            "Espace fournisseur",
            "inscrire votre entreprise, déposer vos offres aux consultations, candidater au \
             référencement innovation et répondre aux réclamations sur vos commandes",
        ),
        Role::Mediator => space(
            "Espace médiateur",
            "traiter les litiges sur les commandes qu'un acheteur ou un fournisseur vous \
             soumet",
        ),
    }
}

/// The home page presents the territory, to anyone: the lead body and its member communes.
/// A signed-in role without pages of its own yet sees its space instead.
pub async fn home(
    State(state): State<Arc<AppState>>,
    user: MaybeSignedIn,
) -> Result<Response, WebError> {
    let layout = user.layout();
    if let Some(space) = user.0.as_ref().and_then(|u| role_space(u.principal.role())) {
        return Ok(Html(RoleHomePage { layout, space }.render()?).into_response());
    }
    let Some(territory) = mutualis_app::organisations::territory(&state).await? else {
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
