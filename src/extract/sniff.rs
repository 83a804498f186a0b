//! Deciding what a file is from its first bytes, never from its name.
//!
//! Container and encrypted formats are recognised by their magic numbers (a `.dat` that is really a
//! `.docx` is a zip and is read as one); anything else is text in a detected encoding (a byte-order
//! mark, UTF-16 without a mark, UTF-8, or the Windows-1252 fallback legacy tools write) or binary.

use encoding_rs::{Encoding, UTF_16BE, UTF_16LE, UTF_8, WINDOWS_1252};

use super::encryption::is_openpgp_message;
use super::table::Lines;

/// What the first bytes say the content is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContentKind {
    /// Text in this encoding.
    Text(&'static Encoding),
    /// A zip archive (also OOXML and OpenDocument files).
    Zip,
    /// An OLE2 compound file (legacy Office, encrypted OOXML, Outlook .msg).
    CompoundFile,
    /// A PDF document.
    Pdf,
    /// One compressed stream (gzip, xz, bzip2, Zstandard): a compressed file or tarball.
    Compressed(Codec),
    /// A POSIX tar archive.
    Tar,
    /// A 7-Zip archive.
    SevenZip,
    /// A RAR archive; `true` for RAR 5.
    Rar(bool),
    /// An `age` encrypted file.
    Age,
    /// An HTML document in this encoding.
    Html(&'static Encoding),
    /// An XML document in this encoding.
    Xml(&'static Encoding),
    /// An RTF document.
    Rtf,
    /// An e-mail message (RFC 5322 headers, MIME body).
    Email,
    /// A TNEF stream (`winmail.dat`, `application/ms-tnef`): Outlook's message properties and
    /// attachments.
    Tnef,
    /// A Unix mailbox of messages, each starting with a `From ` line.
    Mailbox,
    /// A LUKS encrypted volume.
    Luks,
    /// A KeePass database.
    KeePass,
    /// OpenPGP data (binary packets or ASCII armour).
    OpenPgp,
    /// A Word for Windows 1.x, 2.0, 6.0 or 95 document that is not inside a compound file: its
    /// file information block starts the file.
    WordLegacy,
    /// A Windows Write or Word for DOS document: a 128-byte header, then the text.
    Write,
    /// A document format recognised by its header whose text no reader here extracts (named):
    /// WordPerfect, Lotus Word Pro, Word for Macintosh, ClarisWorks/AppleWorks, Lotus 1-2-3,
    /// Excel 2.x-4.0, Hangul. Reported `unsupported_format`, never clean.
    Unsupported(&'static str),
    /// Not text and no reader for it: executables, images, media.
    Binary,
}

/// A compression of one stream, each with the format names of the file and of a tarball in it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Codec {
    /// gzip (RFC 1952), several members in a row allowed.
    Gzip,
    /// xz (the .xz file format 1.2.1).
    Xz,
    /// bzip2.
    Bzip2,
    /// Zstandard (RFC 8878).
    Zstd,
}

impl Codec {
    /// The format name of a compressed file, and of a compressed tarball.
    pub fn format_names(self) -> (&'static str, &'static str) {
        match self {
            Codec::Gzip => ("gzip", "tar.gz"),
            Codec::Xz => ("xz", "tar.xz"),
            Codec::Bzip2 => ("bzip2", "tar.bz2"),
            Codec::Zstd => ("zstd", "tar.zst"),
        }
    }
}

/// Sniffs the start of a file (the first 8 KiB are enough; tar needs 262 bytes).
pub fn sniff(head: &[u8]) -> ContentKind {
    if let Some(kind) = sniff_magic(head) {
        return kind;
    }
    if let Some((encoding, _)) = Encoding::for_bom(head) {
        return ContentKind::Text(encoding);
    }
    let census = Census::of(head);
    // UTF-16 needs NUL bytes inside the text, not only after it (trailing NULs are as many at odd
    // as at even offsets, give or take one): most texts have none and skip this pass.
    if census.is_none_or(|c| c.nuls > 0) {
        if let Some(encoding) = utf16_without_bom(head) {
            return ContentKind::Text(encoding);
        }
    }
    if census.is_none_or(|c| c.looks_binary()) {
        return if is_openpgp_message(head) { ContentKind::OpenPgp } else { ContentKind::Binary };
    }
    if head.starts_with(b"-----BEGIN PGP MESSAGE-----") {
        return ContentKind::OpenPgp;
    }
    if head.starts_with(b"-----BEGIN AGE ENCRYPTED FILE-----") {
        return ContentKind::Age;
    }
    if let Some(kind) = sniff_mail(head) {
        return kind;
    }
    let ascii = census.is_some_and(|c| c.ascii);
    let encoding = if ascii || is_utf8_allowing_cut_tail(head) { UTF_8 } else { WINDOWS_1252 };
    sniff_markup(head, encoding).unwrap_or(ContentKind::Text(encoding))
}

/// HTML by its doctype or root element; XML by its declaration.
fn sniff_markup(head: &[u8], encoding: &'static Encoding) -> Option<ContentKind> {
    let start = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
    let start = &start[start.iter().position(|b| !b.is_ascii_whitespace()).unwrap_or(start.len())..];
    // Most texts do not open with `<`; they are decided here without copying their opening, as
    // this runs on every text file.
    if !start.starts_with(b"<") {
        return None;
    }
    let opening = &start[..start.len().min(1024)];
    let opens_with = |tag: &[u8]| opening.len() >= tag.len() && opening[..tag.len()].eq_ignore_ascii_case(tag);
    let is_html = opens_with(b"<!doctype html") || opening.windows(5).any(|w| w.eq_ignore_ascii_case(b"<html"));
    if is_html {
        Some(ContentKind::Html(encoding))
    } else if opens_with(b"<?xml") {
        Some(ContentKind::Xml(encoding))
    } else {
        None
    }
}

/// A message starts with header lines (`Name: value`), among them ones every mail client writes; a
/// mailbox starts with a `From ` separator line followed by such headers.
fn sniff_mail(head: &[u8]) -> Option<ContentKind> {
    const HEADERS: [&[u8]; 9] = [
        b"from:",
        b"to:",
        b"subject:",
        b"date:",
        b"message-id:",
        b"mime-version:",
        b"received:",
        b"return-path:",
        b"content-type:",
    ];
    /// The headers among them that only mail writes.
    const IDENTIFYING: [&[u8]; 4] = [b"from:", b"received:", b"mime-version:", b"message-id:"];
    let (kind, body) = match head.strip_prefix(b"From ") {
        Some(rest) => (ContentKind::Mailbox, &rest[rest.iter().position(|&b| b == b'\n')? + 1..]),
        None => (ContentKind::Email, head),
    };
    // The first line decides most texts, so the others are split only when it is a header line.
    let first = body.split(|&b| b == b'\n').next()?;
    let first_is_header = first
        .iter()
        .position(|&b| b == b':')
        .is_some_and(|colon| colon > 0 && first[..colon].iter().all(|b| b.is_ascii_alphanumeric() || *b == b'-'));
    if !first_is_header {
        return None;
    }
    // Logs open with a time stamp, which looks like a header name (`2024-09-19T10:`): their first
    // 40 lines are weighed in one pass, without collecting them.
    let (mut known, mut identifying) = (0, false);
    for (_, line) in Lines::new(body).take(40) {
        let named = |h: &[u8]| line.len() >= h.len() && line[..h.len()].eq_ignore_ascii_case(h);
        if let Some(header) = HEADERS.iter().position(|h| named(h)) {
            known += 1;
            identifying |= IDENTIFYING.contains(&HEADERS[header]);
        }
    }
    (known >= 3 && identifying).then_some(kind)
}

fn sniff_magic(head: &[u8]) -> Option<ContentKind> {
    let kind = match head {
        [b'P', b'K', 3, 4, ..] | [b'P', b'K', 5, 6, ..] => ContentKind::Zip,
        [0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1, ..] => ContentKind::CompoundFile,
        [0x78, 0x9F, 0x3E, 0x22, ..] => ContentKind::Tnef,
        [0x1F, 0x8B, ..] => ContentKind::Compressed(Codec::Gzip),
        // xz file format 1.2.1 section 2.1.1.1 (header magic); bzip2's stream header `BZh` with a
        // block size digit and the first block's magic (pi in BCD); Zstandard frame magic (RFC 8878).
        [0xFD, b'7', b'z', b'X', b'Z', 0x00, ..] => ContentKind::Compressed(Codec::Xz),
        [b'B', b'Z', b'h', b'1'..=b'9', 0x31, 0x41, 0x59, 0x26, 0x53, 0x59, ..] => {
            ContentKind::Compressed(Codec::Bzip2)
        }
        [0x28, 0xB5, 0x2F, 0xFD, ..] => ContentKind::Compressed(Codec::Zstd),
        // RTF 1.9.1 section "RTF Syntax": a document is one group opening with `{\rtf`. WordPad
        // pads what it writes with NUL bytes, and `\bin` embeds raw bytes: neither makes it binary.
        [b'{', b'\\', b'r', b't', b'f', ..] => ContentKind::Rtf,
        [b'7', b'z', 0xBC, 0xAF, 0x27, 0x1C, ..] => ContentKind::SevenZip,
        [b'R', b'a', b'r', b'!', 0x1A, 0x07, 0x01, 0x00, ..] => ContentKind::Rar(true),
        [b'R', b'a', b'r', b'!', 0x1A, 0x07, 0x00, ..] => ContentKind::Rar(false),
        [b'L', b'U', b'K', b'S', 0xBA, 0xBE, ..] => ContentKind::Luks,
        [0x03, 0xD9, 0xA2, 0x9A, 0x67 | 0x65, 0xFB, 0x4B, 0xB5, ..] => ContentKind::KeePass,
        _ if head.starts_with(b"age-encryption.org/v1\n") => ContentKind::Age,
        _ if pdf_header_offset(head).is_some() => ContentKind::Pdf,
        _ if head.len() >= 262 && &head[257..262] == b"ustar" => ContentKind::Tar,
        _ if is_legacy_word(head) => ContentKind::WordLegacy,
        // Write 3.0 and Word for DOS: wIdent 0xBE31 (0xBE32 with OLE objects), dty 0, wTool 0xAB00.
        [0x31 | 0x32, 0xBE, 0, 0, 0, 0xAB, ..] => ContentKind::Write,
        _ => return sniff_unread_document(head).map(ContentKind::Unsupported),
    };
    Some(kind)
}

/// A Word for Windows FIB at byte 0 outside a compound file: wIdent 0xA59B (Word 1.x) or 0xA5DB
/// (Word 2.0) with their nFib (33 to 45), or 0xA5DC with Word 6/95's (101 to 105), and a text range
/// `fcMin..fcMac` (0x18, 0x1C) that starts after the FIB. Two magic bytes alone are too weak.
fn is_legacy_word(head: &[u8]) -> bool {
    let u16_at = |at: usize| head.get(at..at + 2).map(|b| u16::from_le_bytes([b[0], b[1]]));
    let u32_at = |at: usize| head.get(at..at + 4).map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]));
    let versions = match u16_at(0) {
        Some(0xA59B | 0xA5DB) => 33..=45,
        Some(0xA5DC) => 101..=105,
        _ => return false,
    };
    let (Some(n_fib), Some(fc_min), Some(fc_mac)) = (u16_at(2), u32_at(0x18), u32_at(0x1C)) else {
        return false;
    };
    versions.contains(&n_fib) && fc_min >= 0x20 && fc_min <= fc_mac
}

/// The names [`ContentKind::Unsupported`] takes.
pub const UNREAD_FORMATS: [&str; 7] =
    ["wordperfect", "word-mac", "lotus123", "xls-biff2-4", "wordpro", "appleworks", "hwp"];

/// Word-processor and spreadsheet formats staff may still keep from before Office 97, named by
/// their documented headers (the file(1) magic database).
fn sniff_unread_document(head: &[u8]) -> Option<&'static str> {
    let name = match head {
        // WordPerfect 5.0 and later: `\xFFWPC`, then product type 1 and file type 10 at bytes 8 and 9.
        [0xFF, b'W', b'P', b'C', _, _, _, _, 1, 10, ..] => "wordperfect",
        [0xFE, 0x32 | 0x34, 0, 0, ..] | [0xFE, 0x37, 0, 0x1C | 0x23, ..] => "word-mac",
        [0, 0, 2, 0, 6, 4, 6, 0, ..] | [0, 0, 0x1A, 0, 0 | 2 | 3, 0x10, 4, 0, ..] => "lotus123",
        // Excel 2.x-4.0 outside a compound file: a BOF record (0x0009, 0x0209, 0x0409) of a
        // worksheet (dt 0x0010) or a 4.0 workbook (dt 0x0100).
        [0x09, 0x00 | 0x02 | 0x04, 4 | 6, 0, _, _, 0x10, 0x00, ..] | [0x09, 0x04, 6, 0, _, _, 0x00, 0x01, ..] => {
            "xls-biff2-4"
        }
        _ if head.starts_with(b"WordPro\0") || head.starts_with(b"WordPro\r\xFB") => "wordpro",
        // ClarisWorks/AppleWorks: a version byte, then `BOBO` at 4.
        [1..=10, _, _, _, b'B', b'O', b'B', b'O', ..] => "appleworks",
        _ if head.starts_with(b"HWP Document File") => "hwp",
        _ => return None,
    };
    Some(name)
}

/// PDF readers accept `%PDF-` anywhere in the first kilobyte.
fn pdf_header_offset(head: &[u8]) -> Option<usize> {
    // memchr's search: a window-by-window comparison cost thousands of instructions on every file.
    memchr::memmem::find(&head[..head.len().min(1024)], b"%PDF-")
}

/// UTF-16 text without a byte-order mark has a NUL in every other byte for Latin text.
fn utf16_without_bom(head: &[u8]) -> Option<&'static Encoding> {
    let sample = &head[..head.len().min(4096) & !1];
    if sample.len() < 8 {
        return None;
    }
    let pairs = sample.len() / 2;
    // One pass over byte pairs (the sample's length is even), which the compiler vectorises; this
    // runs on every file's first bytes.
    let (even_nuls, odd_nuls) = sample.chunks_exact(2).fold((0usize, 0usize), |(even, odd), pair| {
        (even + usize::from(pair[0] == 0), odd + usize::from(pair[1] == 0))
    });
    let mostly = |n: usize| n * 10 >= pairs * 7;
    let rarely = |n: usize| n * 10 <= pairs;
    if mostly(odd_nuls) && rarely(even_nuls) {
        Some(UTF_16LE)
    } else if mostly(even_nuls) && rarely(odd_nuls) {
        Some(UTF_16BE)
    } else {
        None
    }
}

/// Bytes of a head weighed to tell text from binary.
const BINARY_SAMPLE: usize = 8192;

/// What the bytes of a head's first [`BINARY_SAMPLE`] bytes are, up to its last byte that is not
/// NUL, counted in one pass (this runs on every file): NUL bytes after the last other byte do not
/// count, as text is often padded with them (a CSV with a trailing NUL, a log preallocated and
/// written to part of its length).
#[derive(Debug, Clone, Copy)]
struct Census<'h> {
    /// The bytes weighed.
    sample: &'h [u8],
    /// NUL bytes among them.
    nuls: usize,
    /// Control bytes other than line feeds among them: at least as many as the control characters
    /// no text format uses, which are counted only when these are too many (a text's tabs and
    /// carriage returns), as that test costs twice this one.
    controls_at_most: usize,
    /// True when the whole head is ASCII (so UTF-8).
    ascii: bool,
}

impl<'h> Census<'h> {
    /// The census of `head`; `None` when it holds nothing but NUL bytes.
    fn of(head: &'h [u8]) -> Option<Census<'h>> {
        let sample = &head[..head.len().min(BINARY_SAMPLE)];
        let sample = &sample[..=sample.iter().rposition(|&b| b != 0)?];
        let (mut nuls, mut controls_at_most, mut bits) = (0, 0, 0u8);
        for block in sample.chunks(COUNTED_BLOCK) {
            let (n, c, b) = block.iter().fold((0u8, 0u8, 0u8), |(n, c, bits), &b| {
                (n + u8::from(b == 0), c + u8::from(b < 0x20 && b != b'\n'), bits | b)
            });
            (nuls, controls_at_most, bits) = (nuls + usize::from(n), controls_at_most + usize::from(c), bits | b);
        }
        let ascii = bits.is_ascii() && head.len() <= BINARY_SAMPLE;
        Some(Census { sample, nuls, controls_at_most, ascii })
    }

    /// Binary content has NUL bytes in more than one byte in a hundred, or control characters
    /// that no text format uses in more than one in twenty. (All-NUL content, which has no
    /// census, is binary.)
    fn looks_binary(&self) -> bool {
        let len = self.sample.len();
        let too_many = |controls: usize| controls * 100 > len * 5;
        let is_control = |b: u8| b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r' | 0x0C | 0x1B);
        self.nuls * 100 > len || (too_many(self.controls_at_most) && too_many(count(self.sample, is_control)))
    }
}

/// Bytes counted at a time in byte-wide counters, which the compiler turns into vector compares:
/// a whole number of its vector steps (255, the most a byte can count, left 31 bytes of every
/// block to a byte-at-a-time loop, 12 % of the bytes and most of the instructions).
const COUNTED_BLOCK: usize = 192;

/// How many bytes of `bytes` satisfy `pred`.
fn count(bytes: &[u8], pred: impl Fn(u8) -> bool) -> usize {
    bytes.chunks(COUNTED_BLOCK).map(|c| usize::from(c.iter().fold(0u8, |n, &b| n + u8::from(pred(b))))).sum()
}

/// Valid UTF-8, except that the sample may end inside a multi-byte character. Validated by
/// encoding_rs (with vector instructions where the processor has them, through simdutf8): std's
/// `from_utf8` took as long as the rest of sniffing a text; only a last few bytes that are not
/// valid are asked of it, to tell a character cut short from a wrong byte.
fn is_utf8_allowing_cut_tail(head: &[u8]) -> bool {
    let valid = Encoding::utf8_valid_up_to(head);
    valid == head.len()
        || (head.len() - valid < 4 && std::str::from_utf8(&head[valid..]).is_err_and(|e| e.error_len().is_none()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utf16le(s: &str) -> Vec<u8> {
        s.encode_utf16().flat_map(u16::to_le_bytes).collect()
    }

    fn utf16be(s: &str) -> Vec<u8> {
        s.encode_utf16().flat_map(u16::to_be_bytes).collect()
    }

    #[test]
    fn text_encodings_are_recognised() {
        assert_eq!(sniff(b"plain ascii"), ContentKind::Text(UTF_8));
        assert_eq!(sniff("caf\u{e9} na\u{ef}ve".as_bytes()), ContentKind::Text(UTF_8));
        assert_eq!(sniff(b"caf\xe9 na\xefve"), ContentKind::Text(WINDOWS_1252));
        assert_eq!(sniff(&[b"\xff\xfe".as_slice(), &utf16le("hello")].concat()), ContentKind::Text(UTF_16LE));
        assert_eq!(sniff(&[b"\xfe\xff".as_slice(), &utf16be("hello")].concat()), ContentKind::Text(UTF_16BE));
        assert_eq!(sniff(&utf16le("hello there, no BOM")), ContentKind::Text(UTF_16LE));
        assert_eq!(sniff(&utf16be("hello there, no BOM")), ContentKind::Text(UTF_16BE));
        assert_eq!(sniff(b"\xef\xbb\xbfbom"), ContentKind::Text(UTF_8));
    }

    #[test]
    fn a_cut_multibyte_character_at_the_end_is_still_utf8() {
        let s = "price \u{20ac}".as_bytes();
        assert_eq!(sniff(&s[..s.len() - 1]), ContentKind::Text(UTF_8));
        // Past the vector validator's 64 bytes, and a wrong byte among the last three.
        let long = "caf\u{e9} ".repeat(20);
        assert_eq!(
            sniff(&[long.as_bytes(), "\u{20ac}".as_bytes()].concat()[..long.len() + 2]),
            ContentKind::Text(UTF_8)
        );
        assert_eq!(sniff(&[long.as_bytes(), b"\xe2\x82"].concat()), ContentKind::Text(UTF_8));
        assert_eq!(sniff(&[long.as_bytes(), b"\xe2x"].concat()), ContentKind::Text(WINDOWS_1252));
        assert_eq!(sniff(&[long.as_bytes(), b"\xe9 abc"].concat()), ContentKind::Text(WINDOWS_1252));
    }

    #[test]
    fn binary_is_recognised_by_content() {
        assert_eq!(sniff(b"\x7fELF\x02\x01\x01\x00\x00\x00"), ContentKind::Binary);
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"), ContentKind::Binary);
        assert_eq!(sniff(&[1, 2, 3, 4, 5, 6, 7, 8, 65, 66]), ContentKind::Binary);
    }

    #[test]
    fn a_few_nul_bytes_do_not_make_text_binary() {
        assert_eq!(sniff(b"Name,Email\nAnn,ann@example.ac.uk\n\x00"), ContentKind::Text(UTF_8));
        let padded = [b"staff list: Ann, Bob, Carol\n".repeat(20), vec![0; 7000]].concat();
        assert_eq!(sniff(&padded), ContentKind::Text(UTF_8));
        let stray = [b"a log line that goes on for a while\n".repeat(10), vec![0], b"more\n".to_vec()].concat();
        assert_eq!(sniff(&stray), ContentKind::Text(UTF_8));
        assert_eq!(sniff(&[0; 4096]), ContentKind::Binary);
        assert_eq!(sniff(b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00"), ContentKind::Binary);
    }

    #[test]
    fn tabs_and_carriage_returns_are_text_other_controls_past_one_in_twenty_are_not() {
        let tsv = b"id\tname\t\t\tdept\r\n".repeat(100);
        assert_eq!(sniff(&tsv), ContentKind::Text(UTF_8));
        let rung = |bells: usize| [b"\x07".repeat(bells), b"x".repeat(100 - bells)].concat().repeat(40);
        assert_eq!(sniff(&rung(5)), ContentKind::Text(UTF_8));
        assert_eq!(sniff(&rung(6)), ContentKind::Binary);
    }

    #[test]
    fn rtf_padded_with_nul_bytes_is_rtf() {
        let wordpad =
            [b"{\\rtf1\\ansi\\deff0{\\fonttbl{\\f0 Calibri;}}\\f0 NI AB 12 34 56 C\\par}".as_slice(), &[0; 64]]
                .concat();
        assert_eq!(sniff(&wordpad), ContentKind::Rtf);
    }

    #[test]
    fn one_byte_that_is_a_packet_tag_is_not_openpgp() {
        let mut cad = vec![0xa5, 0x0f, 0xf0, 0x5a, 0x1e, 0x02, 0, 0, b'0', b'M', b'3', b'C'];
        cad.resize(4012, 0);
        assert_eq!(sniff(&cad), ContentKind::Binary);
        let mut x: u32 = 0x1234_5678;
        let random: Vec<u8> = std::iter::once(0xa5)
            .chain((0..4000).map(|_| {
                x ^= x << 13;
                x ^= x >> 17;
                x ^= x << 5;
                x as u8
            }))
            .collect();
        assert_eq!(sniff(&random), ContentKind::Binary);
    }

    #[test]
    fn markup_is_recognised_by_its_opening() {
        assert_eq!(sniff(b"<!DOCTYPE html><html><body>x</body></html>"), ContentKind::Html(UTF_8));
        assert_eq!(sniff(b"  <html lang=\"en\">"), ContentKind::Html(UTF_8));
        assert_eq!(sniff(b"<?xml version=\"1.0\"?><staff/>"), ContentKind::Xml(UTF_8));
        assert_eq!(sniff(b"{\\rtf1\\ansi hello}"), ContentKind::Rtf);
        assert_eq!(sniff(b"a < b and c > d"), ContentKind::Text(UTF_8));
    }

    #[test]
    fn mail_is_recognised_by_its_headers() {
        let eml =
            b"Return-Path: <a@b.ac.uk>\nFrom: A <a@b.ac.uk>\nTo: c@d.ac.uk\nSubject: hi\nMIME-Version: 1.0\n\nbody";
        assert_eq!(sniff(eml), ContentKind::Email);
        let mbox = b"From a@b.ac.uk Mon Jan  1 00:00:00 2024\nFrom: a@b.ac.uk\nTo: c@d.ac.uk\nSubject: x\n\nbody\n";
        assert_eq!(sniff(mbox), ContentKind::Mailbox);
        assert_eq!(sniff(b"From the desk of the Dean: greetings.\nSubject: none\n"), ContentKind::Text(UTF_8));
        assert_eq!(sniff(b"Name: Ann\nSubject: Maths\nDate: today\n"), ContentKind::Text(UTF_8));
    }

    #[test]
    fn containers_and_encrypted_formats_are_recognised_by_magic() {
        assert_eq!(sniff(b"PK\x03\x04\x14\x00"), ContentKind::Zip);
        assert_eq!(sniff(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1\x00"), ContentKind::CompoundFile);
        assert_eq!(sniff(b"%PDF-1.7\n"), ContentKind::Pdf);
        assert_eq!(sniff(b"\x1f\x8b\x08\x00"), ContentKind::Compressed(Codec::Gzip));
        assert_eq!(sniff(b"\xfd7zXZ\x00\x00\x04"), ContentKind::Compressed(Codec::Xz));
        assert_eq!(sniff(b"BZh91AY&SY\x00"), ContentKind::Compressed(Codec::Bzip2));
        assert_eq!(sniff(b"BZh9 a text"), ContentKind::Text(UTF_8));
        assert_eq!(sniff(b"\x28\xb5\x2f\xfd\x24"), ContentKind::Compressed(Codec::Zstd));
        assert_eq!(sniff(b"7z\xbc\xaf\x27\x1c\x00\x04"), ContentKind::SevenZip);
        assert_eq!(sniff(b"\x78\x9f\x3e\x22\x01\x00\x01"), ContentKind::Tnef);
        assert_eq!(sniff(b"Rar!\x1a\x07\x01\x00"), ContentKind::Rar(true));
        assert_eq!(sniff(b"Rar!\x1a\x07\x00"), ContentKind::Rar(false));
        assert_eq!(sniff(b"LUKS\xba\xbe\x00\x02"), ContentKind::Luks);
        assert_eq!(sniff(b"\x03\xd9\xa2\x9a\x67\xfb\x4b\xb5"), ContentKind::KeePass);
        assert_eq!(sniff(b"age-encryption.org/v1\n-> X25519 abc\n"), ContentKind::Age);
        assert_eq!(sniff(b"-----BEGIN PGP MESSAGE-----\n\nhQEMA"), ContentKind::OpenPgp);
        let skesk_seipd = b"\x8c\x0d\x04\x09\x03\x02\x01\x02\x03\x04\x05\x06\x07\x08\xff\xd2\x05\x01\x00\x00\x00\x00";
        assert_eq!(sniff(skesk_seipd), ContentKind::OpenPgp);
        let new_format = b"\xc3\x0d\x04\x09\x03\x02\x01\x02\x03\x04\x05\x06\x07\x08\xff\xd2\x05\x01\x00\x00\x00\x00";
        assert_eq!(sniff(new_format), ContentKind::OpenPgp);
        let mut tar = vec![0u8; 512];
        tar[..8].copy_from_slice(b"file.txt");
        tar[257..262].copy_from_slice(b"ustar");
        assert_eq!(sniff(&tar), ContentKind::Tar);
    }

    /// A header padded with zeros to the size sniffing reads.
    fn header(start: &[u8]) -> Vec<u8> {
        let mut head = start.to_vec();
        head.resize(512, 0);
        head
    }

    #[test]
    fn pre_office_97_documents_are_recognised_not_binary() {
        let mut word2 = header(b"\xdb\xa5\x2d\x00");
        word2[0x18..0x20].copy_from_slice(&[0x80, 1, 0, 0, 0x33, 0x18, 0, 0]);
        assert_eq!(sniff(&word2), ContentKind::WordLegacy);
        let mut word6 = word2.clone();
        word6[..4].copy_from_slice(b"\xdc\xa5\x65\x00");
        assert_eq!(sniff(&word6), ContentKind::WordLegacy);
        // The magic with a FIB whose text range makes no sense is not Word.
        word2[0x1C..0x20].copy_from_slice(&[0, 0, 0, 0]);
        assert_ne!(sniff(&word2), ContentKind::WordLegacy);
        assert_eq!(sniff(&header(b"\x31\xbe\x00\x00\x00\xab")), ContentKind::Write);
        let wordperfect = header(b"\xffWPC\x10\x00\x00\x00\x01\x0a\x02\x01");
        assert_eq!(sniff(&wordperfect), ContentKind::Unsupported("wordperfect"));
        assert_eq!(sniff(&header(b"\xfe\x37\x00\x23")), ContentKind::Unsupported("word-mac"));
        assert_eq!(sniff(&header(b"WordPro\x00")), ContentKind::Unsupported("wordpro"));
        assert_eq!(sniff(&header(b"\x00\x00\x02\x00\x06\x04\x06\x00")), ContentKind::Unsupported("lotus123"));
        assert_eq!(sniff(&header(b"\x09\x04\x06\x00\x00\x00\x10\x00")), ContentKind::Unsupported("xls-biff2-4"));
        assert_eq!(sniff(&header(b"\x06\x07\xe1\x00BOBO")), ContentKind::Unsupported("appleworks"));
        assert_eq!(sniff(b"HiyaBOBO and friends"), ContentKind::Text(UTF_8));
        let unread = [&wordperfect, b"\xfe\x37\x00\x23".as_slice(), b"WordPro\x00", b"\x06\x07\xe1\x00BOBO"];
        for head in unread {
            let ContentKind::Unsupported(name) = sniff(&header(head)) else { panic!("{head:?}") };
            assert!(UNREAD_FORMATS.contains(&name), "{name} crosses from a worker by name");
        }
        // A WordPerfect printer file is not a document.
        assert_eq!(sniff(&header(b"\xffWPC\x10\x00\x00\x00\x01\x10")), ContentKind::Binary);
    }
}
