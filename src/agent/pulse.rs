//! The agent's pulse: the service manager's watchdog and the heartbeat events, kept on a thread
//! of their own, so that long work (a batch of thousands of files, a slow parser, the read-rate
//! cap, a waiting sink) never silences them.
//!
//! The work beats ([`Pulse::beat`]) as it goes: each turn of the main loop, each file judged,
//! each mebibyte hashed. The watchdog is pinged only while the last beat is recent enough
//! ([`Pulse::is_alive`]): one file can take at most its time budget and a worker's grace period,
//! so a longer silence means the agent is stuck and the service manager should restart it.
//! Heartbeats carry the counters the main loop last published.
//!
//! Not here: what the counters count (`agent/mod.rs`), how the watchdog is pinged (the binary).

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// How often the pulse thread looks.
const TICK: Duration = Duration::from_millis(200);

/// Liveness shared between the work and the pulse thread. All times are milliseconds since
/// `started`.
#[derive(Debug)]
pub(super) struct Pulse {
    started: Instant,
    last_beat: AtomicU64,
    /// Longest silence that still counts as alive.
    stall_after: AtomicU64,
    /// Interval between heartbeats.
    heartbeat_every: AtomicU64,
    /// Set when the main loop has ended: the pulse thread ends too.
    done: AtomicBool,
}

impl Pulse {
    /// A pulse that counts silences over `stall_after` as stuck and sends a heartbeat every
    /// `heartbeat_every`.
    pub(super) fn new(stall_after: Duration, heartbeat_every: Duration) -> Pulse {
        let pulse = Pulse {
            started: Instant::now(),
            last_beat: AtomicU64::new(0),
            stall_after: AtomicU64::new(0),
            heartbeat_every: AtomicU64::new(0),
            done: AtomicBool::new(false),
        };
        pulse.set_timings(stall_after, heartbeat_every);
        pulse
    }

    /// New timings (after a reload).
    pub(super) fn set_timings(&self, stall_after: Duration, heartbeat_every: Duration) {
        self.stall_after.store(millis(stall_after), Ordering::Relaxed);
        self.heartbeat_every.store(millis(heartbeat_every), Ordering::Relaxed);
    }

    fn now(&self) -> u64 {
        millis(self.started.elapsed())
    }

    /// The work made progress.
    pub(super) fn beat(&self) {
        self.last_beat.store(self.now(), Ordering::Relaxed);
    }

    /// True while the last beat is recent enough.
    pub(super) fn is_alive(&self) -> bool {
        self.now().saturating_sub(self.last_beat.load(Ordering::Relaxed)) <= self.stall_after.load(Ordering::Relaxed)
    }

    /// Ends [`Pulse::keep`].
    pub(super) fn stop(&self) {
        self.done.store(true, Ordering::Relaxed);
    }

    /// Runs until [`Pulse::stop`]: calls `watchdog` on each tick while the work is alive, and
    /// `heartbeat` at its interval whatever the work is doing.
    pub(super) fn keep(&self, watchdog: &dyn Fn(), heartbeat: &dyn Fn()) {
        let mut last_heartbeat = self.now();
        while !self.done.load(Ordering::Relaxed) {
            std::thread::sleep(TICK);
            if self.is_alive() {
                watchdog();
            }
            let now = self.now();
            if now.saturating_sub(last_heartbeat) >= self.heartbeat_every.load(Ordering::Relaxed) {
                heartbeat();
                last_heartbeat = now;
            }
        }
    }
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alive_until_silent_longer_than_the_stall_limit() {
        let pulse = Pulse::new(Duration::from_millis(50), Duration::from_secs(60));
        pulse.beat();
        assert!(pulse.is_alive());
        std::thread::sleep(Duration::from_millis(120));
        assert!(!pulse.is_alive(), "no beat for longer than the limit is stuck");
        pulse.beat();
        assert!(pulse.is_alive());
    }

    #[test]
    fn heartbeats_go_on_while_the_work_is_silent_but_the_watchdog_stops() {
        let pulse = Pulse::new(Duration::from_millis(100), Duration::from_millis(250));
        let pings = AtomicU64::new(0);
        let heartbeats = AtomicU64::new(0);
        std::thread::scope(|s| {
            s.spawn(|| {
                pulse.keep(
                    &|| {
                        pings.fetch_add(1, Ordering::Relaxed);
                    },
                    &|| {
                        heartbeats.fetch_add(1, Ordering::Relaxed);
                    },
                )
            });
            std::thread::sleep(Duration::from_millis(1_100));
            pulse.stop();
        });
        assert!(heartbeats.load(Ordering::Relaxed) >= 2, "heartbeats do not depend on the work");
        assert!(pings.load(Ordering::Relaxed) <= 1, "no watchdog ping once the work is stuck");
    }
}
