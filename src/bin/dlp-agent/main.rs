//! `dlp-agent`: the always-on service. Reads the configuration (`/etc/dlp-scan/config.toml`),
//! starts the sinks, runs the agent until SIGTERM; SIGHUP reloads the configuration (a bad one is
//! rejected with a health event and the old one kept). Under systemd (`Type=notify`) it says
//! when it is ready and pings the watchdog. All the work is in the library (`dlp_scan::agent`).

use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use anyhow::{Context, Result};
use clap::Parser;
use dlp_scan::agent::{Agent, Control, Rules};
use dlp_scan::config::Config;
use dlp_scan::deliver::{Delivery, DeliveryConfig, SinkKind, SinkSpec};
use dlp_scan::detect::FingerprintKey;
use dlp_scan::keyfile::{self, KeySource};
use dlp_scan::report::encode::EventFormat;
use dlp_scan::report::event::Origin;
use dlp_scan::scan::Scanner;
use dlp_scan::worker;
use sha2::Digest;

/// The configuration read when `--config` is not given (the embedded default if it is missing).
const SYSTEM_CONFIG: &str = "/etc/dlp-scan/config.toml";

/// Watch folders, cloud-sync folders and removable drives; report personal data and policy
/// breaches as they appear.
///
/// Exit status: 0 stopped cleanly (or a valid configuration with --check-config), 2 a bad
/// configuration or a failure at start.
#[derive(Parser, Debug)]
#[command(name = "dlp-agent", version)]
struct Args {
    /// Configuration file (TOML). Default: /etc/dlp-scan/config.toml, or the embedded default
    /// configuration when that file does not exist.
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,

    /// Check the configuration and the detectors, say whether they are valid, and exit.
    #[arg(long)]
    check_config: bool,
}

fn main() -> ExitCode {
    dlp_scan::cli::quiet_panics("dlp-agent");
    if let Some(status) = worker::serve_if_asked() {
        return ExitCode::from(status);
    }
    dlp_scan::cli::init_logging();
    let args = Args::parse();
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            let _ = writeln!(io::stderr(), "dlp-agent: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn config_path(args: &Args) -> Option<PathBuf> {
    args.config.clone().or_else(|| Path::new(SYSTEM_CONFIG).exists().then(|| PathBuf::from(SYSTEM_CONFIG)))
}

fn load_config(path: Option<&Path>) -> Result<Config> {
    let config = match path {
        Some(path) => Config::load(path)?,
        None => Config::embedded_default()?,
    };
    Ok(config)
}

/// Detectors, policy and roots from a configuration. The version hashes the configuration text
/// and the scanner's analysis version (program, detector files, key), so a change to any
/// re-judges every file.
fn rules(path: Option<&Path>, key: &FingerprintKey) -> Result<Rules> {
    let config = load_config(path)?;
    let mut scanner = Scanner::new(&config, key.clone()).context("detectors")?;
    if config.scan.isolate_parsers {
        let settings = worker::WorkerSettings {
            source: config.source.clone(),
            key_hex: key.to_hex(),
            memory: config.scan.worker_memory,
        };
        let command =
            worker::WorkerCommand::this_program(settings).context("finding this program to start parser workers")?;
        scanner.isolate_parsers(command);
    }
    let mut hash = sha2::Sha256::new();
    hash.update(scanner.analysis_version().as_bytes());
    hash.update(config.source.text.as_bytes());
    let version = hash.finalize().iter().take(8).map(|b| format!("{b:02x}")).collect();
    Ok(Rules {
        scanner,
        version,
        declared: config.locations.iter().map(|l| l.path.clone()).collect(),
        config: config.agent,
    })
}

/// The configured sinks, or by default a rotating JSON Lines file in the log folder.
fn delivery_config(config: &Config) -> DeliveryConfig {
    let mut delivery = config.delivery.clone();
    if delivery.sinks.is_empty() {
        let dir = match keyfile::default_state_dir() {
            Some(d) if d.starts_with("/var/lib") => PathBuf::from("/var/log/dlp-scan"),
            Some(d) => d,
            None => PathBuf::from("."),
        };
        delivery.sinks.push(SinkSpec {
            name: "events".to_string(),
            format: EventFormat::Json,
            kind: SinkKind::File {
                path: dir.join("events.jsonl"),
                max_bytes: 50 << 20,
                keep: 5,
                fsync: dlp_scan::deliver::durable::FsyncPolicy::Interval,
                mode: dlp_scan::private::FILE_MODE,
            },
        });
    }
    delivery
}

fn run(args: &Args) -> Result<()> {
    let path = config_path(args);
    let config = load_config(path.as_deref()).context("configuration")?;
    let (key, source) = keyfile::load_or_create(config.fingerprint_key_file.as_deref());
    if args.check_config {
        let checked = rules(path.as_deref(), &key).context("configuration")?;
        let name = path.as_deref().map_or_else(|| "the embedded default".to_string(), |p| p.display().to_string());
        writeln!(io::stdout(), "dlp-agent: {name}: the configuration is valid")?;
        for root in checked.scanner.sync_roots() {
            let provider = root.provider.as_deref().unwrap_or("cloud");
            writeln!(io::stdout(), "dlp-agent: sync root ({provider}): {}", root.path.display())?;
        }
        return Ok(());
    }
    if let KeySource::Ephemeral(reason) = &source {
        tracing::warn!(%reason, "fingerprints use a one-off key and are comparable within this run only");
    }
    let initial = rules(path.as_deref(), &key).context("configuration")?;
    let delivery = Delivery::start(&delivery_config(&config), Origin::this_machine()).context("sinks")?;
    let state_file = config
        .agent
        .state_file
        .clone()
        .or_else(|| keyfile::default_state_dir().map(|d| d.join("agent.redb")))
        .context("no folder for the state store: set agent.state_file")?;
    let control = Control::default();
    for signal in [signal_hook::consts::SIGTERM, signal_hook::consts::SIGINT] {
        signal_hook::flag::register(signal, control.stop.clone()).context("signal handler")?;
    }
    signal_hook::flag::register(signal_hook::consts::SIGHUP, control.reload.clone()).context("signal handler")?;
    let sink_counters = || {
        delivery
            .status()
            .into_iter()
            .flat_map(|s| {
                [
                    (format!("sink.{}.queued", s.name), s.queued),
                    (format!("sink.{}.sent", s.name), s.sent),
                    (format!("sink.{}.retried", s.name), s.retried),
                    (format!("sink.{}.failed", s.name), s.failed),
                    (format!("sink.{}.dropped", s.name), s.dropped),
                ]
            })
            .collect()
    };
    let mut agent = Agent::new(initial, &state_file, &delivery, Arc::new(sink_counters)).context("agent")?;
    let mut reload = || rules(path.as_deref(), &key).map_err(|e| format!("{e:#}"));
    let mut ready = || {
        let _ = sd_notify::notify(&[sd_notify::NotifyState::Ready]);
    };
    let watchdog_interval = sd_notify::watchdog_enabled();
    let last_ping = Mutex::new(Instant::now());
    // Called by the agent's pulse thread while its work is making progress.
    let watchdog = || {
        let mut last = last_ping.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if watchdog_interval.is_some_and(|interval| last.elapsed() >= interval / 2) {
            let _ = sd_notify::notify(&[sd_notify::NotifyState::Watchdog]);
            *last = Instant::now();
        }
    };
    agent.run(&control, &mut reload, &mut ready, &watchdog);
    let _ = sd_notify::notify(&[sd_notify::NotifyState::Stopping]);
    drop(agent);
    for s in delivery.finish() {
        if s.queued > 0 {
            tracing::warn!(sink = %s.name, queued = s.queued, "events stay spooled for the next start");
        }
    }
    Ok(())
}
