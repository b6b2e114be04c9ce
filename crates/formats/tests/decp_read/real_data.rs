use crate::helpers::*;

// ---------------------------------------------------------------------------------------------
// Real data

#[test]
fn the_isere_extract_is_read_in_full() {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/decp/isere_extract_2019.json");
    let r = read_path(&path);
    assert_eq!(r.counts(), (DecpFormat::V1Json, 220, 220, 0));
    // The SOURCES' "33 buyers" are 33 names: 32 SIRETs of 31 organisations (SIREN).
    let names: BTreeSet<_> = r.contracts.iter().map(|c| c.buyer_name.clone()).collect();
    let sirets: BTreeSet<_> = r.contracts.iter().map(|c| c.buyer.clone()).collect();
    let sirens: BTreeSet<_> = r.contracts.iter().map(|c| c.buyer_siren()).collect();
    assert_eq!((names.len(), sirets.len(), sirens.len()), (33, 32, 31));
    let metropole = r
        .contracts
        .iter()
        .filter(|c| c.buyer_siren().as_str() == "200040715")
        .count();
    assert_eq!(metropole, 18);
    // Dates with a zone suffix ("2018-12-21+01:00") keep their date.
    assert!(
        r.contracts
            .iter()
            .all(|c| c.source == ContractSource::Decp1)
    );
    let mapped = r
        .contracts
        .iter()
        .filter(|c| c.nature.original.as_deref() == Some("Marché subséquent"))
        .count();
    assert_eq!(mapped, 25);
}

#[test]
fn marches_publics_info_2019() {
    let Some(path) = shared("decp-2019/marches-publics.info.json") else {
        return;
    };
    let r = read_path(&path);
    // Before repairs: 4,484 contracts, 14 rejected for their CPV code and 8 for their buyer's
    // SIRET. The CPV codes are repaired or dropped; 5 SIRETs pass their SIREN's key.
    assert_eq!(r.counts(), (DecpFormat::V1Json, 4509, 4503, 6));
    assert_eq!(
        r.reasons(),
        BTreeMap::from([
            ("invalid_date", 2),
            ("invalid_duration", 1),
            ("invalid_siret", 3),
        ])
    );
    assert_eq!(
        r.repairs(),
        BTreeMap::from([
            ("buyer_siret_key", 5),
            ("cpv_check_digit", 6),
            ("cpv_dropped", 2),
            ("cpv_hyphen_missing", 1),
            ("cpv_leading_zero", 5),
        ])
    );
    let concessions = r
        .contracts
        .iter()
        .filter(|c| c.kind == ContractKind::Concession)
        .count();
    assert_eq!(concessions, 10);

    // Grenoble Alpes Métropole, matched by SIREN.
    let metropole: Vec<&Contract> = r
        .contracts
        .iter()
        .filter(|c| c.buyer_siren().as_str() == "200040715")
        .collect();
    assert_eq!(metropole.len(), 18);
    assert!(
        metropole
            .iter()
            .all(|c| c.buyer_name.as_deref() == Some("GRENOBLE ALPES METROPOLE"))
    );

    // The quirks the SOURCES list.
    let by_index = |i: usize| r.rejections.iter().find(|r| r.index == i).unwrap();
    let year = by_index(523);
    assert_eq!(
        (year.reason, year.field.as_str(), year.value.as_str()),
        (RejectReason::InvalidDate, "dateNotification", "0218-10-29")
    );
    // Repaired, each with its note.
    let check = r.at(15);
    assert_eq!(check.cpv.unwrap().to_string(), "90620000-9");
    assert_eq!(
        repairs_of(check),
        [repair(
            RepairKind::CpvCheckDigit,
            "codeCPV",
            "90620000-1",
            Some("90620000-9")
        )]
    );
    assert!(
        check.repairs[0].note.contains("90620000-9"),
        "{:?}",
        check.repairs
    );
    let short = r.at(3722);
    assert_eq!(short.cpv.unwrap().to_string(), "03111000-2");
    assert_eq!(
        repairs_of(short),
        [repair(
            RepairKind::CpvLeadingZero,
            "codeCPV",
            "3111000",
            Some("03111000-2")
        )]
    );
    let hyphen = r.at(3433);
    assert_eq!(hyphen.cpv.unwrap().to_string(), "03121000-5");
    assert_eq!(hyphen.repairs[0].kind, RepairKind::CpvHyphenMissing);
    // "4543100-7": 45431000-7 lost its last zero, or 04543100 its first, which does not
    // exist: not guessed, the contract kept without a code.
    let dropped = r.at(1803);
    assert_eq!(dropped.cpv, None);
    assert_eq!(
        repairs_of(dropped),
        [repair(RepairKind::CpvDropped, "codeCPV", "4543100-7", None)]
    );
    let siret = r.at(470);
    assert_eq!(siret.buyer.as_str(), "25600053000015");
    assert_eq!(
        repairs_of(siret),
        [repair(
            RepairKind::BuyerSiretKey,
            "acheteur.id",
            "25600053000015",
            Some("25600053000015")
        )]
    );
    // Both keys wrong: still rejected.
    let siret = by_index(929);
    assert_eq!(
        (siret.reason, siret.field.as_str(), siret.value.as_str()),
        (RejectReason::InvalidSiret, "acheteur.id", "22740001400074")
    );
    let months = by_index(4267);
    assert_eq!(
        (months.reason, months.field.as_str(), months.value.as_str()),
        (
            RejectReason::InvalidDuration,
            "modifications[0].dureeMois",
            "1.5"
        )
    );
    // Legacy labels are mapped, the original kept.
    let negotiated = r
        .contracts
        .iter()
        .filter(|c| {
            c.procedure.original.as_deref()
                == Some("Marché négocié sans publicité ni mise en concurrence préalable")
        })
        .count();
    assert!(negotiated > 90, "{negotiated}");
    assert!(r.contracts.iter().all(|c| c.procedure.value.is_some()));
    // Both CPV forms are read.
    assert!(r.contracts.iter().filter(|c| c.cpv.is_some()).count() > 4400);
    // Every other contract is read as published.
    assert_eq!(
        r.contracts.iter().filter(|c| !c.repairs.is_empty()).count(),
        19
    );
    // "2019-1-1" (a concession's start) is read as 1 January 2019.
    assert!(
        r.contracts
            .iter()
            .any(|c| c.starts_on == Some(date("2019-01-01")))
    );
}

#[test]
fn data_gouv_fr_pes_2019() {
    let Some(path) = shared("decp-2019/data.gouv.fr_pes.json") else {
        return;
    };
    let r = read_path(&path);
    // Before repairs: 1,111 contracts and 37 rejected for their CPV code, the test record
    // imported as a contract.
    assert_eq!(r.counts(), (DecpFormat::V1Json, 1148, 1147, 1));
    assert_eq!(r.reasons(), BTreeMap::from([("test_record", 1)]));
    let test = &r.rejections[0];
    assert_eq!(
        (
            test.index,
            test.id.as_deref(),
            test.field.as_str(),
            test.value.as_str()
        ),
        (950, Some("2018TEST00"), "objet", "TEST")
    );
    // 00000000-1 (11 records), 74000000-9 (CPV 2003), 11111111-1, a date "20190128-1"…
    assert_eq!(
        r.repairs(),
        BTreeMap::from([("cpv_check_digit", 20), ("cpv_dropped", 17)])
    );
    let zeros = r.at(886);
    assert_eq!(
        repairs_of(zeros),
        [repair(
            RepairKind::CpvDropped,
            "codeCPV",
            "00000000-1",
            None
        )]
    );
    assert!(
        zeros.repairs[0].note.contains("inconnu"),
        "{:?}",
        zeros.repairs
    );
    let first = &r.contracts[0];
    // Every date of this file carries a zone: "2018-12-21+01:00".
    assert!(first.notified_on.is_some() && first.published_on.is_some());
    let isere = r
        .contracts
        .iter()
        .filter(|c| c.buyer.as_str() == "22380001200013")
        .count();
    assert!(isere > 0);
}

#[test]
fn every_deliberate_anomaly_of_the_decp_processing_fixtures_is_rejected_or_repaired() {
    let (Some(v1), Some(v2)) = (
        shared("decp-fixtures/decp-processing_decp_test_2019.json"),
        shared("decp-fixtures/decp-processing_decp_test_2022.json"),
    ) else {
        return;
    };
    let expect = |r: &Outcome, cases: &[(RejectReason, &str, &str)]| {
        let got: Vec<(RejectReason, &str, &str)> = r
            .rejections
            .iter()
            .map(|r| (r.reason, r.field.as_str(), r.value.as_str()))
            .collect();
        assert_eq!(got, cases);
    };

    let r = read_path(&v1);
    assert_eq!(r.counts(), (DecpFormat::V1Json, 2, 0, 2));
    expect(
        &r,
        &[
            // "Un marché sans acheteur": a flat "acheteur.id" key is not an acheteur.
            (RejectReason::MissingField, "acheteur.id", ""),
            (RejectReason::InvalidDuration, "dureeMois", "NC"),
        ],
    );

    // The 2022 file also has a bare NaN (pandas), read as null.
    let r = read_path(&v2);
    assert_eq!(r.counts(), (DecpFormat::V2Json, 5, 1, 4));
    expect(
        &r,
        &[
            (RejectReason::InvalidDuration, "dureeMois", "NC"),
            (RejectReason::InvalidAmount, "montant", "100000000000000000"),
            (
                RejectReason::InvalidOperator,
                "modifications[0].titulaires[0]",
                "typeIdentifiant",
            ),
            (RejectReason::InvalidNumber, "offresRecues", "0"),
        ],
    );
    assert_eq!(r.rejections[3].id.as_deref(), Some("202207LOT03"));
    // A subcontracting act's price variation written "ferme": kept as "Ferme", noted.
    let kept = &r.contracts[0];
    assert_eq!(kept.id, "202401L04");
    assert_eq!(
        repairs_of(kept),
        [repair(
            RepairKind::LabelSpelling,
            "actesSousTraitance[0].variationPrix",
            "ferme",
            Some("Ferme")
        )]
    );
}
