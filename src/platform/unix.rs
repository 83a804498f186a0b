//! What Linux and macOS share: files opened below a root with `openat(O_NOFOLLOW)`, identity
//! from `fstat`, descriptors handed to parser workers with `SCM_RIGHTS`, modes 0600/0700, paths
//! as bytes, signals.

use std::borrow::Cow;
use std::ffi::{OsStr, OsString};
use std::fs::{self, File, Metadata, OpenOptions, Permissions};
use std::io;
use std::os::fd::{AsFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt, PermissionsExt};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitCode, Stdio};
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use rustix::fs::{Mode, OFlags};

use super::{FileIdentity, RecordedSettings};
use crate::error::FileError;

/// Opens `path` (following links) read-only, never blocking (a FIFO swapped in cannot hang us),
/// without updating its access time where the system allows it.
pub fn open_read_only(path: &Path) -> io::Result<File> {
    let open = |extra: i32| {
        OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY | libc::O_CLOEXEC | extra)
            .open(path)
    };
    match open(super::no_atime().bits() as i32) {
        // O_NOATIME is refused (EPERM) for files we do not own unless we have CAP_FOWNER.
        Err(e) if e.raw_os_error() == Some(libc::EPERM) => open(0),
        other => other,
    }
}

/// The identity of an open file, from `fstat` on its descriptor.
pub fn file_identity(file: &File) -> io::Result<FileIdentity> {
    Ok(identity_of(&file.metadata()?))
}

/// The identity of an open file when it is a regular file (`None` for anything else), from one
/// `fstat` on its descriptor.
pub fn regular_file_identity(file: &File) -> io::Result<Option<FileIdentity>> {
    let meta = file.metadata()?;
    Ok(meta.file_type().is_file().then(|| identity_of(&meta)))
}

/// The identity of the regular file at `path`, not following a link; `None` for anything else.
pub fn path_identity(path: &Path) -> Option<FileIdentity> {
    let meta = fs::symlink_metadata(path).ok()?;
    meta.file_type().is_file().then(|| identity_of(&meta))
}

fn identity_of(meta: &Metadata) -> FileIdentity {
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

/// An open folder below which files are opened with no symbolic link followed.
#[derive(Debug)]
pub struct RootDir {
    dir: OwnedFd,
    one_file_system: bool,
}

impl RootDir {
    /// Opens the folder `root` (which may itself be reached through links). With
    /// `one_file_system`, files on other file systems mounted below it are refused (`EXDEV`).
    pub fn open(root: &Path, one_file_system: bool) -> io::Result<RootDir> {
        let dir = rustix::fs::open(root, OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC, Mode::empty())?;
        Ok(RootDir { dir, one_file_system })
    }

    /// Opens the plain relative path `relative` read-only, never blocking, without updating its
    /// access time where allowed, with no link anywhere on the way.
    pub fn open_file(&self, relative: &Path) -> Result<File, FileError> {
        let flags = OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::NONBLOCK | OFlags::NOCTTY | OFlags::CLOEXEC;
        let fd = match self.resolve(relative, flags | super::no_atime()) {
            // O_NOATIME is refused (EPERM) for files we do not own unless we have CAP_FOWNER.
            Err(rustix::io::Errno::PERM) => self.resolve(relative, flags),
            other => other,
        };
        fd.map(File::from).map_err(link_error)
    }

    /// The owner of the folder `relative` below the root (the root itself for `None`); `None`
    /// when this system has no owner to compare.
    pub fn folder_owner(&self, relative: Option<&Path>) -> Result<Option<u32>, FileError> {
        let folder = match relative {
            Some(parent) => self
                .resolve(parent, super::folder_only() | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC)
                .map_err(link_error)?,
            None => self.dir.try_clone()?,
        };
        Ok(Some(File::from(folder).metadata()?.uid()))
    }

    /// Resolves `relative` below the root with no symbolic link (`openat2` where there is one).
    fn resolve(&self, relative: &Path, flags: OFlags) -> rustix::io::Result<OwnedFd> {
        super::resolve_beneath(self, relative, flags)
    }

    /// True when files on other file systems below the root are refused (for `openat2`).
    #[cfg(target_os = "linux")]
    pub(super) fn one_file_system(&self) -> bool {
        self.one_file_system
    }

    /// The root's descriptor (for `openat2`).
    #[cfg(target_os = "linux")]
    pub(super) fn dir(&self) -> &OwnedFd {
        &self.dir
    }

    /// Resolves `relative` with one `openat(O_NOFOLLOW)` per path component (where `openat2`
    /// is missing).
    pub(super) fn resolve_by_components(&self, relative: &Path, flags: OFlags) -> rustix::io::Result<OwnedFd> {
        let names: Vec<&OsStr> = relative.iter().collect();
        let (last, folders) = names.split_last().ok_or(rustix::io::Errno::INVAL)?;
        let mut folder: Option<OwnedFd> = None;
        for name in folders {
            let at = folder.as_ref().map_or(self.dir.as_fd(), |f| f.as_fd());
            let next = rustix::fs::openat(
                at,
                *name,
                super::folder_only() | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC,
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

/// `ELOOP` is what `O_NOFOLLOW` and `RESOLVE_NO_SYMLINKS` answer when they meet a link.
fn link_error(errno: rustix::io::Errno) -> FileError {
    if errno == rustix::io::Errno::LOOP {
        FileError::LinkRefused
    } else {
        FileError::Io(errno.into())
    }
}

/// The parent's end of a worker's request channel: a Unix socket, the worker's standard input.
pub type Requests = UnixStream;

/// Starts `command` with a request socket as its standard input. (`memory` is the worker's to
/// enforce: `setrlimit` limits the process that calls it, see `limit_memory`.)
pub fn spawn_worker(command: &mut Command, _memory: u64) -> io::Result<(Child, Requests)> {
    let (requests, theirs) = UnixStream::pair()?;
    let child = command.stdin(Stdio::from(OwnedFd::from(theirs))).spawn()?;
    Ok((child, requests))
}

/// Passes `file`'s descriptor to the worker with a one-byte message (`SCM_RIGHTS`).
pub fn send_file(requests: &Requests, _worker: &Child, file: &File) -> io::Result<()> {
    use rustix::net::{SendAncillaryBuffer, SendAncillaryMessage};
    let fds = [file.as_fd()];
    let mut space = [std::mem::MaybeUninit::uninit(); rustix::cmsg_space!(ScmRights(1))];
    let mut control = SendAncillaryBuffer::new(&mut space);
    if !control.push(SendAncillaryMessage::ScmRights(&fds)) {
        return Err(io::Error::other("no room for the descriptor"));
    }
    rustix::net::sendmsg(requests, &[io::IoSlice::new(b"F")], &mut control, super::send_flags())?;
    Ok(())
}

/// A worker's end of the request channel (its standard input), read without buffering: a
/// buffered reader could swallow the byte that carries the first descriptor.
pub struct WorkerInput(io::Stdin);

impl WorkerInput {
    /// The request channel this worker was started with.
    pub fn from_stdin() -> WorkerInput {
        WorkerInput(io::stdin())
    }

    /// Reads exactly `buf.len()` bytes.
    pub fn read_exact(&mut self, mut buf: &mut [u8]) -> io::Result<()> {
        while !buf.is_empty() {
            match rustix::io::read(&self.0, &mut *buf) {
                Ok(0) => return Err(io::ErrorKind::UnexpectedEof.into()),
                Ok(n) => buf = &mut buf[n..],
                Err(rustix::io::Errno::INTR) => {}
                Err(e) => return Err(e.into()),
            }
        }
        Ok(())
    }

    /// Receives the next file's descriptor; `None` at the end of requests.
    pub fn receive_file(&mut self) -> io::Result<Option<File>> {
        use rustix::net::{RecvAncillaryBuffer, RecvAncillaryMessage};
        let mut byte = [0u8; 1];
        let mut space = [std::mem::MaybeUninit::uninit(); rustix::cmsg_space!(ScmRights(1))];
        let mut control = RecvAncillaryBuffer::new(&mut space);
        let received =
            rustix::net::recvmsg(&self.0, &mut [io::IoSliceMut::new(&mut byte)], &mut control, super::receive_flags())?;
        if received.bytes == 0 {
            return Ok(None);
        }
        let mut fds = control.drain().filter_map(|message| match message {
            RecvAncillaryMessage::ScmRights(mut fds) => fds.next(),
            _ => None,
        });
        let fd = fds.next().ok_or_else(|| io::Error::other("a request without a descriptor"))?;
        Ok(Some(File::from(fd)))
    }
}

/// The effective user id of this process (rustix's safe `geteuid`; macOS has no `/proc/self`
/// to read it from, so root's defaults were the user's there).
pub fn effective_uid() -> Option<u32> {
    Some(rustix::process::geteuid().as_raw())
}

/// True when running as root: defaults are then the system's, not the user's.
pub fn system_wide() -> bool {
    effective_uid() == Some(0)
}

/// Nothing: the clients on Unix systems record their settings in files only
/// ([`super::CLIENT_SETTINGS`]).
pub fn recorded_settings(_home: &Path) -> RecordedSettings {
    RecordedSettings::default()
}

/// The user's home folder (`$HOME`).
pub fn user_home() -> Option<PathBuf> {
    std::env::var_os("HOME").map(PathBuf::from)
}

/// Creates the folder `dir` (its parent exists) with `mode`, whatever the umask.
pub fn create_dir_with_mode(dir: &Path, mode: u32) -> io::Result<()> {
    fs::DirBuilder::new().mode(mode).create(dir)?;
    fs::set_permissions(dir, Permissions::from_mode(mode))
}

/// Makes `options` create a file with `mode` (the umask still applies; see [`narrowed`]).
pub fn with_mode(options: &mut OpenOptions, mode: u32) -> &mut OpenOptions {
    options.mode(mode)
}

/// The permissions to give a file or folder of ours so that it has exactly `mode`; `None` when
/// it has them already or is not ours.
pub fn narrowed(meta: &Metadata, mode: u32) -> Option<Permissions> {
    (meta.mode() & 0o777 != mode && Some(meta.uid()) == effective_uid()).then(|| Permissions::from_mode(mode))
}

/// Modes make our files private on Unix ([`narrowed`]): nothing more to do.
pub fn make_private(_path: &Path) -> io::Result<()> {
    Ok(())
}

/// Takes group and other permissions away from the existing file `path` when this process owns
/// it (adding none); logs a warning when another user owns it and leaves it as it is.
pub fn tighten(path: &Path) -> io::Result<()> {
    let meta = fs::metadata(path)?;
    let mode = meta.permissions().mode();
    if shared_bits(mode) == 0 {
        return Ok(());
    }
    if effective_uid().is_some_and(|uid| uid != meta.uid()) {
        tracing::warn!(
            path = %path.display(),
            mode = format!("{:o}", mode & 0o777),
            "other users may read this file and it is not ours to tighten"
        );
        return Ok(());
    }
    fs::set_permissions(path, Permissions::from_mode(mode & 0o700))?;
    tracing::info!(path = %path.display(), was = format!("{:o}", mode & 0o777), "made private to its owner");
    Ok(())
}

/// The mode of the file at `path` when group or others may read or change it; `None` when
/// only its owner may.
pub fn shared_mode(path: &Path) -> io::Result<Option<u32>> {
    let mode = fs::metadata(path)?.permissions().mode() & 0o777;
    Ok((shared_bits(mode) != 0).then_some(mode))
}

fn shared_bits(mode: u32) -> u32 {
    mode & 0o077
}

/// A path as the bytes the system names it by (a store key).
pub fn path_bytes(path: &Path) -> Cow<'_, [u8]> {
    Cow::Borrowed(path.as_os_str().as_bytes())
}

/// The path named by `bytes` from [`path_bytes`].
pub fn path_from_bytes(bytes: &[u8]) -> PathBuf {
    PathBuf::from(OsStr::from_bytes(bytes))
}

/// SIGTERM and SIGINT set `stop`; SIGHUP sets `reload`.
pub fn on_stop_and_reload(stop: &Arc<AtomicBool>, reload: &Arc<AtomicBool>) -> io::Result<()> {
    use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
    for signal in [SIGTERM, SIGINT] {
        signal_hook::flag::register(signal, stop.clone())?;
    }
    signal_hook::flag::register(SIGHUP, reload.clone())?;
    Ok(())
}

/// Runs the agent in the foreground: `agent` is called with this program's arguments and
/// returns the exit status. (Running as a Windows service, `--service`, is Windows's alone;
/// systemd and launchd start the agent as a plain process.)
pub fn run_agent(agent: impl FnOnce(Vec<OsString>) -> u8 + Send + 'static) -> ExitCode {
    ExitCode::from(agent(std::env::args_os().collect()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    /// The path taken without `openat2` (kernels before 5.6, other Unix systems).
    #[test]
    fn component_by_component_refuses_links_too() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("root/sub")).unwrap();
        std::fs::create_dir_all(dir.path().join("elsewhere")).unwrap();
        std::fs::write(dir.path().join("root/sub/file.txt"), b"mine").unwrap();
        let root = dir.path().join("root");
        symlink(dir.path().join("elsewhere"), root.join("folder-link")).unwrap();
        let beneath = RootDir::open(&root, true).unwrap();
        let flags = OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::CLOEXEC;
        assert!(beneath.resolve_by_components(Path::new("sub/file.txt"), flags).is_ok());
        let through = beneath.resolve_by_components(Path::new("folder-link/file.txt"), flags);
        assert!(matches!(through, Err(e) if e == rustix::io::Errno::NOTDIR || e == rustix::io::Errno::LOOP));
    }
}
