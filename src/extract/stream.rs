//! Streamed archives: compressed files (gzip, xz, bzip2, Zstandard: one stream), tar and compressed
//! tarballs (members in order), and 7-Zip.
//!
//! Compressed streams and tar are read as streams, so a large `.tar.xz` is never held in memory
//! whole; each tar member is read (within the caps) and dispatched like any other content. A 7-Zip archive whose
//! content or names are encrypted (AES-256) is reported as such; otherwise its members are read,
//! block by block, with every method 7-Zip writes (LZMA, LZMA2, BZip2, Deflate, Deflate64, PPMd,
//! the BCJ and BCJ2 filters); a block with another method (Zstandard and the other codecs of the
//! 7-Zip ZS fork) is `unsupported_format` and the other blocks are still read.

use std::io::{Cursor, Read, Seek};

use flate2::read::MultiGzDecoder;

use super::sniff::Codec;
use super::{member_path, read_member, sniff, ContentKind, Ctx, PartialReason, SNIFF_BYTES};
use crate::extract::Encryption;

/// Reads compressed or tar content from the start of `reader`. Returns the format name.
pub(super) fn read<R: Read + Seek>(
    reader: &mut R,
    kind: ContentKind,
    member: Option<&str>,
    depth: u32,
    ctx: &mut Ctx<'_, '_>,
) -> &'static str {
    match kind {
        ContentKind::Compressed(codec) => read_compressed(reader, codec, member, depth, ctx),
        _ => {
            read_tar(reader, member, depth, ctx);
            "tar"
        }
    }
}

/// The decompressed stream of `codec` over `reader`. xz is decoded with at most 256 MiB of
/// dictionary (xz -9 uses 64 MiB), so a crafted header cannot make the decoder allocate more.
fn decoder<'r, R: Read + 'r>(reader: R, codec: Codec) -> std::io::Result<Box<dyn Read + 'r>> {
    Ok(match codec {
        Codec::Gzip => Box::new(MultiGzDecoder::new(reader)),
        Codec::Xz => Box::new(lzma_rust2::XzReader::new_mem_limit(reader, true, 256 << 10)),
        Codec::Bzip2 => Box::new(bzip2::read::MultiBzDecoder::new(reader)),
        Codec::Zstd => Box::new(zstd::stream::read::Decoder::new(reader)?),
    })
}

fn read_compressed<R: Read>(
    reader: &mut R,
    codec: Codec,
    member: Option<&str>,
    depth: u32,
    ctx: &mut Ctx<'_, '_>,
) -> &'static str {
    let (format, tarball) = codec.format_names();
    if depth + 1 > ctx.limits.max_depth {
        ctx.mark(PartialReason::NestingDepth);
        return format;
    }
    let budget = ctx.limits.max_expanded_bytes.saturating_sub(ctx.expanded);
    let mut inflated = match decoder(reader, codec) {
        Ok(decoder) => decoder.take(budget),
        Err(e) => {
            ctx.mark_read_error(&e);
            return format;
        }
    };
    let mut head = vec![0u8; SNIFF_BYTES.max(512)];
    let n = crate::fsutil::read_full(&mut inflated, &mut head).unwrap_or(0);
    head.truncate(n);
    let inner = sniff::sniff(&head);
    let name = member.map_or_else(|| format!("({format})"), |m| format!("{m}!/({format})"));
    match inner {
        ContentKind::Tar => {
            let mut chained = Cursor::new(head).chain(&mut inflated);
            read_tar(&mut chained, member, depth + 1, ctx);
            tarball
        }
        ContentKind::Text(_) => {
            // Text streams straight through: no need to hold it.
            ctx.stream(&head, &mut inflated, budget, inner, Some(&name));
            format
        }
        _ => {
            let chained = Cursor::new(head).chain(&mut inflated);
            read_member(chained, None, &name, depth + 1, ctx);
            format
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
/// plain members that are read, block by block, so that a block that cannot be read costs its own
/// members only.
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
    let (mut read, max_ratio) = (0u64, ctx.limits.max_ratio);
    for block in 0..archive.blocks.len() {
        let mut each = |name: &str, data: &mut dyn Read| {
            if !ctx.may_read_another_member(&mut read) {
                return false;
            }
            read_member(data, None, &member_path(member, name), depth + 1, ctx);
            true
        };
        let done = match seven_zip_block(reader, &archive, block, max_ratio, &mut each) {
            Ok(more) => more,
            Err(reason) => {
                ctx.mark(reason);
                true
            }
        };
        if !done {
            break;
        }
    }
    "7z"
}

/// Reads the members of one 7-Zip block (a solid run of members compressed together), handing each
/// to `each` in order. `Ok(false)` when `each` asked to stop; `Err` names why the block's members
/// were not all read.
fn seven_zip_block<R: Read + Seek>(
    reader: &mut R,
    archive: &sevenz_rust2::Archive,
    block: usize,
    max_ratio: u64,
    each: &mut dyn FnMut(&str, &mut dyn Read) -> bool,
) -> Result<bool, PartialReason> {
    let coders = &archive.blocks[block].coders;
    let packed =
        archive.stream_map.block_first_pack_stream_index().get(block).and_then(|&i| archive.pack_sizes().get(i));
    let unpacked = archive.blocks[block].get_unpack_size();
    // Declared sizes first: sevenz-rust2 never yields more than a block declares.
    if unpacked > 1 << 20 && unpacked / packed.copied().unwrap_or(0).max(1) > max_ratio {
        return Err(PartialReason::ExpansionRatio);
    }
    if coders.len() == 1 && coders[0].encoder_method_id() == sevenz_rust2::EncoderMethod::ID_DEFLATE64 {
        return deflate64_block(reader, archive, block, each);
    }
    let password = sevenz_rust2::Password::empty();
    let decoder = sevenz_rust2::BlockDecoder::new(1, block, archive, &password, reader);
    let result = decoder
        .for_each_entries(&mut |entry, data| Ok(entry.is_directory() || entry.size() == 0 || each(entry.name(), data)));
    result.map_err(|e| match e {
        sevenz_rust2::Error::UnsupportedCompressionMethod(_) => PartialReason::UnsupportedFormat,
        sevenz_rust2::Error::Io(e, _) if e.kind() == std::io::ErrorKind::UnexpectedEof => PartialReason::Truncated,
        _ => PartialReason::UnreadablePart,
    })
}

/// A block compressed with Deflate64 alone (7-Zip's `-m0=Deflate64`), which sevenz-rust2 has no
/// decoder for: its packed stream inflated by the `deflate64` crate (as zip members are), then cut
/// into its members by their declared sizes. A member the reader leaves unread is skipped by
/// inflating it, up to its declared size.
fn deflate64_block<R: Read + Seek>(
    reader: &mut R,
    archive: &sevenz_rust2::Archive,
    block: usize,
    each: &mut dyn FnMut(&str, &mut dyn Read) -> bool,
) -> Result<bool, PartialReason> {
    let first = archive.stream_map.block_first_pack_stream_index()[block];
    let sizes = archive.pack_sizes();
    let offset = sizes[..first]
        .iter()
        .try_fold(sevenz_rust2::SIGNATURE_HEADER_SIZE.saturating_add(archive.pack_pos()), |at, &n| at.checked_add(n))
        .ok_or(PartialReason::UnreadablePart)?;
    reader.seek(std::io::SeekFrom::Start(offset)).map_err(|_| PartialReason::Truncated)?;
    let mut inflated = deflate64::Deflate64Decoder::new(reader.take(sizes[first]));
    let members = archive.files.iter().zip(&archive.stream_map.file_block_index);
    for (entry, _) in members.filter(|(e, b)| **b == Some(block) && e.has_stream()) {
        let mut data = (&mut inflated).take(entry.size());
        let more = each(entry.name(), &mut data);
        std::io::copy(&mut data, &mut std::io::sink()).map_err(|e| match e.kind() {
            std::io::ErrorKind::UnexpectedEof => PartialReason::Truncated,
            _ => PartialReason::UnreadablePart,
        })?;
        if data.limit() > 0 {
            // The stream ended before the member's declared size.
            return Err(PartialReason::Truncated);
        }
        if !more {
            return Ok(false);
        }
    }
    Ok(true)
}

#[cfg(test)]
mod tests {
    use crate::extract::{testing, PartialReason};

    /// A .7z of one member compressed with Zstandard, as NanaZip and 7-Zip ZS write them (7-Zip
    /// itself does not), written by sevenz-rust2's writer.
    fn zstd_7z(text: &str) -> Vec<u8> {
        let mut writer = sevenz_rust2::ArchiveWriter::new(std::io::Cursor::new(Vec::new())).unwrap();
        writer.set_content_methods(vec![sevenz_rust2::EncoderConfiguration::new(sevenz_rust2::EncoderMethod::ZSTD)]);
        let entry = sevenz_rust2::ArchiveEntry::new_file("staff.csv");
        writer.push_archive_entry(entry, Some(text.as_bytes())).unwrap();
        writer.finish().unwrap().into_inner()
    }

    #[test]
    fn zstandard_7z_members_are_read() {
        let archive = zstd_7z("Name,Email\nAnn Smith,ann.smith@lboro.ac.uk\n");
        let (text, extracted) = testing::text_of(&archive, testing::limits());
        assert_eq!((extracted.format, extracted.partial.first()), ("7z", None::<&PartialReason>));
        assert_eq!(text, "Name,Email\nAnn Smith,ann.smith@lboro.ac.uk\n");
    }
}
