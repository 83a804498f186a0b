//! Prints the text dlp-scan extracts from each file named, for measuring extraction against
//! independent extractors (`tests/bench/pdf_recall.py` compares it with poppler's `pdftotext`).
//! A measuring tool for test documents, not part of the product: it prints content.
//!
//! Usage: `cargo run --release --example extract_text -- FILE...` (each file's text follows a
//! line `==> FILE <==`, then a line `partial: REASONS` when it was not read completely).

use std::io::Write;

fn main() -> std::io::Result<()> {
    let config = dlp_scan::config::Config::embedded_default().expect("the embedded configuration is valid");
    let limits = config.scan.limits;
    let mut out = std::io::stdout().lock();
    for path in std::env::args_os().skip(1) {
        writeln!(out, "==> {} <==", std::path::Path::new(&path).display())?;
        let mut file = std::fs::File::open(&path)?;
        let size = file.metadata()?.len();
        let sniffed = dlp_scan::extract::sniff_file(&mut file, size)?;
        let mut text = Vec::new();
        let extracted = dlp_scan::extract::extract(&mut file, sniffed, size, limits, &config.labels, &mut |chunk| {
            text.extend_from_slice(&chunk.text[chunk.owned.clone()]);
            text.push(b'\n');
            std::ops::ControlFlow::Continue(())
        })?;
        out.write_all(&text)?;
        if !extracted.partial.is_empty() {
            let reasons: Vec<&str> = extracted.partial.iter().map(|r| r.as_str()).collect();
            writeln!(out, "partial: {}", reasons.join(","))?;
        }
    }
    Ok(())
}
