//! Reporting: the records dlp-scan emits, and the sinks that write them.
//!
//! [`Record`] is the report contract (JSON Lines with `--format json`), separate from internal types
//! and serialize-only. Every field is documented in the README and `docs/event-schema.md`; a snapshot test holds
//! the shape. Records carry masked samples and keyed fingerprints, never a matched value.
//!
//! Sinks receive records as they are produced ([`RecordSink`]); they decide nothing. [`event`]
//! stamps a record for delivery and [`encode`] turns it into JSON, ECS, OCSF or CEF; the
//! transports are in `crate::deliver`.

pub mod collect;
pub mod csv;
pub mod encode;
pub mod event;
pub mod html;
pub mod human;
mod record;
pub mod view;

pub use record::{
    path_fields, AgentEvent, AgentRecord, EncryptionRecord, ErrorRecord, FileRecord, FindingRecord, LocationRecord,
    Record, SummaryRecord, SCHEMA_VERSION,
};

/// Something that takes records as the scan produces them. Called from worker threads.
pub trait RecordSink: Sync {
    /// Takes one record.
    fn record(&self, record: &Record);
}

/// Hands each record to several sinks in turn (the table for a person and the configured sinks).
pub struct Fanout<'a>(pub Vec<&'a dyn RecordSink>);

impl RecordSink for Fanout<'_> {
    fn record(&self, record: &Record) {
        for sink in &self.0 {
            sink.record(record);
        }
    }
}
