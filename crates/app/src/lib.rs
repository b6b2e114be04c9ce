//! The application layer of Mutualis: what the web pages, the JSON API and the command line
//! share above the domain. The domain reads no clock; every use case that needs the time asks
//! a [`Clock`], the system's in production and a [`SettableClock`] in tests, so that a test
//! moves past a deadline without sleeping. Background jobs (`jobs`): what runs outside a request,
//! queued in the database and run by a [`jobs::Worker`].

pub mod clock;
pub mod jobs;

pub use clock::{Clock, SettableClock, SystemClock};
