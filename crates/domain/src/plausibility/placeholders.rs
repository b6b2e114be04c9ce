//! Values that stand for "unknown" or "nobody": they are flagged, and never taken for an
//! organisation or an amount.

use crate::amount::Amount;
use crate::contract::{Contract, Operator};
use crate::text::fold;

use super::{ContractFlag, FlagKind, FlagLevel, PlaceholderRules};

/// The shortest identifier of one repeated digit taken as a placeholder whatever the rules
/// say: no SIREN (9 digits) or SIRET (14) of one repeated digit is attributed, and
/// `Operator::siret` relies on this without the rules at hand.
pub const REPEATED_DIGIT_ID_LEN: usize = 9;

/// Whether `id` is one digit repeated at least `min_len` times (spaces ignored).
pub fn is_repeated_digit(id: &str, min_len: usize) -> bool {
    let mut digits = id.bytes().filter(|b| *b != b' ');
    let Some(first) = digits.next() else {
        return false;
    };
    if !first.is_ascii_digit() {
        return false;
    }
    let mut n = 1;
    for d in digits {
        if d != first {
            return false;
        }
        n += 1;
    }
    n >= min_len
}

/// Why `operator` stands for "no titulaire", if it does.
pub fn operator_placeholder(operator: &Operator, rules: &PlaceholderRules) -> Option<String> {
    if is_repeated_digit(&operator.id, rules.repeated_digit_min_len) {
        return Some(format!(
            "identifiant {} « {} » fait d'un seul chiffre répété",
            operator.id_type, operator.id
        ));
    }
    let name = operator.name.as_deref().map(folded)?;
    rules
        .operator_names
        .iter()
        .find(|n| name == **n || contains_phrase(&name, n))
        .map(|_| {
            format!(
                "titulaire nommé « {} »",
                operator.name.as_deref().unwrap_or_default().trim()
            )
        })
}

/// Why `amount` stands for "unknown", if it does, for a contract of `duration_months`.
pub fn amount_placeholder(
    amount: Amount,
    duration_months: Option<u32>,
    rules: &PlaceholderRules,
) -> Option<String> {
    let cents = amount.cents();
    if cents == 0 {
        return rules
            .zero_is_placeholder
            .then(|| "montant de 0 € publié".to_owned());
    }
    if cents % 100 == 0 && cents > 0 {
        let euros = (cents / 100).to_string();
        if euros.len() >= rules.nines_min_digits && euros.bytes().all(|b| b == b'9') {
            return Some(format!("montant de {amount} fait de 9 répétés"));
        }
    }
    if cents > 0
        && cents <= rules.symbolic_max_cents
        && let Some(months) = duration_months
        && months >= rules.symbolic_min_months
    {
        return Some(format!(
            "montant symbolique de {amount} pour un contrat de {months} mois"
        ));
    }
    None
}

/// The placeholder flags of a contract: at most one for its current amount and one for its
/// current titulaires.
pub fn placeholder_flags(contract: &Contract, rules: &PlaceholderRules) -> Vec<ContractFlag> {
    let mut flags = Vec::new();
    if let Some(amount) = contract.current_amount()
        && let Some(reason) = amount_placeholder(amount, contract.current_duration_months(), rules)
    {
        flags.push(ContractFlag {
            kind: FlagKind::PlaceholderAmount,
            level: FlagLevel::Aberrant,
            reason,
        });
    }
    flags.extend(operator_flag(contract.current_operators(), rules));
    flags
}

/// The placeholder flag of a contract's current titulaires, if any of them is one.
pub fn operator_flag(operators: &[Operator], rules: &PlaceholderRules) -> Option<ContractFlag> {
    let reasons: Vec<String> = operators
        .iter()
        .filter_map(|o| operator_placeholder(o, rules))
        .collect();
    (!reasons.is_empty()).then(|| ContractFlag {
        kind: FlagKind::PlaceholderOperator,
        level: FlagLevel::Aberrant,
        reason: reasons.join(" ; "),
    })
}

/// Folded, one space between words.
fn folded(text: &str) -> String {
    fold(text).split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Whether the folded `text` holds the folded `phrase` as whole words: at a start of `text` or
/// after a space, and followed by a space or its end (without building padded copies: it is
/// asked of every contract, for every phrase of the rules).
pub(super) fn contains_phrase(text: &str, phrase: &str) -> bool {
    let bytes = text.as_bytes();
    text.match_indices(phrase).any(|(at, _)| {
        let end = at + phrase.len();
        (at == 0 || bytes[at - 1] == b' ') && (end == bytes.len() || bytes[end] == b' ')
    })
}

#[cfg(test)]
mod tests {
    use super::contains_phrase;

    /// The padded reading the function replaces: `" text "` holds `" phrase "`.
    fn padded(text: &str, phrase: &str) -> bool {
        format!(" {text} ").contains(&format!(" {phrase} "))
    }

    #[test]
    fn a_phrase_is_found_as_whole_words_only() {
        let cases = [
            ("pas de candidat", "pas de candidat"),
            ("lot 2 pas de candidat retenu", "pas de candidat"),
            ("travaux de voirie", "travaux"),
            ("sous travaux", "travaux"),
            ("soustravaux", "travaux"),
            ("travauxx neufs", "travaux"),
            ("infructueux", "infructueux sans suite"),
            ("marche sans suite sans suite", "sans suite"),
            ("", "travaux"),
            ("travaux", ""),
            ("", ""),
            ("a a a", "a a"),
        ];
        for (text, phrase) in cases {
            assert_eq!(
                contains_phrase(text, phrase),
                padded(text, phrase),
                "{text:?} / {phrase:?}"
            );
        }
        assert!(contains_phrase(
            "lot 2 pas de candidat retenu",
            "pas de candidat"
        ));
        assert!(!contains_phrase("soustravaux", "travaux"));
    }
}
