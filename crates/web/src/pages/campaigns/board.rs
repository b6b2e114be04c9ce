//! The coordinator's board of a campaign: who answered, reminders, totals per CPV family,
//! every need, and closing.

use super::*;

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

pub(super) async fn board(
    state: &AppState,
    user: &SignedIn,
    summary: &CampaignSummary,
    done: &Done,
) -> Result<Response, WebError> {
    let id = summary.campaign.id;
    let board = campaigns::board(state, &user.principal, id)
        .await
        .map_err(|e| user.error(e))?;
    let needs = campaigns::needs(state, &user.principal, id)
        .await
        .map_err(|e| user.error(e))?;
    let today = state.clock.today();
    let c = &board.campaign;
    // What the coordinator may do, as storage enforces it (the domain's campaign policy).
    let actions = campaigns::actions_of(state, &user.principal, summary);
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
        info: CampaignInfo::new(c, today, &actions),
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

pub async fn remind(
    State(state): State<Arc<AppState>>,
    user: SignedIn,
    Path((id, organisation)): Path<(String, String)>,
    HtmlForm(form): HtmlForm<CsrfOnly>,
) -> Result<Response, WebError> {
    user.check_csrf(&form.csrf)?;
    let summary = campaign(&state, &user, &id, Seen::Owned).await?;
    let Ok(organisation) = organisation.parse::<i64>() else {
        return Err(user.error(WebError::not_found()));
    };
    let campaign = summary.campaign.id;
    match campaigns::remind(&state, &user.principal, campaign, organisation).await {
        Ok(()) => Ok(redirect_done(
            campaign,
            &format!("fait=relance&membre={organisation}"),
        )),
        // A refusal of the campaign's policy (a stale page): its reason, in French.
        Err(e) => Err(user.error(WebError::with_detail(
            ErrorCode::BadRequest,
            refusal(&user, e)?,
        ))),
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
    let summary = campaign(&state, &user, &id, Seen::Owned).await?;
    let campaign = summary.campaign.id;
    if summary.campaign.status == CampaignStatus::Closed {
        return Ok(Redirect::to(&format!("/campagnes/{campaign}")).into_response());
    }
    if form.confirmation != confirmation::CONFIRMED {
        return close_confirmation(&state, &user, campaign).await;
    }
    match campaigns::close(&state, &user.principal, campaign).await {
        Ok(()) => Ok(redirect_done(campaign, "fait=cloture")),
        // A refusal of the campaign's policy (a stale page): its reason, in French.
        Err(e) => Err(user.error(WebError::with_detail(
            ErrorCode::BadRequest,
            refusal(&user, e)?,
        ))),
    }
}

/// What closing the campaign will do: no more answers nor changes to the needs, which are
/// kept as they are; who has not answered; that it is final.
async fn close_confirmation(
    state: &AppState,
    user: &SignedIn,
    campaign: i64,
) -> Result<Response, WebError> {
    let board = campaigns::board(state, &user.principal, campaign)
        .await
        .map_err(|e| user.error(e))?;
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
