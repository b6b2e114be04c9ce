//! The convention constitutive of a groupement de commandes (PRODUCT.md §2.4; code de la
//! commande publique, L2113-6 to L2113-8), generated from the groupement's data, in French:
//! [`html`] gives a printable, self-contained HTML page, [`pdf`] an A4 PDF with the same text.
//!
//! Both are drawn from one document model (`document.rs`): numbered articles made of
//! paragraphs, lists, tables and signature fields, built once from a [`ConventionInput`]. The
//! HTML renders it through an askama template (every value escaped); the PDF lays it out on A4
//! pages with an embedded DejaVu Sans (`fonts/`, subset into each PDF) through krilla. Nothing
//! is read from a clock or a file: the generation date, the parties' names and addresses, the
//! CPV labels and the legal references to cite are passed in by the caller.
//!
//! Which members appear: the parties are the members that joined (the coordinator first, then
//! in invitation order); an invited buyer that has not answered, declined or withdrawn is not a
//! party, and its needs are not counted, as in [`Groupement::member_shares`].

use std::collections::BTreeMap;

use chrono::NaiveDate;
use mutualis_domain::groupement::Groupement;
use mutualis_domain::rules::Rule;
use mutualis_domain::{CpvCode, Siren};

mod document;
mod html;
mod pdf;

/// What the convention is generated from.
#[derive(Debug, Clone)]
pub struct ConventionInput<'a> {
    pub groupement: &'a Groupement,
    /// The members' names and addresses, as the caller knows them (from the organisations).
    /// A member missing here is named as in the groupement, without an address.
    pub parties: Vec<Party>,
    /// The French labels of the CPV codes of the groupement and of its lots (from the
    /// nomenclature). A code missing here is printed without its label.
    pub cpv_labels: BTreeMap<CpvCode, String>,
    /// The day the document is generated, printed on it.
    pub generated_on: NaiveDate,
    /// The legal texts the convention cites, in order (typically the `groupement` and
    /// `allotissement` rules of the rule book in force).
    pub legal_references: Vec<LegalReference>,
}

impl<'a> ConventionInput<'a> {
    /// An input with the members named as in the groupement, no address, no CPV label and no
    /// legal reference: fill in what the caller knows.
    pub fn new(groupement: &'a Groupement, generated_on: NaiveDate) -> Self {
        ConventionInput {
            groupement,
            parties: groupement
                .members
                .iter()
                .map(|m| Party {
                    siren: m.siren.clone(),
                    name: m.name.clone(),
                    address: None,
                })
                .collect(),
            cpv_labels: BTreeMap::new(),
            generated_on,
            legal_references: Vec::new(),
        }
    }
}

/// A member as it is named in the convention.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Party {
    pub siren: Siren,
    pub name: String,
    /// The postal address of its seat, when known.
    pub address: Option<String>,
}

/// A legal text cited by the convention: what it says and where it says it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LegalReference {
    /// The rule in words.
    pub text: String,
    /// The legal source, e.g. "L2113-6 à L2113-8 CCP".
    pub source: String,
}

/// A rule of the rule book, cited by its text (or, without one, by its kind) and its source.
impl From<&Rule> for LegalReference {
    fn from(rule: &Rule) -> Self {
        LegalReference {
            text: rule
                .value_text
                .clone()
                .unwrap_or_else(|| rule.kind.label().to_owned()),
            source: rule.source.clone(),
        }
    }
}

/// Why the PDF could not be produced. The embedded font is part of the binary, so neither
/// should happen; they are errors rather than panics all the same.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConventionError {
    #[error("police de caractères intégrée illisible ({0})")]
    Font(&'static str),
    #[error("écriture du PDF de la convention impossible : {0}")]
    Pdf(String),
}

/// The convention as a complete HTML document (lang="fr", its own print stylesheet for A4,
/// the signatures on a new page).
pub fn html(input: &ConventionInput<'_>) -> String {
    html::render(&document::build(input))
}

/// The convention as an A4 PDF, with the same text as [`html`], numbered pages, an outline of
/// its articles and its title and language in the metadata. The same input gives the same
/// bytes.
pub fn pdf(input: &ConventionInput<'_>) -> Result<Vec<u8>, ConventionError> {
    pdf::render(&document::build(input))
}
