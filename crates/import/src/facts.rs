//! DECP files straight into the opportunity engine, without a database: each file is streamed,
//! each contract reduced to the few facts the engine needs (on the reading threads), and the
//! several publications of one contract (same buyer SIRET and id) counted once, the newest
//! winning, as the import does.

use std::collections::HashMap;
use std::hash::{BuildHasher, BuildHasherDefault, Hash, Hasher, RandomState};
use std::io::BufRead;
use std::ops::ControlFlow;

use chrono::NaiveDate;
use mutualis_domain::opportunity::ContractFacts;
use mutualis_formats::decp_read::{FactsView, FileError, read_decp_facts};
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
    index: HashMap<Key, (usize, Version), BuildHasherDefault<Hashed>>,
    /// Hashes the keys, on the reading threads (random keys: a file cannot make them collide).
    hasher: RandomState,
    /// Contracts ending outside these dates are kept without their text.
    window: Option<(NaiveDate, NaiveDate)>,
}

/// Later publication, then more modifications.
type Version = (Option<NaiveDate>, usize);

/// A contract's key (buyer SIRET, id), hashed where it is made: on the reading threads, so
/// that the thread gathering the contracts only compares.
#[derive(Debug)]
struct Key {
    hash: u64,
    buyer: String,
    id: String,
}

impl Key {
    fn new(hasher: &RandomState, buyer: &str, id: &str) -> Key {
        Key {
            hash: hasher.hash_one((buyer, id)),
            buyer: buyer.to_owned(),
            id: id.to_owned(),
        }
    }
}

impl PartialEq for Key {
    fn eq(&self, other: &Key) -> bool {
        self.hash == other.hash && self.buyer == other.buyer && self.id == other.id
    }
}

impl Eq for Key {}

impl Hash for Key {
    fn hash<H: Hasher>(&self, state: &mut H) {
        state.write_u64(self.hash);
    }
}

/// The hasher of [`Key`]s: their hash is already made.
#[derive(Default)]
struct Hashed(u64);

impl Hasher for Hashed {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        // Only `write_u64` is called, by `Key::hash`; anything else is folded in all the same.
        for &b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(b);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

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

    /// Makes room for the contracts of `bytes` more of DECP, so that the list and the index of
    /// a large file are not grown and copied again and again: published records take about a
    /// kilobyte each (862 to 1,030 bytes on average in the 2019 files), so a record per 800
    /// bytes is rarely short.
    pub fn reserve_for(&mut self, bytes: u64) {
        let records = usize::try_from(bytes / 800).unwrap_or(0);
        self.contracts.reserve(records);
        self.index.reserve(records);
    }

    /// Reads one more file. On an unusable file the error is returned; the command that
    /// reads it stops there.
    pub fn add_file<R: BufRead>(&mut self, reader: R) -> Result<(), FileError> {
        let window = self.window;
        let DecpFacts {
            contracts,
            duplicates,
            index,
            hasher,
            ..
        } = self;
        let hasher = &*hasher;
        let outside = |ends_on: Option<NaiveDate>| {
            window.is_some_and(|(from, to)| ends_on.is_none_or(|end| end < from || end > to))
        };
        let stats = read_decp_facts(
            reader,
            nomenclature(),
            |view: FactsView<'_>| {
                let key = Key::new(hasher, view.buyer.as_str(), &view.id);
                let version = (view.published_on, view.modifications());
                let ends_on = view.ends_on();
                let keep = !outside(ends_on);
                let facts = ContractFacts {
                    buyer: view.buyer.siren(),
                    id: view.id.into_owned(),
                    record_id: None,
                    buyer_name: view.buyer_name.filter(|_| keep).map(Into::into),
                    object: if keep {
                        view.object.into_owned()
                    } else {
                        String::new()
                    },
                    cpv: view.cpv,
                    ends_on,
                    amount: view.amount,
                    duration_months: view.duration_months,
                    suppliers: if keep { view.suppliers } else { Vec::new() },
                    groupement: false,
                };
                Some((key, version, facts))
            },
            |record| {
                let contract = record.ok()?;
                let key = Key::new(hasher, contract.buyer.as_str(), &contract.id);
                let version = (contract.published_on, contract.modifications.len());
                let mut facts = ContractFacts::from_owned(contract);
                if outside(facts.ends_on) {
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
