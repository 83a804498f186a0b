//! PDF: encryption scheme, whether it opens without a password, document information and the text
//! of each page.
//!
//! The scheme is read from the raw `/Encrypt` dictionary (`/V`, `/R`, `/Length`, `/CFM`), so it is
//! known even when a password is needed. A PDF with only an owner password (restrictions on printing
//! or copying) opens with an empty user password: it is not encrypted for the policy, and the record
//! says so. Parsing and text extraction use lopdf on a thread of its own with a large stack, so that
//! a parser panic on a crafted file costs that file only.

mod cmap;
mod encoding;
mod load;
mod metrics;
mod text;

use std::io::{Read, Seek};

use lopdf::{Document, Object};

use super::{Ctx, PartialReason};
use crate::extract::Encryption;

/// Stack for the parser thread: lopdf recurses over nested objects.
const PARSER_STACK: usize = 256 << 20;

/// Reads a PDF. Returns the format name.
pub(super) fn read<R: Read + Seek>(reader: &mut R, size: u64, ctx: &mut Ctx<'_, '_>) -> &'static str {
    let cap = ctx.limits.max_member_bytes;
    let mut bytes = Vec::with_capacity(size.min(cap) as usize);
    if reader.take(cap).read_to_end(&mut bytes).is_err() {
        ctx.mark(PartialReason::UnreadablePart);
        return "pdf";
    }
    if size > cap {
        ctx.mark(PartialReason::ExpandedBytes);
    }
    let scheme = encryption_scheme(&bytes);
    if !ends_with_eof_marker(&bytes) {
        // Cut short (a partial download or copy): objects past the cut are missing.
        ctx.mark(PartialReason::Truncated);
    }
    let caps = text::Caps {
        stream_bytes: usize::try_from(cap).unwrap_or(usize::MAX),
        expanded_bytes: ctx.limits.max_expanded_bytes.saturating_sub(ctx.expanded),
        text_bytes: usize::try_from(ctx.limits.max_text_bytes.saturating_sub(ctx.text)).unwrap_or(usize::MAX),
        deadline: ctx.started + ctx.limits.time_budget,
    };
    let parsed = std::thread::scope(|scope| {
        std::thread::Builder::new()
            .name("pdf".into())
            .stack_size(PARSER_STACK)
            .spawn_scoped(scope, || parse(&bytes, caps))
            .ok()
            .and_then(|handle| handle.join().ok())
    });
    match (scheme, parsed) {
        (Some(scheme), Some(Ok(parsed))) => {
            let method = scheme.method.unwrap_or("pdf");
            ctx.add_encryption(Encryption {
                encrypted: false,
                method: None,
                strong: None,
                cipher: scheme.cipher,
                note: Some(format!("{method} with an owner password only: opens without a password, so not encrypted")),
                ..Encryption::none()
            });
            emit(parsed, ctx);
        }
        (Some(scheme), _) => ctx.add_encryption(scheme),
        (None, Some(Ok(parsed))) => emit(parsed, ctx),
        (None, _) => ctx.mark(PartialReason::UnreadablePart),
    }
    "pdf"
}

/// What a parse of the whole document gives.
struct Parsed {
    /// The document information dictionary as `name: value` lines.
    information: String,
    text: text::DocumentText,
}

fn emit(parsed: Parsed, ctx: &mut Ctx<'_, '_>) {
    ctx.expanded += parsed.text.expanded;
    ctx.emit(&parsed.information, None);
    for page in &parsed.text.pages {
        ctx.emit(page, None);
    }
    for reason in parsed.text.partial {
        ctx.mark(reason);
    }
}

/// Loads the document with an empty password (object streams decoded within `caps`) and reads its
/// information dictionary and the text of its pages. `Err` when it needs a password or cannot be
/// parsed.
fn parse(bytes: &[u8], caps: text::Caps) -> Result<Parsed, lopdf::Error> {
    let doc = load::load(bytes, caps.stream_bytes)?;
    Ok(Parsed { information: document_information(&doc), text: text::document_text(&doc, caps) })
}

/// True when the end-of-file marker is within the last 1024 bytes, where readers look for it
/// (ISO 32000-1, 7.5.5; Acrobat accepts it anywhere in the last 1024 bytes).
fn ends_with_eof_marker(pdf: &[u8]) -> bool {
    find(&pdf[pdf.len().saturating_sub(1024)..], b"%%EOF").is_some()
}

/// The document information dictionary (ISO 32000-1, 14.3.3) as `name: value` lines, the values
/// text strings; empty values left out.
fn document_information(doc: &Document) -> String {
    let Ok(info) = doc.trailer.get_deref(b"Info", doc).and_then(Object::as_dict) else {
        return String::new();
    };
    let mut text = String::new();
    for (key, value) in info.iter() {
        // Producers write values indirectly too (`/Title 12 0 R`).
        let Ok(bytes) = doc.dereference(value).and_then(|(_, value)| value.as_str()) else { continue };
        let value = text_string(bytes);
        if !value.trim().is_empty() {
            text.push_str(&format!("{}: {value}\n", String::from_utf8_lossy(key)));
        }
    }
    text
}

/// A text string's characters (ISO 32000-2, 7.9.2.2): UTF-16BE after the byte order mark `FE FF`,
/// UTF-8 after `EF BB BF` (PDF 2.0), else PDFDocEncoding. A damaged string (an unpaired
/// surrogate, bytes that are not UTF-8) keeps its good characters.
fn text_string(bytes: &[u8]) -> String {
    if let Some(utf16) = bytes.strip_prefix(b"\xFE\xFF") {
        let units = utf16.chunks_exact(2).map(|pair| u16::from_be_bytes([pair[0], pair[1]]));
        char::decode_utf16(units).map(|c| c.unwrap_or(char::REPLACEMENT_CHARACTER)).collect()
    } else if let Some(utf8) = bytes.strip_prefix(b"\xEF\xBB\xBF") {
        String::from_utf8_lossy(utf8).into_owned()
    } else {
        // Without a byte order mark lopdf reads PDFDocEncoding, which decodes any bytes.
        lopdf::decode_text_string(&Object::string_literal(bytes)).unwrap_or_default()
    }
}

/// The scheme named by the raw encryption dictionary, or `None` for an unencrypted PDF.
fn encryption_scheme(pdf: &[u8]) -> Option<Encryption> {
    let dict = encryption_dictionary(pdf)?;
    let number = |key: &[u8]| -> Option<u32> {
        let digits: String =
            entry(dict, key)?.iter().take_while(|b| b.is_ascii_digit()).map(|&b| char::from(b)).collect();
        digits.parse().ok()
    };
    let v = number(b"V").unwrap_or(0);
    let r = number(b"R").unwrap_or(0);
    let length = number(b"Length").unwrap_or(40);
    // `/CFM` sits in a crypt filter inside `/CF`, not at the top level.
    let cfm = find(dict, b"/CFM").map(|at| &dict[at + 4..]).map(|rest| {
        let rest: Vec<u8> = rest.iter().copied().skip_while(|b| b.is_ascii_whitespace()).take(6).collect();
        String::from_utf8_lossy(&rest).into_owned()
    });
    let certificate = entry(dict, b"Filter").is_some_and(|f| f.starts_with(b"/Adobe.PubSec"));
    let cfm = cfm.as_deref().unwrap_or("");
    let scheme = if v >= 5 || r >= 5 || cfm.starts_with("/AESV3") {
        Encryption::with("pdf-aes256", Some(true)).cipher("AES-256")
    } else if cfm.starts_with("/AESV2") {
        Encryption::with("pdf-aes128", Some(false)).cipher("AES-128")
    } else if v >= 2 && length > 40 {
        Encryption::with("pdf-rc4-128", Some(false)).cipher(format!("RC4-{}", length.min(128)))
    } else {
        Encryption::with("pdf-rc4-40", Some(false)).cipher("RC4-40")
    };
    Some(if certificate { scheme.note("certificate (public-key) security handler") } else { scheme })
}

/// The encryption dictionary the file's trailer names: the `/Encrypt` entry of a `trailer`
/// dictionary (ISO 32000-1, 7.5.5) or of a cross-reference stream's dictionary (7.5.8.2), inline
/// or the object it refers to. Only those dictionaries' own entries count: `/EncryptMetadata`
/// (in the encryption dictionary itself, written last by Acrobat) or the word in a page is not it.
fn encryption_dictionary(pdf: &[u8]) -> Option<&[u8]> {
    let value = trailer_dictionaries(pdf).into_iter().rev().find_map(|dict| entry(dict, b"Encrypt"))?;
    if value.starts_with(b"<<") {
        return dictionary_at(value);
    }
    let reference: Vec<&[u8]> = value[..value.len().min(32)].split(|b| b.is_ascii_whitespace()).take(2).collect();
    let [number, generation] = reference.as_slice() else {
        return None;
    };
    let header = [*number, b" ", *generation, b" obj"].concat();
    let mut search = 0;
    while let Some(found) = find(&pdf[search..], &header) {
        let at = search + found;
        if at == 0 || !pdf[at - 1].is_ascii_digit() {
            return dictionary_at(skip_whitespace(&pdf[at + header.len()..]));
        }
        search = at + header.len();
    }
    None
}

/// The trailer dictionaries of every revision, in file order: after each `trailer` keyword, and
/// each dictionary whose `/Type` is `/XRef`.
fn trailer_dictionaries(pdf: &[u8]) -> Vec<&[u8]> {
    let mut found = Vec::new();
    let mut at = 0;
    while let Some(i) = find(&pdf[at..], b"trailer") {
        let after = at + i + b"trailer".len();
        found.extend(dictionary_at(skip_whitespace(&pdf[after..])).map(|d| (at + i, d)));
        at = after;
    }
    at = 0;
    while let Some(i) = find(&pdf[at..], b"/XRef") {
        let key = at + i;
        // The dictionary opens after the nearest `obj` keyword before the type.
        let window = &pdf[key.saturating_sub(4096)..key];
        if let Some(obj) = rfind(window, b"obj") {
            let start = key.saturating_sub(4096) + obj + 3;
            let dict = dictionary_at(skip_whitespace(&pdf[start..]))
                .filter(|d| entry(d, b"Type").is_some_and(|t| t.starts_with(b"/XRef")));
            found.extend(dict.map(|d| (start, d)));
        }
        at = key + 5;
    }
    found.sort_by_key(|(position, _)| *position);
    found.into_iter().map(|(_, d)| d).collect()
}

/// Longest dictionary looked at, in bytes.
const MAX_DICTIONARY: usize = 64 << 10;

/// The dictionary `<< ... >>` at the start of `bytes` (nested dictionaries and strings skipped).
fn dictionary_at(bytes: &[u8]) -> Option<&[u8]> {
    if !bytes.starts_with(b"<<") {
        return None;
    }
    let mut depth = 0usize;
    let mut i = 0;
    while i < bytes.len().min(MAX_DICTIONARY) {
        match bytes[i] {
            b'<' if bytes.get(i + 1) == Some(&b'<') => {
                depth += 1;
                i += 1;
            }
            b'>' if bytes.get(i + 1) == Some(&b'>') => {
                depth -= 1;
                i += 1;
                if depth == 0 {
                    return Some(&bytes[..=i]);
                }
            }
            b'(' => i = skip_string(bytes, i),
            _ => {}
        }
        i += 1;
    }
    None
}

/// The index of the `)` closing the literal string opening at `open` (7.3.4.2: balanced
/// parentheses, backslash escapes).
fn skip_string(bytes: &[u8], open: usize) -> usize {
    let mut depth = 0usize;
    let mut i = open;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 1,
            b'(' => depth += 1,
            b')' => {
                depth -= 1;
                if depth == 0 {
                    return i;
                }
            }
            _ => {}
        }
        i += 1;
    }
    i
}

/// The value of the top-level entry `/key` of a dictionary (the bytes from the value on), matched
/// as a whole name: `/Encrypt` is not `/EncryptMetadata`.
fn entry<'a>(dict: &'a [u8], key: &[u8]) -> Option<&'a [u8]> {
    let mut depth = 0usize;
    let mut i = 0;
    while i < dict.len() {
        match dict[i] {
            b'<' if dict.get(i + 1) == Some(&b'<') => {
                depth += 1;
                i += 1;
            }
            b'>' if dict.get(i + 1) == Some(&b'>') => {
                depth = depth.saturating_sub(1);
                i += 1;
            }
            b'(' => i = skip_string(dict, i),
            b'/' if depth == 1 => {
                let name_end = dict[i + 1..].iter().position(|&b| is_delimiter(b)).map_or(dict.len(), |n| i + 1 + n);
                if &dict[i + 1..name_end] == key {
                    return Some(skip_whitespace(&dict[name_end..]));
                }
                i = name_end - 1;
            }
            _ => {}
        }
        i += 1;
    }
    None
}

/// White space and delimiters end a name (ISO 32000-1, 7.2.2).
fn is_delimiter(b: u8) -> bool {
    b.is_ascii_whitespace() || b == 0 || b"()<>[]{}/%".contains(&b)
}

fn skip_whitespace(bytes: &[u8]) -> &[u8] {
    let start = bytes.iter().position(|b| !b.is_ascii_whitespace() && *b != 0).unwrap_or(bytes.len());
    &bytes[start..]
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

fn rfind(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).rposition(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A PDF of numbered object bodies (object 1 the catalog) with a correct cross-reference table;
    /// `trailer` adds entries to the trailer dictionary.
    fn pdf(objects: &[&[u8]], trailer: &str) -> Vec<u8> {
        let mut out = b"%PDF-1.7\n".to_vec();
        let mut offsets = Vec::new();
        for (n, body) in objects.iter().enumerate() {
            offsets.push(out.len());
            out.extend_from_slice(format!("{} 0 obj\n", n + 1).as_bytes());
            out.extend_from_slice(body);
            out.extend_from_slice(b"\nendobj\n");
        }
        let xref = out.len();
        out.extend_from_slice(format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes());
        for offset in offsets {
            out.extend_from_slice(format!("{offset:010} 00000 n \n").as_bytes());
        }
        let size = objects.len() + 1;
        out.extend_from_slice(
            format!("trailer\n<< /Size {size} /Root 1 0 R {trailer} >>\nstartxref\n{xref}\n%%EOF\n").as_bytes(),
        );
        out
    }

    /// A stream object's body.
    fn stream(data: &[u8]) -> Vec<u8> {
        [format!("<< /Length {} >>\nstream\n", data.len()).as_bytes(), data, b"\nendstream"].concat()
    }

    /// What [`parse`] reads of `pdf`: the information lines, the pages' text and the reasons.
    fn read_pdf(pdf: &[u8]) -> (String, Vec<String>, Vec<&'static str>) {
        let caps = text::Caps {
            stream_bytes: 1 << 20,
            expanded_bytes: 1 << 20,
            text_bytes: 1 << 20,
            deadline: std::time::Instant::now() + std::time::Duration::from_secs(60),
        };
        let parsed = parse(pdf, caps).expect("the test PDF parses");
        let reasons = parsed.text.partial.iter().map(|r| r.as_str()).collect();
        (parsed.information, parsed.text.pages, reasons)
    }

    #[test]
    fn information_values_are_text_strings() {
        // "CONFIDENTIAL – Staff" in UTF-16BE with its byte order mark, as Word writes a title.
        let title: Vec<u8> = "\u{FEFF}CONFIDENTIAL \u{2013} Staff".encode_utf16().flat_map(u16::to_be_bytes).collect();
        let hex: String = title.iter().map(|b| format!("{b:02X}")).collect();
        let info = format!("<< /Title <{hex}> /Subject 5 0 R /Author (Jos\\351 Smith) /Keywords (\\357\\273\\277Caf\\303\\251) /Creator () >>");
        let objects: [&[u8]; 5] = [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>",
            info.as_bytes(),
            b"(OFFICIAL-SENSITIVE)",
        ];
        let (information, _, reasons) = read_pdf(&pdf(&objects, "/Info 4 0 R"));
        let mut lines: Vec<&str> = information.lines().collect();
        lines.sort_unstable();
        // PDFDocEncoding (\351 is é), UTF-8 after its byte order mark, an indirect value; the
        // empty creator is left out.
        assert_eq!(
            lines,
            ["Author: José Smith", "Keywords: Café", "Subject: OFFICIAL-SENSITIVE", "Title: CONFIDENTIAL – Staff"]
        );
        assert!(reasons.is_empty(), "{reasons:?}");
    }

    /// A one-page document whose page tree's root lists `kids` and says `count` pages.
    fn page_tree(kids: &str, count: usize) -> Vec<u8> {
        let content = stream(b"BT /F1 12 Tf 72 720 Td (CONFIDENTIAL) Tj ET");
        let tree = format!("<< /Type /Pages /Kids [{kids}] /Count {count} >>");
        let objects: [&[u8]; 5] = [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            tree.as_bytes(),
            b"<< /Type /Page /Parent 2 0 R /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
            &content,
            b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
        ];
        pdf(&objects, "")
    }

    #[test]
    fn a_page_tree_short_of_its_count_is_partial() {
        let (_, pages, reasons) = read_pdf(&page_tree("3 0 R", 2));
        assert_eq!(pages, ["CONFIDENTIAL"]);
        assert_eq!(reasons, ["unreadable_part"]);
        // A page the tree names but the file does not hold (a damaged or cut file).
        let (_, pages, reasons) = read_pdf(&page_tree("3 0 R 9 0 R", 2));
        assert_eq!(pages, ["CONFIDENTIAL", ""]);
        assert_eq!(reasons, ["unreadable_part"]);
        let (_, pages, reasons) = read_pdf(&page_tree("3 0 R", 1));
        assert_eq!(pages, ["CONFIDENTIAL"]);
        assert!(reasons.is_empty(), "{reasons:?}");
    }

    /// A page drawing `content` with `resources`; object 5 a tiling pattern whose own content
    /// this reader does not follow, object 6 a font.
    fn drawn_page(content: &[u8], resources: &str) -> Vec<u8> {
        let page = format!("<< /Type /Page /Parent 2 0 R /Contents 4 0 R /Resources << {resources} >> >>");
        let content = stream(content);
        let pattern = [
            b"<< /PatternType 1 /PaintType 1 /Resources << /Font << /F1 6 0 R >> >> ".as_slice(),
            &stream(b"BT /F1 12 Tf (CONFIDENTIAL) Tj ET")[2..],
        ]
        .concat();
        let objects: [&[u8]; 6] = [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            page.as_bytes(),
            &content,
            &pattern,
            b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        ];
        pdf(&objects, "")
    }

    #[test]
    fn pages_with_fonts_drawn_without_any_text_are_partial() {
        let painted = b"/Pattern cs /P1 scn 0 0 595 842 re f";
        let (_, pages, reasons) = read_pdf(&drawn_page(painted, "/Font << /F1 6 0 R >> /Pattern << /P1 5 0 R >>"));
        assert_eq!(pages, [""]);
        assert_eq!(reasons, ["unreadable_part"]);
        // A drawing, or a page of a form whose fields are empty, has no fonts of its own.
        let (_, pages, reasons) = read_pdf(&drawn_page(b"0 0 1 rg 72 72 200 100 re f", ""));
        assert_eq!(pages, [""]);
        assert!(reasons.is_empty(), "{reasons:?}");
        // No pages at all.
        let objects: [&[u8]; 2] = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [] /Count 0 >>"];
        assert_eq!(read_pdf(&pdf(&objects, "")).2, ["unreadable_part"]);
    }

    /// The text of a page showing `shown` in the font `font` (object 5) whose `ToUnicode` map
    /// (object 6) maps `ranges` (`bfrange` lines) in the code space `space`.
    fn shown_in(font: &str, space: &str, ranges: &str, shown: &str) -> (Vec<String>, Vec<&'static str>) {
        let map = stream(
            format!(
                "/CIDInit /ProcSet findresource begin 12 dict begin begincmap /CMapType 2 def\n\
                 1 begincodespacerange {space} endcodespacerange\n\
                 {} beginbfrange {ranges} endbfrange\n\
                 endcmap CMapName currentdict /CMap defineresource pop end end",
                ranges.lines().count()
            )
            .as_bytes(),
        );
        let content = stream(format!("BT /F0 12 Tf 72 720 Td {shown} Tj ET").as_bytes());
        let font = format!("<< /Type /Font {font} /ToUnicode 6 0 R >>");
        let objects: [&[u8]; 7] = [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /Contents 4 0 R /Resources << /Font << /F0 5 0 R >> >> >>",
            &content,
            font.as_bytes(),
            &map,
            b"<< /Type /Font /Subtype /CIDFontType0 /BaseFont /Frutiger /CIDSystemInfo << /Registry (Adobe) /Ordering (Identity) /Supplement 0 >> >>",
        ];
        let (_, pages, reasons) = read_pdf(&pdf(&objects, ""));
        (pages, reasons)
    }

    #[test]
    fn unicode_maps_are_read_by_the_fonts_code_length() {
        // Acrobat Distiller's map for a subset TrueType font: a two-byte code space with one-byte
        // entries. `:` is left out of the map, so it comes from the font's encoding.
        let distiller = "/Subtype /TrueType /BaseFont /XRIMAZ+ArialMT /Encoding /WinAnsiEncoding";
        let ranges = "<20> <39> <0020>\n<41> <5A> <0041>";
        let expected = (vec!["CONFIDENTIAL: AB 12 34 56 C".to_string()], vec![]);
        assert_eq!(shown_in(distiller, "<0000> <FFFF>", ranges, "(CONFIDENTIAL: AB 12 34 56 C)"), expected);
        // Without `/Encoding`, the codes the map leaves out are in StandardEncoding (9.6.6.1).
        let plain = "/Subtype /TrueType /BaseFont /Arial-ItalicMT";
        assert_eq!(shown_in(plain, "<00> <FF>", "<20> <20> <0020>", "(CONFIDENTIAL: AB 12 34 56 C)"), expected);
        // A composite font with Identity-H (two-byte codes) and a map written with one-byte codes.
        let identity = "/Subtype /Type0 /BaseFont /Frutiger /Encoding /Identity-H /DescendantFonts [7 0 R]";
        let (pages, reasons) = shown_in(identity, "<00> <FF>", "<24> <2D> <0041>", "<00240025002600270028>");
        assert_eq!((pages, reasons), (vec!["ABCDE".to_string()], vec![]));
        // Codes no map or encoding decodes: the page is mostly unreadable.
        let (pages, reasons) = shown_in(identity, "<00> <FF>", "<24> <2D> <0041>", "<00F000F100F20024>");
        assert_eq!((pages, reasons), (vec!["   A".to_string()], vec!["unreadable_part"]));
    }

    /// The text of a page drawing `content` with the font `font` (object 5) named `/F1`.
    fn drawn_in(font: &[u8], content: &[u8]) -> (Vec<String>, Vec<&'static str>) {
        let content = stream(content);
        let objects: [&[u8]; 5] = [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
            &content,
            font,
        ];
        let (_, pages, reasons) = read_pdf(&pdf(&objects, ""));
        (pages, reasons)
    }

    #[test]
    fn glyph_names_lopdf_does_not_know_leave_the_rest_of_the_encoding() {
        // pdfTeX writes `/.notdef` and the `fi` ligature at code 12; a Word subset font names its
        // space `/g3`. lopdf drops such an array whole, and every ligature with it.
        let (pages, reasons) = drawn_in(
            b"<< /Type /Font /Subtype /Type1 /BaseFont /CMR10 /Encoding << /Differences [0 /.notdef 3 /g3 12 /fi] >> >>",
            b"BT /F1 12 Tf 72 720 Td (Con\\014dential: AB\\003\\061\\062 34 56 C) Tj ET",
        );
        assert_eq!(pages, ["Confidential: AB 12 34 56 C"]);
        assert!(reasons.is_empty(), "{reasons:?}");
    }

    #[test]
    fn cells_in_a_standard_font_without_widths_stay_apart() {
        // pdf.js's calrgb.pdf: a grid of cells 100 points apart in Times-Roman, no `/Widths`.
        // At a guessed 500 per glyph each cell seems to run into the next.
        let (pages, _) = drawn_in(
            b"<< /Type /Font /Subtype /Type1 /BaseFont /Times-Roman >>",
            b"BT /F1 8 Tf 35 550 Td (A, B, C = 0.00, 0.00, 0.00) Tj 100 0 Td (A, B, C = 0.01, 0.00, 0.00) Tj ET",
        );
        assert_eq!(pages, ["A, B, C = 0.00, 0.00, 0.00\tA, B, C = 0.01, 0.00, 0.00"]);
    }

    #[test]
    fn a_chinese_system_font_not_embedded_shows_gbk_characters() {
        // 宋体 (SimSun) by its GBK name, WinAnsi by its dictionary, as Chinese Word exports write
        // it: the codes are GBK, 目录 ("contents") and 机密 ("confidential").
        let (pages, reasons) = drawn_in(
            b"<< /Type /Font /Subtype /TrueType /BaseFont /#CB#CE#CC#E5 /Encoding /WinAnsiEncoding /FontDescriptor << /Flags 4 /FontName <cbcecce5> >> >>",
            b"BT /F1 16 Tf 72 720 Td <C4BFC2BC> Tj 0 -20 Td <BBFAC3DC> Tj ET",
        );
        assert_eq!(pages, ["目录\n机密"]);
        assert!(reasons.is_empty(), "{reasons:?}");
    }

    fn scheme(dict: &str) -> Option<(&'static str, Option<bool>)> {
        let pdf = format!("%PDF-1.7\n5 0 obj\n{dict}\nendobj\ntrailer\n<< /Root 1 0 R /Encrypt 5 0 R >>\n%%EOF");
        encryption_scheme(pdf.as_bytes()).map(|e| (e.method.unwrap_or("-"), e.strong))
    }

    #[test]
    fn encryption_dictionaries_name_their_scheme() {
        assert_eq!(scheme("<< /Filter /Standard /V 1 /R 2 >>"), Some(("pdf-rc4-40", Some(false))));
        assert_eq!(scheme("<< /Filter /Standard /V 2 /R 3 /Length 128 >>"), Some(("pdf-rc4-128", Some(false))));
        assert_eq!(
            scheme("<< /V 4 /R 4 /CF << /StdCF << /CFM /V2 >> >> /Length 128 >>"),
            Some(("pdf-rc4-128", Some(false)))
        );
        assert_eq!(scheme("<< /V 4 /R 4 /CF << /StdCF << /CFM /AESV2 >> >> >>"), Some(("pdf-aes128", Some(false))));
        assert_eq!(scheme("<< /V 5 /R 6 /CF << /StdCF << /CFM /AESV3 >> >> >>"), Some(("pdf-aes256", Some(true))));
        assert_eq!(encryption_scheme(b"%PDF-1.4\ntrailer << /Root 1 0 R >>"), None);
    }

    #[test]
    fn only_the_trailers_encrypt_entry_counts() {
        // Acrobat's layout: the encryption dictionary, with `/EncryptMetadata`, after the trailer.
        let acrobat = b"%PDF-1.6\n1 0 obj << /Type /XRef /Size 9 /Encrypt 8 0 R /Root 2 0 R >> stream\nendstream endobj\n\
            8 0 obj << /Filter /Standard /V 4 /R 4 /Length 128 /CF << /StdCF << /CFM /AESV2 /Length 16 >> >> /EncryptMetadata false >> endobj\n%%EOF";
        assert_eq!(encryption_scheme(acrobat).and_then(|e| e.method), Some("pdf-aes128"));
        let mentioned = b"%PDF-1.4\n4 0 obj << /Length 30 >> stream\n(/Encrypt 5 0 R /EncryptMetadata)\nendstream\nendobj\ntrailer << /Root 1 0 R /Info (/Encrypt) >>\n%%EOF";
        assert_eq!(encryption_scheme(mentioned), None);
    }
}
