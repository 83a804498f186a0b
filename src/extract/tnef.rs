//! TNEF streams ([MS-OXTNEF]): Outlook's `winmail.dat` (`application/ms-tnef`), which carries a
//! message's properties and its real attachments inside an Internet message.
//!
//! No maintained Rust crate reads TNEF: `tnef` (0.1, 2019) skips message properties and attached
//! messages, `ytnef` binds a C library. So this is a small reader of the layout in [MS-OXTNEF]
//! 2.1.3: a signature, a legacy key, then attributes (level, id, length, data, checksum). The
//! message's subject, body and people, and each attachment's name and bytes, are taken from the
//! attributes and from the MAPI property lists of `attMsgProps`, `attRecipTable` and
//! `attAttachment` (2.1.3.4). Attachments are read as members by the normal extractor; an attached
//! message (a TNEF stream of its own, 2.1.3.4.1) is read recursively under the nesting cap. Every
//! length is checked against the bytes that remain; checksums are not enforced, since a wrong one
//! does not make the content less worth scanning.

use encoding_rs::Encoding;

use super::mapi::Message;
use super::{read_member, Ctx, PartialReason};

/// The TNEF signature, 0x223E9F78 little-endian (2.1.3.1).
const SIGNATURE: [u8; 4] = [0x78, 0x9F, 0x3E, 0x22];

// Attribute ids, type in the high word (2.1.3.3).
const ATT_SUBJECT: u32 = 0x0001_8004;
const ATT_BODY: u32 = 0x0002_800C;
const ATT_MSG_PROPS: u32 = 0x0006_9003;
const ATT_RECIP_TABLE: u32 = 0x0006_9004;
const ATT_OEM_CODEPAGE: u32 = 0x0006_9007;
const ATT_ATTACH_REND_DATA: u32 = 0x0006_9002;
const ATT_ATTACH_TITLE: u32 = 0x0001_8010;
const ATT_ATTACH_DATA: u32 = 0x0006_800F;
const ATT_ATTACHMENT: u32 = 0x0006_9005;

// MAPI property ids and types ([MS-OXPROPS], [MS-OXCDATA] 2.11.1).
const PID_ATTACH_DATA: u16 = 0x3701;
const PID_ATTACH_FILENAME: u16 = 0x3704;
const PID_ATTACH_LONG_FILENAME: u16 = 0x3707;
const PT_STRING8: u16 = 0x001E;
const PT_UNICODE: u16 = 0x001F;
const PT_BINARY: u16 = 0x0102;
const PT_OBJECT: u16 = 0x000D;
/// IID_IMessage as stored at the start of a PT_OBJECT value: the rest is a TNEF stream.
const IID_IMESSAGE: [u8; 16] =
    [0x07, 0x03, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0xC0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x46];

/// One attachment: names as the stream gives them, and its bytes or an attached message.
#[derive(Debug, Default, PartialEq, Eq)]
struct Attachment<'a> {
    title: Option<String>,
    long_name: Option<String>,
    data: Option<&'a [u8]>,
    message: Option<&'a [u8]>,
}

impl Attachment<'_> {
    fn name(&self, index: usize) -> String {
        self.long_name.clone().or_else(|| self.title.clone()).unwrap_or_else(|| format!("attachment-{}", index + 1))
    }
}

/// What a TNEF stream holds.
#[derive(Debug, Default)]
struct Tnef<'a> {
    message: Message,
    attachments: Vec<Attachment<'a>>,
    /// An attribute or property list ran past the bytes available.
    truncated: bool,
}

/// A cursor over untrusted bytes: every read checks what remains.
struct Bytes<'a> {
    rest: &'a [u8],
}

impl<'a> Bytes<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        if n > self.rest.len() {
            return None;
        }
        let (head, tail) = self.rest.split_at(n);
        self.rest = tail;
        Some(head)
    }

    fn u32(&mut self) -> Option<u32> {
        Some(u32::from_le_bytes(self.take(4)?.try_into().ok()?))
    }

    /// `n` bytes, then the padding that aligns the next field on 4 bytes.
    fn padded(&mut self, n: usize) -> Option<&'a [u8]> {
        let value = self.take(n)?;
        self.take(n.next_multiple_of(4) - n)?;
        Some(value)
    }
}

/// Reads a TNEF stream held in memory: its message text as `member`, its attachments as members.
pub(super) fn read(bytes: &[u8], member: Option<&str>, depth: u32, ctx: &mut Ctx<'_, '_>) {
    let tnef = parse(bytes);
    if tnef.truncated {
        ctx.mark(PartialReason::UnreadablePart);
    }
    ctx.emit(&tnef.message.text(ctx.limits.max_member_bytes), member);
    for (i, attachment) in tnef.attachments.iter().enumerate() {
        if ctx.exhausted() {
            return;
        }
        let path = super::member_path(member, &attachment.name(i));
        if let Some(data) = attachment.data {
            read_member(data, None, &path, depth + 1, ctx);
        } else if let Some(message) = attachment.message {
            if depth + 1 > ctx.limits.max_depth {
                ctx.mark(PartialReason::NestingDepth);
                return;
            }
            read(message, Some(&path), depth + 1, ctx);
        }
    }
}

/// Parses the attributes of a stream (2.1.3.1: signature, key; then 2.1.3.2 attributes).
fn parse(bytes: &[u8]) -> Tnef<'_> {
    let mut tnef = Tnef::default();
    let mut input = Bytes { rest: bytes };
    if input.take(4) != Some(&SIGNATURE[..]) || input.take(2).is_none() {
        tnef.truncated = true;
        return tnef;
    }
    let mut encoding = encoding_rs::WINDOWS_1252;
    // A stream saved from a MIME part may end with the part's line break: no attribute, nothing lost.
    while !input.rest.iter().all(|b| matches!(b, b'\r' | b'\n' | b' ' | b'\t' | 0)) {
        let attribute = (|| {
            let level = input.take(1)?[0];
            let id = input.u32()?;
            let len = input.u32()? as usize;
            let data = input.take(len)?;
            input.take(2)?; // checksum
            Some((level, id, data))
        })();
        let Some((_level, id, data)) = attribute else {
            tnef.truncated = true;
            break;
        };
        tnef.truncated |= attribute_into(&mut tnef, id, data, &mut encoding).is_none();
    }
    tnef
}

/// Files one attribute's data; `None` when its property list is truncated.
fn attribute_into<'a>(tnef: &mut Tnef<'a>, id: u32, data: &'a [u8], encoding: &mut &'static Encoding) -> Option<()> {
    let string = |data: &[u8], encoding: &'static Encoding| encoding.decode(data).0.trim_end_matches('\0').to_string();
    match id {
        ATT_OEM_CODEPAGE => {
            let cp = u32::from_le_bytes(data.get(..4)?.try_into().ok()?);
            *encoding = super::olps::code_page(u16::try_from(cp).unwrap_or(1252));
        }
        ATT_SUBJECT => tnef.message.add_text(0x0037, &string(data, encoding)),
        ATT_BODY => tnef.message.add_text(0x1000, &string(data, encoding)),
        ATT_MSG_PROPS => {
            let message = &mut tnef.message;
            properties(&mut Bytes { rest: data }, encoding, &mut |id, kind, value| {
                file_message(message, id, kind, value)
            })?;
        }
        ATT_RECIP_TABLE => {
            let mut rows = Bytes { rest: data };
            for _ in 0..rows.u32()? {
                let message = &mut tnef.message;
                properties(&mut rows, encoding, &mut |id, kind, value| file_message(message, id, kind, value))?;
            }
        }
        ATT_ATTACH_REND_DATA => tnef.attachments.push(Attachment::default()),
        ATT_ATTACH_TITLE => current(tnef).title = Some(string(data, encoding)),
        ATT_ATTACH_DATA => current(tnef).data = Some(data),
        ATT_ATTACHMENT => {
            let attachment = current(tnef);
            properties(&mut Bytes { rest: data }, encoding, &mut |id, kind, value| {
                file_attachment(attachment, id, kind, value)
            })?;
        }
        _ => {}
    }
    Some(())
}

/// The attachment being described: the last one begun, or a first one when the stream starts with
/// its data rather than its attAttachRendData.
fn current<'t, 'a>(tnef: &'t mut Tnef<'a>) -> &'t mut Attachment<'a> {
    if tnef.attachments.is_empty() {
        tnef.attachments.push(Attachment::default());
    }
    let last = tnef.attachments.len() - 1;
    &mut tnef.attachments[last]
}

/// A message property: strings and the wanted binary bodies into the message.
fn file_message(message: &mut Message, id: u16, kind: u16, value: Value<'_>) {
    match value {
        Value::Text(text) => message.add_text(id, &text),
        Value::Bytes(bytes) if kind == PT_BINARY && Message::wants_binary(id) => message.add_binary(id, bytes.to_vec()),
        Value::Bytes(_) => {}
    }
}

/// An attachment property: its names, its bytes, or an attached message.
fn file_attachment<'a>(attachment: &mut Attachment<'a>, id: u16, kind: u16, value: Value<'a>) {
    match (id, value) {
        (PID_ATTACH_LONG_FILENAME, Value::Text(name)) => attachment.long_name = Some(name),
        (PID_ATTACH_FILENAME, Value::Text(name)) if attachment.title.is_none() => attachment.title = Some(name),
        (PID_ATTACH_DATA, Value::Bytes(bytes)) if kind == PT_BINARY && attachment.data.is_none() => {
            attachment.data = Some(bytes);
        }
        (PID_ATTACH_DATA, Value::Bytes(bytes)) if kind == PT_OBJECT => {
            if let Some(message) = bytes.strip_prefix(&IID_IMESSAGE[..]) {
                attachment.message = Some(message);
            }
        }
        _ => {}
    }
}

/// A property value worth keeping: decoded text, or raw bytes (binary and object values).
enum Value<'a> {
    Text(String),
    Bytes(&'a [u8]),
}

/// The size of a fixed-width property type's value as stored, padded to 4 bytes (2.1.3.4.1), or
/// `None` for a variable-width type.
fn fixed_size(kind: u16) -> Option<usize> {
    match kind {
        0x0002 | 0x0003 | 0x0004 | 0x000A | 0x000B => Some(4),
        0x0005 | 0x0006 | 0x0007 | 0x0014 | 0x0040 => Some(8),
        0x0048 => Some(16),
        _ => None,
    }
}

/// Walks one property list (2.1.3.4: a count, then tag, the name of a named property, and the
/// value or values), handing each string, binary or object value to `file`.
fn properties<'a>(
    input: &mut Bytes<'a>,
    encoding: &'static Encoding,
    file: &mut dyn FnMut(u16, u16, Value<'a>),
) -> Option<()> {
    for _ in 0..input.u32()? {
        let tag = input.u32()?;
        let (id, kind) = ((tag >> 16) as u16, (tag & 0xFFFF) as u16);
        if id >= 0x8000 {
            input.take(16)?; // the property set GUID
            if input.u32()? == 1 {
                let len = input.u32()? as usize;
                input.padded(len)?;
            } else {
                input.u32()?;
            }
        }
        let multi = kind & 0x1000 != 0;
        let base = kind & !0x1000;
        if let Some(size) = fixed_size(base) {
            let count = if multi { input.u32()? as usize } else { 1 };
            input.take(count.checked_mul(size)?)?;
            continue;
        }
        // Variable-width values (strings, binary, objects) are always counted, even when single.
        for _ in 0..input.u32()? {
            let len = input.u32()? as usize;
            let bytes = input.padded(len)?;
            let text = |e: &'static Encoding| e.decode_without_bom_handling(bytes).0.trim_end_matches('\0').to_string();
            let value = match base {
                PT_UNICODE => Value::Text(text(encoding_rs::UTF_16LE)),
                PT_STRING8 => Value::Text(text(encoding)),
                PT_BINARY | PT_OBJECT => Value::Bytes(bytes),
                // Other counted types (server ids, restrictions) hold no text.
                _ => continue,
            };
            file(id, base, value);
        }
    }
    Some(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One attribute as [MS-OXTNEF] 2.1.3.2 lays it out.
    fn attribute(level: u8, id: u32, data: &[u8]) -> Vec<u8> {
        let mut a = vec![level];
        a.extend_from_slice(&id.to_le_bytes());
        a.extend_from_slice(&(data.len() as u32).to_le_bytes());
        a.extend_from_slice(data);
        a.extend_from_slice(&(data.iter().map(|&b| u32::from(b)).sum::<u32>() as u16).to_le_bytes());
        a
    }

    /// A property list of variable-width values: (tag, value bytes).
    fn property_list(props: &[(u32, &[u8])]) -> Vec<u8> {
        let mut p = (props.len() as u32).to_le_bytes().to_vec();
        for (tag, value) in props {
            p.extend_from_slice(&tag.to_le_bytes());
            p.extend_from_slice(&1u32.to_le_bytes());
            p.extend_from_slice(&(value.len() as u32).to_le_bytes());
            p.extend_from_slice(value);
            p.resize(p.len().next_multiple_of(4), 0);
        }
        p
    }

    fn utf16(s: &str) -> Vec<u8> {
        s.encode_utf16().chain([0]).flat_map(u16::to_le_bytes).collect()
    }

    fn stream(attributes: &[Vec<u8>]) -> Vec<u8> {
        let mut s = SIGNATURE.to_vec();
        s.extend_from_slice(&[0x34, 0x12]);
        for a in attributes {
            s.extend_from_slice(a);
        }
        s
    }

    #[test]
    fn legacy_attributes_give_subject_body_and_attachment() {
        let s = stream(&[
            attribute(1, ATT_SUBJECT, b"Salary review\0"),
            attribute(1, ATT_BODY, b"See attached.\0"),
            attribute(2, ATT_ATTACH_REND_DATA, &[0; 14]),
            attribute(2, ATT_ATTACH_TITLE, b"SALARY~1.CSV\0"),
            attribute(2, ATT_ATTACH_DATA, b"Name,NI\n"),
        ]);
        let tnef = parse(&s);
        assert!(!tnef.truncated);
        assert_eq!(tnef.message.text(1 << 20), "Subject: Salary review\nSee attached.\n");
        assert_eq!(
            tnef.attachments,
            [Attachment { title: Some("SALARY~1.CSV".into()), data: Some(&b"Name,NI\n"[..]), ..Default::default() }]
        );
    }

    #[test]
    fn property_lists_give_people_long_names_and_attached_messages() {
        let mut named = 1u32.to_le_bytes().to_vec();
        // A named property (id 0x8005, PT_LONG) with a string name, to be skipped.
        named.extend_from_slice(&0x8005_0003u32.to_le_bytes());
        named.extend_from_slice(&[0xAB; 16]);
        named.extend_from_slice(&1u32.to_le_bytes());
        named.extend_from_slice(&6u32.to_le_bytes());
        named.extend_from_slice(b"x\0y\0\0\0\0\0");
        named.extend_from_slice(&7u32.to_le_bytes());
        let mut props = property_list(&[(0x0037_001F, &utf16("Budget"))]);
        props[..4].copy_from_slice(&2u32.to_le_bytes());
        props.extend_from_slice(&named[4..]);
        let mut recipients = 1u32.to_le_bytes().to_vec();
        recipients.extend(property_list(&[(0x3001_001E, b"Ann Smith\0"), (0x39FE_001F, &utf16("ann@example.ac.uk"))]));
        let inner = stream(&[attribute(1, ATT_SUBJECT, b"Inner\0")]);
        let mut object = IID_IMESSAGE.to_vec();
        object.extend_from_slice(&inner);
        let s = stream(&[
            attribute(1, ATT_MSG_PROPS, &props),
            attribute(1, ATT_RECIP_TABLE, &recipients),
            attribute(2, ATT_ATTACH_REND_DATA, &[0; 14]),
            attribute(2, ATT_ATTACHMENT, &property_list(&[(0x3707_001F, &utf16("budget 2027.xlsx"))])),
            attribute(2, ATT_ATTACH_DATA, b"PK"),
            attribute(2, ATT_ATTACH_REND_DATA, &[0; 14]),
            attribute(2, ATT_ATTACHMENT, &property_list(&[(0x3701_000D, &object)])),
        ]);
        let tnef = parse(&s);
        assert!(!tnef.truncated);
        assert_eq!(
            tnef.message.text(1 << 20),
            "Subject: Budget\nRecipient: Ann Smith\nRecipient: ann@example.ac.uk\n\n"
        );
        assert_eq!(tnef.attachments[0].name(0), "budget 2027.xlsx");
        assert_eq!(tnef.attachments[0].data, Some(&b"PK"[..]));
        assert_eq!(tnef.attachments[1].message, Some(&inner[..]));
        assert_eq!(tnef.attachments[1].name(1), "attachment-2");
    }

    #[test]
    fn lengths_past_the_end_are_refused() {
        let mut s = stream(&[attribute(1, ATT_SUBJECT, b"Kept\0"), attribute(2, ATT_ATTACH_DATA, b"abc")]);
        let at = s.len() - 2 - 3 - 4;
        s[at..at + 4].copy_from_slice(&u32::MAX.to_le_bytes());
        let tnef = parse(&s);
        assert!(tnef.truncated);
        assert_eq!(tnef.message.text(100), "Subject: Kept\n\n");
        assert!(tnef.attachments.is_empty());
        let mut huge = property_list(&[(0x0037_001F, &utf16("x"))]);
        huge[8..12].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(parse(&stream(&[attribute(1, ATT_MSG_PROPS, &huge)])).truncated);
        assert!(parse(b"not tnef").truncated);
    }

    #[test]
    fn a_line_break_after_the_last_attribute_is_no_truncation() {
        // As Apache POI's bug52400 winmail.dat files end: saved from a MIME part with its CRLF.
        let mut s = stream(&[attribute(1, ATT_SUBJECT, b"Kept\0")]);
        s.extend_from_slice(b"\r\n");
        assert!(!parse(&s).truncated);
        // Two bytes of a next attribute (its level and the first byte of its id) are a cut.
        s.truncate(s.len() - 2);
        s.extend_from_slice(&[1, 0x04]);
        assert!(parse(&s).truncated);
    }
}
