//! Values as DECP writes them: numbers kept as their decimal text, whole numbers from numbers
//! or texts, yes/no, rates in thousandths, and dates with their zone or time.

use chrono::NaiveDate;
use serde_json::{Number, Value};

/// The decimal text of a JSON number: integers as they are, floats by their shortest
/// round-trip decimal (`127000.5`, `100000000000000000` for 1e17), never with an exponent.
pub(in crate::decp_read) fn number_text(n: &Number) -> String {
    if let Some(u) = n.as_u64() {
        u.to_string()
    } else if let Some(i) = n.as_i64() {
        i.to_string()
    } else if let Some(f) = n.as_f64() {
        format!("{f}")
    } else {
        n.to_string()
    }
}

/// A value as text, for rejections: strings as they are, `null` as "", objects and lists as
/// compact JSON.
pub(in crate::decp_read) fn value_text(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        Value::Number(n) => number_text(n),
        Value::Bool(b) => b.to_string(),
        other => other.to_string(),
    }
}

/// A whole non-negative number: `12`, `12.0`, `"12"`.
pub(super) fn whole_number(v: &Value) -> Option<u64> {
    match v {
        Value::Number(n) => whole_of_number(n),
        Value::String(s) => whole_of_text(s),
        _ => None,
    }
}

/// A JSON number that is whole and non-negative.
pub(in crate::decp_read) fn whole_of_number(n: &Number) -> Option<u64> {
    n.as_u64().or_else(|| {
        n.as_f64()
            .filter(|f| f.fract() == 0.0 && *f >= 0.0 && *f <= f64::from(u32::MAX))
            .map(|f| f as u64)
    })
}

/// A text that is a whole non-negative number: `"12"`, `"12.00"`.
pub(in crate::decp_read) fn whole_of_text(s: &str) -> Option<u64> {
    let s = s.trim();
    let (whole, frac) = s.split_once('.').unwrap_or((s, ""));
    let digits = |t: &str| t.bytes().all(|b| b.is_ascii_digit());
    if whole.is_empty() || !digits(whole) || !frac.bytes().all(|b| b == b'0') {
        return None;
    }
    whole.parse().ok()
}

/// A yes/no written as text: "true"/"oui"/"1", "false"/"non"/"0", any case.
pub(in crate::decp_read) fn boolean_text(s: &str) -> Option<bool> {
    match s.trim().to_lowercase().as_str() {
        "true" | "oui" | "1" => Some(true),
        "false" | "non" | "0" => Some(false),
        _ => None,
    }
}

/// "0.1" → 100, "0.125" → 125, "1" → 1000; `None` beyond 1 or with more than 3 significant
/// decimals.
pub(in crate::decp_read) fn permille_of(text: &str) -> Option<u32> {
    let text = text.trim();
    let (whole, frac) = text.split_once(['.', ',']).unwrap_or((text, ""));
    let digits = |t: &str| t.bytes().all(|b| b.is_ascii_digit());
    if (whole.is_empty() && frac.is_empty()) || !digits(whole) || !digits(frac) {
        return None;
    }
    if frac.len() > 3 && frac[3..].bytes().any(|b| b != b'0') {
        return None;
    }
    let whole: u32 = if whole.is_empty() {
        0
    } else {
        whole.parse().ok()?
    };
    let mut thousandths = 0;
    for (i, b) in frac.bytes().take(3).enumerate() {
        thousandths += u32::from(b - b'0') * [100, 10, 1][i];
    }
    let permille = whole.checked_mul(1000)?.checked_add(thousandths)?;
    (permille <= 1000).then_some(permille)
}

/// The years a DECP date can plausibly fall in: contracts of the last century to the next.
const PLAUSIBLE_YEARS: std::ops::RangeInclusive<i32> = 1900..=2100;

/// Parses a DECP date: `AAAA-MM-JJ` (month and day may have one digit), optionally followed
/// by a zone (`Z`, `+01:00`, `-05:00`, `+0100`, `+01:00Z`) or a time (`T10:00:00`, with an
/// optional fraction and zone). The date part is returned as written: the zone only says
/// where that day was.
pub(in crate::decp_read) fn parse_date(input: &str) -> Result<NaiveDate, String> {
    let t = input.trim();
    let bad = || {
        format!(
            "date « {t} » invalide : attendu AAAA-MM-JJ, éventuellement suivi d'un fuseau ou d'une heure (2019-03-15, 2019-03-15+01:00)"
        )
    };
    let b = t.as_bytes();
    if b.len() < 8 || !b[..4].iter().all(u8::is_ascii_digit) || b[4] != b'-' {
        return Err(bad());
    }
    let (month, rest) = leading_number(&t[5..], 2).ok_or_else(bad)?;
    let rest = rest.strip_prefix('-').ok_or_else(bad)?;
    let (day, rest) = leading_number(rest, 2).ok_or_else(bad)?;
    if !valid_date_suffix(rest) {
        return Err(bad());
    }
    let year: i32 = t[..4].parse().map_err(|_| bad())?;
    let date = NaiveDate::from_ymd_opt(year, month, day)
        .ok_or_else(|| format!("date « {t} » invalide : ce jour n'existe pas"))?;
    if !PLAUSIBLE_YEARS.contains(&year) {
        return Err(format!(
            "date « {t} » invalide : l'année {year:04} est invraisemblable (attendu entre {} et {})",
            PLAUSIBLE_YEARS.start(),
            PLAUSIBLE_YEARS.end()
        ));
    }
    Ok(date)
}

/// 1 to `max` leading ASCII digits as a number, and the rest.
fn leading_number(s: &str, max: usize) -> Option<(u32, &str)> {
    let n = s.bytes().take_while(u8::is_ascii_digit).count();
    if n == 0 || n > max {
        return None;
    }
    Some((s[..n].parse().ok()?, &s[n..]))
}

/// Exactly `n` digits, and the rest.
fn fixed_digits(s: &str, n: usize) -> Option<&str> {
    (s.len() >= n && s.as_bytes()[..n].iter().all(u8::is_ascii_digit)).then(|| &s[n..])
}

fn valid_date_suffix(rest: &str) -> bool {
    let rest = match rest.as_bytes().first() {
        Some(b'T' | b't' | b' ') => match skip_time(&rest[1..]) {
            Some(after) => after,
            None => return false,
        },
        _ => rest,
    };
    valid_zone(rest)
}

/// `HH:MM`, `HH:MM:SS`, `HH:MM:SS.fff`: the rest after it.
fn skip_time(s: &str) -> Option<&str> {
    let s = fixed_digits(s, 2)?;
    let s = fixed_digits(s.strip_prefix(':')?, 2)?;
    let Some(after_colon) = s.strip_prefix(':') else {
        return Some(s);
    };
    let s = fixed_digits(after_colon, 2)?;
    match s.strip_prefix('.') {
        Some(frac) => {
            let n = frac.bytes().take_while(u8::is_ascii_digit).count();
            (n > 0).then(|| &frac[n..])
        }
        None => Some(s),
    }
}

/// "", "Z", "+01:00", "-0500", "+01", "+01:00Z".
fn valid_zone(s: &str) -> bool {
    if s.is_empty() || s == "Z" || s == "z" {
        return true;
    }
    let Some(s) = s.strip_prefix(['+', '-']) else {
        return false;
    };
    let Some(s) = fixed_digits(s, 2) else {
        return false;
    };
    let s = match s.strip_prefix(':') {
        Some(m) => match fixed_digits(m, 2) {
            Some(r) => r,
            None => return false,
        },
        None => fixed_digits(s, 2).unwrap_or(s),
    };
    s.is_empty() || s == "Z"
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    #[test]
    fn dates_keep_their_date_part_whatever_the_zone_or_time() {
        for (input, expected) in [
            ("2019-03-15", "2019-03-15"),
            ("2018-12-21+01:00", "2018-12-21"),
            ("2018-12-21-05:00", "2018-12-21"),
            ("2018-12-21Z", "2018-12-21"),
            ("2018-12-21+01:00Z", "2018-12-21"),
            ("2018-12-21+0100", "2018-12-21"),
            ("2019-03-01T00:00:00+01:00", "2019-03-01"),
            ("2019-03-01T23:59:59.123Z", "2019-03-01"),
            ("2019-03-01 10:30", "2019-03-01"),
            (" 2019-1-1 ", "2019-01-01"),
        ] {
            assert_eq!(parse_date(input), Ok(date(expected)), "{input}");
        }
    }

    #[test]
    fn impossible_and_malformed_dates_are_refused() {
        for input in [
            "0218-10-29",
            "2019-02-30",
            "2019-13-01",
            "15/03/2019",
            "2019-03-15+1",
            "2019-03-15T10",
            "2019-03-15 et demi",
            "20190315",
            "",
        ] {
            assert!(parse_date(input).is_err(), "{input}");
        }
        let err = parse_date("0218-10-29").unwrap_err();
        assert!(
            err.contains("0218") && err.contains("invraisemblable"),
            "{err}"
        );
    }

    #[test]
    fn advance_rates_are_exact_per_mille() {
        assert_eq!(permille_of("0"), Some(0));
        assert_eq!(permille_of("0.1"), Some(100));
        assert_eq!(permille_of("0,05"), Some(50));
        assert_eq!(permille_of("0.125"), Some(125));
        assert_eq!(permille_of("0.1000"), Some(100));
        assert_eq!(permille_of("1"), Some(1000));
        assert_eq!(permille_of("1.5"), None);
        assert_eq!(permille_of("0.1234"), None);
        assert_eq!(permille_of("-0.1"), None);
        assert_eq!(permille_of("dix"), None);
    }

    #[test]
    fn whole_numbers_come_from_numbers_and_strings() {
        assert_eq!(whole_number(&serde_json::json!(12)), Some(12));
        assert_eq!(whole_number(&serde_json::json!(12.0)), Some(12));
        assert_eq!(whole_number(&serde_json::json!("12")), Some(12));
        assert_eq!(whole_number(&serde_json::json!("12.00")), Some(12));
        assert_eq!(whole_number(&serde_json::json!(12.5)), None);
        assert_eq!(whole_number(&serde_json::json!(-1)), None);
        assert_eq!(whole_number(&serde_json::json!("NC")), None);
        assert_eq!(whole_number(&serde_json::json!(true)), None);
    }

    #[test]
    fn numbers_keep_their_decimal_text() {
        let n = |v: Value| match v {
            Value::Number(n) => number_text(&n),
            _ => unreachable!(),
        };
        assert_eq!(n(serde_json::json!(127000)), "127000");
        assert_eq!(n(serde_json::json!(77899.0)), "77899");
        assert_eq!(n(serde_json::json!(123456.89)), "123456.89");
        assert_eq!(n(serde_json::json!(1.0e17)), "100000000000000000");
        assert_eq!(n(serde_json::json!(-12)), "-12");
    }
}
