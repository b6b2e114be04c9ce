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
//!
//! This file holds the page, its styles and `render`; the fonts and the wrapping of text are
//! in `pdf/fonts.rs`, the layout in `pdf/layout.rs`, the writing with krilla in
//! `pdf/write.rs`.

use super::ConventionError;
use super::document::Document;

mod fonts;
mod layout;
mod write;

use fonts::{Face, Fonts};
use layout::Layout;
use write::write;

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
