//! Reporting: the records dlp-scan emits, and the sinks that write them.
//!
//! [`Record`] is the report contract (JSON Lines with `--format json`), separate from internal types
//! and serialize-only. Every field is documented in `docs/report-schema.md`; a snapshot test holds
//! the shape. Records carry masked samples and keyed fingerprints, never a matched value.
//!
//! Sinks receive records as they are produced ([`RecordSink`]); they decide nothing.

pub mod human;
mod record;

pub use record::{
    path_fields, EncryptionRecord, ErrorRecord, FileRecord, FindingRecord, LocationRecord, Record, SummaryRecord,
    SCHEMA_VERSION,
};

use std::io::Write;
use std::sync::Mutex;

/// Something that takes records as the scan produces them. Called from worker threads.
pub trait RecordSink: Sync {
    /// Takes one record.
    fn record(&self, record: &Record);
}

/// Writes each record as one JSON line and flushes it, so a shipper tailing the output sees whole
/// lines only.
pub struct JsonLinesSink<W: Write + Send> {
    out: Mutex<W>,
}

impl<W: Write + Send> JsonLinesSink<W> {
    /// Wraps a writer.
    pub fn new(out: W) -> Self {
        JsonLinesSink { out: Mutex::new(out) }
    }
}

impl<W: Write + Send> RecordSink for JsonLinesSink<W> {
    fn record(&self, record: &Record) {
        let mut line = match serde_json::to_vec(record) {
            Ok(line) => line,
            Err(e) => {
                tracing::error!(error = %e, "a record could not be encoded");
                return;
            }
        };
        line.push(b'\n');
        let mut out = self.out.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Err(e) = out.write_all(&line).and_then(|()| out.flush()) {
            tracing::error!(error = %e, "a record could not be written");
        }
    }
}
