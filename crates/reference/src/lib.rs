//! Reference data shipped with Mutualis under `data/` and embedded in the binary: the CPV 2008
//! nomenclature, the territories, the rules in force. This crate knows the files' formats
//! (CSV, TOML); it hands out domain types.

pub mod cpv;
pub mod plausibility;
pub mod pooling;
pub mod rules;
pub mod territory;
