//! What the fuzz targets check, shared by `fuzz_targets/*.rs`, and their seed corpora, written
//! from the real files of the repository (see `README.md`).
//!
//! Each check panics, which libFuzzer reports as a crash, when a reader breaks one of its
//! documented promises; a panic inside a reader is a crash too.

pub mod decp;
pub mod forms;
pub mod seeds;
pub mod workbook;

use mutualis_domain::CpvNomenclature;

/// The CPV nomenclature shipped with Mutualis, parsed once.
pub fn cpv() -> &'static CpvNomenclature {
    mutualis_reference::cpv::nomenclature()
}
