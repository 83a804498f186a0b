//! A parser worker process's start: the settings its parent sends over standard input (the
//! running configuration's texts, the key, a memory limit), the configuration and scanner built
//! from them, then `scan::serve`. Here because building from configuration is this module's job.
//!
//! Not here: answering files (`scan::serve`); starting and feeding workers (`worker`).

use serde::{Deserialize, Serialize};

use super::{Config, ConfigSource};
use crate::detect::FingerprintKey;
use crate::platform::WorkerInput;
use crate::scan::{serve, Scanner};
use crate::worker::MAX_SETTINGS;

/// What a worker is told at start: everything it needs, so it reads no file of its own.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct WorkerSettings {
    /// The running configuration's texts.
    pub source: ConfigSource,
    /// The fingerprint key (hex).
    pub key_hex: String,
    /// Address-space limit, in bytes.
    pub memory: u64,
}

/// The worker process's `main` (a binary started with
/// [`WORKER_FLAG`](crate::worker::WORKER_FLAG), which its argument parser knows): settings from
/// the parent, a scanner built from them, then [`serve::serve`]. Returns the exit status.
pub fn worker_main() -> u8 {
    let mut requests = WorkerInput::from_stdin();
    let Ok(settings) = read_settings(&mut requests) else {
        return 2;
    };
    let (Ok(config), Some(key)) = (Config::from_source(&settings.source), FingerprintKey::from_hex(&settings.key_hex))
    else {
        return 2;
    };
    let Ok(scanner) = Scanner::new(config.scanner_settings(), key) else {
        return 2;
    };
    serve::serve(&scanner, settings.memory, &mut requests)
}

/// Reads the length-prefixed settings.
fn read_settings(requests: &mut WorkerInput) -> std::io::Result<WorkerSettings> {
    let mut length = [0u8; 8];
    requests.read_exact(&mut length)?;
    let length = u64::from_le_bytes(length);
    if length > MAX_SETTINGS {
        return Err(std::io::Error::other("settings too large"));
    }
    let mut bytes = vec![0u8; length as usize];
    requests.read_exact(&mut bytes)?;
    serde_json::from_slice(&bytes).map_err(std::io::Error::other)
}
