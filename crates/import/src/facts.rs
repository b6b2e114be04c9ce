//! DECP files straight into the opportunity engine, without a database: each file is streamed,
//! each contract reduced to the few facts the engine needs (on the reading threads), and the
//! several publications of one contract (same buyer SIRET and id) counted once, the newest
//! winning, as the import does.

use std::collections::HashMap;
use std::io::BufRead;
use std::ops::ControlFlow;

use chrono::NaiveDate;
use mutualis_domain::opportunity::ContractFacts;
use mutualis_formats::decp_read::{FileError, read_decp_map};
use mutualis_reference::cpv::nomenclature;

/// Contracts gathered from one or more DECP files.
#[derive(Debug, Default)]
pub struct DecpFacts {
    pub contracts: Vec<ContractFacts>,
    /// Records read, over all files.
    pub read: usize,
    /// Records the reader rejected.
    pub rejected: usize,
    /// Records that were an older or identical publication of a contract already counted.
    pub duplicates: usize,
    /// Where each contract sits in `contracts`, and what decides which publication wins.
    index: HashMap<(String, String), (usize, Version)>,
    /// Contracts ending outside these dates are kept without their text.
    window: Option<(NaiveDate, NaiveDate)>,
}

/// Later publication, then more modifications.
type Version = (Option<NaiveDate>, usize);

impl DecpFacts {
    /// Keeps whole only the contracts ending between `from` and `to` (the engine's window):
    /// of the others the engine reads nothing but their end date and CPV code, so their object,
    /// buyer name and suppliers are dropped, which keeps a million contracts small.
    pub fn within(from: NaiveDate, to: NaiveDate) -> DecpFacts {
        DecpFacts {
            window: Some((from, to)),
            ..DecpFacts::default()
        }
    }

    /// Reads one more file. On an unusable file the error is returned; the command that
    /// reads it stops there.
    pub fn add_file<R: BufRead>(&mut self, reader: R) -> Result<(), FileError> {
        let window = self.window;
        let DecpFacts {
            contracts,
            duplicates,
            index,
            ..
        } = self;
        let stats = read_decp_map(
            reader,
            nomenclature(),
            |record| {
                let contract = record.ok()?;
                let key = (contract.buyer.as_str().to_owned(), contract.id.clone());
                let version = (contract.published_on, contract.modifications.len());
                let mut facts = ContractFacts::from_owned(contract);
                if let Some((from, to)) = window
                    && facts.ends_on.is_none_or(|end| end < from || end > to)
                {
                    facts.object = String::new();
                    facts.buyer_name = None;
                    facts.suppliers = Vec::new();
                }
                Some((key, version, facts))
            },
            |item| {
                let Some((key, version, facts)) = item else {
                    return ControlFlow::Continue(());
                };
                match index.get_mut(&key) {
                    Some((at, stored)) => {
                        *duplicates += 1;
                        if version > *stored {
                            contracts[*at] = facts;
                            *stored = version;
                        }
                    }
                    None => {
                        index.insert(key, (contracts.len(), version));
                        contracts.push(facts);
                    }
                }
                ControlFlow::Continue(())
            },
        )?;
        self.read += stats.read;
        self.rejected += stats.rejected;
        Ok(())
    }
}
