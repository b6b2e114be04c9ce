#![allow(clippy::unwrap_used)]
//! The opportunity engine over the real Isère DECP extract (2019), read straight from the file.

use std::collections::HashMap;
use std::io::BufReader;

use chrono::NaiveDate;
use mutualis_domain::opportunity::{Input, Opportunity, Params, Report, find_opportunities};
use mutualis_domain::{CpvDepth, Need, Siren};
use mutualis_import::facts::DecpFacts;
use mutualis_reference::cpv::nomenclature;
use mutualis_reference::pooling::pooling;
use mutualis_reference::rules::rule_book;

const ISERE: &[u8] = include_bytes!("../../../data/decp/isere_extract_2019.json");

fn isere() -> DecpFacts {
    let mut facts = DecpFacts::default();
    facts.add_file(BufReader::new(ISERE)).unwrap();
    facts
}

fn run(facts: &DecpFacts, needs: &[Need], params: Params) -> Report {
    let buyers = HashMap::new();
    let input = Input {
        contracts: &facts.contracts,
        needs,
        buyers: &buyers,
    };
    find_opportunities(input, params, pooling(), rule_book(), nomenclature()).unwrap()
}

fn as_of_2019() -> Params {
    Params::new(NaiveDate::from_ymd_opt(2019, 1, 1).unwrap())
}

fn find<'a>(report: &'a Report, prefix: &str) -> &'a Opportunity {
    report
        .opportunities
        .iter()
        .find(|o| o.cpv.prefix == prefix)
        .unwrap_or_else(|| panic!("no opportunity {prefix}"))
}

fn sirens(o: &Opportunity) -> Vec<&str> {
    let mut s: Vec<&str> = o.buyers.iter().map(|b| b.siren.as_str()).collect();
    s.sort_unstable();
    s
}

#[test]
fn cleaning_services_are_shared_by_the_metropole_and_advivo() {
    let facts = isere();
    assert_eq!(facts.read, 220);
    let report = run(&facts, &[], as_of_2019());
    let cleaning = find(&report, "9091");
    assert_eq!(cleaning.cpv.code.to_string(), "90910000-9");
    assert_eq!(cleaning.cpv.label, "Services de nettoyage");
    assert_eq!(sirens(cleaning), ["200040715", "350276580"]);
    // The métropole's four framework agreements (12 months) and ADVIVO's four lots.
    let gam = cleaning
        .buyers
        .iter()
        .find(|b| b.siren.as_str() == "200040715")
        .unwrap();
    assert_eq!(gam.contracts.len(), 4);
    assert_eq!(gam.annual_amount_cents, 406_000_000);
    assert_eq!(cleaning.family.id, "cleaning");
    // Pooled, the purchase is far above the EU threshold: a formal procedure.
    assert_eq!(
        cleaning.procedure.pooled.procedure,
        mutualis_domain::rules::Procedure::Formal
    );
    // Savings are 10-20 % of the annual amount.
    assert_eq!(
        cleaning.savings.low_cents,
        cleaning.annual_amount_cents / 10
    );
    assert!(cleaning.reasons.iter().any(|r| r.contains("ADVIVO")));
    // The métropole's contracts end in December 2019, ADVIVO's in February 2020: a common
    // start between them, with some bridging.
    assert!(cleaning.proposed_start >= NaiveDate::from_ymd_opt(2019, 12, 1).unwrap());
    assert!(cleaning.proposed_start <= NaiveDate::from_ymd_opt(2020, 3, 1).unwrap());
    assert_eq!(cleaning.bridging.len(), 8);
}

#[test]
fn engineering_services_are_shared_by_three_buyers_the_departement_counted_once() {
    let facts = isere();
    let report = run(&facts, &[], as_of_2019());
    let engineering = find(&report, "7124");
    assert_eq!(sirens(engineering), ["200056224", "213805534", "223800012"]);
    // Villefontaine (24 270 € over 2 months, one year's need) would alone use an adapted
    // procedure; the pooled purchase is above the EU threshold.
    let villefontaine = engineering
        .procedure
        .alone
        .iter()
        .find(|a| a.siren.as_str() == "213805534")
        .unwrap();
    assert!(villefontaine.procedure < engineering.procedure.pooled.procedure);
    assert!(engineering.procedure.threshold_crossed);
    // The Département appears in the file under two names; it is one buyer.
    let names: Vec<&str> = engineering.buyers.iter().map(|b| b.name.as_str()).collect();
    assert_eq!(names.len(), 3, "{names:?}");
}

#[test]
fn depth_window_and_minimum_change_the_answer() {
    let facts = isere();
    let class = run(&facts, &[], as_of_2019());
    let division = run(
        &facts,
        &[],
        Params {
            depth: CpvDepth::Division,
            ..as_of_2019()
        },
    );
    // The cleaning class folds into division 90, with at least the same buyers.
    assert!(class.opportunities.iter().all(|o| o.cpv.prefix.len() == 4));
    let sewage_cleaning = find(&division, "90");
    assert!(sewage_cleaning.buyers.len() >= 2);
    assert!(sewage_cleaning.annual_amount_cents >= find(&class, "9091").annual_amount_cents);
    // A 6-month window drops ADVIVO (its contracts end in February 2020): no cleaning.
    let short = run(
        &facts,
        &[],
        Params {
            window_months: 6,
            ..as_of_2019()
        },
    );
    assert!(short.opportunities.iter().all(|o| o.cpv.prefix != "9091"));
    let three = run(
        &facts,
        &[],
        Params {
            min_buyers: 3,
            ..as_of_2019()
        },
    );
    assert!(three.opportunities.iter().all(|o| o.buyers.len() >= 3));
    assert!(three.opportunities.iter().any(|o| o.cpv.prefix == "7124"));
}

#[test]
fn a_declared_need_joins_an_opportunity() {
    let facts = isere();
    let grenoble = Siren::parse("213801855").unwrap();
    let need = Need {
        buyer: grenoble.clone(),
        cpv: nomenclature().parse("90911200").unwrap(),
        description: "Nettoyage des écoles".to_owned(),
        annual_amount: mutualis_domain::Amount::from_euros(150_000),
        quantity: None,
        desired_start: NaiveDate::from_ymd_opt(2020, 1, 1).unwrap(),
        current_contract: None,
        current_contract_ends_on: None,
        social_requirements: None,
        environmental_requirements: None,
        reservation: None,
    };
    let report = run(&facts, std::slice::from_ref(&need), as_of_2019());
    let cleaning = find(&report, "9091");
    assert_eq!(sirens(cleaning), ["200040715", "213801855", "350276580"]);
    let before = run(&facts, &[], as_of_2019());
    assert_eq!(
        find(&report, "9091").annual_amount_cents - find(&before, "9091").annual_amount_cents,
        15_000_000
    );
}

#[test]
fn contracts_held_by_a_central_purchasing_body_are_set_aside_and_counted() {
    let mut facts = isere();
    let ugap = Siren::parse("776056467").unwrap();
    // Make the métropole's cleaning contracts UGAP's.
    for c in facts.contracts.iter_mut() {
        if c.buyer.as_str() == "200040715"
            && c.cpv
                .is_some_and(|code| code.prefix(CpvDepth::Class) == "9091")
        {
            c.suppliers = vec![ugap.clone()];
        }
    }
    let report = run(&facts, &[], as_of_2019());
    assert!(report.opportunities.iter().all(|o| o.cpv.prefix != "9091"));
    let excluded = report
        .excluded
        .iter()
        .find(|e| e.reason == "central_purchasing")
        .unwrap();
    assert_eq!(excluded.contracts, 4);
    assert_eq!(excluded.body.as_deref(), Some("UGAP"));
}

/// The shortcut of the facts path (DECP 2.0 marchés read straight into facts) keeps and drops
/// the same records, with the same facts, as the full conversion.
#[test]
fn the_facts_shortcut_agrees_with_the_full_conversion() {
    let base = r#"{"id": "A1", "acheteur": {"id": "21380185500015", "nom": " Ville "}, "nature": "Marché", "objet": "Nettoyage \"écoles\"", "codeCPV": "90911200", "procedure": "Procédure adaptée", "lieuExecution": {"code": "38000", "typeCode": "Code postal"}, "dureeMois": 12, "dateNotification": "2026-03-01", "datePublicationDonnees": "2026-03-02", "montant": 12000.5, "formePrix": "Unitaire", "titulaires": [{"titulaire": {"typeIdentifiant": "SIRET", "id": "39145343945331"}}], "techniques": {"technique": ["Accord-cadre"]}, "ccag": "Travaux", "offresRecues": 2, "marcheInnovant": "oui", "tauxAvance": 0.1, "considerationsSociales": {"considerationSociale": "Clause sociale"}}"#;
    let variants = [
        base.to_owned(),
        base.replace("\"ccag\": \"Travaux\"", "\"ccag\": \"Autre\""),
        base.replace("12000.5", "NaN"),
        base.replace("12000.5", "0.5"),
        base.replace("\"offresRecues\": 2", "\"offresRecues\": 0"),
        base.replace("\"A1\"", "\"A2\", \"modifications\": [{\"modification\": {\"id\": 1, \"dureeMois\": 24, \"datePublicationDonneesModification\": \"2026-04-01\"}}]"),
        base.replace("\"A1\"", "\"A3\"").replace("[{\"titulaire\": {", "[{").replace("}}], \"techniques\"", "}], \"techniques\""),
        base.replace("\"A1\"", "\"A4\"").replace("\"typeIdentifiant\": \"SIRET\"", "\"typeIdentifiant\": \"XX\""),
        base.replace("\"A1\"", "\"A5\"").replace("\"Accord-cadre\"", "\"Accord-cadre\", null"),
        base.replace("\"A1\"", "\"A6\"").replace("\"dureeMois\": 12", "\"dureeMois\": \"12\""),
        base.replace("\"A1\"", "\"A7\"").replace("2026-03-01", "2026-02-30"),
        base.replace("\"A1\"", "\"A8\"").replace("\"objet\"", "\"x\": [[[1e5]]], \"objet\""),
        base.replace("\"A1\"", "\"A9\"").replace("\"marcheInnovant\": \"oui\"", "\"marcheInnovant\": 2"),
        base.replace("\"A1\"", "\"A10\"").replace("\"Clause sociale\"", "\"  \""),
        base.replace("\"A1\"", " 7 ").replace("\"nom\": \" Ville \"", "\"nom\": null"),
        "\"pas un objet\"".to_owned(),
        "NaN".to_owned(),
    ];
    let file = format!(
        "{{\"marches\": {{\"marche\": [{}]}}}}",
        variants.join(",\n")
    );
    let mut facts = DecpFacts::default();
    facts.add_file(BufReader::new(file.as_bytes())).unwrap();
    let mut expected = Vec::new();
    let stats = mutualis_formats::decp_read::read_decp(
        BufReader::new(file.as_bytes()),
        nomenclature(),
        |record| {
            if let Ok(contract) = record {
                // As the full conversion's facts: with the works evidence (the CCAG
                // "Travaux" here) and a placeholder titulaire's flag, which the shortcut finds
                // too.
                let rules = mutualis_reference::plausibility::plausibility();
                let works = mutualis_domain::plausibility::works::works_evidence(
                    contract.cpv,
                    contract.decp2.as_ref().and_then(|d| d.ccag.as_deref()),
                    &contract.object,
                    &rules.works,
                );
                let mut facts = mutualis_domain::opportunity::ContractFacts::from_owned(contract);
                facts.works = works;
                expected.push(facts);
            }
        },
    )
    .unwrap();
    assert_eq!(facts.read, stats.read);
    assert_eq!(facts.rejected, stats.rejected);
    assert!(stats.rejected >= 8, "{stats:?}");
    // A1 and its republication A1 with a bad amount: one contract.
    assert_eq!(facts.contracts.len() + facts.duplicates, stats.contracts);
    for c in &facts.contracts {
        let e = expected.iter().find(|e| e.id == c.id).unwrap();
        assert_eq!(c, e);
    }
    let a1 = facts.contracts.iter().find(|c| c.id == "A1").unwrap();
    assert_eq!(
        a1.works.as_deref(),
        Some("le CCAG de référence est « Travaux »")
    );
}

/// Over many CPV classes (the engine then builds them on two threads), every class shared by
/// two buyers is one opportunity, and the report is in rank order.
#[test]
fn every_shared_class_is_found_once_among_many() {
    use mutualis_domain::opportunity::ContractFacts;
    use mutualis_domain::{Amount, CpvDepth};
    let classes: Vec<_> = nomenclature()
        .entries()
        .iter()
        .filter(|e| e.code.depth() == CpvDepth::Class)
        .take(150)
        .collect();
    assert_eq!(classes.len(), 150);
    let mut contracts = Vec::new();
    for (i, class) in classes.iter().enumerate() {
        for buyer in ["213801855", "200040715"] {
            contracts.push(ContractFacts {
                id: format!("{buyer}-{i}"),
                record_id: None,
                buyer: Siren::parse(buyer).unwrap(),
                buyer_name: None,
                object: format!("Contrat {i}"),
                cpv: Some(class.code),
                ends_on: NaiveDate::from_ymd_opt(2019, 6, 1),
                amount: Some(Amount::from_cents(1_000_000 * (i as i64 + 1))),
                duration_months: Some(12),
                suppliers: Vec::new(),
                concession: false,
                groupement: false,
                flags: Vec::new(),
                works: None,
            });
        }
    }
    let buyers = HashMap::new();
    let input = Input {
        contracts: &contracts,
        needs: &[],
        buyers: &buyers,
    };
    let report =
        find_opportunities(input, as_of_2019(), pooling(), rule_book(), nomenclature()).unwrap();
    let mut found: Vec<String> = report
        .opportunities
        .iter()
        .map(|o| o.cpv.prefix.clone())
        .collect();
    assert_eq!(found.len(), 150);
    found.sort();
    found.dedup();
    let mut expected: Vec<String> = classes
        .iter()
        .map(|c| c.code.prefix(CpvDepth::Class))
        .collect();
    expected.sort();
    assert_eq!(found, expected);
    assert!(report.opportunities.windows(2).all(|w| {
        (w[0].score, w[0].annual_amount_cents) >= (w[1].score, w[1].annual_amount_cents)
    }));

    // Asked for the best few, the engine builds only those: the same opportunities, in the
    // same order, and the same counts, on one thread (20) as on two (100).
    for limit in [1, 20, 100] {
        let best = find_opportunities(
            input,
            Params {
                limit: Some(limit),
                ..as_of_2019()
            },
            pooling(),
            rule_book(),
            nomenclature(),
        )
        .unwrap();
        assert_eq!(best.opportunities, report.opportunities[..limit]);
        assert_eq!(best.counts, report.counts);
    }
}

/// On the real Isère contracts too, the best three asked for are the report's first three.
#[test]
fn the_best_few_are_the_first_of_the_whole_report() {
    let facts = isere();
    let all = run(&facts, &[], as_of_2019());
    assert!(all.opportunities.len() > 3);
    let best = run(
        &facts,
        &[],
        Params {
            limit: Some(3),
            ..as_of_2019()
        },
    );
    assert_eq!(best.opportunities, all.opportunities[..3]);
    let none = run(
        &facts,
        &[],
        Params {
            limit: Some(0),
            ..as_of_2019()
        },
    );
    assert!(none.opportunities.is_empty());
    assert_eq!(none.counts, all.counts);
}
