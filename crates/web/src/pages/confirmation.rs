//! The confirmation step of an irreversible action: a member's withdrawal from a groupement,
//! the cancellation of a groupement, the closing of a campaign. Posting the action's form
//! without `confirmation=oui` applies nothing: it answers this page, which says what will
//! happen, with one form that posts the same fields again with the confirmation (and the
//! session's CSRF token), and a link back. Only that second post applies the action. No
//! JavaScript: a plain form, a button and a link, in the page's reading and tab order.

use std::collections::HashMap;

use askama::Template;

use crate::layout::Layout;

/// The field, and its value, that confirm an irreversible action.
pub const FIELD: &str = "confirmation";
pub const CONFIRMED: &str = "oui";

/// Whether a posted form carries the confirmation.
pub fn confirmed(form: &HashMap<String, String>) -> bool {
    form.get(FIELD).is_some_and(|v| v == CONFIRMED)
}

/// A table of what changes: the first column heads its rows, the others are figures.
pub struct Table {
    pub caption: String,
    pub head: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

#[derive(Template)]
#[template(path = "confirmation.html")]
pub struct Page {
    pub layout: Layout,
    /// The question, as the page's title: "Vous retirer du groupement « … » ?".
    pub heading: String,
    /// What will happen, one sentence each.
    pub consequences: Vec<String>,
    pub tables: Vec<Table>,
    /// Where the confirmed form posts.
    pub action: String,
    /// The fields posted again, besides the CSRF token and the confirmation.
    pub fields: Vec<(String, String)>,
    /// The confirming button: "Confirmer le retrait".
    pub confirm_label: String,
    /// Where giving up leads: the page the action was asked from.
    pub back: String,
    /// "Ne pas me retirer : revenir au groupement".
    pub back_label: String,
}
