//! The text of Word binary documents (Word 6 to Word 2003 `.doc`), read through the piece table.
//!
//! A document's characters are numbered by character position (CP). The piece table ([MS-DOC]
//! 2.9.177 PlcPcd, inside the Clx of 2.9.38) maps CP ranges to byte offsets in the `WordDocument`
//! stream, each piece either 8-bit Windows-1252 ("compressed", 2.4.1) or UTF-16LE. Fast-saved
//! files append edits as new pieces anywhere in the stream, so only the piece table gives the text
//! in order. The CPs hold, one part after another ([MS-DOC] 2.4.1): the main text, footnotes,
//! headers and footers, comments, endnotes and text boxes; headers and footers are emitted first so
//! that the markings they carry sit at the start of the text.
//!
//! Word 6 and Word 95 files (nFib 101 to 105) keep a simpler FIB: 8-bit text between `fcMin` and
//! `fcMac`, or a piece table in the `WordDocument` stream itself when saved fast. Word for Windows
//! 1.x and 2.0 (nFib 33 to 45) wrote no compound file: the file is the `WordDocument` stream, with
//! the same `fcMin`, `fcMac` and CP counts as Word 6 (Word 6 could also save that way). Windows
//! Write and Word for DOS keep their 8-bit text from byte 128 to `fcMac`.

use std::io::{Read, Seek, SeekFrom};
use std::ops::Range;

use super::{Ctx, PartialReason};

/// Why a Word document's text could not be read.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub(super) enum WordError {
    /// The FIB is shorter than its own counts say.
    #[error("the file information block is truncated")]
    TruncatedFib,
    /// The Clx has no Pcdt, or a record runs past its end.
    #[error("the piece table is missing or malformed")]
    BadPieceTable,
    /// A stream named by the FIB is missing, shorter than the FIB says, or over the size cap.
    #[error("the stream {0} is missing, short or over the size cap")]
    Stream(&'static str),
    /// A FIB of a version this reader does not know.
    #[error("Word file version nFib {0:#x} is not read")]
    Version(u16),
}

/// One piece: the CPs it holds and where their bytes are in the `WordDocument` stream.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Piece {
    cps: Range<u32>,
    offset: u64,
    /// UTF-16LE (two bytes per CP) rather than Windows-1252 (one byte).
    wide: bool,
}

/// What the FIB says about where the text is.
#[derive(Debug, PartialEq, Eq)]
struct Fib {
    /// CPs of the header and footer text ([MS-DOC] 2.4.1: after the main text and footnotes).
    headers: Range<u32>,
    layout: Layout,
    /// Word 1.x/2.0 saved fast: edits sit in pieces this reader does not parse, so the text read is
    /// the document as last saved in full.
    unread_edits: bool,
}

#[derive(Debug, PartialEq, Eq)]
enum Layout {
    /// Word 97 and later: the Clx is at `fc..fc+lcb` of the table stream named.
    Word97 { table: &'static str, clx: Range<u64> },
    /// Word 6/95 saved fast: the Clx is in the `WordDocument` stream.
    Word6Complex { clx: Range<u64> },
    /// Word 6/95 saved in full: 8-bit text at these bytes of the `WordDocument` stream.
    Word6Simple { text: Range<u64> },
}

fn u16_at(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes(b.get(at..at + 2)?.try_into().ok()?))
}

fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

/// Parses the FIB at the start of the `WordDocument` stream ([MS-DOC] 2.5.1).
fn parse_fib(fib: &[u8]) -> Result<Fib, WordError> {
    let get32 = |at| u32_at(fib, at).ok_or(WordError::TruncatedFib);
    let n_fib = u16_at(fib, 2).ok_or(WordError::TruncatedFib)?;
    let flags = u16_at(fib, 10).ok_or(WordError::TruncatedFib)?;
    let complex = flags & 0x0004 != 0;
    if n_fib < 0xC0 {
        // Word 6 writes nFib 101, Word 95 104, Word 2.0 45, Word 1.x 33 to 35.
        let word2 = (33..=45).contains(&n_fib);
        if !word2 && !(101..=105).contains(&n_fib) {
            return Err(WordError::Version(n_fib));
        }
        // Word 2/6/95 FIB: fcMin 0x18, fcMac 0x1C, ccpText 0x34, ccpFtn 0x38, ccpHdd 0x3C; Word 6/95
        // fcClx 0x160, lcbClx 0x164.
        let header_start = get32(0x34)?.saturating_add(get32(0x38)?);
        let headers = header_start..header_start.saturating_add(get32(0x3C)?);
        let layout = if complex && !word2 {
            let fc = u64::from(get32(0x160)?);
            Layout::Word6Complex { clx: fc..fc + u64::from(get32(0x164)?) }
        } else {
            Layout::Word6Simple { text: u64::from(get32(0x18)?)..u64::from(get32(0x1C)?) }
        };
        return Ok(Fib { headers, layout, unread_edits: complex && word2 });
    }
    // FibBase (32 bytes), csw + fibRgW, cslw + fibRgLw, cbRgFcLcb + fibRgFcLcbBlob (2.5.1).
    let csw = usize::from(u16_at(fib, 32).ok_or(WordError::TruncatedFib)?);
    let lw_at = 34 + csw * 2 + 2;
    let cslw = usize::from(u16_at(fib, lw_at - 2).ok_or(WordError::TruncatedFib)?);
    let fc_lcb_at = lw_at + cslw * 4 + 2;
    // FibRgLw97: ccpText is the 4th long, ccpFtn the 5th, ccpHdd the 6th (2.5.4).
    let header_start = get32(lw_at + 12)?.saturating_add(get32(lw_at + 16)?);
    let headers = header_start..header_start.saturating_add(get32(lw_at + 20)?);
    // FibRgFcLcb97: fcClx/lcbClx are the 34th pair (2.5.6).
    let fc = u64::from(get32(fc_lcb_at + 33 * 8)?);
    let lcb = u64::from(get32(fc_lcb_at + 33 * 8 + 4)?);
    let table = if flags & 0x0200 != 0 { "/1Table" } else { "/0Table" };
    Ok(Fib { headers, layout: Layout::Word97 { table, clx: fc..fc + lcb }, unread_edits: false })
}

/// The pieces of a Clx ([MS-DOC] 2.9.38): Prc records (clxt 1) are skipped, then the Pcdt (clxt 2)
/// holds a PlcPcd of n+1 CPs and n 8-byte Pcds. In Word 97 and later a Pcd's fc has bit 30 set
/// for 8-bit text stored at fc/2 (2.9.73 FcCompressed); Word 6/95 pieces are all 8-bit at fc.
fn parse_clx(clx: &[u8], word97: bool) -> Result<Vec<Piece>, WordError> {
    let mut at = 0;
    let plc = loop {
        match clx.get(at) {
            Some(1) => at += 3 + usize::from(u16_at(clx, at + 1).ok_or(WordError::BadPieceTable)?),
            Some(2) => {
                let len = u32_at(clx, at + 1).ok_or(WordError::BadPieceTable)? as usize;
                break clx.get(at + 5..).and_then(|rest| rest.get(..len)).ok_or(WordError::BadPieceTable)?;
            }
            _ => return Err(WordError::BadPieceTable),
        }
    };
    if plc.len() < 4 || (plc.len() - 4) % 12 != 0 {
        return Err(WordError::BadPieceTable);
    }
    let n = (plc.len() - 4) / 12;
    let cp = |i: usize| u32_at(plc, i * 4).unwrap_or(0);
    let pieces = (0..n)
        .filter_map(|i| {
            let fc = u32_at(plc, (n + 1) * 4 + i * 8 + 2)?;
            let compressed = !word97 || fc & 0x4000_0000 != 0;
            let raw = u64::from(fc & 0x3FFF_FFFF);
            let offset = if word97 && compressed { raw / 2 } else { raw };
            (cp(i) < cp(i + 1)).then(|| Piece { cps: cp(i)..cp(i + 1), offset, wide: !compressed })
        })
        .collect();
    Ok(pieces)
}

/// Reads bytes `range` of a stream of `len` bytes, refusing a range past its end.
fn read_range<S: Read + Seek>(stream: &mut S, len: u64, range: Range<u64>) -> Option<Vec<u8>> {
    if range.end > len || range.start > range.end {
        return None;
    }
    let mut bytes = vec![0u8; usize::try_from(range.end - range.start).ok()?];
    stream.seek(SeekFrom::Start(range.start)).ok()?;
    stream.read_exact(&mut bytes).ok()?;
    Some(bytes)
}

/// Word's control characters ([MS-DOC] 2.8.25 and 2.4.1) as plain text: paragraph, line, page and
/// cell ends become line breaks and tabs (so that cells never weld), field marks a space, anchors of
/// pictures, footnotes and comments nothing. Field instructions are kept: a `HYPERLINK "mailto:..."`
/// holds an address that the result may not show.
fn plain_char(c: char) -> Option<char> {
    match c {
        '\r' | '\u{0B}' | '\u{0C}' | '\u{0E}' => Some('\n'),
        '\u{07}' | '\t' => Some('\t'),
        '\u{13}' | '\u{14}' | '\u{15}' | '\u{A0}' => Some(' '),
        '\u{1E}' => Some('-'),
        '\u{01}'..='\u{08}' | '\u{1F}' => None,
        c if c < ' ' => Some(' '),
        c => Some(c),
    }
}

/// Appends the plain text of piece bytes to `out`.
fn decode_into(bytes: &[u8], wide: bool, out: &mut String) {
    if wide {
        let units = bytes.chunks_exact(2).map(|c| u16::from_le_bytes([c[0], c[1]]));
        out.extend(char::decode_utf16(units).map(|c| c.unwrap_or('\u{FFFD}')).filter_map(plain_char));
    } else {
        let (text, _, _) = encoding_rs::WINDOWS_1252.decode(bytes);
        out.extend(text.chars().filter_map(plain_char));
    }
}

/// Appends the text in CPs `want` to `out` until it holds `budget` characters. Pieces whose bytes lie
/// outside the stream (`len` bytes) are skipped; returns true when there were any.
fn text_of<S: Read + Seek>(
    stream: &mut S,
    len: u64,
    pieces: &[Piece],
    want: Range<u32>,
    budget: u64,
    out: &mut String,
) -> bool {
    let mut damaged = false;
    for piece in pieces {
        let (start, end) = (piece.cps.start.max(want.start), piece.cps.end.min(want.end));
        if start >= end {
            continue;
        }
        // Memory follows the text budget, not the CP counts the file declares.
        let left = budget.saturating_sub(out.len() as u64);
        if left == 0 {
            break;
        }
        let end = end.min(start.saturating_add(u32::try_from(left).unwrap_or(u32::MAX)));
        let width = if piece.wide { 2 } else { 1 };
        let from = piece.offset + u64::from(start - piece.cps.start) * width;
        let to = from + u64::from(end - start) * width;
        match read_range(stream, len, from..to) {
            Some(bytes) => decode_into(&bytes, piece.wide, out),
            None => damaged = true,
        }
    }
    damaged
}

/// The pieces of a document, reading its Clx from the stream the FIB names.
fn pieces<R: Read + Seek>(file: &mut cfb::CompoundFile<R>, layout: &Layout, cap: u64) -> Result<Vec<Piece>, WordError> {
    let (stream_name, clx, word97) = match layout {
        Layout::Word97 { table, clx } => (*table, clx, true),
        Layout::Word6Complex { clx } => ("/WordDocument", clx, false),
        Layout::Word6Simple { text } => return simple_piece(text),
    };
    let mut stream = file.open_stream(stream_name).map_err(|_| WordError::Stream(stream_name))?;
    let len = stream.len();
    clx_pieces(&mut stream, len, stream_name, clx, word97, cap)
}

/// The one 8-bit piece of a document saved in full.
fn simple_piece(text: &Range<u64>) -> Result<Vec<Piece>, WordError> {
    let cps = 0..u32::try_from(text.end.saturating_sub(text.start)).map_err(|_| WordError::BadPieceTable)?;
    Ok(vec![Piece { cps, offset: text.start, wide: false }])
}

/// The pieces of the Clx at bytes `clx` of `stream` (`len` bytes), refusing one over `cap`.
fn clx_pieces<S: Read + Seek>(
    stream: &mut S,
    len: u64,
    stream_name: &'static str,
    clx: &Range<u64>,
    word97: bool,
    cap: u64,
) -> Result<Vec<Piece>, WordError> {
    if clx.end.saturating_sub(clx.start) > cap {
        return Err(WordError::Stream(stream_name));
    }
    let bytes = read_range(stream, len, clx.clone()).ok_or(WordError::Stream(stream_name))?;
    parse_clx(&bytes, word97)
}

/// Emits the text of a Word document in a compound file: headers and footers, then everything else
/// in CP order.
pub(super) fn read<R: Read + Seek>(file: &mut cfb::CompoundFile<R>, member: Option<&str>, ctx: &mut Ctx<'_, '_>) {
    let result = text(file, ctx);
    report(result, member, ctx);
}

/// Emits the text of a Word 1.x, 2.0, 6.0 or 95 document that is not in a compound file: the whole
/// content (`size` bytes) is its `WordDocument` stream.
pub(super) fn read_unwrapped<R: Read + Seek>(reader: &mut R, size: u64, member: Option<&str>, ctx: &mut Ctx<'_, '_>) {
    let result = unwrapped_text(reader, size, ctx);
    report(result, member, ctx);
}

fn unwrapped_text<R: Read + Seek>(reader: &mut R, size: u64, ctx: &Ctx<'_, '_>) -> Result<Document, WordError> {
    let head = read_range(reader, size, 0..size.min(4096)).ok_or(WordError::TruncatedFib)?;
    let fib = parse_fib(&head)?;
    let pieces = match &fib.layout {
        Layout::Word6Simple { text } => simple_piece(text)?,
        Layout::Word6Complex { clx } => {
            clx_pieces(reader, size, "/WordDocument", clx, false, ctx.limits.max_member_bytes)?
        }
        // A Word 97 FIB names a table stream, which only a compound file holds.
        Layout::Word97 { table, .. } => return Err(WordError::Stream(table)),
    };
    let budget = ctx.limits.max_text_bytes.saturating_sub(ctx.text);
    Ok(assemble(reader, size, &fib, &pieces, budget))
}

/// A document's text, whether some pieces could not be read, and whether fast-saved edits were left.
struct Document {
    text: String,
    damaged: bool,
    unread_edits: bool,
}

/// Hands a document's text to the sink and says what was not read.
fn report(result: Result<Document, WordError>, member: Option<&str>, ctx: &mut Ctx<'_, '_>) {
    match result {
        Ok(document) => {
            if document.damaged {
                ctx.mark(PartialReason::UnreadablePart);
            }
            if document.unread_edits {
                ctx.mark(PartialReason::UnsupportedFormat);
            }
            ctx.emit(&document.text, member);
        }
        // A version this reader does not know is a format it does not read; anything else is damage.
        Err(WordError::Version(n_fib)) => {
            tracing::debug!(n_fib, "Word document of an unsupported version");
            ctx.mark(PartialReason::UnsupportedFormat);
        }
        Err(e) => {
            tracing::debug!(error = %e, "Word document text not read");
            ctx.mark(PartialReason::UnreadablePart);
        }
    }
}

/// The text of the `WordDocument` stream of a compound file.
fn text<R: Read + Seek>(file: &mut cfb::CompoundFile<R>, ctx: &Ctx<'_, '_>) -> Result<Document, WordError> {
    let head = super::ole::stream_head(file, "/WordDocument", 4096).ok_or(WordError::Stream("/WordDocument"))?;
    let fib = parse_fib(&head)?;
    let pieces = pieces(file, &fib.layout, ctx.limits.max_member_bytes)?;
    let budget = ctx.limits.max_text_bytes.saturating_sub(ctx.text);
    let mut stream = file.open_stream("/WordDocument").map_err(|_| WordError::Stream("/WordDocument"))?;
    let len = stream.len();
    Ok(assemble(&mut stream, len, &fib, &pieces, budget))
}

/// The text of `pieces` of a `WordDocument` stream of `len` bytes: headers and footers first.
fn assemble<S: Read + Seek>(stream: &mut S, len: u64, fib: &Fib, pieces: &[Piece], budget: u64) -> Document {
    let last = pieces.iter().map(|p| p.cps.end).max().unwrap_or(0);
    let mut out = String::new();
    let mut damaged = false;
    let headers = fib.headers.start.min(last)..fib.headers.end.min(last);
    for want in [headers.clone(), 0..headers.start, headers.end..last] {
        damaged |= text_of(stream, len, pieces, want, budget, &mut out);
        out.push('\n');
    }
    Document { text: out, damaged, unread_edits: fib.unread_edits }
}

/// Emits the text of a Windows Write or Word for DOS document: its header (128 bytes) holds
/// `fcMac` at byte 14, the end of the 8-bit text that starts at byte 128. Text past the end of the
/// content is a file cut short.
pub(super) fn read_write<R: Read + Seek>(reader: &mut R, size: u64, member: Option<&str>, ctx: &mut Ctx<'_, '_>) {
    const TEXT_START: u64 = 128;
    let fc_mac = read_range(reader, size, 0..size.min(TEXT_START)).and_then(|h| u32_at(&h, 14)).map(u64::from);
    let Some(fc_mac) = fc_mac.filter(|&end| end >= TEXT_START) else {
        ctx.mark(PartialReason::Corrupt);
        return;
    };
    if fc_mac > size {
        ctx.mark(PartialReason::Truncated);
    }
    let budget = ctx.limits.max_text_bytes.saturating_sub(ctx.text);
    let end = fc_mac.min(size).min(TEXT_START.saturating_add(budget));
    let mut out = String::new();
    if text_of(reader, size, &simple_piece(&(TEXT_START..end)).unwrap_or_default(), 0..u32::MAX, budget, &mut out) {
        ctx.mark(PartialReason::UnreadablePart);
    }
    ctx.emit(&out, member);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A Clx with one Prc to skip and a Pcdt of two pieces: 8-bit "Hello " at byte 0x800 (fc
    /// 0x1000 with the compressed bit) and UTF-16 "world" at byte 0x900.
    fn clx() -> Vec<u8> {
        let mut plc = Vec::new();
        for cp in [0u32, 6, 11] {
            plc.extend_from_slice(&cp.to_le_bytes());
        }
        for fc in [0x4000_1000u32, 0x900] {
            plc.extend_from_slice(&[0, 0]);
            plc.extend_from_slice(&fc.to_le_bytes());
            plc.extend_from_slice(&[0, 0]);
        }
        let mut clx = vec![1, 2, 0, 0xAA, 0xBB, 2];
        clx.extend_from_slice(&(plc.len() as u32).to_le_bytes());
        clx.extend_from_slice(&plc);
        clx
    }

    #[test]
    fn pieces_come_from_the_pcdt_after_any_prc() {
        let pieces = parse_clx(&clx(), true).unwrap();
        assert_eq!(
            pieces,
            [Piece { cps: 0..6, offset: 0x800, wide: false }, Piece { cps: 6..11, offset: 0x900, wide: true }]
        );
        // Word 6 pieces are 8-bit at the fc itself.
        assert_eq!(parse_clx(&clx(), false).unwrap()[1], Piece { cps: 6..11, offset: 0x900, wide: false });
    }

    #[test]
    fn a_clx_that_lies_about_its_length_is_refused() {
        let mut bad = clx();
        bad[6..10].copy_from_slice(&1000u32.to_le_bytes());
        assert_eq!(parse_clx(&bad, true), Err(WordError::BadPieceTable));
        assert_eq!(parse_clx(&[1, 0xFF, 0xFF], true), Err(WordError::BadPieceTable));
        assert_eq!(parse_clx(&[], true), Err(WordError::BadPieceTable));
    }

    #[test]
    fn text_follows_the_pieces_and_stops_at_the_stream_end() {
        let mut stream = vec![0u8; 0xA00];
        stream[0x800..0x806].copy_from_slice(b"Hello ");
        for (i, u) in "world".encode_utf16().enumerate() {
            stream[0x900 + 2 * i..0x902 + 2 * i].copy_from_slice(&u.to_le_bytes());
        }
        let pieces = parse_clx(&clx(), true).unwrap();
        let mut out = String::new();
        let damaged = text_of(&mut std::io::Cursor::new(&stream), 0xA00, &pieces, 0..11, 1 << 20, &mut out);
        assert_eq!((out.as_str(), damaged), ("Hello world", false));
        let mut out = String::new();
        let damaged = text_of(&mut std::io::Cursor::new(&stream[..0x904]), 0x904, &pieces, 0..11, 1 << 20, &mut out);
        assert_eq!((out.as_str(), damaged), ("Hello ", true), "a piece past the end is skipped and reported");
        let mut out = String::new();
        text_of(&mut std::io::Cursor::new(&stream), 0xA00, &pieces, 3..8, 1 << 20, &mut out);
        assert_eq!(out, "lo wo");
    }

    #[test]
    fn control_characters_become_layout() {
        let mut out = String::new();
        decode_into(b"A\x07B\x07\x07Para\rline\x0Bx\x13 HYPERLINK \x14link\x15\x01\x1Eend", false, &mut out);
        assert_eq!(out, "A\tB\t\tPara\nline\nx  HYPERLINK  link -end");
    }

    #[test]
    fn old_and_new_fibs_name_their_text() {
        let mut word6 = vec![0u8; 0x170];
        word6[2..4].copy_from_slice(&101u16.to_le_bytes());
        word6[0x18..0x1C].copy_from_slice(&0x300u32.to_le_bytes());
        word6[0x1C..0x20].copy_from_slice(&0x340u32.to_le_bytes());
        word6[0x34..0x38].copy_from_slice(&0x40u32.to_le_bytes());
        word6[0x3C..0x40].copy_from_slice(&5u32.to_le_bytes());
        assert_eq!(
            parse_fib(&word6),
            Ok(Fib { headers: 0x40..0x45, layout: Layout::Word6Simple { text: 0x300..0x340 }, unread_edits: false })
        );
        // Word 2.0 (nFib 45) keeps the same fields; saved fast, its edits are not read.
        let mut word2 = word6.clone();
        word2[2..4].copy_from_slice(&45u16.to_le_bytes());
        word2[0x0A] = 0x04;
        assert_eq!(
            parse_fib(&word2),
            Ok(Fib { headers: 0x40..0x45, layout: Layout::Word6Simple { text: 0x300..0x340 }, unread_edits: true })
        );
        word2[2..4].copy_from_slice(&20u16.to_le_bytes());
        assert_eq!(parse_fib(&word2), Err(WordError::Version(20)));
        // Word 97: csw 14, cslw 22, 1Table, fcClx 0x1000, lcbClx 0x20.
        let mut fib = vec![0u8; 1024];
        fib[2..4].copy_from_slice(&0xC1u16.to_le_bytes());
        fib[10..12].copy_from_slice(&0x0204u16.to_le_bytes());
        fib[32..34].copy_from_slice(&14u16.to_le_bytes());
        fib[62..64].copy_from_slice(&22u16.to_le_bytes());
        fib[64 + 12..64 + 16].copy_from_slice(&100u32.to_le_bytes());
        fib[64 + 20..64 + 24].copy_from_slice(&7u32.to_le_bytes());
        fib[0x1A2..0x1A6].copy_from_slice(&0x1000u32.to_le_bytes());
        fib[0x1A6..0x1AA].copy_from_slice(&0x20u32.to_le_bytes());
        assert_eq!(
            parse_fib(&fib),
            Ok(Fib {
                headers: 100..107,
                layout: Layout::Word97 { table: "/1Table", clx: 0x1000..0x1020 },
                unread_edits: false
            })
        );
        assert_eq!(parse_fib(&fib[..100]), Err(WordError::TruncatedFib));
    }
}
