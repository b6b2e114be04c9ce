//! The layout: the document laid out line by line into pages of drawing operations, with
//! the structure tree of the tagged PDF beside it.

use krilla::tagging::TableHeaderScope;

use crate::convention::document::{Block, Document, Table};

use super::fonts::{Fonts, wrap};
use super::{
    BLANK_WIDTH, BODY, BOTTOM, BULLET_INDENT, CELL, CELL_BOLD, CELL_PAD_X, CELL_PAD_Y,
    FIELD_LABEL_WIDTH, H2, H3, LEFT, PARAGRAPH_GAP, RIGHT, SIGNATURE_SPACE, SUBTITLE, Style, TITLE,
    TOP,
};

/// What is drawn on a page, in points from its top left corner.
pub(super) enum Op {
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
pub(super) enum Node {
    /// A group, with its title (a heading's text).
    Group(Kind, Option<String>, Vec<Node>),
    Line(usize),
}

#[derive(Clone, Copy)]
pub(super) enum Kind {
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

pub(super) struct Layout<'f> {
    fonts: &'f Fonts,
    pub(super) pages: Vec<Vec<Op>>,
    /// The top of the next line on the last page.
    y: f32,
    /// Each section's heading, page and position.
    pub(super) outline: Vec<(String, usize, f32)>,
    /// The open groups of the structure tree, the root (without a kind) at the bottom.
    open: Vec<(Option<Kind>, Option<String>, Vec<Node>)>,
    pub(super) lines_drawn: usize,
    /// Whether the text drawn now belongs to the structure (false for a repeated header).
    structural: bool,
}

impl<'f> Layout<'f> {
    pub(super) fn new(fonts: &'f Fonts) -> Self {
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
    pub(super) fn finish_tree(&mut self) -> Vec<Node> {
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

    pub(super) fn document(&mut self, doc: &Document) {
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
