//! DECP 2.0 export: the JSON of `schema_decp_v2.0.3.json`
//! (`{"marches":{"marche":[…],"contrat-concession":[…]}}`) and the XML of
//! `schema_decp_v2.0.2.xsd` (`<marches><marche>…</marche><contrat-concession>…</marches>`).
//!
//! The caller chooses what to publish (threshold, buyer, dates); this module writes complete
//! contracts and **skips** the others, listing each skipped contract with the DECP fields it
//! lacks in [`WriteStats::skipped`]: a contract imported from DECP 1.x has no `techniques`, no
//! `ccag`, no `offresRecues`…, and nothing is ever invented to fill them. The same check is
//! available beforehand as [`missing_for_decp2`], so a command can print what is missing.
//!
//! Amounts are integer cents written as decimal numbers with at most two decimals (575000,
//! 123456.89, 10.3): the cents are formatted, no float is involved. `tauxAvance` is written from
//! the per-mille rate (100 ‰ → 0.1); `origineUE`, `origineFrance` and a concession's tariffs
//! from their exact decimals (0.1, 14.29). Dates are `YYYY-MM-DD`.
//!
//! Records are written one at a time. In JSON the marchés stream straight to the output; the
//! concessions (a small share of contracts) are kept serialized in memory until the marchés are
//! done, since the format puts them in a second array. XML streams both, in input order.
//!
//! What DECP 2.0 cannot carry is left out: operators' and buyers' names (2.0 publishes
//! identifiers only), the object of a modification, and, for a concession, the CPV code, the
//! place, the price form, subcontracting acts and new concessionnaires named by a modification
//! (the 2.0 concession has no field for them). Each record is written on its own line.

use std::io::{self, BufWriter, Write};

use chrono::{Datelike, NaiveDate};
use mutualis_domain::contract::{
    ExecutionData, Label, Modification, Operator, Place, Subcontracting,
    SubcontractingModification, Tariff,
};
use mutualis_domain::{Amount, Contract, ContractKind, Decimal, Share, Siret};
use quick_xml::Writer;
use quick_xml::escape::partial_escape;
use quick_xml::events::{BytesDecl, BytesEnd, BytesStart, BytesText, Event};

use crate::decp_vocab::{
    Ccag, EnvironmentalConsideration, ExecutionMode, IdentifierScheme, Nature, OperatorGrouping,
    PlaceCodeType, PriceForm, PriceType, PriceVariation, Procedure, SocialConsideration, Technique,
    Vocabulary,
};

/// What an export wrote and what it left out.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WriteStats {
    pub marches: usize,
    pub concessions: usize,
    /// Contracts not written because DECP 2.0 requires fields they lack, in input order.
    pub skipped: Vec<Skipped>,
}

/// A contract left out of an export, with the DECP 2.0 fields it lacks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    pub buyer: Siret,
    pub id: String,
    pub kind: ContractKind,
    /// As [`missing_for_decp2`] names them.
    pub missing: Vec<&'static str>,
}

#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    #[error("écriture du fichier DECP impossible : {0}")]
    Io(#[from] io::Error),
}

/// The DECP 2.0 fields (schema 2.0.3, and XSD 2.0.2) that `c` lacks or holds in a form DECP
/// 2.0 does not accept, named as DECP names them, in the schema's order. Empty when the
/// contract can be published.
///
/// A field is reported when it is absent (a DECP 1.x import has `decp2: None`, so a marché
/// lacks `techniques`, `modalitesExecution`, `marcheInnovant`, `ccag`, `offresRecues`,
/// `attributionAvance`, `typeGroupementOperateurs`, `typesPrix`, `sousTraitanceDeclaree`,
/// `considerationsSociales`, `considerationsEnvironnementales`), when a label has no 2.0 value
/// (`nature`, `procedure`, `formePrix` mapped from a 1.x label with no 2.0 equivalent) or a
/// value outside the 2.0 list, and when a value breaks the schema (an `id` longer than 16
/// characters, a blank `objet`, a `montant` under 1 €, a duration of 0 month, a list with a
/// duplicate, a modification whose `id` is not a positive integer, text with a control
/// character XML cannot carry…). Fields of modifications and subcontracting acts are named
/// with their list: `modifications.dateNotificationModification`, `actesSousTraitance.montant`.
pub fn missing_for_decp2(c: &Contract) -> Vec<&'static str> {
    record(c).err().unwrap_or_default()
}

/// Writes the contracts as a DECP 2.0 JSON document, one record at a time, skipping those
/// [`missing_for_decp2`] rejects (listed in the returned stats). An empty input gives
/// `{"marches":{"marche":[],"contrat-concession":[]}}`, which the schema accepts.
pub fn write_json<'a, W: Write>(
    contracts: impl IntoIterator<Item = &'a Contract>,
    out: W,
) -> Result<WriteStats, WriteError> {
    let mut out = BufWriter::new(out);
    let mut stats = WriteStats::default();
    let mut concessions = Vec::new();
    out.write_all(b"{\"marches\":{\"marche\":[")?;
    for c in contracts {
        let Some(node) = stats.admit(c) else { continue };
        match c.kind {
            ContractKind::Marche => {
                if stats.marches > 0 {
                    out.write_all(b",")?;
                }
                out.write_all(b"\n")?;
                write_json_node(&node, &mut out)?;
                stats.marches += 1;
            }
            ContractKind::Concession => {
                if stats.concessions > 0 {
                    concessions.push(b',');
                }
                concessions.push(b'\n');
                write_json_node(&node, &mut concessions)?;
                stats.concessions += 1;
            }
        }
    }
    out.write_all(b"\n],\"contrat-concession\":[")?;
    out.write_all(&concessions)?;
    out.write_all(b"\n]}}\n")?;
    out.flush()?;
    Ok(stats)
}

/// Writes the contracts as a DECP 2.0 XML document (UTF-8, indented), one record at a time in
/// input order, skipping those [`missing_for_decp2`] rejects (listed in the returned stats).
/// Booleans are written `true`/`false`, which the XSD accepts beside `oui`/`non`.
pub fn write_xml<'a, W: Write>(
    contracts: impl IntoIterator<Item = &'a Contract>,
    out: W,
) -> Result<WriteStats, WriteError> {
    let mut w = Writer::new_with_indent(BufWriter::new(out), b' ', 2);
    let mut stats = WriteStats::default();
    w.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))?;
    w.write_event(Event::Start(BytesStart::new("marches")))?;
    for c in contracts {
        let Some(node) = stats.admit(c) else { continue };
        let tag = match c.kind {
            ContractKind::Marche => {
                stats.marches += 1;
                "marche"
            }
            ContractKind::Concession => {
                stats.concessions += 1;
                "contrat-concession"
            }
        };
        write_xml_node(&mut w, tag, &node)?;
    }
    w.write_event(Event::End(BytesEnd::new("marches")))?;
    let out = w.get_mut();
    out.write_all(b"\n")?;
    out.flush()?;
    Ok(stats)
}

impl WriteStats {
    /// The record to write for `c`, or `None` after noting why it is skipped.
    fn admit(&mut self, c: &Contract) -> Option<Node> {
        match record(c) {
            Ok(node) => Some(node),
            Err(missing) => {
                self.skipped.push(Skipped {
                    buyer: c.buyer.clone(),
                    id: c.id.clone(),
                    kind: c.kind,
                    missing,
                });
                None
            }
        }
    }
}

/// Amount in euros, in decimal notation with at most two decimals: 575000, 123456.89, 10.3,
/// -12.5. Formats the integer cents; no float is involved.
pub(crate) fn euros_decimal(amount: Amount) -> String {
    let cents = amount.cents();
    let sign = if cents < 0 { "-" } else { "" };
    let abs = cents.unsigned_abs();
    let (euros, rest) = (abs / 100, abs % 100);
    if rest == 0 {
        format!("{sign}{euros}")
    } else if rest % 10 == 0 {
        format!("{sign}{euros}.{}", rest / 10)
    } else {
        format!("{sign}{euros}.{rest:02}")
    }
}

/// A per-mille rate as the decimal fraction DECP publishes: 100 → 0.1, 125 → 0.125, 1000 → 1.
fn rate_decimal(permille: u32) -> String {
    let (whole, frac) = (permille / 1000, permille % 1000);
    if frac == 0 {
        whole.to_string()
    } else {
        let digits = format!("{frac:03}");
        format!("{whole}.{}", digits.trim_end_matches('0'))
    }
}

// ---------------------------------------------------------------------------------------------
// One record, as a tree both serializations share.

/// A DECP value. The two formats differ only in how lists are spelled, which the two list
/// variants capture.
#[derive(Debug)]
enum Node {
    Text(String),
    /// A number already in decimal notation (JSON number, `xs:decimal`, `xs:integer`).
    Number(String),
    Bool(bool),
    Object(Vec<(&'static str, Node)>),
    /// JSON `{"technique": ["a", "b"]}`; XML `<technique>a</technique><technique>b</technique>`.
    List(&'static str, Vec<Node>),
    /// JSON `[{"titulaire": {…}}, …]`; XML `<titulaire>…</titulaire>…`. The item's name in
    /// JSON, then in XML: they differ for `modificationsActesSousTraitance`, whose item the
    /// JSON schema calls `modificationActeSousTraitance` and the XSD
    /// `modificationActesSousTraitance`.
    Wrapped(&'static str, &'static str, Vec<Node>),
}

/// A list written `[{"item": {…}}, …]` in JSON and `<item>…</item>…` in XML.
fn wrapped(item: &'static str, nodes: Vec<Node>) -> Node {
    Node::Wrapped(item, item, nodes)
}

fn write_json_node(node: &Node, out: &mut impl Write) -> io::Result<()> {
    match node {
        Node::Text(s) => serde_json::to_writer(&mut *out, s).map_err(io::Error::from),
        Node::Number(n) => out.write_all(n.as_bytes()),
        Node::Bool(b) => out.write_all(if *b { b"true" } else { b"false" }),
        Node::Object(fields) => {
            out.write_all(b"{")?;
            for (i, (key, value)) in fields.iter().enumerate() {
                if i > 0 {
                    out.write_all(b",")?;
                }
                serde_json::to_writer(&mut *out, key)?;
                out.write_all(b":")?;
                write_json_node(value, out)?;
            }
            out.write_all(b"}")
        }
        Node::List(item, values) => {
            out.write_all(b"{")?;
            serde_json::to_writer(&mut *out, item)?;
            out.write_all(b":[")?;
            for (i, value) in values.iter().enumerate() {
                if i > 0 {
                    out.write_all(b",")?;
                }
                write_json_node(value, out)?;
            }
            out.write_all(b"]}")
        }
        Node::Wrapped(item, _, values) => {
            out.write_all(b"[")?;
            for (i, value) in values.iter().enumerate() {
                if i > 0 {
                    out.write_all(b",")?;
                }
                out.write_all(b"{")?;
                serde_json::to_writer(&mut *out, item)?;
                out.write_all(b":")?;
                write_json_node(value, out)?;
                out.write_all(b"}")?;
            }
            out.write_all(b"]")
        }
    }
}

fn write_xml_node<W: Write>(w: &mut Writer<W>, name: &str, node: &Node) -> io::Result<()> {
    let element = w.create_element(name);
    match node {
        Node::Text(s) | Node::Number(s) => {
            // Escapes <, > and &; apostrophes and quotes stay readable in text content.
            element.write_text_content(BytesText::from_escaped(partial_escape(s.as_str())))?
        }
        Node::Bool(b) => {
            element.write_text_content(BytesText::new(if *b { "true" } else { "false" }))?
        }
        Node::Object(fields) => element.write_inner_content(|w| {
            fields
                .iter()
                .try_for_each(|(key, value)| write_xml_node(w, key, value))
        })?,
        Node::List(item, values) | Node::Wrapped(_, item, values) => {
            element.write_inner_content(|w| {
                values
                    .iter()
                    .try_for_each(|value| write_xml_node(w, item, value))
            })?
        }
    };
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Building a record, and finding what it lacks.

/// The DECP 2.0 record of a contract, or the fields it lacks.
fn record(c: &Contract) -> Result<Node, Vec<&'static str>> {
    let mut missing = Missing::default();
    let node = match c.kind {
        ContractKind::Marche => marche(c, &mut missing),
        ContractKind::Concession => concession(c, &mut missing),
    };
    if missing.0.is_empty() {
        Ok(node)
    } else {
        Err(missing.0)
    }
}

#[derive(Default)]
struct Missing(Vec<&'static str>);

impl Missing {
    fn add(&mut self, field: &'static str) {
        if !self.0.contains(&field) {
            self.0.push(field);
        }
    }
}

/// The fields of one object, in the order they are added.
struct Fields<'m> {
    fields: Vec<(&'static str, Node)>,
    missing: &'m mut Missing,
}

impl<'m> Fields<'m> {
    fn new(missing: &'m mut Missing) -> Self {
        Fields {
            fields: Vec::new(),
            missing,
        }
    }

    /// A required field: `value` absent, or refused by `to_node`, reports `report`.
    fn req<T>(
        &mut self,
        key: &'static str,
        report: &'static str,
        value: Option<T>,
        to_node: impl FnOnce(T) -> Option<Node>,
    ) {
        match value.and_then(to_node) {
            Some(node) => self.fields.push((key, node)),
            None => self.missing.add(report),
        }
    }

    /// An optional field: written when present, reported under `report` when present but
    /// refused by `to_node`.
    fn opt<T>(
        &mut self,
        key: &'static str,
        report: &'static str,
        value: Option<T>,
        to_node: impl FnOnce(T) -> Option<Node>,
    ) {
        if let Some(value) = value {
            match to_node(value) {
                Some(node) => self.fields.push((key, node)),
                None => self.missing.add(report),
            }
        }
    }

    fn into_node(self) -> Node {
        Node::Object(self.fields)
    }
}

// The lists of values of a marché's award form (`web::pages::groupements`), which builds what
// this module writes: each the codes of its `decp_vocab` enum.
pub const MARCHE_PROCEDURES: &[&str] = Procedure::MARCHE_CODES;
pub const PRICE_FORMS: &[&str] = PriceForm::CODES;
pub const PRICE_TYPES: &[&str] = PriceType::CODES;
pub const TECHNIQUES: &[&str] = Technique::CODES;
pub const EXECUTION_MODES: &[&str] = ExecutionMode::CODES;
pub const CCAG: &[&str] = Ccag::CODES;
pub const OPERATOR_GROUPINGS: &[&str] = OperatorGrouping::CODES;
pub const PLACE_CODE_TYPES: &[&str] = PlaceCodeType::CODES;
pub const MARCHE_SOCIAL: &[&str] = SocialConsideration::MARCHE_CODES;
pub const ENVIRONMENTAL: &[&str] = EnvironmentalConsideration::CODES;

/// One cent short of 1 €: `montant` and `valeurGlobale` must be at least 1.
const ONE_EURO_CENTS: i64 = 100;

fn marche(c: &Contract, missing: &mut Missing) -> Node {
    let d = c.decp2.as_ref();
    let mut f = Fields::new(missing);
    f.req("id", "id", Some(c.id.as_str()), identifier);
    f.req("acheteur", "acheteur", Some(&c.buyer), buyer);
    f.req(
        "nature",
        "nature",
        Some(&c.nature),
        label::<Nature>(ContractKind::Marche),
    );
    f.req("objet", "objet", Some(c.object.as_str()), object);
    f.req("codeCPV", "codeCPV", c.cpv.as_ref(), |cpv| {
        Some(Node::Text(cpv.to_string()))
    });
    f.req("techniques", "techniques", d.map(|d| &d.techniques), |v| {
        list("technique", v, Technique::CODES)
    });
    f.req(
        "modalitesExecution",
        "modalitesExecution",
        d.map(|d| &d.execution_modes),
        |v| list("modaliteExecution", v, ExecutionMode::CODES),
    );
    f.opt(
        "idAccordCadre",
        "idAccordCadre",
        d.and_then(|d| d.framework_id.as_deref()),
        identifier,
    );
    f.req(
        "marcheInnovant",
        "marcheInnovant",
        d.and_then(|d| d.innovative),
        |b| Some(Node::Bool(b)),
    );
    f.req("ccag", "ccag", d.and_then(|d| d.ccag.as_deref()), |v| {
        one_of(v, Ccag::CODES)
    });
    f.req(
        "offresRecues",
        "offresRecues",
        d.and_then(|d| d.offers_received),
        positive,
    );
    f.req(
        "attributionAvance",
        "attributionAvance",
        d.and_then(|d| d.advance_paid),
        |b| Some(Node::Bool(b)),
    );
    f.opt(
        "tauxAvance",
        "tauxAvance",
        d.and_then(|d| d.advance_rate_permille),
        |p| (p <= 1000).then(|| Node::Number(rate_decimal(p))),
    );
    f.req(
        "typeGroupementOperateurs",
        "typeGroupementOperateurs",
        d.and_then(|d| d.operator_grouping.as_deref()),
        |v| one_of(v, OperatorGrouping::CODES),
    );
    f.opt("origineUE", "origineUE", d.and_then(|d| d.origin_eu), share);
    f.opt(
        "origineFrance",
        "origineFrance",
        d.and_then(|d| d.origin_france),
        share,
    );
    f.req(
        "sousTraitanceDeclaree",
        "sousTraitanceDeclaree",
        d.and_then(|d| d.subcontracting_declared),
        |b| Some(Node::Bool(b)),
    );
    if !c.subcontracting.is_empty() {
        let acts = c
            .subcontracting
            .iter()
            .map(|s| subcontracting_act(s, f.missing))
            .collect();
        f.fields
            .push(("actesSousTraitance", wrapped("acteSousTraitance", acts)));
    }
    let sub_mods = d.map_or(&[][..], |d| &d.subcontracting_modifications[..]);
    if !sub_mods.is_empty() {
        let mods = sub_mods
            .iter()
            .map(|m| subcontracting_modification(m, f.missing))
            .collect();
        f.fields.push((
            "modificationsActesSousTraitance",
            Node::Wrapped(
                "modificationActeSousTraitance",
                "modificationActesSousTraitance",
                mods,
            ),
        ));
    }
    f.req(
        "procedure",
        "procedure",
        Some(&c.procedure),
        label::<Procedure>(ContractKind::Marche),
    );
    f.req("lieuExecution", "lieuExecution", c.place.as_ref(), place);
    f.req("dureeMois", "dureeMois", c.duration_months, positive);
    f.req("dateNotification", "dateNotification", c.notified_on, date);
    f.req(
        "datePublicationDonnees",
        "datePublicationDonnees",
        c.published_on,
        date,
    );
    f.req("montant", "montant", c.amount, |a| {
        amount(a, ONE_EURO_CENTS)
    });
    f.req("typesPrix", "typesPrix", d.map(|d| &d.price_types), |v| {
        list("typePrix", v, PriceType::CODES)
    });
    f.req(
        "formePrix",
        "formePrix",
        Some(&c.price_form),
        label::<PriceForm>(ContractKind::Marche),
    );
    closing_fields(&mut f, c);
    f.into_node()
}

fn concession(c: &Contract, missing: &mut Missing) -> Node {
    let d = c.decp2.as_ref();
    let mut f = Fields::new(missing);
    f.req("id", "id", Some(c.id.as_str()), identifier);
    f.req(
        "autoriteConcedante",
        "autoriteConcedante",
        Some(&c.buyer),
        buyer,
    );
    f.req(
        "nature",
        "nature",
        Some(&c.nature),
        label::<Nature>(ContractKind::Concession),
    );
    f.req("objet", "objet", Some(c.object.as_str()), object);
    f.req(
        "procedure",
        "procedure",
        Some(&c.procedure),
        label::<Procedure>(ContractKind::Concession),
    );
    f.req("dureeMois", "dureeMois", c.duration_months, positive);
    f.req("dateSignature", "dateSignature", c.notified_on, date);
    f.req(
        "datePublicationDonnees",
        "datePublicationDonnees",
        c.published_on,
        date,
    );
    f.req(
        "dateDebutExecution",
        "dateDebutExecution",
        c.starts_on,
        date,
    );
    f.req("valeurGlobale", "valeurGlobale", c.amount, |a| {
        amount(a, ONE_EURO_CENTS)
    });
    f.req(
        "montantSubventionPublique",
        "montantSubventionPublique",
        d.and_then(|d| d.public_subsidy),
        |a| amount(a, 0),
    );
    let years = d.map_or(&[][..], |d| &d.execution_data[..]);
    if !years.is_empty() {
        let years = years.iter().map(|y| execution_year(y, f.missing)).collect();
        f.fields
            .push(("donneesExecution", wrapped("donneesAnnuelles", years)));
    }
    closing_fields(&mut f, c);
    f.into_node()
}

/// The fields a marché and a concession both end with, named for its kind: its titulaires or
/// concessionnaires, its considerations from the lists of its kind, and its modifications.
fn closing_fields(f: &mut Fields<'_>, c: &Contract) {
    type Write = fn(&Modification, &mut Missing) -> Node;
    let (operators_key, operator_item, modification): (_, _, Write) = match c.kind {
        ContractKind::Marche => ("titulaires", "titulaire", marche_modification),
        ContractKind::Concession => (
            "concessionnaires",
            "concessionnaire",
            concession_modification,
        ),
    };
    f.req(
        operators_key,
        operators_key,
        Some(c.operators.as_slice()),
        |ops| operators(operator_item, ops),
    );
    let d = c.decp2.as_ref();
    f.req(
        "considerationsSociales",
        "considerationsSociales",
        d.map(|d| &d.social_considerations),
        |v| {
            list(
                "considerationSociale",
                v,
                SocialConsideration::codes_of(c.kind),
            )
        },
    );
    f.req(
        "considerationsEnvironnementales",
        "considerationsEnvironnementales",
        d.map(|d| &d.environmental_considerations),
        |v| {
            list(
                "considerationEnvironnementale",
                v,
                EnvironmentalConsideration::CODES,
            )
        },
    );
    if !c.modifications.is_empty() {
        let mods = c
            .modifications
            .iter()
            .map(|m| modification(m, f.missing))
            .collect();
        f.fields
            .push(("modifications", wrapped("modification", mods)));
    }
}

fn marche_modification(m: &Modification, missing: &mut Missing) -> Node {
    let mut f = Fields::new(missing);
    f.req(
        "id",
        "modifications.id",
        Some(m.id.as_str()),
        sequence_number,
    );
    f.opt(
        "dureeMois",
        "modifications.dureeMois",
        m.new_duration_months,
        positive,
    );
    f.opt("montant", "modifications.montant", m.new_amount, |a| {
        amount(a, ONE_EURO_CENTS)
    });
    f.opt(
        "titulaires",
        "modifications.titulaires",
        (!m.new_operators.is_empty()).then_some(m.new_operators.as_slice()),
        |ops| operators("titulaire", ops),
    );
    f.req(
        "dateNotificationModification",
        "modifications.dateNotificationModification",
        m.signed_on,
        date,
    );
    f.req(
        "datePublicationDonneesModification",
        "modifications.datePublicationDonneesModification",
        m.published_on,
        date,
    );
    f.into_node()
}

fn concession_modification(m: &Modification, missing: &mut Missing) -> Node {
    let mut f = Fields::new(missing);
    f.req(
        "id",
        "modifications.id",
        Some(m.id.as_str()),
        sequence_number,
    );
    f.req(
        "dateSignatureModification",
        "modifications.dateSignatureModification",
        m.signed_on,
        date,
    );
    f.req(
        "datePublicationDonneesModification",
        "modifications.datePublicationDonneesModification",
        m.published_on,
        date,
    );
    f.opt(
        "dureeMois",
        "modifications.dureeMois",
        m.new_duration_months,
        positive,
    );
    f.opt(
        "valeurGlobale",
        "modifications.valeurGlobale",
        m.new_amount,
        |a| amount(a, ONE_EURO_CENTS),
    );
    f.into_node()
}

fn subcontracting_act(s: &Subcontracting, missing: &mut Missing) -> Node {
    let mut f = Fields::new(missing);
    f.req(
        "id",
        "actesSousTraitance.id",
        Some(s.id.as_str()),
        sequence_number,
    );
    f.req(
        "sousTraitant",
        "actesSousTraitance.sousTraitant",
        Some(&s.subcontractor),
        operator,
    );
    f.req(
        "dureeMois",
        "actesSousTraitance.dureeMois",
        s.duration_months,
        positive,
    );
    f.req(
        "dateNotification",
        "actesSousTraitance.dateNotification",
        s.signed_on,
        date,
    );
    f.req(
        "datePublicationDonnees",
        "actesSousTraitance.datePublicationDonnees",
        s.published_on,
        date,
    );
    f.req("montant", "actesSousTraitance.montant", s.amount, |a| {
        amount(a, ONE_EURO_CENTS)
    });
    f.req(
        "variationPrix",
        "actesSousTraitance.variationPrix",
        s.price_variation.as_deref(),
        |v| one_of(v, PriceVariation::CODES),
    );
    f.into_node()
}

fn subcontracting_modification(m: &SubcontractingModification, missing: &mut Missing) -> Node {
    let mut f = Fields::new(missing);
    f.req(
        "id",
        "modificationsActesSousTraitance.id",
        Some(m.act_id.as_str()),
        sequence_number,
    );
    f.opt(
        "dureeMois",
        "modificationsActesSousTraitance.dureeMois",
        m.new_duration_months,
        positive,
    );
    f.req(
        "dateNotificationModificationSousTraitance",
        "modificationsActesSousTraitance.dateNotificationModificationSousTraitance",
        m.signed_on,
        date,
    );
    f.opt(
        "montant",
        "modificationsActesSousTraitance.montant",
        m.new_amount,
        |a| amount(a, ONE_EURO_CENTS),
    );
    f.req(
        "datePublicationDonnees",
        "modificationsActesSousTraitance.datePublicationDonnees",
        m.published_on,
        date,
    );
    f.into_node()
}

fn execution_year(y: &ExecutionData, missing: &mut Missing) -> Node {
    let mut f = Fields::new(missing);
    f.req(
        "datePublicationDonneesExecution",
        "donneesExecution.datePublicationDonneesExecution",
        y.published_on,
        date,
    );
    f.req(
        "depensesInvestissement",
        "donneesExecution.depensesInvestissement",
        y.investment_spending,
        |a| amount(a, 0),
    );
    if y.tariffs.is_empty() {
        f.missing.add("donneesExecution.tarifs");
    } else {
        let tariffs = y.tariffs.iter().map(|t| tariff(t, f.missing)).collect();
        f.fields.push(("tarifs", wrapped("tarif", tariffs)));
    }
    f.into_node()
}

fn tariff(t: &Tariff, missing: &mut Missing) -> Node {
    let mut f = Fields::new(missing);
    f.req(
        "intituleTarif",
        "donneesExecution.tarifs.intituleTarif",
        t.label.as_deref(),
        tariff_label,
    );
    f.req(
        "tarif",
        "donneesExecution.tarifs.tarif",
        t.price,
        |p: Decimal| Some(Node::Number(p.to_string())),
    );
    f.into_node()
}

// ---------------------------------------------------------------------------------------------
// Values: each returns `None` when DECP 2.0 would refuse the value.

/// Characters XML 1.0 can carry (JSON could carry more, but both exports check the same).
fn xml_safe(s: &str) -> bool {
    s.chars().all(|c| {
        matches!(c, '\t' | '\n' | '\r') || (c >= ' ' && c != '\u{fffe}' && c != '\u{ffff}')
    })
}

fn text(s: &str) -> Option<Node> {
    xml_safe(s).then(|| Node::Text(s.to_owned()))
}

/// A contract or framework identifier: 1 to 16 characters.
fn identifier(id: &str) -> Option<Node> {
    (1..=16)
        .contains(&id.chars().count())
        .then(|| text(id))
        .flatten()
}

/// The object: required, at most 1000 characters; an empty object counts as missing.
fn object(s: &str) -> Option<Node> {
    (!s.trim().is_empty() && s.chars().count() <= 1000)
        .then(|| text(s))
        .flatten()
}

/// A tariff's label: 1 to 256 characters (the schema's `maxLength`).
fn tariff_label(s: &str) -> Option<Node> {
    (!s.trim().is_empty() && s.chars().count() <= 256)
        .then(|| text(s))
        .flatten()
}

/// A share between 0 and 1, as its exact decimal (0.1).
fn share(s: Share) -> Option<Node> {
    Some(Node::Number(s.to_string()))
}

fn buyer(siret: &Siret) -> Option<Node> {
    Some(Node::Object(vec![(
        "id",
        Node::Text(siret.as_str().to_owned()),
    )]))
}

fn one_of(value: &str, allowed: &[&str]) -> Option<Node> {
    allowed
        .contains(&value)
        .then(|| Node::Text(value.to_owned()))
}

/// A label whose value is in the list of `V` for a contract of `kind`.
fn label<V: Vocabulary>(kind: ContractKind) -> impl FnOnce(&Label) -> Option<Node> {
    move |l| V::write_decp2(kind, l).map(|code| Node::Text(code.to_owned()))
}

/// A non-empty list of distinct values, each from `allowed`.
fn list(item: &'static str, values: &[String], allowed: &[&str]) -> Option<Node> {
    let distinct = values
        .iter()
        .enumerate()
        .all(|(i, v)| !values[..i].contains(v));
    if values.is_empty() || !distinct {
        return None;
    }
    let nodes = values
        .iter()
        .map(|v| one_of(v, allowed))
        .collect::<Option<Vec<_>>>()?;
    Some(Node::List(item, nodes))
}

fn operator(op: &Operator) -> Option<Node> {
    if op.id.trim().is_empty() {
        return None;
    }
    Some(Node::Object(vec![
        (
            "typeIdentifiant",
            one_of(&op.id_type, IdentifierScheme::CODES)?,
        ),
        ("id", text(&op.id)?),
    ]))
}

/// A non-empty list of distinct operators.
fn operators(item: &'static str, ops: &[Operator]) -> Option<Node> {
    let distinct = ops.iter().enumerate().all(|(i, op)| {
        !ops[..i]
            .iter()
            .any(|o| o.id == op.id && o.id_type == op.id_type)
    });
    if ops.is_empty() || !distinct {
        return None;
    }
    let nodes = ops.iter().map(operator).collect::<Option<Vec<_>>>()?;
    Some(wrapped(item, nodes))
}

fn place(p: &Place) -> Option<Node> {
    if p.code.trim().is_empty() {
        return None;
    }
    Some(Node::Object(vec![
        ("code", text(&p.code)?),
        ("typeCode", one_of(&p.code_type, PlaceCodeType::CODES)?),
    ]))
}

/// A count or duration that must be at least 1.
fn positive(n: u32) -> Option<Node> {
    (n >= 1).then(|| Node::Number(n.to_string()))
}

/// The number of a modification or subcontracting act: a positive integer.
fn sequence_number(id: &str) -> Option<Node> {
    let n: u32 = id.trim().parse().ok()?;
    positive(n)
}

fn date(d: NaiveDate) -> Option<Node> {
    (1..=9999)
        .contains(&d.year())
        .then(|| Node::Text(d.format("%Y-%m-%d").to_string()))
}

fn amount(a: Amount, min_cents: i64) -> Option<Node> {
    (a.cents() >= min_cents).then(|| Node::Number(euros_decimal(a)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_are_formatted_from_cents() {
        let cases = [
            (57_500_000, "575000"),
            (12_345_689, "123456.89"),
            (1030, "10.3"),
            (50, "0.5"),
            (5, "0.05"),
            (2500, "25"),
            (-1250, "-12.5"),
            (0, "0"),
        ];
        for (cents, text) in cases {
            assert_eq!(euros_decimal(Amount::from_cents(cents)), text);
        }
    }

    #[test]
    fn advance_rates_are_written_from_per_mille() {
        assert_eq!(rate_decimal(0), "0");
        assert_eq!(rate_decimal(100), "0.1");
        assert_eq!(rate_decimal(125), "0.125");
        assert_eq!(rate_decimal(5), "0.005");
        assert_eq!(rate_decimal(1000), "1");
    }

    #[test]
    fn xml_refuses_control_characters() {
        assert!(xml_safe("Lot 1 : « voirie »\tet réseaux\n"));
        assert!(!xml_safe("bell\u{7}"));
    }
}
