//! Money: euros excluding VAT (HT), held in integer cents. Never a float.

use std::fmt;
use std::iter::Sum;
use std::ops::{Add, Sub};

use serde::{Deserialize, Serialize};

/// An amount in euro cents, excluding VAT. May be negative (a modification that lowers a
/// contract's amount, a saving).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct Amount(i64);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AmountError {
    #[error("montant « {0} » invalide : attendu un nombre d'euros, par exemple 40000 ou 1234,56")]
    Syntax(String),
    #[error("montant « {0} » invalide : plus de deux décimales (les centimes)")]
    TooPrecise(String),
    #[error("montant « {0} » hors limites")]
    Overflow(String),
}

impl Amount {
    pub const ZERO: Amount = Amount(0);

    pub const fn from_cents(cents: i64) -> Self {
        Self(cents)
    }

    /// Whole euros, for amounts written in law and in rules ("40 000 € HT").
    pub const fn from_euros(euros: i64) -> Self {
        Self(euros * 100)
    }

    pub const fn cents(self) -> i64 {
        self.0
    }

    /// Parses a decimal amount of euros as files and command lines write it: "40000",
    /// "40000.5", "1 234,56", "-12.30", "12.500" (12,50 €). At most two significant decimals;
    /// no exponent, no float rounding. What a person types in a form or a spreadsheet is read
    /// by [`crate::french::parse_amount`], which refuses "12.500" as ambiguous.
    pub fn parse_euros(input: &str) -> Result<Self, AmountError> {
        let original = input.trim();
        let compact: String = original
            .chars()
            .filter(|c| !c.is_whitespace() && *c != '\u{202f}' && *c != '\u{a0}')
            .collect();
        let (negative, body) = match compact.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, compact.strip_prefix('+').unwrap_or(&compact)),
        };
        let body = body.replace(',', ".");
        let (whole, frac) = match body.split_once('.') {
            Some((w, f)) => (w, f),
            None => (body.as_str(), ""),
        };
        let all_digits = |s: &str| s.chars().all(|c| c.is_ascii_digit());
        if whole.is_empty() && frac.is_empty() || !all_digits(whole) || !all_digits(frac) {
            return Err(AmountError::Syntax(original.to_owned()));
        }
        if frac.len() > 2 {
            // Trailing zeros beyond the cents carry no value ("12.500").
            if frac[2..].chars().any(|c| c != '0') {
                return Err(AmountError::TooPrecise(original.to_owned()));
            }
        }
        let overflow = || AmountError::Overflow(original.to_owned());
        let euros: i64 = if whole.is_empty() {
            0
        } else {
            whole.parse().map_err(|_| overflow())?
        };
        let mut cents_part: i64 = 0;
        for (i, c) in frac.chars().take(2).enumerate() {
            let d = i64::from(c as u8 - b'0');
            cents_part += if i == 0 { d * 10 } else { d };
        }
        let cents = euros
            .checked_mul(100)
            .and_then(|c| c.checked_add(cents_part))
            .ok_or_else(overflow)?;
        Ok(Self(if negative { -cents } else { cents }))
    }

    pub fn checked_add(self, other: Amount) -> Option<Amount> {
        self.0.checked_add(other.0).map(Amount)
    }
}

impl Add for Amount {
    type Output = Amount;
    fn add(self, rhs: Amount) -> Amount {
        Amount(self.0 + rhs.0)
    }
}

impl Sub for Amount {
    type Output = Amount;
    fn sub(self, rhs: Amount) -> Amount {
        Amount(self.0 - rhs.0)
    }
}

impl Sum for Amount {
    fn sum<I: Iterator<Item = Amount>>(iter: I) -> Amount {
        iter.fold(Amount::ZERO, Add::add)
    }
}

/// French notation: "40 000,00 € HT" with a narrow no-break space between thousands.
impl fmt::Display for Amount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        let euros = group_thousands(abs / 100);
        write!(f, "{sign}{euros},{:02} € HT", abs % 100)
    }
}

/// Groups digits by three with a narrow no-break space, as French typography does.
pub fn group_thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 * 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push('\u{202f}');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_french_and_dotted_decimals_exactly() {
        assert_eq!(Amount::parse_euros("40000").unwrap().cents(), 4_000_000);
        assert_eq!(Amount::parse_euros("1 234,56").unwrap().cents(), 123_456);
        assert_eq!(Amount::parse_euros("0.1").unwrap().cents(), 10);
        assert_eq!(Amount::parse_euros("-12.30").unwrap().cents(), -1230);
        assert_eq!(Amount::parse_euros(",5").unwrap().cents(), 50);
        assert_eq!(Amount::parse_euros("12.500").unwrap().cents(), 1250);
        // 0.1 + 0.2 is exactly 0.3 in cents, unlike in floats.
        let sum = Amount::parse_euros("0.1").unwrap() + Amount::parse_euros("0.2").unwrap();
        assert_eq!(sum, Amount::parse_euros("0.3").unwrap());
    }

    #[test]
    fn refuses_what_is_not_an_amount() {
        assert!(matches!(
            Amount::parse_euros(""),
            Err(AmountError::Syntax(_))
        ));
        assert!(matches!(
            Amount::parse_euros("1e6"),
            Err(AmountError::Syntax(_))
        ));
        assert!(matches!(
            Amount::parse_euros("12.345"),
            Err(AmountError::TooPrecise(_))
        ));
        assert!(matches!(
            Amount::parse_euros("99999999999999999999"),
            Err(AmountError::Overflow(_))
        ));
    }

    #[test]
    fn displays_in_french() {
        assert_eq!(
            Amount::from_euros(40_000).to_string(),
            "40\u{202f}000,00 € HT"
        );
        assert_eq!(Amount::from_cents(-5).to_string(), "-0,05 € HT");
        assert_eq!(group_thousands(449_509), "449\u{202f}509");
        assert_eq!(group_thousands(999), "999");
    }
}
