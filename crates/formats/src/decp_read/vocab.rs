//! The closed vocabularies of DECP: the 2.0 lists (`schema_decp_v2.0.3.json`, identical in
//! `schema_decp_v2.0.2.xsd`) and the 1.x labels (schema 1.5 and the legacy 1.4 values still
//! found in 2019 files), with the mapping of each 1.x label to its 2.0 value.

use mutualis_domain::ContractKind;
use mutualis_domain::contract::Label;

pub(super) const MARCHE_NATURES: &[&str] = &[
    "Marché",
    "Marché de partenariat",
    "Marché de défense ou de sécurité",
];
pub(super) const CONCESSION_NATURES: &[&str] = &[
    "Concession de travaux",
    "Concession de service",
    "Concession de service public",
    "Délégation de service public",
];
pub(super) const MARCHE_PROCEDURES: &[&str] = &[
    "Procédure adaptée",
    "Appel d'offres ouvert",
    "Appel d'offres restreint",
    "Procédure avec négociation",
    "Marché passé sans publicité ni mise en concurrence préalable",
    "Dialogue compétitif",
];
pub(super) const CONCESSION_PROCEDURES: &[&str] = &[
    "Procédure négociée ouverte",
    "Procédure non négociée ouverte",
    "Procédure négociée restreinte",
    "Procédure non négociée restreinte",
];
pub(super) const PRICE_FORMS: &[&str] = &["Unitaire", "Forfaitaire", "Mixte"];
pub(super) const TECHNIQUES: &[&str] = &[
    "Accord-cadre",
    "Concours",
    "Système de qualification",
    "Système d'acquisition dynamique",
    "Catalogue électronique",
    "Enchère électronique",
    "Sans objet",
];
pub(super) const EXECUTION_MODES: &[&str] = &[
    "Tranches",
    "Bons de commande",
    "Marchés subséquents",
    "Sans objet",
];
pub(super) const CCAG: &[&str] = &[
    "Travaux",
    "Maitrise d'œuvre",
    "Fournitures courantes et services",
    "Marchés industriels",
    "Prestations intellectuelles",
    "Techniques de l'information et de la communication",
    "Pas de CCAG",
];
pub(super) const OPERATOR_GROUPINGS: &[&str] = &["Conjoint", "Solidaire", "Pas de groupement"];
pub(super) const PRICE_TYPES: &[&str] = &[
    "Définitif ferme",
    "Définitif actualisable",
    "Définitif révisable",
    "Provisoire",
];
pub(super) const PRICE_VARIATIONS: &[&str] = &["Ferme", "Actualisable", "Révisable"];
pub(super) const MARCHE_SOCIAL: &[&str] = &[
    "Clause sociale",
    "Critère social",
    "Marché réservé",
    "Pas de considération sociale",
];
pub(super) const CONCESSION_SOCIAL: &[&str] = &[
    "Clause sociale",
    "Critère social",
    "Concession réservée",
    "Pas de considération sociale",
];
pub(super) const ENVIRONMENTAL: &[&str] = &[
    "Clause environnementale",
    "Critère environnemental",
    "Pas de considération environnementale",
];
pub(super) const PLACE_CODE_TYPES: &[&str] = &[
    "Code postal",
    "Code commune",
    "Code arrondissement",
    "Code canton",
    "Code département",
    "Code région",
    "Code pays",
];
/// DECP 2.0 operator identifier types.
pub(super) const ID_TYPES_V2: &[&str] =
    &["SIRET", "TVA", "TAHITI", "RIDET", "FRWF", "IREP", "HORS-UE"];
/// DECP 1.x also had "UE" (an identifier from another EU member state).
pub(super) const ID_TYPES_V1: &[&str] = &[
    "SIRET", "TVA", "TAHITI", "RIDET", "FRWF", "IREP", "UE", "HORS-UE",
];

/// The 2.0 natures of a kind of contract.
pub(super) fn natures(kind: ContractKind) -> &'static [&'static str] {
    match kind {
        ContractKind::Marche => MARCHE_NATURES,
        ContractKind::Concession => CONCESSION_NATURES,
    }
}

/// The 2.0 procedures of a kind of contract.
pub(super) fn procedures(kind: ContractKind) -> &'static [&'static str] {
    match kind {
        ContractKind::Marche => MARCHE_PROCEDURES,
        ContractKind::Concession => CONCESSION_PROCEDURES,
    }
}

/// The 2.0 social considerations of a kind of contract.
pub(super) fn social(kind: ContractKind) -> &'static [&'static str] {
    match kind {
        ContractKind::Marche => MARCHE_SOCIAL,
        ContractKind::Concession => CONCESSION_SOCIAL,
    }
}

/// A 2.0 value, as the 2.0 list spells it.
pub(super) fn v2_value(value: &str, allowed: &[&'static str]) -> Option<&'static str> {
    allowed.iter().copied().find(|a| *a == value)
}

/// A DECP 1.x nature mapped to 2.0: "Accord-cadre" and "Marché subséquent" are techniques in
/// 2.0, not natures, so the nature becomes "Marché" and the 1.x label is kept.
pub(super) fn v1_nature(kind: ContractKind, value: &str) -> Option<Label> {
    if let Some(v2) = v2_value(value, natures(kind)) {
        return Some(Label::v2(v2));
    }
    match (kind, value) {
        (ContractKind::Marche, "Accord-cadre" | "Marché subséquent") => {
            Some(mapped("Marché", value))
        }
        _ => None,
    }
}

/// A DECP 1.x procedure mapped to 2.0. The 1.4 labels (arrêté of 14 April 2017) were renamed
/// by 1.5 and 2.0; the 1.x label is kept beside the 2.0 one.
pub(super) fn v1_procedure(kind: ContractKind, value: &str) -> Option<Label> {
    if let Some(v2) = v2_value(value, procedures(kind)) {
        return Some(Label::v2(v2));
    }
    let v2 = match (kind, value) {
        (
            ContractKind::Marche,
            "Marché négocié sans publicité ni mise en concurrence préalable"
            | "Procédure négociée sans publicité préalable"
            | "Procédure négociée sans publicité ni mise en concurrence préalable",
        ) => "Marché passé sans publicité ni mise en concurrence préalable",
        (
            ContractKind::Marche,
            "Procédure concurrentielle avec négociation"
            | "Procédure négociée avec mise en concurrence préalable",
        ) => "Procédure avec négociation",
        _ => return None,
    };
    Some(mapped(v2, value))
}

/// A DECP 1.x price form. The 1.x values ("Ferme", "Révisable", "Ferme et actualisable") say
/// how the price varies, which 2.0 publishes as `typesPrix`, not `formePrix`: they have no 2.0
/// `formePrix` value and are kept as the original label only. The 2.0 values, found in some
/// 1.x files, are taken as they are.
pub(super) fn v1_price_form(value: &str) -> Option<Label> {
    if let Some(v2) = v2_value(value, PRICE_FORMS) {
        return Some(Label::v2(v2));
    }
    matches!(value, "Ferme" | "Révisable" | "Ferme et actualisable").then(|| Label {
        value: None,
        original: Some(value.to_owned()),
    })
}

fn mapped(v2: &str, original: &str) -> Label {
    Label {
        value: Some(v2.to_owned()),
        original: Some(original.to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn legacy_procedures_map_to_their_2_0_value_and_keep_the_original() {
        let l = v1_procedure(
            ContractKind::Marche,
            "Marché négocié sans publicité ni mise en concurrence préalable",
        )
        .unwrap_or_else(|| panic!("mapped"));
        assert_eq!(
            l.value.as_deref(),
            Some("Marché passé sans publicité ni mise en concurrence préalable")
        );
        assert_eq!(
            l.original.as_deref(),
            Some("Marché négocié sans publicité ni mise en concurrence préalable")
        );
        let same = v1_procedure(ContractKind::Marche, "Procédure adaptée");
        assert_eq!(same, Some(Label::v2("Procédure adaptée")));
        assert_eq!(
            v1_procedure(ContractKind::Marche, "Procédure négociée ouverte"),
            None
        );
        assert_eq!(
            v1_procedure(ContractKind::Concession, "Procédure négociée ouverte"),
            Some(Label::v2("Procédure négociée ouverte"))
        );
    }

    /// The 2.0 lists are the official schema's, value for value.
    #[test]
    fn lists_are_the_schema_2_0_3_enums() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/schemas/schema_decp_v2.0.3.json"
        );
        let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"));
        let schema: serde_json::Value =
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}"));
        let at = |pointer: &str| -> Vec<String> {
            let enum_ = schema
                .pointer(pointer)
                .unwrap_or_else(|| panic!("{pointer}"))
                .as_array()
                .unwrap_or_else(|| panic!("{pointer}"));
            enum_
                .iter()
                .map(|v| v.as_str().unwrap_or_default().to_owned())
                .collect()
        };
        let m = "/definitions/marche";
        let c = "/definitions/contrat-concession";
        let cases: &[(String, &[&str])] = &[
            (format!("{m}/properties/nature/enum"), MARCHE_NATURES),
            (format!("{m}/properties/procedure/enum"), MARCHE_PROCEDURES),
            (format!("{m}/properties/ccag/enum"), CCAG),
            (
                format!("{m}/properties/typeGroupementOperateurs/enum"),
                OPERATOR_GROUPINGS,
            ),
            (format!("{m}/properties/formePrix/enum"), PRICE_FORMS),
            (
                format!("{m}/properties/lieuExecution/properties/typeCode/enum"),
                PLACE_CODE_TYPES,
            ),
            (
                format!("{m}/definitions/techniqueArray/items/enum"),
                TECHNIQUES,
            ),
            (
                format!("{m}/definitions/modaliteExecutionArray/items/enum"),
                EXECUTION_MODES,
            ),
            (
                format!("{m}/definitions/typePrixArray/items/enum"),
                PRICE_TYPES,
            ),
            (
                format!("{m}/definitions/considerationSocialeArray/items/enum"),
                MARCHE_SOCIAL,
            ),
            (
                format!("{m}/definitions/considerationEnvironnementaleArray/items/enum"),
                ENVIRONMENTAL,
            ),
            (
                format!("{m}/definitions/Titulaire/properties/typeIdentifiant/enum"),
                ID_TYPES_V2,
            ),
            (
                format!("{m}/definitions/ActeSousTraitance/properties/variationPrix/enum"),
                PRICE_VARIATIONS,
            ),
            (format!("{c}/properties/nature/enum"), CONCESSION_NATURES),
            (
                format!("{c}/properties/procedure/enum"),
                CONCESSION_PROCEDURES,
            ),
            (
                format!("{c}/definitions/considerationSocialeArray/items/enum"),
                CONCESSION_SOCIAL,
            ),
        ];
        for (pointer, list) in cases {
            assert_eq!(at(pointer), *list, "{pointer}");
        }
    }

    #[test]
    fn vocabularies_have_no_duplicates() {
        for list in [
            MARCHE_NATURES,
            CONCESSION_NATURES,
            MARCHE_PROCEDURES,
            CONCESSION_PROCEDURES,
            PRICE_FORMS,
            TECHNIQUES,
            EXECUTION_MODES,
            CCAG,
            OPERATOR_GROUPINGS,
            PRICE_TYPES,
            PRICE_VARIATIONS,
            MARCHE_SOCIAL,
            CONCESSION_SOCIAL,
            ENVIRONMENTAL,
            PLACE_CODE_TYPES,
            ID_TYPES_V1,
            ID_TYPES_V2,
        ] {
            for (i, v) in list.iter().enumerate() {
                assert!(!list[..i].contains(v), "{v}");
            }
        }
    }
}
