//! OLE2 compound files: encrypted OOXML packages, legacy Word/Excel/PowerPoint documents and
//! Outlook `.msg` messages.
//!
//! An encrypted `.docx`/`.xlsx`/`.pptx` is not a zip but a compound file holding `EncryptionInfo`
//! and `EncryptedPackage`. Legacy binary documents flag encryption in their first records (Word's
//! FIB, Excel's FILEPASS record, PowerPoint's CurrentUser token); unencrypted ones are read: Word
//! text by its piece table (`doc.rs`), PowerPoint text atoms (`ppt.rs`), Excel sheets record by
//! record (`xls.rs`), messages by their property streams (`msg.rs`). The summary properties of every
//! compound file come first (`olps.rs`): markings live there. Visio, Publisher, Works and
//! StarOffice files are recognised but their text is not read, and say so.

use std::io::{Read, Seek};
use std::path::Path;

use super::{doc, encryption, msg, olps, ppt, xls, Ctx, PartialReason};
use crate::extract::Encryption;

/// Reads a compound file. Returns the format name.
pub(super) fn read<R: Read + Seek>(
    reader: &mut R,
    member: Option<&str>,
    depth: u32,
    ctx: &mut Ctx<'_, '_>,
) -> &'static str {
    let Ok(mut file) = cfb::CompoundFile::open(reader) else {
        ctx.mark(PartialReason::UnreadablePart);
        return "ole";
    };
    if file.exists("/EncryptionInfo") && file.exists("/EncryptedPackage") {
        let info = stream_head(&mut file, "/EncryptionInfo", 64 << 10).unwrap_or_default();
        ctx.add_encryption(encryption::ooxml_encryption_info(&info));
        return "ooxml-encrypted";
    }
    let mut properties = String::new();
    olps::read(&mut file, &mut properties);
    ctx.emit(&properties, member);
    if file.exists("/WordDocument") {
        // FibBase: wIdent 0xA5EC at 0, flags at 0x0A: fEncrypted 0x0100, fObfuscated 0x8000.
        let fib = stream_head(&mut file, "/WordDocument", 32).unwrap_or_default();
        let flags = fib.get(10..12).map_or(0, |b| u16::from_le_bytes([b[0], b[1]]));
        if flags & 0x0100 != 0 {
            let note = if flags & 0x8000 != 0 { "XOR obfuscation" } else { "RC4" };
            ctx.add_encryption(Encryption::with("office-rc4", Some(false)).cipher(note));
        } else {
            doc::read(&mut file, member, ctx);
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
        } else {
            ppt::read(&mut file, member, ctx);
        }
        return "ppt";
    }
    if file.exists("/__properties_version1.0") {
        msg::read(&mut file, Path::new("/"), member, depth, ctx);
        return "msg";
    }
    // Documents whose text this reader does not extract: Visio drawings, Publisher publications,
    // Works word-processor files (`MatOST`; `MN0` in Works 3/4) and spreadsheets (`WksSSWorkBook`,
    // with no BIFF8 `Workbook` beside it), StarOffice 5 text and sheets.
    const UNREAD: [&str; 7] =
        ["/VisioDocument", "/Quill", "/MatOST", "/MN0", "/WksSSWorkBook", "/StarWriterDocument", "/StarCalcDocument"];
    if UNREAD.iter().any(|name| file.exists(name)) {
        ctx.mark(PartialReason::UnsupportedFormat);
    }
    "ole"
}

/// The first `max` bytes of a stream, or `None` when it is missing or unreadable.
pub(super) fn stream_head<R: Read + Seek>(
    file: &mut cfb::CompoundFile<R>,
    name: impl AsRef<Path>,
    max: u64,
) -> Option<Vec<u8>> {
    let mut bytes = Vec::new();
    file.open_stream(name).ok()?.take(max).read_to_end(&mut bytes).ok()?;
    Some(bytes)
}
