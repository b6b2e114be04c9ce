//! DECP files straight into the opportunity engine, without a database: each file is streamed,
//! each contract reduced to the few facts the engine needs (on the reading threads), and the
//! several publications of one contract counted once, the newest winning, as the import does:
//! the same rule (`domain::contract::identity`) decides which records are one contract. Of
//! each contract the index keeps its initial amount and a fingerprint of its folded object;
//! objects compare by fingerprint, and by their text where both are kept (contracts ending
//! in the engine's window), so that a character lost to the encoding matches there only.

use std::collections::HashMap;
use std::hash::{BuildHasher, Hash, Hasher, RandomState};
use std::io::BufRead;
use std::ops::ControlFlow;

use chrono::NaiveDate;
use hashbrown::HashTable;
use mutualis_domain::Amount;
use mutualis_domain::contract::ContractSource;
use mutualis_domain::contract::identity::{
    Ids, fold_object, identity_stem, same_contract_given, same_object,
};
use mutualis_domain::opportunity::ContractFacts;
use mutualis_domain::plausibility::placeholders::operator_flag;
use mutualis_domain::plausibility::works::works_evidence;
use mutualis_domain::plausibility::{BuyerProfile, flag_facts};
use mutualis_domain::{Siren, Territory};
use mutualis_formats::decp_read::{FactsView, FileError, read_decp_facts};
use mutualis_reference::cpv::nomenclature;
use mutualis_reference::plausibility::plausibility;

/// Contracts gathered from one or more DECP files.
#[derive(Debug, Default)]
pub struct DecpFacts {
    pub contracts: Vec<ContractFacts>,
    /// Records read, over all files.
    pub read: usize,
    /// Records the reader rejected.
    pub rejected: usize,
    /// Records that were another publication of a contract already counted (the newest
    /// kept).
    pub duplicates: usize,
    /// Where each contract sits in `contracts`, and what decides which publication wins.
    index: HashTable<Slot>,
    /// Hashes the keys, on the reading threads (random keys: a file cannot make them collide).
    hasher: RandomState,
    /// Contracts ending outside these dates are kept without their text.
    window: Option<(NaiveDate, NaiveDate)>,
}

/// Later publication, then more modifications.
type Version = (Option<NaiveDate>, usize);

/// One contract in the index: its key is its buyer's SIRET (as a number: 14 digits) and the
/// stem of the id of `contracts[at]` (`identity_stem`), so that the index holds no text of
/// its own; several contracts may share a key (lots under one id).
#[derive(Debug)]
struct Slot {
    hash: u64,
    siret: u64,
    at: usize,
    version: Version,
    identity: Identity,
}

/// No amount: agrees with nothing (an amount is never that low).
const NO_AMOUNT: i64 = i64::MIN;

/// What the identity rule compares of a contract, besides its id, in 24 bytes.
#[derive(Debug, Clone, Copy)]
struct Identity {
    decp1: bool,
    /// The initial amount, in cents; [`NO_AMOUNT`] when absent.
    amount: i64,
    /// A hash of the folded object (`fold_object`); 0 for an empty object, which agrees with
    /// nothing.
    object: u64,
}

/// A contract's key and identity, hashed where they are made: on the reading threads, so that
/// the thread gathering the contracts only compares.
struct Key {
    hash: u64,
    siret: u64,
    identity: Identity,
}

impl Key {
    fn new(
        hasher: &RandomState,
        siret: &str,
        id: &str,
        decp1: bool,
        amount: Option<Amount>,
        object: &str,
    ) -> Key {
        // A parsed SIRET is 14 ASCII digits.
        let siret = siret
            .bytes()
            .fold(0u64, |n, d| n * 10 + u64::from(d.wrapping_sub(b'0')));
        let mut folded = hasher.build_hasher();
        let mut empty = true;
        fold_object(object, |c| {
            empty = false;
            c.hash(&mut folded);
        });
        Key {
            hash: hasher.hash_one((siret, identity_stem(id, decp1))),
            siret,
            identity: Identity {
                decp1,
                amount: amount.map_or(NO_AMOUNT, Amount::cents),
                object: if empty { 0 } else { folded.finish() | 1 },
            },
        }
    }
}

/// Whether the record of `key`, `id` and `object` is the contract of `slot` (`same_contract`
/// over what the index keeps).
fn same(slot: &Slot, kept: &ContractFacts, key: &Key, id: &str, object: &str) -> bool {
    if slot.siret != key.siret {
        return false;
    }
    let (a, b) = (&slot.identity, &key.identity);
    let ids = if kept.id == id {
        Ids::Same
    } else if a.decp1 && b.decp1 && identity_stem(&kept.id, true) == identity_stem(id, true) {
        Ids::SameStem
    } else {
        Ids::Other
    };
    let amounts = a.amount != NO_AMOUNT && a.amount == b.amount;
    same_contract_given(ids, amounts, || {
        a.object != 0 && a.object == b.object
            || !kept.object.is_empty() && !object.is_empty() && same_object(&kept.object, object)
    })
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
        self.index.reserve(records, |slot| slot.hash);
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
        let rules = plausibility();
        let stats = read_decp_facts(
            reader,
            nomenclature(),
            |view: FactsView<'_>| {
                // The lean reading is for DECP 2.0 marchés only.
                let key = Key::new(
                    hasher,
                    view.buyer.as_str(),
                    &view.id,
                    false,
                    view.amount,
                    &view.object,
                );
                let version = (view.published_on, view.modifications());
                let ends_on = view.ends_on();
                let keep = !outside(ends_on);
                let works =
                    works_evidence(view.cpv, view.ccag.as_deref(), &view.object, &rules.works);
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
                    concession: false,
                    flags: Vec::new(),
                    works,
                };
                Some((key, version, facts))
            },
            |record| {
                let contract = record.ok()?;
                let key = Key::new(
                    hasher,
                    contract.buyer.as_str(),
                    &contract.id,
                    contract.source == ContractSource::Decp1,
                    contract.amount,
                    &contract.object,
                );
                let version = (contract.published_on, contract.modifications.len());
                let works = works_evidence(
                    contract.cpv,
                    contract.decp2.as_ref().and_then(|d| d.ccag.as_deref()),
                    &contract.object,
                    &rules.works,
                );
                let operator_flag =
                    operator_flag(contract.current_operators(), &rules.placeholders);
                let mut facts = ContractFacts::from_owned(contract);
                facts.works = works;
                facts.flags.extend(operator_flag);
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
                // Among the contracts of the same buyer and stem, the one with the same id first.
                let mut found: Option<&mut Slot> = None;
                for slot in index.iter_hash_mut(key.hash) {
                    let kept = &contracts[slot.at];
                    if !same(slot, kept, &key, &facts.id, &facts.object) {
                        continue;
                    }
                    let exact = kept.id == facts.id;
                    if found.is_none() || exact {
                        found = Some(slot);
                    }
                    if exact {
                        break;
                    }
                }
                match found {
                    Some(slot) => {
                        *duplicates += 1;
                        // The newer publication: later, then more modifications, then
                        // the greater id (a 1.x republication's raised suffix), as the
                        // import keeps it.
                        if version > slot.version
                            || (version == slot.version && facts.id > contracts[slot.at].id)
                        {
                            contracts[slot.at] = facts;
                            slot.version = version;
                            slot.identity = key.identity;
                        }
                    }
                    None => {
                        let slot = Slot {
                            hash: key.hash,
                            siret: key.siret,
                            at: contracts.len(),
                            version,
                            identity: key.identity,
                        };
                        index.insert_unique(key.hash, slot, |slot| slot.hash);
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

    /// Flags the contracts gathered (placeholder amounts, implausible amounts among them all:
    /// `plausibility::flag_facts`), once every file is read. The buyers' population is known
    /// for the communes of `territory`; the others are of unknown population.
    pub fn flag(&mut self, territory: Option<&Territory>) {
        let rules = plausibility();
        let population: HashMap<&Siren, u32> = territory
            .into_iter()
            .flat_map(Territory::organisations)
            .filter_map(|o| Some((&o.siren, o.population?)))
            .collect();
        flag_facts(&mut self.contracts, rules, |siren| {
            BuyerProfile::of(siren, population.get(siren).copied(), &rules.model)
        });
    }
}
