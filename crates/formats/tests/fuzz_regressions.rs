#![allow(clippy::unwrap_used)]
//! Inputs on which the fuzz targets (`fuzz/`) stopped, kept under
//! `tests/data/fuzz-regressions/` (RELIABILITY.md says which found a reader at fault, and its
//! fix): a file named `decp-*` is a DECP file.
//! Each must read without a panic, its records counted, and a file error must be one line
//! (the CLI prints it as `erreur : …`).

use std::path::Path;

use mutualis_formats::decp_read::read_decp;

#[test]
fn every_decp_input_the_fuzzers_found_reads_with_its_errors_on_one_line() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/fuzz-regressions");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| {
            path.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("decp-")
        })
        .collect();
    files.sort();
    assert!(!files.is_empty(), "{}", dir.display());
    for path in files {
        let bytes = std::fs::read(&path).unwrap();
        let mut records = 0;
        match read_decp(
            bytes.as_slice(),
            mutualis_reference::cpv::nomenclature(),
            |_| records += 1,
        ) {
            Ok(stats) => assert_eq!(stats.read, records, "{}", path.display()),
            Err(e) => {
                let message = e.to_string();
                assert!(
                    !message.contains('\n') && message.chars().count() < 300,
                    "{}: {message}",
                    path.display()
                );
            }
        }
    }
}
