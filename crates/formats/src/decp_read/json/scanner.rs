//! The scanner: walks the outer structure of a DECP JSON document byte by byte, checking its
//! syntax, and copies each record out whole (a record without escapes, `NaN` or negative
//! number is found 64 bytes at a time, `super::extent`), with `NaN` written `null` and
//! `Infinity` a string on the way.

#[cfg(test)]
use std::io;
use std::io::BufRead;
#[cfg(test)]
use std::ops::ControlFlow;

use mutualis_domain::ContractKind;
#[cfg(test)]
use mutualis_domain::{Contract, CpvNomenclature};

#[cfg(test)]
use super::Batch;
use super::{MARCHES_TYPE, Pipeline, RawRecord, Stop};
use crate::decp_read::convert::Version;
use crate::decp_read::{DecpFormat, MAX_RECORD_BYTES, extent};
#[cfg(test)]
use crate::decp_read::{Rejection, Sink};

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
pub(super) struct Scanner<R> {
    pub(super) source: R,
    /// Line of the next byte (1-based), and the offset where that line starts.
    pub(super) line: u64,
    pub(super) line_start: u64,
    /// Offset of the next byte.
    pub(super) offset: u64,
    pub(super) format: Option<DecpFormat>,
    /// Objects and lists open around the current position, outside records.
    pub(super) depth: usize,
}

/// How deep the outer structure may nest, as serde_json allows inside a record: a hostile
/// file of nested brackets is an error, not a stack overflow.
const MAX_DEPTH: usize = crate::decp_read::MAX_NESTING;

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

    pub(super) fn document<T>(&mut self, pipeline: &mut Pipeline<'_, '_, T>) -> Result<(), Stop> {
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

/// The message of a JSON file nested deeper than [`MAX_DEPTH`].
pub(super) fn too_deep() -> String {
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
