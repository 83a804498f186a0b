//! `ecs`: Elastic Common Schema 9.4. Standard fields where ECS has them (`event.*`, `file.*`,
//! `host.*`, `rule.*`, `volume.*`, `error.*`); everything DLP-specific under `dlp_scan.*`, the
//! product namespace ECS asks custom fields to use. Typed, borrowing structs: no intermediate
//! JSON tree per event.

use serde::Serialize;

use crate::clock::rfc3339_millis;
use crate::locate::LocationKind;
use crate::policy::{Severity, Violation};
use crate::report::event::{Event, Origin, PRODUCT, PRODUCT_VERSION};
use crate::report::record::wire;
use crate::report::{AgentEvent, AgentRecord, EncryptionRecord, FindingRecord, Record, SummaryRecord};

/// The ECS version the field names follow.
pub const ECS_VERSION: &str = "9.4.0";

#[derive(Serialize)]
struct Document<'a> {
    #[serde(rename = "@timestamp")]
    timestamp: &'a str,
    ecs: Version,
    event: EventFields<'a>,
    host: Host<'a>,
    agent: Agent,
    #[serde(skip_serializing_if = "Option::is_none")]
    file: Option<File<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    rule: Option<Rule>,
    #[serde(skip_serializing_if = "Option::is_none")]
    volume: Option<Volume<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<ErrorFields<'a>>,
    /// Set for every record type below.
    dlp_scan: Option<DlpScan<'a>>,
}

#[derive(Serialize)]
struct Version {
    version: &'static str,
}

#[derive(Serialize)]
struct EventFields<'a> {
    id: String,
    kind: &'static str,
    category: [&'static str; 1],
    #[serde(rename = "type")]
    kind_of_change: [&'static str; 1],
    action: &'static str,
    severity: u32,
    risk_score: f64,
    outcome: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<&'a str>,
    dataset: &'static str,
    module: &'static str,
    created: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    duration: Option<u64>,
}

#[derive(Serialize)]
struct Host<'a> {
    name: &'a str,
    hostname: &'a str,
    os: HostOs,
}

#[derive(Serialize)]
struct HostOs {
    #[serde(rename = "type")]
    os_type: &'static str,
}

#[derive(Serialize)]
struct Agent {
    #[serde(rename = "type")]
    agent_type: &'static str,
    version: &'static str,
}

#[derive(Serialize)]
struct File<'a> {
    path: &'a str,
    name: &'a str,
    directory: &'a str,
    #[serde(rename = "type")]
    file_type: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    extension: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    size: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    attributes: Option<[&'static str; 1]>,
}

#[derive(Serialize)]
struct Rule {
    id: &'static str,
    name: &'static str,
    description: &'static str,
    category: &'static str,
    ruleset: &'static str,
    version: &'static str,
}

#[derive(Serialize)]
struct Volume<'a> {
    removable: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    mount_name: Option<&'a str>,
}

#[derive(Serialize)]
struct ErrorFields<'a> {
    #[serde(rename = "type")]
    error_type: &'static str,
    message: &'a str,
}

#[derive(Serialize)]
#[serde(untagged)]
enum DlpScan<'a> {
    File(Box<DlpFile<'a>>),
    Error {
        schema_version: u32,
        #[serde(skip_serializing_if = "Option::is_none")]
        path_base64: Option<&'a str>,
    },
    Summary {
        schema_version: u32,
        summary: &'a SummaryRecord,
    },
    Agent {
        schema_version: u32,
        agent: &'a AgentRecord,
    },
}

#[derive(Serialize)]
struct DlpFile<'a> {
    schema_version: u32,
    classification: &'static str,
    reasons: &'a [String],
    match_count: usize,
    detectors: Vec<&'a str>,
    findings: &'a [FindingRecord],
    #[serde(serialize_with = "wire::violations")]
    violations: &'a [Violation],
    storage: Storage<'a>,
    encryption: &'a EncryptionRecord,
    format: &'static str,
    members_with_findings: &'a [String],
    members_omitted: u64,
    partial: bool,
    partial_reasons: &'a [&'static str],
    #[serde(skip_serializing_if = "Option::is_none")]
    path_base64: Option<&'a str>,
}

#[derive(Serialize)]
struct Storage<'a> {
    #[serde(serialize_with = "wire::location_kind")]
    kind: LocationKind,
    provider: Option<&'a str>,
    managed: Option<bool>,
    sync_root: Option<&'a str>,
    volume_encryption: Option<&'static str>,
}

pub(super) fn encode(event: &Event, origin: &Origin) -> Vec<u8> {
    let time = rfc3339_millis(event.time);
    let score = severity_score(event.severity());
    let mut doc = Document {
        timestamp: &time,
        ecs: Version { version: ECS_VERSION },
        event: EventFields {
            id: event.id.to_string(),
            kind: if event.is_alert() { "alert" } else { "event" },
            category: ["file"],
            kind_of_change: ["info"],
            action: event.action().as_str(),
            severity: score,
            risk_score: f64::from(score),
            outcome: "success",
            reason: None,
            dataset: "dlp_scan.events",
            module: "dlp_scan",
            created: &time,
            duration: None,
        },
        host: Host { name: &origin.host_name, hostname: &origin.host_name, os: HostOs { os_type: origin.os_type } },
        agent: Agent { agent_type: PRODUCT, version: PRODUCT_VERSION },
        file: None,
        rule: None,
        volume: None,
        error: None,
        dlp_scan: None,
    };
    match event.record {
        Record::File(f) => {
            let worst = f.violations.iter().max_by_key(|v| v.severity);
            doc.event.outcome = if f.partial { "unknown" } else { "success" };
            doc.event.reason = worst.map(|v| v.reason.as_str());
            doc.file = Some(file_fields(&f.path, Some(f.size), f.encryption.encrypted));
            doc.rule = worst.map(|v| Rule {
                id: v.rule,
                name: v.rule,
                description: v.remediation,
                category: f.classification.as_str(),
                ruleset: PRODUCT,
                version: PRODUCT_VERSION,
            });
            if f.location.kind == LocationKind::Removable {
                doc.volume = Some(Volume { removable: true, mount_name: f.location.root.as_deref() });
            }
            doc.dlp_scan = Some(DlpScan::File(Box::new(DlpFile {
                schema_version: f.schema_version,
                classification: f.classification.as_str(),
                reasons: &f.reasons,
                match_count: f.findings.iter().map(|d| d.count).sum(),
                detectors: f.findings.iter().map(|d| d.detector.as_str()).collect(),
                findings: &f.findings,
                violations: &f.violations,
                storage: Storage {
                    kind: f.location.kind,
                    provider: f.location.provider.as_deref(),
                    managed: managed(f.location.kind),
                    sync_root: f.location.root.as_deref(),
                    volume_encryption: f.location.volume_encryption,
                },
                encryption: &f.encryption,
                format: f.format,
                members_with_findings: &f.members_with_findings,
                members_omitted: f.members_omitted,
                partial: f.partial,
                partial_reasons: &f.partial_reasons,
                path_base64: f.path_base64.as_deref(),
            })));
        }
        Record::Error(e) => {
            doc.event.outcome = "failure";
            doc.file = Some(file_fields(&e.path, None, false));
            doc.error = Some(ErrorFields { error_type: e.kind, message: &e.message });
            doc.dlp_scan =
                Some(DlpScan::Error { schema_version: e.schema_version, path_base64: e.path_base64.as_deref() });
        }
        Record::Summary(s) => {
            doc.event.category = ["process"];
            doc.event.kind_of_change = ["end"];
            doc.event.duration = Some(s.duration_ms.saturating_mul(1_000_000));
            doc.dlp_scan = Some(DlpScan::Summary { schema_version: s.schema_version, summary: s });
        }
        Record::Agent(a) => {
            let (kind, category, kind_of_change) = match a.event {
                AgentEvent::Started => ("event", "host", "start"),
                AgentEvent::Stopped => ("event", "host", "end"),
                AgentEvent::Heartbeat => ("metric", "host", "info"),
                AgentEvent::Health => ("event", "host", "info"),
                AgentEvent::Resolved => ("event", "file", "change"),
            };
            doc.event.kind = kind;
            doc.event.category = [category];
            doc.event.kind_of_change = [kind_of_change];
            doc.event.reason = Some(&a.message);
            if a.status.is_some_and(|s| s != "ok") {
                doc.event.outcome = "failure";
            }
            doc.file = a.path.as_deref().map(|p| file_fields(p, None, false));
            doc.dlp_scan = Some(DlpScan::Agent { schema_version: a.schema_version, agent: a });
        }
    }
    super::to_json_line(&doc)
}

/// ECS `event.severity` and `event.risk_score`: the values Elastic's detection rules use.
fn severity_score(severity: Option<Severity>) -> u32 {
    match severity {
        None => 0,
        Some(Severity::Low) => 21,
        Some(Severity::Medium) => 47,
        Some(Severity::High) => 73,
        Some(Severity::Critical) => 99,
    }
}

fn file_fields(path: &str, size: Option<u64>, encrypted: bool) -> File<'_> {
    let (directory, name) = super::split_path(path);
    File {
        path,
        name,
        directory,
        file_type: "file",
        extension: super::extension(name),
        size,
        attributes: encrypted.then_some(["encrypted"]),
    }
}

/// Whether a cloud location is managed by the university; null for local disks and removable media.
fn managed(kind: LocationKind) -> Option<bool> {
    match kind {
        LocationKind::ManagedCloud => Some(true),
        LocationKind::UnmanagedCloud => Some(false),
        LocationKind::Local | LocationKind::Removable => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::encode::tests::sample_file_record;
    use serde_json::{json, Value};

    #[test]
    fn a_violation_is_an_ecs_alert_with_file_rule_and_namespace() {
        let record = sample_file_record();
        let origin = Origin { host_name: "lt-0042".to_string(), os_type: "linux" };
        let line = encode(&Event::stamp(&record), &origin);
        let doc: Value = serde_json::from_slice(&line).unwrap();
        assert_eq!(doc["event"]["kind"], "alert");
        assert_eq!(doc["event"]["category"], json!(["file"]));
        assert_eq!(doc["event"]["action"], "policy-violation");
        assert_eq!(doc["event"]["severity"], 73);
        assert_eq!(doc["file"]["name"], "a|b=c \"q\" \\d]\nstaff.xlsx");
        assert_eq!(doc["file"]["extension"], "xlsx");
        assert_eq!(doc["rule"]["id"], "confidential_in_unmanaged_cloud");
        assert_eq!(doc["dlp_scan"]["storage"]["managed"], false);
        assert_eq!(doc["dlp_scan"]["match_count"], 14);
        assert_eq!(doc["host"]["name"], "lt-0042");
    }
}
