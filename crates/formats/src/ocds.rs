//! OCDS 1.1 export: release packages (`release-package-schema.json` of OCDS 1.1.5), one release
//! per contract, shaped as the French government's DECP → OCDS converter shapes them (Etalab's
//! `decp2ocds.jq` in `decp-rama`, whose test fixture `001_marche_simple` the tests reproduce).
//!
//! For a contract whose buyer has SIRET `S` and whose DECP id is `I`:
//! - `ocid` = prefix + `-` + `S` + `I` (the DECP "uid"; France's prefix is `ocds-78apv2`), and
//!   the release `id` = ocid + `-` + the number of modifications on two digits (`-00`, `-01`…),
//!   so each republication after a modification is a new release of the same process;
//! - `decpUID` = `S` + `I`, the converter's extension field linking back to the DECP record;
//! - parties: the buyer `FR-RCS-S-buyer` (role `buyer`), each current titulaire or
//!   concessionnaire `FR-RCS-<siret>-supplier` (another identifier type `T` gives
//!   `T-<id>-supplier`), distinct by identifier and sorted by it, as the converter's
//!   `unique_by(.id)` does. Names come from the contract (DECP 1.x published them) or from the
//!   caller's lookup, and are left out when neither knows them;
//!   The identifier scheme is `FR-RCS` for a valid SIRET: org-id.guide's register lists
//!   SIREN and SIRET numbers under `FR-RCS` (its list `lists/fr/fr-rcs.json` in
//!   github.com/org-id/register; `FR-INSEE`, the SIRENE register itself, is deprecated there
//!   "in favour of FR-RCS"). An identifier the register has no scheme for (a TVA number, a
//!   TAHITI, RIDET or foreign one, a SIRET that fails its check) is published without a
//!   `scheme`, rather than under a code that is not the register's;
//! - one award (`-award-1`, status `active`, date of notification, initial amount and duration)
//!   and one contract (`-contract-1`, current amount and duration after modifications, status
//!   `pending` without modification and `active` with, as the converter does), each with one
//!   item carrying the CPV code. Durations in months become `durationInDays` = ⌊months × 30.5⌋;
//! - modifications become `contracts[0].amendments`, in publication order, and the tags
//!   `award`, `contract` gain `awardUpdate` (a modification named new titulaires) and
//!   `contractAmendment`. A package holds every version of a contract: the release `-00` as
//!   first published, then one release per modification (`-01`, `-02`…) with the values after
//!   it, so that each amendment's `amendsReleaseID` and `releaseID` name releases of the same
//!   package ([`releases`]; [`release`] is the last of them);
//! - an award without a known titulaire has no `suppliers` (OCDS wants no empty list);
//! - a date is a day in France: its midnight in Paris, with Paris' offset that day
//!   (`2019-01-28T00:00:00+01:00`, `2019-07-01T00:00:00+02:00`, summer time by the EU rule:
//!   from the last Sunday of March to the last Sunday of October). The release date is the
//!   publication date of its version (of the data, or of its last modification), or the
//!   package's date when unknown.
//!
//! A groupement de commandes lists every member as a party with the role `buyer`; the
//! coordinator (the contract's buyer) also has the role `procuringEntity` and is the tender's
//! `procuringEntity`. Pass the other members in [`ReleaseInput::co_buyers`].
//!
//! Concessions are exported the same way (the converter only converted marchés): the autorité
//! concédante is the buyer, the concessionnaires are the suppliers.
//!
//! Amounts are written from the integer cents in decimal notation (80000, 123456.89).

use std::io::{self, BufWriter, Write};

use chrono::{DateTime, Datelike, FixedOffset, NaiveDate, SecondsFormat, Weekday};
use mutualis_domain::contract::{Modification, Operator};
use mutualis_domain::{Amount, Contract, Siret};
use serde_json::{Map, Number, Value, json};

use crate::decp_write::euros_decimal;

/// The OCID prefix the Open Contracting Partnership gave France's aggregated DECP.
pub const FRANCE_OCID_PREFIX: &str = "ocds-78apv2";

/// What describes the package rather than the contracts in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OcdsOptions {
    /// The OCID prefix, [`FRANCE_OCID_PREFIX`] by default.
    pub ocid_prefix: String,
    /// The package's URI (required by OCDS): where this package can be downloaded.
    pub uri: String,
    /// When the package was published (or its content last changed).
    pub published_date: DateTime<FixedOffset>,
    pub publisher_name: String,
    /// The identifier scheme of `publisher_uid`, e.g. `FR-RCS` as the official converter says.
    pub publisher_scheme: Option<String>,
    pub publisher_uid: Option<String>,
    pub publisher_uri: Option<String>,
    /// The licence of the data, e.g. `https://www.etalab.gouv.fr/licence-ouverte-open-licence`.
    pub license: Option<String>,
    pub publication_policy: Option<String>,
}

impl OcdsOptions {
    /// Options with France's OCID prefix and no optional metadata.
    pub fn new(
        uri: impl Into<String>,
        publisher_name: impl Into<String>,
        published_date: DateTime<FixedOffset>,
    ) -> Self {
        OcdsOptions {
            ocid_prefix: FRANCE_OCID_PREFIX.to_owned(),
            uri: uri.into(),
            published_date,
            publisher_name: publisher_name.into(),
            publisher_scheme: None,
            publisher_uid: None,
            publisher_uri: None,
            license: None,
            publication_policy: None,
        }
    }
}

/// One contract to publish, with the other members of its groupement de commandes.
#[derive(Debug, Clone, Copy)]
pub struct ReleaseInput<'a> {
    pub contract: &'a Contract,
    /// The other buyers of a groupement; the contract's buyer is the coordinator. Empty for a
    /// contract with one buyer. A member equal to the coordinator, or listed twice, is
    /// listed once.
    pub co_buyers: &'a [Siret],
}

impl<'a> From<&'a Contract> for ReleaseInput<'a> {
    fn from(contract: &'a Contract) -> Self {
        ReleaseInput {
            contract,
            co_buyers: &[],
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum OcdsError {
    #[error("paquet OCDS vide : aucun contrat à publier (OCDS exige au moins une publication)")]
    Empty,
    #[error("écriture du paquet OCDS impossible : {0}")]
    Io(#[from] io::Error),
}

/// No names known beyond those the contracts carry.
pub fn no_names(_identifier: &str) -> Option<String> {
    None
}

/// The DECP "uid" of a contract: the buyer's SIRET followed by the contract's id.
pub fn decp_uid(c: &Contract) -> String {
    format!("{}{}", c.buyer, c.id)
}

/// The contracting process's OCID: `prefix-uid`.
pub fn ocid(c: &Contract, prefix: &str) -> String {
    format!("{prefix}-{}", decp_uid(c))
}

/// The release of one contract as it stands now, after every modification (the last of
/// [`releases`]). `names` gives the name of an organisation from its identifier (a SIRET, or
/// an operator's identifier of another type) when the contract does not carry it.
pub fn release(
    input: ReleaseInput<'_>,
    names: &impl Fn(&str) -> Option<String>,
    options: &OcdsOptions,
) -> Value {
    let modifications = input.contract.ordered_modifications().len();
    version_release(input, modifications, names, options)
}

/// Every release of one contract: as first published (`-00`), then after each modification
/// in publication order (`-01`, `-02`…), each amendment pointing to the releases before and
/// after it.
pub fn releases(
    input: ReleaseInput<'_>,
    names: &impl Fn(&str) -> Option<String>,
    options: &OcdsOptions,
) -> Vec<Value> {
    let modifications = input.contract.ordered_modifications().len();
    (0..=modifications)
        .map(|k| version_release(input, k, names, options))
        .collect()
}

/// The release of the contract after its first `applied` modifications (in publication order).
fn version_release(
    input: ReleaseInput<'_>,
    applied: usize,
    names: &impl Fn(&str) -> Option<String>,
    options: &OcdsOptions,
) -> Value {
    let ordered = input.contract.ordered_modifications();
    let latest = applied.checked_sub(1).and_then(|i| ordered.get(i)).copied();
    let version;
    let c = if applied == ordered.len() {
        input.contract
    } else {
        let mut truncated = input.contract.clone();
        truncated.modifications = ordered[..applied].iter().map(|m| (*m).clone()).collect();
        version = truncated;
        &version
    };
    let ocid = ocid(c, &options.ocid_prefix);
    let modifications = c.ordered_modifications();
    let groupement = input.co_buyers.iter().any(|s| *s != c.buyer);

    // Parties: the coordinator, the other buyers, then the suppliers.
    let buyer_name = c.buyer_name.clone().or_else(|| names(c.buyer.as_str()));
    let buyer_id = buyer_party_id(&c.buyer);
    let buyer_roles: &[&str] = if groupement {
        &["buyer", "procuringEntity"]
    } else {
        &["buyer"]
    };
    let mut parties = vec![party(
        &buyer_id,
        buyer_roles,
        Some(SIRET_SCHEME),
        c.buyer.as_str(),
        buyer_name.as_deref(),
    )];
    let mut co_buyers: Vec<&Siret> = Vec::new();
    for s in input.co_buyers {
        if *s != c.buyer && !co_buyers.contains(&s) {
            co_buyers.push(s);
        }
    }
    for s in co_buyers {
        let name = names(s.as_str());
        parties.push(party(
            &buyer_party_id(s),
            &["buyer"],
            Some(SIRET_SCHEME),
            s.as_str(),
            name.as_deref(),
        ));
    }
    let mut suppliers: Vec<&Operator> = Vec::new();
    for op in c.current_operators() {
        if !suppliers.iter().any(|o| o.id == op.id) {
            suppliers.push(op);
        }
    }
    suppliers.sort_by(|a, b| a.id.cmp(&b.id));
    let mut supplier_refs = Vec::new();
    for op in suppliers {
        let scheme = identifier_scheme(op);
        let id = supplier_party_id(op);
        let name = op.name.clone().or_else(|| names(&op.id));
        parties.push(party(&id, &["supplier"], scheme, &op.id, name.as_deref()));
        supplier_refs.push(reference(&id, name.as_deref()));
    }
    let buyer_ref = reference(&buyer_id, buyer_name.as_deref());

    let items = {
        let mut item = Map::new();
        item.insert("id".into(), format!("{ocid}-item-1").into());
        item.insert("description".into(), c.object.clone().into());
        if let Some(cpv) = c.cpv {
            item.insert(
                "classification".into(),
                json!({"scheme": "CPV", "id": cpv.to_string()}),
            );
        }
        Value::Array(vec![Value::Object(item)])
    };

    let award_id = format!("{ocid}-award-1");
    let mut award = Map::new();
    award.insert("id".into(), award_id.clone().into());
    award.insert("description".into(), c.object.clone().into());
    award.insert("status".into(), "active".into());
    if let Some(d) = c.notified_on {
        award.insert("date".into(), date_time(d).into());
    }
    if let Some(a) = c.amount {
        award.insert("value".into(), value(a));
    }
    if !supplier_refs.is_empty() {
        award.insert("suppliers".into(), Value::Array(supplier_refs));
    }
    award.insert("items".into(), items.clone());
    if let Some(m) = c.duration_months {
        award.insert("contractPeriod".into(), period(m));
    }

    let mut contract = Map::new();
    contract.insert("id".into(), format!("{ocid}-contract-1").into());
    contract.insert("awardID".into(), award_id.into());
    if let Some(a) = c.current_amount() {
        contract.insert("value".into(), value(a));
    }
    contract.insert("description".into(), c.object.clone().into());
    if let Some(m) = c.current_duration_months() {
        contract.insert("period".into(), period(m));
    }
    let status = if modifications.is_empty() {
        "pending"
    } else {
        "active"
    };
    contract.insert("status".into(), status.into());
    contract.insert("items".into(), items);
    if !modifications.is_empty() {
        let amendments = modifications
            .iter()
            .enumerate()
            .map(|(i, m)| amendment(&ocid, i + 1, m))
            .collect();
        contract.insert("amendments".into(), Value::Array(amendments));
    }

    let mut tag = vec!["award", "contract"];
    if !modifications.is_empty() {
        if modifications.iter().any(|m| !m.new_operators.is_empty()) {
            tag.push("awardUpdate");
        }
        tag.push("contractAmendment");
    }

    let mut r = Map::new();
    r.insert("ocid".into(), ocid.clone().into());
    r.insert("id".into(), release_id(&ocid, modifications.len()).into());
    r.insert("decpUID".into(), decp_uid(c).into());
    let published = match latest {
        Some(m) => m.published_on.or(m.signed_on),
        None => c.published_on,
    };
    let date = published.map_or_else(|| timestamp(&options.published_date), date_time);
    r.insert("date".into(), date.into());
    r.insert("language".into(), "fr".into());
    r.insert("tag".into(), json!(tag));
    r.insert("initiationType".into(), "tender".into());
    r.insert("parties".into(), Value::Array(parties));
    r.insert("buyer".into(), buyer_ref.clone());
    if groupement {
        r.insert(
            "tender".into(),
            json!({"id": format!("{ocid}-tender"), "procuringEntity": buyer_ref}),
        );
    }
    r.insert("awards".into(), json!([award]));
    r.insert("contracts".into(), json!([contract]));
    Value::Object(r)
}

/// A release package holding one release per contract.
pub fn release_package<'a, I>(
    inputs: I,
    names: &impl Fn(&str) -> Option<String>,
    options: &OcdsOptions,
) -> Result<Value, OcdsError>
where
    I: IntoIterator,
    I::Item: Into<ReleaseInput<'a>>,
{
    let releases: Vec<Value> = inputs
        .into_iter()
        .flat_map(|i| releases(i.into(), names, options))
        .collect();
    if releases.is_empty() {
        return Err(OcdsError::Empty);
    }
    let mut package: Map<String, Value> = package_header(options)
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect();
    package.insert("releases".into(), Value::Array(releases));
    Ok(Value::Object(package))
}

/// Writes a release package one release at a time (one per line; every version of each
/// contract, as [`releases`] gives them), and returns how many releases were written. Nothing
/// is written when there is no contract, which OCDS does not allow.
pub fn write_release_package<'a, I, W>(
    inputs: I,
    names: &impl Fn(&str) -> Option<String>,
    options: &OcdsOptions,
    out: W,
) -> Result<usize, OcdsError>
where
    I: IntoIterator,
    I::Item: Into<ReleaseInput<'a>>,
    W: Write,
{
    let mut inputs = inputs.into_iter().peekable();
    if inputs.peek().is_none() {
        return Err(OcdsError::Empty);
    }
    let mut out = BufWriter::new(out);
    out.write_all(b"{")?;
    for (key, value) in package_header(options) {
        serde_json::to_writer(&mut out, key).map_err(io::Error::from)?;
        out.write_all(b":")?;
        serde_json::to_writer(&mut out, &value).map_err(io::Error::from)?;
        out.write_all(b",")?;
    }
    out.write_all(b"\"releases\":[")?;
    let mut count = 0;
    for input in inputs {
        for r in releases(input.into(), names, options) {
            if count > 0 {
                out.write_all(b",")?;
            }
            out.write_all(b"\n")?;
            serde_json::to_writer(&mut out, &r).map_err(io::Error::from)?;
            count += 1;
        }
    }
    out.write_all(b"\n]}\n")?;
    out.flush()?;
    Ok(count)
}

fn package_header(options: &OcdsOptions) -> Vec<(&'static str, Value)> {
    let mut publisher = Map::new();
    publisher.insert("name".into(), options.publisher_name.clone().into());
    let optional = [
        ("scheme", &options.publisher_scheme),
        ("uid", &options.publisher_uid),
        ("uri", &options.publisher_uri),
    ];
    for (key, value) in optional {
        if let Some(v) = value {
            publisher.insert(key.into(), v.clone().into());
        }
    }
    let mut header = vec![
        ("version", Value::from("1.1")),
        ("uri", options.uri.clone().into()),
        ("publishedDate", timestamp(&options.published_date).into()),
        ("publisher", Value::Object(publisher)),
    ];
    if let Some(l) = &options.license {
        header.push(("license", l.clone().into()));
    }
    if let Some(p) = &options.publication_policy {
        header.push(("publicationPolicy", p.clone().into()));
    }
    header
}

fn release_id(ocid: &str, modifications: usize) -> String {
    format!("{ocid}-{modifications:02}")
}

fn buyer_party_id(siret: &Siret) -> String {
    format!("{SIRET_SCHEME}-{siret}-buyer")
}

/// org-id.guide's code for SIREN and SIRET numbers (see the module's documentation).
const SIRET_SCHEME: &str = "FR-RCS";

/// An operator's scheme in the org-id register: `FR-RCS` for a valid SIRET, none otherwise.
fn identifier_scheme(op: &Operator) -> Option<&'static str> {
    op.siret().map(|_| SIRET_SCHEME)
}

/// The party's local id: `FR-RCS-<siret>-supplier`, or `<DECP type>-<id>-supplier` for an
/// identifier the register has no scheme for.
fn supplier_party_id(op: &Operator) -> String {
    let prefix = identifier_scheme(op).unwrap_or(&op.id_type);
    format!("{prefix}-{}-supplier", op.id)
}

fn party(
    id: &str,
    roles: &[&str],
    scheme: Option<&str>,
    identifier: &str,
    name: Option<&str>,
) -> Value {
    let mut ident = Map::new();
    if let Some(scheme) = scheme {
        ident.insert("scheme".into(), scheme.into());
    }
    ident.insert("id".into(), identifier.into());
    let mut p = Map::new();
    if let Some(n) = name {
        p.insert("name".into(), n.into());
        ident.insert("legalName".into(), n.into());
    }
    p.insert("id".into(), id.into());
    p.insert("roles".into(), json!(roles));
    p.insert("identifier".into(), Value::Object(ident));
    Value::Object(p)
}

fn reference(id: &str, name: Option<&str>) -> Value {
    let mut r = Map::new();
    if let Some(n) = name {
        r.insert("name".into(), n.into());
    }
    r.insert("id".into(), id.into());
    Value::Object(r)
}

fn amendment(ocid: &str, sequence: usize, m: &Modification) -> Value {
    let mut a = Map::new();
    a.insert("id".into(), format!("{ocid}-amendment-{sequence}").into());
    if let Some(d) = m.signed_on.or(m.published_on) {
        a.insert("date".into(), date_time(d).into());
    }
    if let Some(o) = &m.object {
        a.insert("rationale".into(), o.clone().into());
    }
    a.insert(
        "amendsReleaseID".into(),
        release_id(ocid, sequence - 1).into(),
    );
    a.insert("releaseID".into(), release_id(ocid, sequence).into());
    Value::Object(a)
}

/// `{"amount": 80000, "currency": "EUR"}`, the amount formatted from the cents.
fn value(a: Amount) -> Value {
    // A decimal with at most two decimals always parses as a JSON number.
    let amount = euros_decimal(a)
        .parse::<Number>()
        .map_or(Value::Null, Value::Number);
    json!({"amount": amount, "currency": "EUR"})
}

/// The converter's duration: ⌊months × 30.5⌋ days.
fn period(months: u32) -> Value {
    json!({"durationInDays": u64::from(months) * 61 / 2})
}

/// A French day as an OCDS date-time: its midnight in Paris, with Paris' offset that day.
fn date_time(d: NaiveDate) -> String {
    let offset = if paris_summer_time_at_midnight(d) {
        "+02:00"
    } else {
        "+01:00"
    };
    format!("{}T00:00:00{offset}", d.format("%Y-%m-%d"))
}

/// Whether Paris is on summer time (UTC+2) at the midnight that starts `d`. Summer time runs
/// from 01:00 UTC on the last Sunday of March to 01:00 UTC on the last Sunday of October
/// (Directive 2000/84/EC, the rule since 1996; from 1981 to 1995 it ended on the last Sunday
/// of September, which is applied to those years). Midnight of the last Sunday of March is
/// still winter time (the change comes at 02:00), midnight of the last Sunday of October
/// still summer time (the change comes at 03:00).
fn paris_summer_time_at_midnight(d: NaiveDate) -> bool {
    let year = d.year();
    let end_month = if year >= 1996 { 10 } else { 9 };
    match (last_sunday(year, 3), last_sunday(year, end_month)) {
        (Some(start), Some(end)) => start < d && d <= end,
        _ => false,
    }
}

/// The last Sunday of a month.
fn last_sunday(year: i32, month: u32) -> Option<NaiveDate> {
    let next = if month == 12 {
        NaiveDate::from_ymd_opt(year + 1, 1, 1)
    } else {
        NaiveDate::from_ymd_opt(year, month + 1, 1)
    }?;
    let last = next.pred_opt()?;
    let back = last.weekday().num_days_from_sunday();
    last.checked_sub_days(chrono::Days::new(u64::from(back)))
        .filter(|d| d.weekday() == Weekday::Sun)
}

fn timestamp(t: &DateTime<FixedOffset>) -> String {
    t.to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_follow_the_converter() {
        assert_eq!(period(39), json!({"durationInDays": 1189}));
        assert_eq!(period(12), json!({"durationInDays": 366}));
        assert_eq!(period(1), json!({"durationInDays": 30}));
    }

    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn days_are_paris_midnights_with_the_offset_of_that_day() {
        assert_eq!(date_time(day("2019-01-28")), "2019-01-28T00:00:00+01:00");
        assert_eq!(date_time(day("2019-07-01")), "2019-07-01T00:00:00+02:00");
        // 2019: summer time from Sunday 31 March to Sunday 27 October.
        for (d, summer) in [
            ("2019-03-30", false),
            ("2019-03-31", false),
            ("2019-04-01", true),
            ("2019-10-26", true),
            ("2019-10-27", true),
            ("2019-10-28", false),
            ("2019-12-31", false),
            // 2024: 31 March and 27 October; 2026: 29 March and 25 October.
            ("2024-03-31", false),
            ("2024-04-01", true),
            ("2024-10-27", true),
            ("2024-10-28", false),
            ("2026-03-29", false),
            ("2026-03-30", true),
            ("2026-10-25", true),
            ("2026-10-26", false),
            // 1995 ended on the last Sunday of September (24 September).
            ("1995-09-24", true),
            ("1995-09-25", false),
        ] {
            assert_eq!(paris_summer_time_at_midnight(day(d)), summer, "{d}");
        }
        assert_eq!(last_sunday(2019, 3), Some(day("2019-03-31")));
        assert_eq!(last_sunday(2020, 12), Some(day("2020-12-27")));
        assert_eq!(last_sunday(2021, 2), Some(day("2021-02-28")));
    }

    #[test]
    fn amounts_are_exact_decimals() {
        let v = value(Amount::from_cents(12_345_689));
        assert_eq!(v.to_string(), r#"{"amount":123456.89,"currency":"EUR"}"#);
        let v = value(Amount::from_euros(80_000));
        assert_eq!(v.to_string(), r#"{"amount":80000,"currency":"EUR"}"#);
    }
}
