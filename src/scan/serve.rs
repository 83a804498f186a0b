//! The parser worker process's side (the parent's is `worker`): a confined scanner answering
//! open descriptors with one value-free [`WireAnswer`] line per file, until the parent closes
//! the socket. Reading the settings and building the scanner is `config::worker`'s.
//!
//! Not here: starting, feeding and killing workers (`worker`).

use std::fs::File;
use std::io::Write;

use super::Scanner;
use crate::analysis::WireAnswer;
use crate::error::FileError;
use crate::platform::{self, WorkerInput};
use crate::worker::Ready;

/// Serves as a parser worker with `scanner`, built by the caller from the parent's settings:
/// limits the process's memory to `memory` bytes and confines it, says its analysis version,
/// then answers each descriptor until the parent closes the socket. Returns the exit status.
pub fn serve(scanner: &Scanner, memory: u64, requests: &mut WorkerInput) -> u8 {
    if platform::limit_memory(memory).is_err() || platform::confine().is_err() {
        return 2;
    }
    let mut out = std::io::stdout().lock();
    let ready = Ready { ready: scanner.analysis_version().to_string() };
    let said =
        serde_json::to_writer(&mut out, &ready).is_ok() && out.write_all(b"\n").and_then(|()| out.flush()).is_ok();
    if !said {
        return 2;
    }
    match answer_each(scanner, requests, out) {
        Ok(()) => 0,
        Err(_) => 2,
    }
}

/// Reads descriptors and answers each with a JSON line.
fn answer_each(scanner: &Scanner, requests: &mut WorkerInput, mut output: impl Write) -> std::io::Result<()> {
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
