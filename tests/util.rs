//! The harness every test module shares: a temporary [`Tree`] with a fixed fingerprint key and a
//! configuration file, either program run on it, and their JSON Lines output read back.

use std::collections::BTreeSet;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::Mutex;

use serde_json::Value;

/// A temporary folder: `home/` holds what is scanned or watched; beside it, never scanned, a fixed
/// fingerprint key (so fingerprints are the same every run), the configuration and what the
/// programs write (state, spool, event files).
pub struct Tree {
    dir: tempfile::TempDir,
}

impl Tree {
    pub fn new() -> Tree {
        let tree = Tree { dir: tempfile::tempdir().unwrap() };
        std::fs::write(tree.key(), [7u8; 32]).unwrap();
        std::fs::create_dir(tree.root()).unwrap();
        tree
    }

    /// The temporary folder itself.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// `rel` inside the temporary folder (not inside `home/`).
    pub fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    /// Where the files to scan or watch go.
    pub fn root(&self) -> PathBuf {
        self.path("home")
    }

    pub fn key(&self) -> PathBuf {
        self.path("fingerprint.key")
    }

    /// Writes `rel` below `home/`, making its folders.
    pub fn write(&self, rel: &str, bytes: impl AsRef<[u8]>) -> PathBuf {
        write_file(self.root().join(rel), bytes)
    }

    /// Writes `config.toml` beside `home/` and returns its path.
    pub fn config(&self, text: &str) -> PathBuf {
        let path = self.path("config.toml");
        std::fs::write(&path, text).unwrap();
        path
    }

    /// `dlp-scan --fingerprint-key KEY`, to which a test adds its arguments.
    pub fn command(&self) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_dlp-scan"));
        cmd.arg("--fingerprint-key").arg(self.key());
        cmd
    }

    /// Runs `dlp-scan --format json ARGS... ROOT` and parses the output lines.
    pub fn scan_json(&self, extra: &[&str]) -> (Vec<Value>, Output) {
        let out = self.command().arg("--format").arg("json").args(extra).arg(self.root()).output().unwrap();
        (json_lines(&out.stdout), out)
    }

    #[cfg(unix)]
    /// `dlp-agent --config config.toml` under `umask` (what a careless service manager or shell
    /// might give it): a shell sets the mask, then becomes the agent, so the child is the agent.
    pub fn agent(&self, umask: &str) -> Command {
        let mut cmd = Command::new("sh");
        cmd.arg("-c")
            .arg(format!("umask {umask} && exec \"$0\" --config \"$1\""))
            .arg(env!("CARGO_BIN_EXE_dlp-agent"))
            .arg(self.path("config.toml"));
        cmd
    }
}

/// A loopback port nobody listens on now, for a receiver to start on or to stay closed. Never
/// the same twice in a run: all tests share one process, and one test's closed port must not
/// become another's rsyslog.
pub fn free_port() -> u16 {
    static GIVEN: Mutex<BTreeSet<u16>> = Mutex::new(BTreeSet::new());
    loop {
        let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        if GIVEN.lock().unwrap().insert(port) {
            return port;
        }
    }
}

/// Writes `path`, making its folders.
pub fn write_file(path: PathBuf, bytes: impl AsRef<[u8]>) -> PathBuf {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, bytes).unwrap();
    path
}

/// A file made by real writers (`tests/data/make-fixtures.sh`).
pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/fixtures").join(name)
}

/// Each line of `bytes` as JSON; a line that is not JSON fails the test.
pub fn json_lines(bytes: &[u8]) -> Vec<Value> {
    String::from_utf8_lossy(bytes).lines().map(|l| serde_json::from_str(l).expect("each line is JSON")).collect()
}

/// The `file` record whose path ends with `name`.
pub fn file_record<'a>(records: &'a [Value], name: &str) -> &'a Value {
    records
        .iter()
        .find(|r| r["type"] == "file" && r["path"].as_str().unwrap().ends_with(name))
        .unwrap_or_else(|| panic!("no file record for {name}"))
}

/// The `summary` record, which is the last line.
pub fn summary(records: &[Value]) -> &Value {
    let last = records.last().expect("output is not empty");
    assert_eq!(last["type"], "summary", "the summary is the last line");
    last
}
