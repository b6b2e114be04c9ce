//! The savings range of an opportunity, from its family's rates and its amount.

use super::{BuyerShare, Family, Savings};

pub(super) fn savings(
    annual: i64,
    family: &Family,
    buyers: &[BuyerShare],
    duration: u32,
    duration_source: &str,
) -> Savings {
    let rate = |percent: u32| annual.saturating_mul(i64::from(percent)) / 100;
    let without_amount = buyers
        .iter()
        .flat_map(|b| &b.contracts)
        .filter(|c| c.amount_cents.is_none())
        .count();
    let mut assumptions = vec![
        format!(
            "Taux de {} à {} % appliqué au montant annuel cumulé, famille « {} » ; source : {}.",
            family.savings_low_percent, family.savings_high_percent, family.label, family.source
        ),
        "Montant annuel d'un contrat : son montant après modifications × 12 / sa durée en mois \
         (un contrat de moins d'un an compte pour une année) ; pour un accord-cadre, c'est le \
         montant maximum publié."
            .to_owned(),
        format!("Durée proposée pour le marché mutualisé : {duration} mois ({duration_source})."),
        "L'économie baisse là où l'offre est concentrée (peu de fournisseurs) ; elle n'est pas \
         garantie et se vérifie à l'attribution."
            .to_owned(),
    ];
    if without_amount > 0 {
        assumptions.push(format!(
            "{without_amount} contrat(s) sans montant publié comptent pour 0 €."
        ));
    }
    Savings {
        low_cents: rate(family.savings_low_percent),
        high_cents: rate(family.savings_high_percent),
        low_percent: family.savings_low_percent,
        high_percent: family.savings_high_percent,
        source: family.source.clone(),
        assumptions,
    }
}

/// 0 at 10 000 € a year or less, 1 at 10 M€ a year or more, logarithmic in between.
pub(super) fn amount_factor(annual_cents: i64) -> f64 {
    let euros = annual_cents as f64 / 100.0;
    if euros <= 10_000.0 {
        return 0.0;
    }
    ((euros / 10_000.0).log10() / 3.0).clamp(0.0, 1.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amount_factor_is_logarithmic_between_ten_thousand_and_ten_million() {
        assert_eq!(amount_factor(1_000_000), 0.0);
        assert!((amount_factor(1_000_000_000) - 1.0).abs() < 1e-9);
        let mid = amount_factor(31_622_777); // ~316 k€: halfway on a log scale
        assert!((mid - 0.5).abs() < 0.01, "{mid}");
    }
}
