//! dlp-scan finds personal data, credentials, protective markings, the phrases of confidential
//! kinds of document and encryption in the files on a staff laptop, judges them against a
//! university's data-handling policy, and reports value-free records that a SIEM can ingest.
//!
//! Data flows one way, each stage a module with a small typed interface:
//! [`walk`] (paths to [`walk::FileCandidate`]s) → [`extract`] (bytes to [`extract::TextChunk`]s) →
//! [`detect`] (text to [`detect::Finding`]s, values already redacted) → [`classify`] (findings to a
//! [`classify::Category`] with reasons) → [`policy`] (category, [`locate`]'s location and
//! encryption to [`policy::Violation`]s; [`policy::pairing`] for the rule that spans files) →
//! [`report`] (records) → [`deliver`] (sinks). What reading one file produces is an
//! [`analysis::Analysis`]; [`scan`] is the only module that knows every stage, [`agent`] feeds it
//! from file-system events, [`config`] sits on top. The layering is checked by
//! `tests/architecture.rs`; see `ARCHITECTURE.md` for the map and the invariants.

// The floor every module may use.
pub mod clock;
pub mod error;
pub mod platform;

pub mod cli;
pub mod fsutil;
pub mod paths;
pub mod private;

pub mod walk;

pub mod extract;

pub mod detect;

pub mod classify;

pub mod keyfile;
pub mod locate;

pub mod policy;

pub mod analysis;

pub mod report;

pub mod deliver;
pub mod worker;

pub mod scan;

pub mod agent;

pub mod config;
