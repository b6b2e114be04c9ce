#![allow(clippy::unwrap_used)]
//! DECP reading on real files: the official examples of both versions in JSON and XML (copied
//! under `tests/data/decp-format`), the Isère extract shipped in `data/decp`, and, when
//! `../shared/data/real` exists, the large 2019 files and the decp-processing fixtures.
//!
//! One module per concern: `official_examples`, `real_data`, `conversion` (the rules, on small
//! documents), `unreadable_files`, `streaming` and `limits` (hostile files); `helpers` holds
//! what they share.

mod helpers;

mod conversion;
mod limits;
mod official_examples;
mod real_data;
mod streaming;
mod unreadable_files;
