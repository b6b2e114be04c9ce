//! Streaming DECP readers: DECP 1.x JSON (`{"marches":[…]}`), DECP 2.0 JSON
//! (`{"marches":{"marche":[…],"contrat-concession":[…]}}`) and XML (`<marches><marche>…`, 2.0
//! and the legacy 1.x XML of the same shape).
//!
//! [`read_decp`] looks at the first bytes to choose the syntax (`{` JSON, `<` XML), then reads
//! the records one at a time and hands each to the caller as soon as it is read, as a domain
//! [`Contract`] or as a [`Rejection`] naming its position, field, value and reason. Memory
//! holds one record at a time, whatever the file size: for JSON a serde visitor walks the
//! array and parses each element alone into a `serde_json::Value`; for XML quick-xml's
//! streaming reader builds one `<marche>` or `<contrat-concession>` element at a time, turned
//! into the same `Value` shape as the JSON of its version. Either way the `Value` is then
//! converted by hand, field by field, into domain types.
//!
//! # Conversion
//!
//! - The buyer (`acheteur.id`, `autoriteConcedante.id` for a concession) must be a SIRET that
//!   passes at least one of its check keys
//!   ([`Siret::parse_noting`](mutualis_domain::Siret::parse_noting): 14 digits, the Luhn key
//!   of the 14 or of the SIREN); one failing a key is kept with a `buyer_siret_key` repair.
//!   Operators
//!   (titulaires, concessionnaires, subcontractors) are kept as published: their identifier
//!   may be a TVA number or a foreign one, and a bad SIRET there does not reject the contract
//!   ([`Operator::siret`](mutualis_domain::contract::Operator::siret) then answers `None`).
//! - The CPV code, with or without its check digit, is read from the nomenclature. A wrong
//!   check digit is corrected, a code of 7 digits that lost its leading zero or of 9 digits
//!   without its hyphen is read as the code meant when it exists; any other code not in CPV
//!   2008 is dropped (the contract kept without a code). Each noted as a repair.
//! - Dates are `AAAA-MM-JJ`, optionally followed by a time zone (`2018-12-21+01:00`, `Z`) or
//!   a time (`2019-03-01T10:00:00+01:00`): the date part is kept, as published. Month and day
//!   may have one digit (`2019-1-1`). A year outside 1900–2100 (`0218-10-29`, a typo for
//!   2018 or 2019?) is rejected rather than guessed.
//! - Amounts are JSON numbers or numeric strings ("127000", "127000.5", "1 234,56"), turned
//!   into integer cents from their decimal text: at most two decimals, no float arithmetic.
//! - DECP 1.x labels are mapped to their 2.0 value, the original kept beside it
//!   ([`Label`](mutualis_domain::contract::Label)): legacy procedures, the natures
//!   "Accord-cadre" and "Marché subséquent" (nature "Marché"), and the 1.x price forms
//!   "Ferme", "Révisable", "Ferme et actualisable", which have no 2.0 `formePrix` value
//!   (value `None`, original kept). A label that is one of the list's in other case,
//!   accents or spacing (and, in 1.x, one of the 1.x labels so written or a known legacy
//!   variant, `Procedure::DECP1_VARIANTS`) is read as that value, noted; an operator's
//!   `typeIdentifiant` spelt otherwise ("Siret", "TVA_INTRACOMMUNAUTAIRE") is normalised,
//!   noted. Any other value outside the format's lists is rejected.
//! - The place (`lieuExecution`) never rejects: a type missing or outside the list is
//!   inferred when the code has one reading (letters: a country; 2A/2B: a département),
//!   else the place is dropped; both noted.
//! - A record whose `objet` is "TEST", "Essai"… alone is a publisher's test: rejected.
//! - What was repaired is kept on the contract ([`Contract::repairs`]): kind, field, value
//!   as published, value kept, one French sentence (`convert/repairs.rs` decides each).
//! - DECP 2.0 records fill [`Decp2Fields`](mutualis_domain::contract::Decp2Fields); values
//!   are checked against the 2.0 schema's lists and minimums (an amount of at least 1 €,
//!   `offresRecues` ≥ 1, a duration ≥ 1 month, `tauxAvance`, `origineUE` and
//!   `origineFrance` between 0 and 1, a tariff or investment expense ≥ 0). Missing fields
//!   are left empty: only the contract's identity (`id`, buyer, `objet`) is required.
//!   Every field of the 2.0 schema is read: `origineUE` and `origineFrance` as exact shares
//!   between 0 and 1 ([`Share`](mutualis_domain::Share)), `modificationsActesSousTraitance`
//!   (each naming its act by number, with a new duration, amount and dates), and a
//!   concession's `donneesExecution` (per year: publication date, `depensesInvestissement` as
//!   an amount, `tarifs` with `intituleTarif` and a `tarif` kept as an exact
//!   [`Decimal`](mutualis_domain::Decimal), since a price per unit may have more than two
//!   decimals). Not read: 1.x fields beyond those a 2.0 record has (a 1.x concession's
//!   `montantSubventionPublique` and `donneesExecution`, since 1.x contracts carry no
//!   `Decp2Fields` and are never republished as 2.0).
//! - Bounded (see the limits below): no text longer than [`MAX_TEXT_CHARS`] characters, no
//!   duration over [`MAX_DURATION_MONTHS`], no XML record nested deeper than
//!   [`MAX_NESTING`] or with more than [`MAX_RECORD_ELEMENTS`] elements; a JSON `Infinity`
//!   or `-Infinity` is read as that text, so that an infinite amount or duration is rejected
//!   naming its field.
//! - A JSON record that gives a key twice in one object is rejected, naming the key's path
//!   (serde_json would silently keep the last value).
//! - Tolerated, since their meaning is clear: a JSON `NaN` (written by pandas) read as
//!   `null`; 2.0 lists and wrappers written the 1.x way or nested in extra arrays
//!   (`"titulaires": [[{…}]]`, a titulaire without its `{"titulaire": …}` wrapper);
//!   booleans written `"oui"`/`"non"`/`"true"`/`"1"`, as the XML schema allows; blank
//!   strings and `null` read as absent.
//!
//! Each record is judged alone: the first problem that cannot be repaired rejects it, in the order of the
//! fields above (text lengths, identity, labels, CPV, place, duration, dates, amount, operators, 2.0
//! fields, subcontracting, modifications).

mod convert;
mod extent;
mod json;
mod lean;
mod xml;

use std::fmt;
use std::io::{self, BufRead};
use std::ops::ControlFlow;

use mutualis_domain::{Contract, ContractKind, CpvNomenclature};

pub use lean::FactsView;

// ---------------------------------------------------------------------------------------------
// Limits: what a hostile or broken file may not exceed. Each is named in the message of the
// error or rejection it causes, and listed in the README's paragraph on the import.

/// How deep objects, lists and XML elements may nest: serde_json's own limit inside a JSON
/// record, also applied to the JSON outer structure and to an XML record (counted from the
/// record's element). Past it, a JSON file is refused; an XML record is rejected.
pub const MAX_NESTING: usize = 128;

/// Elements in one XML record (the record's own element included); past it, the record is
/// rejected. Real records have a few dozen; 10,000 leaves room for long lists of titulaires
/// or modifications.
pub const MAX_RECORD_ELEMENTS: usize = 10_000;

/// Bytes in one JSON record as written in the file; past it, the record is rejected without
/// being kept in memory. Real records weigh a few kilobytes; 4 MiB holds the
/// [`MAX_RECORD_ELEMENTS`] an XML record may have, each of a few hundred bytes.
pub const MAX_RECORD_BYTES: usize = 4 << 20;

/// Characters in one text value of a record, once trimmed (any field, read or not): the DECP
/// 2.0 schema's `maxLength` of `objet`, the longest text it bounds. Its tighter bounds (16
/// characters for `id`, 256 for `intituleTarif`) are not applied: real files exceed them.
pub const MAX_TEXT_CHARS: usize = 1_000;

/// The longest duration accepted (`dureeMois` of a contract or a modification): 1,200 months,
/// 100 years.
pub const MAX_DURATION_MONTHS: u32 = 1_200;

/// The format of a DECP file, as found from its content.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DecpFormat {
    /// `{"marches":[…]}`, each record with `_type` "Marché" or "Contrat de concession".
    V1Json,
    /// `{"marches":{"marche":[…],"contrat-concession":[…]}}`.
    V2Json,
    /// `<marches><marche>…</marche><contrat-concession>…</marches>` with 1.x content (the
    /// legacy XML schema `marches.xsd` 1.5: buyers' names, `denominationSociale`…).
    V1Xml,
    /// The same XML shape with 2.0 content (`schema_decp_v2.0.2.xsd`).
    V2Xml,
}

impl DecpFormat {
    /// What the summaries show: "DECP 1.x (JSON)", "DECP 2.0 (XML)"…
    pub fn label(self) -> &'static str {
        match self {
            DecpFormat::V1Json => "DECP 1.x (JSON)",
            DecpFormat::V2Json => "DECP 2.0 (JSON)",
            DecpFormat::V1Xml => "DECP 1.x (XML)",
            DecpFormat::V2Xml => "DECP 2.0 (XML)",
        }
    }

    /// A stable code: "v1-json", "v2-json", "v1-xml", "v2-xml".
    pub fn code(self) -> &'static str {
        match self {
            DecpFormat::V1Json => "v1-json",
            DecpFormat::V2Json => "v2-json",
            DecpFormat::V1Xml => "v1-xml",
            DecpFormat::V2Xml => "v2-xml",
        }
    }
}

impl fmt::Display for DecpFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// What a read found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReadStats {
    pub format: DecpFormat,
    /// Records read: `contracts + rejected`.
    pub read: usize,
    pub contracts: usize,
    pub rejected: usize,
    /// The callback of [`read_decp_until`] asked to stop before the end of the file.
    pub stopped: bool,
}

/// A record that could not be turned into a contract.
#[derive(Debug, Clone, PartialEq)]
pub struct Rejection {
    /// 0-based position of the record in the file, counting every record in document order
    /// (marchés and concessions together).
    pub index: usize,
    /// Marché or concession, when it could be told.
    pub kind: Option<ContractKind>,
    /// The record's `id`, when it has a readable one.
    pub id: Option<String>,
    /// The field at fault, as DECP names it: "acheteur.id", "codeCPV", "dateNotification",
    /// "titulaires[1].typeIdentifiant", "modifications[0].montant"… Empty when the record
    /// itself is not an object.
    pub field: String,
    /// The offending value as text, "" when it is missing.
    pub value: String,
    pub reason: RejectReason,
    /// One French sentence naming the value and what was expected.
    pub detail: String,
    /// The whole record as read (for XML: converted to the JSON shape of its version), for a
    /// rejects file.
    pub record: serde_json::Value,
}

impl fmt::Display for Rejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "enregistrement {}", self.index)?;
        match (&self.kind, &self.id) {
            (Some(kind), Some(id)) => write!(f, " ({} « {id} »)", kind.label_fr())?,
            (None, Some(id)) => write!(f, " (« {id} »)")?,
            (Some(kind), None) => write!(f, " ({})", kind.label_fr())?,
            (None, None) => {}
        }
        if !self.field.is_empty() {
            write!(f, ", champ « {} »", self.field)?;
        }
        write!(f, " : {}", self.detail)
    }
}

/// Why a record was rejected: a small closed set, each with a stable code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RejectReason {
    /// The record, or one of its parts, is not of the expected JSON type (an object where a
    /// text is expected, a text where a list is expected…).
    InvalidStructure,
    /// A field needed to identify the contract is absent: `id`, the buyer's `id`, `objet`, or
    /// a part of an operator, a place or a subcontracting act.
    MissingField,
    /// The buyer's SIRET is not 14 digits, or fails every check key (its own, its SIREN's).
    InvalidSiret,
    /// The CPV code is malformed, unknown to CPV 2008, or has a wrong check digit. No longer
    /// given: such codes are repaired or dropped with a note (`RepairKind`); kept so that the
    /// summaries written before still read.
    InvalidCpv,
    /// A date is not `AAAA-MM-JJ` (with an optional time or zone), does not exist, or has an
    /// implausible year.
    InvalidDate,
    /// An amount is not a number of euros with at most two decimals, is negative, is below the
    /// format's minimum, or is too large.
    InvalidAmount,
    /// A duration is not a whole number of months (`"NC"`), or is below the format's minimum.
    InvalidDuration,
    /// Another number is not one or is out of range (`offresRecues` 0, `tauxAvance` 1.5…).
    InvalidNumber,
    /// A yes/no field holds something else.
    InvalidBoolean,
    /// A titulaire, concessionnaire or subcontractor is not an object with an `id`.
    InvalidOperator,
    /// A value is outside the format's list for its field (nature, procedure, `ccag`…).
    UnknownLabel,
    /// A text is longer than [`MAX_TEXT_CHARS`].
    TextTooLong,
    /// An XML record nests deeper than [`MAX_NESTING`] or has more than
    /// [`MAX_RECORD_ELEMENTS`] elements; a JSON record weighs more than [`MAX_RECORD_BYTES`].
    RecordTooLarge,
    /// A JSON object of the record gives the same key twice.
    DuplicateKey,
    /// The record is a publisher's test, not a contract: its `objet` is "TEST", "Essai"…
    /// alone.
    TestRecord,
}

impl RejectReason {
    pub const ALL: [RejectReason; 15] = [
        RejectReason::InvalidStructure,
        RejectReason::MissingField,
        RejectReason::InvalidSiret,
        RejectReason::InvalidCpv,
        RejectReason::InvalidDate,
        RejectReason::InvalidAmount,
        RejectReason::InvalidDuration,
        RejectReason::InvalidNumber,
        RejectReason::InvalidBoolean,
        RejectReason::InvalidOperator,
        RejectReason::UnknownLabel,
        RejectReason::TextTooLong,
        RejectReason::RecordTooLarge,
        RejectReason::DuplicateKey,
        RejectReason::TestRecord,
    ];

    /// Stable snake_case code, for summaries, rejects files and scripts.
    pub fn code(self) -> &'static str {
        match self {
            RejectReason::InvalidStructure => "invalid_structure",
            RejectReason::MissingField => "missing_field",
            RejectReason::InvalidSiret => "invalid_siret",
            RejectReason::InvalidCpv => "invalid_cpv",
            RejectReason::InvalidDate => "invalid_date",
            RejectReason::InvalidAmount => "invalid_amount",
            RejectReason::InvalidDuration => "invalid_duration",
            RejectReason::InvalidNumber => "invalid_number",
            RejectReason::InvalidBoolean => "invalid_boolean",
            RejectReason::InvalidOperator => "invalid_operator",
            RejectReason::UnknownLabel => "unknown_label",
            RejectReason::TextTooLong => "text_too_long",
            RejectReason::RecordTooLarge => "record_too_large",
            RejectReason::DuplicateKey => "duplicate_key",
            RejectReason::TestRecord => "test_record",
        }
    }

    pub fn from_code(code: &str) -> Option<RejectReason> {
        RejectReason::ALL.into_iter().find(|r| r.code() == code)
    }

    /// The reason in French, for people.
    pub fn message(self) -> &'static str {
        match self {
            RejectReason::InvalidStructure => {
                "structure inattendue (objet, liste ou texte mal placé)"
            }
            RejectReason::MissingField => "champ obligatoire absent",
            RejectReason::InvalidSiret => {
                "SIRET de l'acheteur invalide (14 chiffres dont au moins une clé de Luhn juste)"
            }
            RejectReason::InvalidCpv => {
                "code CPV invalide (inconnu de la nomenclature CPV 2008 ou chiffre de contrôle faux)"
            }
            RejectReason::InvalidDate => "date invalide (attendu AAAA-MM-JJ)",
            RejectReason::InvalidAmount => "montant invalide",
            RejectReason::InvalidDuration => "durée en mois invalide",
            RejectReason::InvalidNumber => "nombre invalide ou hors limites",
            RejectReason::InvalidBoolean => "valeur oui/non invalide",
            RejectReason::InvalidOperator => {
                "opérateur économique invalide (attendu un objet avec « id » et « typeIdentifiant »)"
            }
            RejectReason::UnknownLabel => "valeur hors de la liste du format DECP",
            RejectReason::TextTooLong => "texte trop long",
            RejectReason::RecordTooLarge => {
                "enregistrement trop volumineux, trop imbriqué ou comptant trop d'éléments"
            }
            RejectReason::DuplicateKey => "clé en double dans un objet JSON",
            RejectReason::TestRecord => "enregistrement de test, pas un contrat",
        }
    }
}

impl fmt::Display for RejectReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.message())
    }
}

/// The file itself cannot be read as DECP. Records read before a syntax or I/O error have
/// already been handed to the callback.
#[derive(Debug, thiserror::Error)]
pub enum FileError {
    #[error("lecture du fichier impossible : {0}")]
    Io(#[from] io::Error),
    #[error("le fichier est vide : attendu un document DECP en JSON ou en XML")]
    Empty,
    #[error(
        "le fichier n'est ni du JSON ni du XML : il commence par « {start} », attendu « {{ » (JSON) ou « < » (XML)"
    )]
    NotJsonOrXml { start: String },
    #[error("ce n'est pas un fichier DECP : {reason}")]
    NotDecp { reason: String },
    #[error("fichier mal formé, ligne {line}, colonne {column} : {message}")]
    Syntax {
        line: u64,
        column: u64,
        message: String,
    },
}

/// Reads a DECP file and hands every record, in file order, to `on_record`. Returns the counts
/// once the whole file is read; a [`FileError`] when the file is not DECP JSON/XML or breaks
/// off (the records before the break have been handed over).
pub fn read_decp<R: BufRead>(
    reader: R,
    cpv: &CpvNomenclature,
    mut on_record: impl FnMut(Result<Contract, Rejection>),
) -> Result<ReadStats, FileError> {
    read_decp_until(reader, cpv, |record| {
        on_record(record);
        ControlFlow::Continue(())
    })
}

/// Like [`read_decp`], but `on_record` may stop the reading by returning
/// `ControlFlow::Break(())` (a writer that failed, a limit reached): the rest of the file is
/// not read, and the stats count what was read, with `stopped` set.
// A rejection is large (it keeps its record) but rare: the items stay unboxed.
#[allow(clippy::result_large_err)]
pub fn read_decp_until<R: BufRead>(
    reader: R,
    cpv: &CpvNomenclature,
    on_record: impl FnMut(Result<Contract, Rejection>) -> ControlFlow<()>,
) -> Result<ReadStats, FileError> {
    read_decp_map(reader, cpv, |record| record, on_record)
}

/// Like [`read_decp_until`], with a `map` applied to each record on the reading threads, so
/// that the caller's own per-record work (reducing a contract to what it keeps, hashing it)
/// runs in parallel too; `on_item` still sees the results in file order, on this thread.
pub fn read_decp_map<R: BufRead, T: Send>(
    mut reader: R,
    cpv: &CpvNomenclature,
    map: impl Fn(Result<Contract, Rejection>) -> T + Sync,
    mut on_item: impl FnMut(T) -> ControlFlow<()>,
) -> Result<ReadStats, FileError> {
    read_with(&mut reader, cpv, None, &map, &mut on_item, true)
}

/// Like [`read_decp_map`], for a caller that needs only what the opportunity engine reads of
/// each contract: a DECP 2.0 JSON marché that the conversion would accept is read straight
/// into a [`FactsView`] and handed to `lean`, without building the whole contract; every other
/// record (DECP 1.x, XML, concessions, modifications, unusual shapes, and every record the
/// conversion would reject) is converted as by [`read_decp_map`] and handed to `map`. The
/// records, counts and rejections are the same as with [`read_decp_map`].
pub fn read_decp_facts<R: BufRead, T: Send>(
    mut reader: R,
    cpv: &CpvNomenclature,
    lean: impl Fn(FactsView<'_>) -> T + Sync,
    map: impl Fn(Result<Contract, Rejection>) -> T + Sync,
    mut on_item: impl FnMut(T) -> ControlFlow<()>,
) -> Result<ReadStats, FileError> {
    read_with(&mut reader, cpv, Some(&lean), &map, &mut on_item, true)
}

/// [`read_decp_map`], or [`read_decp_facts`] when `lean` is given, with every record parsed
/// and converted on the calling thread: no worker thread is started. Same records, counts
/// and errors; slower on a large file, and cheap for the many tiny inputs of the fuzz
/// targets (`fuzz/`), which call it.
#[doc(hidden)]
pub fn read_decp_on_this_thread<R: BufRead, T: Send>(
    reader: R,
    cpv: &CpvNomenclature,
    lean: Option<&(dyn Fn(FactsView<'_>) -> T + Sync)>,
    map: &(dyn Fn(Result<Contract, Rejection>) -> T + Sync),
    on_item: &mut dyn FnMut(T) -> ControlFlow<()>,
) -> Result<ReadStats, FileError> {
    read_with(reader, cpv, lean, map, on_item, false)
}

/// `workers`: JSON records are parsed on worker threads, else on this one.
fn read_with<R: BufRead, T: Send>(
    mut reader: R,
    cpv: &CpvNomenclature,
    lean: Option<LeanFn<'_, T>>,
    map: &(dyn Fn(Result<Contract, Rejection>) -> T + Sync),
    on_item: &mut dyn FnMut(T) -> ControlFlow<()>,
    workers: bool,
) -> Result<ReadStats, FileError> {
    let start = sniff(&mut reader)?;
    let mut sink = Sink {
        cpv,
        lean,
        map,
        on_item,
        workers,
        read: 0,
        contracts: 0,
        rejected: 0,
        stopped: false,
    };
    let format = match start {
        Start::Json { lines_skipped } => json::read(reader, &mut sink, lines_skipped)?,
        Start::Xml { lines_skipped } => xml::read(reader, &mut sink, lines_skipped)?,
    };
    Ok(ReadStats {
        format,
        read: sink.read,
        contracts: sink.contracts,
        rejected: sink.rejected,
        stopped: sink.stopped,
    })
}

/// The syntax found at the start of the file, and how many line ends were skipped to find it
/// (so that error positions count from the file's first line).
enum Start {
    Json { lines_skipped: u64 },
    Xml { lines_skipped: u64 },
}

const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

/// Skips a UTF-8 byte order mark and leading whitespace, and looks at the first byte.
fn sniff<R: BufRead>(reader: &mut R) -> Result<Start, FileError> {
    let mut lines_skipped = 0;
    let mut first = true;
    loop {
        let buf = reader.fill_buf()?;
        if buf.is_empty() {
            return Err(FileError::Empty);
        }
        if first {
            first = false;
            if buf.starts_with(UTF8_BOM) {
                reader.consume(UTF8_BOM.len());
                continue;
            }
        }
        match buf.iter().position(|b| !b.is_ascii_whitespace()) {
            Some(i) => {
                lines_skipped += count_newlines(&buf[..i]);
                let start = match buf[i] {
                    b'{' => Start::Json { lines_skipped },
                    b'<' => Start::Xml { lines_skipped },
                    b'[' => {
                        return Err(FileError::NotDecp {
                            reason: "le document JSON est une liste, attendu un objet « marches »"
                                .into(),
                        });
                    }
                    _ => {
                        return Err(FileError::NotJsonOrXml {
                            start: preview(&buf[i..]),
                        });
                    }
                };
                reader.consume(i);
                return Ok(start);
            }
            None => {
                lines_skipped += count_newlines(buf);
                let n = buf.len();
                reader.consume(n);
            }
        }
    }
}

fn count_newlines(bytes: &[u8]) -> u64 {
    bytes.iter().filter(|b| **b == b'\n').count() as u64
}

/// The first characters of a file, printable.
fn preview(bytes: &[u8]) -> String {
    let head = &bytes[..bytes.len().min(24)];
    String::from_utf8_lossy(head)
        .chars()
        .take(16)
        .map(|c| if c.is_control() { '·' } else { c })
        .collect()
}

/// What maps a DECP 2.0 marché read straight into a [`FactsView`].
type LeanFn<'a, T> = &'a (dyn Fn(FactsView<'_>) -> T + Sync);

/// Where the records go: converted, mapped, counted, handed to the caller.
struct Sink<'a, T> {
    cpv: &'a CpvNomenclature,
    /// The shortcut of [`read_decp_facts`], when the caller took it.
    lean: Option<LeanFn<'a, T>>,
    map: &'a (dyn Fn(Result<Contract, Rejection>) -> T + Sync),
    on_item: &'a mut dyn FnMut(T) -> ControlFlow<()>,
    /// JSON records are parsed on worker threads; else on the reading thread.
    workers: bool,
    read: usize,
    contracts: usize,
    rejected: usize,
    stopped: bool,
}

/// Why a record could not be read whole: the element at fault and a French sentence naming
/// the limit and the position.
struct TooLarge {
    field: String,
    reason: RejectReason,
    detail: String,
}

/// A record converted and mapped, not yet counted: what a reading thread hands back.
struct Mapped<T> {
    item: T,
    rejected: bool,
}

/// Converts the raw record found at `index` in the file, and maps it. Pure: it runs on the
/// reading threads.
fn process<T>(
    record: serde_json::Value,
    index: usize,
    version: convert::Version,
    kind: Option<ContractKind>,
    cpv: &CpvNomenclature,
    map: &(dyn Fn(Result<Contract, Rejection>) -> T + Sync),
) -> Mapped<T> {
    match convert::convert(&record, version, kind, cpv) {
        Ok(contract) => Mapped {
            item: map(Ok(contract)),
            rejected: false,
        },
        Err(p) => Mapped {
            item: map(Err(Rejection {
                record: if p.reason == RejectReason::TextTooLong {
                    let mut record = record;
                    convert::shorten_long_texts(&mut record);
                    record
                } else {
                    record
                },
                index,
                kind: p.kind,
                id: p.id,
                field: p.field,
                value: p.value,
                reason: p.reason,
                detail: p.detail,
            })),
            rejected: true,
        },
    }
}

/// Rejects a JSON record that gives a key twice in one object (`field`: the key's path).
fn reject_duplicate<T>(
    record: serde_json::Value,
    index: usize,
    kind: Option<ContractKind>,
    field: String,
    map: &(dyn Fn(Result<Contract, Rejection>) -> T + Sync),
) -> Mapped<T> {
    let mut record = record;
    convert::shorten_long_texts(&mut record);
    let id = match &record {
        serde_json::Value::Object(m) => m.get("id").map(convert::value_text),
        _ => None,
    };
    Mapped {
        item: map(Err(Rejection {
            index,
            kind,
            id,
            detail: format!(
                "la clé « {field} » figure deux fois dans le même objet : la valeur voulue est incertaine"
            ),
            field,
            value: String::new(),
            reason: RejectReason::DuplicateKey,
            record,
        })),
        rejected: true,
    }
}

/// The rejection of a JSON record past [`MAX_RECORD_BYTES`], of which nothing was kept.
fn reject_too_large<T>(
    index: usize,
    kind: Option<ContractKind>,
    size: u64,
    map: &(dyn Fn(Result<Contract, Rejection>) -> T + Sync),
) -> Mapped<T> {
    Mapped {
        item: map(Err(Rejection {
            index,
            kind,
            id: None,
            field: String::new(),
            value: String::new(),
            reason: RejectReason::RecordTooLarge,
            detail: format!(
                "l'enregistrement compte {size} octets, au-delà de la limite de {} Mio par \
                 enregistrement JSON : il n'a pas été lu",
                MAX_RECORD_BYTES >> 20
            ),
            record: serde_json::Value::Null,
        })),
        rejected: true,
    }
}

impl<T> Sink<'_, T> {
    /// Converts one raw record and hands it over. `Break` when the caller asked to stop.
    fn record(
        &mut self,
        record: serde_json::Value,
        version: convert::Version,
        kind: Option<ContractKind>,
    ) -> ControlFlow<()> {
        let mapped = process(record, self.read, version, kind, self.cpv, self.map);
        self.deliver(mapped)
    }

    /// Rejects a record that could not be read whole (an XML record past a limit), and hands
    /// it over. Its `record` is `null`: what was read of it is not kept.
    fn reject(
        &mut self,
        kind: ContractKind,
        id: Option<String>,
        too_large: TooLarge,
    ) -> ControlFlow<()> {
        let item = (self.map)(Err(Rejection {
            index: self.read,
            kind: Some(kind),
            id,
            field: too_large.field,
            value: String::new(),
            reason: too_large.reason,
            detail: too_large.detail,
            record: serde_json::Value::Null,
        }));
        self.deliver(Mapped {
            item,
            rejected: true,
        })
    }

    /// Counts a record, in file order, and hands it to the caller.
    fn deliver(&mut self, mapped: Mapped<T>) -> ControlFlow<()> {
        self.read += 1;
        if mapped.rejected {
            self.rejected += 1;
        } else {
            self.contracts += 1;
        }
        let flow = (self.on_item)(mapped.item);
        if flow.is_break() {
            self.stopped = true;
        }
        flow
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reason_codes_are_stable_and_distinct() {
        for (i, r) in RejectReason::ALL.iter().enumerate() {
            assert_eq!(RejectReason::from_code(r.code()), Some(*r));
            assert!(!RejectReason::ALL[..i].iter().any(|o| o.code() == r.code()));
            assert!(!r.message().is_empty());
        }
    }

    #[test]
    fn file_errors_are_one_line() {
        let errors = [
            FileError::Io(io::Error::other("disque")),
            FileError::Empty,
            FileError::NotJsonOrXml {
                start: "PK··".into(),
            },
            FileError::NotDecp {
                reason: "pas de « marches »".into(),
            },
            FileError::Syntax {
                line: 3,
                column: 7,
                message: "fin du fichier".into(),
            },
        ];
        for e in errors {
            assert!(!e.to_string().contains('\n'), "{e}");
        }
    }

    #[test]
    fn previews_are_printable() {
        assert_eq!(preview(b"PK\x03\x04rest of a zip file"), "PK··rest of a zi");
        assert_eq!(preview(b"\xff\xfeabc"), "��abc");
    }
}
