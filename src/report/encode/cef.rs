//! `cef`: ArcSight Common Event Format 0 (Micro Focus "Implementing ArcSight CEF", rev. 25).
//!
//! `CEF:0|Vendor|Product|Version|Signature ID|Name|Severity|Extension`. In the header `\` and `|`
//! are escaped; in extension values `\`, `=` and line breaks (`\n`, `\r`). Other control
//! characters (and the few others `is_unsafe_in_line` names) become U+FFFD in both. Keys are the
//! dictionary's (`rt`, `act`, `cat`, `fname`, `filePath`, ...) plus labelled custom strings
//! `cs1`..`cs6` and numbers `cn1`..`cn2`, listed in `docs/event-schema.md`.

use std::fmt::Write as _;

use crate::clock::epoch_millis;
use crate::policy::Severity;
use crate::report::event::{Event, Origin, PRODUCT, PRODUCT_VERSION};
use crate::report::{AgentRecord, ErrorRecord, FileRecord, Record, SummaryRecord};

pub(super) fn encode(event: &Event, origin: &Origin) -> Vec<u8> {
    let mut ext = Extension(String::new());
    ext.add("rt", &epoch_millis(event.time).to_string());
    ext.add("externalId", &event.id.to_string());
    ext.add("act", event.action().as_str());
    ext.add("dvchost", &origin.host_name);
    let signature = match event.record {
        Record::File(f) => {
            file_extension(f, &mut ext);
            file_signature(f)
        }
        Record::Error(e) => {
            error_extension(e, &mut ext);
            format!("scan_error.{}", e.kind)
        }
        Record::Summary(s) => {
            summary_extension(s, &mut ext);
            "scan_summary".to_string()
        }
        Record::Agent(a) => {
            agent_extension(a, &mut ext);
            format!("agent_{}", a.event.as_str())
        }
    };
    let mut line = String::from("CEF:0");
    for field in [PRODUCT, PRODUCT, PRODUCT_VERSION, &signature, event.action().title()] {
        line.push('|');
        line.push_str(&escape_header(field));
    }
    let _ = write!(line, "|{}|", severity(event.severity()));
    line.push_str(&ext.0);
    line.into_bytes()
}

/// CEF severity 0-10.
fn severity(severity: Option<Severity>) -> u8 {
    match severity {
        None => 1,
        Some(Severity::Low) => 3,
        Some(Severity::Medium) => 5,
        Some(Severity::High) => 8,
        Some(Severity::Critical) => 10,
    }
}

fn file_signature(f: &FileRecord) -> String {
    match f.violations.iter().max_by_key(|v| v.severity) {
        Some(v) => v.rule.to_string(),
        None if !f.findings.is_empty() => "sensitive_data".to_string(),
        None if f.encryption.encrypted => "encrypted_file".to_string(),
        None => "scan_incomplete".to_string(),
    }
}

/// Extension pairs, escaped as they are added. Keys are fixed ASCII names.
struct Extension(String);

impl Extension {
    fn add(&mut self, key: &str, value: &str) {
        if !self.0.is_empty() {
            self.0.push(' ');
        }
        self.0.push_str(key);
        self.0.push('=');
        self.0.push_str(&escape_extension_value(value));
    }

    fn add_labelled(&mut self, key: &str, label: &str, value: &str) {
        self.add(&format!("{key}Label"), label);
        self.add(key, value);
    }
}

fn file_extension(f: &FileRecord, ext: &mut Extension) {
    let (_, name) = super::split_path(&f.path);
    ext.add("fname", name);
    ext.add("filePath", &f.path);
    ext.add("fsize", &f.size.to_string());
    ext.add("fileType", f.format);
    ext.add("cat", f.classification.as_str());
    let distinct: usize = f.findings.iter().map(|d| d.count).sum();
    ext.add("cnt", &distinct.to_string());
    if let Some(v) = f.violations.iter().max_by_key(|v| v.severity) {
        ext.add("reason", &v.reason);
    }
    ext.add("msg", &f.reasons.join("; "));
    ext.add("outcome", if f.partial { "partial" } else { "complete" });
    if f.partial {
        ext.add_labelled("flexString1", "partialReasons", &f.partial_reasons.join(","));
    }
    let detectors: Vec<String> = f.findings.iter().map(|d| format!("{}:{}", d.detector, d.count)).collect();
    ext.add_labelled("cs1", "classification", f.classification.as_str());
    ext.add_labelled("cs2", "detectors", &detectors.join(","));
    let location = match &f.location.provider {
        Some(p) => format!("{}/{p}", f.location.kind.as_str()),
        None => f.location.kind.as_str().to_string(),
    };
    ext.add_labelled("cs3", "storageLocation", &location);
    let encryption = match (&f.encryption.method, f.encryption.strong) {
        (Some(m), Some(true)) => format!("{m} (strong)"),
        (Some(m), _) => m.clone(),
        (None, _) if f.encryption.encrypted => "unknown".to_string(),
        (None, _) => "none".to_string(),
    };
    ext.add_labelled("cs4", "encryption", &encryption);
    let rules: Vec<&str> = f.violations.iter().map(|v| v.rule).collect();
    ext.add_labelled("cs5", "violatedRules", &rules.join(","));
    ext.add_labelled("cs6", "fingerprints", &fingerprints(f));
    ext.add_labelled("cn1", "schemaVersion", &f.schema_version.to_string());
    let members = f.members_with_findings.len() as u64 + f.members_omitted;
    ext.add_labelled("cn2", "membersWithFindings", &members.to_string());
}

/// Keyed fingerprints, `detector:hex`, so a SIEM can follow one value across files.
fn fingerprints(f: &FileRecord) -> String {
    let all = f.findings.iter().flat_map(|d| d.fingerprints.iter().map(move |h| format!("{}:{h}", d.detector)));
    all.collect::<Vec<_>>().join(",")
}

fn error_extension(e: &ErrorRecord, ext: &mut Extension) {
    let (_, name) = super::split_path(&e.path);
    ext.add("fname", name);
    ext.add("filePath", &e.path);
    ext.add("outcome", "failure");
    ext.add("reason", e.kind);
    ext.add("msg", &e.message);
    ext.add_labelled("cn1", "schemaVersion", &e.schema_version.to_string());
}

fn summary_extension(s: &SummaryRecord, ext: &mut Extension) {
    ext.add("cnt", &s.files_with_findings.to_string());
    let violations: u64 = s.violations.values().sum();
    let msg = format!(
        "{} files seen, {} scanned, {} with findings, {violations} violations, {} errors, {} incomplete",
        s.files_seen, s.files_scanned, s.files_with_findings, s.errors, s.partial
    );
    ext.add("msg", &msg);
    if !s.partial_reasons.is_empty() {
        ext.add_labelled("flexString1", "partialReasons", &counts(&s.partial_reasons));
    }
    if !s.error_kinds.is_empty() {
        ext.add_labelled("flexString2", "errorKinds", &counts(&s.error_kinds));
    }
    ext.add_labelled("cn1", "schemaVersion", &s.schema_version.to_string());
    ext.add_labelled("cn2", "violations", &violations.to_string());
    ext.add_labelled("cn3", "durationMs", &s.duration_ms.to_string());
}

/// `name:count,...`, as other lists in CEF values.
fn counts(by_name: &std::collections::BTreeMap<&'static str, u64>) -> String {
    by_name.iter().map(|(name, n)| format!("{name}:{n}")).collect::<Vec<_>>().join(",")
}

fn agent_extension(a: &AgentRecord, ext: &mut Extension) {
    if let Some(path) = &a.path {
        let (_, name) = super::split_path(path);
        ext.add("fname", name);
        ext.add("filePath", path);
    }
    if let Some(status) = a.status {
        ext.add("outcome", status);
    }
    ext.add("msg", &a.message);
    if !a.rules.is_empty() {
        ext.add_labelled("cs5", "violatedRules", &a.rules.join(","));
    }
    if !a.counters.is_empty() {
        let counters: Vec<String> = a.counters.iter().map(|(k, v)| format!("{k}:{v}")).collect();
        ext.add_labelled("cs6", "counters", &counters.join(","));
    }
    ext.add_labelled("cn1", "schemaVersion", &a.schema_version.to_string());
}

/// What stands for a character that CEF has no escape for and that must not pass raw (see
/// [`super::is_unsafe_in_line`]): the replacement character. A backslash escape of our own would
/// be read by CEF parsers as the letters after it; the exact name is in the JSON encodings.
const REPLACEMENT: char = '\u{fffd}';

/// Header fields: backslash and pipe escaped; a line break would end the event, so it becomes a
/// space; other control characters become U+FFFD.
fn escape_header(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '|' => out.push_str("\\|"),
            '\r' | '\n' => out.push(' '),
            c if super::is_unsafe_in_line(c) => out.push(REPLACEMENT),
            c => out.push(c),
        }
    }
    out
}

/// Extension values: backslash, equals sign and line breaks escaped; other control characters
/// become U+FFFD; pipes are left alone.
fn escape_extension_value(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '=' => out.push_str("\\="),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c if super::is_unsafe_in_line(c) => out.push(REPLACEMENT),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::encode::tests::sample_file_record;

    #[test]
    fn header_escapes_backslash_and_pipe_only() {
        assert_eq!(escape_header(r"a|b\c=d"), r"a\|b\\c=d");
        assert_eq!(escape_header("two\nlines"), "two lines");
    }

    #[test]
    fn extension_escapes_backslash_equals_and_line_breaks_but_not_pipes() {
        assert_eq!(escape_extension_value(r"a|b\c=d"), r"a|b\\c\=d");
        assert_eq!(escape_extension_value("x\r\ny"), r"x\r\ny");
        assert_eq!(escape_extension_value("C:\\Users\\ab"), r"C:\\Users\\ab");
    }

    #[test]
    fn other_control_characters_become_the_replacement_character() {
        let hostile = "a\u{1b}[31mb\u{7}\u{7f}\u{9b}c\u{2028}d\u{202e}e";
        assert_eq!(escape_extension_value(hostile), "a\u{fffd}[31mb\u{fffd}\u{fffd}\u{fffd}c\u{fffd}d\u{fffd}e");
        assert_eq!(escape_header(hostile), escape_extension_value(hostile));
    }

    /// Splits an extension the way a CEF parser does: a key starts where an unescaped `=` follows
    /// a word that comes after a space.
    fn parse_extension(ext: &str) -> Vec<(String, String)> {
        let mut pairs: Vec<(String, String)> = Vec::new();
        let bytes: Vec<char> = ext.chars().collect();
        let mut i = 0;
        let mut key = String::new();
        let mut value = String::new();
        let mut in_value = false;
        while i < bytes.len() {
            let c = bytes[i];
            if c == '\\' && i + 1 < bytes.len() {
                let next = bytes[i + 1];
                value.push(match next {
                    'n' => '\n',
                    'r' => '\r',
                    other => other,
                });
                i += 2;
                continue;
            }
            if !in_value {
                if c == '=' {
                    in_value = true;
                } else {
                    key.push(c);
                }
            } else if c == '=' {
                // the word before this `=` was the next key
                let split = value.rfind(' ').expect("a key follows a space");
                let next_key = value[split + 1..].to_string();
                value.truncate(split);
                pairs.push((std::mem::take(&mut key), std::mem::take(&mut value)));
                key = next_key;
            } else {
                value.push(c);
            }
            i += 1;
        }
        pairs.push((key, value));
        pairs
    }

    #[test]
    fn a_file_event_has_seven_header_fields_and_round_trips_its_path() {
        let record = sample_file_record();
        let origin = Origin { host_name: "lt-0042".to_string(), os_type: "linux" };
        let line = String::from_utf8(encode(&Event::stamp(&record), &origin)).unwrap();
        assert!(!line.contains('\n'));
        let mut header = Vec::new();
        let mut rest = line.as_str();
        for _ in 0..7 {
            let mut end = 0;
            let b = rest.as_bytes();
            while b[end] != b'|' || (end > 0 && b[end - 1] == b'\\' && !(end > 1 && b[end - 2] == b'\\')) {
                end += 1;
            }
            header.push(&rest[..end]);
            rest = &rest[end + 1..];
        }
        assert_eq!(header[0], "CEF:0");
        assert_eq!(header[4], "confidential_in_unmanaged_cloud");
        assert_eq!(header[6], "8");
        let pairs = parse_extension(rest);
        let get = |k: &str| pairs.iter().find(|(key, _)| key == k).map(|(_, v)| v.as_str());
        assert_eq!(get("filePath"), Some("/home/ab/Dropbox/a|b=c \"q\" \\d]\nstaff.xlsx"));
        assert_eq!(get("cs1Label"), Some("classification"));
        assert_eq!(get("cs1"), Some("confidential"));
        assert_eq!(get("dvchost"), Some("lt-0042"));
        assert_eq!(get("cnt"), Some("14"));
    }
}
