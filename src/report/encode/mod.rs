//! Encodings: one [`Event`] to one line of bytes, in the format a SIEM ingests.
//!
//! * `json`: the project's own records (README, "The report") with `event_id`, `time`, `host`.
//! * `ecs`: Elastic Common Schema 9.4 field names, DLP details under `dlp_scan.*`.
//! * `ocsf`: OCSF 1.8 Data Security Finding (class 2006); a run's summary is a Base Event (class 0).
//! * `cef`: ArcSight Common Event Format with header and extension escaping.
//!
//! Every field of every encoding is listed in `docs/event-schema.md`. An encoded event is one line
//! (no newline inside) of at most [`MAX_EVENT_BYTES`]: longer events are re-encoded with their
//! lists cut ([`Record::trimmed`]), counts kept exact. Encodings carry what records carry: masked
//! samples and keyed fingerprints, never a matched value. Transports live in `crate::deliver`.

mod cef;
mod ecs;
mod json;
mod ocsf;

use serde::Deserialize;

use super::event::{Event, Origin};
use super::Record;

/// The largest encoded event. Fluent Bit's default line buffer is 32 KiB; the rest of 30 KiB is
/// left for a syslog header or an HTTP envelope.
pub const MAX_EVENT_BYTES: usize = 29 * 1024;

/// How far lists are cut, in turn, until an event fits.
const TRIM_STEPS: [usize; 3] = [10, 3, 0];

/// A wire format for events.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventFormat {
    /// The project's own records.
    Json,
    /// Elastic Common Schema.
    Ecs,
    /// OCSF Data Security Finding.
    Ocsf,
    /// ArcSight CEF.
    Cef,
}

impl EventFormat {
    /// Stable lower-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            EventFormat::Json => "json",
            EventFormat::Ecs => "ecs",
            EventFormat::Ocsf => "ocsf",
            EventFormat::Cef => "cef",
        }
    }

    /// True for the JSON-based formats (a JSON object per line).
    pub fn is_json(self) -> bool {
        self != EventFormat::Cef
    }

    /// The event as one line without its newline, at most [`MAX_EVENT_BYTES`] long.
    pub fn encode(self, event: &Event, origin: &Origin) -> Vec<u8> {
        let mut line = self.encode_as_is(event, origin);
        for keep in TRIM_STEPS {
            if line.len() <= MAX_EVENT_BYTES {
                break;
            }
            let trimmed: Record = event.record.trimmed(keep);
            line = self.encode_as_is(&Event { record: &trimmed, ..*event }, origin);
        }
        line
    }

    fn encode_as_is(self, event: &Event, origin: &Origin) -> Vec<u8> {
        match self {
            EventFormat::Json => json::encode(event, origin),
            EventFormat::Ecs => ecs::encode(event, origin),
            EventFormat::Ocsf => ocsf::encode(event, origin),
            EventFormat::Cef => cef::encode(event, origin),
        }
    }
}

/// Serializes a JSON value built by an encoder (or an envelope around an encoded event), with
/// every character that [`is_unsafe_in_line`] names escaped as `\uXXXX`. Cannot fail for
/// `serde_json::Value` (string keys).
pub fn to_json_line<T: serde::Serialize>(value: &T) -> Vec<u8> {
    let mut line = Vec::new();
    let mut serializer = serde_json::Serializer::with_formatter(&mut line, LineSafe);
    match value.serialize(&mut serializer) {
        Ok(()) => line,
        Err(e) => format!("{{\"encoding_error\":\"{e}\"}}").into_bytes(),
    }
}

/// True for characters that a file name (anyone's to choose) may hold but that must not reach a
/// terminal, a log viewer or a line-oriented shipper raw: C0 controls, DEL, C1 controls (U+009B
/// is a terminal's CSI), the Unicode line and paragraph separators (line breaks to JavaScript
/// and some shippers) and the bidirectional overrides and isolates (which make a name read
/// differently from what it is).
pub fn is_unsafe_in_line(c: char) -> bool {
    c.is_control() || matches!(c, '\u{2028}' | '\u{2029}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// serde_json's compact output, with the characters it leaves raw but [`is_unsafe_in_line`] names
/// escaped too (it escapes C0 controls itself). Lossless: a JSON reader gets the same string.
struct LineSafe;

impl serde_json::ser::Formatter for LineSafe {
    fn write_string_fragment<W: ?Sized + std::io::Write>(
        &mut self,
        writer: &mut W,
        fragment: &str,
    ) -> std::io::Result<()> {
        // Every character it names is a control character or lies past ASCII: most fragments (keys,
        // names, masks, fingerprints) are printable ASCII, told by a byte test the compiler
        // vectorises instead of decoding each character.
        if fragment.bytes().all(|b| (0x20..0x7F).contains(&b)) {
            return writer.write_all(fragment.as_bytes());
        }
        let mut clean_from = 0;
        for (i, c) in fragment.char_indices().filter(|&(_, c)| is_unsafe_in_line(c)) {
            writer.write_all(&fragment.as_bytes()[clean_from..i])?;
            write!(writer, "\\u{:04x}", u32::from(c))?;
            clean_from = i + c.len_utf8();
        }
        writer.write_all(&fragment.as_bytes()[clean_from..])
    }
}

/// The last component of a path as recorded, and what comes before it. Separators are this
/// platform's: a backslash is an ordinary file-name character on Linux and macOS.
fn split_path(path: &str) -> (&str, &str) {
    match path.rfind(std::path::is_separator) {
        Some(i) => (&path[..i.max(1)], &path[i + 1..]),
        None => ("", path),
    }
}

/// The extension of a file name, lower-case, without the dot.
fn extension(name: &str) -> Option<String> {
    let dot = name.rfind('.').filter(|&i| i > 0 && i + 1 < name.len())?;
    Some(name[dot + 1..].to_ascii_lowercase())
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::classify::Category;
    use crate::detect::Confidence;
    use crate::locate::LocationKind;
    use crate::policy::{Severity, Violation};
    use crate::report::{EncryptionRecord, FileRecord, FindingRecord, LocationRecord, SCHEMA_VERSION};

    /// A record with every kind of field, including characters each format must escape.
    pub(crate) fn sample_file_record() -> Record {
        Record::File(FileRecord {
            schema_version: SCHEMA_VERSION,
            path: "/home/ab/Dropbox/a|b=c \"q\" \\d]\nstaff.xlsx".to_string(),
            path_base64: None,
            size: 48_213,
            format: "xlsx",
            classification: Category::Confidential,
            reasons: vec!["14 UK National Insurance numbers".to_string()],
            location: LocationRecord {
                kind: LocationKind::UnmanagedCloud,
                provider: Some("dropbox".to_string()),
                root: Some("/home/ab/Dropbox".to_string()),
                volume_encryption: None,
            },
            encryption: EncryptionRecord {
                encrypted: false,
                method: None,
                strong: None,
                cipher: None,
                note: None,
                partly: false,
            },
            findings: vec![FindingRecord {
                detector: "uk_nino".to_string(),
                count: 14,
                occurrences: 15,
                confidence: Confidence::High,
                samples: vec!["AB******C".to_string()],
                fingerprints: vec!["0123456789abcdef0123456789abcdef".to_string()],
            }],
            members_with_findings: Vec::new(),
            members_omitted: 0,
            violations: vec![Violation {
                rule: "confidential_in_unmanaged_cloud",
                severity: Severity::High,
                reason: "confidential data in Dropbox".to_string(),
                remediation: "move it to the university OneDrive",
            }],
            partial: false,
            partial_reasons: Vec::new(),
        })
    }

    fn huge_file_record() -> Record {
        let Record::File(mut f) = sample_file_record() else { unreachable!() };
        f.members_with_findings = (0..50).map(|i| format!("{}/member-{i}.csv", "d".repeat(900))).collect();
        f.findings = (0..30)
            .map(|i| FindingRecord {
                detector: format!("detector_{i}"),
                count: 500,
                occurrences: 900,
                confidence: Confidence::Medium,
                samples: vec!["XX******X".to_string(); 3],
                fingerprints: vec!["f".repeat(32); 20],
            })
            .collect();
        Record::File(f)
    }

    #[test]
    fn every_format_keeps_huge_events_under_the_line_limit_with_counts() {
        let record = huge_file_record();
        let origin = Origin { host_name: "lt-0042".to_string(), os_type: "linux" };
        let event = Event::stamp(&record);
        for format in [EventFormat::Json, EventFormat::Ecs, EventFormat::Ocsf, EventFormat::Cef] {
            let line = format.encode(&event, &origin);
            assert!(line.len() <= MAX_EVENT_BYTES, "{}: {} bytes", format.as_str(), line.len());
            assert!(!line.contains(&b'\n'), "{}: one line", format.as_str());
            if format.is_json() {
                let text = String::from_utf8(line).unwrap();
                assert!(text.contains("members_omitted"), "{}: the cut is counted", format.as_str());
            }
        }
    }

    #[test]
    fn no_encoding_passes_control_characters_from_a_file_name_raw() {
        let Record::File(mut f) = sample_file_record() else { unreachable!() };
        let hostile = ['\u{1b}', '\u{7}', '\r', '\n', '\u{7f}', '\u{9b}', '\u{2028}', '\u{202e}'];
        f.path = format!("/home/ab/Dropbox/{}staff.csv", hostile.iter().collect::<String>());
        f.violations[0].reason = format!("in Dropbox{}", hostile.iter().collect::<String>());
        let record = Record::File(f);
        let origin = Origin { host_name: "lt-0042".to_string(), os_type: "linux" };
        let event = Event::stamp(&record);
        for format in [EventFormat::Json, EventFormat::Ecs, EventFormat::Ocsf, EventFormat::Cef] {
            let line = String::from_utf8(format.encode(&event, &origin)).unwrap();
            let raw: Vec<char> = line.chars().filter(|c| hostile.contains(c)).collect();
            assert!(raw.is_empty(), "{}: {raw:?} raw in {line}", format.as_str());
            if format.is_json() {
                let parsed: serde_json::Value = serde_json::from_str(&line).unwrap();
                let path_at = |v: &serde_json::Value| {
                    [&v["path"], &v["file"]["path"]].into_iter().find_map(|p| p.as_str().map(str::to_string))
                };
                let path = path_at(&parsed);
                assert!(path.is_some_and(|p| p.contains('\u{1b}')), "{}: escaped, not lost: {line}", format.as_str());
            }
        }
    }

    #[test]
    fn printable_ascii_is_safe_in_a_line_so_json_writes_it_as_it_is() {
        assert!((0x20u8..0x7F).all(|b| !is_unsafe_in_line(char::from(b))));
        assert!(is_unsafe_in_line('\u{1f}') && is_unsafe_in_line('\u{7f}'));
        assert_eq!(to_json_line(&"staff list.csv"), b"\"staff list.csv\"");
        assert_eq!(to_json_line(&"a\u{7f}b\u{202e}"), br#""a\u007fb\u202e""#);
    }

    #[test]
    fn every_format_says_why_a_file_was_not_read_whole() {
        let Record::File(mut f) = sample_file_record() else { unreachable!() };
        f.partial = true;
        f.partial_reasons = vec!["truncated", "unsupported_format"];
        let record = Record::File(f);
        let origin = Origin { host_name: "lt-0042".to_string(), os_type: "linux" };
        let event = Event::stamp(&record);
        let json = |format: EventFormat| -> serde_json::Value {
            serde_json::from_slice(&format.encode(&event, &origin)).unwrap()
        };
        let reasons = serde_json::json!(["truncated", "unsupported_format"]);
        assert_eq!(json(EventFormat::Json)["partial_reasons"], reasons);
        assert_eq!(json(EventFormat::Ecs)["dlp_scan"]["partial_reasons"], reasons);
        let ocsf = json(EventFormat::Ocsf);
        assert_eq!(ocsf["data_security"]["status_detail"], "truncated,unsupported_format");
        assert_eq!(ocsf["data_security"]["status"], "Partial");
        let cef = String::from_utf8(EventFormat::Cef.encode(&event, &origin)).unwrap();
        assert!(cef.contains("flexString1Label=partialReasons flexString1=truncated,unsupported_format"), "{cef}");
    }

    #[test]
    fn paths_split_into_directory_name_and_extension() {
        assert_eq!(split_path("/home/ab/staff.XLSX"), ("/home/ab", "staff.XLSX"));
        assert_eq!(split_path("/staff.csv"), ("/", "staff.csv"));
        assert_eq!(split_path("staff.csv"), ("", "staff.csv"));
        #[cfg(windows)]
        assert_eq!(split_path(r"C:\Users\ab\x.docx"), (r"C:\Users\ab", "x.docx"));
        #[cfg(unix)]
        assert_eq!(split_path(r"/srv/a\b.txt"), ("/srv", r"a\b.txt"));
        assert_eq!(extension("staff.XLSX").as_deref(), Some("xlsx"));
        assert_eq!(extension(".bashrc"), None);
        assert_eq!(extension("Makefile"), None);
    }
}
