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

use std::sync::Arc;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use chrono::NaiveDate;
use mutualis_domain::campaign::{CampaignAction, CampaignActor, Stage, available_actions};
use mutualis_domain::french;
use mutualis_domain::need::desired_start_problem;
use mutualis_domain::{Amount, Capability, Need, Quantity, Reservation, Siren};
use mutualis_reference::cpv::nomenclature;
use mutualis_storage::campaigns::{
    Campaign, CampaignError, CampaignStatus, CampaignSummary, NeedSource, OTHER_FAMILY, StoredNeed,
};
use mutualis_storage::organisations::OrganisationRecord;
use mutualis_storage::{Principal, TerritoryWide};
use serde::Deserialize;

use crate::AppState;
use crate::error::WebError;
use crate::layout::Layout;
use crate::limits::WORKBOOK_LIMIT_LABEL;
use crate::pages::confirmation;
use crate::pages::datetime_label;
use crate::pages::forms::{date_label, parse_date, sentence};
use crate::session::{HtmlForm, SignedIn, require};

mod new;
mod workbook;

pub use new::{create, new_form};
pub use workbook::{download_workbook, upload_workbook};

pub const XLSX_CONTENT_TYPE: &str =
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

const TITLE_MAX: usize = 200;
const DESCRIPTION_MAX: usize = 500;
const SHORT_TEXT_MAX: usize = 100;
const REQUIREMENTS_MAX: usize = 2_000;
/// Contracts read per query when pre-filling a workbook (the storage's largest page).
const CONTRACTS_PER_QUERY: u32 = 500;

// ---------------------------------------------------------------------------------------------
// Who sees campaigns, and when is today

/// Refuses the roles that see no campaign.
pub fn check_role(user: &Principal) -> Result<(), WebError> {
    require(user, Capability::Campaigns)
}

/// The campaigns the user sees: its organisation's (coordinator) and those its organisation
/// is invited to. What `/campagnes` lists and the API answers.
pub async fn visible_campaigns(
    state: &AppState,
    user: &Principal,
) -> Result<Vec<CampaignSummary>, WebError> {
    check_role(user)?;
    Ok(state.db.campaigns_for(user.scope()).await?)
}

/// The needs of a campaign the user sees: every member's for the coordinator's own campaign,
/// its organisation's otherwise; `None` when the user does not see the campaign.
pub async fn visible_needs(
    state: &AppState,
    user: &Principal,
    campaign_id: i64,
) -> Result<Option<Vec<StoredNeed>>, WebError> {
    check_role(user)?;
    match state
        .db
        .needs_of(user.scope(), campaign_id, nomenclature())
        .await
    {
        Ok(needs) => Ok(Some(needs)),
        Err(CampaignError::NotFound) => Ok(None),
        Err(e) => Err(WebError::internal(e)),
    }
}

/// One campaign the signed-in user sees, or the 403 or 404 page.
async fn visible_campaign(
    state: &AppState,
    user: &SignedIn,
    id: &str,
) -> Result<CampaignSummary, WebError> {
    check_role(&user.principal).map_err(|e| user.error(e))?;
    let Ok(id) = id.parse::<i64>() else {
        return Err(user.error(WebError::not_found()));
    };
    state
        .db
        .campaign(user.principal.scope(), id)
        .await?
        .ok_or_else(|| user.error(WebError::not_found()))
}

/// A campaign the user's organisation is invited to answer; any other is "not found".
async fn answerable_campaign(
    state: &AppState,
    user: &SignedIn,
    id: &str,
) -> Result<CampaignSummary, WebError> {
    let summary = visible_campaign(state, user, id).await?;
    if summary.invitation.is_none() {
        return Err(user.error(WebError::not_found()));
    }
    Ok(summary)
}

/// A campaign of the coordinator's own organisation; other roles are refused.
async fn owned_campaign(
    state: &AppState,
    user: &SignedIn,
    id: &str,
) -> Result<CampaignSummary, WebError> {
    if user.principal.scope().territory_wide().is_none() {
        return Err(user.error(WebError::forbidden()));
    }
    let summary = visible_campaign(state, user, id).await?;
    if summary.progress.is_none() {
        return Err(user.error(WebError::not_found()));
    }
    Ok(summary)
}

/// The user's own organisation (its SIREN names every need it declares).
async fn own_organisation(
    state: &AppState,
    user: &SignedIn,
) -> Result<OrganisationRecord, WebError> {
    let scope = user.principal.scope();
    state
        .db
        .organisation_in_scope(scope, scope.organisation_id())
        .await?
        .ok_or_else(|| user.error(WebError::internal("the user's organisation is missing")))
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
    fn new(c: &Campaign, today: NaiveDate) -> CampaignInfo {
        CampaignInfo {
            id: c.id,
            title: c.title.clone(),
            period: format!("du {} au {}", d(c.opens_on), d(c.closes_on)),
            closes_on: d(c.closes_on),
            families: c.cpv_families.iter().map(|f| family_label(f)).collect(),
            state: state_long(c, today),
            takes_answers: c.takes_answers_on(today),
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
    let campaigns = visible_campaigns(&state, &user.principal)
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

struct AnswerRow {
    organisation_id: i64,
    name: String,
    answered: Option<String>,
    need_count: i64,
    amount: String,
    reminders: String,
    can_remind: bool,
}

struct FamilyRow {
    family: String,
    need_count: i64,
    member_count: i64,
    amount: String,
}

#[derive(Template)]
#[template(path = "campaign_board.html")]
struct BoardPage {
    layout: Layout,
    info: CampaignInfo,
    answered: usize,
    invited: usize,
    need_count: i64,
    /// Members with at least one need.
    declaring: usize,
    total: String,
    answers: Vec<AnswerRow>,
    families: Vec<FamilyRow>,
    needs: Vec<NeedRow>,
    notice: Option<String>,
    can_close: bool,
}

async fn board(
    state: &AppState,
    user: &SignedIn,
    summary: &CampaignSummary,
    done: &Done,
) -> Result<Response, WebError> {
    let wide = user
        .principal
        .scope()
        .territory_wide()
        .ok_or_else(|| user.error(WebError::forbidden()))?;
    let id = summary.campaign.id;
    let internal = |e: CampaignError| user.error(WebError::internal(e));
    let board = state.db.campaign_board(wide, id).await.map_err(internal)?;
    let needs = state
        .db
        .needs_of(user.principal.scope(), id, nomenclature())
        .await
        .map_err(internal)?;
    let today = state.clock.today();
    let c = &board.campaign;
    // What the coordinator may do, as storage enforces it (the domain's campaign policy).
    let actions = available_actions(
        CampaignActor {
            role: user.principal.role(),
            owner: summary.progress.is_some(),
            invited: summary.invitation.is_some(),
        },
        c.period(),
        today,
    );
    let answers: Vec<AnswerRow> = board
        .members
        .iter()
        .map(|m| {
            let i = &m.invitation;
            AnswerRow {
                organisation_id: m.organisation_id,
                name: m.name.clone(),
                answered: i.answered_at.map(datetime_label),
                need_count: m.need_count,
                amount: m.annual_amount.to_string(),
                reminders: match (i.reminder_count, i.last_reminded_at) {
                    (0, _) | (_, None) => "aucune".into(),
                    (1, Some(at)) => format!("1, le {}", datetime_label(at)),
                    (n, Some(at)) => format!("{n}, la dernière le {}", datetime_label(at)),
                },
                can_remind: actions.contains(&CampaignAction::Remind) && i.answered_at.is_none(),
            }
        })
        .collect();
    let notice = match done.fait.as_str() {
        "creee" => Some(
            "Campagne créée. Mutualis n'envoie pas encore de courriel : prévenez les membres \
             invités vous-même ; ils la trouvent dans leur page « Campagnes »."
                .to_owned(),
        ),
        "relance" => {
            let name = done
                .membre
                .parse::<i64>()
                .ok()
                .and_then(|org| answers.iter().find(|a| a.organisation_id == org))
                .map_or("le membre".to_owned(), |a| a.name.clone());
            Some(format!(
                "Relance enregistrée pour {name}. Aucun courriel n'a été envoyé : Mutualis \
                 n'envoie pas encore de courriel, prévenez le membre vous-même."
            ))
        }
        "cloture" => Some(
            "Campagne close : elle n'accepte plus de réponse. Les besoins déclarés restent et \
             nourrissent les opportunités de mutualisation."
                .to_owned(),
        ),
        _ => None,
    };
    let page = BoardPage {
        layout: user.layout(),
        info: CampaignInfo::new(c, today),
        answered: board.answered(),
        invited: board.members.len(),
        need_count: board.need_count,
        declaring: board.members.iter().filter(|m| m.need_count > 0).count(),
        total: board.annual_amount.to_string(),
        answers,
        families: board
            .families
            .iter()
            .map(|f| FamilyRow {
                family: family_label(&f.family),
                need_count: f.need_count,
                member_count: f.member_count,
                amount: f.annual_amount.to_string(),
            })
            .collect(),
        needs: needs.iter().map(NeedRow::new).collect(),
        notice,
        can_close: actions.contains(&CampaignAction::Close),
    };
    respond(StatusCode::OK, page)
}

/// One error of a refused workbook.
struct CellErrorRow {
    sheet: String,
    cell: String,
    reason: String,
}

struct Reservations {
    code: &'static str,
    id: String,
    label: &'static str,
    checked: bool,
}

#[derive(Template)]
#[template(path = "campaign_member.html")]
struct MemberPage {
    layout: Layout,
    info: CampaignInfo,
    organisation: String,
    answered: Option<String>,
    needs: Vec<NeedRow>,
    total: String,
    notice: Option<String>,
    /// Why the last write was refused.
    refusal: Option<String>,
    /// The need's fields in three groups: the need, its quantity, the current contract.
    need_fields: Vec<Field>,
    quantity_fields: Vec<Field>,
    contract_fields: Vec<Field>,
    social: Field,
    environmental: Field,
    reservations: Vec<Reservations>,
    reservation_error: Option<String>,
    errors: Vec<FieldError>,
    upload_error: Option<String>,
    workbook_errors: Vec<CellErrorRow>,
    limit: &'static str,
}

/// The need form as typed (text, so that a bad value is shown back).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct NeedForm {
    csrf: String,
    cpv: String,
    description: String,
    montant: String,
    quantite: String,
    unite: String,
    debut: String,
    contrat: String,
    fin_contrat: String,
    exigences_sociales: String,
    exigences_environnementales: String,
    reserve: String,
}

impl NeedForm {
    /// The need, for `buyer`, in a campaign opening on `opens_on`, or the errors next to
    /// their fields.
    fn parse(&self, buyer: &Siren, opens_on: NaiveDate) -> Result<Need, Vec<FieldError>> {
        let mut errors = Vec::new();
        let cpv = if self.cpv.trim().is_empty() {
            errors.push(FieldError::new(
                "cpv",
                "Indiquez le code CPV du besoin, par exemple 90910000 ou 90910000-9.",
            ));
            None
        } else {
            nomenclature()
                .parse(&self.cpv)
                .map_err(|e| errors.push(FieldError::new("cpv", sentence(&e.to_string()))))
                .ok()
        };
        let description = self.description.trim();
        if description.is_empty() {
            errors.push(FieldError::new(
                "description",
                "Décrivez le besoin en quelques mots.",
            ));
        } else if description.chars().count() > DESCRIPTION_MAX {
            errors.push(FieldError::new(
                "description",
                format!("La description ne doit pas dépasser {DESCRIPTION_MAX} caractères."),
            ));
        }
        let amount = if self.montant.trim().is_empty() {
            errors.push(FieldError::new(
                "montant",
                "Indiquez le montant annuel estimé, en euros HT, par exemple 12 500,50.",
            ));
            None
        } else {
            french::parse_amount(&self.montant)
                .map_err(|e| errors.push(FieldError::new("montant", sentence(&e))))
                .ok()
        };
        let thousandths = if self.quantite.trim().is_empty() {
            None
        } else {
            french::parse_quantity(&self.quantite)
                .map_err(|e| errors.push(FieldError::new("quantite", sentence(&e))))
                .ok()
        };
        let unit = optional_text("unite", &self.unite, SHORT_TEXT_MAX, &mut errors);
        let quantity = match (thousandths, unit) {
            (Some(thousandths), Some(unit)) => Some(Quantity { thousandths, unit }),
            (Some(_), None) if self.unite.trim().is_empty() => {
                errors.push(FieldError::new(
                    "unite",
                    "Indiquez l'unité de la quantité (m², postes, MWh, t…).",
                ));
                None
            }
            (None, Some(_)) if self.quantite.trim().is_empty() => {
                errors.push(FieldError::new(
                    "quantite",
                    "Indiquez la quantité de cette unité, ou laissez l'unité vide.",
                ));
                None
            }
            _ => None,
        };
        let desired_start = if self.debut.trim().is_empty() {
            errors.push(FieldError::new(
                "debut",
                "Indiquez la date de début souhaitée, JJ/MM/AAAA, par exemple 01/01/2027.",
            ));
            None
        } else {
            parse_date(&self.debut)
                .map_err(|e| errors.push(FieldError::new("debut", e)))
                .ok()
        };
        if let Some(why) = desired_start.and_then(|start| desired_start_problem(start, opens_on)) {
            errors.push(FieldError::new("debut", sentence(&why)));
        }
        let current_contract = optional_text("contrat", &self.contrat, SHORT_TEXT_MAX, &mut errors);
        let current_contract_ends_on = if self.fin_contrat.trim().is_empty() {
            None
        } else {
            parse_date(&self.fin_contrat)
                .map_err(|e| errors.push(FieldError::new("fin_contrat", e)))
                .ok()
        };
        let social_requirements = optional_text(
            "exigences_sociales",
            &self.exigences_sociales,
            REQUIREMENTS_MAX,
            &mut errors,
        );
        let environmental_requirements = optional_text(
            "exigences_environnementales",
            &self.exigences_environnementales,
            REQUIREMENTS_MAX,
            &mut errors,
        );
        let reservation = match self.reserve.trim() {
            "" => None,
            code => match Reservation::from_code(code) {
                Some(r) => Some(r),
                None => {
                    errors.push(FieldError {
                        field: "reserve",
                        anchor: "reserve-aucun".into(),
                        message: "Choisissez un marché réservé dans la liste, ou « Non réservé »."
                            .into(),
                    });
                    None
                }
            },
        };
        match (cpv, amount, desired_start) {
            (Some(cpv), Some(annual_amount), Some(desired_start)) if errors.is_empty() => {
                Ok(Need {
                    buyer: buyer.clone(),
                    cpv,
                    description: description.to_owned(),
                    annual_amount,
                    quantity,
                    desired_start,
                    current_contract,
                    current_contract_ends_on,
                    social_requirements,
                    environmental_requirements,
                    reservation,
                })
            }
            _ => Err(errors),
        }
    }
}

impl MemberPage {
    async fn load(
        state: &AppState,
        user: &SignedIn,
        summary: &CampaignSummary,
    ) -> Result<MemberPage, WebError> {
        let c = &summary.campaign;
        let needs = state
            .db
            .needs_of(user.principal.scope(), c.id, nomenclature())
            .await
            .map_err(|e| user.error(WebError::internal(e)))?;
        let mut page = MemberPage {
            layout: user.layout(),
            info: CampaignInfo::new(c, state.clock.today()),
            organisation: user.principal.organisation_name.clone(),
            answered: summary
                .invitation
                .as_ref()
                .and_then(|i| i.answered_at)
                .map(datetime_label),
            total: total_of(&needs),
            needs: needs.iter().map(NeedRow::new).collect(),
            notice: None,
            refusal: None,
            need_fields: Vec::new(),
            quantity_fields: Vec::new(),
            contract_fields: Vec::new(),
            social: Field::new("exigences_sociales", "Exigences sociales", ""),
            environmental: Field::new(
                "exigences_environnementales",
                "Exigences environnementales",
                "",
            ),
            reservations: Vec::new(),
            reservation_error: None,
            errors: Vec::new(),
            upload_error: None,
            workbook_errors: Vec::new(),
            limit: WORKBOOK_LIMIT_LABEL,
        };
        page.set_form(&NeedForm::default(), Vec::new(), &c.cpv_families);
        Ok(page)
    }

    fn set_form(&mut self, form: &NeedForm, errors: Vec<FieldError>, families: &[String]) {
        let families = families.join(", ");
        self.need_fields = vec![
            Field::new(
                "cpv",
                "Code CPV",
                &format!(
                    "8 chiffres, avec ou sans le chiffre de contrôle : 90910000 ou 90910000-9. \
                     Familles de la campagne : {families}."
                ),
            )
            .with(&form.cpv, &errors),
            Field::new("description", "Description", "Ce que vous achèterez.")
                .with(&form.description, &errors),
            Field::new(
                "montant",
                "Montant annuel estimé (€ HT)",
                "Par exemple 12 500,50 : les milliers séparés par une espace, jamais par un \
                 point ; deux décimales au plus.",
            )
            .with(&form.montant, &errors),
            Field::date(
                "debut",
                "Date de début souhaitée",
                "Par exemple 01/01/2027.",
            )
            .with(&form.debut, &errors),
        ];
        self.quantity_fields = vec![
            Field::new("quantite", "Quantité", "Un nombre, par exemple 12,5.")
                .with(&form.quantite, &errors),
            Field::new("unite", "Unité", "Par exemple m², postes, MWh, t.")
                .with(&form.unite, &errors),
        ];
        self.contract_fields = vec![
            Field::new(
                "contrat",
                "Identifiant du contrat",
                "Son identifiant dans les données essentielles (DECP).",
            )
            .with(&form.contrat, &errors),
            Field::date("fin_contrat", "Date de fin du contrat", "")
                .with(&form.fin_contrat, &errors),
        ];
        self.social = Field::new(
            "exigences_sociales",
            "Exigences sociales",
            "Par exemple : clause d'insertion, 5 % des heures.",
        )
        .with(&form.exigences_sociales, &errors);
        self.environmental = Field::new(
            "exigences_environnementales",
            "Exigences environnementales",
            "Par exemple : produits écolabellisés.",
        )
        .with(&form.exigences_environnementales, &errors);
        let chosen = form.reserve.trim();
        self.reservations = std::iter::once(("", "aucun", "Non réservé"))
            .chain(
                Reservation::ALL
                    .into_iter()
                    .map(|r| (r.code(), r.code(), r.label_fr())),
            )
            .map(|(code, id, label)| Reservations {
                code,
                id: format!("reserve-{id}"),
                label,
                checked: code == chosen,
            })
            .collect();
        if !self.reservations.iter().any(|r| r.checked)
            && let Some(none) = self.reservations.first_mut()
        {
            none.checked = true;
        }
        self.reservation_error = error_for(&errors, "reserve");
        self.errors = errors;
    }

    fn notice(&mut self, done: &Done) {
        let count = |s: &str| s.parse::<usize>().unwrap_or(0);
        self.notice = match done.fait.as_str() {
            "besoin" => Some("Besoin enregistré.".to_owned()),
            "supprime" => Some("Besoin supprimé.".to_owned()),
            "reponse" => Some(format!(
                "Réponse envoyée : la coordination voit que vous avez répondu. Vous pouvez \
                 encore modifier vos besoins jusqu'au {} inclus.",
                self.info.closes_on
            )),
            "classeur" => {
                let n = count(&done.n);
                let mut text = match n {
                    0 => "Classeur déposé : aucun besoin importé".to_owned(),
                    1 => "Classeur déposé : 1 besoin importé".to_owned(),
                    n => format!("Classeur déposé : {n} besoins importés"),
                };
                match count(&done.doublons) {
                    0 => {}
                    1 => text.push_str(
                        " ; 1 ligne identique à un besoin saisi dans le formulaire n'a pas été \
                         importée une seconde fois",
                    ),
                    k => text.push_str(&format!(
                        " ; {k} lignes identiques à des besoins saisis dans le formulaire n'ont \
                         pas été importées une seconde fois"
                    )),
                }
                text.push_str(". Votre réponse est envoyée.");
                Some(text)
            }
            _ => None,
        };
    }
}

pub async fn detail(
    State(state): State<Arc<AppState>>,
    user: SignedIn,
    Path(id): Path<String>,
    Query(done): Query<Done>,
) -> Result<Response, WebError> {
    let summary = visible_campaign(&state, &user, &id).await?;
    if summary.progress.is_some() {
        return board(&state, &user, &summary, &done).await;
    }
    let mut page = MemberPage::load(&state, &user, &summary).await?;
    page.notice(&done);
    respond(StatusCode::OK, page)
}

/// The member page again, with why the write was refused (409).
async fn refused(
    state: &AppState,
    user: &SignedIn,
    summary: &CampaignSummary,
    e: CampaignError,
) -> Result<Response, WebError> {
    let reason = refusal(user, e)?;
    let mut page = MemberPage::load(state, user, summary).await?;
    page.refusal = Some(reason);
    respond(StatusCode::CONFLICT, page)
}

pub async fn add_need(
    State(state): State<Arc<AppState>>,
    user: SignedIn,
    Path(id): Path<String>,
    HtmlForm(form): HtmlForm<NeedForm>,
) -> Result<Response, WebError> {
    user.check_csrf(&form.csrf)?;
    let summary = answerable_campaign(&state, &user, &id).await?;
    let organisation = own_organisation(&state, &user).await?;
    let need = match form.parse(&organisation.organisation.siren, summary.campaign.opens_on) {
        Ok(need) => need,
        Err(errors) => {
            let mut page = MemberPage::load(&state, &user, &summary).await?;
            page.set_form(&form, errors, &summary.campaign.cpv_families);
            return respond(StatusCode::UNPROCESSABLE_ENTITY, page);
        }
    };
    let campaign = summary.campaign.id;
    match state
        .db
        .add_need(
            user.principal.scope(),
            campaign,
            &need,
            state.clock.today(),
            state.clock.now(),
        )
        .await
    {
        Ok(_) => Ok(redirect_done(campaign, "fait=besoin#besoins")),
        Err(e) => {
            let reason = refusal(&user, e)?;
            let mut page = MemberPage::load(&state, &user, &summary).await?;
            page.set_form(&form, Vec::new(), &summary.campaign.cpv_families);
            page.refusal = Some(reason);
            respond(StatusCode::CONFLICT, page)
        }
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct CsrfOnly {
    csrf: String,
}

pub async fn delete_need(
    State(state): State<Arc<AppState>>,
    user: SignedIn,
    Path((id, need)): Path<(String, String)>,
    HtmlForm(form): HtmlForm<CsrfOnly>,
) -> Result<Response, WebError> {
    user.check_csrf(&form.csrf)?;
    let summary = answerable_campaign(&state, &user, &id).await?;
    let Ok(need) = need.parse::<i64>() else {
        return Err(user.error(WebError::not_found()));
    };
    let campaign = summary.campaign.id;
    match state
        .db
        .delete_need(user.principal.scope(), campaign, need, state.clock.today())
        .await
    {
        Ok(()) => Ok(redirect_done(campaign, "fait=supprime#besoins")),
        Err(e) => refused(&state, &user, &summary, e).await,
    }
}

pub async fn submit_answer(
    State(state): State<Arc<AppState>>,
    user: SignedIn,
    Path(id): Path<String>,
    HtmlForm(form): HtmlForm<CsrfOnly>,
) -> Result<Response, WebError> {
    user.check_csrf(&form.csrf)?;
    let summary = answerable_campaign(&state, &user, &id).await?;
    let campaign = summary.campaign.id;
    match state
        .db
        .submit_answer(
            user.principal.scope(),
            campaign,
            state.clock.today(),
            state.clock.now(),
        )
        .await
    {
        Ok(()) => Ok(redirect_done(campaign, "fait=reponse")),
        Err(e) => refused(&state, &user, &summary, e).await,
    }
}

pub async fn remind(
    State(state): State<Arc<AppState>>,
    user: SignedIn,
    Path((id, organisation)): Path<(String, String)>,
    HtmlForm(form): HtmlForm<CsrfOnly>,
) -> Result<Response, WebError> {
    user.check_csrf(&form.csrf)?;
    let summary = owned_campaign(&state, &user, &id).await?;
    let Ok(organisation) = organisation.parse::<i64>() else {
        return Err(user.error(WebError::not_found()));
    };
    let wide = user
        .principal
        .scope()
        .territory_wide()
        .ok_or_else(|| user.error(WebError::forbidden()))?;
    let campaign = summary.campaign.id;
    match state
        .db
        .record_reminder(wide, campaign, organisation, state.clock.now())
        .await
    {
        Ok(()) => Ok(redirect_done(
            campaign,
            &format!("fait=relance&membre={organisation}"),
        )),
        Err(CampaignError::NotFound) => Err(user.error(WebError::not_found())),
        Err(e) => Err(user.error(WebError::internal(e))),
    }
}

/// The closing form: the token, and on the second post the confirmation.
#[derive(Deserialize)]
pub struct CloseForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    confirmation: String,
}

/// Closing a campaign cannot be undone: the first post answers a page that says what will
/// happen; only the confirmed post closes it.
pub async fn close(
    State(state): State<Arc<AppState>>,
    user: SignedIn,
    Path(id): Path<String>,
    HtmlForm(form): HtmlForm<CloseForm>,
) -> Result<Response, WebError> {
    user.check_csrf(&form.csrf)?;
    let summary = owned_campaign(&state, &user, &id).await?;
    let wide = user
        .principal
        .scope()
        .territory_wide()
        .ok_or_else(|| user.error(WebError::forbidden()))?;
    let campaign = summary.campaign.id;
    if summary.campaign.status == CampaignStatus::Closed {
        return Ok(Redirect::to(&format!("/campagnes/{campaign}")).into_response());
    }
    if form.confirmation != confirmation::CONFIRMED {
        return close_confirmation(&state, &user, wide, campaign).await;
    }
    match state
        .db
        .close_campaign(wide, campaign, state.clock.now())
        .await
    {
        Ok(()) => Ok(redirect_done(campaign, "fait=cloture")),
        Err(CampaignError::NotFound) => Err(user.error(WebError::not_found())),
        Err(e) => Err(user.error(WebError::internal(e))),
    }
}

/// What closing the campaign will do: no more answers nor changes to the needs, which are
/// kept as they are; who has not answered; that it is final.
async fn close_confirmation(
    state: &AppState,
    user: &SignedIn,
    wide: TerritoryWide,
    campaign: i64,
) -> Result<Response, WebError> {
    let board = state
        .db
        .campaign_board(wide, campaign)
        .await
        .map_err(|e| user.error(WebError::internal(e)))?;
    let c = &board.campaign;
    let when = if state.clock.today() <= c.closes_on {
        format!(
            "La campagne sera close dès maintenant, avant sa date limite du {}",
            d(c.closes_on)
        )
    } else {
        format!(
            "La campagne sera close (sa date limite du {} est passée)",
            d(c.closes_on)
        )
    };
    let declaring = board.members.iter().filter(|m| m.need_count > 0).count();
    let declaring = i64::try_from(declaring).unwrap_or(i64::MAX);
    let mut consequences = vec![
        format!(
            "{when} : les membres invités ne pourront plus y répondre, ni ajouter, modifier ou \
             supprimer un besoin, ni déposer de classeur."
        ),
        format!(
            "Les besoins déclarés sont arrêtés tels quels : {} de {}, {} par an. Ils restent \
             enregistrés et continuent de nourrir les opportunités de mutualisation.",
            count(board.need_count, "besoin", "besoins"),
            count(declaring, "membre", "membres"),
            board.annual_amount
        ),
    ];
    let silent: Vec<&str> = board
        .members
        .iter()
        .filter(|m| m.invitation.answered_at.is_none())
        .map(|m| m.name.as_str())
        .collect();
    if !silent.is_empty() {
        consequences.push(format!(
            "Sans réponse à ce jour, et qui ne pourront plus répondre : {} ({} sur {}).",
            silent.join(", "),
            silent.len(),
            board.members.len()
        ));
    }
    consequences.push(
        "La clôture est définitive : une campagne close ne se rouvre pas ; pour recenser \
         d'autres besoins, créez une nouvelle campagne."
            .to_owned(),
    );
    let page = confirmation::Page {
        layout: user.layout(),
        heading: format!("Clore la campagne « {} » ?", c.title),
        consequences,
        tables: Vec::new(),
        action: format!("/campagnes/{campaign}/cloture"),
        fields: Vec::new(),
        confirm_label: "Confirmer la clôture de la campagne".to_owned(),
        back: format!("/campagnes/{campaign}"),
        back_label: "Ne pas clore : revenir au tableau de bord".to_owned(),
    };
    respond(StatusCode::OK, page)
}

/// "1 besoin", "3 besoins", "0 besoin".
fn count(n: i64, one: &str, many: &str) -> String {
    if n > 1 {
        format!("{n} {many}")
    } else {
        format!("{n} {one}")
    }
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
