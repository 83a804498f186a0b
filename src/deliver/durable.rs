//! How lines reach the disk, shared by the event file and the spool: whole lines only (an append
//! that fails, on a full disk for instance, is cut back to the length before it), and the one
//! fsync policy.

use std::fs::File;
use std::io::{self, Write};
use std::time::{Duration, Instant};

use serde::Deserialize;

/// How often written events are forced to the disk. A process crash loses nothing in any mode
/// (the kernel has the bytes); the policy decides what a power cut or kernel panic can lose.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FsyncPolicy {
    /// After every event: nothing lost, slowest.
    Always,
    /// At most one second after an event is written (the default).
    Interval,
    /// Left to the operating system.
    Never,
}

/// How long `Interval` lets written bytes wait.
pub const SYNC_INTERVAL: Duration = Duration::from_secs(1);

/// Applies an [`FsyncPolicy`] to one file.
#[derive(Debug)]
pub struct Syncer {
    policy: FsyncPolicy,
    dirty_since: Option<Instant>,
}

impl Syncer {
    /// A syncer with nothing unsynced.
    pub fn new(policy: FsyncPolicy) -> Syncer {
        Syncer { policy, dirty_since: None }
    }

    /// Call after writing to `file`.
    pub fn wrote(&mut self, file: &File) -> io::Result<()> {
        match self.policy {
            FsyncPolicy::Always => file.sync_data(),
            FsyncPolicy::Interval => {
                self.dirty_since.get_or_insert_with(Instant::now);
                self.tick(file)
            }
            FsyncPolicy::Never => Ok(()),
        }
    }

    /// Call periodically: syncs bytes that have waited for [`SYNC_INTERVAL`].
    pub fn tick(&mut self, file: &File) -> io::Result<()> {
        match self.dirty_since {
            Some(since) if since.elapsed() >= SYNC_INTERVAL => self.sync_now(file),
            _ => Ok(()),
        }
    }

    /// Call before closing or renaming `file`: syncs anything unsynced (unless the policy is `Never`).
    pub fn sync_now(&mut self, file: &File) -> io::Result<()> {
        if self.dirty_since.is_some() {
            file.sync_data()?;
            // Cleared only on success, so a failed sync is tried again.
            self.dirty_since = None;
        }
        Ok(())
    }
}

/// A file that lines are appended to, each whole or not at all, under an [`FsyncPolicy`].
#[derive(Debug)]
pub struct LineFile {
    /// Opened for appending.
    file: File,
    /// Bytes of complete lines: what the file is cut back to when an append fails.
    len: u64,
    /// A failed append could not be cut back yet; the next append tries first.
    torn: bool,
    syncer: Syncer,
}

impl LineFile {
    /// Wraps `file` (opened for appending, `len` bytes of complete lines long).
    pub fn new(file: File, len: u64, policy: FsyncPolicy) -> LineFile {
        LineFile { file, len, torn: false, syncer: Syncer::new(policy) }
    }

    /// Bytes of complete lines in the file.
    pub fn len(&self) -> u64 {
        self.len
    }

    /// True when the file holds no line.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Appends `line` and a newline in one write. On error (`ENOSPC`, `EDQUOT`, `EIO`) the file is
    /// cut back, so a reader never sees half a line, and the error is returned: the line is not in
    /// the file. A failed sync after a whole write is logged, not returned: the line is in the
    /// file and the next sync tries again.
    pub fn append(&mut self, line: &[u8]) -> io::Result<()> {
        if self.torn {
            self.file.set_len(self.len)?;
            self.torn = false;
        }
        let mut bytes = Vec::with_capacity(line.len() + 1);
        bytes.extend_from_slice(line);
        bytes.push(b'\n');
        if let Err(e) = self.file.write_all(&bytes) {
            // Shrinking needs no free space, so this fails only with the device itself.
            self.torn = self.file.set_len(self.len).is_err();
            return Err(e);
        }
        self.len += bytes.len() as u64;
        if let Err(e) = self.syncer.wrote(&self.file) {
            tracing::warn!(error = %e, "written events could not be forced to the disk");
        }
        Ok(())
    }

    /// Forces lines that have waited for the sync interval to the disk.
    pub fn tick(&mut self) -> io::Result<()> {
        self.syncer.tick(&self.file)
    }

    /// Forces everything written to the disk (before closing, renaming or rolling over).
    pub fn sync(&mut self) -> io::Result<()> {
        self.syncer.sync_now(&self.file)
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A 1 MiB tmpfs, unmounted when dropped: a disk that fills up. Mounting needs root.
    pub(crate) struct SmallDisk {
        dir: tempfile::TempDir,
    }

    impl SmallDisk {
        /// Mounts one, or says why not and returns `None` (the test is then skipped).
        #[allow(clippy::print_stderr, reason = "a skipped test says why")]
        pub(crate) fn mount() -> Option<SmallDisk> {
            let dir = tempfile::tempdir().ok()?;
            let mounted = std::process::Command::new("mount")
                .args(["-t", "tmpfs", "-o", "size=1m,mode=0700", "tmpfs"])
                .arg(dir.path())
                .stderr(std::process::Stdio::null())
                .status()
                .is_ok_and(|s| s.success());
            if !mounted {
                eprintln!("skipped: cannot mount a small tmpfs (needs root)");
                return None;
            }
            Some(SmallDisk { dir })
        }

        pub(crate) fn path(&self) -> &std::path::Path {
            self.dir.path()
        }

        /// Takes all free space with a filler file; `free` gives it back.
        pub(crate) fn fill(&self) {
            let mut filler = File::create(self.path().join("filler")).unwrap();
            let block = vec![0u8; 4096];
            while filler.write_all(&block).is_ok() {}
            // The last block may have been written in part; space for a line is still gone.
            while filler.write_all(&block[..1]).is_ok() {}
        }

        pub(crate) fn free(&self) {
            std::fs::remove_file(self.path().join("filler")).unwrap();
        }
    }

    impl Drop for SmallDisk {
        fn drop(&mut self) {
            let _ = std::process::Command::new("umount").arg(self.dir.path()).status();
        }
    }

    #[test]
    fn a_line_that_does_not_fit_on_the_disk_leaves_no_trace_and_writing_resumes() {
        let Some(disk) = SmallDisk::mount() else { return };
        let path = disk.path().join("events.jsonl");
        let file = std::fs::OpenOptions::new().create(true).append(true).open(&path).unwrap();
        let mut lines = LineFile::new(file, 0, FsyncPolicy::Always);
        lines.append(b"first").unwrap();
        disk.fill();
        let long = vec![b'x'; 64 << 10];
        let err = lines.append(&long).unwrap_err();
        assert_eq!(err.raw_os_error(), Some(28), "ENOSPC: {err}");
        assert_eq!(std::fs::read(&path).unwrap(), b"first\n", "no half line");
        disk.free();
        lines.append(b"second").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"first\nsecond\n");
    }
}
