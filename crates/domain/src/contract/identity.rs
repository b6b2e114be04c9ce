//! When two published records are the same contract.
//!
//! A contract's record is published again when its buyer corrects it or republishes it, and
//! real files show two ways of getting its identity wrong (ARCHITECTURE.md, "Identity of a
//! contract", with the real examples):
//! - DECP 1.x ids end with a two-digit sequence number that some buyers increment when they
//!   republish (`2019A01500` … `2019A01504`: one contract, five versions);
//! - some buyer profiles publish several lots under one id (`2019M1900400`: a topographic
//!   survey of 100,000 € and an assistance contract of 76,975 €: two contracts).
//!
//! The rule: two records are the same contract when they have the same buyer SIRET and
//! - the same id, and they agree on the initial amount or on the object (the object rewritten
//!   or the amount corrected, not both);
//! - or, both DECP 1.x, ids equal once a trailing two-digit sequence number is removed from
//!   each ([`identity_stem`]), and they agree on the amount and on the object: a new sequence
//!   number with another amount or object is another lot (`2018178` and `2018179`, same
//!   object, 200,000 € and 2,000,000 €; `2018170` and `2018171`, same amount, lots 1 and 2).
//!
//! Objects agree when they are equal once folded ([`object_key`]): case, accents,
//! punctuation and whitespace aside, a text mis-encoded as Latin-1 read back, and a character
//! lost to the encoding (`?`, `�`) matching any one character.

use crate::amount::Amount;
use crate::contract::{Contract, ContractSource};

/// What the rule compares of a record.
#[derive(Debug, Clone, Copy)]
pub struct IdentityFacts<'a> {
    /// The buyer's SIRET.
    pub buyer: &'a str,
    /// The id as published.
    pub id: &'a str,
    /// Whether the record comes from a DECP 1.x file, whose ids carry a sequence number.
    pub decp1: bool,
    /// The initial amount.
    pub amount: Option<Amount>,
    pub object: &'a str,
}

impl<'a> IdentityFacts<'a> {
    pub fn of(contract: &'a Contract) -> IdentityFacts<'a> {
        IdentityFacts {
            buyer: contract.buyer.as_str(),
            id: &contract.id,
            decp1: contract.source == ContractSource::Decp1,
            amount: contract.amount,
            object: &contract.object,
        }
    }

    /// The id without its DECP 1.x sequence number: records of one contract share it (with
    /// the buyer's SIRET, the key that finds the candidates).
    pub fn stem(&self) -> &'a str {
        identity_stem(self.id, self.decp1)
    }
}

/// The id without the trailing two-digit sequence number of DECP 1.x (`2019A01504` →
/// `2019A015`, `2018J1215A00` → `2018J1215A`); an id of another source, or without two
/// trailing digits, or of two characters or fewer, is its own stem.
pub fn identity_stem(id: &str, decp1: bool) -> &str {
    let bytes = id.as_bytes();
    let n = bytes.len();
    if decp1 && n > 2 && bytes[n - 1].is_ascii_digit() && bytes[n - 2].is_ascii_digit() {
        &id[..n - 2]
    } else {
        id
    }
}

/// Whether two records are the same contract (see the module's rule).
pub fn same_contract(a: &IdentityFacts<'_>, b: &IdentityFacts<'_>) -> bool {
    if a.buyer != b.buyer {
        return false;
    }
    let ids = if a.id == b.id {
        Ids::Same
    } else if a.decp1 && b.decp1 && a.stem() == b.stem() {
        Ids::SameStem
    } else {
        Ids::Other
    };
    same_contract_given(ids, a.amount.is_some() && a.amount == b.amount, || {
        same_object(a.object, b.object)
    })
}

/// How the ids of two records of one buyer compare.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ids {
    Same,
    /// Different, both DECP 1.x, with the same [`identity_stem`].
    SameStem,
    Other,
}

/// The rule, for a caller that keeps less than the records (the opportunity engine's reading
/// keeps a fingerprint of each object): `amounts` whether both have the same initial amount,
/// `objects` whether their objects agree ([`same_object`]), asked only when it decides.
pub fn same_contract_given(ids: Ids, amounts: bool, objects: impl FnOnce() -> bool) -> bool {
    match ids {
        Ids::Same => amounts || objects(),
        Ids::SameStem => amounts && objects(),
        Ids::Other => false,
    }
}

/// One character of a folded object: a lower-case letter or digit without accent, a space
/// between words, or a character lost to the encoding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ObjectChar {
    Char(char),
    Lost,
}

/// An object folded for comparison: text mis-encoded as Latin-1 (`Ã©`) read back as UTF-8,
/// lower-cased, accents stripped, every run of punctuation and whitespace one space, no space
/// at either end; `?` and `�` are [`ObjectChar::Lost`].
pub fn object_key(object: &str) -> Vec<ObjectChar> {
    let mut out = Vec::with_capacity(object.len());
    fold_object(object, |c| out.push(c));
    out
}

/// The characters of [`object_key`], handed one by one to `each` (no allocation for the
/// folded text: a caller that hashes it keeps nothing).
pub fn fold_object(object: &str, mut each: impl FnMut(ObjectChar)) {
    let repaired = repair_latin1(object);
    let text = repaired.as_deref().unwrap_or(object);
    let mut started = false;
    let mut space = false;
    let mut push = |c: Option<ObjectChar>| match c {
        None => space = true,
        Some(c) => {
            if space && started {
                each(ObjectChar::Char(' '));
            }
            space = false;
            started = true;
            each(c);
        }
    };
    for c in text.chars() {
        match c {
            '?' | '\u{fffd}' => push(Some(ObjectChar::Lost)),
            c if c.is_ascii_alphanumeric() => push(Some(ObjectChar::Char(c.to_ascii_lowercase()))),
            c if c.is_ascii() => push(None),
            c => {
                for f in crate::text::fold(c.encode_utf8(&mut [0; 4])).chars() {
                    push((f != ' ').then_some(ObjectChar::Char(f)));
                }
            }
        }
    }
}

/// UTF-8 text that was read as Latin-1 and encoded again (`Ã©lectricitÃ©`), read back; `None`
/// when the text is not such (a character beyond Latin-1, or bytes that are not UTF-8).
fn repair_latin1(text: &str) -> Option<String> {
    if !text.contains(['Ã', 'Â']) {
        return None;
    }
    let bytes = text
        .chars()
        .map(|c| u8::try_from(u32::from(c)).ok())
        .collect::<Option<Vec<u8>>>()?;
    String::from_utf8(bytes).ok()
}

/// Whether two folded objects agree, a lost character matching any one character. An empty
/// object agrees with nothing.
pub fn same_object_key(a: &[ObjectChar], b: &[ObjectChar]) -> bool {
    !a.is_empty()
        && a.len() == b.len()
        && a.iter()
            .zip(b)
            .all(|(x, y)| x == y || *x == ObjectChar::Lost || *y == ObjectChar::Lost)
}

/// Whether two objects agree once folded ([`object_key`]).
pub fn same_object(a: &str, b: &str) -> bool {
    a == b && !a.trim().is_empty() || same_object_key(&object_key(a), &object_key(b))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn euros(e: i64) -> Option<Amount> {
        Some(Amount::from_cents(e * 100))
    }

    fn rec<'a>(
        buyer: &'a str,
        id: &'a str,
        amount: Option<Amount>,
        object: &'a str,
    ) -> IdentityFacts<'a> {
        IdentityFacts {
            buyer,
            id,
            decp1: true,
            amount,
            object,
        }
    }

    #[test]
    fn the_stem_drops_a_decp1_sequence_number_only() {
        assert_eq!(identity_stem("2019A01504", true), "2019A015");
        assert_eq!(identity_stem("2018J1215A00", true), "2018J1215A");
        assert_eq!(identity_stem("2018J1215A", true), "2018J1215A");
        assert_eq!(identity_stem("2018MAPA062/0201", true), "2018MAPA062/02");
        assert_eq!(identity_stem("00", true), "00");
        assert_eq!(identity_stem("2019A01504", false), "2019A01504");
        // Multi-byte text before the digits stays whole.
        assert_eq!(identity_stem("Lé12", true), "Lé");
    }

    /// data.gouv.fr_pes.json, buyer 20002715900017: five publications of one contract.
    #[test]
    fn a_new_sequence_number_with_the_same_record_is_the_same_contract() {
        let object = "Aménagement de salles de musique et d'une salle polyvalente";
        let a = rec(
            "20002715900017",
            "2019A01500",
            Some(Amount::from_cents(20_823_034)),
            object,
        );
        let b = rec(
            "20002715900017",
            "2019A01504",
            Some(Amount::from_cents(20_823_034)),
            object,
        );
        assert!(same_contract(&a, &b));
        // marches-publics.info.json, buyer 21740225400015: the notification date corrected.
        let object = "Accord-cadre à bons de commande pour l'acquisition de fournitures";
        let a = rec("21740225400015", "20191815AC00", euros(17_666), object);
        let b = rec("21740225400015", "20191815AC01", euros(17_666), object);
        assert!(same_contract(&a, &b));
        // Another buyer's record is never the same contract.
        let c = rec("21740225400023", "20191815AC01", euros(17_666), object);
        assert!(!same_contract(&a, &c));
    }

    /// data.gouv.fr_pes.json, buyers 21690123100011 and 28590001500055: a shared prefix,
    /// or the same object under the next number, is another contract.
    #[test]
    fn a_new_sequence_number_with_another_amount_or_object_is_another_contract() {
        let buyer = "21690123100011";
        let a = rec(
            buyer,
            "2018J1227",
            Some(Amount::from_cents(43_365_211)),
            "Groupe scolaire Joannès Masset - construction - lot06a",
        );
        let b = rec(
            buyer,
            "2018J1228",
            Some(Amount::from_cents(18_907_743)),
            "Groupe scolaire Joannès Masset - construction - menuiseries",
        );
        assert!(!same_contract(&a, &b));
        let object = "FOURNITURE DE CARBURANTS EN STATION ET PRESTATIONS ANNEXES A L AIDE DE CARTES ACCREDITIVES";
        let a = rec("28590001500055", "2018178", euros(200_000), object);
        let b = rec("28590001500055", "2018179", euros(2_000_000), object);
        assert!(!same_contract(&a, &b));
        let a = rec(
            "28590001500055",
            "2018170",
            euros(360_000),
            "PLONGEE; LOT 1 TENUES",
        );
        let b = rec(
            "28590001500055",
            "2018171",
            euros(360_000),
            "PLONGEE  LOT2 MATERIELS",
        );
        assert!(!same_contract(&a, &b));
    }

    /// marches-publics.info.json, buyer 24450046800040.
    #[test]
    fn lots_under_one_id_are_distinct_and_a_rewritten_object_is_not() {
        let buyer = "24450046800040";
        let lot = rec(
            buyer,
            "2019M1900400",
            euros(100_000),
            "LOT 2 : REALISER DES RELEVES TOPOGRAPHIQUES",
        );
        let other = rec(
            buyer,
            "2019M1900400",
            euros(76_975),
            "Marché d'assistance à maîtrise d'ouvrage visant à réaliser des relevés",
        );
        assert!(!same_contract(&lot, &other));
        let first = rec(
            buyer,
            "2019M18428S00",
            euros(327_030),
            "Marché subséquent 18C0004-MS003 pour les travaux d'Amélioration de voirie",
        );
        let rewritten = rec(
            buyer,
            "2019M18428S00",
            euros(327_030),
            "M18428S : LOT3 TRAVAUX D'AMELIORATION DE VOIRIE AUX ABORDS DU COLLEGE",
        );
        assert!(same_contract(&first, &rewritten));
        // The same object with a corrected amount (2019M1900200).
        let a = rec(
            buyer,
            "2019M1900200",
            euros(40_800),
            "Réalisation de deux Inventaires de la Biodiversité Communale",
        );
        let b = rec(
            buyer,
            "2019M1900200",
            euros(48_800),
            "REALISATION DE DEUX INVENTAIRES DE LA BIODIVERSITE COMMUNALE",
        );
        assert!(same_contract(&a, &b));
    }

    #[test]
    fn ids_of_decp2_records_have_no_sequence_number() {
        let mut a = rec("24450046800040", "2019A01500", euros(1), "Objet");
        let mut b = rec("24450046800040", "2019A01501", euros(1), "Objet");
        a.decp1 = false;
        b.decp1 = false;
        assert!(!same_contract(&a, &b));
    }

    #[test]
    fn objects_fold_case_accents_punctuation_and_encoding() {
        assert!(same_object(
            "Électricité  - bâtiment A.",
            "electricite batiment a"
        ));
        assert!(same_object(
            "Ã©lectricitÃ© du bÃ¢timent",
            "électricité du bâtiment"
        ));
        assert!(same_object(
            "?lectricit? du b?timent",
            "Électricité du bâtiment"
        ));
        assert!(same_object("\u{fffd}lectricit\u{fffd}", "électricité"));
        assert!(!same_object("Électricité lot 1", "Électricité lot 2"));
        assert!(!same_object("", ""));
        assert!(!same_object("  ", "  "));
    }
}
