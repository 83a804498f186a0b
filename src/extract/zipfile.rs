//! Zip containers: Office Open XML and OpenDocument files, and plain zip archives (recursively).
//!
//! The package type is told from the entry names (`[Content_Types].xml` with `word/`, `xl/` or
//! `ppt/` parts; an OpenDocument `mimetype`), never from the file name. Encrypted entries are
//! classified from their local headers (ZipCrypto or WinZip AES with its strength); their names and
//! sizes stay visible, their content is not read. Entries whose byte ranges overlap (a bomb
//! construction) stop the archive.
//!
//! Member names are bytes: UTF-8 when general-purpose bit 11 is set, otherwise the writer's code
//! page (CP437 from Windows' "Compressed (zipped) folder", APPNOTE 6.3.x appendix D). A name in
//! any encoding is shown as the `zip` crate decodes it and never stops the archive. Members are
//! read with every method 7-Zip, Windows and WinZip write (Deflate, Deflate64, BZip2, LZMA, PPMd,
//! XZ, Zstandard); another method is `unsupported_format`. A zip cut short (no central directory)
//! is read member by member from its local headers up to the cut, and marked `truncated`.

use std::io::{Read, Seek, SeekFrom};

use zip::result::ZipError;
use zip::ZipArchive;

use super::office::{self, PartStyle};
use super::{encryption, read_member, Ctx, PartialReason};

/// What kind of package a zip is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Package {
    Word,
    Excel,
    PowerPoint,
    OpenDocument,
    Archive,
}

/// Reads a zip-based file. Returns the format name.
pub(super) fn read<R: Read + Seek>(
    reader: &mut R,
    member: Option<&str>,
    depth: u32,
    ctx: &mut Ctx<'_, '_>,
) -> &'static str {
    let entries = match list_entries(reader) {
        Ok(entries) => entries,
        Err(_) => {
            read_truncated(reader, member, depth, ctx);
            return "zip";
        }
    };
    if entries_overlap(&entries) {
        ctx.mark(PartialReason::OverlappingEntries);
        return "zip";
    }
    for e in entries.iter().filter(|e| e.encrypted) {
        if let Some(found) = local_header(reader, e.header_start).as_deref().and_then(encryption::zip_entry) {
            ctx.add_encryption(found);
        }
    }
    let package = package_of(&entries, reader);
    let Ok(mut archive) = ZipArchive::new(&mut *reader) else {
        ctx.mark_unopenable(member);
        return "zip";
    };
    match package {
        Package::Word => read_word(&mut archive, member, depth, ctx),
        Package::Excel => read_excel(&mut archive, member, depth, ctx),
        Package::PowerPoint => read_slides(&mut archive, member, depth, ctx),
        Package::OpenDocument => read_open_document(&mut archive, member, ctx),
        Package::Archive => read_archive(&mut archive, &entries, member, depth, ctx),
    }
}

struct Entry {
    name: String,
    header_start: u64,
    /// Length of the name as stored (bytes), which a decoded name need not have.
    raw_name_len: u64,
    compressed: u64,
    size: u64,
    encrypted: bool,
    is_dir: bool,
}

fn list_entries<R: Read + Seek>(reader: &mut R) -> zip::result::ZipResult<Vec<Entry>> {
    let mut archive = ZipArchive::new(reader)?;
    let mut entries = Vec::with_capacity(archive.len());
    for i in 0..archive.len() {
        let f = archive.by_index_raw(i)?;
        entries.push(Entry {
            name: f
                .name()
                .map(|n| n.into_owned())
                .unwrap_or_else(|_| String::from_utf8_lossy(f.name_raw()).into_owned()),
            header_start: f.header_start(),
            raw_name_len: f.name_raw().len() as u64,
            compressed: f.compressed_size(),
            size: f.size(),
            encrypted: f.encrypted(),
            is_dir: f.is_dir(),
        });
    }
    Ok(entries)
}

/// True when two entries claim overlapping bytes of the archive: each spans its local header's
/// fixed 30 bytes, its name as stored, and its compressed data (APPNOTE 4.3.7).
fn entries_overlap(entries: &[Entry]) -> bool {
    let mut spans: Vec<(u64, u64)> = entries
        .iter()
        .map(|e| (e.header_start, e.header_start.saturating_add(30 + e.raw_name_len).saturating_add(e.compressed)))
        .collect();
    spans.sort_unstable();
    spans.windows(2).any(|w| w[1].0 < w[0].1)
}

/// The local header of an entry (fixed part, name and extra field).
fn local_header<R: Read + Seek>(reader: &mut R, at: u64) -> Option<Vec<u8>> {
    reader.seek(SeekFrom::Start(at)).ok()?;
    let mut fixed = [0u8; 30];
    reader.read_exact(&mut fixed).ok()?;
    let variable = usize::from(u16::from_le_bytes([fixed[26], fixed[27]]))
        + usize::from(u16::from_le_bytes([fixed[28], fixed[29]]));
    let mut header = fixed.to_vec();
    header.resize(30 + variable, 0);
    reader.read_exact(&mut header[30..]).ok()?;
    Some(header)
}

fn package_of<R: Read + Seek>(entries: &[Entry], reader: &mut R) -> Package {
    let has = |name: &str| entries.iter().any(|e| e.name == name);
    if has("[Content_Types].xml") {
        if has("word/document.xml") {
            return Package::Word;
        }
        if has("xl/workbook.xml") {
            return Package::Excel;
        }
        if has("ppt/presentation.xml") {
            return Package::PowerPoint;
        }
    }
    if has("mimetype") && has("META-INF/manifest.xml") {
        let mimetype = ZipArchive::new(reader).ok().and_then(|mut a| {
            let mut s = String::new();
            a.by_name("mimetype").ok()?.take(256).read_to_string(&mut s).ok()?;
            Some(s)
        });
        if mimetype.is_some_and(|m| m.starts_with("application/vnd.oasis.opendocument")) {
            return Package::OpenDocument;
        }
    }
    Package::Archive
}

/// Reads one package part into memory, within the file's expansion budget.
fn part<R: Read + Seek>(archive: &mut ZipArchive<R>, name: &str, ctx: &mut Ctx<'_, '_>) -> Option<Vec<u8>> {
    let file = archive.by_name(name).ok()?;
    if file.encrypted() {
        return None;
    }
    let compressed = file.compressed_size();
    let mut limited = file.take(ctx.limits.max_member_bytes);
    let bytes = super::read_bounded(&mut limited, Some(compressed), ctx);
    if bytes.is_none() {
        ctx.mark(PartialReason::UnreadablePart);
    }
    bytes
}

fn names_matching<R: Read + Seek>(archive: &ZipArchive<R>, wanted: impl Fn(&str) -> bool) -> Vec<String> {
    let mut names: Vec<String> =
        archive.file_names().filter_map(Result::ok).filter(|n| wanted(n)).map(|n| n.into_owned()).collect();
    names.sort_by_key(|n| natural_key(n));
    names
}

/// Sorts `sheet2.xml` before `sheet10.xml`.
fn natural_key(name: &str) -> (String, u64) {
    let digits: String =
        name.chars().rev().skip_while(|c| !c.is_ascii_digit()).take_while(char::is_ascii_digit).collect();
    let number = digits.chars().rev().collect::<String>().parse().unwrap_or(0);
    (name.trim_end_matches(|c: char| !c.is_ascii_alphabetic()).to_string(), number)
}

/// Document properties, sensitivity labels and custom properties, as `name: value` lines.
fn read_properties<R: Read + Seek>(archive: &mut ZipArchive<R>, member: Option<&str>, ctx: &mut Ctx<'_, '_>) {
    let mut text = String::new();
    for name in
        ["docProps/core.xml", "docProps/app.xml", "docProps/custom.xml", "docMetadata/LabelInfo.xml", "meta.xml"]
    {
        if let Some(xml) = part(archive, name, ctx) {
            office::part_text(&xml, PartStyle::Properties, &mut text);
        }
    }
    let named = name_labels(&text, ctx.labels);
    text.push_str(&named);
    ctx.emit(&text, member);
}

/// `label: id={GUID} enabled=1 ...` lines (from `docMetadata/LabelInfo.xml`) become the
/// `MSIP_Label_<GUID>_Name: <name>` lines older Office writes, when the configuration names the id.
fn name_labels(properties: &str, labels: &super::LabelNames) -> String {
    let mut named = String::new();
    for line in properties.lines().filter_map(|l| l.strip_prefix("label: ")) {
        let field = |key: &str| line.split(' ').find_map(|kv| kv.strip_prefix(key)).map(|v| v.trim_matches(['{', '}']));
        let active = field("enabled=") != Some("0") && field("removed=") != Some("1");
        let Some(id) = field("id=").map(str::to_ascii_lowercase) else { continue };
        if let (true, Some(name)) = (active, labels.get(&id)) {
            named.push_str(&format!("MSIP_Label_{id}_Name: {name}\n"));
        }
    }
    named
}

/// Embedded documents (an Excel table inside a Word file) are read like archive members.
fn read_embeddings<R: Read + Seek>(
    archive: &mut ZipArchive<R>,
    prefix: &str,
    member: Option<&str>,
    depth: u32,
    ctx: &mut Ctx<'_, '_>,
) {
    for name in names_matching(archive, |n| n.starts_with(prefix) && !n.ends_with('/')) {
        let Ok(file) = archive.by_name(&name) else { continue };
        let compressed = file.compressed_size();
        let path = member_path(member, &name);
        read_member(file, Some(compressed), &path, depth + 1, ctx);
    }
}

fn member_path(parent: Option<&str>, name: &str) -> String {
    match parent {
        Some(p) => format!("{p}!/{name}"),
        None => name.to_string(),
    }
}

fn read_word<R: Read + Seek>(
    archive: &mut ZipArchive<R>,
    member: Option<&str>,
    depth: u32,
    ctx: &mut Ctx<'_, '_>,
) -> &'static str {
    let mut parts = names_matching(archive, |n| {
        n.starts_with("word/")
            && n.ends_with(".xml")
            && ["document", "header", "footer", "footnotes", "endnotes", "comments"]
                .iter()
                .any(|p| n[5..].starts_with(p))
    });
    // Headers and footers first, so that the markings they carry sit at the start of the text.
    parts.sort_by_key(|n| !(n.starts_with("word/header") || n.starts_with("word/footer")));
    let has_text = read_parts_as_one_text(archive, &parts, PartStyle::Word, member, ctx);
    if !has_text {
        mark_if_pictures(archive, "word/media/", ctx);
    }
    read_package_extras(archive, "word/embeddings/", member, depth, ctx);
    "docx"
}

/// The text of several parts, one after another, as one text. Returns whether it held any.
fn read_parts_as_one_text<R: Read + Seek>(
    archive: &mut ZipArchive<R>,
    parts: &[String],
    style: PartStyle,
    member: Option<&str>,
    ctx: &mut Ctx<'_, '_>,
) -> bool {
    let mut text = String::new();
    for name in parts {
        if let Some(xml) = part(archive, name, ctx) {
            office::part_text(&xml, style, &mut text);
            text.push('\n');
        }
    }
    ctx.emit(&text, member);
    !text.trim().is_empty()
}

/// A document with no text but pictures is a scan pasted in (a letter, a passport): what it says
/// is in the pictures, which are not read (no OCR).
fn mark_if_pictures<R: Read + Seek>(archive: &ZipArchive<R>, media: &str, ctx: &mut Ctx<'_, '_>) {
    if archive.file_names().filter_map(Result::ok).any(|n| n.starts_with(media) && !n.ends_with('/')) {
        ctx.mark(PartialReason::ImagesNotRead);
    }
}

/// What every Office package also holds: properties and labels, and embedded documents.
fn read_package_extras<R: Read + Seek>(
    archive: &mut ZipArchive<R>,
    embeddings: &str,
    member: Option<&str>,
    depth: u32,
    ctx: &mut Ctx<'_, '_>,
) {
    read_properties(archive, member, ctx);
    read_embeddings(archive, embeddings, member, depth, ctx);
}

fn read_excel<R: Read + Seek>(
    archive: &mut ZipArchive<R>,
    member: Option<&str>,
    depth: u32,
    ctx: &mut Ctx<'_, '_>,
) -> &'static str {
    let shared = part(archive, "xl/sharedStrings.xml", ctx).map(|x| office::shared_strings(&x)).unwrap_or_default();
    let dates = part(archive, "xl/styles.xml", ctx).map(|x| office::date_styles(&x)).unwrap_or_default();
    let sheets = names_matching(archive, |n| n.starts_with("xl/worksheets/") && n.ends_with(".xml"));
    let mut cut = false;
    for (index, name) in sheets.iter().enumerate() {
        if ctx.exhausted() {
            break;
        }
        if let Some(xml) = part(archive, name, ctx) {
            // A long shared string used in every cell costs its own sheet's share only.
            let share = ctx.text_share(sheets.len() - index);
            // One text stream per sheet, so its first row is the header of its columns.
            let mut text = String::new();
            match office::sheet_text(&xml, &shared, &dates, share, &mut text) {
                office::SheetEnd::Whole => {}
                // Marked once everything else is read: the mark itself stops the file's text.
                office::SheetEnd::Budget => cut = true,
                office::SheetEnd::Malformed => ctx.mark(PartialReason::UnreadablePart),
            }
            ctx.emit(&text, member);
        }
    }
    let mut notes = String::new();
    for name in names_matching(archive, |n| n.starts_with("xl/comments") && n.ends_with(".xml")) {
        if let Some(xml) = part(archive, &name, ctx) {
            office::part_text(&xml, PartStyle::Slides, &mut notes);
        }
    }
    ctx.emit(&notes, member);
    read_package_extras(archive, "xl/embeddings/", member, depth, ctx);
    if cut {
        ctx.mark(PartialReason::TextBytes);
    }
    "xlsx"
}

fn read_slides<R: Read + Seek>(
    archive: &mut ZipArchive<R>,
    member: Option<&str>,
    depth: u32,
    ctx: &mut Ctx<'_, '_>,
) -> &'static str {
    // Masters and layouts (where markings live) come first, as one text; then each slide, its
    // notes and comments as a text of its own, so that a table on a slide starts its text and its
    // header row gives context to its columns.
    let in_folders = |folders: &'static [&'static str]| {
        move |n: &str| n.ends_with(".xml") && folders.iter().any(|f| n.starts_with(f))
    };
    let templates = names_matching(archive, in_folders(&["ppt/slideMasters/", "ppt/slideLayouts/"]));
    read_parts_as_one_text(archive, &templates, PartStyle::Slides, member, ctx);
    for slide in names_matching(archive, in_folders(&["ppt/slides/", "ppt/notesSlides/", "ppt/comments/"])) {
        read_parts_as_one_text(archive, std::slice::from_ref(&slide), PartStyle::Slides, member, ctx);
    }
    read_package_extras(archive, "ppt/embeddings/", member, depth, ctx);
    "pptx"
}

fn read_open_document<R: Read + Seek>(
    archive: &mut ZipArchive<R>,
    member: Option<&str>,
    ctx: &mut Ctx<'_, '_>,
) -> &'static str {
    if let Some(manifest) = part(archive, "META-INF/manifest.xml", ctx) {
        if let Some(found) = encryption::odf_manifest(&String::from_utf8_lossy(&manifest)) {
            ctx.add_encryption(found);
        }
    }
    let encrypted = ctx.encryption.encrypted;
    if !encrypted {
        let mut has_text = false;
        for name in ["content.xml", "styles.xml"] {
            if let Some(xml) = part(archive, name, ctx) {
                let mut text = String::new();
                office::part_text(&xml, super::office::PartStyle::OpenDocument, &mut text);
                has_text |= !text.trim().is_empty();
                ctx.emit(&text, member);
            }
        }
        if !has_text {
            mark_if_pictures(archive, "Pictures/", ctx);
        }
    }
    read_properties(archive, member, ctx);
    "odf"
}

fn read_archive<R: Read + Seek>(
    archive: &mut ZipArchive<R>,
    entries: &[Entry],
    member: Option<&str>,
    depth: u32,
    ctx: &mut Ctx<'_, '_>,
) -> &'static str {
    let mut read = 0u64;
    for (index, entry) in entries.iter().enumerate() {
        if entry.is_dir || entry.encrypted || entry.size == 0 {
            continue;
        }
        if !ctx.may_read_another_member(&mut read) {
            break;
        }
        // A bomb usually says what it is: the declared sizes already give the ratio. (Sizes that lie
        // are caught while reading.)
        if entry.size > 1 << 20 && entry.size / entry.compressed.max(1) > ctx.limits.max_ratio {
            ctx.mark(PartialReason::ExpansionRatio);
            continue;
        }
        read += 1;
        match archive.by_index(index) {
            Ok(file) => read_member(file, Some(entry.compressed), &member_path(member, &entry.name), depth + 1, ctx),
            Err(e) => ctx.mark(reason_for(&e)),
        }
    }
    "zip"
}

/// A reader that remembers reaching the end of its content.
struct EofWatch<R> {
    inner: R,
    at_end: bool,
}

impl<R: Read> Read for EofWatch<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.at_end |= n == 0 && !buf.is_empty();
        Ok(n)
    }
}

/// Why a member could not be opened: a compression method without a decoder here, or damage.
fn reason_for(error: &ZipError) -> PartialReason {
    match error {
        ZipError::UnsupportedArchive(_) | ZipError::CompressionMethodNotSupported(_) => {
            PartialReason::UnsupportedFormat
        }
        _ => PartialReason::UnreadablePart,
    }
}

/// A zip without a readable central directory, most often a download or copy cut short: the
/// members are read in order from their local headers (APPNOTE 4.3.7). Reaching the central
/// directory means every member was read; stopping at the end of the content is `truncated`, and
/// anywhere else an unreadable part. Nothing readable at all makes the file corrupt.
fn read_truncated<R: Read + Seek>(reader: &mut R, member: Option<&str>, depth: u32, ctx: &mut Ctx<'_, '_>) {
    if reader.rewind().is_err() {
        ctx.mark_unopenable(member);
        return;
    }
    let mut reader = EofWatch { inner: reader, at_end: false };
    let mut read = 0u64;
    let mut seen = 0u64;
    let whole = loop {
        let damaged_before = ctx.partial.contains(&PartialReason::UnreadablePart);
        let file = match zip::read::read_zipfile_from_stream(&mut reader) {
            Ok(Some(file)) => file,
            // The central directory is reached: every member was there.
            Ok(None) => break true,
            Err(_) => break false,
        };
        seen += 1;
        if file.is_dir() || file.encrypted() {
            continue;
        }
        if !ctx.may_read_another_member(&mut read) {
            return;
        }
        let name =
            file.name().map_or_else(|_| String::from_utf8_lossy(file.name_raw()).into_owned(), |n| n.into_owned());
        let compressed = file.compressed_size();
        read_member(file, Some(compressed), &member_path(member, &name), depth + 1, ctx);
        // The member the file's end cuts fails its CRC check: that is the truncation (marked
        // below), not damage.
        if reader.at_end && !damaged_before {
            ctx.partial.remove(&PartialReason::UnreadablePart);
        }
    };
    if seen == 0 {
        ctx.mark_unopenable(member);
    } else if reader.at_end {
        ctx.mark(PartialReason::Truncated);
    } else if !whole {
        ctx.mark(PartialReason::UnreadablePart);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::extract::testing;
    use std::collections::BTreeSet;
    use std::io::Write;
    use zip::write::SimpleFileOptions;
    use zip::CompressionMethod;

    /// The text extracted from `bytes` (members in order) and the reasons it is partial.
    fn text_of(bytes: &[u8]) -> (String, BTreeSet<PartialReason>) {
        let (text, extracted) = testing::text_of(bytes, testing::limits());
        (text, extracted.partial)
    }

    /// A zip written by the `zip` crate's writer, each member with `method`.
    fn zip_of(members: &[(&str, &str)], method: CompressionMethod) -> Vec<u8> {
        let mut writer = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        for (name, text) in members {
            writer.start_file(*name, SimpleFileOptions::default().compression_method(method)).unwrap();
            writer.write_all(text.as_bytes()).unwrap();
        }
        writer.finish().unwrap().into_inner()
    }

    #[test]
    fn members_are_read_with_every_method_the_writers_use() {
        // Zstandard (method 93) is what WinZip and 7-Zip ZS write; 7-Zip's own methods are
        // fixtures in tests/data/fixtures (made by 7-Zip).
        for method in
            [CompressionMethod::Zstd, CompressionMethod::Xz, CompressionMethod::Bzip2, CompressionMethod::Deflated]
        {
            let bytes = zip_of(&[("staff.csv", "Name,Email\nAnn,ann@example.ac.uk\n")], method);
            let (text, partial) = text_of(&bytes);
            assert_eq!(text, "Name,Email\nAnn,ann@example.ac.uk\n", "{method:?}");
            assert!(partial.is_empty(), "{method:?}: {partial:?}");
        }
    }

    #[test]
    fn a_zip_cut_short_is_read_up_to_the_cut() {
        let bytes = zip_of(&[("a.txt", "first member\n"), ("b.txt", "second member\n")], CompressionMethod::Deflated);
        let second = bytes.windows(4).skip(4).position(|w| w == b"PK\x03\x04").unwrap() + 4;
        let (text, partial) = text_of(&bytes[..second + 20]);
        assert_eq!(text, "first member\n");
        assert_eq!(partial, BTreeSet::from([PartialReason::Truncated]));
        let (text, partial) = text_of(&bytes[..10]);
        assert_eq!(text, "");
        assert_eq!(partial, BTreeSet::from([PartialReason::Corrupt]));
    }

    #[test]
    fn spans_are_measured_with_the_name_as_stored() {
        let entry = |start: u64, name: &str, raw_name_len: u64| Entry {
            name: name.to_string(),
            header_start: start,
            raw_name_len,
            compressed: 10,
            size: 10,
            encrypted: false,
            is_dir: false,
        };
        // 30 + 9 + 10 = 49 bytes: the next header at 49 does not overlap, whatever the decoded length.
        assert!(!entries_overlap(&[entry(0, "B_Zo\u{eb}.txt", 9), entry(49, "C.txt", 5)]));
        assert!(entries_overlap(&[entry(0, "B_Zo\u{eb}.txt", 9), entry(48, "C.txt", 5)]));
    }

    #[test]
    fn label_ids_are_named_from_the_configuration() {
        let labels: super::super::LabelNames =
            [("3f1a2b4c-0000-4000-8000-1234567890ab".to_string(), "Highly Confidential".to_string())].into();
        let text =
            "label: id={3F1A2B4C-0000-4000-8000-1234567890AB} enabled=1 method=Standard\nlabel: id={aaaa} enabled=1\n";
        assert_eq!(
            name_labels(text, &labels),
            "MSIP_Label_3f1a2b4c-0000-4000-8000-1234567890ab_Name: Highly Confidential\n"
        );
        let removed = "label: id={3f1a2b4c-0000-4000-8000-1234567890ab} enabled=1 removed=1\n";
        assert!(name_labels(removed, &labels).is_empty());
    }
}
