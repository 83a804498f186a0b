//! The text of PowerPoint 97-2003 presentations (`.ppt`), from the `PowerPoint Document` stream.
//!
//! The stream is a sequence of records ([MS-PPT] 2.3.1 RecordHeader: recVer and recInstance in a
//! u16, recType u16, recLen u32). A record whose recVer is 0xF is a container: its children follow
//! its header. Text sits in atoms wherever a slide, notes page, master, handout or drawing holds it
//! ([MS-PPT] 2.9.41 TextCharsAtom, UTF-16LE; 2.9.42 TextBytesAtom, the low bytes of UTF-16 code
//! units, so Latin-1; 2.2.14 CString, UTF-16LE, for hyperlinks, comments and names). Walking every
//! record, rather than following the persist directory, also finds text that later edits superseded
//! but left in the file, which a data-loss scan wants.

use std::io::{Read, Seek, SeekFrom};

use super::{Ctx, PartialReason};

const TEXT_CHARS_ATOM: u16 = 0x0FA0;
const TEXT_BYTES_ATOM: u16 = 0x0FA8;
const CSTRING: u16 = 0x0FBA;

/// How the records of a stream ended.
#[derive(Debug, PartialEq, Eq)]
enum Ending {
    /// At the end of the stream, or once the text budget was spent.
    Complete,
    /// A record claimed more bytes than the stream holds.
    Truncated,
}

/// Emits the text of every text atom of the presentation, one atom per line.
pub(super) fn read<R: Read + Seek>(file: &mut cfb::CompoundFile<R>, member: Option<&str>, ctx: &mut Ctx<'_, '_>) {
    let Ok(mut stream) = file.open_stream("/PowerPoint Document") else {
        ctx.mark(PartialReason::UnreadablePart);
        return;
    };
    let len = stream.len();
    let budget = ctx.limits.max_text_bytes.saturating_sub(ctx.text);
    let mut text = String::new();
    if walk(&mut stream, len, budget, &mut text) == Ending::Truncated {
        ctx.mark(PartialReason::UnreadablePart);
    }
    ctx.emit(&text, member);
}

/// Walks the records of a stream of `len` bytes, appending the text atoms to `out` until it holds
/// `budget` bytes. Atoms are read only after their length is checked against the bytes left.
fn walk<S: Read + Seek>(stream: &mut S, len: u64, budget: u64, out: &mut String) -> Ending {
    let mut at = 0u64;
    while at + 8 <= len {
        let mut header = [0u8; 8];
        if stream.seek(SeekFrom::Start(at)).is_err() || stream.read_exact(&mut header).is_err() {
            return Ending::Truncated;
        }
        let container = header[0] & 0x0F == 0x0F;
        let kind = u16::from_le_bytes([header[2], header[3]]);
        let size = u64::from(u32::from_le_bytes([header[4], header[5], header[6], header[7]]));
        at += 8;
        if container {
            continue;
        }
        if size > len - at {
            return Ending::Truncated;
        }
        if matches!(kind, TEXT_CHARS_ATOM | TEXT_BYTES_ATOM | CSTRING) {
            let left = budget.saturating_sub(out.len() as u64);
            if left == 0 {
                return Ending::Complete;
            }
            // A Latin-1 byte or a UTF-16 unit becomes at least one byte of UTF-8.
            let wide = kind != TEXT_BYTES_ATOM;
            let take = size.min(if wide { left.saturating_mul(2) } else { left });
            let mut bytes = vec![0u8; usize::try_from(take).unwrap_or(0)];
            if stream.read_exact(&mut bytes).is_err() {
                return Ending::Truncated;
            }
            atom_text(&bytes, wide, out);
        }
        at += size;
    }
    Ending::Complete
}

/// Appends one atom's text and a line break; paragraph (CR) and line (VT) breaks become lines.
fn atom_text(bytes: &[u8], wide: bool, out: &mut String) {
    let plain = |c: char| match c {
        '\r' | '\u{0B}' => '\n',
        '\t' => '\t',
        c if c < ' ' => ' ',
        c => c,
    };
    if wide {
        let units = bytes.chunks_exact(2).map(|c| u16::from_le_bytes([c[0], c[1]]));
        out.extend(char::decode_utf16(units).map(|c| plain(c.unwrap_or('\u{FFFD}'))));
    } else {
        out.extend(bytes.iter().map(|&b| plain(char::from(b))));
    }
    out.push('\n');
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(ver: u8, kind: u16, body: &[u8]) -> Vec<u8> {
        let mut r = vec![ver, 0];
        r.extend_from_slice(&kind.to_le_bytes());
        r.extend_from_slice(&(body.len() as u32).to_le_bytes());
        r.extend_from_slice(body);
        r
    }

    fn utf16(s: &str) -> Vec<u8> {
        s.encode_utf16().flat_map(u16::to_le_bytes).collect()
    }

    #[test]
    fn text_atoms_inside_containers_are_read_and_other_atoms_skipped() {
        let mut slide = record(0, 0x03F3, &[0; 8]); // a SlideAtom-like atom holding no text
        slide.extend(record(0, TEXT_CHARS_ATOM, &utf16("Contact\rann@example.ac.uk")));
        slide.extend(record(0, TEXT_BYTES_ATOM, b"Caf\xe9"));
        slide.extend(record(0, 0x0FF5, &utf16("not text"))); // an atom of another kind
        slide.extend(record(0, CSTRING, &utf16("mailto:bob@example.ac.uk")));
        let stream = record(0x0F, 0x03EE, &slide);
        let mut out = String::new();
        let ending = walk(&mut std::io::Cursor::new(&stream), stream.len() as u64, 1 << 20, &mut out);
        assert_eq!(ending, Ending::Complete);
        assert_eq!(out, "Contact\nann@example.ac.uk\nCafé\nmailto:bob@example.ac.uk\n");
    }

    #[test]
    fn an_atom_longer_than_the_stream_stops_the_walk() {
        let mut stream = record(0, TEXT_BYTES_ATOM, b"first");
        let mut liar = record(0, TEXT_BYTES_ATOM, b"x");
        liar[4..8].copy_from_slice(&u32::MAX.to_le_bytes());
        stream.extend(liar);
        let mut out = String::new();
        let ending = walk(&mut std::io::Cursor::new(&stream), stream.len() as u64, 1 << 20, &mut out);
        assert_eq!((ending, out.as_str()), (Ending::Truncated, "first\n"));
    }

    #[test]
    fn text_stops_at_the_budget() {
        let stream = record(0, TEXT_BYTES_ATOM, &[b'a'; 100]);
        let mut out = String::new();
        walk(&mut std::io::Cursor::new(&stream), stream.len() as u64, 10, &mut out);
        assert_eq!(out, format!("{}\n", "a".repeat(10)));
    }
}
