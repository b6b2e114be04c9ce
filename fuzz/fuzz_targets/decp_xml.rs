//! The DECP XML reader: quick-xml's events built into records within the limits, and the
//! conversion.
#![no_main]

use mutualis_fuzz::seeds::{Target, write_if_asked};

libfuzzer_sys::fuzz_target!(init: write_if_asked(Target::DecpXml), |data: &[u8]| {
    mutualis_fuzz::decp::check(data, false);
});
