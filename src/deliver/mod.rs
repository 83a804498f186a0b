//! Delivery: events to the places a SIEM reads them from.
//!
//! [`Delivery`] is a [`RecordSink`]: each record is stamped once as an [`Event`] (id, time),
//! then encoded in each sink's own format and handed over. Local sinks (the rotating event
//! file, stdout) write at once. Network sinks (syslog over UDP/TCP/TLS, Splunk HEC,
//! Elasticsearch bulk) append to their own on-disk [`spool`] and a sender thread per sink
//! delivers from it at least once, with backoff, across restarts.
//!
//! Handing an event over never waits for a receiver: a spool that is full because its receiver
//! has been down for long drops events by its [`SpoolFull`] policy, and an event that cannot be
//! written (a full disk) is dropped, so one sink can never stop the others, the scan, or the
//! agent's heartbeat, watchdog and shutdown. Dropped events are counted per sink, and a sink
//! that starts dropping is reported by a `health` agent event (`degraded`, at most once a minute
//! while it goes on; `ok` when it stops) to every sink. Counters per sink feed the end-of-run
//! report (and the agent's heartbeat).
//!
//! Not here: what the events say (`report::encode`), or which records exist (`scan`).

pub mod durable;
pub mod file;
pub mod http;
pub mod sender;
pub mod spool;
pub mod syslog;
pub mod tls;

use std::collections::VecDeque;
use std::io::Write;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::error::DeliveryError;
use crate::report::encode::EventFormat;
use crate::report::event::{Event, Origin};
use crate::report::{AgentEvent, AgentRecord, Record, RecordSink, SCHEMA_VERSION};
use durable::FsyncPolicy;
use http::{HttpApi, SecretSource};
use sender::{SinkCounters, Transport};
use spool::{Spool, SpoolFull};
use syslog::{SyslogHeader, SyslogTransport};
use tls::TlsFiles;

/// How often a sink that goes on dropping events is reported again.
const DROP_REPORT: Duration = Duration::from_secs(60);
/// How often unsynced event files and spools are checked against the fsync interval.
const TICK: Duration = Duration::from_millis(250);

/// One configured destination.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SinkSpec {
    /// Unique name (its spool folder and its counters are named after it).
    pub name: String,
    /// The encoding of its events.
    pub format: EventFormat,
    /// Where they go.
    pub kind: SinkKind,
}

/// Where a sink's events go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SinkKind {
    /// A rotating file of lines.
    File {
        /// The file.
        path: PathBuf,
        /// Size at which it is rotated.
        max_bytes: u64,
        /// Rotated files kept.
        keep: u32,
        /// When lines are forced to disk.
        fsync: FsyncPolicy,
        /// Permission bits of the file and its rotated copies: 0o600, or 0o640 for a forwarder
        /// that reads it as the file's group.
        mode: u32,
    },
    /// Standard output, a line per event.
    Stdout,
    /// A syslog receiver.
    Syslog {
        /// UDP, TCP or TLS.
        transport: SyslogTransport,
        /// `host:port`.
        address: String,
        /// The name the server's certificate must carry (default: the host in `address`).
        server_name: Option<String>,
        /// Header fields.
        header: SyslogHeader,
        /// Certificates (TLS only).
        tls: TlsFiles,
    },
    /// Splunk HEC or Elasticsearch bulk.
    Http {
        /// Which API.
        api: HttpApi,
        /// Base URL (`https://host:port`; `http://` only with `allow_plaintext`).
        url: String,
        /// Accept an `http://` URL, over which the token travels in clear.
        allow_plaintext: bool,
        /// Elasticsearch index or data stream; Splunk index (optional).
        index: Option<String>,
        /// Splunk sourcetype.
        sourcetype: String,
        /// Where the token or API key is kept.
        secret: SecretSource,
        /// How long one request may take before it is retried.
        timeout: Duration,
        /// Certificates.
        tls: TlsFiles,
    },
}

impl SinkKind {
    /// True for sinks that deliver through a spool.
    pub fn is_network(&self) -> bool {
        matches!(self, SinkKind::Syslog { .. } | SinkKind::Http { .. })
    }
}

/// The `[delivery]` settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryConfig {
    /// Destinations.
    pub sinks: Vec<SinkSpec>,
    /// Where spools live (default: the state folder's `spool`).
    pub spool_dir: Option<PathBuf>,
    /// Most bytes of events one spool holds.
    pub spool_max_bytes: u64,
    /// What a full spool drops.
    pub spool_full: SpoolFull,
    /// How long `dlp-scan` waits at exit for network sinks to deliver.
    pub drain_timeout: Duration,
}

/// A sink's counters at one moment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SinkStatus {
    /// The sink's name.
    pub name: String,
    /// Events waiting in its spool (0 for local sinks).
    pub queued: u64,
    /// Events delivered (written, for local sinks).
    pub sent: u64,
    /// Events sent again after a failure.
    pub retried: u64,
    /// Events the receiver refused for good.
    pub failed: u64,
    /// Events lost before delivery: dropped by a full spool, or not writable (a full disk).
    pub dropped: u64,
}

enum Output {
    File(Mutex<file::RotatingFile>),
    /// Set once the reader has gone (`dlp-scan ... | head`): the rest is not written, quietly.
    Stdout(AtomicBool),
    Spooled {
        spool: Arc<Spool>,
        framing: Framing,
    },
}

/// How an encoded event is wrapped for a network receiver before it is spooled.
enum Framing {
    Syslog(SyslogHeader),
    Hec { sourcetype: String, index: Option<String> },
    Bulk,
}

struct Sink {
    name: String,
    format: EventFormat,
    output: Output,
    counters: Arc<SinkCounters>,
}

/// Whether a sink is dropping events, as last reported.
#[derive(Debug, Default)]
struct DropReport {
    /// When the last `degraded` event about this sink was made; `None` while it is not dropping.
    reported_at: Option<Instant>,
    /// Events dropped since then.
    unreported: u64,
}

/// What the `in_order` lock guards: the drop reports, and health events not yet handed over.
#[derive(Debug, Default)]
struct Reports {
    /// One per sink, in the order of `Delivery::sinks`.
    sinks: Vec<DropReport>,
    pending: VecDeque<Record>,
}

/// Running sinks: local outputs, spools and their sender threads.
pub struct Delivery {
    origin: Origin,
    /// Held while an event is stamped and handed to every sink, so that each sink receives
    /// events in the order of their ids.
    in_order: Mutex<Reports>,
    sinks: Vec<Sink>,
    stop: Arc<AtomicBool>,
    deadline: Arc<Mutex<Option<Instant>>>,
    threads: Vec<JoinHandle<()>>,
    /// What full spools drop (for the health message).
    spool_full: SpoolFull,
    /// Dropped to stop the tick thread.
    stop_ticker: Option<std::sync::mpsc::Sender<()>>,
    drain_timeout: Duration,
}

impl Delivery {
    /// Opens every sink and starts the senders. Anything that cannot work (a spool in use, a
    /// missing token, an unreadable certificate) fails here, before any scanning.
    pub fn start(config: &DeliveryConfig, origin: Origin) -> Result<Delivery, DeliveryError> {
        let stop = Arc::new(AtomicBool::new(false));
        let deadline = Arc::new(Mutex::new(None));
        let mut sinks = Vec::new();
        let mut threads = Vec::new();
        for spec in &config.sinks {
            let counters = Arc::new(SinkCounters::default());
            let output = match &spec.kind {
                SinkKind::File { path, max_bytes, keep, fsync, mode } => {
                    let file = file::RotatingFile::open(path, *max_bytes, *keep, *mode, *fsync)
                        .map_err(|source| DeliveryError::Io { path: path.clone(), source })?;
                    Output::File(Mutex::new(file))
                }
                SinkKind::Stdout => Output::Stdout(AtomicBool::new(false)),
                network => {
                    let dir = spool_dir(config, &spec.name)?;
                    let spool = Arc::new(
                        Spool::open(&dir, config.spool_max_bytes, config.spool_full)
                            .map_err(|source| DeliveryError::Io { path: dir.clone(), source })?,
                    );
                    let (transport, framing) = transport_for(network)?;
                    let sender = sender::Sender {
                        name: spec.name.clone(),
                        spool: spool.clone(),
                        transport,
                        counters: counters.clone(),
                        rejected_log: dir.join("rejected.jsonl"),
                    };
                    let (stop, deadline) = (stop.clone(), deadline.clone());
                    let thread = std::thread::Builder::new()
                        .name(format!("send-{}", spec.name))
                        .spawn(move || sender.run(&stop, &deadline))
                        .map_err(|source| DeliveryError::Io { path: dir.clone(), source })?;
                    threads.push(thread);
                    Output::Spooled { spool, framing }
                }
            };
            sinks.push(Sink { name: spec.name.clone(), format: spec.format, output, counters });
        }
        let mut delivery = Delivery {
            origin,
            in_order: Mutex::new(Reports {
                sinks: sinks.iter().map(|_| DropReport::default()).collect(),
                ..Reports::default()
            }),
            sinks,
            stop,
            deadline,
            threads,
            spool_full: config.spool_full,
            stop_ticker: None,
            drain_timeout: config.drain_timeout,
        };
        delivery.start_ticker();
        Ok(delivery)
    }

    /// A background tick that applies the fsync interval to spools while idle (event files are
    /// ticked on each write and synced at the end). Stops as soon as `finish` drops its channel.
    fn start_ticker(&mut self) {
        let spools: Vec<Arc<Spool>> = self
            .sinks
            .iter()
            .filter_map(|s| match &s.output {
                Output::Spooled { spool, .. } => Some(spool.clone()),
                _ => None,
            })
            .collect();
        if spools.is_empty() {
            return;
        }
        let (stop_ticker, stopped) = std::sync::mpsc::channel::<()>();
        let spawned = std::thread::Builder::new().name("delivery-tick".into()).spawn(move || {
            while let Err(std::sync::mpsc::RecvTimeoutError::Timeout) = stopped.recv_timeout(TICK) {
                for spool in &spools {
                    let _ = spool.tick();
                }
            }
        });
        if let Ok(thread) = spawned {
            self.threads.push(thread);
            self.stop_ticker = Some(stop_ticker);
        }
    }

    /// The sinks' counters now.
    pub fn status(&self) -> Vec<SinkStatus> {
        self.sinks
            .iter()
            .map(|s| SinkStatus {
                name: s.name.clone(),
                queued: match &s.output {
                    Output::Spooled { spool, .. } => spool.queued_events(),
                    _ => 0,
                },
                sent: s.counters.sent.load(Ordering::Relaxed),
                retried: s.counters.retried.load(Ordering::Relaxed),
                failed: s.counters.failed.load(Ordering::Relaxed),
                dropped: s.counters.dropped.load(Ordering::Relaxed),
            })
            .collect()
    }

    /// Stops: gives network sinks up to the drain timeout to deliver what is spooled (the rest
    /// stays spooled for the next run), syncs files, and reports the counters.
    pub fn finish(mut self) -> Vec<SinkStatus> {
        drop(self.stop_ticker.take());
        *self.deadline.lock().unwrap_or_else(std::sync::PoisonError::into_inner) =
            Some(Instant::now() + self.drain_timeout);
        self.stop.store(true, Ordering::SeqCst);
        for sink in &self.sinks {
            if let Output::Spooled { spool, .. } = &sink.output {
                spool.close();
            }
        }
        for thread in std::mem::take(&mut self.threads) {
            let _ = thread.join();
        }
        for sink in &self.sinks {
            if let Output::File(file) = &sink.output {
                let _ = file.lock().unwrap_or_else(std::sync::PoisonError::into_inner).sync();
            }
        }
        self.status()
    }

    /// Hands `event` to one sink; returns how many events the sink dropped to take it (by its
    /// spool's policy). An error means this event is not in the sink.
    fn deliver(&self, sink: &Sink, event: &Event) -> std::io::Result<u64> {
        let line = sink.format.encode(event, &self.origin);
        match &sink.output {
            Output::File(file) => {
                let mut file = file.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
                file.write_line(&line)?;
                if let Err(e) = file.tick() {
                    tracing::warn!(sink = %sink.name, error = %e, "written events could not be forced to the disk");
                }
            }
            Output::Stdout(reader_gone) => {
                if reader_gone.load(Ordering::Relaxed) {
                    return Ok(0);
                }
                let mut out = std::io::stdout().lock();
                let written = out.write_all(&line).and_then(|()| out.write_all(b"\n")).and_then(|()| out.flush());
                match written {
                    Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {
                        reader_gone.store(true, Ordering::Relaxed);
                        return Ok(0);
                    }
                    other => other?,
                }
            }
            Output::Spooled { spool, framing } => {
                let framed = match framing {
                    Framing::Syslog(header) => {
                        syslog::message(event, &self.origin, header, sink.format.as_str(), &line)
                    }
                    Framing::Hec { sourcetype, index } => {
                        http::hec_envelope(event, &self.origin, &line, sourcetype, index.as_deref())
                    }
                    Framing::Bulk => http::bulk_line(event, &line),
                };
                return Ok(spool.append(&framed)?.dropped());
            }
        }
        sink.counters.sent.fetch_add(1, Ordering::Relaxed);
        Ok(0)
    }

    /// Stamps `record` and hands it to every sink, counting what each drops; a sink that starts
    /// or stops dropping queues a health event in `reports`.
    fn hand_over(&self, reports: &mut Reports, record: &Record) {
        let event = Event::stamp(record);
        for (sink, report) in self.sinks.iter().zip(&mut reports.sinks) {
            let (dropped, cause) = match self.deliver(sink, &event) {
                Ok(dropped) => (dropped, None),
                Err(e) => {
                    tracing::error!(sink = %sink.name, error = %e, "an event could not be written and is dropped");
                    (1, Some(format!("cannot write: {e}")))
                }
            };
            sink.counters.dropped.fetch_add(dropped, Ordering::Relaxed);
            if let Some(health) = self.drop_health(sink, report, dropped, cause) {
                reports.pending.push_back(health);
            }
        }
    }

    /// A health event when `sink` starts dropping (again at most every [`DROP_REPORT`] while it
    /// goes on) and when it has stopped: an append that dropped nothing, with room to spare.
    /// `error` says why an event could not be written; without it, drops are the spool's policy.
    fn drop_health(&self, sink: &Sink, report: &mut DropReport, dropped: u64, error: Option<String>) -> Option<Record> {
        let total = sink.counters.dropped.load(Ordering::Relaxed);
        if dropped > 0 {
            report.unreported += dropped;
            if report.reported_at.is_some_and(|at| at.elapsed() < DROP_REPORT) {
                return None;
            }
            report.reported_at = Some(Instant::now());
            let since = std::mem::take(&mut report.unreported);
            let cause = error.unwrap_or_else(|| format!("spool full, spool_full = \"{}\"", self.spool_full.as_str()));
            let message = format!(
                "sink \"{}\" is dropping events ({cause}): {since} dropped since the last report, {total} in all",
                sink.name
            );
            return Some(self.health_record(sink, "degraded", message));
        }
        let has_room = match &sink.output {
            Output::Spooled { spool, .. } => spool.has_room(),
            _ => true,
        };
        if report.reported_at.is_none() || !has_room {
            return None;
        }
        *report = DropReport::default();
        let message = format!("sink \"{}\" takes events again: {total} dropped in all", sink.name);
        Some(self.health_record(sink, "ok", message))
    }

    fn health_record(&self, sink: &Sink, status: &'static str, message: String) -> Record {
        let queued = match &sink.output {
            Output::Spooled { spool, .. } => spool.queued_events(),
            _ => 0,
        };
        Record::Agent(AgentRecord {
            schema_version: SCHEMA_VERSION,
            event: AgentEvent::Health,
            message,
            status: Some(status),
            path: None,
            rules: Vec::new(),
            counters: [
                (format!("sink.{}.dropped", sink.name), sink.counters.dropped.load(Ordering::Relaxed)),
                (format!("sink.{}.queued", sink.name), queued),
            ]
            .into(),
        })
    }
}

impl RecordSink for Delivery {
    fn record(&self, record: &Record) {
        let mut reports = self.in_order.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        self.hand_over(&mut reports, record);
        // Health events about dropping follow the event that caused them, under the same lock
        // (calling `record` again would lock it twice). Handing one over can make another (the
        // full sink drops it too); a bound keeps that finite, and any left wait for the next record.
        for _ in 0..2 * self.sinks.len() {
            let Some(health) = reports.pending.pop_front() else { break };
            self.hand_over(&mut reports, &health);
        }
    }
}

fn spool_dir(config: &DeliveryConfig, sink: &str) -> Result<PathBuf, DeliveryError> {
    let base = config
        .spool_dir
        .clone()
        .or_else(crate::paths::spool_dir)
        .ok_or_else(|| DeliveryError::Address("no folder for the spool: set delivery.spool_dir".into()))?;
    Ok(base.join(sink))
}

fn host_of(address: &str) -> &str {
    let host = address.rsplit_once(':').map_or(address, |(h, _)| h);
    host.trim_start_matches('[').trim_end_matches(']')
}

fn transport_for(kind: &SinkKind) -> Result<(Box<dyn Transport>, Framing), DeliveryError> {
    match kind {
        SinkKind::Syslog { transport, address, server_name, header, tls } => {
            let framing = Framing::Syslog(header.clone());
            let transport: Box<dyn Transport> = match transport {
                SyslogTransport::Udp => Box::new(syslog::UdpTransport::new(address.clone())),
                SyslogTransport::Tcp => Box::new(syslog::StreamTransport::tcp(address.clone())),
                SyslogTransport::Tls => {
                    let config = tls.load()?.rustls_config()?;
                    let name = server_name.clone().unwrap_or_else(|| host_of(address).to_string());
                    Box::new(syslog::StreamTransport::tls(address.clone(), config, &name)?)
                }
            };
            Ok((transport, framing))
        }
        SinkKind::Http { api, url, allow_plaintext, index, sourcetype, secret, timeout, tls } => {
            let secret = secret.read()?;
            let material = tls.load()?;
            let bulk_index = index.clone().unwrap_or_else(|| "logs-dlp_scan.events-default".to_string());
            let transport =
                http::HttpTransport::new(*api, url, *allow_plaintext, &bulk_index, &secret, &material, *timeout)?;
            let framing = match api {
                HttpApi::SplunkHec => Framing::Hec { sourcetype: sourcetype.clone(), index: index.clone() },
                HttpApi::ElasticsearchBulk => Framing::Bulk,
            };
            Ok((Box::new(transport), framing))
        }
        SinkKind::File { .. } | SinkKind::Stdout => Err(DeliveryError::Address("not a network sink".into())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn heartbeat(n: usize) -> Record {
        Record::Agent(AgentRecord {
            schema_version: SCHEMA_VERSION,
            event: AgentEvent::Heartbeat,
            message: format!("beat {n} {}", "x".repeat(200)),
            status: None,
            path: None,
            rules: Vec::new(),
            counters: Default::default(),
        })
    }

    fn events(path: &std::path::Path) -> Vec<serde_json::Value> {
        std::fs::read_to_string(path).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect()
    }

    /// A syslog sink whose receiver is down behind a small spool, and a local event file.
    fn config(dir: &std::path::Path, port: u16, spool_full: SpoolFull) -> DeliveryConfig {
        let header = SyslogHeader { facility: 16, app_name: "dlp-scan".into(), enterprise_id: 32473 };
        DeliveryConfig {
            sinks: vec![
                SinkSpec {
                    name: "siem".into(),
                    format: EventFormat::Json,
                    kind: SinkKind::Syslog {
                        transport: SyslogTransport::Tcp,
                        address: format!("127.0.0.1:{port}"),
                        server_name: None,
                        header,
                        tls: TlsFiles::default(),
                    },
                },
                SinkSpec {
                    name: "events".into(),
                    format: EventFormat::Json,
                    kind: SinkKind::File {
                        path: dir.join("events.jsonl"),
                        max_bytes: 64 << 20,
                        keep: 1,
                        fsync: FsyncPolicy::Never,
                        mode: crate::private::FILE_MODE,
                    },
                },
            ],
            spool_dir: Some(dir.join("spool")),
            spool_max_bytes: 8 << 10,
            spool_full,
            drain_timeout: Duration::ZERO,
        }
    }

    fn health(events: &[serde_json::Value], status: &str) -> Vec<String> {
        events
            .iter()
            .filter(|e| e["event"] == "health" && e["status"] == status)
            .map(|e| e["message"].as_str().unwrap().to_string())
            .collect()
    }

    #[test]
    fn a_full_spool_never_holds_up_the_local_sink_and_says_so_once() {
        for policy in [SpoolFull::DropOldest, SpoolFull::DropNewest] {
            let dir = tempfile::tempdir().unwrap();
            let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
            let delivery = Delivery::start(&config(dir.path(), port, policy), Origin::this_machine()).unwrap();
            for n in 0..300 {
                delivery.record(&heartbeat(n));
            }
            let status = delivery.finish();
            let (siem, local) = (&status[0], &status[1]);
            assert!(siem.dropped > 0 && siem.queued > 0, "{siem:?}");
            assert_eq!(local.dropped, 0);
            let events = events(&dir.path().join("events.jsonl"));
            assert_eq!(events.iter().filter(|e| e["event"] == "heartbeat").count(), 300, "every event is local");
            let degraded = health(&events, "degraded");
            assert_eq!(degraded.len(), 1, "once a minute at most: {degraded:?}");
            assert!(degraded[0].contains("\"siem\"") && degraded[0].contains(policy.as_str()), "{degraded:?}");
            // Queued, sent and dropped account for every event handed to the full sink (the
            // health event itself included).
            assert_eq!(siem.queued + siem.sent + siem.dropped, 301, "{siem:?}");
        }
    }

    #[test]
    fn a_sink_that_takes_events_again_is_reported_ok() {
        let dir = tempfile::tempdir().unwrap();
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let delivery =
            Delivery::start(&config(dir.path(), port, SpoolFull::DropOldest), Origin::this_machine()).unwrap();
        for n in 0..100 {
            delivery.record(&heartbeat(n));
        }
        // The receiver comes up and takes everything.
        let receiver = std::net::TcpListener::bind(("127.0.0.1", port)).unwrap();
        std::thread::spawn(move || {
            for stream in receiver.incoming() {
                let _ = std::io::copy(&mut stream.unwrap(), &mut std::io::sink());
            }
        });
        let deadline = Instant::now() + Duration::from_secs(30);
        while delivery.status()[0].queued > 0 {
            assert!(Instant::now() < deadline, "the spool drains: {:?}", delivery.status());
            std::thread::sleep(Duration::from_millis(50));
        }
        delivery.record(&heartbeat(100));
        delivery.finish();
        let events = events(&dir.path().join("events.jsonl"));
        let ok = health(&events, "ok");
        assert_eq!(ok.len(), 1, "{ok:?}");
        assert!(ok[0].contains("\"siem\""), "{ok:?}");
        let last_degraded = events.iter().rposition(|e| e["status"] == "degraded").unwrap();
        assert!(events.iter().rposition(|e| e["status"] == "ok").unwrap() > last_degraded);
    }
}
