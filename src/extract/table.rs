//! Delimited tables (CSV, TSV, semicolon- or pipe-separated exports, spreadsheet sheets, Word and
//! OpenDocument tables).
//!
//! In a table, a column's header is context for every cell below it: `NHS Number` in row 1 makes
//! the number in row 5,000 an NHS number. Staff rarely start a table on the first line: a title, a
//! protective marking, a blank line or a paragraph of a letter comes first. So the header row is
//! looked for among a text's first lines; the extractor attaches the [`TableHeader`] to every chunk,
//! and the detector asks it which header is above a given position below it.

/// Candidate delimiters, most common first.
const DELIMITERS: [u8; 4] = [b',', b'\t', b';', b'|'];
/// How far back from a match to look for the start of its line.
const MAX_LINE_SCAN: usize = 64 << 10;
/// Lines searched for the header row: titles, markings and a letter's opening paragraphs come
/// before it, a page of them at most.
const MAX_HEADER_LINE: usize = 40;
/// Bytes searched for the header row.
const MAX_HEADER_SEARCH: usize = 16 << 10;
/// Longest header cell, in bytes: headers are labels (`Date of birth`), not sentences.
const MAX_HEADER_CELL: usize = 64;

/// The header row of a delimited table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableHeader {
    delimiter: u8,
    cells: Vec<String>,
    /// Offset, in the text of the stream, of the first byte after the header row: only cells from
    /// there on belong to its columns.
    body_start: u64,
}

impl TableHeader {
    /// Finds the header row among the first lines of `text` (the start of a stream): the first line
    /// with at least one delimiter whose next line has as many, made of labels rather than numbers.
    /// A line after the first must look like a header row, not a title, a sentence or a line of
    /// code that happens to hold a comma: labels filling most of its cells, over two rows alike.
    pub fn find(text: &[u8]) -> Option<TableHeader> {
        let searched = &text[..text.len().min(MAX_HEADER_SEARCH)];
        // This runs on every text's first lines: they are held on the stack, not in a vector, and
        // each line's delimiters are counted once, when first needed, though it is weighed as a
        // header and as a row below one or two others.
        let mut next = CountedLines::new(searched).take(MAX_HEADER_LINE);
        let mut lines = [(0, &[][..]); MAX_HEADER_LINE];
        let mut counts = [[0; DELIMITERS.len()]; MAX_HEADER_LINE];
        let mut found = 0;
        let mut first = true;
        for i in 0..MAX_HEADER_LINE {
            let rows_needed = if first { 1 } else { 2 };
            while found < i + 1 + rows_needed {
                let Some((start, line, line_counts)) = next.next() else { break };
                (lines[found], counts[found]) = ((start, line), line_counts);
                found += 1;
            }
            let Some(&(start, line)) = lines[..found].get(i) else { break };
            if let Some(rows) = counts[..found].get(i + 1..i + 1 + rows_needed) {
                if let Some(header) = Self::header_row(line, &counts[i], rows, first) {
                    let body_start = (start + line.len() + 1).min(text.len()) as u64;
                    return Some(TableHeader { body_start, ..header });
                }
            }
            first &= line.iter().all(u8::is_ascii_whitespace);
        }
        None
    }

    /// `line` as a header row over the rows below it, if it is one, from the delimiters counted in
    /// `line` (`counts`) and in those rows. `first`: nothing but blank lines above it.
    fn header_row(
        line: &[u8],
        counts: &[usize; DELIMITERS.len()],
        rows: &[[usize; DELIMITERS.len()]],
        first: bool,
    ) -> Option<TableHeader> {
        let line = trim_cr(line);
        // Below the first line, two columns split by a comma are as often prose or code.
        let fewest = |d: u8| if first || d != b',' { 1 } else { 2 };
        let column = (0..DELIMITERS.len())
            .find(|&k| counts[k] >= fewest(DELIMITERS[k]) && rows.iter().all(|row| row[k] == counts[k]))?;
        let delimiter = DELIMITERS[column];
        let digits = line.iter().filter(|b| b.is_ascii_digit()).count();
        let letters = line.iter().filter(|b| b.is_ascii_alphabetic()).count();
        if letters == 0 || digits > letters {
            return None;
        }
        let cells: Vec<String> = split_unquoted(line, delimiter)
            .map(|c| String::from_utf8_lossy(c).trim().trim_matches('"').trim().to_string())
            .collect();
        if !cells_fill_the_row(&cells) || (!first && !cells_are_labels(&cells)) {
            return None;
        }
        Some(TableHeader { delimiter, cells, body_start: 0 })
    }

    /// The header cells, as written.
    pub fn cells(&self) -> &[String] {
        &self.cells
    }

    /// The spans, in `text` (which starts at `offset` in its stream), of the non-empty cells of
    /// `column` in the rows below the header. A row cut by the start of `text` is left to the
    /// chunk before.
    pub fn column_cells(&self, text: &[u8], offset: u64, column: usize) -> Vec<std::ops::Range<usize>> {
        let start = match self.body_start.checked_sub(offset) {
            Some(header_end) => usize::try_from(header_end).unwrap_or(usize::MAX).min(text.len()),
            None => text.iter().position(|&b| b == b'\n').map_or(text.len(), |i| i + 1),
        };
        Lines { text, pos: start }
            .filter_map(|(line_start, line)| {
                cell_span(trim_cr(line), self.delimiter, column).map(|c| line_start + c.start..line_start + c.end)
            })
            .collect()
    }

    /// The header of the column that byte `pos` of `text` lies in, if it can be told; `offset` is
    /// where `text` starts in its stream. Text above the header row (a title) has no column, nor
    /// has a line of a table of several columns without its delimiter (a note under the rows,
    /// `Mobile: 07700 900638`): it is no row.
    pub fn column_at(&self, text: &[u8], offset: u64, pos: usize) -> Option<&str> {
        if offset + (pos as u64) < self.body_start {
            return None;
        }
        let floor = pos.saturating_sub(MAX_LINE_SCAN);
        let line_start = text[floor..pos].iter().rposition(|&b| b == b'\n').map(|i| floor + i + 1)?;
        let ceiling = (pos + MAX_LINE_SCAN).min(text.len());
        let line_end = memchr::memchr(b'\n', &text[pos..ceiling]).map_or(ceiling, |i| pos + i);
        if self.cells.len() > 1 && memchr::memchr(self.delimiter, &text[line_start..line_end]).is_none() {
            return None;
        }
        let column = count_unquoted(&text[line_start..pos], self.delimiter);
        self.cells.get(column).map(String::as_str)
    }
}

/// The span of cell `column` of `line`, without surrounding spaces and quotes; `None` when the
/// row is shorter or the cell empty.
fn cell_span(line: &[u8], delimiter: u8, column: usize) -> Option<std::ops::Range<usize>> {
    let mut quoted = false;
    let mut index = 0;
    let mut start = 0;
    for (i, &b) in line.iter().chain(std::iter::once(&delimiter)).enumerate() {
        if b == b'"' {
            quoted = !quoted;
        }
        if b != delimiter || (quoted && i < line.len()) {
            continue;
        }
        if index == column {
            let trim = |b: &u8| b.is_ascii_whitespace() || *b == b'"';
            let first = line[start..i].iter().position(|b| !trim(b))? + start;
            let last = line[..i].iter().rposition(|b| !trim(b))? + 1;
            return Some(first..last);
        }
        index += 1;
        start = i + 1;
    }
    None
}

/// Two or more cells filled, at least half of them: a title row exported from a spreadsheet is one
/// cell and empty ones.
fn cells_fill_the_row(cells: &[String]) -> bool {
    let filled = cells.iter().filter(|c| !c.is_empty()).count();
    filled >= 2 && filled * 2 >= cells.len()
}

/// Labels, not sentences, values or code: short, few words, no full stop, no code punctuation or
/// comment (`int *name; /* ... */`), no e-mail address (a `key<TAB>value` line of a locale or
/// configuration file: `email<TAB>"maintainer@example.org"`).
fn cells_are_labels(cells: &[String]) -> bool {
    let code = |c: &String| {
        c.contains(['=', '{', '}', '[', ']', '<', '>', ';', '@'])
            || c.ends_with('(')
            || c.contains("/*")
            || c.contains("*/")
    };
    cells
        .iter()
        .all(|c| c.len() <= MAX_HEADER_CELL && !c.ends_with('.') && c.split_whitespace().count() <= 6 && !code(c))
}

/// Lines of a text with their start offsets.
pub(super) struct Lines<'a> {
    text: &'a [u8],
    pos: usize,
}

impl<'a> Lines<'a> {
    /// The lines of `text`, from its start.
    pub(super) fn new(text: &'a [u8]) -> Self {
        Lines { text, pos: 0 }
    }
}

impl<'a> Iterator for Lines<'a> {
    type Item = (usize, &'a [u8]);

    fn next(&mut self) -> Option<Self::Item> {
        if self.pos >= self.text.len() {
            return None;
        }
        let start = self.pos;
        let rest = &self.text[start..];
        // memchr's search: a byte-by-byte scan was half of finding the header on every text.
        let len = memchr::memchr(b'\n', rest).unwrap_or(rest.len());
        self.pos = start + len + 1;
        Some((start, &rest[..len]))
    }
}

fn trim_cr(line: &[u8]) -> &[u8] {
    line.strip_suffix(b"\r").unwrap_or(line)
}

/// The lines of a text with their start offsets and how many of each of [`DELIMITERS`] each holds
/// outside quotes. Two memchr searches run along the text, one for line ends, commas and quotes,
/// one for the other delimiters: lines are short and delimiters few (a sentence's commas, a row's
/// cells), and three searches a line (its end, its delimiters) cost more to start than to run.
struct CountedLines<'a> {
    text: &'a [u8],
    start: usize,
    ends_commas_quotes: memchr::Memchr3<'a>,
    /// Tabs, semicolons and pipes, the next one looked at ahead.
    others: std::iter::Peekable<memchr::Memchr3<'a>>,
}

impl<'a> CountedLines<'a> {
    fn new(text: &'a [u8]) -> Self {
        let [comma, tab, semicolon, pipe] = DELIMITERS;
        CountedLines {
            text,
            start: 0,
            ends_commas_quotes: memchr::memchr3_iter(b'\n', comma, b'"', text),
            others: memchr::memchr3_iter(tab, semicolon, pipe, text).peekable(),
        }
    }
}

impl<'a> Iterator for CountedLines<'a> {
    type Item = (usize, &'a [u8], [usize; DELIMITERS.len()]);

    fn next(&mut self) -> Option<Self::Item> {
        let (text, start) = (self.text, self.start);
        if start >= text.len() {
            return None;
        }
        let mut counts = [0; DELIMITERS.len()];
        let mut quoted = false;
        let end = loop {
            match self.ends_commas_quotes.next().map(|at| (at, text[at])) {
                Some((at, b'\n')) => break at,
                Some((_, b'"')) => quoted = true,
                Some((_, comma)) => count(&mut counts, comma),
                None => break text.len(),
            }
        };
        while let Some(at) = self.others.next_if(|&at| at < end) {
            count(&mut counts, text[at]);
        }
        self.start = end + 1;
        let line = &text[start..end];
        // What sits between quotes is no delimiter.
        if quoted {
            counts = [0; DELIMITERS.len()];
            unquoted(line).for_each(|b| count(&mut counts, b));
        }
        Some((start, line, counts))
    }
}

/// Counts `b` in `counts` when it is one of [`DELIMITERS`].
fn count(counts: &mut [usize; DELIMITERS.len()], b: u8) {
    if let Some(k) = DELIMITERS.iter().position(|&d| d == b) {
        counts[k] += 1;
    }
}

fn count_unquoted(line: &[u8], delimiter: u8) -> usize {
    unquoted(line).filter(|&b| b == delimiter).count()
}

/// The bytes of `line` outside double quotes (the quotes themselves left out).
fn unquoted(line: &[u8]) -> impl Iterator<Item = u8> + '_ {
    let mut quoted = false;
    line.iter().copied().filter(move |&b| {
        if b == b'"' {
            quoted = !quoted;
        }
        b != b'"' && !quoted
    })
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
        let t = TableHeader::find(b"Name,\"NHS, Number\",Ward\r\nA,1,2\n").unwrap();
        assert_eq!(t.cells(), ["Name", "NHS, Number", "Ward"]);
        let tsv = TableHeader::find(b"id\tsurname\n1\tx\n").unwrap();
        assert_eq!(tsv.cells(), ["id", "surname"]);
    }

    #[test]
    fn prose_and_numeric_first_lines_are_not_headers() {
        assert!(TableHeader::find(b"Dear Sam, thanks.\nBest wishes\n").is_none());
        assert!(TableHeader::find(b"1,2,3\n4,5,6\n").is_none());
        assert!(TableHeader::find(b"only one line, no second").is_none());
    }

    #[test]
    fn header_rows_below_titles_markings_and_paragraphs_are_found() {
        let csv = b"Clinic list - week 48\n\nName,NHS number,Date of birth\nAva,406 420 6428,18/06/1956\nBen,1,2\n";
        assert_eq!(TableHeader::find(csv).unwrap().cells(), ["Name", "NHS number", "Date of birth"]);
        let excel = b"HIGHLY CONFIDENTIAL - patient data,,\n,,\nStudy ID,NHS Number,DOB\nCS-01,1,2\nCS-02,3,4\n";
        assert_eq!(TableHeader::find(excel).unwrap().cells(), ["Study ID", "NHS Number", "DOB"]);
        let pipes =
            b"Enhanced DBS disclosures\nApplicant | Date of Birth | Role\nSam | 04/09/1983 | Tech\nAl | 1 | 2\n";
        assert_eq!(TableHeader::find(pipes).unwrap().cells(), ["Applicant", "Date of Birth", "Role"]);
        let word = "Dear colleagues,\nPlease see below.\nName\tStaff number\tUnion\t\nAnn\t123\tUCU\t\nBo\t4\tGMB\t\n";
        assert_eq!(TableHeader::find(word.as_bytes()).unwrap().cells(), ["Name", "Staff number", "Union", ""]);
    }

    #[test]
    fn sentences_and_code_below_the_first_line_are_not_headers() {
        let letter = b"Dear Sam,\nThanks for this, it is good, and I agree.\nYes, we will, I think, go.\n";
        assert!(TableHeader::find(letter).is_none());
        let code = b"#!/usr/bin/python3\nimport os, sys\nfrom a import b, c\nx = f(name, email)\n";
        assert!(TableHeader::find(code).is_none());
        let c_struct =
            b"struct args {\n\tint    *name;\t/* vector */\n\tint    nlen;\t/* length */\n\tvoid *old;\t/* 0 */\n";
        assert!(TableHeader::find(c_struct).is_none());
        let locale = b"LC_IDENTIFICATION\nemail\t\t\"a.k@samsung.com & m.s@samsung.com\"\ntel\t\t\"\"\nfax\t\t\"\"\n";
        assert!(TableHeader::find(locale).is_none(), "an address is a value, not a column's label");
    }

    #[test]
    fn each_line_counts_its_delimiters_outside_quotes() {
        let text = b"a,b;c\t|d\r\n\"x,y\";z\n\nlast|one";
        let lines: Vec<(usize, &[u8], [usize; 4])> = CountedLines::new(text).collect();
        let expected: [(usize, &[u8], [usize; 4]); 4] = [
            (0, b"a,b;c\t|d\r", [1, 1, 1, 1]),
            (10, b"\"x,y\";z", [0, 0, 1, 0]),
            (18, b"", [0, 0, 0, 0]),
            (19, b"last|one", [0, 0, 0, 1]),
        ];
        assert_eq!(lines, expected);
    }

    #[test]
    fn cells_map_to_their_column_header() {
        let text = b"name,nhs number,ward\nAnn,\"Smith, A\",x\nBob,4176749369,y\n";
        let t = TableHeader::find(text).unwrap();
        let pos = text.windows(10).position(|w| w == b"4176749369").unwrap();
        assert_eq!(t.column_at(text, 0, pos), Some("nhs number"));
        let y = text.len() - 2;
        assert_eq!(t.column_at(text, 0, y), Some("ward"));
        let note = b"id,name,ward\nR1,Ann,x\nMobile: 07700 900638\n";
        let t = TableHeader::find(note).unwrap();
        assert_eq!(t.column_at(note, 0, note.len() - 7), None, "a line without the delimiter is no row");
    }

    #[test]
    fn cells_of_a_column_are_listed_below_the_header() {
        let text = b"Export\nname,url,password\nmail,\"https://a, b\",\"Kestrel-58!\"\nvpn,x, R0bin \r\nshort\n";
        let t = TableHeader::find(text).unwrap();
        let cells: Vec<&[u8]> = t.column_cells(text, 0, 2).into_iter().map(|r| &text[r]).collect();
        assert_eq!(cells, [&b"Kestrel-58!"[..], &b"R0bin"[..]]);
        let later = b"ow,x,cut\nvpn,y,Meadow1\n";
        let cells: Vec<&[u8]> = t.column_cells(later, 4096, 2).into_iter().map(|r| &later[r]).collect();
        assert_eq!(cells, [&b"Meadow1"[..]], "the cut row belongs to the chunk before");
    }

    #[test]
    fn text_above_the_header_row_has_no_column() {
        let text = b"Title, 4176749369\n\nname,nhs number,ward\nAnn,1,x\nBob,4176749369,y\n";
        let t = TableHeader::find(text).unwrap();
        assert_eq!(t.column_at(text, 0, 7), None);
        assert_eq!(t.column_at(text, 0, text.len() - 13), Some("nhs number"));
        let later = b"\nAnn,4176749369\n";
        assert_eq!(t.column_at(later, 4096, 5), Some("nhs number"), "a later chunk is all below the header");
    }
}
