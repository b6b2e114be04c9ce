//! Exact non-negative decimals for what DECP publishes as decimal numbers that are not amounts
//! in cents: the shares of products of EU or French origin (`origineUE`, `origineFrance`,
//! between 0 and 1) and a concession's tariffs (`tarif`, a price per unit that may have more
//! than two decimals, 1.2345 € per m³). Never a float: the digits are kept as published.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A non-negative decimal, kept exactly: its digits and how many of them follow the point
/// (14.29 is 1429 with 2 decimals). Trailing zeros after the point carry no value and are
/// dropped (0.10 = 0.1, 25.0 = 25), so that equal numbers compare equal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Decimal {
    units: u64,
    scale: u8,
}

/// At most this many digits after the point.
pub const MAX_DECIMALS: usize = 12;

/// At most this many digits in all (what a `u64` holds whatever they are).
const MAX_DIGITS: usize = 19;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecimalError {
    #[error("nombre « {0} » invalide : attendu un nombre positif en chiffres, par exemple 14.29")]
    Syntax(String),
    #[error("nombre « {0} » invalide : plus de {MAX_DECIMALS} décimales")]
    TooPrecise(String),
    #[error("nombre « {0} » hors limites")]
    Overflow(String),
    #[error("part « {0} » invalide : attendu un nombre entre 0 et 1 (0.2 pour 20 %)")]
    NotAShare(String),
}

impl Decimal {
    pub const ZERO: Decimal = Decimal { units: 0, scale: 0 };

    /// Reads a decimal as files write it: "14.29", "0,5", "25", ".5", "25.000". No sign, no
    /// exponent, no thousands separator.
    pub fn parse(input: &str) -> Result<Decimal, DecimalError> {
        let text = input.trim();
        let syntax = || DecimalError::Syntax(text.to_owned());
        let (whole, frac) = text.split_once(['.', ',']).unwrap_or((text, ""));
        let digits = |t: &str| t.bytes().all(|b| b.is_ascii_digit());
        if (whole.is_empty() && frac.is_empty()) || !digits(whole) || !digits(frac) {
            return Err(syntax());
        }
        let frac = frac.trim_end_matches('0');
        if frac.len() > MAX_DECIMALS {
            return Err(DecimalError::TooPrecise(text.to_owned()));
        }
        let whole = whole.trim_start_matches('0');
        if whole.len() + frac.len() > MAX_DIGITS {
            return Err(DecimalError::Overflow(text.to_owned()));
        }
        let all = format!("{whole}{frac}");
        let units = if all.is_empty() {
            0
        } else {
            all.parse::<u64>()
                .map_err(|_| DecimalError::Overflow(text.to_owned()))?
        };
        let scale = u8::try_from(frac.len()).map_err(|_| syntax())?;
        Ok(Decimal { units, scale })
    }

    /// Whether it is at most 1.
    pub fn at_most_one(self) -> bool {
        self.units <= 10u64.pow(u32::from(self.scale))
    }

    /// The value times 100, as French text: 0.125 → "12,5", 1 → "100". For shares shown as
    /// percentages.
    pub fn percent_fr(self) -> String {
        let shifted = if self.scale >= 2 {
            Decimal {
                units: self.units,
                scale: self.scale - 2,
            }
        } else {
            Decimal {
                units: self.units * 10u64.pow(u32::from(2 - self.scale)),
                scale: 0,
            }
        };
        shifted.to_string().replace('.', ",")
    }

    /// French text: "14,29".
    pub fn french(self) -> String {
        self.to_string().replace('.', ",")
    }
}

/// Decimal notation with a point, as DECP and JSON write numbers: "14.29", "0.1", "25".
impl fmt::Display for Decimal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let scale = usize::from(self.scale);
        if scale == 0 {
            return write!(f, "{}", self.units);
        }
        let digits = format!("{:0width$}", self.units, width = scale + 1);
        let (whole, frac) = digits.split_at(digits.len() - scale);
        write!(f, "{whole}.{frac}")
    }
}

/// Stored as its decimal text ("14.29"), which keeps it exact.
impl Serialize for Decimal {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Decimal {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Decimal::parse(&text).map_err(serde::de::Error::custom)
    }
}

/// A share between 0 and 1 (0.2 = 20 %), exact: DECP's `origineUE` and `origineFrance`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct Share(Decimal);

impl Share {
    /// Reads a share: a decimal between 0 and 1 ("0.2", "1", "0,125").
    pub fn parse(input: &str) -> Result<Share, DecimalError> {
        let d = Decimal::parse(input)?;
        if d.at_most_one() {
            Ok(Share(d))
        } else {
            Err(DecimalError::NotAShare(input.trim().to_owned()))
        }
    }

    pub fn value(self) -> Decimal {
        self.0
    }

    /// As a French percentage: "10 %", "12,5 %".
    pub fn percent_fr(self) -> String {
        format!("{} %", self.0.percent_fr())
    }
}

impl fmt::Display for Share {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl<'de> Deserialize<'de> for Share {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Share::parse(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Decimal {
        Decimal::parse(s).unwrap()
    }

    #[test]
    fn decimals_keep_their_digits_and_drop_trailing_zeros() {
        for (input, text) in [
            ("14.29", "14.29"),
            ("0,5", "0.5"),
            ("25.0", "25"),
            ("25", "25"),
            (".5", "0.5"),
            ("0.10", "0.1"),
            ("0.0523", "0.0523"),
            ("007.50", "7.5"),
            ("0", "0"),
            (" 1.2345 ", "1.2345"),
        ] {
            assert_eq!(d(input).to_string(), text, "{input}");
        }
        assert_eq!(d("0.10"), d("0.1"));
        assert_ne!(d("0.1"), d("0.01"));
    }

    #[test]
    fn bad_decimals_are_refused_with_their_text() {
        for input in ["", "-1", "1e3", "1.2.3", "abc", "1 234", "."] {
            assert!(
                matches!(Decimal::parse(input), Err(DecimalError::Syntax(_))),
                "{input}"
            );
        }
        assert!(matches!(
            Decimal::parse("0.1234567890123"),
            Err(DecimalError::TooPrecise(_))
        ));
        assert!(matches!(
            Decimal::parse("123456789012345678901"),
            Err(DecimalError::Overflow(_))
        ));
        assert_eq!(
            Decimal::parse("x").unwrap_err().to_string(),
            "nombre « x » invalide : attendu un nombre positif en chiffres, par exemple 14.29"
        );
    }

    #[test]
    fn shares_lie_between_zero_and_one() {
        assert_eq!(Share::parse("0.1").unwrap().to_string(), "0.1");
        assert_eq!(Share::parse("1.000").unwrap().to_string(), "1");
        assert_eq!(Share::parse("0").unwrap().percent_fr(), "0 %");
        assert_eq!(Share::parse("0.1").unwrap().percent_fr(), "10 %");
        assert_eq!(Share::parse("0.125").unwrap().percent_fr(), "12,5 %");
        assert_eq!(Share::parse("1").unwrap().percent_fr(), "100 %");
        assert_eq!(Share::parse("0.3333").unwrap().percent_fr(), "33,33 %");
        assert!(matches!(
            Share::parse("1.01"),
            Err(DecimalError::NotAShare(_))
        ));
        assert!(matches!(
            Share::parse("20"),
            Err(DecimalError::NotAShare(_))
        ));
    }
}
