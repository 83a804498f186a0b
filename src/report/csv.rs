//! `--format csv`: one row per file with something to report, for a spreadsheet, in the
//! inventory's order (most sensitive first).
//!
//! Columns: `path`, `category`, `location`, `provider`, `encrypted`, `violations`
//! (`rule:severity` joined by `;`, most severe first), `detectors` (`detector:distinct values`
//! joined by `;`), `partial_reasons` (joined by `;`). Values are the records' stable names, so a sheet can be
//! filtered the way a SIEM search is written. Quoting is the `csv` crate's (RFC 4180).

use std::io::{self, Write};

use super::collect::Report;
use super::FileRecord;

/// The header row.
pub const HEADER: [&str; 8] =
    ["path", "category", "location", "provider", "encrypted", "violations", "detectors", "partial_reasons"];

/// Writes the header and one row per file shown.
pub fn write(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    let mut csv = csv::Writer::from_writer(out);
    csv.write_record(HEADER)?;
    for f in &report.files {
        csv.write_record(row(f))?;
    }
    csv.flush()
}

fn row(f: &FileRecord) -> [String; 8] {
    let mut by_severity: Vec<&crate::policy::Violation> = f.violations.iter().collect();
    by_severity.sort_by_key(|v| std::cmp::Reverse(v.severity));
    let violations: Vec<String> = by_severity.iter().map(|v| format!("{}:{}", v.rule, v.severity.as_str())).collect();
    let detectors: Vec<String> = f.findings.iter().map(|x| format!("{}:{}", x.detector, x.count)).collect();
    [
        f.path.clone(),
        f.classification.as_str().to_string(),
        f.location.kind.as_str().to_string(),
        f.location.provider.clone().unwrap_or_default(),
        f.encryption.encrypted.to_string(),
        violations.join(";"),
        detectors.join(";"),
        f.partial_reasons.join(";"),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::classify::Category;
    use crate::policy::Severity;
    use crate::report::collect::tests::{file, report};
    use crate::report::view::View;

    #[test]
    fn every_file_is_one_row_that_reads_back_whole() {
        let tricky = "/h/Dropbox/a,b \"quoted\"\nline.csv";
        let r = report(vec![file(tricky, Category::Confidential, &[Severity::High])], 1, &View::default());
        let mut out = Vec::new();
        write(&r, &mut out).unwrap();
        let mut reader = csv::Reader::from_reader(out.as_slice());
        assert_eq!(reader.headers().unwrap().iter().collect::<Vec<_>>(), HEADER);
        let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
        assert_eq!(rows.len(), 1);
        let row: Vec<&str> = rows[0].iter().collect();
        assert_eq!(
            row,
            [
                tricky,
                "confidential",
                "unmanaged_cloud",
                "dropbox",
                "false",
                "unencrypted_confidential_in_unmanaged_cloud:high",
                "uk_nino:14",
                ""
            ]
        );
    }
}
