//! The application layer of Mutualis: the use cases that the web pages, the JSON API and the
//! command line call, one module per capability (`opportunities`, `contracts`,
//! `organisations`, `accounts`, `campaigns`, `groupements`, `consultations`). Each is a function over storage,
//! the domain and a [`Clock`]; the callers only read their input and render the result.
//!
//! What this crate must never know: HTTP, HTML, JSON wire formats or the terminal. A use case
//! returns domain values or an [`AppError`], whose kind the web layer maps to a status and the
//! command line to a message.
//!
//! The domain reads no clock; every use case that needs the time asks the [`Clock`] of its
//! [`App`], the system's in production and a [`SettableClock`] in tests, so that a test moves
//! past a deadline without sleeping.
//!
//! Background jobs (`jobs`): what runs outside a request, queued in the database and run by a
//! [`jobs::Worker`] (DECP imports uploaded through the pages first).

pub mod accounts;
pub mod blocking;
pub mod campaigns;
pub mod clock;
pub mod consultations;
pub mod contracts;
pub mod error;
pub mod groupements;
pub mod jobs;
pub mod opportunities;
pub mod organisations;
pub mod plausibility;

use std::sync::Arc;

use chrono::NaiveDate;
use mutualis_domain::CpvDepth;
use mutualis_storage::Database;

pub use clock::{Clock, SettableClock, SystemClock};
pub use error::AppError;

/// What every use case works with: the database, the clock and the territory served.
#[derive(Clone)]
pub struct App {
    pub db: Database,
    /// Where every use case reads the time.
    pub clock: Arc<dyn Clock>,
    /// The territory served (its slug in storage).
    pub territory_slug: String,
    /// The observation date the opportunity questions start from when none is asked (today
    /// when `None`): the demo's contracts are of 2019, so `serve --demo` starts from their year.
    pub default_as_of: Option<NaiveDate>,
    /// The CPV depth the opportunity lists start from when none is asked (the engine's default,
    /// the class, when `None`): the demo's territory meets at the group level in 2019.
    pub default_depth: Option<CpvDepth>,
}

impl App {
    /// An application over `db` with the system's clock and no demo defaults.
    pub fn new(db: Database, territory_slug: impl Into<String>) -> App {
        App {
            db,
            clock: Arc::new(SystemClock),
            territory_slug: territory_slug.into(),
            default_as_of: None,
            default_depth: None,
        }
    }

    /// The observation date the opportunity questions start from when none is asked.
    pub fn opportunities_as_of(&self) -> NaiveDate {
        self.default_as_of.unwrap_or_else(|| self.clock.today())
    }
}

/// Refuses a role without `capability`: pages, the API and the use cases alike ask
/// [`Role::can`](mutualis_domain::Role::can) through here.
pub fn require(
    user: &mutualis_storage::Principal,
    capability: mutualis_domain::Capability,
) -> Result<(), AppError> {
    if user.role().can(capability) {
        Ok(())
    } else {
        Err(AppError::Forbidden)
    }
}

/// A message of the lower layers ("montant « x » …") as a sentence: capital, final stop.
pub fn sentence(message: &str) -> String {
    let mut chars = message.trim().chars();
    let mut out: String = match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    };
    if !out.ends_with(['.', '!', '?']) {
        out.push('.');
    }
    out
}

/// The deepest page a list answers (25 rows a page: 25 million rows), so that a page number
/// never overflows an offset.
pub const MAX_PAGE: u32 = 1_000_000;

/// The 1-based page a `page` parameter asks for: 1 when empty; a whole number from 1 to
/// [`MAX_PAGE`] otherwise, or the message naming the value.
pub fn page_asked(value: &str) -> Result<u32, String> {
    let value = value.trim();
    if value.is_empty() {
        return Ok(1);
    }
    match value.parse::<u32>() {
        Ok(page) if (1..=MAX_PAGE).contains(&page) => Ok(page),
        _ => Err(format!(
            "page « {value} » invalide : attendu un numéro de page de 1 à {MAX_PAGE}."
        )),
    }
}

/// Ctrl-C or SIGTERM: what stops `mutualis serve` and `mutualis worker` gracefully.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
}
