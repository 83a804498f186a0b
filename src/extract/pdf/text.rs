//! The text of PDF pages as a reader sees it: a small content-stream interpreter over lopdf's
//! objects (ISO 32000-1, 9.4 text objects, 8.10 Form XObjects).
//!
//! Producers often separate words, table cells and lines by positioning alone (`Td`, `Tm`, `TJ`
//! offsets) and never write a space, so the text is laid out by geometry: each string shown is
//! placed in device space through the text and graphics matrices, and the gap from the end of the
//! previous string decides what separates them: nothing (kerning inside a word), a space, a tab (a
//! cell or column gap) or a line break (another baseline); a word broken by a hyphen at a line
//! end is joined again. Glyph widths come from the font (`/Widths`, `/W`), or for the standard 14
//! fonts from their metrics ([`super::metrics`]). Form XObjects are drawn where `Do` places them,
//! nested to [`MAX_FORM_DEPTH`], never re-entering a form being drawn; so are the normal
//! appearances of annotations (filled-in form fields). Fonts decode through their `ToUnicode` map
//! first (9.10.2, [`super::cmap`]), then their encoding ([`super::encoding`] for simple fonts).
//!
//! Every stream is decoded within the caps the caller gives (one stream, and all streams of the
//! file), with `/Filter` and `/DecodeParms` resolved when they are indirect objects.

use std::collections::{BTreeSet, HashMap};
use std::time::Instant;

use lopdf::content::{Content, Operation};
use lopdf::Encoding;
use lopdf::{Dictionary, Document, Object, ObjectId, Stream};

use super::cmap::UnicodeMap;
use super::encoding::SimpleEncoding;
use super::metrics;
use crate::extract::PartialReason;

/// Form XObjects drawn inside one another deeper than this are not drawn.
const MAX_FORM_DEPTH: usize = 12;
/// Graphics states saved (`q`) beyond this are not kept: no real page nests so deep.
const MAX_SAVED_STATES: usize = 256;
/// Gaps along the baseline, in units of the font size (poppler's `pdftotext` uses 0.1 to 0.15
/// for the smallest word space): above [`WORD_GAP`] a space, above [`CELL_GAP`] a tab.
const WORD_GAP: f32 = 0.15;
const CELL_GAP: f32 = 1.5;
/// A baseline this far (in font sizes) from the previous one starts a new line.
const LINE_GAP: f32 = 0.5;
/// Width of a glyph (in thousandths of the font size) when the font gives none.
const DEFAULT_WIDTH: f32 = 500.0;

/// Caps on the work and memory of one document's text.
#[derive(Debug, Clone, Copy)]
pub(super) struct Caps {
    /// Largest decoded size of one stream.
    pub stream_bytes: usize,
    /// Bytes all streams of the document may decode to.
    pub expanded_bytes: u64,
    /// Bytes of text produced.
    pub text_bytes: usize,
    /// When to stop.
    pub deadline: Instant,
}

/// The text of the pages read, and why some may be missing.
#[derive(Debug, Default)]
pub(super) struct DocumentText {
    /// One text per page, in page order.
    pub pages: Vec<String>,
    /// Bytes decoded from streams.
    pub expanded: u64,
    /// Why not all text was read.
    pub partial: BTreeSet<PartialReason>,
}

/// Reads the text of every page of `doc` within `caps`.
pub(super) fn document_text(doc: &Document, caps: Caps) -> DocumentText {
    let mut reader =
        Reader { doc, caps, fonts: HashMap::new(), out: DocumentText::default(), text_len: 0, drawn_with_fonts: false };
    let pages = doc.get_pages();
    for &page_id in pages.values() {
        if reader.out.partial.contains(&PartialReason::TextBytes) {
            break;
        }
        if Instant::now() > caps.deadline {
            reader.out.partial.insert(PartialReason::TimeBudget);
            break;
        }
        let text = reader.page_text(page_id);
        reader.out.pages.push(text);
    }
    if reader.out.pages.len() == pages.len() && !reader.read_whole_document() {
        reader.mark(PartialReason::UnreadablePart);
    }
    reader.out
}

struct Reader<'d> {
    doc: &'d Document,
    caps: Caps,
    /// Fonts by the address of their dictionary in the document.
    fonts: HashMap<usize, Option<std::rc::Rc<Font<'d>>>>,
    out: DocumentText,
    text_len: usize,
    /// Whether a page with content had fonts in its resources.
    drawn_with_fonts: bool,
}

/// What one page's content showed.
#[derive(Default)]
struct Page {
    text: String,
    /// The end of the last string shown, to place the next one.
    last: Option<Placed>,
    /// Non-empty strings shown, characters they decoded to, and glyphs without a meaning
    /// (U+FFFD: a code the font's maps leave out).
    strings_shown: usize,
    chars_decoded: usize,
    chars_unmapped: usize,
    /// Images drawn large enough to hold a page of text (a scan), not icons or logos.
    page_sized_images: usize,
}

/// Where a string shown ended, its baseline direction and its font size, in device space.
#[derive(Clone, Copy)]
struct Placed {
    end: (f32, f32),
    direction: (f32, f32),
    size: f32,
}

impl<'d> Reader<'d> {
    fn page_text(&mut self, page_id: ObjectId) -> String {
        if self.doc.get_dictionary(page_id).is_err() {
            // lopdf keeps the place of a page the tree names but the file does not hold.
            self.mark(PartialReason::UnreadablePart);
            return String::new();
        }
        let mut page = Page::default();
        let resources = self.page_resources(page_id);
        let mut content = Vec::new();
        for id in self.doc.get_page_contents(page_id) {
            match self.doc.get_object(id).and_then(Object::as_stream) {
                Ok(stream) => {
                    if let Some(bytes) = self.decode(stream) {
                        content.extend_from_slice(&bytes);
                        content.push(b'\n');
                    }
                }
                // A content stream the file names but does not hold: cut short or damaged.
                Err(_) => self.mark(PartialReason::UnreadablePart),
            }
        }
        self.drawn_with_fonts |= !content.trim_ascii().is_empty() && declares_fonts(self.doc, &resources);
        let mut stack = Vec::new();
        self.run(&content, &resources, State::default(), &mut stack, &mut page);
        self.annotations(page_id, &resources, &mut stack, &mut page);
        if page.strings_shown > 0 && page.chars_unmapped >= page.chars_decoded {
            // Text was drawn but most of it could not be decoded (a font without a usable map).
            self.mark(PartialReason::UnreadablePart);
        }
        if page.page_sized_images > 0 && page.text.trim().is_empty() {
            // A scanned page with no text layer: what it says is in the picture.
            self.mark(PartialReason::ImagesNotRead);
        }
        self.text_len += page.text.len();
        if self.text_len > self.caps.text_bytes {
            self.mark(PartialReason::TextBytes);
        }
        page.text
    }

    fn mark(&mut self, reason: PartialReason) {
        self.out.partial.insert(reason);
    }

    /// After every page the tree gave was read: false when the page tree or the text shows that
    /// pages were missed. The tree gave fewer pages than its root's `/Count` (ISO 32000-1,
    /// 7.7.3.2: the number of leaf nodes), or none; or pages with fonts to draw text were drawn,
    /// and yet no text came out (text drawn in a way this reader does not follow).
    fn read_whole_document(&self) -> bool {
        let read = self.out.pages.len();
        let declared = self
            .doc
            .catalog()
            .and_then(|catalog| catalog.get_deref(b"Pages", self.doc))
            .and_then(Object::as_dict)
            .and_then(|root| root.get_deref(b"Count", self.doc))
            .and_then(Object::as_i64)
            .ok();
        let all_pages = read > 0 && declared.is_none_or(|count| count <= read as i64);
        let no_text = self.out.pages.iter().all(|page| page.trim().is_empty());
        all_pages && !(no_text && self.drawn_with_fonts)
    }

    /// The page's resource dictionaries, nearest first (inherited through the page tree).
    fn page_resources(&self, page_id: ObjectId) -> Vec<&'d Dictionary> {
        let Ok((direct, ids)) = self.doc.get_page_resources(page_id) else {
            return Vec::new();
        };
        direct.into_iter().chain(ids.into_iter().filter_map(|id| self.doc.get_dictionary(id).ok())).collect()
    }

    /// A stream's decoded bytes within the caps, or `None` (marking why).
    fn decode(&mut self, stream: &Stream) -> Option<Vec<u8>> {
        let left = self.caps.expanded_bytes.saturating_sub(self.out.expanded);
        let limit = self.caps.stream_bytes.min(usize::try_from(left).unwrap_or(usize::MAX));
        match decoded(self.doc, stream, limit) {
            Ok(bytes) => {
                self.out.expanded += bytes.len() as u64;
                Some(bytes)
            }
            Err(lopdf::Error::Decompress(lopdf::DecompressError::MemoryLimitExceeded { .. })) => {
                self.mark(PartialReason::ExpandedBytes);
                None
            }
            Err(_) => {
                self.mark(PartialReason::UnreadablePart);
                None
            }
        }
    }

    /// Interprets one content stream.
    fn run(
        &mut self,
        content: &[u8],
        resources: &[&'d Dictionary],
        mut state: State<'d>,
        forms: &mut Vec<ObjectId>,
        page: &mut Page,
    ) {
        let mut saved: Vec<State<'d>> = Vec::new();
        // lopdf holds a decoded operation in about sixty times its bytes (a 3 MB page of drawing
        // became 190 MB), so the stream is decoded a piece at a time, the state carried across.
        for piece in (ContentPieces { rest: content }) {
            let operations = match Content::decode(piece) {
                Ok(content) => content.operations,
                Err(_) => {
                    self.mark(PartialReason::UnreadablePart);
                    return;
                }
            };
            for op in &operations {
                if Instant::now() > self.caps.deadline {
                    self.mark(PartialReason::TimeBudget);
                    return;
                }
                match op.operator.as_str() {
                    "q" if saved.len() < MAX_SAVED_STATES => saved.push(state.clone()),
                    "Q" => state = saved.pop().unwrap_or(state),
                    "Do" => self.draw_xobject(op, resources, &state, forms, page),
                    _ => self.text_operator(op, resources, &mut state, page),
                }
            }
        }
    }

    fn text_operator(&mut self, op: &Operation, resources: &[&'d Dictionary], state: &mut State<'d>, page: &mut Page) {
        let n = |i: usize| op.operands.get(i).and_then(|o| o.as_float().ok()).unwrap_or(0.0);
        match op.operator.as_str() {
            "cm" => state.ctm = Matrix::of(op).times(&state.ctm),
            "BT" => {
                state.tm = Matrix::IDENTITY;
                state.tlm = Matrix::IDENTITY;
            }
            "Tf" => {
                state.font =
                    op.operands.first().and_then(|o| o.as_name().ok()).and_then(|name| self.font(resources, name));
                state.size = n(1);
            }
            "Tc" => state.char_spacing = n(0),
            "Tw" => state.word_spacing = n(0),
            "Tz" => state.scale = n(0) / 100.0,
            "TL" => state.leading = n(0),
            "Ts" => state.rise = n(0),
            "Td" => state.next_line(n(0), n(1)),
            "TD" => {
                state.leading = -n(1);
                state.next_line(n(0), n(1));
            }
            "Tm" => {
                state.tlm = Matrix::of(op);
                state.tm = state.tlm;
            }
            "T*" => state.next_line(0.0, -state.leading),
            "Tj" => self.show_operand(op.operands.first(), state, page),
            "'" => {
                state.next_line(0.0, -state.leading);
                self.show_operand(op.operands.first(), state, page);
            }
            "\"" => {
                state.word_spacing = n(0);
                state.char_spacing = n(1);
                state.next_line(0.0, -state.leading);
                self.show_operand(op.operands.get(2), state, page);
            }
            "TJ" => {
                for item in op.operands.first().and_then(|o| o.as_array().ok()).into_iter().flatten() {
                    match item {
                        // A number moves the next glyph left by thousandths of the font size.
                        Object::Integer(_) | Object::Real(_) => {
                            let shift = -item.as_float().unwrap_or(0.0) / 1000.0 * state.size * state.scale;
                            state.tm = Matrix::translation(shift, 0.0).times(&state.tm);
                        }
                        other => self.show_operand(Some(other), state, page),
                    }
                }
            }
            _ => {}
        }
    }

    fn show_operand(&mut self, operand: Option<&Object>, state: &mut State<'d>, page: &mut Page) {
        if let Some(Object::String(bytes, _)) = operand {
            if !bytes.is_empty() {
                show(bytes, state, page);
            }
        }
    }

    /// `Do`: a Form XObject is drawn with its own matrix and resources; images hold no text, but a
    /// page-sized one is counted (a scan).
    fn draw_xobject(
        &mut self,
        op: &Operation,
        resources: &[&'d Dictionary],
        state: &State<'d>,
        forms: &mut Vec<ObjectId>,
        page: &mut Page,
    ) {
        let Some(name) = op.operands.first().and_then(|o| o.as_name().ok()) else { return };
        let Some(Object::Reference(id)) = lookup(self.doc, resources, b"XObject", name) else { return };
        let Ok(stream) = self.doc.get_object(*id).and_then(Object::as_stream) else {
            self.mark(PartialReason::UnreadablePart);
            return;
        };
        match stream.dict.get(b"Subtype").and_then(Object::as_name).ok() {
            Some(b"Form") => self.draw_form(*id, stream, resources, state, forms, page),
            Some(b"Image") if is_page_sized(&stream.dict) => page.page_sized_images += 1,
            _ => {}
        }
    }

    fn draw_form(
        &mut self,
        id: ObjectId,
        stream: &'d Stream,
        resources: &[&'d Dictionary],
        state: &State<'d>,
        forms: &mut Vec<ObjectId>,
        page: &mut Page,
    ) {
        if forms.contains(&id) {
            return;
        }
        if forms.len() >= MAX_FORM_DEPTH {
            self.mark(PartialReason::NestingDepth);
            return;
        }
        let Some(content) = self.decode(stream) else { return };
        let own = stream.dict.get_deref(b"Resources", self.doc).and_then(Object::as_dict).ok();
        let resources: Vec<&'d Dictionary> = match own {
            Some(own) => vec![own],
            None => resources.to_vec(),
        };
        let mut inner = state.clone();
        if let Ok(matrix) = stream.dict.get(b"Matrix").and_then(Object::as_array) {
            inner.ctm = Matrix::from_array(matrix).times(&state.ctm);
        }
        forms.push(id);
        self.run(&content, &resources, inner, forms, page);
        forms.pop();
    }

    /// The normal appearance of each annotation (the values of filled-in form fields).
    fn annotations(
        &mut self,
        page_id: ObjectId,
        resources: &[&'d Dictionary],
        forms: &mut Vec<ObjectId>,
        page: &mut Page,
    ) {
        let Ok(annotations) = self.doc.get_page_annotations(page_id) else { return };
        for annotation in annotations {
            let appearance = annotation
                .get_deref(b"AP", self.doc)
                .and_then(Object::as_dict)
                .and_then(|ap| ap.get(b"N"))
                .ok()
                .and_then(|n| n.as_reference().ok());
            if let Some(id) = appearance {
                if let Ok(stream) = self.doc.get_object(id).and_then(Object::as_stream) {
                    self.draw_form(id, stream, resources, &State::default(), forms, page);
                }
            }
        }
    }

    /// The font named `name` in the resources, read once per document.
    fn font(&mut self, resources: &[&'d Dictionary], name: &[u8]) -> Option<std::rc::Rc<Font<'d>>> {
        let dict = match lookup(self.doc, resources, b"Font", name)? {
            Object::Reference(id) => self.doc.get_dictionary(*id).ok()?,
            Object::Dictionary(dict) => dict,
            _ => return None,
        };
        let key = dict as *const Dictionary as usize;
        if !self.fonts.contains_key(&key) {
            let font = Font::read(self.doc, dict, self.caps.stream_bytes);
            if font.is_none() {
                self.mark(PartialReason::ExpandedBytes);
            }
            self.fonts.insert(key, font.map(std::rc::Rc::new));
        }
        self.fonts.get(&key).cloned().flatten()
    }
}

/// True when the resources name a font (ISO 32000-1, 7.8.3: the `/Font` category). A form's
/// empty fields and a scan's images name none, so a page without text is no surprise there.
fn declares_fonts(doc: &Document, resources: &[&Dictionary]) -> bool {
    resources.iter().any(|r| r.get_deref(b"Font", doc).and_then(Object::as_dict).is_ok_and(|fonts| !fonts.is_empty()))
}

/// Bytes of content decoded at once, at least: a piece ends at the first operator after this.
const CONTENT_PIECE: usize = 64 << 10;

/// A content stream (ISO 32000-1, 7.8.2) cut into pieces of whole operations: each piece ends
/// after an operator, outside strings, arrays, dictionaries and inline images, so decoding the
/// pieces one after another gives the operations of the whole.
struct ContentPieces<'c> {
    rest: &'c [u8],
}

impl<'c> Iterator for ContentPieces<'c> {
    type Item = &'c [u8];

    fn next(&mut self) -> Option<&'c [u8]> {
        if self.rest.is_empty() {
            return None;
        }
        let end = operation_boundary(self.rest, CONTENT_PIECE).unwrap_or(self.rest.len());
        let (piece, rest) = self.rest.split_at(end);
        self.rest = rest;
        Some(piece)
    }
}

/// The end of the first operator at or after `from` whose operands are complete: outside any
/// string, array or dictionary, not `BI` or `ID` (an inline image's dictionary and data follow
/// them, 8.9.7). `None` when there is none.
fn operation_boundary(content: &[u8], from: usize) -> Option<usize> {
    let mut nesting = 0usize;
    let mut i = 0;
    while i < content.len() {
        match content[i] {
            b'(' => i = super::skip_string(content, i),
            // A name is an operand, whatever its letters.
            b'/' => {
                while i + 1 < content.len() && !super::is_delimiter(content[i + 1]) {
                    i += 1;
                }
            }
            b'%' => i += content[i..].iter().position(|&b| b == b'\n' || b == b'\r').unwrap_or(content.len() - i),
            b'<' if content.get(i + 1) == Some(&b'<') => {
                nesting += 1;
                i += 1;
            }
            b'>' if content.get(i + 1) == Some(&b'>') => {
                nesting = nesting.saturating_sub(1);
                i += 1;
            }
            b'<' => i += content[i..].iter().position(|&b| b == b'>').unwrap_or(content.len() - i),
            b'[' => nesting += 1,
            b']' => nesting = nesting.saturating_sub(1),
            b if !super::is_delimiter(b) => {
                let start = i;
                while i + 1 < content.len() && !super::is_delimiter(content[i + 1]) {
                    i += 1;
                }
                let token = &content[start..=i];
                if token == b"ID" {
                    // Binary image data up to `EI` between white space.
                    i = content[i..]
                        .windows(4)
                        .position(|w| w[0].is_ascii_whitespace() && &w[1..3] == b"EI" && w[3].is_ascii_whitespace())
                        .map_or(content.len(), |n| i + n + 3);
                    continue;
                }
                let operator = (token[0].is_ascii_alphabetic() || token == b"'" || token == b"\"")
                    && !matches!(token, b"true" | b"false" | b"null" | b"BI");
                if operator && nesting == 0 && i + 1 >= from {
                    return Some(i + 1);
                }
            }
            _ => {}
        }
        i += 1;
    }
    None
}

/// Decodes a stream, resolving an indirect `/Filter` or `/DecodeParms` (and indirect elements of
/// their arrays) first: lopdf reads only direct ones and would take the raw bytes as the content.
fn decoded(doc: &Document, stream: &Stream, limit: usize) -> lopdf::Result<Vec<u8>> {
    let is_indirect = |key: &[u8]| match stream.dict.get(key) {
        Ok(Object::Reference(_)) => true,
        Ok(Object::Array(items)) => items.iter().any(|i| matches!(i, Object::Reference(_))),
        _ => false,
    };
    if !is_indirect(b"Filter") && !is_indirect(b"DecodeParms") {
        return stream.decompressed_content_with_limit(limit);
    }
    let mut dict = stream.dict.clone();
    for key in [&b"Filter"[..], b"DecodeParms"] {
        if let Ok(value) = stream.dict.get_deref(key, doc) {
            let value = match value {
                Object::Array(items) => Object::Array(
                    items.iter().map(|i| doc.dereference(i).map_or(Object::Null, |(_, o)| o.clone())).collect(),
                ),
                other => other.clone(),
            };
            dict.set(key.to_vec(), value);
        }
    }
    Stream { dict, content: stream.content.clone(), allows_compression: true, start_position: None }
        .decompressed_content_with_limit(limit)
}

/// An image of at least 500 by 500 pixels: a page scanned at even 72 dpi, larger than a logo or a
/// signature (ISO 32000-1, 8.9.5: `/Width` and `/Height` of an image XObject, in samples).
fn is_page_sized(image: &Dictionary) -> bool {
    let samples = |key: &[u8]| image.get(key).and_then(Object::as_i64).unwrap_or(0);
    samples(b"Width") >= 500 && samples(b"Height") >= 500
}

/// An entry of a resource category (`/Font`, `/XObject`) by name, from the nearest dictionary
/// that has it.
fn lookup<'d>(doc: &'d Document, resources: &[&'d Dictionary], category: &[u8], name: &[u8]) -> Option<&'d Object> {
    resources.iter().find_map(|r| r.get_deref(category, doc).and_then(Object::as_dict).ok()?.get(name).ok())
}

/// Places one string: a separator from the previous string by geometry, then its text; moves the
/// text matrix past its glyphs.
fn show(bytes: &[u8], state: &mut State<'_>, page: &mut Page) {
    page.strings_shown += 1;
    let start = state.origin();
    let size = state.device_size();
    let mut text = String::new();
    let advance = match &state.font {
        Some(font) => {
            font.decode(bytes, &mut text);
            font.advance(bytes, state)
        }
        None => bytes.len() as f32 * (DEFAULT_WIDTH / 1000.0 * state.size + state.char_spacing) * state.scale,
    };
    state.tm = Matrix::translation(advance, 0.0).times(&state.tm);
    let end = state.origin();
    let text = expand_ligatures(&text.replace('\0', ""));
    if text.is_empty() {
        return;
    }
    let unmapped = text.chars().filter(|&c| c == char::REPLACEMENT_CHARACTER).count();
    page.chars_unmapped += unmapped;
    page.chars_decoded += text.chars().count() - unmapped;
    // A glyph without a known meaning is most often the space of a subset font (glyph 3,
    // `/g3`): it separates what is either side of it, so `AB 12 34 56 C` stays matchable.
    let text = if unmapped > 0 { text.replace(char::REPLACEMENT_CHARACTER, " ") } else { text };
    let direction = state.direction();
    if let Some(last) = page.last {
        match separator(&last, start) {
            "\n" if hyphenated(&page.text, &text) => {
                page.text.pop();
            }
            separator => page.text.push_str(separator),
        }
    }
    page.text.push_str(&text);
    page.last = Some(Placed { end, direction, size });
}

/// Whether a line ending in `before` breaks a word that `after`, the next line, goes on with: a
/// letter and a hyphen (or a soft hyphen) at the end, a lower-case letter next. The word is
/// joined again without its hyphen, as `pdftotext` does, so "discov-" and "ered" are found
/// as "discovered".
fn hyphenated(before: &str, after: &str) -> bool {
    let mut end = before.chars().rev();
    let broken = match end.next() {
        Some('\u{AD}') => true,
        Some('-' | '\u{2010}') => end.next().is_some_and(char::is_alphabetic),
        _ => false,
    };
    broken && after.chars().next().is_some_and(char::is_lowercase)
}

/// What separates a string starting at `start` from the one placed before it.
fn separator(last: &Placed, start: (f32, f32)) -> &'static str {
    let (dx, dy) = (start.0 - last.end.0, start.1 - last.end.1);
    let (ux, uy) = last.direction;
    let along = (dx * ux + dy * uy) / last.size;
    let across = (dy * ux - dx * uy) / last.size;
    if across.abs() > LINE_GAP {
        "\n"
    } else if along > CELL_GAP {
        "\t"
    } else if !(-LINE_GAP..=WORD_GAP).contains(&along) {
        // Forward past a word space, or back along the line (a string drawn over another).
        " "
    } else {
        ""
    }
}

/// The graphics and text state that text placement needs (ISO 32000-1, 9.3).
#[derive(Clone)]
struct State<'d> {
    ctm: Matrix,
    tm: Matrix,
    tlm: Matrix,
    font: Option<std::rc::Rc<Font<'d>>>,
    size: f32,
    char_spacing: f32,
    word_spacing: f32,
    scale: f32,
    leading: f32,
    rise: f32,
}

impl Default for State<'_> {
    fn default() -> Self {
        State {
            ctm: Matrix::IDENTITY,
            tm: Matrix::IDENTITY,
            tlm: Matrix::IDENTITY,
            font: None,
            size: 0.0,
            char_spacing: 0.0,
            word_spacing: 0.0,
            scale: 1.0,
            leading: 0.0,
            rise: 0.0,
        }
    }
}

impl State<'_> {
    /// `Td`: the start of the next line, offset from the start of the current one.
    fn next_line(&mut self, tx: f32, ty: f32) {
        self.tlm = Matrix::translation(tx, ty).times(&self.tlm);
        self.tm = self.tlm;
    }

    fn device(&self) -> Matrix {
        self.tm.times(&self.ctm)
    }

    /// The current text position in device space.
    fn origin(&self) -> (f32, f32) {
        self.device().apply(0.0, self.rise)
    }

    /// The font size in device space (at least a small positive size, so gaps can be compared).
    fn device_size(&self) -> f32 {
        let m = self.device();
        let size = (m.c * m.c + m.d * m.d).sqrt() * self.size.abs();
        if size.is_finite() && size > 0.01 {
            size
        } else {
            1.0
        }
    }

    /// The unit direction of the baseline in device space.
    fn direction(&self) -> (f32, f32) {
        let m = self.device();
        let length = (m.a * m.a + m.b * m.b).sqrt();
        if length.is_finite() && length > 0.0 {
            (m.a / length, m.b / length)
        } else {
            (1.0, 0.0)
        }
    }
}

/// An affine matrix `[a b c d e f]` as PDF writes it (row vector times matrix).
#[derive(Clone, Copy, Debug, PartialEq)]
struct Matrix {
    a: f32,
    b: f32,
    c: f32,
    d: f32,
    e: f32,
    f: f32,
}

impl Matrix {
    const IDENTITY: Matrix = Matrix { a: 1.0, b: 0.0, c: 0.0, d: 1.0, e: 0.0, f: 0.0 };

    fn translation(e: f32, f: f32) -> Matrix {
        Matrix { e, f, ..Matrix::IDENTITY }
    }

    fn from_array(items: &[Object]) -> Matrix {
        let n: Vec<f32> = items.iter().filter_map(|o| o.as_float().ok()).collect();
        match n.as_slice() {
            [a, b, c, d, e, f] => Matrix { a: *a, b: *b, c: *c, d: *d, e: *e, f: *f },
            _ => Matrix::IDENTITY,
        }
    }

    fn of(op: &Operation) -> Matrix {
        Matrix::from_array(&op.operands)
    }

    /// `self × other`: first `self`, then `other`.
    fn times(&self, o: &Matrix) -> Matrix {
        Matrix {
            a: self.a * o.a + self.b * o.c,
            b: self.a * o.b + self.b * o.d,
            c: self.c * o.a + self.d * o.c,
            d: self.c * o.b + self.d * o.d,
            e: self.e * o.a + self.f * o.c + o.e,
            f: self.e * o.b + self.f * o.d + o.f,
        }
    }

    fn apply(&self, x: f32, y: f32) -> (f32, f32) {
        (x * self.a + y * self.c + self.e, x * self.b + y * self.d + self.f)
    }
}

/// What text placement needs of a font: how its codes decode and how wide its glyphs are.
struct Font<'d> {
    /// The `ToUnicode` map, which comes first (9.10.2).
    unicode: Option<UnicodeMap>,
    /// The font's own encoding, for the codes a simple font's map leaves out.
    codes: Codes<'d>,
    /// Type 0 (composite) fonts use two-byte codes (Identity and the UCS-2 CMaps).
    two_byte: bool,
    /// Bytes a code takes when the font fixes it: one for simple fonts (9.6.6), two for the
    /// Identity CMaps (9.7.5.2); `None` when the code space of its `ToUnicode` map decides.
    code_len: Option<usize>,
    /// A Chinese system font whose codes are GBK characters whatever its encoding says.
    gbk: bool,
    widths: Widths,
    /// Glyph space to text space: 1/1000, or a Type 3 font's `/FontMatrix`.
    unit: f32,
}

impl<'d> Font<'d> {
    /// `None` when decoding the font's maps would pass `stream_bytes`.
    fn read(doc: &'d Document, dict: &'d Dictionary, stream_bytes: usize) -> Option<Font<'d>> {
        let unicode = unicode_map(doc, dict, stream_bytes).ok()?;
        let subtype = dict.get(b"Subtype").and_then(Object::as_name).unwrap_or(b"");
        let codes = match dict.get(b"Encoding").and_then(Object::as_name) {
            _ if subtype != b"Type0" => Codes::Simple(SimpleEncoding::of(doc, dict)),
            // A composite font's text comes from its map; lopdf would read the map once more.
            Ok(b"Identity-H" | b"Identity-V") | Err(_) => Codes::Unknown,
            // A predefined CMap lopdf decodes (UCS-2 and UTF-16 ones); lopdf's fallback for one
            // it cannot read is a one-byte encoding, which turns two-byte glyph ids into stray
            // punctuation: such text cannot be decoded.
            Ok(_) => match dict.get_font_encoding_with_limit(doc, stream_bytes) {
                Ok(encoding @ Encoding::SimpleEncoding(_)) => Codes::Cmap(encoding),
                _ => Codes::Unknown,
            },
        };
        let unit = match subtype {
            b"Type3" => dict
                .get_deref(b"FontMatrix", doc)
                .and_then(Object::as_array)
                .ok()
                .and_then(|m| m.first()?.as_float().ok())
                .unwrap_or(0.001),
            _ => 0.001,
        };
        let code_len = match subtype {
            b"Type0" => match dict.get(b"Encoding").and_then(Object::as_name) {
                Ok(b"Identity-H" | b"Identity-V") => Some(2),
                _ => None,
            },
            _ => Some(1),
        };
        let two_byte = subtype == b"Type0";
        let gbk = unicode.is_none() && is_chinese_system_font(doc, dict, subtype);
        let widths = Widths::read(doc, dict, &codes);
        Some(Font { unicode, codes, two_byte, code_len, gbk, widths, unit })
    }

    /// Appends the text of the codes in `bytes`; nothing for codes the font cannot decode.
    fn decode(&self, bytes: &[u8], out: &mut String) {
        match &self.unicode {
            Some(map) => {
                let mut rest = bytes;
                while !rest.is_empty() {
                    let len = self.code_len.unwrap_or_else(|| map.code_len(rest)).min(rest.len());
                    let (code, after) = rest.split_at(len);
                    rest = after;
                    let code = code.iter().fold(0u32, |acc, &b| acc << 8 | u32::from(b));
                    let before = out.len();
                    match unicode_of(|code, n| map.get(code, n), code, len) {
                        Some(units) => {
                            out.extend(char::decode_utf16(units).map(|c| c.unwrap_or(char::REPLACEMENT_CHARACTER)))
                        }
                        None if len == 1 => self.codes.decode(&[code as u8], out),
                        None => {}
                    }
                    if out.len() == before {
                        // A glyph without a meaning still separates what is either side of it
                        // (often it is a space named `/g3`).
                        out.push(char::REPLACEMENT_CHARACTER);
                    }
                }
            }
            None if self.gbk => out.push_str(&encoding_rs::GBK.decode_without_bom_handling(bytes).0),
            None => self.codes.decode(bytes, out),
        }
    }

    /// How far the text position moves after showing `bytes` (9.4.4), in unscaled text space.
    fn advance(&self, bytes: &[u8], state: &State<'_>) -> f32 {
        let step = if self.two_byte { 2 } else { 1 };
        let mut total = 0.0;
        for code in bytes.chunks(step) {
            let code = code.iter().fold(0u32, |acc, &b| acc << 8 | u32::from(b));
            let space = if step == 1 && code == 32 { state.word_spacing } else { 0.0 };
            total += self.widths.of(code) * self.unit * state.size + state.char_spacing + space;
        }
        total * state.scale
    }
}

/// Typographic ligatures (U+FB00 to U+FB06) as the letters they join, as pdftotext gives them: a
/// `ToUnicode` map that names the fi glyph `ﬁ` would otherwise hide "Conﬁdential" and "ﬁnal written
/// warning" from the detectors.
fn expand_ligatures(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\u{FB00}' => out.push_str("ff"),
            '\u{FB01}' => out.push_str("fi"),
            '\u{FB02}' => out.push_str("fl"),
            '\u{FB03}' => out.push_str("ffi"),
            '\u{FB04}' => out.push_str("ffl"),
            '\u{FB05}' | '\u{FB06}' => out.push_str("st"),
            c => out.push(c),
        }
    }
    out
}

/// The UTF-16 of `code`, `len` bytes long, in a `ToUnicode` map. The font's encoding decides how
/// long codes are, not the map: Acrobat Distiller writes maps for one-byte codes with a two-byte
/// code space (`<0000> <FFFF>`), others write a font's two-byte codes as one-byte entries (`<24>`),
/// so the same number is looked for at the other length too.
fn unicode_of(get: impl Fn(u32, usize) -> Option<Vec<u16>>, code: u32, len: usize) -> Option<Vec<u16>> {
    get(code, len)
        .or_else(|| [1, 2].into_iter().filter(|&n| n != len && code >> (8 * n) == 0).find_map(|n| get(code, n)))
}

/// The names of Chinese Windows system fonts in GBK, as Chinese producers write them into
/// `/BaseFont`: 宋体 (SimSun), 楷体 (KaiTi), 黑体 (SimHei), 仿宋 (FangSong), 新宋 (NSimSun) and
/// 小标宋 (XiaoBiaoSong), with or without a suffix such as `_GB2312`.
const CHINESE_SYSTEM_FONTS: [&[u8]; 6] = [
    b"\xCB\xCE\xCC\xE5",
    b"\xBF\xAC\xCC\xE5",
    b"\xBA\xDA\xCC\xE5",
    b"\xB7\xC2\xCB\xCE",
    b"\xD0\xC2\xCB\xCE",
    b"\xD0\xA1\xB1\xEA\xCB\xCE",
];

/// Whether a simple font is a Chinese system font the file does not embed (no `/FontFile2`,
/// 9.8.1): Windows draws such a font's codes as GBK double-byte characters whatever its
/// `/Encoding` says, and so do PDFium and pdf.js; read as WinAnsi they are mojibake.
fn is_chinese_system_font(doc: &Document, dict: &Dictionary, subtype: &[u8]) -> bool {
    let embedded = dict
        .get_deref(b"FontDescriptor", doc)
        .and_then(Object::as_dict)
        .is_ok_and(|d| d.has(b"FontFile") || d.has(b"FontFile2") || d.has(b"FontFile3"));
    let name = dict.get(b"BaseFont").and_then(Object::as_name).unwrap_or(b"");
    subtype == b"TrueType" && !embedded && CHINESE_SYSTEM_FONTS.iter().any(|font| name.starts_with(font))
}

/// How a font's codes decode without its `ToUnicode` map, or where the map leaves them out.
enum Codes<'d> {
    /// A simple font's one-byte codes.
    Simple(SimpleEncoding),
    /// A composite font's predefined CMap, as lopdf decodes it.
    Cmap(Encoding<'d>),
    /// Neither: codes without a map have no known meaning.
    Unknown,
}

impl Codes<'_> {
    fn decode(&self, bytes: &[u8], out: &mut String) {
        match self {
            Codes::Simple(encoding) => bytes.iter().for_each(|&code| encoding.decode(code, out)),
            Codes::Cmap(encoding) => decode_with(encoding, bytes, out),
            Codes::Unknown => {}
        }
    }
}

/// Appends the text of `bytes` in `encoding`, or nothing when it cannot decode them.
fn decode_with(encoding: &Encoding<'_>, bytes: &[u8], out: &mut String) {
    let mut text = String::new();
    if encoding.write_to_string(bytes, &mut text).is_ok() {
        out.push_str(&text);
    }
}

/// The font's `ToUnicode` map, which comes before its encoding (ISO 32000-1, 9.10.2); `None`
/// when it has none, or none that maps a code. `Err` when decoding the map would pass
/// `stream_bytes`.
fn unicode_map(doc: &Document, dict: &Dictionary, stream_bytes: usize) -> lopdf::Result<Option<UnicodeMap>> {
    let Ok(stream) = dict.get_deref(b"ToUnicode", doc).and_then(Object::as_stream) else { return Ok(None) };
    match decoded(doc, stream, stream_bytes) {
        Ok(program) => Ok(Some(UnicodeMap::parse(&program)).filter(|map| !map.is_empty())),
        Err(e @ lopdf::Error::Decompress(lopdf::DecompressError::MemoryLimitExceeded { .. })) => Err(e),
        Err(_) => Ok(None),
    }
}

/// Glyph widths by code: `/FirstChar` and `/Widths` of simple fonts, `/W` and `/DW` of a Type 0
/// font's descendant (9.7.4.3); ranges, never expanded, so a huge declared range costs nothing.
struct Widths {
    /// (first code, last code, widths: one for the range, or one per code).
    ranges: Vec<(u32, u32, Vec<f32>)>,
    default: f32,
}

impl Widths {
    /// A simple font without `/Widths` is one of the standard 14, measured by the characters its
    /// codes stand for.
    fn read(doc: &Document, font: &Dictionary, codes: &Codes<'_>) -> Widths {
        let array = |dict: &Dictionary, key: &[u8]| -> Vec<Object> {
            dict.get_deref(key, doc).and_then(Object::as_array).cloned().unwrap_or_default()
        };
        let number = |o: &Object| doc.dereference(o).ok().and_then(|(_, o)| o.as_float().ok());
        let descendant = font
            .get_deref(b"DescendantFonts", doc)
            .and_then(Object::as_array)
            .ok()
            .and_then(|a| doc.dereference(a.first()?).ok()?.1.as_dict().ok());
        let mut ranges = Vec::new();
        if let Some(cid) = descendant {
            let w = array(cid, b"W");
            let mut i = 0;
            while i + 1 < w.len() {
                let Some(first) = number(&w[i]).map(|n| n as u32) else { break };
                match doc.dereference(&w[i + 1]).map(|(_, o)| o) {
                    Ok(Object::Array(list)) => {
                        let widths: Vec<f32> = list.iter().map(|o| number(o).unwrap_or(DEFAULT_WIDTH)).collect();
                        let last = first.saturating_add(widths.len().saturating_sub(1) as u32);
                        ranges.push((first, last, widths));
                        i += 2;
                    }
                    _ => {
                        let (Some(last), Some(width)) = (number(&w[i + 1]), w.get(i + 2).and_then(number)) else {
                            break;
                        };
                        ranges.push((first, last as u32, vec![width]));
                        i += 3;
                    }
                }
            }
            let default = cid.get(b"DW").ok().and_then(number).unwrap_or(1000.0);
            ranges.sort_by_key(|r| r.0);
            return Widths { ranges, default };
        }
        let first = font.get(b"FirstChar").ok().and_then(number).unwrap_or(0.0) as u32;
        let widths: Vec<f32> = array(font, b"Widths").iter().map(|o| number(o).unwrap_or(DEFAULT_WIDTH)).collect();
        if !widths.is_empty() {
            ranges.push((first, first.saturating_add(widths.len() as u32 - 1), widths));
        } else if let Codes::Simple(encoding) = codes {
            let name = font.get(b"BaseFont").and_then(Object::as_name).unwrap_or(b"");
            let standard: Option<Vec<f32>> =
                (0..=255u8).map(|code| metrics::standard_width(name, encoding.first_char(code))).collect();
            ranges.extend(standard.map(|widths| (0, 255, widths)));
        }
        let missing = font
            .get_deref(b"FontDescriptor", doc)
            .and_then(Object::as_dict)
            .ok()
            .and_then(|d| d.get(b"MissingWidth").ok().and_then(number))
            .filter(|w| *w > 0.0);
        Widths { ranges, default: missing.unwrap_or(DEFAULT_WIDTH) }
    }

    fn of(&self, code: u32) -> f32 {
        let at = self.ranges.partition_point(|r| r.0 <= code);
        match at.checked_sub(1).map(|i| &self.ranges[i]) {
            Some((first, last, widths)) if code <= *last => {
                if widths.len() == 1 {
                    widths[0]
                } else {
                    widths.get((code - first) as usize).copied().unwrap_or(self.default)
                }
            }
            _ => self.default,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn placed(end: (f32, f32)) -> Placed {
        Placed { end, direction: (1.0, 0.0), size: 10.0 }
    }

    #[test]
    fn ligatures_become_their_letters() {
        assert_eq!(
            expand_ligatures("Con\u{FB01}dential \u{FB01}nal written warning"),
            "Confidential final written warning"
        );
        assert_eq!(expand_ligatures("o\u{FB03}ce \u{FB02}avor"), "office flavor");
    }

    #[test]
    fn gaps_become_nothing_spaces_tabs_or_lines() {
        assert_eq!(separator(&placed((100.0, 700.0)), (100.5, 700.0)), "", "kerning inside a word");
        assert_eq!(separator(&placed((100.0, 700.0)), (103.0, 700.0)), " ");
        assert_eq!(separator(&placed((100.0, 700.0)), (160.0, 700.0)), "\t");
        assert_eq!(separator(&placed((100.0, 700.0)), (50.0, 684.0)), "\n");
        assert_eq!(separator(&placed((100.0, 700.0)), (101.0, 701.0)), "", "a superscript stays on its line");
    }

    #[test]
    fn words_broken_at_a_line_end_are_joined() {
        assert!(hyphenated("elegant and efficient way of incrementally compiling lazily discov-", "ered alternative"));
        assert!(hyphenated("inter\u{AD}", "preter"));
        // A dash between numbers, a hyphen before a capital or a figure: not a broken word.
        assert!(!hyphenated("Tel. 0161 306-", "6000"));
        assert!(!hyphenated("Jean-", "Paul Sartre"));
        assert!(!hyphenated("pages 12 -", "ered"));
        assert!(!hyphenated("end of a line", "next line"));
    }

    #[test]
    fn content_is_cut_only_after_whole_operations() {
        let content =
            b"BT /F1 12 Tf 1 0 0 1 50 700 Tm [(a ] Tj) -250 (b)] TJ (c\\) Tj) Tj ET BI /W 2 /H 1 ID x Tj) EI Q";
        let ends: Vec<usize> = (0..content.len()).filter_map(|from| operation_boundary(content, from)).collect();
        let cuts: std::collections::BTreeSet<&str> =
            ends.iter().map(|&end| std::str::from_utf8(&content[..end]).unwrap().rsplit(' ').next().unwrap()).collect();
        assert_eq!(cuts.into_iter().collect::<Vec<_>>(), ["BT", "ET", "Q", "TJ", "Tf", "Tj", "Tm"]);
        let pieces: Vec<&[u8]> = ContentPieces { rest: content }.collect();
        assert_eq!(pieces.concat(), content);
    }

    #[test]
    fn matrices_compose_in_pdf_order() {
        let scale = Matrix { a: 2.0, d: 2.0, ..Matrix::IDENTITY };
        let moved = Matrix::translation(10.0, 5.0).times(&scale);
        assert_eq!(moved.apply(1.0, 1.0), (22.0, 12.0));
    }
}
