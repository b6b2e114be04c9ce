//! French text: folding for search ("Électricité" and "electricite" are the same word), and
//! "de" before a name, with its elision ("d'Échirolles").

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

/// "de" before the name of an organisation, as French writes it: "de Grenoble",
/// "d'Échirolles", "du Pont-de-Claix", "de l'ADVIVO". See [`de_parts`] for the rule.
pub fn de(name: &str) -> String {
    let (de, rest) = de_parts(name);
    format!("{de}{rest}")
}

/// "de" before `name`, and what follows it, for a page that marks the name up
/// (`d'<strong>Échirolles</strong>`). The rule, from the names Mutualis holds (the
/// territory's communes, the buyers and suppliers of DECP data):
///
/// - a name that starts with the article "Le" or "Les" contracts with it: "du Pont-de-Claix"
///   (Le Pont-de-Claix), "des Adrets"; "La" and "L'" stay: "de La Tronche";
/// - before a vowel or a mute h, "de" elides. A name written as names are, a place name
///   (the communes: "Échirolles", "Eybens", "Herbeys"), takes no article: "d'Échirolles". A
///   name whose first word is written in capitals is an acronym ("ADVIVO", "OPAC", "EHPAD"),
///   which names a body and takes the article: "de l'ADVIVO";
/// - any other name: "de Grenoble", "de SEMITAG".
///
/// What this cannot tell: a place name written all in capitals, as some DECP publishers do
/// ("ECHIROLLES"), reads as an acronym; an aspirated h ("Haguenau") is elided; and the gender
/// of a body named by a common noun is not guessed ("de Commune de Chavanoz").
pub fn de_parts(name: &str) -> (&'static str, &str) {
    let name = name.trim();
    let lower = name.to_lowercase();
    if lower.starts_with("le ") {
        return ("du ", name[3..].trim_start());
    }
    if lower.starts_with("les ") {
        return ("des ", name[4..].trim_start());
    }
    let elides = match base_letters(name).as_slice() {
        ['a' | 'e' | 'i' | 'o' | 'u' | 'h', ..] => true,
        // "Yzeure", "Yvelines"; not "Yenne".
        ['y', next, ..] => !"aeiouy".contains(*next),
        _ => false,
    };
    if !elides || lower.starts_with("la ") || lower.starts_with("l'") || lower.starts_with("l’") {
        return ("de ", name);
    }
    let first_word = name.split([' ', '-', '\'', '’']).next().unwrap_or("");
    let letters: Vec<char> = first_word.chars().filter(|c| c.is_alphabetic()).collect();
    let acronym = letters.len() >= 2 && letters.iter().all(|c| c.is_uppercase());
    (if acronym { "de l'" } else { "d'" }, name)
}

/// The first letters of `text` without their accents, lower-cased.
fn base_letters(text: &str) -> Vec<char> {
    text.nfd()
        .filter(|c| !is_combining_mark(*c))
        .take(2)
        .flat_map(char::to_lowercase)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn de_elides_before_a_vowel_and_contracts_with_an_article() {
        // The territory's communes.
        assert_eq!(de("Grenoble"), "de Grenoble");
        assert_eq!(de("Échirolles"), "d'Échirolles");
        assert_eq!(de("Eybens"), "d'Eybens");
        assert_eq!(de("Herbeys"), "d'Herbeys");
        assert_eq!(de("Saint-Égrève"), "de Saint-Égrève");
        assert_eq!(de("Le Pont-de-Claix"), "du Pont-de-Claix");
        assert_eq!(de("La Tronche"), "de La Tronche");
        assert_eq!(de("Les Adrets"), "des Adrets");
        assert_eq!(
            de("Grenoble-Alpes-Métropole"),
            "de Grenoble-Alpes-Métropole"
        );
        // Bodies named by an acronym, as DECP publishes them.
        assert_eq!(de("ADVIVO"), "de l'ADVIVO");
        assert_eq!(de("OPAC DE LA SAVOIE"), "de l'OPAC DE LA SAVOIE");
        assert_eq!(de("SEMITAG"), "de SEMITAG");
        assert_eq!(de("Orléans Métropole"), "d'Orléans Métropole");
        assert_eq!(de("Yzeure"), "d'Yzeure");
        assert_eq!(de_parts(" Échirolles "), ("d'", "Échirolles"));
        assert_eq!(de_parts("Le Gua"), ("du ", "Gua"));
    }

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
