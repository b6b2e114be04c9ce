//! Writing a member's workbook: the "Besoins" sheet pre-filled with its known contracts or
//! needs, under the template's header and data validation, the "Aide" sheet and the protected
//! "Campagne" sheet.

use chrono::{Datelike, Days, NaiveDate};
use mutualis_domain::text::de;
use mutualis_domain::{Amount, Contract, CpvCode, Need, Quantity, Reservation};
use rust_xlsxwriter::{
    Color, DataValidation, DataValidationErrorStyle, DataValidationRule, ExcelDateTime, Format,
    FormatAlign, FormatBorder, Workbook, Worksheet, XlsxError,
};

use super::layout::*;
use super::{CAMPAIGN_SHEET, HELP_SHEET, NEEDS_SHEET, TEMPLATE_VERSION, WorkbookMeta};

/// Data rows that carry the template's data validation (Excel checks them as they are typed).
const VALIDATED_ROWS: u32 = 2_000;

/// A row written into the "Besoins" sheet before the member fills it in: a known contract,
/// or a need already declared. Every field may be missing; the member completes it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PrefillRow {
    pub cpv: Option<CpvCode>,
    pub description: String,
    pub annual_amount: Option<Amount>,
    pub quantity: Option<Quantity>,
    pub desired_start: Option<NaiveDate>,
    pub current_contract: Option<String>,
    pub current_contract_ends_on: Option<NaiveDate>,
    pub social_requirements: Option<String>,
    pub environmental_requirements: Option<String>,
    pub reservation: Option<Reservation>,
}

impl PrefillRow {
    /// A row for a contract of the member: its CPV, object, id and end date, its current
    /// amount spread over 12 months of its current duration (rounded to the cent), and a
    /// desired start the day after it ends.
    pub fn from_contract(contract: &Contract) -> PrefillRow {
        let ends_on = contract.end_date();
        let annual_amount = match (
            contract.current_amount(),
            contract.current_duration_months(),
        ) {
            (Some(amount), Some(months)) if months > 0 && amount.cents() > 0 => {
                let months = i128::from(months);
                let annual = (i128::from(amount.cents()) * 12 + months / 2) / months;
                i64::try_from(annual).ok().map(Amount::from_cents)
            }
            _ => None,
        };
        PrefillRow {
            cpv: contract.cpv,
            description: contract.object.clone(),
            annual_amount,
            desired_start: ends_on.and_then(|d| d.checked_add_days(Days::new(1))),
            current_contract: Some(contract.id.clone()),
            current_contract_ends_on: ends_on,
            ..PrefillRow::default()
        }
    }
}

impl From<&Need> for PrefillRow {
    fn from(need: &Need) -> PrefillRow {
        PrefillRow {
            cpv: Some(need.cpv),
            description: need.description.clone(),
            annual_amount: Some(need.annual_amount),
            quantity: need.quantity.clone(),
            desired_start: Some(need.desired_start),
            current_contract: need.current_contract.clone(),
            current_contract_ends_on: need.current_contract_ends_on,
            social_requirements: need.social_requirements.clone(),
            environmental_requirements: need.environmental_requirements.clone(),
            reservation: need.reservation,
        }
    }
}

/// The workbook could not be produced (a value Excel cannot hold, such as a date before
/// 1900).
#[derive(Debug, thiserror::Error)]
#[error("impossible de produire le classeur des besoins : {0}")]
pub struct WriteError(String);

impl From<XlsxError> for WriteError {
    fn from(e: XlsxError) -> Self {
        WriteError(e.to_string())
    }
}

/// Writes the needs workbook of one member for one campaign.
pub fn write_workbook(meta: &WorkbookMeta, prefill: &[PrefillRow]) -> Result<Vec<u8>, WriteError> {
    let mut workbook = Workbook::new();
    write_needs_sheet(workbook.add_worksheet(), prefill)?;
    write_help_sheet(workbook.add_worksheet(), meta)?;
    write_campaign_sheet(workbook.add_worksheet(), meta)?;
    Ok(workbook.save_to_buffer()?)
}

fn excel_date(date: NaiveDate) -> Result<ExcelDateTime, WriteError> {
    let year = u16::try_from(date.year())
        .map_err(|_| WriteError(format!("année hors limites : {date}")))?;
    // Month and day always fit in a u8.
    Ok(ExcelDateTime::from_ymd(
        year,
        date.month() as u8,
        date.day() as u8,
    )?)
}

/// Cents as the euros of an Excel number cell: the one place money becomes a float, because
/// an Excel number is one.
fn euros(amount: Amount) -> f64 {
    amount.cents() as f64 / 100.0
}

fn write_needs_sheet(sheet: &mut Worksheet, prefill: &[PrefillRow]) -> Result<(), WriteError> {
    sheet.set_name(NEEDS_SHEET)?;
    let header = Format::new()
        .set_bold()
        .set_text_wrap()
        .set_align(FormatAlign::Top)
        .set_background_color(Color::RGB(0x00DD_EBF7))
        .set_border_bottom(FormatBorder::Thin);
    let text = Format::new().set_num_format("@");
    let money = Format::new().set_num_format("#,##0.00\\ \"€\"");
    let date = Format::new().set_num_format("dd/mm/yyyy");
    let quantity = Format::new().set_num_format("#,##0.###");
    for (i, column) in (0u16..).zip(COLUMNS.iter()) {
        sheet.write_string_with_format(0, i, column.header, &header)?;
        sheet.set_column_width(i, column.width)?;
        let format = match i {
            CPV | CONTRACT => &text,
            AMOUNT => &money,
            QUANTITY => &quantity,
            DESIRED_START | CONTRACT_END => &date,
            _ => continue,
        };
        sheet.set_column_format(i, format)?;
    }
    sheet.set_row_height(0, 45)?;
    sheet.set_freeze_panes(1, 0)?;
    add_validations(sheet)?;
    for (row, p) in (1u32..).zip(prefill) {
        if let Some(cpv) = p.cpv {
            sheet.write_string_with_format(row, CPV, cpv.to_string(), &text)?;
        }
        sheet.write_string(row, DESCRIPTION, &p.description)?;
        if let Some(amount) = p.annual_amount {
            sheet.write_number_with_format(row, AMOUNT, euros(amount), &money)?;
        }
        if let Some(q) = &p.quantity {
            sheet.write_number_with_format(
                row,
                QUANTITY,
                q.thousandths as f64 / 1000.0,
                &quantity,
            )?;
            sheet.write_string(row, UNIT, &q.unit)?;
        }
        if let Some(d) = p.desired_start {
            sheet.write_date_with_format(row, DESIRED_START, excel_date(d)?, &date)?;
        }
        if let Some(c) = &p.current_contract {
            sheet.write_string_with_format(row, CONTRACT, c, &text)?;
        }
        if let Some(d) = p.current_contract_ends_on {
            sheet.write_date_with_format(row, CONTRACT_END, excel_date(d)?, &date)?;
        }
        if let Some(s) = &p.social_requirements {
            sheet.write_string(row, SOCIAL, s)?;
        }
        if let Some(s) = &p.environmental_requirements {
            sheet.write_string(row, ENVIRONMENTAL, s)?;
        }
        if let Some(r) = p.reservation {
            sheet.write_string(row, RESERVATION, r.label_fr())?;
        }
    }
    Ok(())
}

fn add_validations(sheet: &mut Worksheet) -> Result<(), WriteError> {
    let labels: Vec<&str> = Reservation::ALL.iter().map(|r| r.label_fr()).collect();
    let reserved = DataValidation::new()
        .allow_list_strings(&labels)?
        .set_error_title("Marché réservé")?
        .set_error_message("Choisissez une valeur de la liste, ou laissez la cellule vide.")?;
    let dates = DataValidation::new()
        .allow_date(DataValidationRule::Between(
            ExcelDateTime::from_ymd(2000, 1, 1)?,
            ExcelDateTime::from_ymd(2100, 12, 31)?,
        ))
        .set_error_style(DataValidationErrorStyle::Warning)
        .set_error_title("Date")?
        .set_error_message("Saisissez une date JJ/MM/AAAA, par exemple 31/12/2026.")?;
    let positive = |title: &str, message: &str| -> Result<DataValidation, XlsxError> {
        DataValidation::new()
            .allow_decimal_number(DataValidationRule::GreaterThan(0.0))
            .set_error_style(DataValidationErrorStyle::Warning)
            .set_error_title(title)?
            .set_error_message(message)
    };
    let last = VALIDATED_ROWS;
    sheet.add_data_validation(1, RESERVATION, last, RESERVATION, &reserved)?;
    sheet.add_data_validation(1, DESIRED_START, last, DESIRED_START, &dates)?;
    sheet.add_data_validation(1, CONTRACT_END, last, CONTRACT_END, &dates)?;
    sheet.add_data_validation(
        1,
        AMOUNT,
        last,
        AMOUNT,
        &positive(
            "Montant",
            "Saisissez un montant positif en euros HT, par exemple 12500,50.",
        )?,
    )?;
    sheet.add_data_validation(
        1,
        QUANTITY,
        last,
        QUANTITY,
        &positive(
            "Quantité",
            "Saisissez une quantité positive, sans l'unité (elle va dans la colonne Unité).",
        )?,
    )?;
    Ok(())
}

fn write_help_sheet(sheet: &mut Worksheet, meta: &WorkbookMeta) -> Result<(), WriteError> {
    sheet.set_name(HELP_SHEET)?;
    let title = Format::new().set_bold().set_font_size(14);
    let bold = Format::new().set_bold();
    let wrap = Format::new().set_text_wrap().set_align(FormatAlign::Top);
    let header = Format::new()
        .set_bold()
        .set_background_color(Color::RGB(0x00DD_EBF7));
    sheet.set_column_width(0, 30)?;
    sheet.set_column_width(1, 80)?;
    sheet.set_column_width(2, 14)?;
    sheet.set_column_width(3, 36)?;
    sheet.write_string_with_format(
        0,
        0,
        format!("Recensement des besoins : {}", meta.campaign_title),
        &title,
    )?;
    let intro = [
        format!(
            "Ce classeur est celui {} (SIREN {}) pour cette campagne. Répondez avant le {}.",
            de(&meta.member_name),
            meta.member,
            meta.closes_on.format("%d/%m/%Y")
        ),
        format!(
            "Familles CPV de la campagne : {}.",
            meta.cpv_families.join(", ")
        ),
        "Une ligne par besoin dans la feuille « Besoins ». Les lignes de vos contrats connus \
         sont déjà remplies : complétez-les, corrigez-les, et supprimez celles des contrats que \
         vous ne renouvellerez pas. Les lignes vides sont ignorées."
            .to_owned(),
        "Ne renommez, ne déplacez et ne supprimez aucune colonne, et ne modifiez pas la feuille \
         « Campagne » : le classeur serait refusé. Les colonnes ajoutées après la dernière sont \
         ignorées."
            .to_owned(),
        "Au dépôt, le classeur est vérifié en entier : s'il contient une erreur, rien n'est \
         enregistré et chaque erreur est indiquée avec sa cellule (par exemple C7). Un nouveau \
         dépôt remplace les besoins du dépôt précédent."
            .to_owned(),
    ];
    for (row, line) in (2u32..).zip(intro.iter()) {
        sheet.merge_range(row, 0, row, 3, line, &wrap)?;
        sheet.set_row_height(row, 32)?;
    }
    let first = 2 + intro.len() as u32 + 1;
    for (col, h) in (0u16..).zip(["Colonne", "Ce qu'elle contient", "Obligatoire", "Exemple"]) {
        sheet.write_string_with_format(first, col, h, &header)?;
    }
    for (row, column) in (first + 1..).zip(COLUMNS.iter()) {
        sheet.write_string_with_format(row, 0, column.header, &bold)?;
        sheet.write_string_with_format(row, 1, column.help, &wrap)?;
        sheet.write_string(row, 2, if column.required { "oui" } else { "non" })?;
        sheet.write_string(row, 3, column.example)?;
    }
    let reserved = first + 1 + COLUMNS.len() as u32 + 1;
    sheet.write_string_with_format(reserved, 0, "Marchés réservés possibles", &bold)?;
    for (row, r) in (reserved + 1..).zip(Reservation::ALL) {
        sheet.write_string(row, 1, r.label_fr())?;
    }
    Ok(())
}

fn write_campaign_sheet(sheet: &mut Worksheet, meta: &WorkbookMeta) -> Result<(), WriteError> {
    sheet.set_name(CAMPAIGN_SHEET)?;
    let bold = Format::new().set_bold();
    let text = Format::new().set_num_format("@");
    let date = Format::new().set_num_format("dd/mm/yyyy");
    sheet.set_column_width(0, 30)?;
    sheet.set_column_width(1, 60)?;
    let labels = [
        "Campagne de recensement",
        "Identifiant de la campagne",
        "Organisme",
        "SIREN",
        "Date limite de réponse",
        "Familles CPV",
        "Version du modèle",
    ];
    for (row, label) in (0u32..).zip(labels) {
        sheet.write_string_with_format(row, 0, label, &bold)?;
    }
    sheet.write_string(0, 1, &meta.campaign_title)?;
    sheet.write_string_with_format(
        CAMPAIGN_ID_CELL.0,
        CAMPAIGN_ID_CELL.1,
        meta.campaign_id.to_string(),
        &text,
    )?;
    sheet.write_string(2, 1, &meta.member_name)?;
    sheet.write_string_with_format(SIREN_CELL.0, SIREN_CELL.1, meta.member.as_str(), &text)?;
    sheet.write_date_with_format(4, 1, excel_date(meta.closes_on)?, &date)?;
    sheet.write_string(5, 1, meta.cpv_families.join(", "))?;
    sheet.write_string(VERSION_CELL.0, VERSION_CELL.1, TEMPLATE_VERSION)?;
    sheet.write_string(
        8,
        0,
        "Ne modifiez pas cette feuille : elle permet de vérifier, au dépôt, que le classeur \
         est celui de votre organisme pour cette campagne.",
    )?;
    sheet.protect();
    Ok(())
}
