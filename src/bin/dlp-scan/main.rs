//! `dlp-scan PATH...`: a one-shot audit of files for personal data, printed for a person or as JSON
//! Lines for a SIEM. Arguments become a `Config` here; all work happens in the library.

use std::io::{self, BufWriter, IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::Ordering;
use std::time::Duration;

use anyhow::{bail, Context, Result};
use clap::{Parser, ValueEnum};
use dlp_scan::config::Config;
use dlp_scan::keyfile::{self, KeySource};
use dlp_scan::report::human::HumanReport;
use dlp_scan::report::{JsonLinesSink, SummaryRecord};
use dlp_scan::scan::{Progress, Scanner};

/// Find personal data, credentials and policy breaches in files.
///
/// Exit status: 0 no violations, 1 at least one violation, 2 fatal error (bad arguments or
/// configuration), 3 with --fail-on-incomplete when any file could not be fully scanned.
#[derive(Parser, Debug)]
#[command(name = "dlp-scan", version)]
struct Args {
    /// Files or directories to scan.
    #[arg(required = true, value_name = "PATH")]
    paths: Vec<PathBuf>,

    /// Output format: `json` prints one JSON record per line (JSON Lines); without it a person
    /// gets a table.
    #[arg(long, value_enum)]
    format: Option<Format>,

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
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum Format {
    /// JSON Lines: `file`, `error` and a final `summary` record.
    Json,
    /// The table for people (the default).
    Human,
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
    init_logging();
    let args = Args::parse();
    match run(&args) {
        Ok(exit) => ExitCode::from(exit as u8),
        Err(e) => {
            let _ = writeln!(io::stderr(), "dlp-scan: {e:#}");
            ExitCode::from(Exit::Fatal as u8)
        }
    }
}

fn init_logging() {
    let level = match std::env::var("DLP_SCAN_LOG").ok().as_deref() {
        Some("error") => tracing::Level::ERROR,
        Some("info") => tracing::Level::INFO,
        Some("debug") => tracing::Level::DEBUG,
        Some("trace") => tracing::Level::TRACE,
        _ => tracing::Level::WARN,
    };
    tracing_subscriber::fmt()
        .with_max_level(level)
        .with_writer(io::stderr)
        .with_ansi(io::stderr().is_terminal())
        .init();
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
    Ok(config)
}

fn run(args: &Args) -> Result<Exit> {
    for path in &args.paths {
        if std::fs::symlink_metadata(path).is_err() {
            bail!("{}: no such file or directory", path.display());
        }
    }
    let config = load_config(args).context("configuration")?;
    let (key, source) = keyfile::load_or_create(config.fingerprint_key_file.as_deref());
    if let KeySource::Ephemeral(reason) = &source {
        tracing::warn!(%reason, "fingerprints use a one-off key and are comparable within this run only");
    }
    let scanner = Scanner::new(&config, key).context("detectors")?;
    let progress = Progress::default();
    let format = args.format.unwrap_or(Format::Human);
    let summary = match format {
        Format::Json => {
            let sink = JsonLinesSink::new(BufWriter::new(io::stdout()));
            scanner.run(&args.paths, &sink, &progress)
        }
        Format::Human => run_for_a_person(&scanner, &args.paths, &progress)?,
    };
    Ok(exit_status(&summary, args.fail_on_incomplete))
}

fn run_for_a_person(scanner: &Scanner, paths: &[PathBuf], progress: &Progress) -> Result<SummaryRecord> {
    let report = HumanReport::default();
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
    report.write(&summary, &mut out, colour).context("writing the report")?;
    Ok(summary)
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
