//! Where dlp-scan keeps its own state when the configuration names no place: one folder (the
//! platform's: for root, or the user's own, see `platform::default_state_dir`), and the names of
//! what lives in it. The configuration may name each of them elsewhere.
//!
//! Not here: creating them (each owner makes its own, privately: `private`).

use std::path::PathBuf;

/// dlp-scan's state folder for this user (for root, the system's).
pub fn state_dir() -> Option<PathBuf> {
    crate::platform::default_state_dir()
}

/// The per-installation fingerprint key (`fingerprint.key`).
pub fn key_file() -> Option<PathBuf> {
    state_dir().map(|d| d.join("fingerprint.key"))
}

/// The folder of the network sinks' spools (`spool`, a folder per sink in it).
pub fn spool_dir() -> Option<PathBuf> {
    state_dir().map(|d| d.join("spool"))
}

/// The agent's state store (`agent.redb`).
pub fn agent_store() -> Option<PathBuf> {
    state_dir().map(|d| d.join("agent.redb"))
}
