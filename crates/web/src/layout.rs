//! What every page's frame shows: the navigation for the signed-in user, if any, and the CSRF
//! token of the sign-out form.

use mutualis_domain::{Capability, Role};

/// The frame of a page, passed to every template as `layout`.
#[derive(Debug, Clone, Default)]
pub struct Layout {
    pub user: Option<NavUser>,
    /// The session's CSRF token, for the sign-out form in the header.
    pub csrf: String,
}

#[derive(Debug, Clone)]
pub struct NavUser {
    pub email: String,
    /// What the navigation offers: the pages of the role's capabilities (`Role::can`).
    pub role: Role,
    pub role_label: &'static str,
    pub organisation: String,
    /// Sees the territory's users page.
    pub coordinator: bool,
}

impl NavUser {
    /// Whether the navigation offers the pages of `capability`.
    pub fn can(&self, capability: Capability) -> bool {
        self.role.can(capability)
    }
}
