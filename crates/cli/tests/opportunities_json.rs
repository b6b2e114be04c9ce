//! The stable opportunity JSON of `mutualis opportunities --format json` (README
//! "Opportunities JSON"), byte for byte: the reports over the real Isère extract at two CPV
//! depths are compared with the files under `tests/data/opportunities-json/`, written by the
//! command before its wire types had a module of their own.

#![allow(clippy::unwrap_used)] // a test that cannot unwrap has failed

mod common;

use common::{mutualis, stderr};

fn workspace_file(path: &str) -> String {
    format!("{}/../../{path}", env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn the_command_prints_the_documented_opportunity_json_byte_for_byte() {
    let isere = workspace_file("data/decp/isere_extract_2019.json");
    for depth in ["class", "group"] {
        let out = mutualis(&[
            "opportunities",
            "--decp",
            &isere,
            "--as-of",
            "2019-01-01",
            "--depth",
            depth,
            "--format",
            "json",
        ]);
        assert!(out.status.success(), "{}", stderr(&out));
        let file = format!("tests/data/opportunities-json/decp-2019-01-01-{depth}.json");
        let expected = std::fs::read(workspace_file(&file)).unwrap();
        assert!(
            out.stdout == expected,
            "{depth}: the report differs from {file}:\n{}",
            String::from_utf8_lossy(&out.stdout)
        );
    }
}
