//! Windows: files opened for scanning share read, write and delete (the user's programs are
//! never blocked and a scanned file can still be renamed or deleted), identity is the volume
//! serial number and file index from `GetFileInformationByHandle`, a worker is handed a
//! duplicate of the handle the parent opened (`DuplicateHandle`), and our files live under
//! `%ProgramData%\dlp-scan`.
//!
//! OS calls go through `windows-sys` (Microsoft's maintained bindings); std already opens files
//! with share modes and flags, so only the calls std has no wrapper for are `unsafe`, each in
//! the smallest function.
//!
//! Not yet here: access control lists for our own files (they inherit `%ProgramData%`'s), an
//! owner check for hard links, a memory limit and sandbox for workers (a Job Object; the
//! deadline stands alone), the Windows service (`windows-service`).

use std::borrow::Cow;
use std::ffi::OsString;
use std::fs::{self, File, Metadata, OpenOptions, Permissions};
use std::io::{self, Read, Write};
use std::os::windows::ffi::{OsStrExt, OsStringExt};
use std::os::windows::fs::{MetadataExt, OpenOptionsExt};
use std::os::windows::io::{AsRawHandle, FromRawHandle, OwnedHandle, RawHandle};
use std::path::{Component, Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::Duration;

use windows_sys::Win32::Storage::FileSystem::{
    BY_HANDLE_FILE_INFORMATION, FILE_ATTRIBUTE_REPARSE_POINT, FILE_FLAG_BACKUP_SEMANTICS, FILE_FLAG_OPEN_REPARSE_POINT,
    FILE_SHARE_DELETE, FILE_SHARE_READ, FILE_SHARE_WRITE,
};

use super::{FileIdentity, FolderIdentity};
use crate::error::FileError;

/// Everyone else may go on reading, writing, renaming and deleting the files we hold open.
const SHARE_ALL: u32 = FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE;

/// `FILETIME` ticks (100 ns since 1601) at the Unix epoch.
const UNIX_EPOCH_TICKS: i128 = 116_444_736_000_000_000;

/// Opens `path` (following links) read-only, sharing read, write and delete.
pub fn open_read_only(path: &Path) -> io::Result<File> {
    OpenOptions::new().read(true).share_mode(SHARE_ALL).open(path)
}

/// Opens `path` itself (a link or junction as itself, not what it points to) read-only,
/// sharing everything; `access` 0 opens it for its attributes only.
fn open_no_follow(path: &Path, read: bool) -> io::Result<File> {
    let mut options = OpenOptions::new();
    if read {
        options.read(true);
    } else {
        options.access_mode(0);
    }
    options.share_mode(SHARE_ALL).custom_flags(FILE_FLAG_OPEN_REPARSE_POINT | FILE_FLAG_BACKUP_SEMANTICS).open(path)
}

/// What the file system says of an open handle.
#[allow(unsafe_code, reason = "GetFileInformationByHandle has no safe wrapper in std or windows-sys")]
fn handle_information(file: &File) -> io::Result<BY_HANDLE_FILE_INFORMATION> {
    use windows_sys::Win32::Storage::FileSystem::GetFileInformationByHandle;
    // SAFETY: a valid handle borrowed from `file` for the call, and a pointer to a zeroed
    // BY_HANDLE_FILE_INFORMATION (plain integers), which the call fills.
    let mut info: BY_HANDLE_FILE_INFORMATION = unsafe { std::mem::zeroed() };
    if unsafe { GetFileInformationByHandle(file.as_raw_handle(), &mut info) } == 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(info)
}

/// The identity of an open file: volume serial number, file index, size, last write time, links.
/// (No status-change time here: the last write time stands in; no owner: 0.)
pub fn file_identity(file: &File) -> io::Result<FileIdentity> {
    let info = handle_information(file)?;
    let join = |high: u32, low: u32| (u64::from(high) << 32) | u64::from(low);
    let written = join(info.ftLastWriteTime.dwHighDateTime, info.ftLastWriteTime.dwLowDateTime);
    let mtime_ns = (i128::from(written) - UNIX_EPOCH_TICKS) * 100;
    Ok(FileIdentity {
        dev: u64::from(info.dwVolumeSerialNumber),
        ino: join(info.nFileIndexHigh, info.nFileIndexLow),
        size: join(info.nFileSizeHigh, info.nFileSizeLow),
        mtime_ns,
        ctime_ns: mtime_ns,
        nlink: u64::from(info.nNumberOfLinks),
        uid: 0,
    })
}

/// The identity of the regular file at `path`, not following a link; `None` for anything else.
pub fn path_identity(path: &Path) -> Option<FileIdentity> {
    let file = open_no_follow(path, false).ok()?;
    let meta = file.metadata().ok()?;
    (meta.file_type().is_file() && !is_reparse_point(&meta)).then(|| file_identity(&file).ok()).flatten()
}

fn is_reparse_point(meta: &Metadata) -> bool {
    meta.file_attributes() & FILE_ATTRIBUTE_REPARSE_POINT != 0
}

/// The identity of the folder at `path`, following links: volume serial number and file index.
pub fn folder_identity(path: &Path) -> Option<FolderIdentity> {
    let folder = OpenOptions::new()
        .access_mode(0)
        .share_mode(SHARE_ALL)
        .custom_flags(FILE_FLAG_BACKUP_SEMANTICS)
        .open(path)
        .ok()?;
    if !folder.metadata().ok()?.is_dir() {
        return None;
    }
    let identity = file_identity(&folder).ok()?;
    Some((identity.dev, identity.ino, 0))
}

/// A folder below which files are opened with no link or junction followed.
///
/// Each folder on the way is looked at, then the file itself is opened as itself
/// (`FILE_FLAG_OPEN_REPARSE_POINT`) and refused when it is a reparse point. The look at the
/// folders is by path, so a folder swapped for a junction between the look and the open is not
/// caught (Linux's `openat2` has no such window).
#[derive(Debug)]
pub struct RootDir {
    root: PathBuf,
    /// The root's volume serial number, when files on other volumes are refused.
    volume: Option<u64>,
}

impl RootDir {
    /// Opens the folder `root` (which may itself be reached through links). With
    /// `one_file_system`, files on other volumes mounted below it are refused.
    pub fn open(root: &Path, one_file_system: bool) -> io::Result<RootDir> {
        let (volume, _, _) =
            folder_identity(root).ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "not a folder"))?;
        Ok(RootDir { root: root.to_path_buf(), volume: one_file_system.then_some(volume) })
    }

    /// Opens the plain relative path `relative` read-only, sharing everything, with no link or
    /// junction on the way.
    pub fn open_file(&self, relative: &Path) -> Result<File, FileError> {
        let mut folder = self.root.clone();
        let mut names = relative.components().peekable();
        while let Some(Component::Normal(name)) = names.next() {
            folder.push(name);
            if names.peek().is_some() && is_reparse_point(&fs::symlink_metadata(&folder)?) {
                return Err(FileError::LinkRefused);
            }
        }
        let file = open_no_follow(&folder, true)?;
        if is_reparse_point(&file.metadata()?) {
            return Err(FileError::LinkRefused);
        }
        if self.volume.is_some_and(|volume| file_identity(&file).is_ok_and(|id| id.dev != volume)) {
            return Err(io::Error::new(io::ErrorKind::CrossesDevices, "on another volume").into());
        }
        Ok(file)
    }

    /// Owners are not compared on Windows yet: `None`.
    pub fn folder_owner(&self, _relative: Option<&Path>) -> Result<Option<u32>, FileError> {
        Ok(None)
    }
}

/// The parent's end of a worker's request channel: the worker's standard input (a pipe).
pub type Requests = ChildStdin;

/// Starts `command` with a pipe as its standard input.
pub fn spawn_worker(command: &mut Command) -> io::Result<(Child, Requests)> {
    let mut child = command.stdin(Stdio::piped()).spawn()?;
    let requests = child.stdin.take().ok_or_else(|| io::Error::other("worker has no stdin"))?;
    Ok((child, requests))
}

/// Duplicates `file`'s handle into `worker` and tells it the handle's value (`F` and eight
/// bytes). The worker owns the duplicate; it is closed with the worker if never taken.
pub fn send_file(mut requests: &Requests, worker: &Child, file: &File) -> io::Result<()> {
    let theirs = duplicate_into(file, worker)?;
    let mut message = [0u8; 9];
    message[0] = b'F';
    message[1..].copy_from_slice(&(theirs as usize as u64).to_le_bytes());
    requests.write_all(&message)?;
    requests.flush()
}

/// A duplicate of `file`'s handle, with the same access, valid in `worker`'s process.
#[allow(unsafe_code, reason = "DuplicateHandle has no safe wrapper in std or windows-sys")]
fn duplicate_into(file: &File, worker: &Child) -> io::Result<RawHandle> {
    use windows_sys::Win32::Foundation::{DuplicateHandle, DUPLICATE_SAME_ACCESS};
    use windows_sys::Win32::System::Threading::GetCurrentProcess;
    let mut theirs = std::ptr::null_mut();
    // SAFETY: the pseudo-handle of this process, a handle borrowed from `file`, the worker's
    // process handle (it has PROCESS_DUP_HANDLE: we created it) borrowed from `worker`, and a
    // pointer to where the new handle's value is written. The new handle lives in the worker.
    let ok = unsafe {
        DuplicateHandle(
            GetCurrentProcess(),
            file.as_raw_handle(),
            worker.as_raw_handle(),
            &mut theirs,
            0,
            0,
            DUPLICATE_SAME_ACCESS,
        )
    };
    if ok == 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(theirs)
}

/// A worker's end of the request channel: its standard input.
pub struct WorkerInput(io::Stdin);

impl WorkerInput {
    /// The request channel this worker was started with.
    pub fn from_stdin() -> WorkerInput {
        WorkerInput(io::stdin())
    }

    /// Reads exactly `buf.len()` bytes.
    pub fn read_exact(&mut self, buf: &mut [u8]) -> io::Result<()> {
        self.0.read_exact(buf)
    }

    /// Receives the next file's handle, duplicated into this process by the parent; `None` at
    /// the end of requests.
    pub fn receive_file(&mut self) -> io::Result<Option<File>> {
        let mut message = [0u8; 9];
        match self.0.read(&mut message[..1])? {
            0 => return Ok(None),
            _ if message[0] != b'F' => return Err(io::Error::other("not a file request")),
            _ => {}
        }
        self.0.read_exact(&mut message[1..])?;
        let value = u64::from_le_bytes(message[1..].try_into().map_err(io::Error::other)?);
        Ok(Some(File::from(take_handle(value as usize as RawHandle))))
    }
}

/// Takes ownership of a handle the parent duplicated into this process.
#[allow(unsafe_code, reason = "a handle received from another process has no safe constructor")]
fn take_handle(handle: RawHandle) -> OwnedHandle {
    // SAFETY: the parent duplicated this handle into this process for this worker alone and
    // sends each value once, so nothing else owns or closes it.
    unsafe { OwnedHandle::from_raw_handle(handle) }
}

/// No numeric user ids on Windows.
pub fn effective_uid() -> Option<u32> {
    None
}

/// True when running as the LocalSystem account (the service): its profile is the system's.
pub fn system_wide() -> bool {
    user_home().is_none_or(|home| home.ends_with("systemprofile"))
}

/// The user's profile folder (`%USERPROFILE%`).
pub fn user_home() -> Option<PathBuf> {
    std::env::var_os("USERPROFILE").map(PathBuf::from)
}

/// Creates the folder `dir` (its parent exists); it inherits its parent's access control list.
pub fn create_dir_with_mode(dir: &Path, _mode: u32) -> io::Result<()> {
    fs::create_dir(dir)
}

/// Unix modes do not apply: the file inherits its folder's access control list.
pub fn with_mode(options: &mut OpenOptions, _mode: u32) -> &mut OpenOptions {
    options
}

/// Unix modes do not apply: nothing to narrow.
pub fn narrowed(_meta: &Metadata, _mode: u32) -> Option<Permissions> {
    None
}

/// Unix modes do not apply: access control lists are left as they are.
pub fn tighten(_path: &Path) -> io::Result<()> {
    Ok(())
}

/// Access control lists are not read yet: `None` (nothing known to be shared).
pub fn shared_mode(path: &Path) -> io::Result<Option<u32>> {
    fs::metadata(path).map(|_| None)
}

/// A path as UTF-16 code units, little-endian (a store key; unpaired surrogates kept).
pub fn path_bytes(path: &Path) -> Cow<'_, [u8]> {
    Cow::Owned(path.as_os_str().encode_wide().flat_map(u16::to_le_bytes).collect())
}

/// The path named by `bytes` from [`path_bytes`].
pub fn path_from_bytes(bytes: &[u8]) -> PathBuf {
    let wide: Vec<u16> = bytes.chunks_exact(2).map(|pair| u16::from_le_bytes([pair[0], pair[1]])).collect();
    PathBuf::from(OsString::from_wide(&wide))
}

/// Ctrl-C and Ctrl-Break (SIGINT, SIGBREAK as SIGTERM) set `stop`; there is nothing to reload by.
pub fn on_stop_and_reload(stop: &Arc<AtomicBool>, _reload: &Arc<AtomicBool>) -> io::Result<()> {
    use signal_hook::consts::{SIGINT, SIGTERM};
    for signal in [SIGTERM, SIGINT] {
        signal_hook::flag::register(signal, stop.clone())?;
    }
    Ok(())
}

/// `%ProgramData%\dlp-scan` (normally `C:\ProgramData\dlp-scan`).
fn program_data() -> PathBuf {
    std::env::var_os("ProgramData").map_or_else(|| PathBuf::from(r"C:\ProgramData"), PathBuf::from).join("dlp-scan")
}

/// dlp-scan's own state folder: `%ProgramData%\dlp-scan`.
pub fn default_state_dir() -> Option<PathBuf> {
    Some(program_data())
}

/// The folder for the agent's default event file: `%ProgramData%\dlp-scan\events`.
pub fn default_log_dir() -> Option<PathBuf> {
    Some(program_data().join("events"))
}

/// The agent's configuration file: `%ProgramData%\dlp-scan\config.toml`.
pub fn system_config() -> PathBuf {
    program_data().join("config.toml")
}

/// Every user's profile folder (`%SystemDrive%\Users\*`).
pub fn all_homes() -> Vec<PathBuf> {
    let drive = std::env::var_os("SystemDrive").unwrap_or_else(|| "C:".into());
    let mut users = PathBuf::from(drive);
    users.push(r"\Users");
    super::subfolders(&users)
}

/// No sandbox yet: the worker's deadline stands alone.
pub fn confine() -> io::Result<()> {
    Ok(())
}

/// No memory limit yet (a Job Object would give one): the worker's deadline stands alone.
pub fn limit_memory(_bytes: u64) -> io::Result<()> {
    Ok(())
}

/// The heap returns memory on its own.
pub fn return_free_memory() {}

/// Not known here: the settling delay and the liveness check stand alone.
pub fn unacknowledged_bytes(_stream: &std::net::TcpStream) -> u64 {
    0
}

/// Not a service yet: nothing to tell.
pub fn service_ready() {}

/// Not a service yet: nothing to tell.
pub fn service_stopping() {}

/// No watchdog.
pub fn watchdog_interval() -> Option<Duration> {
    None
}

/// No watchdog.
pub fn watchdog_ping() {}
