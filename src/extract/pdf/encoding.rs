//! The encoding of a simple font (ISO 32000-1, 9.6.6): its one-byte codes as text, from a base
//! encoding and the `/Differences` that name other glyphs for some codes.
//!
//! lopdf rejects a whole `/Differences` array when it does not know one glyph name in it
//! (`/.notdef`, `/uni2019`, `/f_i`, `/a.sc`, a subset's `/g3`) and falls back to StandardEncoding,
//! which loses every glyph the array names: TeX's `fi` and `fl` ligatures at codes 12 and 13
//! come out as nothing ("efcient", "rst"). Here each name is read on its own, by the Adobe Glyph
//! List specification (lopdf's copy of the list, then `uniXXXX`, `uXXXX[XX]`, suffixes after a
//! period and ligatures joined by underscores), then as a numbered name (`/a97`, as bitmap Type 3
//! fonts write them); a name nothing explains is U+FFFD, a glyph drawn without a known meaning.
//!
//! Not for composite fonts, whose codes go through a CMap.

use std::sync::OnceLock;

use lopdf::{Dictionary, Document, Encoding, Object};

/// A simple font's codes: the text of each, `None` for a code its encoding leaves out.
pub(super) struct SimpleEncoding(Box<[Option<Box<str>>]>);

impl SimpleEncoding {
    /// The encoding of a simple font's dictionary: `/Encoding` a base encoding's name, or a
    /// dictionary of `/BaseEncoding` and `/Differences`; StandardEncoding otherwise (9.6.6.1).
    pub(super) fn of(doc: &Document, font: &Dictionary) -> SimpleEncoding {
        let (base, differences) = match font.get_deref(b"Encoding", doc) {
            Ok(Object::Name(name)) => (Some(name.as_slice()), None),
            Ok(Object::Dictionary(dict)) => (
                dict.get(b"BaseEncoding").and_then(Object::as_name).ok(),
                dict.get_deref(b"Differences", doc).and_then(Object::as_array).ok(),
            ),
            _ => (None, None),
        };
        let base = base_encoding(base);
        let mut codes = base.clone();
        let mut code = 0usize;
        for item in differences.into_iter().flatten() {
            match doc.dereference(item).map(|(_, o)| o) {
                Ok(Object::Integer(n)) => code = usize::try_from(*n).unwrap_or(usize::MAX),
                Ok(Object::Name(name)) => {
                    if let Some(slot) = codes.get_mut(code) {
                        *slot = (name != b".notdef").then(|| {
                            let numbered = || numeric_name(name).and_then(|n| base.get(n)?.clone());
                            glyph_text(name).or_else(numbered).unwrap_or_else(|| "\u{FFFD}".into())
                        });
                    }
                    code = code.saturating_add(1);
                }
                _ => {}
            }
        }
        SimpleEncoding(codes.into_boxed_slice())
    }

    /// The first character of a code's text.
    pub(super) fn first_char(&self, code: u8) -> Option<char> {
        self.0[usize::from(code)].as_deref()?.chars().next()
    }

    /// Appends the text of one code.
    pub(super) fn decode(&self, code: u8, out: &mut String) {
        if let Some(text) = &self.0[usize::from(code)] {
            out.push_str(text);
        }
    }
}

/// The 256 codes of a base encoding by its name (9.6.6.1, Annex D); StandardEncoding for any
/// other name.
fn base_encoding(name: Option<&[u8]>) -> Vec<Option<Box<str>>> {
    let name = match name {
        Some(name @ (b"WinAnsiEncoding" | b"MacRomanEncoding" | b"MacExpertEncoding")) => name,
        _ => b"StandardEncoding",
    };
    let font = lopdf::dictionary! { "Type" => "Font", "Encoding" => Object::Name(name.to_vec()) };
    let Ok(encoding) = font.get_font_encoding(empty_document()) else { return vec![None; 256] };
    (0..=255u8)
        .map(|code| {
            let mut text = String::new();
            encoding.write_to_string(&[code], &mut text).ok()?;
            Some(text.into_boxed_str()).filter(|t| !t.is_empty())
        })
        .collect()
}

/// The text of a glyph name by the Adobe Glyph List specification: a known name, or the parts
/// before any period, joined by underscores, each a known name, `uniXXXX...` or `uXXXX` to
/// `uXXXXXX`.
fn glyph_text(name: &[u8]) -> Option<Box<str>> {
    let base = name.split(|&b| b == b'.').next().filter(|base| !base.is_empty())?;
    base.split(|&b| b == b'_').map(component_text).collect::<Option<String>>().map(String::into_boxed_str)
}

/// The code a numbered glyph name stands for: `nn`, `Ann` or `ABnn`, two to four decimal digits
/// after at most two letters, as bitmap Type 3 fonts name their glyphs (`/a97` for `a`).
/// poppler's `pdftotext` reads them so (GfxFont.cc, "names of the form ... 'nn'").
fn numeric_name(name: &[u8]) -> Option<usize> {
    let letters = name.iter().take(2).take_while(|b| b.is_ascii_alphabetic()).count();
    let digits = &name[letters..];
    if !(2..=4).contains(&digits.len()) || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    std::str::from_utf8(digits).ok()?.parse().ok()
}

/// One component of a glyph name: a name of the Adobe Glyph List, `uniXXXX` (one or more
/// groups of four hexadecimal digits) or `uXXXX` to `uXXXXXX`.
fn component_text(component: &[u8]) -> Option<String> {
    if let Some(text) = listed(component) {
        return Some(text);
    }
    let hex = |digits: &[u8]| std::str::from_utf8(digits).ok().and_then(|d| u32::from_str_radix(d, 16).ok());
    let uppercase_hex = |digits: &[u8]| digits.iter().all(|b| b.is_ascii_digit() || (b'A'..=b'F').contains(b));
    if let Some(groups) = component.strip_prefix(b"uni").filter(|g| !g.is_empty() && g.len() % 4 == 0) {
        if !uppercase_hex(groups) {
            return None;
        }
        return groups.chunks(4).map(|group| hex(group).and_then(char::from_u32)).collect();
    }
    let digits = component.strip_prefix(b"u").filter(|d| (4..=6).contains(&d.len()) && uppercase_hex(d))?;
    hex(digits).and_then(char::from_u32).map(String::from)
}

/// A name of the Adobe Glyph List as lopdf knows it: the text lopdf gives the name in a
/// `/Differences` array of its own.
fn listed(name: &[u8]) -> Option<String> {
    let mut encoding = Dictionary::new();
    encoding.set("Differences", vec![Object::Integer(0), Object::Name(name.to_vec())]);
    let font = lopdf::dictionary! { "Type" => "Font", "Encoding" => encoding };
    match font.get_font_encoding(empty_document()) {
        Ok(encoding @ Encoding::Differences(_)) => {
            let mut text = String::new();
            encoding.write_to_string(&[0], &mut text).ok()?;
            Some(text).filter(|t| !t.is_empty())
        }
        _ => None,
    }
}

/// A document for lopdf's font calls on dictionaries that refer to nothing.
fn empty_document() -> &'static Document {
    static EMPTY: OnceLock<Document> = OnceLock::new();
    EMPTY.get_or_init(Document::new)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decoded(encoding: &SimpleEncoding, bytes: &[u8]) -> String {
        let mut out = String::new();
        bytes.iter().for_each(|&b| encoding.decode(b, &mut out));
        out
    }

    #[test]
    fn differences_with_names_lopdf_does_not_know_keep_the_rest() {
        // pdfTeX's array for a Type 1 font: `.notdef` first, the ligatures at 12 and 13.
        let names = |names: &[&str]| names.iter().map(|n| Object::Name(n.as_bytes().to_vec())).collect::<Vec<_>>();
        let differences: Vec<Object> = [
            vec![Object::Integer(0)],
            names(&[".notdef", "uni2019", "f_f_i", "a.sc", "g3", "u1D400"]),
            vec![Object::Integer(12)],
            names(&["fi", "fl"]),
        ]
        .concat();
        let mut encoding = Dictionary::new();
        encoding.set("Differences", differences);
        let font = lopdf::dictionary! { "Type" => "Font", "Encoding" => encoding };
        let encoding = SimpleEncoding::of(empty_document(), &font);
        // Ligatures stay ligatures here: the page text expands them.
        assert_eq!(decoded(&encoding, b"e\x0ccient \x0dow"), "e\u{FB01}cient \u{FB02}ow");
        assert_eq!(decoded(&encoding, b"\x01\x02\x03\x04\x05"), "\u{2019}ffia\u{FFFD}\u{1D400}");
        assert_eq!(decoded(&encoding, b"\x00AB"), "AB");
        // A bitmap Type 3 font's numbered names: the number is the code in the base encoding.
        let differences: Vec<Object> = [vec![Object::Integer(97)], names(&["a97", "a98", "g9", "a300"])].concat();
        let mut numbered = Dictionary::new();
        numbered.set("Differences", differences);
        let font = lopdf::dictionary! { "Type" => "Font", "Subtype" => "Type3", "Encoding" => numbered };
        assert_eq!(decoded(&SimpleEncoding::of(empty_document(), &font), b"abcd"), "ab\u{FFFD}\u{FFFD}");
    }

    #[test]
    fn base_encodings_by_name() {
        let font = |name: &str| lopdf::dictionary! { "Type" => "Font", "Encoding" => Object::Name(name.into()) };
        let win = SimpleEncoding::of(empty_document(), &font("WinAnsiEncoding"));
        assert_eq!(decoded(&win, b"\x93Caf\xe9\x94 \x80"), "\u{201C}Caf\u{E9}\u{201D} \u{20AC}");
        // StandardEncoding for a name that is not a base encoding: `\xae` is fi there.
        let other = SimpleEncoding::of(empty_document(), &font("Identity-H"));
        assert_eq!(decoded(&other, b"\xaenal"), "\u{FB01}nal");
    }
}
