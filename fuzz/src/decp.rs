//! The DECP readers (`mutualis_formats::decp_read`), JSON and XML, on the calling thread.

use std::io::BufReader;
use std::ops::ControlFlow;

use chrono::NaiveDate;
use mutualis_domain::{Amount, Contract, CpvCode, Siren, Siret};
use mutualis_formats::decp_read::{
    FactsView, FileError, ReadStats, RejectReason, Rejection, read_decp_on_this_thread,
};

/// What the opportunity engine keeps of a contract: the same whether the record went
/// through the lean reading of a DECP 2.0 marché or through the full conversion.
#[derive(Debug, PartialEq)]
pub struct Facts {
    id: String,
    buyer: Siret,
    buyer_name: Option<String>,
    object: String,
    cpv: Option<CpvCode>,
    notified_on: Option<NaiveDate>,
    published_on: Option<NaiveDate>,
    duration_months: Option<u32>,
    amount: Option<Amount>,
    ends_on: Option<NaiveDate>,
    suppliers: Vec<Siren>,
}

impl Facts {
    fn of_view(view: FactsView<'_>) -> Facts {
        Facts {
            ends_on: view.ends_on(),
            id: view.id.into_owned(),
            buyer: view.buyer,
            buyer_name: view.buyer_name.map(Into::into),
            object: view.object.into_owned(),
            cpv: view.cpv,
            notified_on: view.notified_on,
            published_on: view.published_on,
            duration_months: view.duration_months,
            amount: view.amount,
            suppliers: view.suppliers,
        }
    }

    fn of_contract(contract: &Contract) -> Facts {
        Facts {
            id: contract.id.clone(),
            buyer: contract.buyer.clone(),
            buyer_name: contract.buyer_name.clone(),
            object: contract.object.clone(),
            cpv: contract.cpv,
            notified_on: contract.notified_on,
            published_on: contract.published_on,
            duration_months: contract.current_duration_months(),
            amount: contract.current_amount(),
            ends_on: contract.end_date(),
            suppliers: contract
                .current_operators()
                .iter()
                .filter_map(|o| o.siren())
                .collect(),
        }
    }
}

/// A record as handed over: a contract's facts, or a rejection's position, reason and field.
#[derive(Debug, PartialEq)]
pub enum Item {
    Contract(Facts),
    Rejected(usize, RejectReason, String),
}

fn item(record: Result<Contract, Rejection>) -> Item {
    match record {
        Ok(contract) => Item::Contract(Facts::of_contract(&contract)),
        Err(r) => {
            assert!(!r.detail.is_empty(), "a rejection says why: {r:?}");
            Item::Rejected(r.index, r.reason, r.field)
        }
    }
}

/// One reading: the items in file order and the outcome (a file error as its message).
#[derive(Debug, PartialEq)]
pub struct Reading {
    items: Vec<Item>,
    outcome: Result<ReadStats, String>,
}

/// Reads `data` through a buffer of `capacity` bytes (the whole of it when `None`), with the
/// lean reading of DECP 2.0 marchés when `lean`, and checks the counts against the items.
pub fn read(data: &[u8], capacity: Option<usize>, lean: bool) -> Reading {
    let mut items = Vec::new();
    let lean_fn = |view: FactsView<'_>| Item::Contract(Facts::of_view(view));
    let lean_fn: Option<&(dyn Fn(FactsView<'_>) -> Item + Sync)> =
        if lean { Some(&lean_fn) } else { None };
    let mut on_item = |i: Item| {
        items.push(i);
        ControlFlow::Continue(())
    };
    let outcome = match capacity {
        None => read_decp_on_this_thread(data, super::cpv(), lean_fn, &item, &mut on_item),
        Some(n) => read_decp_on_this_thread(
            BufReader::with_capacity(n, data),
            super::cpv(),
            lean_fn,
            &item,
            &mut on_item,
        ),
    };
    let outcome = outcome.map_err(|e| {
        let message = e.to_string();
        assert!(
            !message.contains('\n'),
            "a file error is one line: {message}"
        );
        match e {
            // Its preview of the start is what the buffer holds, whatever its size.
            FileError::NotJsonOrXml { .. } => "ni JSON ni XML".to_owned(),
            _ => message,
        }
    });
    if let Ok(stats) = &outcome {
        assert!(!stats.stopped, "nobody asked to stop");
        assert_eq!(stats.read, items.len(), "every record is counted once");
        assert_eq!(stats.read, stats.contracts + stats.rejected);
        let rejected = items
            .iter()
            .filter(|i| matches!(i, Item::Rejected(..)))
            .count();
        assert_eq!(stats.rejected, rejected, "rejections counted as rejections");
    }
    for (position, i) in items.iter().enumerate() {
        if let Item::Rejected(index, ..) = i {
            assert_eq!(*index, position, "a rejection carries its position");
        }
    }
    Reading { items, outcome }
}

/// The whole input at once, then through a small buffer (and, for JSON, with the lean
/// reading): both must hand over the same records and end the same way. For XML, a syntax
/// error is only compared as such: which fault quick-xml names first, and where, may depend
/// on its buffer (an unclosed DOCTYPE that also holds bytes that are not UTF-8).
pub fn check(data: &[u8], json: bool) {
    let mut whole = read(data, None, false);
    let mut small = read(data, Some(37), json);
    if !json {
        for reading in [&mut whole, &mut small] {
            if let Err(message) = &mut reading.outcome
                && message.starts_with("fichier mal formé")
            {
                *message = "fichier mal formé".to_owned();
            }
        }
    }
    assert_eq!(
        whole, small,
        "the buffer size (and the lean reading) change nothing"
    );
}
