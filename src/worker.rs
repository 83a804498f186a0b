//! Parser isolation: container formats are read in worker processes.
//!
//! Document and archive parsers can panic, overflow their stack, allocate without bound or loop on
//! crafted input, and an abort cannot be caught inside the process. So the scanner hands files whose
//! content is a container (Office, PDF, archives, mail) to workers: the same binary started with
//! [`WORKER_FLAG`], under an address-space limit, answering one JSON line per file. A worker that
//! dies costs its file a `parser_failure` error record; one that overruns the file's time budget
//! (plus a grace period) is killed and costs a `timeout`. Either way a fresh worker takes its place
//! and the scan goes on.
//!
//! What crosses the pipe is value-free: the same tallies of masked samples and keyed fingerprints
//! that reports carry. Plain text is scanned in-process; its reader has no parser to fail.

use std::ffi::OsString;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::sync::Mutex;
use std::time::Duration;

use base64::Engine as _;
use serde::{Deserialize, Serialize};

use crate::error::FileError;
use crate::portable::PortableAnalysis;
use crate::scan::{Analysis, Scanner};

/// The first argument that makes a binary serve as a worker.
pub const WORKER_FLAG: &str = "--internal-worker";
/// The environment variable carrying the fingerprint key (hex) to a worker.
pub const KEY_VARIABLE: &str = "DLP_SCAN_WORKER_KEY";
/// Time a worker gets beyond the file's own time budget before it is killed.
const GRACE: Duration = Duration::from_secs(10);

/// How to start a worker.
#[derive(Debug, Clone)]
pub struct WorkerCommand {
    /// The executable (normally the running one).
    pub program: PathBuf,
    /// Its arguments, starting with [`WORKER_FLAG`].
    pub args: Vec<OsString>,
    /// Extra environment (the fingerprint key).
    pub env: Vec<(String, String)>,
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
    stdin: ChildStdin,
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

    /// Analyses one file in a worker.
    pub fn analyse(&self, path: &Path, scanner: &Scanner) -> Result<Analysis, FileError> {
        let taken = self.idle.lock().unwrap_or_else(std::sync::PoisonError::into_inner).pop();
        let mut worker = match taken {
            Some(w) => w,
            None => self.spawn().map_err(FileError::Io)?,
        };
        let request = format!("{}\n", base64::engine::general_purpose::STANDARD.encode(path_bytes(path)));
        if worker.stdin.write_all(request.as_bytes()).and_then(|()| worker.stdin.flush()).is_err() {
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

    fn spawn(&self) -> std::io::Result<Worker> {
        let mut child = Command::new(&self.command.program)
            .args(&self.command.args)
            .envs(self.command.env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()?;
        let stdin = child.stdin.take().ok_or_else(|| std::io::Error::other("worker has no stdin"))?;
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
        Ok(Worker { child, stdin, answers })
    }
}

#[cfg(unix)]
fn path_bytes(path: &Path) -> Vec<u8> {
    use std::os::unix::ffi::OsStrExt;
    path.as_os_str().as_bytes().to_vec()
}

#[cfg(not(unix))]
fn path_bytes(path: &Path) -> Vec<u8> {
    path.to_string_lossy().as_bytes().to_vec()
}

#[cfg(unix)]
fn path_from_bytes(bytes: Vec<u8>) -> PathBuf {
    use std::os::unix::ffi::OsStringExt;
    PathBuf::from(OsString::from_vec(bytes))
}

#[cfg(not(unix))]
fn path_from_bytes(bytes: Vec<u8>) -> PathBuf {
    PathBuf::from(String::from_utf8_lossy(&bytes).into_owned())
}

impl WorkerCommand {
    /// Workers are this same program started with [`WORKER_FLAG`], the memory limit, the
    /// configuration file (if any) and the fingerprint key in the environment.
    pub fn this_program(config: Option<&std::path::Path>, memory: u64, key_hex: String) -> std::io::Result<Self> {
        let mut args: Vec<OsString> = vec![WORKER_FLAG.into(), "--memory".into(), memory.to_string().into()];
        if let Some(path) = config {
            args.extend(["--config".into(), path.as_os_str().to_owned()]);
        }
        Ok(WorkerCommand { program: std::env::current_exe()?, args, env: vec![(KEY_VARIABLE.to_string(), key_hex)] })
    }
}

/// When this process was started as a parser worker (`PROGRAM --internal-worker ...`), serves as
/// one and returns its exit status; otherwise `None`. Both binaries call this first.
pub fn serve_if_asked() -> Option<u8> {
    let mut args = std::env::args_os().skip(1);
    if args.next().is_some_and(|a| a == WORKER_FLAG) {
        return Some(worker_main(&args.collect::<Vec<_>>()));
    }
    None
}

/// The worker process's `main`: `PROGRAM --internal-worker --memory BYTES [--config FILE]` with
/// the key in the environment. Reads paths on stdin, answers on stdout. Returns the exit status.
fn worker_main(args: &[OsString]) -> u8 {
    let value_of = |flag: &str| args.iter().position(|a| a == flag).and_then(|i| args.get(i + 1)).cloned();
    let config = match value_of("--config") {
        Some(path) => crate::config::Config::load(std::path::Path::new(&path)),
        None => crate::config::Config::embedded_default(),
    };
    let memory = value_of("--memory").and_then(|m| m.to_str()?.parse().ok());
    let key = std::env::var(KEY_VARIABLE).ok().and_then(|k| crate::detect::FingerprintKey::from_hex(&k));
    let (Ok(config), Some(key)) = (config, key) else {
        return 2;
    };
    if let Some(bytes) = memory {
        let _ = limit_memory(bytes);
    }
    let Ok(scanner) = Scanner::new(&config, key) else {
        return 2;
    };
    match serve(&scanner, std::io::stdin().lock(), std::io::stdout().lock()) {
        Ok(()) => 0,
        Err(_) => 2,
    }
}

/// Serves as a worker: reads base64 paths, one per line, and answers each with a JSON line.
pub fn serve(scanner: &Scanner, input: impl BufRead, mut output: impl Write) -> std::io::Result<()> {
    for line in input.lines() {
        let line = line?;
        let answer = match base64::engine::general_purpose::STANDARD.decode(line.trim()) {
            Ok(bytes) => analyse_path(scanner, &path_from_bytes(bytes)),
            Err(_) => WireAnswer::failed("io", "malformed request"),
        };
        serde_json::to_writer(&mut output, &answer).map_err(std::io::Error::other)?;
        output.write_all(b"\n")?;
        output.flush()?;
    }
    Ok(())
}

fn analyse_path(scanner: &Scanner, path: &Path) -> WireAnswer {
    let analysis = crate::fsutil::open_for_scan(path)
        .map_err(FileError::Io)
        .and_then(|(mut file, meta)| scanner.analyse(&mut file, meta.len()));
    match analysis {
        Ok(a) => WireAnswer::from_analysis(&a),
        Err(e) => WireAnswer::failed(e.kind(), &e.to_string()),
    }
}

/// Limits the worker's address space, so that a runaway allocation aborts this process (and costs
/// one file) instead of exhausting the machine.
#[cfg(target_os = "linux")]
#[allow(unsafe_code)]
pub fn limit_memory(bytes: u64) -> std::io::Result<()> {
    let limit = libc::rlimit { rlim_cur: bytes as libc::rlim_t, rlim_max: bytes as libc::rlim_t };
    // SAFETY: setrlimit reads a fully initialised struct and changes only this process's limits.
    let rc = unsafe { libc::setrlimit(libc::RLIMIT_AS, &limit) };
    if rc == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
}

/// Memory limits are applied on Linux only.
#[cfg(not(target_os = "linux"))]
pub fn limit_memory(_bytes: u64) -> std::io::Result<()> {
    Ok(())
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
