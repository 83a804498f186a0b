//! When written bytes are forced to the disk: the one fsync policy shared by the event file and
//! the spool.

use std::fs::File;
use std::io;
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
        if self.dirty_since.take().is_some() {
            file.sync_data()?;
        }
        Ok(())
    }
}
