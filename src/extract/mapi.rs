//! MAPI message properties, as Outlook `.msg` files ([MS-OXMSG]) and TNEF streams ([MS-OXTNEF])
//! both carry them: which properties hold the people, subject and body of a message
//! ([MS-OXPROPS] ids), how they become text, and compressed RTF ([MS-OXRTFCP]), the only body many
//! Outlook messages keep.

use super::markup;

/// PidTagBody: the plain-text body.
const BODY: u16 = 0x1000;
/// PidTagBodyHtml: the HTML body (binary or string).
const BODY_HTML: u16 = 0x1013;
/// PidTagRtfCompressed: the RTF body, compressed per [MS-OXRTFCP].
const RTF_COMPRESSED: u16 = 0x1009;
/// PidTagTransportMessageHeaders: the Internet headers of a received message, as written.
const TRANSPORT_HEADERS: u16 = 0x007D;

/// The label of a property that names a person or the subject ([MS-OXPROPS]).
fn label(id: u16) -> Option<&'static str> {
    Some(match id {
        0x0037 => "Subject",
        0x0042 | 0x0065 | 0x5D02 => "From",   // sent-representing name, address, SMTP
        0x0C1A | 0x0C1F | 0x5D01 => "Sender", // sender name, address, SMTP
        0x0E04 => "To",                       // display To
        0x0E03 => "Cc",                       // display Cc
        0x0E02 => "Bcc",                      // display Bcc
        0x3001 | 0x3003 | 0x39FE | 0x5FF6 => "Recipient", // display name, address, SMTP
        _ => return None,
    })
}

/// The text-bearing properties of one message, gathered from wherever its format keeps them.
#[derive(Debug, Default)]
pub(super) struct Message {
    lines: String,
    body: Option<String>,
    html: Option<Vec<u8>>,
    rtf: Option<Vec<u8>>,
}

impl Message {
    /// Takes a string property; properties not about people, subject or body are ignored.
    pub(super) fn add_text(&mut self, id: u16, value: &str) {
        let value = value.trim_end_matches('\0');
        if value.trim().is_empty() {
            return;
        }
        match id {
            BODY => self.body = Some(value.to_string()),
            BODY_HTML => self.html = Some(value.as_bytes().to_vec()),
            TRANSPORT_HEADERS => {
                self.lines.push_str(value);
                self.lines.push('\n');
            }
            _ => {
                if let Some(label) = label(id) {
                    self.lines.push_str(&format!("{label}: {value}\n"));
                }
            }
        }
    }

    /// Takes a binary property: the HTML or compressed RTF body.
    pub(super) fn add_binary(&mut self, id: u16, value: Vec<u8>) {
        match id {
            BODY_HTML => self.html = Some(value),
            RTF_COMPRESSED => self.rtf = Some(value),
            _ => {}
        }
    }

    /// True for the ids [`Message::add_binary`] keeps, so that a reader loads no other binary.
    pub(super) fn wants_binary(id: u16) -> bool {
        matches!(id, BODY_HTML | RTF_COMPRESSED)
    }

    /// The people and subject, then the body: plain text when the message has it, else the HTML
    /// as text, else the RTF (at most `max_rtf` bytes once decompressed) as text.
    pub(super) fn text(&self, max_rtf: u64) -> String {
        let mut text = self.lines.clone();
        if let Some(body) = &self.body {
            text.push_str(body);
        } else if let Some(html) = &self.html {
            text.push_str(&markup::markup_text(&String::from_utf8_lossy(html)));
        } else if let Some(rtf) = self.rtf.as_deref().and_then(|r| decompress_rtf(r, max_rtf).ok()) {
            text.push_str(&markup::rtf_text(&rtf));
        }
        text.push('\n');
        text
    }
}

/// Why compressed RTF could not be decompressed.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub(super) enum RtfError {
    /// Shorter than its 16-byte header, or COMPTYPE is neither "LZFu" nor "MELA".
    #[error("not compressed RTF")]
    NotCompressedRtf,
    /// A token runs past the end of the data.
    #[error("compressed RTF truncated")]
    Truncated,
}

/// The dictionary's initial contents ([MS-OXRTFCP] 2.1.2.1): 207 bytes.
const RTF_PREBUF: &[u8] = b"{\\rtf1\\ansi\\mac\\deff0\\deftab720{\\fonttbl;}{\\f0\\fnil \\froman \\fswiss \\fmodern \\fscript \\fdecor MS Sans SerifSymbolArialTimes New RomanCourier{\\colortbl\\red0\\green0\\blue0\r\n\\par \\pard\\plain\\f0\\fs20\\b\\i\\u\\tab\\tx";

/// Decompresses RTF per [MS-OXRTFCP] 2.2.1/2.2.3: a 16-byte header (COMPSIZE, RAWSIZE, COMPTYPE,
/// CRC), then runs of a control byte and eight tokens, each a literal byte or a big-endian
/// (12-bit offset, 4-bit length - 2) reference into a 4 KiB circular dictionary; a reference to the
/// write position ends the data. Output stops at RAWSIZE or `max` bytes, whichever is smaller.
pub(super) fn decompress_rtf(data: &[u8], max: u64) -> Result<Vec<u8>, RtfError> {
    let header = data.get(..16).ok_or(RtfError::NotCompressedRtf)?;
    let raw_size = u64::from(u32::from_le_bytes([header[4], header[5], header[6], header[7]]));
    let cap = usize::try_from(raw_size.min(max)).unwrap_or(usize::MAX);
    let body = &data[16..];
    match &header[8..12] {
        b"MELA" => return Ok(body[..body.len().min(cap)].to_vec()),
        b"LZFu" => {}
        _ => return Err(RtfError::NotCompressedRtf),
    }
    let mut dict = [0u8; 4096];
    dict[..RTF_PREBUF.len()].copy_from_slice(RTF_PREBUF);
    let mut write = RTF_PREBUF.len();
    let mut out = Vec::with_capacity(cap.min(body.len() * 8));
    let mut at = 0;
    while at < body.len() && out.len() < cap {
        let control = body[at];
        at += 1;
        for bit in 0..8 {
            if out.len() >= cap || at >= body.len() {
                break;
            }
            if control & (1 << bit) == 0 {
                out.push(body[at]);
                dict[write] = body[at];
                write = (write + 1) % 4096;
                at += 1;
                continue;
            }
            let pair = body.get(at..at + 2).ok_or(RtfError::Truncated)?;
            at += 2;
            let offset = (usize::from(pair[0]) << 4) | usize::from(pair[1] >> 4);
            if offset == write {
                return Ok(out);
            }
            for i in 0..usize::from(pair[1] & 0x0F) + 2 {
                let byte = dict[(offset + i) % 4096];
                out.push(byte);
                dict[write] = byte;
                write = (write + 1) % 4096;
            }
        }
    }
    out.truncate(cap);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_dictionary_prefix_is_207_bytes() {
        assert_eq!(RTF_PREBUF.len(), 207);
    }

    /// The worked example of [MS-OXRTFCP] 3.1.1: "{\rtf1\ansi\ansicpg1252\pard hello world}\r\n".
    #[test]
    fn the_specification_example_decompresses() {
        let compressed: [u8; 49] = [
            0x2d, 0x00, 0x00, 0x00, 0x2b, 0x00, 0x00, 0x00, 0x4c, 0x5a, 0x46, 0x75, 0xf1, 0xc5, 0xc7, 0xa7, 0x03, 0x00,
            0x0a, 0x00, 0x72, 0x63, 0x70, 0x67, 0x31, 0x32, 0x35, 0x42, 0x32, 0x0a, 0xf3, 0x20, 0x68, 0x65, 0x6c, 0x09,
            0x00, 0x20, 0x62, 0x77, 0x05, 0xb0, 0x6c, 0x64, 0x7d, 0x0a, 0x80, 0x0f, 0xa0,
        ];
        let out = decompress_rtf(&compressed, 1 << 20).unwrap();
        assert_eq!(out, b"{\\rtf1\\ansi\\ansicpg1252\\pard hello world}\r\n");
        assert_eq!(decompress_rtf(&compressed, 10).unwrap(), b"{\\rtf1\\ans", "output stops at the cap");
        assert_eq!(decompress_rtf(&compressed[..8], 100), Err(RtfError::NotCompressedRtf));
    }

    #[test]
    fn the_plain_body_wins_and_rtf_is_the_last_resort() {
        let mut m = Message::default();
        m.add_text(0x0037, "Review\0");
        m.add_text(0x39FE, "ann@example.ac.uk");
        m.add_text(0x0E04, "");
        let mut rtf = b"\0\0\0\0\x20\0\0\0MELA\0\0\0\0".to_vec();
        rtf.extend_from_slice(b"{\\rtf1 Call bob@example.ac.uk}");
        m.add_binary(RTF_COMPRESSED, rtf);
        assert_eq!(m.text(1 << 20).trim_end(), "Subject: Review\nRecipient: ann@example.ac.uk\nCall bob@example.ac.uk");
        m.add_text(BODY, "Plain body");
        assert!(m.text(1 << 20).ends_with("ac.uk\nPlain body\n"));
    }
}
