//! The Common Procurement Vocabulary (CPV 2008, Regulation (EC) No 213/2008).
//!
//! A code is 8 digits and a check digit: "90910000-9". Its depth is read from its significant
//! digits (trailing zeros removed): division (2), group (3), class (4), category (5), finer
//! (6 to 8). A `CpvCode` can only be obtained from a `CpvNomenclature`, so holding one means
//! the code exists and its check digit is the nomenclature's.

use std::collections::HashMap;
use std::fmt;

use serde::{Serialize, Serializer};

use crate::text::{fold, folded_words};

/// A code of the CPV 2008 nomenclature.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CpvCode {
    /// The 8 digits as a number (03000000 → 3_000_000).
    digits: u32,
    check: u8,
}

/// How deep in the CPV tree a code sits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CpvDepth {
    /// 2 significant digits: "90000000" (sewage, refuse, cleaning and environmental services).
    Division,
    /// 3 significant digits: "90900000".
    Group,
    /// 4 significant digits: "90910000".
    Class,
    /// 5 significant digits: "90911000".
    Category,
    /// 6 to 8 significant digits.
    Finer,
}

impl CpvDepth {
    pub const ALL: [CpvDepth; 5] = [
        CpvDepth::Division,
        CpvDepth::Group,
        CpvDepth::Class,
        CpvDepth::Category,
        CpvDepth::Finer,
    ];

    /// The number of leading digits that identify a node at this depth (8 for `Finer`).
    pub fn significant_digits(self) -> usize {
        match self {
            CpvDepth::Division => 2,
            CpvDepth::Group => 3,
            CpvDepth::Class => 4,
            CpvDepth::Category => 5,
            CpvDepth::Finer => 8,
        }
    }

    fn from_significant_digits(n: usize) -> Self {
        match n {
            0..=2 => CpvDepth::Division,
            3 => CpvDepth::Group,
            4 => CpvDepth::Class,
            5 => CpvDepth::Category,
            _ => CpvDepth::Finer,
        }
    }

    /// The French name, as used in the nomenclature's documentation.
    pub fn label_fr(self) -> &'static str {
        match self {
            CpvDepth::Division => "division",
            CpvDepth::Group => "groupe",
            CpvDepth::Class => "classe",
            CpvDepth::Category => "catégorie",
            CpvDepth::Finer => "sous-catégorie",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CpvError {
    #[error(
        "code CPV « {0} » invalide : attendu 8 chiffres, éventuellement suivis d'un tiret et du chiffre de contrôle (par exemple 90910000-9)"
    )]
    Syntax(String),
    #[error("code CPV « {0} » inconnu de la nomenclature CPV 2008")]
    Unknown(String),
    #[error(
        "code CPV « {given} » : chiffre de contrôle {given_check} incorrect, la nomenclature CPV 2008 donne {expected}"
    )]
    CheckDigit {
        given: String,
        given_check: u8,
        expected: CpvCode,
    },
}

impl CpvCode {
    /// The 8 digits, zero-padded: "03000000".
    pub fn code8(&self) -> String {
        format!("{:08}", self.digits)
    }

    pub fn check_digit(&self) -> u8 {
        self.check
    }

    /// The number of significant digits: the 8 digits without trailing zeros, at least 2.
    pub fn significant_digits(&self) -> usize {
        let mut digits = self.digits;
        let mut n = 8;
        while n > 2 && digits.is_multiple_of(10) {
            digits /= 10;
            n -= 1;
        }
        n
    }

    /// The 8 digits (as a number, trailing zeros included) of the node that contains this code
    /// at `depth`: 90911200 at class depth is 90910000. A code shallower than `depth` is its
    /// own node. Cheap: no allocation, for grouping a million contracts.
    pub fn node_digits(&self, depth: CpvDepth) -> u32 {
        let n = depth.significant_digits().min(self.significant_digits());
        let scale = 10u32.pow(8 - n as u32);
        self.digits / scale * scale
    }

    pub fn depth(&self) -> CpvDepth {
        CpvDepth::from_significant_digits(self.significant_digits())
    }

    /// The leading digits that identify this code's node at `depth`, e.g. "9091" for the class
    /// of 90911000. A code shallower than `depth` returns its own significant digits.
    pub fn prefix(&self, depth: CpvDepth) -> String {
        let n = depth.significant_digits().min(self.significant_digits());
        self.code8()[..n].to_owned()
    }

    /// The 8-digit codes of the nodes above this one, from the division down to the parent.
    fn ancestor_digits(&self) -> Vec<u32> {
        let own = self.significant_digits();
        (2..own)
            .map(|n| {
                let scale = 10u32.pow(8 - n as u32);
                self.digits / scale * scale
            })
            .filter(|d| *d != self.digits)
            .collect()
    }
}

/// "90910000-9", the form DECP and TED publish.
impl fmt::Display for CpvCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:08}-{}", self.digits, self.check)
    }
}

impl Serialize for CpvCode {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// One code of the nomenclature with its labels.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CpvEntry {
    pub code: CpvCode,
    pub label_fr: String,
    pub label_en: String,
    #[serde(skip)]
    folded_fr: String,
}

/// The whole CPV nomenclature, built from reference data.
#[derive(Debug, Clone)]
pub struct CpvNomenclature {
    /// Sorted by code.
    entries: Vec<CpvEntry>,
    by_digits: HashMap<u32, usize>,
}

/// A row of the nomenclature as read from a file, before it is checked.
#[derive(Debug, Clone)]
pub struct CpvRow {
    pub code8: String,
    pub check_digit: u8,
    pub label_fr: String,
    pub label_en: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NomenclatureError {
    #[error("entrée {index} de la nomenclature CPV : code « {code8} » invalide")]
    BadCode { index: usize, code8: String },
    #[error("entrée {index} de la nomenclature CPV : chiffre de contrôle {check} invalide")]
    BadCheckDigit { index: usize, check: u8 },
    #[error("code CPV {code8} présent deux fois dans la nomenclature")]
    Duplicate { code8: String },
}

impl CpvNomenclature {
    pub fn new(rows: impl IntoIterator<Item = CpvRow>) -> Result<Self, NomenclatureError> {
        let mut entries = Vec::new();
        for (index, row) in rows.into_iter().enumerate() {
            let digits = parse_code8(&row.code8).ok_or_else(|| NomenclatureError::BadCode {
                index,
                code8: row.code8.clone(),
            })?;
            if row.check_digit > 9 {
                return Err(NomenclatureError::BadCheckDigit {
                    index,
                    check: row.check_digit,
                });
            }
            entries.push(CpvEntry {
                code: CpvCode {
                    digits,
                    check: row.check_digit,
                },
                folded_fr: fold(&row.label_fr),
                label_fr: row.label_fr,
                label_en: row.label_en,
            });
        }
        entries.sort_by_key(|e| e.code.digits);
        let mut by_digits = HashMap::with_capacity(entries.len());
        for (i, e) in entries.iter().enumerate() {
            if by_digits.insert(e.code.digits, i).is_some() {
                return Err(NomenclatureError::Duplicate {
                    code8: e.code.code8(),
                });
            }
        }
        Ok(Self { entries, by_digits })
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn entries(&self) -> &[CpvEntry] {
        &self.entries
    }

    /// Parses "90910000" or "90910000-9" (surrounding spaces ignored) into a code of the
    /// nomenclature; a given check digit must be the nomenclature's.
    pub fn parse(&self, input: &str) -> Result<CpvCode, CpvError> {
        Ok(self.lookup(input)?.code)
    }

    /// Like [`parse`](Self::parse), returning the entry with its labels.
    pub fn lookup(&self, input: &str) -> Result<&CpvEntry, CpvError> {
        let trimmed = input.trim();
        let (code8, check) = match trimmed.split_once('-') {
            Some((code8, check)) => {
                let check = match check.as_bytes() {
                    [d] if d.is_ascii_digit() => Some(d - b'0'),
                    _ => return Err(CpvError::Syntax(trimmed.to_owned())),
                };
                (code8, check)
            }
            None => (trimmed, None),
        };
        let digits = parse_code8(code8).ok_or_else(|| CpvError::Syntax(trimmed.to_owned()))?;
        let entry = self
            .get(digits)
            .ok_or_else(|| CpvError::Unknown(trimmed.to_owned()))?;
        match check {
            Some(given) if given != entry.code.check => Err(CpvError::CheckDigit {
                given: trimmed.to_owned(),
                given_check: given,
                expected: entry.code,
            }),
            _ => Ok(entry),
        }
    }

    fn get(&self, digits: u32) -> Option<&CpvEntry> {
        self.by_digits.get(&digits).map(|&i| &self.entries[i])
    }

    /// The entry of a code obtained from this nomenclature.
    pub fn entry(&self, code: CpvCode) -> Option<&CpvEntry> {
        self.get(code.digits)
    }

    /// The nodes above `code` that exist in the nomenclature, from the division down to the
    /// parent.
    pub fn ancestors(&self, code: CpvCode) -> Vec<&CpvEntry> {
        code.ancestor_digits()
            .into_iter()
            .filter_map(|d| self.get(d))
            .collect()
    }

    /// The node that contains `code` at `depth` (the code itself when it is not deeper).
    pub fn ancestor_at(&self, code: CpvCode, depth: CpvDepth) -> Option<&CpvEntry> {
        if code.depth() <= depth {
            return self.get(code.digits);
        }
        let n = depth.significant_digits();
        let scale = 10u32.pow(8 - n as u32);
        self.get(code.digits / scale * scale)
    }

    /// The nodes directly or indirectly below `code`.
    pub fn descendants(&self, code: CpvCode) -> impl Iterator<Item = &CpvEntry> {
        let prefix = code.prefix(CpvDepth::Finer);
        self.entries
            .iter()
            .filter(move |e| e.code != code && e.code.code8().starts_with(&prefix))
    }

    /// French search, accent- and case-insensitive: every word of `query` must begin a word of
    /// the French label ("electricite" finds "Électricité"). A query of digits matches codes
    /// by prefix. Shallow codes come first, then by code.
    pub fn search(&self, query: &str) -> Vec<&CpvEntry> {
        let trimmed = query.trim();
        if !trimmed.is_empty() && trimmed.chars().all(|c| c.is_ascii_digit() || c == '-') {
            let digits: String = trimmed.chars().take_while(|c| *c != '-').collect();
            return self
                .entries
                .iter()
                .filter(|e| e.code.code8().starts_with(&digits))
                .collect();
        }
        let words = folded_words(trimmed);
        if words.is_empty() {
            return Vec::new();
        }
        let mut hits: Vec<&CpvEntry> = self
            .entries
            .iter()
            .filter(|e| {
                let label_words: Vec<&str> = e.folded_fr.split_whitespace().collect();
                words
                    .iter()
                    .all(|w| label_words.iter().any(|lw| lw.starts_with(w.as_str())))
            })
            .collect();
        hits.sort_by_key(|e| (e.code.significant_digits(), e.code.digits));
        hits
    }
}

fn parse_code8(code8: &str) -> Option<u32> {
    if code8.len() == 8 && code8.bytes().all(|b| b.is_ascii_digit()) {
        code8.parse().ok()
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(code8: &str, check: u8, fr: &str, en: &str) -> CpvRow {
        CpvRow {
            code8: code8.into(),
            check_digit: check,
            label_fr: fr.into(),
            label_en: en.into(),
        }
    }

    /// A slice of the real nomenclature, division 90 and division 09.
    fn sample() -> CpvNomenclature {
        CpvNomenclature::new([
            row("90000000", 7, "Services d'évacuation des eaux usées, d'élimination des déchets, de nettoyage et services environnementaux", "Sewage, refuse, cleaning and environmental services"),
            row("90900000", 6, "Services de nettoyage et d'hygiène", "Cleaning and sanitation services"),
            row("90910000", 9, "Services de nettoyage", "Cleaning services"),
            row("90911000", 6, "Services de nettoyage de logements, de bâtiments et de vitres", "Accommodation, building and window cleaning services"),
            row("90911100", 7, "Services de nettoyage de logements", "Accommodation cleaning services"),
            row("09000000", 3, "Produits pétroliers, combustibles, électricité et autres sources d'énergie", "Petroleum products, fuel, electricity and other sources of energy"),
            row("09300000", 2, "Électricité, chauffage, énergie solaire et nucléaire", "Electricity, heating, solar and nuclear energy"),
            row("09310000", 5, "Électricité", "Electricity"),
        ])
        .unwrap()
    }

    #[test]
    fn accepts_with_and_without_check_digit() {
        let n = sample();
        let a = n.parse("90910000").unwrap();
        let b = n.parse(" 90910000-9 ").unwrap();
        assert_eq!(a, b);
        assert_eq!(a.to_string(), "90910000-9");
        assert_eq!(a.code8(), "90910000");
        assert_eq!(n.parse("09310000").unwrap().to_string(), "09310000-5");
    }

    #[test]
    fn a_wrong_check_digit_names_the_expected_one() {
        let err = sample().parse("90910000-1").unwrap_err();
        assert_eq!(
            err.to_string(),
            "code CPV « 90910000-1 » : chiffre de contrôle 1 incorrect, la nomenclature CPV 2008 donne 90910000-9"
        );
    }

    #[test]
    fn syntax_and_unknown_codes_are_refused() {
        let n = sample();
        for bad in [
            "9091000",
            "909100000",
            "9091000A",
            "90910000-",
            "90910000-12",
            "",
        ] {
            assert!(matches!(n.parse(bad), Err(CpvError::Syntax(_))), "{bad}");
        }
        assert_eq!(
            n.parse("90920000").unwrap_err(),
            CpvError::Unknown("90920000".into())
        );
    }

    #[test]
    fn depth_and_prefix() {
        let n = sample();
        let depth = |s: &str| n.parse(s).unwrap().depth();
        assert_eq!(depth("90000000"), CpvDepth::Division);
        assert_eq!(depth("09000000"), CpvDepth::Division);
        assert_eq!(depth("90900000"), CpvDepth::Group);
        assert_eq!(depth("90910000"), CpvDepth::Class);
        assert_eq!(depth("90911000"), CpvDepth::Category);
        assert_eq!(depth("90911100"), CpvDepth::Finer);
        let code = n.parse("90911100").unwrap();
        assert_eq!(code.prefix(CpvDepth::Class), "9091");
        assert_eq!(code.prefix(CpvDepth::Division), "90");
        assert_eq!(n.parse("90900000").unwrap().prefix(CpvDepth::Class), "909");
    }

    #[test]
    fn ancestors_go_from_division_to_parent() {
        let n = sample();
        let code = n.parse("90911100").unwrap();
        let ancestors: Vec<String> = n
            .ancestors(code)
            .iter()
            .map(|e| e.code.to_string())
            .collect();
        assert_eq!(
            ancestors,
            ["90000000-7", "90900000-6", "90910000-9", "90911000-6"]
        );
        assert!(n.ancestors(n.parse("90000000").unwrap()).is_empty());
        assert_eq!(
            n.ancestor_at(code, CpvDepth::Group).unwrap().label_en,
            "Cleaning and sanitation services"
        );
        let descendants: Vec<String> = n
            .descendants(n.parse("90910000").unwrap())
            .map(|e| e.code.code8())
            .collect();
        assert_eq!(descendants, ["90911000", "90911100"]);
    }

    #[test]
    fn search_is_accent_insensitive_and_shallow_first() {
        let n = sample();
        let found: Vec<String> = n
            .search("electricite")
            .iter()
            .map(|e| e.code.code8())
            .collect();
        assert_eq!(found, ["09000000", "09300000", "09310000"]);
        let found: Vec<String> = n
            .search("NETTOYAGE bâtiments")
            .iter()
            .map(|e| e.code.code8())
            .collect();
        assert_eq!(found, ["90911000"]);
        assert_eq!(n.search("9091").len(), 3);
        assert!(n.search("   ").is_empty());
        assert!(n.search("zzz").is_empty());
    }

    #[test]
    fn duplicates_are_refused() {
        let err =
            CpvNomenclature::new([row("90910000", 9, "a", "a"), row("90910000", 9, "b", "b")])
                .unwrap_err();
        assert!(matches!(err, NomenclatureError::Duplicate { .. }));
    }
}
