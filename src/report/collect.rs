//! The reports written when a scan ends (the terminal's, CSV and HTML): the records collected
//! while it runs, put in the order a person acts on, with totals that add up.
//!
//! Every format is written from the same [`Report`], so that they never disagree about what
//! comes first or what a total is.

use std::collections::BTreeMap;
use std::sync::Mutex;

use super::view::View;
use super::{ErrorRecord, FileRecord, LocationRecord, Record, RecordSink, SummaryRecord};
use crate::classify::Category;
use crate::policy::{category_words, provider_name, Severity, Violation};

/// Collects file and error records as the scan produces them (every one: the view is applied
/// when the report is made, so that the totals still count what is not shown).
#[derive(Default)]
pub struct Collected {
    files: Mutex<Vec<FileRecord>>,
    errors: Mutex<Vec<ErrorRecord>>,
}

impl RecordSink for Collected {
    fn record(&self, record: &Record) {
        match record {
            Record::File(f) => lock(&self.files).push(f.clone()),
            Record::Error(e) => lock(&self.errors).push(e.clone()),
            Record::Summary(_) | Record::Agent(_) => {}
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// What a file is to a person reading the report: its category, except that an encrypted file
/// with nothing found in it is not "not sensitive" (its content could not be looked at).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Sensitivity {
    /// Highly confidential.
    HighlyConfidential,
    /// Confidential.
    Confidential,
    /// Encrypted, nothing found: its content is unknown.
    Encrypted,
    /// Not sensitive (including the files read with nothing to report).
    NotSensitive,
    /// Marked public.
    Public,
}

impl Sensitivity {
    /// Every value, most sensitive first.
    pub const ALL: [Sensitivity; 5] = [
        Sensitivity::HighlyConfidential,
        Sensitivity::Confidential,
        Sensitivity::Encrypted,
        Sensitivity::NotSensitive,
        Sensitivity::Public,
    ];

    /// The file's standing.
    pub fn of(file: &FileRecord) -> Sensitivity {
        match file.classification {
            _ if file.encryption.encrypted && file.findings.is_empty() => Sensitivity::Encrypted,
            Category::HighlyConfidential => Sensitivity::HighlyConfidential,
            Category::Confidential => Sensitivity::Confidential,
            Category::NotSensitive => Sensitivity::NotSensitive,
            Category::Public => Sensitivity::Public,
        }
    }

    /// In words, as the totals say it.
    pub fn words(self) -> &'static str {
        match self {
            Sensitivity::HighlyConfidential => category_words(Category::HighlyConfidential),
            Sensitivity::Confidential => category_words(Category::Confidential),
            Sensitivity::Encrypted => "encrypted (content unknown)",
            Sensitivity::NotSensitive => category_words(Category::NotSensitive),
            Sensitivity::Public => category_words(Category::Public),
        }
    }
}

/// Where a file lives, as people say it: `Dropbox (unmanaged cloud)`, `local disk`.
pub fn place_words(location: &LocationRecord) -> String {
    match &location.provider {
        Some(provider) => format!("{} ({})", provider_name(provider), location.kind.words()),
        None => location.kind.words().to_string(),
    }
}

/// How a file is encrypted, in words (`encrypted: zipcrypto (weak)`), when it is.
pub fn encryption_words(file: &FileRecord) -> Option<String> {
    if !file.encryption.encrypted {
        return None;
    }
    let method = file.encryption.method.as_deref().unwrap_or("unknown scheme");
    let strength = match file.encryption.strong {
        Some(true) => "strong",
        Some(false) => "weak",
        None => "strength unknown",
    };
    let part = if file.encryption.partly { ", only part of the content; the rest is in clear" } else { "" };
    Some(format!("encrypted: {method} ({strength}{part})"))
}

/// One violation to act on, with the file it is about.
#[derive(Debug, Clone)]
pub struct Action<'a> {
    /// The violation.
    pub violation: &'a Violation,
    /// Its file.
    pub file: &'a FileRecord,
}

/// What every end-of-scan format shows, in order: violations, inventory, errors, totals.
#[derive(Debug)]
pub struct Report {
    /// Files shown, most sensitive first, then the most severe violation, then by path.
    pub files: Vec<FileRecord>,
    /// Files that could not be read, by path.
    pub errors: Vec<ErrorRecord>,
    /// Totals over everything scanned, shown or not.
    pub totals: Totals,
    /// Which machine was scanned, and when: a report handed on must say what it is of.
    pub origin: String,
    view: View,
}

/// Totals that add up: every file scanned has one [`Sensitivity`].
#[derive(Debug)]
pub struct Totals {
    /// The scan's summary.
    pub summary: SummaryRecord,
    /// Files scanned by sensitivity, most sensitive first; they add up to `files_scanned`.
    pub by_sensitivity: Vec<(Sensitivity, u64)>,
    /// Violations by severity, most severe first.
    pub by_severity: Vec<(Severity, u64)>,
}

impl Collected {
    /// The report of the scan that ended with `summary`, showing what `view` asks for.
    pub fn into_report(self, summary: SummaryRecord, view: &View) -> Report {
        let all = self.files.into_inner().unwrap_or_else(std::sync::PoisonError::into_inner);
        let totals = Totals::new(summary, &all);
        let mut files: Vec<FileRecord> = all.into_iter().filter(|f| view.shows_file(f)).collect();
        files.sort_by(|a, b| {
            Sensitivity::of(a)
                .cmp(&Sensitivity::of(b))
                .then_with(|| worst(b).cmp(&worst(a)))
                .then_with(|| a.path.cmp(&b.path))
        });
        let mut errors = if view.totals_only {
            Vec::new()
        } else {
            self.errors.into_inner().unwrap_or_else(std::sync::PoisonError::into_inner)
        };
        errors.sort_by(|a, b| a.path.cmp(&b.path));
        // The summary is made as the scan ends and holds its duration: it started that long ago.
        let started = std::time::SystemTime::now()
            .checked_sub(std::time::Duration::from_millis(totals.summary.duration_ms))
            .unwrap_or(std::time::UNIX_EPOCH);
        let started = crate::clock::rfc3339_millis(started)[..19].replace('T', " ");
        let origin = format!("Host {}, scan started {started} UTC", crate::platform::host_name());
        Report { files, errors, totals, origin, view: view.clone() }
    }
}

/// The most severe violation of a file.
fn worst(file: &FileRecord) -> Option<Severity> {
    file.violations.iter().map(|v| v.severity).max()
}

impl Report {
    /// The violations shown, most severe first, then by path: what to act on first.
    pub fn actions(&self) -> Vec<Action<'_>> {
        let mut actions: Vec<Action<'_>> = self
            .files
            .iter()
            .flat_map(|file| file.violations.iter().map(move |violation| Action { violation, file }))
            .filter(|a| self.view.shows_violation(a.violation))
            .collect();
        actions.sort_by(|a, b| {
            b.violation.severity.cmp(&a.violation.severity).then_with(|| a.file.path.cmp(&b.file.path))
        });
        actions
    }
}

impl Totals {
    fn new(summary: SummaryRecord, files: &[FileRecord]) -> Totals {
        let mut by_sensitivity: BTreeMap<Sensitivity, u64> = Sensitivity::ALL.iter().map(|&s| (s, 0)).collect();
        let mut by_severity: BTreeMap<std::cmp::Reverse<Severity>, u64> = BTreeMap::new();
        for f in files {
            *by_sensitivity.entry(Sensitivity::of(f)).or_default() += 1;
            for v in &f.violations {
                *by_severity.entry(std::cmp::Reverse(v.severity)).or_default() += 1;
            }
        }
        // Files read with nothing to report have no record: they are not sensitive.
        let quiet_files = summary.files_scanned.saturating_sub(files.len() as u64);
        *by_sensitivity.entry(Sensitivity::NotSensitive).or_default() += quiet_files;
        Totals {
            summary,
            by_sensitivity: by_sensitivity.into_iter().collect(),
            by_severity: by_severity.into_iter().map(|(s, n)| (s.0, n)).collect(),
        }
    }

    /// All violations that stand.
    pub fn violations(&self) -> u64 {
        self.by_severity.iter().map(|(_, n)| n).sum()
    }

    /// The totals in sentences, as every report shows them: files by category (adding up to
    /// the files scanned), violations by severity and rule, allowed violations, files not fully
    /// read by reason, errors by kind, files not scanned, values ignored.
    pub fn sentences(&self) -> Vec<String> {
        let s = &self.summary;
        let categories: Vec<String> = self.by_sensitivity.iter().map(|(c, n)| format!("{n} {}", c.words())).collect();
        let mut sentences = vec![
            format!(
                "Scanned {} files ({:.1} MB) in {:.1} s: {}.",
                s.files_scanned,
                s.bytes_scanned as f64 / 1e6,
                s.duration_ms as f64 / 1000.0,
                categories.join(", ")
            ),
            format!("Files with findings: {}.", s.files_with_findings),
            self.violation_sentence(),
        ];
        if !s.violations_allowed.is_empty() {
            let allowed: u64 = s.violations_allowed.values().sum();
            sentences.push(format!("Allowed by the configuration: {allowed}{}.", by_reason(&s.violations_allowed)));
        }
        sentences.push(format!("Not fully read: {}{}.", s.partial, by_reason(&s.partial_reasons)));
        sentences.push(format!("Errors: {}{}.", s.errors, by_reason(&s.error_kinds)));
        if !s.skipped.is_empty() {
            sentences.push(format!("Not scanned: {}.", counted(&s.skipped)));
        }
        if s.suppressed > 0 {
            sentences.push(format!("Documentation or test values ignored: {}.", s.suppressed));
        }
        sentences
    }

    /// `Violations: 3 (1 critical, 2 high); by rule: 2 credential exposed, ...`.
    fn violation_sentence(&self) -> String {
        if self.by_severity.is_empty() {
            return "Violations: 0.".to_string();
        }
        let severities: Vec<String> = self.by_severity.iter().map(|(s, n)| format!("{n} {}", s.as_str())).collect();
        format!(
            "Violations: {} ({}); by rule: {}.",
            self.violations(),
            severities.join(", "),
            counted(&self.summary.violations)
        )
    }
}

/// Counts by reason in words: `2 unsupported format, 1 truncated`.
fn counted<K: AsRef<str>>(counts: &BTreeMap<K, u64>) -> String {
    let parts: Vec<String> = counts.iter().map(|(k, v)| format!("{v} {}", k.as_ref().replace('_', " "))).collect();
    parts.join(", ")
}

/// ` (2 unsupported format, 1 truncated)`, or nothing for no counts.
fn by_reason<K: AsRef<str>>(counts: &BTreeMap<K, u64>) -> String {
    if counts.is_empty() {
        String::new()
    } else {
        format!(" ({})", counted(counts))
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::report::EncryptionRecord;

    /// A file record at `path` of `category` with violations of these severities.
    pub(crate) fn file(path: &str, category: Category, severities: &[Severity]) -> FileRecord {
        let Record::File(mut f) = crate::report::encode::tests::sample_file_record() else { unreachable!() };
        f.path = path.to_string();
        f.classification = category;
        f.violations = severities
            .iter()
            .map(|&severity| Violation {
                rule: "unencrypted_confidential_in_unmanaged_cloud",
                severity,
                reason: "confidential content is stored unencrypted in an unmanaged cloud folder (Dropbox)".into(),
                remediation: "encrypt it with AES-256 (e.g. 7-Zip AES-256) or move it to managed storage",
            })
            .collect();
        f
    }

    /// A report of these files, `scanned` files in all.
    pub(crate) fn report(files: Vec<FileRecord>, scanned: u64, view: &View) -> Report {
        let collected = Collected::default();
        for f in files {
            collected.record(&Record::File(f));
        }
        collected.into_report(SummaryRecord { files_scanned: scanned, ..SummaryRecord::default() }, view)
    }

    #[test]
    fn violations_come_most_severe_first_and_files_most_sensitive_first() {
        let r = report(
            vec![
                file("/a/notes.txt", Category::NotSensitive, &[]),
                file("/a/list.csv", Category::Confidential, &[Severity::High]),
                file("/a/patients.csv", Category::HighlyConfidential, &[Severity::Medium, Severity::Critical]),
            ],
            3,
            &View::default(),
        );
        let actions: Vec<(Severity, &str)> =
            r.actions().iter().map(|a| (a.violation.severity, a.file.path.as_str())).collect();
        assert_eq!(
            actions,
            [
                (Severity::Critical, "/a/patients.csv"),
                (Severity::High, "/a/list.csv"),
                (Severity::Medium, "/a/patients.csv")
            ]
        );
        let paths: Vec<&str> = r.files.iter().map(|f| f.path.as_str()).collect();
        assert_eq!(paths, ["/a/patients.csv", "/a/list.csv", "/a/notes.txt"]);
    }

    #[test]
    fn totals_add_up_and_an_encrypted_file_with_nothing_found_is_not_called_not_sensitive() {
        let mut encrypted = file("/a/backup.zip", Category::NotSensitive, &[]);
        encrypted.findings.clear();
        encrypted.encryption = EncryptionRecord {
            encrypted: true,
            method: Some("zip-aes256".into()),
            strong: Some(true),
            cipher: None,
            note: None,
            partly: false,
        };
        let public = file("/a/prospectus.txt", Category::Public, &[]);
        let r =
            report(vec![encrypted, public], 10, &View { min_severity: Some(Severity::Critical), ..View::default() });
        let counts: BTreeMap<Sensitivity, u64> = r.totals.by_sensitivity.iter().copied().collect();
        assert_eq!(counts[&Sensitivity::Encrypted], 1);
        assert_eq!(counts[&Sensitivity::Public], 1);
        assert_eq!(counts[&Sensitivity::NotSensitive], 8, "the files with nothing to report");
        assert_eq!(counts.values().sum::<u64>(), 10, "every file scanned counted once");
        assert!(r.files.is_empty(), "the view hides files without a critical violation, the totals keep them");
    }
}
