//! File-system events for the agent: one non-recursive watch per directory (so excluded folders
//! such as `node_modules` cost no watch), debounced so that a file is looked at once it has
//! settled, and turned into a [`Batch`] of what changed.
//!
//! Linux inotify, macOS FSEvents and Windows through `notify`; `notify-debouncer-full` merges the
//! events of one file and stitches renames. A queue overflow (`Rescan`) or a watch that fails is
//! reported in the batch, and the agent answers with a reconciliation walk.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{channel, Receiver, RecvTimeoutError};
use std::time::Duration;

use notify_debouncer_full::notify::event::{CreateKind, ModifyKind, RenameMode};
use notify_debouncer_full::notify::{EventKind, RecommendedWatcher, RecursiveMode};
use notify_debouncer_full::{new_debouncer, DebounceEventResult, Debouncer, RecommendedCache};

use crate::error::AgentError;

/// What happened under the watched folders since the last batch.
#[derive(Debug, Default)]
pub struct Batch {
    /// Files created, written or moved in.
    pub changed: BTreeSet<PathBuf>,
    /// Paths deleted or moved away (files or whole folders).
    pub removed: BTreeSet<PathBuf>,
    /// Folders created or moved in: to be watched and walked.
    pub new_dirs: BTreeSet<PathBuf>,
    /// The watcher lost events (queue overflow) and asks for a walk.
    pub rescan: bool,
    /// Watcher errors, for a health event.
    pub errors: Vec<String>,
}

/// The debounced watcher and the folders it watches.
pub struct Watcher {
    debouncer: Debouncer<RecommendedWatcher, RecommendedCache>,
    events: Receiver<DebounceEventResult>,
    watched: BTreeSet<PathBuf>,
}

impl Watcher {
    /// A watcher that reports a file once it has been quiet for `settle`.
    pub fn new(settle: Duration) -> Result<Watcher, AgentError> {
        let (tx, events) = channel();
        let debouncer = new_debouncer(settle, None, tx).map_err(|e| AgentError::Watch(e.to_string()))?;
        Ok(Watcher { debouncer, events, watched: BTreeSet::new() })
    }

    /// Folders watched.
    pub fn watched(&self) -> usize {
        self.watched.len()
    }

    /// Watches `root` and every folder below it that `skip` does not exclude, on `root`'s file
    /// system, never through a symbolic link (a `root` that is a link is entered only when
    /// `is_root`: a configured root, not a folder that appeared). Returns the watch failures (a
    /// watch limit reached, a folder gone), which the caller reports.
    pub fn watch_tree(&mut self, root: &Path, is_root: bool, skip: &dyn Fn(&Path) -> bool) -> Vec<String> {
        let mut failures = Vec::new();
        let dirs = walkdir::WalkDir::new(root)
            .follow_links(false)
            .follow_root_links(is_root)
            .same_file_system(true)
            .into_iter()
            .filter_entry(|e| e.file_type().is_dir() && !skip(e.path()))
            .filter_map(Result::ok);
        for dir in dirs {
            let path = dir.into_path();
            if self.watched.contains(&path) {
                continue;
            }
            match self.debouncer.watch(&path, RecursiveMode::NonRecursive) {
                Ok(()) => {
                    self.watched.insert(path);
                }
                Err(e) => failures.push(format!("{}: {e}", path.display())),
            }
        }
        failures
    }

    /// Stops watching `root` and everything below it.
    pub fn unwatch_tree(&mut self, root: &Path) {
        let below: Vec<PathBuf> = self.watched.iter().filter(|p| p.starts_with(root)).cloned().collect();
        for path in below {
            let _ = self.debouncer.unwatch(&path);
            self.watched.remove(&path);
        }
    }

    /// Waits up to `timeout` for events, then gathers whatever else is already queued.
    pub fn next(&mut self, timeout: Duration) -> Option<Batch> {
        let first = match self.events.recv_timeout(timeout) {
            Ok(result) => result,
            Err(RecvTimeoutError::Timeout) => return None,
            Err(RecvTimeoutError::Disconnected) => {
                let mut batch = Batch::default();
                batch.errors.push("the watcher stopped".to_string());
                batch.rescan = true;
                return Some(batch);
            }
        };
        let mut batch = Batch::default();
        add_to_batch(&mut batch, first);
        while let Ok(more) = self.events.try_recv() {
            add_to_batch(&mut batch, more);
        }
        // A folder that is gone loses its watch by itself; forget it too.
        let gone: Vec<PathBuf> =
            self.watched.iter().filter(|p| batch.removed.iter().any(|r| p.starts_with(r))).cloned().collect();
        for path in gone {
            self.watched.remove(&path);
        }
        Some(batch)
    }
}

fn add_to_batch(batch: &mut Batch, result: DebounceEventResult) {
    let events = match result {
        Ok(events) => events,
        Err(errors) => {
            batch.errors.extend(errors.iter().map(ToString::to_string));
            batch.rescan = true;
            return;
        }
    };
    for event in events {
        if event.need_rescan() {
            batch.rescan = true;
        }
        let paths = &event.paths;
        match event.kind {
            EventKind::Create(CreateKind::Folder) => batch.new_dirs.extend(paths.iter().cloned()),
            EventKind::Modify(ModifyKind::Name(RenameMode::Both)) if paths.len() == 2 => {
                batch.removed.insert(paths[0].clone());
                arrived(batch, &paths[1]);
            }
            EventKind::Modify(ModifyKind::Name(RenameMode::From)) | EventKind::Remove(_) => {
                batch.removed.extend(paths.iter().cloned());
            }
            EventKind::Modify(ModifyKind::Metadata(_)) | EventKind::Access(_) => {}
            EventKind::Create(_) | EventKind::Modify(_) | EventKind::Any | EventKind::Other => {
                for path in paths {
                    arrived(batch, path);
                }
            }
        }
    }
}

/// A path that now exists: a folder to watch and walk, or a file to look at. A link to a folder
/// is not a folder (it is looked at as a file, and found not to be a regular one).
fn arrived(batch: &mut Batch, path: &Path) {
    batch.removed.remove(path);
    if std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_dir()) {
        batch.new_dirs.insert(path.to_path_buf());
    } else {
        batch.changed.insert(path.to_path_buf());
    }
}
