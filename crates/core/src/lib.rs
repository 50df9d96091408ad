//! Postern's pure core: the security policy as code, and what is derived from it.
//!
//! Nothing here does IO, reads a clock or draws randomness: the moment of "now" is passed in.
//! That keeps every rule testable with fixed inputs and lets the store, the web layer and the
//! binary share one source of truth.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod advisory;
pub mod audit;
pub mod case;
pub mod clock;
pub mod credits;
pub mod cvss;
pub mod deadline;
pub mod embargo;
pub mod export;
pub mod history;
pub mod intake;
pub mod lifecycle;
pub mod mail_crypto;
pub mod policy;
pub mod privacy;
pub mod project;
pub mod recorded;
pub mod render;
pub mod report;
pub mod role;
pub mod scan;
pub mod search;
pub mod similarity;
pub mod stats;
pub mod supported;
pub mod versions;
