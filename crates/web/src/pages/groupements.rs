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

mod irreversible;

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

// ---------------------------------------------------------------------------------------------
// A groupement's page

struct MemberRow {
    name: String,
    siren: String,
    status: String,
    signature: String,
    /// The coordinator may withdraw this unanswered invitation.
    uninvite: bool,
}

struct NeedRow {
    member: String,
    quantity: String,
    amount: String,
    /// "proposé par le coordonnateur, à confirmer", or empty.
    note: &'static str,
}

struct LotBlock {
    number: u32,
    title: String,
    cpv: String,
    needs: Vec<NeedRow>,
    total: String,
    award: String,
}

struct Step {
    label: &'static str,
    /// "fait", "en cours", "à venir".
    state: &'static str,
    class: &'static str,
}

struct ContractRow {
    member: String,
    lot: u32,
    decp_id: String,
    amount: String,
    /// Of the lot's total, in percent with one decimal: the API's thousandths.
    share: String,
    starts_on: String,
    ends_on: String,
    href: String,
}

/// A member's need form for one lot.
struct OwnNeed {
    lot: u32,
    title: String,
    amount: String,
    quantity: String,
    unit: String,
    /// The need is the coordinator's proposal, to confirm.
    proposed: bool,
    errors: HashMap<String, String>,
}

/// One choice of a `<select>`.
struct Choice {
    value: String,
    label: String,
}

fn choices<'a>(values: impl IntoIterator<Item = (&'a str, &'a str)>) -> Vec<Choice> {
    values
        .into_iter()
        .map(|(value, label)| Choice {
            value: value.to_owned(),
            label: label.to_owned(),
        })
        .collect()
}

/// DECP's own list: the value is its label.
fn decp_choices(list: &[&str]) -> Vec<Choice> {
    choices(list.iter().map(|v| (*v, *v)))
}

const YES_NO: [(&str, &str); 2] = [("oui", "Oui"), ("non", "Non")];

/// The `<select>` choices of the forms.
struct Choices {
    missions: Vec<Choice>,
    keys: Vec<Choice>,
    procedures: Vec<Choice>,
    price_forms: Vec<Choice>,
    price_types: Vec<Choice>,
    techniques: Vec<Choice>,
    execution_modes: Vec<Choice>,
    ccag: Vec<Choice>,
    operator_groupings: Vec<Choice>,
    place_types: Vec<Choice>,
    social: Vec<Choice>,
    environmental: Vec<Choice>,
    yes_no: Vec<Choice>,
}

impl Choices {
    fn new() -> Choices {
        Choices {
            missions: choices(Mission::ALL.iter().map(|m| (m.code(), m.label_fr()))),
            keys: choices(
                [
                    CostSharing::ByVolume,
                    CostSharing::ByPopulation,
                    CostSharing::FixedShares(Vec::new()),
                ]
                .iter()
                .map(|k| (k.code(), k.label_fr())),
            ),
            procedures: decp_choices(decp_write::MARCHE_PROCEDURES),
            price_forms: decp_choices(decp_write::PRICE_FORMS),
            price_types: decp_choices(decp_write::PRICE_TYPES),
            techniques: decp_choices(decp_write::TECHNIQUES),
            execution_modes: decp_choices(decp_write::EXECUTION_MODES),
            ccag: decp_choices(decp_write::CCAG),
            operator_groupings: decp_choices(decp_write::OPERATOR_GROUPINGS),
            place_types: decp_choices(decp_write::PLACE_CODE_TYPES),
            social: decp_choices(decp_write::MARCHE_SOCIAL),
            environmental: decp_choices(decp_write::ENVIRONMENTAL),
            yes_no: choices(YES_NO),
        }
    }
}

/// A lot in the terms form.
struct LotRow {
    number: u32,
}

/// A member's fixed share in the terms form.
struct ShareRow {
    siren: String,
    name: String,
}

struct CoordinatorForms {
    /// The terms may still be adjusted (draft, or open before any signature).
    amend: bool,
    open: bool,
    invite: bool,
    start_consultation: bool,
    award: bool,
    start_execution: bool,
    close: bool,
    cancel: bool,
}

struct MemberForms {
    answer: bool,
    needs: Vec<OwnNeed>,
    sign: bool,
    withdraw: bool,
    /// For a member that has withdrawn: what its withdrawal changed.
    withdrawal: Option<WithdrawalView>,
}

#[derive(Template)]
#[template(path = "groupement.html")]
struct DetailPage {
    layout: Layout,
    id: i64,
    version: i64,
    title: String,
    cpv: String,
    status: &'static str,
    mission: &'static str,
    cost_sharing: &'static str,
    duration: u32,
    deadline: String,
    source: String,
    cancellation: String,
    done: String,
    problems: Vec<String>,
    field_errors: HashMap<String, String>,
    values: HashMap<String, String>,
    members: Vec<MemberRow>,
    lots: Vec<LotBlock>,
    steps: Vec<Step>,
    contracts: Vec<ContractRow>,
    proposed_start: String,
    coordinator_view: bool,
    coordinator: Option<CoordinatorForms>,
    member: Option<MemberForms>,
    choices: Choices,
    lot_rows: Vec<LotRow>,
    share_rows: Vec<ShareRow>,
    permille_total: u32,
    late_start_confirm: bool,
    late_start_field: &'static str,
    late_start_label: &'static str,
}

impl DetailPage {
    fn value(&self, field: &str) -> &str {
        self.values.get(field).map_or("", String::as_str)
    }
}

/// What the coordinator's forms show before anything is posted: the current terms, and the
/// award's dates (today).
fn form_defaults(g: &Groupement, today: NaiveDate) -> HashMap<String, String> {
    let mut v = HashMap::new();
    v.insert("titre".into(), g.title.clone());
    v.insert("cpv".into(), g.cpv.to_string());
    v.insert("mission".into(), g.mission.code().into());
    v.insert("cle".into(), g.cost_sharing.code().into());
    v.insert("duree".into(), g.duration_months.to_string());
    v.insert("date_limite".into(), date_value(g.adhesion_deadline));
    v.insert(
        "debut".into(),
        g.proposed_start.map(date_value).unwrap_or_default(),
    );
    for lot in &g.lots {
        v.insert(format!("lot_{}_titre", lot.number), lot.title.clone());
        v.insert(format!("lot_{}_cpv", lot.number), lot.cpv.to_string());
    }
    if let CostSharing::FixedShares(shares) = &g.cost_sharing {
        for (siren, permille) in shares {
            v.insert(format!("part_{siren}"), permille.to_string());
        }
    }
    v.insert("notification".into(), date_value(today));
    v.insert("publication".into(), date_value(today));
    v
}

/// What a failed action leaves on the page.
#[derive(Default)]
struct Outcome {
    done: String,
    problems: Vec<String>,
    field_errors: HashMap<String, String>,
    values: HashMap<String, String>,
}

const STEPS: [GroupementStatus; 7] = [
    GroupementStatus::Draft,
    GroupementStatus::OpenForAdhesion,
    GroupementStatus::ConventionSigned,
    GroupementStatus::Consultation,
    GroupementStatus::Awarded,
    GroupementStatus::InExecution,
    GroupementStatus::Closed,
];

fn steps(g: &Groupement) -> Vec<Step> {
    let current = STEPS.iter().position(|s| *s == g.status);
    let mut steps: Vec<Step> = STEPS
        .iter()
        .enumerate()
        .filter(|(_, s)| {
            // The execution is no step of a groupement whose coordinator only awards.
            **s != GroupementStatus::InExecution
                || g.mission == Mission::AwardAndExecution
                || g.execution_started_on.is_some()
        })
        .map(|(i, s)| {
            let (state, class) = match current {
                Some(c) if i < c => ("fait", "step-done"),
                Some(c) if i == c && g.status.is_final() => ("fait", "step-done"),
                Some(c) if i == c => ("en cours", "step-current"),
                Some(_) => ("à venir", "step-next"),
                None if i == 0 => ("fait", "step-done"),
                None => ("non atteinte", "step-next"),
            };
            Step {
                label: s.label_fr(),
                state,
                class,
            }
        })
        .collect();
    if g.status == GroupementStatus::Cancelled {
        steps.push(Step {
            label: GroupementStatus::Cancelled.label_fr(),
            state: "fait",
            class: "step-current",
        });
    }
    steps
}

async fn render_detail(
    state: &AppState,
    user: &SignedIn,
    stored: &StoredGroupement,
    outcome: Outcome,
    status: StatusCode,
) -> Result<Response, WebError> {
    let g = &stored.groupement;
    let today = state.clock.today();
    let own = own_siren(state, user).await?;
    let owner = owns(user, stored);
    // What the user may do, as the policy storage applies says: each form below is drawn from it.
    let actor = Actor {
        organisation: own.clone(),
        role: user.principal.role(),
    };
    let may = |kind: ActionKind| g.may(&actor, kind, (!kind.is_coordinators()).then_some(&own));
    let name_of = |siren: &Siren| {
        g.member(siren)
            .map_or_else(|| siren.to_string(), |m| m.name.clone())
    };
    let members = g
        .members
        .iter()
        .map(|m| MemberRow {
            uninvite: g.may(&actor, ActionKind::Uninvite, Some(&m.siren)),
            name: if m.siren == g.coordinator {
                format!("{} (coordonnateur)", m.name)
            } else {
                m.name.clone()
            },
            siren: m.siren.to_string(),
            status: m.status.label_fr(),
            signature: g.signature_of(&m.siren).map_or_else(
                || "non signée".to_owned(),
                |s| {
                    format!(
                        "signée le {} par {} (délibération {} du {})",
                        d(s.signed_on),
                        s.signatory,
                        s.deliberation.reference,
                        d(s.deliberation.adopted_on)
                    )
                },
            ),
        })
        .collect();
    let supplier_names = state
        .db
        .award_supplier_names(g)
        .await
        .map_err(|e| user.error(WebError::internal(e)))?;
    let lots = g
        .lots
        .iter()
        .map(|l| {
            let needs: Vec<&LotNeed> = g.counted_needs(l.number, today).collect();
            LotBlock {
                number: l.number,
                title: l.title.clone(),
                cpv: cpv_label(l.cpv),
                needs: needs
                    .iter()
                    .map(|n| NeedRow {
                        member: name_of(&n.member),
                        quantity: n
                            .quantity
                            .as_ref()
                            .map(Quantity::label_fr)
                            .unwrap_or_default(),
                        amount: n.estimated_amount.to_string(),
                        note: if n.confirmed {
                            ""
                        } else {
                            "proposé par le coordonnateur, à confirmer"
                        },
                    })
                    .collect(),
                total: g.lot_total(l.number, today).to_string(),
                award: g
                    .award_of(l.number)
                    .and_then(|a| {
                        a.lots.iter().find(|x| x.lot == l.number).map(|x| {
                            format!(
                                "attribué à {} pour {}",
                                supplier_label(&a.supplier_siret, &supplier_names),
                                x.total
                            )
                        })
                    })
                    .unwrap_or_default(),
            }
        })
        .collect();
    let contracts = if g.awards.is_empty() {
        Vec::new()
    } else {
        let found = groupements::visible_contracts(state, &user.principal, stored)
            .await
            .map_err(|e| user.error(WebError::internal(e)))?;
        found
            .iter()
            .map(|c| {
                let siren = c.buyer_siret.get(..9).unwrap_or_default();
                let lot_total = g
                    .award_of(c.lot)
                    .and_then(|a| a.lots.iter().find(|x| x.lot == c.lot).map(|x| x.total));
                let share = lot_total
                    .and_then(|total| share_permille(c.amount, total))
                    .map(share_percent_label)
                    .unwrap_or_default();
                ContractRow {
                    member: g
                        .members
                        .iter()
                        .find(|m| m.siren.as_str() == siren)
                        .map_or_else(|| c.buyer_siret.clone(), |m| m.name.clone()),
                    lot: c.lot,
                    decp_id: c.decp_id.clone(),
                    amount: c.amount.to_string(),
                    share,
                    starts_on: c.starts_on.map(d).unwrap_or_default(),
                    ends_on: c.ends_on.map(d).unwrap_or_default(),
                    href: format!("/contrats/{}", c.contract_id),
                }
            })
            .collect()
    };
    let s = g.status;
    let coordinator = owner.then(|| CoordinatorForms {
        amend: may(ActionKind::Amend),
        open: may(ActionKind::Open),
        invite: may(ActionKind::Invite),
        start_consultation: may(ActionKind::StartConsultation),
        award: may(ActionKind::Award),
        start_execution: may(ActionKind::StartExecution),
        close: may(ActionKind::Close),
        cancel: may(ActionKind::Cancel),
    });
    let buyer_role = actor.role.can(Capability::Groupements);
    let member = g.member(&own).filter(|_| buyer_role).map(|_| MemberForms {
        answer: may(ActionKind::Join) || may(ActionKind::Decline),
        needs: if may(ActionKind::SetNeed) {
            g.lots
                .iter()
                .map(|l| {
                    let current = g
                        .needs
                        .iter()
                        .find(|n| n.lot == l.number && n.member == own);
                    let posted = outcome.values.get("action").map(String::as_str)
                        == Some("set_need")
                        && outcome.values.get("lot").map(String::as_str)
                            == Some(l.number.to_string().as_str());
                    let posted_value =
                        |name: &str| outcome.values.get(name).cloned().unwrap_or_default();
                    let quantity = current.and_then(|n| n.quantity.as_ref());
                    OwnNeed {
                        lot: l.number,
                        title: l.title.clone(),
                        amount: if posted {
                            posted_value("montant")
                        } else {
                            current
                                .map(|n| n.estimated_amount.to_string())
                                .unwrap_or_default()
                        },
                        quantity: if posted {
                            posted_value("quantite")
                        } else {
                            quantity
                                .map(|q| {
                                    let label = q.label_fr();
                                    label
                                        .strip_suffix(q.unit.as_str())
                                        .unwrap_or(&label)
                                        .trim()
                                        .to_owned()
                                })
                                .unwrap_or_default()
                        },
                        unit: if posted {
                            posted_value("unite")
                        } else {
                            quantity.map(|q| q.unit.clone()).unwrap_or_default()
                        },
                        proposed: current.is_some_and(|n| !n.confirmed),
                        errors: if posted {
                            outcome.field_errors.clone()
                        } else {
                            HashMap::new()
                        },
                    }
                })
                .collect()
        } else {
            Vec::new()
        },
        sign: may(ActionKind::Sign),
        withdraw: may(ActionKind::Withdraw),
        withdrawal: g
            .withdrawal_of(&own, today)
            .map(|w| WithdrawalView::after(g, &w)),
    });
    let mut values = if owner {
        form_defaults(g, today)
    } else {
        HashMap::new()
    };
    values.extend(outcome.values);
    // An award posted with a notification after the planned start: the form asks to confirm.
    let late_start_confirm = owner
        && values.get("action").map(String::as_str) == Some("award")
        && Fields {
            form: &values,
            errors: HashMap::new(),
        }
        .optional_date("notification")
        .is_some_and(|n| g.late_notification(n).is_some());
    let lot_rows = g.lots.iter().map(|l| LotRow { number: l.number }).collect();
    let share_rows = g
        .members
        .iter()
        .filter(|m| {
            matches!(
                m.status,
                MemberStatus::Invited | MemberStatus::Joined { .. }
            )
        })
        .map(|m| ShareRow {
            siren: m.siren.to_string(),
            name: m.name.clone(),
        })
        .collect();
    let page = DetailPage {
        layout: user.layout(),
        id: stored.id,
        version: stored.version,
        title: g.title.clone(),
        cpv: cpv_label(g.cpv),
        status: s.label_fr(),
        mission: g.mission.label_fr(),
        cost_sharing: g.cost_sharing.label_fr(),
        duration: g.duration_months,
        deadline: d(g.adhesion_deadline),
        source: stored.source.as_ref().map_or_else(String::new, |src| {
            format!(
                "/opportunites/{}?date={}{}",
                src.cpv_prefix,
                src.as_of.format("%Y-%m-%d"),
                if src.all_buyers {
                    "&perimetre=tous"
                } else {
                    ""
                }
            )
        }),
        cancellation: g
            .cancellation
            .as_ref()
            .map(|c| format!("Annulé le {} : {}", d(c.on), c.reason))
            .unwrap_or_default(),
        done: outcome.done,
        problems: outcome.problems,
        field_errors: outcome.field_errors,
        values,
        members,
        lots,
        steps: steps(g),
        contracts,
        proposed_start: g.proposed_start.map(d).unwrap_or_default(),
        coordinator_view: owner,
        coordinator,
        member,
        choices: Choices::new(),
        lot_rows,
        share_rows,
        permille_total: PERMILLE_TOTAL,
        late_start_confirm,
        late_start_field: LATE_START_FIELD,
        late_start_label: LATE_START_LABEL,
    };
    respond(status, page)
}

#[derive(Deserialize, Default)]
pub struct DetailQuery {
    #[serde(default)]
    fait: String,
    /// After a creation whose start was moved: the opportunity's common start (ISO)…
    #[serde(default)]
    debut_opportunite: String,
    /// … and the lead time of its procedure, in months.
    #[serde(default)]
    delai: String,
}

pub async fn detail(
    State(state): State<Arc<AppState>>,
    user: SignedIn,
    Path(id): Path<String>,
    query: Result<Query<DetailQuery>, QueryRejection>,
) -> Result<Response, WebError> {
    let stored = visible(&state, &user, &id).await?;
    let g = &stored.groupement;
    let own = own_siren(&state, &user).await?;
    let query = query.map(|Query(q)| q).unwrap_or_default();
    let done = match query.fait.as_str() {
        "" => String::new(),
        "creation" => {
            let mut done = "Groupement créé à partir de l'opportunité : vérifiez-le, puis \
                            ouvrez-le aux adhésions."
                .to_owned();
            if let Some(moved) = moved_start(&stored.groupement, &query) {
                done.push(' ');
                done.push_str(&moved);
            }
            done
        }
        code => irreversible::notice(g, &own, code, state.clock.today())
            .unwrap_or_else(|| format!("Enregistré : {}.", action_label(code))),
    };
    let outcome = Outcome {
        done,
        ..Outcome::default()
    };
    render_detail(&state, &user, &stored, outcome, StatusCode::OK).await
}

/// Why the planned start is not the opportunity's, after a creation that moved it.
fn moved_start(g: &Groupement, query: &DetailQuery) -> Option<String> {
    let from = NaiveDate::parse_from_str(&query.debut_opportunite, "%Y-%m-%d").ok()?;
    let lead: u32 = query.delai.parse().ok()?;
    let start = g.proposed_start?;
    let lead = match lead {
        0 => String::new(),
        1 => " augmentée du mois nécessaire à la consultation".to_owned(),
        n => format!(" augmentée des {n} mois nécessaires à la consultation"),
    };
    Some(format!(
        "Le début commun de l'opportunité, le {}, précédait la date limite d'adhésion du \
         {}{lead} : le début envisagé des contrats est reporté au {}, premier jour du mois qui \
         suit. Vous pouvez l'ajuster dans les termes du groupement.",
        d(from),
        d(g.adhesion_deadline),
        d(start)
    ))
}

fn action_label(code: &str) -> &'static str {
    match code {
        "open" => "ouverture aux adhésions",
        "amend" => "modification des termes",
        "invite" => "invitation",
        "uninvite" => "retrait d'invitation",
        "join" => "adhésion",
        "decline" => "refus d'adhésion",
        "withdraw" => "retrait",
        "set_need" => "besoin par lot",
        "sign" => "signature de la convention",
        "start_consultation" => "lancement de la consultation",
        "award" => "attribution",
        "start_execution" => "début de l'exécution",
        "close" => "clôture",
        "cancel" => "annulation",
        _ => "modification",
    }
}

// ---------------------------------------------------------------------------------------------
// Actions

/// The form's fields, read by name: each action reads its own.
struct Fields<'a> {
    form: &'a HashMap<String, String>,
    errors: HashMap<String, String>,
}

impl<'a> Fields<'a> {
    fn get(&self, name: &str) -> &'a str {
        self.form.get(name).map_or("", |v| v.trim())
    }

    fn text(&mut self, name: &str, what: &str) -> String {
        let value = self.get(name);
        if value.is_empty() {
            self.errors.insert(
                name.to_owned(),
                format!("Indiquez {what}, s'il vous plaît."),
            );
        } else if value.chars().count() > TEXT_MAX {
            self.errors.insert(
                name.to_owned(),
                format!("{TEXT_MAX} caractères au plus, s'il vous plaît."),
            );
        }
        value.to_owned()
    }

    fn amount(&mut self, name: &str) -> Amount {
        match french::parse_amount(self.get(name)) {
            Ok(a) if a.cents() > 0 => a,
            Ok(_) => {
                self.errors
                    .insert(name.to_owned(), "Le montant doit être positif.".to_owned());
                Amount::ZERO
            }
            Err(e) => {
                self.errors.insert(
                    name.to_owned(),
                    format!("{e} ; écrivez par exemple 12 500,00 €."),
                );
                Amount::ZERO
            }
        }
    }

    /// A value of a `<select>`: one of `allowed`.
    fn choice(&mut self, name: &str, allowed: &[&str]) -> String {
        let value = self.get(name);
        if !allowed.contains(&value) {
            self.errors.insert(
                name.to_owned(),
                "Choisissez une valeur de la liste, s'il vous plaît.".to_owned(),
            );
        }
        value.to_owned()
    }

    fn yes_no(&mut self, name: &str) -> bool {
        self.choice(name, &["oui", "non"]) == "oui"
    }

    /// A whole number from `min`, spaces allowed ("1 000").
    fn whole(&mut self, name: &str, min: u32, what: &str) -> u32 {
        match french::parse_whole(self.get(name)) {
            Ok(n) if n >= min => n,
            _ => {
                self.errors.insert(
                    name.to_owned(),
                    format!("{what} : un nombre entier à partir de {min}, s'il vous plaît."),
                );
                min
            }
        }
    }

    fn optional_date(&mut self, name: &str) -> Option<NaiveDate> {
        if self.get(name).is_empty() {
            None
        } else {
            Some(self.date(name))
        }
    }

    fn cpv(&mut self, name: &str) -> Option<CpvCode> {
        match nomenclature().parse(self.get(name)) {
            Ok(code) => Some(code),
            Err(e) => {
                self.errors.insert(
                    name.to_owned(),
                    format!("Code CPV non reconnu ({e}) ; par exemple 90911200-8."),
                );
                None
            }
        }
    }

    /// The terms of the amendment form, over the current lots.
    fn terms(&mut self, g: &Groupement) -> Option<Terms> {
        let title = self.text("titre", "l'intitulé du groupement");
        let cpv = self.cpv("cpv");
        let mission = Mission::from_code(self.get("mission"));
        if mission.is_none() {
            self.errors.insert(
                "mission".to_owned(),
                "Choisissez une mission, s'il vous plaît.".to_owned(),
            );
        }
        let cost_sharing = match self.get("cle") {
            "by_volume" => Some(CostSharing::ByVolume),
            "by_population" => Some(CostSharing::ByPopulation),
            "fixed_shares" => {
                let mut shares = Vec::new();
                for m in &g.members {
                    let name = format!("part_{}", m.siren);
                    if !self.get(&name).is_empty() {
                        let permille = self.whole(&name, 1, "Part en pour mille");
                        shares.push((m.siren.clone(), permille));
                    }
                }
                Some(CostSharing::FixedShares(shares))
            }
            _ => {
                self.errors.insert(
                    "cle".to_owned(),
                    "Choisissez une clé de répartition, s'il vous plaît.".to_owned(),
                );
                None
            }
        };
        let duration_months = self.whole("duree", 1, "Durée en mois");
        let adhesion_deadline = self.date("date_limite");
        let proposed_start = self.optional_date("debut");
        let mut lots = Vec::new();
        for lot in &g.lots {
            if self.get(&format!("lot_{}_retirer", lot.number)) == "oui" {
                continue;
            }
            let title = self.text(&format!("lot_{}_titre", lot.number), "l'intitulé du lot");
            if let Some(cpv) = self.cpv(&format!("lot_{}_cpv", lot.number)) {
                lots.push(Lot {
                    number: lot.number,
                    title,
                    cpv,
                });
            }
        }
        if !self.get("nouveau_lot_titre").is_empty() || !self.get("nouveau_lot_cpv").is_empty() {
            let number = g.lots.iter().map(|l| l.number).max().unwrap_or(0) + 1;
            let title = self.text("nouveau_lot_titre", "l'intitulé du nouveau lot");
            if let Some(cpv) = self.cpv("nouveau_lot_cpv") {
                lots.push(Lot { number, title, cpv });
            }
        }
        Some(Terms {
            title,
            cpv: cpv?,
            lots,
            mission: mission?,
            cost_sharing: cost_sharing?,
            duration_months,
            adhesion_deadline,
            proposed_start,
        })
    }

    /// What DECP publishes of the award.
    fn publication(&mut self) -> AwardPublication {
        let notified_on = self.date("notification");
        let published_on = self.date("publication");
        let procedure = self.choice("procedure", decp_write::MARCHE_PROCEDURES);
        let price_form = self.choice("forme_prix", decp_write::PRICE_FORMS);
        let place = Place {
            code: self.text("lieu_code", "le code du lieu d'exécution"),
            code_type: self.choice("lieu_type", decp_write::PLACE_CODE_TYPES),
        };
        let advance_paid = self.yes_no("avance");
        let advance_rate_permille = if self.get("taux_avance").is_empty() {
            None
        } else {
            match french::parse_quantity(self.get("taux_avance")) {
                // A percentage in thousandths of a percent: 5 % → 5000 → 50 ‰.
                Ok(t) if (0..=100_000).contains(&t) && t % 100 == 0 => u32::try_from(t / 100).ok(),
                _ => {
                    self.errors.insert(
                        "taux_avance".to_owned(),
                        "Taux en pour cent, de 0 à 100, au dixième près (par exemple 5 ou 7,5)."
                            .to_owned(),
                    );
                    None
                }
            }
        };
        let decp2 = Decp2Fields {
            techniques: vec![self.choice("technique", decp_write::TECHNIQUES)],
            execution_modes: vec![self.choice("modalite", decp_write::EXECUTION_MODES)],
            framework_id: None,
            innovative: Some(self.yes_no("innovant")),
            ccag: Some(self.choice("ccag", decp_write::CCAG)),
            offers_received: Some(self.whole("offres", 1, "Nombre d'offres reçues")),
            advance_paid: Some(advance_paid),
            advance_rate_permille,
            operator_grouping: Some(
                self.choice("groupement_operateurs", decp_write::OPERATOR_GROUPINGS),
            ),
            price_types: vec![self.choice("type_prix", decp_write::PRICE_TYPES)],
            subcontracting_declared: Some(self.yes_no("sous_traitance")),
            social_considerations: vec![self.choice("social", decp_write::MARCHE_SOCIAL)],
            environmental_considerations: vec![
                self.choice("environnement", decp_write::ENVIRONMENTAL),
            ],
            ..Decp2Fields::default()
        };
        AwardPublication {
            notified_on,
            published_on,
            procedure,
            price_form,
            place,
            decp2,
        }
    }

    fn date(&mut self, name: &str) -> NaiveDate {
        parse_date(self.get(name)).unwrap_or_else(|message| {
            self.errors.insert(name.to_owned(), message);
            NaiveDate::MIN
        })
    }
}

/// The action a form asks, for the member `own`; `None` with field errors when a field does
/// not read, or an unknown action.
fn read_action(
    form: &HashMap<String, String>,
    g: &Groupement,
    own: &Siren,
    today: NaiveDate,
) -> (Option<Action>, HashMap<String, String>) {
    let mut f = Fields {
        form,
        errors: HashMap::new(),
    };
    let member = own.clone();
    let action = match f.get("action") {
        "open" => Some(Action::Open),
        "amend" => f.terms(g).map(|t| Action::Amend(Box::new(t))),
        "invite" => {
            let siren = Siren::parse(f.get("siren"));
            if let Err(e) = &siren {
                f.errors
                    .insert("siren".to_owned(), sentence(&e.to_string()));
            }
            let name = f.text("nom", "le nom de l'organisme");
            let population = f.get("population");
            let population = if population.is_empty() {
                None
            } else {
                match french::parse_whole(population) {
                    Ok(p) => Some(p),
                    Err(_) => {
                        f.errors.insert(
                            "population".to_owned(),
                            "Population attendue : un nombre entier d'habitants.".to_owned(),
                        );
                        None
                    }
                }
            };
            siren.ok().map(|member| Action::Invite {
                member,
                name,
                population,
            })
        }
        "uninvite" => match Siren::parse(f.get("siren")) {
            Ok(member) => Some(Action::Uninvite { member }),
            Err(e) => {
                f.errors
                    .insert("siren".to_owned(), sentence(&e.to_string()));
                None
            }
        },
        "join" => Some(Action::Join { member, on: today }),
        "decline" => Some(Action::Decline { member, on: today }),
        "withdraw" => Some(Action::Withdraw { member, on: today }),
        "set_need" => {
            let lot = f
                .get("lot")
                .parse::<u32>()
                .ok()
                .filter(|l| g.lot(*l).is_some());
            if lot.is_none() {
                f.errors.insert("lot".to_owned(), "Lot inconnu.".to_owned());
            }
            let amount = f.amount("montant");
            let unit = f.get("unite").to_owned();
            let quantity = match (f.get("quantite"), unit.is_empty()) {
                ("", true) => None,
                ("", false) => {
                    f.errors.insert(
                        "quantite".to_owned(),
                        "Indiquez la quantité de cette unité, ou laissez l'unité vide.".to_owned(),
                    );
                    None
                }
                (text, no_unit) => match french::parse_quantity(text) {
                    Ok(thousandths) if thousandths > 0 && !no_unit => Some(Quantity {
                        thousandths,
                        unit: unit.clone(),
                    }),
                    Ok(_) if no_unit => {
                        f.errors.insert(
                            "unite".to_owned(),
                            "Indiquez l'unité de la quantité (m², postes, MWh, t…).".to_owned(),
                        );
                        None
                    }
                    Ok(_) => {
                        f.errors.insert(
                            "quantite".to_owned(),
                            "La quantité doit être positive.".to_owned(),
                        );
                        None
                    }
                    Err(e) => {
                        f.errors.insert(
                            "quantite".to_owned(),
                            format!("{e} ; écrivez par exemple 12,5."),
                        );
                        None
                    }
                },
            };
            lot.map(|lot| {
                Action::SetNeed(LotNeed {
                    lot,
                    member,
                    quantity,
                    estimated_amount: amount,
                    confirmed: true,
                })
            })
        }
        "sign" => {
            let signatory = f.text("signataire", "le signataire et sa qualité");
            let reference = f.text("deliberation", "la référence de la délibération");
            let adopted_on = f.date("date_deliberation");
            Some(Action::Sign(Signature {
                member,
                signed_on: today,
                signatory,
                deliberation: Deliberation {
                    reference,
                    adopted_on,
                },
            }))
        }
        "start_consultation" => Some(Action::StartConsultation { on: today }),
        "award" => {
            // The importer's validation and message: length, digits, Luhn key.
            let siret = Siret::parse(f.get("siret"));
            if let Err(e) = &siret {
                f.errors.insert(
                    "siret".to_owned(),
                    format!("{} Par exemple 44306184100005.", sentence(&e.to_string())),
                );
            }
            let lots = g
                .lots
                .iter()
                .filter(|l| g.award_of(l.number).is_none())
                .map(|l| LotAward {
                    lot: l.number,
                    total: f.amount(&format!("total_{}", l.number)),
                })
                .collect();
            let publication = f.publication();
            if !f.errors.contains_key("notification")
                && let Some(why) = g.late_notification(publication.notified_on)
                && f.get(LATE_START_FIELD) != "oui"
            {
                f.errors.insert(
                    "notification".to_owned(),
                    format!(
                        "{} Corrigez la date, ou cochez « {LATE_START_LABEL} » pour le confirmer.",
                        sentence(&why)
                    ),
                );
            }
            siret.ok().map(|supplier_siret| {
                Action::Award(Award {
                    supplier_siret,
                    lots,
                    publication: Some(Box::new(publication)),
                })
            })
        }
        "start_execution" => Some(Action::StartExecution { on: today }),
        "close" => Some(Action::Close { on: today }),
        "cancel" => {
            let reason = f.text("motif", "le motif de l'annulation");
            Some(Action::Cancel { on: today, reason })
        }
        _ => {
            f.errors.insert(
                "action".to_owned(),
                "Action inconnue : rechargez la page.".to_owned(),
            );
            None
        }
    };
    if f.errors.is_empty() {
        (action, f.errors)
    } else {
        (None, f.errors)
    }
}

pub async fn act(
    State(state): State<Arc<AppState>>,
    user: SignedIn,
    Path(id): Path<String>,
    HtmlForm(form): HtmlForm<HashMap<String, String>>,
) -> Result<Response, WebError> {
    user.check_csrf(form.get("csrf").map_or("", String::as_str))?;
    let stored = visible(&state, &user, &id).await?;
    let own = own_siren(&state, &user).await?;
    let values: HashMap<String, String> = form
        .iter()
        .filter(|(k, _)| k.as_str() != "csrf")
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let Ok(version) = form
        .get("version")
        .map_or("", String::as_str)
        .parse::<i64>()
    else {
        return Err(user.error(WebError::with_detail(
            ErrorCode::BadRequest,
            "version du formulaire manquante : rechargez la page",
        )));
    };
    let (action, field_errors) = read_action(&form, &stored.groupement, &own, state.clock.today());
    // A field that does not read, or an award whose DECP record would be incomplete: nothing
    // is applied.
    let problems = match &action {
        None => vec!["Certains champs sont à corriger : voir ci-dessous.".to_owned()],
        Some(Action::Award(award)) => unpublishable(&stored.groupement, stored.id, award),
        Some(_) => Vec::new(),
    };
    let Some(action) = action.filter(|_| problems.is_empty()) else {
        let outcome = Outcome {
            problems,
            field_errors,
            values,
            ..Outcome::default()
        };
        return render_detail(
            &state,
            &user,
            &stored,
            outcome,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    };
    if needs_confirmation(&action) && !confirmation::confirmed(&form) {
        return confirm(&state, &user, &stored, version, action, values).await;
    }
    let code = action.code();
    let result = groupements::apply(&state, &user.principal, stored.id, version, action).await;
    match result {
        Ok(_) => {
            Ok(Redirect::to(&format!("/groupements/{}?fait={code}", stored.id)).into_response())
        }
        Err(e) => not_applied(&state, &user, &id, values, e).await,
    }
}

/// The page of an action storage did not apply: the reasons, over the current state whatever
/// the form started from, with the fields as posted.
async fn not_applied(
    state: &AppState,
    user: &SignedIn,
    id: &str,
    values: HashMap<String, String>,
    error: GroupementError,
) -> Result<Response, WebError> {
    let (status, problems) = match error {
        GroupementError::NotFound => return Err(user.error(WebError::not_found())),
        GroupementError::Storage(e) => return Err(user.error(WebError::internal(e))),
        GroupementError::Conflict { .. } => {
            (StatusCode::CONFLICT, vec![CONFLICT_MESSAGE.to_owned()])
        }
        GroupementError::Refused(r) => (StatusCode::UNPROCESSABLE_ENTITY, r.reasons),
        GroupementError::Forbidden(m) => (StatusCode::FORBIDDEN, vec![m]),
        e => (StatusCode::UNPROCESSABLE_ENTITY, vec![e.to_string()]),
    };
    let current = visible(state, user, id).await?;
    let outcome = Outcome {
        problems,
        values,
        ..Outcome::default()
    };
    render_detail(state, user, &current, outcome, status).await
}

/// The actions that cannot be undone: a confirmation step comes first.
fn needs_confirmation(action: &Action) -> bool {
    matches!(action, Action::Withdraw { .. } | Action::Cancel { .. })
}

/// The confirmation page of an irreversible action, once storage's dry run has accepted it
/// (otherwise the reasons, as if it had been applied): what will happen, and the form that
/// posts it again, confirmed.
async fn confirm(
    state: &AppState,
    user: &SignedIn,
    stored: &StoredGroupement,
    version: i64,
    action: Action,
    values: HashMap<String, String>,
) -> Result<Response, WebError> {
    let checked = groupements::check(state, &user.principal, stored.id, version, &action).await;
    if let Err(e) = checked {
        return not_applied(state, user, &stored.id.to_string(), values, e).await;
    }
    let g = &stored.groupement;
    let mut fields = vec![
        ("version".to_owned(), version.to_string()),
        ("action".to_owned(), action.code().to_owned()),
    ];
    let (heading, consequences, tables, confirm_label, back_label) = match &action {
        Action::Withdraw { member, on } => {
            let w = g
                .withdrawal(member, *on)
                .map_err(|r| user.error(WebError::internal(r)))?;
            let view = WithdrawalView::before(g, &w);
            (
                format!("Vous retirer du groupement « {} » ?", g.title),
                view.sentences,
                view.tables,
                "Confirmer le retrait du groupement",
                "Ne pas me retirer : revenir au groupement",
            )
        }
        Action::Cancel { on, reason } => {
            fields.push(("motif".to_owned(), reason.clone()));
            let (heading, sentences) = irreversible::cancellation(g, *on, reason);
            (
                heading,
                sentences,
                Vec::new(),
                "Confirmer l'annulation du groupement",
                "Ne pas annuler : revenir au groupement",
            )
        }
        other => {
            return Err(user.error(WebError::internal(format!(
                "no confirmation for {}",
                other.code()
            ))));
        }
    };
    let page = confirmation::Page {
        layout: user.layout(),
        heading,
        consequences,
        tables,
        action: format!("/groupements/{}/actions", stored.id),
        fields,
        confirm_label: confirm_label.to_owned(),
        back: format!("/groupements/{}", stored.id),
        back_label: back_label.to_owned(),
    };
    respond(StatusCode::OK, page)
}

/// What would keep the award's DECP records from being published, in French; empty when
/// they are complete. The buyer's SIRET does not matter here: the supplier's stands in.
fn unpublishable(g: &Groupement, id: i64, award: &Award) -> Vec<String> {
    let Ok(next) = g.apply(&Action::Award(award.clone())) else {
        // The domain's refusal says why, once the action is applied.
        return Vec::new();
    };
    let awarded: Vec<String> = award
        .lots
        .iter()
        .map(|l| mutualis_domain::groupement::lot_contract_id(id, l.lot))
        .collect();
    next.published_contracts(id, &award.supplier_siret)
        .iter()
        .filter(|c| awarded.contains(&c.id))
        .filter_map(|c| {
            let missing = decp_write::missing_for_decp2(c);
            (!missing.is_empty()).then(|| {
                format!(
                    "la publication DECP du contrat {} serait incomplète : {}",
                    c.id,
                    missing.join(", ")
                )
            })
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// The convention

/// The convention as of `on`: the rules in force that day.
fn convention_input(g: &Groupement, on: NaiveDate) -> ConventionInput<'_> {
    let mut input = ConventionInput::new(g, on);
    for code in std::iter::once(g.cpv).chain(g.lots.iter().map(|l| l.cpv)) {
        if let Some(entry) = nomenclature().entry(code) {
            input.cpv_labels.insert(code, entry.label_fr.clone());
        }
    }
    input.legal_references = [RuleKind::Groupement, RuleKind::Allotissement]
        .into_iter()
        .filter_map(|kind| rule_book().in_force(kind, None, None, on))
        .map(LegalReference::from)
        .collect();
    input
}

pub async fn convention_html(
    State(state): State<Arc<AppState>>,
    user: SignedIn,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    let stored = visible(&state, &user, &id).await?;
    Ok(Html(convention::html(&convention_input(
        &stored.groupement,
        state.clock.today(),
    )))
    .into_response())
}

pub async fn convention_pdf(
    State(state): State<Arc<AppState>>,
    user: SignedIn,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    let stored = visible(&state, &user, &id).await?;
    let disposition = format!(
        "attachment; filename=\"convention-groupement-{}.pdf\"",
        stored.id
    );
    let on = state.clock.today();
    let bytes =
        crate::blocking::run(move || convention::pdf(&convention_input(&stored.groupement, on)))
            .await
            .map_err(|e| user.error(e))?
            .map_err(|e| user.error(WebError::internal(e)))?;
    let disposition =
        HeaderValue::from_str(&disposition).map_err(|e| user.error(WebError::internal(e)))?;
    Ok((
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/pdf"),
            ),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        bytes,
    )
        .into_response())
}
