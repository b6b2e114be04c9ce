//! The pooling-opportunity pages: the list with its question (date, CPV depth, window,
//! minimum number of buyers) and a timeline, and one opportunity's detail, printable for a
//! meeting. The JSON API asks the same question through [`visible_report`].
//!
//! Which buyers: the territory's organisations only (the lead body and its members, as
//! `mutualis territory show` lists them), the CLI's default too; the coordinator may widen the
//! question to every buyer of the published data with the explicit "périmètre" filter
//! ([`Perimeter`]), and the pages then mark the buyers "hors territoire".
//!
//! Who sees what: the coordinator, every opportunity of the perimeter, with every member's
//! declared needs; a member's buying roles, the opportunities their organisation is part of,
//! among the territory's published contracts (open data) and their own needs only. Suppliers
//! and the mediator buy nothing: the pages answer 403.

use std::collections::HashSet;
use std::sync::Arc;

use askama::Template;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::response::{Html, IntoResponse, Response};
use chrono::{Datelike, Months, NaiveDate};
use mutualis_domain::opportunity::{Opportunity, Params, Report, french_date};
use mutualis_domain::{Amount, Capability, Siren};
use mutualis_reference::pooling::pooling;
use serde::Deserialize;

use crate::AppState;
use crate::error::{ErrorCode, WebError};
use crate::layout::Layout;
use crate::pages::{forms, imported_text};
use crate::session::SignedIn;

mod detail;

pub use detail::detail;

pub use mutualis_app::opportunities::{
    DEPTHS, Field, FieldError, Perimeter, RawQuestion, answer, counts_sentence, depth_value,
    families, list_question, question_for_prefix, question_sentence, territory_sirens,
};

/// The query string of the engine's parameters and perimeter (not the filters), for links.
pub fn params_query(params: &Params, perimeter: Perimeter) -> String {
    let mut query = url::form_urlencoded::Serializer::new(String::new());
    query.append_pair("date", &params.as_of.to_string());
    query.append_pair("profondeur", depth_value(params.depth));
    query.append_pair("fenetre", &params.window_months.to_string());
    query.append_pair("min", &params.min_buyers.to_string());
    if perimeter != Perimeter::Territory {
        query.append_pair("perimetre", perimeter.page_value());
    }
    query.finish()
}

// ---------------------------------------------------------------------------------------------
// The list

pub use mutualis_app::opportunities::UNREADABLE_QUERY;

/// The question as typed in the form.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct PageQuery {
    #[serde(default)]
    pub date: String,
    #[serde(default)]
    pub profondeur: String,
    #[serde(default)]
    pub fenetre: String,
    #[serde(default)]
    pub min: String,
    #[serde(default)]
    pub famille: String,
    #[serde(default)]
    pub cpv: String,
    #[serde(default)]
    pub perimetre: String,
}

impl PageQuery {
    pub fn raw(&self) -> RawQuestion<'_> {
        RawQuestion {
            date: &self.date,
            depth: &self.profondeur,
            window: &self.fenetre,
            min_buyers: &self.min,
            family: &self.famille,
            cpv: &self.cpv,
            perimeter: &self.perimetre,
        }
    }
}

/// A text field of the form.
struct FormField {
    id: &'static str,
    label: String,
    hint: &'static str,
    value: String,
    error: Option<String>,
}

/// A choice of a select.
struct Choice {
    value: String,
    label: String,
    selected: bool,
}

/// An opportunity as an item of the list.
struct ListItem {
    rank: usize,
    href: String,
    code: String,
    label: String,
    family: String,
    buyers: Vec<String>,
    annual: String,
    proposed_start: String,
    pooled: String,
    threshold_crossed: bool,
    savings: String,
    score: u32,
    reasons: Vec<String>,
}

/// The number of reasons the list shows; the detail shows them all.
const LIST_REASONS: usize = 4;

/// A mark on the timeline: a contract's end or a need's start.
struct Mark {
    x: i64,
    y: i64,
    need: bool,
    /// A triangle's points, for a need.
    points: String,
    title: String,
}

/// One opportunity on the timeline.
struct ChartRow {
    y: i64,
    label: String,
    marks: Vec<Mark>,
    start_x: i64,
    bar_width: i64,
    amount: String,
}

struct Tick {
    x: i64,
    label: String,
}

/// The timeline's text alternative: one row per opportunity.
struct ChartTableRow {
    rank: usize,
    label: String,
    dates: Vec<String>,
    proposed_start: String,
    annual: String,
}

struct Chart {
    height: i64,
    rows: Vec<ChartRow>,
    ticks: Vec<Tick>,
    as_of_x: i64,
    window_end_x: i64,
    table: Vec<ChartTableRow>,
    /// How many opportunities the chart leaves out (it shows the best ones).
    left_out: usize,
    label_right: i64,
    timeline_left: i64,
    timeline_right: i64,
    bar_left: i64,
}

// The chart's geometry, in SVG units (viewBox 980 wide).
const LABEL_RIGHT: i64 = 250;
const TIMELINE_LEFT: i64 = 265;
const TIMELINE_WIDTH: i64 = 465;
const BAR_LEFT: i64 = 750;
const BAR_MAX: i64 = 110;
const CHART_TOP: i64 = 40;
const CHART_ROW: i64 = 30;
const CHART_ROWS: usize = 20;

#[derive(Template)]
#[template(path = "opportunities.html")]
struct ListPage {
    layout: Layout,
    errors: Vec<FieldError>,
    date: FormField,
    window: FormField,
    min_buyers: FormField,
    cpv: FormField,
    depth_error: Option<String>,
    /// "classe par défaut", or the application's own default depth.
    depth_hint: String,
    depths: Vec<Choice>,
    family_error: Option<String>,
    families: Vec<Choice>,
    /// The perimeter's choices, offered to the coordinator only.
    perimeters: Option<Vec<Choice>>,
    perimeter_error: Option<String>,
    /// Which buyers the answer considers, in words.
    perimeter: String,
    member: Option<String>,
    question: String,
    counts: String,
    exclusions: Vec<String>,
    total: usize,
    filtered: bool,
    items: Vec<ListItem>,
    chart: Chart,
}

fn error_of(errors: &[FieldError], field: Field) -> Option<String> {
    errors
        .iter()
        .find(|e| e.field == field)
        .map(|e| e.message.clone())
}

/// "4,23 M€", "850 k€", "900 €": amounts short enough for a chart label.
fn short_amount(cents: i64) -> String {
    let euros = cents as f64 / 100.0;
    if euros >= 1_000_000.0 {
        format!("{:.2} M€", euros / 1_000_000.0).replace('.', ",")
    } else if euros >= 1_000.0 {
        format!("{:.0} k€", euros / 1_000.0)
    } else {
        format!("{euros:.0} €")
    }
}

fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_owned()
    } else {
        format!("{}…", s.chars().take(max - 1).collect::<String>())
    }
}

/// "08/12/2019".
fn short_date(d: NaiveDate) -> String {
    d.format("%d/%m/%Y").to_string()
}

fn first_of_next_month(d: NaiveDate) -> NaiveDate {
    d.with_day(1)
        .and_then(|d| d.checked_add_months(Months::new(1)))
        .unwrap_or(d)
}

/// "janv. 2019".
fn month_label(d: NaiveDate) -> String {
    const MONTHS: [&str; 12] = [
        "janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.", "nov.",
        "déc.",
    ];
    format!("{} {}", MONTHS[d.month0() as usize], d.year())
}

fn chart(report: &Report) -> Chart {
    let shown = &report.opportunities[..report.opportunities.len().min(CHART_ROWS)];
    let start = report.as_of;
    let last = shown
        .iter()
        .flat_map(|o| {
            o.buyers
                .iter()
                .flat_map(|b| {
                    b.contracts
                        .iter()
                        .map(|c| c.ends_on)
                        .chain(b.needs.iter().map(|n| n.desired_start))
                })
                .chain(std::iter::once(o.proposed_start))
        })
        .chain(std::iter::once(report.window_end))
        .max()
        .unwrap_or(report.window_end);
    let end = first_of_next_month(last);
    let span = (end - start).num_days().max(1);
    let x_of = |d: NaiveDate| {
        TIMELINE_LEFT + (d - start).num_days().clamp(0, span) * TIMELINE_WIDTH / span
    };
    let max_amount = shown
        .iter()
        .map(|o| o.annual_amount_cents)
        .max()
        .unwrap_or(0)
        .max(1);

    let mut rows = Vec::with_capacity(shown.len());
    let mut table = Vec::with_capacity(shown.len());
    for (i, o) in shown.iter().enumerate() {
        let y = CHART_TOP + 10 + i as i64 * CHART_ROW;
        let mut marks = Vec::new();
        let mut dates: Vec<(NaiveDate, String)> = Vec::new();
        for b in &o.buyers {
            for c in &b.contracts {
                let title = format!(
                    "{} : contrat {} jusqu'au {}",
                    b.name,
                    c.id,
                    short_date(c.ends_on)
                );
                marks.push(Mark {
                    x: x_of(c.ends_on),
                    y,
                    need: false,
                    points: String::new(),
                    title: title.clone(),
                });
                dates.push((c.ends_on, title));
            }
            for n in &b.needs {
                let x = x_of(n.desired_start);
                let title = format!(
                    "{} : besoin « {} » à partir du {}",
                    b.name,
                    n.description,
                    short_date(n.desired_start)
                );
                marks.push(Mark {
                    x,
                    y,
                    need: true,
                    points: format!("{},{} {},{} {},{}", x, y - 6, x - 6, y + 5, x + 6, y + 5),
                    title: title.clone(),
                });
                dates.push((n.desired_start, title));
            }
        }
        dates.sort();
        rows.push(ChartRow {
            y,
            label: truncate(&format!("{}. {}", i + 1, o.cpv.label), 36),
            marks,
            start_x: x_of(o.proposed_start),
            bar_width: (o.annual_amount_cents.saturating_mul(BAR_MAX) / max_amount).max(1),
            amount: format!("{}/an", short_amount(o.annual_amount_cents)),
        });
        table.push(ChartTableRow {
            rank: i + 1,
            label: format!("{} {}", o.cpv.code, o.cpv.label),
            dates: dates.into_iter().map(|(_, t)| t).collect(),
            proposed_start: short_date(o.proposed_start),
            annual: Amount::from_cents(o.annual_amount_cents).to_string(),
        });
    }

    let total_months = (end.year() - start.year()) * 12 + end.month() as i32 - start.month() as i32;
    let step = match total_months {
        ..=24 => 3,
        25..=60 => 6,
        _ => 12,
    };
    let mut ticks = Vec::new();
    // Ticks on the first day of quarters (or half-years, years), from the first on or after
    // the observation date.
    let first = if start.day() == 1 {
        start
    } else {
        first_of_next_month(start)
    };
    let mut tick = first
        .checked_add_months(Months::new((step - first.month0() % step) % step))
        .unwrap_or(first);
    while tick <= end {
        ticks.push(Tick {
            x: x_of(tick),
            label: month_label(tick),
        });
        tick = tick
            .checked_add_months(Months::new(step))
            .unwrap_or(NaiveDate::MAX);
    }

    Chart {
        height: CHART_TOP + 20 + rows.len() as i64 * CHART_ROW,
        rows,
        ticks,
        as_of_x: x_of(report.as_of),
        window_end_x: x_of(report.window_end),
        table,
        left_out: report.opportunities.len() - shown.len(),
        label_right: LABEL_RIGHT,
        timeline_left: TIMELINE_LEFT,
        timeline_right: TIMELINE_LEFT + TIMELINE_WIDTH,
        bar_left: BAR_LEFT,
    }
}

/// "Périmètre : …", said above every answer.
fn perimeter_sentence(perimeter: Perimeter, organisations: usize) -> String {
    match perimeter {
        Perimeter::Territory => format!(
            "Périmètre : les {organisations} organisations du territoire (la métropole et ses communes membres) ; les acheteurs extérieurs ne sont pas pris en compte."
        ),
        Perimeter::AllBuyers => format!(
            "Périmètre élargi : {} ; les acheteurs hors des {organisations} organisations du territoire sont signalés « hors territoire ».",
            perimeter.label_fr()
        ),
    }
}

/// A buyer's name, marked when it is not one of the territory's organisations.
fn buyer_label(b: &mutualis_domain::opportunity::BuyerShare, territory: &HashSet<Siren>) -> String {
    if territory.contains(&b.siren) {
        b.name.clone()
    } else {
        format!("{} (hors territoire)", b.name)
    }
}

fn savings_text(o: &Opportunity) -> String {
    format!(
        "{} à {} par an ({} à {} %)",
        Amount::from_cents(o.savings.low_cents),
        Amount::from_cents(o.savings.high_cents),
        o.savings.low_percent,
        o.savings.high_percent
    )
}

/// The page's question, or the 400 page.
fn page_query(
    user: &SignedIn,
    query: Result<Query<PageQuery>, QueryRejection>,
) -> Result<PageQuery, WebError> {
    query.map(|Query(q)| q).map_err(|_| {
        user.error(WebError::with_detail(
            ErrorCode::BadRequest,
            UNREADABLE_QUERY,
        ))
    })
}

pub async fn list(
    State(state): State<Arc<AppState>>,
    user: SignedIn,
    query: Result<Query<PageQuery>, QueryRejection>,
) -> Result<Response, WebError> {
    user.require(Capability::Opportunities)?;
    let query = page_query(&user, query)?;
    let today = state.opportunities_as_of();
    let (mut question, mut errors) = list_question(&state, &query.raw());
    let report = match answer(&state, &user.principal, &question)
        .await
        .map_err(|e| user.error(e))?
    {
        Ok(report) => report,
        Err(e) => {
            // A perimeter the user may not widen: said next to it, answered for the territory.
            // No rules in force on that date: said next to the date, answered for today.
            if e.field == Field::Perimeter {
                question.perimeter = Perimeter::Territory;
            } else {
                question.params.as_of = today;
            }
            errors.push(e);
            answer(&state, &user.principal, &question)
                .await
                .map_err(|e| user.error(e))?
                .map_err(|e| user.error(WebError::internal(e.message)))?
        }
    };
    let params_q = params_query(&question.params, question.perimeter);
    let territory = territory_sirens(&state).await.map_err(|e| user.error(e))?;
    let items = report
        .opportunities
        .iter()
        .enumerate()
        .map(|(i, o)| ListItem {
            rank: i + 1,
            href: format!("/opportunites/{}?{params_q}", o.cpv.prefix),
            code: o.cpv.code.to_string(),
            label: o.cpv.label.clone(),
            family: o.family.label.clone(),
            buyers: o
                .buyers
                .iter()
                .map(|b| buyer_label(b, &territory))
                .collect(),
            annual: Amount::from_cents(o.annual_amount_cents).to_string(),
            proposed_start: french_date(o.proposed_start),
            pooled: o.procedure.pooled.label.clone(),
            threshold_crossed: o.procedure.threshold_crossed,
            savings: savings_text(o),
            score: o.score,
            reasons: o.reasons.iter().take(LIST_REASONS).cloned().collect(),
        })
        .collect();
    // A field shows what was typed, or the value the question used when left empty.
    let field =
        |id: &'static str, label: &str, hint, typed: &str, used: String, f: Field| FormField {
            id,
            label: label.to_owned(),
            hint,
            value: if typed.trim().is_empty() {
                used
            } else {
                typed.to_owned()
            },
            error: error_of(&errors, f),
        };
    let params = question.params;
    let page = ListPage {
        layout: user.layout(),
        date: field(
            "date",
            &forms::date_label("Date d'observation"),
            "aujourd'hui par défaut",
            &forms::shown_date(&query.date),
            forms::date_value(params.as_of),
            Field::Date,
        ),
        window: field(
            "fenetre",
            "Fenêtre (mois)",
            "de 1 à 120 ; 18 par défaut",
            &query.fenetre,
            params.window_months.to_string(),
            Field::Window,
        ),
        min_buyers: field(
            "min",
            "Acheteurs au moins",
            "2 par défaut",
            &query.min,
            params.min_buyers.to_string(),
            Field::MinBuyers,
        ),
        cpv: field(
            "cpv",
            "Début de code CPV",
            "facultatif, par exemple 90 ou 9091",
            &query.cpv,
            String::new(),
            Field::Cpv,
        ),
        depth_error: error_of(&errors, Field::Depth),
        depth_hint: format!(
            "{} par défaut",
            state
                .default_depth
                .unwrap_or(Params::new(today).depth)
                .label_fr()
        ),
        depths: DEPTHS
            .iter()
            .map(|(d, v)| Choice {
                value: (*v).to_owned(),
                label: format!("{} ({} chiffres)", d.label_fr(), d.significant_digits()),
                selected: *d == question.params.depth,
            })
            .collect(),
        family_error: error_of(&errors, Field::Family),
        families: families()
            .into_iter()
            .map(|(id, label)| Choice {
                selected: question.family.as_deref() == Some(id.as_str()),
                value: id,
                label,
            })
            .collect(),
        perimeters: user.principal.scope().territory_wide().map(|_| {
            [Perimeter::Territory, Perimeter::AllBuyers]
                .into_iter()
                .map(|p| Choice {
                    value: p.page_value().to_owned(),
                    label: match p {
                        Perimeter::Territory => format!(
                            "Territoire : les {} organisations du territoire (par défaut)",
                            territory.len()
                        ),
                        Perimeter::AllBuyers => {
                            "Tous les acheteurs des données publiées, hors territoire compris"
                                .to_owned()
                        }
                    },
                    selected: p == question.perimeter,
                })
                .collect()
        }),
        perimeter_error: error_of(&errors, Field::Perimeter),
        perimeter: perimeter_sentence(question.perimeter, territory.len()),
        member: user
            .principal
            .scope()
            .territory_wide()
            .is_none()
            .then(|| user.principal.organisation_name.clone()),
        question: question_sentence(&report),
        counts: counts_sentence(&report),
        exclusions: report
            .excluded
            .iter()
            .map(|e| e.explanation.clone())
            .collect(),
        total: report.opportunities.len(),
        filtered: question.family.is_some() || question.cpv.is_some(),
        items,
        chart: chart(&report),
        errors,
    };
    Ok(Html(page.render()?).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_amounts_for_the_chart() {
        assert_eq!(short_amount(423_456_466), "4,23 M€");
        assert_eq!(short_amount(11_140_238), "111 k€");
        assert_eq!(short_amount(90_000), "900 €");
    }
}
