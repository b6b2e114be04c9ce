//! DECP files straight into the opportunity engine, without a database: each file is streamed,
//! each contract reduced to the few facts the engine needs, and the several publications of
//! one contract (same buyer SIRET and id) counted once, the newest winning, as the import does.

use std::collections::HashMap;
use std::io::BufRead;

use chrono::NaiveDate;
use mutualis_domain::opportunity::ContractFacts;
use mutualis_formats::decp_read::{FileError, read_decp};
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
    /// Keeps the position of each contract and what decides which publication wins.
    index: HashMap<(String, String), (usize, Option<NaiveDate>, usize)>,
}

impl DecpFacts {
    /// Reads one more file. On an unusable file the error is returned; the command that
    /// reads it stops there.
    pub fn add_file<R: BufRead>(&mut self, reader: R) -> Result<(), FileError> {
        let DecpFacts {
            contracts,
            duplicates,
            index,
            ..
        } = self;
        let stats = read_decp(reader, nomenclature(), |record| {
            let Ok(contract) = record else { return };
            let key = (contract.buyer.as_str().to_owned(), contract.id.clone());
            let version = (contract.published_on, contract.modifications.len());
            match index.get_mut(&key) {
                Some((at, stored_published, stored_modifications)) => {
                    *duplicates += 1;
                    if version > (*stored_published, *stored_modifications) {
                        contracts[*at] = ContractFacts::from_contract(&contract);
                        (*stored_published, *stored_modifications) = version;
                    }
                }
                None => {
                    index.insert(key, (contracts.len(), version.0, version.1));
                    contracts.push(ContractFacts::from_contract(&contract));
                }
            }
        })?;
        self.read += stats.read;
        self.rejected += stats.rejected;
        Ok(())
    }
}
