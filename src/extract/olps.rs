//! Document properties of compound files ([MS-OLEPS]): the `\u{5}SummaryInformation` and
//! `\u{5}DocumentSummaryInformation` streams every legacy Office document, and many others, carry.
//! Title, subject, keywords, comments, category, company and the user-defined properties are where
//! protective markings and sensitivity labels (`MSIP_Label_<id>_Name`) live.
//!
//! A property set stream ([MS-OLEPS] 2.21) names up to two property sets by FMTID and offset; each
//! set (2.20) lists (property id, offset) pairs. Only string values are kept, as `name: value`
//! lines like those of the OOXML `docProps` parts.

use encoding_rs::Encoding;

/// The largest property set stream read: a thumbnail may make one large, the strings come first.
const MAX_STREAM_BYTES: u64 = 1 << 20;

/// FMTID_SummaryInformation, F29F85E0-4FF9-1068-AB91-08002B27B3D9, as stored (2.25.1).
const SUMMARY: [u8; 16] =
    [0xE0, 0x85, 0x9F, 0xF2, 0xF9, 0x4F, 0x68, 0x10, 0xAB, 0x91, 0x08, 0x00, 0x2B, 0x27, 0xB3, 0xD9];
/// FMTID_DocSummaryInformation, D5CDD502-2E9C-101B-9397-08002B2CF9AE (2.25.2).
const DOC_SUMMARY: [u8; 16] =
    [0x02, 0xD5, 0xCD, 0xD5, 0x9C, 0x2E, 0x1B, 0x10, 0x93, 0x97, 0x08, 0x00, 0x2B, 0x2C, 0xF9, 0xAE];
/// FMTID_UserDefinedProperties, D5CDD505-2E9C-101B-9397-08002B2CF9AE (2.25.2).
const USER_DEFINED: [u8; 16] =
    [0x05, 0xD5, 0xCD, 0xD5, 0x9C, 0x2E, 0x1B, 0x10, 0x93, 0x97, 0x08, 0x00, 0x2B, 0x2C, 0xF9, 0xAE];

/// The string properties of the summary sets worth scanning, by id ([MS-OLEPS] 2.25.1, 2.25.2),
/// named as in the OOXML core and extended properties.
fn known_name(fmtid: &[u8; 16], id: u32) -> Option<&'static str> {
    match (*fmtid, id) {
        (SUMMARY, 2) => Some("title"),
        (SUMMARY, 3) => Some("subject"),
        (SUMMARY, 4) => Some("creator"),
        (SUMMARY, 5) => Some("keywords"),
        (SUMMARY, 6) => Some("description"),
        (SUMMARY, 8) => Some("lastModifiedBy"),
        (DOC_SUMMARY, 2) => Some("category"),
        (DOC_SUMMARY, 14) => Some("Manager"),
        (DOC_SUMMARY, 15) => Some("Company"),
        (DOC_SUMMARY, 27) => Some("contentStatus"),
        _ => None,
    }
}

/// Appends the string properties of both summary streams to `out`, one `name: value` per line.
pub(super) fn read<R: std::io::Read + std::io::Seek>(file: &mut cfb::CompoundFile<R>, out: &mut String) {
    for name in ["/\u{5}SummaryInformation", "/\u{5}DocumentSummaryInformation"] {
        if let Some(stream) = super::ole::stream_head(file, name, MAX_STREAM_BYTES) {
            properties(&stream, out);
        }
    }
}

fn u16_at(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes(b.get(at..at.checked_add(2)?)?.try_into().ok()?))
}

fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(b.get(at..at.checked_add(4)?)?.try_into().ok()?))
}

/// Appends the string properties of one property set stream (2.21: a 28-byte header, then an FMTID
/// and an offset per set).
fn properties(stream: &[u8], out: &mut String) {
    if u16_at(stream, 0) != Some(0xFFFE) {
        return;
    }
    let sets = u32_at(stream, 24).unwrap_or(0).min(2) as usize;
    for i in 0..sets {
        let at = 28 + i * 20;
        let (Some(fmtid), Some(offset)) = (stream.get(at..at + 16), u32_at(stream, at + 16)) else { return };
        let fmtid: [u8; 16] = fmtid.try_into().unwrap_or_default();
        if let Some(set) = stream.get(offset as usize..) {
            property_set(&fmtid, set, out);
        }
    }
}

/// One property set (2.20): size, count, then (id, offset) pairs relative to the set's start.
fn property_set(fmtid: &[u8; 16], set: &[u8], out: &mut String) {
    let size = u32_at(set, 0).map_or(0, |s| s as usize).min(set.len());
    let set = &set[..size];
    // Each pair takes 8 bytes: a count larger than the set can hold is cut to what it can.
    let count = u32_at(set, 4).map_or(0, |c| c as usize).min(set.len() / 8);
    let pairs: Vec<(u32, usize)> =
        (0..count).filter_map(|i| Some((u32_at(set, 8 + i * 8)?, u32_at(set, 12 + i * 8)? as usize))).collect();
    let encoding = pairs
        .iter()
        .find(|(id, _)| *id == 1)
        .and_then(|(_, at)| (u16_at(set, *at) == Some(2)).then(|| u16_at(set, at + 4)).flatten())
        .map_or(encoding_rs::WINDOWS_1252, code_page);
    let dictionary = if *fmtid == USER_DEFINED {
        pairs.iter().find(|(id, _)| *id == 0).map(|(_, at)| dictionary(set, *at, encoding)).unwrap_or_default()
    } else {
        Vec::new()
    };
    for (id, at) in pairs {
        let name = match known_name(fmtid, id) {
            Some(name) => name.to_string(),
            None => match dictionary.iter().find(|(d, _)| *d == id) {
                Some((_, name)) => name.clone(),
                None => continue,
            },
        };
        if let Some(value) = string_value(set, at, encoding).filter(|v| !v.trim().is_empty()) {
            out.push_str(&format!("{name}: {value}\n"));
        }
    }
}

/// The encoding of a property set's 8-bit strings, from its CodePage property (2.18.2; code page
/// numbers as Windows assigns them).
pub(super) fn code_page(cp: u16) -> &'static Encoding {
    match cp {
        1200 => encoding_rs::UTF_16LE,
        65001 => encoding_rs::UTF_8,
        932 => encoding_rs::SHIFT_JIS,
        936 => encoding_rs::GBK,
        949 => encoding_rs::EUC_KR,
        950 => encoding_rs::BIG5,
        10000 => encoding_rs::MACINTOSH,
        cp => Encoding::for_label(format!("windows-{cp}").as_bytes()).unwrap_or(encoding_rs::WINDOWS_1252),
    }
}

/// A VT_LPSTR (0x1E: byte count, bytes in the set's code page) or VT_LPWSTR (0x1F: character count,
/// UTF-16LE) value (2.15, 2.16), without its terminating NULs.
fn string_value(set: &[u8], at: usize, encoding: &'static Encoding) -> Option<String> {
    let (kind, count) = (u16_at(set, at)?, u32_at(set, at + 4)? as usize);
    let (bytes, encoding) = match kind {
        0x1E => (set.get(at + 8..(at + 8).checked_add(count)?)?, encoding),
        0x1F => (set.get(at + 8..(at + 8).checked_add(count.checked_mul(2)?)?)?, encoding_rs::UTF_16LE),
        _ => return None,
    };
    let (text, _) = encoding.decode_without_bom_handling(bytes);
    Some(text.trim_end_matches('\0').to_string())
}

/// The names of user-defined properties (2.17 Dictionary: count, then id, length and name; names
/// in UTF-16 are counted in characters and padded to 4 bytes).
fn dictionary(set: &[u8], at: usize, encoding: &'static Encoding) -> Vec<(u32, String)> {
    let wide = encoding == encoding_rs::UTF_16LE;
    let count = u32_at(set, at).unwrap_or(0) as usize;
    let mut entries = Vec::new();
    let mut pos = at + 4;
    for _ in 0..count.min(set.len() / 8) {
        let (Some(id), Some(len)) = (u32_at(set, pos), u32_at(set, pos + 4)) else { break };
        let bytes_len = if wide { len as usize * 2 } else { len as usize };
        let Some(name) = set.get(pos + 8..(pos + 8).saturating_add(bytes_len)) else { break };
        let (name, _) = encoding.decode_without_bom_handling(name);
        entries.push((id, name.trim_end_matches('\0').to_string()));
        pos += 8 + if wide { bytes_len.next_multiple_of(4) } else { bytes_len };
    }
    entries
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A property set stream holding one set of (id, typed value) properties.
    fn stream(fmtid: [u8; 16], props: &[(u32, Vec<u8>)]) -> Vec<u8> {
        let mut values = Vec::new();
        let mut pairs = Vec::new();
        let base = 8 + props.len() * 8;
        for (id, value) in props {
            pairs.extend_from_slice(&id.to_le_bytes());
            pairs.extend_from_slice(&((base + values.len()) as u32).to_le_bytes());
            values.extend_from_slice(value);
        }
        let mut set = ((8 + pairs.len() + values.len()) as u32).to_le_bytes().to_vec();
        set.extend_from_slice(&(props.len() as u32).to_le_bytes());
        set.extend(pairs);
        set.extend(values);
        let mut s = vec![0xFE, 0xFF, 0, 0, 0, 0, 0, 0];
        s.extend_from_slice(&[0; 16]);
        s.extend_from_slice(&1u32.to_le_bytes());
        s.extend_from_slice(&fmtid);
        s.extend_from_slice(&48u32.to_le_bytes());
        s.extend(set);
        s
    }

    fn typed(kind: u32, count: u32, bytes: &[u8]) -> Vec<u8> {
        let mut v = kind.to_le_bytes().to_vec();
        v.extend_from_slice(&count.to_le_bytes());
        v.extend_from_slice(bytes);
        v.resize(v.len().next_multiple_of(4), 0);
        v
    }

    #[test]
    fn summary_strings_are_named_in_their_code_page() {
        let title = typed(0x1E, 12, b"Caf\xe9 review\0");
        let keywords = typed(0x1E, 8, b"OFFICIAL");
        let code_page = vec![2, 0, 0, 0, 0xE4, 0x04, 0, 0];
        let s = stream(SUMMARY, &[(1, code_page), (2, title), (5, keywords), (9, typed(0x1E, 2, b"x\0"))]);
        let mut out = String::new();
        properties(&s, &mut out);
        assert_eq!(out, "title: Café review\nkeywords: OFFICIAL\n", "unknown ids are left out");
    }

    #[test]
    fn user_defined_properties_are_named_from_the_dictionary() {
        let name: Vec<u8> = "MSIP_Label_1_Name\0".encode_utf16().flat_map(u16::to_le_bytes).collect();
        let mut dict = 1u32.to_le_bytes().to_vec();
        dict.extend_from_slice(&2u32.to_le_bytes());
        dict.extend_from_slice(&18u32.to_le_bytes());
        dict.extend_from_slice(&name);
        let value: Vec<u8> = "Confidential\0".encode_utf16().flat_map(u16::to_le_bytes).collect();
        let code_page = vec![2, 0, 0, 0, 0xB0, 0x04, 0, 0];
        let s = stream(USER_DEFINED, &[(1, code_page), (0, dict), (2, typed(0x1F, 13, &value))]);
        let mut out = String::new();
        properties(&s, &mut out);
        assert_eq!(out, "MSIP_Label_1_Name: Confidential\n");
    }

    #[test]
    fn lengths_past_the_end_are_refused() {
        let s = stream(SUMMARY, &[(2, typed(0x1E, 0xFFFF_FFF0, b"abc"))]);
        let mut out = String::new();
        properties(&s, &mut out);
        assert_eq!(out, "");
        let mut cut = stream(SUMMARY, &[(2, typed(0x1E, 4, b"abc\0"))]);
        cut[60..64].copy_from_slice(&0xFFFFu32.to_le_bytes());
        properties(&cut, &mut out);
        assert_eq!(out, "", "a value's offset past the set");
        properties(&[0xFE, 0xFF], &mut out);
        assert_eq!(out, "");
    }
}
