//! What the import changed in a published record to keep it, and why.
//!
//! A DECP record is imported whole when the intent of its publisher is unambiguous, even where
//! it breaks the format: a CPV code that lost its leading zero, a 1.x label written another
//! way, a buyer SIRET with one wrong check key. Each such change is a [`Repair`] kept on the
//! contract: its kind (a closed list, [`RepairKind`], with a stable code), the field as DECP
//! names it, the value as published, the value kept (none when the field was dropped), and
//! one French sentence for the pages and the repairs file.

use serde::{Deserialize, Serialize};

/// What kind of change the import made. The codes are stable: they are stored with the
/// contract, counted in the import summary and written in the repairs file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RepairKind {
    /// A CPV code of 7 digits (a leading zero lost by a spreadsheet) whose 8-digit form exists.
    CpvLeadingZero,
    /// A CPV code whose 8 digits exist but whose check digit is not the nomenclature's: the
    /// code is kept with the nomenclature's check digit.
    CpvCheckDigit,
    /// A CPV code of 9 digits without its hyphen ("031210005") whose last digit is the check
    /// digit of the 8 before it.
    CpvHyphenMissing,
    /// A CPV code that is not in CPV 2008 (nor one of the above): the contract is kept without
    /// a CPV code.
    CpvDropped,
    /// A procedure written as none of the format's labels, but as one of them in other case,
    /// accents or spacing, or as a known legacy variant.
    LegacyProcedure,
    /// A nature written the same way.
    LegacyNature,
    /// An operator's identifier scheme written in another case or under another name
    /// ("Siret", "TVA_INTRACOMMUNAUTAIRE").
    IdentifierScheme,
    /// A place of execution without a code type, or with an unknown one, whose type is clear
    /// from its code.
    PlaceTypeInferred,
    /// A place of execution whose code type could not be told: the contract is kept without
    /// a place.
    PlaceDropped,
    /// A buyer SIRET that fails one of its check keys but passes another: kept as published.
    BuyerSiretKey,
    /// A value of another closed list of the format (CCAG, grouping of the titulaires, price
    /// variation of a subcontracting act) written in another case, accents or spacing.
    LabelSpelling,
}

impl RepairKind {
    pub const ALL: [RepairKind; 11] = [
        RepairKind::CpvLeadingZero,
        RepairKind::CpvCheckDigit,
        RepairKind::CpvHyphenMissing,
        RepairKind::CpvDropped,
        RepairKind::LegacyProcedure,
        RepairKind::LegacyNature,
        RepairKind::IdentifierScheme,
        RepairKind::PlaceTypeInferred,
        RepairKind::PlaceDropped,
        RepairKind::BuyerSiretKey,
        RepairKind::LabelSpelling,
    ];

    /// Stable snake_case code.
    pub fn code(self) -> &'static str {
        match self {
            RepairKind::CpvLeadingZero => "cpv_leading_zero",
            RepairKind::CpvCheckDigit => "cpv_check_digit",
            RepairKind::CpvHyphenMissing => "cpv_hyphen_missing",
            RepairKind::CpvDropped => "cpv_dropped",
            RepairKind::LegacyProcedure => "legacy_procedure",
            RepairKind::LegacyNature => "legacy_nature",
            RepairKind::IdentifierScheme => "identifier_scheme",
            RepairKind::PlaceTypeInferred => "place_type_inferred",
            RepairKind::PlaceDropped => "place_dropped",
            RepairKind::BuyerSiretKey => "buyer_siret_key",
            RepairKind::LabelSpelling => "label_spelling",
        }
    }

    pub fn from_code(code: &str) -> Option<RepairKind> {
        RepairKind::ALL.into_iter().find(|k| k.code() == code)
    }

    /// The kind in French, for summaries.
    pub fn label_fr(self) -> &'static str {
        match self {
            RepairKind::CpvLeadingZero => "code CPV privé de son zéro initial, complété",
            RepairKind::CpvCheckDigit => "code CPV au chiffre de contrôle faux, corrigé",
            RepairKind::CpvHyphenMissing => "code CPV sans tiret avant son chiffre de contrôle",
            RepairKind::CpvDropped => "code CPV inconnu de CPV 2008, écarté",
            RepairKind::LegacyProcedure => "procédure écrite autrement, rapportée à la liste",
            RepairKind::LegacyNature => "nature écrite autrement, rapportée à la liste",
            RepairKind::IdentifierScheme => {
                "type d'identifiant d'un titulaire écrit autrement, normalisé"
            }
            RepairKind::PlaceTypeInferred => "type de code du lieu d'exécution déduit du code",
            RepairKind::PlaceDropped => "lieu d'exécution au type de code inconnu, écarté",
            RepairKind::BuyerSiretKey => "SIRET de l'acheteur dont une clé de contrôle est fausse",
            RepairKind::LabelSpelling => {
                "valeur d'une liste écrite autrement, rapportée à la liste"
            }
        }
    }
}

/// One change the import made to a published record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Repair {
    pub kind: RepairKind,
    /// The field as DECP names it: "codeCPV", "acheteur.id", "titulaires[0].typeIdentifiant".
    pub field: String,
    /// The value as published ("" when it was missing).
    pub published: String,
    /// The value kept; `None` when the field was dropped.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kept: Option<String>,
    /// One French sentence naming the values and why.
    pub note: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_stable_distinct_and_read_back() {
        for (i, k) in RepairKind::ALL.iter().enumerate() {
            assert_eq!(RepairKind::from_code(k.code()), Some(*k));
            assert!(!RepairKind::ALL[..i].iter().any(|o| o.code() == k.code()));
            assert!(!k.label_fr().is_empty());
        }
        assert_eq!(RepairKind::from_code("autre"), None);
    }
}
