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

use std::io::{Read, Seek, SeekFrom};
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
    let Some(mut file) = open(reader) else {
        ctx.mark(PartialReason::UnreadablePart);
        return "ole";
    };
    let format = read_streams(&mut file, member, depth, ctx);
    if file.into_inner().read_padding {
        // A stream went on into sectors the file does not have.
        ctx.mark(PartialReason::Truncated);
    }
    format
}

/// Opens a compound file. Some writers leave the FAT covering sectors past the end of the file
/// (Apache POI's 47950_*.doc: one FAT sector of 128 entries for a 53-sector file), which cfb
/// refuses even when permissive; such a file is opened with at most one FAT sector's worth of
/// missing sectors read as zeros, and a stream that reaches into them makes it `truncated`.
fn open<R: Read + Seek>(reader: &mut R) -> Option<cfb::CompoundFile<Padded<&mut R>>> {
    let len = reader.seek(SeekFrom::End(0)).ok()?;
    let mut header = [0u8; 0x30];
    reader.rewind().ok()?;
    reader.read_exact(&mut header).ok()?;
    reader.rewind().ok()?;
    let sector = 1u64 << u16::from_le_bytes([header[0x1E], header[0x1F]]).clamp(7, 12);
    let fat_sectors = u64::from(u32::from_le_bytes(header[0x2C..0x30].try_into().ok()?));
    let covered = fat_sectors.checked_mul(sector / 4).and_then(|n| n.checked_add(1)?.checked_mul(sector));
    let padded = covered.filter(|&c| c > len && c - len <= sector * (sector / 4)).unwrap_or(len);
    match cfb::CompoundFile::open(Padded::new(reader, len, padded)) {
        Ok(file) => Some(file),
        Err(error) => {
            tracing::debug!(%error, "compound file refused");
            None
        }
    }
}

/// A reader that goes on past the end of `inner` with zeros up to `len`, and says whether anyone
/// read them.
struct Padded<R> {
    inner: R,
    real: u64,
    len: u64,
    at: u64,
    read_padding: bool,
}

impl<R> Padded<R> {
    fn new(inner: R, real: u64, len: u64) -> Self {
        Padded { inner, real, len, at: 0, read_padding: false }
    }
}

impl<R: Read + Seek> Read for Padded<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = if self.at < self.real {
            let want = buf.len().min(usize::try_from(self.real - self.at).unwrap_or(usize::MAX));
            self.inner.read(&mut buf[..want])?
        } else {
            let n = buf.len().min(usize::try_from(self.len.saturating_sub(self.at)).unwrap_or(usize::MAX));
            buf[..n].fill(0);
            self.read_padding |= n > 0;
            n
        };
        self.at += n as u64;
        Ok(n)
    }
}

impl<R: Read + Seek> Seek for Padded<R> {
    fn seek(&mut self, to: SeekFrom) -> std::io::Result<u64> {
        let at = match to {
            SeekFrom::Start(n) => Some(n),
            SeekFrom::End(d) => self.len.checked_add_signed(d),
            SeekFrom::Current(d) => self.at.checked_add_signed(d),
        }
        .ok_or_else(|| std::io::Error::new(std::io::ErrorKind::InvalidInput, "seek before the start"))?;
        self.inner.seek(SeekFrom::Start(at.min(self.real)))?;
        self.at = at;
        Ok(at)
    }
}

/// Reads the streams of an open compound file. Returns the format name.
fn read_streams<R: Read + Seek>(
    file: &mut cfb::CompoundFile<R>,
    member: Option<&str>,
    depth: u32,
    ctx: &mut Ctx<'_, '_>,
) -> &'static str {
    if file.exists("/EncryptionInfo") && file.exists("/EncryptedPackage") {
        let info = stream_head(file, "/EncryptionInfo", 64 << 10).unwrap_or_default();
        ctx.add_encryption(encryption::ooxml_encryption_info(&info));
        return "ooxml-encrypted";
    }
    let mut properties = String::new();
    olps::read(file, &mut properties);
    ctx.emit(&properties, member);
    if file.exists("/WordDocument") {
        // FibBase: wIdent 0xA5EC at 0, flags at 0x0A: fEncrypted 0x0100, fObfuscated 0x8000.
        let fib = stream_head(file, "/WordDocument", 32).unwrap_or_default();
        let flags = fib.get(10..12).map_or(0, |b| u16::from_le_bytes([b[0], b[1]]));
        if flags & 0x0100 != 0 {
            let note = if flags & 0x8000 != 0 { "XOR obfuscation" } else { "RC4" };
            ctx.add_encryption(Encryption::with("office-rc4", Some(false)).cipher(note));
        } else {
            doc::read(file, member, ctx);
        }
        return "doc";
    }
    for name in ["/Workbook", "/Book"] {
        if file.exists(name) {
            xls::read(file, name, member, ctx);
            return "xls";
        }
    }
    if file.exists("/PowerPoint Document") {
        // CurrentUserAtom: record header (8), size (4), headerToken (4): 0xF3D1C4DF when encrypted.
        let user = stream_head(file, "/Current User", 32).unwrap_or_default();
        if user.get(12..16) == Some(&0xF3D1_C4DFu32.to_le_bytes()[..]) {
            ctx.add_encryption(Encryption::with("office-rc4", Some(false)).cipher("RC4 CryptoAPI"));
        } else {
            ppt::read(file, member, ctx);
        }
        return "ppt";
    }
    if file.exists("/__properties_version1.0") {
        msg::read(file, Path::new("/"), member, depth, ctx);
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::extract::testing;
    use std::collections::BTreeSet;

    fn text_of(bytes: &[u8]) -> (String, BTreeSet<PartialReason>) {
        let (text, extracted) = testing::text_of(bytes, testing::limits());
        (text, extracted.partial)
    }

    #[test]
    fn a_fat_that_covers_sectors_past_the_end_is_read_and_a_stream_into_them_is_truncated() {
        // Apache POI's 47950_normal.doc (Apache-2.0): 53 sectors, a FAT of 128 entries.
        let poi = include_bytes!("../../tests/data/fixtures/poi-47950-fat-past-end.doc");
        let (text, partial) = text_of(poi);
        assert!(text.contains("This is a sample Word document"), "{text}");
        assert_eq!(partial, BTreeSet::new());
        // A compound file whose last sector, part of a stream, is missing.
        let v3 = cfb::Version::V3;
        let mut file = cfb::CompoundFile::create_with_version(v3, std::io::Cursor::new(Vec::new())).unwrap();
        let csv = "Name,Email\n".repeat(400);
        std::io::Write::write_all(&mut file.create_stream("/Data").unwrap(), csv.as_bytes()).unwrap();
        let mut bytes = file.into_inner().into_inner();
        bytes.truncate(bytes.len() - 512);
        let mut source = std::io::Cursor::new(&bytes);
        let mut cut = open(&mut source).unwrap();
        let read = stream_head(&mut cut, "/Data", 1 << 20).unwrap();
        assert_eq!(read.len(), csv.len());
        assert!(cut.into_inner().read_padding);
    }
}
