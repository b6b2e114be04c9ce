//! What every form shares: one way to type, read and show a date.
//!
//! A date field shows its date as JJ/MM/AAAA ([`date_value`]) and its label says so
//! ([`date_label`]); it reads JJ/MM/AAAA and the ISO AAAA-MM-JJ of links, the API and
//! spreadsheets ([`parse_date`], the rules of every typed date: `mutualis_domain::french`), and
//! refuses anything else with a message naming the value and the format, shown next to the
//! field. The fields are `type="text"`: a browser's date picker shows the date in the
//! browser's own format and sends ISO, so that the page, its label and its error messages
//! would each speak of another format, and a field typed by hand must work anyway. They carry
//! no `inputmode="numeric"` (the keypad it opens on a phone has no "/") nor `pattern` (the
//! browser's own message would come before the page's, in the browser's language).

use chrono::NaiveDate;
use mutualis_domain::french;

/// What every date field's label says, after its name.
pub const DATE_FORMAT: &str = "au format JJ/MM/AAAA";

/// "Date de début (au format JJ/MM/AAAA)".
pub fn date_label(name: &str) -> String {
    format!("{name} ({DATE_FORMAT})")
}

/// A date as a field shows it: "31/12/2026".
pub fn date_value(date: NaiveDate) -> String {
    date.format("%d/%m/%Y").to_string()
}

/// A date typed in a field: "31/12/2026" or "2026-12-31"; the error is a sentence that names
/// the value and the format expected.
pub fn parse_date(value: &str) -> Result<NaiveDate, String> {
    french::parse_date(value).map_err(|e| sentence(&e))
}

/// What a date field shows back: the date it read, as JJ/MM/AAAA, or what was typed when it
/// does not read (so that the user can correct it).
pub fn shown_date(typed: &str) -> String {
    parse_date(typed).map_or_else(|_| typed.to_owned(), date_value)
}

/// A message of the lower layers ("montant « x » …") as a sentence: capital, final stop.
pub use mutualis_app::sentence;

#[cfg(test)]
mod tests {
    use super::*;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn a_date_field_reads_french_and_iso_dates_and_shows_french() {
        assert_eq!(parse_date("31/12/2026"), Ok(day(2026, 12, 31)));
        assert_eq!(parse_date(" 2026-12-31 "), Ok(day(2026, 12, 31)));
        assert_eq!(date_value(day(2027, 1, 5)), "05/01/2027");
        assert_eq!(shown_date("2019-01-01"), "01/01/2019");
        assert_eq!(shown_date("hier"), "hier");
        assert_eq!(
            date_label("Fin après le"),
            "Fin après le (au format JJ/MM/AAAA)"
        );
    }

    #[test]
    fn anything_else_is_refused_naming_the_value_and_the_format() {
        for bad in ["hier", "31.12.2026", "12/2026", "2026/12/31", "31-12-2026"] {
            let message = parse_date(bad).unwrap_err();
            assert!(message.contains(&format!("« {bad} »")), "{message}");
            assert!(message.contains("JJ/MM/AAAA"), "{message}");
            assert!(
                message.starts_with("Date") && message.ends_with('.'),
                "{message}"
            );
        }
        let impossible = parse_date("31/02/2027").unwrap_err();
        assert!(impossible.contains("« 31/02/2027 »"), "{impossible}");
    }

    #[test]
    fn lower_layer_messages_become_sentences() {
        assert_eq!(sentence("montant « x » ambigu"), "Montant « x » ambigu.");
        assert_eq!(sentence("déjà une phrase."), "Déjà une phrase.");
    }
}
