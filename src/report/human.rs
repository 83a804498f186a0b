//! The human view: a table of files by category, then totals.
//!
//! Collects file and error records while the scan runs and writes the table when it ends, sorted
//! most sensitive first. Every text is sanitised (control characters are shown as `\x1b`,
//! `\u2028` and the like) so a crafted file name cannot move the cursor, recolour the terminal or
//! read differently from what it is.

use std::io::{self, Write};
use std::sync::Mutex;

use super::{FileRecord, Record, RecordSink, SummaryRecord};
use crate::classify::Category;

/// Collects records for the table.
#[derive(Default)]
pub struct HumanReport {
    files: Mutex<Vec<FileLine>>,
    errors: Mutex<Vec<String>>,
}

struct FileLine {
    category: Category,
    path: String,
    findings: String,
    members: Vec<String>,
    violations: Vec<String>,
    partial_reasons: Vec<&'static str>,
    encryption: Option<String>,
}

impl RecordSink for HumanReport {
    fn record(&self, record: &Record) {
        match record {
            Record::File(f) => {
                self.files.lock().unwrap_or_else(std::sync::PoisonError::into_inner).push(FileLine::from(f))
            }
            Record::Error(e) => self.errors.lock().unwrap_or_else(std::sync::PoisonError::into_inner).push(format!(
                "{}: {}",
                sanitise(&e.path),
                sanitise(&e.message)
            )),
            Record::Summary(_) | Record::Agent(_) => {}
        }
    }
}

impl From<&FileRecord> for FileLine {
    fn from(f: &FileRecord) -> Self {
        let findings =
            f.findings.iter().map(|x| format!("{}\u{d7}{}", x.detector, x.count)).collect::<Vec<_>>().join(" ");
        let violations = f
            .violations
            .iter()
            .map(|v| sanitise(&format!("{} ({}): {}", v.rule, v.severity.as_str(), v.reason)))
            .collect();
        let members =
            f.members_with_findings.iter().map(|m| format!("{}!/{}", sanitise(&f.path), sanitise(m))).collect();
        let encryption = f.encryption.method.as_ref().map(|m| {
            let strength = match f.encryption.strong {
                Some(true) => "strong",
                Some(false) => "weak",
                None => "strength unknown",
            };
            sanitise(&format!("encrypted: {m} ({strength})"))
        });
        FileLine {
            category: f.classification,
            path: sanitise(&f.path),
            findings: sanitise(&findings),
            members,
            violations,
            partial_reasons: f.partial_reasons.clone(),
            encryption,
        }
    }
}

/// Shows the characters that must not reach a terminal raw as escapes (`\x1b`, `\x9b`,
/// `\u2028`), so a file name cannot drive the terminal and what it holds stays visible.
pub fn sanitise(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for c in name.chars() {
        match u32::from(c) {
            _ if !super::encode::is_unsafe_in_line(c) => out.push(c),
            code @ 0..=0xff => out.push_str(&format!("\\x{code:02x}")),
            code => out.push_str(&format!("\\u{code:04x}")),
        }
    }
    out
}

fn paint(text: &str, category: Category, colour: bool) -> String {
    if !colour {
        return text.to_string();
    }
    let code = match category {
        Category::HighlyConfidential => "1;31",
        Category::Confidential => "33",
        Category::NotSensitive | Category::Public => "2",
    };
    format!("\x1b[{code}m{text}\x1b[0m")
}

impl HumanReport {
    /// Writes the table and the totals.
    pub fn write(&self, summary: &SummaryRecord, out: &mut dyn Write, colour: bool) -> io::Result<()> {
        let mut files = std::mem::take(&mut *self.files.lock().unwrap_or_else(std::sync::PoisonError::into_inner));
        files.sort_by(|a, b| b.category.cmp(&a.category).then_with(|| a.path.cmp(&b.path)));
        if !files.is_empty() {
            writeln!(out, "{:<20} {:<40} PATH", "CATEGORY", "FINDINGS (distinct values)")?;
        }
        for f in &files {
            let category = format!("{:<20}", f.category.as_str());
            let partial = if f.partial_reasons.is_empty() {
                String::new()
            } else {
                format!(" [partial: {}]", f.partial_reasons.join(", "))
            };
            let findings = f.encryption.as_deref().filter(|_| f.findings.is_empty()).unwrap_or(&f.findings);
            writeln!(out, "{} {:<40} {}{partial}", paint(&category, f.category, colour), findings, f.path)?;
            for m in &f.members {
                writeln!(out, "{:<20}   in {m}", "")?;
            }
            for v in &f.violations {
                writeln!(out, "{:<20}   ! {v}", "")?;
            }
        }
        let errors = self.errors.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if !errors.is_empty() {
            writeln!(out)?;
            for e in errors.iter() {
                writeln!(out, "error: {e}")?;
            }
        }
        writeln!(out)?;
        write_totals(summary, out)
    }
}

/// Counts by reason in words: `2 unsupported format, 1 truncated`.
fn counted(counts: &std::collections::BTreeMap<&'static str, u64>) -> String {
    let parts: Vec<String> = counts.iter().map(|(k, v)| format!("{v} {}", k.replace('_', " "))).collect();
    parts.join(", ")
}

/// ` (2 unsupported format, 1 truncated)`, or nothing for no counts.
fn by_reason(counts: &std::collections::BTreeMap<&'static str, u64>) -> String {
    if counts.is_empty() {
        String::new()
    } else {
        format!(" ({})", counted(counts))
    }
}

fn write_totals(s: &SummaryRecord, out: &mut dyn Write) -> io::Result<()> {
    let count = |k: &str| s.classifications.get(k).copied().unwrap_or(0);
    writeln!(
        out,
        "Scanned {} files ({:.1} MB) in {:.1} s.",
        s.files_scanned,
        s.bytes_scanned as f64 / 1e6,
        s.duration_ms as f64 / 1000.0
    )?;
    writeln!(
        out,
        "Files with findings: {} ({} highly confidential, {} confidential, {} not sensitive).",
        s.files_with_findings,
        count("highly_confidential"),
        count("confidential"),
        count("not_sensitive")
    )?;
    let violations: u64 = s.violations.values().sum();
    writeln!(
        out,
        "Violations: {violations}. Errors: {}{}. Incomplete scans: {}{}.",
        s.errors,
        by_reason(&s.error_kinds),
        s.partial,
        by_reason(&s.partial_reasons)
    )?;
    if !s.skipped.is_empty() {
        writeln!(out, "Not scanned: {}.", counted(&s.skipped))?;
    }
    if s.suppressed > 0 {
        writeln!(out, "Documentation or test values ignored: {}.", s.suppressed)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_shown_not_sent_to_the_terminal() {
        let name = "/h/a\u{1b}[2Jb\u{7}\r\n\u{7f}\u{9b}c\u{2028}\u{202e}xslx.exe";
        assert_eq!(sanitise(name), r"/h/a\x1b[2Jb\x07\x0d\x0a\x7f\x9bc\u2028\u202exslx.exe");
        assert_eq!(sanitise("Zoë's notes.txt"), "Zoë's notes.txt");
    }

    #[test]
    fn files_not_read_whole_are_counted_by_reason() {
        let Record::File(mut f) = crate::report::encode::tests::sample_file_record() else { unreachable!() };
        f.partial = true;
        f.partial_reasons = vec!["unsupported_format"];
        let report = HumanReport::default();
        report.record(&Record::File(f));
        let summary = SummaryRecord {
            errors: 1,
            error_kinds: [("corrupt", 1)].into(),
            partial: 2,
            partial_reasons: [("truncated", 1), ("unsupported_format", 1)].into(),
            ..SummaryRecord::default()
        };
        let mut out = Vec::new();
        report.write(&summary, &mut out, false).unwrap();
        let table = String::from_utf8(out).unwrap();
        assert!(table.contains("staff.xlsx [partial: unsupported_format]"), "{table}");
        assert!(
            table.contains("Errors: 1 (1 corrupt). Incomplete scans: 2 (1 truncated, 1 unsupported format)."),
            "{table}"
        );
    }

    #[test]
    fn the_table_holds_no_raw_control_character_from_a_file_name() {
        let Record::File(mut f) = crate::report::encode::tests::sample_file_record() else { unreachable!() };
        let hostile = ['\u{1b}', '\u{7}', '\r', '\n', '\u{7f}', '\u{9b}'];
        f.path = format!("/h/Dropbox/{}staff.csv", hostile.iter().collect::<String>());
        let report = HumanReport::default();
        report.record(&Record::File(f));
        let mut out = Vec::new();
        report.write(&SummaryRecord::default(), &mut out, false).unwrap();
        let table = String::from_utf8(out).unwrap();
        let row = table.lines().find(|l| l.contains("staff.csv")).expect("the file's row");
        assert!(row.contains(r"\x1b\x07\x0d\x0a\x7f\x9bstaff.csv"), "{row}");
        assert!(!table.chars().any(|c| hostile.contains(&c) && c != '\n'), "{table:?}");
        assert_eq!(table.lines().filter(|l| l.contains("staff.csv")).count(), 1, "one line for the file: {table}");
    }
}
