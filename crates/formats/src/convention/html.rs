//! The convention as an HTML page: `templates/convention.html`, which askama compiles and
//! which escapes every value.

use askama::Template;

use super::document::{Block, Document};

#[derive(Template)]
#[template(path = "convention.html")]
struct ConventionPage<'a> {
    doc: &'a Document,
}

pub(crate) fn render(doc: &Document) -> String {
    ConventionPage { doc }
        .render()
        // The template only writes strings into a String, which cannot fail.
        .expect("rendering the convention into a String")
}
