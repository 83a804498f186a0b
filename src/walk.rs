//! Walking: root paths in, a stream of [`WalkItem`]s out.
//!
//! One item per file found: a [`FileCandidate`] to scan, or a file that is skipped and why (excluded,
//! a symbolic link not followed, a FIFO, socket or device), or an error (a directory that cannot be
//! read, a link loop). Types come from the directory entry itself, so the walk makes no `stat` call
//! per file and special files are never opened; sizes are checked by the scanner on the opened
//! descriptor. Walking is sequential; the scanner spreads candidates over threads.
//!
//! Unless links are followed, each candidate carries the [`Beneath`] of its root, so that the
//! file is later opened with no symbolic link anywhere below the root: a folder swapped for a
//! link after it was listed is refused, not followed.
//!
//! The walk decides nothing about content, and opens no file it scans (only each root folder).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use globset::GlobSet;
use walkdir::WalkDir;

use crate::error::FileError;
use crate::fsutil::Beneath;

/// What the walker needs from the configuration.
#[derive(Debug, Clone)]
pub struct WalkConfig {
    /// Roots to walk: directories or single files.
    pub roots: Vec<PathBuf>,
    /// Follow symbolic links, with loop detection.
    pub follow_symlinks: bool,
    /// Paths not to enter or scan.
    pub exclude: GlobSet,
    /// Stay on each root's file system: do not enter file systems mounted below it.
    pub one_file_system: bool,
    /// Enter a root that is itself a symbolic link (a folder the user named); the agent's
    /// walks of folders that appear below its roots do not.
    pub follow_root_link: bool,
}

/// A regular file to scan.
#[derive(Debug, Clone)]
pub struct FileCandidate {
    /// The path as found under its root.
    pub path: PathBuf,
    /// The root it was found under, to open it without links; `None` when links are followed
    /// (or the root is the file itself, named by the user).
    pub beneath: Option<Arc<Beneath>>,
}

impl FileCandidate {
    /// Opens the file for scanning: below its root without links, or following links.
    pub fn open(&self) -> Result<crate::fsutil::OpenedFile, FileError> {
        match &self.beneath {
            Some(beneath) => beneath.open_file(&self.path),
            None => crate::fsutil::open_following_links(&self.path),
        }
    }
}

/// Why a file was not scanned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SkipReason {
    /// Matched an exclusion glob (a directory counts once).
    Excluded,
    /// A symbolic link, and links are not followed.
    Symlink,
    /// A FIFO, socket or device: never opened.
    SpecialFile,
    /// Zero bytes long.
    Empty,
    /// Larger than the configured cap.
    TooLarge,
    /// Content is not text and no extractor reads it.
    Binary,
}

impl SkipReason {
    /// Stable name used in summary counts.
    pub fn as_str(self) -> &'static str {
        match self {
            SkipReason::Excluded => "excluded",
            SkipReason::Symlink => "symlink",
            SkipReason::SpecialFile => "special_file",
            SkipReason::Empty => "empty",
            SkipReason::TooLarge => "too_large",
            SkipReason::Binary => "binary",
        }
    }
}

/// One thing the walk found.
#[derive(Debug)]
pub enum WalkItem {
    /// A file to scan.
    File(FileCandidate),
    /// A file or directory not scanned, and why.
    Skipped {
        /// Its path.
        path: PathBuf,
        /// Why.
        reason: SkipReason,
    },
    /// Something that could not be listed.
    Error {
        /// Its path.
        path: PathBuf,
        /// What went wrong.
        error: FileError,
    },
}

/// Walks every root in turn.
pub fn walk(config: &WalkConfig) -> impl Iterator<Item = WalkItem> + '_ {
    config.roots.iter().flat_map(move |root| RootWalk::new(root, config))
}

struct RootWalk<'a> {
    inner: walkdir::IntoIter,
    config: &'a WalkConfig,
    beneath: Option<Arc<Beneath>>,
}

impl<'a> RootWalk<'a> {
    fn new(root: &Path, config: &'a WalkConfig) -> Self {
        let inner = WalkDir::new(root)
            .follow_links(config.follow_symlinks)
            .same_file_system(config.one_file_system)
            .follow_root_links(config.follow_root_link || config.follow_symlinks)
            .into_iter();
        // A root that cannot be opened as a folder is a file (or gone: the walk says so).
        let beneath =
            if config.follow_symlinks { None } else { Beneath::open(root, config.one_file_system).ok().map(Arc::new) };
        RootWalk { inner, config, beneath }
    }
}

impl Iterator for RootWalk<'_> {
    type Item = WalkItem;

    fn next(&mut self) -> Option<WalkItem> {
        loop {
            let entry = match self.inner.next()? {
                Ok(entry) => entry,
                Err(e) => return Some(walk_error(e)),
            };
            let file_type = entry.file_type();
            if self.config.exclude.is_match(entry.path()) {
                if file_type.is_dir() {
                    self.inner.skip_current_dir();
                }
                return Some(skipped(entry.into_path(), SkipReason::Excluded));
            }
            if file_type.is_dir() {
                continue;
            }
            // A root the user named is what its link leads to (walkdir follows a root link only
            // to enter a folder), and a pipe or device named there is said to be one, not
            // counted silently.
            let named = entry.depth() == 0 && self.config.follow_root_link;
            let file_type = if named && file_type.is_symlink() {
                std::fs::metadata(entry.path()).map_or(file_type, |target| target.file_type())
            } else {
                file_type
            };
            // A root link to a folder: walkdir enters it.
            if file_type.is_dir() {
                continue;
            }
            if file_type.is_symlink() {
                return Some(skipped(entry.into_path(), SkipReason::Symlink));
            }
            if !file_type.is_file() && named {
                return Some(WalkItem::Error { path: entry.into_path(), error: FileError::SpecialFile });
            }
            if !file_type.is_file() {
                return Some(skipped(entry.into_path(), SkipReason::SpecialFile));
            }
            let beneath = match &self.beneath {
                _ if self.config.follow_symlinks => None,
                // Below the root: walkdir makes every deeper path by joining names to the root's
                // (so `Beneath::contains`, comparing paths component by component, is not asked).
                Some(beneath) if entry.depth() > 0 => Some(beneath.clone()),
                // The root itself: a file the user named.
                _ if entry.depth() == 0 => None,
                _ => {
                    let error = std::io::Error::other("its root folder could not be opened to read below it safely");
                    return Some(WalkItem::Error { path: entry.into_path(), error: FileError::Io(error) });
                }
            };
            return Some(WalkItem::File(FileCandidate { path: entry.into_path(), beneath }));
        }
    }
}

fn skipped(path: PathBuf, reason: SkipReason) -> WalkItem {
    WalkItem::Skipped { path, reason }
}

fn walk_error(e: walkdir::Error) -> WalkItem {
    let path = e.path().map(Path::to_path_buf).unwrap_or_default();
    let ancestor = e.loop_ancestor().map(Path::to_path_buf);
    // A root that is not there was given wrong; below a root, a path that went is a race.
    let given_wrong = e.depth() == 0 && e.io_error().is_some_and(|io| io.kind() == std::io::ErrorKind::NotFound);
    let error = match (ancestor, e.into_io_error()) {
        (Some(ancestor), _) => FileError::SymlinkLoop { ancestor },
        (None, Some(_)) if given_wrong => FileError::NoSuchPath,
        (None, Some(io)) => FileError::Io(io),
        (None, None) => FileError::Io(std::io::Error::other("walk error")),
    };
    WalkItem::Error { path, error }
}
