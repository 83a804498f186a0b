//! Everything that differs between operating systems, in one place: one file per system, each
//! offering the same names, so the rest of the crate has no `cfg` of its own.
//!
//! - `unix.rs`: what Linux and macOS share (folders opened below a root with `openat`,
//!   descriptors handed to workers with `SCM_RIGHTS`, file modes, paths as bytes).
//! - `linux.rs`: Linux only (`openat2`, `statx` mount ids, `O_NOATIME`, seccomp and
//!   capabilities, `setrlimit`, `malloc_trim`, `SIOCOUTQ`, systemd notify, `/etc` and `/var`).
//! - `macos.rs`: the other Unix systems (macOS first): what Linux has and they lack, done
//!   without, and their default paths.
//! - `windows.rs`: Windows (files opened sharing read, write and delete, identity from
//!   `GetFileInformationByHandle`, handles duplicated into workers held in Job Objects, access
//!   lists for our own files, the agent as a service, `%ProgramData%`).
//!
//! What each item does is documented where it is defined, once per system; the few items all
//! systems share (what a file's and a folder's identity are) are defined here.

#[cfg(target_os = "linux")]
mod linux;
#[cfg(all(unix, not(target_os = "linux")))]
mod macos;
#[cfg(unix)]
mod unix;
#[cfg(windows)]
mod windows;

#[cfg(target_os = "linux")]
pub use linux::*;
#[cfg(all(unix, not(target_os = "linux")))]
pub use macos::*;
#[cfg(unix)]
pub use unix::*;
#[cfg(windows)]
pub use windows::*;

use std::path::{Path, PathBuf};

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
    /// The modification time.
    pub fn modified(&self) -> std::time::SystemTime {
        std::time::UNIX_EPOCH + std::time::Duration::from_nanos(u64::try_from(self.mtime_ns).unwrap_or(0))
    }
}

/// Which folder a path is now: device, inode and the id of the mount it is on. A volume
/// unmounted and mounted again at the same place can get the same device and inode numbers;
/// the mount id differs (Linux 6.8+ gives ids never reused; before that, an id can come back).
pub type FolderIdentity = (u64, u64, u64);

/// The folders directly in `parent` (none when it cannot be read).
pub fn subfolders(parent: &Path) -> Vec<PathBuf> {
    std::fs::read_dir(parent)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
                .map(|e| e.path())
                .collect()
        })
        .unwrap_or_default()
}

/// A kind of sync-client settings, found at a path the system's table ([`CLIENT_SETTINGS`])
/// gives relative to a home folder; `locate` reads and parses each kind the same way on every
/// system.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientSettings {
    /// Dropbox's `info.json`: the `path` of each account.
    DropboxInfo,
    /// The Linux OneDrive client's `config`: `sync_dir`.
    OneDriveLinuxConfig,
    /// The OneDrive client's `settings` folder (Windows, macOS): `Personal` and `Business1`..
    /// hold `global.ini` (`cid`) and `<cid>.ini` (the account's synced libraries).
    OneDriveSettings,
    /// A Nextcloud or ownCloud desktop client's `.cfg` (`localPath`), with the provider's name.
    NextcloudConfig(&'static str),
    /// Google Drive for desktop's own folder (Windows `%LOCALAPPDATA%\Google\DriveFS`): the
    /// client is installed, so its drive (the registry's mount point, else `G:`) is a sync root.
    DriveFs,
    /// A folder whose entries are sync roots named by their provider (macOS
    /// `~/Library/CloudStorage`: `OneDrive-<Organisation>`, `GoogleDrive-<account>`, `Box-Box`).
    CloudStorage,
    /// A client's standard sync folder (iCloud Drive, Box): a root when it exists, its kind by
    /// its name.
    SyncFolder,
}

/// A OneDrive account as the client records it in the user's registry hive (Windows):
/// `Software\Microsoft\OneDrive\Accounts\<account>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedOneDrive {
    /// The key's name: `Personal`, `Business1`, `Business2`, ...
    pub account: String,
    /// `UserFolder`: the account's sync root.
    pub folder: PathBuf,
    /// `DisplayName`: the organisation's name (business accounts).
    pub organisation: Option<String>,
    /// `ConfiguredTenantId`: the organisation's tenant id (business accounts).
    pub tenant_id: Option<String>,
}

/// What sync clients record for a user in the system's own settings store (the Windows
/// registry; nothing on other systems).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RecordedSettings {
    /// OneDrive's accounts.
    pub onedrive: Vec<RecordedOneDrive>,
    /// Google Drive for desktop's `DefaultMountPoint` (a drive letter or a folder).
    pub google_drive_mount: Option<String>,
    /// Google Drive for desktop's `PerAccountPreferences` (JSON: each account's
    /// `mount_point_path`).
    pub google_drive_accounts: Option<String>,
}

/// This machine's host name: the kernel's (Linux), else `COMPUTERNAME` (Windows) or `HOSTNAME`
/// from the environment, else `unknown`.
pub fn host_name() -> String {
    let from_kernel = std::fs::read_to_string("/proc/sys/kernel/hostname").ok();
    let from_env = || std::env::var("COMPUTERNAME").or_else(|_| std::env::var("HOSTNAME")).ok();
    from_kernel
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .or_else(from_env)
        .unwrap_or_else(|| "unknown".to_string())
}
