//! The record types: what `dlp-scan --format json` prints, one JSON object per line.

use std::collections::BTreeMap;
use std::path::Path;

use base64::Engine as _;
use serde::Serialize;

use crate::classify::{Category, DetectorTally};
use crate::detect::Confidence;
use crate::extract::Encryption;
use crate::locate::{Location, LocationKind};
use crate::policy::Violation;

/// Version of the record schema; bumped when a field changes meaning or disappears.
pub const SCHEMA_VERSION: u32 = 1;
/// Fingerprints listed per finding; `count` stays exact beyond it.
pub const MAX_FINGERPRINTS: usize = 20;

/// One line of output.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Record {
    /// A file with findings, violations, an incomplete scan, or encryption.
    File(FileRecord),
    /// A file or directory that could not be read (or was skipped for its size).
    Error(ErrorRecord),
    /// The last line: totals.
    Summary(SummaryRecord),
    /// What `dlp-agent` says of itself (started, stopped, heartbeat, health) or of a violation it
    /// closes (resolved).
    Agent(AgentRecord),
}

/// What kind of agent event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AgentEvent {
    /// The agent started watching.
    Started,
    /// The agent stopped (SIGTERM, or a fatal problem).
    Stopped,
    /// Periodic: the agent is alive, with its counters.
    Heartbeat,
    /// The watcher could not keep up, a watch failed, a volume came or went, a reload failed.
    Health,
    /// A file's open violations are closed: it was deleted, moved out of the place that made it a
    /// violation, or no longer holds what it held.
    Resolved,
}

impl AgentEvent {
    /// Stable lower-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            AgentEvent::Started => "started",
            AgentEvent::Stopped => "stopped",
            AgentEvent::Heartbeat => "heartbeat",
            AgentEvent::Health => "health",
            AgentEvent::Resolved => "resolved",
        }
    }
}

/// An agent event.
#[derive(Debug, Clone, Serialize)]
pub struct AgentRecord {
    /// Schema version.
    pub schema_version: u32,
    /// Which event.
    pub event: AgentEvent,
    /// What happened, for people.
    pub message: String,
    /// Health: `ok`, `degraded` (changes are found by periodic walks, not events) or `error`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<&'static str>,
    /// Resolved: the file.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// Resolved: the rules no longer broken (with `path`, what identifies the alert to close).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub rules: Vec<String>,
    /// Started, stopped, heartbeat: files watched, scanned, queued, errors, watcher state, and the
    /// sinks' queued / sent / retried / failed events.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub counters: BTreeMap<String, u64>,
}

/// `path` is the path as found, converted losslessly when it is UTF-8; otherwise `path` holds a
/// lossy form and `path_base64` the exact bytes (on Windows, UTF-16 little-endian).
pub fn path_fields(path: &Path) -> (String, Option<String>) {
    let lossy = path.to_string_lossy().into_owned();
    if path.to_str().is_none() {
        let b64 = base64::engine::general_purpose::STANDARD.encode(crate::platform::path_bytes(path));
        return (lossy, Some(b64));
    }
    (lossy, None)
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

impl Record {
    /// A copy with every list cut to `keep` entries (archive members, fingerprints, reasons), for
    /// an event that would otherwise be too long for a SIEM's line limit. Counts stay exact:
    /// `members_omitted` grows by what is cut, and a finding's `count` still gives all values.
    pub fn trimmed(&self, keep: usize) -> Record {
        match self {
            Record::File(f) => {
                let mut f = f.clone();
                let cut = f.members_with_findings.len().saturating_sub(keep);
                f.members_with_findings.truncate(keep);
                f.members_omitted += cut as u64;
                for finding in &mut f.findings {
                    finding.fingerprints.truncate(keep);
                    finding.samples.truncate(keep.max(1));
                }
                f.reasons.truncate(keep.max(1));
                Record::File(f)
            }
            other => other.clone(),
        }
    }
}

/// A file's record.
#[derive(Debug, Clone, Serialize)]
pub struct FileRecord {
    /// Schema version.
    pub schema_version: u32,
    /// Path as found.
    pub path: String,
    /// Exact path bytes, base64, only when the path is not UTF-8.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path_base64: Option<String>,
    /// Size in bytes.
    pub size: u64,
    /// The format read, by content (`text`, `docx`, `xlsx`, `pptx`, `odf`, `pdf`, `zip`, `tar`, ...).
    pub format: &'static str,
    /// `public`, `not_sensitive`, `confidential` or `highly_confidential`.
    #[serde(serialize_with = "wire::category")]
    pub classification: Category,
    /// Why it has that classification.
    pub reasons: Vec<String>,
    /// Where it lives.
    pub location: LocationRecord,
    /// Whether it is encrypted.
    pub encryption: EncryptionRecord,
    /// Findings by detector.
    pub findings: Vec<FindingRecord>,
    /// Archive members (or embedded documents) with findings, as paths inside the file; nested
    /// members as `inner.zip!/file.csv`. At most 50.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub members_with_findings: Vec<String>,
    /// Members with findings left out of `members_with_findings` (beyond 50, or to keep an event
    /// under its size limit).
    #[serde(skip_serializing_if = "is_zero")]
    pub members_omitted: u64,
    /// Rules broken.
    #[serde(serialize_with = "wire::violations")]
    pub violations: Vec<Violation>,
    /// True when not all of the file could be read.
    pub partial: bool,
    /// Why not, when `partial`.
    pub partial_reasons: Vec<&'static str>,
}

/// Location in a record.
#[derive(Debug, Clone, Serialize)]
pub struct LocationRecord {
    /// `local`, `managed_cloud`, `unmanaged_cloud` or `removable`.
    #[serde(serialize_with = "wire::location_kind")]
    pub kind: LocationKind,
    /// Provider, or null.
    pub provider: Option<String>,
    /// The sync folder or volume, for cloud and removable locations (null otherwise).
    pub root: Option<String>,
    /// The volume's own encryption (`luks`, `bitlocker`, `veracrypt`, `dm-crypt`, `ecryptfs`, ...),
    /// or null.
    pub volume_encryption: Option<&'static str>,
}

impl From<Location> for LocationRecord {
    fn from(l: Location) -> Self {
        LocationRecord {
            kind: l.kind,
            provider: l.provider,
            root: l.root.map(|r| r.to_string_lossy().into_owned()),
            volume_encryption: l.volume_encryption,
        }
    }
}

/// Encryption in a record.
#[derive(Debug, Clone, Serialize)]
pub struct EncryptionRecord {
    /// Encrypted or not.
    pub encrypted: bool,
    /// Scheme, or null.
    pub method: Option<String>,
    /// Strong (AES-256 or AEAD), or null when not encrypted or not visible.
    pub strong: Option<bool>,
    /// Cipher and key size where the headers show them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cipher: Option<String>,
    /// Anything else worth knowing (names encrypted, opens without a password, ...).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// Only part of a container is encrypted; the rest was read in clear (present only when true).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub partly: bool,
}

impl From<Encryption> for EncryptionRecord {
    fn from(e: Encryption) -> Self {
        EncryptionRecord {
            encrypted: e.encrypted,
            method: e.method.map(str::to_string),
            strong: e.strong,
            cipher: e.cipher,
            note: e.note,
            partly: e.partly,
        }
    }
}

/// One detector's findings in a file.
#[derive(Debug, Clone, Serialize)]
pub struct FindingRecord {
    /// Detector id.
    pub detector: String,
    /// Distinct values.
    pub count: usize,
    /// All matches, repeats included.
    pub occurrences: u64,
    /// Highest confidence.
    #[serde(serialize_with = "wire::confidence")]
    pub confidence: Confidence,
    /// Masked samples (at most 3).
    pub samples: Vec<String>,
    /// Keyed fingerprints of distinct values (at most 20).
    pub fingerprints: Vec<String>,
}

impl From<&DetectorTally> for FindingRecord {
    fn from(t: &DetectorTally) -> Self {
        FindingRecord {
            detector: t.detector.clone(),
            count: t.distinct.len(),
            occurrences: t.occurrences,
            confidence: t.confidence,
            samples: t.samples.clone(),
            fingerprints: t.distinct.iter().take(MAX_FINGERPRINTS).map(ToString::to_string).collect(),
        }
    }
}

/// A file that could not be read.
#[derive(Debug, Clone, Serialize)]
pub struct ErrorRecord {
    /// Schema version.
    pub schema_version: u32,
    /// Path as found.
    pub path: String,
    /// Exact path bytes, base64, only when the path is not UTF-8.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path_base64: Option<String>,
    /// Stable kind: `not_found`, `permission_denied`, `too_large`, `symlink_loop`, `not_regular`,
    /// `parser_failure`, `corrupt`, `timeout`, `io`.
    pub kind: &'static str,
    /// What happened.
    pub message: String,
}

/// Totals, printed last.
#[derive(Debug, Clone, Serialize, Default)]
pub struct SummaryRecord {
    /// Schema version.
    pub schema_version: u32,
    /// Files found by the walk (scanned or not).
    pub files_seen: u64,
    /// Files read.
    pub files_scanned: u64,
    /// Bytes of the files read.
    pub bytes_scanned: u64,
    /// Files with at least one finding.
    pub files_with_findings: u64,
    /// File records by classification.
    pub classifications: BTreeMap<&'static str, u64>,
    /// Findings (occurrences) by detector.
    pub findings_by_detector: BTreeMap<String, u64>,
    /// Violations by rule.
    pub violations: BTreeMap<&'static str, u64>,
    /// Violations suppressed by an `[[allow]]` entry, by `rule (reason)`.
    pub violations_allowed: BTreeMap<String, u64>,
    /// Well-formed values not reported because they are documentation, test or allow-listed values.
    pub suppressed: u64,
    /// Files whose scan was incomplete.
    pub partial: u64,
    /// Incomplete files by reason (a file with two reasons counts under each): what was not read,
    /// so that a clean run can be told from one that could not look.
    pub partial_reasons: BTreeMap<&'static str, u64>,
    /// Error records.
    pub errors: u64,
    /// Error records by kind (`corrupt`, `permission_denied`, ...).
    pub error_kinds: BTreeMap<&'static str, u64>,
    /// Files not scanned, by reason.
    pub skipped: BTreeMap<&'static str, u64>,
    /// Wall time in milliseconds.
    pub duration_ms: u64,
}

/// The names the SIEM contract gives domain values, written here: a domain type's own names
/// (and whether it can be serialised at all) are not the contract. Every encoding that embeds a
/// category, a location kind, a confidence or a violation serialises it through these.
pub mod wire {
    use serde::{Serialize, Serializer};

    use crate::{classify, detect, locate, policy};

    /// A file's category.
    #[derive(Serialize)]
    #[serde(rename_all = "snake_case")]
    enum Category {
        Public,
        NotSensitive,
        Confidential,
        HighlyConfidential,
    }

    impl From<classify::Category> for Category {
        fn from(c: classify::Category) -> Self {
            match c {
                classify::Category::Public => Category::Public,
                classify::Category::NotSensitive => Category::NotSensitive,
                classify::Category::Confidential => Category::Confidential,
                classify::Category::HighlyConfidential => Category::HighlyConfidential,
            }
        }
    }

    /// Where a file lives.
    #[derive(Serialize)]
    #[serde(rename_all = "snake_case")]
    enum LocationKind {
        Local,
        ManagedCloud,
        UnmanagedCloud,
        Removable,
    }

    impl From<locate::LocationKind> for LocationKind {
        fn from(k: locate::LocationKind) -> Self {
            match k {
                locate::LocationKind::Local => LocationKind::Local,
                locate::LocationKind::ManagedCloud => LocationKind::ManagedCloud,
                locate::LocationKind::UnmanagedCloud => LocationKind::UnmanagedCloud,
                locate::LocationKind::Removable => LocationKind::Removable,
            }
        }
    }

    /// A finding's confidence.
    #[derive(Serialize)]
    #[serde(rename_all = "lowercase")]
    enum Confidence {
        Low,
        Medium,
        High,
    }

    impl From<detect::Confidence> for Confidence {
        fn from(c: detect::Confidence) -> Self {
            match c {
                detect::Confidence::Low => Confidence::Low,
                detect::Confidence::Medium => Confidence::Medium,
                detect::Confidence::High => Confidence::High,
            }
        }
    }

    /// A violation's severity.
    #[derive(Serialize)]
    #[serde(rename_all = "lowercase")]
    enum Severity {
        Low,
        Medium,
        High,
        Critical,
    }

    impl From<policy::Severity> for Severity {
        fn from(s: policy::Severity) -> Self {
            match s {
                policy::Severity::Low => Severity::Low,
                policy::Severity::Medium => Severity::Medium,
                policy::Severity::High => Severity::High,
                policy::Severity::Critical => Severity::Critical,
            }
        }
    }

    /// One broken rule.
    #[derive(Serialize)]
    struct Violation<'a> {
        rule: &'a str,
        severity: Severity,
        reason: &'a str,
        remediation: &'a str,
    }

    impl<'a> From<&'a policy::Violation> for Violation<'a> {
        fn from(v: &'a policy::Violation) -> Self {
            Violation { rule: v.rule, severity: v.severity.into(), reason: &v.reason, remediation: v.remediation }
        }
    }

    /// Serialises a category by its wire name (`highly_confidential`).
    pub fn category<S: Serializer>(c: &classify::Category, s: S) -> Result<S::Ok, S::Error> {
        Category::from(*c).serialize(s)
    }

    /// Serialises a location kind by its wire name (`unmanaged_cloud`).
    pub fn location_kind<S: Serializer>(k: &locate::LocationKind, s: S) -> Result<S::Ok, S::Error> {
        LocationKind::from(*k).serialize(s)
    }

    /// Serialises a confidence by its wire name (`medium`).
    pub fn confidence<S: Serializer>(c: &detect::Confidence, s: S) -> Result<S::Ok, S::Error> {
        Confidence::from(*c).serialize(s)
    }

    /// Serialises violations as the list of `{rule, severity, reason, remediation}` objects.
    pub fn violations<S: Serializer>(v: &[policy::Violation], s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(v.iter().map(Violation::from))
    }
}
