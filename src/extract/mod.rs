//! Extraction: an open file in, chunks of UTF-8 text out.
//!
//! [`extract`] sniffs the content (never the name), picks a reader for it and pushes [`TextChunk`]s
//! into a sink, one at a time, so memory is bounded by the chunk size whatever the file size. It
//! enforces the per-file time budget between chunks. This issue reads plain text; container formats
//! (Office, PDF, e-mail, archives) plug in as further [`ContentKind`]s with their own readers.
//!
//! Extraction knows nothing of detectors or policy: it returns text, what kind of content it was,
//! and whether the text is complete.

pub mod plain;
pub mod sniff;
pub mod table;

use std::fs::File;
use std::io::Read;
use std::ops::{ControlFlow, Range};
use std::time::{Duration, Instant};

pub use sniff::ContentKind;
pub use table::TableHeader;

/// Bytes read to sniff the content kind.
const SNIFF_BYTES: usize = 8192;

/// One chunk of a file's text.
#[derive(Debug)]
pub struct TextChunk<'a> {
    /// Decoded text (UTF-8).
    pub text: &'a [u8],
    /// The part of `text` this chunk owns: matches starting elsewhere belong to a neighbour.
    pub owned: Range<usize>,
    /// Offset of `text[0]` in the file's whole text.
    pub offset: u64,
    /// Column headers, when the text is a delimited table (CSV, TSV).
    pub table: Option<&'a TableHeader>,
}

/// Limits on one file's extraction.
#[derive(Debug, Clone, Copy)]
pub struct ExtractLimits {
    /// Wall-clock time one file may take.
    pub time_budget: Duration,
}

/// Why a file's text is incomplete.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PartialReason {
    /// The per-file time budget ran out.
    TimeBudget,
}

impl PartialReason {
    /// Stable name used in records.
    pub fn as_str(self) -> &'static str {
        match self {
            PartialReason::TimeBudget => "time_budget",
        }
    }
}

/// What extraction found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Extracted {
    /// The content kind sniffed.
    pub kind: ContentKind,
    /// Bytes of text produced.
    pub text_bytes: u64,
    /// Set when not all text was produced.
    pub partial: Option<PartialReason>,
}

/// Extracts the text of an open file of `size` bytes and pushes it, chunk by chunk, into `sink`.
pub fn extract(
    file: &mut File,
    size: u64,
    limits: ExtractLimits,
    sink: &mut dyn FnMut(TextChunk<'_>),
) -> std::io::Result<Extracted> {
    let mut head = vec![0u8; SNIFF_BYTES];
    let n = crate::fsutil::read_full(file, &mut head)?;
    head.truncate(n);
    let kind = sniff::sniff(&head);
    let ContentKind::Text(encoding) = kind else {
        return Ok(Extracted { kind, text_bytes: 0, partial: None });
    };
    let started = Instant::now();
    let mut partial = None;
    let mut reader: &mut dyn Read = file;
    let text_bytes = plain::stream_text(&head, &mut reader, size, encoding, &mut |chunk| {
        sink(chunk);
        if started.elapsed() > limits.time_budget {
            partial = Some(PartialReason::TimeBudget);
            return ControlFlow::Break(());
        }
        ControlFlow::Continue(())
    })?;
    Ok(Extracted { kind, text_bytes, partial })
}
