//! Award criteria: what the offers are scored on, each with its weight, stated in the
//! consultation before the first bid.
//!
//! The law, as far as this file is concerned:
//! - R2152-7: the buyer awards on one criterion or on several weighted ones; since the
//!   consultations launched from 21 August 2026 (décret 2022-767), a single criterion may only
//!   be the cost, determined by a global approach (life-cycle cost…) that takes the offer's
//!   environmental characteristics into account — the price alone no longer is.
//! - L2152-7 (loi 2021-1104, art. 35): from the same date, at least one criterion takes the
//!   offer's environmental characteristics into account.
//! - R2152-12: in formal procedures the criteria are weighted. Mutualis weights them always:
//!   the weights, in whole percent, add up to 100, and each criterion's sub-criteria add up to
//!   its weight, so that the method is stated whole before the first bid.
//!
//! The date the rule applies from is data (`data/rules/rules.toml`, kind
//! `environmental_criterion_mandatory`); [`Criteria::problems`] reads it from the
//! [`RuleBook`] for the launch date it is given.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::rules::RuleBook;

/// What the weights of a consultation's criteria add up to.
pub const WEIGHT_TOTAL: u32 = 100;

/// What a criterion scores.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CriterionKind {
    /// The price of the offer.
    Price,
    /// The cost by a global approach (life-cycle cost…), which takes the offer's
    /// environmental characteristics into account (R2152-7): the only single criterion
    /// allowed since 21 August 2026.
    GlobalCost,
    /// Technical value (methodology, means, deadlines…).
    Technical,
    /// Environmental performance of the offer.
    Environmental,
    /// Social considerations (insertion, working conditions…).
    Social,
    /// Any other criterion linked to the object of the contract.
    Other,
}

impl CriterionKind {
    pub const ALL: [CriterionKind; 6] = [
        CriterionKind::Price,
        CriterionKind::GlobalCost,
        CriterionKind::Technical,
        CriterionKind::Environmental,
        CriterionKind::Social,
        CriterionKind::Other,
    ];

    pub fn code(self) -> &'static str {
        match self {
            CriterionKind::Price => "price",
            CriterionKind::GlobalCost => "global_cost",
            CriterionKind::Technical => "technical",
            CriterionKind::Environmental => "environmental",
            CriterionKind::Social => "social",
            CriterionKind::Other => "other",
        }
    }

    pub fn from_code(code: &str) -> Option<CriterionKind> {
        CriterionKind::ALL.into_iter().find(|k| k.code() == code)
    }

    pub fn label_fr(self) -> &'static str {
        match self {
            CriterionKind::Price => "prix",
            CriterionKind::GlobalCost => "coût global (cycle de vie)",
            CriterionKind::Technical => "valeur technique",
            CriterionKind::Environmental => "performance environnementale",
            CriterionKind::Social => "considérations sociales",
            CriterionKind::Other => "autre critère",
        }
    }
}

/// One part of a criterion, scored by the evaluators.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SubCriterion {
    pub name: String,
    /// Whole percent of the total score.
    pub weight: u32,
    /// Whether it scores the offer's environmental characteristics.
    #[serde(default)]
    pub environmental: bool,
}

/// One award criterion.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Criterion {
    pub kind: CriterionKind,
    /// As the consultation rules state it ("Valeur technique", "Délai de livraison"…).
    pub name: String,
    /// Whole percent of the total score.
    pub weight: u32,
    /// Its sub-criteria, whose weights add up to its own; empty when it is scored whole.
    #[serde(default)]
    pub sub_criteria: Vec<SubCriterion>,
}

impl Criterion {
    /// Whether it takes the offer's environmental characteristics into account (L2152-7): an
    /// environmental criterion, a global cost, or a criterion with an environmental
    /// sub-criterion.
    pub fn is_environmental(&self) -> bool {
        matches!(
            self.kind,
            CriterionKind::Environmental | CriterionKind::GlobalCost
        ) || self
            .sub_criteria
            .iter()
            .any(|s| s.environmental && s.weight > 0)
    }
}

/// The award criteria of a consultation (of each of its lots, when they share them).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Criteria(pub Vec<Criterion>);

impl Criteria {
    /// Every reason why these criteria cannot be published for a consultation launched on
    /// `launched_on`, in French; empty when they can.
    pub fn problems(&self, rules: &RuleBook, launched_on: NaiveDate) -> Vec<String> {
        let mut problems = Vec::new();
        let criteria = &self.0;
        if criteria.is_empty() {
            problems.push("aucun critère d'attribution n'est indiqué (R2152-7)".to_owned());
            return problems;
        }
        for (i, c) in criteria.iter().enumerate() {
            let n = i + 1;
            if c.name.trim().is_empty() {
                problems.push(format!("le critère n° {n} n'a pas de nom"));
            }
            if c.weight == 0 {
                problems.push(format!(
                    "le critère « {} » a un poids nul : un critère annoncé compte",
                    c.name.trim()
                ));
            }
            if !c.sub_criteria.is_empty() {
                let sum: u32 = c.sub_criteria.iter().map(|s| s.weight).sum();
                if sum != c.weight {
                    problems.push(format!(
                        "les sous-critères de « {} » pèsent {sum} % au total, son poids est de {} %",
                        c.name.trim(),
                        c.weight
                    ));
                }
                for s in &c.sub_criteria {
                    if s.name.trim().is_empty() {
                        problems.push(format!(
                            "un sous-critère de « {} » n'a pas de nom",
                            c.name.trim()
                        ));
                    }
                }
            }
        }
        let total: u32 = criteria.iter().map(|c| c.weight).sum();
        if total != WEIGHT_TOTAL {
            problems.push(format!(
                "les poids des critères font {total} % au total, ils doivent faire {WEIGHT_TOTAL} %"
            ));
        }
        let prices = criteria
            .iter()
            .filter(|c| matches!(c.kind, CriterionKind::Price | CriterionKind::GlobalCost))
            .count();
        if prices > 1 {
            problems.push(
                "le prix ou le coût global est indiqué plusieurs fois : un seul critère les note"
                    .to_owned(),
            );
        }
        if let Some(rule) = rules.environmental_criterion_rule(launched_on) {
            let since = crate::rules::date_label(rule.from);
            if let [single] = &criteria[..] {
                if single.kind != CriterionKind::GlobalCost {
                    problems.push(format!(
                        "un critère unique n'est possible que s'il est le coût global, qui prend en \
                         compte les caractéristiques environnementales de l'offre, pour une \
                         consultation lancée depuis le {since} (R2152-7 ; {})",
                        rule.source
                    ));
                }
            } else if !criteria.iter().any(Criterion::is_environmental) {
                problems.push(format!(
                    "aucun critère ne prend en compte les caractéristiques environnementales de \
                     l'offre, obligatoire pour une consultation lancée depuis le {since} ({})",
                    rule.source
                ));
            }
        }
        problems
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::{Rule, RuleKind};

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    /// The rule as `data/rules/rules.toml` states it (the reference crate's test reads the
    /// file itself).
    fn book() -> RuleBook {
        RuleBook::new(vec![Rule {
            id: "environmental-criterion-2026".into(),
            kind: RuleKind::EnvironmentalCriterionMandatory,
            nature: None,
            buyer: None,
            value: None,
            value_text: Some("au moins un critère environnemental".into()),
            from: d(2026, 8, 21),
            until: None,
            source: "L2152-7 et R2152-7 CCP ; décret 2022-767".into(),
            note: None,
        }])
        .unwrap()
    }

    fn criterion(kind: CriterionKind, name: &str, weight: u32) -> Criterion {
        Criterion {
            kind,
            name: name.into(),
            weight,
            sub_criteria: Vec::new(),
        }
    }

    fn price_and_technical() -> Criteria {
        Criteria(vec![
            criterion(CriterionKind::Price, "Prix", 60),
            criterion(CriterionKind::Technical, "Valeur technique", 40),
        ])
    }

    #[test]
    fn without_an_environmental_criterion_a_consultation_is_refused_from_21_august_2026() {
        let criteria = price_and_technical();
        assert_eq!(
            criteria.problems(&book(), d(2026, 8, 20)),
            Vec::<String>::new()
        );
        let refused = criteria.problems(&book(), d(2026, 8, 21));
        assert_eq!(refused.len(), 1, "{refused:?}");
        assert!(refused[0].contains("caractéristiques environnementales"));
        assert!(refused[0].contains("21/08/2026"), "{}", refused[0]);
        assert!(refused[0].contains("L2152-7"), "{}", refused[0]);
    }

    #[test]
    fn an_environmental_criterion_or_sub_criterion_satisfies_the_rule() {
        let with_criterion = Criteria(vec![
            criterion(CriterionKind::Price, "Prix", 50),
            criterion(CriterionKind::Technical, "Valeur technique", 35),
            criterion(
                CriterionKind::Environmental,
                "Performance environnementale",
                15,
            ),
        ]);
        assert_eq!(
            with_criterion.problems(&book(), d(2026, 12, 7)),
            Vec::<String>::new()
        );
        let mut with_sub = price_and_technical();
        with_sub.0[1].sub_criteria = vec![
            SubCriterion {
                name: "Méthodologie".into(),
                weight: 30,
                environmental: false,
            },
            SubCriterion {
                name: "Gestion des déchets du chantier".into(),
                weight: 10,
                environmental: true,
            },
        ];
        assert_eq!(
            with_sub.problems(&book(), d(2026, 12, 7)),
            Vec::<String>::new()
        );
        // An environmental sub-criterion of weight 0 counts for nothing.
        with_sub.0[1].sub_criteria[0].weight = 40;
        with_sub.0[1].sub_criteria[1].weight = 0;
        assert_eq!(with_sub.problems(&book(), d(2026, 12, 7)).len(), 1);
    }

    #[test]
    fn a_single_criterion_must_be_the_global_cost_from_21_august_2026() {
        let price_only = Criteria(vec![criterion(CriterionKind::Price, "Prix", 100)]);
        assert_eq!(
            price_only.problems(&book(), d(2026, 8, 20)),
            Vec::<String>::new()
        );
        let refused = price_only.problems(&book(), d(2026, 8, 21));
        assert_eq!(refused.len(), 1, "{refused:?}");
        assert!(refused[0].contains("coût global"), "{}", refused[0]);
        assert!(refused[0].contains("R2152-7"), "{}", refused[0]);
        let cost = Criteria(vec![criterion(
            CriterionKind::GlobalCost,
            "Coût du cycle de vie",
            100,
        )]);
        assert_eq!(cost.problems(&book(), d(2026, 8, 21)), Vec::<String>::new());
        // A single environmental criterion is no award on the offers' value for money.
        let env_only = Criteria(vec![criterion(
            CriterionKind::Environmental,
            "Performance environnementale",
            100,
        )]);
        assert_eq!(env_only.problems(&book(), d(2026, 8, 21)).len(), 1);
    }

    #[test]
    fn weights_add_up_to_100_and_sub_criteria_to_their_criterion() {
        let mut c = price_and_technical();
        c.0[0].weight = 70;
        let p = c.problems(&book(), d(2026, 1, 5));
        assert_eq!(
            p,
            ["les poids des critères font 110 % au total, ils doivent faire 100 %"]
        );
        let mut c = price_and_technical();
        c.0[1].sub_criteria = vec![SubCriterion {
            name: "Méthodologie".into(),
            weight: 30,
            environmental: false,
        }];
        let p = c.problems(&book(), d(2026, 1, 5));
        assert_eq!(
            p,
            [
                "les sous-critères de « Valeur technique » pèsent 30 % au total, son poids est de 40 %"
            ]
        );
        let none = Criteria::default().problems(&book(), d(2026, 1, 5));
        assert_eq!(none.len(), 1);
        let mut zero = price_and_technical();
        zero.0.push(criterion(CriterionKind::Other, "Délai", 0));
        assert_eq!(zero.problems(&book(), d(2026, 1, 5)).len(), 1);
        let mut twice = price_and_technical();
        twice.0[1].kind = CriterionKind::GlobalCost;
        assert_eq!(twice.problems(&book(), d(2026, 1, 5)).len(), 1);
    }

    #[test]
    fn kinds_have_stable_codes() {
        for k in CriterionKind::ALL {
            assert_eq!(CriterionKind::from_code(k.code()), Some(k));
            assert!(!k.label_fr().is_empty());
        }
        assert_eq!(CriterionKind::from_code("prix"), None);
    }
}
