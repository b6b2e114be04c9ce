//! DECP JSON, streamed: a serde visitor walks `{"marches": …}` and parses each element of the
//! record arrays alone into a `serde_json::Value`, handed to the converter and dropped before
//! the next one is read. `marches` being a list means DECP 1.x; an object with `marche` and/or
//! `contrat-concession` lists means DECP 2.0.

use std::fmt;
use std::io::{self, BufRead, Read};

use mutualis_domain::ContractKind;
use serde::Deserialize;
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::Value;
use serde_json::error::Category;

use super::convert::Version;
use super::{DecpFormat, FileError, Sink};

/// Why the visitor stopped before the end of the document, when it is not a syntax error.
enum Abort {
    /// The caller asked to stop.
    Stopped,
    NotDecp(String),
}

struct State<'s, 'a> {
    sink: &'s mut Sink<'a>,
    format: Option<DecpFormat>,
    abort: Option<Abort>,
}

impl State<'_, '_> {
    fn not_decp<E: de::Error>(&mut self, reason: &str) -> E {
        self.abort = Some(Abort::NotDecp(reason.to_owned()));
        E::custom(reason)
    }
}

/// Reads a JSON document whose first byte is `{`; `lines_skipped` blank lines preceded it.
pub(super) fn read<R: BufRead>(
    reader: R,
    sink: &mut Sink<'_>,
    lines_skipped: u64,
) -> Result<DecpFormat, FileError> {
    let mut state = State {
        sink,
        format: None,
        abort: None,
    };
    // `BufReader` lets serde_json take bytes from a buffer instead of calling `read` for each.
    let mut de = serde_json::Deserializer::from_reader(io::BufReader::with_capacity(
        64 * 1024,
        Lenient::new(reader),
    ));
    let result = Document(&mut state)
        .deserialize(&mut de)
        .and_then(|()| de.end());
    match (state.abort, result) {
        (Some(Abort::Stopped), _) => Ok(state.format.unwrap_or(DecpFormat::V2Json)),
        (Some(Abort::NotDecp(reason)), _) => Err(FileError::NotDecp { reason }),
        (None, Err(e)) => Err(file_error(e, lines_skipped)),
        (None, Ok(())) => state.format.ok_or_else(|| FileError::NotDecp {
            reason: "le document JSON n'a pas de champ « marches »".into(),
        }),
    }
}

fn file_error(e: serde_json::Error, lines_skipped: u64) -> FileError {
    if e.classify() == Category::Io {
        return FileError::Io(io::Error::from(e));
    }
    FileError::Syntax {
        line: e.line() as u64 + lines_skipped,
        column: e.column() as u64,
        message: json_message(&e),
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
        "recursion limit exceeded" => "imbrication trop profonde",
        other => return format!("JSON invalide ({other})"),
    };
    french.to_owned()
}

/// The top-level object: only `marches` is read, every other field skipped.
struct Document<'x, 's, 'a>(&'x mut State<'s, 'a>);

impl<'de> DeserializeSeed<'de> for Document<'_, '_, '_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for Document<'_, '_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("un objet JSON avec un champ « marches »")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(key) = map.next_key::<String>()? {
            if key == "marches" {
                map.next_value_seed(Marches(&mut *self.0))?;
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(())
    }
}

/// The value of `marches`: a list (1.x) or an object of lists (2.0).
struct Marches<'x, 's, 'a>(&'x mut State<'s, 'a>);

impl<'de> DeserializeSeed<'de> for Marches<'_, '_, '_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

const MARCHES_TYPE: &str = "« marches » n'est ni une liste (DECP 1.x) ni un objet avec « marche » ou « contrat-concession » (DECP 2.0)";

impl<'de> Visitor<'de> for Marches<'_, '_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(MARCHES_TYPE)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<(), A::Error> {
        self.0.format = Some(DecpFormat::V1Json);
        stream(self.0, seq, Version::V1, None)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        self.0.format = Some(DecpFormat::V2Json);
        let mut other_keys = false;
        let mut lists = false;
        while let Some(key) = map.next_key::<String>()? {
            let kind = match key.as_str() {
                "marche" => ContractKind::Marche,
                "contrat-concession" => ContractKind::Concession,
                _ => {
                    other_keys = true;
                    map.next_value::<IgnoredAny>()?;
                    continue;
                }
            };
            lists = true;
            map.next_value_seed(Records {
                state: &mut *self.0,
                kind,
            })?;
        }
        if other_keys && !lists {
            return Err(self.0.not_decp(MARCHES_TYPE));
        }
        Ok(())
    }

    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        Err(self.0.not_decp(MARCHES_TYPE))
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<(), E> {
        Err(self.0.not_decp(MARCHES_TYPE))
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<(), E> {
        Err(self.0.not_decp(MARCHES_TYPE))
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<(), E> {
        Err(self.0.not_decp(MARCHES_TYPE))
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<(), E> {
        Err(self.0.not_decp(MARCHES_TYPE))
    }

    fn visit_str<E: de::Error>(self, _: &str) -> Result<(), E> {
        Err(self.0.not_decp(MARCHES_TYPE))
    }
}

/// A 2.0 list of records of one kind (`marche` or `contrat-concession`).
struct Records<'x, 's, 'a> {
    state: &'x mut State<'s, 'a>,
    kind: ContractKind,
}

impl<'de> DeserializeSeed<'de> for Records<'_, '_, '_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Records<'_, '_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("une liste d'enregistrements")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<(), A::Error> {
        stream(self.state, seq, Version::V2, Some(self.kind))
    }

    /// A single record written without its list.
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<(), A::Error> {
        let value = Value::deserialize(de::value::MapAccessDeserializer::new(map))?;
        hand_over(self.state, value, Version::V2, Some(self.kind))
    }

    /// `"contrat-concession": null`: no record.
    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<(), E> {
        Err(self.state.not_decp(MARCHES_TYPE))
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<(), E> {
        Err(self.state.not_decp(MARCHES_TYPE))
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<(), E> {
        Err(self.state.not_decp(MARCHES_TYPE))
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<(), E> {
        Err(self.state.not_decp(MARCHES_TYPE))
    }

    fn visit_str<E: de::Error>(self, _: &str) -> Result<(), E> {
        Err(self.state.not_decp(MARCHES_TYPE))
    }
}

/// Reads the elements of a list one at a time.
fn stream<'de, A: SeqAccess<'de>>(
    state: &mut State<'_, '_>,
    mut seq: A,
    version: Version,
    kind: Option<ContractKind>,
) -> Result<(), A::Error> {
    while seq
        .next_element_seed(Record {
            state: &mut *state,
            version,
            kind,
        })?
        .is_some()
    {}
    Ok(())
}

/// One element of a list of records.
struct Record<'x, 's, 'a> {
    state: &'x mut State<'s, 'a>,
    version: Version,
    kind: Option<ContractKind>,
}

impl<'de> DeserializeSeed<'de> for Record<'_, '_, '_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        let value = Value::deserialize(deserializer)?;
        hand_over(self.state, value, self.version, self.kind)
    }
}

fn hand_over<E: de::Error>(
    state: &mut State<'_, '_>,
    value: Value,
    version: Version,
    kind: Option<ContractKind>,
) -> Result<(), E> {
    if state.sink.record(value, version, kind).is_break() {
        state.abort = Some(Abort::Stopped);
        return Err(E::custom("lecture arrêtée"));
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------

/// A reader that turns the non-JSON literals `NaN`, `Infinity` and `-Infinity` written by
/// Python/pandas outside strings into `null` (missing values), so that such files can be read.
/// Everything else passes through unchanged.
struct Lenient<R> {
    inner: R,
    out: Vec<u8>,
    pos: usize,
    scan: Scan,
    /// The start of a possible `NaN`/`Infinity`/`-Infinity`, not yet written out.
    pending: Vec<u8>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Scan {
    Outside,
    InString,
    Escape,
}

const LITERALS: [&[u8]; 3] = [b"NaN", b"Infinity", b"-Infinity"];

impl<R: BufRead> Lenient<R> {
    fn new(inner: R) -> Self {
        Lenient {
            inner,
            out: Vec::with_capacity(64 * 1024),
            pos: 0,
            scan: Scan::Outside,
            pending: Vec::new(),
        }
    }

    fn refill(&mut self) -> io::Result<()> {
        self.out.clear();
        self.pos = 0;
        while self.out.is_empty() {
            let chunk = self.inner.fill_buf()?;
            if chunk.is_empty() {
                self.out.append(&mut self.pending);
                return Ok(());
            }
            scan_chunk(chunk, &mut self.scan, &mut self.pending, &mut self.out);
            let n = chunk.len();
            self.inner.consume(n);
        }
        Ok(())
    }
}

/// Copies a chunk to `out`, spans at a time: inside strings up to the next quote or
/// backslash, outside up to the next quote or possible literal.
fn scan_chunk(chunk: &[u8], scan: &mut Scan, pending: &mut Vec<u8>, out: &mut Vec<u8>) {
    let mut i = 0;
    while i < chunk.len() {
        if !pending.is_empty() || *scan == Scan::Escape {
            push_byte(chunk[i], scan, pending, out);
            i += 1;
            continue;
        }
        let rest = &chunk[i..];
        let stop = match *scan {
            Scan::InString => rest.iter().position(|&b| b == b'"' || b == b'\\'),
            _ => rest
                .iter()
                .position(|&b| matches!(b, b'"' | b'N' | b'I' | b'-')),
        };
        match stop {
            None => {
                out.extend_from_slice(rest);
                i = chunk.len();
            }
            Some(p) => {
                out.extend_from_slice(&rest[..p]);
                push_byte(rest[p], scan, pending, out);
                i += p + 1;
            }
        }
    }
}

fn push_byte(b: u8, scan: &mut Scan, pending: &mut Vec<u8>, out: &mut Vec<u8>) {
    if !pending.is_empty() {
        pending.push(b);
        if LITERALS.contains(&pending.as_slice()) {
            out.extend_from_slice(b"null");
            pending.clear();
            return;
        }
        if LITERALS.iter().any(|l| l.starts_with(pending)) {
            return;
        }
        // Not a literal after all: write out what was held and read `b` normally.
        pending.pop();
        out.append(pending);
    }
    match *scan {
        Scan::InString => {
            out.push(b);
            match b {
                b'\\' => *scan = Scan::Escape,
                b'"' => *scan = Scan::Outside,
                _ => {}
            }
        }
        Scan::Escape => {
            out.push(b);
            *scan = Scan::InString;
        }
        Scan::Outside => match b {
            b'"' => {
                out.push(b);
                *scan = Scan::InString;
            }
            b'N' | b'I' | b'-' => pending.push(b),
            _ => out.push(b),
        },
    }
}

impl<R: BufRead> Read for Lenient<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.pos == self.out.len() {
            self.refill()?;
        }
        let available = &self.out[self.pos..];
        let n = available.len().min(buf.len());
        buf[..n].copy_from_slice(&available[..n]);
        self.pos += n;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lenient(input: &str, chunk: usize) -> String {
        let reader = io::BufReader::with_capacity(chunk, input.as_bytes());
        let mut out = String::new();
        Lenient::new(reader)
            .read_to_string(&mut out)
            .unwrap_or_else(|e| panic!("{e}"));
        out
    }

    #[test]
    fn nan_and_infinity_become_null_outside_strings_only() {
        let input =
            r#"{"a": NaN, "b": "NaN", "c": -Infinity, "d": [Infinity, -12, "x\"NaN"], "e": -0.5}"#;
        let expected =
            r#"{"a": null, "b": "NaN", "c": null, "d": [null, -12, "x\"NaN"], "e": -0.5}"#;
        for chunk in [1, 2, 3, 7, 1024] {
            assert_eq!(lenient(input, chunk), expected, "chunk {chunk}");
        }
    }

    #[test]
    fn other_input_passes_through() {
        assert_eq!(lenient("{\"N\": Nul", 4), "{\"N\": Nul");
        assert_eq!(lenient("[-", 4), "[-");
        assert_eq!(lenient("", 4), "");
    }
}
