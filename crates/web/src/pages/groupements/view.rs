//! A groupement's page: its state, members, lots and needs, the contracts of its award, and the
//! forms of the actions open to the user, drawn from the domain's policy (`Groupement::may`).

use super::*;

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
pub(super) struct Outcome {
    pub(super) done: String,
    pub(super) problems: Vec<String>,
    pub(super) field_errors: HashMap<String, String>,
    pub(super) values: HashMap<String, String>,
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

pub(super) async fn render_detail(
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
    let supplier_names = groupements::supplier_names(state, g)
        .await
        .map_err(|e| user.error(e))?;
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
