//! `ocsf`: OCSF 1.8. File records and errors are Data Security Findings (class 2006, category 2
//! Findings, activity 1 Create); an error is a finding whose classification failed
//! (`data_security.status_id` 3). A run's summary is a Base Event (class 0). Details OCSF has no
//! attribute for go under `unmapped`, as the schema intends. Typed, borrowing structs.

use serde::Serialize;

use crate::classify::Category;
use crate::clock::epoch_millis;
use crate::locate::LocationKind;
use crate::policy::{Severity, Violation};
use crate::report::event::{Event, Origin, PRODUCT, PRODUCT_VERSION};
use crate::report::record::wire;
use crate::report::{
    AgentEvent, AgentRecord, EncryptionRecord, ErrorRecord, FileRecord, FindingRecord, LocationRecord, Record,
    SummaryRecord,
};

/// The OCSF version the events follow.
pub const OCSF_VERSION: &str = "1.8.0";
const DATA_SECURITY_FINDING: u32 = 2006;
const FINDINGS_CATEGORY: u32 = 2;
const ACTIVITY_CREATE: u32 = 1;
const ACTIVITY_CLOSE: u32 = 3;
const ACTIVITY_OTHER: u32 = 99;

/// The attributes of every event: the base event's, and a finding's when it is one.
#[derive(Serialize)]
struct Document<'a> {
    class_uid: u32,
    class_name: &'static str,
    category_uid: u32,
    category_name: &'static str,
    activity_id: u32,
    activity_name: &'static str,
    type_uid: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    type_name: Option<&'static str>,
    severity_id: u32,
    severity: &'static str,
    time: u64,
    message: String,
    metadata: Metadata,
    device: Device<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    status_id: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    status: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    is_alert: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    finding_info: Option<FindingInfo>,
    #[serde(skip_serializing_if = "Option::is_none")]
    file: Option<File<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    data_security: Option<DataSecurity<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    duration: Option<u64>,
    unmapped: Unmapped<'a>,
}

#[derive(Serialize)]
struct Metadata {
    version: &'static str,
    uid: String,
    product: Product,
    log_name: &'static str,
}

#[derive(Serialize)]
struct Product {
    name: &'static str,
    vendor_name: &'static str,
    version: &'static str,
}

#[derive(Serialize)]
struct Device<'a> {
    hostname: &'a str,
    name: &'a str,
    type_id: u32,
    os: Os,
}

#[derive(Serialize)]
struct Os {
    name: &'static str,
    #[serde(rename = "type")]
    caption: &'static str,
    type_id: u32,
}

#[derive(Serialize)]
struct FindingInfo {
    uid: String,
    title: &'static str,
    desc: String,
    types: [&'static str; 1],
    created_time: u64,
}

#[derive(Serialize)]
struct File<'a> {
    name: &'a str,
    path: &'a str,
    type_id: u32,
    #[serde(rename = "type")]
    caption: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    size: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    is_encrypted: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    drive_type_id: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    confidentiality_id: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    confidentiality: Option<&'static str>,
}

#[derive(Serialize)]
struct DataSecurity<'a> {
    data_lifecycle_state_id: u32,
    data_lifecycle_state: &'static str,
    detection_system_id: u32,
    detection_system: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    category_id: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    confidentiality_id: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    confidentiality: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    detection_pattern: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    discovery_details: Vec<DiscoveryDetail<'a>>,
    status_id: u32,
    status: &'static str,
    /// Why a scan is partial (reasons, comma-separated) or failed (the error kind).
    #[serde(skip_serializing_if = "Option::is_none")]
    status_detail: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    policy: Option<Policy>,
}

#[derive(Serialize)]
struct DiscoveryDetail<'a> {
    #[serde(rename = "type")]
    detector: &'a str,
    count: usize,
    occurrences: u64,
}

#[derive(Serialize)]
struct Policy {
    name: &'static str,
    uid: &'static str,
    version: &'static str,
    desc: &'static str,
}

#[derive(Serialize)]
struct Unmapped<'a> {
    dlp_scan: DlpScan<'a>,
}

#[derive(Serialize)]
#[serde(untagged)]
enum DlpScan<'a> {
    File(Box<DlpFile<'a>>),
    Error {
        schema_version: u32,
        error_kind: &'static str,
        #[serde(skip_serializing_if = "Option::is_none")]
        path_base64: Option<&'a str>,
    },
    Summary {
        summary: &'a SummaryRecord,
    },
    Agent {
        agent: &'a AgentRecord,
    },
}

#[derive(Serialize)]
struct DlpFile<'a> {
    schema_version: u32,
    #[serde(serialize_with = "wire::category")]
    classification: Category,
    reasons: &'a [String],
    findings: &'a [FindingRecord],
    #[serde(serialize_with = "wire::violations")]
    violations: &'a [Violation],
    location: &'a LocationRecord,
    encryption: &'a EncryptionRecord,
    format: &'static str,
    members_with_findings: &'a [String],
    members_omitted: u64,
    partial_reasons: &'a [&'static str],
    #[serde(skip_serializing_if = "Option::is_none")]
    path_base64: Option<&'a str>,
}

pub(super) fn encode(event: &Event, origin: &Origin) -> Vec<u8> {
    let doc = match event.record {
        Record::File(f) => file_finding(f, event, origin),
        Record::Error(e) => error_finding(e, event, origin),
        Record::Summary(s) => summary_event(s, event, origin),
        Record::Agent(a) if a.event == AgentEvent::Resolved => resolved_finding(a, event, origin),
        Record::Agent(a) => base(event, origin, a.message.clone(), DlpScan::Agent { agent: a }),
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

/// OS `type_id` and caption (100 Windows, 200 Linux, 300 macOS).
fn os(os_type: &'static str) -> Os {
    let (caption, type_id) = match os_type {
        "windows" => ("Windows", 100),
        "macos" => ("macOS", 300),
        _ => ("Linux", 200),
    };
    Os { name: os_type, caption, type_id }
}

/// The attributes every event shares; a finding's are added by the caller.
fn base<'a>(event: &Event, origin: &'a Origin, message: String, unmapped: DlpScan<'a>) -> Document<'a> {
    let (severity_id, severity_name) = severity(event.severity());
    let summary = matches!(event.record, Record::Summary(_))
        || matches!(event.record, Record::Agent(a) if a.event != AgentEvent::Resolved);
    let (class_uid, class_name, category_uid, category_name, activity_id, activity_name) = if summary {
        (0, "Base Event", 0, "Uncategorized", ACTIVITY_OTHER, event.action().as_str())
    } else {
        (DATA_SECURITY_FINDING, "Data Security Finding", FINDINGS_CATEGORY, "Findings", ACTIVITY_CREATE, "Create")
    };
    Document {
        class_uid,
        class_name,
        category_uid,
        category_name,
        activity_id,
        activity_name,
        type_uid: class_uid * 100 + activity_id,
        type_name: (!summary).then_some("Data Security Finding: Create"),
        severity_id,
        severity: severity_name,
        time: epoch_millis(event.time),
        message,
        metadata: Metadata {
            version: OCSF_VERSION,
            uid: event.id.to_string(),
            product: Product { name: PRODUCT, vendor_name: PRODUCT, version: PRODUCT_VERSION },
            log_name: "dlp-scan events",
        },
        device: Device { hostname: &origin.host_name, name: &origin.host_name, type_id: 0, os: os(origin.os_type) },
        status_id: None,
        status: None,
        is_alert: None,
        finding_info: None,
        file: None,
        data_security: None,
        duration: None,
        unmapped: Unmapped { dlp_scan: unmapped },
    }
}

/// The finding attributes of a Data Security Finding.
fn make_finding(doc: &mut Document, event: &Event) {
    doc.status_id = Some(1);
    doc.status = Some("New");
    doc.is_alert = Some(event.is_alert());
    doc.finding_info = Some(FindingInfo {
        uid: event.id.to_string(),
        title: event.action().title(),
        desc: doc.message.clone(),
        types: [event.action().as_str()],
        created_time: doc.time,
    });
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
fn confidentiality(category: Category) -> (u32, &'static str) {
    match category {
        Category::Public | Category::NotSensitive => (1, "Not Confidential"),
        Category::Confidential => (2, "Confidential"),
        Category::HighlyConfidential => (3, "Secret"),
    }
}

fn file_object(path: &str, size: Option<u64>) -> File<'_> {
    let (_, name) = super::split_path(path);
    File {
        name,
        path,
        type_id: 1,
        caption: "Regular File",
        size,
        is_encrypted: None,
        drive_type_id: None,
        confidentiality_id: None,
        confidentiality: None,
    }
}

fn file_finding<'a>(f: &'a FileRecord, event: &Event, origin: &'a Origin) -> Document<'a> {
    let message = f
        .violations
        .iter()
        .map(|v| v.reason.as_str())
        .chain(f.reasons.iter().map(String::as_str))
        .collect::<Vec<_>>()
        .join("; ");
    let unmapped = DlpScan::File(Box::new(DlpFile {
        schema_version: f.schema_version,
        classification: f.classification,
        reasons: &f.reasons,
        findings: &f.findings,
        violations: &f.violations,
        location: &f.location,
        encryption: &f.encryption,
        format: f.format,
        members_with_findings: &f.members_with_findings,
        members_omitted: f.members_omitted,
        partial_reasons: &f.partial_reasons,
        path_base64: f.path_base64.as_deref(),
    }));
    let mut doc = base(event, origin, message, unmapped);
    make_finding(&mut doc, event);
    let (confidentiality_id, confidentiality_name) = confidentiality(f.classification);
    doc.file = Some(File {
        is_encrypted: Some(f.encryption.encrypted),
        drive_type_id: Some(drive_type_id(f.location.kind)),
        confidentiality_id: Some(confidentiality_id),
        confidentiality: Some(confidentiality_name),
        ..file_object(&f.path, Some(f.size))
    });
    let (status_id, status) = if f.partial { (2, "Partial") } else { (1, "Complete") };
    doc.data_security = Some(DataSecurity {
        data_lifecycle_state_id: 1,
        data_lifecycle_state: "Data at-Rest",
        detection_system_id: 1,
        detection_system: "Endpoint",
        category_id: Some(if f.findings.is_empty() { 99 } else { 1 }),
        confidentiality_id: Some(confidentiality_id),
        confidentiality: Some(confidentiality_name),
        detection_pattern: Some(f.findings.iter().map(|d| d.detector.as_str()).collect::<Vec<_>>().join(",")),
        discovery_details: f
            .findings
            .iter()
            .map(|d| DiscoveryDetail { detector: &d.detector, count: d.count, occurrences: d.occurrences })
            .collect(),
        status_id,
        status,
        status_detail: f.partial.then(|| f.partial_reasons.join(",")),
        policy: f.violations.iter().max_by_key(|v| v.severity).map(|v| Policy {
            name: v.rule,
            uid: v.rule,
            version: PRODUCT_VERSION,
            desc: v.remediation,
        }),
    });
    doc
}

fn error_finding<'a>(e: &'a ErrorRecord, event: &Event, origin: &'a Origin) -> Document<'a> {
    let unmapped =
        DlpScan::Error { schema_version: e.schema_version, error_kind: e.kind, path_base64: e.path_base64.as_deref() };
    let mut doc = base(event, origin, e.message.clone(), unmapped);
    make_finding(&mut doc, event);
    doc.file = Some(file_object(&e.path, None));
    doc.data_security = Some(without_classification(3, "Fail", Some(e.kind)));
    doc
}

/// `data_security` for a finding that carries no classification of its own (an unreadable file,
/// a closed violation): data at rest, found by an endpoint, and the classification status.
fn without_classification(
    status_id: u32,
    status: &'static str,
    status_detail: Option<&'static str>,
) -> DataSecurity<'static> {
    DataSecurity {
        data_lifecycle_state_id: 1,
        data_lifecycle_state: "Data at-Rest",
        detection_system_id: 1,
        detection_system: "Endpoint",
        category_id: None,
        confidentiality_id: None,
        confidentiality: None,
        detection_pattern: None,
        discovery_details: Vec::new(),
        status_id,
        status,
        status_detail: status_detail.map(str::to_string),
        policy: None,
    }
}

/// A closed finding (activity 3, Close; status 4, Resolved) for a file and rules, so a SIEM can
/// close the alert it opened for that file and those rules.
fn resolved_finding<'a>(a: &'a AgentRecord, event: &Event, origin: &'a Origin) -> Document<'a> {
    let mut doc = base(event, origin, a.message.clone(), DlpScan::Agent { agent: a });
    make_finding(&mut doc, event);
    doc.activity_id = ACTIVITY_CLOSE;
    doc.activity_name = "Close";
    doc.type_uid = DATA_SECURITY_FINDING * 100 + ACTIVITY_CLOSE;
    doc.type_name = Some("Data Security Finding: Close");
    doc.status_id = Some(4);
    doc.status = Some("Resolved");
    doc.is_alert = Some(false);
    doc.file = a.path.as_deref().map(|p| file_object(p, None));
    doc.data_security = Some(without_classification(1, "Complete", None));
    doc
}

fn summary_event<'a>(s: &'a SummaryRecord, event: &Event, origin: &'a Origin) -> Document<'a> {
    let mut doc = base(event, origin, event.action().title().to_string(), DlpScan::Summary { summary: s });
    doc.duration = Some(s.duration_ms);
    doc
}
