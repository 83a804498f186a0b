//! An attacker's tools for the tests. [`Swapper`] swaps paths in a scanned tree with symbolic
//! links to a file or folder the scanner must never read through them, back and forth, as fast
//! as it can, with `renameat2(RENAME_EXCHANGE)` (each swap is atomic, so the scanner meets either
//! the real thing or the link at any moment); [`fingerprints_in`] says what the secret
//! looks like in events, to look for it in every later one.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;

use crate::util::{json_lines, Tree};

/// Swapping in progress; stopped when dropped.
pub struct Swapper {
    stop: Arc<AtomicBool>,
    swaps: Arc<AtomicU64>,
    thread: Option<JoinHandle<()>>,
}

impl Swapper {
    /// For each `(path, target)`, makes a link to `target` beside `path` (`path` + `.link`), then
    /// keeps exchanging the two names.
    pub fn start(pairs: Vec<(PathBuf, PathBuf)>) -> Swapper {
        let links: Vec<(PathBuf, PathBuf)> = pairs
            .into_iter()
            .map(|(path, target)| {
                let mut link = path.clone().into_os_string();
                link.push(".link");
                let link = PathBuf::from(link);
                std::os::unix::fs::symlink(&target, &link).unwrap();
                (path, link)
            })
            .collect();
        let stop = Arc::new(AtomicBool::new(false));
        let swaps = Arc::new(AtomicU64::new(0));
        let (stop_flag, counter) = (stop.clone(), swaps.clone());
        let thread = std::thread::spawn(move || {
            while !stop_flag.load(Ordering::Relaxed) {
                for (path, link) in &links {
                    let exchange = rustix::fs::RenameFlags::EXCHANGE;
                    if rustix::fs::renameat_with(rustix::fs::CWD, path, rustix::fs::CWD, link, exchange).is_ok() {
                        counter.fetch_add(1, Ordering::Relaxed);
                    }
                }
            }
        });
        Swapper { stop, swaps, thread: Some(thread) }
    }

    /// Swaps made so far.
    pub fn swaps(&self) -> u64 {
        self.swaps.load(Ordering::Relaxed)
    }
}

impl Drop for Swapper {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// The keyed fingerprints `dlp-scan` gives the values in `path`, with the tree's key: what the
/// secret looks like in events, to search every later event for it. At least one, or the secret
/// was not found.
pub fn fingerprints_in(tree: &Tree, path: &Path) -> Vec<String> {
    let out = tree.command().args(["--format", "json"]).arg(path).output().unwrap();
    let fingerprints: Vec<String> = json_lines(&out.stdout)
        .iter()
        .filter(|r| r["type"] == "file")
        .flat_map(|r| r["findings"].as_array().unwrap())
        .flat_map(|f| f["fingerprints"].as_array().unwrap())
        .map(|f| f.as_str().unwrap().to_string())
        .collect();
    assert!(!fingerprints.is_empty(), "the secret must be found when scanned directly");
    fingerprints
}
