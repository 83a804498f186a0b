//! The sender: one thread per network sink, moving events from its spool to its transport.
//!
//! At least once: the spool cursor moves only past events the receiver has. HTTP receivers say
//! so in their answer; a syslog stream cannot, so a stream event counts as delivered once the
//! peer's TCP stack has acknowledged its bytes and the connection has stayed up for
//! [`STREAM_SETTLE`] after it. When a connection fails, everything not yet counted is sent again
//! on the next connection: that is the at-least-once window (duplicates possible, never loss).
//! Failures are retried with exponential backoff and jitter, from 0.5 s up to 60 s. A full
//! spool may drop the oldest events under the sender (`drop_oldest`): its reads then resume at
//! the committed position, and only events the commit takes out of the queue count as sent.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::spool::{Position, Spool};

/// How long a stream connection must stay up after bytes were acknowledged before they count.
pub const STREAM_SETTLE: Duration = Duration::from_secs(1);
const FIRST_BACKOFF: Duration = Duration::from_millis(500);
const MAX_BACKOFF: Duration = Duration::from_secs(60);
const BATCH_EVENTS: usize = 500;
const BATCH_BYTES: usize = 1 << 20;
/// After sending a batch that was not full, wait this long for more events, so that a steady
/// trickle goes out in batches rather than one request (and one cursor write) per event.
const LINGER: Duration = Duration::from_millis(25);

/// Why a send failed.
#[derive(Debug)]
pub enum SendError {
    /// Worth trying again later (receiver down, network, timeout, 5xx, 429, authentication).
    Retry(String),
    /// The receiver refused these events (by index in the batch) for good; the rest were taken.
    Rejected {
        /// Indexes of the refused events.
        refused: Vec<usize>,
        /// The receiver's reason.
        reason: String,
    },
}

/// A way to hand encoded events to a receiver.
pub trait Transport: Send {
    /// Sends a batch. `Ok(bytes)` means written (stream) or accepted (datagram, HTTP); the byte
    /// count is what the stream acknowledgement is measured in.
    fn send(&mut self, batch: &[Vec<u8>]) -> Result<u64, SendError>;
    /// Bytes the receiver has acknowledged since the connection was made, or an error if the
    /// connection is gone. Transports that accept on send return everything sent.
    fn acknowledged(&mut self) -> Result<u64, SendError>;
    /// True when sent events count only after [`STREAM_SETTLE`].
    fn needs_settling(&self) -> bool;
    /// Drops the connection, so the next send makes a new one.
    fn reset(&mut self);
}

/// Counters for one sink, read by the heartbeat and the end-of-run report.
#[derive(Debug, Default)]
pub struct SinkCounters {
    /// Events delivered.
    pub sent: AtomicU64,
    /// Events sent again after a failure.
    pub retried: AtomicU64,
    /// Events the receiver refused for good (written to the sink's `rejected.jsonl`).
    pub failed: AtomicU64,
    /// Events lost before delivery: dropped by a full spool, or not writable (a full disk).
    pub dropped: AtomicU64,
    /// Failed attempts.
    pub errors: AtomicU64,
}

struct InFlight {
    end: Position,
    events: u64,
    /// Transport bytes up to the end of this batch.
    bytes_end: u64,
    written_at: Instant,
}

/// Runs until `stop` is set and then (if `drain_until` allows) until the spool is empty.
pub struct Sender {
    /// The sink's name, for the log.
    pub name: String,
    /// Where events wait.
    pub spool: Arc<Spool>,
    /// How they leave.
    pub transport: Box<dyn Transport>,
    /// Shared counters.
    pub counters: Arc<SinkCounters>,
    /// Where refused events are kept for an administrator.
    pub rejected_log: std::path::PathBuf,
}

impl Sender {
    /// The sending loop. Returns when stopped and drained, or when `deadline` passes after stop.
    pub fn run(mut self, stop: &AtomicBool, deadline: &std::sync::Mutex<Option<Instant>>) {
        let mut read_from = self.spool.committed();
        let mut in_flight: VecDeque<InFlight> = VecDeque::new();
        let mut bytes_sent = 0u64;
        let mut backoff = FIRST_BACKOFF;
        loop {
            let stopping = stop.load(Ordering::SeqCst);
            if stopping {
                let past = deadline
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
                    .is_some_and(|d| Instant::now() >= d);
                if past || (in_flight.is_empty() && self.spool.queued_events() == 0) {
                    return;
                }
            }
            match self.settle(&mut in_flight) {
                Ok(()) => {}
                Err(e) => {
                    let pause = self.failed(&e, &mut in_flight, &mut read_from, &mut bytes_sent, &mut backoff);
                    self.pause(pause, deadline);
                    continue;
                }
            }
            let wait = if in_flight.is_empty() { Duration::from_millis(200) } else { Duration::from_millis(20) };
            let batch = match self.spool.read(read_from, BATCH_EVENTS, BATCH_BYTES, wait) {
                Ok(b) => b,
                Err(e) => {
                    tracing::error!(sink = %self.name, error = %e, "cannot read the spool");
                    self.pause(backoff, deadline);
                    continue;
                }
            };
            let (Some(end), false) = (batch.end, batch.lines.is_empty()) else { continue };
            let full = batch.lines.len() >= BATCH_EVENTS;
            match self.transport.send(&batch.lines) {
                Ok(bytes) => bytes_sent += bytes,
                Err(SendError::Rejected { refused, reason }) => self.keep_refused(&batch.lines, &refused, &reason),
                Err(e) => {
                    let pause = self.failed(&e, &mut in_flight, &mut read_from, &mut bytes_sent, &mut backoff);
                    self.pause(pause, deadline);
                    continue;
                }
            }
            read_from = end;
            let events = batch.lines.len() as u64;
            in_flight.push_back(InFlight { end, events, bytes_end: bytes_sent, written_at: Instant::now() });
            backoff = FIRST_BACKOFF;
            if !full && !stop.load(Ordering::SeqCst) {
                std::thread::sleep(LINGER);
            }
        }
    }

    /// Commits every in-flight batch the receiver now surely has.
    fn settle(&mut self, in_flight: &mut VecDeque<InFlight>) -> Result<(), SendError> {
        if in_flight.is_empty() {
            return Ok(());
        }
        let acknowledged = self.transport.acknowledged()?;
        let settle = if self.transport.needs_settling() { STREAM_SETTLE } else { Duration::ZERO };
        while let Some(first) = in_flight.front() {
            if first.bytes_end > acknowledged || first.written_at.elapsed() < settle {
                break;
            }
            let done = in_flight.pop_front().expect("checked");
            // Events a full spool dropped under this batch count as dropped, not sent. If the
            // commit fails they are still delivered: counted by the next commit that passes them.
            match self.spool.commit(done.end) {
                Ok(events) => {
                    self.counters.sent.fetch_add(events, Ordering::Relaxed);
                }
                Err(e) => tracing::error!(sink = %self.name, error = %e, "cannot record delivery in the spool"),
            }
        }
        Ok(())
    }

    /// Waits `pause` before trying again, cut short when the spool closes at shutdown, and never
    /// past the drain deadline: a receiver that is down must not hold up stopping.
    fn pause(&self, pause: Duration, deadline: &std::sync::Mutex<Option<Instant>>) {
        let mut until = Instant::now() + pause;
        if let Some(deadline) = *deadline.lock().unwrap_or_else(std::sync::PoisonError::into_inner) {
            until = until.min(deadline);
        }
        self.spool.pause(until);
    }

    /// A failed connection: everything in flight goes again from the last commit. Returns how
    /// long to wait first (the backoff, with jitter), and doubles the backoff.
    fn failed(
        &mut self,
        e: &SendError,
        in_flight: &mut VecDeque<InFlight>,
        read_from: &mut Position,
        bytes_sent: &mut u64,
        backoff: &mut Duration,
    ) -> Duration {
        let resent: u64 = in_flight.iter().map(|f| f.events).sum();
        self.counters.retried.fetch_add(resent, Ordering::Relaxed);
        self.counters.errors.fetch_add(1, Ordering::Relaxed);
        let reason = match e {
            SendError::Retry(r) | SendError::Rejected { reason: r, .. } => r.as_str(),
        };
        tracing::warn!(sink = %self.name, error = %reason, retry_in_ms = backoff.as_millis() as u64, "delivery failed; events stay in the spool");
        in_flight.clear();
        *read_from = self.spool.committed();
        *bytes_sent = 0;
        self.transport.reset();
        let pause = jittered(*backoff);
        *backoff = (*backoff * 2).min(MAX_BACKOFF);
        pause
    }

    fn keep_refused(&self, lines: &[Vec<u8>], refused: &[usize], reason: &str) {
        self.counters.failed.fetch_add(refused.len() as u64, Ordering::Relaxed);
        tracing::error!(sink = %self.name, events = refused.len(), %reason, "the receiver refused events; kept in the rejected log");
        let mut out = Vec::new();
        for &i in refused {
            if let Some(line) = lines.get(i) {
                out.extend_from_slice(line);
                out.push(b'\n');
            }
        }
        let written = crate::private::open_append(&self.rejected_log, crate::private::FILE_MODE)
            .and_then(|mut f| std::io::Write::write_all(&mut f, &out));
        if let Err(e) = written {
            tracing::error!(sink = %self.name, error = %e, "cannot write the rejected log");
        }
    }
}

/// Backoff with ±20 % jitter, so laptops that lost the network together do not return together.
fn jittered(base: Duration) -> Duration {
    let random = getrandom::u32().unwrap_or(0);
    let factor = 0.8 + f64::from(random % 401) / 1000.0;
    base.mul_f64(factor)
}
