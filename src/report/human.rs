//! The terminal's report: what to act on first, then what was found, then totals that add up.
//!
//! 1. Violations, most severe first: the severity and rule, the file's path on a line of its
//!    own, why it is a problem and what to do, in plain words.
//! 2. The inventory: every file with something to report, most sensitive first.
//! 3. Files that could not be read.
//! 4. Totals: files by category (adding up to the files scanned), violations by severity and by
//!    rule, violations allowed by the configuration, files not fully read by reason.
//!
//! Text is wrapped between words to the width given; paths are never wrapped or cut (a long
//! one is alone on its line, so it may exceed the width). Every text from a record is
//! sanitised (control characters are shown as `\x1b`, `\u2028` and the like) so a crafted file
//! name cannot move the cursor, recolour the terminal or read differently from what it is.

use std::io::{self, Write};

use super::collect::{Report, Sensitivity, Totals};
use super::{ErrorRecord, FileRecord};
use crate::policy::Severity;

/// How the report is laid out.
#[derive(Debug, Clone, Copy)]
pub struct Style {
    /// Columns to wrap text at.
    pub width: usize,
    /// Colour with ANSI escapes (only for a terminal).
    pub colour: bool,
}

/// Writes the whole report to `out`.
pub fn write(report: &Report, style: Style, out: &mut dyn Write) -> io::Result<()> {
    let mut w = Writer { style, out };
    writeln!(w.out, "{}\n", sanitise(&report.origin))?;
    w.actions(report)?;
    w.inventory(&report.files)?;
    w.errors(&report.errors)?;
    w.totals(&report.totals)
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

/// Indent of the lines under an entry's first line.
const INDENT: &str = "  ";
/// Indent of the lines under a labelled line (`  Why:  `), so the text lines up.
const LABEL_INDENT: &str = "        ";

struct Writer<'a> {
    style: Style,
    out: &'a mut dyn Write,
}

impl Writer<'_> {
    /// `text` wrapped between words to the width, every line after the first indented by
    /// `indent` (words longer than a line are left whole).
    fn wrapped(&mut self, first_indent: &str, indent: &str, text: &str) -> io::Result<()> {
        let options = textwrap::Options::new(self.style.width)
            .initial_indent(first_indent)
            .subsequent_indent(indent)
            .break_words(false)
            .word_splitter(textwrap::WordSplitter::NoHyphenation);
        for line in textwrap::wrap(text, options) {
            writeln!(self.out, "{line}")?;
        }
        Ok(())
    }

    /// A path on a line of its own, whole, however long.
    fn path(&mut self, path: &str) -> io::Result<()> {
        writeln!(self.out, "{INDENT}{}", sanitise(path))
    }

    fn heading(&mut self, title: &str) -> io::Result<()> {
        self.wrapped("", INDENT, &paint(title, "1", self.style.colour))?;
        writeln!(self.out)
    }

    fn actions(&mut self, report: &Report) -> io::Result<()> {
        let actions = report.actions();
        if actions.is_empty() {
            return Ok(());
        }
        self.heading(&format!("VIOLATIONS ({}), most severe first: act on these", actions.len()))?;
        for a in actions {
            let severity = a.violation.severity;
            let label = paint(&severity.as_str().to_uppercase(), severity_colour(severity), self.style.colour);
            self.wrapped("", INDENT, &format!("{label}  {}", a.violation.rule))?;
            self.path(&a.file.path)?;
            self.wrapped(&format!("{INDENT}Why:  "), LABEL_INDENT, &sanitise(&a.violation.reason))?;
            self.wrapped(&format!("{INDENT}Do:   "), LABEL_INDENT, a.violation.remediation)?;
            writeln!(self.out)?;
        }
        Ok(())
    }

    fn inventory(&mut self, files: &[FileRecord]) -> io::Result<()> {
        if files.is_empty() {
            return Ok(());
        }
        self.heading(&format!("FILES ({}), most sensitive first", files.len()))?;
        for f in files {
            self.file(f)?;
        }
        writeln!(self.out)
    }

    /// One file of the inventory: what it is, where, what was found; then its path and details.
    fn file(&mut self, f: &FileRecord) -> io::Result<()> {
        let sensitivity = Sensitivity::of(f);
        let label = paint(sensitivity.words(), sensitivity_colour(sensitivity), self.style.colour);
        let findings: Vec<String> = f.findings.iter().map(|x| format!("{}\u{d7}{}", x.detector, x.count)).collect();
        let mut details = super::collect::place_words(&f.location);
        if !findings.is_empty() {
            details.push_str(&format!(" \u{b7} {}", findings.join(" ")));
        }
        self.wrapped("", LABEL_INDENT, &format!("{label} \u{b7} {}", sanitise(&details)))?;
        self.path(&f.path)?;
        for m in &f.members_with_findings {
            writeln!(self.out, "{INDENT}in {}", sanitise(m))?;
        }
        if f.members_omitted > 0 {
            writeln!(self.out, "{INDENT}and {} more members with findings", f.members_omitted)?;
        }
        if let Some(encryption) = super::collect::encryption_words(f) {
            self.wrapped(INDENT, LABEL_INDENT, &sanitise(&encryption))?;
        }
        if !f.partial_reasons.is_empty() {
            let reasons: Vec<String> = f.partial_reasons.iter().map(|r| r.replace('_', " ")).collect();
            self.wrapped(INDENT, LABEL_INDENT, &format!("not fully read: {}", reasons.join(", ")))?;
        }
        Ok(())
    }

    fn errors(&mut self, errors: &[ErrorRecord]) -> io::Result<()> {
        if errors.is_empty() {
            return Ok(());
        }
        self.heading(&format!("COULD NOT BE READ ({})", errors.len()))?;
        for e in errors {
            self.path(&e.path)?;
            self.wrapped(LABEL_INDENT, LABEL_INDENT, &sanitise(&e.message))?;
        }
        writeln!(self.out)
    }

    fn totals(&mut self, t: &Totals) -> io::Result<()> {
        self.heading("TOTALS")?;
        for sentence in t.sentences() {
            self.wrapped("", INDENT, &sanitise(&sentence))?;
        }
        Ok(())
    }
}

fn paint(text: &str, code: &str, colour: bool) -> String {
    if colour {
        format!("\x1b[{code}m{text}\x1b[0m")
    } else {
        text.to_string()
    }
}

fn severity_colour(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical => "1;31",
        Severity::High => "31",
        Severity::Medium => "33",
        Severity::Low => "36",
    }
}

fn sensitivity_colour(sensitivity: Sensitivity) -> &'static str {
    match sensitivity {
        Sensitivity::HighlyConfidential => "1;31",
        Sensitivity::Confidential => "33",
        Sensitivity::Encrypted => "36",
        Sensitivity::NotSensitive | Sensitivity::Public => "2",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::classify::Category;
    use crate::report::collect::tests::{file, report};
    use crate::report::view::View;
    use crate::report::SummaryRecord;

    fn text(report: &Report, width: usize) -> String {
        let mut out = Vec::new();
        write(report, Style { width, colour: false }, &mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn control_characters_are_shown_not_sent_to_the_terminal() {
        let name = "/h/a\u{1b}[2Jb\u{7}\r\n\u{7f}\u{9b}c\u{2028}\u{202e}xslx.exe";
        assert_eq!(sanitise(name), r"/h/a\x1b[2Jb\x07\x0d\x0a\x7f\x9bc\u2028\u202exslx.exe");
        assert_eq!(sanitise("Zoë's notes.txt"), "Zoë's notes.txt");
    }

    #[test]
    fn files_not_read_whole_are_counted_by_reason() {
        let mut f = file("/h/staff.xlsx", Category::Confidential, &[]);
        f.partial = true;
        f.partial_reasons = vec!["unsupported_format"];
        let mut r = report(vec![f], 1, &View::default());
        r.totals.summary = SummaryRecord {
            errors: 1,
            error_kinds: [("corrupt", 1)].into(),
            partial: 2,
            partial_reasons: [("truncated", 1), ("unsupported_format", 1)].into(),
            ..r.totals.summary.clone()
        };
        let table = text(&r, 100);
        assert!(table.contains("  not fully read: unsupported format\n"), "{table}");
        assert!(table.contains("Not fully read: 2 (1 truncated, 1 unsupported format)."), "{table}");
        assert!(table.contains("Errors: 1 (1 corrupt)."), "{table}");
    }

    #[test]
    fn the_report_holds_no_raw_control_character_from_a_file_name() {
        let hostile = ['\u{1b}', '\u{7}', '\r', '\n', '\u{7f}', '\u{9b}'];
        let path = format!("/h/Dropbox/{}staff.csv", hostile.iter().collect::<String>());
        let table = text(&report(vec![file(&path, Category::Confidential, &[])], 1, &View::default()), 80);
        let row = table.lines().find(|l| l.contains("staff.csv")).expect("the file's path");
        assert!(row.contains(r"\x1b\x07\x0d\x0a\x7f\x9bstaff.csv"), "{row}");
        assert!(!table.chars().any(|c| hostile.contains(&c) && c != '\n'), "{table:?}");
    }

    #[test]
    fn violations_lead_with_why_and_what_to_do_then_the_inventory_then_totals() {
        let r = report(
            vec![
                file("/h/Dropbox/list.csv", Category::Confidential, &[Severity::High]),
                file("/h/Dropbox/patients.csv", Category::HighlyConfidential, &[Severity::Critical]),
            ],
            5,
            &View::default(),
        );
        let table = text(&r, 160);
        let at = |needle: &str| table.find(needle).unwrap_or_else(|| panic!("no {needle:?} in\n{table}"));
        assert!(at("CRITICAL  ") < at("HIGH  ") && at("HIGH  ") < at("FILES (2)"), "{table}");
        assert!(at("FILES (2)") < at("TOTALS"), "{table}");
        assert!(table.contains("\n  /h/Dropbox/patients.csv\n"), "the path alone on its line: {table}");
        assert!(table.contains("  Why:  confidential content is stored unencrypted in an unmanaged cloud"), "{table}");
        assert!(table.contains("  Do:   encrypt it with AES-256"), "{table}");
        assert!(
            table.contains("highly confidential \u{b7} Dropbox (unmanaged cloud) \u{b7} uk_nino\u{d7}14"),
            "{table}"
        );
        assert!(
            table.contains(
                "1 highly confidential, 1 confidential, 0 encrypted (content unknown), 3 not sensitive, 0 public."
            ),
            "{table}"
        );
        assert!(table.contains("Violations: 2 (1 critical, 1 high); by rule:"), "{table}");
    }

    #[test]
    fn lines_fit_the_width_and_only_paths_may_exceed_it() {
        let long = format!("/h/Dropbox/{}/staff.csv", "a-very-long-folder-name".repeat(4));
        let r = report(vec![file(&long, Category::Confidential, &[Severity::High])], 1, &View::default());
        for width in [50, 80] {
            let table = text(&r, width);
            for line in table.lines().filter(|l| l.trim() != long) {
                assert!(textwrap::core::display_width(line) <= width, "{width}: {line:?}");
            }
            assert!(table.lines().any(|l| l.trim() == long), "the path whole: {table}");
        }
    }
}
