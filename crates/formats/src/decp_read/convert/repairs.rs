//! What the conversion repairs instead of rejecting, each decision in one function shared by
//! the full conversion and the opportunity engine's shortcut (`lean.rs`), so that both keep
//! the same records with the same values.
//!
//! Only what has one reading is repaired: a CPV code whose intended code exists (leading zero
//! lost, wrong check digit, hyphen missing), a label that is one of the list's in other case,
//! accents or spacing, or a known legacy variant, an identifier scheme in another spelling, a
//! country or Corsican département code without its type. A place whose type cannot be told
//! (5 digits are a postal code or a commune's INSEE code, 2 digits a département or a région)
//! and a CPV code that is not in CPV 2008 are dropped, the contract kept without them.

use mutualis_domain::text::fold;
use mutualis_domain::{CpvCode, CpvError, CpvNomenclature, RepairKind};

use crate::decp_vocab::{IdentifierScheme, PlaceCodeType, Vocabulary};
use mutualis_domain::ContractKind;

/// What became of a published CPV code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(in crate::decp_read) enum CpvRead {
    /// The code as published.
    Exact(CpvCode),
    /// The code the publisher meant, and how it was found.
    Repaired(CpvCode, RepairKind),
    /// Not in CPV 2008: the contract is kept without a code. The nomenclature's reason.
    Dropped(String),
}

/// A published CPV code (trimmed text). The common case, a code of the nomenclature, costs
/// one lookup and no allocation.
pub(in crate::decp_read) fn read_cpv(text: &str, nomenclature: &CpvNomenclature) -> CpvRead {
    let error = match nomenclature.parse(text) {
        Ok(code) => return CpvRead::Exact(code),
        Err(CpvError::CheckDigit { expected, .. }) => {
            return CpvRead::Repaired(expected, RepairKind::CpvCheckDigit);
        }
        Err(e) => e,
    };
    let (digits, check) = text.split_once('-').unwrap_or((text, ""));
    let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if !all_digits(digits) {
        return CpvRead::Dropped(error.to_string());
    }
    // 7 digits: a spreadsheet read "03111000" as a number. The given check digit, if any,
    // must then be the code's.
    if digits.len() == 7 && (check.is_empty() || check.len() == 1 && all_digits(check)) {
        let padded = format!("0{digits}");
        if let Ok(code) = nomenclature.parse(&padded)
            && (check.is_empty() || check == code.check_digit().to_string())
        {
            return CpvRead::Repaired(code, RepairKind::CpvLeadingZero);
        }
    }
    // 9 digits: the check digit written without its hyphen. Only when it is the code's.
    if digits.len() == 9
        && check.is_empty()
        && let Ok(code) = nomenclature.parse(&format!("{}-{}", &digits[..8], &digits[8..]))
    {
        return CpvRead::Repaired(code, RepairKind::CpvHyphenMissing);
    }
    CpvRead::Dropped(error.to_string())
}

/// The French sentence of a CPV repair or drop.
pub(super) fn cpv_note(published: &str, read: &CpvRead) -> String {
    match read {
        CpvRead::Exact(_) => String::new(),
        CpvRead::Repaired(code, RepairKind::CpvCheckDigit) => format!(
            "code CPV « {published} » : chiffre de contrôle faux, le code {} est gardé avec le chiffre de la nomenclature CPV 2008 ({code})",
            code.code8()
        ),
        CpvRead::Repaired(code, RepairKind::CpvLeadingZero) => format!(
            "code CPV « {published} » : 7 chiffres, son zéro initial perdu ; lu {code}, qui existe dans la nomenclature CPV 2008"
        ),
        CpvRead::Repaired(code, _) => {
            format!("code CPV « {published} » : chiffre de contrôle écrit sans tiret ; lu {code}")
        }
        CpvRead::Dropped(reason) => {
            format!("{reason} : le contrat est gardé sans code CPV")
        }
    }
}

/// The 2.0 value a label that none of the list's matches was meant to be, when it is one of
/// them (or, for DECP 1.x, one of their 1.x labels or `variants`) written in other case,
/// accents, spacing or apostrophes.
pub(super) fn label_meant<V: Vocabulary>(
    kind: ContractKind,
    text: &str,
    decp1: bool,
    variants: &[(&str, V)],
) -> Option<V> {
    let folded = folded_label(text);
    let same = |label: &str| folded_label(label) == folded;
    if let Some(v) = V::ALL
        .iter()
        .copied()
        .find(|v| v.applies_to(kind) && same(v.code()))
    {
        return Some(v);
    }
    if !decp1 {
        return None;
    }
    V::DECP1_LABELS
        .iter()
        .chain(variants)
        .find(|(label, v)| v.applies_to(kind) && same(label))
        .map(|(_, v)| *v)
}

/// The value of a closed list `allowed` that `text` spells in another case, accents or
/// spacing ("ferme" for "Ferme"), if exactly one.
pub(super) fn spelled_as(text: &str, allowed: &[&'static str]) -> Option<&'static str> {
    let folded = folded_label(text);
    let mut found = allowed.iter().filter(|a| folded_label(a) == folded);
    match (found.next(), found.next()) {
        (Some(one), None) => Some(one),
        _ => None,
    }
}

/// Folded for comparison: lower case, no accents, words separated by one space (apostrophes
/// and punctuation count as spaces).
fn folded_label(text: &str) -> String {
    fold(text).split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The scheme an operator's `typeIdentifiant` was meant to be, when it is one of the list's
/// in another spelling ("Siret", "siret", "TVA_INTRACOMMUNAUTAIRE", "Hors UE"); `decp1`:
/// DECP 1.x's "UE" too.
pub(super) fn scheme_meant(text: &str, decp1: bool) -> Option<&'static str> {
    let squeezed: String = fold(text).chars().filter(|c| !c.is_whitespace()).collect();
    if matches!(
        squeezed.as_str(),
        "tvaintracommunautaire" | "tvaintracom" | "numerotva"
    ) {
        return Some(IdentifierScheme::Vat.code());
    }
    let same = |code: &str| {
        fold(code)
            .chars()
            .filter(|c| !c.is_whitespace())
            .eq(squeezed.chars())
    };
    IdentifierScheme::ALL
        .iter()
        .map(|s| s.code())
        .chain(
            IdentifierScheme::DECP1_UNMAPPED
                .iter()
                .copied()
                .filter(|_| decp1),
        )
        .find(|code| same(code))
}

/// The type of a place's code when its published type (`None`: absent) is not one of the
/// list's: that type in another spelling, else the type that only such a code can be (two or
/// three letters: a country, ISO 3166; "2A"/"2B": a département of Corsica). `None` when it
/// cannot be told.
pub(super) fn place_type_meant(code: &str, published_type: Option<&str>) -> Option<&'static str> {
    if let Some(t) = published_type {
        let folded = folded_label(t);
        if let Some(v) = PlaceCodeType::ALL
            .iter()
            .find(|v| folded_label(v.code()) == folded)
        {
            return Some(v.code());
        }
    }
    let code = code.trim();
    if matches!(code, "2A" | "2B" | "2a" | "2b") {
        return Some(PlaceCodeType::Departement.code());
    }
    if (2..=3).contains(&code.len()) && code.bytes().all(|b| b.is_ascii_uppercase()) {
        return Some(PlaceCodeType::Country.code());
    }
    None
}

/// Whether a record's object says it is a test, not a contract: "TEST", "test", "Essai"…
/// alone (seen in data.gouv.fr's 2019 PES file: id "2018TEST00", object "TEST").
pub(in crate::decp_read) fn is_test_object(object: &str) -> bool {
    object.len() <= 8
        && matches!(
            folded_label(object).as_str(),
            "test" | "tests" | "essai" | "essais"
        )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decp_vocab::{Nature, Procedure};
    use mutualis_domain::ContractKind::{Concession, Marche};

    fn nomenclature() -> &'static CpvNomenclature {
        mutualis_reference::cpv::nomenclature()
    }

    #[test]
    fn cpv_codes_are_repaired_only_when_the_meant_code_exists() {
        let read = |t: &str| read_cpv(t, nomenclature());
        let code = |t: &str| nomenclature().parse(t).unwrap();
        assert_eq!(read("90620000-9"), CpvRead::Exact(code("90620000-9")));
        assert_eq!(
            read("90620000-1"),
            CpvRead::Repaired(code("90620000"), RepairKind::CpvCheckDigit)
        );
        assert_eq!(
            read("3111000"),
            CpvRead::Repaired(code("03111000"), RepairKind::CpvLeadingZero)
        );
        assert_eq!(
            read("031210005"),
            CpvRead::Repaired(code("03121000-5"), RepairKind::CpvHyphenMissing)
        );
        // 9 digits whose last is not the check digit; 7 digits whose padded code does not
        // exist (45431000 lost its last zero, not its first: not guessed); not CPV 2008.
        for dropped in [
            "031210004",
            "4543100-7",
            "00000000-1",
            "74000000-9",
            "NC",
            "1-2",
        ] {
            assert!(
                matches!(read(dropped), CpvRead::Dropped(_)),
                "{dropped}: {:?}",
                read(dropped)
            );
        }
        // A 7-digit code with a check digit that is not its padded code's.
        assert!(matches!(read("3111000-1"), CpvRead::Dropped(_)));
    }

    #[test]
    fn labels_are_matched_whatever_their_case_accents_and_spacing() {
        let p = |t: &str, decp1: bool| label_meant::<Procedure>(Marche, t, decp1, &[]);
        assert_eq!(p("procédure adaptée", false), Some(Procedure::Adapted));
        assert_eq!(
            p("APPEL D’OFFRES OUVERT", false),
            Some(Procedure::OpenTender)
        );
        assert_eq!(
            p(
                "Marche negocie sans publicite  ni mise en concurrence prealable",
                true
            ),
            Some(Procedure::WithoutPublicity)
        );
        // 1.x labels are read as 1.x only; a concession's list is not a marché's.
        assert_eq!(
            p(
                "Marche negocie sans publicite ni mise en concurrence prealable",
                false
            ),
            None
        );
        assert_eq!(
            label_meant::<Procedure>(Concession, "procédure adaptée", true, &[]),
            None
        );
        assert_eq!(p("Gré à gré", true), None);
        assert_eq!(
            label_meant::<Nature>(Marche, "accord cadre", true, &[]),
            Some(Nature::Marche)
        );
    }

    #[test]
    fn identifier_schemes_are_read_in_any_spelling() {
        for (text, code) in [
            ("Siret", "SIRET"),
            ("siret", "SIRET"),
            ("TVA_INTRACOMMUNAUTAIRE", "TVA"),
            ("tva", "TVA"),
            ("Hors UE", "HORS-UE"),
            ("hors-ue", "HORS-UE"),
        ] {
            assert_eq!(scheme_meant(text, false), Some(code), "{text}");
        }
        assert_eq!(scheme_meant("ue", true), Some("UE"));
        assert_eq!(scheme_meant("ue", false), None);
        assert_eq!(scheme_meant("DUNS", true), None);
    }

    #[test]
    fn a_place_type_is_told_only_when_the_code_has_one_reading() {
        assert_eq!(
            place_type_meant("38000", Some("code postal")),
            Some("Code postal")
        );
        assert_eq!(place_type_meant("FR", None), Some("Code pays"));
        assert_eq!(
            place_type_meant("2A", Some("Département")),
            Some("Code département")
        );
        for ambiguous in ["38000", "38185", "38", "84", "fr"] {
            assert_eq!(place_type_meant(ambiguous, None), None, "{ambiguous}");
            assert_eq!(place_type_meant(ambiguous, Some("Commune")), None);
        }
    }

    #[test]
    fn test_records_are_told_by_their_object_alone() {
        for object in ["TEST", "test", " Essai ", "Tests"] {
            assert!(is_test_object(object), "{object}");
        }
        for object in ["Test d'étanchéité", "Essais en laboratoire", "Attestation"] {
            assert!(!is_test_object(object), "{object}");
        }
    }
}
