//! The text of PowerPoint 97-2003 presentations (`.ppt`), from the `PowerPoint Document` stream.
//!
//! The stream is a sequence of records ([MS-PPT] 2.3.1 RecordHeader: recVer and recInstance in a
//! u16, recType u16, recLen u32). A record whose recVer is 0xF is a container: its children follow
//! its header. Text sits in atoms wherever a slide, notes page, master, handout or drawing holds it
//! ([MS-PPT] 2.9.41 TextCharsAtom, UTF-16LE; 2.9.42 TextBytesAtom, the low bytes of UTF-16 code
//! units, so Latin-1; 2.2.14 CString, UTF-16LE, for hyperlinks, comments and names). The objects
//! are found through the persist directory, since PowerPoint leaves unused bytes between them;
//! when that chain is broken the whole stream is walked record by record.

use std::io::{Read, Seek, SeekFrom};
use std::ops::Range;

use super::{Ctx, PartialReason};

const TEXT_CHARS_ATOM: u16 = 0x0FA0;
const TEXT_BYTES_ATOM: u16 = 0x0FA8;
const CSTRING: u16 = 0x0FBA;
const USER_EDIT_ATOM: u16 = 0x0FF5;

/// How the records of a stream ended.
#[derive(Debug, PartialEq, Eq)]
enum Ending {
    /// At the end of the stream, or once the text budget was spent.
    Complete,
    /// A record claimed more bytes than the stream holds.
    Truncated,
}

/// Emits the text of a presentation. PowerPoint 95 files (a `Header` stream beside the document)
/// are read from the PowerPoint 97 copy a dual-format save keeps in `PP97_DUALSTORAGE`, or else
/// from `Text_Content`, the slides' text PowerPoint 95 stores in the ANSI code page for search
/// (Apache POI's PPT95.ppt: every word of its slides that LibreOffice's conversion gives).
pub(super) fn read<R: Read + Seek>(file: &mut cfb::CompoundFile<R>, member: Option<&str>, ctx: &mut Ctx<'_, '_>) {
    if !file.exists("/Header") {
        return read_97(file, "", member, ctx);
    }
    if file.exists("/PP97_DUALSTORAGE/PowerPoint Document") {
        return read_97(file, "/PP97_DUALSTORAGE", member, ctx);
    }
    let cap = ctx.limits.max_member_bytes;
    match super::ole::stream_head(file, "/Text_Content", cap) {
        Some(text) => {
            if text.len() as u64 >= cap {
                ctx.mark(PartialReason::ExpandedBytes);
            }
            let (text, _, _) = encoding_rs::WINDOWS_1252.decode(&text);
            ctx.emit(&text.replace('\r', "\n"), member);
        }
        None => ctx.mark(PartialReason::UnsupportedFormat),
    }
}

/// Emits the text of every text atom of a PowerPoint 97-2003 presentation in `storage` (the root,
/// or a dual-format file's copy), one atom per line.
fn read_97<R: Read + Seek>(
    file: &mut cfb::CompoundFile<R>,
    storage: &str,
    member: Option<&str>,
    ctx: &mut Ctx<'_, '_>,
) {
    let current_user = super::ole::stream_head(file, format!("{storage}/Current User"), 4096).unwrap_or_default();
    let Ok(mut stream) = file.open_stream(format!("{storage}/PowerPoint Document")) else {
        ctx.mark(PartialReason::UnreadablePart);
        return;
    };
    let len = stream.len();
    let budget = ctx.limits.max_text_bytes.saturating_sub(ctx.text);
    let mut text = String::new();
    let ending = match persist_objects(&current_user, &mut stream, len) {
        Some(objects) => {
            let mut ending = Ending::Complete;
            for offset in objects {
                if walk_object(&mut stream, len, offset, budget, &mut text) == Ending::Truncated {
                    ending = Ending::Truncated;
                }
            }
            ending
        }
        None => walk(&mut stream, 0..len, budget, &mut text),
    };
    if ending == Ending::Truncated {
        ctx.mark(PartialReason::UnreadablePart);
    }
    ctx.emit(&text, member);
}

/// Reads `n` bytes at `offset` of a stream of `len` bytes, if they are there.
fn read_at<S: Read + Seek>(stream: &mut S, len: u64, offset: u64, n: u64) -> Option<Vec<u8>> {
    if offset.checked_add(n)? > len {
        return None;
    }
    let mut bytes = vec![0u8; usize::try_from(n).ok()?];
    stream.seek(SeekFrom::Start(offset)).ok()?;
    stream.read_exact(&mut bytes).ok()?;
    Some(bytes)
}

fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

/// The stream offsets of the live objects (document, slides, notes, masters), newest edit first
/// wins ([MS-PPT] 2.1.2: CurrentUserAtom.offsetToCurrentEdit -> UserEditAtom (2.3.3) ->
/// offsetPersistDirectory -> PersistDirectoryAtom (2.3.4), then offsetLastEdit to older edits).
/// Objects are read through it because PowerPoint leaves unused bytes between them. `None` when
/// the chain is broken, so that the caller walks the whole stream instead.
fn persist_objects<S: Read + Seek>(current_user: &[u8], stream: &mut S, len: u64) -> Option<Vec<u64>> {
    const MAX_EDITS: usize = 256;
    let mut objects = std::collections::BTreeMap::new();
    let mut edit = u64::from(u32_at(current_user, 16)?);
    let mut seen = std::collections::BTreeSet::new();
    while seen.insert(edit) && seen.len() <= MAX_EDITS {
        let user_edit = read_at(stream, len, edit, 28)?;
        if u16::from_le_bytes([user_edit[2], user_edit[3]]) != USER_EDIT_ATOM {
            return None;
        }
        let directory_at = u64::from(u32_at(&user_edit, 20)?);
        let header = read_at(stream, len, directory_at, 8)?;
        let size = u64::from(u32_at(&header, 4)?);
        let entries = read_at(stream, len, directory_at + 8, size)?;
        let mut at = 0;
        while let Some(entry) = u32_at(&entries, at) {
            let (first, count) = (entry & 0xF_FFFF, (entry >> 20) as usize);
            for i in 0..count {
                let offset = u32_at(&entries, at + 4 + 4 * i)?;
                objects.entry(first + i as u32).or_insert(u64::from(offset));
            }
            at += 4 + 4 * count;
        }
        match u32_at(&user_edit, 16)? {
            0 => break,
            older => edit = u64::from(older),
        }
    }
    let mut offsets: Vec<u64> = objects.into_values().collect();
    offsets.sort_unstable();
    offsets.dedup();
    Some(offsets)
}

/// Walks the one record (an object's top container) that starts at `offset`.
fn walk_object<S: Read + Seek>(stream: &mut S, len: u64, offset: u64, budget: u64, out: &mut String) -> Ending {
    let Some(header) = read_at(stream, len, offset, 8) else {
        return Ending::Truncated;
    };
    let end = offset + 8 + u64::from(u32::from_le_bytes([header[4], header[5], header[6], header[7]]));
    if end > len {
        return Ending::Truncated;
    }
    walk(stream, offset..end, budget, out)
}

/// Walks the records in bytes `range` of a stream, appending the text atoms to `out` until it
/// holds `budget` bytes. Atoms are read only after their length is checked against the container
/// that holds them. A record that claims to be a container but whose contents are not records
/// (round-trip data: a zipped OOXML part) is skipped whole; nesting deeper than 64 likewise.
fn walk<S: Read + Seek>(stream: &mut S, range: Range<u64>, budget: u64, out: &mut String) -> Ending {
    const MAX_NESTING: usize = 64;
    let mut ends = vec![range.end];
    let mut at = range.start;
    while let Some(&end) = ends.last() {
        let header = if at + 8 <= end { read_at(stream, end, at, 8) } else { None };
        let Some(header) = header else {
            at = end;
            ends.pop();
            continue;
        };
        let container = header[0] & 0x0F == 0x0F;
        let kind = u16::from_le_bytes([header[2], header[3]]);
        let next = at + 8 + u64::from(u32::from_le_bytes([header[4], header[5], header[6], header[7]]));
        if next > end {
            if ends.len() == 1 {
                return Ending::Truncated;
            }
            at = end;
            ends.pop();
            continue;
        }
        if container && ends.len() < MAX_NESTING {
            ends.push(next);
            at += 8;
            continue;
        }
        if matches!(kind, TEXT_CHARS_ATOM | TEXT_BYTES_ATOM | CSTRING) && !container {
            let left = budget.saturating_sub(out.len() as u64);
            if left == 0 {
                return Ending::Complete;
            }
            // A Latin-1 byte or a UTF-16 unit becomes at least one byte of UTF-8.
            let wide = kind != TEXT_BYTES_ATOM;
            let take = (next - at - 8).min(if wide { left.saturating_mul(2) } else { left });
            match read_at(stream, end, at + 8, take) {
                Some(bytes) => atom_text(&bytes, wide, out),
                None => return Ending::Truncated,
            }
        }
        at = next;
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

    /// The text extraction gives for a compound file holding `streams`.
    fn text_of_compound_file(streams: &[(&str, &[u8])]) -> (String, Vec<PartialReason>) {
        let mut file = cfb::CompoundFile::create(std::io::Cursor::new(Vec::new())).unwrap();
        for (name, bytes) in streams {
            if let Some((storage, _)) = name.rsplit_once('/').filter(|(s, _)| !s.is_empty()) {
                file.create_storage_all(storage).unwrap();
            }
            std::io::Write::write_all(&mut file.create_stream(name).unwrap(), bytes).unwrap();
        }
        let bytes = file.into_inner().into_inner();
        let (text, extracted) = crate::extract::testing::text_of(&bytes, crate::extract::testing::limits());
        (text, extracted.partial.into_iter().collect())
    }

    #[test]
    fn powerpoint_95_is_read_from_its_97_copy_or_its_search_text() {
        let header = b"Microsoft (R) PowerPoint (R) Windows  \0";
        let ppt95 = b"\x0b\0\0\0not records PowerPoint 97 can read";
        // PowerPoint 95 alone: the slides' text it stores for search, in the ANSI code page.
        let (text, partial) = text_of_compound_file(&[
            ("/Header", header),
            ("/PowerPoint Document", ppt95),
            ("/Text_Content", b"K\xfcndigung\r\rContact ann.smith@lboro.ac.uk\r"),
        ]);
        assert_eq!((text.as_str(), partial), ("K\u{fc}ndigung\n\nContact ann.smith@lboro.ac.uk\n", vec![]));
        // Saved as "PowerPoint 97-2003 & 95": the PowerPoint 97 copy, notes and all.
        let copy = record(0x0F, 0x03EE, &record(0, TEXT_CHARS_ATOM, &utf16("Speaker notes: call Ann")));
        let (text, partial) = text_of_compound_file(&[
            ("/Header", header),
            ("/PowerPoint Document", ppt95),
            ("/Text_Content", b"search text"),
            ("/PP97_DUALSTORAGE/PowerPoint Document", &copy),
        ]);
        assert_eq!((text.as_str(), partial), ("Speaker notes: call Ann\n", vec![]));
        // Neither: not read, and said so.
        let (_, partial) = text_of_compound_file(&[("/Header", header), ("/PowerPoint Document", ppt95)]);
        assert_eq!(partial, vec![PartialReason::UnsupportedFormat]);
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
        let ending = walk(&mut std::io::Cursor::new(&stream), 0..stream.len() as u64, 1 << 20, &mut out);
        assert_eq!(ending, Ending::Complete);
        assert_eq!(out, "Contact\nann@example.ac.uk\nCafé\nmailto:bob@example.ac.uk\n");
    }

    #[test]
    fn objects_are_found_through_the_persist_directory_past_unused_bytes() {
        let mut slide = record(0, TEXT_CHARS_ATOM, &utf16("first slide"));
        // A record marked as a container that holds zipped round-trip data, not records.
        slide.extend(record(0x0F, 0x0428, b"PK\x03\x04\x14\x00\x06\x00\xff\xff\xff\x7f"));
        slide.extend(record(0, TEXT_BYTES_ATOM, b"after the zip"));
        let mut stream = record(0x0F, 0x03EE, &slide);
        stream.extend_from_slice(&[0; 13]); // unused bytes: no record starts here
        let second = stream.len() as u32;
        stream.extend(record(0x0F, 0x03EE, &record(0, TEXT_BYTES_ATOM, b"second slide")));
        let directory = stream.len() as u32;
        let mut entries = (1u32 | (2 << 20)).to_le_bytes().to_vec();
        entries.extend_from_slice(&0u32.to_le_bytes());
        entries.extend_from_slice(&second.to_le_bytes());
        stream.extend(record(0, 0x1772, &entries));
        let edit = stream.len() as u32;
        // UserEditAtom: lastSlideIdRef, version, offsetLastEdit 0 (no older edit), then
        // offsetPersistDirectory at body offset 12.
        let mut user_edit = vec![0u8; 28];
        user_edit[12..16].copy_from_slice(&directory.to_le_bytes());
        stream.extend(record(0, USER_EDIT_ATOM, &user_edit));
        let mut current_user = vec![0u8; 16];
        current_user.extend_from_slice(&edit.to_le_bytes());
        let len = stream.len() as u64;
        let mut cursor = std::io::Cursor::new(&stream);
        let objects = persist_objects(&current_user, &mut cursor, len).unwrap();
        assert_eq!(objects, [0, u64::from(second)]);
        let mut out = String::new();
        for offset in objects {
            assert_eq!(walk_object(&mut cursor, len, offset, 1 << 20, &mut out), Ending::Complete);
        }
        assert_eq!(out, "first slide\nafter the zip\nsecond slide\n");
        let mut whole = String::new();
        assert_eq!(walk(&mut cursor, 0..len, 1 << 20, &mut whole), Ending::Truncated, "the unused bytes");
        assert_eq!(persist_objects(&[0; 20], &mut cursor, len), None, "an offset that is not a UserEditAtom");
    }

    #[test]
    fn an_atom_longer_than_the_stream_stops_the_walk() {
        let mut stream = record(0, TEXT_BYTES_ATOM, b"first");
        let mut liar = record(0, TEXT_BYTES_ATOM, b"x");
        liar[4..8].copy_from_slice(&u32::MAX.to_le_bytes());
        stream.extend(liar);
        let mut out = String::new();
        let ending = walk(&mut std::io::Cursor::new(&stream), 0..stream.len() as u64, 1 << 20, &mut out);
        assert_eq!((ending, out.as_str()), (Ending::Truncated, "first\n"));
    }

    #[test]
    fn text_stops_at_the_budget() {
        let stream = record(0, TEXT_BYTES_ATOM, &[b'a'; 100]);
        let mut out = String::new();
        walk(&mut std::io::Cursor::new(&stream), 0..stream.len() as u64, 10, &mut out);
        assert_eq!(out, format!("{}\n", "a".repeat(10)));
    }
}
