//! DECP XML, streamed with quick-xml: the root `<marches>` holds `<marche>` and
//! `<contrat-concession>` elements (a document may also be a single `<marche>`). Each record
//! element is built alone into a small tree, turned into the `serde_json::Value` its version
//! writes in JSON, and handed to the same converter as JSON records.
//!
//! The version is told from the first record: 2.0-only elements (`techniques`, `ccag`,
//! `considerationsSociales`…) mean 2.0; otherwise 1.x marks (a buyer's `nom`,
//! `denominationSociale`, `objetModification`) mean 1.x; a record with neither is read as 2.0.

use std::collections::VecDeque;
use std::io::{self, BufRead, Read};

use mutualis_domain::ContractKind;
use quick_xml::Reader;
use quick_xml::errors::{Error as XmlError, IllFormedError, SyntaxError};
use quick_xml::events::Event;
use serde_json::{Map, Value};

use super::convert::Version;
use super::{
    DecpFormat, FileError, MAX_NESTING, MAX_RECORD_ELEMENTS, MAX_TEXT_CHARS, RejectReason, Sink,
    TooLarge,
};

/// A record past a limit: its `id` when read before, and why.
struct Rejected {
    id: Option<String>,
    too_large: TooLarge,
}

/// Bytes of text kept for one element: past them its text is too long whatever its blanks
/// (at most 4 bytes a character, and room for indentation).
const MAX_TEXT_BYTES: usize = 4 * MAX_TEXT_CHARS + 4096;

/// An element of a record: its local name, its text and its child elements.
#[derive(Debug, Default)]
struct Node {
    name: String,
    text: String,
    children: Vec<Node>,
}

impl Node {
    fn named(name: &str) -> Node {
        Node {
            name: name.to_owned(),
            ..Node::default()
        }
    }

    fn child(&self, name: &str) -> Option<&Node> {
        self.children.iter().find(|c| c.name == name)
    }
}

/// The kind of record an element name stands for.
fn record_kind(name: &str) -> Option<ContractKind> {
    match name {
        "marche" => Some(ContractKind::Marche),
        "contrat-concession" => Some(ContractKind::Concession),
        _ => None,
    }
}

pub(super) fn read<R: BufRead, T>(
    reader: R,
    sink: &mut Sink<'_, T>,
    lines_skipped: u64,
) -> Result<DecpFormat, FileError> {
    let mut xml = Xml {
        reader: Reader::from_reader(Counting::new(reader, lines_skipped)),
        buf: Vec::new(),
    };
    xml.reader.config_mut().expand_empty_elements = true;
    let mut version = None;

    // The root element.
    let root = loop {
        match xml.next()? {
            Event::Start(start) => break start.local_name().into_inner().to_owned(),
            Event::Eof => {
                return Err(FileError::NotDecp {
                    reason: "le document XML ne contient aucun élément".into(),
                });
            }
            Event::Text(text) if !text.trim().is_empty() => {
                return Err(xml.error_here("texte en dehors de tout élément"));
            }
            _ => {}
        }
    };

    if let Some(kind) = record_kind(&root) {
        // A document holding a single record.
        let node = xml.element(&root)?;
        if record(sink, node, kind, &mut version).is_break() {
            return Ok(format(version));
        }
    } else if root == "marches" {
        loop {
            match xml.next()? {
                Event::Start(start) => {
                    let name = start.local_name().into_inner().to_owned();
                    let qname = start.name().into_inner().to_owned();
                    match record_kind(&name) {
                        Some(kind) => {
                            let node = xml.element(&name)?;
                            if record(sink, node, kind, &mut version).is_break() {
                                return Ok(format(version));
                            }
                        }
                        None => xml.skip(&qname)?,
                    }
                }
                Event::End(_) => break,
                Event::Eof => return Err(xml.truncated("marches")),
                _ => {}
            }
        }
    } else {
        return Err(FileError::NotDecp {
            reason: format!(
                "l'élément racine du document XML est <{}>, attendu <marches>, <marche> ou <contrat-concession>",
                shown(&root)
            ),
        });
    }

    // After the root: nothing but comments and blanks.
    loop {
        match xml.next()? {
            Event::Eof => return Ok(format(version)),
            Event::Start(_) => return Err(xml.error_here("second élément après l'élément racine")),
            Event::Text(text) if !text.trim().is_empty() => {
                return Err(xml.error_here("texte après l'élément racine"));
            }
            _ => {}
        }
    }
}

fn format(version: Option<Version>) -> DecpFormat {
    match version {
        Some(Version::V1) => DecpFormat::V1Xml,
        _ => DecpFormat::V2Xml,
    }
}

fn record<T>(
    sink: &mut Sink<'_, T>,
    node: Result<Node, Rejected>,
    kind: ContractKind,
    version: &mut Option<Version>,
) -> std::ops::ControlFlow<()> {
    let node = match node {
        Ok(node) => node,
        Err(Rejected { id, too_large }) => return sink.reject(kind, id, too_large),
    };
    let version = *version.get_or_insert_with(|| detect(&node));
    let value = to_value(&node, version);
    drop(node);
    sink.record(value, version, Some(kind))
}

/// DECP 2.0 elements that 1.x did not have.
const V2_ONLY: &[&str] = &[
    "techniques",
    "modalitesExecution",
    "marcheInnovant",
    "ccag",
    "offresRecues",
    "attributionAvance",
    "tauxAvance",
    "typeGroupementOperateurs",
    "sousTraitanceDeclaree",
    "actesSousTraitance",
    "modificationsActesSousTraitance",
    "typesPrix",
    "considerationsSociales",
    "considerationsEnvironnementales",
    "origineUE",
    "origineFrance",
    "idAccordCadre",
];

fn detect(record: &Node) -> Version {
    if record
        .children
        .iter()
        .any(|c| V2_ONLY.contains(&c.name.as_str()))
    {
        return Version::V2;
    }
    let named = |parent: &str| record.child(parent).and_then(|p| p.child("nom")).is_some();
    let v1_operators = ["titulaires", "concessionnaires"].iter().any(|list| {
        record.child(list).is_some_and(|l| {
            l.children
                .iter()
                .any(|op| op.child("denominationSociale").is_some())
        })
    });
    let v1_modifications = record.child("modifications").is_some_and(|l| {
        l.children
            .iter()
            .any(|m| m.child("objetModification").is_some())
    });
    if named("acheteur")
        || named("autoriteConcedante")
        || named("lieuExecution")
        || v1_operators
        || v1_modifications
    {
        Version::V1
    } else {
        Version::V2
    }
}

/// Lists that DECP 2.0 JSON writes `[{"titulaire": {…}}, …]`: container, item in XML, item in
/// JSON (the XSD says `modificationActesSousTraitance` where the JSON schema says
/// `modificationActeSousTraitance`).
const V2_WRAPPED: &[(&str, &str, &str)] = &[
    ("titulaires", "titulaire", "titulaire"),
    ("modifications", "modification", "modification"),
    (
        "actesSousTraitance",
        "acteSousTraitance",
        "acteSousTraitance",
    ),
    (
        "modificationsActesSousTraitance",
        "modificationActesSousTraitance",
        "modificationActeSousTraitance",
    ),
    ("concessionnaires", "concessionnaire", "concessionnaire"),
    ("donneesExecution", "donneesAnnuelles", "donneesAnnuelles"),
    ("tarifs", "tarif", "tarif"),
];

/// Lists of values that DECP 2.0 JSON writes `{"technique": ["…", …]}`.
const V2_VALUES: &[&str] = &[
    "techniques",
    "modalitesExecution",
    "typesPrix",
    "considerationsSociales",
    "considerationsEnvironnementales",
];

/// Lists that DECP 1.x JSON writes `[{…}, …]`.
const V1_LISTS: &[&str] = &[
    "titulaires",
    "modifications",
    "concessionnaires",
    "donneesExecution",
    "tarifs",
];

/// The JSON value of an element, in the shape of `version`'s JSON.
fn to_value(node: &Node, version: Version) -> Value {
    let name = node.name.as_str();
    match version {
        Version::V2 => {
            if let Some((_, xml_item, json_item)) =
                V2_WRAPPED.iter().find(|(list, ..)| *list == name)
            {
                return Value::Array(
                    node.children
                        .iter()
                        .map(|c| {
                            let mut item = Map::new();
                            let key = if c.name == *xml_item {
                                (*json_item).to_owned()
                            } else {
                                c.name.clone()
                            };
                            item.insert(key, to_value(c, version));
                            Value::Object(item)
                        })
                        .collect(),
                );
            }
            if V2_VALUES.contains(&name) {
                let mut lists = Map::new();
                for c in &node.children {
                    let entry = lists
                        .entry(c.name.clone())
                        .or_insert_with(|| Value::Array(Vec::new()));
                    if let Value::Array(items) = entry {
                        items.push(to_value(c, version));
                    }
                }
                return Value::Object(lists);
            }
        }
        Version::V1 => {
            if V1_LISTS.contains(&name) {
                return Value::Array(node.children.iter().map(|c| to_value(c, version)).collect());
            }
        }
    }
    if node.children.is_empty() {
        return Value::String(node.text.trim().to_owned());
    }
    let mut fields = Map::new();
    for c in &node.children {
        let value = to_value(c, version);
        match fields.get_mut(&c.name) {
            None => {
                fields.insert(c.name.clone(), value);
            }
            Some(Value::Array(items)) => items.push(value),
            Some(first) => {
                let first = first.take();
                fields.insert(c.name.clone(), Value::Array(vec![first, value]));
            }
        }
    }
    Value::Object(fields)
}

// ---------------------------------------------------------------------------------------------
// Reading events.

struct Xml<R: BufRead> {
    reader: Reader<Counting<R>>,
    buf: Vec<u8>,
}

impl<R: BufRead> Xml<R> {
    fn next(&mut self) -> Result<Event<'_>, FileError> {
        self.buf.clear();
        match self.reader.read_event_into(&mut self.buf) {
            Ok(event) => Ok(event),
            Err(e) => Err(xml_error(&self.reader, e)),
        }
    }

    /// Reads the content of the element `name` whose start was just read, up to its end; a
    /// record past a limit is read to its end and rejected.
    fn element(&mut self, name: &str) -> Result<Result<Node, Rejected>, FileError> {
        let mut buf = std::mem::take(&mut self.buf);
        let result = self.element_into(name, &mut buf);
        self.buf = buf;
        result
    }

    fn element_into(
        &mut self,
        name: &str,
        buf: &mut Vec<u8>,
    ) -> Result<Result<Node, Rejected>, FileError> {
        let mut stack = vec![Node::named(name)];
        let mut elements = 1;
        loop {
            buf.clear();
            let event = match self.reader.read_event_into(buf) {
                Ok(event) => event,
                Err(e) => return Err(xml_error(&self.reader, e)),
            };
            match event {
                Event::Start(start) => {
                    elements += 1;
                    let node = Node::named(start.local_name().into_inner());
                    let past = if stack.len() >= MAX_NESTING {
                        Some(format!(
                            "le XML de l'enregistrement est imbriqué sur plus de {MAX_NESTING} niveaux"
                        ))
                    } else if elements > MAX_RECORD_ELEMENTS {
                        Some(format!(
                            "l'enregistrement compte plus de {MAX_RECORD_ELEMENTS} éléments XML"
                        ))
                    } else {
                        None
                    };
                    stack.push(node);
                    if let Some(what) = past {
                        return self.reject(&stack, what, RejectReason::RecordTooLarge, buf);
                    }
                }
                // Not produced with `expand_empty_elements`, read the same way all the same.
                Event::Empty(empty) => {
                    elements += 1;
                    if let Some(top) = stack.last_mut() {
                        top.text = String::new();
                        top.children
                            .push(Node::named(empty.local_name().into_inner()));
                    }
                    if elements > MAX_RECORD_ELEMENTS {
                        let what = format!(
                            "l'enregistrement compte plus de {MAX_RECORD_ELEMENTS} éléments XML"
                        );
                        return self.reject(&stack, what, RejectReason::RecordTooLarge, buf);
                    }
                }
                Event::End(_) => {
                    let done = stack.pop().unwrap_or_default();
                    match stack.last_mut() {
                        Some(parent) => {
                            // An element with children has no text of its own (blanks only).
                            parent.text = String::new();
                            parent.children.push(done);
                        }
                        None => return Ok(Ok(done)),
                    }
                }
                Event::Text(text) => {
                    if let Some(top) = stack.last_mut()
                        && top.children.is_empty()
                    {
                        top.text.push_str(&text.xml10_content());
                    }
                }
                Event::CData(cdata) => {
                    if let Some(top) = stack.last_mut()
                        && top.children.is_empty()
                    {
                        top.text.push_str(&cdata.xml10_content());
                    }
                }
                Event::GeneralRef(reference) => {
                    let c = match reference.resolve_char_ref() {
                        Ok(Some(c)) => c,
                        Ok(None) => match &*reference {
                            "amp" => '&',
                            "lt" => '<',
                            "gt" => '>',
                            "quot" => '"',
                            "apos" => '\'',
                            other => {
                                return Err(self.error_here(&format!(
                                    "entité « &{}; » inconnue en XML (seules &amp; &lt; &gt; &quot; &apos; existent)",
                                    shown(other)
                                )));
                            }
                        },
                        Err(_) => {
                            return Err(self.error_here(&format!(
                                "référence de caractère « &{}; » invalide",
                                shown(&reference)
                            )));
                        }
                    };
                    if let Some(top) = stack.last_mut()
                        && top.children.is_empty()
                    {
                        top.text.push(c);
                    }
                }
                Event::Eof => {
                    let open = stack.last().map_or(name, |n| n.name.as_str()).to_owned();
                    return Err(self.truncated(&open));
                }
                Event::Comment(_) | Event::Decl(_) | Event::PI(_) | Event::DocType(_) => {}
            }
            if let Some(top) = stack.last()
                && top.text.len() > MAX_TEXT_BYTES
            {
                let what = format!(
                    "le texte de l'élément dépasse {MAX_TEXT_CHARS} caractères (limite par texte)"
                );
                return self.reject(&stack, what, RejectReason::TextTooLong, buf);
            }
        }
    }

    /// Rejects the record whose open elements are `stack` (the last one at fault), and reads
    /// on to the record's end tag, keeping
    /// nothing, so that the next record is read.
    fn reject(
        &mut self,
        stack: &[Node],
        what: String,
        reason: RejectReason,
        buf: &mut Vec<u8>,
    ) -> Result<Result<Node, Rejected>, FileError> {
        let (line, column) = self
            .reader
            .get_ref()
            .line_column(self.reader.buffer_position());
        // The path of the element at fault from the record's element, its first levels only.
        let names: Vec<&str> = stack[1..].iter().map(|n| n.name.as_str()).collect();
        let field = if names.len() > 8 {
            format!("{}…", names[..8].join("."))
        } else {
            names.join(".")
        };
        let id = stack
            .first()
            .and_then(|r| r.child("id"))
            .map(|n| n.text.trim().to_owned())
            .filter(|t| !t.is_empty());
        let too_large = TooLarge {
            field,
            reason,
            detail: format!("{what}, ligne {line}, colonne {column}"),
        };
        let mut open = stack.len();
        while open > 0 {
            buf.clear();
            match self.reader.read_event_into(buf) {
                Ok(Event::Start(_)) => open += 1,
                Ok(Event::End(_)) => open -= 1,
                Ok(Event::Eof) => {
                    let open = stack.last().map_or("", |n| n.name.as_str()).to_owned();
                    return Err(self.truncated(&open));
                }
                Ok(_) => {}
                Err(e) => return Err(xml_error(&self.reader, e)),
            }
        }
        Ok(Err(Rejected { id, too_large }))
    }

    /// Skips an element that is not a record.
    fn skip(&mut self, qname: &str) -> Result<(), FileError> {
        let mut buf = Vec::new();
        match self
            .reader
            .read_to_end_into(quick_xml::name::QName(qname), &mut buf)
        {
            Ok(_) => Ok(()),
            Err(e) => Err(xml_error(&self.reader, e)),
        }
    }

    fn error_here(&self, message: &str) -> FileError {
        let (line, column) = self
            .reader
            .get_ref()
            .line_column(self.reader.buffer_position());
        FileError::Syntax {
            line,
            column,
            message: message.to_owned(),
        }
    }

    fn truncated(&self, open: &str) -> FileError {
        self.error_here(&format!(
            "le document XML s'arrête dans l'élément <{}> : le fichier est tronqué",
            shown(open)
        ))
    }
}

fn xml_error<R: BufRead>(reader: &Reader<Counting<R>>, e: XmlError) -> FileError {
    let message = match e {
        XmlError::Io(io) => return FileError::Io(io::Error::new(io.kind(), io.to_string())),
        XmlError::Syntax(s) => match s {
            SyntaxError::InvalidBangMarkup => "balise « <! » inconnue".to_owned(),
            SyntaxError::UnclosedPI => "instruction « <? » non fermée".to_owned(),
            SyntaxError::UnclosedXmlDecl => "déclaration XML non fermée".to_owned(),
            SyntaxError::UnclosedComment => "commentaire non fermé".to_owned(),
            SyntaxError::UnclosedDoctype => "DOCTYPE non fermé".to_owned(),
            SyntaxError::UnclosedCData => "section CDATA non fermée".to_owned(),
            SyntaxError::UnclosedTag => {
                "balise non fermée (« > » manquant) : le fichier est peut-être tronqué".to_owned()
            }
            SyntaxError::UnclosedSingleQuotedAttributeValue
            | SyntaxError::UnclosedDoubleQuotedAttributeValue => {
                "valeur d'attribut non fermée".to_owned()
            }
        },
        XmlError::IllFormed(i) => match i {
            IllFormedError::MismatchedEndTag { expected, found } => {
                let (found, expected) = (shown(&found), shown(&expected));
                format!("balise fermante </{found}> trouvée, attendu </{expected}>")
            }
            IllFormedError::UnmatchedEndTag(tag) => {
                format!("balise fermante </{}> sans balise ouvrante", shown(&tag))
            }
            IllFormedError::MissingEndTag(tag) => {
                format!(
                    "élément <{}> non fermé avant la fin du fichier",
                    shown(&tag)
                )
            }
            IllFormedError::UnclosedReference => "référence « & » non fermée par « ; »".to_owned(),
            other => format!("XML mal formé ({})", shown(&other.to_string())),
        },
        XmlError::Encoding(_) => "texte qui n'est pas de l'UTF-8 valide".to_owned(),
        XmlError::Escape(_) => "référence de caractère invalide".to_owned(),
        XmlError::InvalidAttr(_) => "attribut mal formé".to_owned(),
        XmlError::Namespace(_) => "espace de noms XML invalide".to_owned(),
    };
    let (line, column) = reader.get_ref().line_column(reader.error_position());
    FileError::Syntax {
        line,
        column,
        message,
    }
}

/// How many characters of a name (or of quick-xml's own message) an error shows.
const SHOWN_CHARS: usize = 40;

/// A name as written in the file, for an error message of one line: its first
/// [`SHOWN_CHARS`] characters, control characters (line ends) shown as `·`.
fn shown(name: &str) -> String {
    let mut out: String = name
        .chars()
        .take(SHOWN_CHARS)
        .map(|c| if c.is_control() { '·' } else { c })
        .collect();
    if name.chars().nth(SHOWN_CHARS).is_some() {
        out.push('…');
    }
    out
}

// ---------------------------------------------------------------------------------------------

/// A `BufRead` that counts the line ends it passes, to turn quick-xml's byte offsets into a
/// line and column. It remembers the last line ends only, so memory stays flat.
struct Counting<R> {
    inner: R,
    /// Bytes consumed so far.
    offset: u64,
    /// Line ends consumed so far.
    lines: u64,
    /// Offsets of the last line ends, oldest first.
    recent: VecDeque<u64>,
    /// Line ends before the reader started.
    lines_before: u64,
}

const RECENT_LINES: usize = 256;

impl<R> Counting<R> {
    fn new(inner: R, lines_before: u64) -> Self {
        Counting {
            inner,
            offset: 0,
            lines: 0,
            recent: VecDeque::with_capacity(RECENT_LINES),
            lines_before,
        }
    }

    fn count(&mut self, bytes: &[u8]) {
        note_line_ends(bytes, self.offset, &mut self.lines, &mut self.recent);
        self.offset += bytes.len() as u64;
    }

    /// The 1-based line and column (in bytes) of a byte offset at or shortly before the
    /// current position.
    fn line_column(&self, offset: u64) -> (u64, u64) {
        let offset = offset.min(self.offset);
        let after = self
            .recent
            .iter()
            .rev()
            .take_while(|nl| **nl >= offset)
            .count() as u64;
        let line = self.lines - after + 1 + self.lines_before;
        let line_start = self
            .recent
            .iter()
            .rev()
            .find(|nl| **nl < offset)
            .map_or(0, |nl| nl + 1);
        (line, offset.saturating_sub(line_start) + 1)
    }
}

impl<R: BufRead> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count(&buf[..n]);
        Ok(n)
    }
}

impl<R: BufRead> BufRead for Counting<R> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        self.inner.fill_buf()
    }

    fn consume(&mut self, amt: usize) {
        // The bytes being consumed are still in the inner buffer: count them first.
        let Counting {
            inner,
            offset,
            lines,
            recent,
            ..
        } = self;
        if let Ok(buf) = inner.fill_buf() {
            let n = amt.min(buf.len());
            note_line_ends(&buf[..n], *offset, lines, recent);
        }
        *offset += amt as u64;
        inner.consume(amt);
    }
}

fn note_line_ends(bytes: &[u8], offset: u64, lines: &mut u64, recent: &mut VecDeque<u64>) {
    for (i, b) in bytes.iter().enumerate() {
        if *b == b'\n' {
            *lines += 1;
            if recent.len() == RECENT_LINES {
                recent.pop_front();
            }
            recent.push_back(offset + i as u64);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_and_column_of_an_offset() {
        let text = "ab\ncde\n\nfg";
        let mut c = Counting::new(io::BufReader::with_capacity(4, text.as_bytes()), 2);
        let mut all = String::new();
        c.read_to_string(&mut all).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(c.line_column(0), (3, 1));
        assert_eq!(c.line_column(4), (4, 2));
        assert_eq!(c.line_column(9), (6, 2));
    }
}
