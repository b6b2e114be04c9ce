//! The DECP JSON reader: scanner, record extents, parsing, the lean reading of DECP 2.0
//! marchés and the full conversion.
#![no_main]

use mutualis_fuzz::seeds::{Target, write_if_asked};

libfuzzer_sys::fuzz_target!(init: write_if_asked(Target::DecpJson), |data: &[u8]| {
    mutualis_fuzz::decp::check(data, true);
});
