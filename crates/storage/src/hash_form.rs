//! The content hash of a contract: SHA-256, in lowercase hex, of the contract's **hash form
//! v1**, a JSON document that storage defines here, field by field, with its own structs. It
//! does not follow the domain's types: renaming a field of `Contract` changes no hash, and a
//! database keeps its hashes (an import compares them to tell a record already stored from a
//! newer publication).
//!
//! The hash form v1 is compact JSON (serde_json: no white space, strings escaped as serde_json
//! escapes them, `/` and non-ASCII characters left as they are), one object whose members come
//! in this order:
//!
//! | member | value |
//! | --- | --- |
//! | `id` | the buyer's identifier of the contract, a string |
//! | `buyer` | the buyer's SIRET, 14 digits, a string |
//! | `buyer_name` | the buyer's name as published, or `null` |
//! | `kind` | `"marche"` or `"concession"` |
//! | `source` | `"decp1"`, `"decp2"` or `"mutualis"` |
//! | `nature` | a label (below) |
//! | `object` | the object, a string |
//! | `cpv` | the CPV code with its check digit, `"09123000-7"`, or `null` |
//! | `procedure` | a label |
//! | `place` | `{"code":…,"code_type":…}` (two strings), or `null` |
//! | `duration_months` | a whole number, or `null` |
//! | `notified_on` | a date `"YYYY-MM-DD"`, or `null` |
//! | `starts_on` | a date, or `null` |
//! | `published_on` | a date, or `null` |
//! | `amount` | the amount in cents, a whole number, or `null` |
//! | `price_form` | a label |
//! | `operators` | a list of operators (below), possibly empty |
//! | `modifications` | a list of modifications (below), possibly empty |
//! | `subcontracting` | a list of subcontracting acts (below), possibly empty |
//! | `decp2` | the DECP 2.0 fields (below), or `null` |
//! | `repairs` | the import's repairs (below); left out when there are none |
//!
//! - A **label** is `{"value":…,"original":…}`: the DECP 2.0 value and the label as
//!   published, each a string or `null`.
//! - An **operator** is `{"id":…,"id_type":…,"name":…}`: its identifier and the kind of
//!   identifier (`"SIRET"`, `"TVA"`…), strings, then its name, left out when unknown.
//! - A **modification** is `id` (a string), then, each left out when absent: `object`,
//!   `signed_on`, `published_on` (dates), `new_amount` (cents), `new_duration_months`, and
//!   `new_operators` (a list of operators, left out when empty).
//! - A **subcontracting act** is `id` (a string), `subcontractor` (an operator), then, each
//!   left out when absent: `amount` (cents), `duration_months`, `signed_on`, `published_on`
//!   (dates), `price_variation` (a string).
//! - The **DECP 2.0 fields** are, each left out when absent or, for a list, empty:
//!   `techniques`, `execution_modes` (lists of strings), `framework_id` (a string),
//!   `innovative` (a boolean), `ccag` (a string), `offers_received` (a whole number),
//!   `advance_paid` (a boolean), `advance_rate_permille` (a whole number), `operator_grouping`
//!   (a string), `price_types` (a list of strings), `subcontracting_declared` (a boolean),
//!   `social_considerations`, `environmental_considerations` (lists of strings),
//!   `public_subsidy` (cents); then, added after the first hashes and left out when absent or
//!   empty, so that the hash of every contract without them is unchanged: `origin_eu`,
//!   `origin_france` (decimal texts, `"0.1"`), `subcontracting_modifications` (each `act_id`,
//!   then, left out when absent, `new_duration_months`, `new_amount` (cents), `signed_on`,
//!   `published_on`) and `execution_data` (each, left out when absent, `published_on`,
//!   `investment_spending` (cents), `tariffs`: each `label` and `price` (a decimal text),
//!   left out when absent). A contract stored before these fields were read was hashed
//!   without them, so its next import finds a new hash and stores them.
//! - A **repair** is `kind` (its code, `"cpv_check_digit"`…), `field`, `published` (strings),
//!   then `kept` (a string), left out when the field was dropped. Its French sentence is not
//!   hashed: rewording it changes no hash. Every contract hashed before repairs existed had
//!   none, so the member's absence keeps their hashes.
//!
//! This is, byte for byte, the serde JSON of the domain's `Contract` when the hash was first
//! computed, so that the hashes stored before the hash form had a name are hash form v1
//! hashes; `tests/content_hash.rs` pins them on real files. A new member, or a new meaning,
//! makes a hash form v2, and a migration recomputes the stored hashes.

use chrono::NaiveDate;
use mutualis_domain::contract::{
    Decp2Fields, ExecutionData, Label, Modification, Operator, Place, Subcontracting,
    SubcontractingModification, Tariff,
};
use mutualis_domain::{Amount, Contract, ContractKind, ContractSource};
use serde::Serialize;
use sha2::{Digest, Sha256};

/// The SHA-256 content hash of `contract`'s hash form v1, in lowercase hex.
pub(crate) fn content_hash(contract: &Contract) -> Result<String, serde_json::Error> {
    let mut hasher = HashWriter(Sha256::new());
    serde_json::to_writer(&mut hasher, &ContractV1::of(contract))?;
    Ok(hex::encode(hasher.0.finalize()))
}

/// Feeds what serde writes straight into the hash, without an intermediate buffer.
struct HashWriter(Sha256);

impl std::io::Write for HashWriter {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.update(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn cents(amount: Option<Amount>) -> Option<i64> {
    amount.map(Amount::cents)
}

#[derive(Serialize)]
struct ContractV1<'a> {
    #[serde(rename = "id")]
    id: &'a str,
    #[serde(rename = "buyer")]
    buyer: &'a str,
    #[serde(rename = "buyer_name")]
    buyer_name: Option<&'a str>,
    #[serde(rename = "kind")]
    kind: &'static str,
    #[serde(rename = "source")]
    source: &'static str,
    #[serde(rename = "nature")]
    nature: LabelV1<'a>,
    #[serde(rename = "object")]
    object: &'a str,
    #[serde(rename = "cpv")]
    cpv: Option<String>,
    #[serde(rename = "procedure")]
    procedure: LabelV1<'a>,
    #[serde(rename = "place")]
    place: Option<PlaceV1<'a>>,
    #[serde(rename = "duration_months")]
    duration_months: Option<u32>,
    #[serde(rename = "notified_on")]
    notified_on: Option<NaiveDate>,
    #[serde(rename = "starts_on")]
    starts_on: Option<NaiveDate>,
    #[serde(rename = "published_on")]
    published_on: Option<NaiveDate>,
    #[serde(rename = "amount")]
    amount: Option<i64>,
    #[serde(rename = "price_form")]
    price_form: LabelV1<'a>,
    #[serde(rename = "operators")]
    operators: Vec<OperatorV1<'a>>,
    #[serde(rename = "modifications")]
    modifications: Vec<ModificationV1<'a>>,
    #[serde(rename = "subcontracting")]
    subcontracting: Vec<SubcontractingV1<'a>>,
    #[serde(rename = "decp2")]
    decp2: Option<Decp2V1<'a>>,
    #[serde(rename = "repairs", skip_serializing_if = "Vec::is_empty")]
    repairs: Vec<RepairV1<'a>>,
}

#[derive(Serialize)]
struct RepairV1<'a> {
    #[serde(rename = "kind")]
    kind: &'static str,
    #[serde(rename = "field")]
    field: &'a str,
    #[serde(rename = "published")]
    published: &'a str,
    #[serde(rename = "kept", skip_serializing_if = "Option::is_none")]
    kept: Option<&'a str>,
}

impl<'a> ContractV1<'a> {
    fn of(c: &'a Contract) -> Self {
        ContractV1 {
            id: &c.id,
            buyer: c.buyer.as_str(),
            buyer_name: c.buyer_name.as_deref(),
            kind: match c.kind {
                ContractKind::Marche => "marche",
                ContractKind::Concession => "concession",
            },
            source: match c.source {
                ContractSource::Decp1 => "decp1",
                ContractSource::Decp2 => "decp2",
                ContractSource::Mutualis => "mutualis",
            },
            nature: LabelV1::of(&c.nature),
            object: &c.object,
            cpv: c.cpv.map(|code| code.to_string()),
            procedure: LabelV1::of(&c.procedure),
            place: c.place.as_ref().map(PlaceV1::of),
            duration_months: c.duration_months,
            notified_on: c.notified_on,
            starts_on: c.starts_on,
            published_on: c.published_on,
            amount: cents(c.amount),
            price_form: LabelV1::of(&c.price_form),
            operators: c.operators.iter().map(OperatorV1::of).collect(),
            modifications: c.modifications.iter().map(ModificationV1::of).collect(),
            subcontracting: c.subcontracting.iter().map(SubcontractingV1::of).collect(),
            decp2: c.decp2.as_ref().map(Decp2V1::of),
            repairs: c
                .repairs
                .iter()
                .map(|r| RepairV1 {
                    kind: r.kind.code(),
                    field: &r.field,
                    published: &r.published,
                    kept: r.kept.as_deref(),
                })
                .collect(),
        }
    }
}

#[derive(Serialize)]
struct LabelV1<'a> {
    #[serde(rename = "value")]
    value: Option<&'a str>,
    #[serde(rename = "original")]
    original: Option<&'a str>,
}

impl<'a> LabelV1<'a> {
    fn of(l: &'a Label) -> Self {
        LabelV1 {
            value: l.value.as_deref(),
            original: l.original.as_deref(),
        }
    }
}

#[derive(Serialize)]
struct PlaceV1<'a> {
    #[serde(rename = "code")]
    code: &'a str,
    #[serde(rename = "code_type")]
    code_type: &'a str,
}

impl<'a> PlaceV1<'a> {
    fn of(p: &'a Place) -> Self {
        PlaceV1 {
            code: &p.code,
            code_type: &p.code_type,
        }
    }
}

#[derive(Serialize)]
struct OperatorV1<'a> {
    #[serde(rename = "id")]
    id: &'a str,
    #[serde(rename = "id_type")]
    id_type: &'a str,
    #[serde(rename = "name", skip_serializing_if = "Option::is_none")]
    name: Option<&'a str>,
}

impl<'a> OperatorV1<'a> {
    fn of(o: &'a Operator) -> Self {
        OperatorV1 {
            id: &o.id,
            id_type: &o.id_type,
            name: o.name.as_deref(),
        }
    }
}

#[derive(Serialize)]
struct ModificationV1<'a> {
    #[serde(rename = "id")]
    id: &'a str,
    #[serde(rename = "object", skip_serializing_if = "Option::is_none")]
    object: Option<&'a str>,
    #[serde(rename = "signed_on", skip_serializing_if = "Option::is_none")]
    signed_on: Option<NaiveDate>,
    #[serde(rename = "published_on", skip_serializing_if = "Option::is_none")]
    published_on: Option<NaiveDate>,
    #[serde(rename = "new_amount", skip_serializing_if = "Option::is_none")]
    new_amount: Option<i64>,
    #[serde(
        rename = "new_duration_months",
        skip_serializing_if = "Option::is_none"
    )]
    new_duration_months: Option<u32>,
    #[serde(rename = "new_operators", skip_serializing_if = "Vec::is_empty")]
    new_operators: Vec<OperatorV1<'a>>,
}

impl<'a> ModificationV1<'a> {
    fn of(m: &'a Modification) -> Self {
        ModificationV1 {
            id: &m.id,
            object: m.object.as_deref(),
            signed_on: m.signed_on,
            published_on: m.published_on,
            new_amount: cents(m.new_amount),
            new_duration_months: m.new_duration_months,
            new_operators: m.new_operators.iter().map(OperatorV1::of).collect(),
        }
    }
}

#[derive(Serialize)]
struct SubcontractingV1<'a> {
    #[serde(rename = "id")]
    id: &'a str,
    #[serde(rename = "subcontractor")]
    subcontractor: OperatorV1<'a>,
    #[serde(rename = "amount", skip_serializing_if = "Option::is_none")]
    amount: Option<i64>,
    #[serde(rename = "duration_months", skip_serializing_if = "Option::is_none")]
    duration_months: Option<u32>,
    #[serde(rename = "signed_on", skip_serializing_if = "Option::is_none")]
    signed_on: Option<NaiveDate>,
    #[serde(rename = "published_on", skip_serializing_if = "Option::is_none")]
    published_on: Option<NaiveDate>,
    #[serde(rename = "price_variation", skip_serializing_if = "Option::is_none")]
    price_variation: Option<&'a str>,
}

impl<'a> SubcontractingV1<'a> {
    fn of(s: &'a Subcontracting) -> Self {
        SubcontractingV1 {
            id: &s.id,
            subcontractor: OperatorV1::of(&s.subcontractor),
            amount: cents(s.amount),
            duration_months: s.duration_months,
            signed_on: s.signed_on,
            published_on: s.published_on,
            price_variation: s.price_variation.as_deref(),
        }
    }
}

#[derive(Serialize)]
struct Decp2V1<'a> {
    #[serde(rename = "techniques", skip_serializing_if = "<[_]>::is_empty")]
    techniques: &'a [String],
    #[serde(rename = "execution_modes", skip_serializing_if = "<[_]>::is_empty")]
    execution_modes: &'a [String],
    #[serde(rename = "framework_id", skip_serializing_if = "Option::is_none")]
    framework_id: Option<&'a str>,
    #[serde(rename = "innovative", skip_serializing_if = "Option::is_none")]
    innovative: Option<bool>,
    #[serde(rename = "ccag", skip_serializing_if = "Option::is_none")]
    ccag: Option<&'a str>,
    #[serde(rename = "offers_received", skip_serializing_if = "Option::is_none")]
    offers_received: Option<u32>,
    #[serde(rename = "advance_paid", skip_serializing_if = "Option::is_none")]
    advance_paid: Option<bool>,
    #[serde(
        rename = "advance_rate_permille",
        skip_serializing_if = "Option::is_none"
    )]
    advance_rate_permille: Option<u32>,
    #[serde(rename = "operator_grouping", skip_serializing_if = "Option::is_none")]
    operator_grouping: Option<&'a str>,
    #[serde(rename = "price_types", skip_serializing_if = "<[_]>::is_empty")]
    price_types: &'a [String],
    #[serde(
        rename = "subcontracting_declared",
        skip_serializing_if = "Option::is_none"
    )]
    subcontracting_declared: Option<bool>,
    #[serde(
        rename = "social_considerations",
        skip_serializing_if = "<[_]>::is_empty"
    )]
    social_considerations: &'a [String],
    #[serde(
        rename = "environmental_considerations",
        skip_serializing_if = "<[_]>::is_empty"
    )]
    environmental_considerations: &'a [String],
    #[serde(rename = "public_subsidy", skip_serializing_if = "Option::is_none")]
    public_subsidy: Option<i64>,
    #[serde(rename = "origin_eu", skip_serializing_if = "Option::is_none")]
    origin_eu: Option<String>,
    #[serde(rename = "origin_france", skip_serializing_if = "Option::is_none")]
    origin_france: Option<String>,
    #[serde(
        rename = "subcontracting_modifications",
        skip_serializing_if = "Vec::is_empty"
    )]
    subcontracting_modifications: Vec<SubcontractingModificationV1<'a>>,
    #[serde(rename = "execution_data", skip_serializing_if = "Vec::is_empty")]
    execution_data: Vec<ExecutionDataV1<'a>>,
}

#[derive(Serialize)]
struct SubcontractingModificationV1<'a> {
    #[serde(rename = "act_id")]
    act_id: &'a str,
    #[serde(
        rename = "new_duration_months",
        skip_serializing_if = "Option::is_none"
    )]
    new_duration_months: Option<u32>,
    #[serde(rename = "new_amount", skip_serializing_if = "Option::is_none")]
    new_amount: Option<i64>,
    #[serde(rename = "signed_on", skip_serializing_if = "Option::is_none")]
    signed_on: Option<NaiveDate>,
    #[serde(rename = "published_on", skip_serializing_if = "Option::is_none")]
    published_on: Option<NaiveDate>,
}

impl<'a> SubcontractingModificationV1<'a> {
    fn of(m: &'a SubcontractingModification) -> Self {
        SubcontractingModificationV1 {
            act_id: &m.act_id,
            new_duration_months: m.new_duration_months,
            new_amount: cents(m.new_amount),
            signed_on: m.signed_on,
            published_on: m.published_on,
        }
    }
}

#[derive(Serialize)]
struct ExecutionDataV1<'a> {
    #[serde(rename = "published_on", skip_serializing_if = "Option::is_none")]
    published_on: Option<NaiveDate>,
    #[serde(
        rename = "investment_spending",
        skip_serializing_if = "Option::is_none"
    )]
    investment_spending: Option<i64>,
    #[serde(rename = "tariffs", skip_serializing_if = "Vec::is_empty")]
    tariffs: Vec<TariffV1<'a>>,
}

impl<'a> ExecutionDataV1<'a> {
    fn of(y: &'a ExecutionData) -> Self {
        ExecutionDataV1 {
            published_on: y.published_on,
            investment_spending: cents(y.investment_spending),
            tariffs: y.tariffs.iter().map(TariffV1::of).collect(),
        }
    }
}

#[derive(Serialize)]
struct TariffV1<'a> {
    #[serde(rename = "label", skip_serializing_if = "Option::is_none")]
    label: Option<&'a str>,
    #[serde(rename = "price", skip_serializing_if = "Option::is_none")]
    price: Option<String>,
}

impl<'a> TariffV1<'a> {
    fn of(t: &'a Tariff) -> Self {
        TariffV1 {
            label: t.label.as_deref(),
            price: t.price.map(|p| p.to_string()),
        }
    }
}

impl<'a> Decp2V1<'a> {
    fn of(d: &'a Decp2Fields) -> Self {
        Decp2V1 {
            techniques: &d.techniques,
            execution_modes: &d.execution_modes,
            framework_id: d.framework_id.as_deref(),
            innovative: d.innovative,
            ccag: d.ccag.as_deref(),
            offers_received: d.offers_received,
            advance_paid: d.advance_paid,
            advance_rate_permille: d.advance_rate_permille,
            operator_grouping: d.operator_grouping.as_deref(),
            price_types: &d.price_types,
            subcontracting_declared: d.subcontracting_declared,
            social_considerations: &d.social_considerations,
            environmental_considerations: &d.environmental_considerations,
            public_subsidy: cents(d.public_subsidy),
            origin_eu: d.origin_eu.map(|s| s.to_string()),
            origin_france: d.origin_france.map(|s| s.to_string()),
            subcontracting_modifications: d
                .subcontracting_modifications
                .iter()
                .map(SubcontractingModificationV1::of)
                .collect(),
            execution_data: d.execution_data.iter().map(ExecutionDataV1::of).collect(),
        }
    }
}
