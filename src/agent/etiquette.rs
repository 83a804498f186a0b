//! Laptop etiquette beyond what the service manager does (idle CPU and I/O priority, a CPU share):
//! a cap on the bytes read per second, and slowing down or pausing while on battery. (Handing
//! freed memory back to the system is `platform::return_free_memory`.)

use std::path::Path;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde::Deserialize;

/// What the agent does while the laptop runs on battery.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OnBattery {
    /// Nothing different.
    Ignore,
    /// Read at a quarter of `max_read_rate` (or 4 MiB/s when there is no cap).
    Slow,
    /// Scan nothing; changes wait (and a walk catches up) until power returns.
    Pause,
}

/// The longest sleep between two looks at whether to go on waiting.
const MAX_WAIT_SLICE: Duration = Duration::from_secs(1);

/// A token bucket over bytes read: `acquire(n)` returns once reading `n` more bytes keeps the
/// rate at or under the limit. One second of burst.
pub struct ReadRate {
    bytes_per_sec: Mutex<u64>,
    state: Mutex<(Instant, f64)>,
}

impl ReadRate {
    /// A limit of `bytes_per_sec`; 0 means none.
    pub fn new(bytes_per_sec: u64) -> ReadRate {
        ReadRate { bytes_per_sec: Mutex::new(bytes_per_sec), state: Mutex::new((Instant::now(), bytes_per_sec as f64)) }
    }

    /// Changes the limit (on battery, back on mains, after a reload).
    pub fn set(&self, bytes_per_sec: u64) {
        *self.bytes_per_sec.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = bytes_per_sec;
    }

    /// How long to wait before reading `bytes`; takes them from the bucket.
    fn wait_for(&self, bytes: u64) -> Duration {
        let rate = *self.bytes_per_sec.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if rate == 0 {
            return Duration::ZERO;
        }
        let mut state = self.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let (last, tokens) = *state;
        let now = Instant::now();
        let refilled = (tokens + now.duration_since(last).as_secs_f64() * rate as f64).min(rate as f64);
        let left = refilled - bytes as f64;
        *state = (now, left);
        if left >= 0.0 {
            Duration::ZERO
        } else {
            Duration::from_secs_f64(-left / rate as f64)
        }
    }

    /// Takes `bytes` (read, or about to be) from the bucket and waits until the rate is back
    /// under the limit, in slices of at most a second, asking `keep_waiting` before each (it
    /// beats the agent's pulse, and says no once the agent is stopping). False when the wait
    /// was cut short.
    pub fn acquire(&self, bytes: u64, keep_waiting: &dyn Fn() -> bool) -> bool {
        let mut wait = self.wait_for(bytes);
        while !wait.is_zero() {
            if !keep_waiting() {
                return false;
            }
            let slice = wait.min(MAX_WAIT_SLICE);
            std::thread::sleep(slice);
            wait -= slice;
        }
        true
    }
}

/// True when the machine runs on battery: a battery is discharging and no mains supply is online
/// (Linux `power_supply` class; `dir` is `/sys/class/power_supply`). False when unknown.
pub fn on_battery(dir: &Path) -> bool {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return false;
    };
    let read =
        |p: &Path, name: &str| std::fs::read_to_string(p.join(name)).map(|s| s.trim().to_string()).unwrap_or_default();
    let mut discharging = false;
    for entry in entries.filter_map(Result::ok) {
        let supply = entry.path();
        match read(&supply, "type").as_str() {
            "Mains" | "USB" if read(&supply, "online") == "1" => return false,
            "Battery" if read(&supply, "status") == "Discharging" => discharging = true,
            _ => {}
        }
    }
    discharging
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bucket_holds_one_second_and_then_paces() {
        let rate = ReadRate::new(1000);
        assert_eq!(rate.wait_for(1000), Duration::ZERO, "one second of burst");
        let wait = rate.wait_for(500);
        assert!(wait > Duration::from_millis(450) && wait <= Duration::from_millis(500), "{wait:?}");
        rate.set(0);
        assert_eq!(rate.wait_for(1 << 30), Duration::ZERO, "no limit");
    }

    fn supply(dir: &Path, name: &str, kind: &str, file: &str, value: &str) {
        let d = dir.join(name);
        std::fs::create_dir_all(&d).unwrap();
        std::fs::write(d.join("type"), format!("{kind}\n")).unwrap();
        std::fs::write(d.join(file), format!("{value}\n")).unwrap();
    }

    #[test]
    fn battery_is_a_discharging_battery_with_no_mains() {
        let dir = tempfile::tempdir().unwrap();
        assert!(!on_battery(dir.path()), "no supplies: a desktop or a VM");
        supply(dir.path(), "BAT0", "Battery", "status", "Discharging");
        supply(dir.path(), "AC", "Mains", "online", "0");
        assert!(on_battery(dir.path()));
        supply(dir.path(), "AC", "Mains", "online", "1");
        assert!(!on_battery(dir.path()), "plugged in");
        assert!(!on_battery(Path::new("/nonexistent/power_supply")));
    }
}
