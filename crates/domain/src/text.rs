//! Text folding for French search: "Électricité" and "electricite" are the same word.

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

/// Lower-cases, strips accents, expands the œ/æ ligatures and turns every character that is
/// not a letter or a digit into a space, so that words can be split on whitespace.
pub fn fold(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.nfd() {
        if is_combining_mark(c) {
            continue;
        }
        match c {
            'œ' | 'Œ' => out.push_str("oe"),
            'æ' | 'Æ' => out.push_str("ae"),
            c if c.is_alphanumeric() => out.extend(c.to_lowercase()),
            _ => out.push(' '),
        }
    }
    out
}

/// The folded words of a text.
pub fn folded_words(text: &str) -> Vec<String> {
    fold(text).split_whitespace().map(str::to_owned).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_accents_case_and_ligatures() {
        assert_eq!(fold("Électricité"), "electricite");
        assert_eq!(fold("Œuvres d'art"), "oeuvres d art");
        assert_eq!(fold("ÇA, GÉRÉ"), "ca  gere");
        assert_eq!(
            folded_words("  Pièces   détachées "),
            ["pieces", "detachees"]
        );
    }
}
