//! What both binaries set up the same way before any work: logging to stderr and a panic hook
//! that never prints a panic's message (it could quote file content); and the exit statuses
//! they share. Not a pipeline stage.

use std::io::{self, IsTerminal, Write};

/// The exit status of both programs, as their `--help` documents it. `dlp-agent` ends `Clean`
/// or `Fatal`; the other two are `dlp-scan`'s verdicts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// 0: no violation (`dlp-scan`), stopped cleanly (`dlp-agent`), or a valid configuration
    /// (`--check-config`).
    Clean = 0,
    /// 1: at least one violation (`dlp-scan`).
    Violations = 1,
    /// 2: a fatal error: bad arguments or configuration, or a failure at start.
    Fatal = 2,
    /// 3: with `--fail-on-incomplete`, some file could not be fully scanned (`dlp-scan`).
    Incomplete = 3,
}

impl From<Exit> for std::process::ExitCode {
    fn from(exit: Exit) -> Self {
        std::process::ExitCode::from(exit as u8)
    }
}

/// Logs to stderr at the level in `DLP_SCAN_LOG` (`error`, `warn`, `info`, `debug`, `trace`), or
/// `default` (`dlp-scan`: warnings, so a report is not cluttered; `dlp-agent`: info, so the
/// journal says what it watches and where events go). Logs never carry matched values.
pub fn init_logging(default: tracing::Level) {
    let level = match std::env::var("DLP_SCAN_LOG").ok().as_deref() {
        Some("error") => tracing::Level::ERROR,
        Some("warn") => tracing::Level::WARN,
        Some("info") => tracing::Level::INFO,
        Some("debug") => tracing::Level::DEBUG,
        Some("trace") => tracing::Level::TRACE,
        _ => default,
    };
    tracing_subscriber::fmt()
        .with_max_level(level)
        .with_writer(io::stderr)
        .with_ansi(io::stderr().is_terminal())
        .init();
}

/// A panic message can quote the data a parser choked on; say only where it happened. (Parser
/// panics are caught, and the file becomes an error record; panics in the agent's state store are
/// caught, and the damaged store is set aside.)
pub fn quiet_panics(program: &'static str) {
    std::panic::set_hook(Box::new(move |info| {
        let place =
            info.location().map_or_else(|| "unknown place".to_string(), |l| format!("{}:{}", l.file(), l.line()));
        let _ = writeln!(io::stderr(), "{program}: internal failure at {place} (in a parser: the file is reported as an error; in the state store: it is set aside)");
    }));
}

/// What `--generate` writes to standard output: the man page, or a shell's completion script.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Generate {
    /// The man page (roff), for `man 1`.
    Man,
    /// Bash completions.
    Bash,
    /// Zsh completions.
    Zsh,
    /// Fish completions.
    Fish,
    /// PowerShell completions.
    Powershell,
}

/// Where dlp-scan keeps its files when the configuration names no other place, on each system
/// (`paths` and `platform` decide them; this is what the man page tells a person).
const FILES: &[(&str, &str)] = &[
    (
        "/etc/dlp-scan/config.toml",
        "The agent's configuration (macOS: /Library/Application Support/dlp-scan/config.toml; \
         Windows: %ProgramData%\\dlp-scan\\config.toml). dlp-scan reads one only when given --config.",
    ),
    (
        "STATE/fingerprint.key",
        "The installation's fingerprint key (0600). STATE is /var/lib/dlp-scan for root and \
         $XDG_DATA_HOME/dlp-scan (~/.local/share/dlp-scan) for a user on Linux; \
         /Library/Application Support/dlp-scan, or ~/Library/Application Support/dlp-scan for a user, \
         on macOS; %ProgramData%\\dlp-scan on Windows.",
    ),
    ("STATE/spool/", "Events waiting for a network sink, a folder per sink."),
    ("STATE/agent.redb", "The agent's state: what it judged of each file."),
    (
        "/var/log/dlp-scan/events.jsonl",
        "The agent's event file when no sink is configured (a user's: STATE/events.jsonl; macOS: \
         /Library/Logs/dlp-scan; Windows: %ProgramData%\\dlp-scan\\events).",
    ),
];

/// Writes what `kind` names for `command` (built from the binary's argument definitions, so
/// the man page and completions never disagree with `--help`) to `out`. The man page also has
/// FILES and EXAMPLES (`examples`: a command line and what it does) sections, which no argument
/// definition holds.
///
/// Errors: writing to `out` failed.
pub fn generate(
    kind: Generate,
    mut command: clap::Command,
    examples: &[(&str, &str)],
    out: &mut dyn Write,
) -> io::Result<()> {
    let shell = match kind {
        Generate::Man => return man_page(command, examples, out),
        Generate::Bash => clap_complete::Shell::Bash,
        Generate::Zsh => clap_complete::Shell::Zsh,
        Generate::Fish => clap_complete::Shell::Fish,
        Generate::Powershell => clap_complete::Shell::PowerShell,
    };
    let name = command.get_name().to_string();
    clap_complete::generate(shell, &mut command, name, out);
    Ok(())
}

/// clap_mangen's sections, with FILES and EXAMPLES before VERSION, where man pages have them.
fn man_page(command: clap::Command, examples: &[(&str, &str)], out: &mut dyn Write) -> io::Result<()> {
    let has_version = command.get_version().is_some();
    let man = clap_mangen::Man::new(command);
    man.render_title(out)?;
    man.render_name_section(out)?;
    man.render_synopsis_section(out)?;
    man.render_description_section(out)?;
    man.render_options_section(out)?;
    for (title, entries) in [("FILES", FILES), ("EXAMPLES", examples)] {
        writeln!(out, ".SH {title}")?;
        for (term, text) in entries {
            writeln!(out, ".TP\n\\fB{}\\fR\n{}", roff_text(term), roff_text(text))?;
        }
    }
    if has_version {
        man.render_version_section(out)?;
    }
    Ok(())
}

/// `text` as roff shows it: a backslash as `\e`, a hyphen as `\-` (so `--config` stays two
/// ASCII hyphens and can be searched for), and no line read as a request.
fn roff_text(text: &str) -> String {
    let text = text.replace('\\', "\\e").replace('-', "\\-");
    if text.starts_with(['.', '\'']) {
        format!("\\&{text}")
    } else {
        text
    }
}

/// A write to standard output whose reader went away (`dlp-scan --list-detectors | head`) is
/// not an error, as for any Unix filter.
pub fn unless_reader_gone(written: io::Result<()>) -> io::Result<()> {
    match written {
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(()),
        other => other,
    }
}
