//! Outlook `.msg` messages ([MS-OXMSG]): a compound file whose storages hold the message's
//! properties, one stream per property (`__substg1.0_IIIITTTT`: property id, property type; 2.1.3),
//! a storage per recipient (`__recip_version1.0_#N`, 2.2.1) and per attachment
//! (`__attach_version1.0_#N`, 2.2.2). An attachment's bytes are its `PidTagAttachDataBinary` stream
//! (`37010102`); an attached message is a storage of the same shape (`3701000D`, 2.2.2.1), read
//! recursively.

use std::io::{Read, Seek};
use std::path::{Path, PathBuf};

use super::mapi::Message;
use super::{read_member, Ctx, PartialReason};

/// PT_UNICODE, PT_STRING8 and PT_BINARY property types ([MS-OXCDATA] 2.11.1).
const PT_UNICODE: u16 = 0x001F;
const PT_STRING8: u16 = 0x001E;
const PT_BINARY: u16 = 0x0102;

/// A stream or storage directly inside a storage.
struct Child {
    name: String,
    is_stream: bool,
    len: u64,
}

fn children<R: Read + Seek>(file: &cfb::CompoundFile<R>, storage: &Path) -> Vec<Child> {
    file.read_storage(storage)
        .map(|entries| {
            entries.map(|e| Child { name: e.name().to_string(), is_stream: e.is_stream(), len: e.len() }).collect()
        })
        .unwrap_or_default()
}

/// The (id, type) of a property stream's name.
fn property_tag(name: &str) -> Option<(u16, u16)> {
    let hex = name.strip_prefix("__substg1.0_")?;
    if hex.len() != 8 {
        return None;
    }
    Some((u16::from_str_radix(&hex[..4], 16).ok()?, u16::from_str_radix(&hex[4..], 16).ok()?))
}

/// Reads the message in `storage` (`/` for the file itself): its people, subject and body as the
/// text of `member`, then its attachments as members.
pub(super) fn read<R: Read + Seek>(
    file: &mut cfb::CompoundFile<R>,
    storage: &Path,
    member: Option<&str>,
    depth: u32,
    ctx: &mut Ctx<'_, '_>,
) {
    let mut message = Message::default();
    let entries = children(file, storage);
    add_properties(file, storage, &entries, &mut message, ctx);
    for recipient in entries.iter().filter(|e| !e.is_stream && e.name.starts_with("__recip_version1.0_")) {
        let path = storage.join(&recipient.name);
        let props = children(file, &path);
        add_properties(file, &path, &props, &mut message, ctx);
    }
    ctx.emit(&message.text(ctx.limits.max_member_bytes), member);
    for attachment in entries.iter().filter(|e| !e.is_stream && e.name.starts_with("__attach_version1.0_")) {
        if ctx.exhausted() {
            return;
        }
        read_attachment(file, &storage.join(&attachment.name), member, depth, ctx);
    }
}

/// Adds the string properties, and the binary bodies, of one storage to `message`. A property
/// larger than the member cap is not read.
fn add_properties<R: Read + Seek>(
    file: &mut cfb::CompoundFile<R>,
    storage: &Path,
    entries: &[Child],
    message: &mut Message,
    ctx: &mut Ctx<'_, '_>,
) {
    for entry in entries.iter().filter(|e| e.is_stream) {
        let Some((id, kind)) = property_tag(&entry.name) else { continue };
        let wanted = matches!(kind, PT_UNICODE | PT_STRING8) || (kind == PT_BINARY && Message::wants_binary(id));
        if !wanted {
            continue;
        }
        if entry.len > ctx.limits.max_member_bytes {
            ctx.mark(PartialReason::ExpandedBytes);
            continue;
        }
        let Some(raw) = super::ole::stream_head(file, storage.join(&entry.name), entry.len) else {
            ctx.mark(PartialReason::UnreadablePart);
            continue;
        };
        match kind {
            PT_UNICODE => message.add_text(id, &utf16(&raw)),
            PT_STRING8 => message.add_text(id, &encoding_rs::WINDOWS_1252.decode(&raw).0),
            _ => message.add_binary(id, raw),
        }
    }
}

fn utf16(raw: &[u8]) -> String {
    let units: Vec<u16> = raw.chunks_exact(2).map(|c| u16::from_le_bytes([c[0], c[1]])).collect();
    String::from_utf16_lossy(&units)
}

/// The name an attachment is listed under: its long file name, short file name or display name.
fn attachment_name<R: Read + Seek>(file: &mut cfb::CompoundFile<R>, storage: &Path) -> String {
    for id in ["3707", "3704", "3001"] {
        for (kind, wide) in [("001F", true), ("001E", false)] {
            let path = storage.join(format!("__substg1.0_{id}{kind}"));
            if let Some(raw) = super::ole::stream_head(file, &path, 4096) {
                let name = if wide { utf16(&raw) } else { encoding_rs::WINDOWS_1252.decode(&raw).0.into_owned() };
                let name = name.trim_end_matches('\0').trim();
                if !name.is_empty() {
                    return name.to_string();
                }
            }
        }
    }
    storage.file_name().map_or_else(String::new, |n| n.to_string_lossy().into_owned())
}

/// Reads one attachment: its bytes as a member of any format, or an attached message.
fn read_attachment<R: Read + Seek>(
    file: &mut cfb::CompoundFile<R>,
    storage: &Path,
    member: Option<&str>,
    depth: u32,
    ctx: &mut Ctx<'_, '_>,
) {
    let name = attachment_name(file, storage);
    let path = super::member_path(member, &name);
    let data = storage.join("__substg1.0_37010102");
    if let Ok(stream) = file.open_stream(&data) {
        let len = stream.len();
        read_member(stream, Some(len), &path, depth + 1, ctx);
        return;
    }
    let embedded: PathBuf = storage.join("__substg1.0_3701000D");
    // An attached message has its own property stream; other objects in 3701000D are OLE
    // embeddings (ATTACH_OLE) whose storage is not a file of its own.
    if file.is_stream(embedded.join("__properties_version1.0")) {
        if depth + 1 > ctx.limits.max_depth {
            ctx.mark(PartialReason::NestingDepth);
            return;
        }
        read(file, &embedded, Some(&path), depth + 1, ctx);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn property_stream_names_give_id_and_type() {
        assert_eq!(property_tag("__substg1.0_0037001F"), Some((0x0037, PT_UNICODE)));
        assert_eq!(property_tag("__substg1.0_10090102"), Some((0x1009, PT_BINARY)));
        assert_eq!(property_tag("__substg1.0_3701000D"), Some((0x3701, 0x000D)));
        assert_eq!(property_tag("__properties_version1.0"), None);
        assert_eq!(property_tag("__substg1.0_0037"), None);
    }
}
