//! Test support for the readers' unit tests: the limits they run under and the text a file gives.
//! Not for anything but `#[cfg(test)]` code.

use std::ops::ControlFlow;

use super::{extract_bytes, ExtractLimits, Extracted, LabelNames};

/// Limits loose enough that a small test input meets none of them.
pub fn limits() -> ExtractLimits {
    ExtractLimits {
        time_budget: std::time::Duration::from_secs(60),
        max_depth: 5,
        max_members: 100,
        max_expanded_bytes: 1 << 30,
        max_member_bytes: 64 << 20,
        max_ratio: 1000,
        max_text_bytes: 64 << 20,
    }
}

/// The text extracted from `bytes` under `limits` (every chunk's own part, in order), and what
/// extraction said of it.
pub fn text_of(bytes: &[u8], limits: ExtractLimits) -> (String, Extracted) {
    let mut text = String::new();
    let extracted = extract_bytes(bytes, limits, &LabelNames::new(), &mut |chunk| {
        text.push_str(std::str::from_utf8(&chunk.text[chunk.owned.clone()]).unwrap());
        ControlFlow::Continue(())
    });
    (text, extracted)
}
