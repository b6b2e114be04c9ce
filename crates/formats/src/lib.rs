//! File formats of public procurement open data. This crate knows DECP 1.x and 2.0 (JSON and
//! XML) and OCDS 1.1; it reads them into domain types and writes domain types out. Readers
//! never stop at the first bad record: each record is either a contract or a rejection naming
//! its position, field, value and reason. `opportunity_json` is the published JSON of the
//! opportunity engine's report: wire types built from the domain's, described for OpenAPI.

pub mod convention;
pub mod decp_read;
pub mod decp_vocab;
pub mod decp_write;
pub mod needs_workbook;
pub mod ocds;
pub mod opportunity_json;
