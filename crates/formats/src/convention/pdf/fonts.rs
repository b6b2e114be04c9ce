//! The fonts: DejaVu Sans regular and bold, their glyphs and advance widths (skrifa), and
//! text wrapped or cut to a width.

use krilla::Data;
use krilla::text::{Font, GlyphId as KrillaGlyphId, KrillaGlyph};
use skrifa::charmap::Charmap;
use skrifa::instance::{LocationRef, Size as FontSize};
use skrifa::metrics::GlyphMetrics;
use skrifa::{FontRef, GlyphId, MetadataProvider};

use crate::convention::ConventionError;

use super::Style;

pub(super) struct Fonts {
    pub(super) regular: Face,
    pub(super) bold: Face,
}

impl Fonts {
    pub(super) fn face(&self, style: Style) -> &Face {
        if style.bold {
            &self.bold
        } else {
            &self.regular
        }
    }

    pub(super) fn width(&self, text: &str, style: Style) -> f32 {
        self.face(style).width(text) * style.size
    }
}

/// A font as krilla embeds it and as skrifa measures it.
pub(super) struct Face {
    pub(super) font: Font,
    charmap: Charmap<'static>,
    metrics: GlyphMetrics<'static>,
    units_per_em: f32,
    /// Ascent, in ems.
    pub(super) ascent: f32,
    /// Drawn for a character the font lacks: its replacement character (or "?"), rather
    /// than the "missing" glyph, which PDF/UA forbids. The text keeps the character itself.
    fallback: GlyphId,
}

impl Face {
    pub(super) fn load(data: &'static [u8], name: &'static str) -> Result<Face, ConventionError> {
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
    pub(super) fn width(&self, text: &str) -> f32 {
        text.chars().map(|c| self.glyph(c).1).sum()
    }

    /// One glyph per character, each mapped back to its character for text extraction.
    pub(super) fn glyphs(&self, text: &str) -> Vec<KrillaGlyph> {
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
pub(super) fn wrap(fonts: &Fonts, text: &str, style: Style, width: f32) -> Vec<String> {
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

/// The text cut with "…" to fit in `width`.
pub(super) fn truncate(fonts: &Fonts, text: &str, style: Style, width: f32) -> String {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::convention::pdf::{BODY, BOLD, CELL, FOOTER, REGULAR};

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
