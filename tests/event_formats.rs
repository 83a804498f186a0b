//! The event encodings as SIEMs read them: ECS and OCSF documents checked against the published
//! field definitions (required fields present, types and allowed values right), CEF lines against
//! its header and escaping rules, and every format and sink searched for planted values.
//!
//! Unix only: the planted tree has symbolic-link loops.
#![cfg(unix)]

use std::collections::HashMap;
use std::path::Path;

use serde_json::Value;

use crate::util::{fixture, Tree};

const PLANTED: [&str; 3] = ["AB 12 34 56 C", "JG103942A", "ann.smith@lboro.ac.uk"];

/// A tree with one of each kind of event: a violation in Dropbox, a staff list on a declared USB
/// stick, an encrypted archive, an unreadable link loop (an error) and the run's summary.
struct Planted {
    tree: Tree,
}

impl Planted {
    fn new() -> Planted {
        let tree = Tree::new();
        let staff =
            format!("Name,NI number,Email\nAnn,{},{}\nBob,{},bob@example.org\n", PLANTED[0], PLANTED[2], PLANTED[1]);
        for folder in ["Dropbox", "usb"] {
            tree.write(&format!("{folder}/staff = \"list\" | 2024.csv"), &staff);
        }
        tree.write("Dropbox/.dropbox", "");
        std::fs::copy(fixture("zip-aes256.zip"), tree.root().join("usb/export.zip")).unwrap();
        std::os::unix::fs::symlink("loop-b", tree.root().join("loop-a")).unwrap();
        std::os::unix::fs::symlink("loop-a", tree.root().join("loop-b")).unwrap();
        tree.config(&format!(
            "[[locations]]\npath = \"{}\"\nkind = \"removable\"\nprovider = \"usb\"\n\
             [[sinks]]\ntype = \"file\"\npath = \"{}\"\nformat = \"ecs\"\n",
            tree.root().join("usb").display(),
            tree.path("events.jsonl").display()
        ));
        Planted { tree }
    }

    /// stdout lines of a scan in `format`, after checking nothing planted is anywhere in them.
    fn events(&self, format: &str) -> Vec<String> {
        let out = self
            .tree
            .command()
            .arg("--config")
            .arg(self.tree.path("config.toml"))
            .args(["--follow", "--format", format])
            .arg(self.tree.root())
            .output()
            .unwrap();
        let stdout = String::from_utf8(out.stdout).unwrap();
        let stderr = String::from_utf8(out.stderr).unwrap();
        for value in PLANTED {
            assert!(!stdout.contains(value) && !stderr.contains(value), "{format} output carries a planted value");
        }
        stdout.lines().map(str::to_string).collect()
    }

    /// The file sink's content, after checking nothing planted is in it.
    fn event_file(&self) -> String {
        let text = std::fs::read_to_string(self.tree.path("events.jsonl")).unwrap();
        for value in PLANTED {
            assert!(!text.contains(value), "the event file carries a planted value");
        }
        text
    }
}

struct EcsField {
    kind: String,
    array: bool,
    allowed: Vec<String>,
}

fn ecs_definitions() -> HashMap<String, EcsField> {
    let text =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/schemas/ecs-9.4-fields.tsv"))
            .unwrap();
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .map(|l| {
            let cols: Vec<&str> = l.split('\t').collect();
            let (kind, array) = match cols[1].strip_suffix("[]") {
                Some(k) => (k.to_string(), true),
                None => (cols[1].to_string(), false),
            };
            let allowed = cols.get(2).map(|a| a.split(',').map(str::to_string).collect()).unwrap_or_default();
            (cols[0].to_string(), EcsField { kind, array, allowed })
        })
        .collect()
}

/// Leaf fields of a document as dotted names (arrays of scalars are leaves).
fn leaves<'a>(prefix: &str, value: &'a Value, out: &mut Vec<(String, &'a Value)>) {
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                let name = if prefix.is_empty() { k.clone() } else { format!("{prefix}.{k}") };
                leaves(&name, v, out);
            }
        }
        other => out.push((prefix.to_string(), other)),
    }
}

fn type_fits(kind: &str, value: &Value) -> bool {
    match kind {
        "keyword" | "match_only_text" => value.is_string(),
        "long" => value.is_i64() || value.is_u64(),
        "float" => value.is_number(),
        "boolean" => value.is_boolean(),
        "date" => value.as_str().is_some_and(|d| d.len() == 24 && d.ends_with('Z') && &d[10..11] == "T"),
        _ => false,
    }
}

#[test]
fn ecs_documents_use_ecs_fields_with_ecs_types_and_values() {
    let tree = Planted::new();
    let defs = ecs_definitions();
    let lines = tree.events("ecs");
    let docs: Vec<Value> = lines.iter().map(|l| serde_json::from_str(l).unwrap()).collect();
    let actions: Vec<&str> = docs.iter().map(|d| d["event"]["action"].as_str().unwrap()).collect();
    for action in ["policy-violation", "file-scan-failed", "scan-completed"] {
        assert!(actions.contains(&action), "{action} in {actions:?}");
    }
    assert!(docs.iter().any(|d| d["volume"]["removable"] == true), "removable media carry volume.*");
    assert!(docs.iter().any(|d| d["file"]["attributes"] == serde_json::json!(["encrypted"])));
    for doc in &docs {
        for required in ["@timestamp", "ecs.version", "event.kind", "event.category", "event.type", "event.id"] {
            let mut fields = Vec::new();
            leaves("", doc, &mut fields);
            assert!(fields.iter().any(|(n, _)| n == required), "{required} missing: {doc}");
        }
        let mut fields = Vec::new();
        leaves("", doc, &mut fields);
        for (name, value) in fields {
            if name.starts_with("dlp_scan.") {
                continue;
            }
            let def = defs
                .get(&name)
                .unwrap_or_else(|| panic!("{name} is not an ECS field; custom fields go under dlp_scan"));
            let values: Vec<&Value> = match value {
                Value::Array(items) => {
                    assert!(def.array, "{name} is not an array field");
                    items.iter().collect()
                }
                v => vec![v],
            };
            for v in values {
                assert!(type_fits(&def.kind, v), "{name}: {v} is not a {}", def.kind);
                if !def.allowed.is_empty() {
                    assert!(def.allowed.iter().any(|a| v == a), "{name}: {v} is not an allowed value");
                }
            }
        }
    }
    // The file sink got the same events, in ECS, one per line.
    assert_eq!(tree.event_file().lines().count(), docs.len());
}

/// OCSF 1.8 requirements (ocsf-schema: events/base_event.json, events/findings/finding.json,
/// events/findings/data_security_finding.json, objects/file.json, objects/metadata.json,
/// objects/data_security.json, objects/finding_info.json).
fn check_ocsf(doc: &Value) {
    let int = |v: &Value| v.as_u64().unwrap_or_else(|| panic!("not an integer: {v}: {doc}"));
    let class = int(&doc["class_uid"]);
    let activity = int(&doc["activity_id"]);
    assert_eq!(int(&doc["type_uid"]), class * 100 + activity, "type_uid = class_uid * 100 + activity_id");
    let severity = int(&doc["severity_id"]);
    assert!(severity <= 6 || severity == 99, "severity_id {severity}");
    assert!(int(&doc["time"]) > 1_600_000_000_000, "time is epoch milliseconds");
    assert!(doc["metadata"]["version"].is_string());
    assert!(doc["metadata"]["product"]["name"].is_string() && doc["metadata"]["product"]["vendor_name"].is_string());
    match class {
        2006 => {
            assert_eq!(int(&doc["category_uid"]), 2);
            assert!([1, 2, 3, 99].contains(&activity));
            assert!(doc["finding_info"]["uid"].is_string(), "finding_info.uid is required");
            assert!(doc["file"]["name"].is_string() && doc["file"]["type_id"].is_u64(), "file needs name and type_id");
            let ds = &doc["data_security"];
            assert!(
                ds.get("data_lifecycle_state_id").is_some()
                    || ds.get("detection_system_id").is_some()
                    || ds.get("policy").is_some(),
                "data_security needs one of its constraint fields"
            );
            for id in
                ["data_lifecycle_state_id", "detection_system_id", "status_id", "category_id", "confidentiality_id"]
            {
                if let Some(v) = ds.get(id) {
                    assert!(v.is_u64(), "data_security.{id} is an integer enum");
                }
            }
            if let Some(e) = doc["file"].get("is_encrypted") {
                assert!(e.is_boolean());
            }
        }
        0 => assert_eq!(int(&doc["category_uid"]), 0, "a Base Event is uncategorised"),
        other => panic!("unexpected class {other}"),
    }
}

#[test]
fn ocsf_events_are_data_security_findings_with_their_required_attributes() {
    let tree = Planted::new();
    let docs: Vec<Value> = tree.events("ocsf").iter().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert!(docs.iter().any(|d| d["class_uid"] == 2006 && d["is_alert"] == true));
    assert!(docs.iter().any(|d| d["data_security"]["status_id"] == 3), "an unreadable file is a failed finding");
    assert!(docs.iter().any(|d| d["file"]["drive_type_id"] == 1), "removable media are drive type 1");
    assert_eq!(docs.last().unwrap()["class_uid"], 0, "the summary is a Base Event");
    docs.iter().for_each(check_ocsf);
}

/// The CEF extension keys dlp-scan may use: the dictionary's (Micro Focus CEF rev. 25).
const CEF_KEYS: [&str; 31] = [
    "rt",
    "externalId",
    "act",
    "dvchost",
    "fname",
    "filePath",
    "fsize",
    "fileType",
    "cat",
    "cnt",
    "reason",
    "msg",
    "outcome",
    "cs1",
    "cs1Label",
    "cs2",
    "cs2Label",
    "cs3",
    "cs3Label",
    "cs4",
    "cs4Label",
    "cs5",
    "cs5Label",
    "cs6",
    "cs6Label",
    "cn1",
    "cn1Label",
    "flexString1",
    "flexString1Label",
    "flexString2",
    "flexString2Label",
];

#[test]
fn cef_lines_have_a_seven_field_header_and_dictionary_keys() {
    let tree = Planted::new();
    for line in tree.events("cef") {
        assert!(line.starts_with("CEF:0|dlp-scan|dlp-scan|"), "{line}");
        // Seven unescaped pipes end the header.
        let bytes = line.as_bytes();
        let mut pipes = Vec::new();
        let mut i = 0;
        while i < bytes.len() && pipes.len() < 7 {
            match bytes[i] {
                b'\\' => i += 1,
                b'|' => pipes.push(i),
                _ => {}
            }
            i += 1;
        }
        assert_eq!(pipes.len(), 7, "{line}");
        let severity: u8 = line[pipes[5] + 1..pipes[6]].parse().expect("a numeric severity");
        assert!(severity <= 10);
        let extension = &line[pipes[6] + 1..];
        // Every key (a word before an unescaped `=` that starts a pair) is from the dictionary.
        let mut word_start = 0;
        let mut escaped = false;
        for (i, c) in extension.char_indices() {
            if escaped {
                escaped = false;
                continue;
            }
            match c {
                '\\' => escaped = true,
                ' ' => word_start = i + 1,
                '=' => {
                    let key = &extension[word_start..i];
                    assert!(CEF_KEYS.contains(&key) || key.starts_with("cn"), "{key} in {line}");
                }
                _ => {}
            }
        }
    }
}

fn packaging(rel: &str) -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("packaging").join(rel)).unwrap()
}

#[test]
fn the_elastic_template_maps_every_ecs_field_with_its_ecs_type() {
    let template: Value = serde_json::from_str(&packaging("elastic/index-template.json")).unwrap();
    assert_eq!(template["index_patterns"][0], "logs-dlp_scan.events-*", "the elasticsearch sink's default index");
    assert_eq!(template["template"]["settings"]["index.default_pipeline"], "dlp_scan-events");
    for (name, def) in ecs_definitions() {
        let mapping = name.split('.').fold(&template["template"]["mappings"], |m, part| &m["properties"][part]);
        assert_eq!(mapping["type"], def.kind.as_str(), "{name}");
    }
    for pipeline in ["elastic/ingest-pipeline.json", "elastic/ingest-pipeline-json-to-ecs.json"] {
        let p: Value = serde_json::from_str(&packaging(pipeline)).unwrap();
        assert!(p["processors"].as_array().is_some_and(|a| !a.is_empty()), "{pipeline}");
    }
}

#[test]
fn the_splunk_add_on_knows_every_sourcetype_and_the_cim_dlp_fields() {
    let props = packaging("splunk/TA-dlp-scan/default/props.conf");
    for sourcetype in ["[dlp_scan:event]", "[dlp_scan:ecs]", "[dlp_scan:cef]"] {
        assert!(props.contains(sourcetype), "{sourcetype}");
    }
    for cim in ["object_path", "signature_id", "severity", "category", "dest", "user", "vendor_product", "dlp_type"] {
        assert!(props.matches(cim).count() >= 3, "{cim} is set for all three sourcetypes");
    }
    let tags = packaging("splunk/TA-dlp-scan/default/tags.conf");
    assert!(tags.contains("dlp = enabled") && tags.contains("incident = enabled"));
    // The HEC sink's default sourcetype is the add-on's json sourcetype.
    let config = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("config/default.toml")).unwrap();
    assert!(config.contains("sourcetype \"dlp_scan:event\""));
}
