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
//!
//! The template's layout, shared by both directions, is in `layout.rs`; writing in
//! `write.rs`; reading in `read.rs` (the template and the member) and `cells.rs` (each cell
//! of a need); the limits in `limits.rs`; the errors by sheet and cell in `errors.rs`.

use chrono::NaiveDate;
use mutualis_domain::Siren;

mod cells;
mod errors;
mod layout;
mod limits;
mod read;
mod write;

pub use errors::{CellError, WorkbookErrors, cell_name};
pub use limits::{
    MAX_CELL_TEXT_CHARS, MAX_CELLS_TEXT_BYTES, MAX_INFLATED_BYTES, MAX_SHARED_STRINGS,
    MAX_SHARED_STRINGS_BYTES, MAX_SHEET_COLUMNS, MAX_SHEET_ROWS,
};
pub use read::read_workbook;
pub use write::{PrefillRow, WriteError, write_workbook};

/// The version of the template, written in the "Campagne" sheet and checked on upload. Change
/// it whenever the columns change.
pub const TEMPLATE_VERSION: &str = "mutualis-besoins-1";

pub const NEEDS_SHEET: &str = "Besoins";

pub const HELP_SHEET: &str = "Aide";

pub const CAMPAIGN_SHEET: &str = "Campagne";

/// More needs rows than this and the workbook is refused: no member has that many needs, and
/// the limit bounds the work of one upload.
pub const MAX_NEED_ROWS: usize = 10_000;

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
