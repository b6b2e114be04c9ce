//! The actions posted to `/groupements/{id}/actions`: the form read into a domain `Action`,
//! applied through `mutualis_app::groupements`, and the confirmation step of the
//! irreversible ones.

use super::*;

/// The form's fields, read by name: each action reads its own.
pub(super) struct Fields<'a> {
    pub(super) form: &'a HashMap<String, String>,
    pub(super) errors: HashMap<String, String>,
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

    pub(super) fn optional_date(&mut self, name: &str) -> Option<NaiveDate> {
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
