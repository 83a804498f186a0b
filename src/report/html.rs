//! `--format html`: one self-contained page to open or hand on: the totals, the violations
//! (most severe first, with what to do), a chart of categories by location, the inventory in a
//! table that sorts when a header is clicked, and the files that could not be read.
//!
//! The page loads nothing: styles, the sorting script and the chart (inline SVG) are in it,
//! and its Content-Security-Policy forbids any other source, so opening it sends nothing
//! anywhere. Every text from a record is escaped ([`escape`]); like every report, it carries
//! no matched value.

use std::collections::BTreeMap;
use std::io::{self, Write};

use super::collect::{encryption_words, place_words, Action, Report, Sensitivity, Totals};
use super::{ErrorRecord, FileRecord};

/// Writes the page.
pub fn write(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    out.write_all(HEAD.as_bytes())?;
    writeln!(out, "<p id=\"origin\">{}</p>", escape(&report.origin))?;
    totals(&report.totals, out)?;
    violations(&report.actions(), out)?;
    chart(&report.files, out)?;
    inventory(&report.files, out)?;
    errors(&report.errors, out)?;
    out.write_all(TAIL.as_bytes())
}

/// `text` escaped, with a line-break opportunity after each `/`, `\\` and `_`: long paths and
/// rule or detector ids wrap between their parts in a narrow cell, not in the middle of a name.
fn breakable(text: &str) -> String {
    // The escaped text holds no separator of its own (entities are `&...;`).
    escape(text).replace('/', "/<wbr>").replace('\\', "\\<wbr>").replace('_', "_<wbr>")
}

/// `text` safe in HTML element content and in quoted attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

const HEAD: &str = r#"<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>dlp-scan report</title>
<style>
body { font-family: system-ui, sans-serif; margin: 1.5em; color: #222; }
table { border-collapse: collapse; margin-bottom: 2em; max-width: 100%; }
th, td { border: 1px solid #ccc; padding: 0.3em 0.6em; text-align: left; vertical-align: top; }
th { background: #eee; }
table.sortable th { cursor: pointer; }
/* Paths wrap after a separator (<wbr>); a part too long for the cell is cut anywhere rather
   than widen the table past the window. */
td.path { font-family: monospace; min-width: 16em; overflow-wrap: anywhere; }
.critical { color: #fff; background: #b00020; font-weight: bold; }
.high { color: #fff; background: #d9480f; }
.medium { background: #ffd43b; }
.low { background: #d0ebff; }
</style>
</head>
<body>
<h1>dlp-scan report</h1>
"#;

/// Sorts a table by the column whose header is clicked (again: the other way), by each
/// cell's `data-sort` when it has one, numerically when both values are numbers.
const TAIL: &str = r#"<script>
document.querySelectorAll("table.sortable th").forEach(function (th, column) {
  th.addEventListener("click", function () {
    var body = th.closest("table").tBodies[0];
    var up = th.dataset.order !== "up";
    th.dataset.order = up ? "up" : "down";
    var key = function (row) {
      var cell = row.cells[column];
      return cell.dataset.sort !== undefined ? cell.dataset.sort : cell.textContent;
    };
    Array.from(body.rows).sort(function (a, b) {
      var x = key(a), y = key(b);
      var order = (isNaN(x) || isNaN(y)) ? x.localeCompare(y) : x - y;
      return up ? order : -order;
    }).forEach(function (row) { body.appendChild(row); });
  });
});
</script>
</body>
</html>
"#;

fn totals(t: &Totals, out: &mut dyn Write) -> io::Result<()> {
    writeln!(out, "<h2>Summary</h2>\n<ul id=\"summary\">")?;
    for sentence in t.sentences() {
        writeln!(out, "<li>{}</li>", escape(&sentence))?;
    }
    writeln!(out, "</ul>")
}

fn violations(actions: &[Action<'_>], out: &mut dyn Write) -> io::Result<()> {
    writeln!(out, "<h2>Violations ({}), most severe first</h2>", actions.len())?;
    if actions.is_empty() {
        return writeln!(out, "<p>None.</p>");
    }
    writeln!(out, "<table id=\"violations\">")?;
    writeln!(
        out,
        "<thead><tr><th>Severity</th><th>Rule</th><th>File</th><th>Why</th><th>What to do</th></tr></thead><tbody>"
    )?;
    for a in actions {
        let severity = a.violation.severity.as_str();
        writeln!(
            out,
            "<tr><td class=\"{severity}\">{severity}</td><td>{}</td><td class=\"path\">{}</td><td>{}</td><td>{}</td></tr>",
            breakable(a.violation.rule),
            breakable(&a.file.path),
            escape(&a.violation.reason),
            escape(a.violation.remediation)
        )?;
    }
    writeln!(out, "</tbody></table>")
}

/// Colours of the chart's categories, most sensitive first (as [`Sensitivity::ALL`]).
const COLOURS: [&str; 5] = ["#b00020", "#f08c00", "#1971c2", "#adb5bd", "#2f9e44"];
/// Where bars start, leaving room for the location's name.
const BAR_X: usize = 230;
/// The longest bar, in pixels.
const BAR_WIDTH: usize = 420;
const ROW_HEIGHT: usize = 26;
/// Room for one legend entry (the longest is "encrypted (content unknown)").
const LEGEND_STEP: usize = 200;

/// Stacked bars: for each location, its files by category.
fn chart(files: &[FileRecord], out: &mut dyn Write) -> io::Result<()> {
    let mut rows: BTreeMap<String, BTreeMap<Sensitivity, u64>> = BTreeMap::new();
    for f in files {
        *rows.entry(place_words(&f.location)).or_default().entry(Sensitivity::of(f)).or_default() += 1;
    }
    writeln!(out, "<h2>Files by category and location</h2>")?;
    let most = rows.values().map(|r| r.values().sum::<u64>()).max().unwrap_or(0);
    if most == 0 {
        return writeln!(out, "<p>No file to chart.</p>");
    }
    let height = (rows.len() + 2) * ROW_HEIGHT;
    writeln!(
        out,
        "<svg id=\"chart\" width=\"{}\" height=\"{height}\" role=\"img\" aria-label=\"Files by category and location\">",
        LEGEND_STEP * Sensitivity::ALL.len()
    )?;
    for (i, (place, counts)) in rows.iter().enumerate() {
        bar(i, place, counts, most, out)?;
    }
    legend(rows.len(), out)?;
    writeln!(out, "</svg>")
}

fn bar(row: usize, place: &str, counts: &BTreeMap<Sensitivity, u64>, most: u64, out: &mut dyn Write) -> io::Result<()> {
    let y = row * ROW_HEIGHT;
    writeln!(out, "<text x=\"0\" y=\"{}\" font-size=\"13\">{}</text>", y + 17, escape(place))?;
    let mut x = BAR_X;
    for (sensitivity, colour) in Sensitivity::ALL.iter().zip(COLOURS) {
        let n = counts.get(sensitivity).copied().unwrap_or(0);
        if n == 0 {
            continue;
        }
        let width = (n as usize * BAR_WIDTH).div_ceil(most as usize);
        writeln!(
            out,
            "<rect x=\"{x}\" y=\"{}\" width=\"{width}\" height=\"{}\" fill=\"{colour}\"><title>{}: {n} {}</title></rect>",
            y + 4,
            ROW_HEIGHT - 8,
            escape(place),
            sensitivity.words()
        )?;
        x += width;
    }
    let total: u64 = counts.values().sum();
    writeln!(out, "<text x=\"{}\" y=\"{}\" font-size=\"13\">{total}</text>", x + 6, y + 17)
}

fn legend(rows: usize, out: &mut dyn Write) -> io::Result<()> {
    let y = rows * ROW_HEIGHT + 10;
    for (i, (sensitivity, colour)) in Sensitivity::ALL.iter().zip(COLOURS).enumerate() {
        let x = i * LEGEND_STEP;
        writeln!(out, "<rect x=\"{x}\" y=\"{y}\" width=\"12\" height=\"12\" fill=\"{colour}\"/>")?;
        writeln!(out, "<text x=\"{}\" y=\"{}\" font-size=\"12\">{}</text>", x + 16, y + 11, sensitivity.words())?;
    }
    Ok(())
}

fn inventory(files: &[FileRecord], out: &mut dyn Write) -> io::Result<()> {
    writeln!(out, "<h2>Files ({}), most sensitive first</h2>", files.len())?;
    if files.is_empty() {
        return writeln!(out, "<p>None.</p>");
    }
    writeln!(out, "<p>Click a column's header to sort by it.</p>\n<table id=\"inventory\" class=\"sortable\">")?;
    writeln!(out, "<thead><tr><th>Category</th><th>Location</th><th>File</th><th>Findings (distinct values)</th><th>Violations</th><th>Encryption</th><th>Not fully read</th></tr></thead><tbody>")?;
    for f in files {
        inventory_row(f, out)?;
    }
    writeln!(out, "</tbody></table>")
}

fn inventory_row(f: &FileRecord, out: &mut dyn Write) -> io::Result<()> {
    let sensitivity = Sensitivity::of(f);
    let findings: Vec<String> = f.findings.iter().map(|x| format!("{} \u{d7}{}", x.detector, x.count)).collect();
    let violations: Vec<String> =
        f.violations.iter().map(|v| format!("{} ({})", v.rule, v.severity.as_str())).collect();
    // Sorting by violations puts the most severe first: the worst severity's rank, then how many.
    let worst = f.violations.iter().map(|v| v.severity as usize + 1).max().unwrap_or(0);
    let violation_rank = worst * 100 + f.violations.len();
    writeln!(
        out,
        "<tr><td data-sort=\"{}\">{}</td><td>{}</td><td class=\"path\">{}</td><td>{}</td><td data-sort=\"{violation_rank}\">{}</td><td>{}</td><td>{}</td></tr>",
        sensitivity as usize,
        sensitivity.words(),
        escape(&place_words(&f.location)),
        breakable(&f.path),
        breakable(&findings.join(", ")),
        breakable(&violations.join(", ")),
        escape(&encryption_words(f).unwrap_or_default()),
        escape(&f.partial_reasons.join(", ").replace('_', " "))
    )
}

fn errors(errors: &[ErrorRecord], out: &mut dyn Write) -> io::Result<()> {
    if errors.is_empty() {
        return Ok(());
    }
    writeln!(out, "<h2>Could not be read ({})</h2>\n<table id=\"errors\">", errors.len())?;
    writeln!(out, "<thead><tr><th>File</th><th>Problem</th></tr></thead><tbody>")?;
    for e in errors {
        writeln!(out, "<tr><td class=\"path\">{}</td><td>{}</td></tr>", breakable(&e.path), escape(&e.message))?;
    }
    writeln!(out, "</tbody></table>")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::classify::Category;
    use crate::policy::Severity;
    use crate::report::collect::tests::{file, report};
    use crate::report::view::View;

    fn page(files: Vec<FileRecord>) -> String {
        let mut out = Vec::new();
        write(&report(files, 3, &View::default()), &mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn every_text_from_a_record_is_escaped() {
        let hostile = "/h/Dropbox/<script>alert('x')</script>&\"q\".csv";
        let html = page(vec![file(hostile, Category::Confidential, &[Severity::High])]);
        assert!(!html.contains("<script>alert"), "{html}");
        let unbroken = html.replace("<wbr>", "");
        assert!(unbroken.contains("/h/Dropbox/&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&amp;&quot;q&quot;.csv"));
        assert_eq!(html.matches("<script>").count(), 1, "only the page's own sorting script");
    }

    #[test]
    fn violations_come_before_the_inventory_and_the_page_loads_nothing() {
        let html = page(vec![
            file("/h/Dropbox/list.csv", Category::Confidential, &[Severity::High]),
            file("/h/notes.txt", Category::NotSensitive, &[]),
        ]);
        let violations = html.find("id=\"violations\"").expect("a violations table");
        assert!(violations < html.find("id=\"inventory\"").expect("an inventory table"));
        assert!(html.contains("<td class=\"high\">high</td>"), "{html}");
        assert!(html.contains("<svg id=\"chart\""), "{html}");
        for reference in ["src=", "href=", "url(", "@import"] {
            assert!(!html.contains(reference), "{reference} in the page");
        }
    }
}
