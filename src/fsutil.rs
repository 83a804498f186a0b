//! The only place dlp-scan opens files it scans.
//!
//! A file to scan is opened once, and everything that reads it (hashing, extraction, a parser
//! worker in another process) uses that one descriptor: what was checked is what is read.
//! Opening is read-only, never locking, never writing, with `O_NOATIME` where the kernel allows
//! it (owner or `CAP_FOWNER`), so a scan leaves access times as they were; and with `O_NONBLOCK`
//! so that a path swapped for a FIFO between listing and opening cannot hang a worker. The
//! descriptor itself is checked to be a regular file, and its identity (device, inode, size,
//! times, links, owner) is taken from it, never from a second look-up by path.
//!
//! Under a [`Beneath`] (the root of a walk or a watched folder) no symbolic link is followed
//! anywhere below the root: on Linux one `openat2` with `RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS`,
//! elsewhere (or on kernels before 5.6) one `openat(O_NOFOLLOW)` per path component. A file that
//! is a hard link of another user's file (more than one link, and an owner other than its
//! folder's) is refused without being read: a privileged scanner must not become a way to read
//! what a user planted a link to.
//!
//! Small files of our own (configuration, detector files, keys) are read with a size cap.
//!
//! Not here: deciding what to open (the walk, the agent) or what a file holds (extraction).

use std::fs::File;
use std::io::{self, Read};
use std::path::{Component, Path, PathBuf};

use crate::error::FileError;
use crate::platform::{self, FileIdentity};

/// Largest configuration, detector or key file read.
const MAX_SMALL_FILE: u64 = 4 << 20;

/// A file opened for scanning: the one descriptor every reader uses, and what it was when opened.
#[derive(Debug)]
pub struct OpenedFile {
    /// The descriptor (read-only; its offset is shared by everyone holding it).
    pub file: File,
    /// Its identity when opened.
    pub identity: FileIdentity,
}

impl OpenedFile {
    fn checked(file: File) -> Result<OpenedFile, FileError> {
        let identity = platform::regular_file_identity(&file)?.ok_or(FileError::NotRegular)?;
        Ok(OpenedFile { file, identity })
    }

    /// True when the file's size or modification time now differ from when it was opened: it
    /// was written while being read, so what was read may be neither the old nor the new content.
    pub fn changed_since_open(&self) -> bool {
        match platform::file_identity(&self.file) {
            Ok(now) => (now.size, now.mtime_ns) != (self.identity.size, self.identity.mtime_ns),
            Err(_) => true,
        }
    }
}

/// Opens `path` following symbolic links (`scan.follow_symlinks = true`, or a file named on the
/// command line): read-only, no access-time update where permitted, never blocking.
///
/// Errors: [`FileError::NotRegular`] for anything but a regular file; [`FileError::Io`].
pub fn open_following_links(path: &Path) -> Result<OpenedFile, FileError> {
    OpenedFile::checked(platform::open_read_only(path)?)
}

/// Standard input, read into a file held in memory (at most `limit` bytes), so that it is sniffed,
/// extracted and judged as any file is, in a parser worker too (which is handed a descriptor).
///
/// Errors: [`FileError::TooLarge`] when more than `limit` bytes arrive (only `limit + 1` are read:
/// the stream may not end); [`FileError::Io`] when the system has no memory-only file or reading fails.
pub fn standard_input(limit: u64) -> Result<OpenedFile, FileError> {
    use std::io::{Seek, Write};
    let mut file = platform::memory_file()?;
    let copied = io::copy(&mut io::stdin().lock().take(limit.saturating_add(1)), &mut file)?;
    if copied > limit {
        return Err(FileError::TooLarge { size: copied, limit });
    }
    file.flush()?;
    file.rewind()?;
    OpenedFile::checked(file)
}

/// A folder below which files are opened without following any symbolic link: the root of a
/// walk or a folder the agent watches. The root itself may be reached through links (an
/// administrator or the user named it); nothing below it is.
#[derive(Debug)]
pub struct Beneath {
    root: PathBuf,
    dir: platform::RootDir,
}

impl Beneath {
    /// Opens the folder `root`. With `one_file_system`, files on other file systems mounted
    /// below it are refused (`EXDEV`).
    ///
    /// Errors: the folder cannot be opened, or is not a folder.
    pub fn open(root: &Path, one_file_system: bool) -> io::Result<Beneath> {
        Ok(Beneath { root: root.to_path_buf(), dir: platform::RootDir::open(root, one_file_system)? })
    }

    /// The folder's path as given.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// True when `path` is below this root.
    pub fn contains(&self, path: &Path) -> bool {
        path.starts_with(&self.root) && path != self.root
    }

    /// Opens `path`, which must be below the root, for scanning: no symbolic link anywhere
    /// between the root and the file, the file itself a regular file, not a hard link of
    /// another user's file.
    ///
    /// Errors: [`FileError::LinkRefused`] when a link is met (a path swapped for a link),
    /// [`FileError::ForeignHardLink`], [`FileError::NotRegular`], [`FileError::Io`] (with
    /// `EXDEV` for another file system under `one_file_system`).
    pub fn open_file(&self, path: &Path) -> Result<OpenedFile, FileError> {
        let relative = self.relative(path)?;
        let opened = OpenedFile::checked(self.dir.open_file(relative)?)?;
        if opened.identity.nlink > 1 {
            self.refuse_foreign_hard_link(relative, &opened.identity)?;
        }
        Ok(opened)
    }

    fn relative<'p>(&self, path: &'p Path) -> Result<&'p Path, FileError> {
        let relative = path
            .strip_prefix(&self.root)
            .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "not below the folder being scanned"))?;
        if relative.as_os_str().is_empty() || relative.components().any(|c| !matches!(c, Component::Normal(_))) {
            return Err(io::Error::new(io::ErrorKind::InvalidInput, "not a plain path below the folder").into());
        }
        Ok(relative)
    }

    /// A file with several links is refused when its owner is not the owner of the folder it
    /// was found in: that is another user's file linked into this folder. (Where the system
    /// gives no owners to compare, nothing is refused.)
    fn refuse_foreign_hard_link(&self, relative: &Path, file: &FileIdentity) -> Result<(), FileError> {
        let parent = relative.parent().filter(|p| !p.as_os_str().is_empty());
        match self.dir.folder_owner(parent)? {
            Some(folder_owner) if folder_owner != file.uid => {
                Err(FileError::ForeignHardLink { owner: file.uid, folder_owner })
            }
            _ => Ok(()),
        }
    }
}

/// Reads one of our own small text files (config, detectors), refusing anything over 4 MiB.
pub fn read_small_text(path: &Path) -> io::Result<String> {
    let bytes = read_small_bytes(path)?;
    String::from_utf8(bytes).map_err(|_| io::Error::new(io::ErrorKind::InvalidData, "file is not UTF-8 text"))
}

/// Reads one of our own small binary files (the fingerprint key), refusing anything over 4 MiB.
pub fn read_small_bytes(path: &Path) -> io::Result<Vec<u8>> {
    let file = File::open(path)?;
    let mut bytes = Vec::new();
    file.take(MAX_SMALL_FILE + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > MAX_SMALL_FILE {
        return Err(io::Error::new(io::ErrorKind::InvalidData, "file is larger than 4 MiB"));
    }
    Ok(bytes)
}

/// Reads until `buf` is full or the file ends; returns the number of bytes read.
pub fn read_full(file: &mut (impl Read + ?Sized), buf: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match file.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::io::Write;
    use std::os::unix::fs::symlink;

    fn tree() -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("root/sub")).unwrap();
        std::fs::create_dir_all(dir.path().join("elsewhere")).unwrap();
        std::fs::write(dir.path().join("root/sub/file.txt"), b"mine").unwrap();
        std::fs::write(dir.path().join("elsewhere/file.txt"), b"not mine").unwrap();
        dir
    }

    #[test]
    fn files_below_the_root_open_and_links_anywhere_below_it_are_refused() {
        let dir = tree();
        let root = dir.path().join("root");
        symlink(dir.path().join("elsewhere"), root.join("folder-link")).unwrap();
        symlink(dir.path().join("elsewhere/file.txt"), root.join("sub/file-link.txt")).unwrap();
        let beneath = Beneath::open(&root, false).unwrap();
        let opened = beneath.open_file(&root.join("sub/file.txt")).unwrap();
        assert_eq!(opened.identity.size, 4);
        for through_a_link in ["folder-link/file.txt", "sub/file-link.txt"] {
            let err = beneath.open_file(&root.join(through_a_link)).unwrap_err();
            assert_eq!(err.kind(), "link_refused", "{through_a_link}");
        }
        let err = beneath.open_file(&dir.path().join("elsewhere/file.txt")).unwrap_err();
        assert_eq!(err.kind(), "io", "a path outside the root");
    }

    #[test]
    fn a_root_reached_through_a_link_is_entered() {
        let dir = tree();
        symlink(dir.path().join("root"), dir.path().join("root-link")).unwrap();
        let beneath = Beneath::open(&dir.path().join("root-link"), true).unwrap();
        assert!(beneath.open_file(&dir.path().join("root-link/sub/file.txt")).is_ok());
    }

    #[test]
    fn only_regular_files_open() {
        let dir = tree();
        let root = dir.path().join("root");
        let beneath = Beneath::open(&root, false).unwrap();
        assert_eq!(beneath.open_file(&root.join("sub")).unwrap_err().kind(), "not_regular");
    }

    #[test]
    fn a_file_written_after_opening_has_changed_since() {
        let dir = tree();
        let path = dir.path().join("root/sub/file.txt");
        let opened = open_following_links(&path).unwrap();
        assert!(!opened.changed_since_open());
        std::fs::OpenOptions::new().append(true).open(&path).unwrap().write_all(b" and more").unwrap();
        assert!(opened.changed_since_open());
    }
}
