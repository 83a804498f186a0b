//! `dlp-scan PATH...`: a one-shot audit of files for personal data, printed for a person or as JSON
//! Lines for a SIEM. Arguments become a `Config` here; all work happens in the library.

use std::io::{self, IsTerminal, Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::Ordering;
use std::time::Duration;

use anyhow::{Context, Result};
use clap::{CommandFactory, Parser, ValueEnum};
use dlp_scan::classify::Category;
use dlp_scan::cli::Exit;
use dlp_scan::config::worker;
use dlp_scan::config::Config;
use dlp_scan::deliver::{Delivery, SinkKind, SinkSpec, SinkStatus};
use dlp_scan::keyfile::KeySource;
use dlp_scan::policy::Severity;
use dlp_scan::report::collect::Collected;
use dlp_scan::report::encode::EventFormat;
use dlp_scan::report::human::{self, Style};
use dlp_scan::report::view::{Shown, View};
use dlp_scan::report::{self, Fanout, Record, RecordSink, SummaryRecord};
use dlp_scan::scan::summary::Progress;
use dlp_scan::scan::Scanner;

/// Find personal data, credentials and policy breaches in files.
///
/// Exit status: 0 no violations, 1 at least one violation, 2 fatal error (bad arguments or
/// configuration), 3 with --fail-on-incomplete when any file could not be fully scanned.
#[derive(Parser, Debug)]
#[command(name = "dlp-scan", version)]
struct Args {
    /// Files or directories to scan; `-` scans standard input as one file (named `<stdin>` in
    /// the report, up to `scan.max_file_size` bytes; Linux only).
    #[arg(
        required_unless_present_any = ["send_spooled", "generate", "list_detectors", "files_from", "check_config", "internal_worker"],
        value_name = "PATH"
    )]
    paths: Vec<PathBuf>,

    /// Also scan the paths listed in FILE (`-`: standard input), one per line, or separated by
    /// NUL characters when the list holds any (`find -print0`).
    #[arg(long, value_name = "FILE", conflicts_with_all = ["send_spooled", "list_detectors", "generate"])]
    files_from: Option<PathBuf>,

    /// Output format on stdout: `human` (the default: violations first, then the files, then
    /// totals), `csv` (one row per file) or `html` (one self-contained page), written when the
    /// scan ends; or one event per line: `json` (the report records), `ecs`, `ocsf` or `cef`.
    /// Configured `[[sinks]]` receive events too.
    #[arg(long, value_enum)]
    format: Option<Format>,

    /// Colours in the human report: `auto` (on a terminal, unless NO_COLOR is set), `always`
    /// or `never`. Its width is the COLUMNS environment variable, else the terminal's, else 80.
    #[arg(long, value_enum, value_name = "WHEN", default_value_t = ColorChoice::Auto)]
    color: ColorChoice,

    /// Nothing on standard output (files that cannot be read are still named on stderr); the
    /// exit status tells the result. Configured sinks still receive every event.
    #[arg(long, short, conflicts_with = "summary")]
    quiet: bool,

    /// Show only the totals (with an event format, only the summary record).
    #[arg(long)]
    summary: bool,

    /// Show only files with a violation at least this severe (and only those violations). The
    /// totals and the exit status still count everything.
    #[arg(long, value_enum, value_name = "SEVERITY")]
    min_severity: Option<SeverityArg>,

    /// Show only files of this category (repeatable). The totals and the exit status still
    /// count everything.
    #[arg(long, value_enum, value_name = "CATEGORY")]
    category: Vec<CategoryArg>,

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

    /// Check the configuration and the detectors (their examples too), say whether they are
    /// valid, and exit: 0 valid, 2 not (the file, line and column of what is wrong on stderr).
    #[arg(long, conflicts_with_all = ["paths", "send_spooled", "list_detectors", "generate"])]
    check_config: bool,

    /// Serve as a parser worker of the running program (`worker::WORKER_FLAG`).
    #[arg(long, hide = true, exclusive = true)]
    internal_worker: bool,
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
    /// The report for people (the default).
    Human,
    /// One row per file with a header row, for a spreadsheet.
    Csv,
    /// One self-contained HTML page, to open or hand on.
    Html,
}

impl Format {
    fn event_format(self) -> Option<EventFormat> {
        match self {
            Format::Json => Some(EventFormat::Json),
            Format::Ecs => Some(EventFormat::Ecs),
            Format::Ocsf => Some(EventFormat::Ocsf),
            Format::Cef => Some(EventFormat::Cef),
            Format::Human | Format::Csv | Format::Html => None,
        }
    }
}

/// When the human report is coloured.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum ColorChoice {
    /// On a terminal, unless NO_COLOR is set.
    Auto,
    /// Always.
    Always,
    /// Never.
    Never,
}

/// `--min-severity`, as the records name severities.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum SeverityArg {
    Low,
    Medium,
    High,
    Critical,
}

impl From<SeverityArg> for Severity {
    fn from(s: SeverityArg) -> Severity {
        match s {
            SeverityArg::Low => Severity::Low,
            SeverityArg::Medium => Severity::Medium,
            SeverityArg::High => Severity::High,
            SeverityArg::Critical => Severity::Critical,
        }
    }
}

/// `--category`, as the records name categories.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
#[value(rename_all = "snake_case")]
enum CategoryArg {
    Public,
    NotSensitive,
    Confidential,
    HighlyConfidential,
}

impl From<CategoryArg> for Category {
    fn from(c: CategoryArg) -> Category {
        match c {
            CategoryArg::Public => Category::Public,
            CategoryArg::NotSensitive => Category::NotSensitive,
            CategoryArg::Confidential => Category::Confidential,
            CategoryArg::HighlyConfidential => Category::HighlyConfidential,
        }
    }
}

/// What standard output receives.
enum Stdout {
    /// Events, one per line, through these stdout sinks delivered with the configured ones
    /// (so an event has the same `event_id` on stdout and in the SIEM).
    Shared(Vec<SinkSpec>),
    /// Events through these stdout sinks, stamped apart from the configured sinks' so that the
    /// view filters them alone.
    Apart(Vec<SinkSpec>),
    /// A report written when the scan ends.
    Report(Format),
    /// Nothing (`--quiet`).
    Nothing,
}

/// The man page's EXAMPLES: a command line, and what it does.
const EXAMPLES: &[(&str, &str)] = &[
    ("dlp-scan ~/", "Scan a home folder; the report leads with what to act on."),
    ("dlp-scan --format html ~/ > report.html", "A self-contained page to open or hand on."),
    ("dlp-scan --format csv --min-severity high /srv/share > violations.csv", "A spreadsheet of the serious cases."),
    ("find ~ -name '*.xlsx' -print0 | dlp-scan --files-from -", "Scan the files another command lists."),
    ("curl -s https://example.org/export.docx | dlp-scan -", "Scan standard input as one file."),
    ("dlp-scan --quiet --fail-on-incomplete ~/ || echo attention", "Only the exit status, for a script."),
];

fn main() -> ExitCode {
    dlp_scan::cli::quiet_panics("dlp-scan");
    let args = Args::parse();
    if args.internal_worker {
        return ExitCode::from(worker::worker_main());
    }
    dlp_scan::cli::init_logging(tracing::Level::WARN);
    match run(&args) {
        Ok(exit) => exit.into(),
        Err(e) => {
            let _ = writeln!(io::stderr(), "dlp-scan: {e:#}");
            Exit::Fatal.into()
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

/// The configured sinks other than standard output (which `--format` and the filters decide).
fn sinks_besides_stdout(config: &Config) -> Vec<SinkSpec> {
    config.delivery.sinks.iter().filter(|s| s.kind != SinkKind::Stdout).cloned().collect()
}

/// What standard output receives: `--format` when given, else a configured stdout sink's
/// events, else the human report.
fn stdout_of(args: &Args, config: &Config, view: &View) -> Stdout {
    let configured: Vec<SinkSpec> =
        config.delivery.sinks.iter().filter(|s| s.kind == SinkKind::Stdout).cloned().collect();
    let sinks = match args.format.map(|f| (f, f.event_format())) {
        _ if args.quiet => return Stdout::Nothing,
        Some((_, Some(format))) => vec![SinkSpec { name: "stdout".to_string(), format, kind: SinkKind::Stdout }],
        Some((report, None)) => return Stdout::Report(report),
        None if configured.is_empty() => return Stdout::Report(Format::Human),
        None => configured,
    };
    if view.shows_everything() {
        Stdout::Shared(sinks)
    } else {
        Stdout::Apart(sinks)
    }
}

/// The filters of `--summary`, `--min-severity` and `--category`.
fn view_of(args: &Args) -> View {
    View {
        min_severity: args.min_severity.map(Severity::from),
        categories: args.category.iter().copied().map(Category::from).collect(),
        totals_only: args.summary,
    }
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
        let written = dlp_scan::cli::generate(kind, Args::command(), EXAMPLES, &mut io::stdout().lock());
        dlp_scan::cli::unless_reader_gone(written).context("writing")?;
        return Ok(Exit::Clean);
    }
    if args.list_detectors || args.check_config {
        let config = load_config(args).context("configuration")?;
        let (key, _) = config.fingerprint_key();
        let scanner = config.scanner(&key)?;
        if args.check_config {
            let name = args.config.as_deref().map_or("the embedded default".into(), |p| p.display().to_string());
            writeln!(io::stdout(), "dlp-scan: {name}: the configuration is valid").context("writing")?;
        } else {
            dlp_scan::cli::unless_reader_gone(list_detectors(&scanner, &mut io::stdout().lock())).context("writing")?;
        }
        return Ok(Exit::Clean);
    }
    if args.send_spooled {
        let config = load_config(args).context("configuration")?;
        let delivery = config.delivery(sinks_besides_stdout(&config))?;
        let statuses = delivery.finish();
        for s in statuses.iter().filter(|s| s.sent > 0 || s.queued == 0) {
            let _ = writeln!(io::stderr(), "dlp-scan: sink \"{}\": {} spooled events sent", s.name, s.sent);
        }
        report_delivery(&statuses);
        return Ok(Exit::Clean);
    }
    if args.summary && matches!(args.format, Some(Format::Csv | Format::Html)) {
        anyhow::bail!("--summary shows the totals: use it with the human report or an event format");
    }
    let paths = scan_paths(args)?;
    // A path that does not exist is an error record and the scan goes on (exit 2 at the end).
    let missing = paths
        .iter()
        .filter(|p| p.as_os_str() != dlp_scan::scan::STDIN_ROOT && std::fs::symlink_metadata(p).is_err())
        .count();
    let config = load_config(args).context("configuration")?;
    let (key, source) = config.fingerprint_key();
    if let KeySource::Ephemeral(reason) = &source {
        tracing::warn!(%reason, "fingerprints use a one-off key and are comparable within this run only");
    }
    let scanner = config.scanner(&key)?;
    let view = view_of(args);
    let stdout = stdout_of(args, &config, &view);
    let mut sinks = sinks_besides_stdout(&config);
    if let Stdout::Shared(events) = &stdout {
        sinks.extend(events.iter().cloned());
    }
    let delivery = config.delivery(sinks)?;
    let summary = match stdout {
        Stdout::Shared(_) => scan_with_progress(&scanner, &paths, &delivery),
        Stdout::Apart(stdout) => {
            let events = config.delivery(stdout)?;
            let summary =
                scan_with_progress(&scanner, &paths, &Fanout(vec![&delivery, &Shown { view: &view, sink: &events }]));
            report_delivery(&events.finish());
            summary
        }
        Stdout::Report(format) => run_for_a_person(&scanner, &paths, &delivery, format, &view, args.color)?,
        Stdout::Nothing => scan_with_progress(&scanner, &paths, &Fanout(vec![&delivery, &ErrorsToStderr])),
    };
    report_delivery(&delivery.finish());
    if missing > 0 {
        let paths = if missing == 1 { "path given does" } else { "paths given do" };
        let _ = writeln!(io::stderr(), "dlp-scan: {missing} {paths} not exist (see the error records)");
        return Ok(Exit::Fatal);
    }
    Ok(exit_status(&summary, args.fail_on_incomplete))
}

/// Scans, with a progress line on stderr whenever stderr is a terminal (whatever stdout is: a
/// report redirected to a file still shows progress to the person waiting).
fn scan_with_progress(scanner: &Scanner, paths: &[PathBuf], sink: &dyn RecordSink) -> SummaryRecord {
    let progress = Progress::default();
    let done = std::sync::atomic::AtomicBool::new(false);
    std::thread::scope(|scope| {
        if io::stderr().is_terminal() {
            scope.spawn(|| show_progress(&progress, &done));
        }
        let summary = scanner.run(paths, sink, &progress);
        done.store(true, Ordering::Relaxed);
        summary
    })
}

/// Scans, collecting the records for a report written on stdout when the scan ends.
fn run_for_a_person(
    scanner: &Scanner,
    paths: &[PathBuf],
    delivery: &Delivery,
    format: Format,
    view: &View,
    color: ColorChoice,
) -> Result<SummaryRecord> {
    let collected = Collected::default();
    let summary = scan_with_progress(scanner, paths, &Fanout(vec![&collected as &dyn RecordSink, delivery]));
    let report = collected.into_report(summary.clone(), view);
    let mut out = io::stdout().lock();
    let written = match format {
        Format::Csv => report::csv::write(&report, &mut out),
        Format::Html => report::html::write(&report, &mut out),
        _ => human::write(&report, Style { width: terminal_width(), colour: use_colour(color) }, &mut out),
    };
    dlp_scan::cli::unless_reader_gone(written).context("writing the report")?;
    Ok(summary)
}

/// Whether the human report is coloured: `auto` colours a terminal unless NO_COLOR is set (to
/// anything but the empty string, as no-color.org asks).
fn use_colour(choice: ColorChoice) -> bool {
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()),
    }
}

/// Columns of the human report: COLUMNS when set (shells set it for their terminal, and a test
/// or a pipe can choose a width with it), else the terminal's width, else 80.
fn terminal_width() -> usize {
    let from_env = std::env::var("COLUMNS").ok().and_then(|c| c.trim().parse::<usize>().ok()).filter(|&c| c > 0);
    let from_terminal =
        || terminal_size::terminal_size_of(io::stdout()).map(|(terminal_size::Width(w), _)| usize::from(w));
    from_env.or_else(from_terminal).unwrap_or(80).max(MIN_WIDTH)
}

/// Narrower than this, the longest rule ids and detector names could not fit on a line.
const MIN_WIDTH: usize = 50;

/// The paths to scan: those given, then those listed by `--files-from`.
fn scan_paths(args: &Args) -> Result<Vec<PathBuf>> {
    let mut paths = args.paths.clone();
    if let Some(list) = &args.files_from {
        let stdin_scanned = paths.iter().any(|p| p.as_os_str() == dlp_scan::scan::STDIN_ROOT);
        if list.as_os_str() == "-" && stdin_scanned {
            anyhow::bail!("standard input cannot be both a file to scan (`-`) and the path list (`--files-from -`)");
        }
        let bytes = if list.as_os_str() == "-" {
            let mut bytes = Vec::new();
            io::stdin().lock().read_to_end(&mut bytes).context("reading the path list from standard input")?;
            bytes
        } else {
            std::fs::read(list).with_context(|| format!("reading the path list {}", list.display()))?
        };
        paths.extend(path_list(&bytes));
    }
    Ok(paths)
}

/// The paths in a list: NUL-separated when it holds a NUL (`find -print0`, names with new
/// lines), else one per line (a line's `\r` dropped: lists written on Windows); empty entries
/// skipped.
fn path_list(bytes: &[u8]) -> Vec<PathBuf> {
    let by_nul = bytes.contains(&0);
    let separator = if by_nul { 0 } else { b'\n' };
    bytes
        .split(|&b| b == separator)
        .map(|entry| if by_nul { entry } else { entry.strip_suffix(b"\r").unwrap_or(entry) })
        .filter(|entry| !entry.is_empty())
        .map(path_from_bytes)
        .collect()
}

#[cfg(unix)]
fn path_from_bytes(bytes: &[u8]) -> PathBuf {
    use std::os::unix::ffi::OsStrExt;
    PathBuf::from(std::ffi::OsStr::from_bytes(bytes))
}

/// Windows names are Unicode: a list is UTF-8.
#[cfg(not(unix))]
fn path_from_bytes(bytes: &[u8]) -> PathBuf {
    PathBuf::from(String::from_utf8_lossy(bytes).into_owned())
}

/// With `--quiet`, names the files that could not be read on stderr (as `grep -q` and `rg -q`
/// still report errors).
struct ErrorsToStderr;

impl RecordSink for ErrorsToStderr {
    fn record(&self, record: &Record) {
        if let Record::Error(e) = record {
            let _ = writeln!(io::stderr(), "dlp-scan: {}: {}", human::sanitise(&e.path), human::sanitise(&e.message));
        }
    }
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
