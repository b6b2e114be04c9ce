//! The convention as an A4 PDF. The document is laid out here, line by line: text is wrapped
//! at spaces with the font's own advance widths (skrifa), tables get column widths from their
//! content and repeat their header row on a new page, a heading stays with what follows it.
//! Then krilla writes the pages with DejaVu Sans embedded as a subset (every glyph maps back to
//! its characters, so the text can be searched and copied), the page numbers, an outline of
//! the sections, the title and language in the metadata, and a structure tree that follows the
//! HTML (sections, headings, paragraphs, lists, tables with header cells; rules and page
//! footers are artifacts). krilla checks the file against PDF/UA-1 before writing it, which
//! is also why a character the font lacks is drawn with a replacement glyph.
//!
//! French text needs no shaping beyond one glyph per character: no ligature or mark
//! positioning is required, so the glyphs are placed at their advance widths.

use std::num::NonZeroU16;

use chrono::Datelike;
use krilla::color::luma;
use krilla::configure::{Configuration, Validator};
use krilla::destination::XyzDestination;
use krilla::geom::{PathBuilder, Point, Size};
use krilla::metadata::{DateTime, Metadata};
use krilla::outline::{Outline, OutlineNode};
use krilla::page::PageSettings;
use krilla::paint::{Fill, Stroke};
use krilla::surface::Surface;
use krilla::tagging::{
    ArtifactType, ContentTag, Identifier, ListNumbering, Node as TagNode, SpanTag,
    TableHeaderScope, Tag, TagGroup, TagKind, TagTree,
};
use krilla::text::{Font, GlyphId as KrillaGlyphId, KrillaGlyph};
use krilla::{Data, Document as PdfDocument, SerializeSettings};
use skrifa::charmap::Charmap;
use skrifa::instance::{LocationRef, Size as FontSize};
use skrifa::metrics::GlyphMetrics;
use skrifa::{FontRef, GlyphId, MetadataProvider};

use super::ConventionError;
use super::document::{Block, Document, Table};

static REGULAR: &[u8] = include_bytes!("../../fonts/DejaVuSans.ttf");
static BOLD: &[u8] = include_bytes!("../../fonts/DejaVuSans-Bold.ttf");

// A4 in points, and the printable area (2 cm margins, a little more at the bottom for the
// page number).
const PAGE_WIDTH: f32 = 595.276;
const PAGE_HEIGHT: f32 = 841.89;
const LEFT: f32 = 56.69;
const RIGHT: f32 = PAGE_WIDTH - 56.69;
const TOP: f32 = 56.69;
const BOTTOM: f32 = PAGE_HEIGHT - 62.36;
const FOOTER_BASELINE: f32 = PAGE_HEIGHT - 34.0;

/// A size of text and the height of its lines.
#[derive(Clone, Copy)]
struct Style {
    size: f32,
    line: f32,
    bold: bool,
}

const TITLE: Style = Style {
    size: 17.0,
    line: 22.0,
    bold: true,
};
const SUBTITLE: Style = Style {
    size: 13.0,
    line: 17.0,
    bold: true,
};
const H2: Style = Style {
    size: 12.5,
    line: 16.0,
    bold: true,
};
const H3: Style = Style {
    size: 10.5,
    line: 14.0,
    bold: true,
};
const BODY: Style = Style {
    size: 10.0,
    line: 14.0,
    bold: false,
};
const CELL: Style = Style {
    size: 8.5,
    line: 11.0,
    bold: false,
};
const CELL_BOLD: Style = Style { bold: true, ..CELL };
const FOOTER: Style = Style {
    size: 8.0,
    line: 10.0,
    bold: false,
};

const PARAGRAPH_GAP: f32 = 6.0;
const CELL_PAD_X: f32 = 4.0;
const CELL_PAD_Y: f32 = 3.0;
const BULLET_INDENT: f32 = 14.0;
const FIELD_LABEL_WIDTH: f32 = 190.0;
const BLANK_WIDTH: f32 = 230.0;
const SIGNATURE_SPACE: f32 = 44.0;

pub(crate) fn render(doc: &Document) -> Result<Vec<u8>, ConventionError> {
    let fonts = Fonts {
        regular: Face::load(REGULAR, "DejaVu Sans")?,
        bold: Face::load(BOLD, "DejaVu Sans Bold")?,
    };
    let mut layout = Layout::new(&fonts);
    layout.document(doc);
    write(doc, &fonts, layout)
}

// ---------------------------------------------------------------------------------------------
// Fonts

struct Fonts {
    regular: Face,
    bold: Face,
}

impl Fonts {
    fn face(&self, style: Style) -> &Face {
        if style.bold {
            &self.bold
        } else {
            &self.regular
        }
    }

    fn width(&self, text: &str, style: Style) -> f32 {
        self.face(style).width(text) * style.size
    }
}

/// A font as krilla embeds it and as skrifa measures it.
struct Face {
    font: Font,
    charmap: Charmap<'static>,
    metrics: GlyphMetrics<'static>,
    units_per_em: f32,
    /// Ascent, in ems.
    ascent: f32,
    /// Drawn for a character the font lacks: its replacement character (or "?"), rather
    /// than the "missing" glyph, which PDF/UA forbids. The text keeps the character itself.
    fallback: GlyphId,
}

impl Face {
    fn load(data: &'static [u8], name: &'static str) -> Result<Face, ConventionError> {
        let font_ref = FontRef::new(data).map_err(|_| ConventionError::Font(name))?;
        let metrics = font_ref.metrics(FontSize::unscaled(), LocationRef::default());
        let units_per_em = f32::from(metrics.units_per_em);
        if units_per_em <= 0.0 {
            return Err(ConventionError::Font(name));
        }
        let font = Font::new(Data::from(data), 0).ok_or(ConventionError::Font(name))?;
        let charmap = font_ref.charmap();
        let fallback = charmap
            .map('\u{fffd}')
            .or_else(|| charmap.map('?'))
            .ok_or(ConventionError::Font(name))?;
        Ok(Face {
            fallback,
            font,
            charmap,
            metrics: font_ref.glyph_metrics(FontSize::unscaled(), LocationRef::default()),
            units_per_em,
            ascent: metrics.ascent / units_per_em,
        })
    }

    /// The glyph of a character (the fallback if the font has none) and its advance, in ems.
    fn glyph(&self, c: char) -> (GlyphId, f32) {
        let id = self
            .charmap
            .map(c)
            .filter(|id| *id != GlyphId::NOTDEF)
            .unwrap_or(self.fallback);
        let advance = self.metrics.advance_width(id).unwrap_or(0.0) / self.units_per_em;
        (id, advance)
    }

    /// The width of a text, in ems.
    fn width(&self, text: &str) -> f32 {
        text.chars().map(|c| self.glyph(c).1).sum()
    }

    /// One glyph per character, each mapped back to its character for text extraction.
    fn glyphs(&self, text: &str) -> Vec<KrillaGlyph> {
        text.char_indices()
            .map(|(i, c)| {
                let (id, advance) = self.glyph(c);
                KrillaGlyph::new(
                    KrillaGlyphId::new(id.to_u32()),
                    advance,
                    0.0,
                    0.0,
                    0.0,
                    i..i + c.len_utf8(),
                    None,
                )
            })
            .collect()
    }
}

/// Splits a text into lines no wider than `width` at its spaces; a word wider than a line is
/// cut between characters. Linear in the length of the text, whatever it holds.
fn wrap(fonts: &Fonts, text: &str, style: Style, width: f32) -> Vec<String> {
    let face = fonts.face(style);
    let space = face.width(" ") * style.size;
    let mut lines = Vec::new();
    let mut line = String::new();
    let mut line_width = 0.0;
    for word in text.split(' ').filter(|w| !w.is_empty()) {
        let word_width = face.width(word) * style.size;
        if !line.is_empty() && line_width + space + word_width <= width {
            line.push(' ');
            line.push_str(word);
            line_width += space + word_width;
            continue;
        }
        if !line.is_empty() {
            lines.push(std::mem::take(&mut line));
            line_width = 0.0;
        }
        if word_width <= width {
            line.push_str(word);
            line_width = word_width;
            continue;
        }
        for c in word.chars() {
            let advance = face.glyph(c).1 * style.size;
            if !line.is_empty() && line_width + advance > width {
                lines.push(std::mem::take(&mut line));
                line_width = 0.0;
            }
            line.push(c);
            line_width += advance;
        }
    }
    if !line.is_empty() || lines.is_empty() {
        lines.push(line);
    }
    lines
}

// ---------------------------------------------------------------------------------------------
// Layout

/// What is drawn on a page, in points from its top left corner.
enum Op {
    /// A line of text; `y` is its baseline. `line` is its leaf in the structure tree; without
    /// one it is an artifact (page number, repeated table header).
    Text {
        x: f32,
        y: f32,
        style: Style,
        text: String,
        line: Option<usize>,
    },
    /// A horizontal rule.
    Rule {
        x1: f32,
        x2: f32,
        y: f32,
        width: f32,
    },
}

/// The logical structure of the document, for the tagged PDF: groups as in the HTML (sections,
/// headings, paragraphs, lists, tables), whose leaves are the lines of text drawn.
enum Node {
    /// A group, with its title (a heading's text).
    Group(Kind, Option<String>, Vec<Node>),
    Line(usize),
}

#[derive(Clone, Copy)]
enum Kind {
    Section,
    Heading(u16),
    P,
    L,
    LI,
    Lbl,
    LBody,
    Table,
    Caption,
    THead,
    TBody,
    TFoot,
    TR,
    /// A header cell: of its column, or of its row.
    TH(TableHeaderScope),
    TD,
}

struct Layout<'f> {
    fonts: &'f Fonts,
    pages: Vec<Vec<Op>>,
    /// The top of the next line on the last page.
    y: f32,
    /// Each section's heading, page and position.
    outline: Vec<(String, usize, f32)>,
    /// The open groups of the structure tree, the root (without a kind) at the bottom.
    open: Vec<(Option<Kind>, Option<String>, Vec<Node>)>,
    lines_drawn: usize,
    /// Whether the text drawn now belongs to the structure (false for a repeated header).
    structural: bool,
}

impl<'f> Layout<'f> {
    fn new(fonts: &'f Fonts) -> Self {
        Layout {
            fonts,
            pages: vec![Vec::new()],
            y: TOP,
            outline: Vec::new(),
            open: vec![(None, None, Vec::new())],
            lines_drawn: 0,
            structural: true,
        }
    }

    fn begin(&mut self, kind: Kind) {
        self.open.push((Some(kind), None, Vec::new()));
    }

    fn end(&mut self) {
        if self.open.len() > 1
            && let Some((Some(kind), title, children)) = self.open.pop()
        {
            self.push_node(Node::Group(kind, title, children));
        }
    }

    fn push_node(&mut self, node: Node) {
        if let Some((_, _, children)) = self.open.last_mut() {
            children.push(node);
        }
    }

    /// The structure tree, every group closed.
    fn finish_tree(&mut self) -> Vec<Node> {
        while self.open.len() > 1 {
            self.end();
        }
        self.open
            .pop()
            .map(|(_, _, nodes)| nodes)
            .unwrap_or_default()
    }

    fn ops(&mut self) -> &mut Vec<Op> {
        if self.pages.is_empty() {
            self.pages.push(Vec::new());
        }
        let last = self.pages.len() - 1;
        &mut self.pages[last]
    }

    fn page_is_empty(&self) -> bool {
        self.pages.last().is_none_or(Vec::is_empty)
    }

    fn new_page(&mut self) {
        self.pages.push(Vec::new());
        self.y = TOP;
    }

    /// Starts a new page unless `height` still fits on this one (or the page is empty).
    fn ensure(&mut self, height: f32) {
        if self.y + height > BOTTOM && !self.page_is_empty() {
            self.new_page();
        }
    }

    fn text(&mut self, x: f32, top: f32, style: Style, text: String) {
        let y = top + self.fonts.face(style).ascent * style.size;
        let line = self.structural.then(|| {
            self.lines_drawn += 1;
            self.push_node(Node::Line(self.lines_drawn - 1));
            self.lines_drawn - 1
        });
        self.ops().push(Op::Text {
            x,
            y,
            style,
            text,
            line,
        });
    }

    /// Wrapped lines in a group of the structure.
    fn group_lines(&mut self, kind: Kind, x: f32, text: &str, style: Style) {
        let title = matches!(kind, Kind::Heading(_)).then(|| text.to_owned());
        self.open.push((Some(kind), title, Vec::new()));
        self.lines(x, text, style);
        self.end();
    }

    fn rule(&mut self, x1: f32, x2: f32, y: f32, width: f32) {
        self.ops().push(Op::Rule { x1, x2, y, width });
    }

    /// Wrapped lines from `x` to the right margin, each kept on one page.
    fn lines(&mut self, x: f32, text: &str, style: Style) {
        for line in wrap(self.fonts, text, style, RIGHT - x) {
            self.ensure(style.line);
            self.text(x, self.y, style, line);
            self.y += style.line;
        }
    }

    fn document(&mut self, doc: &Document) {
        self.group_lines(Kind::Heading(1), LEFT, &doc.title, TITLE);
        self.y += 2.0;
        self.group_lines(Kind::P, LEFT, &doc.subtitle, SUBTITLE);
        self.y += PARAGRAPH_GAP;
        for line in &doc.intro {
            self.group_lines(Kind::P, LEFT, line, BODY);
        }
        for section in &doc.sections {
            if section.page_break && !self.page_is_empty() {
                self.new_page();
            } else {
                self.y += 10.0;
                let first = section.blocks.first().map_or(0.0, |b| self.lead_height(b));
                self.ensure(H2.line + 6.0 + first);
            }
            self.outline
                .push((section.heading.clone(), self.pages.len() - 1, self.y));
            self.begin(Kind::Section);
            self.group_lines(Kind::Heading(2), LEFT, &section.heading, H2);
            self.rule(LEFT, RIGHT, self.y + 1.0, 0.6);
            self.y += 6.0;
            for (i, block) in section.blocks.iter().enumerate() {
                let next = section.blocks.get(i + 1);
                self.block(block, next);
            }
            self.end();
        }
    }

    fn block(&mut self, block: &Block, next: Option<&Block>) {
        match block {
            Block::Paragraph(text) => {
                // A paragraph that announces a table or a list stays with its start.
                if text.ends_with(':') {
                    let lines = wrap(self.fonts, text, BODY, RIGHT - LEFT).len() as f32;
                    let lead = next.map_or(0.0, |b| self.lead_height(b));
                    self.ensure(lines * BODY.line + PARAGRAPH_GAP + lead);
                }
                self.group_lines(Kind::P, LEFT, text, BODY);
                self.y += PARAGRAPH_GAP;
            }
            Block::Subheading(text) => {
                self.y += 4.0;
                let lead = next.map_or(0.0, |b| self.lead_height(b));
                self.ensure(H3.line * 2.0 + lead);
                self.group_lines(Kind::Heading(3), LEFT, text, H3);
                self.y += 3.0;
            }
            Block::List(items) => {
                self.begin(Kind::L);
                for item in items {
                    self.ensure(BODY.line);
                    self.begin(Kind::LI);
                    self.begin(Kind::Lbl);
                    self.text(LEFT + 3.0, self.y, BODY, "•".into());
                    self.end();
                    self.group_lines(Kind::LBody, LEFT + BULLET_INDENT, item, BODY);
                    self.end();
                    self.y += 2.0;
                }
                self.end();
                self.y += PARAGRAPH_GAP - 2.0;
            }
            Block::Table(table) => self.table(table),
            Block::Fields(fields) => self.fields(fields),
        }
    }

    /// The height a block needs on the page where it starts: what must not be left alone at
    /// the bottom of a page after a heading.
    fn lead_height(&self, block: &Block) -> f32 {
        match block {
            Block::Paragraph(_) | Block::List(_) => BODY.line * 2.0,
            Block::Subheading(_) => H3.line + BODY.line * 2.0,
            Block::Table(table) => {
                let widths = self.column_widths(table);
                let head = self.row_height(&table.head, &widths, CELL_BOLD);
                let first = table
                    .rows
                    .first()
                    .map_or(0.0, |r| self.row_height(r, &widths, CELL));
                CELL_BOLD.line + 4.0 + head + first
            }
            Block::Fields(fields) => self.fields_height(fields),
        }
    }

    // -- tables

    fn table(&mut self, table: &Table) {
        let widths = self.column_widths(table);
        let head_height = self.row_height(&table.head, &widths, CELL_BOLD);
        let first = table
            .rows
            .first()
            .map_or(0.0, |r| self.row_height(r, &widths, CELL));
        self.ensure(CELL_BOLD.line + 4.0 + head_height + first);
        self.begin(Kind::Table);
        self.group_lines(Kind::Caption, LEFT, &table.caption, CELL_BOLD);
        self.y += 2.0;
        self.begin(Kind::THead);
        self.head_row(table, &widths);
        self.end();
        self.begin(Kind::TBody);
        for row in &table.rows {
            self.break_table_if(self.row_height(row, &widths, CELL), table, &widths);
            self.row(row, table, &widths, CELL, Kind::TD);
            self.rule(LEFT, RIGHT, self.y, 0.3);
        }
        self.end();
        if !table.foot.is_empty() {
            self.begin(Kind::TFoot);
            for (i, row) in table.foot.iter().enumerate() {
                self.break_table_if(self.row_height(row, &widths, CELL_BOLD), table, &widths);
                if i == 0 {
                    self.rule(LEFT, RIGHT, self.y, 1.0);
                }
                self.row(row, table, &widths, CELL_BOLD, Kind::TD);
            }
            self.end();
        }
        self.end();
        self.y += PARAGRAPH_GAP + 4.0;
    }

    /// Continues the table on a new page, under its header row again, unless `height` fits.
    fn break_table_if(&mut self, height: f32, table: &Table, widths: &[f32]) {
        if self.y + height > BOTTOM {
            self.new_page();
            // Drawn again for the eye; the structure has it once.
            self.structural = false;
            self.head_row(table, widths);
            self.structural = true;
        }
    }

    fn head_row(&mut self, table: &Table, widths: &[f32]) {
        let header = Kind::TH(TableHeaderScope::Column);
        self.row(&table.head, table, widths, CELL_BOLD, header);
        self.rule(LEFT, RIGHT, self.y, 1.0);
    }

    /// Draws a row of cells, wrapped in their columns, numbers aligned right. The first cell
    /// heads the row, the others are of kind `cell`.
    fn row(
        &mut self,
        cells: &[String],
        table: &Table,
        widths: &[f32],
        style: Style,
        cell_kind: Kind,
    ) {
        let top = self.y;
        let mut x = LEFT;
        let mut bottom = top;
        self.begin(Kind::TR);
        for (i, (cell, width)) in cells.iter().zip(widths).enumerate() {
            let (style, kind) = match (i, cell_kind) {
                (_, Kind::TH(scope)) => (CELL_BOLD, Kind::TH(scope)),
                (0, _) => (CELL_BOLD, Kind::TH(TableHeaderScope::Row)),
                _ => (style, cell_kind),
            };
            self.begin(kind);
            let inner = width - 2.0 * CELL_PAD_X;
            let mut y = top + CELL_PAD_Y;
            for line in wrap(self.fonts, cell, style, inner) {
                let line_x = if table.numeric.get(i).copied().unwrap_or(false) {
                    x + width - CELL_PAD_X - self.fonts.width(&line, style)
                } else {
                    x + CELL_PAD_X
                };
                self.text(line_x, y, style, line);
                y += style.line;
            }
            self.end();
            bottom = bottom.max(y + CELL_PAD_Y);
            x += width;
        }
        self.end();
        self.y = bottom;
    }

    fn row_height(&self, cells: &[String], widths: &[f32], style: Style) -> f32 {
        let lines = cells
            .iter()
            .zip(widths)
            .enumerate()
            .map(|(i, (cell, width))| {
                let style = if i == 0 { CELL_BOLD } else { style };
                wrap(self.fonts, cell, style, width - 2.0 * CELL_PAD_X).len()
            })
            .max()
            .unwrap_or(1);
        lines as f32 * style.line + 2.0 * CELL_PAD_Y
    }

    /// Column widths filling the text width: each column gets its widest word, then the
    /// room left goes to the columns in proportion to what they lack to fit on one line.
    fn column_widths(&self, table: &Table) -> Vec<f32> {
        let available = RIGHT - LEFT;
        let columns = table.head.len().max(1);
        let mut natural = vec![0.0f32; columns];
        let mut minimum = vec![0.0f32; columns];
        let rows = std::iter::once(&table.head)
            .chain(&table.rows)
            .chain(&table.foot);
        for row in rows {
            for (i, cell) in row.iter().enumerate().take(columns) {
                // Measure in bold: headers, the first column and totals are bold.
                let w = self.fonts.width(cell, CELL_BOLD) + 2.0 * CELL_PAD_X;
                natural[i] = natural[i].max(w);
                let longest_word = cell
                    .split(' ')
                    .map(|word| self.fonts.width(word, CELL_BOLD))
                    .fold(0.0f32, f32::max);
                minimum[i] = minimum[i].max(longest_word + 2.0 * CELL_PAD_X);
            }
        }
        let natural_total: f32 = natural.iter().sum();
        if natural_total <= available {
            // Everything fits on one line: the text columns share the room left.
            let text_total: f32 = natural
                .iter()
                .zip(&table.numeric)
                .filter(|(_, numeric)| !**numeric)
                .map(|(w, _)| w)
                .sum();
            let room = available - natural_total;
            for (w, numeric) in natural.iter_mut().zip(&table.numeric) {
                if text_total > 0.0 && !numeric {
                    *w += room * *w / text_total;
                }
            }
            return natural;
        }
        // Too wide: numbers keep one line if the text columns can still hold their longest
        // word; the text columns share the rest.
        let numbers: f32 = natural
            .iter()
            .zip(&table.numeric)
            .filter(|(_, numeric)| **numeric)
            .map(|(w, _)| w)
            .sum();
        let (text_minimum, text_lacking) = natural
            .iter()
            .zip(&minimum)
            .zip(&table.numeric)
            .filter(|(_, numeric)| !**numeric)
            .fold((0.0f32, 0.0f32), |(m, l), ((n, min), _)| {
                (m + min, l + n - min)
            });
        if numbers + text_minimum <= available && text_lacking > 0.0 {
            let room = available - numbers - text_minimum;
            return natural
                .iter()
                .zip(&minimum)
                .zip(&table.numeric)
                .map(|((n, m), numeric)| {
                    if *numeric {
                        *n
                    } else {
                        m + (n - m) * room / text_lacking
                    }
                })
                .collect();
        }
        let minimum_total: f32 = minimum.iter().sum();
        if minimum_total >= available {
            return minimum
                .iter()
                .map(|w| w * available / minimum_total)
                .collect();
        }
        let lacking: f32 = natural.iter().zip(&minimum).map(|(n, m)| n - m).sum();
        let room = available - minimum_total;
        natural
            .iter()
            .zip(&minimum)
            .map(|(n, m)| m + (n - m) * room / lacking)
            .collect()
    }

    // -- signature fields

    fn fields(&mut self, fields: &[(String, Option<String>)]) {
        self.ensure(self.fields_height(fields));
        let value_x = LEFT + FIELD_LABEL_WIDTH;
        for (label, value) in fields {
            self.begin(Kind::P);
            let top = self.y;
            let label_lines = wrap(
                self.fonts,
                &format!("{label} :"),
                H3,
                FIELD_LABEL_WIDTH - 8.0,
            );
            let mut y = top;
            for line in label_lines {
                self.text(
                    LEFT,
                    y,
                    Style {
                        size: BODY.size,
                        ..H3
                    },
                    line,
                );
                y += BODY.line;
            }
            let mut value_y = top;
            match value {
                Some(value) => {
                    for line in wrap(self.fonts, value, BODY, RIGHT - value_x) {
                        self.text(value_x, value_y, BODY, line);
                        value_y += BODY.line;
                    }
                }
                None => {
                    let extra = if label == "Signature" {
                        SIGNATURE_SPACE
                    } else {
                        0.0
                    };
                    value_y += BODY.line + extra;
                    self.rule(value_x, value_x + BLANK_WIDTH, value_y - 2.0, 0.5);
                }
            }
            self.end();
            self.y = y.max(value_y) + 5.0;
        }
        self.y += PARAGRAPH_GAP;
    }

    fn fields_height(&self, fields: &[(String, Option<String>)]) -> f32 {
        let value_width = RIGHT - LEFT - FIELD_LABEL_WIDTH;
        fields
            .iter()
            .map(|(label, value)| {
                let label_lines = wrap(
                    self.fonts,
                    &format!("{label} :"),
                    H3,
                    FIELD_LABEL_WIDTH - 8.0,
                )
                .len();
                let value_height = match value {
                    Some(v) => wrap(self.fonts, v, BODY, value_width).len() as f32 * BODY.line,
                    None if label == "Signature" => BODY.line + SIGNATURE_SPACE,
                    None => BODY.line,
                };
                (label_lines as f32 * BODY.line).max(value_height) + 5.0
            })
            .sum::<f32>()
            + PARAGRAPH_GAP
    }
}

// ---------------------------------------------------------------------------------------------
// Writing the PDF

fn write(
    doc: &Document,
    fonts: &Fonts,
    mut layout: Layout<'_>,
) -> Result<Vec<u8>, ConventionError> {
    let tree = layout.finish_tree();
    let mut pdf = PdfDocument::new_with(SerializeSettings {
        configuration: Configuration::new_with_validator(Validator::UA1),
        ..SerializeSettings::default()
    });
    let count = layout.pages.len();
    let size = Size::from_wh(PAGE_WIDTH, PAGE_HEIGHT)
        .ok_or_else(|| ConventionError::Pdf("format de page invalide".into()))?;
    let footer_title = truncate(
        fonts,
        &format!("{} — {}", doc.title, doc.subtitle),
        FOOTER,
        RIGHT - LEFT - 90.0,
    );
    let mut identifiers: Vec<Option<Identifier>> = vec![None; layout.lines_drawn];
    for (index, ops) in layout.pages.iter().enumerate() {
        let mut page = pdf.start_page_with(PageSettings::new(size));
        let mut surface = page.surface();
        surface.set_fill(Some(Fill::default()));
        for op in ops {
            if let Some((line, id)) = draw(&mut surface, fonts, op)
                && let Some(slot) = identifiers.get_mut(line)
            {
                *slot = Some(id);
            }
        }
        let number = format!("Page {} sur {count}", index + 1);
        let footer = [
            (RIGHT - fonts.width(&number, FOOTER), number),
            (LEFT, footer_title.clone()),
        ];
        for (x, text) in footer {
            surface.start_tagged(ContentTag::Artifact(ArtifactType::Footer));
            fonts.draw_line(&mut surface, x, FOOTER_BASELINE, FOOTER, &text);
            surface.end_tagged();
        }
        surface.finish();
        page.finish();
    }
    let mut tag_tree = TagTree::new().with_lang(Some("fr-FR".into()));
    for node in tree {
        if let Some(node) = tag_node(node, &mut identifiers) {
            tag_tree.push(node);
        }
    }
    pdf.set_tag_tree(tag_tree);
    let mut outline = Outline::new();
    for (heading, page, y) in &layout.outline {
        outline.push_child(OutlineNode::new(
            heading.clone(),
            XyzDestination::new(*page, Point::from_xy(LEFT, *y)),
        ));
    }
    pdf.set_outline(outline);
    pdf.set_metadata(
        Metadata::new()
            .title(format!("{} — {}", doc.title, doc.subtitle))
            .language("fr-FR".into())
            .creator("Mutualis".into())
            .creation_date(pdf_date(doc.date)),
    );
    pdf.finish()
        .map_err(|err| ConventionError::Pdf(format!("{err:?}")))
}

impl Fonts {
    fn draw_line(&self, surface: &mut Surface<'_>, x: f32, y: f32, style: Style, text: &str) {
        let face = self.face(style);
        surface.draw_glyphs(
            Point::from_xy(x, y),
            &face.glyphs(text),
            face.font.clone(),
            text,
            style.size,
            false,
        );
    }
}

/// Draws an operation; a line of the structure answers its leaf and the identifier of what
/// was drawn.
fn draw(surface: &mut Surface<'_>, fonts: &Fonts, op: &Op) -> Option<(usize, Identifier)> {
    match op {
        Op::Text {
            x,
            y,
            style,
            text,
            line,
        } => {
            let tag = match line {
                Some(_) => ContentTag::Span(SpanTag::empty()),
                None => ContentTag::Artifact(ArtifactType::Other),
            };
            let id = surface.start_tagged(tag);
            fonts.draw_line(surface, *x, *y, *style, text);
            surface.end_tagged();
            line.map(|line| (line, id))
        }
        Op::Rule { x1, x2, y, width } => {
            let mut path = PathBuilder::new();
            path.move_to(*x1, *y);
            path.line_to(*x2, *y);
            if let Some(path) = path.finish() {
                surface.start_tagged(ContentTag::Artifact(ArtifactType::Other));
                surface.set_fill(None);
                surface.set_stroke(Some(Stroke {
                    paint: luma::Color::new(90).into(),
                    width: *width,
                    ..Stroke::default()
                }));
                surface.draw_path(&path);
                surface.set_stroke(None);
                surface.set_fill(Some(Fill::default()));
                surface.end_tagged();
            }
            None
        }
    }
}

/// The structure node as krilla tags it; a group without content is left out.
fn tag_node(node: Node, identifiers: &mut [Option<Identifier>]) -> Option<TagNode> {
    match node {
        Node::Line(line) => identifiers.get_mut(line)?.take().map(TagNode::from),
        Node::Group(kind, title, children) => {
            let children: Vec<TagNode> = children
                .into_iter()
                .filter_map(|child| tag_node(child, identifiers))
                .collect();
            if children.is_empty() {
                return None;
            }
            Some(TagGroup::with_children(tag_kind(kind, title), children).into())
        }
    }
}

fn tag_kind(kind: Kind, title: Option<String>) -> TagKind {
    match kind {
        Kind::Section => Tag::Section.into(),
        Kind::Heading(level) => {
            Tag::Hn(NonZeroU16::new(level).unwrap_or(NonZeroU16::MIN), title).into()
        }
        Kind::P => Tag::P.into(),
        Kind::L => Tag::L(ListNumbering::Disc).into(),
        Kind::LI => Tag::LI.into(),
        Kind::Lbl => Tag::Lbl.into(),
        Kind::LBody => Tag::LBody.into(),
        Kind::Table => Tag::Table.into(),
        Kind::Caption => Tag::Caption.into(),
        Kind::THead => Tag::THead.into(),
        Kind::TBody => Tag::TBody.into(),
        Kind::TFoot => Tag::TFoot.into(),
        Kind::TR => Tag::TR.into(),
        Kind::TH(scope) => Tag::TH(scope).into(),
        Kind::TD => Tag::TD.into(),
    }
}

/// The text cut with "…" to fit in `width`.
fn truncate(fonts: &Fonts, text: &str, style: Style, width: f32) -> String {
    if fonts.width(text, style) <= width {
        return text.to_owned();
    }
    let face = fonts.face(style);
    let room = width - fonts.width("…", style);
    let mut out = String::new();
    let mut out_width = 0.0;
    for c in text.chars() {
        out_width += face.glyph(c).1 * style.size;
        if out_width > room {
            break;
        }
        out.push(c);
    }
    format!("{}…", out.trim_end())
}

fn pdf_date(date: chrono::NaiveDate) -> DateTime {
    DateTime::new(u16::try_from(date.year()).unwrap_or(0))
        .month(date.month() as u8)
        .day(date.day() as u8)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fonts() -> Fonts {
        Fonts {
            regular: Face::load(REGULAR, "DejaVu Sans").expect("regular"),
            bold: Face::load(BOLD, "DejaVu Sans Bold").expect("bold"),
        }
    }

    #[test]
    fn wrapped_lines_fit_and_keep_every_word() {
        let fonts = fonts();
        let text = "Les membres du groupement sont solidairement responsables des seules \
                    opérations de passation menées conjointement en leur nom et pour leur compte.";
        let lines = wrap(&fonts, text, BODY, 200.0);
        assert!(lines.len() > 2);
        assert!(lines.iter().all(|l| fonts.width(l, BODY) <= 200.0));
        assert_eq!(lines.join(" "), text);
        assert_eq!(wrap(&fonts, "", BODY, 200.0), [""]);
    }

    #[test]
    fn a_word_wider_than_the_line_is_cut_and_a_huge_one_quickly() {
        let fonts = fonts();
        let word = "É".repeat(200_000);
        let lines = wrap(&fonts, &word, CELL, 100.0);
        assert!(lines.iter().all(|l| fonts.width(l, CELL) <= 100.0));
        assert_eq!(lines.concat(), word);
        let cut = truncate(&fonts, &word, FOOTER, 100.0);
        assert!(cut.ends_with('…') && fonts.width(&cut, FOOTER) <= 100.0);
    }

    #[test]
    fn a_character_the_font_lacks_gets_the_replacement_glyph() {
        let face = fonts().regular;
        let (missing, _) = face.glyph('🏛');
        assert_eq!(missing, face.glyph('\u{fffd}').0);
        assert_ne!(missing, GlyphId::NOTDEF);
        assert_ne!(face.glyph('\u{202f}').0, missing, "narrow no-break space");
        assert_ne!(face.glyph('€').0, missing);
    }
}
