//! The needs workbook reader: the zip's limits, calamine's reading of the sheets, the cells
//! streamed and every row's values.
#![no_main]

use std::sync::LazyLock;

use mutualis_formats::needs_workbook::WorkbookMeta;
use mutualis_fuzz::seeds::{Target, write_if_asked};

static META: LazyLock<WorkbookMeta> = LazyLock::new(mutualis_fuzz::workbook::meta);

libfuzzer_sys::fuzz_target!(init: write_if_asked(Target::NeedsWorkbook), |data: &[u8]| {
    mutualis_fuzz::workbook::check(data, &META);
});
