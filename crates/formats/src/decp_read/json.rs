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
use super::{DecpFormat, FileError, LeanFn, Mapped, Rejection, Sink, process};
use mutualis_domain::Contract;

mod scanner;

use scanner::{Scanner, too_deep};

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
