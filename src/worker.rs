//! Parser isolation: container formats are read in worker processes.
//!
//! Document and archive parsers can panic, overflow their stack, allocate without bound or loop on
//! crafted input, and an abort cannot be caught inside the process. So the scanner hands files whose
//! content is a container (Office, PDF, archives, mail) to workers: the same binary started with
//! [`WORKER_FLAG`]. A worker dies for one file, never for the scan: one that dies costs its file a
//! `parser_failure` error record; one that overruns the file's time budget (plus a grace period)
//! is killed and costs a `timeout`. Either way a fresh worker takes its place.
//!
//! The protocol, over the worker's standard input (a Unix socket; a pipe on Windows):
//! 1. The parent sends the running configuration (the texts it was built from, not a path to read
//!    again), the fingerprint key and the memory limit, as one length-prefixed JSON message.
//! 2. The worker builds its scanner, limits its address space, confines itself
//!    (`platform::confine`; on Linux no capabilities, no opening files, no sockets, no programs;
//!    nothing yet elsewhere, where the deadline stands alone) and answers with its analysis
//!    version on stdout; the parent refuses a worker whose version differs from its own.
//! 3. For each file the parent passes the descriptor it opened (`SCM_RIGHTS`; on Windows a
//!    duplicate of its handle made in the worker with `DuplicateHandle`); the worker never
//!    opens anything by path. It answers one JSON line: a value-free analysis (tallies of masked
//!    samples and keyed fingerprints, as reports carry) or an error.
//!
//! Plain text is scanned in-process; its reader has no parser to fail. This is the parent's side;
//! the worker process's side is `scan::serve`.

use std::ffi::OsString;
use std::fs::File;
use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::sync::Mutex;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::analysis::{Analysis, WireAnswer};
use crate::detect::Detector;
use crate::error::FileError;
use crate::platform::{self, Requests};

/// The first argument that makes a binary serve as a worker.
pub const WORKER_FLAG: &str = "--internal-worker";
/// Time a worker gets beyond the file's own time budget before it is killed.
pub const GRACE: Duration = Duration::from_secs(10);
/// Time a new worker gets to build its scanner and say it is ready.
const START_DEADLINE: Duration = Duration::from_secs(60);
/// Largest settings message a worker accepts (configuration and detector texts).
pub const MAX_SETTINGS: u64 = 64 << 20;

/// How to start a worker.
#[derive(Debug, Clone)]
pub struct WorkerCommand {
    /// The executable (normally the running one).
    pub program: PathBuf,
    /// Its arguments, starting with [`WORKER_FLAG`].
    pub args: Vec<OsString>,
    /// Sent to each new worker: its settings as JSON (`scan::serve::WorkerSettings`).
    pub settings: Vec<u8>,
    /// Address-space limit of each worker, in bytes (also in its settings, for systems where the
    /// worker limits itself).
    pub memory: u64,
}

impl WorkerCommand {
    /// Workers are this same program started with [`WORKER_FLAG`], told `settings` at start and
    /// limited to `memory` bytes.
    pub fn this_program(settings: &impl Serialize, memory: u64) -> std::io::Result<Self> {
        let settings = serde_json::to_vec(settings).map_err(std::io::Error::other)?;
        Ok(WorkerCommand { program: std::env::current_exe()?, args: vec![WORKER_FLAG.into()], settings, memory })
    }
}

/// A pool of workers shared by the scanning threads.
#[derive(Debug)]
pub struct Workers {
    command: WorkerCommand,
    deadline: Duration,
    idle: Mutex<Vec<Worker>>,
}

#[derive(Debug)]
struct Worker {
    child: Child,
    requests: Requests,
    answers: Receiver<String>,
}

impl Drop for Worker {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Workers {
    /// A pool starting workers with `command`; each file may take `time_budget` plus a grace period.
    pub fn new(command: WorkerCommand, time_budget: Duration) -> Workers {
        Workers { command, deadline: time_budget + GRACE, idle: Mutex::new(Vec::new()) }
    }

    /// Analyses one open file in a worker, which reads it through the same descriptor; the
    /// parent analyses as `version`, with `detectors` (the worker has the same set: it says so
    /// at start).
    pub fn analyse(&self, file: &File, version: &str, detectors: &[Detector]) -> Result<Analysis, FileError> {
        let taken = self.idle.lock().unwrap_or_else(std::sync::PoisonError::into_inner).pop();
        let worker = match taken {
            Some(w) => w,
            None => self.spawn(version)?,
        };
        if platform::send_file(&worker.requests, &worker.child, file).is_err() {
            return Err(FileError::ParserFailure);
        }
        match worker.answers.recv_timeout(self.deadline) {
            Ok(line) => {
                self.idle.lock().unwrap_or_else(std::sync::PoisonError::into_inner).push(worker);
                let wire: WireAnswer = serde_json::from_str(&line).map_err(|_| FileError::ParserFailure)?;
                wire.into_analysis(detectors)
            }
            // Dropping the worker kills it; a new one is started for the next file.
            Err(RecvTimeoutError::Timeout) => Err(FileError::Timeout),
            Err(RecvTimeoutError::Disconnected) => Err(FileError::ParserFailure),
        }
    }

    /// Starts a worker, sends it the settings and waits until it says it analyses as `version`.
    fn spawn(&self, version: &str) -> Result<Worker, FileError> {
        let mut command = Command::new(&self.command.program);
        command.args(&self.command.args).stdout(Stdio::piped()).stderr(Stdio::null());
        let (mut child, requests) = platform::spawn_worker(&mut command, self.command.memory)?;
        let stdout = child.stdout.take().ok_or_else(|| std::io::Error::other("worker has no stdout"))?;
        let (send, answers) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if send.send(line).is_err() {
                    break;
                }
            }
        });
        let worker = Worker { child, requests, answers };
        let settings = &self.command.settings;
        (&worker.requests).write_all(&(settings.len() as u64).to_le_bytes())?;
        (&worker.requests).write_all(settings)?;
        let ready = worker.answers.recv_timeout(START_DEADLINE).map_err(|_| FileError::ParserFailure)?;
        let ready: Ready = serde_json::from_str(&ready).map_err(|_| FileError::ParserFailure)?;
        if ready.ready != version {
            tracing::error!(worker = %ready.ready, parent = %version, "a parser worker analyses differently; not used");
            return Err(FileError::ParserFailure);
        }
        Ok(worker)
    }
}

/// A worker's first line: the analysis version of the scanner it built.
#[derive(Serialize, Deserialize)]
pub struct Ready {
    /// The analysis version.
    pub ready: String,
}
