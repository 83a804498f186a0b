//! Streamed archives: gzip (one member), tar and tar.gz (members in order), and 7-Zip.
//!
//! gzip and tar are read as streams, so a large `.tar.gz` is never held in memory whole; each tar
//! member is read (within the caps) and dispatched like any other content. A 7-Zip archive whose
//! content or names are encrypted (AES-256) is reported as such; otherwise its members are read,
//! with every method 7-Zip writes (LZMA, LZMA2, BZip2, Deflate, PPMd and the BCJ filters); another
//! method (Deflate64, BCJ2) is `unsupported_format`.

use std::io::{Cursor, Read, Seek};

use flate2::read::MultiGzDecoder;

use super::{read_member, sniff, ContentKind, Ctx, PartialReason, SNIFF_BYTES};
use crate::extract::Encryption;

/// Reads gzip or tar content from the start of `reader`. Returns the format name.
pub(super) fn read<R: Read + Seek>(
    reader: &mut R,
    kind: ContentKind,
    member: Option<&str>,
    depth: u32,
    ctx: &mut Ctx<'_, '_>,
) -> &'static str {
    match kind {
        ContentKind::Tar => {
            read_tar(reader, member, depth, ctx);
            "tar"
        }
        _ => read_gzip(reader, member, depth, ctx),
    }
}

fn read_gzip<R: Read>(reader: &mut R, member: Option<&str>, depth: u32, ctx: &mut Ctx<'_, '_>) -> &'static str {
    if depth + 1 > ctx.limits.max_depth {
        ctx.mark(PartialReason::NestingDepth);
        return "gzip";
    }
    let budget = ctx.limits.max_expanded_bytes.saturating_sub(ctx.expanded);
    let mut inflated = MultiGzDecoder::new(reader).take(budget);
    let mut head = vec![0u8; SNIFF_BYTES.max(512)];
    let n = crate::fsutil::read_full(&mut inflated, &mut head).unwrap_or(0);
    head.truncate(n);
    let inner = sniff::sniff(&head);
    let name = member.map_or_else(|| "(gzip)".to_string(), |m| format!("{m}!/(gzip)"));
    match inner {
        ContentKind::Tar => {
            let mut chained = Cursor::new(head).chain(&mut inflated);
            read_tar(&mut chained, member, depth + 1, ctx);
            "tar.gz"
        }
        ContentKind::Text(_) => {
            // Text streams straight through: no need to hold it.
            ctx.stream(&head, &mut inflated, budget, inner, Some(&name));
            "gzip"
        }
        _ => {
            let chained = Cursor::new(head).chain(&mut inflated);
            read_member(chained, None, &name, depth + 1, ctx);
            "gzip"
        }
    }
}

fn read_tar(reader: &mut dyn Read, member: Option<&str>, depth: u32, ctx: &mut Ctx<'_, '_>) {
    let mut archive = tar::Archive::new(reader);
    let Ok(entries) = archive.entries() else {
        ctx.mark(PartialReason::UnreadablePart);
        return;
    };
    let mut read = 0u64;
    for entry in entries {
        let entry = match entry {
            Ok(entry) => entry,
            Err(e) => {
                ctx.mark_read_error(&e);
                break;
            }
        };
        if !entry.header().entry_type().is_file() || entry.size() == 0 {
            continue;
        }
        if !ctx.may_read_another_member(&mut read) {
            break;
        }
        let name = entry.path().map(|p| p.to_string_lossy().into_owned()).unwrap_or_default();
        let path = member.map_or_else(|| name.clone(), |m| format!("{m}!/{name}"));
        // Tar stores members uncompressed: the ratio check does not apply.
        read_member(entry, None, &path, depth + 1, ctx);
    }
}

/// A 7-Zip archive: AES-encrypted names (the header needs the password), AES-encrypted content, or
/// plain members that are read.
pub(super) fn seven_zip<R: Read + Seek>(
    reader: &mut R,
    member: Option<&str>,
    depth: u32,
    ctx: &mut Ctx<'_, '_>,
) -> &'static str {
    let password = sevenz_rust2::Password::empty();
    let archive = match sevenz_rust2::Archive::read(reader, &password) {
        Ok(archive) => archive,
        Err(sevenz_rust2::Error::PasswordRequired | sevenz_rust2::Error::MaybeBadPassword(_)) => {
            ctx.add_encryption(
                Encryption::with("7z-aes256", Some(true)).cipher("AES-256").note("file names encrypted"),
            );
            return "7z";
        }
        Err(_) => {
            ctx.mark_unopenable(member);
            return "7z";
        }
    };
    if (0..archive.files.len()).any(|i| archive.is_file_encrypted(i)) {
        ctx.add_encryption(Encryption::with("7z-aes256", Some(true)).cipher("AES-256").note("file names visible"));
        return "7z";
    }
    if depth + 1 > ctx.limits.max_depth {
        ctx.mark(PartialReason::NestingDepth);
        return "7z";
    }
    if reader.rewind().is_err() {
        return "7z";
    }
    let Ok(mut entries) = sevenz_rust2::ArchiveReader::new(reader, password) else {
        ctx.mark_unopenable(member);
        return "7z";
    };
    let mut read = 0u64;
    let result = entries.for_each_entries(|entry, data| {
        if entry.is_directory() || entry.size() == 0 {
            return Ok(true);
        }
        if !ctx.may_read_another_member(&mut read) {
            return Ok(false);
        }
        let path = member.map_or_else(|| entry.name().to_string(), |m| format!("{m}!/{}", entry.name()));
        read_member(data, None, &path, depth + 1, ctx);
        Ok(true)
    });
    match result {
        Ok(()) => {}
        Err(sevenz_rust2::Error::UnsupportedCompressionMethod(_)) => ctx.mark(PartialReason::UnsupportedFormat),
        Err(sevenz_rust2::Error::Io(e, _)) => ctx.mark_read_error(&e),
        Err(_) => ctx.mark(PartialReason::UnreadablePart),
    }
    "7z"
}
