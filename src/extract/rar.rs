//! RAR archives (RAR 1.3 to RAR 7, RAR 4 and RAR 5 headers alike) read with `rars`, a RAR reader in
//! safe Rust (its crates forbid `unsafe`), under the same caps as zip and 7-Zip members.
//!
//! The archive is held in memory up to `max_member_bytes`, as a PDF is; past that it is read as far
//! as it goes and marked `expanded_bytes`. An archive whose headers are encrypted (its names need
//! the password) or any of whose members is encrypted is reported as encrypted, from the headers
//! `rars` parses; encrypted members are not read. Each member goes through the member count,
//! declared-size and ratio checks before it is decoded, its output is kept up to the member cap
//! (`expanded_bytes` past it, as for zip members), and the time budget stops a member in the
//! middle. Not for: the other volumes of a multi-part set (a member split across volumes is
//! `truncated`), recovery records, archive comments.

use std::cell::RefCell;
use std::io::{Read, Write};
use std::rc::Rc;

use super::{member_path, read_member_bytes, Ctx, PartialReason};
use crate::extract::Encryption;

/// Reads a RAR archive (`rar5`: it has the RAR 5 signature).
pub(super) fn read<R: Read>(
    reader: &mut R,
    rar5: bool,
    member: Option<&str>,
    depth: u32,
    ctx: &mut Ctx<'_, '_>,
) -> &'static str {
    if depth + 1 > ctx.limits.max_depth {
        ctx.mark(PartialReason::NestingDepth);
        return "rar";
    }
    let cap = ctx.limits.max_member_bytes;
    let mut bytes = Vec::new();
    if let Err(e) = reader.take(cap).read_to_end(&mut bytes) {
        ctx.mark_read_error(&e);
    }
    if bytes.len() as u64 >= cap {
        ctx.mark(PartialReason::ExpandedBytes);
    }
    let options = rars::ArchiveReadOptions::new()
        .with_max_header_count(ctx.limits.max_members.saturating_mul(4).max(64))
        .with_max_header_bytes(cap)
        .with_rar50_dictionary_size_limit(MAX_DICTIONARY)
        .with_rar50_buffered_decode_limit(STREAMED_ABOVE);
    match rars::ArchiveReader::read_with_options(&bytes, options) {
        Ok(archive) => read_members(&archive, options, member, depth, ctx),
        Err(e) if e.kind() == rars::ErrorKind::PasswordRequired => {
            ctx.add_encryption(encrypted(rar5).note("file names encrypted"));
        }
        Err(e) if e.kind() == rars::ErrorKind::UnsupportedFormat => ctx.mark(PartialReason::UnsupportedFormat),
        Err(_) => ctx.mark_unopenable(member),
    }
    "rar"
}

/// Largest RAR 5 dictionary a member may declare: WinRAR's default is 32 MiB (4 MiB before RAR 5);
/// larger ones (up to 64 GiB in RAR 7) would cost a worker more memory than it has.
const MAX_DICTIONARY: u64 = 256 << 20;

/// RAR 5 members larger than this are decoded as a stream rather than whole in a buffer of rars'
/// own, so a member is not held twice (rars' buffer and the bytes kept for reading).
const STREAMED_ABOVE: u64 = 4 << 20;

/// The encryption RAR uses: AES-128 with a weak key derivation in RAR 3 and 4, AES-256 from RAR 5.
fn encrypted(rar5: bool) -> Encryption {
    if rar5 {
        Encryption::with("rar-aes256", Some(true)).cipher("AES-256")
    } else {
        Encryption::with("rar-legacy", Some(false))
    }
}

/// The member being written: its path, its bytes so far, and whether more came than were kept.
struct Pending {
    path: String,
    bytes: Rc<RefCell<Vec<u8>>>,
    capped: Rc<std::cell::Cell<bool>>,
}

fn read_members(
    archive: &rars::Archive,
    options: rars::ArchiveReadOptions<'_>,
    member: Option<&str>,
    depth: u32,
    ctx: &mut Ctx<'_, '_>,
) {
    let rar5 = archive.family() == rars::ArchiveFamily::Rar50Plus;
    let (started, budget) = (ctx.started, ctx.limits.time_budget);
    let mut pending: Option<Pending> = None;
    let mut read = 0u64;
    let ctx = RefCell::new(ctx);
    let finish = |pending: &mut Option<Pending>| {
        if let Some(done) = pending.take() {
            let bytes = done.bytes.take();
            let mut ctx = ctx.borrow_mut();
            if done.capped.get() {
                ctx.mark(PartialReason::ExpandedBytes);
            }
            // Kept within the member cap and the expansion budget as it was written.
            ctx.expanded += bytes.len() as u64;
            read_member_bytes(bytes, &done.path, depth + 1, &mut ctx);
        }
    };
    let result = archive.extract_with_control_and_errors(
        options,
        |m| {
            finish(&mut pending);
            let mut ctx = ctx.borrow_mut();
            let meta = &m.meta;
            if meta.is_directory || meta.is_redirection || meta.unpacked_size == 0 {
                return Ok(skip(m));
            }
            if meta.is_encrypted {
                ctx.add_encryption(encrypted(rar5));
                return Ok(skip(m));
            }
            if meta.is_split_before || meta.is_split_after {
                // Its other part is in another volume.
                ctx.mark(PartialReason::Truncated);
                return Ok(skip(m));
            }
            if !ctx.may_read_another_member(&mut read) {
                return Ok(rars::ExtractionDecision::Stop);
            }
            let small = meta.unpacked_size <= 1 << 20;
            if !small && meta.unpacked_size / meta.packed_size.max(1) > ctx.limits.max_ratio {
                ctx.mark(PartialReason::ExpansionRatio);
                // A solid archive's next members would need this one decoded: stop instead.
                return Ok(if m.is_solid() { rars::ExtractionDecision::Stop } else { skip(m) });
            }
            let name = m.decoded_name(None).map(|n| String::from_utf8_lossy(&n).into_owned()).unwrap_or_default();
            // What zip and 7-Zip members may expand to: the member cap, within the file's budget.
            let room = ctx.limits.max_expanded_bytes.saturating_sub(ctx.expanded).min(ctx.limits.max_member_bytes);
            let cap = usize::try_from(room.min(meta.unpacked_size)).unwrap_or(usize::MAX);
            let bytes = Rc::new(RefCell::new(Vec::with_capacity(cap)));
            let capped = Rc::new(std::cell::Cell::new(false));
            pending = Some(Pending {
                path: member_path(member, &name),
                bytes: Rc::clone(&bytes),
                capped: Rc::clone(&capped),
            });
            Ok(rars::ExtractionDecision::Extract(Box::new(Kept { bytes, cap, capped, started, budget })))
        },
        |_, _| Ok(rars::ExtractionErrorAction::Continue),
    );
    finish(&mut pending);
    let mut ctx = ctx.borrow_mut();
    let Err(e) = result else {
        return;
    };
    if e.kind() == rars::ErrorKind::PasswordRequired {
        return ctx.add_encryption(encrypted(rar5));
    }
    ctx.mark(match e.kind() {
        _ if started.elapsed() > budget => PartialReason::TimeBudget,
        rars::ErrorKind::ResourceLimit => PartialReason::ExpandedBytes,
        rars::ErrorKind::UnsupportedFormat | rars::ErrorKind::UnsupportedFeature => PartialReason::UnsupportedFormat,
        _ => PartialReason::UnreadablePart,
    });
}

/// Skips a member: a solid member must still be decoded for the members after it, so its output
/// goes nowhere.
fn skip(member: &rars::ArchiveMember) -> rars::ExtractionDecision {
    if member.is_solid() && !member.meta.is_directory {
        rars::ExtractionDecision::Extract(Box::new(std::io::sink()))
    } else {
        rars::ExtractionDecision::Skip
    }
}

/// A member's output, its first `cap` bytes kept for reading once the member is whole (the rest
/// decoded, for the checksum and a solid archive's next members, and dropped); writing fails once
/// the file's time budget is spent, which stops the extraction.
struct Kept {
    bytes: Rc<RefCell<Vec<u8>>>,
    cap: usize,
    capped: Rc<std::cell::Cell<bool>>,
    started: std::time::Instant,
    budget: std::time::Duration,
}

impl Write for Kept {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.started.elapsed() > self.budget {
            return Err(std::io::Error::other("time budget spent"));
        }
        let mut bytes = self.bytes.borrow_mut();
        let room = self.cap.saturating_sub(bytes.len());
        if buf.len() > room {
            self.capped.set(true);
        }
        bytes.extend_from_slice(&buf[..buf.len().min(room)]);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use crate::extract::{testing, PartialReason};

    #[test]
    fn a_member_is_kept_up_to_the_member_cap_and_said_to_be_cut() {
        // staff.csv (205 bytes) in RAR 5, written by RARLab's rar 7.01.
        let archive = include_bytes!("../../tests/data/fixtures/rar5.rar");
        let mut limits = testing::limits();
        let text_of = |limits| {
            let (text, extracted) = testing::text_of(archive, limits);
            (text, extracted.partial.into_iter().collect::<Vec<_>>())
        };
        let (whole, partial) = text_of(limits);
        assert_eq!((whole.len(), partial), (205, vec![]));
        // The file may expand to 100 bytes: the member's first 100 are read, and the cut is said.
        limits.max_expanded_bytes = 100;
        let (cut, partial) = text_of(limits);
        assert_eq!((cut.as_str(), partial), (&whole[..100], vec![PartialReason::ExpandedBytes]));
    }
}
