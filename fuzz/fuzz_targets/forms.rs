//! The parsers of typed values: amounts, quantities, dates, SIRET, SIREN, CPV, e-mail.
#![no_main]

use mutualis_fuzz::seeds::{Target, write_if_asked};

libfuzzer_sys::fuzz_target!(init: write_if_asked(Target::Forms), |data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        mutualis_fuzz::forms::check(text);
    }
});
