//! Library error types.
//!
//! Two families, kept apart on purpose. [`ConfigError`] is fatal: a bad configuration or detector
//! file stops the program at start, and always says which file, which line and what is wrong.
//! [`FileError`] is per file: it becomes an `error` record and the scan goes on. Neither ever holds a
//! matched value; file errors hold paths and operating-system messages only.

use std::io;
use std::path::PathBuf;

/// A configuration or detector file that cannot be used. Fatal at start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The file could not be read. (The reason is the error's source, which `{:#}` prints once.)
    #[error("{path}: cannot read")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: io::Error,
    },
    /// The file was read but something in it is wrong, at a known place.
    #[error("{path}:{line}:{column}: {message}")]
    Invalid {
        /// The file (or `<embedded>/name` for files compiled into the binary).
        path: PathBuf,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// What is wrong, in words an administrator can act on.
        message: String,
    },
}

impl ConfigError {
    /// Builds an [`ConfigError::Invalid`] for a byte offset into `text`.
    pub fn at_offset(path: impl Into<PathBuf>, text: &str, offset: usize, message: impl Into<String>) -> Self {
        let (line, column) = line_and_column(text, offset);
        ConfigError::Invalid { path: path.into(), line, column, message: message.into() }
    }

    /// Converts a TOML parse or type error, which knows its span, into a located error.
    pub fn from_toml(path: impl Into<PathBuf>, text: &str, err: &toml::de::Error) -> Self {
        let offset = err.span().map_or(0, |s| s.start);
        // The toml message repeats the source line and a caret; the first line is the reason.
        let message = err.message().lines().next().unwrap_or("invalid TOML").to_string();
        ConfigError::at_offset(path, text, offset, message)
    }
}

fn line_and_column(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = &text.as_bytes()[..offset];
    let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
    let line_start = before.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
    (line, offset - line_start + 1)
}

/// Why one file could not be scanned, or not completely. Becomes an `error` record.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FileError {
    /// Opening or reading failed.
    #[error("{}", describe_io(.0))]
    Io(#[from] io::Error),
    /// The file is larger than `scan.max_file_size`.
    #[error("file is {size} bytes, over the {limit}-byte limit (scan.max_file_size)")]
    TooLarge {
        /// Its size.
        size: u64,
        /// The configured limit.
        limit: u64,
    },
    /// A path given to scan does not exist.
    #[error("no such file or folder")]
    NoSuchPath,
    /// The path stopped being a regular file between listing and opening.
    #[error("not a regular file when opened")]
    NotRegular,
    /// A path given to scan is a pipe, socket or device (`/dev/stdin` among them): never opened,
    /// since reading one may block or never end.
    #[error("not a regular file (a pipe, socket or device), so not read; `-` scans standard input")]
    SpecialFile,
    /// A document parser failed on the file's content (a crafted or corrupt file).
    #[error("a document parser failed on this file's content")]
    ParserFailure,
    /// The file's first bytes name a format (zip, 7z, ...) whose structure could not be parsed at
    /// all: damaged, or cut short before anything readable.
    #[error("not a readable {format} file: damaged or cut short")]
    Corrupt {
        /// The format its first bytes name.
        format: &'static str,
    },
    /// Reading the file took longer than its time budget and the worker reading it was stopped.
    #[error("reading this file took longer than its time budget; the parser was stopped")]
    Timeout,
    /// An error a worker process reported for the file.
    #[error("{message}")]
    Reported {
        /// Its stable kind.
        kind: &'static str,
        /// What happened.
        message: String,
    },
    /// A symbolic link was met between the scanned folder and the file while opening it (a
    /// folder or the file was swapped for a link after it was listed). Links are not followed.
    #[error("a symbolic link is in its path; links are not followed")]
    LinkRefused,
    /// A hard link of another user's file, found in a folder of someone else: not read, so that
    /// a link cannot make the scanner read what the folder's owner could not.
    #[error("a hard link of a file owned by uid {owner} in a folder owned by uid {folder_owner}; not read")]
    ForeignHardLink {
        /// The file's owner.
        owner: u32,
        /// The owner of the folder it was found in.
        folder_owner: u32,
    },
    /// Following symbolic links led back to a directory already being walked.
    #[error("symbolic link loop back to {ancestor}")]
    SymlinkLoop {
        /// The directory the link points back to.
        ancestor: PathBuf,
    },
}

impl FileError {
    /// A stable, machine-readable name for the error kind, used in records and summary counts.
    pub fn kind(&self) -> &'static str {
        match self {
            FileError::Io(e) => match e.kind() {
                io::ErrorKind::NotFound => "not_found",
                io::ErrorKind::PermissionDenied => "permission_denied",
                _ => "io",
            },
            FileError::NoSuchPath => "not_found",
            FileError::TooLarge { .. } => "too_large",
            FileError::NotRegular => "not_regular",
            FileError::SpecialFile => "special_file",
            FileError::SymlinkLoop { .. } => "symlink_loop",
            FileError::LinkRefused => "link_refused",
            FileError::ForeignHardLink { .. } => "foreign_hard_link",
            FileError::ParserFailure => "parser_failure",
            FileError::Corrupt { .. } => "corrupt",
            FileError::Timeout => "timeout",
            FileError::Reported { kind, .. } => kind,
        }
    }
}

/// The stable error kinds, for errors that crossed from a worker process as text.
pub fn known_kind(kind: &str) -> &'static str {
    const KINDS: [&str; 12] = [
        "not_found",
        "permission_denied",
        "io",
        "too_large",
        "not_regular",
        "symlink_loop",
        "link_refused",
        "foreign_hard_link",
        "parser_failure",
        "corrupt",
        "timeout",
        "reported",
    ];
    KINDS.iter().find(|k| **k == kind).copied().unwrap_or("io")
}

fn describe_io(e: &io::Error) -> String {
    match e.kind() {
        io::ErrorKind::NotFound => "file disappeared before it could be read".to_string(),
        io::ErrorKind::PermissionDenied => "permission denied".to_string(),
        _ => e.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_become_lines_and_columns() {
        let text = "a = 1\nbb = 2\n";
        assert_eq!(line_and_column(text, 0), (1, 1));
        assert_eq!(line_and_column(text, 6), (2, 1));
        assert_eq!(line_and_column(text, 9), (2, 4));
        assert_eq!(line_and_column(text, 999), (3, 1));
    }
}

/// A sink that cannot be set up: fatal at start, like a bad configuration.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DeliveryError {
    /// Certificates or keys could not be loaded.
    #[error("TLS: {0}")]
    Tls(String),
    /// A secret (token, API key) could not be read.
    #[error("{0}")]
    Secret(String),
    /// A spool or event file could not be opened.
    #[error("{path}: {source}")]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// Why.
        source: io::Error,
    },
    /// An address or URL that cannot be used.
    #[error("{0}")]
    Address(String),
}

/// The agent cannot go on (its state store or its watcher failed at start).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AgentError {
    /// The state store.
    #[error("state store: {0}")]
    State(String),
    /// The file-system watcher.
    #[error("watcher: {0}")]
    Watch(String),
}
