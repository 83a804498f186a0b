//! Extraction: an open file in, chunks of UTF-8 text and what is known about its encryption out.
//!
//! [`sniff_file`] reads the first bytes and names the content (never by the file name); [`extract`]
//! then picks a reader: plain text in any supported
//! encoding; Office Open XML and OpenDocument; zip, tar, gzip, 7-Zip and RAR archives, recursively;
//! compound files (legacy Office encryption, encrypted OOXML, Outlook messages); PDF encryption; and
//! the headers of encrypted formats (OpenPGP, age, LUKS, KeePass). Text is pushed into a
//! sink chunk by chunk, tagged with the archive member it came from.
//!
//! Everything untrusted is capped ([`ExtractLimits`]): nesting depth, members per archive, bytes
//! expanded, expansion ratio, bytes of text and wall time. Hitting a cap marks the result partial
//! with the reason; it never fails the file. Extraction knows nothing of detectors or policy.

mod doc;
pub mod encryption;
mod mail;
mod mapi;
mod markup;
mod msg;
pub mod office;
mod ole;
mod olps;
mod pdf;
pub mod plain;
mod ppt;
mod rar;
pub mod sniff;
mod stream;
pub mod table;
#[cfg(test)]
mod testing;
mod tnef;
mod xls;
mod zipfile;

use std::collections::BTreeSet;
use std::fs::File;
use std::io::{Cursor, Read, Seek};
use std::ops::{ControlFlow, Range};
use std::time::{Duration, Instant};

pub use encryption::Encryption;
pub use plain::ChunkSink;
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
    /// Offset of `text[0]` in the text of its stream (the file, or one archive member).
    pub offset: u64,
    /// Column headers, when the text is a delimited table (CSV, TSV, a spreadsheet sheet).
    pub table: Option<&'a TableHeader>,
    /// The archive member the text comes from (`2023/staff.xlsx`, nested as `a.zip!/b.csv`).
    pub member: Option<&'a str>,
    /// True for the last chunk of its text (document, page, part or member).
    pub last: bool,
}

/// Caps on one file's extraction.
#[derive(Debug, Clone, Copy)]
pub struct ExtractLimits {
    /// Wall-clock time one file may take.
    pub time_budget: Duration,
    /// Archives inside archives deeper than this are not opened.
    pub max_depth: u32,
    /// Members read per archive.
    pub max_members: u64,
    /// Bytes expanded from all archives of one file.
    pub max_expanded_bytes: u64,
    /// Largest expanded size of one member kept in memory.
    pub max_member_bytes: u64,
    /// Expanded/compressed ratio above which a member is treated as a bomb.
    pub max_ratio: u64,
    /// Bytes of text handed to the detectors per file.
    pub max_text_bytes: u64,
}

/// Why a file's text is incomplete.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum PartialReason {
    /// The per-file time budget ran out.
    TimeBudget,
    /// Archives nested deeper than `max_depth`.
    NestingDepth,
    /// More members than `max_members`.
    MemberCount,
    /// More bytes expanded than `max_expanded_bytes`, or one member over `max_member_bytes`.
    ExpandedBytes,
    /// A member expanded more than `max_ratio` times its compressed size.
    ExpansionRatio,
    /// More text than `max_text_bytes`.
    TextBytes,
    /// Archive entries overlap each other (a known bomb construction).
    OverlappingEntries,
    /// A member or part could not be read (corrupt, unsupported compression, parser failure).
    UnreadablePart,
    /// The file's size or modification time changed while it was read: what was read may be
    /// neither the old content nor the new (it is read again once it settles).
    ChangedWhileRead,
    /// A recognised format (or an archive member's compression method) that has no reader here:
    /// its text was not extracted (a RAR archive, a zip member compressed with WavPack).
    UnsupportedFormat,
    /// The content ends before its format says it does (a zip without its central directory, a
    /// gzip or tar stream cut short): what came before the cut was read.
    Truncated,
    /// Pages or a document that show only pictures (a scanned letter, a scan pasted into Word):
    /// text inside images is not read (no OCR), so what the scan says is unknown.
    ImagesNotRead,
    /// Nothing of the file could be parsed as the format its first bytes name. Never reported as a
    /// reason: the file gets an `error` record of kind `corrupt` instead of a file record.
    Corrupt,
}

impl PartialReason {
    /// Every reason.
    const ALL: [PartialReason; 13] = [
        PartialReason::TimeBudget,
        PartialReason::NestingDepth,
        PartialReason::MemberCount,
        PartialReason::ExpandedBytes,
        PartialReason::ExpansionRatio,
        PartialReason::TextBytes,
        PartialReason::OverlappingEntries,
        PartialReason::UnreadablePart,
        PartialReason::ChangedWhileRead,
        PartialReason::UnsupportedFormat,
        PartialReason::Truncated,
        PartialReason::ImagesNotRead,
        PartialReason::Corrupt,
    ];

    /// The reason spelled `name` (as written by [`PartialReason::as_str`]).
    pub fn named(name: &str) -> Option<PartialReason> {
        Self::ALL.into_iter().find(|r| r.as_str() == name)
    }

    /// Stable name used in records.
    pub fn as_str(self) -> &'static str {
        match self {
            PartialReason::TimeBudget => "time_budget",
            PartialReason::NestingDepth => "nesting_depth",
            PartialReason::MemberCount => "member_count",
            PartialReason::ExpandedBytes => "expanded_bytes",
            PartialReason::ExpansionRatio => "expansion_ratio",
            PartialReason::TextBytes => "text_bytes",
            PartialReason::OverlappingEntries => "overlapping_entries",
            PartialReason::UnreadablePart => "unreadable_part",
            PartialReason::ChangedWhileRead => "changed_while_read",
            PartialReason::ImagesNotRead => "images_not_read",
            PartialReason::UnsupportedFormat => "unsupported_format",
            PartialReason::Truncated => "truncated",
            PartialReason::Corrupt => "corrupt",
        }
    }
}

/// What extraction found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Extracted {
    /// The content kind sniffed.
    pub kind: ContentKind,
    /// A short name of the format read (`text`, `docx`, `zip`, `pdf`, ...).
    pub format: &'static str,
    /// Bytes of text produced.
    pub text_bytes: u64,
    /// Why not all text was produced, if so.
    pub partial: BTreeSet<PartialReason>,
    /// Encryption found (the weakest, when an archive holds several encrypted members).
    pub encryption: Encryption,
}

/// Shared state of one file's extraction: limits, counters, and where text goes.
pub(crate) struct Ctx<'s, 'k> {
    limits: ExtractLimits,
    labels: &'s LabelNames,
    started: Instant,
    expanded: u64,
    text: u64,
    partial: BTreeSet<PartialReason>,
    encryption: Encryption,
    sink: &'s mut ChunkSink<'k>,
}

impl<'s, 'k> Ctx<'s, 'k> {
    fn new(limits: ExtractLimits, labels: &'s LabelNames, sink: &'s mut ChunkSink<'k>) -> Self {
        Ctx {
            limits,
            labels,
            started: Instant::now(),
            expanded: 0,
            text: 0,
            partial: BTreeSet::new(),
            encryption: Encryption::none(),
            sink,
        }
    }

    fn mark(&mut self, reason: PartialReason) {
        self.partial.insert(reason);
    }

    /// Marks a container that could not be opened at all: the whole file is corrupt when it is the
    /// file itself, one unreadable part when it is a member of another container.
    fn mark_unopenable(&mut self, member: Option<&str>) {
        self.mark(if member.is_none() { PartialReason::Corrupt } else { PartialReason::UnreadablePart });
    }

    /// Marks why reading stopped with an I/O error: content that ends too early is truncated;
    /// anything else (a checksum, a bad code) is an unreadable part.
    fn mark_read_error(&mut self, error: &std::io::Error) {
        self.mark(match error.kind() {
            std::io::ErrorKind::UnexpectedEof => PartialReason::Truncated,
            _ => PartialReason::UnreadablePart,
        });
    }

    /// Counts one more archive member read, unless the member cap or the file's time or text is
    /// exhausted (marking why).
    fn may_read_another_member(&mut self, read: &mut u64) -> bool {
        if *read >= self.limits.max_members {
            self.mark(PartialReason::MemberCount);
            return false;
        }
        if self.exhausted() {
            return false;
        }
        *read += 1;
        true
    }

    /// True once the file must stop: time or text exhausted.
    fn exhausted(&mut self) -> bool {
        if self.started.elapsed() > self.limits.time_budget {
            self.mark(PartialReason::TimeBudget);
        }
        self.partial.contains(&PartialReason::TimeBudget) || self.partial.contains(&PartialReason::TextBytes)
    }

    /// The share of the text budget left that each of `parts_left` parts (a workbook's sheets) may
    /// use, so that one huge part cannot starve the parts after it.
    fn text_share(&self, parts_left: usize) -> usize {
        let left = self.limits.max_text_bytes.saturating_sub(self.text);
        usize::try_from(left / parts_left.max(1) as u64).unwrap_or(usize::MAX)
    }

    /// What was learned of the file. A container (archive, message) with encrypted members whose
    /// other members or body gave text is only partly encrypted; a document encrypted as a whole
    /// (PDF, encrypted Office) is not, even when its clear properties gave a title.
    fn finish(self, kind: ContentKind, format: &'static str) -> Extracted {
        let mut encryption = self.encryption;
        let container =
            matches!(format, "zip" | "7z" | "tar" | "tar.gz" | "gzip" | "eml" | "mbox" | "tnef" | "msg" | "rar");
        encryption.partly = encryption.encrypted && container && self.text > 0;
        Extracted { kind, format, text_bytes: self.text, partial: self.partial, encryption }
    }

    /// A text file that is a private key protected by a passphrase is encrypted with its cipher;
    /// the key is still read, as its detector reports it.
    fn add_private_key_encryption(&mut self, head: &[u8]) {
        if let Some(found) = encryption::private_key(head) {
            self.add_encryption(found);
        }
    }

    fn add_encryption(&mut self, found: Encryption) {
        let current = std::mem::replace(&mut self.encryption, Encryption::none());
        self.encryption = if current.encrypted { current.weakest(found) } else { found };
    }

    /// Streams text from a reader (first bytes in `head`) through the chunker. Text extracted from
    /// documents and archives counts against `max_text_bytes`; a plain text file (`member` none and
    /// depth 0) is already streamed in bounded memory and is limited by size and time only.
    fn stream(&mut self, head: &[u8], reader: &mut dyn Read, size: u64, kind: ContentKind, member: Option<&str>) {
        self.stream_capped(head, reader, size, kind, member, true);
    }

    fn stream_capped(
        &mut self,
        head: &[u8],
        reader: &mut dyn Read,
        size: u64,
        kind: ContentKind,
        member: Option<&str>,
        capped: bool,
    ) {
        let ContentKind::Text(encoding) = kind else {
            return;
        };
        let remaining = if capped { self.limits.max_text_bytes.saturating_sub(self.text) } else { u64::MAX };
        let mut limited = reader.take(remaining.saturating_sub(head.len() as u64));
        let (limits, started) = (self.limits, self.started);
        let mut timed_out = false;
        let sink = &mut *self.sink;
        let produced = plain::stream_text(head, &mut limited, size, encoding, member, &mut |chunk| {
            sink(chunk)?;
            if started.elapsed() > limits.time_budget {
                timed_out = true;
                return ControlFlow::Break(());
            }
            ControlFlow::Continue(())
        });
        if timed_out {
            self.mark(PartialReason::TimeBudget);
        }
        match produced {
            Ok(n) => {
                self.text += n;
                if capped && self.text >= self.limits.max_text_bytes {
                    self.mark(PartialReason::TextBytes);
                }
            }
            Err(e) => self.mark_read_error(&e),
        }
    }

    /// Hands already-extracted text (a document part) to the chunker.
    fn emit(&mut self, text: &str, member: Option<&str>) {
        if text.trim().is_empty() || self.exhausted() {
            return;
        }
        let mut reader: &[u8] = text.as_bytes();
        self.stream(&[], &mut reader, text.len() as u64, ContentKind::Text(encoding_rs::UTF_8), member);
    }
}

/// Sensitivity-label names by label id (lower-case GUID without braces), from the configuration:
/// newer Office files name their label only by id.
pub type LabelNames = std::collections::HashMap<String, String>;

/// The format names [`Extracted::format`] takes.
const FORMATS: [&str; 33] = [
    "text",
    "docx",
    "xlsx",
    "pptx",
    "odf",
    "pdf",
    "zip",
    "tar",
    "tar.gz",
    "gzip",
    "tar.xz",
    "xz",
    "tar.bz2",
    "bzip2",
    "tar.zst",
    "zstd",
    "7z",
    "rar",
    "eml",
    "mbox",
    "msg",
    "tnef",
    "doc",
    "wri",
    "xls",
    "ppt",
    "ole",
    "ooxml-encrypted",
    "openpgp",
    "age",
    "luks",
    "kdbx",
    "binary",
];

/// The format name spelled `name` (for results that crossed from a worker process).
pub fn format_named(name: &str) -> &'static str {
    FORMATS.iter().chain(&sniff::UNREAD_FORMATS).find(|f| **f == name).copied().unwrap_or("unknown")
}

/// The first bytes of a file and what they say it is.
#[derive(Debug)]
pub struct Sniffed {
    head: Vec<u8>,
    /// The content kind.
    pub kind: ContentKind,
}

impl Sniffed {
    /// Bytes read to sniff the content (at most 8 KiB).
    pub fn head_len(&self) -> u64 {
        self.head.len() as u64
    }

    /// True when the content is a container whose parsers should run in a worker process (Office,
    /// PDF, archives, mail); plain text and header-only formats are read in-process.
    pub fn is_container(&self) -> bool {
        matches!(
            self.kind,
            ContentKind::Zip
                | ContentKind::CompoundFile
                | ContentKind::Pdf
                | ContentKind::Compressed(_)
                | ContentKind::Tar
                | ContentKind::SevenZip
                | ContentKind::Rar(_)
                | ContentKind::Email
                | ContentKind::Tnef
                | ContentKind::Mailbox
                | ContentKind::WordLegacy
                | ContentKind::Write
        )
    }
}

impl Sniffed {
    /// True when the content is judged from a few bounded reads (headers, or samples of binary
    /// content for the encrypted-container test), so its size does not matter.
    pub fn is_read_in_bounded_bytes(&self) -> bool {
        matches!(
            self.kind,
            ContentKind::Binary
                | ContentKind::Luks
                | ContentKind::Age
                | ContentKind::KeePass
                | ContentKind::OpenPgp
                | ContentKind::Unsupported(_)
        )
    }
}

/// Reads the first bytes of an open file of `size` bytes (as opened) and sniffs its kind; the
/// file is left after them. No more than `size` is asked for, so a small file's head takes one
/// read, not a second one that finds its end: whoever reads on finds the end, or more bytes if
/// the file grew.
pub fn sniff_file(file: &mut File, size: u64) -> std::io::Result<Sniffed> {
    // `read_to_end` fills spare capacity without zeroing it first: a zeroed 8 KiB buffer per
    // file was a measurable part of small files' cost (callgrind, the small-file shape).
    let mut head = Vec::with_capacity(SNIFF_BYTES);
    file.by_ref().take(size.min(SNIFF_BYTES as u64)).read_to_end(&mut head)?;
    let kind = sniff::sniff(&head);
    Ok(Sniffed { head, kind })
}

/// Extracts the text of an open file of `size` bytes, whose first bytes [`sniff_file`] read, and
/// pushes it, chunk by chunk, into `sink`.
pub fn extract(
    file: &mut File,
    sniffed: Sniffed,
    size: u64,
    limits: ExtractLimits,
    labels: &LabelNames,
    sink: &mut ChunkSink<'_>,
) -> std::io::Result<Extracted> {
    let Sniffed { head, kind } = sniffed;
    let mut ctx = Ctx::new(limits, labels, sink);
    let format = match kind {
        // Plain text continues from where sniffing stopped; everything else re-reads from the start.
        ContentKind::Text(_) => {
            ctx.add_private_key_encryption(&head);
            ctx.stream_capped(&head, file, size, kind, None, false);
            "text"
        }
        _ => {
            file.rewind()?;
            read_content(file, size, kind, &head, None, 0, &mut ctx)
        }
    };
    Ok(ctx.finish(kind, format))
}

/// Extracts content held in memory (a fuzzing entry point, and for content that is not a file).
pub fn extract_bytes(bytes: &[u8], limits: ExtractLimits, labels: &LabelNames, sink: &mut ChunkSink<'_>) -> Extracted {
    let head = &bytes[..bytes.len().min(SNIFF_BYTES)];
    let kind = sniff::sniff(head);
    let mut ctx = Ctx::new(limits, labels, sink);
    let mut cursor = Cursor::new(bytes);
    let format = read_content(&mut cursor, bytes.len() as u64, kind, head, None, 0, &mut ctx);
    ctx.finish(kind, format)
}

/// Reads one piece of content of a known kind (the file itself, or an archive member) from the
/// start of `reader`. Returns the name of the format read.
fn read_content<R: Read + Seek>(
    reader: &mut R,
    size: u64,
    kind: ContentKind,
    head: &[u8],
    member: Option<&str>,
    depth: u32,
    ctx: &mut Ctx<'_, '_>,
) -> &'static str {
    match kind {
        ContentKind::Text(_) => {
            ctx.add_private_key_encryption(head);
            ctx.stream(&[], reader, size, kind, member);
            "text"
        }
        ContentKind::Zip => zipfile::read(reader, member, depth, ctx),
        ContentKind::Html(encoding) | ContentKind::Xml(encoding) => {
            if let Some(raw) = read_bounded(reader, None, ctx) {
                let (source, _, _) = encoding.decode(&raw);
                ctx.emit(&markup::markup_text(&source), member);
            }
            if matches!(kind, ContentKind::Html(_)) {
                "html"
            } else {
                "xml"
            }
        }
        ContentKind::Rtf => {
            if let Some(raw) = read_bounded(reader, None, ctx) {
                ctx.emit(&markup::rtf_text(&raw), member);
            }
            "rtf"
        }
        ContentKind::Email => {
            if let Some(raw) = read_bounded(reader, None, ctx) {
                mail::read_message(&raw, member, depth, ctx);
            }
            "eml"
        }
        ContentKind::Mailbox => {
            mail::read_mailbox(reader, depth, ctx);
            "mbox"
        }
        ContentKind::Tnef => {
            if let Some(raw) = read_bounded(reader, None, ctx) {
                tnef::read(&raw, member, depth, ctx);
            }
            "tnef"
        }
        ContentKind::CompoundFile => ole::read(reader, member, depth, ctx),
        ContentKind::WordLegacy => {
            doc::read_unwrapped(reader, size, member, ctx);
            "doc"
        }
        ContentKind::Write => {
            doc::read_write(reader, size, member, ctx);
            "wri"
        }
        ContentKind::Unsupported(name) => {
            ctx.mark(PartialReason::UnsupportedFormat);
            name
        }
        ContentKind::Pdf => pdf::read(reader, size, ctx),
        ContentKind::Compressed(_) | ContentKind::Tar => stream::read(reader, kind, member, depth, ctx),
        ContentKind::SevenZip => stream::seven_zip(reader, member, depth, ctx),
        ContentKind::Rar(rar5) => rar::read(reader, rar5, member, depth, ctx),
        ContentKind::OpenPgp => {
            ctx.add_encryption(encryption::openpgp(head));
            "openpgp"
        }
        ContentKind::Age => {
            ctx.add_encryption(Encryption::with("age", Some(true)).cipher("ChaCha20-Poly1305"));
            "age"
        }
        ContentKind::Luks => {
            let mut luks_head = vec![0u8; 16 << 10];
            let n = crate::fsutil::read_full(reader, &mut luks_head).unwrap_or(0);
            ctx.add_encryption(encryption::luks(&luks_head[..n]));
            "luks"
        }
        ContentKind::KeePass => {
            ctx.add_encryption(Encryption::with("kdbx", Some(true)).note("KeePass database"));
            "kdbx"
        }
        ContentKind::Binary => {
            if member.is_none() && looks_like_encrypted_container(reader, size) {
                ctx.add_encryption(
                    Encryption::with("encrypted-container-suspected", None)
                        .note("no known format; uniformly random bytes throughout, as in a VeraCrypt volume"),
                );
            }
            "binary"
        }
    }
}

/// No magic, a size that is a whole number of 512-byte sectors and at least 256 KiB, and random
/// bytes at the start, middle and end: what a VeraCrypt or TrueCrypt container looks like.
fn looks_like_encrypted_container<R: Read + Seek>(reader: &mut R, size: u64) -> bool {
    const SAMPLE: usize = 64 << 10;
    if size < 256 << 10 || !size.is_multiple_of(512) {
        return false;
    }
    let mut samples = Vec::new();
    for at in [0, size / 2, size - SAMPLE as u64] {
        let mut buf = vec![0u8; SAMPLE];
        let ok =
            reader.seek(std::io::SeekFrom::Start(at)).is_ok() && crate::fsutil::read_full(reader, &mut buf).is_ok();
        if !ok {
            return false;
        }
        samples.push(buf);
    }
    let refs: Vec<&[u8]> = samples.iter().map(Vec::as_slice).collect();
    encryption::looks_like_ciphertext(&refs)
}

/// Reads an archive member into memory (within the caps) and reads its content. `compressed` is its
/// compressed size when the container records one, for the expansion-ratio check.
fn read_member(mut data: impl Read, compressed: Option<u64>, name: &str, depth: u32, ctx: &mut Ctx<'_, '_>) {
    if depth > ctx.limits.max_depth {
        ctx.mark(PartialReason::NestingDepth);
        return;
    }
    let Some(bytes) = read_bounded(&mut data, compressed, ctx) else {
        return;
    };
    read_member_bytes(bytes, name, depth, ctx);
}

/// Reads the content of an archive member already held in memory, whose bytes the caller has
/// counted as expanded (`read_bounded`, or a reader that capped them as it received them).
fn read_member_bytes(bytes: Vec<u8>, name: &str, depth: u32, ctx: &mut Ctx<'_, '_>) {
    let kind = sniff::sniff(&bytes[..bytes.len().min(SNIFF_BYTES)]);
    let size = bytes.len() as u64;
    let head = bytes[..bytes.len().min(SNIFF_BYTES)].to_vec();
    let mut cursor = Cursor::new(bytes);
    read_content(&mut cursor, size, kind, &head, Some(name), depth, ctx);
}

/// The member path of `name` inside `parent` (`a.zip!/b.csv`), or `name` itself at the top.
fn member_path(parent: Option<&str>, name: &str) -> String {
    match parent {
        Some(p) => format!("{p}!/{name}"),
        None => name.to_string(),
    }
}

/// Reads at most the member cap and the remaining expansion budget, watching the ratio as it
/// goes so that a bomb is stopped after a bounded amount of work. `None` when nothing is left.
fn read_bounded(data: &mut impl Read, compressed: Option<u64>, ctx: &mut Ctx<'_, '_>) -> Option<Vec<u8>> {
    let budget = ctx.limits.max_expanded_bytes.saturating_sub(ctx.expanded).min(ctx.limits.max_member_bytes);
    if budget == 0 {
        ctx.mark(PartialReason::ExpandedBytes);
        return None;
    }
    // Small members may compress very well (an empty sheet); only large expansions are suspect.
    let ratio_cap = compressed.map_or(u64::MAX, |c| c.max(1).saturating_mul(ctx.limits.max_ratio).max(1 << 20));
    let mut bytes = Vec::new();
    let mut block = vec![0u8; 64 << 10];
    loop {
        let n = match data.read(&mut block) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => {
                ctx.mark_read_error(&e);
                break;
            }
        };
        bytes.extend_from_slice(&block[..n]);
        if bytes.len() as u64 > ratio_cap {
            ctx.mark(PartialReason::ExpansionRatio);
            break;
        }
        if bytes.len() as u64 >= budget {
            ctx.mark(PartialReason::ExpandedBytes);
            break;
        }
        if ctx.exhausted() {
            break;
        }
    }
    ctx.expanded += bytes.len() as u64;
    Some(bytes)
}
