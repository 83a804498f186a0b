//! The parser worker process's side (the parent's is `worker`): settings in over standard
//! input, a scanner built from them and confined, then open descriptors in and one value-free
//! [`WireAnswer`] line out per file, until the parent closes the socket.
//!
//! Not here: starting, feeding and killing workers (`worker`).

use std::fs::File;
use std::io::Write;

use serde::{Deserialize, Serialize};

use super::Scanner;
use crate::analysis::WireAnswer;
use crate::config::{Config, ConfigSource};
use crate::error::FileError;
use crate::platform::{self, WorkerInput};
use crate::worker::{Ready, MAX_SETTINGS};

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

/// The worker process's `main` (a binary started with [`WORKER_FLAG`](crate::worker::WORKER_FLAG), which its argument parser
/// knows): settings from the parent, a confined scanner, then descriptors in and answers out
/// until the parent closes the socket. Returns the exit status.
pub fn worker_main() -> u8 {
    let mut requests = WorkerInput::from_stdin();
    let Ok(settings) = read_settings(&mut requests) else {
        return 2;
    };
    let (Ok(config), Some(key)) =
        (Config::from_source(&settings.source), crate::detect::FingerprintKey::from_hex(&settings.key_hex))
    else {
        return 2;
    };
    let Ok(scanner) = Scanner::new(&config, key) else {
        return 2;
    };
    if platform::limit_memory(settings.memory).is_err() || platform::confine().is_err() {
        return 2;
    }
    let mut out = std::io::stdout().lock();
    let ready = Ready { ready: scanner.analysis_version().to_string() };
    let said =
        serde_json::to_writer(&mut out, &ready).is_ok() && out.write_all(b"\n").and_then(|()| out.flush()).is_ok();
    if !said {
        return 2;
    }
    match serve(&scanner, &mut requests, out) {
        Ok(()) => 0,
        Err(_) => 2,
    }
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

/// Serves as a worker: reads descriptors and answers each with a JSON line.
fn serve(scanner: &Scanner, requests: &mut WorkerInput, mut output: impl Write) -> std::io::Result<()> {
    while let Some(file) = requests.receive_file()? {
        let answer = analyse_descriptor(scanner, file);
        serde_json::to_writer(&mut output, &answer).map_err(std::io::Error::other)?;
        output.write_all(b"\n")?;
        output.flush()?;
    }
    Ok(())
}

fn analyse_descriptor(scanner: &Scanner, mut file: File) -> WireAnswer {
    let analysis = file.metadata().map_err(FileError::Io).and_then(|meta| scanner.analyse(&mut file, meta.len()));
    match analysis {
        Ok(a) => WireAnswer::from_analysis(&a),
        Err(e) => WireAnswer::failed(&e),
    }
}
