//! Deciding what a file is from its first bytes, never from its name.
//!
//! For now: binary or text, and for text which encoding (a byte-order mark, UTF-16 without a mark,
//! UTF-8, or the Windows-1252 fallback that legacy Windows tools write). Container formats (Office,
//! PDF, archives) will be recognised here too, so that a `.dat` that is really a `.docx` is read as one.

use encoding_rs::{Encoding, UTF_16BE, UTF_16LE, UTF_8, WINDOWS_1252};

/// What the first bytes say the content is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContentKind {
    /// Text in this encoding.
    Text(&'static Encoding),
    /// Not text: executables, images, compressed data.
    Binary,
}

/// Sniffs the start of a file (a few KiB is enough; more is fine).
pub fn sniff(head: &[u8]) -> ContentKind {
    if let Some((encoding, _)) = Encoding::for_bom(head) {
        return ContentKind::Text(encoding);
    }
    if let Some(encoding) = utf16_without_bom(head) {
        return ContentKind::Text(encoding);
    }
    if looks_binary(head) {
        return ContentKind::Binary;
    }
    if is_utf8_allowing_cut_tail(head) {
        ContentKind::Text(UTF_8)
    } else {
        ContentKind::Text(WINDOWS_1252)
    }
}

/// UTF-16 text without a byte-order mark has a NUL in every other byte for Latin text.
fn utf16_without_bom(head: &[u8]) -> Option<&'static Encoding> {
    let sample = &head[..head.len().min(4096) & !1];
    if sample.len() < 8 {
        return None;
    }
    let pairs = sample.len() / 2;
    let even_nuls = sample.iter().step_by(2).filter(|&&b| b == 0).count();
    let odd_nuls = sample.iter().skip(1).step_by(2).filter(|&&b| b == 0).count();
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

/// Binary content has NUL bytes, or many control characters that no text format uses.
fn looks_binary(head: &[u8]) -> bool {
    let sample = &head[..head.len().min(8192)];
    if sample.contains(&0) {
        return true;
    }
    let controls = sample.iter().filter(|&&b| b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r' | 0x0C | 0x1B)).count();
    controls * 100 > sample.len().max(1) * 5
}

/// Valid UTF-8, except that the sample may end inside a multi-byte character.
fn is_utf8_allowing_cut_tail(head: &[u8]) -> bool {
    match std::str::from_utf8(head) {
        Ok(_) => true,
        Err(e) => e.error_len().is_none() && head.len() - e.valid_up_to() < 4,
    }
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
    }

    #[test]
    fn binary_is_recognised_by_content() {
        assert_eq!(sniff(b"\x7fELF\x02\x01\x01\x00\x00\x00"), ContentKind::Binary);
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"), ContentKind::Binary);
        assert_eq!(sniff(&[1, 2, 3, 4, 5, 6, 7, 8, 65, 66]), ContentKind::Binary);
    }
}
