use crate::helpers::*;

// ---------------------------------------------------------------------------------------------
// Official examples (fictitious data; several use fictitious buyer SIRETs with a wrong Luhn key)

#[test]
fn every_official_example_gives_exact_counts() {
    use DecpFormat::*;
    let cases = [
        ("v1.5/paquet.json", V1Json, 2, 2, 0),
        ("v1.5/mar-avec-modifications.json", V1Json, 1, 1, 0),
        ("v1.5/cc-avec-modifications.json", V1Json, 1, 1, 0),
        ("v1.5/paquet.xml", V1Xml, 4, 4, 0),
        ("v1.5/mar-avec-modifications.xml", V1Xml, 1, 1, 0),
        ("v2.0/json/concessions.json", V2Json, 2, 0, 2),
        (
            "v2.0/json/concessions_avec_modifications.json",
            V2Json,
            2,
            0,
            2,
        ),
        ("v2.0/json/marches_avec_modifications.json", V2Json, 2, 2, 0),
        ("v2.0/json/marches_concessions.json", V2Json, 4, 2, 2),
        ("v2.0/xml/Marche.xml", V2Xml, 2, 2, 0),
        ("v2.0/xml/Contrat-concession.xml", V2Xml, 2, 0, 2),
        (
            "v2.0/xml/Contrat-concession-modification.xml",
            V2Xml,
            2,
            0,
            2,
        ),
    ];
    for (file, format, read, contracts, rejected) in cases {
        let r = example(file);
        assert_eq!(
            r.counts(),
            (format, read, contracts, rejected),
            "{file}: {:?}",
            r.rejections
                .iter()
                .map(|r| r.to_string())
                .collect::<Vec<_>>()
        );
        // The only rejections are the examples' fictitious buyers whose SIRET fails both
        // keys; 21750001630066 passes its SIREN's key and is kept, noted.
        for c in &r.contracts {
            let noted: Vec<_> = c.repairs.iter().map(|r| r.kind).collect();
            if c.buyer.as_str() == "21750001630066" {
                assert_eq!(noted, [RepairKind::BuyerSiretKey], "{file}");
            } else {
                assert!(noted.is_empty(), "{file}: {noted:?}");
            }
        }
        for rej in &r.rejections {
            assert_eq!(rej.reason, RejectReason::InvalidSiret, "{file}: {rej}");
            assert!(
                ["acheteur.id", "autoriteConcedante.id"].contains(&rej.field.as_str()),
                "{file}: {rej}"
            );
            assert!(
                ["12345678901234", "12345678901250"].contains(&rej.value.as_str()),
                "{file}: {rej}"
            );
        }
    }
}

#[test]
fn a_1_x_marche_is_read_with_its_labels_mapped_to_2_0() {
    let r = example("v1.5/paquet.json");
    let c = r.contract("2010345211200");
    assert_eq!(c.kind, ContractKind::Marche);
    assert_eq!(c.source, ContractSource::Decp1);
    assert_eq!(c.buyer.as_str(), "21350238800019");
    assert_eq!(c.buyer_name.as_deref(), Some("Ville de Rennes"));
    assert_eq!(c.nature, label(Some("Marché"), Some("Accord-cadre")));
    assert_eq!(c.object, "Entretien des jardins municipaux");
    assert_eq!(c.cpv, Some(cpv().parse("77313000").unwrap()));
    assert_eq!(
        c.procedure,
        Label::v2("Marché passé sans publicité ni mise en concurrence préalable")
    );
    assert_eq!(
        c.place,
        Some(Place {
            code: "35238".into(),
            code_type: "Code commune".into()
        })
    );
    assert_eq!(c.duration_months, Some(24));
    assert_eq!(c.notified_on, Some(date("2007-08-13")));
    assert_eq!(c.published_on, Some(date("2007-08-19")));
    assert_eq!(c.starts_on, None);
    assert_eq!(c.amount, Some(Amount::from_euros(127_000)));
    assert_eq!(c.price_form, label(None, Some("Ferme et actualisable")));
    assert_eq!(
        c.operators,
        [
            op("81223113200026", "SIRET", Some("Garami SARL")),
            op("DE814864138", "TVA", Some("Hellman Gmbh")),
        ]
    );
    assert!(c.modifications.is_empty() && c.subcontracting.is_empty());
    assert_eq!(c.decp2, None);
}

#[test]
fn a_1_x_concession_is_read_from_its_own_fields() {
    let r = example("v1.5/cc-avec-modifications.json");
    let c = r.contract("20010345211202");
    assert_eq!(c.kind, ContractKind::Concession);
    assert_eq!(c.buyer.as_str(), "21350238800019");
    assert_eq!(c.buyer_name.as_deref(), Some("Ville de Millau"));
    assert_eq!(c.nature, Label::v2("Concession de travaux"));
    assert_eq!(c.procedure, Label::v2("Procédure négociée restreinte"));
    assert_eq!(c.notified_on, Some(date("2001-02-21")));
    assert_eq!(c.starts_on, Some(date("2001-02-21")));
    assert_eq!(c.amount, Some(Amount::from_euros(27_860_000)));
    assert_eq!(c.price_form, label(None, None));
    assert_eq!(
        c.operators,
        [op("81223113200026", "SIRET", Some("Atlas SAS"))]
    );
    let ids: Vec<&str> = c.modifications.iter().map(|m| m.id.as_str()).collect();
    assert_eq!(
        ids,
        ["1", "2"],
        "1.x modifications are numbered by position"
    );
    let last = &c.modifications[1];
    assert_eq!(last.signed_on, Some(date("2002-01-06")));
    assert_eq!(last.published_on, Some(date("2002-01-19")));
    assert_eq!(last.new_duration_months, Some(540));
    assert_eq!(last.new_amount, Some(Amount::from_euros(33_890_000)));
    assert_eq!(c.current_amount(), Some(Amount::from_euros(33_890_000)));
    assert_eq!(c.decp2, None);
}

#[test]
fn the_1_x_xml_example_reads_like_its_json_counterpart() {
    let json = example("v1.5/paquet.json");
    let xml = example("v1.5/paquet.xml");
    // paquet.xml holds the same marché as paquet.json, beside other records.
    let from_xml = &xml.contracts[2];
    assert_eq!(from_xml, json.contract("2010345211200"));
    assert_eq!(xml.contracts[0].kind, ContractKind::Concession);
    assert_eq!(
        xml.contracts[0].operators[0].name.as_deref(),
        Some("Atlas SAS")
    );

    let m = example("v1.5/mar-avec-modifications.xml");
    let c = &m.contracts[0];
    assert_eq!(m.stats.format, DecpFormat::V1Xml);
    assert_eq!(c.modifications.len(), 3);
    assert_eq!(
        c.modifications[0].object.as_deref(),
        Some("Changement de titulaire : remplacement d'Hellman par Amandier.")
    );
    assert_eq!(c.modifications[1].new_duration_months, Some(30));
    assert_eq!(c.current_duration_months(), Some(30));
    // Titulaires follow the modification published last.
    assert_eq!(c.current_operators()[1].name.as_deref(), Some("Jullié SA"));
}

#[test]
fn a_2_0_marche_fills_every_2_0_field() {
    let r = example("v2.0/json/marches_avec_modifications.json");
    let c = r.contract("TEST2022Bis");
    assert_eq!(c.source, ContractSource::Decp2);
    assert_eq!(c.buyer.as_str(), "21750001630040");
    assert_eq!(c.buyer_name, None);
    assert_eq!(c.nature, Label::v2("Marché"));
    assert_eq!(c.cpv, Some(cpv().parse("45000000-7").unwrap()));
    assert_eq!(c.procedure, Label::v2("Appel d'offres ouvert"));
    assert_eq!(c.price_form, Label::v2("Forfaitaire"));
    assert_eq!(c.amount, Some(Amount::from_euros(575_000)));
    assert_eq!(c.duration_months, Some(48));
    assert_eq!(c.operators, [op("55204599900869", "SIRET", None)]);
    let d = c.decp2.as_ref().unwrap();
    assert_eq!(d.techniques, ["Concours", "Accord-cadre"]);
    assert_eq!(d.execution_modes, ["Tranches"]);
    assert_eq!(d.framework_id.as_deref(), Some("1234567890"));
    assert_eq!(d.innovative, Some(true));
    assert_eq!(d.ccag.as_deref(), Some("Travaux"));
    assert_eq!(d.offers_received, Some(4));
    assert_eq!(d.advance_paid, Some(true));
    assert_eq!(d.advance_rate_permille, Some(0));
    assert_eq!(d.operator_grouping.as_deref(), Some("Pas de groupement"));
    assert_eq!(d.price_types, ["Définitif ferme"]);
    assert_eq!(d.subcontracting_declared, Some(true));
    assert_eq!(
        d.social_considerations,
        ["Clause sociale", "Critère social"]
    );
    assert_eq!(d.environmental_considerations, ["Clause environnementale"]);
    assert_eq!(d.public_subsidy, None);
    let act = &c.subcontracting[0];
    assert_eq!(act.id, "1");
    assert_eq!(act.subcontractor, op("214356", "SIRET", None));
    assert_eq!(act.amount, Some(euros("123456.89")));
    assert_eq!(act.duration_months, Some(12));
    assert_eq!(act.signed_on, Some(date("2023-10-11")));
    assert_eq!(act.price_variation.as_deref(), Some("Révisable"));
    let m = &c.modifications[0];
    assert_eq!(m.id, "1");
    assert_eq!(m.new_amount, Some(euros("123457.87")));
    assert_eq!(m.new_duration_months, Some(12));
    assert_eq!(m.new_operators, [op("868768687576575", "SIRET", None)]);
    assert_eq!(m.signed_on, Some(date("2022-10-18")));
}

#[test]
fn the_2_0_xml_example_reads_like_the_json_one() {
    let json = example("v2.0/json/marches_avec_modifications.json");
    let xml = example("v2.0/xml/Marche.xml");
    let from_json = json.contract("TEST2022Bis");
    let from_xml = &xml.contracts[0];
    // The examples differ in id, object, the act's dates and the modifications (of the
    // contract and of its subcontracting act, which the XML example lacks); all else is the
    // same record, "oui" in XML being true in JSON.
    let mut json_fields = from_json.decp2.clone().unwrap();
    assert_eq!(json_fields.subcontracting_modifications.len(), 1);
    json_fields.subcontracting_modifications.clear();
    assert_eq!(from_xml.decp2, Some(json_fields));
    assert_eq!(
        from_xml
            .decp2
            .as_ref()
            .unwrap()
            .origin_eu
            .map(|s| s.to_string()),
        Some("0.1".to_owned())
    );
    assert_eq!(from_xml.operators, from_json.operators);
    assert_eq!(
        from_xml.subcontracting[0].amount,
        from_json.subcontracting[0].amount
    );
    assert_eq!(
        from_xml.subcontracting[0].subcontractor,
        from_json.subcontracting[0].subcontractor
    );
    for (a, b) in [
        (&from_xml.nature, &from_json.nature),
        (&from_xml.procedure, &from_json.procedure),
        (&from_xml.price_form, &from_json.price_form),
    ] {
        assert_eq!(a, b);
    }
    assert_eq!(
        (
            from_xml.cpv,
            from_xml.amount,
            from_xml.duration_months,
            &from_xml.place
        ),
        (
            from_json.cpv,
            from_json.amount,
            from_json.duration_months,
            &from_json.place
        )
    );
    assert_eq!(from_xml.notified_on, from_json.notified_on);
    assert!(from_xml.modifications.is_empty());
}

#[test]
fn a_2_0_concession_with_a_valid_buyer_is_read_in_full_from_json_and_xml() {
    // The examples' autorité concédante 12345678901234 fails the Luhn check: with a real
    // SIRET, the same records are read in full.
    let fix = |text: String| text.replace("12345678901234", "21380185500015");
    let xml = read_str(&fix(example_text(
        "v2.0/xml/Contrat-concession-modification.xml",
    )))
    .unwrap();
    assert_eq!(xml.counts(), (DecpFormat::V2Xml, 2, 2, 0));
    let json = read_str(&fix(example_text(
        "v2.0/json/concessions_avec_modifications.json",
    )))
    .unwrap();
    assert_eq!(json.counts(), (DecpFormat::V2Json, 2, 1, 1));
    let (x, j) = (&xml.contracts[0], &json.contracts[0]);
    for c in [x, j] {
        assert_eq!(c.kind, ContractKind::Concession);
        assert_eq!(c.buyer.as_str(), "21380185500015");
        assert_eq!(c.amount, Some(euros("10.3")));
        assert_eq!(c.starts_on, Some(date("2024-04-01")));
        assert_eq!(c.notified_on, Some(date("2024-04-02")));
        assert_eq!(
            c.operators,
            [
                op("38103128500491", "SIRET", None),
                op("38103128500574", "SIRET", None)
            ]
        );
        let d = c.decp2.as_ref().unwrap();
        assert_eq!(d.public_subsidy, Some(euros("0.5")));
        assert!(d.techniques.is_empty() && d.ccag.is_none());
        assert_eq!(
            d.social_considerations,
            ["Clause sociale", "Critère social"]
        );
        assert_eq!(c.modifications[0].new_amount, Some(Amount::from_euros(25)));
        assert_eq!(c.modifications[0].new_duration_months, Some(14));
    }
    // The XML example lists the first of the JSON example's two tariffs; all else is equal.
    let (xd, mut jd) = (x.decp2.clone().unwrap(), j.decp2.clone().unwrap());
    let tariffs = |d: &mutualis_domain::contract::Decp2Fields| -> Vec<(String, String)> {
        d.execution_data[0]
            .tariffs
            .iter()
            .map(|t| (t.label.clone().unwrap(), t.price.unwrap().to_string()))
            .collect()
    };
    assert_eq!(
        tariffs(&jd),
        [
            ("Intitulé du tarif".to_owned(), "14.29".to_owned()),
            ("Intitulé du tarif2".to_owned(), "19.29".to_owned())
        ]
    );
    assert_eq!(tariffs(&xd), tariffs(&jd)[..1]);
    jd.execution_data[0].tariffs.truncate(1);
    assert_eq!(xd, jd);
    assert_eq!(
        xd.execution_data[0].investment_spending,
        Some(euros("15.3"))
    );
    assert_eq!(x.modifications[0].signed_on, Some(date("2024-04-19")));
}

#[test]
fn records_are_numbered_in_document_order_across_lists() {
    // marches_concessions.json lists its concessions before its marchés.
    let r = example("v2.0/json/marches_concessions.json");
    let kinds: Vec<_> = r.rejections.iter().map(|r| (r.index, r.kind)).collect();
    assert_eq!(
        kinds,
        [
            (0, Some(ContractKind::Concession)),
            (1, Some(ContractKind::Concession)),
        ]
    );
    assert_eq!(r.contract_index, [2, 3]);
    assert_eq!(r.contracts[0].id, "TEST2022");
    assert_eq!(r.contracts[1].id, "TEST2022Bis");
    // The rejected record is kept whole, for a rejects file.
    assert_eq!(
        r.rejections[1].record["objet"],
        "Objet de la consultation 2"
    );
}
