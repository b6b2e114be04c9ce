//! Reading the fields of one object of a record, each by its type (text, amount, date,
//! duration, vocabulary…), with the path that names the field in a rejection.

use chrono::NaiveDate;
use mutualis_domain::contract::{Label, Operator};
use mutualis_domain::{
    Amount, ContractKind, CpvCode, CpvNomenclature, Decimal, Repair, RepairKind, Share,
};
use serde_json::{Map, Value};

use super::repairs::{CpvRead, cpv_note, label_meant, read_cpv, spelled_as};
use super::values::{boolean_text, number_text, parse_date, permille_of, value_text, whole_number};
use super::{Issue, Res, Version, no_label, operator};
use crate::decp_read::{MAX_DURATION_MONTHS, RejectReason};
use crate::decp_vocab::Vocabulary;

/// An object of the record, with the path that names its fields in errors ("" for the record,
/// "modifications[0]." for a modification).
pub(super) struct Obj<'v> {
    pub(super) map: &'v Map<String, Value>,
    pub(super) path: String,
}

impl<'v> Obj<'v> {
    pub(super) fn field(&self, key: &str) -> String {
        format!("{}{key}", self.path)
    }

    /// The value of `key`; absent, `null` and blank strings count as missing.
    pub(super) fn get(&self, key: &str) -> Option<&'v Value> {
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

    pub(super) fn issue_text(
        &self,
        key: &str,
        value: &str,
        reason: RejectReason,
        detail: String,
    ) -> Issue {
        Issue {
            field: self.field(key),
            value: value.to_owned(),
            reason,
            detail,
        }
    }

    pub(super) fn missing(&self, key: &str) -> Issue {
        let field = self.field(key);
        Issue {
            detail: format!("champ « {field} » absent"),
            field,
            value: String::new(),
            reason: RejectReason::MissingField,
        }
    }

    pub(super) fn unknown(&self, key: &str, value: &str) -> Issue {
        let field = self.field(key);
        Issue {
            detail: format!("« {value} » n'est pas une valeur admise pour « {field} »"),
            field,
            value: value.to_owned(),
            reason: RejectReason::UnknownLabel,
        }
    }

    /// A text (a JSON string, trimmed, or a number's decimal text).
    pub(super) fn text(&self, key: &str) -> Res<Option<String>> {
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

    pub(super) fn required_text(&self, key: &str) -> Res<String> {
        self.text(key)?.ok_or_else(|| self.missing(key))
    }

    pub(super) fn object(&self, key: &str) -> Res<Option<Obj<'v>>> {
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
    pub(super) fn element(&self, key: &str, i: usize, value: &'v Value) -> Res<Obj<'v>> {
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
    pub(super) fn items(&self, key: &str, wrapper: &str) -> Res<Vec<&'v Value>> {
        self.items_unwrapped(key, wrapper, |_| true)
    }

    /// As [`Obj::items`], for a list whose item has a field named as its wrapper (a tariff
    /// `{"intituleTarif": …, "tarif": 14.29}`): only a wrapper holding an object is taken off.
    pub(super) fn object_items(&self, key: &str, wrapper: &str) -> Res<Vec<&'v Value>> {
        self.items_unwrapped(key, wrapper, Value::is_object)
    }

    fn items_unwrapped(
        &self,
        key: &str,
        wrapper: &str,
        unwrap: impl Fn(&Value) -> bool,
    ) -> Res<Vec<&'v Value>> {
        let mut items = Vec::new();
        let Some(value) = self.get(key) else {
            return Ok(items);
        };
        match value {
            Value::Array(list) => flatten(list, &mut items),
            Value::Object(map) => match map.get(wrapper) {
                Some(Value::Array(list)) => flatten(list, &mut items),
                Some(Value::Null) => {}
                Some(inner) if unwrap(inner) => items.push(inner),
                _ => items.push(value),
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
                && unwrap(inner)
            {
                *item = inner;
            }
        }
        Ok(items)
    }

    pub(super) fn operators(
        &self,
        key: &str,
        wrapper: &str,
        version: Version,
        repairs: &mut Vec<Repair>,
    ) -> Res<Vec<Operator>> {
        let items = self.items(key, wrapper)?;
        let mut ops = Vec::with_capacity(items.len());
        for (i, item) in items.into_iter().enumerate() {
            ops.push(operator(
                item,
                &format!("{}[{i}]", self.field(key)),
                version,
                repairs,
            )?);
        }
        Ok(ops)
    }

    /// Like [`Obj::label`], repairing a label that is one of the list's (or, in DECP 1.x, of
    /// its 1.x labels and `variants`) written otherwise: read as that value, the label as
    /// published kept beside it, and noted as `repair`.
    pub(super) fn label_repairing<V: Vocabulary>(
        &self,
        key: &str,
        version: Version,
        kind: ContractKind,
        variants: &[(&str, V)],
        repair: RepairKind,
        repairs: &mut Vec<Repair>,
    ) -> Res<Label> {
        let issue = match self.label::<V>(key, version, kind) {
            Ok(label) => return Ok(label),
            Err(issue) => issue,
        };
        let Some(value) = label_meant(kind, &issue.value, version == Version::V1, variants) else {
            return Err(issue);
        };
        repairs.push(Repair {
            kind: repair,
            note: format!(
                "« {} » n'est pas écrit comme une valeur de « {} » en {} : lu « {} »",
                issue.value,
                issue.field,
                version.name(),
                value.code()
            ),
            field: issue.field,
            kept: Some(value.code().to_owned()),
            published: issue.value.clone(),
        });
        Ok(Label {
            value: Some(value.code().to_owned()),
            original: Some(issue.value),
        })
    }

    /// A label of the list `V` as `version` publishes it, for a contract of `kind`.
    pub(super) fn label<V: Vocabulary>(
        &self,
        key: &str,
        version: Version,
        kind: ContractKind,
    ) -> Res<Label> {
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

    /// One of a closed list's values; one written in another case, accents or spacing is
    /// read as the list's value, with a repair noted.
    pub(super) fn one_of(
        &self,
        key: &str,
        allowed: &[&'static str],
        repairs: &mut Vec<Repair>,
    ) -> Res<Option<String>> {
        let Some(value) = self.text(key)? else {
            return Ok(None);
        };
        if allowed.contains(&value.as_str()) {
            return Ok(Some(value));
        }
        let Some(meant) = spelled_as(&value, allowed) else {
            return Err(self.unknown(key, &value));
        };
        let field = self.field(key);
        repairs.push(Repair {
            kind: RepairKind::LabelSpelling,
            note: format!(
                "« {value} » n'est pas écrit comme une valeur de « {field} » : lu « {meant} »"
            ),
            field,
            published: value,
            kept: Some(meant.to_owned()),
        });
        Ok(Some(meant.to_owned()))
    }

    /// A 2.0 list of values, `{"technique": ["…", …]}`; also read when written as a bare
    /// list or a single value.
    pub(super) fn enum_list(
        &self,
        key: &str,
        item: &str,
        allowed: &[&'static str],
    ) -> Res<Vec<String>> {
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

    /// A CPV code of the nomenclature; one the publisher clearly meant, noted; none, noted,
    /// when it is not in CPV 2008 (see `repairs::read_cpv`).
    pub(super) fn cpv(
        &self,
        key: &str,
        nomenclature: &CpvNomenclature,
        repairs: &mut Vec<Repair>,
    ) -> Res<Option<CpvCode>> {
        let Some(code) = self.text(key)? else {
            return Ok(None);
        };
        let read = read_cpv(&code, nomenclature);
        let (kept, kind) = match &read {
            CpvRead::Exact(c) => return Ok(Some(*c)),
            CpvRead::Repaired(c, kind) => (Some(*c), *kind),
            CpvRead::Dropped(_) => (None, RepairKind::CpvDropped),
        };
        repairs.push(Repair {
            kind,
            field: self.field(key),
            note: cpv_note(&code, &read),
            published: code,
            kept: kept.map(|c| c.to_string()),
        });
        Ok(kept)
    }

    pub(super) fn date(&self, key: &str) -> Res<Option<NaiveDate>> {
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

    pub(super) fn amount(&self, key: &str, min_cents: i64) -> Res<Option<Amount>> {
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

    pub(super) fn months(&self, key: &str, min: u32) -> Res<Option<u32>> {
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

    pub(super) fn count(&self, key: &str, min: u32) -> Res<Option<u32>> {
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
    pub(super) fn sequence_number(&self, key: &str, position: usize) -> Res<String> {
        Ok(match self.count(key, 1)? {
            Some(n) => n.to_string(),
            None => (position + 1).to_string(),
        })
    }

    pub(super) fn boolean(&self, key: &str) -> Res<Option<bool>> {
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
    pub(super) fn permille(&self, key: &str) -> Res<Option<u32>> {
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

    /// The text of a number field: a JSON number's decimal text or a string, trimmed.
    fn number_field(&self, key: &str) -> Option<(&'v Value, Option<String>)> {
        let value = self.get(key)?;
        let text = match value {
            Value::Number(n) => Some(number_text(n)),
            Value::String(s) => Some(s.trim().to_owned()),
            _ => None,
        };
        Some((value, text))
    }

    /// A share between 0 and 1 (`origineUE`: 0.2 is 20 %), exactly.
    pub(super) fn share(&self, key: &str) -> Res<Option<Share>> {
        self.exact_number(key, Share::parse, |v| {
            format!("part « {v} » invalide : attendu un nombre entre 0 et 1 (0.2 pour 20 %)")
        })
    }

    /// A non-negative decimal kept exactly (a tariff: 1.2345).
    pub(super) fn decimal(&self, key: &str) -> Res<Option<Decimal>> {
        self.exact_number(key, Decimal::parse, |v| {
            format!("nombre « {v} » invalide : attendu un nombre positif")
        })
    }

    /// A number read from its decimal text by `parse`; `not_a_number` words the rejection of
    /// a value that is neither a number nor a string.
    fn exact_number<T, E: std::fmt::Display>(
        &self,
        key: &str,
        parse: impl Fn(&str) -> Result<T, E>,
        not_a_number: impl Fn(&str) -> String,
    ) -> Res<Option<T>> {
        let Some((value, text)) = self.number_field(key) else {
            return Ok(None);
        };
        match text.as_deref().map(parse) {
            Some(Ok(n)) => Ok(Some(n)),
            Some(Err(e)) => Err(self.issue(key, value, RejectReason::InvalidNumber, e.to_string())),
            None => Err(self.issue(
                key,
                value,
                RejectReason::InvalidNumber,
                not_a_number(&value_text(value)),
            )),
        }
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
