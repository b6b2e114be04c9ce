//! One raw record (a `serde_json::Value` in the JSON shape of its version) into a domain
//! [`Contract`], by hand, field by field; or the first problem found, naming its field.

use chrono::NaiveDate;
use mutualis_domain::contract::{
    Decp2Fields, Label, Modification, Operator, Place, Subcontracting,
};
use mutualis_domain::{
    Amount, Contract, ContractKind, ContractSource, CpvCode, CpvNomenclature, Siret,
};
use serde_json::{Map, Number, Value};

use super::{MAX_DURATION_MONTHS, MAX_TEXT_CHARS, RejectReason};
use crate::decp_vocab::{
    Ccag, EnvironmentalConsideration, ExecutionMode, IdentifierScheme, Nature, OperatorGrouping,
    PlaceCodeType, PriceForm, PriceType, PriceVariation, Procedure, SocialConsideration, Technique,
    Vocabulary,
};

/// The DECP version whose rules apply to a record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Version {
    V1,
    V2,
}

impl Version {
    fn name(self) -> &'static str {
        match self {
            Version::V1 => "DECP 1.x",
            Version::V2 => "DECP 2.0",
        }
    }

    /// The smallest amount the format accepts, in cents: 2.0 asks for at least 1 €, 1.x only
    /// for a number (a negative amount is refused in both).
    fn min_amount_cents(self) -> i64 {
        match self {
            Version::V1 => 0,
            Version::V2 => 100,
        }
    }

    /// The smallest duration in months: 1 in 2.0, none in 1.x.
    fn min_months(self) -> u32 {
        match self {
            Version::V1 => 0,
            Version::V2 => 1,
        }
    }
}

/// Why a record is rejected, before it is given its position.
pub(super) struct Problem {
    pub kind: Option<ContractKind>,
    pub id: Option<String>,
    pub field: String,
    pub value: String,
    pub reason: RejectReason,
    pub detail: String,
}

/// A problem in a field.
struct Issue {
    field: String,
    value: String,
    reason: RejectReason,
    detail: String,
}

type Res<T> = Result<T, Issue>;

/// Converts one record. `kind` is known from the container for DECP 2.0 and XML; for DECP 1.x
/// JSON it comes from `_type` (or, when absent, from the buyer's field name).
pub(super) fn convert(
    record: &Value,
    version: Version,
    kind: Option<ContractKind>,
    cpv: &CpvNomenclature,
) -> Result<Contract, Problem> {
    let Value::Object(map) = record else {
        return Err(Problem {
            kind,
            id: None,
            field: String::new(),
            value: value_text(record),
            reason: RejectReason::InvalidStructure,
            detail: "l'enregistrement n'est pas un objet JSON".into(),
        });
    };
    let obj = Obj {
        map,
        path: String::new(),
    };
    let id = obj.text("id").ok().flatten();
    if let Some((field, chars)) = long_text(record) {
        return Err(Problem {
            kind,
            id,
            value: String::new(),
            reason: RejectReason::TextTooLong,
            detail: format!(
                "« {field} » compte {chars} caractères, au-delà de la limite de {MAX_TEXT_CHARS} caractères par texte"
            ),
            field,
        });
    }
    let problem = |kind: Option<ContractKind>, id: Option<String>, issue: Issue| Problem {
        kind,
        id,
        field: issue.field,
        value: issue.value,
        reason: issue.reason,
        detail: issue.detail,
    };
    let kind = match kind_of(&obj, kind) {
        Ok(kind) => kind,
        Err(issue) => return Err(problem(None, id, issue)),
    };
    contract(&obj, version, kind, cpv).map_err(|issue| problem(Some(kind), id, issue))
}

/// Whether a text is longer than [`MAX_TEXT_CHARS`] once trimmed: its number of characters.
/// One comparison for the texts of ordinary length.
pub(super) fn too_long(s: &str) -> Option<usize> {
    if s.len() <= MAX_TEXT_CHARS {
        return None;
    }
    let chars = s.trim().chars().count();
    (chars > MAX_TEXT_CHARS).then_some(chars)
}

/// The first text of the record (any field, read or not) longer than [`MAX_TEXT_CHARS`]: its
/// path ("objet", "titulaires[0].titulaire.denominationSociale") and length. The recursion
/// is bounded by the nesting limit of the readers ([`super::MAX_NESTING`]).
fn long_text(value: &Value) -> Option<(String, usize)> {
    match value {
        Value::String(s) => too_long(s).map(|chars| (String::new(), chars)),
        Value::Array(list) => list.iter().enumerate().find_map(|(i, v)| {
            long_text(v).map(|(path, chars)| (join(&format!("[{i}]"), &path), chars))
        }),
        Value::Object(map) => map
            .iter()
            .find_map(|(key, v)| long_text(v).map(|(path, chars)| (join(key, &path), chars))),
        _ => None,
    }
}

/// `head` and `tail` joined as a field's path (`a` and `b.c` → `a.b.c`, `a` and `[0]` → `a[0]`).
pub(super) fn join(head: &str, tail: &str) -> String {
    if tail.is_empty() || tail.starts_with('[') {
        format!("{head}{tail}")
    } else {
        format!("{head}.{tail}")
    }
}

/// Cuts the texts longer than [`MAX_TEXT_CHARS`] to that many characters followed by "…", so
/// that a rejected record kept for a rejects file stays small.
pub(super) fn shorten_long_texts(value: &mut Value) {
    match value {
        Value::String(s) if too_long(s).is_some() => {
            let mut cut: String = s.trim().chars().take(MAX_TEXT_CHARS).collect();
            cut.push('…');
            *s = cut;
        }
        Value::Array(list) => list.iter_mut().for_each(shorten_long_texts),
        Value::Object(map) => map.values_mut().for_each(shorten_long_texts),
        _ => {}
    }
}

fn kind_of(obj: &Obj<'_>, known: Option<ContractKind>) -> Res<ContractKind> {
    if let Some(kind) = known {
        return Ok(kind);
    }
    match obj.text("_type")?.as_deref() {
        Some("Marché") => Ok(ContractKind::Marche),
        Some("Contrat de concession") => Ok(ContractKind::Concession),
        Some(other) => Err(obj.issue_text(
            "_type",
            other,
            RejectReason::UnknownLabel,
            format!("type « {other} » inconnu : attendu « Marché » ou « Contrat de concession »"),
        )),
        // The official 1.5 examples omit `_type`: a concession names an autorité concédante.
        None => Ok(
            if obj.get("acheteur").is_none()
                && ["autoriteConcedante", "concessionnaires", "valeurGlobale"]
                    .iter()
                    .any(|k| obj.get(k).is_some())
            {
                ContractKind::Concession
            } else {
                ContractKind::Marche
            },
        ),
    }
}

fn contract(
    obj: &Obj<'_>,
    version: Version,
    kind: ContractKind,
    cpv: &CpvNomenclature,
) -> Res<Contract> {
    let marche = kind == ContractKind::Marche;
    let id = obj.required_text("id")?;
    let (buyer, buyer_name) = buyer(
        obj,
        if marche {
            "acheteur"
        } else {
            "autoriteConcedante"
        },
    )?;
    let nature = obj.label::<Nature>("nature", version, kind)?;
    let object = obj.required_text("objet")?;
    let cpv = obj.cpv("codeCPV", cpv)?;
    let procedure = obj.label::<Procedure>("procedure", version, kind)?;
    let place = place(obj)?;
    let duration_months = obj.months("dureeMois", version.min_months())?;
    let notified_on = obj.date(if marche {
        "dateNotification"
    } else {
        "dateSignature"
    })?;
    let starts_on = if marche {
        None
    } else {
        obj.date("dateDebutExecution")?
    };
    let published_on = obj.date("datePublicationDonnees")?;
    let amount = obj.amount(
        if marche { "montant" } else { "valeurGlobale" },
        version.min_amount_cents(),
    )?;
    let price_form = if marche {
        obj.label::<PriceForm>("formePrix", version, kind)?
    } else {
        no_label()
    };
    let (operators_key, operator_item) = operators_key(kind);
    let operators = obj.operators(operators_key, operator_item, version)?;
    let (decp2, subcontracting) = match version {
        Version::V1 => (None, Vec::new()),
        Version::V2 => {
            let fields = decp2_fields(obj, kind)?;
            let acts = if marche {
                subcontracting(obj)?
            } else {
                Vec::new()
            };
            (Some(fields), acts)
        }
    };
    let modifications = modifications(obj, version, kind)?;
    Ok(Contract {
        id,
        buyer,
        buyer_name,
        kind,
        source: match version {
            Version::V1 => ContractSource::Decp1,
            Version::V2 => ContractSource::Decp2,
        },
        nature,
        object,
        cpv,
        procedure,
        place,
        duration_months,
        notified_on,
        starts_on,
        published_on,
        amount,
        price_form,
        operators,
        modifications,
        subcontracting,
        decp2,
    })
}

fn operators_key(kind: ContractKind) -> (&'static str, &'static str) {
    match kind {
        ContractKind::Marche => ("titulaires", "titulaire"),
        ContractKind::Concession => ("concessionnaires", "concessionnaire"),
    }
}

fn no_label() -> Label {
    Label {
        value: None,
        original: None,
    }
}

fn buyer(obj: &Obj<'_>, key: &str) -> Res<(Siret, Option<String>)> {
    let Some(buyer) = obj.object(key)? else {
        return Err(obj.missing(&format!("{key}.id")));
    };
    let Some(id) = buyer.text("id")? else {
        return Err(buyer.missing("id"));
    };
    let siret = Siret::parse(&id)
        .map_err(|e| buyer.issue_text("id", &id, RejectReason::InvalidSiret, e.to_string()))?;
    Ok((siret, buyer.text("nom")?))
}

fn place(obj: &Obj<'_>) -> Res<Option<Place>> {
    let Some(place) = obj.object("lieuExecution")? else {
        return Ok(None);
    };
    let Some(code) = place.text("code")? else {
        return Ok(None);
    };
    let Some(code_type) = place.text("typeCode")? else {
        return Err(place.missing("typeCode"));
    };
    if PlaceCodeType::from_code(&code_type).is_none() {
        return Err(place.unknown("typeCode", &code_type));
    }
    Ok(Some(Place { code, code_type }))
}

fn decp2_fields(obj: &Obj<'_>, kind: ContractKind) -> Res<Decp2Fields> {
    let mut d = Decp2Fields::default();
    if kind == ContractKind::Marche {
        d.techniques = obj.enum_list("techniques", "technique", Technique::CODES)?;
        d.execution_modes = obj.enum_list(
            "modalitesExecution",
            "modaliteExecution",
            ExecutionMode::CODES,
        )?;
        d.framework_id = obj.text("idAccordCadre")?;
        d.innovative = obj.boolean("marcheInnovant")?;
        d.ccag = obj.one_of("ccag", Ccag::CODES)?;
        d.offers_received = obj.count("offresRecues", 1)?;
        d.advance_paid = obj.boolean("attributionAvance")?;
        d.advance_rate_permille = obj.permille("tauxAvance")?;
        d.operator_grouping = obj.one_of("typeGroupementOperateurs", OperatorGrouping::CODES)?;
        d.subcontracting_declared = obj.boolean("sousTraitanceDeclaree")?;
        d.price_types = obj.enum_list("typesPrix", "typePrix", PriceType::CODES)?;
    } else {
        d.public_subsidy = obj.amount("montantSubventionPublique", 0)?;
    }
    d.social_considerations = obj.enum_list(
        "considerationsSociales",
        "considerationSociale",
        SocialConsideration::codes_of(kind),
    )?;
    d.environmental_considerations = obj.enum_list(
        "considerationsEnvironnementales",
        "considerationEnvironnementale",
        EnvironmentalConsideration::CODES,
    )?;
    Ok(d)
}

fn subcontracting(obj: &Obj<'_>) -> Res<Vec<Subcontracting>> {
    let items = obj.items("actesSousTraitance", "acteSousTraitance")?;
    let mut acts = Vec::with_capacity(items.len());
    for (i, item) in items.into_iter().enumerate() {
        let act = obj.element("actesSousTraitance", i, item)?;
        let id = act.sequence_number("id", i)?;
        let subcontractor = match act.get("sousTraitant") {
            Some(v) => operator(v, &act.field("sousTraitant"), Version::V2)?,
            None => return Err(act.missing("sousTraitant.id")),
        };
        acts.push(Subcontracting {
            id,
            subcontractor,
            duration_months: act.months("dureeMois", Version::V2.min_months())?,
            signed_on: act.date("dateNotification")?,
            published_on: act.date("datePublicationDonnees")?,
            amount: act.amount("montant", Version::V2.min_amount_cents())?,
            price_variation: act.one_of("variationPrix", PriceVariation::CODES)?,
        });
    }
    Ok(acts)
}

fn modifications(obj: &Obj<'_>, version: Version, kind: ContractKind) -> Res<Vec<Modification>> {
    let items = obj.items("modifications", "modification")?;
    let (signed, other_signed, amount, other_amount) = match kind {
        ContractKind::Marche => (
            "dateNotificationModification",
            "dateSignatureModification",
            "montant",
            "valeurGlobale",
        ),
        ContractKind::Concession => (
            "dateSignatureModification",
            "dateNotificationModification",
            "valeurGlobale",
            "montant",
        ),
    };
    let (operators_key, operator_item) = operators_key(kind);
    let mut mods = Vec::with_capacity(items.len());
    for (i, item) in items.into_iter().enumerate() {
        let m = obj.element("modifications", i, item)?;
        let pick = |a: &'static str, b: &'static str| if m.get(a).is_some() { a } else { b };
        mods.push(Modification {
            // 1.x modifications have no number: their position stands for it.
            id: m.sequence_number("id", i)?,
            object: m.text("objetModification")?,
            signed_on: m.date(pick(signed, other_signed))?,
            published_on: m.date("datePublicationDonneesModification")?,
            new_duration_months: m.months("dureeMois", version.min_months())?,
            new_amount: m.amount(pick(amount, other_amount), version.min_amount_cents())?,
            new_operators: m.operators(operators_key, operator_item, version)?,
        });
    }
    Ok(mods)
}

/// One operator: `{id, typeIdentifiant, denominationSociale?}`. `path` names it in errors.
fn operator(value: &Value, path: &str, version: Version) -> Res<Operator> {
    let Value::Object(map) = value else {
        return Err(Issue {
            field: path.to_owned(),
            value: value_text(value),
            reason: RejectReason::InvalidOperator,
            detail: format!(
                "« {} » n'est pas un opérateur : attendu un objet avec « id » et « typeIdentifiant »",
                value_text(value)
            ),
        });
    };
    let o = Obj {
        map,
        path: format!("{path}."),
    };
    let Some(id) = o.text("id")? else {
        return Err(o.missing("id"));
    };
    let Some(id_type) = o.text("typeIdentifiant")? else {
        return Err(o.missing("typeIdentifiant"));
    };
    if !IdentifierScheme::is_published_scheme(version == Version::V1, &id_type) {
        return Err(o.unknown("typeIdentifiant", &id_type));
    }
    Ok(Operator {
        id,
        id_type,
        name: o.text("denominationSociale")?,
    })
}

// ---------------------------------------------------------------------------------------------
// Reading fields of an object.

/// An object of the record, with the path that names its fields in errors ("" for the record,
/// "modifications[0]." for a modification).
struct Obj<'v> {
    map: &'v Map<String, Value>,
    path: String,
}

impl<'v> Obj<'v> {
    fn field(&self, key: &str) -> String {
        format!("{}{key}", self.path)
    }

    /// The value of `key`; absent, `null` and blank strings count as missing.
    fn get(&self, key: &str) -> Option<&'v Value> {
        match self.map.get(key)? {
            Value::Null => None,
            Value::String(s) if s.trim().is_empty() => None,
            v => Some(v),
        }
    }

    fn issue(&self, key: &str, value: &Value, reason: RejectReason, detail: String) -> Issue {
        Issue {
            field: self.field(key),
            value: value_text(value),
            reason,
            detail,
        }
    }

    fn issue_text(&self, key: &str, value: &str, reason: RejectReason, detail: String) -> Issue {
        Issue {
            field: self.field(key),
            value: value.to_owned(),
            reason,
            detail,
        }
    }

    fn missing(&self, key: &str) -> Issue {
        let field = self.field(key);
        Issue {
            detail: format!("champ « {field} » absent"),
            field,
            value: String::new(),
            reason: RejectReason::MissingField,
        }
    }

    fn unknown(&self, key: &str, value: &str) -> Issue {
        let field = self.field(key);
        Issue {
            detail: format!("« {value} » n'est pas une valeur admise pour « {field} »"),
            field,
            value: value.to_owned(),
            reason: RejectReason::UnknownLabel,
        }
    }

    /// A text (a JSON string, trimmed, or a number's decimal text).
    fn text(&self, key: &str) -> Res<Option<String>> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.trim().to_owned())),
            Some(Value::Number(n)) => Ok(Some(number_text(n))),
            Some(v) => Err(self.issue(
                key,
                v,
                RejectReason::InvalidStructure,
                format!("« {} » : un texte est attendu", self.field(key)),
            )),
        }
    }

    fn required_text(&self, key: &str) -> Res<String> {
        self.text(key)?.ok_or_else(|| self.missing(key))
    }

    fn object(&self, key: &str) -> Res<Option<Obj<'v>>> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::Object(map)) => Ok(Some(Obj {
                map,
                path: format!("{}.", self.field(key)),
            })),
            Some(v) => Err(self.issue(
                key,
                v,
                RejectReason::InvalidStructure,
                format!("« {} » : un objet est attendu", self.field(key)),
            )),
        }
    }

    /// The element `i` of the list `key`, which must be an object.
    fn element(&self, key: &str, i: usize, value: &'v Value) -> Res<Obj<'v>> {
        let field = format!("{}[{i}]", self.field(key));
        match value {
            Value::Object(map) => Ok(Obj {
                map,
                path: format!("{field}."),
            }),
            v => Err(Issue {
                detail: format!("« {field} » : un objet est attendu"),
                field,
                value: value_text(v),
                reason: RejectReason::InvalidStructure,
            }),
        }
    }

    /// The items of a list that DECP 2.0 writes `[{"modification": {…}}, …]` and 1.x
    /// `[{…}, …]`: both are read, nested lists are flattened (`[[{…}]]`, seen in real files),
    /// and an XML-like `{"modification": [{…}]}` is read too.
    fn items(&self, key: &str, wrapper: &str) -> Res<Vec<&'v Value>> {
        let mut items = Vec::new();
        let Some(value) = self.get(key) else {
            return Ok(items);
        };
        match value {
            Value::Array(list) => flatten(list, &mut items),
            Value::Object(map) => match map.get(wrapper) {
                Some(Value::Array(list)) => flatten(list, &mut items),
                Some(Value::Null) => {}
                Some(inner) => items.push(inner),
                None => items.push(value),
            },
            v => {
                return Err(self.issue(
                    key,
                    v,
                    RejectReason::InvalidStructure,
                    format!("« {} » : une liste est attendue", self.field(key)),
                ));
            }
        }
        for item in &mut items {
            let v: &'v Value = item;
            if let Value::Object(map) = v
                && let Some(inner) = map.get(wrapper)
            {
                *item = inner;
            }
        }
        Ok(items)
    }

    fn operators(&self, key: &str, wrapper: &str, version: Version) -> Res<Vec<Operator>> {
        let items = self.items(key, wrapper)?;
        let mut ops = Vec::with_capacity(items.len());
        for (i, item) in items.into_iter().enumerate() {
            ops.push(operator(
                item,
                &format!("{}[{i}]", self.field(key)),
                version,
            )?);
        }
        Ok(ops)
    }

    /// A label of the list `V` as `version` publishes it, for a contract of `kind`.
    fn label<V: Vocabulary>(&self, key: &str, version: Version, kind: ContractKind) -> Res<Label> {
        let Some(value) = self.text(key)? else {
            return Ok(no_label());
        };
        let label = match version {
            Version::V1 => V::read_decp1(kind, &value),
            Version::V2 => V::read_decp2(kind, &value),
        };
        label.ok_or_else(|| {
            let field = self.field(key);
            Issue {
                detail: format!(
                    "« {value} » n'est pas une valeur de « {field} » en {}",
                    version.name()
                ),
                field,
                value,
                reason: RejectReason::UnknownLabel,
            }
        })
    }

    fn one_of(&self, key: &str, allowed: &[&'static str]) -> Res<Option<String>> {
        let Some(value) = self.text(key)? else {
            return Ok(None);
        };
        if allowed.contains(&value.as_str()) {
            Ok(Some(value))
        } else {
            Err(self.unknown(key, &value))
        }
    }

    /// A 2.0 list of values, `{"technique": ["…", …]}`; also read when written as a bare
    /// list or a single value.
    fn enum_list(&self, key: &str, item: &str, allowed: &[&'static str]) -> Res<Vec<String>> {
        let Some(value) = self.get(key) else {
            return Ok(Vec::new());
        };
        let inner = match value {
            Value::Object(map) => match map.get(item) {
                None | Some(Value::Null) => return Ok(Vec::new()),
                Some(inner) => inner,
            },
            other => other,
        };
        let values = match inner {
            Value::Array(list) => list.iter().collect(),
            single => vec![single],
        };
        values
            .into_iter()
            .map(|v| {
                let text = value_text(v);
                match v {
                    Value::String(s) => allowed
                        .iter()
                        .find(|a| **a == s.trim())
                        .map(|a| (*a).to_owned()),
                    _ => None,
                }
                .ok_or_else(|| self.unknown(key, &text))
            })
            .collect()
    }

    fn cpv(&self, key: &str, nomenclature: &CpvNomenclature) -> Res<Option<CpvCode>> {
        let Some(code) = self.text(key)? else {
            return Ok(None);
        };
        nomenclature
            .parse(&code)
            .map(Some)
            .map_err(|e| self.issue_text(key, &code, RejectReason::InvalidCpv, e.to_string()))
    }

    fn date(&self, key: &str) -> Res<Option<NaiveDate>> {
        let Some(value) = self.get(key) else {
            return Ok(None);
        };
        let parsed = match value {
            Value::String(s) => parse_date(s),
            v => Err(format!(
                "date « {} » invalide : attendu un texte AAAA-MM-JJ",
                value_text(v)
            )),
        };
        parsed
            .map(Some)
            .map_err(|detail| self.issue(key, value, RejectReason::InvalidDate, detail))
    }

    fn amount(&self, key: &str, min_cents: i64) -> Res<Option<Amount>> {
        let Some(value) = self.get(key) else {
            return Ok(None);
        };
        let text = match value {
            Value::Number(n) => number_text(n),
            Value::String(s) => s.trim().to_owned(),
            v => {
                return Err(self.issue(
                    key,
                    v,
                    RejectReason::InvalidAmount,
                    format!(
                        "montant « {} » invalide : attendu un nombre d'euros",
                        value_text(v)
                    ),
                ));
            }
        };
        let amount = Amount::parse_euros(&text)
            .map_err(|e| self.issue_text(key, &text, RejectReason::InvalidAmount, e.to_string()))?;
        if amount.cents() < min_cents {
            let min = if min_cents == 0 {
                "un montant positif ou nul".to_owned()
            } else {
                format!("au moins {} €", min_cents / 100)
            };
            return Err(self.issue_text(
                key,
                &text,
                RejectReason::InvalidAmount,
                format!("montant « {text} » invalide : attendu {min}"),
            ));
        }
        Ok(Some(amount))
    }

    fn months(&self, key: &str, min: u32) -> Res<Option<u32>> {
        let Some(value) = self.get(key) else {
            return Ok(None);
        };
        match whole_number(value).and_then(|n| u32::try_from(n).ok()) {
            Some(n) if (min..=MAX_DURATION_MONTHS).contains(&n) => Ok(Some(n)),
            _ => Err(self.issue(
                key,
                value,
                RejectReason::InvalidDuration,
                format!(
                    "durée « {} » invalide : attendu un nombre entier de mois{}, au plus {MAX_DURATION_MONTHS} ({} ans)",
                    value_text(value),
                    if min > 0 {
                        format!(", au moins {min}")
                    } else {
                        String::new()
                    },
                    MAX_DURATION_MONTHS / 12
                ),
            )),
        }
    }

    fn count(&self, key: &str, min: u32) -> Res<Option<u32>> {
        let Some(value) = self.get(key) else {
            return Ok(None);
        };
        match whole_number(value).and_then(|n| u32::try_from(n).ok()) {
            Some(n) if n >= min => Ok(Some(n)),
            _ => Err(self.issue(
                key,
                value,
                RejectReason::InvalidNumber,
                format!(
                    "« {} » = « {} » invalide : attendu un nombre entier d'au moins {min}",
                    self.field(key),
                    value_text(value)
                ),
            )),
        }
    }

    /// The number of a modification or subcontracting act, as text; its position (from 1)
    /// when it has none.
    fn sequence_number(&self, key: &str, position: usize) -> Res<String> {
        Ok(match self.count(key, 1)? {
            Some(n) => n.to_string(),
            None => (position + 1).to_string(),
        })
    }

    fn boolean(&self, key: &str) -> Res<Option<bool>> {
        let Some(value) = self.get(key) else {
            return Ok(None);
        };
        let b = match value {
            Value::Bool(b) => Some(*b),
            Value::Number(n) => match n.as_u64() {
                Some(0) => Some(false),
                Some(1) => Some(true),
                _ => None,
            },
            Value::String(s) => boolean_text(s),
            _ => None,
        };
        b.map(Some).ok_or_else(|| {
            self.issue(
                key,
                value,
                RejectReason::InvalidBoolean,
                format!(
                    "« {} » = « {} » invalide : attendu true/false (ou oui/non)",
                    self.field(key),
                    value_text(value)
                ),
            )
        })
    }

    /// A rate between 0 and 1 (`tauxAvance`: 0.1 is 10 %) in per mille, exactly.
    fn permille(&self, key: &str) -> Res<Option<u32>> {
        let Some(value) = self.get(key) else {
            return Ok(None);
        };
        let text = match value {
            Value::Number(n) => Some(number_text(n)),
            Value::String(s) => Some(s.trim().to_owned()),
            _ => None,
        };
        text.as_deref()
            .and_then(permille_of)
            .map(Some)
            .ok_or_else(|| {
                self.issue(
                    key,
                    value,
                    RejectReason::InvalidNumber,
                    format!(
                        "taux « {} » invalide : attendu un nombre entre 0 et 1 (0.1 pour 10 %) d'au plus 3 décimales",
                        value_text(value)
                    ),
                )
            })
    }
}

fn flatten<'v>(list: &'v [Value], out: &mut Vec<&'v Value>) {
    for v in list {
        match v {
            Value::Array(inner) => flatten(inner, out),
            Value::Null => {}
            v => out.push(v),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Values.

/// The decimal text of a JSON number: integers as they are, floats by their shortest
/// round-trip decimal (`127000.5`, `100000000000000000` for 1e17), never with an exponent.
pub(super) fn number_text(n: &Number) -> String {
    if let Some(u) = n.as_u64() {
        u.to_string()
    } else if let Some(i) = n.as_i64() {
        i.to_string()
    } else if let Some(f) = n.as_f64() {
        format!("{f}")
    } else {
        n.to_string()
    }
}

/// A value as text, for rejections: strings as they are, `null` as "", objects and lists as
/// compact JSON.
pub(super) fn value_text(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        Value::Number(n) => number_text(n),
        Value::Bool(b) => b.to_string(),
        other => other.to_string(),
    }
}

/// A whole non-negative number: `12`, `12.0`, `"12"`.
fn whole_number(v: &Value) -> Option<u64> {
    match v {
        Value::Number(n) => whole_of_number(n),
        Value::String(s) => whole_of_text(s),
        _ => None,
    }
}

/// A JSON number that is whole and non-negative.
pub(super) fn whole_of_number(n: &Number) -> Option<u64> {
    n.as_u64().or_else(|| {
        n.as_f64()
            .filter(|f| f.fract() == 0.0 && *f >= 0.0 && *f <= f64::from(u32::MAX))
            .map(|f| f as u64)
    })
}

/// A text that is a whole non-negative number: `"12"`, `"12.00"`.
pub(super) fn whole_of_text(s: &str) -> Option<u64> {
    let s = s.trim();
    let (whole, frac) = s.split_once('.').unwrap_or((s, ""));
    let digits = |t: &str| t.bytes().all(|b| b.is_ascii_digit());
    if whole.is_empty() || !digits(whole) || !frac.bytes().all(|b| b == b'0') {
        return None;
    }
    whole.parse().ok()
}

/// A yes/no written as text: "true"/"oui"/"1", "false"/"non"/"0", any case.
pub(super) fn boolean_text(s: &str) -> Option<bool> {
    match s.trim().to_lowercase().as_str() {
        "true" | "oui" | "1" => Some(true),
        "false" | "non" | "0" => Some(false),
        _ => None,
    }
}

/// "0.1" → 100, "0.125" → 125, "1" → 1000; `None` beyond 1 or with more than 3 significant
/// decimals.
pub(super) fn permille_of(text: &str) -> Option<u32> {
    let text = text.trim();
    let (whole, frac) = text.split_once(['.', ',']).unwrap_or((text, ""));
    let digits = |t: &str| t.bytes().all(|b| b.is_ascii_digit());
    if (whole.is_empty() && frac.is_empty()) || !digits(whole) || !digits(frac) {
        return None;
    }
    if frac.len() > 3 && frac[3..].bytes().any(|b| b != b'0') {
        return None;
    }
    let whole: u32 = if whole.is_empty() {
        0
    } else {
        whole.parse().ok()?
    };
    let mut thousandths = 0;
    for (i, b) in frac.bytes().take(3).enumerate() {
        thousandths += u32::from(b - b'0') * [100, 10, 1][i];
    }
    let permille = whole.checked_mul(1000)?.checked_add(thousandths)?;
    (permille <= 1000).then_some(permille)
}

/// The years a DECP date can plausibly fall in: contracts of the last century to the next.
const PLAUSIBLE_YEARS: std::ops::RangeInclusive<i32> = 1900..=2100;

/// Parses a DECP date: `AAAA-MM-JJ` (month and day may have one digit), optionally followed
/// by a zone (`Z`, `+01:00`, `-05:00`, `+0100`, `+01:00Z`) or a time (`T10:00:00`, with an
/// optional fraction and zone). The date part is returned as written: the zone only says
/// where that day was.
pub(super) fn parse_date(input: &str) -> Result<NaiveDate, String> {
    let t = input.trim();
    let bad = || {
        format!(
            "date « {t} » invalide : attendu AAAA-MM-JJ, éventuellement suivi d'un fuseau ou d'une heure (2019-03-15, 2019-03-15+01:00)"
        )
    };
    let b = t.as_bytes();
    if b.len() < 8 || !b[..4].iter().all(u8::is_ascii_digit) || b[4] != b'-' {
        return Err(bad());
    }
    let (month, rest) = leading_number(&t[5..], 2).ok_or_else(bad)?;
    let rest = rest.strip_prefix('-').ok_or_else(bad)?;
    let (day, rest) = leading_number(rest, 2).ok_or_else(bad)?;
    if !valid_date_suffix(rest) {
        return Err(bad());
    }
    let year: i32 = t[..4].parse().map_err(|_| bad())?;
    let date = NaiveDate::from_ymd_opt(year, month, day)
        .ok_or_else(|| format!("date « {t} » invalide : ce jour n'existe pas"))?;
    if !PLAUSIBLE_YEARS.contains(&year) {
        return Err(format!(
            "date « {t} » invalide : l'année {year:04} est invraisemblable (attendu entre {} et {})",
            PLAUSIBLE_YEARS.start(),
            PLAUSIBLE_YEARS.end()
        ));
    }
    Ok(date)
}

/// 1 to `max` leading ASCII digits as a number, and the rest.
fn leading_number(s: &str, max: usize) -> Option<(u32, &str)> {
    let n = s.bytes().take_while(u8::is_ascii_digit).count();
    if n == 0 || n > max {
        return None;
    }
    Some((s[..n].parse().ok()?, &s[n..]))
}

/// Exactly `n` digits, and the rest.
fn fixed_digits(s: &str, n: usize) -> Option<&str> {
    (s.len() >= n && s.as_bytes()[..n].iter().all(u8::is_ascii_digit)).then(|| &s[n..])
}

fn valid_date_suffix(rest: &str) -> bool {
    let rest = match rest.as_bytes().first() {
        Some(b'T' | b't' | b' ') => match skip_time(&rest[1..]) {
            Some(after) => after,
            None => return false,
        },
        _ => rest,
    };
    valid_zone(rest)
}

/// `HH:MM`, `HH:MM:SS`, `HH:MM:SS.fff`: the rest after it.
fn skip_time(s: &str) -> Option<&str> {
    let s = fixed_digits(s, 2)?;
    let s = fixed_digits(s.strip_prefix(':')?, 2)?;
    let Some(after_colon) = s.strip_prefix(':') else {
        return Some(s);
    };
    let s = fixed_digits(after_colon, 2)?;
    match s.strip_prefix('.') {
        Some(frac) => {
            let n = frac.bytes().take_while(u8::is_ascii_digit).count();
            (n > 0).then(|| &frac[n..])
        }
        None => Some(s),
    }
}

/// "", "Z", "+01:00", "-0500", "+01", "+01:00Z".
fn valid_zone(s: &str) -> bool {
    if s.is_empty() || s == "Z" || s == "z" {
        return true;
    }
    let Some(s) = s.strip_prefix(['+', '-']) else {
        return false;
    };
    let Some(s) = fixed_digits(s, 2) else {
        return false;
    };
    let s = match s.strip_prefix(':') {
        Some(m) => match fixed_digits(m, 2) {
            Some(r) => r,
            None => return false,
        },
        None => fixed_digits(s, 2).unwrap_or(s),
    };
    s.is_empty() || s == "Z"
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    #[test]
    fn dates_keep_their_date_part_whatever_the_zone_or_time() {
        for (input, expected) in [
            ("2019-03-15", "2019-03-15"),
            ("2018-12-21+01:00", "2018-12-21"),
            ("2018-12-21-05:00", "2018-12-21"),
            ("2018-12-21Z", "2018-12-21"),
            ("2018-12-21+01:00Z", "2018-12-21"),
            ("2018-12-21+0100", "2018-12-21"),
            ("2019-03-01T00:00:00+01:00", "2019-03-01"),
            ("2019-03-01T23:59:59.123Z", "2019-03-01"),
            ("2019-03-01 10:30", "2019-03-01"),
            (" 2019-1-1 ", "2019-01-01"),
        ] {
            assert_eq!(parse_date(input), Ok(date(expected)), "{input}");
        }
    }

    #[test]
    fn impossible_and_malformed_dates_are_refused() {
        for input in [
            "0218-10-29",
            "2019-02-30",
            "2019-13-01",
            "15/03/2019",
            "2019-03-15+1",
            "2019-03-15T10",
            "2019-03-15 et demi",
            "20190315",
            "",
        ] {
            assert!(parse_date(input).is_err(), "{input}");
        }
        let err = parse_date("0218-10-29").unwrap_err();
        assert!(
            err.contains("0218") && err.contains("invraisemblable"),
            "{err}"
        );
    }

    #[test]
    fn advance_rates_are_exact_per_mille() {
        assert_eq!(permille_of("0"), Some(0));
        assert_eq!(permille_of("0.1"), Some(100));
        assert_eq!(permille_of("0,05"), Some(50));
        assert_eq!(permille_of("0.125"), Some(125));
        assert_eq!(permille_of("0.1000"), Some(100));
        assert_eq!(permille_of("1"), Some(1000));
        assert_eq!(permille_of("1.5"), None);
        assert_eq!(permille_of("0.1234"), None);
        assert_eq!(permille_of("-0.1"), None);
        assert_eq!(permille_of("dix"), None);
    }

    #[test]
    fn whole_numbers_come_from_numbers_and_strings() {
        assert_eq!(whole_number(&serde_json::json!(12)), Some(12));
        assert_eq!(whole_number(&serde_json::json!(12.0)), Some(12));
        assert_eq!(whole_number(&serde_json::json!("12")), Some(12));
        assert_eq!(whole_number(&serde_json::json!("12.00")), Some(12));
        assert_eq!(whole_number(&serde_json::json!(12.5)), None);
        assert_eq!(whole_number(&serde_json::json!(-1)), None);
        assert_eq!(whole_number(&serde_json::json!("NC")), None);
        assert_eq!(whole_number(&serde_json::json!(true)), None);
    }

    #[test]
    fn numbers_keep_their_decimal_text() {
        let n = |v: Value| match v {
            Value::Number(n) => number_text(&n),
            _ => unreachable!(),
        };
        assert_eq!(n(serde_json::json!(127000)), "127000");
        assert_eq!(n(serde_json::json!(77899.0)), "77899");
        assert_eq!(n(serde_json::json!(123456.89)), "123456.89");
        assert_eq!(n(serde_json::json!(1.0e17)), "100000000000000000");
        assert_eq!(n(serde_json::json!(-12)), "-12");
    }
}
