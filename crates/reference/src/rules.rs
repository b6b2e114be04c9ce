//! The rules in force, from `data/rules/rules.toml`: one `[[rule]]` table per row of
//! PRODUCT.md §4, each with its dates and legal source. The file's columns are described in
//! its header comment.

use std::sync::OnceLock;

use chrono::NaiveDate;
use mutualis_domain::Amount;
use mutualis_domain::rules::{BuyerKind, Nature, Rule, RuleBook, RuleBookError, RuleKind};
use serde::Deserialize;

/// The rules file shipped with Mutualis, embedded at build time.
pub const RULES_TOML: &str = include_str!("../../../data/rules/rules.toml");

#[derive(Debug, thiserror::Error)]
pub enum RulesFileError {
    #[error("fichier des règles : {0}")]
    Toml(#[from] toml::de::Error),
    /// `index` counts the `[[rule]]` tables from 1; `id` is empty when the id itself is missing.
    #[error("fichier des règles, règle n° {index} « {id} », champ « {field} » : {message}")]
    Field {
        index: usize,
        id: String,
        field: &'static str,
        message: String,
    },
    #[error("fichier des règles : {0}")]
    Book(#[from] RuleBookError),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RulesFile {
    #[serde(default)]
    rule: Vec<RawRule>,
}

/// One `[[rule]]` as written; every field optional here so that a missing one is reported with
/// the rule's id.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRule {
    id: Option<String>,
    kind: Option<String>,
    nature: Option<String>,
    buyer: Option<String>,
    value_euros: Option<i64>,
    value_text: Option<String>,
    from: Option<toml::value::Datetime>,
    until: Option<toml::value::Datetime>,
    source: Option<String>,
    note: Option<String>,
}

/// Names the rule being converted, for error messages.
struct Ctx {
    index: usize,
    id: String,
}

impl Ctx {
    fn err(&self, field: &'static str, message: impl Into<String>) -> RulesFileError {
        RulesFileError::Field {
            index: self.index,
            id: self.id.clone(),
            field,
            message: message.into(),
        }
    }

    fn required<T>(&self, field: &'static str, value: Option<T>) -> Result<T, RulesFileError> {
        value.ok_or_else(|| self.err(field, "champ obligatoire manquant"))
    }

    fn date(
        &self,
        field: &'static str,
        value: toml::value::Datetime,
    ) -> Result<NaiveDate, RulesFileError> {
        let expected = || {
            self.err(
                field,
                format!("« {value} » : date attendue, sans heure, par exemple 2026-04-01"),
            )
        };
        match value {
            toml::value::Datetime {
                date: Some(date),
                time: None,
                offset: None,
            } => NaiveDate::from_ymd_opt(
                i32::from(date.year),
                u32::from(date.month),
                u32::from(date.day),
            )
            .ok_or_else(expected),
            _ => Err(expected()),
        }
    }
}

fn convert(index: usize, raw: RawRule) -> Result<Rule, RulesFileError> {
    let mut ctx = Ctx {
        index,
        id: String::new(),
    };
    let id = ctx.required("id", raw.id)?;
    ctx.id = id.clone();

    let kind_code = ctx.required("kind", raw.kind)?;
    let kind = RuleKind::from_code(&kind_code).ok_or_else(|| {
        let known: Vec<&str> = RuleKind::ALL.iter().map(|k| k.code()).collect();
        ctx.err(
            "kind",
            format!("« {kind_code} » inconnu (attendu : {})", known.join(", ")),
        )
    })?;
    let nature = raw
        .nature
        .map(|code| {
            Nature::from_code(&code).ok_or_else(|| {
                ctx.err(
                    "nature",
                    format!("« {code} » inconnue (attendu : works, supplies_services)"),
                )
            })
        })
        .transpose()?;
    let buyer = raw
        .buyer
        .map(|code| {
            BuyerKind::from_code(&code).ok_or_else(|| {
                ctx.err(
                    "buyer",
                    format!("« {code} » inconnu (attendu : local_authority, state)"),
                )
            })
        })
        .transpose()?;
    let value = raw
        .value_euros
        .map(|euros| {
            euros
                .checked_mul(100)
                .filter(|cents| *cents >= 0)
                .map(Amount::from_cents)
                .ok_or_else(|| {
                    ctx.err(
                        "value_euros",
                        format!("{euros} : montant en euros positif attendu"),
                    )
                })
        })
        .transpose()?;
    let from = ctx.date("from", ctx.required("from", raw.from)?)?;
    let until = raw.until.map(|u| ctx.date("until", u)).transpose()?;
    let source = ctx.required("source", raw.source)?;

    Ok(Rule {
        id,
        kind,
        nature,
        buyer,
        value,
        value_text: raw.value_text,
        from,
        until,
        source,
        note: raw.note,
    })
}

/// Parses and validates a rules file (see the header of `data/rules/rules.toml`).
pub fn parse_rule_book(toml_text: &str) -> Result<RuleBook, RulesFileError> {
    let file: RulesFile = toml::from_str(toml_text)?;
    let rules = file
        .rule
        .into_iter()
        .enumerate()
        .map(|(i, raw)| convert(i + 1, raw))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(RuleBook::new(rules)?)
}

/// The rules shipped with Mutualis, parsed once.
pub fn rule_book() -> &'static RuleBook {
    static BOOK: OnceLock<RuleBook> = OnceLock::new();
    BOOK.get_or_init(|| {
        parse_rule_book(RULES_TOML)
            .expect("data/rules/rules.toml, embedded at build time and tested, is valid")
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use mutualis_domain::rules::{Procedure, RuleLookupError};

    use BuyerKind::{LocalAuthority as LOCAL, State as STATE};
    use Nature::{SuppliesAndServices as S, Works as W};

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn eur(euros: i64) -> Amount {
        Amount::from_euros(euros)
    }

    fn proc(nature: Nature, amount: Amount, buyer: BuyerKind, on: NaiveDate) -> Procedure {
        rule_book()
            .procedure_for(nature, amount, buyer, on)
            .unwrap()
            .procedure
    }

    /// The rule of `kind` in force: (id, value in euros, source).
    fn at(
        kind: RuleKind,
        nature: Option<Nature>,
        buyer: Option<BuyerKind>,
        on: NaiveDate,
    ) -> (&'static str, i64, &'static str) {
        let rule = rule_book()
            .in_force(kind, nature, buyer, on)
            .unwrap_or_else(|| panic!("no {kind:?} {nature:?} {buyer:?} on {on}"));
        (
            rule.id.as_str(),
            rule.value.map_or(0, |v| v.cents() / 100),
            rule.source.as_str(),
        )
    }

    fn no_pub(nature: Nature, on: NaiveDate) -> (&'static str, i64, &'static str) {
        // The no-publicity rules do not depend on the buyer: both kinds see the same rule.
        let local = at(
            RuleKind::NoPublicityThreshold,
            Some(nature),
            Some(LOCAL),
            on,
        );
        let state = at(
            RuleKind::NoPublicityThreshold,
            Some(nature),
            Some(STATE),
            on,
        );
        assert_eq!(local, state);
        local
    }

    fn eu(nature: Nature, buyer: BuyerKind, on: NaiveDate) -> i64 {
        at(RuleKind::EuThreshold, Some(nature), Some(buyer), on).1
    }

    #[test]
    fn embedded_file_is_valid_and_covers_every_kind() {
        let book = rule_book();
        assert!(book.rules().len() >= 40);
        for kind in RuleKind::ALL {
            assert!(
                book.rules().iter().any(|r| r.kind == kind),
                "no rule of kind {kind:?}"
            );
        }
        for rule in book.rules() {
            assert!(!rule.source.trim().is_empty(), "{}", rule.id);
        }
    }

    #[test]
    fn no_publicity_supplies_history() {
        assert_eq!(
            no_pub(S, d(2016, 4, 1)),
            (
                "no-publicity-supplies-2016",
                25_000,
                "décret 2016-360 art. 30 I 8°"
            )
        );
        assert_eq!(no_pub(S, d(2019, 3, 31)).0, "no-publicity-supplies-2016");
        let ccp = no_pub(S, d(2019, 4, 1));
        assert_eq!((ccp.0, ccp.1), ("no-publicity-supplies-2019", 25_000));
        assert!(ccp.2.contains("R2122-8"));
        // 2019-12-31 / 2020-01-01: 25 000 → 40 000.
        assert_eq!(no_pub(S, d(2019, 12, 31)).1, 25_000);
        let y2020 = no_pub(S, d(2020, 1, 1));
        assert_eq!(y2020.1, 40_000);
        assert!(y2020.2.contains("2019-1344"));
        // Supplies are not touched by the works measures of 2020-2025.
        assert_eq!(no_pub(S, d(2020, 7, 24)).1, 40_000);
        assert_eq!(no_pub(S, d(2020, 12, 8)).1, 40_000);
        assert_eq!(no_pub(S, d(2026, 1, 1)).1, 40_000);
        // 2026-03-31 / 2026-04-01: 40 000 → 60 000.
        assert_eq!(no_pub(S, d(2026, 3, 31)).1, 40_000);
        let y2026 = no_pub(S, d(2026, 4, 1));
        assert_eq!(y2026.1, 60_000);
        assert!(y2026.2.contains("2025-1386"));
    }

    #[test]
    fn no_publicity_works_history() {
        assert_eq!(no_pub(W, d(2019, 12, 31)).1, 25_000);
        assert_eq!(no_pub(W, d(2020, 1, 1)).1, 40_000);
        // 2020-07-23 / 24: 40 000 → 70 000 (décret 2020-893).
        assert_eq!(no_pub(W, d(2020, 7, 23)).1, 40_000);
        let covid = no_pub(W, d(2020, 7, 24));
        assert_eq!(covid.1, 70_000);
        assert!(covid.2.contains("2020-893"));
        // 2020-12-07 / 08: 70 000 → 100 000 (loi ASAP).
        assert_eq!(no_pub(W, d(2020, 12, 7)).1, 70_000);
        let asap = no_pub(W, d(2020, 12, 8));
        assert_eq!(asap.1, 100_000);
        assert!(asap.2.contains("ASAP"));
        // 2022-12-31 / 2023-01-01: same value, the source changes.
        assert_eq!(no_pub(W, d(2022, 12, 31)), asap);
        let y2023 = no_pub(W, d(2023, 1, 1));
        assert_eq!(y2023.1, 100_000);
        assert!(y2023.2.contains("2022-1683"), "{}", y2023.2);
        assert_ne!(y2023.0, asap.0);
        // 2024-12-31 / 2025-01-01.
        assert_eq!(no_pub(W, d(2024, 12, 31)), y2023);
        let y2025 = no_pub(W, d(2025, 1, 1));
        assert_eq!(y2025.1, 100_000);
        assert!(y2025.2.contains("2024-1217"), "{}", y2025.2);
        // 2025-12-31 / 2026-01-01: permanent.
        assert_eq!(no_pub(W, d(2025, 12, 31)), y2025);
        let permanent = no_pub(W, d(2026, 1, 1));
        assert_eq!(permanent.1, 100_000);
        assert!(permanent.2.contains("2025-1386"), "{}", permanent.2);
        let last = rule_book().get(permanent.0).unwrap();
        assert_eq!(last.until, None);
        assert_eq!(no_pub(W, d(2040, 1, 1)), permanent);
    }

    #[test]
    fn eu_thresholds_by_period() {
        let periods = [
            (d(2018, 1, 1), d(2019, 12, 31), 221_000, 144_000, 5_548_000),
            (d(2020, 1, 1), d(2021, 12, 31), 214_000, 139_000, 5_350_000),
            (d(2022, 1, 1), d(2023, 12, 31), 215_000, 140_000, 5_382_000),
            (d(2024, 1, 1), d(2025, 12, 31), 221_000, 143_000, 5_538_000),
            (d(2026, 1, 1), d(2027, 12, 31), 216_000, 140_000, 5_404_000),
        ];
        for (from, until, local, state, works) in periods {
            for on in [from, until] {
                assert_eq!(eu(S, LOCAL, on), local, "{on}");
                assert_eq!(eu(S, STATE, on), state, "{on}");
                assert_eq!(eu(W, LOCAL, on), works, "{on}");
                assert_eq!(eu(W, STATE, on), works, "{on}");
            }
        }
        // 2025-12-31 / 2026-01-01.
        assert_eq!(eu(S, LOCAL, d(2025, 12, 31)), 221_000);
        assert_eq!(eu(S, LOCAL, d(2026, 1, 1)), 216_000);
        assert!(
            at(RuleKind::EuThreshold, Some(W), None, d(2026, 1, 1))
                .2
                .contains("2025/2150")
        );
        assert!(
            rule_book()
                .in_force(RuleKind::EuThreshold, Some(S), Some(LOCAL), d(2028, 1, 1))
                .is_none()
        );
    }

    #[test]
    fn procedure_boundaries_on_the_real_file() {
        let apr26 = d(2026, 4, 1);
        // Supplies, 2026-04-01: 60 000 € reaches the MAPA, one cent less does not.
        assert_eq!(proc(S, eur(60_000), LOCAL, apr26), Procedure::Adapted);
        assert_eq!(
            proc(S, Amount::from_cents(5_999_999), LOCAL, apr26),
            Procedure::NoPublicity
        );
        // The day before, 40 000 € was already the MAPA.
        assert_eq!(
            proc(S, Amount::from_cents(5_999_999), LOCAL, d(2026, 3, 31)),
            Procedure::Adapted
        );
        assert_eq!(
            proc(S, eur(40_000), LOCAL, d(2026, 3, 31)),
            Procedure::Adapted
        );
        assert_eq!(
            proc(S, Amount::from_cents(3_999_999), LOCAL, d(2026, 3, 31)),
            Procedure::NoPublicity
        );
        // EU thresholds 2026: local authority 216 000, State 140 000.
        assert_eq!(proc(S, eur(216_000), LOCAL, apr26), Procedure::Formal);
        assert_eq!(
            proc(S, Amount::from_cents(21_599_999), LOCAL, apr26),
            Procedure::Adapted
        );
        assert_eq!(proc(S, eur(140_000), STATE, apr26), Procedure::Formal);
        assert_eq!(
            proc(S, Amount::from_cents(13_999_999), STATE, apr26),
            Procedure::Adapted
        );
        assert_eq!(proc(S, eur(140_000), LOCAL, apr26), Procedure::Adapted);
        // Works vs supplies for the same amount.
        assert_eq!(proc(W, eur(80_000), LOCAL, apr26), Procedure::NoPublicity);
        assert_eq!(proc(S, eur(80_000), LOCAL, apr26), Procedure::Adapted);
        assert_eq!(proc(W, eur(100_000), LOCAL, apr26), Procedure::Adapted);
        assert_eq!(
            proc(W, Amount::from_cents(9_999_999), STATE, apr26),
            Procedure::NoPublicity
        );
        assert_eq!(proc(W, eur(5_404_000), STATE, apr26), Procedure::Formal);
        assert_eq!(
            proc(W, Amount::from_cents(540_399_999), LOCAL, apr26),
            Procedure::Adapted
        );
        // Works in 2020, either side of each change.
        assert_eq!(
            proc(W, eur(50_000), LOCAL, d(2020, 7, 23)),
            Procedure::Adapted
        );
        assert_eq!(
            proc(W, eur(50_000), LOCAL, d(2020, 7, 24)),
            Procedure::NoPublicity
        );
        assert_eq!(
            proc(W, eur(80_000), LOCAL, d(2020, 12, 7)),
            Procedure::Adapted
        );
        assert_eq!(
            proc(W, eur(80_000), LOCAL, d(2020, 12, 8)),
            Procedure::NoPublicity
        );
        // 2019-12-31 / 2020-01-01 for supplies, and the EU threshold change.
        assert_eq!(
            proc(S, eur(30_000), LOCAL, d(2019, 12, 31)),
            Procedure::Adapted
        );
        assert_eq!(
            proc(S, eur(30_000), LOCAL, d(2020, 1, 1)),
            Procedure::NoPublicity
        );
        assert_eq!(
            proc(S, eur(215_000), LOCAL, d(2019, 12, 31)),
            Procedure::Adapted
        );
        assert_eq!(
            proc(S, eur(215_000), LOCAL, d(2020, 1, 1)),
            Procedure::Formal
        );
        // 2025-12-31 / 2026-01-01: EU threshold 221 000 → 216 000.
        assert_eq!(
            proc(S, eur(218_000), LOCAL, d(2025, 12, 31)),
            Procedure::Adapted
        );
        assert_eq!(
            proc(S, eur(218_000), LOCAL, d(2026, 1, 1)),
            Procedure::Formal
        );
        // The real contracts of 2018-2019 (décret 2016-360 then CCP).
        assert_eq!(
            proc(S, eur(24_000), LOCAL, d(2018, 6, 1)),
            Procedure::NoPublicity
        );
        assert_eq!(
            proc(S, eur(221_000), LOCAL, d(2018, 6, 1)),
            Procedure::Formal
        );
    }

    #[test]
    fn decision_explains_with_real_sources() {
        let decision = rule_book()
            .procedure_for(S, eur(100_000), LOCAL, d(2026, 4, 1))
            .unwrap();
        assert_eq!(decision.procedure, Procedure::Adapted);
        assert_eq!(
            decision.lower.as_ref().unwrap().rule_id,
            "no-publicity-supplies-2026"
        );
        assert_eq!(
            decision.upper.as_ref().unwrap().rule_id,
            "eu-supplies-local-2026"
        );
        let text = decision.explanation();
        for expected in [
            "100\u{202f}000,00 € HT",
            "60\u{202f}000,00 € HT",
            "216\u{202f}000,00 € HT",
            "depuis le 01/04/2026",
            "du 01/01/2026 au 31/12/2027",
            "décret 2025-1386",
            "2025/2150",
            "procédure adaptée (MAPA)",
            "R2123-1",
        ] {
            assert!(text.contains(expected), "{expected} missing from: {text}");
        }
    }

    #[test]
    fn no_publicity_cites_the_text_in_force() {
        let decision = rule_book()
            .procedure_for(W, eur(50_000), STATE, d(2020, 7, 24))
            .unwrap();
        assert_eq!(decision.procedure, Procedure::NoPublicity);
        let text = decision.explanation();
        assert!(
            text.contains("strictement inférieur au seuil de dispense"),
            "{text}"
        );
        assert!(text.ends_with("(décret 2020-893)."), "{text}");
    }

    #[test]
    fn dates_without_rules_are_errors() {
        // Before 2016-04-01: no threshold at all.
        let err = rule_book()
            .procedure_for(S, eur(10_000), LOCAL, d(2015, 6, 1))
            .unwrap_err();
        assert!(matches!(err, RuleLookupError::NoRuleInForce { .. }));
        assert!(err.to_string().contains("01/06/2015"), "{err}");
        // After 2027-12-31: the EU thresholds are not known yet.
        let err = rule_book()
            .procedure_for(W, eur(10_000), STATE, d(2028, 1, 1))
            .unwrap_err();
        assert_eq!(
            err,
            RuleLookupError::NoRuleInForce {
                kind: RuleKind::EuThreshold,
                nature: Some(W),
                buyer: Some(STATE),
                date: d(2028, 1, 1),
            }
        );
        assert!(err.to_string().contains("seuil européen"), "{err}");
        assert!(
            rule_book()
                .buyer_profile_required(eur(1), d(2018, 9, 30))
                .is_err()
        );
    }

    #[test]
    fn other_rules_on_the_real_file() {
        let book = rule_book();
        // Environmental criterion: consultations launched from 21 August 2026 (décret
        // 2022-767), not the day before.
        assert!(!book.environmental_criterion_required(d(2026, 8, 20)));
        assert!(book.environmental_criterion_required(d(2026, 8, 21)));
        assert!(book.environmental_criterion_required(d(2026, 8, 22)));
        // Buyer profile follows the supplies no-publicity threshold.
        assert!(
            book.buyer_profile_required(eur(25_000), d(2019, 12, 31))
                .unwrap()
        );
        assert!(
            !book
                .buyer_profile_required(eur(25_000), d(2020, 1, 1))
                .unwrap()
        );
        assert!(
            book.buyer_profile_required(eur(40_000), d(2026, 3, 31))
                .unwrap()
        );
        assert!(
            !book
                .buyer_profile_required(eur(40_000), d(2026, 4, 1))
                .unwrap()
        );
        assert!(
            book.buyer_profile_required(eur(60_000), d(2026, 4, 1))
                .unwrap()
        );
        // DECP from 40 000 € HT.
        assert!(
            book.decp_publication_required(eur(40_000), d(2026, 4, 1))
                .unwrap()
        );
        assert!(
            !book
                .decp_publication_required(Amount::from_cents(3_999_999), d(2026, 4, 1))
                .unwrap()
        );
        // Innovative purchases below 100 000 € HT from 2018-12-26.
        assert!(
            book.innovative_purchase_without_publicity(S, eur(10), d(2018, 12, 25))
                .is_err()
        );
        assert!(
            book.innovative_purchase_without_publicity(
                S,
                Amount::from_cents(9_999_999),
                d(2018, 12, 26)
            )
            .unwrap()
        );
        assert!(
            !book
                .innovative_purchase_without_publicity(W, eur(100_000), d(2026, 1, 1))
                .unwrap()
        );
        // SPASER above 50 M€ HT.
        assert!(
            !book
                .spaser_required(eur(50_000_000), d(2026, 1, 1))
                .unwrap()
        );
        assert!(
            book.spaser_required(eur(50_000_001), d(2026, 1, 1))
                .unwrap()
        );
        // Legal rules without a value, with their text and source.
        for kind in [
            RuleKind::Groupement,
            RuleKind::CentralPurchasing,
            RuleKind::Allotissement,
            RuleKind::ReservedContracts,
            RuleKind::AbnormallyLowOffer,
        ] {
            let rule = book.in_force(kind, None, None, d(2026, 1, 1)).unwrap();
            assert!(rule.value.is_none());
            assert!(rule.value_text.as_deref().is_some_and(|t| !t.is_empty()));
            assert!(rule.source.contains('L'), "{}", rule.source);
        }
    }

    const ONE_RULE: &str = r#"
[[rule]]
id = "a"
kind = "no_publicity_threshold"
nature = "works"
value_euros = 40000
from = 2020-01-01
source = "R2122-8"
"#;

    #[test]
    fn parses_a_minimal_file() {
        let book = parse_rule_book(ONE_RULE).unwrap();
        let rule = book.get("a").unwrap();
        assert_eq!(rule.value, Some(eur(40_000)));
        assert_eq!(rule.nature, Some(W));
        assert_eq!(rule.from, d(2020, 1, 1));
        assert_eq!(rule.until, None);
        assert!(parse_rule_book("").unwrap().rules().is_empty());
    }

    fn field_error(text: &str) -> (usize, String, &'static str, String) {
        match parse_rule_book(text) {
            Err(RulesFileError::Field {
                index,
                id,
                field,
                message,
            }) => (index, id, field, message),
            other => panic!("expected a field error, got {other:?}"),
        }
    }

    #[test]
    fn errors_name_the_rule_and_the_field() {
        let (index, id, field, message) =
            field_error(&ONE_RULE.replace("kind = \"no_publicity_threshold\"", "kind = \"nope\""));
        assert_eq!((index, id.as_str(), field), (1, "a", "kind"));
        assert!(message.contains("nope"), "{message}");

        let text = format!(
            "{ONE_RULE}{}",
            ONE_RULE
                .replace("id = \"a\"", "id = \"b\"")
                .replace("nature = \"works\"", "nature = \"supplies\"")
        );
        let (index, id, field, _) = field_error(&text);
        assert_eq!((index, id.as_str(), field), (2, "b", "nature"));

        let (_, _, field, _) = field_error(&ONE_RULE.replace("source = \"R2122-8\"\n", ""));
        assert_eq!(field, "source");
        let (_, id, field, _) = field_error(&ONE_RULE.replace("id = \"a\"\n", ""));
        assert_eq!((id.as_str(), field), ("", "id"));
        let (_, _, field, message) =
            field_error(&ONE_RULE.replace("from = 2020-01-01", "from = 2020-01-01T10:00:00"));
        assert_eq!(field, "from");
        assert!(message.contains("2020-01-01T10:00:00"), "{message}");
        let (_, _, field, _) = field_error(&ONE_RULE.replace("40000", "-1"));
        assert_eq!(field, "value_euros");
        let (_, _, field, _) = field_error(&ONE_RULE.replace("40000", "9223372036854775807"));
        assert_eq!(field, "value_euros");
        let (_, _, field, _) = field_error(&format!("{ONE_RULE}buyer = \"commune\"\n"));
        assert_eq!(field, "buyer");
    }

    #[test]
    fn malformed_files_are_refused() {
        // A date given as a string is a TOML type error, reported with its position.
        let err = parse_rule_book(&ONE_RULE.replace("from = 2020-01-01", "from = \"2020-01-01\""))
            .unwrap_err();
        assert!(matches!(err, RulesFileError::Toml(_)), "{err}");
        // Unknown column.
        let err = parse_rule_book(&format!("{ONE_RULE}valeur = 3\n")).unwrap_err();
        assert!(err.to_string().contains("valeur"), "{err}");
        // Overlap and duplicate ids come from the domain's validation.
        let twice = format!("{ONE_RULE}{ONE_RULE}");
        assert!(matches!(
            parse_rule_book(&twice),
            Err(RulesFileError::Book(RuleBookError::DuplicateId { .. }))
        ));
        let overlap = format!("{ONE_RULE}{}", ONE_RULE.replace("id = \"a\"", "id = \"b\""));
        let err = parse_rule_book(&overlap).unwrap_err();
        assert!(
            matches!(err, RulesFileError::Book(RuleBookError::Overlap { .. })),
            "{err}"
        );
        // A threshold without a value.
        let err = parse_rule_book(&ONE_RULE.replace("value_euros = 40000\n", "")).unwrap_err();
        assert!(
            matches!(
                err,
                RulesFileError::Book(RuleBookError::MissingValue { .. })
            ),
            "{err}"
        );
    }
}
