//! Writing the PDF with krilla: the pages drawn, their footers, the structure tree, the
//! outline and the metadata.

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
    ArtifactType, ContentTag, Identifier, ListNumbering, Node as TagNode, SpanTag, Tag, TagGroup,
    TagKind, TagTree,
};
use krilla::{Document as PdfDocument, SerializeSettings};

use crate::convention::ConventionError;
use crate::convention::document::Document;

use super::fonts::{Fonts, truncate};
use super::layout::{Kind, Layout, Node, Op};
use super::{FOOTER, FOOTER_BASELINE, LEFT, PAGE_HEIGHT, PAGE_WIDTH, RIGHT, Style};

pub(super) fn write(
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

fn pdf_date(date: chrono::NaiveDate) -> DateTime {
    DateTime::new(u16::try_from(date.year()).unwrap_or(0))
        .month(date.month() as u8)
        .day(date.day() as u8)
}
