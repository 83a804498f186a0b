//! Text of Office Open XML (docx, xlsx, pptx and their macro variants) and OpenDocument (odt, ods,
//! odp) parts, which are XML inside a zip.
//!
//! Word and PowerPoint parts keep the text runs (`w:t`, deleted text `w:delText`, `a:t`) and turn
//! paragraphs into lines and table cells into tabs. A spreadsheet becomes one tab-separated line per
//! row, so the first row is a header that gives context to every cell below it; shared strings are
//! resolved and dates are written as shown (day/month/year) rather than as serial numbers. Document
//! properties become `name: value` lines, so labels such as `MSIP_Label_..._Name` are visible.
//!
//! The XML parser streams and does not recurse, so deep nesting costs no stack.

use std::collections::HashMap;

use quick_xml::events::{BytesStart, Event};
use quick_xml::Reader;

/// How a kind of XML part is turned into text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PartStyle {
    /// Word: text in `w:t`/`w:delText`; `w:p` ends a line, `w:tc` a cell, `w:tab` is a tab.
    Word,
    /// PowerPoint and DrawingML: text in `a:t`; `a:p` ends a line.
    Slides,
    /// OpenDocument: the text of the body and of page headers and footers; `text:p`/`text:h` end a
    /// line, `table:table-cell` a cell.
    OpenDocument,
    /// Properties (`docProps/*.xml`, `meta.xml`): each element with text becomes `name: value`.
    Properties,
}

/// Appends the text of one XML part to `out`.
pub fn part_text(xml: &[u8], style: PartStyle, out: &mut String) {
    let mut reader = Reader::from_reader(xml);
    reader.config_mut().trim_text(false);
    let mut buf = Vec::new();
    let mut in_text = false;
    let mut property_name: Option<String> = None;
    let mut property_value = String::new();
    let mut depth = 0usize;
    let mut property_depth = 0usize;
    // Inside a table cell a paragraph ends with a space, not a line: a row stays one line of
    // tab-separated cells, as a spreadsheet's does, so a header row gives context to its columns.
    let mut cell_depth = 0usize;
    loop {
        match reader.read_event_into(&mut buf) {
            Ok(Event::Start(e)) => {
                let name = local_name(&e);
                match style {
                    PartStyle::Word => in_text = matches!(name.as_str(), "t" | "delText"),
                    PartStyle::Slides => in_text = name == "t",
                    PartStyle::Properties => {
                        depth += 1;
                        // A custom property's value sits in a typed child (`vt:lpwstr`): keep the
                        // label of the property itself.
                        // Depth 1 is the root (`coreProperties`, `Properties`).
                        if property_name.is_none() && depth >= 2 {
                            property_name = Some(property_label(&e, &name));
                            property_depth = depth;
                            property_value.clear();
                        }
                    }
                    // Text in the body (`content.xml`) and the page styles' headers and footers
                    // (`styles.xml`); number formats and style names are not the document's text.
                    PartStyle::OpenDocument => in_text |= matches!(name.as_str(), "body" | "master-styles"),
                }
                if is_table_cell(style, &name) {
                    cell_depth += 1;
                }
            }
            // Sensitivity labels (`docMetadata/LabelInfo.xml`) are attributes of empty elements.
            Ok(Event::Empty(e)) if style == PartStyle::Properties => {
                let attributes: Vec<String> = e
                    .attributes()
                    .flatten()
                    .map(|a| {
                        format!(
                            "{}={}",
                            String::from_utf8_lossy(a.key.local_name().as_ref()),
                            String::from_utf8_lossy(&a.value)
                        )
                    })
                    .collect();
                if !attributes.is_empty() {
                    out.push_str(&format!("{}: {}\n", local_name(&e), attributes.join(" ")));
                }
            }
            Ok(Event::Empty(e)) => match (style, local_name(&e).as_str()) {
                (PartStyle::Word | PartStyle::OpenDocument, "tab") => out.push('\t'),
                (PartStyle::Word, "br" | "cr") | (PartStyle::OpenDocument, "line-break") => out.push('\n'),
                (PartStyle::OpenDocument, "s") => out.push(' '),
                // An empty spreadsheet cell still holds its column's place.
                (PartStyle::OpenDocument, "table-cell") => {
                    let repeated = attr(&e, b"number-columns-repeated").and_then(|n| n.parse().ok()).unwrap_or(1);
                    out.extend(std::iter::repeat_n('\t', usize::min(repeated, MAX_EMPTY_CELLS_KEPT)));
                }
                _ => {}
            },
            Ok(Event::Text(t)) => {
                let text = t.decode().map(|c| {
                    quick_xml::escape::unescape(&c).map(|u| u.into_owned()).unwrap_or_else(|_| c.into_owned())
                });
                if let Ok(text) = text {
                    if style == PartStyle::Properties {
                        property_value.push_str(&text);
                    } else if in_text {
                        out.push_str(&text);
                    }
                }
            }
            Ok(Event::GeneralRef(r)) => {
                let text = reference_text(&r);
                if style == PartStyle::Properties {
                    property_value.push_str(&text);
                } else if in_text {
                    out.push_str(&text);
                }
            }
            Ok(Event::CData(t)) if in_text => out.push_str(&String::from_utf8_lossy(&t)),
            Ok(Event::End(e)) => {
                let name = String::from_utf8_lossy(e.local_name().as_ref()).into_owned();
                match (style, name.as_str()) {
                    (PartStyle::Word, "t" | "delText") | (PartStyle::Slides, "t") => in_text = false,
                    (PartStyle::OpenDocument, "body" | "master-styles") => in_text = false,
                    (PartStyle::Word | PartStyle::Slides, "p") | (PartStyle::OpenDocument, "p" | "h")
                        if cell_depth > 0 =>
                    {
                        out.push(' ')
                    }
                    (PartStyle::Word, "p") | (PartStyle::Slides, "p") | (PartStyle::OpenDocument, "p" | "h") => {
                        out.push('\n')
                    }
                    (style, name) if is_table_cell(style, name) => {
                        cell_depth = cell_depth.saturating_sub(1);
                        out.push('\t')
                    }
                    (PartStyle::Word | PartStyle::Slides, "tr") | (PartStyle::OpenDocument, "table-row") => {
                        out.push('\n')
                    }
                    (PartStyle::Properties, _) => {
                        if depth == property_depth {
                            if let Some(label) = property_name.take() {
                                if !property_value.trim().is_empty() {
                                    out.push_str(&format!("{label}: {}\n", property_value.trim()));
                                }
                                property_value.clear();
                            }
                        }
                        depth = depth.saturating_sub(1);
                    }
                    _ => {}
                }
            }
            Ok(Event::Eof) | Err(_) => break,
            _ => {}
        }
        buf.clear();
    }
}

/// Empty cells written for one `number-columns-repeated` run: enough to keep the columns of a real
/// table in place, not the thousand a sheet's trailing blank columns repeat.
const MAX_EMPTY_CELLS_KEPT: usize = 32;

/// A table cell: WordprocessingML `w:tc`, DrawingML `a:tc` (a slide's table), OpenDocument
/// `table:table-cell`.
fn is_table_cell(style: PartStyle, name: &str) -> bool {
    matches!((style, name), (PartStyle::Word | PartStyle::Slides, "tc") | (PartStyle::OpenDocument, "table-cell"))
}

fn local_name(e: &BytesStart<'_>) -> String {
    String::from_utf8_lossy(e.local_name().as_ref()).into_owned()
}

/// A custom property (`<property name="MSIP_Label_..._Name">`) is labelled by its `name`
/// attribute; other properties by their element name (`title`, `creator`, `keywords`).
fn property_label(e: &BytesStart<'_>, element: &str) -> String {
    e.attributes()
        .flatten()
        .find(|a| a.key.local_name().as_ref() == b"name")
        .map(|a| String::from_utf8_lossy(&a.value).into_owned())
        .unwrap_or_else(|| element.to_string())
}

/// The shared-string table of a workbook (`xl/sharedStrings.xml`, ECMA-376 Part 1, 18.4.9), held
/// as one text and the end offset of each string in it: memory follows the strings' bytes, never
/// their count (a million empty `<si/>` cost 4 MB, not 24 MB of empty `String`s) nor the declared
/// `count`/`uniqueCount`.
#[derive(Debug, Default)]
pub struct SharedStrings {
    text: String,
    ends: Vec<u32>,
}

impl SharedStrings {
    /// The string at index `i` (the value of a cell of type `s`), if the table has one.
    pub fn get(&self, i: usize) -> Option<&str> {
        let end = *self.ends.get(i)? as usize;
        let start = i.checked_sub(1).map_or(0, |p| self.ends[p] as usize);
        self.text.get(start..end)
    }

    /// Bytes of text held.
    pub(crate) fn text_len(&self) -> usize {
        self.text.len()
    }

    /// Appends to the string being written.
    pub(crate) fn push_str(&mut self, text: &str) {
        self.text.push_str(text);
    }

    /// Ends the string being written; false once the text passes 4 GiB (no part is that large).
    pub(crate) fn end_string(&mut self) -> bool {
        u32::try_from(self.text.len()).map(|end| self.ends.push(end)).is_ok()
    }
}

/// Reads the shared-string table of a workbook. Phonetic runs (`rPh`) are not the cell's text.
pub fn shared_strings(xml: &[u8]) -> SharedStrings {
    let mut reader = Reader::from_reader(xml);
    reader.config_mut().trim_text(false);
    let mut buf = Vec::new();
    let mut strings = SharedStrings::default();
    let mut in_t = false;
    let mut in_phonetic = false;
    loop {
        match reader.read_event_into(&mut buf) {
            Ok(Event::Start(e)) => match e.local_name().as_ref() {
                b"t" => in_t = true,
                b"rPh" => in_phonetic = true,
                _ => {}
            },
            Ok(Event::Text(t)) if in_t && !in_phonetic => strings.text.push_str(&unescaped(&t)),
            Ok(Event::CData(t)) if in_t && !in_phonetic => strings.text.push_str(&String::from_utf8_lossy(&t)),
            Ok(Event::GeneralRef(r)) if in_t && !in_phonetic => strings.text.push_str(&reference_text(&r)),
            Ok(Event::End(e)) => match e.local_name().as_ref() {
                b"t" => in_t = false,
                b"rPh" => in_phonetic = false,
                b"si" if !strings.end_string() => break,
                _ => {}
            },
            Ok(Event::Empty(e)) if e.local_name().as_ref() == b"si" && !strings.end_string() => break,
            Ok(Event::Eof) | Err(_) => break,
            _ => {}
        }
        buf.clear();
    }
    strings
}

/// The text of an entity or character reference (`&amp;`, `&#233;`), which quick-xml reports as
/// an event of its own.
fn reference_text(r: &quick_xml::events::BytesRef<'_>) -> String {
    if let Ok(Some(c)) = r.resolve_char_ref() {
        return c.to_string();
    }
    let name = String::from_utf8_lossy(r.as_ref()).into_owned();
    quick_xml::escape::resolve_xml_entity(&name).map(str::to_string).unwrap_or_default()
}

fn unescaped(t: &quick_xml::events::BytesText<'_>) -> String {
    let raw = String::from_utf8_lossy(t.as_ref()).into_owned();
    quick_xml::escape::unescape(&raw).map(|u| u.into_owned()).unwrap_or(raw)
}

/// Which cell styles (`s` attribute index) show dates, from `xl/styles.xml`.
pub fn date_styles(xml: &[u8]) -> Vec<bool> {
    let mut reader = Reader::from_reader(xml);
    let mut buf = Vec::new();
    let mut custom_date_formats: HashMap<u32, bool> = HashMap::new();
    let mut in_cell_xfs = false;
    let mut styles = Vec::new();
    loop {
        match reader.read_event_into(&mut buf) {
            Ok(Event::Start(e) | Event::Empty(e)) => match e.local_name().as_ref() {
                b"numFmt" => {
                    let id = attr(&e, b"numFmtId").and_then(|v| v.parse().ok());
                    let code = attr(&e, b"formatCode").unwrap_or_default();
                    if let Some(id) = id {
                        custom_date_formats.insert(id, format_code_is_date(&code));
                    }
                }
                b"cellXfs" => in_cell_xfs = true,
                b"xf" if in_cell_xfs => {
                    let id: u32 = attr(&e, b"numFmtId").and_then(|v| v.parse().ok()).unwrap_or(0);
                    let custom_date = custom_date_formats.get(&id).copied().unwrap_or(false);
                    styles.push(is_builtin_date_format(id) || custom_date);
                }
                _ => {}
            },
            Ok(Event::End(e)) if e.local_name().as_ref() == b"cellXfs" => in_cell_xfs = false,
            Ok(Event::Eof) | Err(_) => break,
            _ => {}
        }
        buf.clear();
    }
    styles
}

/// The built-in number formats that show dates and times (ECMA-376 Part 1, 18.8.30 `numFmt`; the
/// same ids in [MS-XLS] 2.4.126 FORMAT).
pub(crate) fn is_builtin_date_format(id: u32) -> bool {
    matches!(id, 14..=22 | 45..=47)
}

/// A number format shows a date when it has day, month or year codes outside quoted text and
/// brackets (`[Red]`, `[$-809]`).
pub(crate) fn format_code_is_date(code: &str) -> bool {
    let mut quoted = false;
    let mut bracket = false;
    code.chars().any(|c| {
        match c {
            '"' => quoted = !quoted,
            '[' => bracket = true,
            ']' => bracket = false,
            _ => {}
        }
        !quoted && !bracket && matches!(c.to_ascii_lowercase(), 'd' | 'y')
    })
}

fn attr(e: &BytesStart<'_>, name: &[u8]) -> Option<String> {
    e.attributes()
        .flatten()
        .find(|a| a.key.local_name().as_ref() == name)
        .map(|a| String::from_utf8_lossy(&a.value).into_owned())
}

/// How reading a worksheet ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[must_use]
pub enum SheetEnd {
    /// Every cell was read.
    Whole,
    /// The text reached the byte budget given; the rest of the sheet was not read.
    Budget,
    /// The sheet is malformed (or cut short) after the text produced.
    Malformed,
}

/// One worksheet (ECMA-376 Part 1, 18.3.1.99 `worksheet`) as tab-separated lines, one per row,
/// cells placed by their column letters. At most `budget` bytes of text are written to `out`
/// (one cell past it at most): memory follows the cells that exist and the budget, never the
/// sheet's declared dimension or how often a long shared string is used. A gap between two cells
/// keeps at most [`MAX_EMPTY_CELLS_KEPT`] empty cells.
pub fn sheet_text(
    xml: &[u8],
    shared: &SharedStrings,
    date_styles: &[bool],
    budget: usize,
    out: &mut String,
) -> SheetEnd {
    let mut reader = Reader::from_reader(xml);
    reader.config_mut().trim_text(false);
    let mut buf = Vec::new();
    let mut column = 0usize;
    let mut cell = Cell::default();
    let mut in_value = false;
    let limit = out.len().saturating_add(budget);
    loop {
        match reader.read_event_into(&mut buf) {
            Ok(Event::Start(e)) => match e.local_name().as_ref() {
                b"row" => column = 0,
                b"c" => cell = Cell::from_attributes(&e),
                b"v" | b"t" => in_value = true,
                _ => {}
            },
            Ok(Event::Text(t)) if in_value => cell.value.push_str(&unescaped(&t)),
            // Inline strings may be written as CDATA sections.
            Ok(Event::CData(t)) if in_value => cell.value.push_str(&String::from_utf8_lossy(&t)),
            Ok(Event::GeneralRef(r)) if in_value => cell.value.push_str(&reference_text(&r)),
            Ok(Event::End(e)) => match e.local_name().as_ref() {
                b"v" | b"t" => in_value = false,
                b"c" => {
                    column = place_cell(&cell, column, shared, date_styles, out);
                    if out.len() >= limit {
                        return SheetEnd::Budget;
                    }
                }
                b"row" => out.push('\n'),
                _ => {}
            },
            Ok(Event::Eof) => return SheetEnd::Whole,
            Err(_) => return SheetEnd::Malformed,
            _ => {}
        }
        buf.clear();
    }
}

/// Writes `cell` after the `column` cells already on the line, returning the new count. The cell
/// at index `target` is preceded by `target` tabs in all; a gap keeps at most
/// [`MAX_EMPTY_CELLS_KEPT`] empty cells, as OpenDocument's repeated cells do.
fn place_cell(cell: &Cell, column: usize, shared: &SharedStrings, date_styles: &[bool], out: &mut String) -> usize {
    place_text(&cell.shown(shared, date_styles), column, cell.column.unwrap_or(column), out)
}

/// Writes `text` as the cell at index `target` of a line that already holds `column` cells and
/// returns the new count; a cell out of order goes after the last. A gap keeps at most
/// [`MAX_EMPTY_CELLS_KEPT`] empty cells, so a cell far to the right costs no more than one near.
pub(crate) fn place_text(text: &str, column: usize, target: usize, out: &mut String) -> usize {
    let target = target.max(column);
    let tabs = if column == 0 { target } else { target - column + 1 };
    out.extend(std::iter::repeat_n('\t', tabs.min(MAX_EMPTY_CELLS_KEPT + 1)));
    out.push_str(text);
    target + 1
}

#[derive(Default)]
struct Cell {
    column: Option<usize>,
    kind: String,
    style: Option<usize>,
    value: String,
}

impl Cell {
    fn from_attributes(e: &BytesStart<'_>) -> Cell {
        Cell {
            column: attr(e, b"r").and_then(|r| column_index(&r)),
            kind: attr(e, b"t").unwrap_or_default(),
            style: attr(e, b"s").and_then(|s| s.parse().ok()),
            value: String::new(),
        }
    }

    /// The cell as Excel shows it (as far as text goes).
    fn shown(&self, shared: &SharedStrings, date_styles: &[bool]) -> String {
        match self.kind.as_str() {
            "s" => self.value.trim().parse::<usize>().ok().and_then(|i| shared.get(i)).unwrap_or_default().to_string(),
            "b" => if self.value == "1" { "TRUE" } else { "FALSE" }.to_string(),
            "inlineStr" | "str" | "e" => self.value.clone(),
            _ => {
                let is_date = self.style.and_then(|s| date_styles.get(s)).copied().unwrap_or(false);
                match self.value.parse::<f64>() {
                    Ok(serial) if is_date => excel_serial_to_date(serial),
                    Ok(n) if n.fract() == 0.0 && n.abs() < 1e15 => format!("{}", n as i64),
                    _ => self.value.clone(),
                }
            }
        }
    }
}

/// Columns a worksheet may have (`XFD`, ECMA-376 Part 1, 18.3.1.4): a reference beyond is capped.
const MAX_COLUMNS: usize = 16_384;

/// `A` → 0, `Z` → 25, `AA` → 26, from a cell reference such as `AB12`; capped at [`MAX_COLUMNS`].
fn column_index(reference: &str) -> Option<usize> {
    let letters: Vec<u8> = reference.bytes().take_while(u8::is_ascii_alphabetic).collect();
    if letters.is_empty() {
        return None;
    }
    let n = letters
        .iter()
        .fold(0usize, |acc, &b| (acc * 26 + usize::from(b.to_ascii_uppercase() - b'A' + 1)).min(MAX_COLUMNS));
    Some(n - 1)
}

/// Excel's 1900 date system (with its fictitious 29 February 1900) to `dd/mm/yyyy`.
pub(crate) fn excel_serial_to_date(serial: f64) -> String {
    let days = serial.floor() as i64;
    if !(1..=2_958_465).contains(&days) {
        return format!("{serial}");
    }
    // Serial 1 is 1900-01-01 and 25,569 is 1970-01-01; serial 60 is the fictitious 1900-02-29, so
    // serials before it are one day behind.
    let since_epoch = if days > 60 { days - 25_569 } else { days - 25_568 };
    let (y, m, d) = crate::clock::civil_from_days(since_epoch);
    format!("{d:02}/{m:02}/{y}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spreadsheet_rows_keep_their_columns() {
        let xml = br#"<office:document-content><office:body><office:spreadsheet><table:table><table:table-row><table:table-cell><text:p>Student ID</text:p></table:table-cell><table:table-cell table:number-columns-repeated="2"/><table:table-cell><text:p>Mark</text:p></table:table-cell></table:table-row><table:table-row><table:table-cell><text:p>21012345</text:p></table:table-cell><table:table-cell table:number-columns-repeated="1024"/></table:table-row></table:table></office:spreadsheet></office:body></office:document-content>"#;
        let mut out = String::new();
        part_text(xml, PartStyle::OpenDocument, &mut out);
        let rows: Vec<&str> = out.lines().collect();
        assert_eq!(rows[0], "Student ID \t\t\tMark \t");
        assert_eq!(rows[1], format!("21012345 \t{}", "\t".repeat(MAX_EMPTY_CELLS_KEPT)));
    }

    #[test]
    fn word_text_keeps_paragraphs_and_cells() {
        let xml = br#"<w:document xmlns:w="w"><w:body><w:p><w:r><w:t>Hello</w:t></w:r><w:r><w:tab/><w:t xml:space="preserve"> world &amp; co</w:t></w:r></w:p><w:tbl><w:tr><w:tc><w:p><w:r><w:t>Name</w:t></w:r></w:p></w:tc><w:tc><w:p><w:r><w:t>NI</w:t></w:r></w:p></w:tc></w:tr></w:tbl><w:p><w:r><w:instrText>PAGE</w:instrText><w:delText>gone</w:delText></w:r></w:p></w:body></w:document>"#;
        let mut out = String::new();
        part_text(xml, PartStyle::Word, &mut out);
        assert!(out.starts_with("Hello\t world & co\n"), "{out:?}");
        assert!(out.contains("Name \tNI \t\n"), "a table row stays one line: {out:?}");
        assert!(out.contains("gone") && !out.contains("PAGE"), "{out:?}");
    }

    #[test]
    fn properties_become_labelled_lines() {
        let xml = br#"<Properties><property fmtid="x" pid="2" name="MSIP_Label_abc_Name"><vt:lpwstr>Highly Confidential</vt:lpwstr></property><dc:title>Staff list</dc:title></Properties>"#;
        let mut out = String::new();
        part_text(xml, PartStyle::Properties, &mut out);
        assert!(out.contains("MSIP_Label_abc_Name: Highly Confidential\n"), "{out:?}");
        assert!(out.contains("title: Staff list\n"), "{out:?}");
    }

    #[test]
    fn sheets_become_rows_with_dates_as_shown() {
        let shared = shared_strings(
            b"<sst><si><t>Name</t></si><si><t>DOB</t></si><si><r><t>An</t></r><r><t>n</t></r></si></sst>",
        );
        let styles = vec![false, true];
        let xml = br#"<worksheet><sheetData><row r="1"><c r="A1" t="s"><v>0</v></c><c r="C1" t="s"><v>1</v></c></row><row r="2"><c r="A2" t="s"><v>2</v></c><c r="B2"><v>4176749369</v></c><c r="C2" s="1"><v>31121</v></c></row></sheetData></worksheet>"#;
        let mut out = String::new();
        assert_eq!(sheet_text(xml, &shared, &styles, usize::MAX, &mut out), SheetEnd::Whole);
        assert_eq!(out, "Name\t\tDOB\nAnn\t4176749369\t15/03/1985\n");
    }

    #[test]
    fn sheet_text_follows_the_cells_that_exist() {
        let long = "A".repeat(1 << 20);
        let shared = shared_strings(format!("<sst count=\"4000000000\"><si><t>{long}</t></si><si/></sst>").as_bytes());
        assert_eq!(shared.get(1), Some(""));
        let row = r#"<row><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>0</v></c></row>"#.repeat(100);
        let xml = format!("<worksheet><dimension ref=\"A1:XFD1048576\"/><sheetData>{row}</sheetData></worksheet>");
        let mut out = String::new();
        assert_eq!(sheet_text(xml.as_bytes(), &shared, &[], 4 << 20, &mut out), SheetEnd::Budget);
        assert!(out.len() <= 5 << 20, "{} bytes", out.len());

        let far = br#"<worksheet><sheetData><row><c r="A1" t="inlineStr"><is><t><![CDATA[Ann <Smith>]]></t></is></c><c r="ZZZZZZZZZZZZZZZ1"><v>7</v></c></row></sheetData></worksheet>"#;
        let mut out = String::new();
        assert_eq!(sheet_text(far, &shared, &[], usize::MAX, &mut out), SheetEnd::Whole);
        assert_eq!(out, format!("Ann <Smith>{}7\n", "\t".repeat(MAX_EMPTY_CELLS_KEPT + 1)));

        let cut = br#"<worksheet><sheetData><row><c r="A1" t="inlineStr"><is><t>Ann</t></is></c></row><row><c r="A2"><v>1</v></c></ro"#;
        let mut out = String::new();
        assert_eq!(sheet_text(cut, &shared, &[], usize::MAX, &mut out), SheetEnd::Malformed);
        assert!(out.starts_with("Ann\n"), "{out:?}");
    }

    #[test]
    fn date_formats_are_recognised() {
        assert!(format_code_is_date("dd/mm/yyyy"));
        assert!(format_code_is_date("[$-809]dd mmmm yyyy"));
        assert!(!format_code_is_date("0.00"));
        assert!(!format_code_is_date("[Red]#,##0"));
        assert!(!format_code_is_date("\"days\" 0"));
        assert_eq!(excel_serial_to_date(1.0), "01/01/1900");
        assert_eq!(excel_serial_to_date(61.0), "01/03/1900");
        assert_eq!(excel_serial_to_date(45000.0), "15/03/2023");
        assert_eq!(column_index("AB12"), Some(27));
    }
}
