//! A DECP 2.0 JSON marché read straight into what the opportunity engine needs
//! ([`FactsView`]), without building a `serde_json::Value` or a whole [`Contract`].
//!
//! This is only a shortcut: it answers a view when the record is one that the full
//! conversion ([`super::convert`]) accepts, and `None` whenever it is not sure, so that the
//! caller falls back to the full conversion (which then accepts the record or rejects it
//! exactly as before). To be sure, it checks every field the conversion checks, with the same
//! helpers, and reads the shapes of the common case only (no modifications, no
//! subcontracting, titulaires as a list of objects…). Fields it does not need are still
//! walked through serde_json's `deserialize_any`, as `serde_json::Value` is, so that the
//! syntax, UTF-8, number range and nesting depth are checked the same way: a record it
//! accepts is one that parses as a `Value`. A text longer than [`MAX_TEXT_CHARS`] bytes,
//! anywhere in the record, sends it to the full conversion, which applies the limit.
//!
//! [`Contract`]: mutualis_domain::Contract

use std::borrow::Cow;
use std::fmt;

use chrono::{Months, NaiveDate};
use mutualis_domain::plausibility::placeholders::{REPEATED_DIGIT_ID_LEN, is_repeated_digit};
use mutualis_domain::{Amount, CpvCode, CpvNomenclature, Share, Siren, Siret};
use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::Number;

use super::convert::{
    CpvRead, boolean_text, is_test_object, number_text, parse_date, permille_of, read_cpv,
    whole_of_number, whole_of_text,
};
use super::{MAX_DURATION_MONTHS, MAX_TEXT_CHARS};
use crate::decp_vocab::{
    Ccag, EnvironmentalConsideration, ExecutionMode, IdentifierScheme, Nature, OperatorGrouping,
    PlaceCodeType, PriceForm, PriceType, Procedure, SocialConsideration, Technique,
};

/// What the opportunity engine reads of a DECP 2.0 marché, borrowed from the record's text
/// when it can be. Its values are those the full conversion would give the contract
/// (`Contract::end_date`, `current_amount`…, trimmed texts).
#[derive(Debug, Clone, PartialEq)]
pub struct FactsView<'r> {
    pub id: Cow<'r, str>,
    pub buyer: Siret,
    pub buyer_name: Option<Cow<'r, str>>,
    pub object: Cow<'r, str>,
    pub cpv: Option<CpvCode>,
    pub notified_on: Option<NaiveDate>,
    pub published_on: Option<NaiveDate>,
    pub duration_months: Option<u32>,
    pub amount: Option<Amount>,
    /// The SIRENs of the titulaires that have a valid SIRET (not a placeholder of one
    /// repeated digit, as `Operator::siret`).
    pub suppliers: Vec<Siren>,
    /// The CCAG the marché refers to, a DECP 2.0 code.
    pub ccag: Option<Cow<'r, str>>,
}

impl FactsView<'_> {
    /// As `Contract::end_date`: notification plus duration (a record read here has no
    /// modification and, being a marché, no start of execution).
    pub fn ends_on(&self) -> Option<NaiveDate> {
        let start = self.notified_on?;
        let months = self.duration_months?;
        start.checked_add_months(Months::new(months))
    }

    /// As the number of modifications the contract has: none.
    pub fn modifications(&self) -> usize {
        0
    }
}

/// The view of a DECP 2.0 marché's text, or `None` when the full conversion must decide.
pub(super) fn marche<'r>(bytes: &'r [u8], cpv: &CpvNomenclature) -> Option<FactsView<'r>> {
    // One check of the whole record's UTF-8 (fast over ASCII) instead of one per string; a
    // record that fails it goes to the full conversion, which names the error as before.
    let text = std::str::from_utf8(bytes).ok()?;
    let raw: RawMarche<'r> = serde_json::from_str(text).ok()?;
    raw.check(cpv)
}

// ---------------------------------------------------------------------------------------------
// Values as read.

/// Any JSON value, checked as `serde_json::Value` would parse it, kept nowhere.
struct Validate;

impl<'de> de::Deserialize<'de> for Validate {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(ValidateVisitor)
    }
}

struct ValidateVisitor;

/// A text the conversion may find too long ([`MAX_TEXT_CHARS`], in bytes here: a shorter
/// text in characters may be sent to the full conversion too, which then decides).
fn short<E: de::Error>(s: &str) -> Result<&str, E> {
    if s.len() > MAX_TEXT_CHARS {
        Err(E::custom("a long text"))
    } else {
        Ok(s)
    }
}

impl<'de> Visitor<'de> for ValidateVisitor {
    type Value = Validate;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_bool<E>(self, _: bool) -> Result<Validate, E> {
        Ok(Validate)
    }
    fn visit_i64<E>(self, _: i64) -> Result<Validate, E> {
        Ok(Validate)
    }
    fn visit_u64<E>(self, _: u64) -> Result<Validate, E> {
        Ok(Validate)
    }
    fn visit_f64<E>(self, _: f64) -> Result<Validate, E> {
        Ok(Validate)
    }
    fn visit_str<E: de::Error>(self, s: &str) -> Result<Validate, E> {
        short(s)?;
        Ok(Validate)
    }
    fn visit_unit<E>(self) -> Result<Validate, E> {
        Ok(Validate)
    }
    fn visit_none<E>(self) -> Result<Validate, E> {
        Ok(Validate)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Validate, A::Error> {
        while seq.next_element::<Validate>()?.is_some() {}
        Ok(Validate)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Validate, A::Error> {
        let mut keys = Keys::default();
        while let Some(Key(key)) = map.next_key::<Key<'de>>()? {
            keys.add(key)?;
            map.next_value::<Validate>()?;
        }
        Ok(Validate)
    }
}

/// The keys of one object not read into a field, to find one given twice (which the full
/// conversion rejects): few per object, compared one by one.
#[derive(Default)]
struct Keys<'de>(Vec<Cow<'de, str>>);

impl<'de> Keys<'de> {
    fn add<E: de::Error>(&mut self, key: Cow<'de, str>) -> Result<(), E> {
        if self.0.contains(&key) {
            return Err(E::custom("duplicate key"));
        }
        self.0.push(key);
        Ok(())
    }
}

/// A key, borrowed when it has no escape.
struct Key<'de>(Cow<'de, str>);

impl<'de> de::Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a key")
            }
            fn visit_borrowed_str<E>(self, s: &'de str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Borrowed(s)))
            }
            fn visit_str<E>(self, s: &str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(s.to_owned())))
            }
        }
        d.deserialize_str(V)
    }
}

/// A scalar: `null`, a boolean, a number or a string. A list or an object is an error (and
/// the record goes to the full conversion).
#[derive(Debug)]
enum Scalar<'de> {
    Null,
    Bool,
    Num(Number),
    Str(Cow<'de, str>),
}

impl<'de> de::Deserialize<'de> for Scalar<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Scalar<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a scalar")
            }
            fn visit_bool<E>(self, _: bool) -> Result<Scalar<'de>, E> {
                Ok(Scalar::Bool)
            }
            fn visit_i64<E>(self, n: i64) -> Result<Scalar<'de>, E> {
                Ok(Scalar::Num(n.into()))
            }
            fn visit_u64<E>(self, n: u64) -> Result<Scalar<'de>, E> {
                Ok(Scalar::Num(n.into()))
            }
            fn visit_f64<E: de::Error>(self, n: f64) -> Result<Scalar<'de>, E> {
                Number::from_f64(n)
                    .map(Scalar::Num)
                    .ok_or_else(|| E::custom("not finite"))
            }
            fn visit_borrowed_str<E: de::Error>(self, s: &'de str) -> Result<Scalar<'de>, E> {
                Ok(Scalar::Str(Cow::Borrowed(short(s)?)))
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<Scalar<'de>, E> {
                Ok(Scalar::Str(Cow::Owned(short(s)?.to_owned())))
            }
            fn visit_unit<E>(self) -> Result<Scalar<'de>, E> {
                Ok(Scalar::Null)
            }
            fn visit_none<E>(self) -> Result<Scalar<'de>, E> {
                Ok(Scalar::Null)
            }
        }
        d.deserialize_any(V)
    }
}

/// Not sure: the full conversion decides.
struct Unsure;

type Check<T> = Result<T, Unsure>;

/// As `Obj::get`: `null` and blank strings are absent.
fn present<'a, 'de>(s: &'a Option<Scalar<'de>>) -> Option<&'a Scalar<'de>> {
    match s {
        None | Some(Scalar::Null) => None,
        Some(Scalar::Str(t)) if t.trim().is_empty() => None,
        Some(v) => Some(v),
    }
}

/// As `Obj::text`: a string trimmed, or a number's decimal text.
fn text<'de>(s: &Option<Scalar<'de>>) -> Check<Option<Cow<'de, str>>> {
    match present(s) {
        None => Ok(None),
        Some(Scalar::Str(Cow::Borrowed(t))) => Ok(Some(Cow::Borrowed(t.trim()))),
        Some(Scalar::Str(Cow::Owned(t))) => Ok(Some(Cow::Owned(t.trim().to_owned()))),
        Some(Scalar::Num(n)) => Ok(Some(Cow::Owned(number_text(n)))),
        Some(_) => Err(Unsure),
    }
}

fn required<'de>(s: &Option<Scalar<'de>>) -> Check<Cow<'de, str>> {
    text(s)?.ok_or(Unsure)
}

/// As `Obj::label` and `Obj::one_of` for DECP 2.0: absent, or one of `allowed`.
fn one_of(s: &Option<Scalar<'_>>, allowed: &[&'static str]) -> Check<()> {
    match text(s)? {
        None => Ok(()),
        Some(v) if allowed.contains(&v.as_ref()) => Ok(()),
        Some(_) => Err(Unsure),
    }
}

fn date(s: &Option<Scalar<'_>>) -> Check<Option<NaiveDate>> {
    match present(s) {
        None => Ok(None),
        Some(Scalar::Str(t)) => parse_date(t).map(Some).map_err(|_| Unsure),
        Some(_) => Err(Unsure),
    }
}

fn amount(s: &Option<Scalar<'_>>, min_cents: i64) -> Check<Option<Amount>> {
    let text = match present(s) {
        None => return Ok(None),
        Some(Scalar::Num(n)) => Cow::Owned(number_text(n)),
        Some(Scalar::Str(t)) => Cow::Borrowed(t.trim()),
        Some(_) => return Err(Unsure),
    };
    match Amount::parse_euros(&text) {
        Ok(a) if a.cents() >= min_cents => Ok(Some(a)),
        _ => Err(Unsure),
    }
}

/// As `Obj::months` and `Obj::count`: a whole number between `min` and `max`.
fn whole(s: &Option<Scalar<'_>>, min: u32, max: u32) -> Check<Option<u32>> {
    let n = match present(s) {
        None => return Ok(None),
        Some(Scalar::Num(n)) => whole_of_number(n),
        Some(Scalar::Str(t)) => whole_of_text(t),
        Some(_) => None,
    };
    match n.and_then(|n| u32::try_from(n).ok()) {
        Some(n) if (min..=max).contains(&n) => Ok(Some(n)),
        _ => Err(Unsure),
    }
}

fn boolean(s: &Option<Scalar<'_>>) -> Check<()> {
    let b = match present(s) {
        None => return Ok(()),
        Some(Scalar::Bool) => true,
        Some(Scalar::Num(n)) => matches!(n.as_u64(), Some(0 | 1)),
        Some(Scalar::Str(t)) => boolean_text(t).is_some(),
        Some(Scalar::Null) => false,
    };
    if b { Ok(()) } else { Err(Unsure) }
}

fn permille(s: &Option<Scalar<'_>>) -> Check<()> {
    let ok = match present(s) {
        None => return Ok(()),
        Some(Scalar::Num(n)) => permille_of(&number_text(n)).is_some(),
        Some(Scalar::Str(t)) => permille_of(t.trim()).is_some(),
        Some(_) => false,
    };
    if ok { Ok(()) } else { Err(Unsure) }
}

/// As `Obj::share`: a number or numeric text between 0 and 1.
fn share(s: &Option<Scalar<'_>>) -> Check<()> {
    let ok = match present(s) {
        None => return Ok(()),
        Some(Scalar::Num(n)) => Share::parse(&number_text(n)).is_ok(),
        Some(Scalar::Str(t)) => Share::parse(t).is_ok(),
        Some(_) => false,
    };
    if ok { Ok(()) } else { Err(Unsure) }
}

// ---------------------------------------------------------------------------------------------
// Objects as read: the fields the conversion reads, the others walked and dropped. A key
// given twice sends the record to the full conversion.

/// Sets a field once.
fn once<T, E: de::Error>(slot: &mut Option<T>, value: T) -> Result<(), E> {
    if slot.is_some() {
        return Err(E::custom("duplicate field"));
    }
    *slot = Some(value);
    Ok(())
}

/// Reads a map's entries: `field` is given each known key and the map, and answers `false`
/// for a key it does not know, whose value is then walked.
fn read_map<'de, A: MapAccess<'de>>(
    mut map: A,
    mut field: impl FnMut(&str, &mut A) -> Result<bool, A::Error>,
) -> Result<(), A::Error> {
    let mut others = Keys::default();
    while let Some(Key(key)) = map.next_key::<Key<'de>>()? {
        if !field(&key, &mut map)? {
            map.next_value::<Validate>()?;
            others.add(key)?;
        }
    }
    Ok(())
}

#[derive(Default)]
struct RawBuyer<'de> {
    id: Option<Scalar<'de>>,
    nom: Option<Scalar<'de>>,
}

#[derive(Default)]
struct RawPlace<'de> {
    code: Option<Scalar<'de>>,
    type_code: Option<Scalar<'de>>,
}

#[derive(Default)]
struct RawOperator<'de> {
    id: Option<Scalar<'de>>,
    id_type: Option<Scalar<'de>>,
    name: Option<Scalar<'de>>,
}

/// An element of `titulaires`: an operator, or `{"titulaire": operator}`.
#[derive(Default)]
struct RawOperatorItem<'de> {
    wrapped: Option<RawOperator<'de>>,
    fields: RawOperator<'de>,
}

macro_rules! object_visitor {
    ($name:ident, $ty:ident, |$key:ident, $map:ident, $out:ident| $body:block) => {
        struct $name;
        impl<'de> Visitor<'de> for $name {
            type Value = $ty<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object")
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<$ty<'de>, A::Error> {
                let mut $out = $ty::default();
                read_map(map, |$key, $map| $body)?;
                Ok($out)
            }
        }
        impl<'de> de::Deserialize<'de> for $ty<'de> {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                d.deserialize_map($name)
            }
        }
    };
}

object_visitor!(BuyerVisitor, RawBuyer, |key, map, out| {
    match key {
        "id" => once(&mut out.id, map.next_value()?)?,
        "nom" => once(&mut out.nom, map.next_value()?)?,
        _ => return Ok(false),
    }
    Ok(true)
});

object_visitor!(PlaceVisitor, RawPlace, |key, map, out| {
    match key {
        "code" => once(&mut out.code, map.next_value()?)?,
        "typeCode" => once(&mut out.type_code, map.next_value()?)?,
        _ => return Ok(false),
    }
    Ok(true)
});

object_visitor!(OperatorVisitor, RawOperator, |key, map, out| {
    match key {
        "id" => once(&mut out.id, map.next_value()?)?,
        "typeIdentifiant" => once(&mut out.id_type, map.next_value()?)?,
        "denominationSociale" => once(&mut out.name, map.next_value()?)?,
        _ => return Ok(false),
    }
    Ok(true)
});

object_visitor!(OperatorItemVisitor, RawOperatorItem, |key, map, out| {
    match key {
        // `null` is not an operator: `RawOperator` refuses it.
        "titulaire" => once(&mut out.wrapped, map.next_value::<RawOperator<'de>>()?)?,
        "id" => once(&mut out.fields.id, map.next_value()?)?,
        "typeIdentifiant" => once(&mut out.fields.id_type, map.next_value()?)?,
        "denominationSociale" => once(&mut out.fields.name, map.next_value()?)?,
        _ => return Ok(false),
    }
    Ok(true)
});

/// A 2.0 list of values as `Obj::enum_list` reads it: `{"technique": […]}`, a bare list or a
/// single value; the values to check.
struct EnumListSeed(&'static str);

struct EnumList<'de>(Vec<Scalar<'de>>);

impl<'de> DeserializeSeed<'de> for EnumListSeed {
    type Value = EnumList<'de>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<EnumList<'de>, D::Error> {
        d.deserialize_any(EnumListVisitor { item: Some(self.0) })
    }
}

/// `item`: the wrapper's key, `None` inside it.
struct EnumListVisitor {
    item: Option<&'static str>,
}

impl<'de> Visitor<'de> for EnumListVisitor {
    type Value = EnumList<'de>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a list of values")
    }
    fn visit_bool<E>(self, _: bool) -> Result<EnumList<'de>, E> {
        Ok(EnumList(vec![Scalar::Bool]))
    }
    fn visit_i64<E>(self, n: i64) -> Result<EnumList<'de>, E> {
        Ok(EnumList(vec![Scalar::Num(n.into())]))
    }
    fn visit_u64<E>(self, n: u64) -> Result<EnumList<'de>, E> {
        Ok(EnumList(vec![Scalar::Num(n.into())]))
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<EnumList<'de>, E> {
        Err(E::custom("a number is no value of a list"))
    }
    fn visit_borrowed_str<E: de::Error>(self, s: &'de str) -> Result<EnumList<'de>, E> {
        Ok(EnumList(vec![Scalar::Str(Cow::Borrowed(short(s)?))]))
    }
    fn visit_str<E: de::Error>(self, s: &str) -> Result<EnumList<'de>, E> {
        Ok(EnumList(vec![Scalar::Str(Cow::Owned(
            short(s)?.to_owned(),
        ))]))
    }
    fn visit_unit<E>(self) -> Result<EnumList<'de>, E> {
        Ok(EnumList(Vec::new()))
    }
    fn visit_none<E>(self) -> Result<EnumList<'de>, E> {
        Ok(EnumList(Vec::new()))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<EnumList<'de>, A::Error> {
        let mut values = Vec::new();
        while let Some(v) = seq.next_element::<Scalar<'de>>()? {
            values.push(v);
        }
        Ok(EnumList(values))
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<EnumList<'de>, A::Error> {
        let Some(item) = self.item else {
            return Err(de::Error::custom("an object inside a list's wrapper"));
        };
        let mut found: Option<EnumList<'de>> = None;
        read_map(map, |key, map| {
            if key != item {
                return Ok(false);
            }
            let inner = map.next_value_seed(InnerSeed)?;
            once(&mut found, inner)?;
            Ok(true)
        })?;
        Ok(found.unwrap_or(EnumList(Vec::new())))
    }
}

/// The value inside `{"technique": …}`.
struct InnerSeed;

impl<'de> DeserializeSeed<'de> for InnerSeed {
    type Value = EnumList<'de>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<EnumList<'de>, D::Error> {
        d.deserialize_any(EnumListVisitor { item: None })
    }
}

/// A list that must be empty (`modifications`, `actesSousTraitance`): `null`, `[]` or a
/// blank string; anything else goes to the full conversion.
struct Nothing;

impl<'de> de::Deserialize<'de> for Nothing {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Nothing;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("nothing")
            }
            fn visit_unit<E>(self) -> Result<Nothing, E> {
                Ok(Nothing)
            }
            fn visit_none<E>(self) -> Result<Nothing, E> {
                Ok(Nothing)
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<Nothing, E> {
                if s.trim().is_empty() {
                    Ok(Nothing)
                } else {
                    Err(E::custom("not blank"))
                }
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Nothing, A::Error> {
                match seq.next_element::<Validate>()? {
                    None => Ok(Nothing),
                    Some(_) => Err(de::Error::custom("not empty")),
                }
            }
        }
        d.deserialize_any(V)
    }
}

/// A DECP 2.0 marché as read.
#[derive(Default)]
struct RawMarche<'de> {
    id: Option<Scalar<'de>>,
    buyer: Option<RawBuyer<'de>>,
    nature: Option<Scalar<'de>>,
    object: Option<Scalar<'de>>,
    cpv: Option<Scalar<'de>>,
    procedure: Option<Scalar<'de>>,
    place: Option<RawPlace<'de>>,
    duration: Option<Scalar<'de>>,
    notified: Option<Scalar<'de>>,
    published: Option<Scalar<'de>>,
    amount: Option<Scalar<'de>>,
    price_form: Option<Scalar<'de>>,
    operators: Option<Vec<RawOperatorItem<'de>>>,
    techniques: Option<EnumList<'de>>,
    execution_modes: Option<EnumList<'de>>,
    framework_id: Option<Scalar<'de>>,
    innovative: Option<Scalar<'de>>,
    ccag: Option<Scalar<'de>>,
    offers: Option<Scalar<'de>>,
    advance_paid: Option<Scalar<'de>>,
    advance_rate: Option<Scalar<'de>>,
    grouping: Option<Scalar<'de>>,
    subcontracting_declared: Option<Scalar<'de>>,
    price_types: Option<EnumList<'de>>,
    social: Option<EnumList<'de>>,
    environmental: Option<EnumList<'de>>,
    origin_eu: Option<Scalar<'de>>,
    origin_france: Option<Scalar<'de>>,
    subcontracting: Option<Nothing>,
    subcontracting_modifications: Option<Nothing>,
    modifications: Option<Nothing>,
}

object_visitor!(MarcheVisitor, RawMarche, |key, map, out| {
    match key {
        "id" => once(&mut out.id, map.next_value()?)?,
        // `null` or a blank string is no buyer: `RawBuyer` refuses them.
        "acheteur" => once(&mut out.buyer, map.next_value::<RawBuyer<'de>>()?)?,
        "nature" => once(&mut out.nature, map.next_value()?)?,
        "objet" => once(&mut out.object, map.next_value()?)?,
        "codeCPV" => once(&mut out.cpv, map.next_value()?)?,
        "procedure" => once(&mut out.procedure, map.next_value()?)?,
        // `null` is no place, which the conversion allows.
        "lieuExecution" => {
            let place: Option<RawPlace<'de>> = map.next_value()?;
            once(&mut out.place, place.unwrap_or_default())?
        }
        "dureeMois" => once(&mut out.duration, map.next_value()?)?,
        "dateNotification" => once(&mut out.notified, map.next_value()?)?,
        "datePublicationDonnees" => once(&mut out.published, map.next_value()?)?,
        "montant" => once(&mut out.amount, map.next_value()?)?,
        "formePrix" => once(&mut out.price_form, map.next_value()?)?,
        "titulaires" => {
            let items: Option<Vec<RawOperatorItem<'de>>> = map.next_value()?;
            once(&mut out.operators, items.unwrap_or_default())?
        }
        "techniques" => once(
            &mut out.techniques,
            map.next_value_seed(EnumListSeed("technique"))?,
        )?,
        "modalitesExecution" => once(
            &mut out.execution_modes,
            map.next_value_seed(EnumListSeed("modaliteExecution"))?,
        )?,
        "idAccordCadre" => once(&mut out.framework_id, map.next_value()?)?,
        "marcheInnovant" => once(&mut out.innovative, map.next_value()?)?,
        "ccag" => once(&mut out.ccag, map.next_value()?)?,
        "offresRecues" => once(&mut out.offers, map.next_value()?)?,
        "attributionAvance" => once(&mut out.advance_paid, map.next_value()?)?,
        "tauxAvance" => once(&mut out.advance_rate, map.next_value()?)?,
        "typeGroupementOperateurs" => once(&mut out.grouping, map.next_value()?)?,
        "sousTraitanceDeclaree" => once(&mut out.subcontracting_declared, map.next_value()?)?,
        "typesPrix" => once(
            &mut out.price_types,
            map.next_value_seed(EnumListSeed("typePrix"))?,
        )?,
        "considerationsSociales" => once(
            &mut out.social,
            map.next_value_seed(EnumListSeed("considerationSociale"))?,
        )?,
        "considerationsEnvironnementales" => once(
            &mut out.environmental,
            map.next_value_seed(EnumListSeed("considerationEnvironnementale"))?,
        )?,
        "origineUE" => once(&mut out.origin_eu, map.next_value()?)?,
        "origineFrance" => once(&mut out.origin_france, map.next_value()?)?,
        "actesSousTraitance" => once(&mut out.subcontracting, map.next_value()?)?,
        "modificationsActesSousTraitance" => {
            once(&mut out.subcontracting_modifications, map.next_value()?)?
        }
        "modifications" => once(&mut out.modifications, map.next_value()?)?,
        _ => return Ok(false),
    }
    Ok(true)
});

/// As `Obj::enum_list`: every value a string of `allowed` (trimmed).
fn enum_list(list: &Option<EnumList<'_>>, allowed: &[&'static str]) -> Check<()> {
    let Some(EnumList(values)) = list else {
        return Ok(());
    };
    // A blank string alone is an absent list.
    if let [Scalar::Str(s)] = values.as_slice()
        && s.trim().is_empty()
    {
        return Err(Unsure);
    }
    for v in values {
        match v {
            Scalar::Str(s) if allowed.contains(&s.trim()) => {}
            _ => return Err(Unsure),
        }
    }
    Ok(())
}

/// As `operator`: an `id`, a `typeIdentifiant` of DECP 2.0, a text name; its SIREN when it
/// is a valid SIRET.
fn operator(op: &RawOperator<'_>) -> Check<Option<Siren>> {
    let id = required(&op.id)?;
    let id_type = required(&op.id_type)?;
    if !IdentifierScheme::is_published_scheme(false, &id_type) {
        return Err(Unsure);
    }
    text(&op.name)?;
    let placeholder = is_repeated_digit(&id, REPEATED_DIGIT_ID_LEN);
    Ok((id_type == "SIRET" && !placeholder)
        .then(|| Siret::parse(&id).ok())
        .flatten()
        .map(|s| s.siren()))
}

impl<'de> RawMarche<'de> {
    /// Every check of the conversion of a DECP 2.0 marché (`convert::contract`), in any order:
    /// the record is accepted when all pass.
    fn check(self, nomenclature: &CpvNomenclature) -> Option<FactsView<'de>> {
        self.checked(nomenclature).ok()
    }

    fn checked(self, nomenclature: &CpvNomenclature) -> Check<FactsView<'de>> {
        let id = required(&self.id)?;
        let buyer = self.buyer.as_ref().ok_or(Unsure)?;
        let buyer_id = required(&buyer.id)?;
        // The conversion's repairs of the buyer's SIRET and of the CPV code, decided by the
        // same functions: the record counts the same on both paths.
        let (siret, _) = Siret::parse_noting(&buyer_id).map_err(|_| Unsure)?;
        let buyer_name = text(&buyer.nom)?;
        one_of(&self.nature, Nature::MARCHE_CODES)?;
        let object = required(&self.object)?;
        if is_test_object(&object) {
            return Err(Unsure);
        }
        let cpv = match text(&self.cpv)? {
            None => None,
            Some(code) => match read_cpv(&code, nomenclature) {
                CpvRead::Exact(c) | CpvRead::Repaired(c, _) => Some(c),
                CpvRead::Dropped(_) => None,
            },
        };
        one_of(&self.procedure, Procedure::MARCHE_CODES)?;
        if let Some(place) = &self.place
            && text(&place.code)?.is_some()
        {
            match text(&place.type_code)? {
                Some(t) if PlaceCodeType::CODES.contains(&t.as_ref()) => {}
                _ => return Err(Unsure),
            }
        }
        let duration_months = whole(&self.duration, 1, MAX_DURATION_MONTHS)?;
        let notified_on = date(&self.notified)?;
        let published_on = date(&self.published)?;
        let amount = amount(&self.amount, 100)?;
        one_of(&self.price_form, PriceForm::CODES)?;
        let mut suppliers = Vec::new();
        for item in self.operators.iter().flatten() {
            let op = item.wrapped.as_ref().unwrap_or(&item.fields);
            if let Some(siren) = operator(op)? {
                suppliers.push(siren);
            }
        }
        enum_list(&self.techniques, Technique::CODES)?;
        enum_list(&self.execution_modes, ExecutionMode::CODES)?;
        text(&self.framework_id)?;
        boolean(&self.innovative)?;
        one_of(&self.ccag, Ccag::CODES)?;
        let ccag = text(&self.ccag)?;
        whole(&self.offers, 1, u32::MAX)?;
        boolean(&self.advance_paid)?;
        permille(&self.advance_rate)?;
        one_of(&self.grouping, OperatorGrouping::CODES)?;
        boolean(&self.subcontracting_declared)?;
        enum_list(&self.price_types, PriceType::CODES)?;
        enum_list(&self.social, SocialConsideration::MARCHE_CODES)?;
        enum_list(&self.environmental, EnvironmentalConsideration::CODES)?;
        share(&self.origin_eu)?;
        share(&self.origin_france)?;
        Ok(FactsView {
            id,
            buyer: siret,
            buyer_name,
            object,
            cpv,
            notified_on,
            published_on,
            duration_months,
            amount,
            suppliers,
            ccag,
        })
    }
}
