//! Server-rendered pages, in French.

pub mod account;
pub mod auth;
pub mod campaigns;
pub mod contracts;
pub mod forms;
pub mod groupements;
pub mod home;
pub mod import;
pub mod opportunities;
pub mod organisations;

use chrono::{DateTime, Utc};

use crate::error::WebError;

/// Unknown routes: a real 404 page.
pub async fn not_found(user: crate::session::MaybeSignedIn) -> WebError {
    WebError::not_found().in_layout(user.layout())
}

/// "25/11/2026 à 22:31 UTC".
pub fn datetime_label(t: DateTime<Utc>) -> String {
    t.format("%d/%m/%Y à %H:%M UTC").to_string()
}
