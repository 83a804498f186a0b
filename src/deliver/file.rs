//! The event file: JSON Lines (or CEF lines) appended to a file that a shipper tails (Splunk's
//! forwarder, Elastic Agent, Fluent Bit, the Wazuh agent), rotated by size.
//!
//! Each event is one `write` of a whole line to a file opened for appending, so a tailer never
//! sees half a line; a write that fails (a full disk) is cut back and reported, and writing goes
//! on once there is space. Past `max_bytes` the file is renamed `NAME.1` (older ones shift up to
//! `NAME.<keep>`, the oldest is deleted) and a new file started, which is the rename rotation
//! every shipper follows. Durability follows the sink's [`FsyncPolicy`]. The file and its
//! rotated copies have the sink's mode (0600, or 0640 for a forwarder's group).

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use super::durable::{FsyncPolicy, LineFile};
use crate::private;

/// An open, rotating event file.
pub struct RotatingFile {
    path: PathBuf,
    max_bytes: u64,
    keep: u32,
    mode: u32,
    fsync: FsyncPolicy,
    lines: LineFile,
}

fn numbered(path: &Path, n: u32) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(format!(".{n}"));
    PathBuf::from(name)
}

impl RotatingFile {
    /// Opens `path` for appending, creating it with `mode` (and its missing folders with the
    /// matching folder mode). The file and its rotated copies, if ours, are given `mode`.
    pub fn open(path: &Path, max_bytes: u64, keep: u32, mode: u32, fsync: FsyncPolicy) -> io::Result<RotatingFile> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            private::create_dir_all(dir, private::dir_mode_for(mode))?;
        }
        for n in 1..=keep {
            private::set_mode(&numbered(path, n), mode)?;
        }
        let lines = open_lines(path, mode, fsync)?;
        Ok(RotatingFile { path: path.to_path_buf(), max_bytes, keep, mode, fsync, lines })
    }

    /// Appends one line (a newline is added). On error the line is not in the file.
    pub fn write_line(&mut self, line: &[u8]) -> io::Result<()> {
        let needed = line.len() as u64 + 1;
        if !self.lines.is_empty() && self.lines.len() + needed > self.max_bytes {
            self.rotate()?;
        }
        self.lines.append(line)
    }

    /// Forces lines that have waited for the sync interval to the disk.
    pub fn tick(&mut self) -> io::Result<()> {
        self.lines.tick()
    }

    /// Forces everything written to the disk (at exit).
    pub fn sync(&mut self) -> io::Result<()> {
        self.lines.sync()
    }

    /// Renames the full file away and starts a new one. If starting the new one fails (no free
    /// inode), the next call only tries that again: the full file has already gone to `NAME.1`.
    fn rotate(&mut self) -> io::Result<()> {
        self.lines.sync()?;
        if fs::symlink_metadata(&self.path).is_ok() {
            if self.keep == 0 {
                fs::remove_file(&self.path)?;
            } else {
                for n in (1..self.keep).rev() {
                    let from = numbered(&self.path, n);
                    if from.exists() {
                        fs::rename(&from, numbered(&self.path, n + 1))?;
                    }
                }
                fs::rename(&self.path, numbered(&self.path, 1))?;
            }
        }
        self.lines = open_lines(&self.path, self.mode, self.fsync)?;
        Ok(())
    }
}

fn open_lines(path: &Path, mode: u32, fsync: FsyncPolicy) -> io::Result<LineFile> {
    let file = private::open_append(path, mode)?;
    let len = file.metadata()?.len();
    Ok(LineFile::new(file, len, fsync))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_rotate_by_size_and_keep_the_newest() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("logs/events.jsonl");
        let mut file = RotatingFile::open(&path, 100, 2, private::FILE_MODE, FsyncPolicy::Always).unwrap();
        for i in 0..12 {
            file.write_line(format!("{{\"n\":{i:03},\"pad\":\"..........\"}}").as_bytes()).unwrap();
        }
        let read = |p: &Path| fs::read_to_string(p).unwrap();
        let current = read(&path);
        assert!(current.ends_with("{\"n\":011,\"pad\":\"..........\"}\n"));
        assert!(fs::metadata(&path).unwrap().len() <= 100);
        assert!(read(&numbered(&path, 1)).contains("\"n\":00"));
        assert!(numbered(&path, 2).exists());
        assert!(!numbered(&path, 3).exists(), "only `keep` old files are kept");
        for p in [path.clone(), numbered(&path, 1), numbered(&path, 2)] {
            assert!(read(&p).lines().all(|l| l.starts_with('{') && l.ends_with('}')), "whole lines only");
        }
    }
}
