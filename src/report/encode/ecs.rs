//! `ecs`: Elastic Common Schema 9.4. Standard fields where ECS has them (`event.*`, `file.*`,
//! `host.*`, `rule.*`, `volume.*`, `error.*`); everything DLP-specific under `dlp_scan.*`, the
//! product namespace ECS asks custom fields to use.

use serde_json::{json, Map, Value};

use crate::clock::rfc3339_millis;
use crate::policy::{LocationKind, Severity};
use crate::report::event::{Event, Origin, PRODUCT, PRODUCT_VERSION};
use crate::report::{ErrorRecord, FileRecord, Record, SummaryRecord};

/// The ECS version the field names follow.
pub const ECS_VERSION: &str = "9.4.0";

pub(super) fn encode(event: &Event, origin: &Origin) -> Vec<u8> {
    let mut doc = json!({
        "@timestamp": rfc3339_millis(event.time),
        "ecs": { "version": ECS_VERSION },
        "event": event_fields(event),
        "host": { "name": origin.host_name, "hostname": origin.host_name, "os": { "type": origin.os_type } },
        "agent": { "type": PRODUCT, "version": PRODUCT_VERSION },
    });
    let fields = doc.as_object_mut().expect("a JSON object literal");
    match event.record {
        Record::File(f) => file_event(f, fields),
        Record::Error(e) => error_event(e, fields),
        Record::Summary(s) => summary_event(s, fields),
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

fn event_fields(event: &Event) -> Value {
    let (kind, category, kind_of_change) = match event.record {
        Record::File(_) if event.is_alert() => ("alert", "file", "info"),
        Record::File(_) | Record::Error(_) => ("event", "file", "info"),
        Record::Summary(_) => ("event", "process", "end"),
    };
    let score = severity_score(event.severity());
    let mut fields = json!({
        "id": event.id.to_string(),
        "kind": kind,
        "category": [category],
        "type": [kind_of_change],
        "action": event.action().as_str(),
        "severity": score,
        "risk_score": f64::from(score),
        "dataset": "dlp_scan.events",
        "module": "dlp_scan",
        "created": rfc3339_millis(event.time),
    });
    let outcome = match event.record {
        Record::Error(_) => "failure",
        Record::File(f) if f.partial => "unknown",
        _ => "success",
    };
    fields["outcome"] = outcome.into();
    if let Record::File(f) = event.record {
        if let Some(v) = f.violations.iter().max_by_key(|v| v.severity) {
            fields["reason"] = v.reason.clone().into();
        }
    }
    fields
}

fn file_fields(path: &str, size: Option<u64>, encrypted: bool) -> Value {
    let (directory, name) = super::split_path(path);
    let mut file = json!({ "path": path, "name": name, "directory": directory, "type": "file" });
    if let Some(ext) = super::extension(name) {
        file["extension"] = ext.into();
    }
    if let Some(size) = size {
        file["size"] = size.into();
    }
    if encrypted {
        file["attributes"] = json!(["encrypted"]);
    }
    file
}

fn file_event(f: &FileRecord, fields: &mut Map<String, Value>) {
    fields.insert("file".into(), file_fields(&f.path, Some(f.size), f.encryption.encrypted));
    if let Some(v) = f.violations.iter().max_by_key(|v| v.severity) {
        fields.insert(
            "rule".into(),
            json!({
                "id": v.rule,
                "name": v.rule,
                "description": v.remediation,
                "category": f.classification.as_str(),
                "ruleset": PRODUCT,
                "version": PRODUCT_VERSION,
            }),
        );
    }
    if f.location.kind == LocationKind::Removable {
        let mut volume = json!({ "removable": true });
        if let Some(root) = &f.location.root {
            volume["mount_name"] = root.clone().into();
        }
        fields.insert("volume".into(), volume);
    }
    let detectors: Vec<&str> = f.findings.iter().map(|d| d.detector.as_str()).collect();
    let match_count: usize = f.findings.iter().map(|d| d.count).sum();
    fields.insert(
        "dlp_scan".into(),
        json!({
            "schema_version": f.schema_version,
            "classification": f.classification,
            "reasons": f.reasons,
            "match_count": match_count,
            "detectors": detectors,
            "findings": f.findings,
            "violations": f.violations,
            "storage": {
                "kind": f.location.kind,
                "provider": f.location.provider,
                "managed": managed(f.location.kind),
                "sync_root": f.location.root,
                "volume_encryption": f.location.volume_encryption,
            },
            "encryption": f.encryption,
            "format": f.format,
            "members_with_findings": f.members_with_findings,
            "members_omitted": f.members_omitted,
            "partial": f.partial,
            "partial_reasons": f.partial_reasons,
            "path_base64": f.path_base64,
        }),
    );
}

/// Whether a cloud location is managed by the university; null for local disks and removable media.
fn managed(kind: LocationKind) -> Option<bool> {
    match kind {
        LocationKind::ManagedCloud => Some(true),
        LocationKind::UnmanagedCloud => Some(false),
        LocationKind::Local | LocationKind::Removable => None,
    }
}

fn error_event(e: &ErrorRecord, fields: &mut Map<String, Value>) {
    fields.insert("file".into(), file_fields(&e.path, None, false));
    fields.insert("error".into(), json!({ "type": e.kind, "message": e.message }));
    fields.insert("dlp_scan".into(), json!({ "schema_version": e.schema_version, "path_base64": e.path_base64 }));
}

fn summary_event(s: &SummaryRecord, fields: &mut Map<String, Value>) {
    fields.insert("dlp_scan".into(), json!({ "schema_version": s.schema_version, "summary": s }));
    fields["event"]["duration"] = json!(s.duration_ms.saturating_mul(1_000_000));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::encode::tests::sample_file_record;

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
