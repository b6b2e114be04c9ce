//! Why a workbook is refused: every error with its sheet and its cell ("C7"), in French.

use std::fmt;

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
pub(super) struct Errors(pub(super) Vec<CellError>);

impl Errors {
    pub(super) fn file(&mut self, reason: impl Into<String>) {
        self.0.push(CellError {
            sheet: None,
            cell: None,
            reason: reason.into(),
        });
    }

    pub(super) fn sheet(&mut self, sheet: &str, reason: impl Into<String>) {
        self.0.push(CellError {
            sheet: Some(sheet.to_owned()),
            cell: None,
            reason: reason.into(),
        });
    }

    pub(super) fn cell(&mut self, sheet: &str, (row, col): (u32, u16), reason: impl Into<String>) {
        self.0.push(CellError {
            sheet: Some(sheet.to_owned()),
            cell: Some(cell_name(row, col)),
            reason: reason.into(),
        });
    }

    pub(super) fn into_result<T>(self, ok: T) -> Result<T, WorkbookErrors> {
        if self.0.is_empty() {
            Ok(ok)
        } else {
            Err(WorkbookErrors { errors: self.0 })
        }
    }
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
}
