//! `key_stored_with_data` for the agent: a password or key in clear stored in the same unmanaged
//! cloud folder or removable volume as encrypted data it may unlock.
//!
//! `dlp-scan` judges this rule once every file of a run is known; the agent judges a file at a
//! time, so it asks its store. A credential judged while the store knows encrypted data in its
//! place gets the violation at once. When encrypted data arrives, changes or leaves a place, the
//! credentials stored there are judged again after the batch: reported with the violation, or
//! the violation resolved. Judged from stored analyses; nothing is read again. A credential
//! judged in a batch where the store knows no encrypted data yet is held until the batch is
//! stored, since encrypted data may arrive in the same batch (a folder moved in): so it is
//! reported once, with the violation or without it.
//!
//! Not here: the rule itself, and what makes a file a credential or encrypted data
//! (`policy::pairing`).

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::sync::Mutex;

use super::state::{FileState, StateStore};
use super::Agent;
use crate::policy::pairing::{KeyRole, Pairing, KEY_STORED_WITH_DATA};
use crate::report::{FileRecord, Record};
use crate::scan::{Scanner, Verdict};

/// What the agent knows of places where keys and encrypted data may meet.
#[derive(Default)]
pub(super) struct KeyPlaces {
    /// Per place asked about in this batch: whether the store knows encrypted data there.
    encrypted_in: Mutex<HashMap<PathBuf, bool>>,
    /// Places where encrypted data came, changed or went in this batch.
    touched: Mutex<BTreeSet<PathBuf>>,
    /// Records of credentials judged in this batch where the store knew no encrypted data, not
    /// reported yet.
    held: Mutex<BTreeMap<PathBuf, (FileRecord, Pairing)>>,
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn role_of(scanner: &Scanner, state: &FileState) -> KeyRole {
    state
        .analysis
        .as_ref()
        .map_or(KeyRole::Neither, |a| KeyRole::of(a.is_encrypted(), a.detector_classes(scanner.engine().detectors())))
}

fn any_encrypted_data(scanner: &Scanner, stored: &[(PathBuf, FileState)]) -> bool {
    stored.iter().any(|(_, s)| role_of(scanner, s) == KeyRole::EncryptedData)
}

fn holds_key_violation(state: &FileState) -> bool {
    state.violations.iter().any(|v| v == KEY_STORED_WITH_DATA)
}

impl KeyPlaces {
    /// True when the store knows encrypted data at or below `place`.
    pub(super) fn encrypted_in(&self, place: &Path, scanner: &Scanner, state: &StateStore) -> bool {
        if let Some(&known) = lock(&self.encrypted_in).get(place) {
            return known;
        }
        let found = any_encrypted_data(scanner, &state.under(place).unwrap_or_default());
        lock(&self.encrypted_in).insert(place.to_path_buf(), found);
        found
    }

    /// Notes the place of `path` when it is, or was, encrypted data there.
    pub(super) fn note(&self, scanner: &Scanner, path: &Path, states: &[Option<&FileState>]) {
        let encrypted = states.iter().flatten().any(|s| role_of(scanner, s) == KeyRole::EncryptedData);
        if let Some(place) = encrypted.then(|| scanner.exposed_root(path)).flatten() {
            lock(&self.touched).insert(place);
        }
    }

    /// Holds the record of a credential judged where the store knew no encrypted data, until
    /// the batch is stored.
    pub(super) fn hold(&self, path: &Path, record: FileRecord, pairing: Pairing) {
        lock(&self.held).insert(path.to_path_buf(), (record, pairing));
    }

    /// The places touched and the records held since the last call; forgets what this batch
    /// learnt.
    fn take_batch(&self) -> (BTreeSet<PathBuf>, BTreeMap<PathBuf, (FileRecord, Pairing)>) {
        lock(&self.encrypted_in).clear();
        (std::mem::take(&mut *lock(&self.touched)), std::mem::take(&mut *lock(&self.held)))
    }
}

impl Agent<'_> {
    /// Judges again the credentials stored where encrypted data came, changed or went.
    pub(super) fn recheck_keys(&self) {
        let mut changes = Vec::new();
        let (touched, mut held) = self.keys.take_batch();
        for place in touched {
            let scanner = &self.rules.scanner;
            let stored = self.state.under(&place).unwrap_or_default();
            let encrypted_here = any_encrypted_data(scanner, &stored);
            for (path, state) in stored {
                if role_of(scanner, &state) == KeyRole::Credential && holds_key_violation(&state) != encrypted_here {
                    match held.remove(&path) {
                        Some((file, pairing)) => changes.extend(self.pair_held(path, state, file, &pairing)),
                        None => changes.extend(self.rejudge_key(path, state, encrypted_here)),
                    }
                }
            }
        }
        self.save(&changes);
        for (file, _) in held.into_values() {
            self.report_held(Record::File(file));
        }
    }

    /// Reports a credential held in this batch, with the violation now that encrypted data is
    /// stored beside it (unless the rules configuration switches it off or allows it there); its
    /// new state when the violation stands.
    fn pair_held(
        &self,
        path: PathBuf,
        mut state: FileState,
        mut file: FileRecord,
        pairing: &Pairing,
    ) -> Option<(PathBuf, Option<FileState>)> {
        self.rules.scanner.add_key_beside_data(&mut file, pairing);
        let paired = file.violations.iter().any(|v| v.rule == KEY_STORED_WITH_DATA);
        state.violations = file.violations.iter().map(|v| v.rule.to_string()).collect();
        self.report_held(Record::File(file));
        paired.then_some((path, Some(state)))
    }

    fn report_held(&self, record: Record) {
        self.counters.reported.fetch_add(1, Ordering::Relaxed);
        self.sink.record(&record);
    }

    /// A credential's new state once encrypted data is (or is no longer) beside it; `None` when
    /// nothing changes (the rule is switched off or allowed there).
    fn rejudge_key(
        &self,
        path: PathBuf,
        mut state: FileState,
        encrypted_here: bool,
    ) -> Option<(PathBuf, Option<FileState>)> {
        if !encrypted_here {
            state.violations.retain(|v| v != KEY_STORED_WITH_DATA);
            let message = "no encrypted data beside it any more: its violation is closed".to_string();
            self.resolved(&path, vec![KEY_STORED_WITH_DATA.to_string()], message);
            return Some((path, Some(state)));
        }
        let scanner = &self.rules.scanner;
        let analysis = state.analysis.as_ref()?;
        let Ok(Verdict { record: Some(Record::File(mut file)), pairing: Some(pairing) }) =
            scanner.rejudge(&path, state.size, state.modified(), analysis)
        else {
            return None;
        };
        scanner.add_key_beside_data(&mut file, &pairing);
        if !file.violations.iter().any(|v| v.rule == KEY_STORED_WITH_DATA) {
            return None;
        }
        self.counters.rejudged.fetch_add(1, Ordering::Relaxed);
        self.counters.reported.fetch_add(1, Ordering::Relaxed);
        state.violations = file.violations.iter().map(|v| v.rule.to_string()).collect();
        self.sink.record(&Record::File(file));
        Some((path, Some(state)))
    }
}
