//! Works published under a supplies or services CPV code: the CCAG or the object says works
//! ("Travaux de réfection des halls", "… LOT 12 PLOMBERIE"), the CPV code does not (it names
//! what is installed: lighting, cameras, doors). Such a contract counts as works in the
//! opportunity engine, whose thresholds differ for works.

use crate::cpv::{CpvCode, CpvDepth};
use crate::text::fold;

use super::WorksRules;
use super::placeholders::contains_phrase;

/// Why a contract whose CPV is outside division 45 is works, in French ("le CCAG est celui
/// des travaux"), or `None`: when its CPV is already works, or nothing says so.
pub fn works_evidence(
    cpv: Option<CpvCode>,
    ccag: Option<&str>,
    object: &str,
    rules: &WorksRules,
) -> Option<String> {
    if cpv.is_some_and(|c| c.node_digits(CpvDepth::Division) == 45_000_000) {
        return None;
    }
    if let Some(ccag) = ccag
        && rules.ccag.iter().any(|c| c == ccag.trim())
    {
        return Some(format!("le CCAG de référence est « {} »", ccag.trim()));
    }
    let text = fold(object);
    let words: Vec<&str> = text.split_whitespace().collect();
    let joined = words.join(" ");
    if rules.not_works.iter().any(|p| contains_phrase(&joined, p)) {
        return None;
    }
    for (i, w) in words.iter().enumerate() {
        if !rules.object_words.iter().any(|o| o == w) {
            continue;
        }
        let about = i > 0 && rules.about_works_before.iter().any(|b| b == words[i - 1]);
        if !about {
            return Some(format!("l'objet mentionne « {w} »"));
        }
    }
    if words.contains(&"lot")
        && let Some(trade) = rules
            .lot_trades
            .iter()
            .find(|t| contains_phrase(&joined, t))
    {
        return Some(format!(
            "l'objet désigne un lot de travaux de bâtiment (« {trade} »)"
        ));
    }
    None
}
