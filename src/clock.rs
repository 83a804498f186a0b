//! Calendar arithmetic and timestamps for records and events: RFC 3339 in UTC, epoch milliseconds.
//!
//! Only what the report formats need; no time zones (every timestamp dlp-scan writes is UTC).

use std::time::{SystemTime, UNIX_EPOCH};

/// Days since 1970-01-01 to (year, month, day), proleptic Gregorian (Howard Hinnant's algorithm).
pub fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// Milliseconds since the Unix epoch (0 for times before it).
pub fn epoch_millis(time: SystemTime) -> u64 {
    time.duration_since(UNIX_EPOCH).map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

/// `2026-11-22T10:04:05.123Z`: RFC 3339, UTC, millisecond precision (what ECS, RFC 5424 and
/// Elasticsearch all accept).
pub fn rfc3339_millis(time: SystemTime) -> String {
    let millis = epoch_millis(time) as i64;
    let (days, ms_of_day) = (millis.div_euclid(86_400_000), millis.rem_euclid(86_400_000));
    let (y, m, d) = civil_from_days(days);
    let secs = ms_of_day / 1000;
    format!("{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{:03}Z", secs / 3600, secs / 60 % 60, secs % 60, ms_of_day % 1000)
}

/// `20261122T110405Z`: ISO 8601 basic format, UTC, whole seconds; sorts as it reads and fits in a
/// file name.
pub fn compact_utc(time: SystemTime) -> String {
    let full = rfc3339_millis(time);
    format!("{}Z", full[..19].replace(['-', ':'], ""))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn timestamps_are_rfc3339_utc_with_milliseconds() {
        assert_eq!(rfc3339_millis(UNIX_EPOCH), "1970-01-01T00:00:00.000Z");
        let t = UNIX_EPOCH + Duration::from_millis(1_795_346_130_123);
        assert_eq!(rfc3339_millis(t), "2026-11-22T11:15:30.123Z");
        assert_eq!(epoch_millis(t), 1_795_346_130_123);
        assert_eq!(compact_utc(t), "20261122T111530Z");
        // 2000-02-29 exists, 1900-02-29 does not
        assert_eq!(civil_from_days(11_016), (2000, 2, 29));
        assert_eq!(civil_from_days(-25_508), (1900, 3, 1));
    }
}
