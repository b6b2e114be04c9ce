//! The needs workbook of an inventory campaign: an XLSX file made for one member and one
//! campaign, pre-filled with the member's known contracts, that the member fills in and
//! uploads back.
//!
//! The workbook has three sheets: "Besoins" (one row per need, under a fixed header),
//! "Aide" (what each column takes) and "Campagne" (protected: the campaign id, the member's
//! SIREN and the template version, so that an upload is checked to belong to this member and
//! this campaign).
//!
//! Reading refuses the whole workbook when anything is wrong and lists every error with its
//! sheet, its cell ("C7") and the reason in French. What it accepts:
//!
//! - **CPV**: "90910000-9" or "90910000" (text or number); the code must exist in CPV 2008,
//!   and a given check digit must be the right one.
//! - **Amounts** (euros excluding VAT): a number cell (rounded to the cent when its value is
//!   a cent amount up to floating-point noise; more than two decimals is refused), or text
//!   read by the rules of every typed amount ([`mutualis_domain::french`]): "12 500,50",
//!   "12500.5", "12 500 €"; dots and commas as thousands separators are refused ("1.234,5"),
//!   and so is a single separator followed by three digits ("12.500": twelve and a half, or
//!   twelve thousand five hundred?), naming the cell.
//! - **Quantities**: the same rules (a number cell may have three decimals, thousandths of
//!   the unit); the unit goes in its own column.
//! - **Dates**: an Excel date, or text "31/12/2026" (day first) or "2026-12-31". "12/31/2026"
//!   and impossible dates are refused.
//! - Empty rows are skipped; columns after the last of the template are ignored.
//!
//! Reading is bounded whatever the file declares: the zip's parts are first inflated through
//! a counting reader ([`MAX_INFLATED_BYTES`], [`MAX_SHARED_STRINGS_BYTES`],
//! [`MAX_SHARED_STRINGS`]), then each sheet is streamed cell by cell, keeping only the
//! template's columns ([`MAX_SHEET_ROWS`], [`MAX_SHEET_COLUMNS`], [`MAX_CELL_TEXT_CHARS`],
//! [`MAX_CELLS_TEXT_BYTES`]); a sheet's declared dimension is never used. Past a limit the
//! workbook is refused with that one error, naming the limit.

use std::collections::HashMap;
use std::fmt;
use std::io::{self, BufReader, Cursor, Read, Seek};

use calamine::{Data, DataRef, Reader, Xlsx};
use chrono::{Datelike, Days, NaiveDate};
use mutualis_domain::french;
use mutualis_domain::need::desired_start_problem;
use mutualis_domain::text::de;
use mutualis_domain::{
    Amount, Contract, CpvCode, CpvNomenclature, Need, Quantity, Reservation, Siren,
};
use rust_xlsxwriter::{
    Color, DataValidation, DataValidationErrorStyle, DataValidationRule, ExcelDateTime, Format,
    FormatAlign, FormatBorder, Workbook, Worksheet, XlsxError,
};

/// The version of the template, written in the "Campagne" sheet and checked on upload. Change
/// it whenever the columns change.
pub const TEMPLATE_VERSION: &str = "mutualis-besoins-1";

pub const NEEDS_SHEET: &str = "Besoins";
pub const HELP_SHEET: &str = "Aide";
pub const CAMPAIGN_SHEET: &str = "Campagne";

/// Data rows that carry the template's data validation (Excel checks them as they are typed).
const VALIDATED_ROWS: u32 = 2_000;
/// More needs rows than this and the workbook is refused: no member has that many needs, and
/// the limit bounds the work of one upload.
pub const MAX_NEED_ROWS: usize = 10_000;

/// Bytes of a workbook once inflated, all its parts together (a workbook of
/// [`MAX_NEED_ROWS`] needs takes a few megabytes). Checked against the sizes the zip declares,
/// then against the bytes really inflated, before anything else is read.
pub const MAX_INFLATED_BYTES: u64 = 64 * MIB;
/// Bytes of the table of shared texts (`sharedStrings.xml`, inflated), which the reader holds
/// in memory whole.
pub const MAX_SHARED_STRINGS_BYTES: u64 = 16 * MIB;
/// Texts in the table of shared texts, as counted and as declared by the table.
pub const MAX_SHARED_STRINGS: u64 = 200_000;
/// Rows of a sheet: a cell below this row refuses the workbook.
pub const MAX_SHEET_ROWS: u32 = 20_000;
/// Columns of a sheet (up to IV): a cell right of this column refuses the workbook.
pub const MAX_SHEET_COLUMNS: u32 = 256;
/// Characters of the text of one cell (Excel's own limit).
pub const MAX_CELL_TEXT_CHARS: usize = 32_767;
/// Bytes of text of all the cells read, all sheets together (a shared text counts once per
/// cell that shows it).
pub const MAX_CELLS_TEXT_BYTES: usize = 16 * MIB as usize;

const MIB: u64 = 1024 * 1024;

/// One column of the "Besoins" sheet.
struct Column {
    header: &'static str,
    width: f64,
    required: bool,
    help: &'static str,
    example: &'static str,
}

const CPV: u16 = 0;
const DESCRIPTION: u16 = 1;
const AMOUNT: u16 = 2;
const QUANTITY: u16 = 3;
const UNIT: u16 = 4;
const DESIRED_START: u16 = 5;
const CONTRACT: u16 = 6;
const CONTRACT_END: u16 = 7;
const SOCIAL: u16 = 8;
const ENVIRONMENTAL: u16 = 9;
const RESERVATION: u16 = 10;

const COLUMNS: [Column; 11] = [
    Column {
        header: "Code CPV",
        width: 14.0,
        required: true,
        help: "Le code CPV 2008 du besoin : 8 chiffres, avec ou sans le chiffre de contrôle.",
        example: "90910000-9",
    },
    Column {
        header: "Description",
        width: 45.0,
        required: true,
        help: "Ce que vous achèterez, en quelques mots.",
        example: "Nettoyage des écoles maternelles",
    },
    Column {
        header: "Montant annuel estimé (€ HT)",
        width: 18.0,
        required: true,
        help: "Le montant estimé par an, en euros hors taxes. Un nombre, ou un texte comme \
               12 500,50 ou 12500.5. N'utilisez ni le point ni la virgule pour séparer les \
               milliers (un espace convient) ; au plus deux décimales.",
        example: "48 000",
    },
    Column {
        header: "Quantité",
        width: 11.0,
        required: false,
        help: "La quantité par an, si vous la connaissez. Un nombre, sans l'unité.",
        example: "12,5",
    },
    Column {
        header: "Unité",
        width: 10.0,
        required: false,
        help: "L'unité de la quantité (m², postes, MWh, t…). Obligatoire si une quantité est \
               indiquée.",
        example: "t",
    },
    Column {
        header: "Date de début souhaitée",
        width: 16.0,
        required: true,
        help: "Quand le nouveau contrat devrait commencer : une date JJ/MM/AAAA (jour puis \
               mois) ou AAAA-MM-JJ.",
        example: "01/01/2027",
    },
    Column {
        header: "Contrat actuel",
        width: 20.0,
        required: false,
        help: "L'identifiant de votre contrat actuel pour ce besoin, tel que publié dans les \
               données essentielles (DECP).",
        example: "2019-ECH-042",
    },
    Column {
        header: "Fin du contrat actuel",
        width: 16.0,
        required: false,
        help: "La date de fin de ce contrat, JJ/MM/AAAA.",
        example: "31/12/2026",
    },
    Column {
        header: "Exigences sociales",
        width: 35.0,
        required: false,
        help: "Vos exigences sociales en quelques mots (clause d'insertion…).",
        example: "Clause d'insertion : 5 % des heures",
    },
    Column {
        header: "Exigences environnementales",
        width: 35.0,
        required: false,
        help: "Vos exigences environnementales en quelques mots.",
        example: "Produits écolabellisés",
    },
    Column {
        header: "Marché réservé",
        width: 48.0,
        required: false,
        help: "Si le marché doit être réservé : choisissez dans la liste. Vide sinon.",
        example: "Réservé aux structures d'insertion (L2113-13)",
    },
];

/// Who and what a workbook is for. Writing shows all of it but the opening date; reading
/// checks the campaign id and the SIREN, refuses a desired start before the campaign opens
/// (`need::desired_start_problem`), and names each need with `member`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkbookMeta {
    pub campaign_id: i64,
    pub campaign_title: String,
    pub opens_on: NaiveDate,
    pub closes_on: NaiveDate,
    pub cpv_families: Vec<String>,
    pub member: Siren,
    pub member_name: String,
}

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

/// The cells of the "Campagne" sheet that reading checks.
const CAMPAIGN_ID_CELL: (u32, u16) = (1, 1);
const SIREN_CELL: (u32, u16) = (3, 1);
const VERSION_CELL: (u32, u16) = (6, 1);

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

/// One reason to refuse a workbook, where it was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CellError {
    /// The sheet, when the error is in one.
    pub sheet: Option<String>,
    /// The cell, "C7", when the error is in one.
    pub cell: Option<String>,
    /// Why, in French.
    pub reason: String,
}

impl fmt::Display for CellError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.sheet, &self.cell) {
            (Some(sheet), Some(cell)) => {
                write!(f, "feuille « {sheet} », cellule {cell} : {}", self.reason)
            }
            (Some(sheet), None) => write!(f, "feuille « {sheet} » : {}", self.reason),
            _ => f.write_str(&self.reason),
        }
    }
}

/// Why a workbook was refused: every error found, in sheet and row order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkbookErrors {
    pub errors: Vec<CellError>,
}

impl fmt::Display for WorkbookErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "classeur refusé, rien n'a été enregistré ({} erreur{}) :",
            self.errors.len(),
            if self.errors.len() > 1 { "s" } else { "" }
        )?;
        for e in &self.errors {
            write!(f, "\n- {e}")?;
        }
        Ok(())
    }
}

impl std::error::Error for WorkbookErrors {}

/// "C7" for the 0-based (6, 2).
pub fn cell_name(row: u32, col: u16) -> String {
    let mut letters = Vec::new();
    let mut n = u32::from(col) + 1;
    while n > 0 {
        let rem = (n - 1) % 26;
        letters.push(char::from(b'A' + rem as u8));
        n = (n - 1) / 26;
    }
    letters.iter().rev().collect::<String>() + &(row + 1).to_string()
}

/// Collects the errors of one workbook.
struct Errors(Vec<CellError>);

impl Errors {
    fn file(&mut self, reason: impl Into<String>) {
        self.0.push(CellError {
            sheet: None,
            cell: None,
            reason: reason.into(),
        });
    }

    fn sheet(&mut self, sheet: &str, reason: impl Into<String>) {
        self.0.push(CellError {
            sheet: Some(sheet.to_owned()),
            cell: None,
            reason: reason.into(),
        });
    }

    fn cell(&mut self, sheet: &str, (row, col): (u32, u16), reason: impl Into<String>) {
        self.0.push(CellError {
            sheet: Some(sheet.to_owned()),
            cell: Some(cell_name(row, col)),
            reason: reason.into(),
        });
    }

    fn into_result<T>(self, ok: T) -> Result<T, WorkbookErrors> {
        if self.0.is_empty() {
            Ok(ok)
        } else {
            Err(WorkbookErrors { errors: self.0 })
        }
    }
}

/// The cells of a sheet in the template's columns, addressed by absolute (row, column).
#[derive(Default)]
struct Sheet {
    cells: HashMap<(u32, u16), Data>,
    last_row: Option<u32>,
}

impl Sheet {
    fn get(&self, position: (u32, u16)) -> &Data {
        self.cells.get(&position).unwrap_or(&Data::Empty)
    }

    /// The last row with a kept cell, 0-based.
    fn last_row(&self) -> Option<u32> {
        self.last_row
    }
}

/// Why a workbook or a sheet is refused before its cells are checked.
enum Refusal {
    /// Not a zip, or a part or a sheet that cannot be read.
    Unreadable,
    /// Past a limit: the one error of the workbook.
    Limit(CellError),
}

fn file_limit(reason: String) -> Refusal {
    Refusal::Limit(CellError {
        sheet: None,
        cell: None,
        reason,
    })
}

fn inflated_limit() -> Refusal {
    file_limit(format!(
        "le classeur décompressé dépasse {} Mo (taille décompressée maximale) : déposez le \
         classeur téléchargé pour cette campagne, sans images ni feuilles ajoutées",
        MAX_INFLATED_BYTES / MIB
    ))
}

fn shared_strings_limit() -> Refusal {
    file_limit(format!(
        "la table des textes du classeur dépasse {} Mo ou {MAX_SHARED_STRINGS} textes \
         (taille maximale des textes partagés)",
        MAX_SHARED_STRINGS_BYTES / MIB
    ))
}

/// A reader that counts the bytes read through it.
struct Counted<R> {
    inner: R,
    count: u64,
}

impl<R: Read> Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count += n as u64;
        Ok(n)
    }
}

fn is_shared_strings(name: &str) -> bool {
    name.to_ascii_lowercase().ends_with("sharedstrings.xml")
}

/// Checks the sizes of the workbook's parts before calamine reads them: the sizes the zip
/// declares, then every part inflated through a counting reader that stops past the limit,
/// and the count of shared texts. A file that is not a zip is left to calamine to refuse.
fn check_package(bytes: &[u8]) -> Result<(), Refusal> {
    let Ok(mut zip) = zip::ZipArchive::new(Cursor::new(bytes)) else {
        return Ok(());
    };
    let mut declared = 0u64;
    for i in 0..zip.len() {
        let entry = zip.by_index_raw(i).map_err(|_| Refusal::Unreadable)?;
        let name = entry.name().map_err(|_| Refusal::Unreadable)?;
        if is_shared_strings(&name) && entry.size() > MAX_SHARED_STRINGS_BYTES {
            return Err(shared_strings_limit());
        }
        declared = declared.saturating_add(entry.size());
    }
    if declared > MAX_INFLATED_BYTES {
        return Err(inflated_limit());
    }
    let mut inflated = 0u64;
    for i in 0..zip.len() {
        let entry = zip.by_index(i).map_err(|_| Refusal::Unreadable)?;
        let shared = is_shared_strings(&entry.name().map_err(|_| Refusal::Unreadable)?);
        let mut budget = MAX_INFLATED_BYTES - inflated;
        if shared {
            budget = budget.min(MAX_SHARED_STRINGS_BYTES);
        }
        let mut part = Counted {
            inner: entry.take(budget + 1),
            count: 0,
        };
        let read = if shared {
            count_shared_strings(&mut part)
        } else {
            io::copy(&mut part, &mut io::sink())
                .map(|_| ())
                .map_err(|_| Refusal::Unreadable)
        };
        if part.count > budget {
            return Err(if shared && part.count > MAX_SHARED_STRINGS_BYTES {
                shared_strings_limit()
            } else {
                inflated_limit()
            });
        }
        read?;
        inflated += part.count;
    }
    Ok(())
}

/// Counts the texts of `sharedStrings.xml`, and checks the counts it declares (calamine
/// reserves room for the declared count).
fn count_shared_strings(part: impl Read) -> Result<(), Refusal> {
    use quick_xml::events::Event;
    let mut xml = quick_xml::Reader::from_reader(BufReader::new(part));
    let mut buf = Vec::new();
    let mut count = 0u64;
    loop {
        buf.clear();
        let (Event::Start(e) | Event::Empty(e)) = (match xml.read_event_into(&mut buf) {
            Ok(Event::Eof) => return Ok(()),
            Ok(event) => event,
            Err(_) => return Err(Refusal::Unreadable),
        }) else {
            continue;
        };
        match e.local_name().as_ref() {
            "sst" => {
                for name in ["count", "uniqueCount"] {
                    let attr = e.try_get_attribute(name).map_err(|_| Refusal::Unreadable)?;
                    let Some(attr) = attr else {
                        continue;
                    };
                    let declared = attr.value.trim().parse::<u64>().ok();
                    if declared.is_none_or(|n| n > MAX_SHARED_STRINGS) {
                        return Err(shared_strings_limit());
                    }
                }
            }
            "si" => {
                count += 1;
                if count > MAX_SHARED_STRINGS {
                    return Err(shared_strings_limit());
                }
            }
            _ => {}
        }
    }
}

/// Streams the cells of one sheet, keeping those of the template's columns, within the
/// limits; `text_bytes` counts the text kept over the whole workbook.
fn read_sheet<RS: Read + Seek>(
    workbook: &mut Xlsx<RS>,
    name: &str,
    text_bytes: &mut usize,
) -> Result<Sheet, Refusal> {
    let mut sheet = Sheet::default();
    let mut cells = match workbook.worksheet_cells_reader(name) {
        Ok(cells) => cells,
        // A chart sheet under the name: no cells, so the header is missing.
        Err(calamine::XlsxError::NotAWorksheet(_)) => return Ok(sheet),
        Err(_) => return Err(Refusal::Unreadable),
    };
    let sheet_limit = |reason: String| {
        Refusal::Limit(CellError {
            sheet: Some(name.to_owned()),
            cell: None,
            reason,
        })
    };
    while let Some(cell) = cells.next_cell().map_err(|_| Refusal::Unreadable)? {
        let (row, col) = cell.get_position();
        if row >= MAX_SHEET_ROWS {
            return Err(sheet_limit(format!(
                "une cellule à la ligne {} : une feuille a au plus {MAX_SHEET_ROWS} lignes \
                 (nombre maximal de lignes)",
                u64::from(row) + 1
            )));
        }
        if col >= MAX_SHEET_COLUMNS {
            return Err(sheet_limit(format!(
                "une cellule à la colonne n° {} : une feuille a au plus {MAX_SHEET_COLUMNS} \
                 colonnes, jusqu'à IV (nombre maximal de colonnes)",
                u64::from(col) + 1
            )));
        }
        // Below MAX_SHEET_COLUMNS, hence a u16.
        let col = col as u16;
        let value = cell.get_value();
        if usize::from(col) >= COLUMNS.len() || *value == DataRef::Empty {
            continue;
        }
        let text = match value {
            DataRef::String(s) | DataRef::DateTimeIso(s) | DataRef::DurationIso(s) => s.as_str(),
            DataRef::SharedString(s) => s,
            _ => "",
        };
        if text.chars().count() > MAX_CELL_TEXT_CHARS {
            return Err(Refusal::Limit(CellError {
                sheet: Some(name.to_owned()),
                cell: Some(cell_name(row, col)),
                reason: format!(
                    "texte de plus de {MAX_CELL_TEXT_CHARS} caractères (longueur maximale \
                     d'une cellule)"
                ),
            }));
        }
        *text_bytes += text.len();
        if *text_bytes > MAX_CELLS_TEXT_BYTES {
            return Err(file_limit(format!(
                "les cellules du classeur contiennent plus de {} Mo de texte (taille maximale \
                 du texte des cellules)",
                MAX_CELLS_TEXT_BYTES as u64 / MIB
            )));
        }
        sheet.last_row = sheet.last_row.max(Some(row));
        sheet.cells.insert((row, col), Data::from(value.clone()));
    }
    Ok(sheet)
}

fn is_blank(data: &Data) -> bool {
    match data {
        Data::Empty => true,
        Data::String(s) => s.trim().is_empty(),
        _ => false,
    }
}

/// Reads an uploaded needs workbook made for `expected`: every need, or every error.
pub fn read_workbook(
    bytes: &[u8],
    expected: &WorkbookMeta,
    cpv: &CpvNomenclature,
) -> Result<Vec<Need>, WorkbookErrors> {
    let mut errors = Errors(Vec::new());
    let unreadable = |mut errors: Errors| {
        errors.file(
            "le fichier n'est pas un classeur Excel (.xlsx) lisible : déposez le classeur \
             téléchargé pour cette campagne, enregistré au format « Classeur Excel (.xlsx) »",
        );
        errors.into_result(Vec::new())
    };
    match check_package(bytes) {
        Ok(()) => {}
        Err(Refusal::Unreadable) => return unreadable(errors),
        Err(Refusal::Limit(limit)) => return Errors(vec![limit]).into_result(Vec::new()),
    }
    let mut workbook: Xlsx<_> = match calamine::open_workbook_from_rs(Cursor::new(bytes)) {
        Ok(wb) => wb,
        Err(_) => return unreadable(errors),
    };
    let mut text_bytes = 0usize;
    let mut limit = None;
    let mut sheet = |name: &str, errors: &mut Errors| -> Option<Sheet> {
        if !workbook.sheet_names().iter().any(|n| n == name) {
            errors.sheet(
                name,
                "cette feuille a été supprimée ou renommée : le modèle a été modifié ; \
                 téléchargez un nouveau classeur",
            );
            return None;
        }
        match read_sheet(&mut workbook, name, &mut text_bytes) {
            Ok(sheet) => Some(sheet),
            Err(Refusal::Limit(error)) => {
                limit.get_or_insert(error);
                None
            }
            // calamine's detail is English and technical: not for the member.
            Err(Refusal::Unreadable) => {
                errors.sheet(
                    name,
                    "feuille illisible : enregistrez de nouveau le classeur au format .xlsx",
                );
                None
            }
        }
    };
    let campaign = sheet(CAMPAIGN_SHEET, &mut errors);
    let needs = sheet(NEEDS_SHEET, &mut errors);
    // Past a limit, that is the workbook's one error.
    if let Some(limit) = limit {
        return Errors(vec![limit]).into_result(Vec::new());
    }
    if let Some(campaign) = &campaign {
        check_identity(campaign, expected, &mut errors);
    }
    if let Some(needs) = &needs {
        check_header(needs, &mut errors);
    }
    // Rows are only worth reading in the right template for the right member.
    let (Some(needs), true) = (needs, errors.0.is_empty()) else {
        return errors.into_result(Vec::new());
    };
    let rows = read_rows(&needs, expected, cpv, &mut errors);
    errors.into_result(rows)
}

/// Text of a cell meant to hold text or an identifier; numbers as written without
/// decimals when whole.
fn plain_text(data: &Data) -> Option<String> {
    match data {
        Data::String(s) => Some(s.trim().to_owned()).filter(|s| !s.is_empty()),
        Data::Int(i) => Some(i.to_string()),
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => Some(format!("{f:.0}")),
        Data::Float(f) => Some(f.to_string()),
        _ => None,
    }
}

fn check_identity(sheet: &Sheet, expected: &WorkbookMeta, errors: &mut Errors) {
    let version = plain_text(sheet.get(VERSION_CELL)).unwrap_or_default();
    if version != TEMPLATE_VERSION {
        errors.cell(
            CAMPAIGN_SHEET,
            VERSION_CELL,
            format!(
                "version du modèle « {version} » au lieu de « {TEMPLATE_VERSION} » : le modèle a \
                 été modifié ou est ancien ; téléchargez un nouveau classeur"
            ),
        );
        return;
    }
    let campaign = plain_text(sheet.get(CAMPAIGN_ID_CELL)).unwrap_or_default();
    if campaign != expected.campaign_id.to_string() {
        errors.cell(
            CAMPAIGN_SHEET,
            CAMPAIGN_ID_CELL,
            format!(
                "ce classeur est celui de la campagne n° {campaign}, pas de la campagne « {} » \
                 (n° {}) : téléchargez le classeur de cette campagne",
                expected.campaign_title, expected.campaign_id
            ),
        );
    }
    let siren = plain_text(sheet.get(SIREN_CELL)).unwrap_or_default();
    if siren != expected.member.as_str() {
        errors.cell(
            CAMPAIGN_SHEET,
            SIREN_CELL,
            format!(
                "ce classeur est celui d'un autre organisme (SIREN {siren}), pas {} (SIREN \
                 {}) : téléchargez le classeur de votre organisme",
                de(&expected.member_name),
                expected.member
            ),
        );
    }
}

fn check_header(sheet: &Sheet, errors: &mut Errors) {
    for (col, column) in (0u16..).zip(COLUMNS.iter()) {
        let found = plain_text(sheet.get((0, col)));
        if found.as_deref() != Some(column.header) {
            let found = found.map_or("en-tête vide".to_owned(), |f| format!("en-tête « {f} »"));
            errors.cell(
                NEEDS_SHEET,
                (0, col),
                format!(
                    "{found} au lieu de « {} » : une colonne a été renommée, \
                     déplacée ou supprimée ; téléchargez un nouveau classeur",
                    column.header
                ),
            );
        }
    }
}

fn read_rows(
    sheet: &Sheet,
    expected: &WorkbookMeta,
    cpv: &CpvNomenclature,
    errors: &mut Errors,
) -> Vec<Need> {
    let mut needs = Vec::new();
    let Some(last) = sheet.last_row() else {
        return needs;
    };
    let mut filled = 0usize;
    for row in 1..=last {
        let cells: Vec<&Data> = (0..COLUMNS.len() as u16)
            .map(|col| sheet.get((row, col)))
            .collect();
        if cells.iter().all(|d| is_blank(d)) {
            continue;
        }
        filled += 1;
        if filled > MAX_NEED_ROWS {
            errors.sheet(
                NEEDS_SHEET,
                format!("plus de {MAX_NEED_ROWS} lignes de besoins : découpez le classeur"),
            );
            break;
        }
        let mut row_reader = RowReader {
            sheet,
            row,
            errors: &mut *errors,
            failed: false,
        };
        if let Some(need) = row_reader.need(expected, cpv) {
            needs.push(need);
        }
    }
    needs
}

/// Reads the cells of one row, noting each error.
struct RowReader<'a> {
    sheet: &'a Sheet,
    row: u32,
    errors: &'a mut Errors,
    failed: bool,
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

    fn need(&mut self, expected: &WorkbookMeta, cpv: &CpvNomenclature) -> Option<Need> {
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
    fn names_cells_as_excel_does() {
        assert_eq!(cell_name(0, 0), "A1");
        assert_eq!(cell_name(6, 2), "C7");
        assert_eq!(cell_name(9, 25), "Z10");
        assert_eq!(cell_name(0, 26), "AA1");
    }

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
