//! The agent's memory across restarts: per file, what it was when last judged and what was said.
//!
//! An embedded redb database (ACID, copy-on-write: a `kill -9` at any moment leaves the last
//! committed state). Keyed by path; the value records the file's identity and change stamps
//! (device, inode, size, modification and change times), a SHA-256 of its content, the rule-set
//! version that judged it, its open violations (so that a later `resolved` event can name them)
//! and its value-free analysis (so that a move is judged again without reading the file). Holds
//! no content and no matched value.

use std::borrow::Cow;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError, RwLock};

use redb::{ReadableDatabase, ReadableTableMetadata, TableDefinition};
use serde::{Deserialize, Serialize};

use crate::analysis::PortableAnalysis;
use crate::error::AgentError;

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

/// The open store. Damage found in it (on opening, or by any operation later: redb reports
/// corruption or panics on bad bytes) sets the file aside and starts an empty store in its place;
/// [`StateStore::take_set_aside`] says so, and the agent walks every root to fill it again.
pub struct StateStore {
    path: PathBuf,
    open: RwLock<Open>,
    /// Damaged stores set aside and not yet reported.
    set_aside: Mutex<Vec<SetAside>>,
}

/// The database in use, and how many times it has been replaced (so that threads that met the
/// same damage replace it once).
struct Open {
    db: redb::Database,
    generation: u64,
}

/// A damaged store moved out of the way and replaced by an empty one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SetAside {
    /// What was wrong with it.
    pub error: String,
    /// Where the damaged file is now.
    pub moved_to: PathBuf,
}

impl std::fmt::Display for SetAside {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "the state store was damaged ({}); it was moved to {} and a new one started, so every file is judged again",
            self.error,
            self.moved_to.display()
        )
    }
}

/// The store key of `path`: the bytes the system names it by.
fn key(path: &Path) -> Cow<'_, [u8]> {
    crate::platform::path_bytes(path)
}

/// Damaged copies kept beside the store: enough to look into, too few for a loop of damage to
/// fill the disk.
const DAMAGED_COPIES_KEPT: usize = 3;

/// Why a store operation failed, and whether the file itself is damaged.
struct Failure {
    message: String,
    damaged: bool,
}

impl From<redb::Error> for Failure {
    fn from(e: redb::Error) -> Failure {
        Failure { damaged: is_damage(&e), message: e.to_string() }
    }
}

/// True for errors that say the file's content is bad (setting it aside helps), false for those
/// of the surroundings (disk full, permissions, another agent holding it).
fn is_damage(e: &redb::Error) -> bool {
    use redb::Error as E;
    match e {
        E::Corrupted(_)
        | E::UpgradeRequired(_)
        | E::LockPoisoned(_)
        | E::TableTypeMismatch { .. }
        | E::TableIsMultimap(_)
        | E::TypeDefinitionChanged { .. } => true,
        E::Io(io) => matches!(io.kind(), std::io::ErrorKind::InvalidData | std::io::ErrorKind::UnexpectedEof),
        _ => false,
    }
}

/// Runs a store operation; a panic inside redb (it may panic on bad bytes) counts as damage.
fn guarded<T>(op: impl FnOnce() -> Result<T, redb::Error>) -> Result<T, Failure> {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(op)) {
        Ok(result) => result.map_err(Failure::from),
        Err(panic) => {
            let what = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_default();
            Err(Failure { message: format!("redb panicked: {what}"), damaged: true })
        }
    }
}

/// Opens or creates the database at `path` (private to this user), checking every page: a file
/// damaged while the agent was stopped fails here instead of panicking later.
fn open_db(path: &Path) -> Result<redb::Database, Failure> {
    make_private(path).map_err(|e| Failure { message: format!("{}: {e}", path.display()), damaged: false })?;
    guarded(|| {
        // redb caches up to 1 GiB by default; the agent must stay small on a laptop.
        let db = redb::Builder::new().set_cache_size(CACHE_BYTES).set_check_integrity_on_open(true).create(path)?;
        let txn = db.begin_write()?;
        txn.open_table(FILES)?;
        txn.commit()?;
        Ok(db)
    })
}

/// The store's folder (0700 when made here) and file (0600): redb would create the file with
/// the umask's mode, so it is created first, or tightened when it exists.
fn make_private(path: &Path) -> std::io::Result<()> {
    if let Some(dir) = path.parent() {
        crate::private::create_dir_all(dir, crate::private::DIR_MODE)?;
    }
    match crate::private::create_new_file(path) {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => crate::private::tighten(path),
        Err(e) => Err(e),
    }
}

/// Moves the damaged store at `path` aside with a timestamp, and removes the oldest copies beyond
/// [`DAMAGED_COPIES_KEPT`].
fn move_aside(path: &Path, error: String) -> Result<SetAside, AgentError> {
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let prefix = format!("{name}.damaged-");
    let moved_to = path.with_file_name(format!("{prefix}{}", crate::clock::compact_utc(std::time::SystemTime::now())));
    std::fs::rename(path, &moved_to).map_err(|e| {
        AgentError::State(format!("{}: damaged ({error}) and cannot be moved aside: {e}", path.display()))
    })?;
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let mut copies: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .filter(|e| e.file_name().to_string_lossy().starts_with(&prefix))
                .map(|e| e.path())
                .collect()
        })
        .unwrap_or_default();
    copies.sort(); // the timestamps sort in time order
    for old in copies.iter().rev().skip(DAMAGED_COPIES_KEPT) {
        if let Err(e) = std::fs::remove_file(old) {
            tracing::warn!(path = %old.display(), error = %e, "cannot remove an old damaged state store");
        }
    }
    Ok(SetAside { error, moved_to })
}

/// Sets the damaged store at `path` aside and opens a new, empty one there.
fn replace_damaged(path: &Path, error: String) -> Result<(redb::Database, SetAside), AgentError> {
    tracing::error!(path = %path.display(), %error, "the state store is damaged; setting it aside");
    let aside = move_aside(path, error)?;
    let db = open_db(path).map_err(|f| AgentError::State(format!("{}: {}", path.display(), f.message)))?;
    Ok((db, aside))
}

impl StateStore {
    /// Opens (creating) the store at `path`. A damaged store is set aside and a new one started.
    pub fn open(path: &Path) -> Result<StateStore, AgentError> {
        let (db, set_aside) = match open_db(path) {
            Ok(db) => (db, Vec::new()),
            Err(failure) if failure.damaged => {
                let (db, aside) = replace_damaged(path, failure.message)?;
                (db, vec![aside])
            }
            Err(failure) => return Err(AgentError::State(format!("{}: {}", path.display(), failure.message))),
        };
        Ok(StateStore {
            path: path.to_path_buf(),
            open: RwLock::new(Open { db, generation: 0 }),
            set_aside: Mutex::new(set_aside),
        })
    }

    /// The damaged stores set aside since the last call (at most one per replacement).
    pub fn take_set_aside(&self) -> Vec<SetAside> {
        std::mem::take(&mut *self.set_aside.lock().unwrap_or_else(PoisonError::into_inner))
    }

    /// Runs `op` on the database; when it finds the database damaged, replaces it with an empty
    /// one (the operation still fails: what it wanted is gone).
    fn with_db<T>(&self, op: impl FnOnce(&redb::Database) -> Result<T, redb::Error>) -> Result<T, AgentError> {
        let (generation, outcome) = {
            let open = self.open.read().unwrap_or_else(PoisonError::into_inner);
            (open.generation, guarded(|| op(&open.db)))
        };
        outcome.map_err(|failure| {
            if failure.damaged {
                self.replace(generation, failure.message.clone());
            }
            AgentError::State(failure.message)
        })
    }

    /// Replaces the database of `generation` (unless another thread already did) after damage.
    fn replace(&self, generation: u64, error: String) {
        let mut open = self.open.write().unwrap_or_else(PoisonError::into_inner);
        if open.generation != generation {
            return;
        }
        match replace_damaged(&self.path, error) {
            Ok((db, aside)) => {
                let damaged = std::mem::replace(&mut open.db, db);
                open.generation += 1;
                // Closing a damaged database may panic too; it is dropped for good either way.
                let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(move || drop(damaged)));
                self.set_aside.lock().unwrap_or_else(PoisonError::into_inner).push(aside);
            }
            Err(e) => tracing::error!(error = %e, "cannot replace the damaged state store; file states are not kept"),
        }
    }

    /// The state of one path, if known.
    pub fn get(&self, path: &Path) -> Result<Option<FileState>, AgentError> {
        self.with_db(|db| {
            let txn = db.begin_read()?;
            let table = txn.open_table(FILES)?;
            Ok(table.get(key(path).as_ref())?.and_then(|v| serde_json::from_slice(v.value()).ok()))
        })
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
        self.with_db(|db| {
            let txn = db.begin_read()?;
            let table = txn.open_table(FILES)?;
            let start = key(prefix);
            for entry in table.range(start.as_ref()..)? {
                let (k, v) = entry?;
                let path = crate::platform::path_from_bytes(k.value());
                if !path.starts_with(prefix) {
                    if k.value().starts_with(&start) {
                        continue; // `/a/bc` sorts among `/a/b/...`; not below `/a/b`
                    }
                    break;
                }
                visit(&path, v.value());
            }
            Ok(())
        })
    }

    /// Writes a batch of changes in one transaction: `Some` sets, `None` forgets.
    pub fn apply(&self, changes: &[(PathBuf, Option<FileState>)]) -> Result<(), AgentError> {
        if changes.is_empty() {
            return Ok(());
        }
        let values = changes
            .iter()
            .map(|(path, state)| Ok((key(path), state.as_ref().map(serde_json::to_vec).transpose()?)))
            .collect::<Result<Vec<_>, serde_json::Error>>()
            .map_err(|e| AgentError::State(e.to_string()))?;
        self.with_db(|db| {
            let txn = db.begin_write()?;
            {
                let mut table = txn.open_table(FILES)?;
                for (key, value) in &values {
                    match value {
                        Some(value) => table.insert(key.as_ref(), value.as_slice())?,
                        None => table.remove(key.as_ref())?,
                    };
                }
            }
            Ok(txn.commit()?)
        })
    }

    /// How many files the store knows.
    pub fn files_known(&self) -> Result<u64, AgentError> {
        self.with_db(|db| Ok(db.begin_read()?.open_table(FILES)?.len()?))
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

    /// A store holding a few hundred files, closed; its path.
    fn filled_store(dir: &Path) -> PathBuf {
        let db = dir.join("agent.redb");
        let store = StateStore::open(&db).unwrap();
        let changes: Vec<(PathBuf, Option<FileState>)> = (0..400)
            .map(|i| (PathBuf::from(format!("/home/ann/Documents/report-{i:04}.csv")), Some(state(i))))
            .collect();
        store.apply(&changes).unwrap();
        assert!(store.take_set_aside().is_empty());
        db
    }

    /// Reopens a damaged store: it works, is empty, and says where the damaged copy went.
    fn reopens_fresh(db: &Path, damage: &str) -> SetAside {
        let store = StateStore::open(db).unwrap_or_else(|e| panic!("{damage}: {e}"));
        let notes = store.take_set_aside();
        assert_eq!(notes.len(), 1, "{damage}: one note: {notes:?}");
        assert!(notes[0].moved_to.exists(), "{damage}: the damaged copy is kept");
        assert!(notes[0].to_string().contains("damaged"), "{}", notes[0]);
        assert_eq!(store.files_known().unwrap(), 0, "{damage}");
        store.apply(&[(PathBuf::from("/h/new.csv"), Some(state(1)))]).unwrap();
        assert_eq!(store.get(Path::new("/h/new.csv")).unwrap(), Some(state(1)), "{damage}: the new store works");
        notes.into_iter().next().unwrap()
    }

    /// Bytes that look random, the same on every run.
    fn noise(len: usize) -> Vec<u8> {
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        (0..len)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x as u8
            })
            .collect()
    }

    fn overwrite(path: &Path, at: u64, bytes: &[u8]) {
        use std::io::{Seek, Write};
        let mut file = std::fs::OpenOptions::new().write(true).open(path).unwrap();
        file.seek(std::io::SeekFrom::Start(at)).unwrap();
        file.write_all(bytes).unwrap();
    }

    #[test]
    fn a_truncated_store_is_set_aside_and_started_afresh() {
        let dir = tempfile::tempdir().unwrap();
        let db = filled_store(dir.path());
        let len = std::fs::metadata(&db).unwrap().len();
        std::fs::OpenOptions::new().write(true).open(&db).unwrap().set_len(len / 2).unwrap();
        let note = reopens_fresh(&db, "truncated");
        assert_eq!(std::fs::metadata(&note.moved_to).unwrap().len(), len / 2, "the damaged copy as it was");
    }

    #[test]
    fn a_store_with_garbage_over_its_header_is_set_aside() {
        let dir = tempfile::tempdir().unwrap();
        let db = filled_store(dir.path());
        overwrite(&db, 0, b"GARBAGE");
        let note = reopens_fresh(&db, "header");
        assert!(note.error.contains("Not a redb database"), "{note}");
    }

    #[test]
    fn a_store_with_noise_in_the_middle_is_set_aside() {
        let dir = tempfile::tempdir().unwrap();
        let db = filled_store(dir.path());
        let len = std::fs::metadata(&db).unwrap().len();
        overwrite(&db, len / 2, &noise(8192));
        reopens_fresh(&db, "noise");
    }

    #[test]
    fn only_the_newest_damaged_copies_are_kept() {
        let dir = tempfile::tempdir().unwrap();
        let db = filled_store(dir.path());
        let old: Vec<PathBuf> =
            (1..=4).map(|i| dir.path().join(format!("agent.redb.damaged-2020010{i}T000000Z"))).collect();
        for path in &old {
            std::fs::write(path, "old").unwrap();
        }
        overwrite(&db, 0, b"GARBAGE");
        let note = reopens_fresh(&db, "header");
        let mut kept: Vec<PathBuf> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.to_string_lossy().contains(".damaged-"))
            .collect();
        kept.sort();
        assert_eq!(kept, [old[2].clone(), old[3].clone(), note.moved_to]);
    }

    #[test]
    fn damage_met_while_running_replaces_the_store_and_a_panic_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let store = StateStore::open(&filled_store(dir.path())).unwrap();
        let failed = store.with_db(|_| -> Result<(), redb::Error> { panic!("a bad page") });
        assert!(matches!(&failed, Err(AgentError::State(m)) if m.contains("a bad page")), "{:?}", failed.err());
        let notes = store.take_set_aside();
        assert_eq!(notes.len(), 1, "{notes:?}");
        assert!(notes[0].moved_to.exists());
        assert_eq!(store.files_known().unwrap(), 0, "a new, empty store");
        store.apply(&[(PathBuf::from("/h/new.csv"), Some(state(1)))]).unwrap();
        assert_eq!(store.files_known().unwrap(), 1);
        assert!(store.take_set_aside().is_empty(), "said once");
        // An error of the surroundings is not damage: the store stays.
        let busy = store.with_db(|_| -> Result<(), redb::Error> { Err(redb::Error::DatabaseAlreadyOpen) });
        assert!(busy.is_err() && store.take_set_aside().is_empty());
        assert_eq!(store.files_known().unwrap(), 1);
    }

    #[test]
    #[cfg(unix)] // file modes
    fn the_store_and_a_folder_made_for_it_are_private() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("state/agent.redb");
        StateStore::open(&db).unwrap();
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!((mode(db.parent().unwrap()), mode(&db)), (0o700, 0o600));
        std::fs::set_permissions(&db, std::fs::Permissions::from_mode(0o644)).unwrap();
        StateStore::open(&db).unwrap();
        assert_eq!(mode(&db), 0o600, "tightened when opened again");
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
