//! The groupement pages (PRODUCT.md §2.4): the list, the creation from an opportunity, a
//! groupement's page with the actions open to the user, and its convention (HTML and PDF).
//!
//! Who sees what: storage decides (`groupements_for`, `groupement`): the coordinator sees the
//! groupements of its organisation, any buyer role those its organisation is invited to, has
//! joined or has withdrawn from (read-only: a member that withdrew keeps the record of its
//! withdrawal and of what it owes). A groupement the user does not see answers 404 whatever
//! its id. Suppliers and the mediator see none: 403.
//!
//! Every action is one form posted to `/groupements/{id}/actions`, with the version the page
//! was rendered from: storage refuses a stale version (`Conflict`) and the page says to reload.
//! A refusal of the domain lists every reason; a field that does not read is shown next to it.
//! The irreversible ones, a member's withdrawal and the cancellation, take two posts: the
//! first answers a confirmation page that says what will happen (checked by storage's dry run,
//! so that what is confirmed is what would be applied; for a withdrawal, the needs leaving the
//! lots' totals and the member's share of the costs under the key, from the domain), the
//! second, with `confirmation=oui`, applies it.
//!
//! The lots' totals count the needs the domain counts (`Groupement::counted_needs`): not
//! those of a buyer who declined or withdrew.
//!
//! Needs pre-filled at creation, from the opportunity (each buyer's annual amount × duration /
//! 12): the coordinator's own need is entered as its own; each other buyer's is a proposal
//! (`confirmed: false`) that the member confirms or corrects once joined, with its quantity —
//! the consultation waits for every confirmation. The coordinator adjusts the terms (title,
//! lots, mission, key, duration, deadline, start) until the first signature.
//!
//! The award form also takes what DECP 2.0 publishes about the contract (procedure, price
//! form, place, techniques, CCAG, offers received…), each from DECP's list of values with
//! nothing pre-chosen but the dates: the export never invents them. The award is refused when
//! its publication would not be complete.

use std::collections::HashMap;
use std::sync::Arc;

use askama::Template;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use chrono::NaiveDate;
use mutualis_domain::contract::{Decp2Fields, Place};
use mutualis_domain::french;
use mutualis_domain::groupement::{
    Action, ActionKind, Actor, Award, AwardPublication, CostSharing, Deliberation, Groupement,
    GroupementStatus, Lot, LotAward, LotNeed, MemberStatus, Mission, PERMILLE_TOTAL, Signature,
    Terms, share_percent_label, share_permille,
};
use mutualis_domain::rules::RuleKind;
use mutualis_domain::{Amount, Capability, CpvCode, Quantity, Siren, Siret};
use mutualis_formats::convention::{self, ConventionInput, LegalReference};
use mutualis_formats::decp_write;
use mutualis_reference::cpv::nomenclature;
use mutualis_reference::rules::rule_book;
use mutualis_storage::groupements::{GroupementError, StoredGroupement};
use serde::Deserialize;

use mutualis_app::groupements;

use crate::AppState;
use crate::error::{ErrorCode, WebError};
use crate::layout::Layout;
use crate::pages::confirmation;
use crate::pages::forms::{date_value, parse_date, sentence};
use crate::pages::opportunities::{PageQuery, question_for_prefix};
use crate::session::{HtmlForm, SignedIn};

mod actions;
mod document;
mod irreversible;
mod view;

use actions::Fields;
pub use actions::act;
pub use document::{convention_html, convention_pdf};
pub use view::detail;
use view::{Outcome, render_detail};

use irreversible::WithdrawalView;

/// What a stale form is told.
pub const CONFLICT_MESSAGE: &str =
    "Ce groupement a été modifié entre-temps : rechargez la page, puis recommencez.";

const TEXT_MAX: usize = 200;

/// The award form's confirmation that the contracts start on a notification later than the
/// planned start: the field, and its label.
const LATE_START_FIELD: &str = "debut_a_la_notification";
const LATE_START_LABEL: &str = "Les contrats des membres commencent à la notification";

fn d(date: NaiveDate) -> String {
    date.format("%d/%m/%Y").to_string()
}

fn respond(status: StatusCode, page: impl Template) -> Result<Response, WebError> {
    Ok((status, Html(page.render()?)).into_response())
}

/// The user's organisation's SIREN.
async fn own_siren(state: &AppState, user: &SignedIn) -> Result<Siren, WebError> {
    groupements::own_siren(state, &user.principal)
        .await
        .map_err(|e| user.error(e))
}

/// A groupement the user sees, or the 403 or 404 page.
async fn visible(
    state: &AppState,
    user: &SignedIn,
    id: &str,
) -> Result<StoredGroupement, WebError> {
    user.require(Capability::Groupements)?;
    let id = id
        .parse::<i64>()
        .map_err(|_| user.error(WebError::not_found()))?;
    groupements::visible_groupement(state, &user.principal, id)
        .await
        .map_err(|e| user.error(e))
}

fn owns(user: &SignedIn, stored: &StoredGroupement) -> bool {
    groupements::owns(&user.principal, stored)
}

// ---------------------------------------------------------------------------------------------
// The list

struct ListRow {
    id: i64,
    title: String,
    cpv: String,
    status: &'static str,
    joined: usize,
    invited: usize,
    own_status: String,
}

#[derive(Template)]
#[template(path = "groupements.html")]
struct ListPage {
    layout: Layout,
    coordinator: bool,
    rows: Vec<ListRow>,
}

pub async fn list(
    State(state): State<Arc<AppState>>,
    user: SignedIn,
) -> Result<Response, WebError> {
    user.require(Capability::Groupements)?;
    let own = own_siren(&state, &user).await?;
    let stored = groupements::visible_groupements(&state, &user.principal)
        .await
        .map_err(|e| user.error(e))?;
    let rows = stored
        .iter()
        .map(|s| {
            let g = &s.groupement;
            ListRow {
                id: s.id,
                title: g.title.clone(),
                cpv: cpv_label(g.cpv),
                status: g.status.label_fr(),
                joined: g.joined_members().count(),
                invited: g.unanswered_members().count(),
                own_status: g
                    .member(&own)
                    .map(|m| member_status(g, &m.siren, m.status))
                    .unwrap_or_default(),
            }
        })
        .collect();
    respond(
        StatusCode::OK,
        ListPage {
            layout: user.layout(),
            coordinator: user.principal.scope().territory_wide().is_some(),
            rows,
        },
    )
}

fn cpv_label(code: CpvCode) -> String {
    match nomenclature().entry(code) {
        Some(entry) => format!("{code} — {}", entry.label_fr),
        None => code.to_string(),
    }
}

/// The titulaire of an award: its name and SIRET; "au nom inconnu" when the data does not
/// name it.
fn supplier_label(siret: &Siret, names: &std::collections::BTreeMap<String, String>) -> String {
    match names.get(siret.as_str()) {
        Some(name) => format!("{name}, SIRET {siret},"),
        None => format!("un titulaire au nom inconnu, SIRET {siret},"),
    }
}

/// "adhésion le 01/03/2027, convention signée le 02/03/2027".
fn member_status(g: &Groupement, siren: &Siren, status: MemberStatus) -> String {
    match g.signature_of(siren) {
        Some(s) => format!(
            "{}, convention signée le {}",
            status.label_fr(),
            d(s.signed_on)
        ),
        None => status.label_fr(),
    }
}

// ---------------------------------------------------------------------------------------------
// Creation from an opportunity

#[derive(Deserialize)]
pub struct CsrfOnly {
    #[serde(default)]
    csrf: String,
}

pub async fn create_from_opportunity(
    State(state): State<Arc<AppState>>,
    user: SignedIn,
    Path(prefix): Path<String>,
    query: Result<Query<PageQuery>, QueryRejection>,
    HtmlForm(form): HtmlForm<CsrfOnly>,
) -> Result<Response, WebError> {
    user.check_csrf(&form.csrf)?;
    if user.principal.scope().territory_wide().is_none() {
        return Err(user.error(WebError::forbidden()));
    }
    let bad = |message: String| user.error(WebError::with_detail(ErrorCode::BadRequest, message));
    let Ok(Query(query)) = query else {
        return Err(bad(crate::pages::opportunities::UNREADABLE_QUERY.to_owned()));
    };
    let default_day = state.opportunities_as_of();
    let raw = crate::pages::opportunities::RawQuestion {
        date: &query.date,
        depth: &query.profondeur,
        window: &query.fenetre,
        min_buyers: &query.min,
        family: "",
        cpv: "",
        perimeter: &query.perimetre,
    };
    let Some((question, errors)) = question_for_prefix(&prefix, &raw, default_day) else {
        return Err(user.error(WebError::not_found()));
    };
    if let Some(e) = errors.first() {
        return Err(bad(format!("{} : {}", e.field.page_name(), e.message)));
    }
    let created = groupements::create_from_opportunity(&state, &user.principal, &prefix, &question)
        .await
        .map_err(|e| user.error(e))?;
    let moved = match created.moved_from {
        Some((start, lead_months)) => format!(
            "&debut_opportunite={}&delai={lead_months}",
            start.format("%Y-%m-%d")
        ),
        None => String::new(),
    };
    Ok(Redirect::to(&format!("/groupements/{}?fait=creation{moved}", created.id)).into_response())
}
