//! The Unix systems other than Linux (macOS first): what they lack of Linux (`openat2`,
//! `O_NOATIME`, mount ids, seccomp, `malloc_trim`, `SIOCOUTQ`, systemd) is done without, and
//! defaults follow macOS (`/Library/Application Support/dlp-scan`).

use std::os::fd::OwnedFd;
use std::path::{Path, PathBuf};
use std::time::Duration;

use rustix::fs::OFlags;

use super::{ClientSettings, FolderIdentity};

use super::unix::RootDir;

/// There is no flag to leave the access time alone.
pub(super) fn no_atime() -> OFlags {
    OFlags::empty()
}

/// There is no `O_PATH`: a folder on the way to a file is opened read-only (the agent runs as
/// root).
pub(super) fn folder_only() -> OFlags {
    OFlags::RDONLY
}

/// There is no `MSG_NOSIGNAL`: Rust programs ignore SIGPIPE, so a request to a worker that is
/// gone fails with `EPIPE` instead.
pub(super) fn send_flags() -> rustix::net::SendFlags {
    rustix::net::SendFlags::empty()
}

/// There is no `MSG_CMSG_CLOEXEC`: a worker runs no other program, so a received descriptor
/// cannot leak through an exec.
pub(super) fn receive_flags() -> rustix::net::RecvFlags {
    rustix::net::RecvFlags::empty()
}

/// Resolves `relative` below `root` with one `openat(O_NOFOLLOW)` per component.
pub(super) fn resolve_beneath(root: &RootDir, relative: &Path, flags: OFlags) -> rustix::io::Result<OwnedFd> {
    root.resolve_by_components(relative, flags)
}

/// The identity of the folder at `path`, following links: device and inode (no mount id here).
pub fn folder_identity(path: &Path) -> Option<FolderIdentity> {
    use std::os::unix::fs::MetadataExt;
    let meta = std::fs::metadata(path).ok().filter(std::fs::Metadata::is_dir)?;
    Some((meta.dev(), meta.ino(), 0))
}

/// The folder for the system's files of ours.
const SYSTEM_DIR: &str = "/Library/Application Support/dlp-scan";

/// dlp-scan's own state folder: `/Library/Application Support/dlp-scan` for root, otherwise
/// `~/Library/Application Support/dlp-scan`.
pub fn default_state_dir() -> Option<PathBuf> {
    if super::system_wide() {
        return Some(PathBuf::from(SYSTEM_DIR));
    }
    super::user_home().map(|h| h.join("Library/Application Support/dlp-scan"))
}

/// The folder for the agent's default event file: `/Library/Logs/dlp-scan` for root, otherwise
/// the state folder.
pub fn default_log_dir() -> Option<PathBuf> {
    if super::system_wide() {
        return Some(PathBuf::from("/Library/Logs/dlp-scan"));
    }
    default_state_dir()
}

/// The agent's configuration file.
pub fn system_config() -> PathBuf {
    Path::new(SYSTEM_DIR).join("config.toml")
}

/// Every user's home folder (the agent's default roots when it runs as root).
pub fn all_homes() -> Vec<PathBuf> {
    super::subfolders(Path::new("/Users"))
}

/// Where sync clients keep their settings, relative to a home folder: Dropbox's `info.json`,
/// OneDrive's settings (the App Store client's container, or the standalone client's), the
/// File Provider folders (`~/Library/CloudStorage`: OneDrive, Google Drive, Box, Dropbox),
/// iCloud Drive, and the Nextcloud and ownCloud clients' configuration.
pub const CLIENT_SETTINGS: &[(&str, ClientSettings)] = &[
    (".dropbox/info.json", ClientSettings::DropboxInfo),
    ("Library/Application Support/Dropbox/info.json", ClientSettings::DropboxInfo),
    (
        "Library/Containers/com.microsoft.OneDrive-mac/Data/Library/Application Support/OneDrive/settings",
        ClientSettings::OneDriveSettings,
    ),
    ("Library/Application Support/OneDrive/settings", ClientSettings::OneDriveSettings),
    ("Library/CloudStorage", ClientSettings::CloudStorage),
    ("Library/Mobile Documents/com~apple~CloudDocs", ClientSettings::SyncFolder),
    ("Library/Preferences/Nextcloud/nextcloud.cfg", ClientSettings::NextcloudConfig("nextcloud")),
    ("Library/Preferences/ownCloud/owncloud.cfg", ClientSettings::NextcloudConfig("owncloud")),
];

/// The volumes mounted under `/Volumes` (external disks, USB sticks, memory cards, disk images),
/// except the links there (`Macintosh HD` links to `/`) and hidden entries (`.timemachine`, Time
/// Machine's snapshots). Not asked of Disk Arbitration, so a network share mounted there counts
/// too.
pub fn removable_volumes() -> Vec<PathBuf> {
    super::subfolders(Path::new("/Volumes"))
        .into_iter()
        .filter(|v| v.file_name().is_some_and(|n| !n.as_encoded_bytes().starts_with(b".")))
        .collect()
}

/// Not read: FileVault and APFS volume encryption are known to Disk Arbitration and `diskutil`,
/// which this build does not ask.
pub fn encrypted_volumes() -> Vec<(PathBuf, &'static str)> {
    Vec::new()
}

/// No system-call filter yet (the worker keeps its memory limit and deadline).
pub fn confine() -> std::io::Result<()> {
    Ok(())
}

/// No address-space limit: macOS does not enforce `RLIMIT_AS`; the worker's deadline stands alone.
pub fn limit_memory(_bytes: u64) -> std::io::Result<()> {
    Ok(())
}

/// The C library keeps its own policy.
pub fn return_free_memory() {}

/// Not known here: the settling delay and the liveness check stand alone.
pub fn unacknowledged_bytes(_stream: &std::net::TcpStream) -> u64 {
    0
}

/// launchd has no readiness message.
pub fn service_ready() {}

/// launchd has no stopping message.
pub fn service_stopping() {}

/// launchd has no watchdog.
pub fn watchdog_interval() -> Option<Duration> {
    None
}

/// launchd has no watchdog.
pub fn watchdog_ping() {}

/// macOS has no memory-only file (`memfd_create`), and standard input must not be copied to a
/// disk to be read: scanning it is not offered here.
pub fn memory_file() -> std::io::Result<std::fs::File> {
    Err(std::io::Error::new(std::io::ErrorKind::Unsupported, "standard input cannot be scanned on macOS"))
}
