//! The closed vocabularies of DECP, written once: each list of values of the DECP 2.0 schema
//! (`schema_decp_v2.0.3.json`, identical in `schema_decp_v2.0.2.xsd`) is an enum whose
//! variants carry their 2.0 code, the DECP 1.x labels read as that value (schema 1.5 and the
//! legacy 1.4 labels still found in 2019 files) and the French label the pages show.
//!
//! The DECP reader, the DECP writer and the pages all go through these enums:
//! [`Vocabulary::read_decp2`] and [`Vocabulary::read_decp1`] turn a published label into a
//! domain [`Label`] (the 1.x label kept beside its 2.0 value when they differ),
//! [`Vocabulary::write_decp2`] gives back the code a label publishes under, and the `CODES`
//! of each enum are the choices of the forms and filters.
//!
//! The codes are the schema's values, letter for letter: they are what the contracts keep (and
//! the database stores, in `contracts.procedure`, `nature`, `price_form`…) and what an export
//! writes, so a code never changes. The lists of a marché and of a concession differ for the
//! nature, the procedure and the social considerations: those enums also say which values
//! belong to which kind of contract ([`Vocabulary::applies_to`]).

use mutualis_domain::ContractKind;
use mutualis_domain::contract::Label;

/// A closed list of values of DECP. Implemented by `vocabulary!` for each list.
pub trait Vocabulary: Copy + PartialEq + Sized + 'static {
    /// Every value, in the order of the DECP 2.0 schema (a marché's values first where the
    /// two kinds of contract have their own).
    const ALL: &'static [Self];
    /// DECP 1.x labels that name a value under another name, with that value.
    const DECP1_LABELS: &'static [(&'static str, Self)] = &[];
    /// DECP 1.x labels that have no DECP 2.0 value: read and kept as published (a
    /// [`Label`] without value), never written to DECP 2.0.
    const DECP1_UNMAPPED: &'static [&'static str] = &[];

    /// The DECP 2.0 code, as the schema spells it.
    fn code(self) -> &'static str;

    /// What the pages show. DECP's values are French legal terms, shown as they are.
    fn label_fr(self) -> &'static str {
        self.code()
    }

    /// Whether the value is in the list of a contract of `kind`.
    fn applies_to(self, _kind: ContractKind) -> bool {
        true
    }

    /// The value of a DECP 2.0 code, whatever the kind of contract.
    fn from_code(code: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|v| v.code() == code)
    }

    /// The value of a DECP 2.0 code in the list of a contract of `kind`.
    fn from_code_for(kind: ContractKind, code: &str) -> Option<Self> {
        Self::from_code(code).filter(|v| v.applies_to(kind))
    }

    /// A label as DECP 2.0 publishes it: one of the values of `kind`.
    fn read_decp2(kind: ContractKind, text: &str) -> Option<Label> {
        Self::from_code_for(kind, text).map(|v| Label::v2(v.code()))
    }

    /// A label as DECP 1.x publishes it: a 2.0 value of `kind` (some 1.x files already use
    /// them), a 1.x label of a value of `kind` (the 1.x label kept beside it), or a 1.x label
    /// without 2.0 value (kept alone).
    fn read_decp1(kind: ContractKind, text: &str) -> Option<Label> {
        if let Some(label) = Self::read_decp2(kind, text) {
            return Some(label);
        }
        if let Some((_, v)) = Self::DECP1_LABELS
            .iter()
            .find(|(label, v)| *label == text && v.applies_to(kind))
        {
            return Some(Label {
                value: Some(v.code().to_owned()),
                original: Some(text.to_owned()),
            });
        }
        Self::DECP1_UNMAPPED.contains(&text).then(|| Label {
            value: None,
            original: Some(text.to_owned()),
        })
    }

    /// The code a contract of `kind` publishes `label` under in DECP 2.0, if its value is in
    /// that kind's list.
    fn write_decp2(kind: ContractKind, label: &Label) -> Option<&'static str> {
        Self::from_code_for(kind, label.value.as_deref()?).map(Self::code)
    }

    /// What the pages show of a contract's label: the French label of its value, else the
    /// label as published.
    fn shown(label: &Label) -> Option<&str> {
        match label.value.as_deref().and_then(Self::from_code) {
            Some(v) => Some(v.label_fr()),
            None => label.display(),
        }
    }
}

/// An enum of a DECP list: `Variant = "code" or "1.x label" …` for each value, then, for the
/// lists a marché and a concession do not share, the values of each kind; for a list with 1.x
/// labels that have no 2.0 value, those labels.
macro_rules! vocabulary {
    (
        $(#[$meta:meta])*
        pub enum $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident = $code:literal $(or $decp1:literal)* , )+
        }
        $( decp1_unmapped: [$($unmapped:literal),+ $(,)?] )?
    ) => {
        vocabulary!(@enum $(#[$meta])* $name { $( $(#[$vmeta])* $variant = $code, )+ });

        impl Vocabulary for $name {
            const ALL: &'static [$name] = $name::ALL;
            const DECP1_LABELS: &'static [(&'static str, $name)] =
                &[$($(($decp1, $name::$variant),)*)+];
            $( const DECP1_UNMAPPED: &'static [&'static str] = &[$($unmapped),+]; )?

            fn code(self) -> &'static str {
                $name::code(self)
            }
        }
    };
    (
        $(#[$meta:meta])*
        pub enum $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident = $code:literal $(or $decp1:literal)* , )+
        }
        marche: [$($marche:ident),+ $(,)?]
        concession: [$($concession:ident),+ $(,)?]
    ) => {
        vocabulary!(@enum $(#[$meta])* $name { $( $(#[$vmeta])* $variant = $code, )+ });

        impl $name {
            /// The values of a marché, in the schema's order.
            pub const MARCHE: &'static [$name] = &[$($name::$marche),+];
            /// The values of a contrat de concession, in the schema's order.
            pub const CONCESSION: &'static [$name] = &[$($name::$concession),+];
            /// The codes of a marché, in the schema's order.
            pub const MARCHE_CODES: &'static [&'static str] = &[$($name::$marche.code()),+];
            /// The codes of a contrat de concession, in the schema's order.
            pub const CONCESSION_CODES: &'static [&'static str] =
                &[$($name::$concession.code()),+];

            /// The values of a contract of `kind`.
            pub fn of(kind: ContractKind) -> &'static [$name] {
                match kind {
                    ContractKind::Marche => $name::MARCHE,
                    ContractKind::Concession => $name::CONCESSION,
                }
            }

            /// The codes of a contract of `kind`.
            pub fn codes_of(kind: ContractKind) -> &'static [&'static str] {
                match kind {
                    ContractKind::Marche => $name::MARCHE_CODES,
                    ContractKind::Concession => $name::CONCESSION_CODES,
                }
            }
        }

        impl Vocabulary for $name {
            const ALL: &'static [$name] = $name::ALL;
            const DECP1_LABELS: &'static [(&'static str, $name)] =
                &[$($(($decp1, $name::$variant),)*)+];

            fn code(self) -> &'static str {
                $name::code(self)
            }

            fn applies_to(self, kind: ContractKind) -> bool {
                $name::of(kind).contains(&self)
            }
        }
    };
    (@enum $(#[$meta:meta])* $name:ident { $( $(#[$vmeta:meta])* $variant:ident = $code:literal, )+ }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name {
            $( $(#[$vmeta])* $variant, )+
        }

        impl $name {
            /// Every value, in the schema's order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];
            /// Every code, in the schema's order: the choices of a form.
            pub const CODES: &'static [&'static str] = &[$($code),+];

            /// The DECP 2.0 code, as the schema spells it.
            pub const fn code(self) -> &'static str {
                match self {
                    $( $name::$variant => $code, )+
                }
            }
        }
    };
}

vocabulary! {
    /// `nature`: what kind of marché or concession the contract is.
    pub enum Nature {
        Marche = "Marché"
            // Techniques in 2.0, not natures: the marché is a "Marché".
            or "Accord-cadre" or "Marché subséquent",
        Partnership = "Marché de partenariat",
        DefenceOrSecurity = "Marché de défense ou de sécurité",
        WorksConcession = "Concession de travaux",
        ServiceConcession = "Concession de service",
        PublicServiceConcession = "Concession de service public",
        PublicServiceDelegation = "Délégation de service public",
    }
    marche: [Marche, Partnership, DefenceOrSecurity]
    concession: [
        WorksConcession,
        ServiceConcession,
        PublicServiceConcession,
        PublicServiceDelegation,
    ]
}

vocabulary! {
    /// `procedure`: how the contract was awarded. The 1.4 labels (arrêté of 14 April 2017)
    /// were renamed by 1.5 and 2.0.
    pub enum Procedure {
        Adapted = "Procédure adaptée",
        OpenTender = "Appel d'offres ouvert",
        RestrictedTender = "Appel d'offres restreint",
        Negotiated = "Procédure avec négociation"
            or "Procédure concurrentielle avec négociation"
            or "Procédure négociée avec mise en concurrence préalable",
        WithoutPublicity = "Marché passé sans publicité ni mise en concurrence préalable"
            or "Marché négocié sans publicité ni mise en concurrence préalable"
            or "Procédure négociée sans publicité préalable"
            or "Procédure négociée sans publicité ni mise en concurrence préalable",
        CompetitiveDialogue = "Dialogue compétitif",
        NegotiatedOpen = "Procédure négociée ouverte",
        NonNegotiatedOpen = "Procédure non négociée ouverte",
        NegotiatedRestricted = "Procédure négociée restreinte",
        NonNegotiatedRestricted = "Procédure non négociée restreinte",
    }
    marche: [
        Adapted,
        OpenTender,
        RestrictedTender,
        Negotiated,
        WithoutPublicity,
        CompetitiveDialogue,
    ]
    concession: [
        NegotiatedOpen,
        NonNegotiatedOpen,
        NegotiatedRestricted,
        NonNegotiatedRestricted,
    ]
}

vocabulary! {
    /// `formePrix`: how a marché's price is set.
    pub enum PriceForm {
        Unit = "Unitaire",
        Flat = "Forfaitaire",
        Mixed = "Mixte",
    }
    // The 1.x values say how the price varies, which 2.0 publishes as `typesPrix`, not
    // `formePrix`: they are kept as the original label only.
    decp1_unmapped: ["Ferme", "Révisable", "Ferme et actualisable"]
}

vocabulary! {
    /// `techniques`: the techniques of purchase a marché uses.
    pub enum Technique {
        FrameworkAgreement = "Accord-cadre",
        DesignContest = "Concours",
        QualificationSystem = "Système de qualification",
        DynamicPurchasingSystem = "Système d'acquisition dynamique",
        ElectronicCatalogue = "Catalogue électronique",
        ElectronicAuction = "Enchère électronique",
        NotApplicable = "Sans objet",
    }
}

vocabulary! {
    /// `modalitesExecution`: how a marché is carried out.
    pub enum ExecutionMode {
        Tranches = "Tranches",
        PurchaseOrders = "Bons de commande",
        SubsequentContracts = "Marchés subséquents",
        NotApplicable = "Sans objet",
    }
}

vocabulary! {
    /// `ccag`: the general administrative terms (cahier des clauses administratives
    /// générales) a marché refers to.
    pub enum Ccag {
        Works = "Travaux",
        ProjectManagement = "Maitrise d'œuvre",
        SuppliesAndServices = "Fournitures courantes et services",
        Industrial = "Marchés industriels",
        IntellectualServices = "Prestations intellectuelles",
        InformationTechnology = "Techniques de l'information et de la communication",
        NoCcag = "Pas de CCAG",
    }
}

vocabulary! {
    /// `typeGroupementOperateurs`: how the titulaires of a marché are bound together.
    pub enum OperatorGrouping {
        Joint = "Conjoint",
        JointAndSeveral = "Solidaire",
        NoGrouping = "Pas de groupement",
    }
}

vocabulary! {
    /// `typesPrix`: whether a marché's prices are final, and how they vary.
    pub enum PriceType {
        FinalFirm = "Définitif ferme",
        FinalAdjustable = "Définitif actualisable",
        FinalRevisable = "Définitif révisable",
        Provisional = "Provisoire",
    }
}

vocabulary! {
    /// `variationPrix` of a subcontracting act.
    pub enum PriceVariation {
        Firm = "Ferme",
        Adjustable = "Actualisable",
        Revisable = "Révisable",
    }
}

vocabulary! {
    /// `considerationsSociales`.
    pub enum SocialConsideration {
        SocialClause = "Clause sociale",
        SocialCriterion = "Critère social",
        ReservedMarche = "Marché réservé",
        ReservedConcession = "Concession réservée",
        NoSocialConsideration = "Pas de considération sociale",
    }
    marche: [SocialClause, SocialCriterion, ReservedMarche, NoSocialConsideration]
    concession: [
        SocialClause,
        SocialCriterion,
        ReservedConcession,
        NoSocialConsideration,
    ]
}

vocabulary! {
    /// `considerationsEnvironnementales`.
    pub enum EnvironmentalConsideration {
        EnvironmentalClause = "Clause environnementale",
        EnvironmentalCriterion = "Critère environnemental",
        NoEnvironmentalConsideration = "Pas de considération environnementale",
    }
}

vocabulary! {
    /// `lieuExecution.typeCode`: what kind of code the place of execution is.
    pub enum PlaceCodeType {
        PostalCode = "Code postal",
        Commune = "Code commune",
        Arrondissement = "Code arrondissement",
        Canton = "Code canton",
        Departement = "Code département",
        Region = "Code région",
        Country = "Code pays",
    }
}

vocabulary! {
    /// `typeIdentifiant`: the scheme of an operator's identifier.
    pub enum IdentifierScheme {
        Siret = "SIRET",
        Vat = "TVA",
        Tahiti = "TAHITI",
        Ridet = "RIDET",
        Frwf = "FRWF",
        Irep = "IREP",
        OutsideEu = "HORS-UE",
    }
    // DECP 1.x also had "UE" (an identifier from another EU member state), which 2.0 dropped.
    decp1_unmapped: ["UE"]
}

impl Nature {
    /// Natures some DECP 1.x publishers wrote outside the 1.x lists, whose value is clear:
    /// read as that value with a repair noted (beyond case, accents and spacing, which are
    /// always forgiven in 1.x).
    pub const DECP1_VARIANTS: &'static [(&'static str, Nature)] = &[
        ("Marché public", Nature::Marche),
        ("Marché subséquent d'accord-cadre", Nature::Marche),
    ];
}

impl Procedure {
    /// Procedures some DECP 1.x publishers wrote outside the 1.x lists (the 2016–2019
    /// labels reworded), whose value is clear: read as that value with a repair noted.
    pub const DECP1_VARIANTS: &'static [(&'static str, Procedure)] = &[
        (
            "Marché public négocié sans publicité ni mise en concurrence préalable",
            Procedure::WithoutPublicity,
        ),
        (
            "Marché négocié sans publicité préalable",
            Procedure::WithoutPublicity,
        ),
        (
            "Procédure négociée sans mise en concurrence préalable",
            Procedure::WithoutPublicity,
        ),
        (
            "Procédure négociée avec publicité et mise en concurrence préalable",
            Procedure::Negotiated,
        ),
        (
            "Procédure négociée avec publicité préalable",
            Procedure::Negotiated,
        ),
        ("Procédure concurrentielle négociée", Procedure::Negotiated),
        ("Appel d'offre ouvert", Procedure::OpenTender),
        ("Appel d'offre restreint", Procedure::RestrictedTender),
        ("Marché à procédure adaptée", Procedure::Adapted),
        ("MAPA", Procedure::Adapted),
    ];
}

impl IdentifierScheme {
    /// Whether DECP 1.x (`decp1`) or 2.0 has this `typeIdentifiant`: an operator keeps it as
    /// published.
    pub fn is_published_scheme(decp1: bool, text: &str) -> bool {
        IdentifierScheme::from_code(text).is_some()
            || decp1 && IdentifierScheme::DECP1_UNMAPPED.contains(&text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use mutualis_domain::ContractKind::{Concession, Marche};

    fn mapped(value: &str, original: &str) -> Option<Label> {
        Some(Label {
            value: Some(value.into()),
            original: Some(original.into()),
        })
    }

    fn unmapped(original: &str) -> Option<Label> {
        Some(Label {
            value: None,
            original: Some(original.into()),
        })
    }

    /// Every value's code reads back as that value, written as it was read, in both
    /// versions, for each kind whose list holds it (and only those).
    fn round_trips<V: Vocabulary + std::fmt::Debug>() {
        for &v in V::ALL {
            assert_eq!(V::from_code(v.code()), Some(v), "{v:?}");
            assert!(!v.label_fr().is_empty(), "{v:?}");
            for kind in [Marche, Concession] {
                let label = V::read_decp2(kind, v.code());
                assert_eq!(label, V::read_decp1(kind, v.code()), "{v:?}");
                if v.applies_to(kind) {
                    assert_eq!(label, Some(Label::v2(v.code())), "{v:?}");
                    let label = label.unwrap_or_else(|| panic!("{v:?}"));
                    assert_eq!(V::write_decp2(kind, &label), Some(v.code()), "{v:?}");
                    assert_eq!(V::shown(&label), Some(v.label_fr()), "{v:?}");
                } else {
                    assert_eq!(label, None, "{v:?} {kind:?}");
                    assert_eq!(V::write_decp2(kind, &Label::v2(v.code())), None);
                }
            }
        }
        let codes: Vec<&str> = V::ALL.iter().map(|v| v.code()).collect();
        for (i, code) in codes.iter().enumerate() {
            assert!(!codes[..i].contains(code), "{code} twice");
        }
        for kind in [Marche, Concession] {
            assert_eq!(V::read_decp2(kind, "Autre"), None);
            assert_eq!(V::read_decp1(kind, "Autre"), None);
        }
    }

    #[test]
    fn every_code_round_trips() {
        macro_rules! round_trip {
            ($($v:ty),+) => { $( round_trips::<$v>(); )+ };
        }
        round_trip!(Nature, Procedure, PriceForm, Technique, ExecutionMode, Ccag);
        round_trip!(OperatorGrouping, PriceType, PriceVariation, PlaceCodeType);
        round_trip!(
            SocialConsideration,
            EnvironmentalConsideration,
            IdentifierScheme
        );
        assert_eq!(
            Procedure::CODES,
            [Procedure::MARCHE_CODES, Procedure::CONCESSION_CODES].concat()
        );
        assert_eq!(
            Nature::CODES,
            [Nature::MARCHE_CODES, Nature::CONCESSION_CODES].concat()
        );
    }

    /// The 1.x labels read before these enums, each to the same label, and no other.
    #[test]
    fn decp1_labels_map_as_before() {
        let without_publicity = "Marché passé sans publicité ni mise en concurrence préalable";
        let negotiated = "Procédure avec négociation";
        let procedures = [
            (
                "Marché négocié sans publicité ni mise en concurrence préalable",
                without_publicity,
            ),
            (
                "Procédure négociée sans publicité préalable",
                without_publicity,
            ),
            (
                "Procédure négociée sans publicité ni mise en concurrence préalable",
                without_publicity,
            ),
            ("Procédure concurrentielle avec négociation", negotiated),
            (
                "Procédure négociée avec mise en concurrence préalable",
                negotiated,
            ),
        ];
        for (label, value) in procedures {
            assert_eq!(
                Procedure::read_decp1(Marche, label),
                mapped(value, label),
                "{label}"
            );
            assert_eq!(Procedure::read_decp1(Concession, label), None, "{label}");
            assert_eq!(Procedure::read_decp2(Marche, label), None, "{label}");
        }
        assert_eq!(Procedure::DECP1_LABELS.len(), procedures.len());
        for label in ["Accord-cadre", "Marché subséquent"] {
            assert_eq!(
                Nature::read_decp1(Marche, label),
                mapped("Marché", label),
                "{label}"
            );
            assert_eq!(Nature::read_decp1(Concession, label), None, "{label}");
            assert_eq!(Nature::read_decp2(Marche, label), None, "{label}");
        }
        assert_eq!(Nature::DECP1_LABELS.len(), 2);
        for label in ["Ferme", "Révisable", "Ferme et actualisable"] {
            let read = PriceForm::read_decp1(Marche, label);
            assert_eq!(read, unmapped(label), "{label}");
            assert_eq!(PriceForm::read_decp2(Marche, label), None, "{label}");
            // Shown as published, never written.
            let read = read.unwrap_or_else(|| panic!("{label}"));
            assert_eq!(PriceForm::shown(&read), Some(label));
            assert_eq!(PriceForm::write_decp2(Marche, &read), None);
        }
        // A concession's procedure is not a marché's, nor the reverse.
        assert_eq!(
            Procedure::read_decp1(Marche, "Procédure négociée ouverte"),
            None
        );
        assert_eq!(
            Procedure::read_decp1(Concession, "Procédure négociée ouverte"),
            Some(Label::v2("Procédure négociée ouverte"))
        );
        assert_eq!(Procedure::read_decp1(Concession, "Procédure adaptée"), None);
        // A mapped label is written under its 2.0 value.
        let read =
            Procedure::read_decp1(Marche, procedures[1].0).unwrap_or_else(|| panic!("mapped"));
        assert_eq!(
            Procedure::write_decp2(Marche, &read),
            Some(without_publicity)
        );
        // "UE" was a 1.x identifier scheme only; schemes are written in capitals.
        assert!(IdentifierScheme::is_published_scheme(true, "UE"));
        assert!(!IdentifierScheme::is_published_scheme(false, "UE"));
        assert!(IdentifierScheme::is_published_scheme(false, "HORS-UE"));
        assert!(!IdentifierScheme::is_published_scheme(true, "siret"));
    }

    /// The lists are the official schema's, value for value and in its order: the codes a
    /// contract keeps and an export writes.
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
            (format!("{m}/properties/nature/enum"), Nature::MARCHE_CODES),
            (
                format!("{m}/properties/procedure/enum"),
                Procedure::MARCHE_CODES,
            ),
            (format!("{m}/properties/ccag/enum"), Ccag::CODES),
            (
                format!("{m}/properties/typeGroupementOperateurs/enum"),
                OperatorGrouping::CODES,
            ),
            (format!("{m}/properties/formePrix/enum"), PriceForm::CODES),
            (
                format!("{m}/properties/lieuExecution/properties/typeCode/enum"),
                PlaceCodeType::CODES,
            ),
            (
                format!("{m}/definitions/techniqueArray/items/enum"),
                Technique::CODES,
            ),
            (
                format!("{m}/definitions/modaliteExecutionArray/items/enum"),
                ExecutionMode::CODES,
            ),
            (
                format!("{m}/definitions/typePrixArray/items/enum"),
                PriceType::CODES,
            ),
            (
                format!("{m}/definitions/considerationSocialeArray/items/enum"),
                SocialConsideration::MARCHE_CODES,
            ),
            (
                format!("{m}/definitions/considerationEnvironnementaleArray/items/enum"),
                EnvironmentalConsideration::CODES,
            ),
            (
                format!("{m}/definitions/Titulaire/properties/typeIdentifiant/enum"),
                IdentifierScheme::CODES,
            ),
            (
                format!("{m}/definitions/ActeSousTraitance/properties/variationPrix/enum"),
                PriceVariation::CODES,
            ),
            (
                format!("{c}/properties/nature/enum"),
                Nature::CONCESSION_CODES,
            ),
            (
                format!("{c}/properties/procedure/enum"),
                Procedure::CONCESSION_CODES,
            ),
            (
                format!("{c}/definitions/considerationSocialeArray/items/enum"),
                SocialConsideration::CONCESSION_CODES,
            ),
        ];
        for (pointer, list) in cases {
            assert_eq!(at(pointer), *list, "{pointer}");
        }
    }
}
