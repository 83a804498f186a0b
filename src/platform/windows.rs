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
//! dlp-agent runs as a Windows service through `windows-service` ([`run_agent`]); parser workers
//! run in a Job Object each (memory limit, killed with the parent).
//!
//! What dlp-scan writes for itself is private to SYSTEM, Administrators and its owner (access
//! control lists, as modes 0600/0700 on Unix).
//!
//! Not yet here: an owner check for hard links, a sandbox for workers (a restricted token or AppContainer).

use std::borrow::Cow;
use std::ffi::OsString;
use std::fs::{self, File, Metadata, OpenOptions, Permissions};
use std::io::{self, Read, Write};
use std::os::windows::ffi::{OsStrExt, OsStringExt};
use std::os::windows::fs::{MetadataExt, OpenOptionsExt};
use std::os::windows::io::{AsRawHandle, FromRawHandle, OwnedHandle, RawHandle};
use std::path::{Component, Path, PathBuf};
use std::process::{Child, ChildStdin, Command, ExitCode, Stdio};
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::Duration;

use windows_sys::Win32::Storage::FileSystem::{
    BY_HANDLE_FILE_INFORMATION, FILE_ATTRIBUTE_REPARSE_POINT, FILE_FLAG_BACKUP_SEMANTICS, FILE_FLAG_OPEN_REPARSE_POINT,
    FILE_SHARE_DELETE, FILE_SHARE_READ, FILE_SHARE_WRITE,
};

use super::{ClientSettings, FileIdentity, FolderIdentity, RecordedOneDrive, RecordedSettings};
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

/// The identity of an open file when it is a regular file (`None` for anything else).
pub fn regular_file_identity(file: &File) -> io::Result<Option<FileIdentity>> {
    if !file.metadata()?.file_type().is_file() {
        return Ok(None);
    }
    file_identity(file).map(Some)
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

/// The parent's end of a worker's request channel: the worker's standard input (a pipe), and
/// the Job Object that holds the worker.
#[derive(Debug)]
pub struct Requests {
    stdin: ChildStdin,
    /// Closed with the channel (the worker dropped, or this process gone however it ended): the
    /// job's kill-on-close then ends the worker, whatever it is doing.
    _job: OwnedHandle,
}

impl Write for &Requests {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        (&self.stdin).write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        (&self.stdin).flush()
    }
}

/// Starts `command` with a pipe as its standard input, in a Job Object of its own that limits
/// its committed memory to `memory` bytes (an allocation past it fails, and a parser that
/// cannot allocate aborts: one file lost, not the machine's memory), kills it when the parent's
/// handle closes, and ends it on an unhandled exception instead of showing an error dialog that
/// would hold it until its deadline. The worker runs its own start-up code for a moment before
/// it is assigned; it reads no file until the parent sends one.
///
/// Errors: the worker could not be started or put in its job (it is then killed).
pub fn spawn_worker(command: &mut Command, memory: u64) -> io::Result<(Child, Requests)> {
    let mut child = command.stdin(Stdio::piped()).spawn()?;
    let held = job_holding(&child, memory).and_then(|job| {
        let stdin = child.stdin.take().ok_or_else(|| io::Error::other("worker has no stdin"))?;
        Ok(Requests { stdin, _job: job })
    });
    match held {
        Ok(requests) => Ok((child, requests)),
        Err(e) => {
            let _ = child.kill();
            let _ = child.wait();
            Err(e)
        }
    }
}

/// A new Job Object with the workers' limits, holding `child`.
#[allow(unsafe_code, reason = "Job Objects have no safe wrapper in std or windows-sys")]
fn job_holding(child: &Child, memory: u64) -> io::Result<OwnedHandle> {
    use windows_sys::Win32::System::JobObjects::{
        AssignProcessToJobObject, CreateJobObjectW, JobObjectExtendedLimitInformation, SetInformationJobObject,
        JOBOBJECT_EXTENDED_LIMIT_INFORMATION, JOB_OBJECT_LIMIT_DIE_ON_UNHANDLED_EXCEPTION,
        JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE, JOB_OBJECT_LIMIT_PROCESS_MEMORY,
    };
    // SAFETY: no security attributes and no name: a new anonymous job, whose handle is ours alone.
    let raw = unsafe { CreateJobObjectW(std::ptr::null(), std::ptr::null()) };
    if raw.is_null() {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: `raw` is a valid handle just created and owned by nothing else.
    let job = unsafe { OwnedHandle::from_raw_handle(raw) };
    // SAFETY: a plain-data structure of integers, for which all zeroes is valid.
    let mut limits: JOBOBJECT_EXTENDED_LIMIT_INFORMATION = unsafe { std::mem::zeroed() };
    limits.BasicLimitInformation.LimitFlags = JOB_OBJECT_LIMIT_PROCESS_MEMORY
        | JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE
        | JOB_OBJECT_LIMIT_DIE_ON_UNHANDLED_EXCEPTION;
    limits.ProcessMemoryLimit = usize::try_from(memory).unwrap_or(usize::MAX);
    let size = u32::try_from(std::mem::size_of_val(&limits)).map_err(io::Error::other)?;
    // SAFETY: the job's handle, the class naming the structure passed, a pointer to it and its
    // size; the call only reads it.
    let set = unsafe {
        SetInformationJobObject(
            job.as_raw_handle(),
            JobObjectExtendedLimitInformation,
            std::ptr::from_ref(&limits).cast(),
            size,
        )
    };
    if set == 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: the job's handle and the child's process handle (we created it, with every
    // access), both borrowed for the call.
    if unsafe { AssignProcessToJobObject(job.as_raw_handle(), child.as_raw_handle()) } == 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(job)
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

/// The user's profile folder, as the shell knows it (`FOLDERID_Profile`; not `%USERPROFILE%`,
/// which the user can set to anything).
pub fn user_home() -> Option<PathBuf> {
    known_folder(&windows_sys::Win32::UI::Shell::FOLDERID_Profile)
}

/// A known folder's path (`SHGetKnownFolderPath`, for this process's user).
#[allow(unsafe_code, reason = "SHGetKnownFolderPath and CoTaskMemFree have no safe wrapper")]
fn known_folder(id: &windows_sys::core::GUID) -> Option<PathBuf> {
    use windows_sys::Win32::System::Com::CoTaskMemFree;
    use windows_sys::Win32::UI::Shell::{SHGetKnownFolderPath, KF_FLAG_DEFAULT};
    let mut path: windows_sys::core::PWSTR = std::ptr::null_mut();
    // SAFETY: a valid folder id, no token (this process's user), and a pointer the call fills
    // with a string it allocates (also on failure, when it may be null), freed below.
    let result = unsafe { SHGetKnownFolderPath(id, KF_FLAG_DEFAULT as u32, std::ptr::null_mut(), &mut path) };
    let found = (result >= 0 && !path.is_null()).then(|| {
        // SAFETY: on success the call returned a nul-terminated string.
        let units = unsafe { std::slice::from_raw_parts(path, (0..).take_while(|&i| *path.add(i) != 0).count()) };
        PathBuf::from(OsString::from_wide(units))
    });
    // SAFETY: allocated by the call with CoTaskMemAlloc (or null, which it accepts), freed once.
    unsafe { CoTaskMemFree(path.cast()) };
    found
}

/// What dlp-scan makes for itself (state store, key, spools, event files): full control for
/// LocalSystem, Administrators and the object's owner (the account that made it: SYSTEM for the
/// service, the user for their own run of dlp-scan), nobody else, and nothing inherited from the
/// folder above (`P`): `%ProgramData%` lets every user read what is made in it. A folder passes
/// its entries on to what is made in it (`OICI`). (Unix: folders 0700, files 0600.)
const PRIVATE_FOLDER: &str = "D:P(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)(A;OICI;FA;;;OW)";
/// [`PRIVATE_FOLDER`] for a file.
const PRIVATE_FILE: &str = "D:P(A;;FA;;;SY)(A;;FA;;;BA)(A;;FA;;;OW)";
/// The trustees a private object's entries may name, as SDDL names them.
const PRIVATE_TRUSTEES: [&str; 3] = ["SY", "BA", "OW"];

/// Creates the folder `dir` (its parent exists), private ([`PRIVATE_FOLDER`]) whatever its
/// parent allows.
pub fn create_dir_with_mode(dir: &Path, _mode: u32) -> io::Result<()> {
    create_directory(dir, &security_descriptor(PRIVATE_FOLDER)?)
}

/// Unix modes do not apply: a file made in a folder of ours inherits its private access list;
/// one made elsewhere is made private by [`make_private`].
pub fn with_mode(options: &mut OpenOptions, _mode: u32) -> &mut OpenOptions {
    options
}

/// Unix modes do not apply: access lists are narrowed by [`make_private`].
pub fn narrowed(_meta: &Metadata, _mode: u32) -> Option<Permissions> {
    None
}

/// Makes the existing file or folder of ours at `path` private ([`PRIVATE_FOLDER`]) unless its
/// access list already names no one but SYSTEM, Administrators and its owner. (Called for each
/// file and folder dlp-scan writes; a file made in a private folder already is.)
pub fn make_private(path: &Path) -> io::Result<()> {
    if names_only_private_trustees(&access_list(path)?) {
        return Ok(());
    }
    let sddl = if fs::metadata(path)?.is_dir() { PRIVATE_FOLDER } else { PRIVATE_FILE };
    set_access_list(path, &security_descriptor(sddl)?)?;
    tracing::info!(path = %path.display(), "made private to SYSTEM, Administrators and its owner");
    Ok(())
}

/// Makes the existing file `path` (a key, a state store) private as [`make_private`] does; when
/// this account may not change it, logs a warning and leaves it as it is.
pub fn tighten(path: &Path) -> io::Result<()> {
    match make_private(path) {
        Err(e) if e.kind() == io::ErrorKind::PermissionDenied => {
            tracing::warn!(path = %path.display(), "other users may read this file and it is not ours to tighten");
            Ok(())
        }
        other => other,
    }
}

/// True when the access list (SDDL, `D:` part) has entries and each names SYSTEM,
/// Administrators or the owner: `D:P(A;OICI;FA;;;SY)(A;ID;FA;;;OW)`, each entry's last field.
fn names_only_private_trustees(sddl: &str) -> bool {
    let Some(list) = sddl.strip_prefix("D:") else { return false };
    let mut entries = list.split('(').skip(1).map(|entry| entry.trim_end_matches(')')).peekable();
    entries.peek().is_some()
        && entries.all(|entry| entry.rsplit(';').next().is_some_and(|t| PRIVATE_TRUSTEES.contains(&t)))
}

/// `path` as a nul-terminated UTF-16 string.
fn wide(path: &Path) -> Vec<u16> {
    path.as_os_str().encode_wide().chain([0]).collect()
}

/// A security descriptor the system allocated; freed with `LocalFree`.
struct LocalDescriptor(windows_sys::Win32::Security::PSECURITY_DESCRIPTOR);

impl Drop for LocalDescriptor {
    #[allow(unsafe_code, reason = "LocalFree has no safe wrapper")]
    fn drop(&mut self) {
        // SAFETY: allocated by the system with LocalAlloc for us, freed once, here.
        unsafe { windows_sys::Win32::Foundation::LocalFree(self.0) };
    }
}

/// The security descriptor an SDDL string describes.
#[allow(unsafe_code, reason = "the security descriptor calls have no safe wrapper in std or windows-sys")]
fn security_descriptor(sddl: &str) -> io::Result<LocalDescriptor> {
    use windows_sys::Win32::Security::Authorization::{
        ConvertStringSecurityDescriptorToSecurityDescriptorW, SDDL_REVISION_1,
    };
    let text: Vec<u16> = sddl.encode_utf16().chain([0]).collect();
    let mut descriptor = std::ptr::null_mut();
    // SAFETY: a nul-terminated string, and a pointer the call fills with a descriptor it allocates.
    let ok = unsafe {
        ConvertStringSecurityDescriptorToSecurityDescriptorW(
            text.as_ptr(),
            SDDL_REVISION_1,
            &mut descriptor,
            std::ptr::null_mut(),
        )
    };
    if ok == 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(LocalDescriptor(descriptor))
}

/// Creates the folder `dir` with `descriptor`.
#[allow(unsafe_code, reason = "CreateDirectoryW with security attributes has no safe wrapper")]
fn create_directory(dir: &Path, descriptor: &LocalDescriptor) -> io::Result<()> {
    use windows_sys::Win32::Security::SECURITY_ATTRIBUTES;
    use windows_sys::Win32::Storage::FileSystem::CreateDirectoryW;
    let attributes = SECURITY_ATTRIBUTES {
        nLength: u32::try_from(std::mem::size_of::<SECURITY_ATTRIBUTES>()).map_err(io::Error::other)?,
        lpSecurityDescriptor: descriptor.0,
        bInheritHandle: 0,
    };
    let name = wide(dir);
    // SAFETY: a nul-terminated path and attributes pointing at a valid descriptor, both alive
    // for the call, which only reads them.
    if unsafe { CreateDirectoryW(name.as_ptr(), &attributes) } == 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// The access list of the file or folder at `path`, as SDDL (`D:...`).
#[allow(unsafe_code, reason = "the security descriptor calls have no safe wrapper in std or windows-sys")]
fn access_list(path: &Path) -> io::Result<String> {
    use std::ptr::null_mut;
    use windows_sys::Win32::Foundation::LocalFree;
    use windows_sys::Win32::Security::Authorization::{
        ConvertSecurityDescriptorToStringSecurityDescriptorW, GetNamedSecurityInfoW, SDDL_REVISION_1, SE_FILE_OBJECT,
    };
    use windows_sys::Win32::Security::DACL_SECURITY_INFORMATION;
    let name = wide(path);
    let mut descriptor = null_mut();
    // SAFETY: a nul-terminated path; the call allocates the descriptor and writes its address.
    let rc = unsafe {
        GetNamedSecurityInfoW(
            name.as_ptr(),
            SE_FILE_OBJECT,
            DACL_SECURITY_INFORMATION,
            null_mut(),
            null_mut(),
            null_mut(),
            null_mut(),
            &mut descriptor,
        )
    };
    if rc != 0 {
        return Err(io::Error::from_raw_os_error(rc as i32));
    }
    let descriptor = LocalDescriptor(descriptor);
    let (mut text, mut length) = (null_mut(), 0u32);
    // SAFETY: a valid descriptor; the call allocates the string and writes its address and length.
    let ok = unsafe {
        ConvertSecurityDescriptorToStringSecurityDescriptorW(
            descriptor.0,
            SDDL_REVISION_1,
            DACL_SECURITY_INFORMATION,
            &mut text,
            &mut length,
        )
    };
    if ok == 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: the call wrote `length` UTF-16 units at `text`; freed once, after the copy.
    let sddl = String::from_utf16_lossy(unsafe { std::slice::from_raw_parts(text, length as usize) });
    unsafe { LocalFree(text.cast()) };
    Ok(sddl.trim_end_matches('\0').to_string())
}

/// Gives the file or folder at `path` the access list of `descriptor`, protected from its
/// parent's (a folder's new entries pass on to what it holds).
#[allow(unsafe_code, reason = "the security descriptor calls have no safe wrapper in std or windows-sys")]
fn set_access_list(path: &Path, descriptor: &LocalDescriptor) -> io::Result<()> {
    use windows_sys::Win32::Security::Authorization::{SetNamedSecurityInfoW, SE_FILE_OBJECT};
    use windows_sys::Win32::Security::{
        GetSecurityDescriptorDacl, DACL_SECURITY_INFORMATION, PROTECTED_DACL_SECURITY_INFORMATION,
    };
    let (mut present, mut list, mut defaulted) = (0, std::ptr::null_mut(), 0);
    // SAFETY: a valid descriptor; the call writes a pointer into it (alive as long as it is).
    if unsafe { GetSecurityDescriptorDacl(descriptor.0, &mut present, &mut list, &mut defaulted) } == 0 {
        return Err(io::Error::last_os_error());
    }
    let name = wide(path);
    let null = std::ptr::null_mut;
    // SAFETY: a nul-terminated path and the access list inside `descriptor`, alive for the call
    // (no owner, group or audit list: only the access list is set).
    let rc = unsafe {
        SetNamedSecurityInfoW(
            name.as_ptr(),
            SE_FILE_OBJECT,
            DACL_SECURITY_INFORMATION | PROTECTED_DACL_SECURITY_INFORMATION,
            null(),
            null(),
            list,
            std::ptr::null(),
        )
    };
    if rc != 0 {
        return Err(io::Error::from_raw_os_error(rc as i32));
    }
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

/// Ctrl-C and Ctrl-Break in the console set `stop`; as the service, Stop, Preshutdown and
/// Shutdown set `stop` and ParamChange (`sc control dlp-agent paramchange`) sets `reload`.
pub fn on_stop_and_reload(stop: &Arc<AtomicBool>, reload: &Arc<AtomicBool>) -> io::Result<()> {
    console::on_ctrl_c(stop)?;
    service::set_flags(stop, reload);
    Ok(())
}

/// Ctrl-C and Ctrl-Break by a console control handler (`SetConsoleCtrlHandler`), not the C
/// runtime's signal emulation that signal-hook uses: under Wine 8 a Ctrl-C through that
/// emulation jumped to address 2 (the number of SIGINT) and killed the agent.
mod console {
    use std::io;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::{Arc, Mutex, PoisonError};

    use windows_sys::core::BOOL;
    use windows_sys::Win32::System::Console::{SetConsoleCtrlHandler, CTRL_BREAK_EVENT, CTRL_C_EVENT};

    /// The flag Ctrl-C sets; the handler is registered with the first.
    static STOP: Mutex<Option<Arc<AtomicBool>>> = Mutex::new(None);

    /// Makes Ctrl-C and Ctrl-Break set `stop` (instead of ending the process).
    pub(super) fn on_ctrl_c(stop: &Arc<AtomicBool>) -> io::Result<()> {
        let first = STOP.lock().unwrap_or_else(PoisonError::into_inner).replace(stop.clone()).is_none();
        if first {
            register()?;
        }
        Ok(())
    }

    #[allow(unsafe_code, reason = "SetConsoleCtrlHandler has no safe wrapper in std or windows-sys")]
    fn register() -> io::Result<()> {
        // SAFETY: a function that lives as long as the program, added to the process's list.
        if unsafe { SetConsoleCtrlHandler(Some(on_control), 1) } == 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(())
    }

    /// Called by the system on a thread of its own: Ctrl-C and Ctrl-Break are handled (the
    /// flag set, the process kept); closing the console, log-off and shutdown are left to the
    /// next handler (the default ends the process).
    extern "system" fn on_control(kind: u32) -> BOOL {
        match kind {
            CTRL_C_EVENT | CTRL_BREAK_EVENT => {
                if let Some(stop) = STOP.lock().unwrap_or_else(PoisonError::into_inner).as_ref() {
                    stop.store(true, Ordering::SeqCst);
                }
                1
            }
            _ => 0,
        }
    }
}

/// Runs the agent: `agent` is called with this program's arguments and returns the exit status.
/// Started by the service manager with `--service` (as the MSI registers it), the flag is taken
/// out, `agent` runs as the `dlp-agent` service (status reported, Stop and Shutdown handled) and
/// its status becomes the service's exit code; otherwise it runs in the foreground.
pub fn run_agent(agent: impl FnOnce(Vec<OsString>) -> u8 + Send + 'static) -> ExitCode {
    let mut args: Vec<OsString> = std::env::args_os().collect();
    match args.iter().skip(1).position(|arg| arg == service::FLAG) {
        Some(at) => {
            args.remove(at + 1);
            service::run(Box::new(move || agent(args)))
        }
        None => ExitCode::from(agent(args)),
    }
}

/// `%ProgramData%\dlp-scan` (normally `C:\ProgramData\dlp-scan`), the folder from the shell
/// (`FOLDERID_ProgramData`), not from the environment.
fn program_data() -> PathBuf {
    known_folder(&windows_sys::Win32::UI::Shell::FOLDERID_ProgramData)
        .unwrap_or_else(|| PathBuf::from(r"C:\ProgramData"))
        .join("dlp-scan")
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

/// Every user's profile folder: the folders in the shell's `FOLDERID_UserProfiles`
/// (normally `C:\Users`).
pub fn all_homes() -> Vec<PathBuf> {
    let users = known_folder(&windows_sys::Win32::UI::Shell::FOLDERID_UserProfiles)
        .unwrap_or_else(|| PathBuf::from(r"C:\Users"));
    super::subfolders(&users)
}

/// Where sync clients keep their settings, relative to a profile folder: Dropbox's `info.json`
/// (`%LOCALAPPDATA%` or `%APPDATA%`), OneDrive's `settings` folder, Google Drive for desktop's
/// `DriveFS` folder, the Nextcloud and ownCloud clients' configuration, iCloud Drive and Box.
/// (`AppData` redirected elsewhere by policy is not followed.)
pub const CLIENT_SETTINGS: &[(&str, ClientSettings)] = &[
    ("AppData/Local/Dropbox/info.json", ClientSettings::DropboxInfo),
    ("AppData/Roaming/Dropbox/info.json", ClientSettings::DropboxInfo),
    ("AppData/Local/Microsoft/OneDrive/settings", ClientSettings::OneDriveSettings),
    ("AppData/Local/Google/DriveFS", ClientSettings::DriveFs),
    ("AppData/Roaming/Nextcloud/nextcloud.cfg", ClientSettings::NextcloudConfig("nextcloud")),
    ("AppData/Roaming/ownCloud/owncloud.cfg", ClientSettings::NextcloudConfig("owncloud")),
    ("iCloudDrive", ClientSettings::SyncFolder),
    ("Box", ClientSettings::SyncFolder),
];

/// What OneDrive and Google Drive for desktop record in the registry hive of the user whose
/// profile is `home`: this process's user's (`HKEY_CURRENT_USER`), or another user's under
/// `HKEY_USERS\<SID>` (the SID whose `ProfileList` entry names `home`), which is there only while
/// that user is logged on; nothing otherwise (their settings files are still read). Read:
/// `Software\Microsoft\OneDrive\Accounts\*` (`UserFolder`, `DisplayName`,
/// `ConfiguredTenantId`), `Software\Google\DriveFS` (`DefaultMountPoint`,
/// `PerAccountPreferences`; the machine's `DefaultMountPoint` when the user has none).
pub fn recorded_settings(home: &Path) -> RecordedSettings {
    use windows_registry::{CURRENT_USER, USERS};
    let other;
    let hive = if user_home().is_some_and(|h| same_folder(&h, home)) {
        CURRENT_USER
    } else {
        let Some(key) = profile_sid(home).and_then(|sid| USERS.open(sid).ok()) else {
            return RecordedSettings::default();
        };
        other = key;
        &other
    };
    let drive = hive.open(r"Software\Google\DriveFS").ok();
    let drive_value = |name: &str| drive.as_ref().and_then(|k| non_empty(k.get_string(name)));
    RecordedSettings {
        onedrive: onedrive_accounts(hive),
        google_drive_mount: drive_value("DefaultMountPoint").or_else(|| {
            windows_registry::LOCAL_MACHINE
                .open(r"Software\Google\DriveFS")
                .ok()
                .and_then(|k| non_empty(k.get_string("DefaultMountPoint")))
        }),
        google_drive_accounts: drive_value("PerAccountPreferences"),
    }
}

/// OneDrive's accounts in a user's hive, each with its folder.
fn onedrive_accounts(hive: &windows_registry::Key) -> Vec<RecordedOneDrive> {
    let Ok(accounts) = hive.open(r"Software\Microsoft\OneDrive\Accounts") else { return Vec::new() };
    let Ok(names) = accounts.keys() else { return Vec::new() };
    names
        .filter_map(|account| {
            let key = accounts.open(&account).ok()?;
            Some(RecordedOneDrive {
                folder: PathBuf::from(non_empty(key.get_string("UserFolder"))?),
                organisation: non_empty(key.get_string("DisplayName")),
                tenant_id: non_empty(key.get_string("ConfiguredTenantId")),
                account,
            })
        })
        .collect()
}

fn non_empty(value: windows_registry::Result<String>) -> Option<String> {
    value.ok().filter(|v| !v.trim().is_empty())
}

/// The SID of the profile whose folder is `home`
/// (`HKLM\SOFTWARE\Microsoft\Windows NT\CurrentVersion\ProfileList\<SID>\ProfileImagePath`).
fn profile_sid(home: &Path) -> Option<String> {
    let list =
        windows_registry::LOCAL_MACHINE.open(r"SOFTWARE\Microsoft\Windows NT\CurrentVersion\ProfileList").ok()?;
    let mut sids = list.keys().ok()?;
    sids.find(|sid| {
        list.open(sid)
            .and_then(|k| k.get_string("ProfileImagePath"))
            .is_ok_and(|path| same_folder(Path::new(&path), home))
    })
}

/// The same folder, as Windows compares names (case aside, a trailing separator aside).
fn same_folder(a: &Path, b: &Path) -> bool {
    let text = |p: &Path| p.to_string_lossy().trim_end_matches(['\\', '/']).to_lowercase();
    text(a) == text(b)
}

/// The root folders (`E:\`) of removable drives now: drive letters whose drive type is removable
/// (`GetDriveTypeW`: USB sticks, memory cards), or fixed but on a USB, SD or MMC bus (USB disks,
/// which report themselves fixed), asked with `IOCTL_STORAGE_QUERY_PROPERTY` on the volume opened
/// with no access rights (allowed without administrator rights).
pub fn removable_volumes() -> Vec<PathBuf> {
    use windows_sys::Win32::System::WindowsProgramming::{DRIVE_FIXED, DRIVE_REMOVABLE};
    drive_letters()
        .filter(|&letter| match drive_type(letter) {
            DRIVE_REMOVABLE => true,
            DRIVE_FIXED => on_removable_bus(letter),
            _ => false,
        })
        .map(|letter| PathBuf::from(format!("{letter}:\\")))
        .collect()
}

/// Not read: BitLocker's status is told by WMI (`Win32_EncryptableVolume`, administrators only)
/// or by the shell's `System.Volume.BitLockerProtection` property (COM, values undocumented);
/// this build asks neither, so a volume's own encryption is never claimed on Windows.
pub fn encrypted_volumes() -> Vec<(PathBuf, &'static str)> {
    Vec::new()
}

/// The drive letters in use (`GetLogicalDrives`).
#[allow(unsafe_code, reason = "GetLogicalDrives has no safe wrapper")]
fn drive_letters() -> impl Iterator<Item = char> {
    // SAFETY: no arguments; returns a bit mask.
    let mask = unsafe { windows_sys::Win32::Storage::FileSystem::GetLogicalDrives() };
    (b'A'..=b'Z').filter(move |l| mask & (1 << (l - b'A')) != 0).map(char::from)
}

/// `GetDriveTypeW` of `letter:\`.
#[allow(unsafe_code, reason = "GetDriveTypeW has no safe wrapper")]
fn drive_type(letter: char) -> u32 {
    let root = wide(Path::new(&format!("{letter}:\\")));
    // SAFETY: a nul-terminated string alive for the call.
    unsafe { windows_sys::Win32::Storage::FileSystem::GetDriveTypeW(root.as_ptr()) }
}

/// Whether the disk under `letter:` is on a USB, SD or MMC bus.
fn on_removable_bus(letter: char) -> bool {
    use windows_sys::Win32::Storage::FileSystem::{BusTypeMmc, BusTypeSd, BusTypeUsb};
    let Ok(volume) = OpenOptions::new().access_mode(0).share_mode(SHARE_ALL).open(format!(r"\\.\{letter}:")) else {
        return false;
    };
    bus_type(&volume).is_some_and(|bus| [BusTypeUsb, BusTypeSd, BusTypeMmc].contains(&bus))
}

/// The bus of the device under an open volume (`IOCTL_STORAGE_QUERY_PROPERTY`,
/// `StorageDeviceProperty`).
#[allow(unsafe_code, reason = "DeviceIoControl has no safe wrapper")]
fn bus_type(volume: &File) -> Option<windows_sys::Win32::Storage::FileSystem::STORAGE_BUS_TYPE> {
    use windows_sys::Win32::System::Ioctl::{
        PropertyStandardQuery, StorageDeviceProperty, IOCTL_STORAGE_QUERY_PROPERTY, STORAGE_DEVICE_DESCRIPTOR,
        STORAGE_PROPERTY_QUERY,
    };
    use windows_sys::Win32::System::IO::DeviceIoControl;
    let query = STORAGE_PROPERTY_QUERY {
        PropertyId: StorageDeviceProperty,
        QueryType: PropertyStandardQuery,
        ..STORAGE_PROPERTY_QUERY::default()
    };
    let mut descriptor = STORAGE_DEVICE_DESCRIPTOR::default();
    let mut returned = 0u32;
    let size = |n: usize| u32::try_from(n).unwrap_or(0);
    // SAFETY: an open handle, a query and a descriptor alive for the call with their true sizes,
    // no overlapped I/O (the handle is synchronous).
    let ok = unsafe {
        DeviceIoControl(
            volume.as_raw_handle(),
            IOCTL_STORAGE_QUERY_PROPERTY,
            std::ptr::from_ref(&query).cast(),
            size(std::mem::size_of::<STORAGE_PROPERTY_QUERY>()),
            std::ptr::from_mut(&mut descriptor).cast(),
            size(std::mem::size_of::<STORAGE_DEVICE_DESCRIPTOR>()),
            &mut returned,
            std::ptr::null_mut(),
        )
    };
    let filled = std::mem::offset_of!(STORAGE_DEVICE_DESCRIPTOR, BusType) + std::mem::size_of_val(&descriptor.BusType);
    (ok != 0 && returned as usize >= filled).then_some(descriptor.BusType)
}

/// No sandbox yet: the worker's deadline stands alone.
pub fn confine() -> io::Result<()> {
    Ok(())
}

/// Nothing to do in the worker: the parent put it in a Job Object with its memory limit
/// ([`spawn_worker`]).
pub fn limit_memory(_bytes: u64) -> io::Result<()> {
    Ok(())
}

/// The heap returns memory on its own.
pub fn return_free_memory() {}

/// Not known here: the settling delay and the liveness check stand alone.
pub fn unacknowledged_bytes(_stream: &std::net::TcpStream) -> u64 {
    0
}

/// Nothing to tell: the service reports `Running` as soon as it starts, because it accepts Stop
/// during its baseline walk (which may take longer than the service manager waits for a start).
pub fn service_ready() {}

/// Tells the service manager, when running as the service, that the agent is stopping (it is
/// flushing its sinks); nothing from a console.
pub fn service_stopping() {
    service::report_stopping(2);
}

/// No watchdog.
pub fn watchdog_interval() -> Option<Duration> {
    None
}

/// No watchdog.
pub fn watchdog_ping() {}

/// dlp-agent as a Windows service (`windows-service`): the dispatcher on the main thread, the
/// agent on the service's thread, a control handler that turns Stop, Preshutdown and Shutdown
/// into the agent's stop flag (it then finishes its batch, says `stopped` and flushes its sinks
/// and state) and ParamChange into a reload.
mod service {
    use std::ffi::OsString;
    use std::process::ExitCode;
    use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};
    use std::sync::{Arc, Mutex, MutexGuard, OnceLock, PoisonError};
    use std::time::Duration;

    use windows_service::service::{
        ServiceControl, ServiceControlAccept, ServiceExitCode, ServiceState, ServiceStatus, ServiceType,
    };
    use windows_service::service_control_handler::{self, ServiceControlHandlerResult, ServiceStatusHandle};
    use windows_service::{define_windows_service, service_dispatcher};

    /// The argument the service is registered with.
    pub(super) const FLAG: &str = "--service";
    /// The service's name, as the MSI installs it.
    const NAME: &str = "dlp-agent";
    /// How long stopping may take: the current file, the `stopped` event, the sinks' flush.
    const STOP_WAIT: Duration = Duration::from_secs(30);

    type Agent = Box<dyn FnOnce() -> u8 + Send>;

    /// The agent to run on the service's thread, put here before the dispatcher starts.
    static AGENT: Mutex<Option<Agent>> = Mutex::new(None);
    /// The agent's exit status, for the process's.
    static STATUS: AtomicU8 = AtomicU8::new(0);
    /// Where status reports go, once the control handler is registered.
    static HANDLE: OnceLock<StatusHandle> = OnceLock::new();
    /// The agent's stop and reload flags, and a stop asked for before they were set.
    static FLAGS: Mutex<Flags> = Mutex::new(Flags { stop_asked: false, stop: None, reload: None });

    struct Flags {
        stop_asked: bool,
        stop: Option<Arc<AtomicBool>>,
        reload: Option<Arc<AtomicBool>>,
    }

    /// A status handle the control handler and the agent's thread both report through.
    struct StatusHandle(ServiceStatusHandle);

    // SAFETY: a service status handle is a token the service manager hands out for the life of
    // the service; SetServiceStatus may be called with it from any thread.
    #[allow(unsafe_code, reason = "the handle wraps a raw pointer, so it is not Send or Sync by itself")]
    unsafe impl Send for StatusHandle {}
    #[allow(unsafe_code, reason = "the handle wraps a raw pointer, so it is not Send or Sync by itself")]
    unsafe impl Sync for StatusHandle {}

    fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
        mutex.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Hands `agent` to the service manager's dispatcher and returns its exit status once the
    /// service has stopped; 2 when the dispatcher cannot start (not started by the service
    /// manager).
    pub(super) fn run(agent: Agent) -> ExitCode {
        *lock(&AGENT) = Some(agent);
        match service_dispatcher::start(NAME, ffi_service_main) {
            Ok(()) => ExitCode::from(STATUS.load(Ordering::SeqCst)),
            Err(e) => {
                tracing::error!(error = %e, "--service: not started by the service manager");
                ExitCode::from(2)
            }
        }
    }

    define_windows_service!(ffi_service_main, service_main);

    /// The service's main, on the thread the dispatcher starts: register, report `Running`, run
    /// the agent, report `Stopped` with its status (service-specific code when not 0).
    fn service_main(_start_arguments: Vec<OsString>) {
        let Some(agent) = lock(&AGENT).take() else { return };
        match service_control_handler::register(NAME, on_control) {
            Ok(handle) => {
                let _ = HANDLE.set(StatusHandle(handle));
            }
            Err(e) => {
                tracing::error!(error = %e, "registering the service control handler");
                STATUS.store(2, Ordering::SeqCst);
                return;
            }
        }
        let accepted = ServiceControlAccept::STOP
            | ServiceControlAccept::PRESHUTDOWN
            | ServiceControlAccept::SHUTDOWN
            | ServiceControlAccept::PARAM_CHANGE;
        report(ServiceState::Running, accepted, ServiceExitCode::NO_ERROR, 0, Duration::ZERO);
        let status = agent();
        STATUS.store(status, Ordering::SeqCst);
        let exit_code = match status {
            0 => ServiceExitCode::NO_ERROR,
            other => ServiceExitCode::ServiceSpecific(u32::from(other)),
        };
        report(ServiceState::Stopped, ServiceControlAccept::empty(), exit_code, 0, Duration::ZERO);
    }

    /// Called by the service manager on its own thread for each control.
    fn on_control(control: ServiceControl) -> ServiceControlHandlerResult {
        match control {
            ServiceControl::Stop | ServiceControl::Preshutdown | ServiceControl::Shutdown => {
                let mut flags = lock(&FLAGS);
                flags.stop_asked = true;
                if let Some(stop) = &flags.stop {
                    stop.store(true, Ordering::SeqCst);
                }
                drop(flags);
                report_stopping(1);
                ServiceControlHandlerResult::NoError
            }
            ServiceControl::ParamChange => {
                if let Some(reload) = &lock(&FLAGS).reload {
                    reload.store(true, Ordering::SeqCst);
                }
                ServiceControlHandlerResult::NoError
            }
            ServiceControl::Interrogate => ServiceControlHandlerResult::NoError,
            _ => ServiceControlHandlerResult::NotImplemented,
        }
    }

    /// Gives the control handler the agent's flags; a stop asked for while the agent was
    /// starting is passed on at once.
    pub(super) fn set_flags(stop: &Arc<AtomicBool>, reload: &Arc<AtomicBool>) {
        let mut flags = lock(&FLAGS);
        if flags.stop_asked {
            stop.store(true, Ordering::SeqCst);
        }
        flags.stop = Some(stop.clone());
        flags.reload = Some(reload.clone());
    }

    /// Reports `StopPending` at step `checkpoint` when running as the service.
    pub(super) fn report_stopping(checkpoint: u32) {
        report(
            ServiceState::StopPending,
            ServiceControlAccept::empty(),
            ServiceExitCode::NO_ERROR,
            checkpoint,
            STOP_WAIT,
        );
    }

    fn report(
        state: ServiceState,
        accepted: ServiceControlAccept,
        exit_code: ServiceExitCode,
        checkpoint: u32,
        wait_hint: Duration,
    ) {
        let Some(StatusHandle(handle)) = HANDLE.get() else { return };
        let status = ServiceStatus {
            service_type: ServiceType::OWN_PROCESS,
            current_state: state,
            controls_accepted: accepted,
            exit_code,
            checkpoint,
            wait_hint,
            process_id: None,
        };
        if let Err(e) = handle.set_service_status(status) {
            tracing::warn!(error = %e, ?state, "reporting the service's status");
        }
    }
}

/// Windows has no memory-only file descriptor (`memfd_create`), and standard input must not be
/// copied to a disk to be read: scanning it is not offered here.
pub fn memory_file() -> io::Result<File> {
    Err(io::Error::new(io::ErrorKind::Unsupported, "standard input cannot be scanned on Windows"))
}
