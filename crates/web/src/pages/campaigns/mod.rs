//! The inventory campaign pages ("recensements"): the list, the coordinator's board (who
//! answered, reminders, totals per CPV family, every need, closing) and a member's answer
//! (needs by form; by XLSX workbook in `workbook`); the new-campaign form is in `new`.
//! The JSON API reads through [`visible_campaigns`] and [`visible_needs`].
//!
//! Who sees what: the coordinator, the campaigns of its organisation, with every invited
//! member's answer and needs; a member's buyer, the campaigns its organisation is invited
//! to, with its own needs only, which it declares. The other roles (`Capability::Campaigns`):
//! 403, and no "Campagnes" link. A campaign the user does not
//! see answers 404 whatever its id, like another tenant's.
//!
//! "Today", the day compared with a campaign's opening and closing dates, is the server's
//! local calendar day ([`today`], `chrono::Local`): the dates are French civil dates and the
//! server runs in French time (`TZ=Europe/Paris`); on a server kept in UTC a campaign would
//! stop taking answers one or two hours late.
//!
//! A workbook download is pre-filled with the member's contracts that end after the campaign
//! opens, in the campaign's families, and with every need it has declared. Uploaded back, it
//! replaces the needs of the member's previous workbook (the storage rule); a row identical
//! to a need entered in the form is that need and is not imported a second time, so that a
//! workbook downloaded and uploaded back unchanged doubles no need.

use std::collections::BTreeSet;
use std::sync::Arc;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use chrono::NaiveDate;
use mutualis_domain::campaign::{CampaignAction, Stage};
use mutualis_domain::french;
use mutualis_domain::need::desired_start_problem;
use mutualis_domain::{Amount, Need, Quantity, Reservation, Siren};
use mutualis_reference::cpv::nomenclature;
use mutualis_storage::campaigns::{
    Campaign, CampaignError, CampaignStatus, CampaignSummary, NeedSource, OTHER_FAMILY, StoredNeed,
};
use mutualis_storage::organisations::OrganisationRecord;
use serde::Deserialize;

use mutualis_app::campaigns;

use crate::AppState;
use crate::error::{ErrorCode, WebError};
use crate::layout::Layout;
use crate::limits::WORKBOOK_LIMIT_LABEL;
use crate::pages::confirmation;
use crate::pages::datetime_label;
use crate::pages::forms::{date_label, parse_date, sentence};
use crate::session::{HtmlForm, SignedIn};

mod answer;
mod board;
mod new;
mod workbook;

use answer::{CellErrorRow, CsrfOnly, MemberPage, refused};
pub use answer::{add_need, delete_need, submit_answer};
use board::board;
pub use board::{close, remind};

pub use new::{create, new_form};
pub use workbook::{download_workbook, upload_workbook};

pub const XLSX_CONTENT_TYPE: &str =
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

const TITLE_MAX: usize = 200;
const DESCRIPTION_MAX: usize = 500;
const SHORT_TEXT_MAX: usize = 100;
const REQUIREMENTS_MAX: usize = 2_000;

// ---------------------------------------------------------------------------------------------
// Who sees campaigns, and when is today

pub use mutualis_app::campaigns::check_role;

/// Which of the user's campaigns a page is about.
#[derive(Clone, Copy)]
enum Seen {
    /// Any campaign the user sees.
    Visible,
    /// A campaign the user's organisation is invited to answer; any other is "not found".
    Answerable,
    /// A campaign of the coordinator's own organisation; other roles are refused.
    Owned,
}

/// The campaign of the path, as the use case of `seen` (`mutualis_app::campaigns`) gives it
/// to the signed-in user, or the 403 or 404 page.
async fn campaign(
    state: &AppState,
    user: &SignedIn,
    id: &str,
    seen: Seen,
) -> Result<CampaignSummary, WebError> {
    let principal = &user.principal;
    let checked = match seen {
        Seen::Owned if principal.scope().territory_wide().is_none() => {
            Err(mutualis_app::AppError::Forbidden)
        }
        _ => check_role(principal),
    };
    checked.map_err(|e| user.error(e))?;
    let id = id
        .parse::<i64>()
        .map_err(|_| user.error(WebError::not_found()))?;
    let found = match seen {
        Seen::Visible => campaigns::visible_campaign(state, principal, id).await,
        Seen::Answerable => campaigns::answerable_campaign(state, principal, id).await,
        Seen::Owned => campaigns::owned_campaign(state, principal, id).await,
    };
    found.map_err(|e| user.error(e))
}

/// The user's own organisation (its SIREN names every need it declares).
async fn own_organisation(
    state: &AppState,
    user: &SignedIn,
) -> Result<OrganisationRecord, WebError> {
    campaigns::own_organisation(state, &user.principal)
        .await
        .map_err(|e| user.error(e))
}

/// A refused write: the reason to show on the page, or the error page to give instead.
fn refusal(user: &SignedIn, e: CampaignError) -> Result<String, WebError> {
    match e {
        CampaignError::NotFound | CampaignError::NeedNotFound => {
            Err(user.error(WebError::not_found()))
        }
        CampaignError::RoleRefused(_) => Err(user.error(WebError::forbidden())),
        CampaignError::Storage(e) => Err(user.error(WebError::internal(e))),
        other => Ok(sentence(&other.to_string())),
    }
}

// ---------------------------------------------------------------------------------------------
// Display helpers

fn d(date: NaiveDate) -> String {
    date.format("%d/%m/%Y").to_string()
}

/// "9091 — Services de nettoyage de bâtiments"; the board's other family in words.
pub fn family_label(family: &str) -> String {
    if family == OTHER_FAMILY {
        return "Hors des familles de la campagne".into();
    }
    let padded = format!("{family:0<8}");
    match nomenclature().lookup(&padded) {
        Ok(entry) => format!("{family} — {}", entry.label_fr),
        Err(_) => family.to_owned(),
    }
}

/// Where a campaign stands on `today`, in a few words for the list.
fn state_short(c: &Campaign, today: NaiveDate) -> String {
    match c.period().stage_on(today) {
        Stage::Closed => "close".into(),
        Stage::Ended => "terminée (date limite passée)".into(),
        Stage::Upcoming => format!("à venir (ouvre le {})", d(c.opens_on)),
        Stage::Open => "ouverte".into(),
    }
}

/// Where a campaign stands on `today`, as a sentence for its page.
fn state_long(c: &Campaign, today: NaiveDate) -> String {
    match c.period().stage_on(today) {
        Stage::Closed => "Close par la coordination : elle n'accepte plus de réponse.".into(),
        Stage::Ended => format!(
            "Terminée : la date limite du {} est passée, elle n'accepte plus de réponse.",
            d(c.closes_on)
        ),
        Stage::Upcoming => format!(
            "À venir : elle ouvre le {} ; les besoins ne peuvent pas encore être déclarés.",
            d(c.opens_on)
        ),
        Stage::Open => format!(
            "Ouverte : les membres invités déclarent leurs besoins jusqu'au {} inclus.",
            d(c.closes_on)
        ),
    }
}

/// What every campaign page shows at its top.
struct CampaignInfo {
    id: i64,
    title: String,
    period: String,
    closes_on: String,
    families: Vec<String>,
    state: String,
    takes_answers: bool,
}

impl CampaignInfo {
    /// `actions`: what the user may do today (`mutualis_app::campaigns::actions_of`).
    fn new(c: &Campaign, today: NaiveDate, actions: &BTreeSet<CampaignAction>) -> CampaignInfo {
        CampaignInfo {
            id: c.id,
            title: c.title.clone(),
            period: format!("du {} au {}", d(c.opens_on), d(c.closes_on)),
            closes_on: d(c.closes_on),
            families: c.cpv_families.iter().map(|f| family_label(f)).collect(),
            state: state_long(c, today),
            takes_answers: actions.contains(&CampaignAction::Answer),
        }
    }
}

/// A need as a row of a table.
struct NeedRow {
    id: i64,
    member: String,
    cpv: String,
    cpv_label: String,
    description: String,
    amount: String,
    quantity: String,
    desired_start: String,
    current_contract: String,
    requirements: Vec<String>,
    source: &'static str,
}

fn quantity_label(q: &Quantity) -> String {
    q.label_fr()
}

impl NeedRow {
    fn new(stored: &StoredNeed) -> NeedRow {
        let n = &stored.need;
        let mut requirements = Vec::new();
        if let Some(s) = &n.social_requirements {
            requirements.push(format!("Sociales : {s}"));
        }
        if let Some(e) = &n.environmental_requirements {
            requirements.push(format!("Environnementales : {e}"));
        }
        if let Some(r) = n.reservation {
            requirements.push(r.label_fr().to_owned());
        }
        NeedRow {
            id: stored.id,
            member: stored.organisation_name.clone(),
            cpv: n.cpv.to_string(),
            cpv_label: nomenclature()
                .entry(n.cpv)
                .map(|e| e.label_fr.clone())
                .unwrap_or_default(),
            description: n.description.clone(),
            amount: n.annual_amount.to_string(),
            quantity: n.quantity.as_ref().map(quantity_label).unwrap_or_default(),
            desired_start: d(n.desired_start),
            current_contract: match (&n.current_contract, n.current_contract_ends_on) {
                (Some(id), Some(end)) => format!("{id} (fin le {})", d(end)),
                (Some(id), None) => id.clone(),
                (None, Some(end)) => format!("fin le {}", d(end)),
                (None, None) => String::new(),
            },
            requirements,
            source: match stored.source {
                NeedSource::Form => "formulaire",
                NeedSource::Workbook => "classeur",
            },
        }
    }
}

fn total_of(needs: &[StoredNeed]) -> String {
    needs
        .iter()
        .map(|n| n.need.annual_amount)
        .sum::<Amount>()
        .to_string()
}

/// A text field of a form, with its hint and error.
pub struct Field {
    pub id: &'static str,
    pub label: String,
    pub hint: String,
    pub value: String,
    pub error: Option<String>,
}

impl Field {
    fn new(id: &'static str, label: &str, hint: &str) -> Field {
        Field {
            id,
            label: label.to_owned(),
            hint: hint.to_owned(),
            value: String::new(),
            error: None,
        }
    }

    /// A date field: its label says the format (`forms`).
    fn date(id: &'static str, name: &str, hint: &str) -> Field {
        Field::new(id, &date_label(name), hint)
    }

    fn with(mut self, value: &str, errors: &[FieldError]) -> Field {
        self.value = value.to_owned();
        self.error = error_for(errors, self.id);
        self
    }

    /// The ids that describe the field: its error first, then its hint.
    pub fn described_by(&self) -> String {
        let hint = (!self.hint.is_empty()).then(|| format!("{}-aide", self.id));
        let error = self.error.as_ref().map(|_| format!("{}-erreur", self.id));
        error.into_iter().chain(hint).collect::<Vec<_>>().join(" ")
    }
}

/// An error to show next to a field, and in the summary with a link to the field.
pub struct FieldError {
    pub field: &'static str,
    /// The id the summary links to (the field's, or a group's first input).
    pub anchor: String,
    pub message: String,
}

impl FieldError {
    fn new(field: &'static str, message: impl Into<String>) -> FieldError {
        FieldError {
            field,
            anchor: field.to_owned(),
            message: message.into(),
        }
    }
}

fn error_for(errors: &[FieldError], field: &str) -> Option<String> {
    errors
        .iter()
        .find(|e| e.field == field)
        .map(|e| e.message.clone())
}

/// Text of at most `max` characters, `None` when blank.
fn optional_text(
    field: &'static str,
    value: &str,
    max: usize,
    errors: &mut Vec<FieldError>,
) -> Option<String> {
    let value = value.trim();
    if value.is_empty() {
        return None;
    }
    if value.chars().count() > max {
        errors.push(FieldError::new(
            field,
            format!("{max} caractères au plus, s'il vous plaît."),
        ));
        return None;
    }
    Some(value.to_owned())
}

fn respond(status: StatusCode, page: impl Template) -> Result<Response, WebError> {
    Ok((status, Html(page.render()?)).into_response())
}

fn redirect_done(id: i64, done: &str) -> Response {
    Redirect::to(&format!("/campagnes/{id}?{done}")).into_response()
}

// ---------------------------------------------------------------------------------------------
// The list

struct CampaignRow {
    id: i64,
    title: String,
    period: String,
    families: Vec<String>,
    state: String,
    answers: String,
}

#[derive(Template)]
#[template(path = "campaigns.html")]
struct CampaignsPage {
    layout: Layout,
    coordinator: bool,
    organisation: String,
    rows: Vec<CampaignRow>,
}

pub async fn list(
    State(state): State<Arc<AppState>>,
    user: SignedIn,
) -> Result<Response, WebError> {
    let campaigns = campaigns::visible_campaigns(&state, &user.principal)
        .await
        .map_err(|e| user.error(e))?;
    let today = state.clock.today();
    let rows = campaigns
        .iter()
        .map(|s| {
            let c = &s.campaign;
            let answers = match (&s.progress, &s.invitation) {
                (Some(p), _) => format!("{} sur {} membres invités", p.answered, p.invited),
                (None, Some(i)) => match i.answered_at {
                    Some(at) => format!("envoyée le {}", datetime_label(at)),
                    None => "pas encore envoyée".into(),
                },
                (None, None) => String::new(),
            };
            CampaignRow {
                id: c.id,
                title: c.title.clone(),
                period: format!("du {} au {}", d(c.opens_on), d(c.closes_on)),
                families: c.cpv_families.iter().map(|f| family_label(f)).collect(),
                state: state_short(c, today),
                answers,
            }
        })
        .collect();
    respond(
        StatusCode::OK,
        CampaignsPage {
            layout: user.layout(),
            coordinator: user.principal.scope().territory_wide().is_some(),
            organisation: user.principal.organisation_name.clone(),
            rows,
        },
    )
}

// ---------------------------------------------------------------------------------------------
// A campaign's page: the board for its coordinator, the answer for a member

/// What an action just did, from the query string of the redirect that follows it.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Done {
    fait: String,
    n: String,
    doublons: String,
    membre: String,
}

pub async fn detail(
    State(state): State<Arc<AppState>>,
    user: SignedIn,
    Path(id): Path<String>,
    Query(done): Query<Done>,
) -> Result<Response, WebError> {
    let summary = campaign(&state, &user, &id, Seen::Visible).await?;
    if summary.progress.is_some() {
        return board(&state, &user, &summary, &done).await;
    }
    let mut page = MemberPage::load(&state, &user, &summary).await?;
    page.notice(&done);
    respond(StatusCode::OK, page)
}

#[cfg(test)]
mod tests {
    use super::new::parse_families;
    use super::*;

    #[test]
    fn families_are_prefixes_of_existing_cpv_nodes() {
        assert_eq!(parse_families("9091, 30").unwrap(), ["9091", "30"]);
        assert_eq!(
            parse_families("90910000;30 9091").unwrap(),
            ["9091", "30"],
            "trailing zeros dropped, duplicates once"
        );
        assert!(parse_families("").unwrap_err().contains("au moins une"));
        let bad = parse_families("9, 99, 30").unwrap_err();
        assert!(bad.contains("« 9 »") && bad.contains("« 99 »"), "{bad}");
        assert!(!bad.contains("« 30 »"));
        assert!(parse_families("90x1").is_err());
    }

    #[test]
    fn families_are_labelled_from_the_nomenclature() {
        assert!(family_label("9091").starts_with("9091 — "));
        assert_eq!(
            family_label(OTHER_FAMILY),
            "Hors des familles de la campagne"
        );
    }

    #[test]
    fn quantities_are_written_in_french() {
        let q = |thousandths, unit: &str| {
            quantity_label(&Quantity {
                thousandths,
                unit: unit.into(),
            })
        };
        assert_eq!(q(12_500, "t"), "12,5 t");
        assert_eq!(q(1_500_000, "m²"), "1\u{202f}500 m²");
        assert_eq!(q(1_005, "MWh"), "1,005 MWh");
    }
}
