//! The only place dlp-scan opens files.
//!
//! Files to scan are opened read-only, never locked, never written, with `O_NOATIME` where the
//! kernel allows it (owner or `CAP_FOWNER`), so a scan leaves access times as they were; and with
//! `O_NONBLOCK` so that a path swapped for a FIFO between listing and opening cannot hang a worker.
//! After opening, the descriptor itself is checked to be a regular file.
//!
//! Small text files of our own (configuration, detector files, keys) are read with a size cap.

use std::fs::{File, Metadata, OpenOptions};
use std::io::{self, Read};
use std::path::Path;

/// Largest configuration, detector or key file read.
const MAX_SMALL_FILE: u64 = 4 << 20;

/// Opens a file to scan: read-only, no access-time update where permitted, never blocking.
/// Returns the file and the metadata of the opened descriptor; errors if it is not a regular file.
pub fn open_for_scan(path: &Path) -> io::Result<(File, Metadata)> {
    let file = match open_read_only(path, true) {
        // O_NOATIME is refused (EPERM) for files we do not own unless we have CAP_FOWNER.
        Err(e) if e.raw_os_error() == Some(libc::EPERM) => open_read_only(path, false)?,
        other => other?,
    };
    let meta = file.metadata()?;
    if !meta.file_type().is_file() {
        return Err(io::Error::new(io::ErrorKind::InvalidInput, "not a regular file when opened"));
    }
    Ok((file, meta))
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

/// The process's effective user id, from the owner of `/proc/self` (which avoids an unsafe
/// `geteuid` call); `None` where there is no `/proc`.
pub fn effective_uid() -> Option<u32> {
    #[cfg(target_os = "linux")]
    {
        use std::os::unix::fs::MetadataExt;
        std::fs::metadata("/proc/self").ok().map(|m| m.uid())
    }
    #[cfg(not(target_os = "linux"))]
    None
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
