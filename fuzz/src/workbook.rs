//! The needs workbook reader (`mutualis_formats::needs_workbook::read_workbook`).

use chrono::NaiveDate;
use mutualis_domain::Siren;
use mutualis_formats::needs_workbook::{MAX_NEED_ROWS, WorkbookMeta, read_workbook};

/// The campaign and member the seeds are written for, and the reader expects.
pub fn meta() -> WorkbookMeta {
    let date = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap_or_default();
    WorkbookMeta {
        campaign_id: 7,
        campaign_title: "Recensement des besoins 2020".into(),
        opens_on: date(2019, 1, 1),
        closes_on: date(2019, 3, 31),
        cpv_families: vec!["90".into(), "45".into()],
        member: Siren::parse("213801855").unwrap_or_else(|e| panic!("{e}")),
        member_name: "Ville de Grenoble".into(),
    }
}

/// Reads `data` as the member's upload: needs of this member within the limits, or errors
/// that each say why.
pub fn check(data: &[u8], meta: &WorkbookMeta) {
    match read_workbook(data, meta, super::cpv()) {
        Ok(needs) => {
            assert!(needs.len() <= MAX_NEED_ROWS, "{} needs", needs.len());
            for need in &needs {
                assert_eq!(need.buyer, meta.member, "a need is the member's");
                assert!(need.annual_amount.cents() > 0, "{need:?}");
                assert!(need.desired_start >= meta.opens_on, "{need:?}");
            }
        }
        Err(refused) => {
            assert!(!refused.errors.is_empty(), "a refusal names its errors");
            for error in &refused.errors {
                assert!(!error.reason.is_empty(), "{error:?}");
            }
        }
    }
}
