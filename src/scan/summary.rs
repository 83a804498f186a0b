//! What a run adds up: the live [`Progress`] counters, the summary record and the `error` records
//! of files that could not be read.
//!
//! Not here: deciding what a file is (`scan`), printing (the binary).

use std::path::Path;
use std::sync::atomic::AtomicU64;
use std::sync::Mutex;

use crate::error::FileError;
use crate::policy::pairing::Pairing;
use crate::report::{path_fields, ErrorRecord, FileRecord, SummaryRecord, SCHEMA_VERSION};
use crate::walk::SkipReason;

/// Counters a progress display may read while the scan runs.
#[derive(Debug, Default)]
pub struct Progress {
    /// Files read so far.
    pub files: AtomicU64,
    /// Bytes of files read so far.
    pub bytes: AtomicU64,
    /// Files with findings so far.
    pub files_with_findings: AtomicU64,
}

/// What the run accumulates across threads: the summary, and the records held back until every
/// file has been seen (a key and the encrypted file it unlocks may be found in either order).
pub(super) struct Totals {
    /// The summary so far.
    pub(super) summary: Mutex<SummaryRecord>,
    /// Files that may pair a key with encrypted data, held back (they are few).
    pub(super) held: Mutex<Vec<(FileRecord, Pairing)>>,
}

pub(super) fn lock(summary: &Mutex<SummaryRecord>) -> std::sync::MutexGuard<'_, SummaryRecord> {
    summary.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Counts a file the walk skipped (an excluded one is not a file seen).
pub(super) fn count_skip(summary: &Mutex<SummaryRecord>, reason: SkipReason) {
    let mut s = lock(summary);
    if reason != SkipReason::Excluded {
        s.files_seen += 1;
    }
    *s.skipped.entry(reason.as_str()).or_default() += 1;
}

/// Counts a file record in the summary.
pub(super) fn add_to_summary(s: &mut SummaryRecord, record: &FileRecord) {
    if !record.findings.is_empty() {
        s.files_with_findings += 1;
    }
    *s.classifications.entry(record.classification.as_str()).or_default() += 1;
    for f in &record.findings {
        *s.findings_by_detector.entry(f.detector.clone()).or_default() += f.occurrences;
    }
    for v in &record.violations {
        *s.violations.entry(v.rule).or_default() += 1;
    }
    if record.partial {
        s.partial += 1;
    }
    for reason in &record.partial_reasons {
        *s.partial_reasons.entry(reason).or_default() += 1;
    }
}

/// Counts a file that could not be read.
pub(super) fn count_error(s: &mut SummaryRecord, error: &FileError) {
    s.errors += 1;
    *s.error_kinds.entry(error.kind()).or_default() += 1;
}

/// The `error` record of a file that could not be read.
pub fn error_record(path: &Path, error: &FileError) -> ErrorRecord {
    let (path, path_base64) = path_fields(path);
    ErrorRecord { schema_version: SCHEMA_VERSION, path, path_base64, kind: error.kind(), message: error.to_string() }
}
