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
use dlp_scan::cli::Exit;
use dlp_scan::config::worker;
use dlp_scan::config::Config;
use dlp_scan::deliver::{SinkKind, SinkSpec};
use dlp_scan::detect::FingerprintKey;
use dlp_scan::keyfile::KeySource;
use dlp_scan::platform;

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

    /// Serve as a parser worker of the running program (`worker::WORKER_FLAG`).
    #[arg(long, hide = true, exclusive = true)]
    internal_worker: bool,
}

/// The man page's EXAMPLES: a command line, and what it does.
const EXAMPLES: &[(&str, &str)] = &[
    ("dlp-agent --check-config", "Check /etc/dlp-scan/config.toml and show what would be watched and where events go."),
    ("systemctl enable --now dlp-agent", "Start the agent as a service (the Debian package's unit)."),
    ("systemctl reload dlp-agent", "Read the configuration again (SIGHUP) without stopping."),
];

fn main() -> ExitCode {
    dlp_scan::cli::quiet_panics("dlp-agent");
    // Registered as a Windows service with `--service`, the platform layer runs this under the
    // service manager (status, Stop, Shutdown), with that flag taken out of the arguments;
    // everywhere else it runs here, in the foreground.
    platform::run_agent(|args| {
        let args = Args::parse_from(args);
        if args.internal_worker {
            return worker::worker_main();
        }
        dlp_scan::cli::init_logging(tracing::Level::INFO);
        match run(&args) {
            Ok(()) => Exit::Clean as u8,
            Err(e) => {
                let _ = writeln!(io::stderr(), "dlp-agent: {e:#}");
                Exit::Fatal as u8
            }
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

/// Detectors, policy and roots from the configuration at `path` (read again on each reload).
fn rules(path: Option<&Path>, key: &FingerprintKey) -> Result<Rules> {
    let config = load_config(path)?;
    let scanner = config.scanner(key)?;
    Ok(Rules {
        version: config.rules_version(&scanner),
        scanner,
        declared: config.locations.iter().map(|l| l.path.clone()).collect(),
        own_files: config.agent_own_files(),
        config: config.agent,
    })
}

/// Says what the agent watches and where its events go (at start, on reload, and for
/// `--check-config`).
fn describe(config_name: &str, rules: &Rules, sinks: &[SinkSpec]) -> String {
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
    let sinks = list(sinks.iter().map(describe_sink).collect());
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

fn run(args: &Args) -> Result<()> {
    if let Some(kind) = args.generate {
        let written = dlp_scan::cli::generate(kind, Args::command(), EXAMPLES, &mut io::stdout().lock());
        return dlp_scan::cli::unless_reader_gone(written).context("writing");
    }
    let path = config_path(args);
    let config = load_config(path.as_deref()).context("configuration")?;
    let (key, source) = config.fingerprint_key();
    let name = path.as_deref().map_or_else(|| "the embedded default".to_string(), |p| p.display().to_string());
    if args.check_config {
        let rules = rules(path.as_deref(), &key).context("configuration")?;
        writeln!(io::stdout(), "dlp-agent: {name}: the configuration is valid")?;
        writeln!(io::stdout(), "{}", describe(&name, &rules, &config.agent_sinks()))?;
        return Ok(());
    }
    if let KeySource::Ephemeral(reason) = &source {
        tracing::warn!(%reason, "fingerprints use a one-off key and are comparable within this run only");
    }
    let initial = rules(path.as_deref(), &key).context("configuration")?;
    let sinks = config.agent_sinks();
    let delivery = config.delivery(sinks.clone())?;
    let state_file = config.agent_state_file().context("no folder for the state store: set agent.state_file")?;
    tracing::info!("{}", describe(&name, &initial, &sinks));
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
            tracing::info!("reloaded: {}", describe(&name, &rules, &sinks));
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
