//! Plain text: decode a stream in any supported encoding into UTF-8 chunks of bounded size.
//!
//! Memory stays bounded whatever the file size: bytes are read in blocks, decoded incrementally
//! (a character split across two blocks is decoded once, correctly) and handed on in chunks of about
//! [`CHUNK_BYTES`]. Consecutive chunks overlap by `2 * OVERLAP_MARGIN` bytes; each chunk *owns* the
//! middle part, and the detector reports only matches starting in the owned part. A match or a
//! context word that straddles a boundary is therefore seen whole, and reported exactly once.

use std::io::Read;
use std::ops::ControlFlow;

use encoding_rs::{CoderResult, Encoding};

use super::{TableHeader, TextChunk};

/// Target size of a chunk of text.
pub const CHUNK_BYTES: usize = 1 << 20;
/// Raw bytes read per block.
const READ_BLOCK: usize = 256 << 10;
/// Bytes of context kept either side of an owned region: longer than any match plus its context
/// window (300 bytes).
pub const OVERLAP_MARGIN: usize = 1024;

/// Where chunks go; `Break` stops the producer (time budget, early exit).
pub type ChunkSink<'a> = dyn FnMut(TextChunk<'_>) -> ControlFlow<()> + 'a;

/// Streams `reader` (whose first bytes, already read, are `head`) as text into `sink`, chunk by
/// chunk. UTF-8 is passed through as read (the detectors work on bytes, so invalid sequences need
/// no repair); other encodings are decoded to UTF-8. Stops early if the sink says so. `size_hint`
/// (the file's size) keeps buffers small for small files, which are most files. Returns the total
/// bytes of text produced.
pub fn stream_text(
    head: &[u8],
    reader: &mut dyn Read,
    size_hint: u64,
    encoding: &'static Encoding,
    member: Option<&str>,
    sink: &mut ChunkSink<'_>,
) -> std::io::Result<u64> {
    let expected = usize::try_from(size_hint).unwrap_or(usize::MAX);
    let mut chunker = Chunker::new(expected, member);
    let block_len = expected.saturating_sub(head.len()).clamp(4096, READ_BLOCK);
    let mut decoder = (encoding != encoding_rs::UTF_8).then(|| encoding.new_decoder_with_bom_removal());
    let mut block = if decoder.is_some() { vec![0u8; block_len] } else { Vec::new() };
    match decoder.as_mut() {
        Some(d) => decode_into(d, head, &mut chunker.text, false),
        None => chunker.text.extend_from_slice(head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head)),
    }
    loop {
        let finished = match decoder.as_mut() {
            // A block that comes short met the end of the stream (both readers read until a read
            // gives nothing): no further read is asked to find the end again.
            // UTF-8 is read straight into the text buffer: no copy, no zero-filling.
            None => reader.take(block_len as u64).read_to_end(&mut chunker.text)? < block_len,
            Some(d) => {
                let n = crate::fsutil::read_full(reader, &mut block)?;
                let ended = n < block.len();
                decode_into(d, &block[..n], &mut chunker.text, ended);
                ended
            }
        };
        if chunker.emit_full_chunks(sink).is_break() {
            break;
        }
        if finished {
            let _ = chunker.finish(sink);
            break;
        }
    }
    Ok(chunker.produced())
}

/// Cuts a stream of UTF-8 text into overlapping chunks. Text is pushed in pieces of any size (a
/// document's paragraphs, a spreadsheet's rows); chunks of about [`CHUNK_BYTES`] come out.
pub struct Chunker<'m> {
    text: Vec<u8>,
    own_start: usize,
    offset: u64,
    table: Option<TableHeader>,
    member: Option<&'m str>,
}

impl<'m> Chunker<'m> {
    /// A chunker for about `expected` bytes of text from `member` (a path inside an archive).
    pub fn new(expected: usize, member: Option<&'m str>) -> Self {
        let capacity = expected.saturating_add(64).min(CHUNK_BYTES + READ_BLOCK * 3 + OVERLAP_MARGIN * 2);
        Chunker { text: Vec::with_capacity(capacity), own_start: 0, offset: 0, table: None, member }
    }

    /// Appends text, handing on full chunks.
    pub fn push(&mut self, utf8: &[u8], sink: &mut ChunkSink<'_>) -> ControlFlow<()> {
        self.text.extend_from_slice(utf8);
        self.emit_full_chunks(sink)
    }

    /// Hands on whatever is left.
    pub fn finish(&mut self, sink: &mut ChunkSink<'_>) -> ControlFlow<()> {
        if self.text.len() > self.own_start {
            self.emit(true, sink)?;
        }
        ControlFlow::Continue(())
    }

    /// Bytes of text pushed so far.
    pub fn produced(&self) -> u64 {
        self.offset + self.text.len() as u64
    }

    fn emit_full_chunks(&mut self, sink: &mut ChunkSink<'_>) -> ControlFlow<()> {
        while self.text.len() >= CHUNK_BYTES {
            self.emit(false, sink)?;
        }
        ControlFlow::Continue(())
    }

    /// Hands the buffer to the sink as one chunk, then keeps only the overlap for the next one.
    fn emit(&mut self, finished: bool, sink: &mut ChunkSink<'_>) -> ControlFlow<()> {
        normalise_spaces(&mut self.text, self.own_start);
        if self.offset == 0 && self.table.is_none() {
            self.table = TableHeader::find(&self.text);
        }
        let owned_end =
            if finished { self.text.len() } else { floor_char_boundary(&self.text, self.text.len() - OVERLAP_MARGIN) };
        let chunk = TextChunk {
            text: &self.text,
            owned: self.own_start..owned_end,
            offset: self.offset,
            table: self.table.as_ref(),
            member: self.member,
            last: finished,
        };
        sink(chunk)?;
        let keep_from = floor_char_boundary(&self.text, owned_end.saturating_sub(OVERLAP_MARGIN));
        self.text.drain(..keep_from);
        self.offset += keep_from as u64;
        self.own_start = owned_end - keep_from;
        ControlFlow::Continue(())
    }
}

/// Writes each typographic space that groups digits and letters (U+00A0 no-break, U+2007 figure,
/// U+2009 thin, U+202F narrow no-break space: Word, Excel and web pages put them in NI, NHS and
/// phone numbers) as an ASCII space, in `text[from..]`, so every detector's separators and context
/// words see one space (identifiers spec, section 0.1). The text shrinks by one or two bytes each;
/// offsets are in this normalised text (a finding's offset is in the extracted text, not the
/// file's bytes). A sequence cut at the end of the buffer is left for the next call.
pub fn normalise_spaces(text: &mut Vec<u8>, from: usize) {
    let mut read = from.min(text.len());
    let mut write = read;
    while let Some(hit) = memchr::memchr2(0xC2, 0xE2, &text[read..]).map(|i| read + i) {
        let width = match &text[hit..] {
            [0xC2, 0xA0, ..] => 2,
            [0xE2, 0x80, 0x87 | 0x89 | 0xAF, ..] => 3,
            _ => 0,
        };
        let kept = if width == 0 { hit + 1 } else { hit };
        text.copy_within(read..kept, write);
        write += kept - read;
        if width > 0 {
            text[write] = b' ';
            write += 1;
        }
        read = kept + width;
    }
    let end = text.len();
    text.copy_within(read..end, write);
    text.truncate(write + (end - read));
}

fn decode_into(decoder: &mut encoding_rs::Decoder, src: &[u8], text: &mut Vec<u8>, last: bool) {
    let mut src = src;
    loop {
        let needed = decoder.max_utf8_buffer_length(src.len()).unwrap_or(src.len() * 3 + 16);
        let filled = text.len();
        text.resize(filled + needed, 0);
        let (result, read, written, _replaced) = decoder.decode_to_utf8(src, &mut text[filled..], last);
        text.truncate(filled + written);
        src = &src[read..];
        if result == CoderResult::InputEmpty {
            break;
        }
    }
}

/// The largest index not after `i` that does not split a UTF-8 sequence.
fn floor_char_boundary(text: &[u8], i: usize) -> usize {
    let mut i = i.min(text.len());
    let floor = i.saturating_sub(3);
    while i > floor && i < text.len() && (text[i] & 0xC0) == 0x80 {
        i -= 1;
    }
    i
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ops::Range;

    /// The owned region of a chunk in file-text coordinates.
    fn owned_in_file(chunk: &TextChunk<'_>) -> Range<u64> {
        chunk.offset + chunk.owned.start as u64..chunk.offset + chunk.owned.end as u64
    }

    fn chunks_of(data: &[u8], encoding: &'static Encoding) -> (Vec<Range<u64>>, String) {
        let mut regions = Vec::new();
        let mut owned_text = String::new();
        let split = data.len().min(4096);
        let (head, rest) = data.split_at(split);
        let mut reader = rest;
        stream_text(head, &mut reader, data.len() as u64, encoding, None, &mut |c| {
            regions.push(owned_in_file(&c));
            owned_text
                .push_str(std::str::from_utf8(&c.text[c.owned.clone()]).expect("chunks split on char boundaries"));
            ControlFlow::Continue(())
        })
        .unwrap();
        (regions, owned_text)
    }

    #[test]
    fn owned_regions_tile_the_text_exactly() {
        let line = "Grüße, 名前: ąę — text line with some multi-byte characters\n";
        let text: String = line.repeat(3 * CHUNK_BYTES / line.len() + 17);
        let (regions, owned) = chunks_of(text.as_bytes(), encoding_rs::UTF_8);
        assert!(regions.len() >= 3, "expected several chunks, got {}", regions.len());
        for pair in regions.windows(2) {
            assert_eq!(pair[0].end, pair[1].start, "owned regions must touch without overlap");
        }
        assert_eq!(regions[0].start, 0);
        assert_eq!(owned, text, "owned parts, concatenated, must be the whole text");
    }

    #[test]
    fn utf16_is_decoded_across_block_boundaries() {
        let text = "Zażółć gęślą jaźń. ".repeat(READ_BLOCK / 10);
        let bytes: Vec<u8> = text.encode_utf16().flat_map(u16::to_le_bytes).collect();
        let (_, owned) = chunks_of(&bytes, encoding_rs::UTF_16LE);
        assert_eq!(owned, text);
    }

    #[test]
    fn typographic_spaces_become_ascii_spaces_and_other_text_stays() {
        let mut text = "NI\u{a0}RR\u{202f}39\u{2009}23\u{2007}32 A \u{2003}é€\u{a0}".as_bytes().to_vec();
        normalise_spaces(&mut text, 0);
        assert_eq!(String::from_utf8(text).unwrap(), "NI RR 39 23 32 A \u{2003}é€ ");
        let mut cut = b"ab\xC2\xA0cd\xE2\x80".to_vec();
        normalise_spaces(&mut cut, 3);
        assert_eq!(cut, b"ab\xC2\xA0cd\xE2\x80", "before `from` and a cut sequence stay");
    }

    #[test]
    fn windows_1252_becomes_utf8() {
        let (_, owned) = chunks_of(b"caf\xe9 \x93quoted\x94", encoding_rs::WINDOWS_1252);
        assert_eq!(owned, "café \u{201c}quoted\u{201d}");
    }
}
