//! Linux only: `openat2`, `statx` mount ids, `O_NOATIME`, the parser workers' confinement
//! (capabilities, `no_new_privs`, seccomp via seccompiler) and address-space limit, `malloc_trim`,
//! `SIOCOUTQ`, systemd readiness and watchdog (sd-notify), and the FHS paths.

use std::os::fd::OwnedFd;
use std::path::{Path, PathBuf};
use std::time::Duration;

use rustix::fs::OFlags;

use super::{ClientSettings, FolderIdentity};

use super::unix::RootDir;

/// `O_NOATIME`: reading leaves the access time as it was (refused with `EPERM` for files we do
/// not own unless we have `CAP_FOWNER`; callers then open without it).
pub(super) fn no_atime() -> OFlags {
    OFlags::NOATIME
}

/// Opens a folder on the way to a file as a place in the tree only (`O_PATH`): no permission to
/// read it is needed.
pub(super) fn folder_only() -> OFlags {
    OFlags::PATH
}

/// A request to a worker never raises SIGPIPE when the worker is gone (`MSG_NOSIGNAL`).
pub(super) fn send_flags() -> rustix::net::SendFlags {
    rustix::net::SendFlags::NOSIGNAL
}

/// A received descriptor is closed on exec (`MSG_CMSG_CLOEXEC`).
pub(super) fn receive_flags() -> rustix::net::RecvFlags {
    rustix::net::RecvFlags::CMSG_CLOEXEC
}

/// Resolves `relative` below `root` with no symbolic link: one `openat2` with
/// `RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS`, or one `openat(O_NOFOLLOW)` per component on kernels
/// before 5.6.
pub(super) fn resolve_beneath(root: &RootDir, relative: &Path, flags: OFlags) -> rustix::io::Result<OwnedFd> {
    use rustix::fs::{Mode, ResolveFlags};
    let mut resolve = ResolveFlags::BENEATH | ResolveFlags::NO_SYMLINKS | ResolveFlags::NO_MAGICLINKS;
    if root.one_file_system() {
        resolve |= ResolveFlags::NO_XDEV;
    }
    // EAGAIN: a rename elsewhere raced the look-up; the kernel asks for a retry.
    for _ in 0..3 {
        match rustix::fs::openat2(root.dir(), relative, flags, Mode::empty(), resolve) {
            Err(rustix::io::Errno::AGAIN) => continue,
            Err(rustix::io::Errno::NOSYS) => return root.resolve_by_components(relative, flags),
            other => return other,
        }
    }
    Err(rustix::io::Errno::AGAIN)
}

/// The identity of the folder at `path`, following links (a configured root may be one), with
/// the id of the mount it is on; `None` when it is not a folder.
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

/// dlp-scan's own state folder: `/var/lib/dlp-scan` for root, otherwise
/// `$XDG_DATA_HOME/dlp-scan` (`~/.local/share/dlp-scan`).
pub fn default_state_dir() -> Option<PathBuf> {
    if super::system_wide() {
        return Some(PathBuf::from("/var/lib/dlp-scan"));
    }
    let data_home = std::env::var_os("XDG_DATA_HOME")
        .map(PathBuf::from)
        .or_else(|| super::user_home().map(|h| h.join(".local/share")))?;
    Some(data_home.join("dlp-scan"))
}

/// The folder for the agent's default event file: `/var/log/dlp-scan` for root, otherwise the
/// state folder.
pub fn default_log_dir() -> Option<PathBuf> {
    if super::system_wide() {
        return Some(PathBuf::from("/var/log/dlp-scan"));
    }
    default_state_dir()
}

/// The agent's configuration file.
pub fn system_config() -> PathBuf {
    PathBuf::from("/etc/dlp-scan/config.toml")
}

/// Where sync clients keep their settings, relative to a home folder.
pub const CLIENT_SETTINGS: &[(&str, ClientSettings)] = &[
    (".dropbox/info.json", ClientSettings::DropboxInfo),
    (".config/onedrive/config", ClientSettings::OneDriveLinuxConfig),
    (".config/Nextcloud/nextcloud.cfg", ClientSettings::NextcloudConfig("nextcloud")),
    (".config/ownCloud/owncloud.cfg", ClientSettings::NextcloudConfig("owncloud")),
];

/// Every user's home folder (the agent's default roots when it runs as root).
pub fn all_homes() -> Vec<PathBuf> {
    let mut homes = super::subfolders(Path::new("/home"));
    homes.push(PathBuf::from("/root"));
    homes
}

/// One line of the mount table: where, what file system, from which device.
struct Mount {
    point: PathBuf,
    fs_type: String,
    device: Option<String>,
}

fn mounts() -> Vec<Mount> {
    let Ok(table) = std::fs::read_to_string("/proc/self/mountinfo") else {
        return Vec::new();
    };
    table
        .lines()
        .filter_map(|line| {
            // id parent major:minor root mount-point options ... - fstype source options
            let fields: Vec<&str> = line.split(' ').collect();
            let dash = fields.iter().position(|f| *f == "-")?;
            let device = fields.get(dash + 2)?.strip_prefix("/dev/").map(|d| {
                // /dev/mapper/<name> links to ../dm-N.
                std::fs::canonicalize(Path::new("/dev").join(d))
                    .ok()
                    .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
                    .unwrap_or_else(|| d.to_string())
            });
            Some(Mount {
                point: PathBuf::from(unescape_mount(fields.get(4)?)),
                fs_type: fields.get(dash + 1)?.to_string(),
                device,
            })
        })
        .collect()
}

/// Mount points of removable volumes now (USB sticks, memory cards), from the mount table
/// (`/proc/self/mountinfo`): block devices on a USB bus or flagged removable.
pub fn removable_volumes() -> Vec<PathBuf> {
    mounts()
        .into_iter()
        .filter(|m| m.device.as_deref().is_some_and(block_device_is_removable))
        .map(|m| m.point)
        .collect()
}

/// Mount points of encrypted volumes and their scheme: dm-crypt devices (LUKS, BitLocker,
/// VeraCrypt, plain) and encrypting file systems.
pub fn encrypted_volumes() -> Vec<(PathBuf, &'static str)> {
    mounts()
        .into_iter()
        .filter_map(|m| {
            let by_fs = match m.fs_type.as_str() {
                "ecryptfs" => Some("ecryptfs"),
                "fuse.gocryptfs" => Some("gocryptfs"),
                "fuse.cryfs" => Some("cryfs"),
                "fuse.encfs" => Some("encfs"),
                _ => None,
            };
            let by_device = m.device.as_deref().and_then(|d| {
                let uuid = std::fs::read_to_string(Path::new("/sys/block").join(d).join("dm/uuid")).ok()?;
                dm_crypt_scheme(&uuid)
            });
            by_fs.or(by_device).map(|scheme| (m.point, scheme))
        })
        .collect()
}

/// The scheme named by a device-mapper uuid (`CRYPT-LUKS2-<uuid>-<name>`).
fn dm_crypt_scheme(uuid: &str) -> Option<&'static str> {
    let kind = uuid.trim().strip_prefix("CRYPT-")?;
    Some(match kind.split('-').next()? {
        "LUKS1" | "LUKS2" => "luks",
        "BITLK" => "bitlocker",
        "TCRYPT" => "veracrypt",
        _ => "dm-crypt",
    })
}

/// `/sys/block/<disk>` resolves to a path through `/usb` for USB storage; `removable` is 1 for
/// sticks and card readers.
fn block_device_is_removable(device: &str) -> bool {
    // An encrypted volume (dm-N) is removable when the disk under it is.
    if device.starts_with("dm-") {
        let slaves = Path::new("/sys/block").join(device).join("slaves");
        return std::fs::read_dir(slaves)
            .map(|entries| entries.flatten().any(|e| block_device_is_removable(&e.file_name().to_string_lossy())))
            .unwrap_or(false);
    }
    let disk: String = device.trim_end_matches(|c: char| c.is_ascii_digit()).trim_end_matches('p').to_string();
    let sys = Path::new("/sys/block").join(&disk);
    let on_usb = std::fs::canonicalize(&sys).is_ok_and(|p| p.to_string_lossy().contains("/usb"));
    let flagged = std::fs::read_to_string(sys.join("removable")).is_ok_and(|s| s.trim() == "1");
    on_usb || flagged
}

/// Mount points escape spaces and other characters as octal (`\040`).
fn unescape_mount(field: &str) -> String {
    let bytes = field.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'\\' && i + 4 <= bytes.len() && bytes[i + 1..i + 4].iter().all(|b| (b'0'..=b'7').contains(b)) {
            let value = (bytes[i + 1] - b'0') * 64 + (bytes[i + 2] - b'0') * 8 + (bytes[i + 3] - b'0');
            out.push(value);
            i += 4;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Drops capabilities, sets `no_new_privs` and installs the system-call filter for this process
/// (every thread). Call once, after the worker has everything it needs from the file system.
///
/// A worker parses crafted documents, so it is treated as compromised from its first read: it
/// keeps only what it was handed (the descriptors of the files it is given, its pipes) and can
/// reach nothing else. The agent runs with `CAP_DAC_READ_SEARCH`; a worker must not. Under the
/// seccomp filter (compiled by `seccompiler`) opening a file by path or handle, making a
/// socket, running a program, tracing another process, io_uring, and changing the file system
/// fail with `EPERM`. Denying a list rather than allowing one keeps the allocator, threads and
/// clocks working whatever libc does; the list is what a parser needs never.
///
/// Errors: the kernel refused one of the steps (then the worker must not serve).
pub fn confine() -> std::io::Result<()> {
    use rustix::thread::{CapabilitySet, CapabilitySets};
    let none = CapabilitySets {
        effective: CapabilitySet::empty(),
        permitted: CapabilitySet::empty(),
        inheritable: CapabilitySet::empty(),
    };
    // Clearing the permitted set also clears the ambient set the service manager granted.
    rustix::thread::set_capabilities(None, none)?;
    rustix::thread::set_no_new_privs(true)?;
    let filter = denied_calls_filter()?;
    seccompiler::apply_filter_all_threads(&filter).map_err(std::io::Error::other)
}

/// Limits this worker's address space, so that a runaway allocation aborts it (and costs one
/// file) instead of exhausting the machine.
#[allow(unsafe_code, reason = "setrlimit has no safe wrapper in std or libc")]
pub fn limit_memory(bytes: u64) -> std::io::Result<()> {
    let limit = libc::rlimit { rlim_cur: bytes as libc::rlim_t, rlim_max: bytes as libc::rlim_t };
    // SAFETY: setrlimit reads a fully initialised struct and changes only this process's limits.
    let rc = unsafe { libc::setrlimit(libc::RLIMIT_AS, &limit) };
    if rc == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
}

/// Hands the heap memory freed by a burst of work back to the system.
///
/// glibc keeps freed memory in its arenas for reuse; after a baseline of 100,000 files that was
/// about 38 MB of a 63 MB resident set, idle. `malloc_trim` returns it; a later burst allocates
/// it again. A no-op with other C libraries.
pub fn return_free_memory() {
    #[cfg(target_env = "gnu")]
    malloc_trim();
}

#[cfg(target_env = "gnu")]
#[allow(unsafe_code, reason = "malloc_trim has no safe wrapper in std or libc")]
fn malloc_trim() {
    // SAFETY: malloc_trim takes no pointers and only releases memory glibc holds as free.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// Bytes written to the socket that the peer has not acknowledged (`SIOCOUTQ`); 0 when unknown.
#[allow(unsafe_code, reason = "SIOCOUTQ has no safe wrapper in std or libc")]
pub fn unacknowledged_bytes(stream: &std::net::TcpStream) -> u64 {
    use std::os::fd::AsRawFd;
    let mut pending: libc::c_int = 0;
    // SAFETY: a valid socket descriptor borrowed from `stream`, and a pointer to a c_int, which
    // is what SIOCOUTQ (same number as TIOCOUTQ) writes.
    let rc = unsafe { libc::ioctl(stream.as_raw_fd(), libc::TIOCOUTQ, &mut pending) };
    if rc == 0 {
        u64::try_from(pending).unwrap_or(0)
    } else {
        0
    }
}

/// Tells systemd (`Type=notify`) the service is ready.
pub fn service_ready() {
    let _ = sd_notify::notify(&[sd_notify::NotifyState::Ready]);
}

/// Tells systemd the service is stopping.
pub fn service_stopping() {
    let _ = sd_notify::notify(&[sd_notify::NotifyState::Stopping]);
}

/// The watchdog interval systemd set (`WatchdogSec=`), if any.
pub fn watchdog_interval() -> Option<Duration> {
    sd_notify::watchdog_enabled()
}

/// Pings systemd's watchdog.
pub fn watchdog_ping() {
    let _ = sd_notify::notify(&[sd_notify::NotifyState::Watchdog]);
}

fn denied_calls_filter() -> std::io::Result<seccompiler::BpfProgram> {
    use seccompiler::{SeccompAction, SeccompFilter, TargetArch};
    let arch = TargetArch::try_from(std::env::consts::ARCH).map_err(std::io::Error::other)?;
    let rules = denied_calls().into_iter().map(|call| (call, Vec::new())).collect();
    let filter = SeccompFilter::new(rules, SeccompAction::Allow, SeccompAction::Errno(libc::EPERM as u32), arch)
        .map_err(std::io::Error::other)?;
    filter.try_into().map_err(std::io::Error::other)
}

/// System calls a parser never needs: they could reach files, the network, other programs or
/// other processes. (Reading a descriptor it holds, memory, threads and time stay allowed.)
fn denied_calls() -> Vec<i64> {
    let mut calls = vec![
        // Files by path or by handle (the handle calls bypass permissions with CAP_DAC_READ_SEARCH).
        libc::SYS_openat,
        libc::SYS_openat2,
        libc::SYS_open_by_handle_at,
        libc::SYS_name_to_handle_at,
        // Changing the file system.
        libc::SYS_unlinkat,
        libc::SYS_renameat,
        libc::SYS_renameat2,
        libc::SYS_linkat,
        libc::SYS_symlinkat,
        libc::SYS_mkdirat,
        libc::SYS_mknodat,
        libc::SYS_fchmodat,
        libc::SYS_fchownat,
        libc::SYS_truncate,
        libc::SYS_mount,
        libc::SYS_umount2,
        libc::SYS_pivot_root,
        libc::SYS_chroot,
        // The network, and new sockets of any kind.
        libc::SYS_socket,
        libc::SYS_socketpair,
        libc::SYS_connect,
        libc::SYS_bind,
        libc::SYS_listen,
        libc::SYS_accept4,
        // Other programs and processes.
        libc::SYS_execve,
        libc::SYS_execveat,
        libc::SYS_ptrace,
        libc::SYS_process_vm_readv,
        libc::SYS_process_vm_writev,
        libc::SYS_unshare,
        libc::SYS_setns,
        // Interfaces that act on files or the kernel outside this filter's sight.
        libc::SYS_io_uring_setup,
        libc::SYS_io_uring_enter,
        libc::SYS_io_uring_register,
        libc::SYS_bpf,
        libc::SYS_perf_event_open,
        libc::SYS_userfaultfd,
        libc::SYS_keyctl,
        libc::SYS_add_key,
        libc::SYS_request_key,
    ];
    #[cfg(target_arch = "x86_64")]
    calls.extend([
        libc::SYS_open,
        libc::SYS_creat,
        libc::SYS_unlink,
        libc::SYS_rename,
        libc::SYS_link,
        libc::SYS_symlink,
        libc::SYS_mkdir,
        libc::SYS_rmdir,
        libc::SYS_mknod,
        libc::SYS_chmod,
        libc::SYS_chown,
        libc::SYS_lchown,
        libc::SYS_accept,
        libc::SYS_fork,
        libc::SYS_vfork,
    ]);
    calls
}

/// An empty file held in memory only (`memfd_create`), to hold what a pipe gave: bytes read from
/// standard input go through the same extraction as a file's, never to a disk.
pub fn memory_file() -> std::io::Result<std::fs::File> {
    let fd = rustix::fs::memfd_create("dlp-scan-stdin", rustix::fs::MemfdFlags::CLOEXEC)?;
    Ok(std::fs::File::from(fd))
}

#[cfg(test)]
mod tests {
    #[test]
    fn device_mapper_uuids_name_the_volume_encryption() {
        use super::dm_crypt_scheme;
        assert_eq!(dm_crypt_scheme("CRYPT-LUKS2-5f3c0000000000000000000000000000-luks-5f3c\n"), Some("luks"));
        assert_eq!(dm_crypt_scheme("CRYPT-BITLK-abc-usb"), Some("bitlocker"));
        assert_eq!(dm_crypt_scheme("CRYPT-TCRYPT-x"), Some("veracrypt"));
        assert_eq!(dm_crypt_scheme("LVM-abcdef"), None);
    }

    #[test]
    fn mount_points_are_unescaped() {
        assert_eq!(super::unescape_mount("/media/a/USB\\040STICK"), "/media/a/USB STICK");
    }

    use std::process::Command;

    /// Set in the child process that confines itself.
    const PROBE: &str = "DLP_SCAN_SANDBOX_PROBE";

    /// Runs `confined_process_cannot_open_connect_or_run` again in a child process of this test
    /// binary, where it confines itself and probes; the child prints a marker when every probe
    /// was refused, so a filter that matched no test cannot pass.
    #[test]
    fn a_confined_worker_cannot_open_a_file_make_a_socket_or_run_a_program() {
        let out = Command::new(std::env::current_exe().unwrap())
            .args(["--exact", "platform::linux::tests::confined_process_cannot_open_connect_or_run", "--nocapture"])
            .env(PROBE, "1")
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success(), "the confined child failed: {stdout}{}", String::from_utf8_lossy(&out.stderr));
        assert!(stdout.contains("every probe refused"), "the probe did not run: {stdout}");
    }

    /// The child half of the test above; does nothing unless started by it.
    #[test]
    fn confined_process_cannot_open_connect_or_run() {
        if std::env::var_os(PROBE).is_none() {
            return;
        }
        // Readable before: the filter, not permissions, must be what refuses it.
        let readable = std::env::current_exe().unwrap();
        assert!(std::fs::File::open(&readable).is_ok());
        super::confine().unwrap();
        let denied = |r: std::io::Result<()>| matches!(r, Err(e) if e.raw_os_error() == Some(libc::EPERM));
        assert!(denied(std::fs::File::open(&readable).map(drop)), "open by path");
        assert!(denied(std::net::TcpStream::connect("127.0.0.1:9").map(drop)), "TCP socket");
        assert!(denied(std::net::UdpSocket::bind("127.0.0.1:0").map(drop)), "UDP socket");
        assert!(denied(std::os::unix::net::UnixStream::connect("/run/x").map(drop)), "Unix socket");
        assert!(denied(std::fs::write("/tmp/dlp-scan-sandbox-probe", b"x")), "create a file");
        assert!(Command::new("/bin/true").status().is_err(), "run a program");
        let caps = rustix::thread::capabilities(None).unwrap();
        assert!(caps.effective.is_empty() && caps.permitted.is_empty(), "capabilities dropped");
        assert!(rustix::thread::no_new_privs().unwrap(), "no_new_privs set");
        // The parent looks for this line on the child's standard output.
        std::io::Write::write_all(&mut std::io::stdout(), b"every probe refused\n").unwrap();
    }
}
