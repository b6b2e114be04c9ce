//! Accounts: who may do what (PRODUCT.md §1). A user belongs to one organisation: a public
//! buyer for every role but `Supplier`, whose organisation is its company.

use std::fmt;

use serde::{Deserialize, Serialize};

/// The roles of PRODUCT.md §1. The public has no account and so no role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// The métropole's purchasing team: campaigns, groupements, consultations, open data.
    Coordinator,
    /// A member's purchasing officer.
    MemberBuyer,
    /// A member's budget holder, who approves orders above a threshold.
    Approver,
    /// A technical expert named on a consultation.
    Evaluator,
    /// A company that bids and takes orders.
    Supplier,
    /// An independent person who handles order disputes.
    Mediator,
}

impl Role {
    pub const ALL: [Role; 6] = [
        Role::Coordinator,
        Role::MemberBuyer,
        Role::Approver,
        Role::Evaluator,
        Role::Supplier,
        Role::Mediator,
    ];

    /// The stable code used in the database, the API and the command line.
    pub fn code(self) -> &'static str {
        match self {
            Role::Coordinator => "coordinator",
            Role::MemberBuyer => "member_buyer",
            Role::Approver => "approver",
            Role::Evaluator => "evaluator",
            Role::Supplier => "supplier",
            Role::Mediator => "mediator",
        }
    }

    pub fn from_code(code: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.code() == code)
    }

    pub fn label_fr(self) -> &'static str {
        match self {
            Role::Coordinator => "Coordinateur",
            Role::MemberBuyer => "Acheteur membre",
            Role::Approver => "Valideur",
            Role::Evaluator => "Évaluateur",
            Role::Supplier => "Fournisseur",
            Role::Mediator => "Médiateur",
        }
    }

    /// Whether this role sees the whole territory in its territory-wide views.
    pub fn is_territory_wide(self) -> bool {
        self == Role::Coordinator
    }

    /// Whether this role may use `capability`: the one place where access is decided by
    /// role; the pages, the API and the navigation ask it.
    ///
    /// Only the buyer roles have pages yet. The approver, the evaluator, the supplier and the
    /// mediator will have their own (orders to approve, consultations to score, bids, order
    /// disputes); until then they have none of a member's: their account belongs to an
    /// organisation (the mediator's to the métropole), but what that organisation buys is
    /// not theirs to see.
    pub fn can(self, capability: Capability) -> bool {
        match (self, capability) {
            (Role::Coordinator | Role::MemberBuyer, _) => true,
            (Role::Approver | Role::Evaluator | Role::Supplier | Role::Mediator, _) => false,
        }
    }
}

/// What a role may use in Mutualis, asked through [`Role::can`]. Within a capability the
/// coordinator reads across the territory and a member its own organisation's (the storage
/// `Scope`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Capability {
    /// An organisation's own data: its contracts and their calendar, the organisations.
    MemberData,
    /// Inventory campaigns: opening them (coordinator), answering them (member).
    Campaigns,
    /// Pooling opportunities.
    Opportunities,
    /// Groupements de commandes.
    Groupements,
    /// Consultations: preparing and running them (the buyer's staff).
    Consultations,
}

impl Capability {
    pub const ALL: [Capability; 5] = [
        Capability::MemberData,
        Capability::Campaigns,
        Capability::Opportunities,
        Capability::Groupements,
        Capability::Consultations,
    ];
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// An e-mail address used as a login, normalised to lower case.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct Email(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AccountError {
    #[error("adresse électronique « {0} » invalide : attendu nom@domaine.fr")]
    Email(String),
    #[error(
        "rôle « {0} » inconnu : attendu coordinator, member_buyer, approver, evaluator, supplier ou mediator"
    )]
    Role(String),
    #[error("le mot de passe doit compter au moins {min} caractères")]
    PasswordTooShort { min: usize },
    #[error("le mot de passe ne doit pas dépasser {max} caractères")]
    PasswordTooLong { max: usize },
}

impl Email {
    const MAX_LEN: usize = 254;

    pub fn parse(input: &str) -> Result<Email, AccountError> {
        let trimmed = input.trim();
        let bad = || AccountError::Email(trimmed.to_owned());
        let (local, domain) = trimmed.split_once('@').ok_or_else(bad)?;
        let valid = !local.is_empty()
            && !domain.is_empty()
            && !domain.contains('@')
            && domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && trimmed.len() <= Self::MAX_LEN
            && !trimmed.chars().any(|c| c.is_whitespace() || c.is_control());
        if !valid {
            return Err(bad());
        }
        Ok(Email(trimmed.to_lowercase()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// What a new password must satisfy. Length is what matters (ANSSI and NIST guidance);
/// no composition rules.
pub struct PasswordPolicy;

impl PasswordPolicy {
    pub const MIN_CHARS: usize = 12;
    pub const MAX_CHARS: usize = 128;

    pub fn check(password: &str) -> Result<(), AccountError> {
        let n = password.chars().count();
        if n < Self::MIN_CHARS {
            return Err(AccountError::PasswordTooShort {
                min: Self::MIN_CHARS,
            });
        }
        if n > Self::MAX_CHARS {
            return Err(AccountError::PasswordTooLong {
                max: Self::MAX_CHARS,
            });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_codes_round_trip() {
        for role in Role::ALL {
            assert_eq!(Role::from_code(role.code()), Some(role));
        }
        assert_eq!(Role::from_code("admin"), None);
        assert!(Role::Coordinator.is_territory_wide());
        assert!(!Role::MemberBuyer.is_territory_wide());
    }

    #[test]
    fn only_the_buyer_roles_reach_a_members_pages() {
        for capability in Capability::ALL {
            assert!(Role::Coordinator.can(capability));
            assert!(Role::MemberBuyer.can(capability));
            for role in [
                Role::Approver,
                Role::Evaluator,
                Role::Supplier,
                Role::Mediator,
            ] {
                assert!(!role.can(capability), "{role} {capability:?}");
            }
        }
    }

    #[test]
    fn emails_are_normalised_and_checked() {
        assert_eq!(
            Email::parse(" Achats@Grenoble.FR ").unwrap().as_str(),
            "achats@grenoble.fr"
        );
        for bad in [
            "",
            "achats",
            "@grenoble.fr",
            "achats@",
            "a@b",
            "a@@b.fr",
            "a b@c.fr",
            "a@.fr",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn passwords_are_judged_on_length() {
        assert!(PasswordPolicy::check("court").is_err());
        assert!(PasswordPolicy::check("onze-chiffr").is_err());
        assert!(PasswordPolicy::check("douze-chiffr").is_ok());
        assert!(PasswordPolicy::check(&"x".repeat(129)).is_err());
    }
}
