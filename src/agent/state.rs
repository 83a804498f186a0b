//! The agent's memory across restarts: per file, what it was when last judged and what was said.
//!
//! An embedded redb database (ACID, copy-on-write: a `kill -9` at any moment leaves the last
//! committed state). Keyed by path; the value records the file's identity and change stamps
//! (device, inode, size, modification and change times), a SHA-256 of its content, the rule-set
//! version that judged it, its open violations (so that a later `resolved` event can name them)
//! and its value-free analysis (so that a move is judged again without reading the file). Holds
//! no content and no matched value.

use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use redb::{ReadableDatabase, ReadableTableMetadata, TableDefinition};
use serde::{Deserialize, Serialize};

use crate::error::AgentError;
use crate::portable::PortableAnalysis;

const FILES: TableDefinition<&[u8], &[u8]> = TableDefinition::new("files");
/// The store's page cache. A larger one makes a first baseline faster (1 GiB: 100,000 files in
/// 1.4 s instead of 5 s) but costs its size in resident memory, which matters more on a laptop.
const CACHE_BYTES: usize = 8 << 20;

/// What the agent knows of one file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileState {
    /// Device number.
    pub dev: u64,
    /// Inode number.
    pub ino: u64,
    /// Size in bytes.
    pub size: u64,
    /// Modification time, nanoseconds since the epoch.
    pub mtime_ns: i128,
    /// Status-change time, nanoseconds since the epoch (changes on any write or rename).
    pub ctime_ns: i128,
    /// The rule set (detectors and policy) that judged it.
    pub ruleset: String,
    /// What made its analysis (detectors and reading limits, not policy): the analysis can be
    /// judged again under new policy rules only while this is the scanner's.
    #[serde(default)]
    pub analysis_version: String,
    /// Rules it broke when last judged (empty when none).
    pub violations: Vec<String>,
    /// SHA-256 of its content when last read (hex).
    #[serde(default)]
    pub content_sha256: Option<String>,
    /// What reading it found, when it was read and the analysis is small enough to keep.
    #[serde(default)]
    pub analysis: Option<PortableAnalysis>,
}

impl FileState {
    /// True when the file looks as it did: same identity, size and times, judged by the same rules
    /// and analysed by the same detectors (user detector files are not in the configuration text).
    pub fn is_unchanged(&self, now: &FileState) -> bool {
        (self.dev, self.ino, self.size, self.mtime_ns, self.ctime_ns)
            == (now.dev, now.ino, now.size, now.mtime_ns, now.ctime_ns)
            && self.ruleset == now.ruleset
            && self.analysis_version == now.analysis_version
    }

    /// The modification time.
    pub fn modified(&self) -> std::time::SystemTime {
        std::time::UNIX_EPOCH + std::time::Duration::from_nanos(u64::try_from(self.mtime_ns).unwrap_or(0))
    }

    /// True when `now` is this file with its content as it was when analysed, wherever it is
    /// now and whatever the policy: same identity, size and modification time, analysed as the
    /// scanner would analyse it now. (A rename changes the status-change time, so that is not
    /// compared.)
    pub fn is_same_content_unread(&self, now: &FileState) -> bool {
        (self.dev, self.ino, self.size, self.mtime_ns) == (now.dev, now.ino, now.size, now.mtime_ns)
            && self.analysis_version == now.analysis_version
    }
}

/// The open store.
pub struct StateStore {
    db: redb::Database,
}

fn key(path: &Path) -> &[u8] {
    path.as_os_str().as_bytes()
}

fn store_error(e: impl std::fmt::Display) -> AgentError {
    AgentError::State(e.to_string())
}

impl StateStore {
    /// Opens (creating) the store at `path`.
    pub fn open(path: &Path) -> Result<StateStore, AgentError> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| AgentError::State(format!("{}: {e}", dir.display())))?;
        }
        // redb caches up to 1 GiB by default; the agent must stay small on a laptop.
        let db = redb::Builder::new()
            .set_cache_size(CACHE_BYTES)
            .create(path)
            .map_err(|e| AgentError::State(format!("{}: {e}", path.display())))?;
        let txn = db.begin_write().map_err(store_error)?;
        txn.open_table(FILES).map_err(store_error)?;
        txn.commit().map_err(store_error)?;
        Ok(StateStore { db })
    }

    /// The state of one path, if known.
    pub fn get(&self, path: &Path) -> Result<Option<FileState>, AgentError> {
        let txn = self.db.begin_read().map_err(store_error)?;
        let table = txn.open_table(FILES).map_err(store_error)?;
        let value = table.get(key(path)).map_err(store_error)?;
        Ok(value.and_then(|v| serde_json::from_slice(v.value()).ok()))
    }

    /// Every known path at or below `prefix`, with its state.
    pub fn under(&self, prefix: &Path) -> Result<Vec<(PathBuf, FileState)>, AgentError> {
        let mut found = Vec::new();
        self.visit_under(prefix, &mut |path, value| {
            if let Ok(state) = serde_json::from_slice(value) {
                found.push((path.to_path_buf(), state));
            }
        })?;
        Ok(found)
    }

    /// The known paths at or below `prefix` that `select` picks. Reads no state, so a walk over
    /// 100,000 files holds only the paths it picks.
    pub fn paths_under_matching(
        &self,
        prefix: &Path,
        select: &dyn Fn(&Path) -> bool,
    ) -> Result<Vec<PathBuf>, AgentError> {
        let mut found = Vec::new();
        self.visit_under(prefix, &mut |path, _| {
            if select(path) {
                found.push(path.to_path_buf());
            }
        })?;
        Ok(found)
    }

    /// Calls `visit` with each known path at or below `prefix` and its stored value, in order.
    fn visit_under(&self, prefix: &Path, visit: &mut dyn FnMut(&Path, &[u8])) -> Result<(), AgentError> {
        let txn = self.db.begin_read().map_err(store_error)?;
        let table = txn.open_table(FILES).map_err(store_error)?;
        let start = key(prefix);
        for entry in table.range(start..).map_err(store_error)? {
            let (k, v) = entry.map_err(store_error)?;
            let path = Path::new(std::ffi::OsStr::from_bytes(k.value()));
            if !path.starts_with(prefix) {
                if k.value().starts_with(start) {
                    continue; // `/a/bc` sorts among `/a/b/...`; not below `/a/b`
                }
                break;
            }
            visit(path, v.value());
        }
        Ok(())
    }

    /// Writes a batch of changes in one transaction: `Some` sets, `None` forgets.
    pub fn apply(&self, changes: &[(PathBuf, Option<FileState>)]) -> Result<(), AgentError> {
        if changes.is_empty() {
            return Ok(());
        }
        let txn = self.db.begin_write().map_err(store_error)?;
        {
            let mut table = txn.open_table(FILES).map_err(store_error)?;
            for (path, state) in changes {
                match state {
                    Some(state) => {
                        let value = serde_json::to_vec(state).map_err(store_error)?;
                        table.insert(key(path), value.as_slice()).map_err(store_error)?;
                    }
                    None => {
                        table.remove(key(path)).map_err(store_error)?;
                    }
                }
            }
        }
        txn.commit().map_err(store_error)
    }

    /// How many files the store knows.
    pub fn files_known(&self) -> Result<u64, AgentError> {
        let txn = self.db.begin_read().map_err(store_error)?;
        let table = txn.open_table(FILES).map_err(store_error)?;
        table.len().map_err(store_error)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state(size: u64) -> FileState {
        FileState {
            dev: 1,
            ino: 2,
            size,
            mtime_ns: 3,
            ctime_ns: 4,
            ruleset: "r1".into(),
            analysis_version: String::new(),
            violations: vec!["unencrypted_confidential_in_unmanaged_cloud".into()],
            content_sha256: None,
            analysis: None,
        }
    }

    #[test]
    fn states_survive_reopening_and_prefixes_are_whole_components() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("state.redb");
        {
            let store = StateStore::open(&db).unwrap();
            store
                .apply(&[
                    (PathBuf::from("/h/a/b/one.csv"), Some(state(1))),
                    (PathBuf::from("/h/a/bc/two.csv"), Some(state(2))),
                    (PathBuf::from("/h/a/b/sub/three.csv"), Some(state(3))),
                ])
                .unwrap();
        }
        let store = StateStore::open(&db).unwrap();
        assert_eq!(store.get(Path::new("/h/a/b/one.csv")).unwrap(), Some(state(1)));
        let under: Vec<PathBuf> = store.under(Path::new("/h/a/b")).unwrap().into_iter().map(|(p, _)| p).collect();
        assert_eq!(under, [PathBuf::from("/h/a/b/one.csv"), PathBuf::from("/h/a/b/sub/three.csv")]);
        let picked = store.paths_under_matching(Path::new("/h/a/b"), &|p| p.ends_with("three.csv")).unwrap();
        assert_eq!(picked, [PathBuf::from("/h/a/b/sub/three.csv")]);
        store.apply(&[(PathBuf::from("/h/a/b/one.csv"), None)]).unwrap();
        assert_eq!(store.files_known().unwrap(), 2);
    }

    #[test]
    fn states_written_before_fingerprints_and_analyses_were_kept_still_read() {
        let old = r#"{"dev":1,"ino":2,"size":1,"mtime_ns":3,"ctime_ns":4,"ruleset":"r1",
            "violations":["unencrypted_confidential_in_unmanaged_cloud"]}"#;
        assert_eq!(serde_json::from_str::<FileState>(old).unwrap(), state(1));
    }

    #[test]
    fn a_new_rule_set_means_changed() {
        let mut newer = state(1);
        assert!(state(1).is_unchanged(&newer));
        newer.ruleset = "r2".into();
        assert!(!state(1).is_unchanged(&newer));
        let mut new_detector_file = state(1);
        new_detector_file.analysis_version = "a2".into();
        assert!(!state(1).is_unchanged(&new_detector_file));
    }

    #[test]
    fn a_rename_or_a_new_policy_keeps_the_content_as_analysed() {
        let mut renamed = state(1);
        renamed.ctime_ns += 1;
        renamed.ruleset = "r2".into();
        assert!(!state(1).is_unchanged(&renamed) && state(1).is_same_content_unread(&renamed));
        let mut rewritten = renamed.clone();
        rewritten.mtime_ns += 1;
        assert!(!state(1).is_same_content_unread(&rewritten));
        let mut other_inode = renamed.clone();
        other_inode.ino += 1;
        assert!(!state(1).is_same_content_unread(&other_inode));
        let mut new_detectors = renamed;
        new_detectors.analysis_version = "a2".into();
        assert!(!state(1).is_same_content_unread(&new_detectors));
    }
}
