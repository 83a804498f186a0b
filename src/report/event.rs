//! An event: one [`Record`] stamped for delivery, with a unique, time-sortable id (UUIDv7) and the
//! time it was made, plus the facts about this machine that every encoding carries ([`Origin`]).
//!
//! This module decides what an event *means*: its action and its severity, once, so that the
//! encodings in [`super::encode`] only rename fields and never disagree with each other. It does
//! no I/O: the host name is asked of `platform`.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use uuid::Uuid;

use super::{AgentEvent, Record};
use crate::policy::Severity;

/// The product name every encoding reports.
pub const PRODUCT: &str = "dlp-scan";
/// The product version every encoding reports.
pub const PRODUCT_VERSION: &str = env!("CARGO_PKG_VERSION");

/// Where events come from: the same for every event of a process.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    /// The machine's host name.
    pub host_name: String,
    /// `linux`, `macos` or `windows`.
    pub os_type: &'static str,
}

impl Origin {
    /// This machine.
    pub fn this_machine() -> Origin {
        Origin { host_name: crate::platform::host_name(), os_type: os_type() }
    }
}

fn os_type() -> &'static str {
    match std::env::consts::OS {
        "macos" => "macos",
        "windows" => "windows",
        _ => "linux",
    }
}

/// What happened, in the words every encoding uses (ECS `event.action`, CEF `act`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// A file breaks a policy rule.
    PolicyViolation,
    /// A file holds personal or sensitive data but breaks no rule.
    SensitiveDataDetected,
    /// A file is encrypted (and holds nothing else worth reporting).
    EncryptedFileDetected,
    /// A file could be read only in part.
    FileScanIncomplete,
    /// A file could not be read.
    FileScanFailed,
    /// A run ended.
    ScanCompleted,
    /// The agent started.
    AgentStarted,
    /// The agent stopped.
    AgentStopped,
    /// The agent is alive.
    AgentHeartbeat,
    /// The agent's watching changed state.
    AgentHealth,
    /// Open violations were closed.
    ViolationResolved,
}

impl Action {
    /// Stable kebab-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::PolicyViolation => "policy-violation",
            Action::SensitiveDataDetected => "sensitive-data-detected",
            Action::EncryptedFileDetected => "encrypted-file-detected",
            Action::FileScanIncomplete => "file-scan-incomplete",
            Action::FileScanFailed => "file-scan-failed",
            Action::ScanCompleted => "scan-completed",
            Action::AgentStarted => "agent-started",
            Action::AgentStopped => "agent-stopped",
            Action::AgentHeartbeat => "agent-heartbeat",
            Action::AgentHealth => "agent-health",
            Action::ViolationResolved => "violation-resolved",
        }
    }

    /// A short title for people (CEF `Name`, OCSF `finding_info.title`).
    pub fn title(self) -> &'static str {
        match self {
            Action::PolicyViolation => "Data-handling policy violation",
            Action::SensitiveDataDetected => "Sensitive data found",
            Action::EncryptedFileDetected => "Encrypted file found",
            Action::FileScanIncomplete => "File scanned in part",
            Action::FileScanFailed => "File could not be scanned",
            Action::ScanCompleted => "Scan completed",
            Action::AgentStarted => "Agent started",
            Action::AgentStopped => "Agent stopped",
            Action::AgentHeartbeat => "Agent heartbeat",
            Action::AgentHealth => "Agent health changed",
            Action::ViolationResolved => "Policy violation resolved",
        }
    }
}

/// One record ready to encode.
#[derive(Debug, Clone, Copy)]
pub struct Event<'a> {
    /// Unique and sortable by creation time (UUIDv7, monotonic within the process).
    pub id: Uuid,
    /// When the event was made (the instant in `id`, to the millisecond).
    pub time: SystemTime,
    /// What it reports.
    pub record: &'a Record,
}

impl<'a> Event<'a> {
    /// Stamps a record now.
    pub fn stamp(record: &'a Record) -> Event<'a> {
        let id = Uuid::now_v7();
        let millis = id.get_timestamp().map_or(0, |t| {
            let (secs, nanos) = t.to_unix();
            secs * 1000 + u64::from(nanos / 1_000_000)
        });
        Event { id, time: UNIX_EPOCH + Duration::from_millis(millis), record }
    }

    /// What the event reports.
    pub fn action(&self) -> Action {
        match self.record {
            Record::File(f) if !f.violations.is_empty() => Action::PolicyViolation,
            Record::File(f) if !f.findings.is_empty() => Action::SensitiveDataDetected,
            Record::File(f) if f.encryption.encrypted => Action::EncryptedFileDetected,
            Record::File(_) => Action::FileScanIncomplete,
            Record::Error(_) => Action::FileScanFailed,
            Record::Summary(_) => Action::ScanCompleted,
            Record::Agent(a) => match a.event {
                AgentEvent::Started => Action::AgentStarted,
                AgentEvent::Stopped => Action::AgentStopped,
                AgentEvent::Heartbeat => Action::AgentHeartbeat,
                AgentEvent::Health => Action::AgentHealth,
                AgentEvent::Resolved => Action::ViolationResolved,
            },
        }
    }

    /// The most severe broken rule, if any: the event's severity in every encoding.
    pub fn severity(&self) -> Option<Severity> {
        match self.record {
            Record::File(f) => f.violations.iter().map(|v| v.severity).max(),
            Record::Error(_) | Record::Summary(_) | Record::Agent(_) => None,
        }
    }

    /// True for an event someone should act on (ECS `event.kind: alert`, OCSF `is_alert`).
    pub fn is_alert(&self) -> bool {
        self.severity().is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::SummaryRecord;

    #[test]
    fn ids_sort_in_creation_order_and_carry_the_time() {
        let record = Record::Summary(SummaryRecord::default());
        let events: Vec<Event> = (0..1000).map(|_| Event::stamp(&record)).collect();
        assert!(events.windows(2).all(|w| w[0].id < w[1].id), "UUIDv7 ids are monotonic");
        assert!(events.iter().all(|e| e.id.get_version_num() == 7));
        let age = SystemTime::now().duration_since(events[0].time).unwrap();
        assert!(age < Duration::from_secs(5));
    }
}
