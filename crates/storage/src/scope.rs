//! Tenant isolation as a mechanism.
//!
//! Every query on a member's data takes a [`Scope`], and a `Scope` can only be made here, from
//! a signed-in session or an API token ([`Principal`]). Outside this crate there is no way to
//! build one, so a query on tenant data cannot be written without a signed-in user:
//!
//! ```compile_fail
//! let scope = mutualis_storage::Scope { organisation_id: 1, user_id: 1, role: mutualis_domain::Role::Coordinator };
//! ```
//!
//! A scope sees its own organisation. The one way past that is [`Scope::territory_wide`],
//! which only a coordinator's scope grants and which the coordinator's territory-wide views
//! call by name: `grep -rn territory_wide` lists every place that reads across members.

use mutualis_domain::{Capability, Email, Role};

/// Who is asking, as far as storage is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Scope {
    organisation_id: i64,
    user_id: i64,
    role: Role,
}

/// Proof that the caller is a coordinator looking at the whole territory.
#[derive(Debug, Clone, Copy)]
pub struct TerritoryWide {
    _private: (),
}

impl TerritoryWide {
    /// The command line runs as the platform's operator, who holds the database URL: its
    /// publications (DECP and OCDS exports) read across members. The one other use of the
    /// escape besides the coordinator's views.
    pub fn for_operator_command_line() -> TerritoryWide {
        TerritoryWide { _private: () }
    }
}

impl Scope {
    pub(crate) fn new(organisation_id: i64, user_id: i64, role: Role) -> Scope {
        Scope {
            organisation_id,
            user_id,
            role,
        }
    }

    pub fn organisation_id(&self) -> i64 {
        self.organisation_id
    }

    pub fn user_id(&self) -> i64 {
        self.user_id
    }

    pub fn role(&self) -> Role {
        self.role
    }

    /// The organisation whose own data (contracts…) this scope reads: its own, or `None` for
    /// a role that has none of a member's data ([`Role::can`]), whatever organisation its
    /// account belongs to: the mediator's account belongs to the métropole, whose contracts
    /// it does not read.
    pub fn member_data(&self) -> Option<i64> {
        self.role
            .can(Capability::MemberData)
            .then_some(self.organisation_id)
    }

    /// The explicit escape from tenant isolation, for the coordinator's territory-wide views.
    /// `None` for every other role.
    pub fn territory_wide(&self) -> Option<TerritoryWide> {
        self.role
            .is_territory_wide()
            .then_some(TerritoryWide { _private: () })
    }
}

/// A signed-in user, as found from a session or an API token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    pub email: Email,
    pub organisation_name: String,
    scope: Scope,
}

impl Principal {
    pub(crate) fn new(scope: Scope, email: Email, organisation_name: String) -> Principal {
        Principal {
            email,
            organisation_name,
            scope,
        }
    }

    pub fn scope(&self) -> &Scope {
        &self.scope
    }

    pub fn role(&self) -> Role {
        self.scope.role
    }

    pub fn user_id(&self) -> i64 {
        self.scope.user_id
    }

    pub fn organisation_id(&self) -> i64 {
        self.scope.organisation_id
    }
}
