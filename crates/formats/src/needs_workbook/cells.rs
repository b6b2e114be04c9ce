//! The cells of one row of needs, each read by its column's rules (CPV, text, amount,
//! quantity, date, reservation), noting every error; and Excel's numbers turned into cents
//! and thousandths without float drift.

use calamine::Data;
use chrono::NaiveDate;
use mutualis_domain::french;
use mutualis_domain::need::desired_start_problem;
use mutualis_domain::{Amount, CpvCode, CpvNomenclature, Need, Quantity, Reservation};

use super::errors::{Errors, cell_name};
use super::layout::*;
use super::limits::Sheet;
use super::{NEEDS_SHEET, WorkbookMeta};

pub(super) fn is_blank(data: &Data) -> bool {
    match data {
        Data::Empty => true,
        Data::String(s) => s.trim().is_empty(),
        _ => false,
    }
}

/// Text of a cell meant to hold text or an identifier; numbers as written without
/// decimals when whole.
pub(super) fn plain_text(data: &Data) -> Option<String> {
    match data {
        Data::String(s) => Some(s.trim().to_owned()).filter(|s| !s.is_empty()),
        Data::Int(i) => Some(i.to_string()),
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => Some(format!("{f:.0}")),
        Data::Float(f) => Some(f.to_string()),
        _ => None,
    }
}

/// Reads the cells of one row, noting each error.
pub(super) struct RowReader<'a> {
    pub(super) sheet: &'a Sheet,
    pub(super) row: u32,
    pub(super) errors: &'a mut Errors,
    pub(super) failed: bool,
}

/// A cell that holds something else than its column takes; `expected` starts with "un" or
/// "une", hence the elision.
fn type_error(data: &Data, expected: &str) -> String {
    let found = match data {
        Data::Bool(_) => "une valeur VRAI/FAUX".to_owned(),
        Data::Error(e) => format!("une erreur de calcul ({e})"),
        Data::DateTime(dt) if !dt.is_datetime() => "une durée".to_owned(),
        Data::DateTime(_) | Data::DateTimeIso(_) => "une date".to_owned(),
        Data::DurationIso(_) => "une durée".to_owned(),
        Data::Int(_) | Data::Float(_) => "un nombre".to_owned(),
        Data::String(s) => format!("« {s} »"),
        Data::Empty => "une cellule vide".to_owned(),
    };
    format!("{found} au lieu d'{expected}")
}

impl RowReader<'_> {
    fn fail(&mut self, col: u16, reason: impl Into<String>) {
        self.failed = true;
        self.errors.cell(NEEDS_SHEET, (self.row, col), reason);
    }

    fn cell(&self, col: u16) -> &Data {
        self.sheet.get((self.row, col))
    }

    /// Notes a missing value when the cell is empty (a refused one has its own error).
    fn required<T>(&mut self, col: u16, value: Option<T>, missing: &str) -> Option<T> {
        if value.is_none() && is_blank(self.cell(col)) {
            self.fail(
                col,
                format!("{missing} : la colonne est obligatoire pour chaque besoin"),
            );
        }
        value
    }

    pub(super) fn need(&mut self, expected: &WorkbookMeta, cpv: &CpvNomenclature) -> Option<Need> {
        let code = self.cpv(cpv);
        let code = self.required(CPV, code, "code CPV manquant");
        let description = self.text(DESCRIPTION);
        let description = self.required(DESCRIPTION, description, "description manquante");
        let amount = self.amount(AMOUNT);
        let amount = self.required(AMOUNT, amount, "montant annuel estimé manquant");
        let quantity = self.quantity();
        let desired_start = self.date(DESIRED_START);
        let desired_start = self.required(
            DESIRED_START,
            desired_start,
            "date de début souhaitée manquante",
        );
        if let Some(why) =
            desired_start.and_then(|start| desired_start_problem(start, expected.opens_on))
        {
            self.fail(DESIRED_START, why);
        }
        let current_contract = self.text(CONTRACT);
        let current_contract_ends_on = self.date(CONTRACT_END);
        let social_requirements = self.text(SOCIAL);
        let environmental_requirements = self.text(ENVIRONMENTAL);
        let reservation = self.reservation();
        if self.failed {
            return None;
        }
        Some(Need {
            buyer: expected.member.clone(),
            cpv: code?,
            description: description?,
            annual_amount: amount?,
            quantity,
            desired_start: desired_start?,
            current_contract,
            current_contract_ends_on,
            social_requirements,
            environmental_requirements,
            reservation,
        })
    }

    fn cpv(&mut self, cpv: &CpvNomenclature) -> Option<CpvCode> {
        let data = self.cell(CPV).clone();
        let text = match &data {
            d if is_blank(d) => return None,
            Data::String(s) => s.trim().to_owned(),
            Data::Int(i) if (0..100_000_000).contains(i) => format!("{i:08}"),
            Data::Float(f) if f.fract() == 0.0 && (0.0..1e8).contains(f) => format!("{f:08.0}"),
            other => {
                self.fail(
                    CPV,
                    type_error(other, "un code CPV (8 chiffres, par exemple 90910000)"),
                );
                return None;
            }
        };
        match cpv.parse(&text) {
            Ok(code) => Some(code),
            Err(e) => {
                self.fail(CPV, e.to_string());
                None
            }
        }
    }

    fn text(&mut self, col: u16) -> Option<String> {
        let data = self.cell(col);
        if is_blank(data) {
            return None;
        }
        match plain_text(data) {
            Some(t) => Some(t),
            None => {
                let reason = type_error(data, "un texte");
                self.fail(col, reason);
                None
            }
        }
    }

    fn amount(&mut self, col: u16) -> Option<Amount> {
        let data = self.cell(col).clone();
        let parsed = match &data {
            d if is_blank(d) => return None,
            Data::Float(f) => amount_from_number(*f),
            Data::Int(i) => amount_from_number(*i as f64),
            Data::String(s) => french::parse_amount(s),
            other => Err(type_error(other, "un montant en euros HT")),
        };
        match parsed {
            Ok(amount) => Some(amount),
            Err(reason) => {
                self.fail(col, reason);
                None
            }
        }
    }

    fn quantity(&mut self) -> Option<Quantity> {
        let data = self.cell(QUANTITY).clone();
        let parsed = match &data {
            d if is_blank(d) => None,
            Data::Float(f) => Some(quantity_from_number(*f)),
            Data::Int(i) => Some(quantity_from_number(*i as f64)),
            Data::String(s) => Some(french::parse_quantity(s)),
            other => Some(Err(type_error(other, "une quantité"))),
        };
        let thousandths = match parsed {
            None => None,
            Some(Ok(t)) => Some(t),
            Some(Err(reason)) => {
                self.fail(QUANTITY, reason);
                None
            }
        };
        let unit = self.text(UNIT);
        match (thousandths, unit) {
            (Some(thousandths), Some(unit)) => Some(Quantity { thousandths, unit }),
            (Some(_), None) if is_blank(self.cell(UNIT)) => {
                self.fail(
                    UNIT,
                    format!(
                        "unité manquante pour la quantité de la cellule {}",
                        cell_name(self.row, QUANTITY)
                    ),
                );
                None
            }
            (None, Some(unit)) if is_blank(self.cell(QUANTITY)) => {
                self.fail(
                    QUANTITY,
                    format!("quantité manquante pour l'unité « {unit} »"),
                );
                None
            }
            _ => None,
        }
    }

    fn date(&mut self, col: u16) -> Option<NaiveDate> {
        let data = self.cell(col).clone();
        let parsed = match &data {
            d if is_blank(d) => return None,
            Data::DateTime(dt) if dt.is_datetime() => {
                let (y, m, d, ..) = dt.to_ymd_hms_milli();
                NaiveDate::from_ymd_opt(i32::from(y), u32::from(m), u32::from(d))
                    .ok_or_else(|| format!("date impossible ({d:02}/{m:02}/{y})"))
            }
            Data::DateTimeIso(s) | Data::String(s) => french::parse_date(s),
            Data::Int(_) | Data::Float(_) => Err(format!(
                "{} : saisissez une date JJ/MM/AAAA, par exemple 31/12/2026",
                type_error(&data, "une date")
            )),
            other => Err(type_error(other, "une date JJ/MM/AAAA")),
        };
        match parsed {
            Ok(date) => Some(date),
            Err(reason) => {
                self.fail(col, reason);
                None
            }
        }
    }

    fn reservation(&mut self) -> Option<Reservation> {
        let text = self.text(RESERVATION)?;
        let wanted = squash(&text);
        let found = Reservation::ALL.into_iter().find(|r| {
            let label = r.label_fr();
            squash(label) == wanted
                || label
                    .rsplit_once('(')
                    .is_some_and(|(_, article)| squash(article.trim_end_matches(')')) == wanted)
        });
        if found.is_none() {
            let choices: Vec<&str> = Reservation::ALL.iter().map(|r| r.label_fr()).collect();
            self.fail(
                RESERVATION,
                format!(
                    "marché réservé « {text} » inconnu : choisissez « {} », ou laissez vide",
                    choices.join(" », « ")
                ),
            );
        }
        found
    }
}

/// Lower case without spaces, to compare a typed label with the list's.
fn squash(s: &str) -> String {
    s.chars()
        .filter(|c| !c.is_whitespace())
        .flat_map(char::to_lowercase)
        .map(|c| if c == '’' { '\'' } else { c })
        .collect()
}

/// The largest amount a cell may hold, as a float: the largest amount typed.
const MAX_EUROS: f64 = french::MAX_EUROS as f64;

/// Cents of an Excel number. The cell holds a binary float: a value that is a whole number
/// of cents up to a few units of float precision is that number of cents; anything finer is
/// a third decimal and refused.
fn amount_from_number(value: f64) -> Result<Amount, String> {
    let shown = format_number(value);
    if !value.is_finite() || value.abs() > MAX_EUROS {
        return Err(format!("montant {shown} hors limites"));
    }
    if value <= 0.0 {
        return Err(format!("montant {shown} : attendu un montant positif"));
    }
    let scaled = value * 100.0;
    let cents = scaled.round();
    if (scaled - cents).abs() > (scaled.abs() * 8.0 * f64::EPSILON).max(1e-9) {
        return Err(format!(
            "montant {shown} : plus de deux décimales ; arrondissez au centime (fonction ARRONDI)"
        ));
    }
    // `cents` is a whole number below 1e12: the conversion is exact.
    Ok(Amount::from_cents(cents as i64))
}

/// Thousandths of an Excel number, as [`amount_from_number`] does cents.
fn quantity_from_number(value: f64) -> Result<i64, String> {
    let shown = format_number(value);
    if !value.is_finite() || value.abs() > 1e12 {
        return Err(format!("quantité {shown} hors limites"));
    }
    if value <= 0.0 {
        return Err(format!("quantité {shown} : attendu une quantité positive"));
    }
    let scaled = value * 1000.0;
    let thousandths = scaled.round();
    if (scaled - thousandths).abs() > (scaled.abs() * 8.0 * f64::EPSILON).max(1e-9) {
        return Err(format!("quantité {shown} : plus de trois décimales"));
    }
    Ok(thousandths as i64)
}

/// A number as a French reader would write it back: "12500,5".
fn format_number(value: f64) -> String {
    value.to_string().replace('.', ",")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn converts_excel_numbers_to_cents_without_float_drift() {
        let cents = |f: f64| amount_from_number(f).map(|a| a.cents());
        assert_eq!(cents(12_500.5), Ok(1_250_050));
        assert_eq!(cents(0.1 + 0.2), Ok(30));
        assert_eq!(cents(1_234_567_890.12), Ok(123_456_789_012));
        assert_eq!(cents(19.99), Ok(1999));
        assert!(cents(12.345).is_err());
        assert!(cents(1234.5666).is_err());
        assert!(cents(-1.0).is_err());
        assert!(cents(f64::NAN).is_err());
        assert!(cents(1e11).is_err());
        assert_eq!(quantity_from_number(12.125), Ok(12_125));
        assert!(quantity_from_number(1.0001).is_err());
    }
}
