//! The coordinator's new-campaign form: title, dates, CPV families checked against the
//! nomenclature, the members invited; every bad field shown next to itself, nothing written
//! until all are good.

use std::collections::HashSet;
use std::sync::Arc;

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use chrono::NaiveDate;
use mutualis_reference::cpv::nomenclature;
use mutualis_storage::campaigns::{CampaignError, NewCampaign};

use super::{Field, FieldError, TITLE_MAX, d, error_for, redirect_done, respond, sentence};
use crate::AppState;
use crate::error::WebError;
use crate::layout::Layout;
use crate::pages::forms::parse_date;
use crate::session::{HtmlForm, SignedIn};

struct MemberChoice {
    id: i64,
    name: String,
    checked: bool,
}

#[derive(Template)]
#[template(path = "campaign_new.html")]
struct NewCampaignPage {
    layout: Layout,
    title: Field,
    opens: Field,
    closes: Field,
    families: Field,
    members: Vec<MemberChoice>,
    all_members: bool,
    members_error: Option<String>,
    errors: Vec<FieldError>,
}

/// The members the coordinator may invite: the members of the territory it leads.
async fn invitable_members(
    state: &AppState,
    user: &SignedIn,
) -> Result<Vec<(i64, String)>, WebError> {
    let Some(territory) = state.db.territory(&state.territory_slug).await? else {
        return Ok(Vec::new());
    };
    if territory.lead.id != user.principal.organisation_id() {
        return Ok(Vec::new());
    }
    let mut members: Vec<(i64, String)> = territory
        .members
        .into_iter()
        .map(|m| (m.id, m.organisation.name))
        .collect();
    members.sort_by(|a, b| a.1.cmp(&b.1));
    Ok(members)
}

impl NewCampaignPage {
    fn new(
        user: &SignedIn,
        members: Vec<(i64, String)>,
        form: &NewCampaignForm,
        errors: Vec<FieldError>,
    ) -> NewCampaignPage {
        let date_hint = "Par exemple 15/09/2026.";
        NewCampaignPage {
            layout: user.layout(),
            title: Field::new(
                "titre",
                "Titre",
                "Par exemple : Recensement des besoins 2027.",
            )
            .with(&form.title, &errors),
            opens: Field::date("ouverture", "Date d'ouverture", date_hint)
                .with(&form.opens, &errors),
            closes: Field::date("cloture", "Date limite de réponse (incluse)", date_hint)
                .with(&form.closes, &errors),
            families: Field::new(
                "familles",
                "Familles CPV",
                "Débuts de codes CPV de 2 à 8 chiffres, séparés par des virgules : 9091 \
                 (services de nettoyage de bâtiments), 30 (machines et fournitures de bureau).",
            )
            .with(&form.families, &errors),
            members: members
                .into_iter()
                .map(|(id, name)| MemberChoice {
                    checked: form.members.contains(&id),
                    id,
                    name,
                })
                .collect(),
            all_members: form.all_members,
            members_error: error_for(&errors, "membres"),
            errors,
        }
    }
}

/// The new-campaign form as typed (text, so that a bad value is shown back).
#[derive(Debug, Default)]
struct NewCampaignForm {
    csrf: String,
    title: String,
    opens: String,
    closes: String,
    families: String,
    all_members: bool,
    members: HashSet<i64>,
}

impl NewCampaignForm {
    /// From the form's pairs: the checkboxes repeat `membres`.
    fn from_pairs(pairs: Vec<(String, String)>) -> NewCampaignForm {
        let mut form = NewCampaignForm::default();
        for (key, value) in pairs {
            match key.as_str() {
                "csrf" => form.csrf = value,
                "titre" => form.title = value,
                "ouverture" => form.opens = value,
                "cloture" => form.closes = value,
                "familles" => form.families = value,
                "tous" => form.all_members = !value.is_empty(),
                "membres" => {
                    // An id that does not parse can only come from a forged form: ignored,
                    // and "invite at least one" says the rest.
                    if let Ok(id) = value.trim().parse() {
                        form.members.insert(id);
                    }
                }
                _ => {}
            }
        }
        form
    }

    /// The campaign and the members to invite, or the errors next to their fields.
    fn parse(
        &self,
        members: &[(i64, String)],
        today: NaiveDate,
    ) -> Result<(NewCampaign, Vec<i64>), Vec<FieldError>> {
        let mut errors = Vec::new();
        let title = self.title.trim();
        if title.is_empty() {
            errors.push(FieldError::new(
                "titre",
                "Donnez un titre à la campagne, par exemple « Recensement des besoins 2027 ».",
            ));
        } else if title.chars().count() > TITLE_MAX {
            errors.push(FieldError::new(
                "titre",
                format!("Le titre ne doit pas dépasser {TITLE_MAX} caractères."),
            ));
        }
        let date = |field: &'static str, value: &str, what: &str, errors: &mut Vec<_>| {
            if value.trim().is_empty() {
                errors.push(FieldError::new(
                    field,
                    format!("Indiquez la {what}, JJ/MM/AAAA, par exemple 15/09/2026."),
                ));
                return None;
            }
            parse_date(value)
                .map_err(|e| errors.push(FieldError::new(field, e)))
                .ok()
        };
        let opens = date("ouverture", &self.opens, "date d'ouverture", &mut errors);
        let closes = date(
            "cloture",
            &self.closes,
            "date limite de réponse",
            &mut errors,
        );
        if let Some(closes) = closes {
            if opens.is_some_and(|o| closes < o) {
                errors.push(FieldError::new(
                    "cloture",
                    "La date limite de réponse précède la date d'ouverture.",
                ));
            } else if closes < today {
                errors.push(FieldError::new(
                    "cloture",
                    format!(
                        "La date limite de réponse est passée (nous sommes le {}).",
                        d(today)
                    ),
                ));
            }
        }
        let families = parse_families(&self.families)
            .map_err(|e| errors.push(FieldError::new("familles", e)))
            .ok();
        let invited: Vec<i64> = if self.all_members {
            members.iter().map(|(id, _)| *id).collect()
        } else {
            members
                .iter()
                .map(|(id, _)| *id)
                .filter(|id| self.members.contains(id))
                .collect()
        };
        if invited.is_empty() {
            errors.push(FieldError {
                field: "membres",
                anchor: members
                    .first()
                    .map_or("tous".into(), |(id, _)| format!("membre-{id}")),
                message: "Invitez au moins un membre : cochez-le dans la liste, ou cochez « Tous \
                          les membres du territoire »."
                    .into(),
            });
        }
        match (opens, closes, families) {
            (Some(opens_on), Some(closes_on), Some(cpv_families)) if errors.is_empty() => Ok((
                NewCampaign {
                    title: title.to_owned(),
                    opens_on,
                    closes_on,
                    cpv_families,
                },
                invited,
            )),
            _ => Err(errors),
        }
    }
}

/// The CPV families typed by the coordinator ("9091, 30"): each 2 to 8 digits, the
/// significant digits of a node of CPV 2008. Trailing zeros are dropped ("90910000" is the
/// class 9091), as the storage does.
pub fn parse_families(input: &str) -> Result<Vec<String>, String> {
    let mut families: Vec<String> = Vec::new();
    let mut bad = Vec::new();
    for given in input
        .split([',', ';', ' ', '\n', '\t', '\r'])
        .filter(|s| !s.is_empty())
    {
        if !(2..=8).contains(&given.len()) || !given.bytes().all(|b| b.is_ascii_digit()) {
            bad.push(format!(
                "« {given} » n'est pas un début de code CPV (attendu 2 à 8 chiffres)"
            ));
            continue;
        }
        let padded = format!("{given:0<8}");
        if nomenclature().lookup(&padded).is_err() {
            bad.push(format!(
                "« {given} » ne correspond à aucune famille de la nomenclature CPV 2008 \
                 (le code {padded} n'existe pas)"
            ));
            continue;
        }
        let mut family = given.to_owned();
        while family.len() > 2 && family.ends_with('0') {
            family.pop();
        }
        if !families.contains(&family) {
            families.push(family);
        }
    }
    if !bad.is_empty() {
        return Err(sentence(&format!(
            "{} ; par exemple 9091 ou 30",
            bad.join(" ; ")
        )));
    }
    if families.is_empty() {
        return Err(
            "Indiquez au moins une famille CPV, par exemple 9091 (nettoyage) ou 30 (fournitures \
             de bureau)."
                .into(),
        );
    }
    Ok(families)
}

fn coordinator_only(user: &SignedIn) -> Result<(), WebError> {
    match user.principal.scope().territory_wide() {
        Some(_) => Ok(()),
        None => Err(user.error(WebError::forbidden())),
    }
}

pub async fn new_form(
    State(state): State<Arc<AppState>>,
    user: SignedIn,
) -> Result<Response, WebError> {
    coordinator_only(&user)?;
    let members = invitable_members(&state, &user).await?;
    respond(
        StatusCode::OK,
        NewCampaignPage::new(&user, members, &NewCampaignForm::default(), Vec::new()),
    )
}

pub async fn create(
    State(state): State<Arc<AppState>>,
    user: SignedIn,
    HtmlForm(pairs): HtmlForm<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    let form = NewCampaignForm::from_pairs(pairs);
    user.check_csrf(&form.csrf)?;
    coordinator_only(&user)?;
    let members = invitable_members(&state, &user).await?;
    let errors = match form.parse(&members, state.clock.today()) {
        Ok((campaign, invited)) => {
            let wide = user
                .principal
                .scope()
                .territory_wide()
                .ok_or_else(|| user.error(WebError::forbidden()))?;
            match state
                .db
                .create_campaign(
                    wide,
                    user.principal.organisation_id(),
                    &campaign,
                    &invited,
                    state.clock.now(),
                )
                .await
            {
                Ok(id) => return Ok(redirect_done(id, "fait=creee")),
                Err(CampaignError::NotATerritoryMember(_)) => vec![FieldError::new(
                    "membres",
                    "Un organisme coché n'est pas membre du territoire : rechargez la page.",
                )],
                Err(CampaignError::Invalid(message)) => {
                    vec![FieldError::new("titre", sentence(&message))]
                }
                Err(e) => return Err(user.error(WebError::internal(e))),
            }
        }
        Err(errors) => errors,
    };
    respond(
        StatusCode::UNPROCESSABLE_ENTITY,
        NewCampaignPage::new(&user, members, &form, errors),
    )
}
