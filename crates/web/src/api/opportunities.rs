//! The pooling opportunities the token's holder sees: the engine's report, or one
//! opportunity of it, for the question asked in the query string.

use std::sync::Arc;

use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use mutualis_domain::opportunity::{Opportunity, Report};
use serde::Deserialize;
use utoipa::ToSchema;

use super::bad_query;
use crate::AppState;
use crate::error::{ApiError, ApiErrorBody, ErrorCode, WebError};
use crate::pages::opportunities::{
    FieldError, RawQuestion, answer, list_question, question_for_prefix,
};
use crate::session::ApiUser;

/// The question of the opportunity endpoints, as typed (text, so that a bad value is named).
#[derive(Debug, Default, Deserialize)]
pub struct OpportunityQuery {
    #[serde(default)]
    as_of: String,
    #[serde(default)]
    depth: String,
    #[serde(default)]
    window_months: String,
    #[serde(default)]
    min_buyers: String,
    #[serde(default)]
    family: String,
    #[serde(default)]
    cpv: String,
    #[serde(default)]
    perimeter: String,
}

impl OpportunityQuery {
    fn raw(&self) -> RawQuestion<'_> {
        RawQuestion {
            date: &self.as_of,
            depth: &self.depth,
            window: &self.window_months,
            min_buyers: &self.min_buyers,
            family: &self.family,
            cpv: &self.cpv,
            perimeter: &self.perimeter,
        }
    }
}

/// A 400 naming the parameter.
fn bad_parameter(e: &FieldError) -> ApiError {
    ApiError(WebError::with_detail(
        ErrorCode::BadRequest,
        format!("{} : {}", e.field.api_name(), e.message),
    ))
}

#[utoipa::path(get, path = "/api/v1/opportunities", tag = "opportunités", security(("token" = [])),
    params(
        ("as_of" = Option<String>, Query, description = "Date d'observation (AAAA-MM-JJ ; JJ/MM/AAAA accepté) ; aujourd'hui par défaut"),
        ("depth" = Option<String>, Query, pattern = "^(division|groupe|group|classe|class|categorie|catégorie|category)?$", description = "Regroupement CPV : division (2 chiffres), group (3), class (4, défaut) ou category (5) ; les noms français division, groupe, classe, categorie sont acceptés"),
        ("window_months" = Option<u32>, Query, minimum = 1, maximum = 120, description = "Fenêtre commune en mois après la date d'observation, de 1 à 120 (18 par défaut)"),
        ("min_buyers" = Option<u32>, Query, minimum = 2, maximum = 100, description = "Nombre minimal d'acheteurs distincts, de 2 (défaut) à 100"),
        ("family" = Option<String>, Query, description = "Ne garder qu'une famille d'achats (energy, cleaning, insurance…, other)"),
        ("cpv" = Option<String>, Query, pattern = "^([0-9]{2,8})?$", description = "Ne garder que les familles CPV qui contiennent ce début de code (2 à 8 chiffres) ou y sont contenues"),
        ("perimeter" = Option<String>, Query, pattern = "^(territory|territoire|all|tous)?$", description = "Acheteurs pris en compte : territory (les organisations du territoire : la métropole et ses communes membres, par défaut) ou all (tous les acheteurs des contrats publiés, réservé au coordinateur)"),
    ),
    responses(
        (status = 200, description = "Le rapport : paramètres, décomptes, exclusions et opportunités, la meilleure d'abord. Entre les organisations du territoire par défaut : le coordinateur voit toutes les opportunités ; un membre, celles dont son organisation fait partie (sur les contrats publiés du territoire et ses propres besoins)", body = OpportunityReportSchema),
        (status = 400, description = "Paramètre invalide ; le message le nomme", body = ApiErrorBody),
        (status = 401, description = "Jeton absent, invalide ou révoqué", body = ApiErrorBody),
        (status = 403, description = "Rôle sans accès aux opportunités (valideur, évaluateur, fournisseur, médiateur)", body = ApiErrorBody),
    ))]
pub async fn opportunities(
    State(state): State<Arc<AppState>>,
    ApiUser(user): ApiUser,
    query: Result<Query<OpportunityQuery>, QueryRejection>,
) -> Result<Json<Report>, ApiError> {
    let Query(query) = query.map_err(bad_query)?;
    let (question, errors) = list_question(&state, &query.raw());
    if let Some(e) = errors.first() {
        return Err(bad_parameter(e));
    }
    let report = answer(&state, &user, &question)
        .await?
        .map_err(|e| bad_parameter(&e))?;
    Ok(Json(report))
}

#[utoipa::path(get, path = "/api/v1/opportunities/{prefix}", tag = "opportunités", security(("token" = [])),
    params(
        ("prefix" = String, Path, description = "Chiffres significatifs de la famille CPV (2 à 5), par exemple 9091"),
        ("as_of" = Option<String>, Query, description = "Date d'observation (AAAA-MM-JJ ; JJ/MM/AAAA accepté) ; aujourd'hui par défaut"),
        ("depth" = Option<String>, Query, pattern = "^(division|groupe|group|classe|class|categorie|catégorie|category)?$", description = "Regroupement CPV ; par défaut, celui de la longueur du préfixe"),
        ("window_months" = Option<u32>, Query, minimum = 1, maximum = 120, description = "Fenêtre commune en mois, de 1 à 120 (18 par défaut)"),
        ("min_buyers" = Option<u32>, Query, minimum = 2, maximum = 100, description = "Nombre minimal d'acheteurs distincts, de 2 (défaut) à 100"),
        ("perimeter" = Option<String>, Query, pattern = "^(territory|territoire|all|tous)?$", description = "Acheteurs pris en compte : territory (les organisations du territoire : la métropole et ses communes membres, par défaut) ou all (tous les acheteurs des contrats publiés, réservé au coordinateur)"),
    ),
    responses(
        (status = 200, description = "L'opportunité, avec ses membres, ses ajustements, l'effet de seuil, l'économie estimée et ses hypothèses, le score et ses raisons", body = OpportunitySchema),
        (status = 400, description = "Paramètre invalide ; le message le nomme", body = ApiErrorBody),
        (status = 401, description = "Jeton absent, invalide ou révoqué", body = ApiErrorBody),
        (status = 403, description = "Rôle sans accès aux opportunités (valideur, évaluateur, fournisseur, médiateur)", body = ApiErrorBody),
        (status = 404, description = "Pas d'opportunité visible pour ce préfixe et ces paramètres", body = ApiErrorBody),
    ))]
pub async fn opportunity(
    State(state): State<Arc<AppState>>,
    ApiUser(user): ApiUser,
    Path(prefix): Path<String>,
    query: Result<Query<OpportunityQuery>, QueryRejection>,
) -> Result<Json<Opportunity>, ApiError> {
    let Query(query) = query.map_err(bad_query)?;
    let Some((question, errors)) =
        question_for_prefix(&prefix, &query.raw(), state.opportunities_as_of())
    else {
        return Err(ApiError(WebError::not_found()));
    };
    if let Some(e) = errors.first() {
        return Err(bad_parameter(e));
    }
    let report = answer(&state, &user, &question)
        .await?
        .map_err(|e| bad_parameter(&e))?;
    report
        .opportunities
        .into_iter()
        .find(|o| o.cpv.prefix == prefix)
        .map(Json)
        .ok_or_else(|| ApiError(WebError::not_found()))
}

/// The OpenAPI description of the engine's report. The domain types do not know utoipa, so
/// their JSON is described here by hand; a test checks every property described against a
/// real answer.
mod opportunity_schema {
    use utoipa::openapi::schema::{
        ArrayBuilder, KnownFormat, ObjectBuilder, Schema, SchemaFormat, SchemaType, Type,
    };
    use utoipa::openapi::{Ref, RefOr};

    fn typed(t: Type, description: &str) -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(t)
            .description(Some(description))
            .into()
    }

    pub fn int(description: &str) -> RefOr<Schema> {
        typed(Type::Integer, description)
    }

    pub fn cents(description: &str) -> RefOr<Schema> {
        typed(
            Type::Integer,
            &format!("{description}, en centimes d'euro HT"),
        )
    }

    pub fn nullable_int(description: &str) -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(SchemaType::from_iter([Type::Integer, Type::Null]))
            .description(Some(description))
            .into()
    }

    pub fn number(description: &str) -> RefOr<Schema> {
        typed(Type::Number, description)
    }

    pub fn boolean(description: &str) -> RefOr<Schema> {
        typed(Type::Boolean, description)
    }

    pub fn string(description: &str) -> RefOr<Schema> {
        typed(Type::String, description)
    }

    pub fn nullable_string(description: &str) -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(SchemaType::from_iter([Type::String, Type::Null]))
            .description(Some(description))
            .into()
    }

    pub fn date(description: &str) -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::Date)))
            .description(Some(description))
            .into()
    }

    pub fn one_of(values: &[&str], description: &str) -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .enum_values(Some(values.iter().copied()))
            .description(Some(description))
            .into()
    }

    pub fn array(items: RefOr<Schema>, description: &str) -> RefOr<Schema> {
        ArrayBuilder::new()
            .items(items)
            .description(Some(description))
            .into()
    }

    pub fn reference(name: &str) -> RefOr<Schema> {
        RefOr::Ref(Ref::from_schema_name(name))
    }

    /// An object whose every property is present (nullable ones as `null`).
    pub fn object(description: &str, properties: Vec<(&str, RefOr<Schema>)>) -> RefOr<Schema> {
        let mut builder = ObjectBuilder::new()
            .schema_type(Type::Object)
            .description(Some(description));
        for (name, schema) in properties {
            builder = builder.property(name, schema).required(name);
        }
        builder.into()
    }

    fn procedure_choice() -> Vec<(&'static str, RefOr<Schema>)> {
        vec![
            (
                "estimated_cents",
                cents("Montant estimé sur la durée proposée (R2121-1)"),
            ),
            (
                "procedure",
                one_of(&["no_publicity", "adapted", "formal"], "Procédure requise"),
            ),
            ("label", string("Libellé français de la procédure")),
            (
                "rules",
                array(
                    object(
                        "Seuil appliqué",
                        vec![
                            (
                                "rule_id",
                                string("Identifiant de la règle (data/rules/rules.toml)"),
                            ),
                            ("value_cents", cents("Seuil")),
                            ("source", string("Source juridique")),
                        ],
                    ),
                    "Seuils appliqués, avec leur règle et leur source juridique",
                ),
            ),
            ("explanation", string("Explication en français")),
        ]
    }

    pub fn opportunity() -> RefOr<Schema> {
        let contract = object(
            "Contrat en cours d'un membre",
            vec![
                ("id", string("Identifiant DECP du contrat")),
                (
                    "record_id",
                    nullable_int(
                        "Identifiant dans Mutualis (GET /api/v1/contracts/{id}), s'il est enregistré",
                    ),
                ),
                ("object", string("Objet")),
                ("cpv", string("Code CPV")),
                ("ends_on", date("Fin, modifications comprises")),
                (
                    "amount_cents",
                    nullable_int("Montant après modifications, en centimes"),
                ),
                (
                    "duration_months",
                    nullable_int("Durée après modifications, en mois"),
                ),
                ("annual_amount_cents", cents("Montant annualisé")),
            ],
        );
        let need = object(
            "Besoin déclaré par un membre lors d'un recensement",
            vec![
                ("description", string("Description")),
                ("cpv", string("Code CPV")),
                ("desired_start", date("Début souhaité")),
                ("annual_amount_cents", cents("Montant annuel estimé")),
                (
                    "current_contract",
                    nullable_string("Contrat que le besoin renouvelle"),
                ),
            ],
        );
        let buyer = object(
            "Membre de l'opportunité",
            vec![
                ("siren", string("SIREN")),
                ("name", string("Nom")),
                (
                    "kind",
                    one_of(
                        &["local_authority", "state"],
                        "Seuils applicables : collectivité ou État",
                    ),
                ),
                ("annual_amount_cents", cents("Montant annuel du membre")),
                (
                    "contracts",
                    array(contract, "Contrats qui prennent fin dans la fenêtre"),
                ),
                (
                    "needs",
                    array(need, "Besoins qui commencent dans la fenêtre"),
                ),
            ],
        );
        let bridging = object(
            "Ajustement d'un contrat ou d'un besoin au début commun",
            vec![
                ("siren", string("SIREN du membre")),
                ("name", string("Nom du membre")),
                ("item", one_of(&["contract", "need"], "Contrat ou besoin")),
                (
                    "reference",
                    string("Identifiant du contrat ou description du besoin"),
                ),
                ("date", date("Fin du contrat ou début souhaité du besoin")),
                (
                    "months",
                    int("Mois à prolonger ou décaler (positif), à raccourcir ou avancer (négatif)"),
                ),
                (
                    "action",
                    one_of(&["extend", "shorten", "none"], "Ajustement"),
                ),
            ],
        );
        let mut alone = vec![("siren", string("SIREN")), ("name", string("Nom"))];
        alone.extend(
            procedure_choice()
                .into_iter()
                .filter(|(name, _)| *name != "explanation"),
        );
        object(
            "Une opportunité de mutualisation, qui s'explique elle-même",
            vec![
                (
                    "cpv",
                    object(
                        "Famille CPV regroupée",
                        vec![
                            ("code", string("Code CPV du nœud, par exemple 90910000-9")),
                            ("prefix", string("Chiffres significatifs, par exemple 9091")),
                            ("label", string("Libellé français")),
                            (
                                "depth",
                                one_of(
                                    &["division", "group", "class", "category", "finer"],
                                    "Profondeur",
                                ),
                            ),
                        ],
                    ),
                ),
                (
                    "nature",
                    one_of(
                        &["works", "supplies_services"],
                        "Travaux, ou fournitures et services",
                    ),
                ),
                (
                    "family",
                    object(
                        "Famille d'achats (paramètres de mutualisation)",
                        vec![
                            ("id", string("Identifiant")),
                            ("label", string("Libellé")),
                            ("weight", number("Poids, de 0 (peu mutualisable) à 1")),
                        ],
                    ),
                ),
                (
                    "buyers",
                    array(buyer, "Membres, le plus gros montant d'abord"),
                ),
                ("annual_amount_cents", cents("Montant annuel cumulé")),
                (
                    "proposed_duration_months",
                    int("Durée proposée du marché commun, en mois"),
                ),
                (
                    "total_amount_cents",
                    cents("Montant cumulé sur la durée proposée"),
                ),
                ("proposed_start", date("Début commun proposé")),
                (
                    "bridging",
                    array(bridging, "Ajustements de chaque contrat et besoin"),
                ),
                (
                    "procedure",
                    object(
                        "Effet de seuil : procédure de chacun seul et de tous ensemble",
                        vec![
                            (
                                "launch_on",
                                date("Lancement de la procédure commune (règles de cette date)"),
                            ),
                            (
                                "alone",
                                array(
                                    object("Procédure d'un membre seul", alone),
                                    "Chaque membre seul",
                                ),
                            ),
                            (
                                "pooled",
                                object("Procédure du marché commun", procedure_choice()),
                            ),
                            (
                                "threshold_crossed",
                                boolean("La mutualisation fait franchir un seuil"),
                            ),
                        ],
                    ),
                ),
                (
                    "savings",
                    object(
                        "Économie estimée par an, avec ses hypothèses",
                        vec![
                            ("low_cents", cents("Bas de la fourchette, par an")),
                            ("high_cents", cents("Haut de la fourchette, par an")),
                            ("low_percent", int("Taux bas, en %")),
                            ("high_percent", int("Taux haut, en %")),
                            ("source", string("Source des taux")),
                            (
                                "assumptions",
                                array(string("Hypothèse"), "Hypothèses, en français"),
                            ),
                        ],
                    ),
                ),
                ("score", int("Score de 0 à 100")),
                (
                    "score_factors",
                    object(
                        "Facteurs du score, de 0 à 1, avant le poids de la famille",
                        vec![
                            ("amount", number("Montant annuel cumulé")),
                            ("buyers", number("Nombre d'acheteurs")),
                            ("alignment", number("Alignement des dates")),
                        ],
                    ),
                ),
                (
                    "reasons",
                    array(
                        string("Raison"),
                        "Pourquoi elle est là et à ce rang, en français",
                    ),
                ),
            ],
        )
    }

    pub fn report() -> RefOr<Schema> {
        object(
            "Rapport du moteur d'opportunités",
            vec![
                ("as_of", date("Date d'observation")),
                (
                    "depth",
                    one_of(
                        &["division", "group", "class", "category"],
                        "Regroupement CPV",
                    ),
                ),
                ("window_months", int("Fenêtre, en mois")),
                ("window_end", date("Dernier jour de la fenêtre")),
                ("min_buyers", int("Nombre minimal d'acheteurs")),
                (
                    "counts",
                    object(
                        "Contrats et besoins examinés, et pourquoi certains ne comptent pas",
                        vec![
                            ("contracts", int("Contrats publiés lus")),
                            ("needs", int("Besoins déclarés lus")),
                            (
                                "contracts_in_window",
                                int(
                                    "Contrats dans la fenêtre, avec un code CPV, pas déjà mutualisés",
                                ),
                            ),
                            ("needs_in_window", int("Besoins dans la fenêtre")),
                            ("without_cpv", int("Contrats sans code CPV")),
                            ("without_end_date", int("Contrats sans date de fin")),
                            ("outside_window", int("Contrats hors fenêtre")),
                            (
                                "renewed_by_need",
                                int("Contrats remplacés par un besoin qui les renouvelle"),
                            ),
                        ],
                    ),
                ),
                (
                    "excluded",
                    array(
                        object(
                            "Contrats déjà mutualisés, écartés",
                            vec![
                                (
                                    "reason",
                                    one_of(&["central_purchasing", "groupement"], "Motif"),
                                ),
                                ("body", nullable_string("Centrale d'achat")),
                                ("contracts", int("Nombre de contrats")),
                                ("explanation", string("Explication en français")),
                            ],
                        ),
                        "Exclusions",
                    ),
                ),
                (
                    "opportunities",
                    array(
                        reference("Opportunity"),
                        "Opportunités, la meilleure d'abord",
                    ),
                ),
            ],
        )
    }
}

/// The engine's report (`mutualis_domain::opportunity::Report`), described for OpenAPI.
pub struct OpportunityReportSchema;

impl utoipa::PartialSchema for OpportunityReportSchema {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        opportunity_schema::report()
    }
}

impl ToSchema for OpportunityReportSchema {
    fn name() -> std::borrow::Cow<'static, str> {
        "OpportunityReport".into()
    }
}

/// One opportunity (`mutualis_domain::opportunity::Opportunity`), described for OpenAPI.
pub struct OpportunitySchema;

impl utoipa::PartialSchema for OpportunitySchema {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        opportunity_schema::opportunity()
    }
}

impl ToSchema for OpportunitySchema {
    fn name() -> std::borrow::Cow<'static, str> {
        "Opportunity".into()
    }
}
