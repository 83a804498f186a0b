//! The spool: a bounded on-disk queue of encoded events for one network sink.
//!
//! Events are appended as lines to segment files (`00000000000000000001.seg`, ...) and removed
//! only when the sender commits a position after the receiver has them, so a receiver that is
//! down, a laptop that is offline, `kill -9` or a reboot loses nothing: the next process reads
//! on from the last committed position (`cursor`). A line cut short by a crash is dropped at
//! open (it was never committed as written). The spool holds at most `max_bytes`; a full spool
//! makes [`Spool::append`] wait, which slows scanning instead of dropping events. One process
//! at a time owns a spool directory (an exclusive lock on `lock`).
//!
//! Not here: what a line means (the sink encoded it) or how it is sent (`sender.rs`).

use std::collections::VecDeque;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::{Condvar, Mutex, MutexGuard};
use std::time::Duration;

use super::durable::{FsyncPolicy, Syncer};

/// A new segment file is started past this size.
const SEGMENT_BYTES: u64 = 8 << 20;

/// A place in the spool: a segment and a byte offset in it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Position {
    segment: u64,
    offset: u64,
}

/// Lines read from the spool, and the position after the last of them.
#[derive(Debug, Default)]
pub struct Batch {
    /// Encoded events, without their newlines.
    pub lines: Vec<Vec<u8>>,
    /// Where the next read starts.
    pub end: Option<Position>,
}

struct State {
    /// Segments on disk, oldest first, with their lengths (complete lines only).
    segments: VecDeque<(u64, u64)>,
    writer: File,
    syncer: Syncer,
    committed: Position,
    queued_events: u64,
    closed: bool,
}

/// A spool directory, opened and locked.
pub struct Spool {
    dir: PathBuf,
    max_bytes: u64,
    state: Mutex<State>,
    /// Signalled when lines are appended or the spool is closed.
    data: Condvar,
    /// Signalled when a commit frees space or the spool is closed.
    space: Condvar,
    _lock: File,
}

fn segment_path(dir: &Path, id: u64) -> PathBuf {
    dir.join(format!("{id:020}.seg"))
}

impl Spool {
    /// Opens (creating if needed) the spool in `dir`, recovering from a crash: cuts a partial last
    /// line and resumes at the committed cursor. Fails if another process holds the spool.
    pub fn open(dir: &Path, max_bytes: u64) -> io::Result<Spool> {
        fs::create_dir_all(dir)?;
        let lock = OpenOptions::new().create(true).truncate(false).write(true).open(dir.join("lock"))?;
        lock.try_lock().map_err(|_| {
            io::Error::new(
                io::ErrorKind::WouldBlock,
                format!("{} is in use by another dlp-scan process", dir.display()),
            )
        })?;
        let mut ids = segment_ids(dir)?;
        if ids.is_empty() {
            File::create(segment_path(dir, 1))?;
            ids.push(1);
        }
        let last = *ids.last().expect("at least one segment");
        cut_partial_line(&segment_path(dir, last))?;
        let committed =
            read_cursor(dir).filter(|c| ids.contains(&c.segment)).unwrap_or(Position { segment: ids[0], offset: 0 });
        let mut segments = VecDeque::new();
        let mut queued_events = 0;
        for id in ids {
            let path = segment_path(dir, id);
            if id < committed.segment {
                fs::remove_file(&path)?;
                continue;
            }
            let len = fs::metadata(&path)?.len();
            let from = if id == committed.segment { committed.offset.min(len) } else { 0 };
            queued_events += count_lines(&path, from)?;
            segments.push_back((id, len));
        }
        let writer = OpenOptions::new().append(true).open(segment_path(dir, last))?;
        let state = State {
            segments,
            writer,
            syncer: Syncer::new(FsyncPolicy::Interval),
            committed,
            queued_events,
            closed: false,
        };
        Ok(Spool {
            dir: dir.to_path_buf(),
            max_bytes,
            state: Mutex::new(state),
            data: Condvar::new(),
            space: Condvar::new(),
            _lock: lock,
        })
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Appends one encoded event (which must not contain a newline). Waits while the spool is
    /// full; `on_wait` is called each time it has waited `wait_report` without space.
    pub fn append(&self, line: &[u8], wait_report: Duration, on_wait: &dyn Fn()) -> io::Result<()> {
        let needed = line.len() as u64 + 1;
        let mut state = self.lock();
        while used_bytes(&state) + needed > self.max_bytes && !state.closed && used_bytes(&state) > 0 {
            let (next, timeout) =
                self.space.wait_timeout(state, wait_report).unwrap_or_else(std::sync::PoisonError::into_inner);
            state = next;
            if timeout.timed_out() {
                on_wait();
            }
        }
        let mut bytes = Vec::with_capacity(line.len() + 1);
        bytes.extend_from_slice(line);
        bytes.push(b'\n');
        state.writer.write_all(&bytes)?;
        let State { writer, syncer, .. } = &mut *state;
        syncer.wrote(writer)?;
        let last = state.segments.back_mut().expect("a segment to write to");
        last.1 += needed;
        if last.1 >= SEGMENT_BYTES {
            let next = last.0 + 1;
            let State { writer, syncer, .. } = &mut *state;
            syncer.sync_now(writer)?;
            state.writer = OpenOptions::new().create(true).append(true).open(segment_path(&self.dir, next))?;
            state.segments.push_back((next, 0));
        }
        state.queued_events += 1;
        drop(state);
        self.data.notify_all();
        Ok(())
    }

    /// Forces appended events to the disk if they have waited for the sync interval.
    pub fn tick(&self) -> io::Result<()> {
        let mut state = self.lock();
        let State { writer, syncer, .. } = &mut *state;
        syncer.tick(writer)
    }

    /// The committed position: where a new sender starts.
    pub fn committed(&self) -> Position {
        self.lock().committed
    }

    /// Events appended and not yet committed.
    pub fn queued_events(&self) -> u64 {
        self.lock().queued_events
    }

    /// Reads up to `max_lines` lines (and about `max_bytes`) from `from`. Waits up to `wait` for
    /// data when there is none.
    pub fn read(&self, from: Position, max_lines: usize, max_bytes: usize, wait: Duration) -> io::Result<Batch> {
        let mut state = self.lock();
        if !has_data_after(&state, from) && !state.closed {
            state = self.data.wait_timeout(state, wait).unwrap_or_else(std::sync::PoisonError::into_inner).0;
        }
        let segments: Vec<(u64, u64)> = state.segments.iter().copied().filter(|&(id, _)| id >= from.segment).collect();
        drop(state);
        let mut batch = Batch::default();
        let mut bytes_read = 0;
        let mut position = from;
        for (id, len) in segments {
            if id > position.segment {
                position = Position { segment: id, offset: 0 };
            }
            if position.offset >= len {
                continue;
            }
            let mut file = File::open(segment_path(&self.dir, id))?;
            file.seek(SeekFrom::Start(position.offset))?;
            let want = (len - position.offset).min((max_bytes - bytes_read).max(64 << 10) as u64);
            let mut buf = Vec::with_capacity(want as usize);
            file.take(want).read_to_end(&mut buf)?;
            let mut start = 0;
            while let Some(nl) = buf[start..].iter().position(|&b| b == b'\n') {
                batch.lines.push(buf[start..start + nl].to_vec());
                start += nl + 1;
                bytes_read += nl + 1;
                if batch.lines.len() >= max_lines || bytes_read >= max_bytes {
                    break;
                }
            }
            position.offset += start as u64;
            batch.end = Some(position);
            if batch.lines.len() >= max_lines || bytes_read >= max_bytes || position.offset < len {
                break;
            }
        }
        Ok(batch)
    }

    /// Records that everything before `to` (which holds `events` events counted from the last
    /// commit) has been delivered: saves the cursor, deletes consumed segments, frees space.
    pub fn commit(&self, to: Position, events: u64) -> io::Result<()> {
        let mut state = self.lock();
        if to <= state.committed {
            return Ok(());
        }
        write_cursor(&self.dir, to)?;
        state.committed = to;
        state.queued_events = state.queued_events.saturating_sub(events);
        while state.segments.len() > 1 && state.segments[0].0 < to.segment {
            let (id, _) = state.segments.pop_front().expect("checked");
            fs::remove_file(segment_path(&self.dir, id))?;
        }
        drop(state);
        self.space.notify_all();
        Ok(())
    }

    /// Wakes every waiting reader and writer for good (at shutdown).
    pub fn close(&self) {
        let mut state = self.lock();
        state.closed = true;
        let State { writer, syncer, .. } = &mut *state;
        let _ = syncer.sync_now(writer);
        drop(state);
        self.data.notify_all();
        self.space.notify_all();
    }
}

fn used_bytes(state: &State) -> u64 {
    let total: u64 = state.segments.iter().map(|&(_, len)| len).sum();
    total.saturating_sub(state.committed.offset)
}

fn has_data_after(state: &State, from: Position) -> bool {
    state.segments.iter().any(|&(id, len)| (id == from.segment && len > from.offset) || (id > from.segment && len > 0))
}

fn segment_ids(dir: &Path) -> io::Result<Vec<u64>> {
    let mut ids = Vec::new();
    for entry in fs::read_dir(dir)? {
        let name = entry?.file_name();
        let name = name.to_string_lossy();
        if let Some(id) = name.strip_suffix(".seg").and_then(|n| n.parse::<u64>().ok()) {
            ids.push(id);
        }
    }
    ids.sort_unstable();
    Ok(ids)
}

/// A crash can leave the last line half written; it was never acknowledged to anyone, so it goes.
fn cut_partial_line(path: &Path) -> io::Result<()> {
    let bytes = fs::read(path)?;
    let complete = bytes.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
    if complete < bytes.len() {
        OpenOptions::new().write(true).open(path)?.set_len(complete as u64)?;
    }
    Ok(())
}

fn count_lines(path: &Path, from: u64) -> io::Result<u64> {
    let mut file = File::open(path)?;
    file.seek(SeekFrom::Start(from))?;
    let mut buf = vec![0; 64 << 10];
    let mut lines = 0;
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            return Ok(lines);
        }
        lines += buf[..n].iter().filter(|&&b| b == b'\n').count() as u64;
    }
}

fn read_cursor(dir: &Path) -> Option<Position> {
    let text = fs::read_to_string(dir.join("cursor")).ok()?;
    let mut parts = text.split_whitespace();
    let segment = parts.next()?.parse().ok()?;
    let offset = parts.next()?.parse().ok()?;
    Some(Position { segment, offset })
}

/// Written to a temporary file and renamed over the old cursor, so a crash leaves one or the other.
fn write_cursor(dir: &Path, to: Position) -> io::Result<()> {
    let tmp = dir.join("cursor.tmp");
    fs::write(&tmp, format!("{} {}\n", to.segment, to.offset))?;
    fs::rename(&tmp, dir.join("cursor"))
}

#[cfg(test)]
mod tests {
    use super::*;

    const NO_WAIT: Duration = Duration::from_millis(1);

    fn read_all(spool: &Spool, from: Position) -> (Vec<String>, Option<Position>) {
        let batch = spool.read(from, usize::MAX, usize::MAX, NO_WAIT).unwrap();
        (batch.lines.iter().map(|l| String::from_utf8(l.clone()).unwrap()).collect(), batch.end)
    }

    #[test]
    fn events_survive_reopening_until_committed() {
        let dir = tempfile::tempdir().unwrap();
        let spool = Spool::open(dir.path(), 1 << 20).unwrap();
        for i in 0..5 {
            spool.append(format!("event {i}").as_bytes(), NO_WAIT, &|| {}).unwrap();
        }
        let batch = spool.read(spool.committed(), 2, usize::MAX, NO_WAIT).unwrap();
        assert_eq!(batch.lines.len(), 2);
        spool.commit(batch.end.unwrap(), 2).unwrap();
        drop(spool);
        let spool = Spool::open(dir.path(), 1 << 20).unwrap();
        assert_eq!(spool.queued_events(), 3);
        let (lines, _) = read_all(&spool, spool.committed());
        assert_eq!(lines, ["event 2", "event 3", "event 4"]);
    }

    #[test]
    fn a_half_written_line_is_dropped_at_open() {
        let dir = tempfile::tempdir().unwrap();
        let spool = Spool::open(dir.path(), 1 << 20).unwrap();
        spool.append(b"whole", NO_WAIT, &|| {}).unwrap();
        drop(spool);
        let seg = segment_path(dir.path(), 1);
        let mut f = OpenOptions::new().append(true).open(&seg).unwrap();
        f.write_all(b"half").unwrap();
        let spool = Spool::open(dir.path(), 1 << 20).unwrap();
        assert_eq!(read_all(&spool, spool.committed()).0, ["whole"]);
        spool.append(b"next", NO_WAIT, &|| {}).unwrap();
        assert_eq!(read_all(&spool, spool.committed()).0, ["whole", "next"]);
    }

    #[test]
    fn only_one_process_owns_a_spool() {
        let dir = tempfile::tempdir().unwrap();
        let _first = Spool::open(dir.path(), 1 << 20).unwrap();
        let err = Spool::open(dir.path(), 1 << 20).err().expect("second open must fail");
        assert_eq!(err.kind(), io::ErrorKind::WouldBlock);
    }

    #[test]
    fn a_full_spool_makes_the_writer_wait_until_a_commit() {
        let dir = tempfile::tempdir().unwrap();
        let spool = Spool::open(dir.path(), 20).unwrap();
        spool.append(b"0123456789", NO_WAIT, &|| {}).unwrap();
        let waited = std::sync::atomic::AtomicBool::new(false);
        std::thread::scope(|s| {
            s.spawn(|| {
                spool
                    .append(b"abcdefghij", Duration::from_millis(20), &|| {
                        waited.store(true, std::sync::atomic::Ordering::SeqCst)
                    })
                    .unwrap();
            });
            std::thread::sleep(Duration::from_millis(100));
            assert!(waited.load(std::sync::atomic::Ordering::SeqCst), "the writer is held while full");
            let batch = spool.read(spool.committed(), 1, usize::MAX, NO_WAIT).unwrap();
            spool.commit(batch.end.unwrap(), 1).unwrap();
        });
        assert_eq!(read_all(&spool, spool.committed()).0, ["abcdefghij"]);
    }

    #[test]
    fn segments_roll_over_and_consumed_ones_are_deleted() {
        let dir = tempfile::tempdir().unwrap();
        let spool = Spool::open(dir.path(), 64 << 20).unwrap();
        let line = vec![b'x'; 1 << 20];
        for _ in 0..10 {
            spool.append(&line, NO_WAIT, &|| {}).unwrap();
        }
        assert!(segment_ids(dir.path()).unwrap().len() >= 2);
        let mut pos = spool.committed();
        let mut seen = 0;
        loop {
            let batch = spool.read(pos, 3, usize::MAX, NO_WAIT).unwrap();
            if batch.lines.is_empty() {
                break;
            }
            seen += batch.lines.len();
            pos = batch.end.unwrap();
            spool.commit(pos, batch.lines.len() as u64).unwrap();
        }
        assert_eq!(seen, 10);
        assert_eq!(spool.queued_events(), 0);
        assert_eq!(segment_ids(dir.path()).unwrap().len(), 1, "consumed segments are removed");
    }
}
