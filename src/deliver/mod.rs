//! Delivery: events to the places a SIEM reads them from.
//!
//! [`Delivery`] is a [`RecordSink`]: each record is stamped once as an [`Event`] (id, time),
//! then encoded in each sink's own format and handed over. Local sinks (the rotating event
//! file, stdout) write at once. Network sinks (syslog over UDP/TCP/TLS, Splunk HEC,
//! Elasticsearch bulk) append to their own on-disk [`spool`] and a sender thread per sink
//! delivers from it at least once, with backoff, across restarts; a full spool slows the scan
//! instead of dropping events. Counters per sink feed the end-of-run report (and the agent's
//! heartbeat).
//!
//! Not here: what the events say (`report::encode`), or which records exist (`scan`).

pub mod durable;
pub mod file;
pub mod http;
pub mod sender;
pub mod spool;
pub mod syslog;
pub mod tls;

use std::io::Write;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::error::DeliveryError;
use crate::report::encode::EventFormat;
use crate::report::event::{Event, Origin};
use crate::report::{Record, RecordSink};
use durable::FsyncPolicy;
use http::{HttpApi, SecretSource};
use sender::{SinkCounters, Transport};
use spool::Spool;
use syslog::{SyslogHeader, SyslogTransport};
use tls::TlsFiles;

/// How often a full spool is reported while the scan waits for it.
const FULL_SPOOL_REPORT: Duration = Duration::from_secs(30);
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
        /// Base URL (`https://host:port`).
        url: String,
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
    /// Most bytes one spool holds before the scan waits.
    pub spool_max_bytes: u64,
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
    /// Events refused for good or not writable.
    pub failed: u64,
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

/// Running sinks: local outputs, spools and their sender threads.
pub struct Delivery {
    origin: Origin,
    /// Held while an event is stamped and handed to every sink, so that each sink receives
    /// events in the order of their ids.
    in_order: Mutex<()>,
    sinks: Vec<Sink>,
    stop: Arc<AtomicBool>,
    deadline: Arc<Mutex<Option<Instant>>>,
    threads: Vec<JoinHandle<()>>,
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
                SinkKind::File { path, max_bytes, keep, fsync } => {
                    let file = file::RotatingFile::open(path, *max_bytes, *keep, *fsync)
                        .map_err(|source| DeliveryError::Io { path: path.clone(), source })?;
                    Output::File(Mutex::new(file))
                }
                SinkKind::Stdout => Output::Stdout(AtomicBool::new(false)),
                network => {
                    let dir = spool_dir(config, &spec.name)?;
                    let spool = Arc::new(
                        Spool::open(&dir, config.spool_max_bytes)
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
            in_order: Mutex::new(()),
            sinks,
            stop,
            deadline,
            threads,
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

    fn deliver(&self, sink: &Sink, event: &Event) -> std::io::Result<()> {
        let line = sink.format.encode(event, &self.origin);
        match &sink.output {
            Output::File(file) => {
                let mut file = file.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
                file.write_line(&line)?;
                file.tick()?;
            }
            Output::Stdout(reader_gone) => {
                if reader_gone.load(Ordering::Relaxed) {
                    return Ok(());
                }
                let mut out = std::io::stdout().lock();
                let written = out.write_all(&line).and_then(|()| out.write_all(b"\n")).and_then(|()| out.flush());
                match written {
                    Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {
                        reader_gone.store(true, Ordering::Relaxed);
                        return Ok(());
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
                let name = &sink.name;
                spool.append(&framed, FULL_SPOOL_REPORT, &|| {
                    tracing::warn!(sink = %name, "the spool is full; scanning waits until the receiver takes events");
                })?;
                return Ok(());
            }
        }
        sink.counters.sent.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }
}

impl RecordSink for Delivery {
    fn record(&self, record: &Record) {
        let _in_order = self.in_order.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let event = Event::stamp(record);
        for sink in &self.sinks {
            if let Err(e) = self.deliver(sink, &event) {
                sink.counters.failed.fetch_add(1, Ordering::Relaxed);
                tracing::error!(sink = %sink.name, error = %e, "an event could not be written");
            }
        }
    }
}

fn spool_dir(config: &DeliveryConfig, sink: &str) -> Result<PathBuf, DeliveryError> {
    let base = config
        .spool_dir
        .clone()
        .or_else(|| crate::keyfile::default_state_dir().map(|d| d.join("spool")))
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
        SinkKind::Http { api, url, index, sourcetype, secret, timeout, tls } => {
            let secret = secret.read()?;
            let material = tls.load()?;
            let bulk_index = index.clone().unwrap_or_else(|| "logs-dlp_scan.events-default".to_string());
            let transport = http::HttpTransport::new(*api, url, &bulk_index, &secret, &material, *timeout)?;
            let framing = match api {
                HttpApi::SplunkHec => Framing::Hec { sourcetype: sourcetype.clone(), index: index.clone() },
                HttpApi::ElasticsearchBulk => Framing::Bulk,
            };
            Ok((Box::new(transport), framing))
        }
        SinkKind::File { .. } | SinkKind::Stdout => Err(DeliveryError::Address("not a network sink".into())),
    }
}
