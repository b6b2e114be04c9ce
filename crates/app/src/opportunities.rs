//! Pooling opportunities: the question a user asks of the engine (date, CPV depth, window,
//! minimum number of buyers, family and CPV filters, perimeter), read from what was typed with
//! an error per field, and the report that user may see. The pages, the JSON API and the
//! command line ask through here.
//!
//! Which buyers: the territory's organisations only (the lead body and its members, as
//! `mutualis territory show` lists them), the command line's default too; the coordinator may
//! widen the question to every buyer of the published data ([`Perimeter::AllBuyers`]).
//!
//! Who sees what: the coordinator, every opportunity of the perimeter, with every member's
//! declared needs; a member's buying roles, the opportunities their organisation is part of,
//! among the territory's published contracts (open data) and their own needs only. Suppliers
//! and the mediator buy nothing: [`AppError::Forbidden`].

use std::collections::{HashMap, HashSet};

use chrono::NaiveDate;
use mutualis_domain::opportunity::{
    BuyerInfo, Input, Opportunity, OpportunityError, Params, Report, find_opportunities,
    french_date,
};
use mutualis_domain::{Capability, CpvDepth, Need, Siren, french};
use mutualis_reference::cpv::nomenclature;
use mutualis_reference::pooling::pooling;
use mutualis_reference::rules::rule_book;
use mutualis_storage::{Database, Principal, TerritoryWide};

use crate::{App, AppError, blocking};

// ---------------------------------------------------------------------------------------------
// Who sees opportunities

/// The roles that buy for an organisation (`Capability::Opportunities`); the others are refused.
fn check_role(user: &Principal) -> Result<(), AppError> {
    crate::require(user, Capability::Opportunities)
}

/// A field of the question, named in the page's form and in the API.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    Date,
    Depth,
    Window,
    MinBuyers,
    Family,
    Cpv,
    Perimeter,
}

impl Field {
    /// The form field's name (and id).
    pub fn page_name(self) -> &'static str {
        match self {
            Field::Date => "date",
            Field::Depth => "profondeur",
            Field::Window => "fenetre",
            Field::MinBuyers => "min",
            Field::Family => "famille",
            Field::Cpv => "cpv",
            Field::Perimeter => "perimetre",
        }
    }

    /// The API's query parameter.
    pub fn api_name(self) -> &'static str {
        match self {
            Field::Date => "as_of",
            Field::Depth => "depth",
            Field::Window => "window_months",
            Field::MinBuyers => "min_buyers",
            Field::Family => "family",
            Field::Cpv => "cpv",
            Field::Perimeter => "perimeter",
        }
    }
}

pub struct FieldError {
    pub field: Field,
    pub message: String,
}

/// The largest window and minimum number of buyers asked.
pub const MAX_WINDOW_MONTHS: u32 = 120;
pub const MAX_MIN_BUYERS: usize = 100;

/// The depths offered, with their form value.
pub const DEPTHS: [(CpvDepth, &str); 4] = [
    (CpvDepth::Division, "division"),
    (CpvDepth::Group, "groupe"),
    (CpvDepth::Class, "classe"),
    (CpvDepth::Category, "categorie"),
];

/// The form value of a depth.
pub fn depth_value(depth: CpvDepth) -> &'static str {
    DEPTHS
        .iter()
        .find(|(d, _)| *d == depth)
        .map_or("classe", |(_, v)| v)
}

/// A depth from the form (French) or the API (English).
fn parse_depth(value: &str) -> Option<CpvDepth> {
    match value {
        "division" => Some(CpvDepth::Division),
        "groupe" | "group" => Some(CpvDepth::Group),
        "classe" | "class" => Some(CpvDepth::Class),
        "categorie" | "catégorie" | "category" => Some(CpvDepth::Category),
        _ => None,
    }
}

/// The depth of a node's prefix: 2 digits a division, 3 a group, 4 a class, 5 a category.
fn depth_of_prefix(prefix: &str) -> Option<CpvDepth> {
    DEPTHS
        .iter()
        .map(|(d, _)| *d)
        .find(|d| d.significant_digits() == prefix.len())
}

/// Whose contracts and needs the engine considers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Perimeter {
    /// The territory's organisations: the lead body and its members (the default, as in the CLI).
    #[default]
    Territory,
    /// Every buyer of the published data, inside the territory or not (coordinator only).
    AllBuyers,
}

impl Perimeter {
    /// From the form (French) or the API (English).
    fn parse(value: &str) -> Option<Perimeter> {
        match value {
            "territoire" | "territory" => Some(Perimeter::Territory),
            "tous" | "all" => Some(Perimeter::AllBuyers),
            _ => None,
        }
    }

    /// The form value.
    pub fn page_value(self) -> &'static str {
        match self {
            Perimeter::Territory => "territoire",
            Perimeter::AllBuyers => "tous",
        }
    }

    pub fn label_fr(self) -> &'static str {
        match self {
            Perimeter::Territory => "les organisations du territoire",
            Perimeter::AllBuyers => {
                "tous les acheteurs des données publiées, hors territoire compris"
            }
        }
    }
}

/// What a member asking for every buyer is told.
pub const PERIMETER_COORDINATOR_ONLY: &str = "Seul le coordonnateur du territoire peut élargir le périmètre à tous les acheteurs des données : les opportunités d'un membre sont celles du territoire.";

/// What a query string that does not parse is told.
pub const UNREADABLE_QUERY: &str =
    "Paramètres illisibles : donnez chaque paramètre une seule fois, encodé en UTF-8.";

/// The question as typed (text, so that a bad value can be shown back).
#[derive(Debug, Clone, Copy, Default)]
pub struct RawQuestion<'a> {
    pub date: &'a str,
    pub depth: &'a str,
    pub window: &'a str,
    pub min_buyers: &'a str,
    pub family: &'a str,
    pub cpv: &'a str,
    pub perimeter: &'a str,
}

/// The question asked of the engine, and the filters on its answer.
#[derive(Debug, Clone)]
pub struct Question {
    pub params: Params,
    /// A family id of the pooling configuration.
    pub family: Option<String>,
    /// Leading digits of a CPV code.
    pub cpv: Option<String>,
    pub perimeter: Perimeter,
}

impl RawQuestion<'_> {
    /// The question, with the defaults for the fields left empty or wrong, and the errors to
    /// show next to the wrong ones.
    pub fn parse(&self, today: NaiveDate) -> (Question, Vec<FieldError>) {
        let mut errors = Vec::new();
        let mut error = |field: Field, message: String| errors.push(FieldError { field, message });
        let mut params = Params::new(today);

        if !self.date.trim().is_empty() {
            match french::parse_date(self.date).map_err(|e| crate::sentence(&e)) {
                Ok(d) => params.as_of = d,
                Err(message) => error(Field::Date, message),
            }
        }
        let depth = self.depth.trim();
        if !depth.is_empty() {
            match parse_depth(depth) {
                Some(d) => params.depth = d,
                None => error(
                    Field::Depth,
                    format!(
                        "« {depth} » n'est pas une profondeur CPV : attendu division (2 chiffres), groupe (3), classe (4) ou catégorie (5)."
                    ),
                ),
            }
        }
        let window = self.window.trim();
        if !window.is_empty() {
            match window.parse::<u32>() {
                Ok(n) if (1..=MAX_WINDOW_MONTHS).contains(&n) => params.window_months = n,
                _ => error(
                    Field::Window,
                    format!(
                        "« {window} » n'est pas une fenêtre valide : attendu un nombre de mois de 1 à {MAX_WINDOW_MONTHS}, par exemple 18."
                    ),
                ),
            }
        }
        let min = self.min_buyers.trim();
        if !min.is_empty() {
            match min.parse::<usize>() {
                Ok(n) if (2..=MAX_MIN_BUYERS).contains(&n) => params.min_buyers = n,
                _ => error(
                    Field::MinBuyers,
                    format!(
                        "« {min} » n'est pas un nombre d'acheteurs valide : attendu un nombre entier de 2 à {MAX_MIN_BUYERS} (il faut au moins deux acheteurs pour mutualiser)."
                    ),
                ),
            }
        }
        let family = self.family.trim();
        let family = if family.is_empty() {
            None
        } else if families().iter().any(|(id, _)| id == family) {
            Some(family.to_owned())
        } else {
            let known: Vec<String> = families().into_iter().map(|(id, _)| id).collect();
            error(
                Field::Family,
                format!(
                    "« {family} » n'est pas une famille connue : attendu {}.",
                    known.join(", ")
                ),
            );
            None
        };
        let cpv = self.cpv.trim();
        let cpv = if cpv.is_empty() {
            None
        } else if (2..=8).contains(&cpv.len()) && cpv.chars().all(|c| c.is_ascii_digit()) {
            Some(cpv.to_owned())
        } else {
            error(
                Field::Cpv,
                format!(
                    "« {cpv} » n'est pas un début de code CPV : attendu 2 à 8 chiffres, par exemple 90 ou 9091."
                ),
            );
            None
        };
        let typed = self.perimeter.trim();
        let perimeter = if typed.is_empty() {
            Perimeter::Territory
        } else {
            Perimeter::parse(typed).unwrap_or_else(|| {
                error(
                    Field::Perimeter,
                    format!(
                        "« {typed} » n'est pas un périmètre : attendu territoire (les organisations du territoire, par défaut) ou tous (tous les acheteurs des données)."
                    ),
                );
                Perimeter::Territory
            })
        };
        (
            Question {
                params,
                family,
                cpv,
                perimeter,
            },
            errors,
        )
    }
}

/// The families of the pooling configuration, default family last: (id, label).
pub fn families() -> Vec<(String, String)> {
    let config = pooling();
    config
        .families
        .iter()
        .chain(std::iter::once(&config.default_family))
        .map(|f| (f.id.clone(), f.label.clone()))
        .collect()
}

impl Question {
    /// Whether an opportunity passes the family and CPV filters: the CPV filter keeps the
    /// nodes inside the prefix and the nodes that contain it.
    pub fn keeps(&self, o: &Opportunity) -> bool {
        let family = self.family.as_deref().is_none_or(|f| o.family.id == f);
        let cpv = self
            .cpv
            .as_deref()
            .is_none_or(|p| o.cpv.prefix.starts_with(p) || p.starts_with(o.cpv.prefix.as_str()));
        family && cpv
    }
}

// ---------------------------------------------------------------------------------------------
// The report a user sees

/// The territory's organisations as the engine's buyers: their names and kinds.
async fn territory_buyers(app: &App) -> Result<HashMap<Siren, BuyerInfo>, AppError> {
    let Some(territory) = app.db.territory(&app.territory_slug).await? else {
        return Ok(HashMap::new());
    };
    Ok(std::iter::once(&territory.lead)
        .chain(territory.members.iter())
        .map(|r| {
            let o = &r.organisation;
            (o.siren.clone(), BuyerInfo::from(o))
        })
        .collect())
}

/// The question of a list (page or API), with the application's default depth when none is
/// asked.
pub fn list_question(app: &App, raw: &RawQuestion<'_>) -> (Question, Vec<FieldError>) {
    let (mut question, errors) = raw.parse(app.opportunities_as_of());
    if raw.depth.trim().is_empty()
        && let Some(depth) = app.default_depth
    {
        question.params.depth = depth;
    }
    (question, errors)
}

/// The SIRENs of the territory's organisations (the lead body and its members).
pub async fn territory_sirens(app: &App) -> Result<HashSet<Siren>, AppError> {
    Ok(territory_buyers(app).await?.into_keys().collect())
}

/// What the engine reads: the published contracts of the perimeter's buyers (DECP is open
/// data), the declared needs, and the buyers' names and kinds.
pub struct Inputs {
    pub contracts: Vec<mutualis_domain::opportunity::ContractFacts>,
    pub needs: Vec<Need>,
    pub buyers: HashMap<Siren, BuyerInfo>,
}

/// The central purchasing bodies of the pooling configuration, whose contracts the engine
/// sets apart.
fn central_purchasing_bodies() -> Vec<Siren> {
    pooling()
        .central_purchasing
        .iter()
        .map(|b| b.siren.clone())
        .collect()
}

/// Reads the engine's inputs: within the territory's buyers (`Some`) or over every buyer of
/// the published data (`None`); `needs` as the reader may see them, kept within the perimeter.
async fn read_inputs(
    db: &Database,
    territory: Option<HashMap<Siren, BuyerInfo>>,
    needs: Vec<Need>,
) -> Result<Inputs, AppError> {
    let members: Option<Vec<Siren>> = territory.as_ref().map(|t| t.keys().cloned().collect());
    let facts = db
        .published_contract_facts(
            members.as_deref(),
            &central_purchasing_bodies(),
            nomenclature(),
        )
        .await?;
    let needs = match &members {
        Some(members) => needs
            .into_iter()
            .filter(|n| members.contains(&n.buyer))
            .collect(),
        None => needs,
    };
    let mut buyers = facts.buyers;
    buyers.extend(territory.unwrap_or_default());
    Ok(Inputs {
        contracts: facts.contracts,
        needs,
        buyers,
    })
}

/// The engine's inputs for the operator of the command line, who sees every declared need:
/// within `territory`'s organisations, or over every buyer of the published data (`None`).
pub async fn operator_inputs(
    db: &Database,
    territory: Option<&mutualis_domain::Territory>,
) -> Result<Inputs, AppError> {
    let buyers = territory.map(|t| {
        t.organisations()
            .map(|o| (o.siren.clone(), BuyerInfo::from(o)))
            .collect()
    });
    let needs = db
        .all_campaign_needs(TerritoryWide::for_operator_command_line(), nomenclature())
        .await?;
    read_inputs(db, buyers, needs).await
}

/// Runs the engine over `inputs` with the shipped configuration and rules. Pure computation:
/// call it off the async threads.
pub fn run_engine(inputs: &Inputs, params: Params) -> Result<Report, OpportunityError> {
    let input = Input {
        contracts: &inputs.contracts,
        needs: &inputs.needs,
        buyers: &inputs.buyers,
    };
    find_opportunities(input, params, pooling(), rule_book(), nomenclature())
}

/// The opportunities `user` may see for `params` within `perimeter`: the engine over the
/// published contracts of the perimeter's buyers and the declared needs the user may read;
/// for a member, only the opportunities its organisation is part of. The outer error is
/// access or storage; the inner one, a question the engine cannot answer (no rules in force
/// on that date). Who may widen the perimeter is [`answer`]'s question.
pub async fn visible_report(
    app: &App,
    user: &Principal,
    params: Params,
    perimeter: Perimeter,
) -> Result<Result<Report, OpportunityError>, AppError> {
    check_role(user)?;
    let scope = user.scope();
    let territory = territory_buyers(app).await?;
    let (needs, own): (Vec<Need>, Option<Siren>) = match scope.territory_wide() {
        Some(wide) => (app.db.all_campaign_needs(wide, nomenclature()).await?, None),
        None => {
            let Some(own) = app
                .db
                .organisation_in_scope(scope, scope.organisation_id())
                .await?
            else {
                return Err(AppError::internal(format!(
                    "organisation {} of user {} not found",
                    scope.organisation_id(),
                    scope.user_id()
                )));
            };
            (
                app.db
                    .campaign_needs_for_member(scope, nomenclature())
                    .await?,
                Some(own.organisation.siren),
            )
        }
    };
    let mut inputs = read_inputs(
        &app.db,
        (perimeter == Perimeter::Territory).then(|| territory.clone()),
        needs,
    )
    .await?;
    // Outside the territory's perimeter too, the territory's names label its buyers.
    inputs.buyers.extend(territory);
    // The engine is pure computation over every published contract: off the async threads.
    let found = blocking::run(move || run_engine(&inputs, params)).await?;
    let mut report = match found {
        Ok(report) => report,
        Err(e) => return Ok(Err(e)),
    };
    if let Some(own) = own {
        report
            .opportunities
            .retain(|o| o.buyers.iter().any(|b| b.siren == own));
    }
    Ok(Ok(report))
}

/// The report for a question, filtered; an engine error becomes an error on its field.
pub async fn answer(
    app: &App,
    user: &Principal,
    question: &Question,
) -> Result<Result<Report, FieldError>, AppError> {
    check_role(user)?;
    if question.perimeter != Perimeter::Territory && user.scope().territory_wide().is_none() {
        return Ok(Err(FieldError {
            field: Field::Perimeter,
            message: PERIMETER_COORDINATOR_ONLY.to_owned(),
        }));
    }
    Ok(
        match visible_report(app, user, question.params, question.perimeter).await? {
            Ok(mut report) => {
                report.opportunities.retain(|o| question.keeps(o));
                Ok(report)
            }
            Err(e) => Err(FieldError {
                field: match e {
                    OpportunityError::Rules(_) => Field::Date,
                    OpportunityError::EmptyWindow => Field::Window,
                    OpportunityError::TooFewBuyers(_) => Field::MinBuyers,
                },
                message: e.to_string(),
            }),
        },
    )
}

/// The question of a detail page or of the API's one-opportunity endpoint: without a depth,
/// the depth of the prefix. `None` when the prefix cannot name a node.
pub fn question_for_prefix(
    prefix: &str,
    raw: &RawQuestion<'_>,
    today: NaiveDate,
) -> Option<(Question, Vec<FieldError>)> {
    let prefix_depth = depth_of_prefix(prefix)?;
    if !prefix.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let (mut question, errors) = RawQuestion {
        family: "",
        cpv: "",
        ..*raw
    }
    .parse(today);
    if raw.depth.trim().is_empty() {
        question.params.depth = prefix_depth;
    }
    Some((question, errors))
}

// ---------------------------------------------------------------------------------------------
// The report's summary, in the words of the pages and the command line alike

/// The question the report answers: "Au 1er janvier 2019 : regroupement par classe CPV, …".
pub fn question_sentence(report: &Report) -> String {
    format!(
        "Au {} : regroupement par {} CPV, contrats qui prennent fin et besoins qui commencent jusqu'au {} ({} mois), {} acheteurs au moins.",
        french_date(report.as_of),
        report.depth.label_fr(),
        french_date(report.window_end),
        report.window_months,
        report.min_buyers
    )
}

/// What the engine read and set aside: "Contrats publiés : 217 lus, …".
pub fn counts_sentence(report: &Report) -> String {
    let c = &report.counts;
    format!(
        "Contrats publiés : {} lus, {} dans la fenêtre ; hors fenêtre {}, sans date de fin {}, sans code CPV {}, remplacés par un besoin déclaré {} ; besoins déclarés : {} dont {} dans la fenêtre.",
        c.contracts,
        c.contracts_in_window,
        c.outside_window,
        c.without_end_date,
        c.without_cpv,
        c.renewed_by_need,
        c.needs,
        c.needs_in_window
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn an_empty_question_takes_the_defaults() {
        let (q, errors) = RawQuestion::default().parse(d("2026-11-26"));
        assert!(errors.is_empty());
        assert_eq!(q.params, Params::new(d("2026-11-26")));
        assert_eq!((q.family, q.cpv), (None, None));
    }

    #[test]
    fn depths_are_read_in_french_and_english_and_from_a_prefix() {
        for (typed, depth) in [
            ("division", CpvDepth::Division),
            ("groupe", CpvDepth::Group),
            ("group", CpvDepth::Group),
            ("classe", CpvDepth::Class),
            ("catégorie", CpvDepth::Category),
            ("category", CpvDepth::Category),
        ] {
            assert_eq!(parse_depth(typed), Some(depth), "{typed}");
        }
        assert_eq!(depth_of_prefix("9091"), Some(CpvDepth::Class));
        assert_eq!(depth_of_prefix("909100"), None);
        let raw = RawQuestion::default();
        let (q, _) = question_for_prefix("90911", &raw, d("2019-01-01")).unwrap();
        assert_eq!(q.params.depth, CpvDepth::Category);
        assert!(question_for_prefix("9o91", &raw, d("2019-01-01")).is_none());
    }
}
