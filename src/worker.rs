//! Parser isolation: container formats are read in worker processes.
//!
//! Document and archive parsers can panic, overflow their stack, allocate without bound or loop on
//! crafted input, and an abort cannot be caught inside the process. So the scanner hands files whose
//! content is a container (Office, PDF, archives, mail) to workers: the same binary started with
//! [`WORKER_FLAG`]. A worker dies for one file, never for the scan: one that dies costs its file a
//! `parser_failure` error record; one that overruns the file's time budget (plus a grace period)
//! is killed and costs a `timeout`. Either way a fresh worker takes its place.
//!
//! The protocol, over a Unix socket that is the worker's standard input:
//! 1. The parent sends the running configuration (the texts it was built from, not a path to read
//!    again), the fingerprint key and the memory limit, as one length-prefixed JSON message.
//! 2. The worker builds its scanner, limits its address space, confines itself ([`crate::sandbox`]:
//!    no capabilities, no opening files, no sockets, no programs) and answers with its analysis
//!    version on stdout; the parent refuses a worker whose version differs from its own.
//! 3. For each file the parent passes the descriptor it opened (`SCM_RIGHTS`); the worker never
//!    opens anything by path. It answers one JSON line: a value-free analysis (tallies of masked
//!    samples and keyed fingerprints, as reports carry) or an error.
//!
//! Plain text is scanned in-process; its reader has no parser to fail.

use std::ffi::OsString;
use std::fs::File;
use std::io::{BufRead, BufReader, Write};
use std::os::fd::{AsFd, OwnedFd};
use std::os::unix::net::UnixStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::sync::Mutex;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::config::{Config, ConfigSource};
use crate::error::FileError;
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
    requests: UnixStream,
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
        if send_descriptor(&worker.requests, file).is_err() {
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
        let (requests, theirs) = UnixStream::pair()?;
        let mut child = Command::new(&self.command.program)
            .args(&self.command.args)
            .stdin(Stdio::from(OwnedFd::from(theirs)))
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()?;
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

/// Passes `file`'s descriptor with a one-byte message.
fn send_descriptor(socket: &UnixStream, file: &File) -> std::io::Result<()> {
    use rustix::net::{SendAncillaryBuffer, SendAncillaryMessage, SendFlags};
    let fds = [file.as_fd()];
    let mut space = [std::mem::MaybeUninit::uninit(); rustix::cmsg_space!(ScmRights(1))];
    let mut control = SendAncillaryBuffer::new(&mut space);
    if !control.push(SendAncillaryMessage::ScmRights(&fds)) {
        return Err(std::io::Error::other("no room for the descriptor"));
    }
    rustix::net::sendmsg(socket, &[std::io::IoSlice::new(b"F")], &mut control, SendFlags::NOSIGNAL)?;
    Ok(())
}

/// Receives one descriptor; `None` at the end of requests.
fn receive_descriptor(socket: impl AsFd) -> std::io::Result<Option<File>> {
    use rustix::net::{RecvAncillaryBuffer, RecvAncillaryMessage, RecvFlags};
    let mut byte = [0u8; 1];
    let mut space = [std::mem::MaybeUninit::uninit(); rustix::cmsg_space!(ScmRights(1))];
    let mut control = RecvAncillaryBuffer::new(&mut space);
    let received = rustix::net::recvmsg(
        &socket,
        &mut [std::io::IoSliceMut::new(&mut byte)],
        &mut control,
        RecvFlags::CMSG_CLOEXEC,
    )?;
    if received.bytes == 0 {
        return Ok(None);
    }
    let mut fds = control.drain().filter_map(|message| match message {
        RecvAncillaryMessage::ScmRights(mut fds) => fds.next(),
        _ => None,
    });
    let fd = fds.next().ok_or_else(|| std::io::Error::other("a request without a descriptor"))?;
    Ok(Some(File::from(fd)))
}

/// When this process was started as a parser worker (`PROGRAM --internal-worker`), serves as
/// one and returns its exit status; otherwise `None`. Both binaries call this first.
pub fn serve_if_asked() -> Option<u8> {
    let mut args = std::env::args_os().skip(1);
    if args.next().is_some_and(|a| a == WORKER_FLAG) {
        return Some(worker_main());
    }
    None
}

/// The worker process's `main`: settings from the parent, a confined scanner, then descriptors
/// in and answers out until the parent closes the socket. Returns the exit status.
fn worker_main() -> u8 {
    let requests = std::io::stdin();
    let Ok(settings) = read_settings(&requests) else {
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
    if limit_memory(settings.memory).is_err() || crate::sandbox::confine().is_err() {
        return 2;
    }
    let mut out = std::io::stdout().lock();
    let ready = Ready { ready: scanner.analysis_version().to_string() };
    let said =
        serde_json::to_writer(&mut out, &ready).is_ok() && out.write_all(b"\n").and_then(|()| out.flush()).is_ok();
    if !said {
        return 2;
    }
    match serve(&scanner, &requests, out) {
        Ok(()) => 0,
        Err(_) => 2,
    }
}

/// Reads the length-prefixed settings with plain reads (a buffered reader could swallow the
/// byte that carries the first descriptor).
fn read_settings(socket: &impl AsFd) -> std::io::Result<WorkerSettings> {
    let mut length = [0u8; 8];
    read_exact(socket, &mut length)?;
    let length = u64::from_le_bytes(length);
    if length > MAX_SETTINGS {
        return Err(std::io::Error::other("settings too large"));
    }
    let mut bytes = vec![0u8; length as usize];
    read_exact(socket, &mut bytes)?;
    serde_json::from_slice(&bytes).map_err(std::io::Error::other)
}

fn read_exact(socket: &impl AsFd, mut buf: &mut [u8]) -> std::io::Result<()> {
    while !buf.is_empty() {
        match rustix::io::read(socket, &mut *buf) {
            Ok(0) => return Err(std::io::ErrorKind::UnexpectedEof.into()),
            Ok(n) => buf = &mut buf[n..],
            Err(rustix::io::Errno::INTR) => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(())
}

/// Serves as a worker: reads descriptors and answers each with a JSON line.
fn serve(scanner: &Scanner, requests: &impl AsFd, mut output: impl Write) -> std::io::Result<()> {
    while let Some(file) = receive_descriptor(requests)? {
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
