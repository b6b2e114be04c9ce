use crate::helpers::*;

// ---------------------------------------------------------------------------------------------
// Limits against hostile files: past a limit the record is rejected, naming the limit, and
// the other records of the file are still read.

/// A DECP 1.x document with the marché of `v1_marche(fields)` and, after it, a valid one.
fn v1_then_valid(fields: &[(&str, serde_json::Value)]) -> String {
    let mut doc: serde_json::Value = serde_json::from_str(&v1_marche(fields)).unwrap();
    let mut good: serde_json::Value = serde_json::from_str(&v1_marche(&[])).unwrap();
    good["marches"][0]["id"] = "2019-002".into();
    let good = good["marches"][0].take();
    doc["marches"].as_array_mut().unwrap().push(good);
    doc.to_string()
}

/// The rejection of the first record of `text`, the second being imported.
fn first_rejected_second_read(text: &str) -> Rejection {
    let mut r = read_str(text).unwrap();
    assert_eq!((r.stats.read, r.stats.contracts), (2, 1));
    assert_eq!(r.contracts[0].id, "2019-002");
    r.rejections.pop().unwrap()
}

#[test]
fn an_xml_marche_nested_6000_deep_is_rejected_and_the_next_records_read() {
    let base = example_text("v1.5/paquet.xml");
    let counts = read_str(&base).unwrap().counts();
    let deep = format!(
        "<marche><id>profond</id>{}{}</marche>\n    <marche>",
        "<a>".repeat(6_000),
        "</a>".repeat(6_000)
    );
    let text = base.replacen("<marche>", &deep, 1);
    let r = read_str(&text).unwrap();
    assert_eq!(
        r.counts(),
        (counts.0, counts.1 + 1, counts.2, counts.3 + 1),
        "the other records are read as before"
    );
    let rej = &r.rejections[0];
    assert_eq!(rej.reason, RejectReason::RecordTooLarge, "{rej}");
    assert_eq!(rej.id.as_deref(), Some("profond"));
    assert!(rej.detail.contains("plus de 128 niveaux"), "{rej}");
    assert!(rej.detail.contains("ligne "), "{rej}");
    assert!(rej.field.starts_with("a.a.a"), "{rej}");
}

#[test]
fn an_xml_marche_with_too_many_elements_or_too_long_a_text_is_rejected() {
    let base = example_text("v1.5/paquet.xml");
    let counts = read_str(&base).unwrap().counts();
    let many = format!(
        "<marche><id>nombreux</id>{}</marche>\n    <marche><id>long</id><objet>{}</objet></marche>\n    <marche>",
        "<x>1</x>".repeat(10_000),
        "é".repeat(2_000_000)
    );
    let text = base.replacen("<marche>", &many, 1);
    let r = read_str(&text).unwrap();
    assert_eq!(r.counts(), (counts.0, counts.1 + 2, counts.2, counts.3 + 2));
    let (many, long) = (&r.rejections[0], &r.rejections[1]);
    assert_eq!(many.reason, RejectReason::RecordTooLarge, "{many}");
    assert!(many.detail.contains("plus de 10000 éléments"), "{many}");
    assert_eq!(long.reason, RejectReason::TextTooLong, "{long}");
    assert_eq!(
        (long.field.as_str(), long.id.as_deref()),
        ("objet", Some("long"))
    );
    assert!(long.detail.contains("1000 caractères"), "{long}");
}

#[test]
fn a_text_of_a_few_megabytes_is_rejected_naming_the_field_and_the_limit() {
    let rej = first_rejected_second_read(&v1_then_valid(&[("objet", "x".repeat(3 << 20).into())]));
    assert_eq!(
        (rej.reason, rej.field.as_str(), rej.id.as_deref()),
        (RejectReason::TextTooLong, "objet", Some("2019-001"))
    );
    assert!(
        rej.detail
            .contains("3145728 caractères, au-delà de la limite de 1000 caractères"),
        "{rej}"
    );
    // The record kept for a rejects file is cut down.
    assert!(rej.record["objet"].as_str().unwrap().len() < 1_100);

    // Any text, at any depth; up to the limit is fine, counted in characters.
    let name = serde_json::json!([{"typeIdentifiant": "SIRET", "id": "21380185500015", "denominationSociale": "n".repeat(1_001)}]);
    let rej = first_rejected_second_read(&v1_then_valid(&[("titulaires", name)]));
    assert_eq!(
        (rej.reason, rej.field.as_str()),
        (
            RejectReason::TextTooLong,
            "titulaires[0].denominationSociale"
        )
    );
    let c = one(&v1_marche(&[("objet", "é".repeat(1_000).into())])).unwrap();
    assert_eq!(c.object.chars().count(), 1_000);
}

/// A record too big to hold is rejected whole without being kept: its text past the limit
/// (an `objet` of 190 MB made the import hold it twice over), in one line or many.
#[test]
fn a_json_record_past_the_byte_limit_is_rejected_without_being_kept() {
    let limit = mutualis_formats::decp_read::MAX_RECORD_BYTES;
    for filler in ["x".repeat(limit + 1), "x\\n".repeat(limit / 3 + 1)] {
        let text = v1_then_valid(&[("objet", filler.into())]);
        let rej = first_rejected_second_read(&text);
        assert_eq!(rej.reason, RejectReason::RecordTooLarge, "{rej}");
        assert_eq!((rej.index, rej.id.as_deref()), (0, None));
        assert!(
            rej.detail
                .contains(&format!("au-delà de la limite de {} Mio", limit >> 20)),
            "{rej}"
        );
        assert_eq!(rej.record, serde_json::Value::Null);
        // Read from a file, through a buffer much smaller than the record: the same.
        let mut r = read(BufReader::with_capacity(8 << 10, text.as_bytes())).unwrap();
        assert_eq!((r.stats.read, r.stats.contracts), (2, 1));
        let streamed = r.rejections.pop().unwrap();
        assert_eq!((streamed.reason, streamed.detail), (rej.reason, rej.detail));
    }
    // Up to the limit, the record is read, and its text refused by the text limit.
    let rej = first_rejected_second_read(&v1_then_valid(&[(
        "objet",
        "x".repeat(limit - 1_000).into(),
    )]));
    assert_eq!(rej.reason, RejectReason::TextTooLong, "{rej}");
}

#[test]
fn infinite_amounts_and_absurd_durations_are_rejected_naming_the_field() {
    let text = v1_then_valid(&[]).replacen("\"montant\":100000", "\"montant\":Infinity", 1);
    let rej = first_rejected_second_read(&text);
    assert_eq!(
        (rej.reason, rej.field.as_str(), rej.value.as_str()),
        (RejectReason::InvalidAmount, "montant", "Infinity")
    );
    let text = v1_then_valid(&[]).replacen("\"dureeMois\":24", "\"dureeMois\":-Infinity", 1);
    let rej = first_rejected_second_read(&text);
    assert_eq!(
        (rej.reason, rej.field.as_str()),
        (RejectReason::InvalidDuration, "dureeMois")
    );
    let rej = first_rejected_second_read(&v1_then_valid(&[("dureeMois", 99_999_999.into())]));
    assert_eq!(
        (rej.reason, rej.field.as_str(), rej.value.as_str()),
        (RejectReason::InvalidDuration, "dureeMois", "99999999")
    );
    assert!(rej.detail.contains("au plus 1200 (100 ans)"), "{rej}");
    assert_eq!(
        one(&v1_marche(&[("dureeMois", 1_200.into())]))
            .unwrap()
            .duration_months,
        Some(1_200)
    );
}

#[test]
fn the_facts_reader_rejects_what_the_import_rejects() {
    let marche = |id: &str, objet: &str, months: u64| {
        serde_json::json!({
            "id": id,
            "acheteur": {"id": "20004071500019"},
            "nature": "Marché",
            "objet": objet,
            "codeCPV": "90910000-9",
            "dureeMois": months,
            "dateNotification": "2024-01-10",
            "montant": 1000,
            "titulaires": [{"titulaire": {"typeIdentifiant": "SIRET", "id": "21380185500015"}}]
        })
    };
    let mut too_french = marche("origine", "Nettoyage", 12);
    too_french["origineFrance"] = 1.5.into();
    let mut sub_modified = marche("modifie", "Nettoyage", 12);
    sub_modified["modificationsActesSousTraitance"] =
        serde_json::json!([{"modificationActeSousTraitance": {"dureeMois": 3}}]);
    let mut with_origin = marche("bon-ue", "Nettoyage", 12);
    with_origin["origineUE"] = 0.25.into();
    let text = serde_json::json!({"marches": {"marche": [
        marche("long", &"x".repeat(5_000), 12),
        marche("siecle", "Nettoyage", 99_999_999),
        marche("double", "Nettoyage", 12),
        marche("bon", "Nettoyage", 12),
        too_french,
        sub_modified,
        with_origin,
    ]}})
    .to_string()
    .replace(
        r#""id":"double""#,
        r#""id":"double","inconnu":1,"inconnu":2"#,
    );
    let mut seen = Vec::new();
    let stats = mutualis_formats::decp_read::read_decp_facts(
        text.as_bytes(),
        cpv(),
        |view| Ok(view.id.into_owned()),
        |record| record.map(|c| c.id).map_err(|r| (r.reason, r.field)),
        |item: Result<String, (RejectReason, String)>| {
            seen.push(item);
            ControlFlow::Continue(())
        },
    )
    .unwrap();
    assert_eq!((stats.read, stats.contracts, stats.rejected), (7, 2, 5));
    assert_eq!(
        seen,
        [
            Err((RejectReason::TextTooLong, "objet".to_owned())),
            Err((RejectReason::InvalidDuration, "dureeMois".to_owned())),
            Err((RejectReason::DuplicateKey, "inconnu".to_owned())),
            Ok("bon".to_owned()),
            Err((RejectReason::InvalidNumber, "origineFrance".to_owned())),
            Err((
                RejectReason::MissingField,
                "modificationsActesSousTraitance[0].id".to_owned()
            )),
            Ok("bon-ue".to_owned()),
        ]
    );
}

#[test]
fn a_key_given_twice_in_a_json_record_is_reported() {
    let text =
        v1_then_valid(&[]).replacen("\"montant\":100000", "\"montant\":100000,\"montant\":5", 1);
    let rej = first_rejected_second_read(&text);
    assert_eq!(
        (rej.reason, rej.field.as_str(), rej.id.as_deref()),
        (RejectReason::DuplicateKey, "montant", Some("2019-001"))
    );
    assert!(rej.detail.contains("« montant » figure deux fois"), "{rej}");
    let text = v1_then_valid(&[]).replacen(
        "\"id\":\"21380185500015\"",
        "\"id\":\"21380185500015\",\"id\":\"34027049500021\"",
        1,
    );
    let rej = first_rejected_second_read(&text);
    assert_eq!(
        (rej.reason, rej.field.as_str()),
        (RejectReason::DuplicateKey, "titulaires[0].id")
    );
}

#[test]
fn reading_on_this_thread_hands_over_what_the_workers_do() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let files = [
        "tests/data/decp-2019/data.gouv.fr_pes.json",
        "data/decp/isere_extract_2019.json",
        "crates/formats/tests/data/decp-format/v2.0/json/marches_concessions.json",
        "crates/formats/tests/data/decp-format/v1.5/paquet.xml",
    ];
    for rel in files {
        let bytes = std::fs::read(root.join(rel)).unwrap();
        let mut threaded = Vec::new();
        let stats = mutualis_formats::decp_read::read_decp_map(
            bytes.as_slice(),
            cpv(),
            |record| record.map_err(Box::new),
            |record| {
                threaded.push(record);
                ControlFlow::Continue(())
            },
        )
        .unwrap();
        let mut here = Vec::new();
        let stats_here = mutualis_formats::decp_read::read_decp_on_this_thread(
            bytes.as_slice(),
            cpv(),
            None,
            &|record| record.map_err(Box::new),
            &mut |record| {
                here.push(record);
                ControlFlow::Continue(())
            },
        )
        .unwrap();
        assert_eq!(stats, stats_here, "{rel}");
        assert!(stats.read > 0 && threaded == here, "{rel}");
    }
}

/// The opportunity engine's shortcut keeps the records the import keeps, with the same
/// repaired values: a buyer SIRET failing one key, CPV codes repaired or dropped (values of
/// marches-publics.info and data.gouv.fr 2019), and rejects a test record.
#[test]
fn the_facts_reader_repairs_what_the_import_repairs() {
    let marche = |id: &str, buyer: &str, cpv: &str, objet: &str| {
        serde_json::json!({
            "id": id, "acheteur": {"id": buyer}, "nature": "Marché", "objet": objet,
            "codeCPV": cpv, "dureeMois": 12, "dateNotification": "2024-01-10", "montant": 1000
        })
    };
    let text = serde_json::json!({"marches": {"marche": [
        marche("cle", "25600053000015", "90910000-9", "Nettoyage"),
        marche("zero", "20004071500019", "3111000", "Graines"),
        marche("controle", "20004071500019", "90620000-1", "Déneigement"),
        marche("inconnu", "20004071500019", "00000000-1", "Nettoyage"),
        marche("2018TEST00", "20004071500019", "90910000-9", "TEST"),
    ]}})
    .to_string();
    type Seen = Result<(String, String, Option<String>), RejectReason>;
    let read = |lean: bool| {
        let mut seen: Vec<(bool, Seen)> = Vec::new();
        let full = |record: Result<Contract, Rejection>| {
            (
                false,
                record
                    .map(|c| (c.id, c.buyer.to_string(), c.cpv.map(|c| c.to_string())))
                    .map_err(|r| r.reason),
            )
        };
        let stats = if lean {
            mutualis_formats::decp_read::read_decp_facts(
                text.as_bytes(),
                cpv(),
                |v| {
                    (
                        true,
                        Ok((
                            v.id.into_owned(),
                            v.buyer.to_string(),
                            v.cpv.map(|c| c.to_string()),
                        )),
                    )
                },
                full,
                |item| {
                    seen.push(item);
                    ControlFlow::Continue(())
                },
            )
        } else {
            mutualis_formats::decp_read::read_decp_map(text.as_bytes(), cpv(), full, |item| {
                seen.push(item);
                ControlFlow::Continue(())
            })
        }
        .unwrap();
        assert_eq!((stats.read, stats.contracts, stats.rejected), (5, 4, 1));
        seen
    };
    let lean = read(true);
    let full = read(false);
    let values = |s: &[(bool, Seen)]| s.iter().map(|(_, v)| v.clone()).collect::<Vec<_>>();
    assert_eq!(values(&lean), values(&full));
    assert_eq!(
        values(&full),
        [
            Ok((
                "cle".into(),
                "25600053000015".into(),
                Some("90910000-9".into())
            )),
            Ok((
                "zero".into(),
                "20004071500019".into(),
                Some("03111000-2".into())
            )),
            Ok((
                "controle".into(),
                "20004071500019".into(),
                Some("90620000-9".into())
            )),
            Ok(("inconnu".into(), "20004071500019".into(), None)),
            Err(RejectReason::TestRecord),
        ]
    );
    // The repaired records take the shortcut, without building the whole contract.
    let shortcut: Vec<bool> = lean.iter().map(|(l, _)| *l).collect();
    assert_eq!(shortcut, [true, true, true, true, false]);
}
