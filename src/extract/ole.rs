//! OLE2 compound files: encrypted OOXML packages, legacy Word/Excel/PowerPoint encryption, and the
//! text of Outlook `.msg` messages.
//!
//! An encrypted `.docx`/`.xlsx`/`.pptx` is not a zip but a compound file holding `EncryptionInfo`
//! and `EncryptedPackage`. Legacy binary documents flag encryption in their first records (Word's
//! FIB, Excel's FILEPASS record, PowerPoint's CurrentUser token). Legacy `.xls` workbooks are read
//! record by record (`xls.rs`); the text of legacy `.doc` and `.ppt` files is not extracted (no maintained pure-Rust
//! reader for the Word piece table or PowerPoint's records); their encryption is.

use std::io::{Read, Seek};

use super::{encryption, read_member, xls, Ctx, PartialReason};
use crate::extract::Encryption;

/// Reads a compound file. Returns the format name.
pub(super) fn read<R: Read + Seek>(reader: &mut R, member: Option<&str>, ctx: &mut Ctx<'_, '_>) -> &'static str {
    let Ok(mut file) = cfb::CompoundFile::open(reader) else {
        ctx.mark(PartialReason::UnreadablePart);
        return "ole";
    };
    if file.exists("/EncryptionInfo") && file.exists("/EncryptedPackage") {
        let info = stream_head(&mut file, "/EncryptionInfo", 64 << 10).unwrap_or_default();
        ctx.add_encryption(encryption::ooxml_encryption_info(&info));
        return "ooxml-encrypted";
    }
    if file.exists("/WordDocument") {
        // FibBase: wIdent 0xA5EC at 0, flags at 0x0A: fEncrypted 0x0100, fObfuscated 0x8000.
        let fib = stream_head(&mut file, "/WordDocument", 32).unwrap_or_default();
        let flags = fib.get(10..12).map_or(0, |b| u16::from_le_bytes([b[0], b[1]]));
        if flags & 0x0100 != 0 {
            let note = if flags & 0x8000 != 0 { "XOR obfuscation" } else { "RC4" };
            ctx.add_encryption(Encryption::with("office-rc4", Some(false)).cipher(note));
        }
        return "doc";
    }
    for name in ["/Workbook", "/Book"] {
        if file.exists(name) {
            xls::read(&mut file, name, member, ctx);
            return "xls";
        }
    }
    if file.exists("/PowerPoint Document") {
        // CurrentUserAtom: record header (8), size (4), headerToken (4): 0xF3D1C4DF when encrypted.
        let user = stream_head(&mut file, "/Current User", 32).unwrap_or_default();
        if user.get(12..16) == Some(&0xF3D1_C4DFu32.to_le_bytes()[..]) {
            ctx.add_encryption(Encryption::with("office-rc4", Some(false)).cipher("RC4 CryptoAPI"));
        }
        return "ppt";
    }
    if file.exists("/__properties_version1.0") {
        read_message(&mut file, member, ctx);
        return "msg";
    }
    "ole"
}

fn stream_head<R: Read + Seek>(file: &mut cfb::CompoundFile<R>, name: &str, max: u64) -> Option<Vec<u8>> {
    let mut bytes = Vec::new();
    file.open_stream(name).ok()?.take(max).read_to_end(&mut bytes).ok()?;
    Some(bytes)
}

/// Subject, sender, recipients and body of an Outlook message, then its attachments as members.
fn read_message<R: Read + Seek>(file: &mut cfb::CompoundFile<R>, member: Option<&str>, ctx: &mut Ctx<'_, '_>) {
    let mut text = String::new();
    // Property ids: subject 0037, sender name 0C1A, display to 0E04, display cc 0E03, body 1000.
    for id in ["0037", "0C1A", "0E04", "0E03", "1000"] {
        if let Some(value) = message_property(file, "", id) {
            text.push_str(&value);
            text.push('\n');
        }
    }
    ctx.emit(&text, member);
    let attachments: Vec<String> = file
        .read_storage("/")
        .map(|entries| {
            entries.filter(|e| e.name().starts_with("__attach_version1.0_")).map(|e| e.name().to_string()).collect()
        })
        .unwrap_or_default();
    for storage in attachments {
        let name = message_property(file, &storage, "3707")
            .or_else(|| message_property(file, &storage, "3704"))
            .unwrap_or_else(|| storage.clone());
        let path = format!("/{storage}/__substg1.0_37010102");
        let Ok(stream) = file.open_stream(&path) else { continue };
        let size = stream.len();
        let member_name = match member {
            Some(m) => format!("{m}!/{name}"),
            None => name,
        };
        read_member(stream, Some(size), &member_name, 1, ctx);
    }
}

/// A string property (`001F` UTF-16, or `001E` 8-bit) of the message or of one attachment storage.
fn message_property<R: Read + Seek>(file: &mut cfb::CompoundFile<R>, storage: &str, id: &str) -> Option<String> {
    let prefix = if storage.is_empty() { String::new() } else { format!("/{storage}") };
    if let Some(raw) = stream_head(file, &format!("{prefix}/__substg1.0_{id}001F"), 4 << 20) {
        let units: Vec<u16> = raw.chunks_exact(2).map(|c| u16::from_le_bytes([c[0], c[1]])).collect();
        return Some(String::from_utf16_lossy(&units).trim_end_matches('\0').to_string());
    }
    let raw = stream_head(file, &format!("{prefix}/__substg1.0_{id}001E"), 4 << 20)?;
    let (text, _, _) = encoding_rs::WINDOWS_1252.decode(&raw);
    Some(text.trim_end_matches('\0').to_string())
}
