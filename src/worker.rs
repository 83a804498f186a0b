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
//! Plain text is scanned in-process; its reader has no parser to fail.

use std::ffi::OsString;
use std::fs::File;
use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::sync::Mutex;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::config::{Config, ConfigSource};
use crate::error::FileError;
use crate::platform::{self, Requests, WorkerInput};
use crate::portable::PortableAnalysis;
use crate::scan::{Analysis, Scanner};

/// The first argument that makes a binary serve as a worker.
pub const WORKER_FLAG: &str = "--internal-worker";
/// Time a worker gets beyond the file's own time budget before it is killed.
pub const GRACE: Duration = Duration::from_secs(10);
/// Time a new worker gets to build its scanner and say it is ready.
const START_DEADLINE: Duration = Duration::from_secs(60);
/// Largest settings message a worker accepts (configuration and detector texts).
const MAX_SETTINGS: u64 = 64 << 20;

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

/// How to start a worker.
#[derive(Debug, Clone)]
pub struct WorkerCommand {
    /// The executable (normally the running one).
    pub program: PathBuf,
    /// Its arguments, starting with [`WORKER_FLAG`].
    pub args: Vec<OsString>,
    /// Sent to each new worker.
    pub settings: WorkerSettings,
}

impl WorkerCommand {
    /// Workers are this same program started with [`WORKER_FLAG`], told `settings` at start.
    pub fn this_program(settings: WorkerSettings) -> std::io::Result<Self> {
        Ok(WorkerCommand { program: std::env::current_exe()?, args: vec![WORKER_FLAG.into()], settings })
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

    /// Analyses one open file in a worker, which reads it through the same descriptor.
    pub fn analyse(&self, file: &File, scanner: &Scanner) -> Result<Analysis, FileError> {
        let taken = self.idle.lock().unwrap_or_else(std::sync::PoisonError::into_inner).pop();
        let worker = match taken {
            Some(w) => w,
            None => self.spawn(scanner.analysis_version())?,
        };
        if platform::send_file(&worker.requests, &worker.child, file).is_err() {
            return Err(FileError::ParserFailure);
        }
        match worker.answers.recv_timeout(self.deadline) {
            Ok(line) => {
                self.idle.lock().unwrap_or_else(std::sync::PoisonError::into_inner).push(worker);
                let wire: WireAnswer = serde_json::from_str(&line).map_err(|_| FileError::ParserFailure)?;
                wire.into_analysis(scanner)
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
        let (mut child, requests) = platform::spawn_worker(&mut command, self.command.settings.memory)?;
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
        let settings = serde_json::to_vec(&self.command.settings).map_err(std::io::Error::other)?;
        (&worker.requests).write_all(&(settings.len() as u64).to_le_bytes())?;
        (&worker.requests).write_all(&settings)?;
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
struct Ready {
    ready: String,
}

/// The worker process's `main` (a binary started with [`WORKER_FLAG`], which its argument parser
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
        Err(e) => WireAnswer::failed(e.kind(), &e.to_string()),
    }
}

/// One answer on the pipe: an analysis, or why there is none.
#[derive(Serialize, Deserialize)]
struct WireAnswer {
    #[serde(default)]
    error: Option<(String, String)>,
    #[serde(default)]
    analysis: Option<PortableAnalysis>,
}

impl WireAnswer {
    fn failed(kind: &str, message: &str) -> WireAnswer {
        WireAnswer { error: Some((kind.to_string(), message.to_string())), analysis: None }
    }

    fn from_analysis(a: &Analysis) -> WireAnswer {
        WireAnswer { error: None, analysis: Some(PortableAnalysis::from_analysis(a)) }
    }

    fn into_analysis(self, scanner: &Scanner) -> Result<Analysis, FileError> {
        if let Some((kind, message)) = self.error {
            return Err(FileError::Reported { kind: crate::error::known_kind(&kind), message });
        }
        let analysis = self.analysis.ok_or(FileError::ParserFailure)?;
        analysis.to_analysis(scanner.engine().detectors()).map_err(|_| FileError::ParserFailure)
    }
}
