//! The spool: a bounded on-disk queue of encoded events for one network sink.
//!
//! Events are appended as lines to segment files (`00000000000000000001.seg`, ...) and removed
//! only when the sender commits a position after the receiver has them, so a receiver that is
//! down for a while, a laptop that is offline, `kill -9` or a reboot loses nothing: the next
//! process reads on from the last committed position (`cursor`). A line cut short by a crash is
//! dropped at open (it was never committed as written).
//!
//! The spool holds at most `max_bytes` and [`Spool::append`] never waits: a full spool follows
//! its [`SpoolFull`] policy (drop the oldest events by moving the committed position past them,
//! or drop the new event) and says how many events it dropped, so that a receiver that stays
//! down can never stop the scan, the local sinks or the agent's heartbeat. A failed write (a
//! full disk) is cut back to the last whole line and the event is reported lost; the next append
//! and commit work as soon as there is space again. One process at a time owns a spool
//! directory (an exclusive lock on `lock`); everything in it is private to its owner (0600/0700).
//!
//! Not here: what a line means (the sink encoded it) or how it is sent (`sender.rs`).

use std::collections::VecDeque;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::{Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use serde::Deserialize;

use super::durable::{FsyncPolicy, LineFile};
use crate::private::{self, DIR_MODE, FILE_MODE};

/// A new segment file is started past this size (or a quarter of the spool, if smaller, so that
/// dropping and committing free disk space in steps of that size).
const SEGMENT_BYTES: u64 = 8 << 20;

/// What a full spool does with a new event (`[delivery] spool_full`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SpoolFull {
    /// Make room by dropping the oldest undelivered events (the default, in `config/default.toml`:
    /// the newest say most about the laptop now).
    DropOldest,
    /// Keep what is spooled and drop the new event.
    DropNewest,
}

impl SpoolFull {
    /// The configuration name.
    pub fn as_str(self) -> &'static str {
        match self {
            SpoolFull::DropOldest => "drop_oldest",
            SpoolFull::DropNewest => "drop_newest",
        }
    }
}

/// What [`Spool::append`] did with an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Appended {
    /// The event is spooled; `dropped` older events were dropped to make room for it.
    Queued {
        /// Events dropped (0 while the spool has room).
        dropped: u64,
    },
    /// The spool was full under `drop_newest`: the event was dropped.
    Dropped,
}

impl Appended {
    /// Events this append lost: older ones, or the new one.
    pub fn dropped(self) -> u64 {
        match self {
            Appended::Queued { dropped } => dropped,
            Appended::Dropped => 1,
        }
    }
}

/// A place in the spool: a segment, a byte offset in it, and a line number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Position {
    segment: u64,
    offset: u64,
    /// Lines before this position, counted from the committed position at open (not saved):
    /// what makes event counts exact when a drop moves the committed position under the sender.
    line: u64,
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
    /// The last segment.
    writer: LineFile,
    committed: Position,
    /// The line number after the last appended line.
    end_line: u64,
    closed: bool,
}

/// A spool directory, opened and locked.
pub struct Spool {
    dir: PathBuf,
    max_bytes: u64,
    segment_bytes: u64,
    when_full: SpoolFull,
    state: Mutex<State>,
    /// Signalled when lines are appended or the spool is closed.
    data: Condvar,
    _lock: File,
}

fn segment_path(dir: &Path, id: u64) -> PathBuf {
    dir.join(format!("{id:020}.seg"))
}

fn open_segment(dir: &Path, id: u64) -> io::Result<File> {
    private::open_append(&segment_path(dir, id), FILE_MODE)
}

impl Spool {
    /// Opens (creating if needed) the spool in `dir`, holding at most `max_bytes` of events and
    /// applying `when_full` past that. Recovers from a crash: cuts a partial last line and
    /// resumes at the committed cursor. Fails if another process holds the spool.
    pub fn open(dir: &Path, max_bytes: u64, when_full: SpoolFull) -> io::Result<Spool> {
        private::own_dir(dir, DIR_MODE)?;
        let lock = private::open_with(
            OpenOptions::new().create(true).truncate(false).write(true),
            &dir.join("lock"),
            FILE_MODE,
        )?;
        lock.try_lock().map_err(|_| {
            io::Error::new(
                io::ErrorKind::WouldBlock,
                format!("{} is in use by another dlp-scan process", dir.display()),
            )
        })?;
        let mut ids = segment_ids(dir)?;
        if ids.is_empty() {
            open_segment(dir, 1)?;
            ids.push(1);
        }
        let last = *ids.last().expect("at least one segment");
        cut_partial_line(&segment_path(dir, last))?;
        let committed = read_cursor(dir).filter(|c| ids.contains(&c.segment)).unwrap_or(Position {
            segment: ids[0],
            offset: 0,
            line: 0,
        });
        let mut segments = VecDeque::new();
        let mut end_line = 0;
        for id in ids {
            let path = segment_path(dir, id);
            if id < committed.segment {
                fs::remove_file(&path)?;
                continue;
            }
            let file = private::open_with(OpenOptions::new().read(true), &path, FILE_MODE)?;
            let len = file.metadata()?.len();
            let from = if id == committed.segment { committed.offset.min(len) } else { 0 };
            end_line += count_lines(file, from)?;
            segments.push_back((id, len));
        }
        let (_, last_len) = *segments.back().expect("the last segment is never before the cursor");
        let writer = LineFile::new(open_segment(dir, last)?, last_len, FsyncPolicy::Interval);
        let state = State { segments, writer, committed, end_line, closed: false };
        Ok(Spool {
            dir: dir.to_path_buf(),
            max_bytes,
            segment_bytes: (max_bytes / 4).clamp(1, SEGMENT_BYTES),
            when_full,
            state: Mutex::new(state),
            data: Condvar::new(),
            _lock: lock,
        })
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Appends one encoded event (which must not contain a newline), never waiting. When the
    /// spool is full the policy decides what is dropped; the answer says. An event alone larger
    /// than the spool is still taken into an otherwise empty spool. An error (a full disk) means
    /// the event is not in the spool and nothing else changed.
    pub fn append(&self, line: &[u8]) -> io::Result<Appended> {
        let needed = line.len() as u64 + 1;
        let mut state = self.lock();
        if self.when_full == SpoolFull::DropNewest && self.over_limit(&state, needed) {
            return Ok(Appended::Dropped);
        }
        self.roll_over_if_due(&mut state)?;
        state.writer.append(line)?;
        let len = state.writer.len();
        state.segments.back_mut().expect("a segment to write to").1 = len;
        state.end_line += 1;
        let dropped = if self.over_limit(&state, 0) { self.drop_oldest(&mut state) } else { 0 };
        drop(state);
        self.data.notify_all();
        Ok(Appended::Queued { dropped })
    }

    /// True when `extra` more bytes would take a spool holding something past its limit.
    fn over_limit(&self, state: &State, extra: u64) -> bool {
        let used = used_bytes(state);
        used > 0 && used + extra > self.max_bytes
    }

    /// Starts the next segment once the last one has reached the segment size.
    fn roll_over_if_due(&self, state: &mut State) -> io::Result<()> {
        if state.writer.len() < self.segment_bytes {
            return Ok(());
        }
        state.writer.sync()?;
        let next = state.segments.back().expect("a segment to write to").0 + 1;
        state.writer = LineFile::new(open_segment(&self.dir, next)?, 0, FsyncPolicy::Interval);
        state.segments.push_back((next, 0));
        Ok(())
    }

    /// Moves the committed position past the oldest lines until the spool is within its limit
    /// again, keeping at least the newest line; returns how many lines it dropped. A failure
    /// (the cursor cannot be saved) drops nothing: the spool stays over its limit until the next
    /// append tries again.
    fn drop_oldest(&self, state: &mut State) -> u64 {
        let to = match self.oldest_lines_end(state) {
            Ok(to) => to,
            Err(e) => {
                tracing::warn!(spool = %self.dir.display(), error = %e, "cannot drop the oldest events of a full spool");
                return 0;
            }
        };
        match self.move_committed(state, to) {
            Ok(dropped) => dropped,
            Err(e) => {
                tracing::warn!(spool = %self.dir.display(), error = %e, "cannot drop the oldest events of a full spool");
                0
            }
        }
    }

    /// Where the committed position must move so that the spool is within its limit, never past
    /// the start of the newest line.
    fn oldest_lines_end(&self, state: &State) -> io::Result<Position> {
        let mut excess = used_bytes(state).saturating_sub(self.max_bytes);
        let mut to = state.committed;
        let mut line = Vec::new();
        for &(id, len) in &state.segments {
            if id > to.segment {
                to = Position { segment: id, offset: 0, line: to.line };
            }
            let mut file = File::open(segment_path(&self.dir, id))?;
            file.seek(SeekFrom::Start(to.offset))?;
            let mut lines = io::BufReader::with_capacity(64 << 10, file.take(len.saturating_sub(to.offset)));
            loop {
                if excess == 0 || to.line + 1 >= state.end_line {
                    return Ok(to);
                }
                line.clear();
                let n = io::BufRead::read_until(&mut lines, b'\n', &mut line)? as u64;
                if line.last() != Some(&b'\n') {
                    break;
                }
                excess = excess.saturating_sub(n);
                to.offset += n;
                to.line += 1;
            }
        }
        Ok(to)
    }

    /// Saves `to` as the committed position (`to` is after the current one), deletes the
    /// segments wholly before it, and returns how many events that took out of the queue.
    fn move_committed(&self, state: &mut State, to: Position) -> io::Result<u64> {
        write_cursor(&self.dir, to)?;
        let events = to.line - state.committed.line;
        state.committed = to;
        while state.segments.len() > 1 && state.segments[0].0 < to.segment {
            let (id, _) = state.segments.pop_front().expect("checked");
            // One left behind is deleted at the next open (it is before the cursor).
            if let Err(e) = fs::remove_file(segment_path(&self.dir, id)) {
                tracing::warn!(spool = %self.dir.display(), error = %e, "cannot delete a consumed spool segment");
            }
        }
        Ok(events)
    }

    /// Forces appended events to the disk if they have waited for the sync interval.
    pub fn tick(&self) -> io::Result<()> {
        self.lock().writer.tick()
    }

    /// The committed position: where a new sender starts.
    pub fn committed(&self) -> Position {
        self.lock().committed
    }

    /// Events appended and not yet committed (or dropped).
    pub fn queued_events(&self) -> u64 {
        let state = self.lock();
        state.end_line - state.committed.line
    }

    /// True when the spool is at most half full: a sink that was dropping events has room again.
    pub fn has_room(&self) -> bool {
        used_bytes(&self.lock()) <= self.max_bytes / 2
    }

    /// Reads up to `max_lines` lines (and about `max_bytes`) from `from`, or from the committed
    /// position if a drop has moved it past `from`. Waits up to `wait` for data when there is none.
    pub fn read(&self, from: Position, max_lines: usize, max_bytes: usize, wait: Duration) -> io::Result<Batch> {
        let mut state = self.lock();
        let mut from = from.max(state.committed);
        if !has_data_after(&state, from) && !state.closed {
            state = self.data.wait_timeout(state, wait).unwrap_or_else(std::sync::PoisonError::into_inner).0;
            from = from.max(state.committed);
        }
        let segments: Vec<(u64, u64)> = state.segments.iter().copied().filter(|&(id, _)| id >= from.segment).collect();
        drop(state);
        let mut batch = Batch::default();
        let mut bytes_read = 0;
        let mut position = from;
        for (id, len) in segments {
            if id > position.segment {
                position = Position { segment: id, offset: 0, line: position.line };
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
                position.line += 1;
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

    /// Records that everything before `to` (a batch's end) has been delivered: saves the cursor,
    /// deletes consumed segments, frees space. Returns the events this took out of the queue: 0
    /// when a drop had already moved past `to`, fewer than the batch when it moved into it.
    pub fn commit(&self, to: Position) -> io::Result<u64> {
        let mut state = self.lock();
        if to <= state.committed {
            return Ok(0);
        }
        self.move_committed(&mut state, to)
    }

    /// Waits until `until`, or until the spool is closed if it is open now: a sender's backoff
    /// that shutdown cuts short (once closed, it waits the whole time, so that a sender draining
    /// before its deadline still backs off).
    pub fn pause(&self, until: Instant) {
        let state = self.lock();
        let timeout = until.saturating_duration_since(Instant::now());
        if state.closed {
            drop(state);
            std::thread::sleep(timeout);
        } else {
            let _ = self.data.wait_timeout_while(state, timeout, |s| !s.closed);
        }
    }

    /// Wakes every waiting reader for good (at shutdown) and syncs what was appended.
    pub fn close(&self) {
        let mut state = self.lock();
        state.closed = true;
        let _ = state.writer.sync();
        drop(state);
        self.data.notify_all();
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

fn count_lines(mut file: File, from: u64) -> io::Result<u64> {
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
    let mut file = private::open_with(OpenOptions::new().read(true), &dir.join("cursor"), FILE_MODE).ok()?;
    let mut text = String::new();
    file.read_to_string(&mut text).ok()?;
    let mut parts = text.split_whitespace();
    let segment = parts.next()?.parse().ok()?;
    let offset = parts.next()?.parse().ok()?;
    Some(Position { segment, offset, line: 0 })
}

/// Written to a temporary file and renamed over the old cursor, so a crash or a full disk leaves
/// one or the other, whole.
fn write_cursor(dir: &Path, to: Position) -> io::Result<()> {
    let tmp = dir.join("cursor.tmp");
    let mut file = private::open_with(OpenOptions::new().create(true).write(true).truncate(true), &tmp, FILE_MODE)?;
    file.write_all(format!("{} {}\n", to.segment, to.offset).as_bytes())?;
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
        let spool = Spool::open(dir.path(), 1 << 20, SpoolFull::DropOldest).unwrap();
        for i in 0..5 {
            spool.append(format!("event {i}").as_bytes()).unwrap();
        }
        let batch = spool.read(spool.committed(), 2, usize::MAX, NO_WAIT).unwrap();
        assert_eq!(batch.lines.len(), 2);
        assert_eq!(spool.commit(batch.end.unwrap()).unwrap(), 2);
        drop(spool);
        let spool = Spool::open(dir.path(), 1 << 20, SpoolFull::DropOldest).unwrap();
        assert_eq!(spool.queued_events(), 3);
        let (lines, _) = read_all(&spool, spool.committed());
        assert_eq!(lines, ["event 2", "event 3", "event 4"]);
    }

    #[test]
    fn a_half_written_line_is_dropped_at_open() {
        let dir = tempfile::tempdir().unwrap();
        let spool = Spool::open(dir.path(), 1 << 20, SpoolFull::DropOldest).unwrap();
        spool.append(b"whole").unwrap();
        drop(spool);
        let seg = segment_path(dir.path(), 1);
        let mut f = OpenOptions::new().append(true).open(&seg).unwrap();
        f.write_all(b"half").unwrap();
        let spool = Spool::open(dir.path(), 1 << 20, SpoolFull::DropOldest).unwrap();
        assert_eq!(read_all(&spool, spool.committed()).0, ["whole"]);
        spool.append(b"next").unwrap();
        assert_eq!(read_all(&spool, spool.committed()).0, ["whole", "next"]);
    }

    #[test]
    fn only_one_process_owns_a_spool() {
        let dir = tempfile::tempdir().unwrap();
        let _first = Spool::open(dir.path(), 1 << 20, SpoolFull::DropOldest).unwrap();
        let err = Spool::open(dir.path(), 1 << 20, SpoolFull::DropOldest).err().expect("second open must fail");
        assert_eq!(err.kind(), io::ErrorKind::WouldBlock);
    }

    fn lines(spool: &Spool) -> Vec<String> {
        read_all(spool, spool.committed()).0
    }

    #[test]
    fn a_full_spool_drops_the_oldest_events_without_waiting_and_the_sender_resumes_after_them() {
        let dir = tempfile::tempdir().unwrap();
        let spool = Spool::open(dir.path(), 24, SpoolFull::DropOldest).unwrap();
        for i in 0..3 {
            assert_eq!(spool.append(format!("event {i}").as_bytes()).unwrap(), Appended::Queued { dropped: 0 });
        }
        // The sender has read the first two and is sending them.
        let in_flight = spool.read(spool.committed(), 2, usize::MAX, NO_WAIT).unwrap();
        assert_eq!(spool.append(b"event 3").unwrap(), Appended::Queued { dropped: 1 });
        assert_eq!(spool.append(b"event 4").unwrap(), Appended::Queued { dropped: 1 });
        assert_eq!(lines(&spool), ["event 2", "event 3", "event 4"]);
        assert_eq!(spool.queued_events(), 3);
        // Its batch was dropped under it: committing it counts nothing, and reading on from its
        // end starts at the committed position.
        assert_eq!(spool.commit(in_flight.end.unwrap()).unwrap(), 0);
        assert_eq!(read_all(&spool, in_flight.end.unwrap()).0, ["event 2", "event 3", "event 4"]);
        drop(spool);
        let spool = Spool::open(dir.path(), 24, SpoolFull::DropOldest).unwrap();
        assert_eq!(
            (lines(&spool), spool.queued_events()),
            (vec!["event 2".into(), "event 3".into(), "event 4".into()], 3)
        );
    }

    #[test]
    fn a_full_spool_under_drop_newest_keeps_what_it_has_until_a_commit_frees_space() {
        let dir = tempfile::tempdir().unwrap();
        let spool = Spool::open(dir.path(), 20, SpoolFull::DropNewest).unwrap();
        assert_eq!(spool.append(b"0123456789").unwrap(), Appended::Queued { dropped: 0 });
        assert_eq!(spool.append(b"abcdefghij").unwrap(), Appended::Dropped);
        assert_eq!(lines(&spool), ["0123456789"]);
        let batch = spool.read(spool.committed(), 1, usize::MAX, NO_WAIT).unwrap();
        assert_eq!(spool.commit(batch.end.unwrap()).unwrap(), 1);
        assert_eq!(spool.append(b"abcdefghij").unwrap(), Appended::Queued { dropped: 0 });
        assert_eq!(lines(&spool), ["abcdefghij"]);
    }

    #[test]
    fn dropping_the_oldest_deletes_whole_segments() {
        let dir = tempfile::tempdir().unwrap();
        let spool = Spool::open(dir.path(), 4 << 10, SpoolFull::DropOldest).unwrap();
        let mut dropped = 0;
        for i in 0..1000 {
            dropped += spool.append(format!("event {i:04} {}", "x".repeat(40)).as_bytes()).unwrap().dropped();
        }
        let kept = lines(&spool);
        assert_eq!(kept.len() as u64 + dropped, 1000);
        assert!(kept.last().unwrap().starts_with("event 0999"));
        let on_disk: u64 = segment_ids(dir.path())
            .unwrap()
            .iter()
            .map(|&id| fs::metadata(segment_path(dir.path(), id)).unwrap().len())
            .sum();
        assert!(on_disk <= (4 << 10) + (2 << 10), "the spool's disk use stays near its limit: {on_disk}");
    }

    #[test]
    fn a_full_disk_under_the_spool_loses_the_event_but_not_the_spool() {
        let Some(disk) = crate::deliver::durable::tests::SmallDisk::mount() else { return };
        let dir = disk.path().join("spool");
        let spool = Spool::open(&dir, 64 << 20, SpoolFull::DropOldest).unwrap();
        let line = |i: usize| format!("event {i:03} {}", "x".repeat(1000));
        for i in 0..10 {
            spool.append(line(i).as_bytes()).unwrap();
        }
        let first = spool.read(spool.committed(), 2, usize::MAX, NO_WAIT).unwrap();
        assert_eq!(spool.commit(first.end.unwrap()).unwrap(), 2);
        disk.fill();
        let failed = (10..20).filter(|&i| spool.append(line(i).as_bytes()).is_err()).count();
        assert!(failed > 0, "the disk is full");
        let batch = spool.read(spool.committed(), 3, usize::MAX, NO_WAIT).unwrap();
        assert!(spool.commit(batch.end.unwrap()).is_err(), "no room for the new cursor");
        for id in segment_ids(&dir).unwrap() {
            let bytes = fs::read(segment_path(&dir, id)).unwrap();
            assert!(bytes.is_empty() || bytes.ends_with(b"\n"), "whole lines only");
        }
        assert_eq!(spool.queued_events(), 8 + 10 - failed as u64);
        // Space comes back: appends and commits work again, with no restart.
        disk.free();
        spool.append(b"after").unwrap();
        assert_eq!(spool.commit(batch.end.unwrap()).unwrap(), 3);
        let kept = lines(&spool);
        assert_eq!(kept.len() as u64, spool.queued_events());
        assert_eq!(kept[0], line(5));
        assert_eq!(kept.last().unwrap(), "after");
        drop(spool);
        let spool = Spool::open(&dir, 64 << 20, SpoolFull::DropOldest).unwrap();
        assert_eq!(lines(&spool), kept, "the saved cursor agrees");
    }

    #[test]
    fn closing_the_spool_cuts_a_senders_pause_short() {
        let dir = tempfile::tempdir().unwrap();
        let spool = Spool::open(dir.path(), 1 << 20, SpoolFull::DropOldest).unwrap();
        std::thread::scope(|s| {
            // (Should the spawned thread start only after `close`, it sleeps the 30 s through.)
            let paused = s.spawn(|| spool.pause(Instant::now() + Duration::from_secs(30)));
            std::thread::sleep(Duration::from_millis(100));
            spool.append(b"an append does not end the pause").unwrap();
            spool.close();
            paused.join().unwrap();
        });
    }

    #[test]
    fn segments_roll_over_and_consumed_ones_are_deleted() {
        let dir = tempfile::tempdir().unwrap();
        let spool = Spool::open(dir.path(), 64 << 20, SpoolFull::DropOldest).unwrap();
        let line = vec![b'x'; 1 << 20];
        for _ in 0..10 {
            spool.append(&line).unwrap();
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
            spool.commit(pos).unwrap();
        }
        assert_eq!(seen, 10);
        assert_eq!(spool.queued_events(), 0);
        assert_eq!(segment_ids(dir.path()).unwrap().len(), 1, "consumed segments are removed");
    }
}
