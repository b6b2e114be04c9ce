//! The needs workbook: what is written comes back, and every bad upload is refused whole,
//! with each error at its cell. Bad workbooks are built here with rust_xlsxwriter, as a
//! member's spreadsheet program would save them.

#![allow(clippy::unwrap_used)] // a test that cannot unwrap has failed

use std::io::{Cursor, Write};
use std::time::{Duration, Instant};

use calamine::{Data, Reader, Xlsx};
use chrono::NaiveDate;
use mutualis_domain::contract::{Label, Modification};
use mutualis_domain::{
    Amount, Contract, ContractKind, ContractSource, Need, Quantity, Reservation, Siren, Siret,
};
use mutualis_formats::needs_workbook::{
    CellError, MAX_CELL_TEXT_CHARS, MAX_CELLS_TEXT_BYTES, MAX_INFLATED_BYTES, MAX_SHARED_STRINGS,
    MAX_SHARED_STRINGS_BYTES, MAX_SHEET_COLUMNS, MAX_SHEET_ROWS, PrefillRow, TEMPLATE_VERSION,
    WorkbookErrors, WorkbookMeta, read_workbook, write_workbook,
};
use mutualis_reference::cpv::nomenclature;
use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};

const GRENOBLE: &str = "213801855";
const ECHIROLLES: &str = "213801517";

/// The header of the "Besoins" sheet, as the product asks for it.
const HEADER: [&str; 11] = [
    "Code CPV",
    "Description",
    "Montant annuel estimé (€ HT)",
    "Quantité",
    "Unité",
    "Date de début souhaitée",
    "Contrat actuel",
    "Fin du contrat actuel",
    "Exigences sociales",
    "Exigences environnementales",
    "Marché réservé",
];

fn date(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

fn meta() -> WorkbookMeta {
    WorkbookMeta {
        campaign_id: 42,
        campaign_title: "Recensement 2027".into(),
        opens_on: date("2026-06-01"),
        closes_on: date("2026-07-31"),
        cpv_families: vec!["9091".into(), "30".into()],
        member: Siren::parse(GRENOBLE).unwrap(),
        member_name: "Grenoble".into(),
    }
}

fn need(cpv: &str, description: &str, cents: i64, start: &str) -> Need {
    Need {
        buyer: Siren::parse(GRENOBLE).unwrap(),
        cpv: nomenclature().parse(cpv).unwrap(),
        description: description.into(),
        annual_amount: Amount::from_cents(cents),
        quantity: None,
        desired_start: date(start),
        current_contract: None,
        current_contract_ends_on: None,
        social_requirements: None,
        environmental_requirements: None,
        reservation: None,
    }
}

fn read(bytes: &[u8]) -> Result<Vec<Need>, WorkbookErrors> {
    read_workbook(bytes, &meta(), nomenclature())
}

/// The errors as (sheet, cell, reason) to compare with.
fn errors(result: Result<Vec<Need>, WorkbookErrors>) -> Vec<CellError> {
    match result {
        Ok(needs) => panic!("accepted: {needs:?}"),
        Err(e) => {
            assert!(e.to_string().starts_with("classeur refusé"), "{e}");
            e.errors
        }
    }
}

fn assert_errors(found: &[CellError], expected: &[(&str, &str, &str)]) {
    let cells: Vec<(Option<&str>, Option<&str>)> = found
        .iter()
        .map(|e| (e.sheet.as_deref(), e.cell.as_deref()))
        .collect();
    let wanted: Vec<(Option<&str>, Option<&str>)> = expected
        .iter()
        .map(|(s, c, _)| (Some(*s), Some(*c)))
        .collect();
    assert_eq!(cells, wanted, "{found:#?}");
    for (e, (_, _, reason)) in found.iter().zip(expected) {
        assert!(
            e.reason.contains(reason),
            "{}: « {} » does not say « {reason} »",
            e.cell.as_deref().unwrap_or(""),
            e.reason
        );
    }
}

#[test]
fn a_written_workbook_reads_back_as_the_prefilled_needs() {
    let full = Need {
        quantity: Some(Quantity {
            thousandths: 12_500,
            unit: "t".into(),
        }),
        current_contract: Some("2019-GRE-042".into()),
        current_contract_ends_on: Some(date("2026-12-31")),
        social_requirements: Some("Clause d'insertion : 5 % des heures".into()),
        environmental_requirements: Some("Produits écolabellisés".into()),
        reservation: Some(Reservation::Insertion),
        ..need(
            "90910000-9",
            "Nettoyage des écoles",
            4_800_050,
            "2027-01-01",
        )
    };
    let needs = vec![
        full,
        need("03000000", "Produits agricoles", 1, "2027-03-15"),
        need(
            "30192000",
            "Fournitures de bureau",
            123_456_789_012,
            "2028-02-29",
        ),
    ];
    let prefill: Vec<PrefillRow> = needs.iter().map(PrefillRow::from).collect();
    let bytes = write_workbook(&meta(), &prefill).unwrap();
    assert_eq!(read(&bytes).unwrap(), needs);

    // The template as a member sees it.
    let mut book: Xlsx<_> = calamine::open_workbook_from_rs(std::io::Cursor::new(&bytes)).unwrap();
    assert_eq!(book.sheet_names(), ["Besoins", "Aide", "Campagne"]);
    let besoins = book.worksheet_range("Besoins").unwrap();
    let header: Vec<String> = (0..11)
        .map(|c| besoins.get_value((0, c)).unwrap().to_string())
        .collect();
    assert_eq!(header, HEADER);
    let campagne = book.worksheet_range("Campagne").unwrap();
    assert_eq!(
        campagne.get_value((6, 1)),
        Some(&Data::String(TEMPLATE_VERSION.into()))
    );
    let aide = book.worksheet_range("Aide").unwrap();
    let help: Vec<String> = aide.rows().flatten().map(|d| d.to_string()).collect();
    for column in HEADER {
        assert!(help.iter().any(|h| h == column), "no help for {column}");
    }

    // A workbook with no need at all is an answer too.
    assert_eq!(
        read(&write_workbook(&meta(), &[]).unwrap()).unwrap(),
        Vec::new()
    );
}

#[test]
fn a_contract_prefills_its_cpv_object_annual_amount_and_end() {
    let contract = Contract {
        id: "2019-GRE-042".into(),
        buyer: Siret::parse("21380185500015").unwrap(),
        buyer_name: None,
        kind: ContractKind::Marche,
        source: ContractSource::Decp1,
        nature: Label::v2("Marché"),
        object: "Nettoyage des locaux".into(),
        cpv: Some(nomenclature().parse("90910000").unwrap()),
        procedure: Label::v2("Procédure adaptée"),
        place: None,
        duration_months: Some(24),
        notified_on: Some(date("2019-01-15")),
        starts_on: None,
        published_on: None,
        amount: Some(Amount::from_euros(100_000)),
        price_form: Label::v2("Ferme"),
        operators: vec![],
        modifications: vec![Modification {
            id: "1".into(),
            object: None,
            signed_on: None,
            published_on: Some(date("2020-01-01")),
            new_amount: Some(Amount::from_euros(110_000)),
            new_duration_months: Some(36),
            new_operators: vec![],
        }],
        subcontracting: vec![],
        decp2: None,
        repairs: Vec::new(),
    };
    let row = PrefillRow::from_contract(&contract);
    // 110,000 € over 36 months: 36,666.67 € a year.
    assert_eq!(row.annual_amount, Some(Amount::from_cents(3_666_667)));
    assert_eq!(row.current_contract_ends_on, Some(date("2022-01-15")));
    assert_eq!(row.desired_start, Some(date("2022-01-16")));
    assert_eq!(row.description, "Nettoyage des locaux");
    // A campaign of autumn 2021, before the contract ends: its renewal is a need to come.
    let campaign = WorkbookMeta {
        opens_on: date("2021-10-01"),
        closes_on: date("2021-12-31"),
        ..meta()
    };
    let bytes = write_workbook(&campaign, &[row]).unwrap();
    let needs = read_workbook(&bytes, &campaign, nomenclature()).unwrap();
    assert_eq!(needs.len(), 1);
    assert_eq!(needs[0].current_contract.as_deref(), Some("2019-GRE-042"));
    assert_eq!(needs[0].annual_amount, Amount::from_cents(3_666_667));
}

/// A cell of a hand-built workbook.
#[derive(Clone)]
enum C {
    Empty,
    Text(&'static str),
    Number(f64),
    Date(u16, u8, u8),
    Bool(bool),
}

use C::{Bool, Date, Empty, Number, Text};

/// A workbook laid out like the template, with whatever a test changes.
struct Book {
    campaign_id: String,
    siren: String,
    version: String,
    header: Vec<&'static str>,
    rows: Vec<Vec<C>>,
    campaign_sheet: bool,
    needs_sheet: bool,
}

impl Book {
    fn new(rows: Vec<Vec<C>>) -> Book {
        Book {
            campaign_id: "42".into(),
            siren: GRENOBLE.into(),
            version: TEMPLATE_VERSION.into(),
            header: HEADER.to_vec(),
            rows,
            campaign_sheet: true,
            needs_sheet: true,
        }
    }

    fn bytes(&self) -> Vec<u8> {
        let mut wb = Workbook::new();
        let dates = Format::new().set_num_format("dd/mm/yyyy");
        if self.needs_sheet {
            let sheet = wb.add_worksheet();
            sheet.set_name("Besoins").unwrap();
            for (col, h) in (0u16..).zip(&self.header) {
                sheet.write_string(0, col, *h).unwrap();
            }
            for (row, cells) in (1u32..).zip(&self.rows) {
                for (col, cell) in (0u16..).zip(cells) {
                    match cell {
                        Empty => {}
                        Text(t) => {
                            sheet.write_string(row, col, *t).unwrap();
                        }
                        Number(n) => {
                            sheet.write_number(row, col, *n).unwrap();
                        }
                        Date(y, m, d) => {
                            let date = ExcelDateTime::from_ymd(*y, *m, *d).unwrap();
                            sheet
                                .write_date_with_format(row, col, date, &dates)
                                .unwrap();
                        }
                        Bool(b) => {
                            sheet.write_boolean(row, col, *b).unwrap();
                        }
                    }
                }
            }
        }
        wb.add_worksheet().set_name("Aide").unwrap();
        if self.campaign_sheet {
            let sheet = wb.add_worksheet();
            sheet.set_name("Campagne").unwrap();
            sheet.write_string(1, 1, &self.campaign_id).unwrap();
            sheet.write_string(3, 1, &self.siren).unwrap();
            sheet.write_string(6, 1, &self.version).unwrap();
        }
        wb.save_to_buffer().unwrap()
    }
}

/// A valid row: CPV, description, amount, desired start.
fn good_row() -> Vec<C> {
    vec![
        Text("90910000-9"),
        Text("Nettoyage"),
        Number(1000.0),
        Empty,
        Empty,
        Date(2027, 1, 1),
    ]
}

/// `good_row` with the cell `col` replaced.
fn row_with(col: usize, cell: C) -> Vec<C> {
    let mut row = good_row();
    row.resize(11, Empty);
    row[col] = cell;
    row
}

#[test]
fn french_amounts_dates_and_codes_are_read_as_people_type_them() {
    let rows = vec![
        row_with(2, Text("12 500,50")),
        row_with(2, Text("12500.5")),
        row_with(2, Text("12 500 €")),
        row_with(2, Text("12\u{a0}500,5\u{a0}€")),
        row_with(2, Number(12_500.5)),
        vec![Empty, Text("   ")],
        row_with(5, Text("31/12/2026")),
        row_with(5, Text("2026-12-31")),
        row_with(0, Number(3_000_000.0)),
        row_with(0, Text("90910000")),
        row_with(10, Text("l2113-13")),
        {
            let mut r = row_with(3, Text("12,5"));
            r[4] = Text("t");
            r[6] = Number(2019042.0);
            r[7] = Text("30/06/2026");
            r
        },
    ];
    let needs = read(&Book::new(rows).bytes()).unwrap();
    let amounts: Vec<i64> = needs[..5].iter().map(|n| n.annual_amount.cents()).collect();
    assert_eq!(
        amounts,
        [1_250_050, 1_250_050, 1_250_000, 1_250_050, 1_250_050]
    );
    assert_eq!(needs.len(), 11, "the blank row is skipped");
    assert_eq!(needs[5].desired_start, date("2026-12-31"));
    assert_eq!(needs[6].desired_start, date("2026-12-31"));
    assert_eq!(needs[7].cpv.to_string(), "03000000-1");
    assert_eq!(needs[8].cpv.to_string(), "90910000-9");
    assert_eq!(needs[9].reservation, Some(Reservation::Insertion));
    assert_eq!(
        needs[10].quantity,
        Some(Quantity {
            thousandths: 12_500,
            unit: "t".into()
        })
    );
    assert_eq!(needs[10].current_contract.as_deref(), Some("2019042"));
    assert_eq!(needs[10].current_contract_ends_on, Some(date("2026-06-30")));
    assert!(needs.iter().all(|n| n.buyer.as_str() == GRENOBLE));
}

#[test]
fn every_bad_cell_is_named_and_nothing_is_read() {
    let rows = vec![
        row_with(0, Text("99999999")),
        row_with(0, Text("90910000-1")),
        row_with(0, Empty),
        row_with(2, Text("1.234,5")),
        row_with(2, Number(12.345)),
        row_with(5, Text("12/31/2026")),
        row_with(5, Text("31/02/2027")),
        row_with(2, Bool(true)),
        row_with(3, Number(4.0)),
        row_with(10, Text("oui")),
        vec![],
        row_with(5, Number(46_387.0)),
        row_with(7, Text("2026-13-01")),
        {
            let mut r = row_with(2, Text("12.500"));
            r[5] = Empty;
            r
        },
        row_with(3, Text("12 t")),
        good_row(),
    ];
    let found = errors(read(&Book::new(rows).bytes()));
    assert_errors(
        &found,
        &[
            ("Besoins", "A2", "inconnu de la nomenclature"),
            ("Besoins", "A3", "chiffre de contrôle"),
            ("Besoins", "A4", "code CPV manquant"),
            ("Besoins", "C5", "ambigu"),
            ("Besoins", "C6", "plus de deux décimales"),
            ("Besoins", "F7", "le jour vient avant le mois"),
            ("Besoins", "F8", "impossible"),
            ("Besoins", "C9", "VRAI/FAUX"),
            ("Besoins", "E10", "unité manquante"),
            ("Besoins", "K11", "inconnu"),
            ("Besoins", "F13", "un nombre au lieu d'une date"),
            ("Besoins", "H14", "impossible"),
            ("Besoins", "C15", "ambigu"),
            ("Besoins", "F15", "date de début souhaitée manquante"),
            ("Besoins", "D16", "l'unité va dans la colonne"),
        ],
    );
}

#[test]
fn a_desired_start_before_the_campaign_opens_is_refused_at_its_cell() {
    let rows = vec![
        row_with(5, Date(2020, 1, 1)),
        row_with(5, Text("31/05/2026")),
        // The opening day itself is a start to come.
        row_with(5, Text("01/06/2026")),
    ];
    let found = errors(read(&Book::new(rows).bytes()));
    assert_errors(
        &found,
        &[
            (
                "Besoins",
                "F2",
                "date de début souhaitée le 01/01/2020, avant l'ouverture de la campagne le \
                 01/06/2026",
            ),
            ("Besoins", "F3", "le 31/05/2026, avant l'ouverture"),
        ],
    );
}

#[test]
fn a_row_with_a_description_but_no_cpv_is_an_error() {
    let rows = vec![vec![Empty, Text("Nettoyage des gymnases")]];
    let found = errors(read(&Book::new(rows).bytes()));
    assert_errors(
        &found,
        &[
            ("Besoins", "A2", "code CPV manquant"),
            ("Besoins", "C2", "montant annuel estimé manquant"),
            ("Besoins", "F2", "date de début souhaitée manquante"),
        ],
    );
}

#[test]
fn another_members_or_another_campaigns_workbook_is_refused() {
    let mut other_member = Book::new(vec![good_row()]);
    other_member.siren = ECHIROLLES.into();
    assert_errors(
        &errors(read(&other_member.bytes())),
        &[("Campagne", "B4", "SIREN 213801517")],
    );
    // Even the member's own workbook of another campaign.
    let other_campaign = write_workbook(
        &WorkbookMeta {
            campaign_id: 7,
            ..meta()
        },
        &[],
    )
    .unwrap();
    assert_errors(
        &errors(read(&other_campaign)),
        &[("Campagne", "B2", "campagne n° 7")],
    );
    let mut both = Book::new(vec![]);
    both.siren = ECHIROLLES.into();
    both.campaign_id = "7".into();
    assert_eq!(errors(read(&both.bytes())).len(), 2);
}

#[test]
fn a_modified_template_is_refused() {
    let mut renamed = Book::new(vec![good_row()]);
    renamed.header[2] = "Montant";
    assert_errors(
        &errors(read(&renamed.bytes())),
        &[(
            "Besoins",
            "C1",
            "« Montant » au lieu de « Montant annuel estimé (€ HT) »",
        )],
    );
    let mut reordered = Book::new(vec![]);
    reordered.header.swap(5, 7);
    assert_errors(
        &errors(read(&reordered.bytes())),
        &[("Besoins", "F1", "déplacée"), ("Besoins", "H1", "déplacée")],
    );
    let mut dropped = Book::new(vec![]);
    dropped.header.remove(3);
    assert_eq!(errors(read(&dropped.bytes())).len(), 8, "D1 to K1");

    let mut old = Book::new(vec![good_row()]);
    old.version = "mutualis-besoins-0".into();
    assert_errors(
        &errors(read(&old.bytes())),
        &[("Campagne", "B7", "version du modèle")],
    );

    let mut no_campaign = Book::new(vec![good_row()]);
    no_campaign.campaign_sheet = false;
    let found = errors(read(&no_campaign.bytes()));
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].sheet.as_deref(), Some("Campagne"));
    assert_eq!(found[0].cell, None);
    assert!(found[0].reason.contains("supprimée ou renommée"));

    let mut no_needs = Book::new(vec![]);
    no_needs.needs_sheet = false;
    assert_eq!(
        errors(read(&no_needs.bytes()))[0].sheet.as_deref(),
        Some("Besoins")
    );
}

#[test]
fn a_file_that_is_not_an_xlsx_workbook_is_refused() {
    for bytes in [
        &b"Code CPV;Description\n90910000;Nettoyage\n"[..],
        &b""[..],
        &b"PK\x03\x04 not really a zip"[..],
    ] {
        let found = errors(read(bytes));
        assert_eq!(found.len(), 1);
        assert_eq!(
            (found[0].sheet.as_ref(), found[0].cell.as_ref()),
            (None, None)
        );
        assert!(found[0].reason.contains(".xlsx"), "{}", found[0].reason);
    }
}

// Bombs: small files that declare or inflate to far more than a workbook holds. Each is
// refused with the one error naming its limit, quickly, before reading past the limit.

/// The good workbook with its part `name` replaced by what `write` streams (deflated, so
/// that gigabytes of repeated bytes fit in a few megabytes).
fn with_part(name: &str, write: impl FnOnce(&mut dyn Write)) -> Vec<u8> {
    let good = Book::new(vec![good_row()]).bytes();
    let mut source = zip::ZipArchive::new(Cursor::new(good)).unwrap();
    let mut out = zip::ZipWriter::new(Cursor::new(Vec::new()));
    for i in 0..source.len() {
        let part = source.by_index(i).unwrap();
        if part.name().unwrap() == name {
            continue;
        }
        out.raw_copy_file(part).unwrap();
    }
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .compression_level(Some(6));
    out.start_file(name, options).unwrap();
    write(&mut out);
    out.finish().unwrap().into_inner()
}

/// The sheet "Besoins" (the first) as raw XML.
const NEEDS_PART: &str = "xl/worksheets/sheet1.xml";
const SHEET_START: &str = r#"<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">"#;

/// Writes `total` bytes of `byte`, a mebibyte at a time.
fn repeat(out: &mut dyn Write, byte: u8, total: usize) {
    let chunk = vec![byte; 1 << 20];
    for _ in 0..total / chunk.len() {
        out.write_all(&chunk).unwrap();
    }
}

/// Reads a bomb: one error whose reason contains `limit`, found within seconds.
fn refused_for(bytes: &[u8], limit: &str) -> CellError {
    assert!(bytes.len() < 5 * 1024 * 1024, "{} bytes", bytes.len());
    let start = Instant::now();
    let found = errors(read(bytes));
    assert!(
        start.elapsed() < Duration::from_secs(10),
        "{:?}",
        start.elapsed()
    );
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(found[0].reason.contains(limit), "{}", found[0].reason);
    found[0].clone()
}

#[test]
fn a_sheet_declaring_the_whole_grid_is_refused_at_the_row_limit() {
    let bytes = with_part(NEEDS_PART, |out| {
        write!(
            out,
            r#"{SHEET_START}<dimension ref="A1:XFD1048576"/><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>Code CPV</t></is></c></row><row r="1048576"><c r="XFD1048576"><v>1</v></c></row></sheetData></worksheet>"#
        )
        .unwrap();
    });
    assert!(bytes.len() < 20_000);
    let error = refused_for(&bytes, &format!("{MAX_SHEET_ROWS} lignes"));
    assert_eq!(error.sheet.as_deref(), Some("Besoins"));
    assert!(error.reason.contains("ligne 1048576"), "{}", error.reason);
}

#[test]
fn a_cell_past_the_row_or_column_limit_is_refused() {
    let mut rows = vec![good_row()];
    rows.resize(MAX_SHEET_ROWS as usize, vec![]);
    rows.push(vec![Text("x")]);
    refused_for(
        &Book::new(rows).bytes(),
        &format!("{MAX_SHEET_ROWS} lignes"),
    );
    let mut row = good_row();
    row.resize(MAX_SHEET_COLUMNS as usize, Empty);
    row.push(Text("note"));
    refused_for(
        &Book::new(vec![row]).bytes(),
        &format!("{MAX_SHEET_COLUMNS} colonnes"),
    );
}

#[test]
fn a_gigabyte_of_whitespace_is_refused_at_the_inflated_size_limit() {
    let bytes = with_part(NEEDS_PART, |out| {
        write!(out, "{SHEET_START}<sheetData>").unwrap();
        repeat(out, b' ', 1 << 30);
        write!(out, "</sheetData></worksheet>").unwrap();
    });
    let limit = format!("{} Mo", MAX_INFLATED_BYTES >> 20);
    refused_for(&bytes, &limit);
    understated_is_refused(bytes, NEEDS_PART, &limit);
}

#[test]
fn a_gigabyte_shared_string_is_refused_at_the_shared_strings_limit() {
    let bytes = with_part("xl/sharedStrings.xml", |out| {
        write!(
            out,
            r#"<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1" uniqueCount="1"><si><t>"#
        )
        .unwrap();
        repeat(out, b'a', 1 << 30);
        write!(out, "</t></si></sst>").unwrap();
    });
    let limit = format!("{} Mo", MAX_SHARED_STRINGS_BYTES >> 20);
    refused_for(&bytes, &limit);
    understated_is_refused(bytes, "xl/sharedStrings.xml", &limit);
}

#[test]
fn a_declared_count_of_a_billion_shared_strings_is_refused() {
    let bytes = with_part("xl/sharedStrings.xml", |out| {
        write!(
            out,
            r#"<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1000000000" uniqueCount="1000000000"><si><t>Code CPV</t></si></sst>"#
        )
        .unwrap();
    });
    refused_for(&bytes, &format!("{MAX_SHARED_STRINGS} textes"));
}

#[test]
fn a_cell_text_past_the_length_limit_is_refused_at_its_cell() {
    // Past Excel's own limit: rust_xlsxwriter refuses to write it, so it is raw XML.
    let bytes = with_part(NEEDS_PART, |out| {
        write!(
            out,
            r#"{SHEET_START}<sheetData><row r="2"><c r="B2" t="inlineStr"><is><t>"#
        )
        .unwrap();
        out.write_all("é".repeat(MAX_CELL_TEXT_CHARS + 1).as_bytes())
            .unwrap();
        write!(out, "</t></is></c></row></sheetData></worksheet>").unwrap();
    });
    let error = refused_for(&bytes, &format!("{MAX_CELL_TEXT_CHARS} caractères"));
    assert_eq!(error.cell.as_deref(), Some("B2"));
}

#[test]
fn one_long_shared_text_in_many_cells_is_refused_at_the_total_text_limit() {
    let long: &'static str = "a".repeat(30_000).leak();
    let rows = vec![row_with(1, Text(long)); MAX_CELLS_TEXT_BYTES / 30_000 + 1];
    refused_for(
        &Book::new(rows).bytes(),
        &format!("{} Mo de texte", MAX_CELLS_TEXT_BYTES >> 20),
    );
}

/// The bomb with the part's size declared as 1 byte: the bytes really inflated are counted,
/// and the zip reader stops at the declared size and refuses the part's checksum, so the
/// workbook is refused either at the limit or as unreadable, quickly either way.
fn understated_is_refused(bytes: Vec<u8>, part: &str, limit: &str) {
    let start = Instant::now();
    let found = errors(read(&understate_sizes(bytes, part)));
    assert!(
        start.elapsed() < Duration::from_secs(10),
        "{:?}",
        start.elapsed()
    );
    assert_eq!(found.len(), 1, "{found:?}");
    let reason = &found[0].reason;
    assert!(
        reason.contains(limit) || reason.contains("lisible"),
        "{reason}"
    );
}

/// The zip with the uncompressed size of `name` declared as 1 byte, in its local header and
/// in the central directory.
fn understate_sizes(mut bytes: Vec<u8>, name: &str) -> Vec<u8> {
    let mut patched = 0;
    for (signature, size_at, name_len_at, name_at) in
        [(b"PK\x03\x04", 22, 26, 30), (b"PK\x01\x02", 24, 28, 46)]
    {
        let mut i = 0;
        while i + name_at <= bytes.len() {
            if &bytes[i..i + 4] == signature {
                let len = usize::from(u16::from_le_bytes([
                    bytes[i + name_len_at],
                    bytes[i + name_len_at + 1],
                ]));
                if bytes.get(i + name_at..i + name_at + len) == Some(name.as_bytes()) {
                    bytes[i + size_at..i + size_at + 4].copy_from_slice(&1u32.to_le_bytes());
                    patched += 1;
                }
            }
            i += 1;
        }
    }
    assert_eq!(patched, 2);
    bytes
}
