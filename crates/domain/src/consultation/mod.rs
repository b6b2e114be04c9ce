//! Consultations (PRODUCT.md §2.5): a buyer, or a groupement's coordinator, asks for bids on
//! one or more lots, under award criteria stated before the first bid.
//!
//! This module grows with the consultation issue; it holds so far the award criteria and the
//! rules they must follow when the consultation is published (`criteria.rs`).

mod criteria;

pub use criteria::{Criteria, Criterion, CriterionKind, SubCriterion, WEIGHT_TOTAL};
