//! One raw record (a `serde_json::Value` in the JSON shape of its version) into a domain
//! [`Contract`], by hand, field by field; or the first problem found, naming its field.
//! Each field is read by its type through `convert/fields.rs`, its value parsed by
//! `convert/values.rs`.

use mutualis_domain::contract::{
    Decp2Fields, ExecutionData, Label, Modification, Operator, Place, Subcontracting,
    SubcontractingModification, Tariff,
};
use mutualis_domain::{
    Contract, ContractKind, ContractSource, CpvNomenclature, Repair, RepairKind, Siret,
};
use serde_json::Value;

use super::{MAX_TEXT_CHARS, RejectReason};
use crate::decp_vocab::{
    Ccag, EnvironmentalConsideration, ExecutionMode, IdentifierScheme, Nature, OperatorGrouping,
    PlaceCodeType, PriceForm, PriceType, PriceVariation, Procedure, SocialConsideration, Technique,
    Vocabulary,
};

mod fields;
mod repairs;
mod values;

use fields::Obj;
pub(super) use repairs::{CpvRead, is_test_object, read_cpv};
pub(super) use values::{
    boolean_text, number_text, parse_date, permille_of, value_text, whole_of_number, whole_of_text,
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
    let mut repairs = Vec::new();
    let id = obj.required_text("id")?;
    let (buyer, buyer_name) = buyer(
        obj,
        if marche {
            "acheteur"
        } else {
            "autoriteConcedante"
        },
        &mut repairs,
    )?;
    let nature = obj.label_repairing::<Nature>(
        "nature",
        version,
        kind,
        Nature::DECP1_VARIANTS,
        RepairKind::LegacyNature,
        &mut repairs,
    )?;
    let object = obj.required_text("objet")?;
    if is_test_object(&object) {
        return Err(obj.issue_text(
            "objet",
            &object,
            RejectReason::TestRecord,
            format!("objet « {object} » : un enregistrement de test, pas un contrat"),
        ));
    }
    let cpv = obj.cpv("codeCPV", cpv, &mut repairs)?;
    let procedure = obj.label_repairing::<Procedure>(
        "procedure",
        version,
        kind,
        Procedure::DECP1_VARIANTS,
        RepairKind::LegacyProcedure,
        &mut repairs,
    )?;
    let place = place(obj, &mut repairs)?;
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
    let operators = obj.operators(operators_key, operator_item, version, &mut repairs)?;
    let (decp2, subcontracting) = match version {
        Version::V1 => (None, Vec::new()),
        Version::V2 => {
            let fields = decp2_fields(obj, kind, &mut repairs)?;
            let acts = if marche {
                subcontracting(obj, &mut repairs)?
            } else {
                Vec::new()
            };
            (Some(fields), acts)
        }
    };
    let modifications = modifications(obj, version, kind, &mut repairs)?;
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
        repairs,
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

/// The buyer's SIRET: one that passes at least one of its checks is kept, the failed check
/// noted ([`Siret::parse_noting`]); one that fails every check rejects the record.
fn buyer(obj: &Obj<'_>, key: &str, repairs: &mut Vec<Repair>) -> Res<(Siret, Option<String>)> {
    let Some(buyer) = obj.object(key)? else {
        return Err(obj.missing(&format!("{key}.id")));
    };
    let Some(id) = buyer.text("id")? else {
        return Err(buyer.missing("id"));
    };
    let (siret, failed) = Siret::parse_noting(&id)
        .map_err(|e| buyer.issue_text("id", &id, RejectReason::InvalidSiret, e.to_string()))?;
    if let Some(failed) = failed {
        repairs.push(Repair {
            kind: RepairKind::BuyerSiretKey,
            field: buyer.field("id"),
            note: format!("{failed} ; l'autre clé est juste : SIRET gardé tel que publié"),
            kept: Some(siret.as_str().to_owned()),
            published: id,
        });
    }
    Ok((siret, buyer.text("nom")?))
}

/// The place of execution. Never a reason to reject: a type written otherwise, or missing
/// where the code has one reading, is repaired; a place that cannot be read is dropped; both
/// noted.
fn place(obj: &Obj<'_>, repairs: &mut Vec<Repair>) -> Res<Option<Place>> {
    let field = obj.field("lieuExecution");
    let place = match obj.object("lieuExecution") {
        Ok(Some(place)) => place,
        Ok(None) => return Ok(None),
        Err(issue) => {
            return Ok(drop_place(
                repairs,
                field,
                issue.value,
                "un objet avec « code » et « typeCode » est attendu",
            ));
        }
    };
    let (code, code_type) = match (place.text("code"), place.text("typeCode")) {
        (Ok(Some(code)), Ok(code_type)) => (code, code_type),
        (Ok(None), _) => return Ok(None),
        (Err(issue), _) | (_, Err(issue)) => {
            return Ok(drop_place(
                repairs,
                field,
                issue.value,
                "code ou type de code illisible",
            ));
        }
    };
    if let Some(t) = &code_type
        && PlaceCodeType::from_code(t).is_some()
    {
        return Ok(Some(Place {
            code,
            code_type: t.clone(),
        }));
    }
    let published_type = code_type.as_deref().unwrap_or("");
    let Some(meant) = repairs::place_type_meant(&code, code_type.as_deref()) else {
        let (published, why) = match &code_type {
            None => (
                code,
                "type de code absent, et le code seul ne dit pas s'il est un code postal, de \
                 commune, de département ou de région"
                    .to_owned(),
            ),
            Some(t) => (
                format!("{code} ({t})"),
                format!("type de code « {t} » hors de la liste"),
            ),
        };
        return Ok(drop_place(repairs, field, published, &why));
    };
    repairs.push(Repair {
        kind: RepairKind::PlaceTypeInferred,
        field: place.field("typeCode"),
        note: format!(
            "lieu d'exécution « {code} » : type de code « {published_type} » hors de la liste, lu « {meant} »"
        ),
        published: published_type.to_owned(),
        kept: Some(meant.to_owned()),
    });
    Ok(Some(Place {
        code,
        code_type: meant.to_owned(),
    }))
}

/// Notes a place dropped: the contract is kept without it.
fn drop_place(
    repairs: &mut Vec<Repair>,
    field: String,
    published: String,
    why: &str,
) -> Option<Place> {
    repairs.push(Repair {
        kind: RepairKind::PlaceDropped,
        field,
        note: format!("lieu d'exécution « {published} » : {why} ; le contrat est gardé sans lieu"),
        published,
        kept: None,
    });
    None
}

fn decp2_fields(obj: &Obj<'_>, kind: ContractKind, repairs: &mut Vec<Repair>) -> Res<Decp2Fields> {
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
        d.ccag = obj.one_of("ccag", Ccag::CODES, repairs)?;
        d.offers_received = obj.count("offresRecues", 1)?;
        d.advance_paid = obj.boolean("attributionAvance")?;
        d.advance_rate_permille = obj.permille("tauxAvance")?;
        d.operator_grouping =
            obj.one_of("typeGroupementOperateurs", OperatorGrouping::CODES, repairs)?;
        d.subcontracting_declared = obj.boolean("sousTraitanceDeclaree")?;
        d.price_types = obj.enum_list("typesPrix", "typePrix", PriceType::CODES)?;
        d.origin_eu = obj.share("origineUE")?;
        d.origin_france = obj.share("origineFrance")?;
        d.subcontracting_modifications = subcontracting_modifications(obj)?;
    } else {
        d.public_subsidy = obj.amount("montantSubventionPublique", 0)?;
        d.execution_data = execution_data(obj)?;
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

fn subcontracting(obj: &Obj<'_>, repairs: &mut Vec<Repair>) -> Res<Vec<Subcontracting>> {
    let items = obj.items("actesSousTraitance", "acteSousTraitance")?;
    let mut acts = Vec::with_capacity(items.len());
    for (i, item) in items.into_iter().enumerate() {
        let act = obj.element("actesSousTraitance", i, item)?;
        let id = act.sequence_number("id", i)?;
        let subcontractor = match act.get("sousTraitant") {
            Some(v) => operator(v, &act.field("sousTraitant"), Version::V2, repairs)?,
            None => return Err(act.missing("sousTraitant.id")),
        };
        acts.push(Subcontracting {
            id,
            subcontractor,
            duration_months: act.months("dureeMois", Version::V2.min_months())?,
            signed_on: act.date("dateNotification")?,
            published_on: act.date("datePublicationDonnees")?,
            amount: act.amount("montant", Version::V2.min_amount_cents())?,
            price_variation: act.one_of("variationPrix", PriceVariation::CODES, repairs)?,
        });
    }
    Ok(acts)
}

/// `modificationsActesSousTraitance`: each names the act it modifies by its number.
fn subcontracting_modifications(obj: &Obj<'_>) -> Res<Vec<SubcontractingModification>> {
    let key = "modificationsActesSousTraitance";
    let items = obj.items(key, "modificationActeSousTraitance")?;
    let mut mods = Vec::with_capacity(items.len());
    for (i, item) in items.into_iter().enumerate() {
        let m = obj.element(key, i, item)?;
        let Some(act_id) = m.count("id", 1)? else {
            return Err(m.missing("id"));
        };
        mods.push(SubcontractingModification {
            act_id: act_id.to_string(),
            new_duration_months: m.months("dureeMois", Version::V2.min_months())?,
            new_amount: m.amount("montant", Version::V2.min_amount_cents())?,
            signed_on: m.date("dateNotificationModificationSousTraitance")?,
            published_on: m.date("datePublicationDonnees")?,
        });
    }
    Ok(mods)
}

/// A concession's `donneesExecution`: `[{"donneesAnnuelles": {…, "tarifs": [{"tarif": {…}}]}}]`.
fn execution_data(obj: &Obj<'_>) -> Res<Vec<ExecutionData>> {
    let key = "donneesExecution";
    let items = obj.items(key, "donneesAnnuelles")?;
    let mut years = Vec::with_capacity(items.len());
    for (i, item) in items.into_iter().enumerate() {
        let year = obj.element(key, i, item)?;
        let tariff_items = year.object_items("tarifs", "tarif")?;
        let mut tariffs = Vec::with_capacity(tariff_items.len());
        for (j, item) in tariff_items.into_iter().enumerate() {
            let t = year.element("tarifs", j, item)?;
            tariffs.push(Tariff {
                label: t.text("intituleTarif")?,
                price: t.decimal("tarif")?,
            });
        }
        years.push(ExecutionData {
            published_on: year.date("datePublicationDonneesExecution")?,
            investment_spending: year.amount("depensesInvestissement", 0)?,
            tariffs,
        });
    }
    Ok(years)
}

fn modifications(
    obj: &Obj<'_>,
    version: Version,
    kind: ContractKind,
    repairs: &mut Vec<Repair>,
) -> Res<Vec<Modification>> {
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
            new_operators: m.operators(operators_key, operator_item, version, repairs)?,
        });
    }
    Ok(mods)
}

/// One operator: `{id, typeIdentifiant, denominationSociale?}`. `path` names it in errors.
fn operator(
    value: &Value,
    path: &str,
    version: Version,
    repairs: &mut Vec<Repair>,
) -> Res<Operator> {
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
    let decp1 = version == Version::V1;
    let id_type = if IdentifierScheme::is_published_scheme(decp1, &id_type) {
        id_type
    } else {
        let Some(meant) = repairs::scheme_meant(&id_type, decp1) else {
            return Err(o.unknown("typeIdentifiant", &id_type));
        };
        repairs.push(Repair {
            kind: RepairKind::IdentifierScheme,
            field: o.field("typeIdentifiant"),
            note: format!(
                "type d'identifiant « {id_type} » écrit autrement que la liste de {} : lu « {meant} »",
                version.name()
            ),
            published: id_type,
            kept: Some(meant.to_owned()),
        });
        meant.to_owned()
    };
    Ok(Operator {
        id,
        id_type,
        name: o.text("denominationSociale")?,
    })
}
