//! DECP JSON, streamed: a scanner walks the document's outer structure byte by byte, finds the
//! records of `{"marches": …}` and copies each one out whole; batches of records are then
//! parsed (`serde_json::from_slice`) and converted on worker threads, and handed back to the
//! sink in file order. Memory holds a few batches, whatever the file size. `marches` being a
//! list means DECP 1.x; an object with `marche` and/or `contrat-concession` lists means
//! DECP 2.0.
//!
//! The scanner checks the syntax of what it walks (the outer objects and lists, and the values
//! it skips); each record's own syntax is checked by serde_json. Errors name the line and
//! column in the file either way.

use std::io::{self, BufRead};
use std::ops::ControlFlow;
use std::sync::mpsc;

use mutualis_domain::{ContractKind, CpvNomenclature};
use serde_json::Value;
use serde_json::error::Category;

use super::convert::Version;
use super::extent;
use super::{DecpFormat, FileError, LeanFn, MAX_RECORD_BYTES, Mapped, Rejection, Sink, process};
use mutualis_domain::Contract;

const MARCHES_TYPE: &str = "« marches » n'est ni une liste (DECP 1.x) ni un objet avec « marche » ou « contrat-concession » (DECP 2.0)";

/// Records, and bytes, per batch handed to a worker.
const BATCH_RECORDS: usize = 256;
const BATCH_BYTES: usize = 1 << 20;

/// Records copied out of the file, one after the other in one buffer: a batch costs two
/// allocations, and its buffers go back and forth between the scanner and a worker.
struct Batch {
    bytes: Vec<u8>,
    records: Vec<RawRecord>,
}

impl Batch {
    fn new() -> Batch {
        Batch {
            bytes: Vec::with_capacity(BATCH_BYTES + (64 << 10)),
            records: Vec::with_capacity(BATCH_RECORDS),
        }
    }

    fn is_full(&self) -> bool {
        self.records.len() >= BATCH_RECORDS || self.bytes.len() >= BATCH_BYTES
    }
}

/// One record as found in the file, not yet parsed.
struct RawRecord {
    /// Where its text is in the batch's buffer.
    span: std::ops::Range<usize>,
    /// Its position among the file's records (0-based).
    index: usize,
    version: Version,
    kind: Option<ContractKind>,
    /// Where it starts in the file (1-based).
    line: u64,
    column: u64,
    /// Its size in bytes when past [`MAX_RECORD_BYTES`]: its text was not kept (the span is
    /// empty) and it is rejected whole.
    too_large: Option<u64>,
}

/// What a worker makes of a record.
// Nearly every outcome is a converted record: boxing it would cost an allocation per record.
#[allow(clippy::large_enum_variant)]
enum Outcome<T> {
    Mapped(Mapped<T>),
    Syntax {
        line: u64,
        column: u64,
        message: String,
    },
}

/// What maps a contract or a rejection on the reading threads.
type MapFn<'m, T> = &'m (dyn Fn(Result<Contract, Rejection>) -> T + Sync);

fn parse<T>(
    record: RawRecord,
    bytes: &[u8],
    cpv: &CpvNomenclature,
    lean: Option<LeanFn<'_, T>>,
    map: MapFn<'_, T>,
) -> Outcome<T> {
    if let Some(size) = record.too_large {
        return Outcome::Mapped(super::reject_too_large(
            record.index,
            record.kind,
            size,
            map,
        ));
    }
    let text = &bytes[record.span.clone()];
    if let Some(lean) = lean
        && record.version == Version::V2
        && record.kind == Some(ContractKind::Marche)
        && let Some(view) = super::lean::marche(text, cpv)
    {
        return Outcome::Mapped(Mapped {
            item: lean(view),
            rejected: false,
        });
    }
    match serde_json::from_slice::<Checked>(text) {
        Ok(Checked {
            value,
            duplicate: Some(field),
        }) => Outcome::Mapped(super::reject_duplicate(
            value,
            record.index,
            record.kind,
            field,
            map,
        )),
        Ok(Checked {
            value,
            duplicate: None,
        }) => Outcome::Mapped(process(
            value,
            record.index,
            record.version,
            record.kind,
            cpv,
            map,
        )),
        Err(e) => {
            let line = record.line + e.line() as u64 - 1;
            let column = if e.line() <= 1 {
                record.column + e.column() as u64 - 1
            } else {
                e.column() as u64
            };
            Outcome::Syntax {
                line,
                column,
                message: json_message(&e),
            }
        }
    }
}

/// A record parsed into a `Value` as `serde_json::from_slice` parses it (a key given twice
/// keeps its last value), with the path of the first key given twice in one object
/// ("acheteur.id", "titulaires[0].titulaire.id"): such a record is rejected, since which
/// value the publisher meant is unknown.
struct Checked {
    value: Value,
    duplicate: Option<String>,
}

impl<'de> serde::Deserialize<'de> for Checked {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(CheckedVisitor)
    }
}

struct CheckedVisitor;

fn checked(value: Value) -> Checked {
    Checked {
        value,
        duplicate: None,
    }
}

impl<'de> serde::de::Visitor<'de> for CheckedVisitor {
    type Value = Checked;
    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_bool<E>(self, b: bool) -> Result<Checked, E> {
        Ok(checked(Value::Bool(b)))
    }
    fn visit_i64<E>(self, n: i64) -> Result<Checked, E> {
        Ok(checked(Value::Number(n.into())))
    }
    fn visit_u64<E>(self, n: u64) -> Result<Checked, E> {
        Ok(checked(Value::Number(n.into())))
    }
    fn visit_f64<E>(self, n: f64) -> Result<Checked, E> {
        Ok(checked(
            serde_json::Number::from_f64(n).map_or(Value::Null, Value::Number),
        ))
    }
    fn visit_str<E>(self, s: &str) -> Result<Checked, E> {
        Ok(checked(Value::String(s.to_owned())))
    }
    fn visit_string<E>(self, s: String) -> Result<Checked, E> {
        Ok(checked(Value::String(s)))
    }
    fn visit_unit<E>(self) -> Result<Checked, E> {
        Ok(checked(Value::Null))
    }
    fn visit_none<E>(self) -> Result<Checked, E> {
        Ok(checked(Value::Null))
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Checked, A::Error> {
        let mut list = Vec::with_capacity(seq.size_hint().unwrap_or(0));
        let mut duplicate = None;
        while let Some(item) = seq.next_element::<Checked>()? {
            if duplicate.is_none()
                && let Some(path) = item.duplicate
            {
                duplicate = Some(super::convert::join(&format!("[{}]", list.len()), &path));
            }
            list.push(item.value);
        }
        Ok(Checked {
            value: Value::Array(list),
            duplicate,
        })
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Checked, A::Error> {
        let mut fields = serde_json::Map::new();
        let mut duplicate = None;
        while let Some(key) = map.next_key::<String>()? {
            let item = map.next_value::<Checked>()?;
            match fields.entry(key) {
                serde_json::map::Entry::Vacant(entry) => {
                    if duplicate.is_none()
                        && let Some(path) = item.duplicate
                    {
                        duplicate = Some(super::convert::join(entry.key(), &path));
                    }
                    entry.insert(item.value);
                }
                serde_json::map::Entry::Occupied(mut entry) => {
                    if duplicate.is_none() {
                        duplicate = Some(entry.key().clone());
                    }
                    entry.insert(item.value);
                }
            }
        }
        Ok(Checked {
            value: Value::Object(fields),
            duplicate,
        })
    }
}

/// Reads a JSON document whose first byte is `{`; `lines_skipped` blank lines preceded it.
pub(super) fn read<R: BufRead, T: Send>(
    reader: R,
    sink: &mut Sink<'_, T>,
    lines_skipped: u64,
) -> Result<DecpFormat, FileError> {
    let cpv = sink.cpv;
    let lean = sink.lean;
    let map = sink.map;
    let workers = if sink.workers {
        std::thread::available_parallelism()
            .map_or(1, |n| n.get())
            .clamp(1, 4)
    } else {
        0
    };
    std::thread::scope(|scope| {
        let mut lanes = Vec::with_capacity(workers);
        for _ in 0..workers {
            let (batch_tx, batch_rx) = mpsc::sync_channel::<Batch>(2);
            // Unbounded: a worker never blocks on handing back, so that stopping early (the
            // scanner drops its senders) always lets the workers finish.
            let (result_tx, result_rx) = mpsc::channel::<(Vec<Outcome<T>>, Batch)>();
            scope.spawn(move || {
                while let Ok(mut batch) = batch_rx.recv() {
                    let Batch { bytes, records } = &mut batch;
                    let outcomes = records
                        .drain(..)
                        .map(|r| parse(r, bytes, cpv, lean, map))
                        .collect();
                    batch.bytes.clear();
                    if result_tx.send((outcomes, batch)).is_err() {
                        return;
                    }
                }
            });
            lanes.push((batch_tx, result_rx));
        }
        let mut pipeline = Pipeline {
            lanes,
            sent: 0,
            received: 0,
            halted: false,
            captured: 0,
            batch: Batch::new(),
            spare: Vec::new(),
            sink,
        };
        let mut scanner = Scanner {
            source: reader,
            line: 1 + lines_skipped,
            line_start: 0,
            offset: 0,
            format: None,
            depth: 0,
        };
        let scanned = scanner.document(&mut pipeline);
        let result = match scanned {
            // The caller stopped, or a record before the scanner's position was malformed:
            // nothing after it is handed over.
            Err(stop) if pipeline.halted => Err(stop),
            // The scanner's own error: the records before it are handed over first, and an
            // error among them comes first.
            Err(stop) => pipeline.finish().and(Err(stop)),
            Ok(()) => pipeline.finish(),
        };
        // Closing the lanes lets the workers end, so that the scope can join them.
        pipeline.lanes.clear();
        match result {
            Err(Stop::Caller) => Ok(scanner.format.unwrap_or(DecpFormat::V2Json)),
            Err(stop) => Err(stop.into_file_error()),
            Ok(()) => scanner.format.ok_or_else(|| FileError::NotDecp {
                reason: "le document JSON n'a pas de champ « marches »".into(),
            }),
        }
    })
}

/// Why scanning ended before the end of the document.
enum Stop {
    /// The caller asked to stop.
    Caller,
    NotDecp(String),
    Syntax {
        line: u64,
        column: u64,
        message: String,
    },
    Io(io::Error),
}

impl Stop {
    fn into_file_error(self) -> FileError {
        match self {
            Stop::Caller => FileError::NotDecp {
                reason: "lecture arrêtée".into(),
            },
            Stop::NotDecp(reason) => FileError::NotDecp { reason },
            Stop::Syntax {
                line,
                column,
                message,
            } => FileError::Syntax {
                line,
                column,
                message,
            },
            Stop::Io(e) => FileError::Io(e),
        }
    }
}

impl From<io::Error> for Stop {
    fn from(e: io::Error) -> Stop {
        Stop::Io(e)
    }
}

/// A worker's way in (batches of records) and out (their outcomes).
type Lane<T> = (
    mpsc::SyncSender<Batch>,
    mpsc::Receiver<(Vec<Outcome<T>>, Batch)>,
);

/// Batches records to the workers, round robin, and hands their outcomes to the sink in the
/// order the batches were sent, which is file order. Without workers, each batch is parsed
/// on this thread when it is flushed.
struct Pipeline<'s, 'a, T> {
    lanes: Vec<Lane<T>>,
    sent: usize,
    received: usize,
    /// The caller stopped, or a record was malformed: nothing more is handed over.
    halted: bool,
    /// Records found so far: the index of the next one.
    captured: usize,
    batch: Batch,
    /// Emptied batches back from the workers, to fill again.
    spare: Vec<Batch>,
    sink: &'s mut Sink<'a, T>,
}

impl<T> Pipeline<'_, '_, T> {
    fn push(&mut self, mut record: RawRecord) -> Result<(), Stop> {
        record.index = self.captured;
        self.captured += 1;
        self.batch.records.push(record);
        if self.batch.is_full() {
            self.flush()?;
        }
        Ok(())
    }

    fn flush(&mut self) -> Result<(), Stop> {
        if self.batch.records.is_empty() {
            return Ok(());
        }
        if self.lanes.is_empty() {
            let Batch { bytes, records } = &mut self.batch;
            let sink = &self.sink;
            let outcomes: Vec<Outcome<T>> = records
                .drain(..)
                .map(|r| parse(r, bytes, sink.cpv, sink.lean, sink.map))
                .collect();
            bytes.clear();
            let result = self.hand_over(outcomes);
            if result.is_err() {
                self.halted = true;
            }
            return result;
        }
        // Keep at most two batches in flight per worker.
        while self.sent - self.received >= 2 * self.lanes.len() {
            self.receive_one()?;
        }
        let next = self.spare.pop().unwrap_or_else(Batch::new);
        let batch = std::mem::replace(&mut self.batch, next);
        let lane = self.sent % self.lanes.len();
        if self.lanes[lane].0.send(batch).is_err() {
            return Err(Stop::Io(io::Error::other("un fil de lecture s'est arrêté")));
        }
        self.sent += 1;
        Ok(())
    }

    fn receive_one(&mut self) -> Result<(), Stop> {
        let result = self.receive_batch();
        if result.is_err() {
            self.halted = true;
        }
        result
    }

    fn receive_batch(&mut self) -> Result<(), Stop> {
        let lane = self.received % self.lanes.len();
        let (outcomes, batch) = self.lanes[lane]
            .1
            .recv()
            .map_err(|_| Stop::Io(io::Error::other("un fil de lecture s'est arrêté")))?;
        self.received += 1;
        self.spare.push(batch);
        self.hand_over(outcomes)
    }

    /// Hands a batch's outcomes to the sink, up to a malformed record or the caller's stop.
    fn hand_over(&mut self, outcomes: Vec<Outcome<T>>) -> Result<(), Stop> {
        for outcome in outcomes {
            match outcome {
                Outcome::Mapped(mapped) => {
                    if self.sink.deliver(mapped) == ControlFlow::Break(()) {
                        return Err(Stop::Caller);
                    }
                }
                Outcome::Syntax {
                    line,
                    column,
                    message,
                } => {
                    return Err(Stop::Syntax {
                        line,
                        column,
                        message,
                    });
                }
            }
        }
        Ok(())
    }

    /// Sends the last batch and hands over everything still in flight.
    fn finish(&mut self) -> Result<(), Stop> {
        self.flush()?;
        while self.received < self.sent {
            self.receive_one()?;
        }
        Ok(())
    }
}

/// What a value found by the scanner is, given where it stands.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Role {
    /// Walked and checked, not kept.
    Skipped,
    /// The value of the top-level `marches`.
    Marches,
    /// A 2.0 list value (`marche`, `contrat-concession`): a list of records, one record, or
    /// null.
    List(ContractKind),
    /// A record: copied out whole.
    Record(Version, Option<ContractKind>),
}

/// The outer structure, walked byte by byte.
struct Scanner<R> {
    source: R,
    /// Line of the next byte (1-based), and the offset where that line starts.
    line: u64,
    line_start: u64,
    /// Offset of the next byte.
    offset: u64,
    format: Option<DecpFormat>,
    /// Objects and lists open around the current position, outside records.
    depth: usize,
}

/// How deep the outer structure may nest, as serde_json allows inside a record: a hostile
/// file of nested brackets is an error, not a stack overflow.
const MAX_DEPTH: usize = super::MAX_NESTING;

fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\n' | b'\r' | b'\t')
}

impl<R: BufRead> Scanner<R> {
    fn column(&self) -> u64 {
        self.offset - self.line_start + 1
    }

    fn syntax(&self, message: &str) -> Stop {
        Stop::Syntax {
            line: self.line,
            column: self.column(),
            message: message.to_owned(),
        }
    }

    fn eof(&self) -> Stop {
        self.syntax("le document JSON s'arrête avant sa fin : le fichier est tronqué")
    }

    fn enter(&mut self) -> Result<(), Stop> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(self.syntax(&too_deep()));
        }
        Ok(())
    }

    fn peek(&mut self) -> Result<Option<u8>, Stop> {
        Ok(self.source.fill_buf()?.first().copied())
    }

    fn bump(&mut self, b: u8) {
        self.source.consume(1);
        self.offset += 1;
        if b == b'\n' {
            self.line += 1;
            self.line_start = self.offset;
        }
    }

    /// The next byte that is not white space, not consumed.
    fn peek_token(&mut self) -> Result<Option<u8>, Stop> {
        loop {
            match self.peek()? {
                Some(b) if is_space(b) => self.bump(b),
                other => return Ok(other),
            }
        }
    }

    fn expect_token(&mut self) -> Result<u8, Stop> {
        self.peek_token()?.ok_or_else(|| self.eof())
    }

    fn document<T>(&mut self, pipeline: &mut Pipeline<'_, '_, T>) -> Result<(), Stop> {
        match self.expect_token()? {
            b'{' => self.object(pipeline, true, None)?,
            _ => return Err(self.syntax("valeur JSON attendue")),
        }
        match self.peek_token()? {
            None => Ok(()),
            Some(_) => Err(self.syntax("caractères en trop après la fin du document JSON")),
        }
    }

    /// An object, the `{` not yet consumed. `top`: the document itself, whose `marches` is
    /// read; `marches`: the 2.0 object of lists.
    fn object<T>(
        &mut self,
        pipeline: &mut Pipeline<'_, '_, T>,
        top: bool,
        marches: Option<()>,
    ) -> Result<(), Stop> {
        self.enter()?;
        self.bump(b'{');
        let mut lists = false;
        let mut other_keys = false;
        let mut first = true;
        loop {
            let b = self.expect_token()?;
            if b == b'}' {
                if !first {
                    return Err(
                        self.syntax("virgule en trop avant la fin d'une liste ou d'un objet")
                    );
                }
                self.bump(b);
                break;
            }
            if b != b'"' {
                return Err(self.syntax("clé d'objet attendue entre guillemets"));
            }
            let key = self.string(true)?;
            if self.expect_token()? != b':' {
                return Err(self.syntax("« : » attendu"));
            }
            self.bump(b':');
            let role = if top && key == b"marches" {
                Role::Marches
            } else if marches.is_some() {
                match key.as_slice() {
                    b"marche" => {
                        lists = true;
                        Role::List(ContractKind::Marche)
                    }
                    b"contrat-concession" => {
                        lists = true;
                        Role::List(ContractKind::Concession)
                    }
                    _ => {
                        other_keys = true;
                        Role::Skipped
                    }
                }
            } else {
                Role::Skipped
            };
            self.value(pipeline, role)?;
            match self.expect_token()? {
                b',' => {
                    self.bump(b',');
                    first = false;
                }
                b'}' => {
                    self.bump(b'}');
                    break;
                }
                _ => return Err(self.syntax("« , » ou « } » attendu")),
            }
        }
        if marches.is_some() && other_keys && !lists {
            return Err(Stop::NotDecp(MARCHES_TYPE.into()));
        }
        self.depth -= 1;
        Ok(())
    }

    /// A list, the `[` not yet consumed; `element` is the role of its elements.
    fn list<T>(&mut self, pipeline: &mut Pipeline<'_, '_, T>, element: Role) -> Result<(), Stop> {
        self.enter()?;
        self.bump(b'[');
        let mut first = true;
        loop {
            if self.expect_token()? == b']' {
                if !first {
                    return Err(
                        self.syntax("virgule en trop avant la fin d'une liste ou d'un objet")
                    );
                }
                self.bump(b']');
                self.depth -= 1;
                return Ok(());
            }
            self.value(pipeline, element)?;
            match self.expect_token()? {
                b',' => {
                    self.bump(b',');
                    first = false;
                }
                b']' => {
                    self.bump(b']');
                    self.depth -= 1;
                    return Ok(());
                }
                _ => return Err(self.syntax("« , » ou « ] » attendu")),
            }
        }
    }

    fn value<T>(&mut self, pipeline: &mut Pipeline<'_, '_, T>, role: Role) -> Result<(), Stop> {
        let b = self.expect_token()?;
        match role {
            Role::Record(version, kind) => {
                let record = self.capture(&mut pipeline.batch.bytes, version, kind)?;
                pipeline.push(record)
            }
            Role::Marches => match b {
                b'[' => {
                    self.format = Some(DecpFormat::V1Json);
                    self.list(pipeline, Role::Record(Version::V1, None))
                }
                b'{' => {
                    self.format = Some(DecpFormat::V2Json);
                    self.object(pipeline, false, Some(()))
                }
                _ => Err(Stop::NotDecp(MARCHES_TYPE.into())),
            },
            Role::List(kind) => match b {
                b'[' => self.list(pipeline, Role::Record(Version::V2, Some(kind))),
                // A single record written without its list.
                b'{' => {
                    let record =
                        self.capture(&mut pipeline.batch.bytes, Version::V2, Some(kind))?;
                    pipeline.push(record)
                }
                // `null`, or a `NaN` read as null.
                b'n' | b'N' | b'I' | b'-' => self.scalar(),
                _ => Err(Stop::NotDecp(MARCHES_TYPE.into())),
            },
            Role::Skipped => match b {
                b'{' => self.object(pipeline, false, None),
                b'[' => self.list(pipeline, Role::Skipped),
                b'"' => self.string(false).map(drop),
                _ => self.scalar(),
            },
        }
    }

    /// A string, the opening quote not yet consumed; its raw bytes when `keep`.
    fn string(&mut self, keep: bool) -> Result<Vec<u8>, Stop> {
        self.bump(b'"');
        let mut out = Vec::new();
        loop {
            let b = self.peek()?.ok_or_else(|| self.eof())?;
            self.bump(b);
            match b {
                b'"' => return Ok(out),
                b'\\' => {
                    let escaped = self.peek()?.ok_or_else(|| self.eof())?;
                    self.bump(escaped);
                    if keep {
                        out.push(b);
                        out.push(escaped);
                    }
                }
                0x00..=0x1f => {
                    return Err(self.syntax(
                        "caractère de contrôle dans une chaîne (un retour à la ligne doit s'écrire \\n)",
                    ));
                }
                _ if keep => out.push(b),
                _ => {}
            }
        }
    }

    /// A number, `true`, `false` or `null` that is skipped; `NaN`, `Infinity` and
    /// `-Infinity` are read as `null` (and counted as its four bytes in positions, as
    /// before).
    fn scalar(&mut self) -> Result<(), Stop> {
        let (line, column) = (self.line, self.column());
        let mut raw = Vec::new();
        while let Some(b) = self.peek()? {
            if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'+' | b'.') {
                raw.push(b);
                self.bump(b);
            } else {
                break;
            }
        }
        let token = without_literals(&raw);
        self.offset = self.offset - raw.len() as u64 + token.len() as u64;
        let valid = match token.first() {
            Some(b't' | b'f' | b'n') => {
                if matches!(token.as_slice(), b"true" | b"false" | b"null") {
                    true
                } else {
                    return Err(Stop::Syntax {
                        line,
                        column,
                        message: "mot-clé invalide : attendu true, false ou null".into(),
                    });
                }
            }
            Some(_) => std::str::from_utf8(&token)
                .ok()
                .and_then(|t| t.parse::<f64>().ok())
                .is_some(),
            None => false,
        };
        if valid {
            Ok(())
        } else {
            Err(Stop::Syntax {
                line,
                column,
                message: "valeur JSON attendue".into(),
            })
        }
    }

    /// Copies one value out whole (an object or list, a string or a scalar), the first byte
    /// not yet consumed: spans of ordinary bytes at a time, straight from the read buffer.
    /// The value is appended to `bytes`; the record says where. `NaN` outside strings is
    /// written `null`, `Infinity` and `-Infinity` `"Infinity"` and `"-Infinity"`. An object or list that the read buffer
    /// holds whole, without escapes or literals, is found 64 bytes at a time ([`extent`]).
    fn capture(
        &mut self,
        bytes: &mut Vec<u8>,
        version: Version,
        kind: Option<ContractKind>,
    ) -> Result<RawRecord, Stop> {
        let (line, column) = (self.line, self.column());
        let start = bytes.len();
        let buf = self.source.fill_buf()?;
        let too_large = match extent::value_len(buf) {
            Some(len) => {
                bytes.extend_from_slice(&buf[..len]);
                self.source.consume(len);
                self.advance_over(bytes, start);
                // Only a reader holding the whole record finds it at once: the file is in
                // memory already.
                (len > MAX_RECORD_BYTES).then(|| {
                    bytes.truncate(start);
                    len as u64
                })
            }
            None => self.walk_value(bytes, start)?,
        };
        Ok(RawRecord {
            span: start..bytes.len(),
            index: 0,
            version,
            kind,
            line,
            column,
            too_large,
        })
    }

    /// [`Scanner::capture`]'s walk, byte by byte but for spans of string contents. Past
    /// [`MAX_RECORD_BYTES`] the record's text is dropped from `bytes` (back to `start`) and no
    /// longer kept, its syntax still checked to its end: returns its size then.
    fn walk_value(&mut self, bytes: &mut Vec<u8>, start: usize) -> Result<Option<u64>, Stop> {
        let mut dropped: u64 = 0;
        let mut depth: u32 = 0;
        let mut in_string = false;
        let mut escape = false;
        let mut scalar = false;
        let mut started = false;
        loop {
            let buf = self.source.fill_buf()?;
            if buf.is_empty() {
                if scalar && depth == 0 && !in_string {
                    break;
                }
                return Err(self.eof());
            }
            let mut i = 0;
            let mut done = false;
            let mut literal = false;
            while i < buf.len() {
                if in_string {
                    if escape {
                        escape = false;
                        i += 1;
                        continue;
                    }
                    // Ordinary bytes inside a string: skip to the next quote or backslash.
                    i += find_quote_or_backslash(&buf[i..]).unwrap_or(buf.len() - i);
                    let Some(&b) = buf.get(i) else { break };
                    if b == b'\\' {
                        escape = true;
                    } else {
                        in_string = false;
                        if depth == 0 {
                            i += 1;
                            done = true;
                            break;
                        }
                    }
                    i += 1;
                    continue;
                }
                let b = buf[i];
                if matches!(b, b'N' | b'I' | b'-') {
                    // Possibly a literal: read apart, below.
                    literal = true;
                    break;
                }
                if scalar {
                    if !(b.is_ascii_alphanumeric() || matches!(b, b'+' | b'.')) {
                        done = true;
                        break;
                    }
                } else {
                    match b {
                        b'"' => in_string = true,
                        b'{' | b'[' => depth += 1,
                        b'}' | b']' => {
                            depth = depth.saturating_sub(1);
                            if depth == 0 {
                                i += 1;
                                done = true;
                                break;
                            }
                        }
                        _ if !started => scalar = true,
                        _ => {}
                    }
                }
                started = true;
                i += 1;
            }
            bytes.extend_from_slice(&buf[..i]);
            let len = bytes.len();
            self.source.consume(i);
            self.advance_over(bytes, len - i);
            if literal {
                let from = bytes.len();
                self.literal(bytes)?;
                self.advance_over(bytes, from);
                if !started {
                    scalar = true;
                }
                started = true;
            }
            if bytes.len() - start > MAX_RECORD_BYTES {
                dropped += (bytes.len() - start) as u64;
                bytes.truncate(start);
            }
            if done {
                break;
            }
        }
        if dropped == 0 {
            return Ok(None);
        }
        let size = dropped + (bytes.len() - start) as u64;
        bytes.truncate(start);
        Ok(Some(size))
    }

    /// At `N`, `I` or `-` outside a string: consumes `NaN` and writes `null`, or `Infinity` or
    /// `-Infinity` and writes it as a string (`"Infinity"`), or consumes the bytes that began like one and writes them as they are.
    /// The byte that ended the attempt is left for the caller.
    fn literal(&mut self, out: &mut Vec<u8>) -> Result<(), Stop> {
        let mut pending: Vec<u8> = Vec::with_capacity(9);
        while let Some(b) = self.source.fill_buf()?.first().copied() {
            pending.push(b);
            if LITERALS.contains(&pending.as_slice()) {
                self.source.consume(1);
                if pending == b"NaN" {
                    out.extend_from_slice(b"null");
                } else {
                    // No amount or duration is infinite: as a text, the conversion rejects
                    // it, naming the field.
                    out.push(b'"');
                    out.extend_from_slice(&pending);
                    out.push(b'"');
                }
                return Ok(());
            }
            if !LITERALS.iter().any(|l| l.starts_with(&pending)) {
                pending.pop();
                break;
            }
            self.source.consume(1);
        }
        out.extend_from_slice(&pending);
        Ok(())
    }

    /// Moves the position over `bytes[from..]`, just consumed.
    fn advance_over(&mut self, bytes: &[u8], from: usize) {
        let span = &bytes[from..];
        let base = self.offset;
        self.offset += span.len() as u64;
        let mut last = None;
        for at in memchr::memchr_iter(b'\n', span) {
            self.line += 1;
            last = Some(at);
        }
        if let Some(last) = last {
            self.line_start = base + last as u64 + 1;
        }
    }
}

/// The records the scanner finds in `input` ("line:column text"), or its error.
#[cfg(test)]
fn records_of(input: &str) -> Result<Vec<String>, String> {
    records_read(input, 7)
}

/// Like [`records_of`], read through a buffer of `capacity` bytes.
#[cfg(test)]
fn records_read(input: &str, capacity: usize) -> Result<Vec<String>, String> {
    let cpv = CpvNomenclature::new(std::iter::empty()).unwrap_or_else(|e| panic!("{e}"));
    let map = |r: Result<Contract, Rejection>| r.is_ok();
    let mut on_item = |_: bool| ControlFlow::Continue(());
    let mut sink = Sink {
        cpv: &cpv,
        lean: None,
        map: &map,
        on_item: &mut on_item,
        workers: false,
        read: 0,
        contracts: 0,
        rejected: 0,
        stopped: false,
    };
    // No worker: the test holds fewer records than a batch, so none is sent.
    let mut pipeline = Pipeline {
        lanes: Vec::new(),
        sent: 0,
        received: 0,
        halted: false,
        captured: 0,
        batch: Batch::new(),
        spare: Vec::new(),
        sink: &mut sink,
    };
    let mut scanner = Scanner {
        source: io::BufReader::with_capacity(capacity, input.as_bytes()),
        line: 1,
        line_start: 0,
        offset: 0,
        format: None,
        depth: 0,
    };
    let result = scanner.document(&mut pipeline);
    let batch = &pipeline.batch;
    let found = batch
        .records
        .iter()
        .map(|r| {
            format!(
                "{}:{} {}",
                r.line,
                r.column,
                String::from_utf8_lossy(&batch.bytes[r.span.clone()])
            )
        })
        .collect();
    match result {
        Ok(()) => Ok(found),
        Err(Stop::Syntax {
            line,
            column,
            message,
        }) => Err(format!("{line}:{column} {message}")),
        Err(Stop::NotDecp(reason)) => Err(reason),
        Err(_) => Err("other".into()),
    }
}

#[cfg(test)]
mod scanner_tests {
    use super::*;

    #[test]
    fn records_are_found_with_their_position_whatever_the_buffer_size() {
        let input = "{\"x\": [1, {\"a\": \"}\"}], \"marches\": [\n  {\"id\": \"a\\\"}\", \"n\": [1, 2]},\n  {\"id\": \"b\",\n \"m\": [\"]\"]},  {\"id\": \"c\"}\n]}";
        // A small buffer cuts every record (walked byte by byte); a large one holds them
        // (escape-free records found 64 bytes at a time).
        for capacity in [7, 4096] {
            let records = records_read(input, capacity).unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(
                records,
                [
                    "2:3 {\"id\": \"a\\\"}\", \"n\": [1, 2]}".to_owned(),
                    "3:3 {\"id\": \"b\",\n \"m\": [\"]\"]}".to_owned(),
                    "4:16 {\"id\": \"c\"}".to_owned()
                ],
                "buffer of {capacity} bytes"
            );
        }
    }

    #[test]
    fn two_point_zero_lists_and_a_single_record() {
        let input = r#"{"marches": {"marche": [{"id": 1}], "contrat-concession": {"id": 2}}}"#;
        let records = records_of(input).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(records.len(), 2);
        assert!(records[1].ends_with("{\"id\": 2}"), "{records:?}");
    }

    #[test]
    fn syntax_errors_outside_records_are_placed() {
        assert_eq!(
            records_of("{\"marches\": [{\"id\": 1}\n {\"id\": 2}]}").unwrap_err(),
            "2:2 « , » ou « ] » attendu"
        );
        assert_eq!(
            records_of("{\"marches\": [], \"x\": tru}").unwrap_err(),
            "1:22 mot-clé invalide : attendu true, false ou null"
        );
        assert_eq!(
            records_of("{\"marches\": []} x").unwrap_err(),
            "1:17 caractères en trop après la fin du document JSON"
        );
        assert_eq!(
            records_of("{\"marches\": [{\"id\": 1}").unwrap_err(),
            "1:23 le document JSON s'arrête avant sa fin : le fichier est tronqué"
        );
        assert_eq!(records_of("{\"marches\": 3}").unwrap_err(), MARCHES_TYPE);
        // Nesting outside records is bounded, like serde_json's inside them.
        let deep = format!(
            "{{\"x\": {}{}, \"marches\": []}}",
            "[".repeat(100_000),
            "]".repeat(100_000)
        );
        assert!(
            records_of(&deep)
                .unwrap_err()
                .ends_with("imbrication trop profonde (au plus 128 niveaux)")
        );
        let fine = format!(
            "{{\"x\": {}{}, \"marches\": []}}",
            "[".repeat(100),
            "]".repeat(100)
        );
        assert_eq!(records_of(&fine), Ok(Vec::new()));
    }
}

/// serde_json's message, in French.
fn json_message(e: &serde_json::Error) -> String {
    if e.classify() == Category::Eof {
        return "le document JSON s'arrête avant sa fin : le fichier est tronqué".into();
    }
    let full = e.to_string();
    let message = full.split(" at line ").next().unwrap_or(&full);
    let french = match message {
        "expected value" => "valeur JSON attendue",
        "expected `,` or `]`" => "« , » ou « ] » attendu",
        "expected `,` or `}`" => "« , » ou « } » attendu",
        "expected `:`" => "« : » attendu",
        "expected ident" => "mot-clé invalide : attendu true, false ou null",
        "key must be a string" => "clé d'objet attendue entre guillemets",
        "trailing comma" => "virgule en trop avant la fin d'une liste ou d'un objet",
        "trailing characters" => "caractères en trop après la fin du document JSON",
        "invalid number" | "number out of range" => "nombre invalide",
        "invalid escape" => "séquence d'échappement invalide dans une chaîne",
        "invalid unicode code point" | "lone leading surrogate in hex escape" => {
            "caractère Unicode invalide dans une chaîne"
        }
        "control character (\\u0000-\\u001F) found while parsing a string" => {
            "caractère de contrôle dans une chaîne (un retour à la ligne doit s'écrire \\n)"
        }
        "recursion limit exceeded" => return too_deep(),
        other => return format!("JSON invalide ({other})"),
    };
    french.to_owned()
}

// ---------------------------------------------------------------------------------------------

/// The message of a JSON file nested deeper than [`MAX_DEPTH`].
fn too_deep() -> String {
    format!("imbrication trop profonde (au plus {MAX_DEPTH} niveaux)")
}

/// The non-JSON literals written by Python/pandas outside strings, read as `null`.
const LITERALS: [&[u8]; 3] = [b"NaN", b"Infinity", b"-Infinity"];

/// A skipped scalar token (checked, never kept) with its literals written `null`: each whole
/// `NaN`, `Infinity` or `-Infinity` becomes `null`, other bytes stay.
fn without_literals(token: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(token.len() + 1);
    let mut i = 0;
    while i < token.len() {
        match LITERALS.iter().find(|l| token[i..].starts_with(l)) {
            Some(literal) => {
                out.extend_from_slice(b"null");
                i += literal.len();
            }
            None => {
                out.push(token[i]);
                i += 1;
            }
        }
    }
    out
}

/// The first `"` or `\\` in `bytes`, eight bytes at a time.
fn find_quote_or_backslash(bytes: &[u8]) -> Option<usize> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    let has_zero = |v: u64| v.wrapping_sub(ONES) & !v & HIGHS;
    let mut chunks = bytes.chunks_exact(8);
    let mut at = 0;
    for chunk in &mut chunks {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        let v = u64::from_le_bytes(word);
        let found =
            has_zero(v ^ (ONES * u64::from(b'"'))) | has_zero(v ^ (ONES * u64::from(b'\\')));
        if found != 0 {
            return Some(at + (found.trailing_zeros() / 8) as usize);
        }
        at += 8;
    }
    chunks
        .remainder()
        .iter()
        .position(|&c| c == b'"' || c == b'\\')
        .map(|p| at + p)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The record the scanner copies out of `{"marches": [record]}`, read `chunk` bytes at a
    /// time.
    fn lenient(record: &str, chunk: usize) -> String {
        let input = format!("{{\"marches\": [{record}]}}");
        let mut found = records_read(&input, chunk).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(found.len(), 1, "{found:?}");
        let found = found.remove(0);
        found
            .strip_prefix("1:14 ")
            .unwrap_or_else(|| panic!("{found}"))
            .to_owned()
    }

    #[test]
    fn nan_becomes_null_and_infinity_a_string_outside_strings_only() {
        let input =
            r#"{"a": NaN, "b": "NaN", "c": -Infinity, "d": [Infinity, -12, "x\"NaN"], "e": -0.5}"#;
        let expected = r#"{"a": null, "b": "NaN", "c": "-Infinity", "d": ["Infinity", -12, "x\"NaN"], "e": -0.5}"#;
        for chunk in [1, 2, 3, 7, 1024] {
            assert_eq!(lenient(input, chunk), expected, "chunk {chunk}");
        }
    }

    #[test]
    fn other_input_passes_through() {
        assert_eq!(without_literals(b"Nul"), b"Nul");
        assert_eq!(without_literals(b"-"), b"-");
        assert_eq!(without_literals(b""), b"");
        assert_eq!(without_literals(b"-NaN"), b"-null");
        assert_eq!(without_literals(b"-Infinity"), b"null");
    }
}
