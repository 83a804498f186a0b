//! What a person asked to see on standard output: every file, only those with a violation at or
//! above a severity, only some categories, or only the totals.
//!
//! A view shapes what is shown, never what is counted: the summary record (and so the exit
//! status) always covers every file, and the configured sinks receive every record.

use super::{FileRecord, Record, RecordSink};
use crate::classify::Category;
use crate::policy::{Severity, Violation};

/// The filters of `--min-severity`, `--category` and `--summary`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct View {
    /// Show only files with a violation of at least this severity (and only those violations).
    pub min_severity: Option<Severity>,
    /// Show only files of these categories (all when empty).
    pub categories: Vec<Category>,
    /// Show only the totals.
    pub totals_only: bool,
}

impl View {
    /// True when nothing is filtered out.
    pub fn shows_everything(&self) -> bool {
        *self == View::default()
    }

    /// True when `file` is to be shown.
    pub fn shows_file(&self, file: &FileRecord) -> bool {
        let category_shown = self.categories.is_empty() || self.categories.contains(&file.classification);
        let severity_shown = self.min_severity.is_none() || file.violations.iter().any(|v| self.shows_violation(v));
        !self.totals_only && category_shown && severity_shown
    }

    /// True when `violation` is severe enough to be shown.
    pub fn shows_violation(&self, violation: &Violation) -> bool {
        self.min_severity.is_none_or(|min| violation.severity >= min)
    }

    /// True when `record` is to be shown: files by the filters, errors unless only the totals
    /// are asked for (an unreadable file is news whatever its category), and always the summary.
    pub fn shows(&self, record: &Record) -> bool {
        match record {
            Record::File(f) => self.shows_file(f),
            Record::Error(_) => !self.totals_only,
            Record::Summary(_) | Record::Agent(_) => true,
        }
    }
}

/// Passes on to `sink` only the records `view` shows (for events on standard output).
pub struct Shown<'a> {
    /// The filters.
    pub view: &'a View,
    /// Where shown records go.
    pub sink: &'a dyn RecordSink,
}

impl RecordSink for Shown<'_> {
    fn record(&self, record: &Record) {
        if self.view.shows(record) {
            self.sink.record(record);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(category: Category, severities: &[Severity]) -> FileRecord {
        let Record::File(mut f) = crate::report::encode::tests::sample_file_record() else { unreachable!() };
        f.classification = category;
        f.violations = severities
            .iter()
            .map(|&severity| Violation { rule: "r", severity, reason: String::new(), remediation: "" })
            .collect();
        f
    }

    #[test]
    fn severity_and_category_filters_combine() {
        let view =
            View { min_severity: Some(Severity::High), categories: vec![Category::Confidential], totals_only: false };
        assert!(view.shows_file(&file(Category::Confidential, &[Severity::Low, Severity::Critical])));
        assert!(!view.shows_file(&file(Category::Confidential, &[Severity::Medium])), "not severe enough");
        assert!(!view.shows_file(&file(Category::Confidential, &[])), "no violation at all");
        assert!(!view.shows_file(&file(Category::HighlyConfidential, &[Severity::Critical])), "other category");
        assert!(View::default().shows_file(&file(Category::Public, &[])), "no filter shows everything");
    }

    #[test]
    fn the_summary_is_always_shown_and_only_it_for_totals_only() {
        let view = View { totals_only: true, ..View::default() };
        assert!(view.shows(&Record::Summary(crate::report::SummaryRecord::default())));
        assert!(!view.shows(&Record::File(file(Category::Confidential, &[Severity::Critical]))));
    }
}
