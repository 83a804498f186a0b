//! The event file: JSON Lines (or CEF lines) appended to a file that a shipper tails (Splunk's
//! forwarder, Elastic Agent, Fluent Bit, the Wazuh agent), rotated by size.
//!
//! Each event is one `write` of a whole line to a file opened for appending, so a tailer never
//! sees half a line. Past `max_bytes` the file is renamed `NAME.1` (older ones shift up to
//! `NAME.<keep>`, the oldest is deleted) and a new file started, which is the rename rotation
//! every shipper follows. Durability follows the sink's [`FsyncPolicy`].

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use super::durable::{FsyncPolicy, Syncer};

/// An open, rotating event file.
pub struct RotatingFile {
    path: PathBuf,
    max_bytes: u64,
    keep: u32,
    file: File,
    size: u64,
    syncer: Syncer,
}

fn open_append(path: &Path) -> io::Result<File> {
    let mut options = OpenOptions::new();
    options.create(true).append(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o640);
    options.open(path)
}

fn numbered(path: &Path, n: u32) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(format!(".{n}"));
    PathBuf::from(name)
}

impl RotatingFile {
    /// Opens (creating the directory and file if needed) for appending.
    pub fn open(path: &Path, max_bytes: u64, keep: u32, fsync: FsyncPolicy) -> io::Result<RotatingFile> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            fs::create_dir_all(dir)?;
        }
        let file = open_append(path)?;
        let size = file.metadata()?.len();
        Ok(RotatingFile { path: path.to_path_buf(), max_bytes, keep, file, size, syncer: Syncer::new(fsync) })
    }

    /// Appends one line (a newline is added).
    pub fn write_line(&mut self, line: &[u8]) -> io::Result<()> {
        let needed = line.len() as u64 + 1;
        if self.size > 0 && self.size + needed > self.max_bytes {
            self.rotate()?;
        }
        let mut bytes = Vec::with_capacity(line.len() + 1);
        bytes.extend_from_slice(line);
        bytes.push(b'\n');
        self.file.write_all(&bytes)?;
        self.size += needed;
        self.syncer.wrote(&self.file)
    }

    /// Forces lines that have waited for the sync interval to the disk.
    pub fn tick(&mut self) -> io::Result<()> {
        self.syncer.tick(&self.file)
    }

    /// Forces everything written to the disk (at exit).
    pub fn sync(&mut self) -> io::Result<()> {
        self.syncer.sync_now(&self.file)
    }

    fn rotate(&mut self) -> io::Result<()> {
        self.syncer.sync_now(&self.file)?;
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
        self.file = open_append(&self.path)?;
        self.size = 0;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_rotate_by_size_and_keep_the_newest() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("logs/events.jsonl");
        let mut file = RotatingFile::open(&path, 100, 2, FsyncPolicy::Always).unwrap();
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
