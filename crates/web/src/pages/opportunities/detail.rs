//! One opportunity's detail, printable for a meeting: its buyers, contracts and needs, the
//! procedure for the pooled amount against each buyer's own, the rules applied, and the
//! button that creates a groupement from it.

use super::*;

struct ContractItem {
    id: String,
    href: Option<String>,
    object: String,
    cpv: String,
    ends_on: String,
    amount: String,
    duration: String,
    annual: String,
}

struct NeedItem {
    description: String,
    cpv: String,
    desired_start: String,
    annual: String,
    renews: String,
}

struct MemberItem {
    name: String,
    siren: String,
    /// Not one of the territory's organisations: listed, never invited in one click.
    outside: bool,
    annual: String,
    contracts: Vec<ContractItem>,
    needs: Vec<NeedItem>,
}

struct BridgingItem {
    name: String,
    item: &'static str,
    reference: String,
    date: String,
    months: String,
    action: &'static str,
    explanation: String,
}

struct RuleItem {
    rule_id: String,
    value: String,
    source: String,
}

struct ProcedureItem {
    name: String,
    estimated: String,
    label: String,
    explanation: String,
    rules: Vec<RuleItem>,
}

#[derive(Template)]
#[template(path = "opportunity.html")]
struct DetailPage {
    layout: Layout,
    /// Where the coordinator's "Créer un groupement" form posts; `None` for other roles.
    groupement_action: Option<String>,
    /// The buyers outside the territory, whom creating a groupement does not invite.
    outside: Vec<String>,
    perimeter: String,
    title: String,
    question: String,
    back: String,
    family: String,
    family_weight: String,
    nature: &'static str,
    annual: String,
    duration: u32,
    total: String,
    proposed_start: String,
    members: Vec<MemberItem>,
    bridging: Vec<BridgingItem>,
    launch_on: String,
    pooled: ProcedureItem,
    alone: Vec<ProcedureItem>,
    threshold_crossed: bool,
    savings: String,
    savings_source: String,
    assumptions: Vec<String>,
    score: u32,
    /// (factor, its weight in the score, its value), each from 0 to 1.
    factors: Vec<(&'static str, String, String)>,
    reasons: Vec<String>,
    /// The contracts of the node left out of the figures: (link, explanation).
    set_aside: Vec<(Option<String>, String)>,
}

fn decimal2(x: f64) -> String {
    format!("{x:.2}").replace('.', ",")
}

fn rule_items(rules: &[mutualis_domain::opportunity::AppliedRule]) -> Vec<RuleItem> {
    rules
        .iter()
        .map(|r| RuleItem {
            rule_id: r.rule_id.clone(),
            value: Amount::from_cents(r.value_cents).to_string(),
            source: r.source.clone(),
        })
        .collect()
}

fn procedure_item(
    name: String,
    c: &mutualis_domain::opportunity::ProcedureChoice,
) -> ProcedureItem {
    ProcedureItem {
        name,
        estimated: Amount::from_cents(c.estimated_cents).to_string(),
        label: c.label.clone(),
        explanation: c.explanation.clone(),
        rules: rule_items(&c.rules),
    }
}

pub async fn detail(
    State(state): State<Arc<AppState>>,
    user: SignedIn,
    Path(prefix): Path<String>,
    query: Result<Query<PageQuery>, QueryRejection>,
) -> Result<Response, WebError> {
    user.require(Capability::Opportunities)?;
    let query = page_query(&user, query)?;
    let Some((question, errors)) =
        question_for_prefix(&prefix, &query.raw(), state.opportunities_as_of())
    else {
        return Err(user.error(WebError::not_found()));
    };
    if !errors.is_empty() {
        let message = errors
            .iter()
            .map(|e| format!("{} : {}", e.field.page_name(), e.message))
            .collect::<Vec<_>>()
            .join(" ");
        return Err(user.error(WebError::with_detail(ErrorCode::BadRequest, message)));
    }
    let report = match answer(&state, &user.principal, &question)
        .await
        .map_err(|e| user.error(e))?
    {
        Ok(report) => report,
        Err(e) => {
            return Err(user.error(WebError::with_detail(ErrorCode::BadRequest, e.message)));
        }
    };
    let Some(o) = report.opportunities.iter().find(|o| o.cpv.prefix == prefix) else {
        return Err(user.error(WebError::not_found()));
    };
    // A contract's page opens for its buyer and for the coordinator only.
    let coordinator = user.principal.scope().territory_wide().is_some();
    let own_siren = if coordinator {
        None
    } else {
        Some(
            mutualis_app::organisations::own_organisation(&state, &user.principal)
                .await
                .map_err(|e| user.error(e))?
                .organisation
                .siren,
        )
    };
    let months = |m: Option<u32>| m.map_or_else(|| "—".to_owned(), |m| format!("{m} mois"));
    let territory = territory_sirens(&state).await.map_err(|e| user.error(e))?;
    let outside: Vec<String> = o
        .buyers
        .iter()
        .filter(|b| !territory.contains(&b.siren))
        .map(|b| b.name.clone())
        .collect();
    let members = o
        .buyers
        .iter()
        .map(|b| {
            let linkable = coordinator || own_siren.as_ref() == Some(&b.siren);
            MemberItem {
                name: b.name.clone(),
                siren: b.siren.to_string(),
                outside: !territory.contains(&b.siren),
                annual: Amount::from_cents(b.annual_amount_cents).to_string(),
                contracts: b
                    .contracts
                    .iter()
                    .map(|c| ContractItem {
                        id: c.id.clone(),
                        href: c
                            .record_id
                            .filter(|_| linkable)
                            .map(|id| format!("/contrats/{id}")),
                        object: imported_text(&c.object).into_owned(),
                        cpv: c.cpv.to_string(),
                        ends_on: short_date(c.ends_on),
                        amount: c
                            .amount_cents
                            .map_or_else(|| "—".to_owned(), |a| Amount::from_cents(a).to_string()),
                        duration: months(c.duration_months),
                        annual: Amount::from_cents(c.annual_amount_cents).to_string(),
                    })
                    .collect(),
                needs: b
                    .needs
                    .iter()
                    .map(|n| NeedItem {
                        description: n.description.clone(),
                        cpv: n.cpv.to_string(),
                        desired_start: short_date(n.desired_start),
                        annual: Amount::from_cents(n.annual_amount_cents).to_string(),
                        renews: n.current_contract.clone().unwrap_or_else(|| "—".into()),
                    })
                    .collect(),
            }
        })
        .collect();
    let bridging = o
        .bridging
        .iter()
        .map(|b| BridgingItem {
            name: b.name.clone(),
            item: if b.item == "need" {
                "besoin"
            } else {
                "contrat"
            },
            reference: b.reference.clone(),
            date: short_date(b.date),
            months: format!("{:+}", b.months),
            action: match b.action {
                "extend" => "prolonger ou décaler",
                "shorten" => "raccourcir ou avancer",
                _ => "aucun ajustement",
            },
            explanation: b.explanation(),
        })
        .collect();
    let weights = pooling().score;
    let params_q = params_query(&question.params, question.perimeter);
    let page = DetailPage {
        layout: user.layout(),
        groupement_action: coordinator
            .then(|| format!("/opportunites/{prefix}/groupement?{params_q}")),
        outside,
        perimeter: perimeter_sentence(question.perimeter, territory.len()),
        title: format!("{} — CPV {}", o.cpv.label, o.cpv.code),
        question: question_sentence(&report),
        back: format!("/opportunites?{params_q}"),
        family: o.family.label.clone(),
        family_weight: decimal2(o.family.weight),
        nature: match o.nature {
            mutualis_domain::rules::Nature::Works => "travaux",
            mutualis_domain::rules::Nature::SuppliesAndServices => "fournitures et services",
        },
        annual: Amount::from_cents(o.annual_amount_cents).to_string(),
        duration: o.proposed_duration_months,
        total: Amount::from_cents(o.total_amount_cents).to_string(),
        proposed_start: french_date(o.proposed_start),
        members,
        bridging,
        launch_on: french_date(o.procedure.launch_on),
        pooled: procedure_item("Ensemble".to_owned(), &o.procedure.pooled),
        alone: o
            .procedure
            .alone
            .iter()
            .map(|a| ProcedureItem {
                name: a.name.clone(),
                estimated: Amount::from_cents(a.estimated_cents).to_string(),
                label: a.label.to_owned(),
                explanation: a.explanation(o.proposed_duration_months),
                rules: rule_items(&a.rules),
            })
            .collect(),
        threshold_crossed: o.procedure.threshold_crossed,
        savings: savings_text(o),
        savings_source: o.savings.source.clone(),
        assumptions: o.savings.assumptions.clone(),
        score: o.score,
        factors: vec![
            (
                "Montant annuel cumulé",
                decimal2(weights.amount),
                decimal2(o.score_factors.amount),
            ),
            (
                "Nombre d'acheteurs",
                decimal2(weights.buyers),
                decimal2(o.score_factors.buyers),
            ),
            (
                "Alignement des dates",
                decimal2(weights.alignment),
                decimal2(o.score_factors.alignment),
            ),
        ],
        reasons: o.reasons.clone(),
        set_aside: o
            .set_aside
            .iter()
            .map(|l| {
                (
                    l.record_id.map(|id| format!("/contrats/{id}")),
                    l.explanation(),
                )
            })
            .collect(),
    };
    Ok(Html(page.render()?).into_response())
}
