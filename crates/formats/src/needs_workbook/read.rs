//! Reading an uploaded workbook back: the template and the member checked first, then every
//! row of needs, or every error.

use std::io::Cursor;

use calamine::{Data, Reader, Xlsx};
use mutualis_domain::text::de;
use mutualis_domain::{CpvNomenclature, Need};

use super::cells::{RowReader, is_blank, plain_text};
use super::errors::{Errors, WorkbookErrors};
use super::layout::{CAMPAIGN_ID_CELL, COLUMNS, SIREN_CELL, VERSION_CELL};
use super::limits::{Refusal, Sheet, check_package, read_sheet};
use super::{CAMPAIGN_SHEET, MAX_NEED_ROWS, NEEDS_SHEET, TEMPLATE_VERSION, WorkbookMeta};

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
