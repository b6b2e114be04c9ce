//! The parsers of what a person types in a form or a workbook cell: amounts, quantities and
//! dates (`mutualis_domain::french`, which the web forms and the workbook call), and the domain's
//! identifiers, amounts in euros, CPV codes and e-mail logins.

use mutualis_domain::french;
use mutualis_domain::{Amount, Email, Siren, Siret};

/// Every parser on the same text; what is accepted must be what was promised, and read back.
pub fn check(text: &str) {
    if let Ok(amount) = french::parse_amount(text) {
        assert!(amount.cents() > 0, "{text:?} → {amount:?}");
        assert_eq!(
            french::parse_amount(&amount.to_string()),
            Ok(amount),
            "an amount shown is read back"
        );
    }
    if let Ok(thousandths) = french::parse_quantity(text) {
        assert!(
            (1..1_000_000_000_000_000).contains(&thousandths),
            "{text:?} → {thousandths}"
        );
    }
    if let Ok(date) = french::parse_date(text) {
        let shown = date.format("%d/%m/%Y").to_string();
        assert_eq!(
            french::parse_date(&shown),
            Ok(date),
            "a date shown is read back"
        );
    }
    if let Ok(amount) = Amount::parse_euros(text) {
        let euros = amount.cents().unsigned_abs() / 100;
        let sign = if amount.cents() < 0 { "-" } else { "" };
        let cents = amount.cents().unsigned_abs() % 100;
        let written = format!("{sign}{euros}.{cents:02}");
        assert_eq!(Amount::parse_euros(&written), Ok(amount), "{text:?}");
    }
    if let Ok(siret) = Siret::parse(text) {
        assert_eq!(siret.as_str().len(), 14);
        assert!(siret.as_str().bytes().all(|b| b.is_ascii_digit()));
        assert_eq!(Siret::parse(siret.as_str()).as_ref(), Ok(&siret));
        assert_eq!(Siren::parse(siret.siren().as_str()), Ok(siret.siren()));
    }
    if let Ok(siren) = Siren::parse(text) {
        assert_eq!(siren.as_str().len(), 9);
        assert_eq!(Siren::parse(siren.as_str()).as_ref(), Ok(&siren));
    }
    if let Ok(code) = super::cpv().parse(text) {
        assert_eq!(super::cpv().parse(&code.to_string()), Ok(code));
        assert!(
            super::cpv().entry(code).is_some(),
            "{code} is in the nomenclature"
        );
    }
    if let Ok(email) = Email::parse(text) {
        assert_eq!(Email::parse(email.as_str()).as_ref(), Ok(&email));
    }
}
