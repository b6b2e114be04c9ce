use crate::helpers::*;

// ---------------------------------------------------------------------------------------------
// Conversion rules, on small documents

#[test]
fn legacy_labels_map_to_2_0_and_keep_the_original() {
    let procedure = |p: &str| {
        one(&v1_marche(&[("procedure", p.into())]))
            .unwrap()
            .procedure
    };
    for (v1, v2) in [
        (
            "Procédure négociée sans publicité préalable",
            "Marché passé sans publicité ni mise en concurrence préalable",
        ),
        (
            "Marché négocié sans publicité ni mise en concurrence préalable",
            "Marché passé sans publicité ni mise en concurrence préalable",
        ),
        (
            "Procédure concurrentielle avec négociation",
            "Procédure avec négociation",
        ),
        (
            "Procédure négociée avec mise en concurrence préalable",
            "Procédure avec négociation",
        ),
    ] {
        assert_eq!(procedure(v1), label(Some(v2), Some(v1)));
    }
    assert_eq!(
        procedure("Appel d'offres ouvert"),
        Label::v2("Appel d'offres ouvert")
    );

    let nature = |n: &str| one(&v1_marche(&[("nature", n.into())])).unwrap().nature;
    assert_eq!(
        nature("Accord-cadre"),
        label(Some("Marché"), Some("Accord-cadre"))
    );
    assert_eq!(
        nature("Marché subséquent"),
        label(Some("Marché"), Some("Marché subséquent"))
    );
    assert_eq!(
        nature("Marché de partenariat"),
        Label::v2("Marché de partenariat")
    );

    let price = |p: &str| {
        one(&v1_marche(&[("formePrix", p.into())]))
            .unwrap()
            .price_form
    };
    for v1 in ["Ferme", "Révisable", "Ferme et actualisable"] {
        assert_eq!(price(v1), label(None, Some(v1)));
    }
    assert_eq!(price("Mixte"), Label::v2("Mixte"));

    let unknown = rejected(&v1_marche(&[("procedure", "Gré à gré".into())]));
    assert_eq!(
        (
            unknown.reason,
            unknown.field.as_str(),
            unknown.value.as_str()
        ),
        (RejectReason::UnknownLabel, "procedure", "Gré à gré")
    );
    // A missing label is no reason to reject.
    let none = one(&v1_marche(&[("procedure", serde_json::Value::Null)])).unwrap();
    assert_eq!(none.procedure, label(None, None));
}

/// The 2019 files hold no label, scheme or place outside the lists (their rejects were CPV
/// codes, SIRETs, dates and durations): these repairs are checked on the base record, with
/// the values other publishers wrote.
#[test]
fn labels_written_otherwise_are_repaired_with_a_note() {
    let without_publicity = "Marché passé sans publicité ni mise en concurrence préalable";
    for (published, value) in [
        (
            "Marché public négocié sans publicité ni mise en concurrence préalable",
            without_publicity,
        ),
        (
            "MARCHE NEGOCIE SANS PUBLICITE NI MISE EN CONCURRENCE PREALABLE",
            without_publicity,
        ),
        ("Appel d'offre ouvert", "Appel d'offres ouvert"),
        ("procédure adaptée", "Procédure adaptée"),
        ("Appel d’offres ouvert", "Appel d'offres ouvert"),
    ] {
        let c = one(&v1_marche(&[("procedure", published.into())])).unwrap();
        assert_eq!(
            c.procedure,
            label(Some(value), Some(published)),
            "{published}"
        );
        assert_eq!(
            repairs_of(&c),
            [repair(
                RepairKind::LegacyProcedure,
                "procedure",
                published,
                Some(value)
            )]
        );
    }
    let c = one(&v1_marche(&[("nature", "ACCORD CADRE".into())])).unwrap();
    assert_eq!(c.nature, label(Some("Marché"), Some("ACCORD CADRE")));
    assert_eq!(c.repairs[0].kind, RepairKind::LegacyNature);
    // A label exactly as 1.x published it is mapped without a repair, as before.
    let c = one(&v1_marche(&[("nature", "Accord-cadre".into())])).unwrap();
    assert!(c.repairs.is_empty());
    // 2.0 forgives case, never a 1.x label.
    let marche = |extra: &str| {
        format!(
            r#"{{"marches":{{"marche":[{{"id":"A1","acheteur":{{"id":"20004071500019"}},"objet":"x"{extra}}}]}}}}"#
        )
    };
    let c = one(&marche(r#","procedure":"appel d'offres ouvert""#)).unwrap();
    assert_eq!(c.procedure.value.as_deref(), Some("Appel d'offres ouvert"));
    let rej = rejected(&marche(
        r#","procedure":"Procédure négociée avec mise en concurrence préalable""#,
    ));
    assert_eq!(rej.reason, RejectReason::UnknownLabel);
}

#[test]
fn closed_list_values_written_in_another_case_are_read_as_the_list_s() {
    // An official 2.0 example (its SIRETs made valid), its CCAG, grouping and a
    // subcontracting act's price variation written as publishers sometimes do ("ferme" in
    // decp-processing's test file).
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/data/decp-2.0-examples/json/marches_avec_modifications.json");
    let text = std::fs::read_to_string(path).unwrap();
    let published = read_str(&text).unwrap();
    let text = text
        .replacen("\"ccag\": \"Travaux\"", "\"ccag\": \"TRAVAUX\"", 1)
        .replacen("\"Pas de groupement\"", "\"pas de  groupement\"", 1)
        .replacen(
            "\"variationPrix\": \"Révisable\"",
            "\"variationPrix\": \"revisable\"",
            1,
        );
    let r = read_str(&text).unwrap();
    assert_eq!(r.rejections, []);
    assert_eq!(r.contracts.len(), published.contracts.len());
    let c = &r.contracts[0];
    let d = c.decp2.as_ref().unwrap();
    assert_eq!(d.ccag.as_deref(), Some("Travaux"));
    assert_eq!(d.operator_grouping.as_deref(), Some("Pas de groupement"));
    assert_eq!(
        c.subcontracting[0].price_variation.as_deref(),
        Some("Révisable")
    );
    assert_eq!(
        repairs_of(c),
        [
            repair(
                RepairKind::LabelSpelling,
                "ccag",
                "TRAVAUX",
                Some("Travaux")
            ),
            repair(
                RepairKind::LabelSpelling,
                "typeGroupementOperateurs",
                "pas de  groupement",
                Some("Pas de groupement")
            ),
            repair(
                RepairKind::LabelSpelling,
                "actesSousTraitance[0].variationPrix",
                "revisable",
                Some("Révisable")
            ),
        ]
    );
    // Apart from the repairs, the contract is the one published.
    let mut same = c.clone();
    same.repairs.clear();
    assert_eq!(same, published.contracts[0]);
    // A value that is no spelling of the list's is still refused.
    let r = read_str(&text.replacen("\"revisable\"", "\"indexé\"", 1)).unwrap();
    assert_eq!(
        (r.rejections[0].reason, r.rejections[0].field.as_str()),
        (
            RejectReason::UnknownLabel,
            "actesSousTraitance[0].variationPrix"
        )
    );
}

#[test]
fn identifier_schemes_written_otherwise_are_normalised() {
    let c = one(&v1_marche(&[(
        "titulaires",
        serde_json::json!([
            {"typeIdentifiant": "TVA_INTRACOMMUNAUTAIRE", "id": "FR32392100319", "denominationSociale": "X"},
            {"typeIdentifiant": "siret", "id": "21380185500015", "denominationSociale": "Y"},
            {"typeIdentifiant": "UE", "id": "BE0123456789", "denominationSociale": "Z"}
        ]),
    )]))
    .unwrap();
    let schemes: Vec<&str> = c.operators.iter().map(|o| o.id_type.as_str()).collect();
    assert_eq!(schemes, ["TVA", "SIRET", "UE"]);
    assert_eq!(
        repairs_of(&c),
        [
            repair(
                RepairKind::IdentifierScheme,
                "titulaires[0].typeIdentifiant",
                "TVA_INTRACOMMUNAUTAIRE",
                Some("TVA")
            ),
            repair(
                RepairKind::IdentifierScheme,
                "titulaires[1].typeIdentifiant",
                "siret",
                Some("SIRET")
            ),
        ]
    );
    assert_eq!(c.operators[1].siret().unwrap().as_str(), "21380185500015");
    let rej = rejected(&v1_marche(&[(
        "titulaires",
        serde_json::json!([{"typeIdentifiant": "DUNS", "id": "123"}]),
    )]));
    assert_eq!(
        (rej.reason, rej.field.as_str()),
        (RejectReason::UnknownLabel, "titulaires[0].typeIdentifiant")
    );
}

#[test]
fn a_place_without_a_known_type_is_inferred_when_unambiguous_else_dropped() {
    let place = |p: serde_json::Value| one(&v1_marche(&[("lieuExecution", p)])).unwrap();
    let c = place(serde_json::json!({"code": "38000", "typeCode": "code postal"}));
    assert_eq!(
        c.place,
        Some(Place {
            code: "38000".into(),
            code_type: "Code postal".into()
        })
    );
    assert_eq!(c.repairs[0].kind, RepairKind::PlaceTypeInferred);
    let c = place(serde_json::json!({"code": "FR", "nom": "France"}));
    assert_eq!(c.place.as_ref().unwrap().code_type, "Code pays");
    assert_eq!(
        repairs_of(&c),
        [repair(
            RepairKind::PlaceTypeInferred,
            "lieuExecution.typeCode",
            "",
            Some("Code pays")
        )]
    );
    // 38000 could be a postal code or a commune's INSEE code: not guessed.
    for p in [
        serde_json::json!({"code": "38000", "nom": "Grenoble"}),
        serde_json::json!({"code": "38000", "typeCode": "Ville"}),
        serde_json::json!({"code": {"cp": "38000"}, "typeCode": "Code postal"}),
    ] {
        let c = place(p.clone());
        assert_eq!(c.place, None, "{p}");
        assert_eq!(c.repairs.len(), 1, "{p}");
        assert_eq!(c.repairs[0].kind, RepairKind::PlaceDropped, "{p}");
        assert_eq!(c.repairs[0].kept, None);
    }
    // A place without a code is absent, as before.
    let c = place(serde_json::json!({"typeCode": "Code postal"}));
    assert_eq!((c.place, c.repairs.len()), (None, 0));
}

#[test]
fn a_test_record_is_rejected() {
    // data.gouv.fr's 2019 PES file, record 950: id "2018TEST00", objet "TEST".
    let rej = rejected(&v1_marche(&[
        ("id", "2018TEST00".into()),
        ("objet", "TEST".into()),
    ]));
    assert_eq!(
        (rej.reason, rej.field.as_str(), rej.value.as_str()),
        (RejectReason::TestRecord, "objet", "TEST")
    );
    // A real object that mentions tests is a contract.
    let c = one(&v1_marche(&[(
        "objet",
        "Essais de sol et tests d'étanchéité".into(),
    )]));
    assert!(c.is_ok());
}

#[test]
fn dates_with_a_zone_or_a_time_keep_their_date_and_impossible_ones_are_rejected() {
    let notified = |d: &str| one(&v1_marche(&[("dateNotification", d.into())]));
    for d in [
        "2018-12-21+01:00",
        "2018-12-21-05:00",
        "2018-12-21Z",
        "2018-12-21T09:30:00+01:00",
        "2018-12-21",
    ] {
        assert_eq!(
            notified(d).unwrap().notified_on,
            Some(date("2018-12-21")),
            "{d}"
        );
    }
    for d in ["0218-10-29", "2019-02-30", "21/12/2018", "hier"] {
        let rej = notified(d).unwrap_err();
        assert_eq!(
            (rej.reason, rej.field.as_str(), rej.value.as_str()),
            (RejectReason::InvalidDate, "dateNotification", d)
        );
    }
    let rej = notified("0218-10-29").unwrap_err();
    assert!(rej.detail.contains("0218"), "{}", rej.detail);
}

#[test]
fn cpv_codes_are_read_with_or_without_their_check_digit() {
    let code = |c: serde_json::Value| one(&v1_marche(&[("codeCPV", c)]));
    let with = code("45233140-2".into()).unwrap().cpv.unwrap();
    let without = code("45233140".into()).unwrap().cpv.unwrap();
    assert_eq!(with, without);
    assert_eq!(with.to_string(), "45233140-2");
    assert_eq!(code(serde_json::json!(45233140)).unwrap().cpv, Some(with));
    assert!(code("45233140-2".into()).unwrap().repairs.is_empty());
    // A wrong check digit is corrected; a code not in CPV 2008 is dropped: neither rejects.
    let wrong = code("45233140-3".into()).unwrap();
    assert_eq!(wrong.cpv, Some(with));
    assert_eq!(
        repairs_of(&wrong),
        [repair(
            RepairKind::CpvCheckDigit,
            "codeCPV",
            "45233140-3",
            Some("45233140-2")
        )]
    );
    for bad in ["99999999", "4523314", "031210004", "NC"] {
        let c = code(bad.into()).unwrap();
        assert_eq!(c.cpv, None, "{bad}");
        assert_eq!(
            repairs_of(&c),
            [repair(RepairKind::CpvDropped, "codeCPV", bad, None)]
        );
    }
    assert_eq!(code("".into()).unwrap().cpv, None);
    assert!(code("".into()).unwrap().repairs.is_empty());
}

#[test]
fn amounts_are_read_from_numbers_and_strings_without_floats() {
    let amount = |m: serde_json::Value| one(&v1_marche(&[("montant", m)]));
    assert_eq!(
        amount("127000.50".into()).unwrap().amount,
        Some(euros("127000.5"))
    );
    assert_eq!(
        amount("1 234,56".into()).unwrap().amount,
        Some(Amount::from_cents(123_456))
    );
    assert_eq!(
        amount(serde_json::json!(77899.0)).unwrap().amount,
        Some(Amount::from_euros(77_899))
    );
    assert_eq!(
        amount(serde_json::json!(123456.89)).unwrap().amount,
        Some(Amount::from_cents(12_345_689))
    );
    assert_eq!(
        amount(serde_json::json!(0.1)).unwrap().amount,
        Some(Amount::from_cents(10))
    );
    assert_eq!(
        amount(serde_json::json!(0)).unwrap().amount,
        Some(Amount::ZERO)
    );
    for bad in [
        serde_json::json!("12.345"),
        serde_json::json!("cent euros"),
        serde_json::json!(-5),
        serde_json::json!(true),
        serde_json::json!(1.0e17),
    ] {
        let rej = amount(bad.clone()).unwrap_err();
        assert_eq!(
            (rej.reason, rej.field.as_str()),
            (RejectReason::InvalidAmount, "montant"),
            "{bad}"
        );
    }
}

#[test]
fn identity_is_required_and_the_buyer_must_be_a_valid_siret() {
    for (field, reported) in [
        ("id", "id"),
        ("objet", "objet"),
        ("acheteur", "acheteur.id"),
    ] {
        let rej = rejected(&v1_marche(&[(field, serde_json::Value::Null)]));
        assert_eq!(
            (rej.reason, rej.field.as_str(), rej.value.as_str()),
            (RejectReason::MissingField, reported, ""),
            "{field}"
        );
    }
    // A buyer SIRET failing both its key and its SIREN's (marches-publics.info 2019, record
    // 929) is rejected; one failing only one of them is kept, noted.
    let rej = rejected(&v1_marche(&[(
        "acheteur",
        serde_json::json!({"id": "22740001400074"}),
    )]));
    assert_eq!(
        (rej.reason, rej.field.as_str(), rej.value.as_str()),
        (RejectReason::InvalidSiret, "acheteur.id", "22740001400074")
    );
    let kept = one(&v1_marche(&[(
        "acheteur",
        serde_json::json!({"id": "20004071500018"}),
    )]))
    .unwrap();
    assert_eq!(kept.buyer.as_str(), "20004071500018");
    assert_eq!(
        repairs_of(&kept),
        [repair(
            RepairKind::BuyerSiretKey,
            "acheteur.id",
            "20004071500018",
            Some("20004071500018")
        )]
    );
    assert!(kept.repairs[0].note.contains("Luhn"), "{:?}", kept.repairs);
    assert_eq!(rej.id.as_deref(), Some("2019-001"));
    assert_eq!(rej.kind, Some(ContractKind::Marche));
    assert!(rej.to_string().contains("acheteur.id"), "{rej}");
    // Other optional fields may be missing.
    let c = one(&v1_marche(&[
        ("codeCPV", serde_json::Value::Null),
        ("lieuExecution", serde_json::Value::Null),
        ("montant", serde_json::Value::Null),
        ("titulaires", serde_json::Value::Null),
    ]))
    .unwrap();
    assert_eq!((c.cpv, c.place, c.amount), (None, None, None));
    assert!(c.operators.is_empty());
    // A titulaire's bad SIRET is kept as published.
    let c = one(&v1_marche(&[(
        "titulaires",
        serde_json::json!([{"typeIdentifiant": "SIRET", "id": "12345678900022"}]),
    )]))
    .unwrap();
    assert_eq!(c.operators[0].siret(), None);
}

#[test]
fn durations_must_be_whole_months() {
    let months = |m: serde_json::Value| one(&v1_marche(&[("dureeMois", m)]));
    assert_eq!(
        months(serde_json::json!("36")).unwrap().duration_months,
        Some(36)
    );
    assert_eq!(
        months(serde_json::json!(36.0)).unwrap().duration_months,
        Some(36)
    );
    for bad in [
        serde_json::json!("NC"),
        serde_json::json!(1.5),
        serde_json::json!(-2),
    ] {
        let rej = months(bad).unwrap_err();
        assert_eq!(rej.reason, RejectReason::InvalidDuration);
    }
}

#[test]
fn the_kind_of_a_1_x_record_comes_from_type_or_its_buyer_field() {
    let unknown = rejected(&v1_marche(&[("_type", "Avenant".into())]));
    assert_eq!(
        (unknown.reason, unknown.field.as_str(), unknown.kind),
        (RejectReason::UnknownLabel, "_type", None)
    );
    let untyped = one(&v1_marche(&[("_type", serde_json::Value::Null)])).unwrap();
    assert_eq!(untyped.kind, ContractKind::Marche);
}

#[test]
fn quirks_with_a_clear_meaning_are_read() {
    // Titulaires nested in extra lists, a 2.0-style modification in a 1.x file, a bare NaN.
    let text = v1_marche(&[(
        "modifications",
        serde_json::json!([{"modification": {
            "id": 1,
            "dateNotificationModification": "2020-01-10",
            "datePublicationDonneesModification": "2020-01-15",
            "titulaires": [[[{"typeIdentifiant": "SIRET", "id": "34027049500021", "denominationSociale": "FFF"}]]]
        }}]),
    )])
    .replace("\"montant\":100000", "\"montant\":NaN");
    let c = one(&text).unwrap();
    assert_eq!(c.amount, None);
    assert_eq!(
        c.modifications[0].new_operators,
        [op("34027049500021", "SIRET", Some("FFF"))]
    );
    assert_eq!(c.modifications[0].signed_on, Some(date("2020-01-10")));

    // A 2.0 titulaire without its wrapper, booleans as the XML schema writes them.
    let text = r#"{"marches":{"marche":[{"id":"A1","acheteur":{"id":"20004071500019"},"objet":"x",
        "marcheInnovant":"non","attributionAvance":"1","tauxAvance":"0.05",
        "titulaires":[{"typeIdentifiant":"SIRET","id":"39210031900038"},{"titulaire":{"typeIdentifiant":"TVA","id":"FR1"}}]}]}}"#;
    let c = one(text).unwrap();
    let d = c.decp2.unwrap();
    assert_eq!(
        (d.innovative, d.advance_paid, d.advance_rate_permille),
        (Some(false), Some(true), Some(50))
    );
    assert_eq!(c.operators.len(), 2);
}

#[test]
fn decp_2_0_values_are_checked_against_the_schema_lists() {
    let marche = |extra: &str| {
        format!(
            r#"{{"marches":{{"marche":[{{"id":"A1","acheteur":{{"id":"20004071500019"}},"objet":"x"{extra}}}]}}}}"#
        )
    };
    for (extra, reason, field, value) in [
        (
            r#","nature":"Accord-cadre""#,
            RejectReason::UnknownLabel,
            "nature",
            "Accord-cadre",
        ),
        (
            r#","ccag":"CCAG-FCS""#,
            RejectReason::UnknownLabel,
            "ccag",
            "CCAG-FCS",
        ),
        (
            r#","techniques":{"technique":["Concours","Enchère"]}"#,
            RejectReason::UnknownLabel,
            "techniques",
            "Enchère",
        ),
        (
            r#","offresRecues":0"#,
            RejectReason::InvalidNumber,
            "offresRecues",
            "0",
        ),
        (
            r#","tauxAvance":1.5"#,
            RejectReason::InvalidNumber,
            "tauxAvance",
            "1.5",
        ),
        (
            r#","marcheInnovant":"peut-être""#,
            RejectReason::InvalidBoolean,
            "marcheInnovant",
            "peut-être",
        ),
        (
            r#","montant":0.5"#,
            RejectReason::InvalidAmount,
            "montant",
            "0.5",
        ),
        (
            r#","dureeMois":0"#,
            RejectReason::InvalidDuration,
            "dureeMois",
            "0",
        ),
        (
            r#","titulaires":[{"titulaire":{"typeIdentifiant":"UE","id":"X"}}]"#,
            RejectReason::UnknownLabel,
            "titulaires[0].typeIdentifiant",
            "UE",
        ),
        (
            r#","titulaires":[{"titulaire":{"typeIdentifiant":"SIRET"}}]"#,
            RejectReason::MissingField,
            "titulaires[0].id",
            "",
        ),
        (
            r#","origineUE":1.2"#,
            RejectReason::InvalidNumber,
            "origineUE",
            "1.2",
        ),
        (
            r#","origineFrance":"beaucoup""#,
            RejectReason::InvalidNumber,
            "origineFrance",
            "beaucoup",
        ),
        (
            r#","modificationsActesSousTraitance":[{"modificationActeSousTraitance":{"dureeMois":3}}]"#,
            RejectReason::MissingField,
            "modificationsActesSousTraitance[0].id",
            "",
        ),
        (
            r#","modificationsActesSousTraitance":[{"modificationActeSousTraitance":{"id":1,"montant":0.5}}]"#,
            RejectReason::InvalidAmount,
            "modificationsActesSousTraitance[0].montant",
            "0.5",
        ),
    ] {
        let rej = rejected(&marche(extra));
        assert_eq!(
            (rej.reason, rej.field.as_str(), rej.value.as_str()),
            (reason, field, value),
            "{extra}"
        );
    }
    let minimal = one(&marche("")).unwrap();
    assert_eq!(minimal.decp2, Some(Default::default()));

    let concession = |extra: &str| {
        format!(
            r#"{{"marches":{{"contrat-concession":[{{"id":"C1","autoriteConcedante":{{"id":"20004071500019"}},"objet":"x"{extra}}}]}}}}"#
        )
    };
    let year = |inner: &str| {
        format!(
            r#","donneesExecution":[{{"donneesAnnuelles":{{"datePublicationDonneesExecution":"2025-04-18"{inner}}}}}]"#
        )
    };
    for (extra, reason, field, value) in [
        (
            year(r#","depensesInvestissement":-3"#),
            RejectReason::InvalidAmount,
            "donneesExecution[0].depensesInvestissement",
            "-3",
        ),
        (
            year(r#","tarifs":[{"tarif":{"intituleTarif":"Eau","tarif":"1,5 €"}}]"#),
            RejectReason::InvalidNumber,
            "donneesExecution[0].tarifs[0].tarif",
            "1,5 €",
        ),
        (
            year(r#","tarifs":[{"tarif":{"intituleTarif":"Eau","tarif":0.1234567890123}}]"#),
            RejectReason::InvalidNumber,
            "donneesExecution[0].tarifs[0].tarif",
            "0.1234567890123",
        ),
        (
            r#","donneesExecution":[{"donneesAnnuelles":{"datePublicationDonneesExecution":"18/04/2025"}}]"#.to_owned(),
            RejectReason::InvalidDate,
            "donneesExecution[0].datePublicationDonneesExecution",
            "18/04/2025",
        ),
    ] {
        let rej = rejected(&concession(&extra));
        assert_eq!(
            (rej.reason, rej.field.as_str(), rej.value.as_str()),
            (reason, field, value),
            "{extra}"
        );
    }
    // A tariff written without its wrapper, with four decimals, is read exactly.
    let c = one(&concession(&year(
        r#","depensesInvestissement":"1200.5","tarifs":[{"intituleTarif":"Prix du m³","tarif":1.2345}]"#,
    )))
    .unwrap();
    let y = &c.decp2.unwrap().execution_data[0];
    assert_eq!(y.investment_spending, Some(euros("1200.5")));
    assert_eq!(y.tariffs[0].label.as_deref(), Some("Prix du m³"));
    assert_eq!(y.tariffs[0].price.unwrap().to_string(), "1.2345");
    // A place is never a reason to reject: one that cannot be read is dropped, noted.
    let c = one(&marche(r#","lieuExecution":"Grenoble""#)).unwrap();
    assert_eq!(c.place, None);
    assert_eq!(
        repairs_of(&c),
        [repair(
            RepairKind::PlaceDropped,
            "lieuExecution",
            "Grenoble",
            None
        )]
    );
    // A 2.0 scheme in another case is normalised; "UE" is not a 2.0 scheme in any case.
    let c = one(&marche(
        r#","titulaires":[{"titulaire":{"typeIdentifiant":"Siret","id":"39210031900038"}}]"#,
    ))
    .unwrap();
    assert_eq!(c.operators[0].id_type, "SIRET");
    assert_eq!(
        repairs_of(&c),
        [repair(
            RepairKind::IdentifierScheme,
            "titulaires[0].typeIdentifiant",
            "Siret",
            Some("SIRET")
        )]
    );
}
