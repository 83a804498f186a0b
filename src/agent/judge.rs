//! Judging one file of a batch or a walk: has it changed (identity and change stamps), and if so
//! is it judged from its stored analysis (moved, or new rules), judged again without the
//! detectors (same content by SHA-256), or read; what it breaks, with `key_stored_with_data`
//! asked of the store (`keys`); its new state. Runs on many files at once: [`Judging`] holds
//! the parts of the agent that are `Sync`.
//!
//! Not here: the loop and the store's transactions (`mod.rs`), reading and judging a file
//! (`scan`).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

use super::etiquette::ReadRate;
use super::keys::KeyPlaces;
use super::pulse::Pulse;
use super::state::{FileState, StateStore};
use super::Counters;
use crate::fsutil::{Beneath, OpenedFile};
use crate::platform::FileIdentity;
use crate::policy::pairing::{KeyRole, Pairing};
use crate::report::{Record, RecordSink};
use crate::scan::{Scanner, Verdict};

/// A file's analysis is kept in the state store when it holds at most this many value
/// fingerprints (about 64 KiB); a larger one (a bulk export) is read again after a move.
const MAX_KEPT_FINGERPRINTS: usize = 1_000;
/// Bytes hashed between two beats of the pulse.
const HASH_BLOCK: usize = 1 << 20;

/// A file's identity and change stamps now, by path without following a link (to see whether
/// it changed; what is read comes from the descriptor); `None` when it is not a regular file.
fn observe(path: &Path, ruleset: &str, analysis_version: &str) -> Option<FileState> {
    Some(state_of(&crate::platform::path_identity(path)?, ruleset, analysis_version))
}

/// A new state for a file of this identity, judged by nothing yet.
fn state_of(identity: &FileIdentity, ruleset: &str, analysis_version: &str) -> FileState {
    FileState {
        dev: identity.dev,
        ino: identity.ino,
        size: identity.size,
        mtime_ns: identity.mtime_ns,
        ctime_ns: identity.ctime_ns,
        ruleset: ruleset.to_string(),
        analysis_version: analysis_version.to_string(),
        violations: Vec::new(),
        content_sha256: None,
        analysis: None,
    }
}

fn violations_of(record: &Option<Record>) -> Vec<String> {
    match record {
        Some(Record::File(f)) => f.violations.iter().map(|v| v.rule.to_string()).collect(),
        _ => Vec::new(),
    }
}

/// What judging files in parallel shares (the parts of the agent that are `Sync`).
pub(super) struct Judging<'j> {
    pub(super) scanner: &'j Scanner,
    pub(super) version: &'j str,
    pub(super) state: &'j StateStore,
    pub(super) counters: &'j Counters,
    pub(super) rate: &'j ReadRate,
    pub(super) sink: &'j dyn RecordSink,
    pub(super) moved_away: &'j Mutex<HashMap<(u64, u64), FileState>>,
    pub(super) keys: &'j KeyPlaces,
    pub(super) pulse: &'j Pulse,
    pub(super) stop: &'j AtomicBool,
}

impl Judging<'_> {
    /// Judges one path of a batch or a walk: its new state (`None` once it is gone or not a
    /// regular file) and the violations that closed; `None` when nothing changed.
    pub(super) fn judge_path(
        &self,
        path: PathBuf,
        beneath: Option<&Beneath>,
    ) -> Option<(PathBuf, Option<FileState>, Vec<String>)> {
        let previous = self.state.get(&path).ok().flatten();
        let analysis_version = self.scanner.analysis_version();
        let Some(seen) = observe(&path, self.version, analysis_version) else {
            // Not a regular file (gone already, a folder, a link): forgotten below if known.
            self.keys.note(self.scanner, &path, &[previous.as_ref()]);
            return previous.map(|p| (path, None, p.violations));
        };
        if previous.as_ref().is_some_and(|p| p.is_unchanged(&seen)) {
            return None;
        }
        let opened = match beneath.map(|b| b.open_file(&path)) {
            Some(Ok(opened)) => opened,
            Some(Err(error)) => {
                // Reported, and remembered as seen, so that it is tried again when it changes.
                self.report(Some(&Record::Error(crate::scan::summary::error_record(&path, &error))));
                let closed = previous.map(|p| p.violations).unwrap_or_default();
                return Some((path, Some(seen), closed));
            }
            // Not below a watched root any more (a root went while the batch waited).
            None => return None,
        };
        let now = state_of(&opened.identity, self.version, analysis_version);
        let moved_here = if previous.is_none() { self.take_moved(&now) } else { None };
        let now = self.judge_changed(&path, previous.as_ref(), moved_here, now, opened);
        self.keys.note(self.scanner, &path, &[previous.as_ref(), Some(&now)]);
        let before = previous.map(|p| p.violations).unwrap_or_default();
        let closed: Vec<String> = before.into_iter().filter(|r| !now.violations.contains(r)).collect();
        Some((path, Some(now), closed))
    }

    /// Judges one new or changed file and says what it found; its new state. A file moved here
    /// unchanged, or unchanged under new policy rules, is judged from its stored analysis without
    /// being read; a file whose content is what it was (by SHA-256) is judged again without the
    /// detectors; anything else is scanned, through the same descriptor. At its old path, a file
    /// judged again is reported only when its violations changed.
    fn judge_changed(
        &self,
        path: &Path,
        previous: Option<&FileState>,
        moved_here: Option<FileState>,
        mut now: FileState,
        mut opened: OpenedFile,
    ) -> FileState {
        let earlier = moved_here.as_ref().or(previous);
        if let Some(unread) = earlier.filter(|e| e.is_same_content_unread(&now)) {
            if let Some(judged) = self.rejudge(path, unread, &mut now) {
                self.report_if_new(path, previous, &now, judged);
                return now;
            }
        }
        now.content_sha256 = self.content_sha256(&mut opened.file, now.size);
        let same_content = earlier.filter(|e| {
            e.analysis_version == now.analysis_version
                && now.content_sha256.is_some()
                && e.content_sha256 == now.content_sha256
        });
        if let Some(same) = same_content {
            if let Some(judged) = self.rejudge(path, same, &mut now) {
                self.report_if_new(path, previous, &now, judged);
                return now;
            }
        }
        let scanned = self.scanner.scan_opened(path, opened);
        self.rate.acquire(scanned.bytes_read, &|| self.keep_waiting());
        self.counters.scanned.fetch_add(1, Ordering::Relaxed);
        let judged = self.with_key_rule(scanned.verdict);
        now.violations = violations_of(&judged.record);
        self.report_judged(path, judged);
        now.analysis = scanned.analysis.filter(|a| a.fingerprints_held() <= MAX_KEPT_FINGERPRINTS);
        now
    }

    /// Beats while a wait for the read-rate cap goes on; false once the agent is stopping.
    fn keep_waiting(&self) -> bool {
        self.pulse.beat();
        !self.stop.load(Ordering::Relaxed)
    }

    /// SHA-256 of the content (hex), read through the open descriptor, which is left at its
    /// start; `None` for a file over the size cap (judged by its size, never read through) or
    /// one that cannot be read. Charged to the read-rate cap as it reads; beats the pulse.
    fn content_sha256(&self, file: &mut std::fs::File, size: u64) -> Option<String> {
        use sha2::Digest;
        use std::io::Seek;
        if size > self.scanner.max_file_size() {
            return None;
        }
        let mut hasher = sha2::Sha256::new();
        let mut block = vec![0u8; HASH_BLOCK];
        let hashed = loop {
            match crate::fsutil::read_full(file, &mut block) {
                Ok(0) => break true,
                Ok(n) => {
                    hasher.update(&block[..n]);
                    if !self.rate.acquire(n as u64, &|| self.keep_waiting()) || !self.keep_waiting() {
                        break false;
                    }
                }
                Err(_) => break false,
            }
        };
        let rewound = file.rewind().is_ok();
        (hashed && rewound).then(|| hasher.finalize().iter().map(|b| format!("{b:02x}")).collect())
    }

    /// Judges `path` from the analysis `earlier` kept; `None` when there is none to use.
    fn rejudge(&self, path: &Path, earlier: &FileState, now: &mut FileState) -> Option<Judged> {
        let analysis = earlier.analysis.as_ref()?;
        let verdict = self.scanner.rejudge(path, now.size, now.modified(), analysis).ok()?;
        let judged = self.with_key_rule(verdict);
        self.counters.rejudged.fetch_add(1, Ordering::Relaxed);
        now.violations = violations_of(&judged.record);
        now.analysis = Some(analysis.clone());
        now.content_sha256 = earlier.content_sha256.clone();
        Some(judged)
    }

    /// Reports a file judged again without the detectors: always at a new path, at the same
    /// path only when its violations changed (otherwise nothing new is known).
    fn report_if_new(&self, path: &Path, previous: Option<&FileState>, now: &FileState, judged: Judged) {
        if previous.is_none_or(|p| p.violations != now.violations) {
            self.report_judged(path, judged);
        }
    }

    /// Reports a judged file, or holds its record until the batch's end when it is a credential
    /// that encrypted data arriving in the same batch may pair (see `keys`): so it is reported
    /// once, with its final violations.
    fn report_judged(&self, path: &Path, judged: Judged) {
        match (judged.record, judged.awaits) {
            (Some(Record::File(file)), Some(pairing)) => self.keys.hold(path, file, pairing),
            (record, _) => self.report(record.as_ref()),
        }
    }

    fn report(&self, record: Option<&Record>) {
        if let Some(record) = record {
            let counter =
                if matches!(record, Record::Error(_)) { &self.counters.errors } else { &self.counters.reported };
            counter.fetch_add(1, Ordering::Relaxed);
            self.sink.record(record);
        }
    }

    /// The state of a file that left its path in this batch and is `now` somewhere else.
    fn take_moved(&self, now: &FileState) -> Option<FileState> {
        self.moved_away.lock().unwrap_or_else(std::sync::PoisonError::into_inner).remove(&(now.dev, now.ino))
    }

    /// The verdict's record, with `key_stored_with_data` when it is a credential stored where the
    /// store knows encrypted data; a credential where it knows none yet awaits the batch's end.
    fn with_key_rule(&self, verdict: Verdict) -> Judged {
        match verdict {
            Verdict { record: Some(Record::File(mut file)), pairing: Some(pairing) }
                if pairing.role == KeyRole::Credential =>
            {
                if self.keys.encrypted_in(&pairing.place, self.scanner, self.state) {
                    self.scanner.add_key_beside_data(&mut file, &pairing);
                    Judged { record: Some(Record::File(file)), awaits: None }
                } else {
                    Judged { record: Some(Record::File(file)), awaits: Some(pairing) }
                }
            }
            Verdict { record, .. } => Judged { record, awaits: None },
        }
    }
}

/// A file judged: its record, and for a credential where the store knows no encrypted data yet,
/// its part in `key_stored_with_data`, judged again once the batch is stored.
struct Judged {
    record: Option<Record>,
    awaits: Option<Pairing>,
}
