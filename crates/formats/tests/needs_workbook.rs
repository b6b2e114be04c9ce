//! The needs workbook: what is written comes back, and every bad upload is refused whole,
//! with each error at its cell. Bad workbooks are built here with rust_xlsxwriter, as a
//! member's spreadsheet program would save them.

#![allow(clippy::unwrap_used)] // a test that cannot unwrap has failed

use calamine::{Data, Reader, Xlsx};
use chrono::NaiveDate;
use mutualis_domain::contract::{Label, Modification};
use mutualis_domain::{
    Amount, Contract, ContractKind, ContractSource, Need, Quantity, Reservation, Siren, Siret,
};
use mutualis_formats::needs_workbook::{
    CellError, PrefillRow, TEMPLATE_VERSION, WorkbookErrors, WorkbookMeta, read_workbook,
    write_workbook,
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
