//! A member's answer to a campaign: its needs declared by form (or by workbook, in
//! `workbook`), deleted, and the answer submitted.

use super::*;

/// One error of a refused workbook.
pub(super) struct CellErrorRow {
    pub(super) sheet: String,
    pub(super) cell: String,
    pub(super) reason: String,
}

pub(super) struct Reservations {
    pub(super) code: &'static str,
    pub(super) id: String,
    pub(super) label: &'static str,
    pub(super) checked: bool,
}

#[derive(Template)]
#[template(path = "campaign_member.html")]
pub(super) struct MemberPage {
    pub(super) layout: Layout,
    pub(super) info: CampaignInfo,
    pub(super) organisation: String,
    pub(super) answered: Option<String>,
    pub(super) needs: Vec<NeedRow>,
    pub(super) total: String,
    pub(super) notice: Option<String>,
    /// Why the last write was refused.
    pub(super) refusal: Option<String>,
    /// The need's fields in three groups: the need, its quantity, the current contract.
    pub(super) need_fields: Vec<Field>,
    pub(super) quantity_fields: Vec<Field>,
    pub(super) contract_fields: Vec<Field>,
    pub(super) social: Field,
    pub(super) environmental: Field,
    pub(super) reservations: Vec<Reservations>,
    pub(super) reservation_error: Option<String>,
    pub(super) errors: Vec<FieldError>,
    pub(super) upload_error: Option<String>,
    pub(super) workbook_errors: Vec<CellErrorRow>,
    pub(super) limit: &'static str,
}

/// The need form as typed (text, so that a bad value is shown back).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct NeedForm {
    pub(super) csrf: String,
    pub(super) cpv: String,
    pub(super) description: String,
    pub(super) montant: String,
    pub(super) quantite: String,
    pub(super) unite: String,
    pub(super) debut: String,
    pub(super) contrat: String,
    pub(super) fin_contrat: String,
    pub(super) exigences_sociales: String,
    pub(super) exigences_environnementales: String,
    pub(super) reserve: String,
}

impl NeedForm {
    /// The need, for `buyer`, in a campaign opening on `opens_on`, or the errors next to
    /// their fields.
    pub(super) fn parse(
        &self,
        buyer: &Siren,
        opens_on: NaiveDate,
    ) -> Result<Need, Vec<FieldError>> {
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
    pub(super) async fn load(
        state: &AppState,
        user: &SignedIn,
        summary: &CampaignSummary,
    ) -> Result<MemberPage, WebError> {
        let c = &summary.campaign;
        let needs = campaigns::needs(state, &user.principal, c.id)
            .await
            .map_err(|e| user.error(e))?;
        let mut page = MemberPage {
            layout: user.layout(),
            info: CampaignInfo::new(
                c,
                state.clock.today(),
                &campaigns::actions_of(state, &user.principal, summary),
            ),
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

    pub(super) fn set_form(
        &mut self,
        form: &NeedForm,
        errors: Vec<FieldError>,
        families: &[String],
    ) {
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

    pub(super) fn notice(&mut self, done: &Done) {
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

/// The member page again, with why the write was refused (409).
pub(super) async fn refused(
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
    let summary = campaign(&state, &user, &id, Seen::Answerable).await?;
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
    match campaigns::add_need(&state, &user.principal, campaign, &need).await {
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
    pub(super) csrf: String,
}

pub async fn delete_need(
    State(state): State<Arc<AppState>>,
    user: SignedIn,
    Path((id, need)): Path<(String, String)>,
    HtmlForm(form): HtmlForm<CsrfOnly>,
) -> Result<Response, WebError> {
    user.check_csrf(&form.csrf)?;
    let summary = campaign(&state, &user, &id, Seen::Answerable).await?;
    let Ok(need) = need.parse::<i64>() else {
        return Err(user.error(WebError::not_found()));
    };
    let campaign = summary.campaign.id;
    match campaigns::delete_need(&state, &user.principal, campaign, need).await {
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
    let summary = campaign(&state, &user, &id, Seen::Answerable).await?;
    let campaign = summary.campaign.id;
    match campaigns::submit_answer(&state, &user.principal, campaign).await {
        Ok(()) => Ok(redirect_done(campaign, "fait=reponse")),
        Err(e) => refused(&state, &user, &summary, e).await,
    }
}
