//! The CPV 2008 nomenclature, from `data/cpv/cpv_2008_fr_en.csv`.

use std::sync::OnceLock;

use mutualis_domain::cpv::{CpvNomenclature, CpvRow, NomenclatureError};
use serde::Deserialize;

const CPV_CSV: &str = include_str!("../../../data/cpv/cpv_2008_fr_en.csv");

#[derive(Debug, thiserror::Error)]
pub enum CpvFileError {
    #[error("fichier CPV, ligne {line} : {source}")]
    Csv { line: u64, source: csv::Error },
    #[error("fichier CPV, ligne {line} : chiffre de contrôle « {value} » invalide")]
    CheckDigit { line: u64, value: String },
    #[error(transparent)]
    Nomenclature(#[from] NomenclatureError),
}

#[derive(Deserialize)]
struct Record {
    code8: String,
    check_digit: String,
    label_fr: String,
    label_en: String,
}

/// Parses the nomenclature file format (`;`-separated, with a header).
pub fn parse_nomenclature(csv_text: &str) -> Result<CpvNomenclature, CpvFileError> {
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(b';')
        .from_reader(csv_text.as_bytes());
    let mut rows = Vec::new();
    for result in reader.deserialize::<Record>() {
        let record = result.map_err(|source| CpvFileError::Csv {
            line: source.position().map_or(0, |p| p.line()),
            source,
        })?;
        let line = rows.len() as u64 + 2;
        let check_digit = match record.check_digit.as_bytes() {
            [d] if d.is_ascii_digit() => d - b'0',
            _ => {
                return Err(CpvFileError::CheckDigit {
                    line,
                    value: record.check_digit,
                });
            }
        };
        rows.push(CpvRow {
            code8: record.code8,
            check_digit,
            label_fr: record.label_fr,
            label_en: record.label_en,
        });
    }
    Ok(CpvNomenclature::new(rows)?)
}

/// The CPV 2008 nomenclature shipped with Mutualis, parsed once.
pub fn nomenclature() -> &'static CpvNomenclature {
    static NOMENCLATURE: OnceLock<CpvNomenclature> = OnceLock::new();
    NOMENCLATURE.get_or_init(|| {
        parse_nomenclature(CPV_CSV)
            .expect("the embedded CPV file is valid (checked by the reference crate's tests)")
    })
}

#[cfg(test)]
mod tests {
    use mutualis_domain::{CpvDepth, CpvError};

    use super::*;

    #[test]
    fn the_shipped_nomenclature_has_every_code() {
        let n = nomenclature();
        assert_eq!(n.len(), 9_454);
        let divisions = n
            .entries()
            .iter()
            .filter(|e| e.code.depth() == CpvDepth::Division)
            .count();
        assert_eq!(divisions, 45);
    }

    #[test]
    fn cleaning_services_in_both_languages() {
        let entry = nomenclature().lookup("90910000-9").unwrap();
        assert_eq!(entry.label_fr, "Services de nettoyage");
        assert_eq!(entry.label_en, "Cleaning services");
        assert_eq!(entry.code.depth(), CpvDepth::Class);
    }

    #[test]
    fn wrong_check_digit_is_refused_with_the_right_one() {
        match nomenclature().parse("90910000-1") {
            Err(CpvError::CheckDigit { expected, .. }) => {
                assert_eq!(expected.to_string(), "90910000-9");
            }
            other => panic!("expected a check digit error, got {other:?}"),
        }
    }

    #[test]
    fn every_code_has_its_division_and_group_and_few_gaps_below() {
        // The real nomenclature has gaps below the group: 34511100-3 has no category
        // 34511000, 30192121-5 no 3019212x parent. Ancestors are those that exist.
        let n = nomenclature();
        let mut gaps = 0;
        for e in n.entries() {
            for depth in [CpvDepth::Division, CpvDepth::Group] {
                if depth < e.code.depth() {
                    assert!(
                        n.ancestor_at(e.code, depth).is_some(),
                        "{} at {depth:?}",
                        e.code
                    );
                }
            }
            let structural = e.code.significant_digits() - 2;
            gaps += structural - n.ancestors(e.code).len();
        }
        assert_eq!(gaps, 45);
        let gap = n.parse("30192121").unwrap();
        let parents: Vec<String> = n.ancestors(gap).iter().map(|a| a.code.code8()).collect();
        assert_eq!(
            parents,
            ["30000000", "30100000", "30190000", "30192000", "30192100"]
        );
    }

    #[test]
    fn french_search_folds_accents() {
        let hits = nomenclature().search("electricite");
        assert!(hits.iter().any(|e| e.label_fr == "Électricité"), "{hits:?}");
        assert!(
            hits.iter()
                .all(|e| { mutualis_domain::text::fold(&e.label_fr).contains("electricite") })
        );
    }

    #[test]
    fn a_broken_file_names_the_line() {
        let text = "code;code8;check_digit;division;significant_digits;label_fr;label_en\n\
                    03000000-1;03000000;1;03;2;Produits;Products\n\
                    03100000-2;03100000;X;03;3;Produits agricoles;Agricultural\n";
        let err = parse_nomenclature(text).unwrap_err();
        assert_eq!(
            err.to_string(),
            "fichier CPV, ligne 3 : chiffre de contrôle « X » invalide"
        );
    }
}
