//! Delimited tables (CSV, TSV, semicolon- or pipe-separated exports).
//!
//! In a table, a column's header is context for every cell below it: `NHS Number` in row 1 makes
//! the number in row 5,000 an NHS number. When a text's first line looks like a header row, the
//! extractor attaches a [`TableHeader`] to every chunk, and the detector asks it which header is
//! above a given position.

/// Candidate delimiters, most common first.
const DELIMITERS: [u8; 4] = [b',', b'\t', b';', b'|'];
/// How far back from a match to look for the start of its line.
const MAX_LINE_SCAN: usize = 64 << 10;

/// The header row of a delimited table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableHeader {
    delimiter: u8,
    cells: Vec<String>,
}

impl TableHeader {
    /// Recognises a header row: the first line has at least one delimiter, the second line has the
    /// same number, and the first line is mostly words rather than numbers.
    pub fn from_first_line(text: &[u8]) -> Option<TableHeader> {
        let mut lines = text.split(|&b| b == b'\n');
        let first = trim_cr(lines.next()?);
        let second = trim_cr(lines.next()?);
        let delimiter = DELIMITERS.into_iter().find(|&d| {
            let n = count_unquoted(first, d);
            n >= 1 && count_unquoted(second, d) == n
        })?;
        let digits = first.iter().filter(|b| b.is_ascii_digit()).count();
        let letters = first.iter().filter(|b| b.is_ascii_alphabetic()).count();
        if letters == 0 || digits > letters {
            return None;
        }
        let cells = split_unquoted(first, delimiter)
            .map(|c| String::from_utf8_lossy(c).trim().trim_matches('"').trim().to_string())
            .collect();
        Some(TableHeader { delimiter, cells })
    }

    /// The header cells, as written.
    pub fn cells(&self) -> &[String] {
        &self.cells
    }

    /// The header of the column that byte `pos` of `text` lies in, if it can be told.
    pub fn column_at(&self, text: &[u8], pos: usize) -> Option<&str> {
        let floor = pos.saturating_sub(MAX_LINE_SCAN);
        let line_start = text[floor..pos].iter().rposition(|&b| b == b'\n').map(|i| floor + i + 1)?;
        let column = count_unquoted(&text[line_start..pos], self.delimiter);
        self.cells.get(column).map(String::as_str)
    }
}

fn trim_cr(line: &[u8]) -> &[u8] {
    line.strip_suffix(b"\r").unwrap_or(line)
}

fn count_unquoted(line: &[u8], delimiter: u8) -> usize {
    let mut quoted = false;
    line.iter()
        .filter(|&&b| {
            if b == b'"' {
                quoted = !quoted;
            }
            b == delimiter && !quoted
        })
        .count()
}

fn split_unquoted(line: &[u8], delimiter: u8) -> impl Iterator<Item = &[u8]> {
    let mut quoted = false;
    line.split(move |&b| {
        if b == b'"' {
            quoted = !quoted;
        }
        b == delimiter && !quoted
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_rows_are_recognised() {
        let t = TableHeader::from_first_line(b"Name,\"NHS, Number\",Ward\r\nA,1,2\n").unwrap();
        assert_eq!(t.cells(), ["Name", "NHS, Number", "Ward"]);
        let tsv = TableHeader::from_first_line(b"id\tsurname\n1\tx\n").unwrap();
        assert_eq!(tsv.cells(), ["id", "surname"]);
    }

    #[test]
    fn prose_and_numeric_first_lines_are_not_headers() {
        assert!(TableHeader::from_first_line(b"Dear Sam, thanks.\nBest wishes\n").is_none());
        assert!(TableHeader::from_first_line(b"1,2,3\n4,5,6\n").is_none());
        assert!(TableHeader::from_first_line(b"only one line, no second").is_none());
    }

    #[test]
    fn cells_map_to_their_column_header() {
        let text = b"name,nhs number,ward\nAnn,\"Smith, A\",x\nBob,4176749369,y\n";
        let t = TableHeader::from_first_line(text).unwrap();
        let pos = text.windows(10).position(|w| w == b"4176749369").unwrap();
        assert_eq!(t.column_at(text, pos), Some("nhs number"));
        let y = text.len() - 2;
        assert_eq!(t.column_at(text, y), Some("ward"));
    }
}
