//! Any bytes as text through the whole detection engine (union pass, windows, validators,
//! context, person gate).
#![no_main]

use std::sync::OnceLock;

use dlp_scan::detect::{DetectorSelection, Engine, FingerprintKey};
use libfuzzer_sys::fuzz_target;

fn engine() -> &'static Engine {
    static ENGINE: OnceLock<Engine> = OnceLock::new();
    ENGINE.get_or_init(|| {
        let selection = DetectorSelection { disabled: vec![], custom_files: vec![] };
        Engine::load(&selection, FingerprintKey::new(vec![1; 32])).expect("embedded detectors load")
    })
}

fuzz_target!(|data: &[u8]| {
    let _ = engine().scan_all(data);
});
