//! Reading within bounds, whatever the file declares: the sizes of the zip's parts checked
//! through a counting reader before calamine opens it, then each sheet streamed cell by cell,
//! keeping only the template's columns. Past a limit the workbook is refused with that one
//! error, naming the limit.

use std::collections::HashMap;
use std::io::{self, BufReader, Cursor, Read, Seek};

use calamine::{Data, DataRef, Xlsx};

#[cfg(doc)]
use super::MAX_NEED_ROWS;
use super::errors::{CellError, cell_name};
use super::layout::COLUMNS;

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

/// Why a workbook or a sheet is refused before its cells are checked.
pub(super) enum Refusal {
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
pub(super) fn check_package(bytes: &[u8]) -> Result<(), Refusal> {
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

/// The cells of a sheet in the template's columns, addressed by absolute (row, column).
#[derive(Default)]
pub(super) struct Sheet {
    cells: HashMap<(u32, u16), Data>,
    last_row: Option<u32>,
}

impl Sheet {
    pub(super) fn get(&self, position: (u32, u16)) -> &Data {
        self.cells.get(&position).unwrap_or(&Data::Empty)
    }

    /// The last row with a kept cell, 0-based.
    pub(super) fn last_row(&self) -> Option<u32> {
        self.last_row
    }
}

/// Streams the cells of one sheet, keeping those of the template's columns, within the
/// limits; `text_bytes` counts the text kept over the whole workbook.
pub(super) fn read_sheet<RS: Read + Seek>(
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
