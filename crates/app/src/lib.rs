//! The application layer of Mutualis: what the web pages, the JSON API and the command line
//! share above the domain. The domain reads no clock; every use case that needs the time asks
//! a [`Clock`], the system's in production and a [`SettableClock`] in tests, so that a test
//! moves past a deadline without sleeping.

pub mod clock;

pub use clock::{Clock, SettableClock, SystemClock};
