//! `ocsf`: OCSF 1.8. File records and errors are Data Security Findings (class 2006, category 2
//! Findings, activity 1 Create); an error is a finding whose classification failed
//! (`data_security.status_id` 3). A run's summary is a Base Event (class 0). Details OCSF has no
//! attribute for go under `unmapped`, as the schema intends.

use serde_json::{json, Value};

use crate::clock::epoch_millis;
use crate::policy::{LocationKind, Severity};
use crate::report::event::{Event, Origin, PRODUCT, PRODUCT_VERSION};
use crate::report::{ErrorRecord, FileRecord, Record, SummaryRecord};

/// The OCSF version the events follow.
pub const OCSF_VERSION: &str = "1.8.0";
const DATA_SECURITY_FINDING: u32 = 2006;
const FINDINGS_CATEGORY: u32 = 2;
const ACTIVITY_CREATE: u32 = 1;

pub(super) fn encode(event: &Event, origin: &Origin) -> Vec<u8> {
    let doc = match event.record {
        Record::File(f) => file_finding(f, event, origin),
        Record::Error(e) => error_finding(e, event, origin),
        Record::Summary(s) => summary_event(s, event, origin),
    };
    super::to_json_line(&doc)
}

/// `severity_id` and its caption.
fn severity(severity: Option<Severity>) -> (u32, &'static str) {
    match severity {
        None => (1, "Informational"),
        Some(Severity::Low) => (2, "Low"),
        Some(Severity::Medium) => (3, "Medium"),
        Some(Severity::High) => (4, "High"),
        Some(Severity::Critical) => (5, "Critical"),
    }
}

/// The attributes every finding shares (base event plus `finding_info`).
fn finding_base(event: &Event, origin: &Origin, desc: String) -> Value {
    let (severity_id, severity_name) = severity(event.severity());
    let time = epoch_millis(event.time);
    json!({
        "class_uid": DATA_SECURITY_FINDING,
        "class_name": "Data Security Finding",
        "category_uid": FINDINGS_CATEGORY,
        "category_name": "Findings",
        "activity_id": ACTIVITY_CREATE,
        "activity_name": "Create",
        "type_uid": DATA_SECURITY_FINDING * 100 + ACTIVITY_CREATE,
        "type_name": "Data Security Finding: Create",
        "severity_id": severity_id,
        "severity": severity_name,
        "time": time,
        "status_id": 1,
        "status": "New",
        "is_alert": event.is_alert(),
        "message": desc,
        "metadata": metadata(event),
        "finding_info": {
            "uid": event.id.to_string(),
            "title": event.action().title(),
            "desc": desc,
            "types": [event.action().as_str()],
            "created_time": time,
        },
        "device": { "hostname": origin.host_name, "name": origin.host_name, "type_id": 0, "os": { "name": origin.os_type, "type": os_caption(origin.os_type), "type_id": os_type_id(origin.os_type) } },
    })
}

fn metadata(event: &Event) -> Value {
    json!({
        "version": OCSF_VERSION,
        "uid": event.id.to_string(),
        "product": { "name": PRODUCT, "vendor_name": PRODUCT, "version": PRODUCT_VERSION },
        "log_name": "dlp-scan events",
    })
}

fn os_type_id(os: &str) -> u32 {
    match os {
        "windows" => 100,
        "linux" => 200,
        "macos" => 300,
        _ => 0,
    }
}

fn os_caption(os: &str) -> &'static str {
    match os {
        "windows" => "Windows",
        "linux" => "Linux",
        "macos" => "macOS",
        _ => "Unknown",
    }
}

/// OCSF `drive_type_id`: 1 Removable, 2 Fixed, 3 Remote (a cloud-synchronised folder).
fn drive_type_id(kind: LocationKind) -> u32 {
    match kind {
        LocationKind::Removable => 1,
        LocationKind::Local => 2,
        LocationKind::ManagedCloud | LocationKind::UnmanagedCloud => 3,
    }
}

/// OCSF `confidentiality_id`: 1 Not Confidential, 2 Confidential, 3 Secret.
fn confidentiality(category: crate::classify::Category) -> (u32, &'static str) {
    use crate::classify::Category;
    match category {
        Category::Public | Category::NotSensitive => (1, "Not Confidential"),
        Category::Confidential => (2, "Confidential"),
        Category::HighlyConfidential => (3, "Secret"),
    }
}

fn file_object(path: &str, size: Option<u64>) -> Value {
    let (_, name) = super::split_path(path);
    let mut file = json!({ "name": name, "path": path, "type_id": 1, "type": "Regular File" });
    if let Some(size) = size {
        file["size"] = size.into();
    }
    file
}

fn file_finding(f: &FileRecord, event: &Event, origin: &Origin) -> Value {
    let desc = f
        .violations
        .iter()
        .map(|v| v.reason.as_str())
        .chain(f.reasons.iter().map(String::as_str))
        .collect::<Vec<_>>()
        .join("; ");
    let mut doc = finding_base(event, origin, desc);
    let (confidentiality_id, confidentiality_name) = confidentiality(f.classification);
    let mut file = file_object(&f.path, Some(f.size));
    file["is_encrypted"] = f.encryption.encrypted.into();
    file["drive_type_id"] = drive_type_id(f.location.kind).into();
    file["confidentiality_id"] = confidentiality_id.into();
    file["confidentiality"] = confidentiality_name.into();
    doc["file"] = file;
    let rule = f.violations.iter().max_by_key(|v| v.severity);
    let mut data_security = json!({
        "data_lifecycle_state_id": 1,
        "data_lifecycle_state": "Data at-Rest",
        "detection_system_id": 1,
        "detection_system": "Endpoint",
        "category_id": if f.findings.is_empty() { 99 } else { 1 },
        "confidentiality_id": confidentiality_id,
        "confidentiality": confidentiality_name,
        "detection_pattern": f.findings.iter().map(|d| d.detector.as_str()).collect::<Vec<_>>().join(","),
        "discovery_details": f.findings.iter().map(|d| json!({ "type": d.detector, "count": d.count, "occurrences": d.occurrences })).collect::<Vec<_>>(),
        "status_id": if f.partial { 2 } else { 1 },
        "status": if f.partial { "Partial" } else { "Complete" },
    });
    if let Some(v) = rule {
        data_security["policy"] =
            json!({ "name": v.rule, "uid": v.rule, "version": PRODUCT_VERSION, "desc": v.remediation });
    }
    doc["data_security"] = data_security;
    doc["unmapped"] = json!({
        "dlp_scan": {
            "schema_version": f.schema_version,
            "classification": f.classification,
            "reasons": f.reasons,
            "findings": f.findings,
            "violations": f.violations,
            "location": f.location,
            "encryption": f.encryption,
            "format": f.format,
            "members_with_findings": f.members_with_findings,
            "members_omitted": f.members_omitted,
            "partial_reasons": f.partial_reasons,
            "path_base64": f.path_base64,
        }
    });
    doc
}

fn error_finding(e: &ErrorRecord, event: &Event, origin: &Origin) -> Value {
    let mut doc = finding_base(event, origin, e.message.clone());
    doc["file"] = file_object(&e.path, None);
    doc["data_security"] = json!({
        "data_lifecycle_state_id": 1,
        "detection_system_id": 1,
        "status_id": 3,
        "status": "Fail",
        "status_detail": e.kind,
    });
    doc["unmapped"] = json!({ "dlp_scan": { "schema_version": e.schema_version, "error_kind": e.kind, "path_base64": e.path_base64 } });
    doc
}

fn summary_event(s: &SummaryRecord, event: &Event, origin: &Origin) -> Value {
    json!({
        "class_uid": 0,
        "class_name": "Base Event",
        "category_uid": 0,
        "category_name": "Uncategorized",
        "activity_id": 99,
        "activity_name": event.action().as_str(),
        "type_uid": 99,
        "severity_id": 1,
        "severity": "Informational",
        "time": epoch_millis(event.time),
        "duration": s.duration_ms,
        "message": event.action().title(),
        "metadata": metadata(event),
        "device": { "hostname": origin.host_name, "type_id": 0 },
        "unmapped": { "dlp_scan": { "summary": s } },
    })
}
