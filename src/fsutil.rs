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

use std::fs::{File, Metadata, OpenOptions};
use std::io::{self, Read};
use std::path::{Component, Path, PathBuf};

use crate::error::FileError;

/// Largest configuration, detector or key file read.
const MAX_SMALL_FILE: u64 = 4 << 20;

/// What the open descriptor says a file is (from `fstat`, never from the path).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileIdentity {
    /// Device number of its file system.
    pub dev: u64,
    /// Inode number.
    pub ino: u64,
    /// Size in bytes.
    pub size: u64,
    /// Modification time, nanoseconds since the Unix epoch.
    pub mtime_ns: i128,
    /// Status-change time, nanoseconds since the Unix epoch.
    pub ctime_ns: i128,
    /// Number of hard links.
    pub nlink: u64,
    /// Owner's user id.
    pub uid: u32,
}

impl FileIdentity {
    /// The identity in `meta` (of an open descriptor, or from `lstat`).
    #[cfg(unix)]
    pub fn of(meta: &Metadata) -> FileIdentity {
        use std::os::unix::fs::MetadataExt;
        let nanos = |secs: i64, ns: i64| i128::from(secs) * 1_000_000_000 + i128::from(ns);
        FileIdentity {
            dev: meta.dev(),
            ino: meta.ino(),
            size: meta.size(),
            mtime_ns: nanos(meta.mtime(), meta.mtime_nsec()),
            ctime_ns: nanos(meta.ctime(), meta.ctime_nsec()),
            nlink: meta.nlink(),
            uid: meta.uid(),
        }
    }

    /// The identity in `meta`; only size and modification time are known on this platform.
    #[cfg(not(unix))]
    pub fn of(meta: &Metadata) -> FileIdentity {
        let mtime_ns = meta
            .modified()
            .ok()
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .map_or(0, |d| d.as_nanos() as i128);
        FileIdentity { dev: 0, ino: 0, size: meta.len(), mtime_ns, ctime_ns: mtime_ns, nlink: 1, uid: 0 }
    }

    /// The modification time.
    pub fn modified(&self) -> std::time::SystemTime {
        std::time::UNIX_EPOCH + std::time::Duration::from_nanos(u64::try_from(self.mtime_ns).unwrap_or(0))
    }
}

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
        let meta = file.metadata()?;
        if !meta.file_type().is_file() {
            return Err(FileError::NotRegular);
        }
        Ok(OpenedFile { file, identity: FileIdentity::of(&meta) })
    }

    /// True when the file's size or modification time now differ from when it was opened: it
    /// was written while being read, so what was read may be neither the old nor the new content.
    pub fn changed_since_open(&self) -> bool {
        match self.file.metadata() {
            Ok(meta) => {
                let now = FileIdentity::of(&meta);
                (now.size, now.mtime_ns) != (self.identity.size, self.identity.mtime_ns)
            }
            Err(_) => true,
        }
    }
}

/// Opens `path` following symbolic links (`scan.follow_symlinks = true`, or a file named on the
/// command line): read-only, no access-time update where permitted, never blocking.
///
/// Errors: [`FileError::NotRegular`] for anything but a regular file; [`FileError::Io`].
pub fn open_following_links(path: &Path) -> Result<OpenedFile, FileError> {
    let file = match open_read_only(path, true) {
        // O_NOATIME is refused (EPERM) for files we do not own unless we have CAP_FOWNER.
        Err(e) if e.raw_os_error() == Some(libc::EPERM) => open_read_only(path, false)?,
        other => other?,
    };
    OpenedFile::checked(file)
}

#[cfg(target_os = "linux")]
fn open_read_only(path: &Path, no_atime: bool) -> io::Result<File> {
    use std::os::unix::fs::OpenOptionsExt;
    let mut flags = libc::O_NONBLOCK | libc::O_NOCTTY | libc::O_CLOEXEC;
    if no_atime {
        flags |= libc::O_NOATIME;
    }
    OpenOptions::new().read(true).custom_flags(flags).open(path)
}

#[cfg(all(unix, not(target_os = "linux")))]
fn open_read_only(path: &Path, _no_atime: bool) -> io::Result<File> {
    use std::os::unix::fs::OpenOptionsExt;
    OpenOptions::new().read(true).custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY).open(path)
}

#[cfg(not(unix))]
fn open_read_only(path: &Path, _no_atime: bool) -> io::Result<File> {
    OpenOptions::new().read(true).open(path)
}

/// A folder below which files are opened without following any symbolic link: the root of a
/// walk or a folder the agent watches. The root itself may be reached through links (an
/// administrator or the user named it); nothing below it is.
#[derive(Debug)]
pub struct Beneath {
    root: PathBuf,
    #[cfg(unix)]
    dir: std::os::fd::OwnedFd,
    /// Refuse files on another file system than the root's (a mount point below it).
    one_file_system: bool,
}

impl Beneath {
    /// Opens the folder `root`. With `one_file_system`, files on other file systems mounted
    /// below it are refused (`EXDEV`).
    ///
    /// Errors: the folder cannot be opened, or is not a folder.
    #[cfg(unix)]
    pub fn open(root: &Path, one_file_system: bool) -> io::Result<Beneath> {
        use rustix::fs::{Mode, OFlags};
        let dir = rustix::fs::open(root, OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC, Mode::empty())?;
        Ok(Beneath { root: root.to_path_buf(), dir, one_file_system })
    }

    /// Opens the folder `root` (other platforms: links are not checked yet).
    #[cfg(not(unix))]
    pub fn open(root: &Path, one_file_system: bool) -> io::Result<Beneath> {
        if !std::fs::metadata(root)?.is_dir() {
            return Err(io::Error::new(io::ErrorKind::InvalidInput, "not a folder"));
        }
        Ok(Beneath { root: root.to_path_buf(), one_file_system })
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
        let opened = OpenedFile::checked(self.open_relative(relative)?)?;
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
    /// was found in: that is another user's file linked into this folder.
    #[cfg(unix)]
    fn refuse_foreign_hard_link(&self, relative: &Path, file: &FileIdentity) -> Result<(), FileError> {
        use std::os::unix::fs::MetadataExt;
        let folder = match relative.parent().filter(|p| !p.as_os_str().is_empty()) {
            Some(parent) => File::from(self.open_folder_relative(parent)?).metadata()?,
            None => File::from(self.dir.try_clone()?).metadata()?,
        };
        if folder.uid() != file.uid {
            return Err(FileError::ForeignHardLink { owner: file.uid, folder_owner: folder.uid() });
        }
        Ok(())
    }

    #[cfg(not(unix))]
    fn refuse_foreign_hard_link(&self, _relative: &Path, _file: &FileIdentity) -> Result<(), FileError> {
        Ok(())
    }

    #[cfg(unix)]
    fn open_relative(&self, relative: &Path) -> Result<File, FileError> {
        use rustix::fs::OFlags;
        let flags = OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::NONBLOCK | OFlags::NOCTTY | OFlags::CLOEXEC;
        let fd = match self.resolve(relative, flags | no_atime()) {
            // O_NOATIME is refused (EPERM) for files we do not own unless we have CAP_FOWNER.
            Err(rustix::io::Errno::PERM) => self.resolve(relative, flags),
            other => other,
        };
        fd.map(File::from).map_err(link_error)
    }

    #[cfg(not(unix))]
    fn open_relative(&self, relative: &Path) -> Result<File, FileError> {
        Ok(open_read_only(&self.root.join(relative), false)?)
    }

    #[cfg(unix)]
    fn open_folder_relative(&self, relative: &Path) -> Result<std::os::fd::OwnedFd, FileError> {
        use rustix::fs::OFlags;
        self.resolve(relative, OFlags::PATH | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC)
            .map_err(link_error)
    }

    /// Resolves `relative` below the root with no symbolic link: `openat2` on Linux, one
    /// `openat(O_NOFOLLOW)` per component where that is missing.
    #[cfg(target_os = "linux")]
    fn resolve(&self, relative: &Path, flags: rustix::fs::OFlags) -> rustix::io::Result<std::os::fd::OwnedFd> {
        use rustix::fs::{Mode, ResolveFlags};
        let mut resolve = ResolveFlags::BENEATH | ResolveFlags::NO_SYMLINKS | ResolveFlags::NO_MAGICLINKS;
        if self.one_file_system {
            resolve |= ResolveFlags::NO_XDEV;
        }
        // EAGAIN: a rename elsewhere raced the look-up; the kernel asks for a retry.
        for _ in 0..3 {
            match rustix::fs::openat2(&self.dir, relative, flags, Mode::empty(), resolve) {
                Err(rustix::io::Errno::AGAIN) => continue,
                Err(rustix::io::Errno::NOSYS) => return self.resolve_by_components(relative, flags),
                other => return other,
            }
        }
        Err(rustix::io::Errno::AGAIN)
    }

    #[cfg(all(unix, not(target_os = "linux")))]
    fn resolve(&self, relative: &Path, flags: rustix::fs::OFlags) -> rustix::io::Result<std::os::fd::OwnedFd> {
        self.resolve_by_components(relative, flags)
    }

    #[cfg(unix)]
    fn resolve_by_components(
        &self,
        relative: &Path,
        flags: rustix::fs::OFlags,
    ) -> rustix::io::Result<std::os::fd::OwnedFd> {
        use rustix::fs::{Mode, OFlags};
        use std::os::fd::AsFd;
        let names: Vec<&std::ffi::OsStr> = relative.iter().collect();
        let (last, folders) = names.split_last().ok_or(rustix::io::Errno::INVAL)?;
        let mut folder: Option<std::os::fd::OwnedFd> = None;
        for name in folders {
            let at = folder.as_ref().map_or(self.dir.as_fd(), |f| f.as_fd());
            let next = rustix::fs::openat(
                at,
                *name,
                OFlags::PATH | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC,
                Mode::empty(),
            )?;
            folder = Some(next);
        }
        let at = folder.as_ref().map_or(self.dir.as_fd(), |f| f.as_fd());
        let fd = rustix::fs::openat(at, *last, flags, Mode::empty())?;
        if self.one_file_system && rustix::fs::fstat(&fd)?.st_dev != rustix::fs::fstat(&self.dir)?.st_dev {
            return Err(rustix::io::Errno::XDEV);
        }
        Ok(fd)
    }
}

#[cfg(target_os = "linux")]
fn no_atime() -> rustix::fs::OFlags {
    rustix::fs::OFlags::NOATIME
}

#[cfg(all(unix, not(target_os = "linux")))]
fn no_atime() -> rustix::fs::OFlags {
    rustix::fs::OFlags::empty()
}

/// `ELOOP` is what `O_NOFOLLOW` and `RESOLVE_NO_SYMLINKS` answer when they meet a link.
#[cfg(unix)]
fn link_error(errno: rustix::io::Errno) -> FileError {
    if errno == rustix::io::Errno::LOOP {
        FileError::LinkRefused
    } else {
        FileError::Io(errno.into())
    }
}

/// Which folder a path is now: device, inode and the id of the mount it is on. A volume
/// unmounted and mounted again at the same place can get the same device and inode numbers;
/// the mount id differs (Linux 6.8+ gives ids never reused; before that, an id can come back).
pub type FolderIdentity = (u64, u64, u64);

/// The identity of the folder at `path`, following links (a configured root may be one);
/// `None` when it is not a folder.
#[cfg(target_os = "linux")]
pub fn folder_identity(path: &Path) -> Option<FolderIdentity> {
    use rustix::fs::{AtFlags, StatxFlags, CWD};
    /// `STATX_MNT_ID_UNIQUE` (Linux 6.8), not yet named by rustix.
    const MNT_ID_UNIQUE: u32 = 0x4000;
    let wanted = StatxFlags::TYPE | StatxFlags::INO | StatxFlags::MNT_ID | StatxFlags::from_bits_retain(MNT_ID_UNIQUE);
    let stat = rustix::fs::statx(CWD, path, AtFlags::empty(), wanted).ok()?;
    if u32::from(stat.stx_mode) & libc::S_IFMT != libc::S_IFDIR {
        return None;
    }
    let dev = rustix::fs::makedev(stat.stx_dev_major, stat.stx_dev_minor);
    Some((dev, stat.stx_ino, stat.stx_mnt_id))
}

/// The identity of the folder at `path` (device and inode; no mount id on this system).
#[cfg(not(target_os = "linux"))]
pub fn folder_identity(path: &Path) -> Option<FolderIdentity> {
    let meta = std::fs::metadata(path).ok().filter(Metadata::is_dir)?;
    let identity = FileIdentity::of(&meta);
    Some((identity.dev, identity.ino, 0))
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

    /// The path taken without `openat2` (kernels before 5.6, other Unix systems).
    #[test]
    fn component_by_component_refuses_links_too() {
        use rustix::fs::OFlags;
        let dir = tree();
        let root = dir.path().join("root");
        symlink(dir.path().join("elsewhere"), root.join("folder-link")).unwrap();
        let beneath = Beneath::open(&root, true).unwrap();
        let flags = OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::CLOEXEC;
        assert!(beneath.resolve_by_components(Path::new("sub/file.txt"), flags).is_ok());
        let through = beneath.resolve_by_components(Path::new("folder-link/file.txt"), flags);
        assert!(matches!(through, Err(e) if e == rustix::io::Errno::NOTDIR || e == rustix::io::Errno::LOOP));
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
