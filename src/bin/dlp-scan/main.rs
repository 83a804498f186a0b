//! `dlp-scan PATH...`: a one-shot audit of files for personal data, printed for a person or as JSON
//! Lines for a SIEM. Arguments become a `Config` here; all work happens in the library.

use std::io::{self, IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::Ordering;
use std::time::Duration;

use anyhow::{Context, Result};
use clap::{CommandFactory, Parser, ValueEnum};
use dlp_scan::config::Config;
use dlp_scan::deliver::{Delivery, DeliveryConfig, SinkKind, SinkSpec, SinkStatus};
use dlp_scan::keyfile::{self, KeySource};
use dlp_scan::report::encode::EventFormat;
use dlp_scan::report::event::Origin;
use dlp_scan::report::human::HumanReport;
use dlp_scan::report::{Fanout, RecordSink, SummaryRecord};
use dlp_scan::scan::{Progress, Scanner};
use dlp_scan::worker;

/// Find personal data, credentials and policy breaches in files.
///
/// Exit status: 0 no violations, 1 at least one violation, 2 fatal error (bad arguments or
/// configuration), 3 with --fail-on-incomplete when any file could not be fully scanned.
#[derive(Parser, Debug)]
#[command(name = "dlp-scan", version)]
struct Args {
    /// Files or directories to scan.
    #[arg(required_unless_present_any = ["send_spooled", "generate", "list_detectors"], value_name = "PATH")]
    paths: Vec<PathBuf>,

    /// Output format on stdout, one event per line: `json` (the report records), `ecs`, `ocsf`
    /// or `cef`; `human` (the default) is a table. Configured `[[sinks]]` receive events too.
    #[arg(long, value_enum)]
    format: Option<Format>,

    /// Scan nothing: deliver the events earlier runs left in the network sinks' spools (for
    /// example while a receiver was down), waiting up to `delivery.drain_timeout_secs`.
    #[arg(long, conflicts_with = "paths")]
    send_spooled: bool,

    /// Configuration file (TOML); the embedded default is used without it.
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,

    /// Follow symbolic links (link loops are detected and reported).
    #[arg(long)]
    follow: bool,

    /// Exit with status 3 when any file could not be fully scanned (unreadable, too large,
    /// time budget exceeded).
    #[arg(long)]
    fail_on_incomplete: bool,

    /// Worker threads (default: one per core, or the configuration's `scan.threads`).
    #[arg(long, value_name = "N")]
    threads: Option<usize>,

    /// Fingerprint key file (overrides `fingerprint.key_file`).
    #[arg(long, value_name = "FILE")]
    fingerprint_key: Option<PathBuf>,

    /// Do not scan (or enter) paths matching this glob, besides `scan.exclude` (repeatable;
    /// `**/node_modules`, `*.iso`).
    #[arg(long, value_name = "GLOB")]
    exclude: Vec<String>,

    /// List the detectors that would run (embedded and the configuration's own): id, kind of
    /// data, confidence, examples, description; then exit.
    #[arg(long, conflicts_with_all = ["paths", "send_spooled"])]
    list_detectors: bool,

    /// Write the man page or a shell's completion script to standard output, then exit.
    #[arg(long, value_enum, value_name = "KIND", conflicts_with_all = ["paths", "send_spooled"])]
    generate: Option<dlp_scan::cli::Generate>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum Format {
    /// JSON Lines: `file`, `error` and a final `summary` record.
    Json,
    /// Elastic Common Schema, one JSON object per line.
    Ecs,
    /// OCSF Data Security Findings, one JSON object per line.
    Ocsf,
    /// ArcSight CEF, one event per line.
    Cef,
    /// The table for people (the default).
    Human,
}

impl Format {
    fn event_format(self) -> Option<EventFormat> {
        match self {
            Format::Json => Some(EventFormat::Json),
            Format::Ecs => Some(EventFormat::Ecs),
            Format::Ocsf => Some(EventFormat::Ocsf),
            Format::Cef => Some(EventFormat::Cef),
            Format::Human => None,
        }
    }
}

/// The process exit status, as documented in `--help`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Exit {
    Clean = 0,
    Violations = 1,
    Fatal = 2,
    Incomplete = 3,
}

fn main() -> ExitCode {
    dlp_scan::cli::quiet_panics("dlp-scan");
    if let Some(status) = worker::serve_if_asked() {
        return ExitCode::from(status);
    }
    dlp_scan::cli::init_logging(tracing::Level::WARN);
    let args = Args::parse();
    match run(&args) {
        Ok(exit) => ExitCode::from(exit as u8),
        Err(e) => {
            let _ = writeln!(io::stderr(), "dlp-scan: {e:#}");
            ExitCode::from(Exit::Fatal as u8)
        }
    }
}

fn load_config(args: &Args) -> Result<Config> {
    let mut config = match &args.config {
        Some(path) => Config::load(path)?,
        None => Config::embedded_default()?,
    };
    config.scan.follow_symlinks |= args.follow;
    if let Some(n) = args.threads {
        config.scan.threads = n;
    }
    if args.fingerprint_key.is_some() {
        config.fingerprint_key_file.clone_from(&args.fingerprint_key);
    }
    config.add_exclusions(&args.exclude).map_err(|e| anyhow::anyhow!("--exclude: {e}"))?;
    Ok(config)
}

/// The sinks of this run: the configured ones, with stdout following `--format` when given
/// (a configured stdout sink is the default for `--format`).
fn delivery_config(args: &Args, config: &Config) -> DeliveryConfig {
    let mut delivery = config.delivery.clone();
    if let Some(format) = args.format {
        delivery.sinks.retain(|s| s.kind != SinkKind::Stdout);
        if let Some(format) = format.event_format() {
            delivery.sinks.push(SinkSpec { name: "stdout".to_string(), format, kind: SinkKind::Stdout });
        }
    }
    delivery
}

/// Says what the network sinks could not deliver before the drain timeout (it stays spooled).
fn report_delivery(statuses: &[SinkStatus]) {
    for s in statuses {
        tracing::info!(sink = %s.name, sent = s.sent, retried = s.retried, failed = s.failed, dropped = s.dropped, queued = s.queued, "delivery");
        if s.queued > 0 {
            let _ = writeln!(
                io::stderr(),
                "dlp-scan: {} events for sink \"{}\" are spooled and will be sent by the next run (or `dlp-scan --send-spooled`)",
                s.queued,
                s.name
            );
        }
        if s.failed > 0 {
            let _ = writeln!(io::stderr(), "dlp-scan: sink \"{}\" refused {} events", s.name, s.failed);
        }
        if s.dropped > 0 {
            let _ = writeln!(
                io::stderr(),
                "dlp-scan: sink \"{}\" dropped {} events (a full spool or a full disk)",
                s.name,
                s.dropped
            );
        }
    }
}

fn run(args: &Args) -> Result<Exit> {
    if let Some(kind) = args.generate {
        let written = dlp_scan::cli::generate(kind, Args::command(), &mut io::stdout().lock());
        dlp_scan::cli::unless_reader_gone(written).context("writing")?;
        return Ok(Exit::Clean);
    }
    if args.list_detectors {
        let config = load_config(args).context("configuration")?;
        let (key, _) = keyfile::load_or_create(config.fingerprint_key_file.as_deref());
        let scanner = Scanner::new(&config, key).context("detectors")?;
        dlp_scan::cli::unless_reader_gone(list_detectors(&scanner, &mut io::stdout().lock())).context("writing")?;
        return Ok(Exit::Clean);
    }
    if args.send_spooled {
        let config = load_config(args).context("configuration")?;
        let delivery = Delivery::start(&delivery_config(args, &config), Origin::this_machine()).context("sinks")?;
        report_delivery(&delivery.finish());
        return Ok(Exit::Clean);
    }
    // A path that does not exist is an error record and the scan goes on (exit 2 at the end).
    let missing = args.paths.iter().filter(|p| std::fs::symlink_metadata(p).is_err()).count();
    let config = load_config(args).context("configuration")?;
    let (key, source) = keyfile::load_or_create(config.fingerprint_key_file.as_deref());
    if let KeySource::Ephemeral(reason) = &source {
        tracing::warn!(%reason, "fingerprints use a one-off key and are comparable within this run only");
    }
    let key_hex = key.to_hex();
    let mut scanner = Scanner::new(&config, key).context("detectors")?;
    if config.scan.isolate_parsers {
        let settings =
            worker::WorkerSettings { source: config.source.clone(), key_hex, memory: config.scan.worker_memory };
        let command =
            worker::WorkerCommand::this_program(settings).context("finding this program to start parser workers")?;
        scanner.isolate_parsers(command);
    }
    let progress = Progress::default();
    let delivery_config = delivery_config(args, &config);
    let to_stdout = delivery_config.sinks.iter().any(|s| s.kind == SinkKind::Stdout);
    let delivery = Delivery::start(&delivery_config, Origin::this_machine()).context("sinks")?;
    let summary = if to_stdout {
        scanner.run(&args.paths, &delivery, &progress)
    } else {
        run_for_a_person(&scanner, &args.paths, &progress, &delivery)?
    };
    report_delivery(&delivery.finish());
    if missing > 0 {
        let _ = writeln!(io::stderr(), "dlp-scan: {missing} of the paths given do not exist (see the error records)");
        return Ok(Exit::Fatal);
    }
    Ok(exit_status(&summary, args.fail_on_incomplete))
}

fn run_for_a_person(
    scanner: &Scanner,
    paths: &[PathBuf],
    progress: &Progress,
    delivery: &Delivery,
) -> Result<SummaryRecord> {
    let table = HumanReport::default();
    let report = Fanout(vec![&table as &dyn RecordSink, delivery]);
    let interactive = io::stdout().is_terminal() && io::stderr().is_terminal();
    let done = std::sync::atomic::AtomicBool::new(false);
    let summary = std::thread::scope(|scope| {
        if interactive {
            scope.spawn(|| show_progress(progress, &done));
        }
        let summary = scanner.run(paths, &report, progress);
        done.store(true, Ordering::Relaxed);
        summary
    });
    let colour = interactive && std::env::var_os("NO_COLOR").is_none();
    let mut out = io::stdout().lock();
    table.write(&summary, &mut out, colour).context("writing the report")?;
    Ok(summary)
}

/// One line per detector: id, kind of data, confidence, true/false examples, description.
fn list_detectors(scanner: &Scanner, out: &mut dyn Write) -> io::Result<()> {
    writeln!(out, "{:<40} {:<20} {:<10} {:<9} DESCRIPTION", "DETECTOR", "KIND", "CONFIDENCE", "EXAMPLES")?;
    for d in scanner.engine().detectors() {
        let positives = d.examples().iter().filter(|(_, e)| !e.matches.is_empty()).count();
        let examples = format!("{positives}+{}", d.examples().len() - positives);
        let source = if d.is_embedded() { String::new() } else { format!(" ({})", d.path().display()) };
        writeln!(
            out,
            "{:<40} {:<20} {:<10} {:<9} {}{source}",
            d.id(),
            name_of(d.class()),
            name_of(d.confidence()),
            examples,
            d.description()
        )?;
    }
    Ok(())
}

/// The name a value has in the reports (its serde name).
fn name_of(value: impl serde::Serialize) -> String {
    serde_json::to_value(value).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default()
}

/// A one-line progress display on stderr, shown only once a scan has taken a second.
fn show_progress(progress: &Progress, done: &std::sync::atomic::AtomicBool) {
    let started = std::time::Instant::now();
    let mut shown = false;
    while !done.load(Ordering::Relaxed) {
        std::thread::sleep(Duration::from_millis(100));
        if started.elapsed() < Duration::from_secs(1) {
            continue;
        }
        shown = true;
        let line = format!(
            "\r\x1b[2Kscanning: {} files, {:.1} MB, {} with findings",
            progress.files.load(Ordering::Relaxed),
            progress.bytes.load(Ordering::Relaxed) as f64 / 1e6,
            progress.files_with_findings.load(Ordering::Relaxed)
        );
        let _ = io::stderr().write_all(line.as_bytes());
    }
    if shown {
        let _ = io::stderr().write_all(b"\r\x1b[2K");
    }
}

fn exit_status(summary: &SummaryRecord, fail_on_incomplete: bool) -> Exit {
    let too_large = summary.skipped.get("too_large").copied().unwrap_or(0);
    let incomplete = summary.errors > 0 || summary.partial > 0 || too_large > 0;
    if fail_on_incomplete && incomplete {
        Exit::Incomplete
    } else if !summary.violations.is_empty() {
        Exit::Violations
    } else {
        Exit::Clean
    }
}
