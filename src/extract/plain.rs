//! Plain text: decode a stream in any supported encoding into UTF-8 chunks of bounded size.
//!
//! Memory stays bounded whatever the file size: bytes are read in blocks, decoded incrementally
//! (a character split across two blocks is decoded once, correctly) and handed on in chunks of about
//! [`CHUNK_BYTES`]. Consecutive chunks overlap by `2 * OVERLAP_MARGIN` bytes; each chunk *owns* the
//! middle part, and the detector reports only matches starting in the owned part. A match or a
//! context word that straddles a boundary is therefore seen whole, and reported exactly once.

use std::io::Read;
use std::ops::{ControlFlow, Range};

use encoding_rs::{CoderResult, Encoding};

use super::{TableHeader, TextChunk};

/// Target size of a decoded chunk.
pub const CHUNK_BYTES: usize = 1 << 20;
/// Raw bytes read per block.
const READ_BLOCK: usize = 256 << 10;
/// Bytes of context kept either side of an owned region: longer than any match plus its context
/// window (300 bytes).
pub const OVERLAP_MARGIN: usize = 1024;

/// Decodes `reader` (whose first bytes, already read, are `head`) and passes chunks to `sink`.
/// Stops early if the sink says so. Returns the total bytes of text produced.
pub fn stream_text(
    head: &[u8],
    reader: &mut dyn Read,
    encoding: &'static Encoding,
    sink: &mut dyn FnMut(TextChunk<'_>) -> ControlFlow<()>,
) -> std::io::Result<u64> {
    let mut decoder = encoding.new_decoder_with_bom_removal();
    let mut text = String::with_capacity(CHUNK_BYTES + READ_BLOCK * 3 + OVERLAP_MARGIN * 2);
    let mut own_start = 0usize;
    let mut text_offset: u64 = 0;
    let mut block = vec![0u8; READ_BLOCK];
    let mut table: Option<TableHeader> = None;
    let mut pending: &[u8] = head;
    let mut finished = false;
    while !finished {
        if pending.is_empty() {
            let n = crate::fsutil::read_full(reader, &mut block)?;
            finished = n == 0;
            pending = &block[..n];
        }
        decode_into(&mut decoder, pending, &mut text, finished);
        pending = &[];
        if text.len() < CHUNK_BYTES && !finished {
            continue;
        }
        if text_offset == 0 && table.is_none() {
            table = TableHeader::from_first_line(text.as_bytes());
        }
        let owned_end = if finished { text.len() } else { floor_char_boundary(&text, text.len() - OVERLAP_MARGIN) };
        let chunk = TextChunk {
            text: text.as_bytes(),
            owned: own_start..owned_end,
            offset: text_offset,
            table: table.as_ref(),
        };
        if sink(chunk).is_break() {
            break;
        }
        if finished {
            break;
        }
        let keep_from = floor_char_boundary(&text, owned_end.saturating_sub(OVERLAP_MARGIN));
        text.drain(..keep_from);
        text_offset += keep_from as u64;
        own_start = owned_end - keep_from;
    }
    Ok(text_offset + text.len() as u64)
}

fn decode_into(decoder: &mut encoding_rs::Decoder, src: &[u8], text: &mut String, last: bool) {
    let mut src = src;
    loop {
        let needed = decoder.max_utf8_buffer_length(src.len()).unwrap_or(src.len() * 3 + 16);
        text.reserve(needed);
        let (result, read, _replaced) = decoder.decode_to_string(src, text, last);
        src = &src[read..];
        if result == CoderResult::InputEmpty {
            break;
        }
    }
}

fn floor_char_boundary(s: &str, mut i: usize) -> usize {
    i = i.min(s.len());
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// The owned region of a chunk in file-text coordinates; used by tests.
pub fn owned_in_file(chunk: &TextChunk<'_>) -> Range<u64> {
    chunk.offset + chunk.owned.start as u64..chunk.offset + chunk.owned.end as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chunks_of(data: &[u8], encoding: &'static Encoding) -> (Vec<Range<u64>>, String) {
        let mut regions = Vec::new();
        let mut owned_text = String::new();
        let split = data.len().min(4096);
        let (head, rest) = data.split_at(split);
        let mut reader = rest;
        stream_text(head, &mut reader, encoding, &mut |c| {
            regions.push(owned_in_file(&c));
            owned_text.push_str(std::str::from_utf8(&c.text[c.owned.clone()]).unwrap());
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
    fn windows_1252_becomes_utf8() {
        let (_, owned) = chunks_of(b"caf\xe9 \x93quoted\x94", encoding_rs::WINDOWS_1252);
        assert_eq!(owned, "café \u{201c}quoted\u{201d}");
    }
}
