//! PostgreSQL's COPY text format, for the writes that load many rows at once (an import's
//! contracts and supplier links, the plausibility flags).

/// A value in PostgreSQL's COPY text format: `\N` for NULL, the text with backslash, tab,
/// newline and carriage return escaped.
pub(crate) fn copy_text(out: &mut String, value: Option<&str>) {
    let Some(value) = value else {
        out.push_str("\\N");
        return;
    };
    // The text between two characters to escape goes in one copy (most values have none).
    let mut rest = value;
    while let Some(at) = rest
        .bytes()
        .position(|b| matches!(b, b'\\' | b'\t' | b'\n' | b'\r'))
    {
        out.push_str(&rest[..at]);
        out.push_str(match rest.as_bytes()[at] {
            b'\\' => "\\\\",
            b'\t' => "\\t",
            b'\n' => "\\n",
            _ => "\\r",
        });
        rest = &rest[at + 1..];
    }
    out.push_str(rest);
}

/// A line of PostgreSQL's COPY text format, field after field.
pub(crate) struct CopyLine<'o> {
    out: &'o mut String,
    first: bool,
}

impl CopyLine<'_> {
    /// A line starting at the end of `out`.
    pub(crate) fn new(out: &mut String) -> CopyLine<'_> {
        CopyLine { out, first: true }
    }

    /// Ends the line.
    pub(crate) fn end(&mut self) {
        self.out.push('\n');
    }

    fn separate(&mut self) {
        if !std::mem::take(&mut self.first) {
            self.out.push('\t');
        }
    }

    pub(crate) fn text(&mut self, value: Option<&str>) -> &mut Self {
        self.separate();
        copy_text(self.out, value);
        self
    }

    /// A number or a date, as PostgreSQL reads it back.
    pub(crate) fn shown(&mut self, value: Option<impl std::fmt::Display>) -> &mut Self {
        use std::fmt::Write;
        self.separate();
        match value {
            None => self.out.push_str("\\N"),
            Some(v) => {
                let _ = write!(self.out, "{v}");
            }
        }
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn escaped(value: Option<&str>) -> String {
        let mut out = String::new();
        copy_text(&mut out, value);
        out
    }

    #[test]
    fn escapes_what_the_copy_text_format_reads_as_separators() {
        assert_eq!(escaped(None), "\\N");
        assert_eq!(escaped(Some("")), "");
        assert_eq!(escaped(Some("Mairie d'Échirolles")), "Mairie d'Échirolles");
        assert_eq!(escaped(Some("a\tb\nc\rd\\e")), "a\\tb\\nc\\rd\\\\e");
        assert_eq!(escaped(Some("\n\n")), "\\n\\n");
        assert_eq!(escaped(Some("fin\\")), "fin\\\\");
    }

    #[test]
    fn a_line_separates_its_fields_by_tabs_and_ends_with_a_newline() {
        let mut out = String::new();
        CopyLine::new(&mut out)
            .shown(Some(42))
            .text(None)
            .text(Some("x\ty"))
            .shown(None::<i64>)
            .end();
        assert_eq!(out, "42\t\\N\tx\\ty\t\\N\n");
    }
}
