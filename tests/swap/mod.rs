//! An attacker's tool for the tests: swaps paths in a scanned tree with symbolic links to a
//! file or folder the scanner must never read through them, back and forth, as fast as it can,
//! with `renameat2(RENAME_EXCHANGE)` (each swap is atomic, so the scanner meets either the real
//! thing or the link at any moment).

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;

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
