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
use clap::{CommandFactory, Parser};
use dlp_scan::agent::{Agent, Control, Rules};
use dlp_scan::config::Config;
use dlp_scan::deliver::{Delivery, DeliveryConfig, SinkKind, SinkSpec};
use dlp_scan::detect::FingerprintKey;
use dlp_scan::keyfile::{self, KeySource};
use dlp_scan::report::encode::EventFormat;
use dlp_scan::report::event::Origin;
use dlp_scan::scan::{serve, Scanner};
use dlp_scan::{paths, platform, worker};
use sha2::Digest;

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

    /// Check the configuration and the detectors, say whether they are valid, what would be
    /// watched and where events would go, and exit.
    #[arg(long)]
    check_config: bool,

    /// Write the man page or a shell's completion script to standard output, then exit.
    #[arg(long, value_enum, value_name = "KIND")]
    generate: Option<dlp_scan::cli::Generate>,
}

fn main() -> ExitCode {
    dlp_scan::cli::quiet_panics("dlp-agent");
    if let Some(status) = serve::serve_if_asked() {
        return ExitCode::from(status);
    }
    dlp_scan::cli::init_logging(tracing::Level::INFO);
    // Registered as a Windows service with `--service`, the platform layer runs this under the
    // service manager (status, Stop, Shutdown); everywhere else it runs here, in the foreground.
    platform::run_agent(|args| match run(&Args::parse_from(args)) {
        Ok(()) => 0,
        Err(e) => {
            let _ = writeln!(io::stderr(), "dlp-agent: {e:#}");
            2
        }
    })
}

/// The configuration to read: `--config`, or the system's (`platform::system_config`) when it
/// exists; `None` for the embedded default.
fn config_path(args: &Args) -> Option<PathBuf> {
    args.config.clone().or_else(|| Some(platform::system_config()).filter(|path| path.exists()))
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
        let settings = serve::WorkerSettings {
            source: config.source.clone(),
            key_hex: key.to_hex(),
            memory: config.scan.worker_memory,
        };
        let command = worker::WorkerCommand::this_program(&settings, settings.memory)
            .context("finding this program to start parser workers")?;
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
        own_files: own_files(&config),
        config: config.agent,
    })
}

/// What the agent writes itself: its state store, key, spools and event files.
fn own_files(config: &Config) -> Vec<PathBuf> {
    let mut own: Vec<PathBuf> = [
        state_file(config),
        config.fingerprint_key_file.clone().or_else(paths::key_file),
        config.delivery.spool_dir.clone().or_else(paths::spool_dir),
    ]
    .into_iter()
    .flatten()
    .collect();
    own.extend(delivery_config(config).sinks.into_iter().filter_map(|s| match s.kind {
        SinkKind::File { path, .. } => Some(path),
        _ => None,
    }));
    own
}

fn state_file(config: &Config) -> Option<PathBuf> {
    config.agent.state_file.clone().or_else(paths::agent_store)
}

/// Says what the agent watches and where its events go (at start, on reload, and for
/// `--check-config`).
fn describe(config_name: &str, rules: &Rules, delivery: &DeliveryConfig) -> String {
    let list = |paths: Vec<String>| if paths.is_empty() { "none".to_string() } else { paths.join(", ") };
    let roots = list(rules.config.roots_or_homes().iter().map(|p| p.display().to_string()).collect());
    let places = list(
        rules
            .scanner
            .places()
            .iter()
            .map(|l| {
                format!(
                    "{} ({:?}{})",
                    l.path.display(),
                    l.kind,
                    l.provider.as_deref().map(|p| format!(" {p}")).unwrap_or_default()
                )
            })
            .collect(),
    );
    let sinks = list(delivery.sinks.iter().map(describe_sink).collect());
    format!(
        "dlp-agent {}: configuration {config_name}; watching {roots}; known places {places}; events to {sinks}",
        env!("CARGO_PKG_VERSION")
    )
}

fn describe_sink(sink: &SinkSpec) -> String {
    let format = sink.format.as_str();
    match &sink.kind {
        SinkKind::File { path, .. } => format!("{} (file {}, {format})", sink.name, path.display()),
        SinkKind::Stdout => format!("{} (standard output, {format})", sink.name),
        SinkKind::Syslog { transport, address, .. } => {
            format!("{} (syslog {transport:?} {address}, {format})", sink.name)
        }
        SinkKind::Http { api, url, .. } => format!("{} ({api:?} {url}, {format})", sink.name),
    }
}

/// The configured sinks, or by default a rotating JSON Lines file in the log folder.
fn delivery_config(config: &Config) -> DeliveryConfig {
    let mut delivery = config.delivery.clone();
    if delivery.sinks.is_empty() {
        let dir = platform::default_log_dir().unwrap_or_else(|| PathBuf::from("."));
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
    if let Some(kind) = args.generate {
        let written = dlp_scan::cli::generate(kind, Args::command(), &mut io::stdout().lock());
        return dlp_scan::cli::unless_reader_gone(written).context("writing");
    }
    let path = config_path(args);
    let config = load_config(path.as_deref()).context("configuration")?;
    let (key, source) = keyfile::load_or_create(config.fingerprint_key_file.as_deref());
    let name = path.as_deref().map_or_else(|| "the embedded default".to_string(), |p| p.display().to_string());
    if args.check_config {
        let rules = rules(path.as_deref(), &key).context("configuration")?;
        writeln!(io::stdout(), "dlp-agent: {name}: the configuration is valid")?;
        writeln!(io::stdout(), "{}", describe(&name, &rules, &delivery_config(&config)))?;
        return Ok(());
    }
    if let KeySource::Ephemeral(reason) = &source {
        tracing::warn!(%reason, "fingerprints use a one-off key and are comparable within this run only");
    }
    let initial = rules(path.as_deref(), &key).context("configuration")?;
    let delivery_config = delivery_config(&config);
    let delivery = Delivery::start(&delivery_config, Origin::this_machine()).context("sinks")?;
    let state_file = state_file(&config).context("no folder for the state store: set agent.state_file")?;
    tracing::info!("{}", describe(&name, &initial, &delivery_config));
    let control = Control::default();
    platform::on_stop_and_reload(&control.stop, &control.reload).context("signal handler")?;
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
    // Sinks are set at start; a reload changes what is watched and judged.
    let mut reload = || match rules(path.as_deref(), &key) {
        Ok(rules) => {
            tracing::info!("reloaded: {}", describe(&name, &rules, &delivery_config));
            Ok(rules)
        }
        Err(e) => {
            tracing::warn!("the new configuration is rejected, the old one stays: {e:#}");
            Err(format!("{e:#}"))
        }
    };
    let mut ready = platform::service_ready;
    let watchdog_interval = platform::watchdog_interval();
    let last_ping = Mutex::new(Instant::now());
    // Called by the agent's pulse thread while its work is making progress.
    let watchdog = || {
        let mut last = last_ping.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if watchdog_interval.is_some_and(|interval| last.elapsed() >= interval / 2) {
            platform::watchdog_ping();
            *last = Instant::now();
        }
    };
    agent.run(&control, &mut reload, &mut ready, &watchdog);
    platform::service_stopping();
    drop(agent);
    for s in delivery.finish() {
        if s.queued > 0 {
            tracing::warn!(sink = %s.name, queued = s.queued, "events stay spooled for the next start");
        }
    }
    Ok(())
}
