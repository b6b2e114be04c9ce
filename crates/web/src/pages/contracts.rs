//! The contracts pages: the list with its filters, a contract's detail with its
//! modifications, the expiry calendar, and (for the coordinator) the DECP upload.

use std::sync::Arc;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{Html, IntoResponse, Response};
use chrono::{Datelike, NaiveDate};
use mutualis_app::contracts::{contract_flags, visible_contract, visible_contracts};
use mutualis_domain::{Amount, Capability};
use mutualis_formats::decp_vocab::{Nature, PriceForm, Procedure, Vocabulary};
use mutualis_reference::cpv::nomenclature;
use mutualis_storage::contracts::{ContractFilter, ContractRecord};
use mutualis_storage::organisations::OrganisationRecord;
use serde::Deserialize;

use crate::AppState;
use crate::error::WebError;
use crate::layout::Layout;
use crate::pages::{Pagination, forms, imported_text};
use crate::session::SignedIn;

pub use mutualis_app::contracts::{FieldError, FilterQuery, PER_PAGE};

/// A contract as a row of the list.
pub struct ContractRow {
    pub id: i64,
    pub buyer: String,
    pub object: String,
    pub cpv: String,
    pub procedure: String,
    pub amount: String,
    pub ends_on: String,
}

pub fn date_fr(d: Option<NaiveDate>) -> String {
    d.map(|d| d.format("%d/%m/%Y").to_string())
        .unwrap_or_else(|| "—".into())
}

pub fn amount_fr(a: Option<Amount>) -> String {
    a.map(|a| a.to_string()).unwrap_or_else(|| "—".into())
}

impl ContractRow {
    fn from_record(r: &ContractRecord) -> ContractRow {
        let c = &r.contract;
        ContractRow {
            id: r.id,
            buyer: imported_text(&r.organisation_name).into_owned(),
            object: imported_text(&c.object).into_owned(),
            cpv: c
                .cpv
                .and_then(|code| {
                    nomenclature()
                        .entry(code)
                        .map(|e| format!("{} {}", e.code, e.label_fr))
                })
                .unwrap_or_else(|| "—".into()),
            procedure: Procedure::shown(&c.procedure).unwrap_or("—").to_owned(),
            amount: amount_fr(c.current_amount()),
            ends_on: date_fr(c.end_date()),
        }
    }
}

/// The members a coordinator can pick in the filters.
async fn member_choices(state: &AppState, user: &SignedIn) -> Result<Vec<(i64, String)>, WebError> {
    if user.principal.scope().territory_wide().is_none() {
        return Ok(Vec::new());
    }
    let Some(territory) = mutualis_app::organisations::territory(state).await? else {
        return Ok(Vec::new());
    };
    let mut members: Vec<&OrganisationRecord> = std::iter::once(&territory.lead)
        .chain(territory.members.iter())
        .collect();
    members.sort_by(|a, b| a.organisation.name.cmp(&b.organisation.name));
    Ok(members
        .into_iter()
        .map(|m| (m.id, m.organisation.name.clone()))
        .collect())
}

/// A text field of the filter form.
struct FilterField {
    id: &'static str,
    label: String,
    kind: &'static str,
    value: String,
    error: Option<String>,
}

#[derive(Template)]
#[template(path = "contracts.html")]
struct ContractsPage {
    layout: Layout,
    query: FilterQuery,
    errors: Vec<FieldError>,
    fields: Vec<FilterField>,
    members: Vec<(i64, String)>,
    procedures: &'static [&'static str],
    rows: Vec<ContractRow>,
    total: i64,
    pagination: Pagination,
}

impl ContractsPage {
    fn selected_member(&self, id: &i64) -> bool {
        self.query.membre.trim() == id.to_string()
    }
}

pub async fn list(
    State(state): State<Arc<AppState>>,
    user: SignedIn,
    Query(query): Query<FilterQuery>,
) -> Result<Response, WebError> {
    user.require(Capability::MemberData)?;
    let (filter, errors) = query.to_filter();
    let page = visible_contracts(&state, &user.principal, &filter).await?;
    let field = |id: &'static str, label: &str, kind: &'static str, value: String| FilterField {
        id,
        label: label.to_owned(),
        kind,
        value,
        error: query.error(&errors, id),
    };
    let fields = vec![
        field(
            "cpv",
            "Famille CPV (début du code, par exemple 90 ou 9091)",
            "text",
            query.cpv.clone(),
        ),
        field(
            "fin_apres",
            &forms::date_label("Fin après le"),
            "text",
            forms::shown_date(&query.fin_apres),
        ),
        field(
            "fin_avant",
            &forms::date_label("Fin avant le"),
            "text",
            forms::shown_date(&query.fin_avant),
        ),
        field(
            "montant_min",
            "Montant minimal (€ HT)",
            "text",
            query.montant_min.clone(),
        ),
        field(
            "montant_max",
            "Montant maximal (€ HT)",
            "text",
            query.montant_max.clone(),
        ),
    ];
    let html = ContractsPage {
        layout: user.layout(),
        fields,
        members: member_choices(&state, &user).await?,
        procedures: Procedure::CODES,
        rows: page.records.iter().map(ContractRow::from_record).collect(),
        total: page.total,
        pagination: Pagination::new(
            "/contrats",
            page.total,
            PER_PAGE,
            filter.page + 1,
            &query.pairs(),
        ),
        query,
        errors,
    }
    .render()?;
    Ok(Html(html).into_response())
}

struct ModificationRow {
    id: String,
    object: String,
    signed_on: String,
    published_on: String,
    new_amount: String,
    new_duration: String,
}

/// A modification of a subcontracting act, as shown.
struct SubcontractingModificationRow {
    act_id: String,
    signed_on: String,
    published_on: String,
    new_amount: String,
    new_duration: String,
}

/// A concession's execution data for one year, as shown.
struct ExecutionRow {
    published_on: String,
    investment_spending: String,
    /// Each tariff: its label and its price in euros.
    tariffs: Vec<(String, String)>,
}

#[derive(Template)]
#[template(path = "contract.html")]
struct ContractDetailPage {
    layout: Layout,
    title: String,
    decp_id: String,
    buyer: String,
    buyer_siret: String,
    kind: &'static str,
    nature: String,
    cpv: String,
    procedure: String,
    procedure_original: Option<String>,
    price_form: String,
    notified_on: String,
    /// When its execution starts, when the data says (concessions; the members' contracts of
    /// a groupement, from its planned start).
    starts_on: Option<String>,
    published_on: String,
    duration: String,
    current_duration: String,
    ends_on: String,
    amount: String,
    current_amount: String,
    operators: Vec<String>,
    modifications: Vec<ModificationRow>,
    /// "10 %", when published.
    origin_eu: Option<String>,
    origin_france: Option<String>,
    subcontracting_modifications: Vec<SubcontractingModificationRow>,
    execution: Vec<ExecutionRow>,
    source: &'static str,
    /// What the plausibility checks found: (what, why, left out of the figures).
    flags: Vec<(String, String, bool)>,
    /// Why it counts as works though its CPV code is not.
    works: Option<String>,
    /// What the import changed to keep the record: its French sentence, each.
    repairs: Vec<String>,
    /// Its earlier publications, oldest first: (id as published, publication date).
    earlier_publications: Vec<(String, String)>,
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
    let record = visible_contract(&state, &user.principal, id).await?;
    let Some(record) = record else {
        return Err(user.error(WebError::not_found()));
    };
    let found = contract_flags(&state, &record).await?;
    let c = &record.contract;
    let months = |m: Option<u32>| m.map(|m| format!("{m} mois")).unwrap_or_else(|| "—".into());
    let d = c.decp2.as_ref();
    let page = ContractDetailPage {
        flags: found
            .flags
            .iter()
            .map(|f| {
                (
                    format!("{} ({})", f.kind.label_fr(), f.level.label_fr()),
                    f.reason.clone(),
                    f.excludes_amount(),
                )
            })
            .collect(),
        works: found.works,
        origin_eu: d.and_then(|d| d.origin_eu).map(|s| s.percent_fr()),
        origin_france: d.and_then(|d| d.origin_france).map(|s| s.percent_fr()),
        subcontracting_modifications: d
            .map(|d| &d.subcontracting_modifications[..])
            .unwrap_or_default()
            .iter()
            .map(|m| SubcontractingModificationRow {
                act_id: m.act_id.clone(),
                signed_on: date_fr(m.signed_on),
                published_on: date_fr(m.published_on),
                new_amount: amount_fr(m.new_amount),
                new_duration: months(m.new_duration_months),
            })
            .collect(),
        execution: d
            .map(|d| &d.execution_data[..])
            .unwrap_or_default()
            .iter()
            .map(|y| ExecutionRow {
                published_on: date_fr(y.published_on),
                investment_spending: amount_fr(y.investment_spending),
                tariffs: y
                    .tariffs
                    .iter()
                    .map(|t| {
                        (
                            t.label
                                .as_deref()
                                .map(imported_text)
                                .unwrap_or_default()
                                .into_owned(),
                            t.price
                                .map(|p| format!("{} €", p.french()))
                                .unwrap_or_else(|| "—".into()),
                        )
                    })
                    .collect(),
            })
            .collect(),
        layout: user.layout(),
        title: imported_text(&c.object).into_owned(),
        decp_id: c.id.clone(),
        buyer: imported_text(&record.organisation_name).into_owned(),
        buyer_siret: c.buyer.to_string(),
        kind: c.kind.label_fr(),
        nature: Nature::shown(&c.nature).unwrap_or("—").to_owned(),
        cpv: c
            .cpv
            .and_then(|code| {
                nomenclature()
                    .entry(code)
                    .map(|e| format!("{} {}", e.code, e.label_fr))
            })
            .unwrap_or_else(|| "—".into()),
        procedure: Procedure::shown(&c.procedure).unwrap_or("—").to_owned(),
        procedure_original: c
            .procedure
            .original
            .clone()
            .filter(|_| c.procedure.value.is_some()),
        price_form: PriceForm::shown(&c.price_form).unwrap_or("—").to_owned(),
        notified_on: date_fr(c.notified_on),
        starts_on: c.starts_on.map(|d| date_fr(Some(d))),
        published_on: date_fr(c.published_on),
        duration: months(c.duration_months),
        current_duration: months(c.current_duration_months()),
        ends_on: date_fr(c.end_date()),
        amount: amount_fr(c.amount),
        current_amount: amount_fr(c.current_amount()),
        operators: c
            .current_operators()
            .iter()
            .map(|o| match &o.name {
                Some(name) => format!("{} ({} {})", imported_text(name), o.id_type, o.id),
                None => format!("{} {}", o.id_type, o.id),
            })
            .collect(),
        modifications: c
            .ordered_modifications()
            .into_iter()
            .map(|m| ModificationRow {
                id: m.id.clone(),
                object: m
                    .object
                    .as_deref()
                    .map(imported_text)
                    .unwrap_or_default()
                    .into_owned(),
                signed_on: date_fr(m.signed_on),
                published_on: date_fr(m.published_on),
                new_amount: amount_fr(m.new_amount),
                new_duration: months(m.new_duration_months),
            })
            .collect(),
        source: match c.source {
            mutualis_domain::ContractSource::Decp1 => "DECP 1.x (importé)",
            mutualis_domain::ContractSource::Decp2 => "DECP 2.0 (importé)",
            mutualis_domain::ContractSource::Mutualis => "saisi dans Mutualis",
        },
        repairs: c
            .repairs
            .iter()
            .map(|r| imported_text(&r.note).into_owned())
            .collect(),
        earlier_publications: record
            .earlier_versions
            .iter()
            .map(|v| (v.id.clone(), date_fr(v.published_on)))
            .collect(),
    };
    Ok(Html(page.render()?).into_response())
}

/// One contract on the calendar.
struct CalendarItem {
    id: i64,
    object: String,
    ends_on: String,
    /// Horizontal position of the marker, in the chart's 0–980 view box.
    x: i64,
    y: i64,
    ended: bool,
    /// Where its date is written: after the marker, or before it near the right edge.
    label: Label,
}

/// A label beside a position of the chart: `x` and its SVG `text-anchor`.
struct Label {
    x: i64,
    anchor: &'static str,
}

impl Label {
    /// A label of `chars` characters `gap` units after `x`, or before it when it would pass
    /// the chart's right edge.
    fn beside(x: i64, gap: i64, chars: usize) -> Label {
        let width = i64::try_from(chars).unwrap_or(i64::MAX / 2) * LABEL_CHAR_WIDTH;
        if x + gap + width > VIEW_WIDTH {
            Label {
                x: x - gap,
                anchor: "end",
            }
        } else {
            Label {
                x: x + gap,
                anchor: "start",
            }
        }
    }
}

struct Tick {
    x: i64,
    label: i32,
}

#[derive(Template)]
#[template(path = "calendar.html")]
struct CalendarPage {
    layout: Layout,
    members: Vec<(i64, String)>,
    member: String,
    member_name: String,
    undated: usize,
    chart: Chart,
}

/// The calendar's chart: a marker per contract at its end date, the years, and today.
struct Chart {
    items: Vec<CalendarItem>,
    ticks: Vec<Tick>,
    /// The "today" line, and its label under the chart.
    today_x: i64,
    today_label: Label,
    /// Where the lines stop; the view box is a line taller, for the "today" label.
    height: i64,
    view_height: i64,
}

impl Chart {
    /// The chart of contracts (id, object, end date), as seen on `today`.
    fn new(dated: Vec<(i64, String, NaiveDate)>, today: NaiveDate) -> Chart {
        let (first_year, last_year) = match (
            dated.iter().map(|(_, _, d)| d.year()).min(),
            dated.iter().map(|(_, _, d)| d.year()).max(),
        ) {
            (Some(a), Some(b)) => (a.min(today.year()), b.max(today.year())),
            _ => (today.year(), today.year()),
        };
        let start = NaiveDate::from_ymd_opt(first_year, 1, 1).unwrap_or(today);
        let end = NaiveDate::from_ymd_opt(last_year + 1, 1, 1).unwrap_or(today);
        let span = (end - start).num_days().max(1);
        let x_of = |d: NaiveDate| CHART_LEFT + (d - start).num_days() * CHART_WIDTH / span;
        let items: Vec<CalendarItem> = dated
            .into_iter()
            .enumerate()
            .map(|(i, (id, object, d))| {
                let ends_on = d.format("%d/%m/%Y").to_string();
                CalendarItem {
                    id,
                    object: truncate(&object, 48),
                    label: Label::beside(x_of(d), 10, ends_on.chars().count()),
                    ends_on,
                    x: x_of(d),
                    y: 40 + i as i64 * ROW,
                    ended: d < today,
                }
            })
            .collect();
        let ticks = (first_year..=last_year + 1)
            .filter_map(|y| {
                NaiveDate::from_ymd_opt(y, 1, 1).map(|d| Tick {
                    x: x_of(d),
                    label: y,
                })
            })
            .collect();
        let height = 60 + items.len() as i64 * ROW;
        Chart {
            height,
            view_height: height + 20,
            today_x: x_of(today),
            today_label: Label::beside(x_of(today), 4, TODAY.chars().count()),
            items,
            ticks,
        }
    }
}

impl CalendarPage {
    fn selected_member(&self, id: &i64) -> bool {
        self.member == id.to_string()
    }

    /// "d'" and "Échirolles", for "Fin des contrats d'<strong>Échirolles</strong>".
    fn of_member(&self) -> (&'static str, &str) {
        mutualis_domain::text::de_parts(&self.member_name)
    }
}

#[derive(Deserialize)]
pub struct CalendarQuery {
    #[serde(default)]
    membre: String,
}

/// Left margin of the chart, where the objects are written.
const CHART_LEFT: i64 = 360;
const CHART_WIDTH: i64 = 600;
const ROW: i64 = 22;
/// The width of the view box (`calendar.html`): the chart, and room for labels.
const VIEW_WIDTH: i64 = 980;
/// The widest a character of the 12 px labels is taken to be, in view-box units.
const LABEL_CHAR_WIDTH: i64 = 7;
/// The label of the "today" line (the template writes it).
const TODAY: &str = "aujourd'hui";

pub async fn calendar(
    State(state): State<Arc<AppState>>,
    user: SignedIn,
    Query(query): Query<CalendarQuery>,
) -> Result<Response, WebError> {
    user.require(Capability::MemberData)?;
    let members = member_choices(&state, &user).await?;
    let own = user.principal.organisation_id();
    let member: i64 = query.membre.trim().parse().unwrap_or(own);
    let filter = ContractFilter {
        organisation_id: Some(member),
        per_page: 500,
        ..ContractFilter::default()
    };
    let page = visible_contracts(&state, &user.principal, &filter).await?;
    let member_name = members
        .iter()
        .find(|(id, _)| *id == member)
        .map(|(_, n)| n.clone())
        .unwrap_or_else(|| user.principal.organisation_name.clone());
    let dated: Vec<(&ContractRecord, NaiveDate)> = page
        .records
        .iter()
        .filter_map(|r| r.contract.end_date().map(|d| (r, d)))
        .collect();
    let undated = page.records.len() - dated.len();
    let chart = Chart::new(
        dated
            .iter()
            .map(|(r, d)| (r.id, imported_text(&r.contract.object).into_owned(), *d))
            .collect(),
        state.clock.today(),
    );
    let page = CalendarPage {
        layout: user.layout(),
        members,
        member: member.to_string(),
        member_name,
        undated,
        chart,
    };
    Ok(Html(page.render()?).into_response())
}

fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_owned()
    } else {
        format!("{}…", s.chars().take(max - 1).collect::<String>())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    /// The attributes of the SVG `<text>` element that says `content`.
    fn text_attributes(svg: &str, content: &str) -> String {
        let end = svg
            .find(&format!(">{content}</text>"))
            .unwrap_or_else(|| panic!("no text {content}"));
        let start = svg[..end].rfind("<text").unwrap();
        svg[start..end].to_owned()
    }

    fn attribute(element: &str, name: &str) -> Option<String> {
        let marker = format!(" {name}=\"");
        let start = element.find(&marker)? + marker.len();
        Some(element[start..].split('"').next()?.to_owned())
    }

    /// Whether a label of `chars` characters (12 px) written at `element` stays inside the
    /// chart's view box.
    fn inside(element: &str, chars: i64, view_width: i64, view_height: i64) -> bool {
        let x: i64 = attribute(element, "x").unwrap().parse().unwrap();
        let y: i64 = attribute(element, "y").unwrap().parse().unwrap();
        let width = chars * 7;
        let (left, right) = match attribute(element, "text-anchor").as_deref() {
            Some("end") => (x - width, x),
            Some("middle") => (x - width / 2, x + width / 2),
            _ => (x, x + width),
        };
        // Descenders ("j") go 3 px below the baseline.
        left >= 0 && right <= view_width && y + 3 <= view_height && y >= 12
    }

    /// The amount filter reads amounts as the need forms do: "12.500" is refused with its two
    /// readings (it was 12,50 € here, and refused there).
    #[test]
    fn the_amount_filter_reads_french_amounts() {
        let bounds = |min: &str, max: &str| {
            let query = FilterQuery {
                montant_min: min.to_owned(),
                montant_max: max.to_owned(),
                ..FilterQuery::default()
            };
            let (filter, errors) = query.to_filter();
            let messages: Vec<String> = errors.into_iter().map(|e| e.message).collect();
            (filter.min_amount_cents, filter.max_amount_cents, messages)
        };
        assert_eq!(
            bounds("0", "12 500,50 €"),
            (Some(0), Some(1_250_050), vec![])
        );
        assert_eq!(
            bounds("40000", "1234.5"),
            (Some(4_000_000), Some(123_450), vec![])
        );
        let (min, max, messages) = bounds("12.500", "beaucoup");
        assert_eq!((min, max), (None, None));
        assert_eq!(
            messages,
            [
                "Montant « 12.500 » ambigu : milliers ou décimales ? Écrivez 12500 ou 12,50.",
                "Montant « beaucoup » non reconnu : attendu un nombre, par exemple 12 500,50 ou 12500.5."
            ]
        );
    }

    /// The OpenAPI document (whose attributes take literals only) states the procedures the
    /// filter takes: the codes of `Procedure`, in order.
    #[test]
    fn the_api_states_every_procedure_the_filter_takes() {
        use utoipa::OpenApi;
        let doc = serde_json::to_value(crate::api::ApiDoc::openapi()).unwrap();
        let parameters = doc["paths"]["/api/v1/contracts"]["get"]["parameters"]
            .as_array()
            .unwrap();
        let procedure = parameters
            .iter()
            .find(|p| p["name"] == "procedure")
            .unwrap();
        assert_eq!(
            procedure["schema"]["pattern"],
            format!("^({})?$", Procedure::CODES.join("|"))
        );
        for code in Procedure::CODES {
            let query = FilterQuery {
                procedure: (*code).to_owned(),
                ..FilterQuery::default()
            };
            let (filter, errors) = query.to_filter();
            assert!(errors.is_empty(), "{code}");
            assert_eq!(filter.procedure.as_deref(), Some(*code));
        }
    }

    #[test]
    fn the_calendar_labels_stay_inside_the_chart_near_its_right_edge() {
        // Today and a contract's end in the last days of the last year shown.
        let chart = Chart::new(
            vec![(1, "Nettoyage des écoles".into(), day(2026, 12, 30))],
            day(2026, 12, 28),
        );
        let page = CalendarPage {
            layout: Layout::default(),
            members: Vec::new(),
            member: "1".into(),
            member_name: "Grenoble".into(),
            undated: 0,
            chart,
        };
        let html = page.render().unwrap();
        let svg = html
            .split("<svg")
            .nth(1)
            .unwrap()
            .split("</svg>")
            .next()
            .unwrap();
        let view_box = attribute(&format!(" {svg}"), "viewBox").unwrap();
        let [_, _, width, height] = view_box
            .split(' ')
            .map(|n| n.parse::<i64>().unwrap())
            .collect::<Vec<_>>()[..]
        else {
            panic!("{view_box}")
        };
        for (label, chars) in [("aujourd'hui", 11), ("30/12/2026", 10), ("2027", 4)] {
            let element = text_attributes(svg, label);
            assert!(
                inside(&element, chars, width, height),
                "{label}: {element} in {view_box}"
            );
        }
    }
}
