//! French business identifiers: SIREN (an organisation) and SIRET (one of its establishments).
//!
//! Both are Luhn-checked, except La Poste's establishments (SIREN 356000000), which INSEE
//! numbers so that the sum of the 14 digits is a multiple of 5. A SIRET is valid only when its
//! SIREN is too: this is the one place where either is validated, so that every `Siret` held
//! anywhere gives a valid `Siren`, and what the importer accepts every reader accepts.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// Why a SIREN or SIRET was refused. The messages are shown to users as they are.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdError {
    #[error("{kind} « {value} » invalide : attendu {expected} chiffres, reçu {found} caractère(s)")]
    Length {
        kind: &'static str,
        value: String,
        expected: usize,
        found: usize,
    },
    #[error("{kind} « {value} » invalide : seuls des chiffres sont attendus")]
    NotDigits { kind: &'static str, value: String },
    #[error("{kind} « {value} » invalide : la clé de contrôle (Luhn) est fausse")]
    Checksum { kind: &'static str, value: String },
    #[error(
        "SIRET « {value} » invalide : un établissement de La Poste doit avoir une somme des chiffres multiple de 5"
    )]
    LaPosteChecksum { value: String },
    /// The 14 digits pass the Luhn check but their first nine, the SIREN, do not: no
    /// establishment of INSEE's directory has such a number (typing errors can pass the
    /// 14-digit key alone).
    #[error(
        "SIRET « {value} » invalide : son SIREN (les 9 premiers chiffres, {siren}) a une clé de contrôle (Luhn) fausse"
    )]
    SirenChecksum { value: String, siren: String },
}

/// La Poste's SIREN: its establishments escape the Luhn check.
const LA_POSTE_SIREN: &str = "356000000";
/// La Poste's head office, the one establishment of La Poste that is Luhn-checked.
const LA_POSTE_HEAD_OFFICE: &str = "35600000000048";

/// The SIREN of an organisation (legal unit): 9 digits, Luhn-checked.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Siren(String);

/// The SIRET of an establishment: its organisation's SIREN followed by a 5-digit NIC.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Siret(String);

impl Siren {
    /// Parses a SIREN. Spaces (as in "200 040 715") are ignored.
    pub fn parse(input: &str) -> Result<Self, IdError> {
        let digits = digits_of("SIREN", input, 9)?;
        if !luhn_valid(&digits) {
            return Err(IdError::Checksum {
                kind: "SIREN",
                value: input.trim().to_owned(),
            });
        }
        Ok(Self(digits))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Reads back the SIREN of a SIRET that [`Siret::parse_noting`] accepted: 9 digits, whose
    /// key may be wrong (what storage wrote for an organisation found in open data).
    pub fn parse_published(input: &str) -> Result<Self, IdError> {
        digits_of("SIREN", input, 9).map(Self)
    }
}

impl Siret {
    /// Parses a SIRET. Spaces (as in "200 040 715 00019") are ignored.
    pub fn parse(input: &str) -> Result<Self, IdError> {
        let digits = digits_of("SIRET", input, 14)?;
        if !luhn_valid(&digits[..9]) {
            return Err(IdError::SirenChecksum {
                value: input.trim().to_owned(),
                siren: digits[..9].to_owned(),
            });
        }
        if digits.starts_with(LA_POSTE_SIREN) && digits != LA_POSTE_HEAD_OFFICE {
            let sum: u32 = digits.bytes().map(|b| u32::from(b - b'0')).sum();
            if !sum.is_multiple_of(5) {
                return Err(IdError::LaPosteChecksum {
                    value: input.trim().to_owned(),
                });
            }
        } else if !luhn_valid(&digits) {
            return Err(IdError::Checksum {
                kind: "SIRET",
                value: input.trim().to_owned(),
            });
        }
        Ok(Self(digits))
    }

    /// Parses a SIRET as a publisher wrote it in open data, where typing errors pass one key
    /// and not the other: 14 digits that pass at least one of the checks (the 14-digit key —
    /// La Poste's sum for its establishments —, the SIREN's own key) are accepted, with the
    /// failed check (`None` when every check passes, as for [`Siret::parse`]). 14 digits that
    /// fail every check are refused with the error of [`Siret::parse`].
    ///
    /// A `Siret` so accepted may give a [`Siren`] whose key is wrong: it names the
    /// organisation as published. Forms keep [`Siret::parse`].
    pub fn parse_noting(input: &str) -> Result<(Self, Option<IdError>), IdError> {
        match Siret::parse(input) {
            Ok(siret) => Ok((siret, None)),
            Err(failed @ (IdError::Length { .. } | IdError::NotDigits { .. })) => Err(failed),
            Err(failed) => {
                let digits = digits_of("SIRET", input, 14)?;
                // La Poste's SIREN passes its key: its establishments always pass one check.
                if luhn_valid(&digits[..9]) || luhn_valid(&digits) {
                    Ok((Self(digits), Some(failed)))
                } else {
                    Err(failed)
                }
            }
        }
    }

    /// Reads back a SIRET that [`Siret::parse_noting`] accepted (what storage wrote).
    pub fn parse_published(input: &str) -> Result<Self, IdError> {
        Siret::parse_noting(input).map(|(siret, _)| siret)
    }

    /// The SIREN of the organisation this establishment belongs to.
    pub fn siren(&self) -> Siren {
        // `parse` checked the first 9 digits as a SIREN.
        Siren(self.0[..9].to_owned())
    }

    /// The NIC: the establishment's number within its organisation.
    pub fn nic(&self) -> &str {
        &self.0[9..]
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

fn digits_of(kind: &'static str, input: &str, expected: usize) -> Result<String, IdError> {
    let compact: String = input.chars().filter(|c| !c.is_whitespace()).collect();
    if !compact.chars().all(|c| c.is_ascii_digit()) {
        return Err(IdError::NotDigits {
            kind,
            value: input.trim().to_owned(),
        });
    }
    if compact.len() != expected {
        return Err(IdError::Length {
            kind,
            value: input.trim().to_owned(),
            expected,
            found: compact.chars().count(),
        });
    }
    Ok(compact)
}

/// The Luhn check on a string of ASCII digits.
fn luhn_valid(digits: &str) -> bool {
    let sum: u32 = digits
        .bytes()
        .rev()
        .enumerate()
        .map(|(i, b)| {
            let d = u32::from(b - b'0');
            if i % 2 == 1 {
                let doubled = d * 2;
                if doubled > 9 { doubled - 9 } else { doubled }
            } else {
                d
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

macro_rules! string_newtype_impls {
    ($t:ty) => {
        impl fmt::Display for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
        impl FromStr for $t {
            type Err = IdError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Self::parse(s)
            }
        }
        impl TryFrom<String> for $t {
            type Error = IdError;
            fn try_from(s: String) -> Result<Self, Self::Error> {
                Self::parse(&s)
            }
        }
        impl From<$t> for String {
            fn from(v: $t) -> String {
                v.0
            }
        }
        impl AsRef<str> for $t {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }
    };
}
string_newtype_impls!(Siren);
string_newtype_impls!(Siret);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn real_sirens_are_valid() {
        // Grenoble-Alpes-Métropole, Ville de Grenoble, Échirolles.
        for s in ["200040715", "213801855", "213801517"] {
            assert_eq!(Siren::parse(s).unwrap().as_str(), s);
        }
        assert_eq!(Siren::parse(" 200 040 715 ").unwrap().as_str(), "200040715");
    }

    #[test]
    fn a_changed_digit_breaks_the_siren() {
        let err = Siren::parse("200040716").unwrap_err();
        assert!(matches!(err, IdError::Checksum { .. }));
        assert!(err.to_string().contains("200040716"), "{err}");
    }

    #[test]
    fn wrong_length_and_letters_are_named() {
        let err = Siren::parse("20004071").unwrap_err();
        assert_eq!(
            err.to_string(),
            "SIREN « 20004071 » invalide : attendu 9 chiffres, reçu 8 caractère(s)"
        );
        assert!(matches!(
            Siret::parse("2000407150001A").unwrap_err(),
            IdError::NotDigits { .. }
        ));
        assert!(matches!(
            Siret::parse("").unwrap_err(),
            IdError::Length { found: 0, .. }
        ));
    }

    #[test]
    fn siret_is_luhn_checked_and_knows_its_siren() {
        let siret = Siret::parse("20004071500019").unwrap();
        assert_eq!(siret.siren().as_str(), "200040715");
        assert_eq!(siret.nic(), "00019");
        assert_eq!(
            Siret::parse("21380185500015").unwrap().siren().as_str(),
            "213801855"
        );
        assert!(matches!(
            Siret::parse("20004071500018").unwrap_err(),
            IdError::Checksum { .. }
        ));
    }

    #[test]
    fn a_siret_whose_siren_fails_its_key_is_refused() {
        // 14 digits that pass the Luhn check while the first nine do not: seen in real DECP
        // files as a titulaire's identifier (a typing error the 14-digit key does not catch).
        let bad = "30130900605410";
        assert!(luhn_valid(bad) && !luhn_valid(&bad[..9]));
        let err = Siret::parse(bad).unwrap_err();
        assert!(matches!(err, IdError::SirenChecksum { .. }), "{err:?}");
        assert_eq!(
            err.to_string(),
            "SIRET « 30130900605410 » invalide : son SIREN (les 9 premiers chiffres, 301309006) a une clé de contrôle (Luhn) fausse"
        );
    }

    #[test]
    fn a_published_siret_that_passes_one_key_is_accepted_naming_the_other() {
        // Real buyers of marches-publics.info 2019 (records 470 and 4109): the SIREN passes
        // its key, the 14 digits do not.
        for published in ["25600053000015", "21690116500015"] {
            let (siret, failed) = Siret::parse_noting(published).unwrap();
            assert_eq!(siret.as_str(), published);
            assert!(
                matches!(failed, Some(IdError::Checksum { kind: "SIRET", .. })),
                "{failed:?}"
            );
            assert!(Siret::parse(published).is_err());
            assert_eq!(Siret::parse_published(published), Ok(siret));
        }
        // The 14 digits pass, the SIREN does not (as in the benchmark's generated buyers).
        let (siret, failed) = Siret::parse_noting("30130900605410").unwrap();
        assert!(matches!(failed, Some(IdError::SirenChecksum { .. })));
        assert_eq!(siret.siren().as_str(), "301309006");
        assert!(Siren::parse("301309006").is_err());
        assert_eq!(Siren::parse_published("301309006"), Ok(siret.siren()));
        // Both keys fail (record 929 of the same file): refused as by `parse`.
        assert_eq!(
            Siret::parse_noting("22740001400074").unwrap_err(),
            Siret::parse("22740001400074").unwrap_err()
        );
        // A valid SIRET notes nothing; a wrong length is refused.
        assert_eq!(
            Siret::parse_noting("20004071500019").unwrap(),
            (Siret::parse("20004071500019").unwrap(), None)
        );
        assert!(Siret::parse_noting("2000407150001").is_err());
        assert!(Siren::parse_published("20004071").is_err());
        // La Poste: an establishment failing the sum rule still has La Poste's valid SIREN.
        let (_, failed) = Siret::parse_noting("35600000012400").unwrap();
        assert!(matches!(failed, Some(IdError::LaPosteChecksum { .. })));
    }

    #[test]
    fn la_poste_establishments_are_checked_on_the_sum_of_digits() {
        // La Poste's SIREN itself is Luhn-valid.
        assert!(Siren::parse("356000000").is_ok());
        // Sum of digits 3+5+6+1+2+3 = 20: valid for La Poste, though it fails Luhn.
        assert!(!luhn_valid("35600000012300"));
        assert!(Siret::parse("35600000012300").is_ok());
        // Sum 21: refused with La Poste's own reason.
        assert!(matches!(
            Siret::parse("35600000012400").unwrap_err(),
            IdError::LaPosteChecksum { .. }
        ));
        // The head office is the exception to the exception: Luhn applies.
        assert!(luhn_valid(LA_POSTE_HEAD_OFFICE));
        assert!(Siret::parse(LA_POSTE_HEAD_OFFICE).is_ok());
    }

    #[test]
    fn serde_round_trip_validates() {
        let s: Siren = serde_json_like("200040715").unwrap();
        assert_eq!(String::from(s), "200040715");
        assert!(serde_json_like::<Siren>("123456789").is_err());
    }

    /// Deserialises through serde's `String` path without a wire format crate.
    fn serde_json_like<T: TryFrom<String, Error = IdError>>(s: &str) -> Result<T, IdError> {
        T::try_from(s.to_owned())
    }
}
