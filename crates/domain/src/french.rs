//! Numbers and dates as a French person types them, in a form or a spreadsheet cell: one set
//! of rules for every field of Mutualis that reads an amount, a quantity, a whole number or a
//! date typed by hand.
//!
//! - **Amounts** (euros excluding VAT, [`parse_amount`]): digits grouped by spaces (ordinary,
//!   non-breaking, narrow or thin ones), at most one decimal separator, "," or ".", followed
//!   by one or two digits, and an optional "€", "EUR" or "HT" after: "12 500,50", "12500.5",
//!   "12 500 €". Dots and commas as thousands separators are refused ("1.234,5",
//!   "1,234.50"), and so is a single separator followed by three digits: "12.500" is twelve
//!   thousand five hundred to a French reader (in French the decimal separator is the comma,
//!   and a dot sometimes groups thousands) but twelve and a half to a spreadsheet, so it is
//!   refused with both readings offered, never read as 12,50 €.
//! - **Quantities** ([`parse_quantity`], in thousandths of their unit): the same rules, one
//!   or two decimals; the unit is typed apart.
//! - **Whole numbers** ([`parse_whole`]): digits, spaces between them ignored ("1 000").
//! - **Dates** ([`parse_date`]): "31/12/2026" (day first, JJ/MM/AAAA) or the ISO
//!   "2026-12-31" of links, the API and spreadsheets (an ISO date-time keeps its date).
//!   "12/31/2026" and impossible dates are refused.
//!
//! Every refusal names the value typed and what was expected, in French, as a fragment
//! ("montant « 12.500 » ambigu : …") that the caller may make a sentence of.
//!
//! Decimal numbers written by machines (DECP files, command-line flags) are read by
//! [`Amount::parse_euros`], where "12.500" is the decimal 12.5.

use chrono::NaiveDate;

use crate::amount::Amount;

/// The largest amount a person types: ten billion euros, far above any need or contract,
/// far below where a float stops holding every cent (a spreadsheet cell is one).
pub const MAX_EUROS: i64 = 10_000_000_000;

/// An amount in euros HT, more than 0: "12 500,50", "12500.5", "12 500 €".
pub fn parse_amount(text: &str) -> Result<Amount, String> {
    let amount = parse_amount_or_zero(text)?;
    if amount == Amount::ZERO {
        return Err(format!(
            "montant « {} » : attendu un montant positif",
            text.trim()
        ));
    }
    Ok(amount)
}

/// An amount in euros HT by the rules of [`parse_amount`], 0 accepted (the bound of a filter).
pub fn parse_amount_or_zero(text: &str) -> Result<Amount, String> {
    let original = text.trim();
    let mut body = original;
    for suffix in ["HT", "ht", "€", "EUR", "eur", "euros"] {
        body = body.trim_end_matches(is_digit_space);
        body = body.strip_suffix(suffix).unwrap_or(body);
    }
    let body = body.trim_matches(is_digit_space);
    let (whole, decimals) = split_number(original, body, "montant")?;
    if decimals.len() == 3 {
        return Err(format!(
            "montant « {original} » ambigu : milliers ou décimales ? Écrivez {whole}{decimals} \
             ou {whole},{}",
            &decimals[..2]
        ));
    }
    if decimals.len() > 2 {
        return Err(format!(
            "montant « {original} » : plus de deux décimales ; arrondissez au centime"
        ));
    }
    let amount = Amount::parse_euros(&format!("{whole}.{decimals}"))
        .map_err(|_| format!("montant « {original} » hors limites"))?;
    if amount.cents() > MAX_EUROS * 100 {
        return Err(format!("montant « {original} » hors limites"));
    }
    Ok(amount)
}

/// A quantity in thousandths of its unit, more than 0: "12,5" is 12 500, "1 500" is 1 500 000.
pub fn parse_quantity(text: &str) -> Result<i64, String> {
    let original = text.trim();
    let (whole, decimals) = split_number(original, original, "quantité").map_err(|e| {
        if original.chars().any(char::is_alphabetic) {
            format!(
                "quantité « {original} » : un nombre seul, l'unité va dans la colonne « Unité »"
            )
        } else {
            e
        }
    })?;
    match decimals.len() {
        0..=2 => {}
        3 => {
            return Err(format!(
                "quantité « {original} » ambiguë : milliers ou décimales ? Écrivez {whole}{decimals} \
                 ou saisissez un nombre"
            ));
        }
        _ => return Err(format!("quantité « {original} » : plus de trois décimales")),
    }
    let whole: i64 = whole
        .parse()
        .map_err(|_| format!("quantité « {original} » hors limites"))?;
    let frac: i64 = format!("{decimals:0<3}").parse().unwrap_or(0);
    let thousandths = whole
        .checked_mul(1000)
        .and_then(|t| t.checked_add(frac))
        .filter(|t| *t < 1_000_000_000_000_000)
        .ok_or_else(|| format!("quantité « {original} » hors limites"))?;
    if thousandths == 0 {
        return Err(format!(
            "quantité « {original} » : attendu une quantité positive"
        ));
    }
    Ok(thousandths)
}

/// A whole number, spaces between its digits ignored: "1 000", "36".
pub fn parse_whole(text: &str) -> Result<u32, String> {
    let digits: String = text
        .trim()
        .chars()
        .filter(|c| !is_digit_space(*c))
        .collect();
    digits.parse().map_err(|_| {
        format!(
            "nombre « {} » non reconnu : attendu un nombre entier, par exemple 1 000",
            text.trim()
        )
    })
}

/// A date: "31/12/2026" (day first) or "2026-12-31" (an ISO date-time keeps its date).
pub fn parse_date(text: &str) -> Result<NaiveDate, String> {
    let s = text.trim();
    let expected = "attendu JJ/MM/AAAA (jour puis mois), par exemple 31/12/2026";
    let Some((year, month, day, day_first)) = iso_date_parts(s).or_else(|| french_date_parts(s))
    else {
        return Err(format!("date « {s} » non reconnue : {expected}"));
    };
    NaiveDate::from_ymd_opt(year, month, day).ok_or_else(|| {
        if day_first && month > 12 && day <= 12 {
            format!("date « {s} » impossible : le jour vient avant le mois ; {expected}")
        } else {
            format!("date « {s} » impossible")
        }
    })
}

/// Spaces a person or a spreadsheet may put between groups of digits.
fn is_digit_space(c: char) -> bool {
    matches!(c, ' ' | '\u{a0}' | '\u{202f}' | '\u{2009}')
}

/// Splits a typed number into its whole part (digits, spaces between groups of three
/// removed) and its decimals, refusing every form that could be read two ways.
fn split_number(original: &str, body: &str, what: &str) -> Result<(String, String), String> {
    let example = "par exemple 12 500,50 ou 12500.5";
    if body.starts_with('-') {
        return Err(format!(
            "{what} « {original} » négatif : attendu un nombre positif"
        ));
    }
    if !body
        .chars()
        .all(|c| c.is_ascii_digit() || c == ',' || c == '.' || is_digit_space(c))
    {
        return Err(format!(
            "{what} « {original} » non reconnu : attendu un nombre, {example}"
        ));
    }
    let separators = body.chars().filter(|c| *c == ',' || *c == '.').count();
    if separators > 1 {
        return Err(format!(
            "{what} « {original} » ambigu : le point et la virgule ne séparent pas les milliers \
             (utilisez un espace) et un nombre n'a qu'un seul séparateur décimal (une virgule ou \
             un point), {example}"
        ));
    }
    let (whole, decimals) = match body.split_once([',', '.']) {
        Some((w, d)) => (w.trim_end_matches(is_digit_space), d),
        None => (body, ""),
    };
    // Without spaces, any number of digits; with spaces, groups of three after the first.
    let groups: Vec<&str> = whole.split(is_digit_space).collect();
    let regular = match groups.as_slice() {
        [single] => !single.is_empty(),
        [first, rest @ ..] => (1..=3).contains(&first.len()) && rest.iter().all(|g| g.len() == 3),
        [] => false,
    };
    if !regular {
        return Err(format!(
            "{what} « {original} » non reconnu : chiffres mal groupés, {example}"
        ));
    }
    if !decimals.chars().all(|c| c.is_ascii_digit()) || separators == 1 && decimals.is_empty() {
        return Err(format!("{what} « {original} » non reconnu, {example}"));
    }
    Ok((groups.concat(), decimals.to_owned()))
}

/// Digits of a date part of `min` to `max` digits.
fn date_part(part: &str, min: usize, max: usize) -> Option<u32> {
    let fits = (min..=max).contains(&part.len()) && part.bytes().all(|b| b.is_ascii_digit());
    fits.then(|| part.parse().ok()).flatten()
}

/// (year, month, day, false) of "2026-12-31" or "2026-12-31T…".
fn iso_date_parts(s: &str) -> Option<(i32, u32, u32, bool)> {
    let date = s.get(..10)?;
    if s.len() > 10 && !s[10..].starts_with('T') {
        return None;
    }
    let mut parts = date.split('-');
    let year = date_part(parts.next()?, 4, 4)?;
    let month = date_part(parts.next()?, 2, 2)?;
    let day = date_part(parts.next()?, 2, 2)?;
    Some((i32::try_from(year).ok()?, month, day, false))
}

/// (year, month, day, true) of "31/12/2026" or "1/2/2027".
fn french_date_parts(s: &str) -> Option<(i32, u32, u32, bool)> {
    let parts: Vec<&str> = s.split('/').collect();
    let [day, month, year] = parts.as_slice() else {
        return None;
    };
    Some((
        i32::try_from(date_part(year, 4, 4)?).ok()?,
        date_part(month, 1, 2)?,
        date_part(day, 1, 2)?,
        true,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cents(text: &str) -> Result<i64, String> {
        parse_amount(text).map(Amount::cents)
    }

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    /// What the needs workbook, the need form and the groupement forms accepted.
    #[test]
    fn reads_unambiguous_amounts_and_refuses_the_rest() {
        for (text, expected) in [
            ("12 500,50", 1_250_050),
            ("12500.5", 1_250_050),
            ("12 500 €", 1_250_000),
            ("12\u{a0}500,5\u{a0}€ HT", 1_250_050),
            ("1\u{202f}234\u{202f}567", 123_456_700),
            ("48000", 4_800_000),
            ("0,5", 50),
            (" 10 000 000 000 ", MAX_EUROS * 100),
        ] {
            assert_eq!(cents(text), Ok(expected), "{text}");
        }
        for refused in [
            "1.234,5",
            "1,234.50",
            "12.500",
            "12,500",
            "1.234.567",
            "12,3456",
            "-12",
            "0",
            "douze",
            "12 50",
            "1 2345",
            ",",
            "12,",
            "1e5",
            "",
            "10 000 000 000,01",
        ] {
            assert!(cents(refused).is_err(), "{refused} accepted");
        }
        assert!(cents("1.234,5").unwrap_err().contains("ambigu"));
        // What is refused there is a second separator, not a second decimal digit.
        for two_separators in ["1.234,5", "1.234.567"] {
            let message = cents(two_separators).unwrap_err();
            assert!(
                message.contains("un seul séparateur décimal (une virgule ou un point)"),
                "{message}"
            );
            assert!(!message.contains("seule décimale"), "{message}");
        }
    }

    /// "12.500" was 12,50 € in the contracts filter (`Amount::parse_euros`) and refused by
    /// the needs forms: a French reader means twelve thousand five hundred, a spreadsheet
    /// twelve and a half. Every field refuses it and offers both readings.
    #[test]
    fn a_dot_before_three_digits_is_refused_with_both_readings() {
        for parse in [parse_amount, parse_amount_or_zero] {
            assert_eq!(
                parse("12.500"),
                Err(
                    "montant « 12.500 » ambigu : milliers ou décimales ? Écrivez 12500 ou 12,50"
                        .into()
                )
            );
            assert!(
                parse("12,500")
                    .unwrap_err()
                    .contains("Écrivez 12500 ou 12,50")
            );
            assert_eq!(parse("12.50").map(Amount::cents), Ok(1250));
            assert_eq!(parse("12 500").map(Amount::cents), Ok(1_250_000));
        }
        assert_eq!(Amount::parse_euros("12.500").map(Amount::cents), Ok(1250));
    }

    /// What the contracts filter accepted before still reads the same, 0 included.
    #[test]
    fn a_filter_bound_may_be_zero() {
        for (text, expected) in [
            ("0", 0),
            ("40000", 4_000_000),
            ("1234,56", 123_456),
            ("1 234,56", 123_456),
            ("12.30", 1230),
            ("0.1", 10),
        ] {
            assert_eq!(
                parse_amount_or_zero(text).map(Amount::cents),
                Ok(expected),
                "{text}"
            );
        }
        assert_eq!(
            parse_amount("0"),
            Err("montant « 0 » : attendu un montant positif".into())
        );
        assert!(parse_amount_or_zero("-5").unwrap_err().contains("négatif"));
    }

    #[test]
    fn refusals_name_the_value_and_what_was_expected() {
        for (text, expected) in [
            (
                "beaucoup",
                "attendu un nombre, par exemple 12 500,50 ou 12500.5",
            ),
            ("12 50", "chiffres mal groupés, par exemple 12 500,50"),
            ("12,345,6", "un seul séparateur décimal"),
            ("-3", "attendu un nombre positif"),
            ("99999999999999", "hors limites"),
        ] {
            let message = parse_amount(text).unwrap_err();
            assert!(
                message.starts_with(&format!("montant « {text} »")),
                "{message}"
            );
            assert!(message.contains(expected), "{message}");
        }
        for (message, expected) in [
            (
                parse_quantity("douze"),
                "quantité « douze » : un nombre seul",
            ),
            (
                parse_whole("trois").map(i64::from),
                "nombre « trois » non reconnu : attendu un nombre entier",
            ),
            (
                parse_date("hier").map(|_| 0),
                "date « hier » non reconnue : attendu JJ/MM/AAAA",
            ),
        ] {
            let message = message.unwrap_err();
            assert!(message.starts_with(expected), "{message}");
        }
    }

    #[test]
    fn reads_quantities() {
        for (text, thousandths) in [("12,5", 12_500), ("12.25", 12_250), ("1 500", 1_500_000)] {
            assert_eq!(parse_quantity(text), Ok(thousandths), "{text}");
        }
        assert!(parse_quantity("1,500").unwrap_err().contains("ambiguë"));
        assert!(parse_quantity("12 t").unwrap_err().contains("Unité"));
        assert!(parse_quantity("0").is_err());
        let two = parse_quantity("1,234.5").unwrap_err();
        assert!(two.contains("un seul séparateur décimal"), "{two}");
    }

    /// The groupement forms' whole numbers: durations, offers, shares, populations.
    #[test]
    fn reads_whole_numbers_with_spaces() {
        for (text, n) in [
            ("36", 36),
            (" 158 198 ", 158_198),
            ("1\u{a0}000", 1000),
            ("1\u{202f}000", 1000),
        ] {
            assert_eq!(parse_whole(text), Ok(n), "{text}");
        }
        for refused in ["", "12,5", "-1", "douze", "99999999999"] {
            assert!(parse_whole(refused).is_err(), "{refused} accepted");
        }
    }

    /// What the needs workbook and every date field of the pages accepted.
    #[test]
    fn reads_french_and_iso_dates_only() {
        assert_eq!(parse_date("31/12/2026"), Ok(day(2026, 12, 31)));
        assert_eq!(parse_date("1/2/2027"), Ok(day(2027, 2, 1)));
        assert_eq!(parse_date("2026-12-31"), Ok(day(2026, 12, 31)));
        assert_eq!(parse_date(" 2026-12-31 "), Ok(day(2026, 12, 31)));
        assert_eq!(parse_date("2026-12-31T00:00:00"), Ok(day(2026, 12, 31)));
        assert!(
            parse_date("12/31/2026")
                .unwrap_err()
                .contains("le jour vient avant le mois")
        );
        assert_eq!(
            parse_date("31/02/2026"),
            Err("date « 31/02/2026 » impossible".into())
        );
        for refused in [
            "31/12/26",
            "31.12.2026",
            "demain",
            "2026-1-5",
            "31/12/2026 extra",
            "12/2026",
            "2026/12/31",
            "31-12-2026",
        ] {
            let message = parse_date(refused).unwrap_err();
            assert!(message.contains(&format!("« {refused} »")), "{message}");
        }
    }
}
