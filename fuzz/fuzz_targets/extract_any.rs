//! Any bytes through sniffing and every reader (zip/OOXML/ODF, compound files, PDF, gzip, tar, 7z,
//! mail, text) with small limits. Crashes found here become regression tests in tests/documents.rs.
#![no_main]

use std::ops::ControlFlow;
use std::time::Duration;

use dlp_scan::extract::{extract_bytes, ExtractLimits};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let limits = ExtractLimits {
        time_budget: Duration::from_secs(2),
        max_depth: 3,
        max_members: 64,
        max_expanded_bytes: 8 << 20,
        max_member_bytes: 4 << 20,
        max_ratio: 100,
        max_text_bytes: 4 << 20,
    };
    let labels = dlp_scan::extract::LabelNames::new();
    let _ = extract_bytes(data, limits, &labels, &mut |_chunk| ControlFlow::Continue(()));
});
