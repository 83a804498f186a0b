//! dlp-scan finds personal data, credentials and (later) protective markings and encryption in the
//! files on a staff laptop, judges them against a university's data-handling policy, and reports
//! value-free records that a SIEM can ingest.
//!
//! Data flows one way, each stage a module with a small typed interface:
//! [`walk`] (paths to [`walk::FileCandidate`]s) → [`extract`] (bytes to [`extract::TextChunk`]s) →
//! [`detect`] (text to [`detect::Finding`]s, values already redacted) → [`classify`] (findings to a
//! [`classify::Category`] with reasons) → [`policy`] (category, location and encryption to
//! [`policy::Violation`]s) → [`report`] (records to sinks). [`scan`] is the only module that knows
//! every stage. See `ARCHITECTURE.md` for the map and the invariants.

pub mod agent;
pub mod analysis;
pub mod classify;
pub mod cli;
pub mod clock;
pub mod config;
pub mod deliver;
pub mod detect;
pub mod error;
pub mod extract;
pub mod fsutil;
pub mod keyfile;
pub mod locate;
pub mod paths;
pub mod platform;
pub mod policy;
pub mod private;
pub mod report;
pub mod scan;
pub mod walk;
pub mod worker;
