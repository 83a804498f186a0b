//! Legacy Excel workbooks (`.xls`, BIFF8, and BIFF5's `/Book` as far as it goes): the `Workbook`
//! stream of a compound file read record by record ([MS-XLS] 2.1.4 Record), never as a grid.
//!
//! The workbook globals give the shared strings (SST and its CONTINUE records), which cell formats
//! show dates (XF and FORMAT), the date system and where each sheet's records start (BoundSheet8);
//! FILEPASS says the workbook is encrypted, and then nothing else is read. Each worksheet then
//! becomes tab-separated lines, one per row, so the table detector sees its columns. Memory
//! follows the cells that exist and the text budget: the DIMENSIONS record and the SST's declared
//! counts are never used to size anything, and a record is at most 64 KiB. A malformed or cut-short
//! sheet costs that sheet (`unreadable_part`), not the workbook.

use std::io::{BufReader, ErrorKind, Read, Seek, SeekFrom};

use super::office::{self, SharedStrings, SheetEnd};
use super::{Ctx, PartialReason};
use crate::extract::Encryption;

/// Record types read ([MS-XLS] 2.3 Record Enumeration).
mod rt {
    pub const FORMULA: u16 = 0x0006;
    pub const EOF: u16 = 0x000A;
    pub const DATE1904: u16 = 0x0022;
    pub const FILEPASS: u16 = 0x002F;
    pub const CONTINUE: u16 = 0x003C;
    pub const BOUNDSHEET: u16 = 0x0085;
    pub const MULRK: u16 = 0x00BD;
    pub const RSTRING: u16 = 0x00D6;
    pub const XF: u16 = 0x00E0;
    pub const SST: u16 = 0x00FC;
    pub const LABELSST: u16 = 0x00FD;
    pub const NUMBER: u16 = 0x0203;
    pub const LABEL: u16 = 0x0204;
    pub const BOOLERR: u16 = 0x0205;
    pub const STRING: u16 = 0x0207;
    pub const RK: u16 = 0x027E;
    pub const FORMAT: u16 = 0x041E;
    pub const BOF: u16 = 0x0809;
}

/// Why a workbook stream, or part of it, could not be read.
#[derive(Debug, thiserror::Error)]
enum BiffError {
    /// The stream ends inside a record or before a substream's EOF.
    #[error("the stream ends inside a record or substream")]
    Truncated,
    /// A record is shorter than its fields, or a substream does not start with BOF.
    #[error("malformed record {0:#06x}")]
    Malformed(u16),
    /// The stream could not be read.
    #[error("reading the stream: {0}")]
    Io(std::io::Error),
}

impl From<std::io::Error> for BiffError {
    fn from(e: std::io::Error) -> Self {
        if e.kind() == ErrorKind::UnexpectedEof {
            BiffError::Truncated
        } else {
            BiffError::Io(e)
        }
    }
}

/// Reads the workbook in `stream` (`/Workbook` or `/Book`) of a compound file: its encryption, or
/// the text of each worksheet.
pub(super) fn read<R: Read + Seek>(
    file: &mut cfb::CompoundFile<R>,
    stream: &str,
    member: Option<&str>,
    ctx: &mut Ctx<'_, '_>,
) {
    let Ok(input) = file.open_stream(stream) else {
        ctx.mark(PartialReason::UnreadablePart);
        return;
    };
    let mut records = Records::new(BufReader::new(input));
    let mut globals = Globals::default();
    match read_globals(&mut records, &mut globals, ctx) {
        Ok(Some(cipher)) => {
            ctx.add_encryption(Encryption::with("office-rc4", Some(false)).cipher(cipher));
            return;
        }
        Ok(None) => {}
        // The sheets found before the damage are still read.
        Err(_) => ctx.mark(PartialReason::UnreadablePart),
    }
    read_sheets(&mut records, &globals, member, ctx);
}

/// Reads each worksheet in turn, each within its share of the text budget left, so that one huge
/// sheet cannot starve the sheets after it.
fn read_sheets<R: Read + Seek>(
    records: &mut Records<R>,
    globals: &Globals,
    member: Option<&str>,
    ctx: &mut Ctx<'_, '_>,
) {
    let mut cut = false;
    for (index, &offset) in globals.sheets.iter().enumerate() {
        if ctx.exhausted() {
            break;
        }
        let share = ctx.text_share(globals.sheets.len() - index);
        // One text stream per sheet, so its first row is the header of its columns.
        let mut text = String::new();
        match read_sheet(records, offset, globals, share, &mut text) {
            Ok(SheetEnd::Whole) => {}
            // Marked once every sheet is read: the mark itself stops the file's text.
            Ok(SheetEnd::Budget) => cut = true,
            Ok(SheetEnd::Malformed) | Err(_) => ctx.mark(PartialReason::UnreadablePart),
        }
        ctx.emit(&text, member);
    }
    if cut {
        ctx.mark(PartialReason::TextBytes);
    }
}

/// The records of a stream, one at a time, in one reused buffer of at most 64 KiB (a record's
/// length is a `u16`, [MS-XLS] 2.1.4).
struct Records<R> {
    input: BufReader<R>,
    kind: u16,
    data: Vec<u8>,
    /// The current record was looked at by a reader that does not own it (the SST's reader meets
    /// the record after its last CONTINUE): the next [`Records::next`] returns it again.
    held: bool,
}

impl<R: Read + Seek> Records<R> {
    fn new(input: BufReader<R>) -> Self {
        Records { input, kind: 0, data: Vec::new(), held: false }
    }

    /// Moves to the next record; false at the end of the stream.
    fn next(&mut self) -> Result<bool, BiffError> {
        if std::mem::take(&mut self.held) {
            return Ok(true);
        }
        let mut header = [0u8; 4];
        match self.input.read(&mut header[..1])? {
            0 => return Ok(false),
            _ => self.input.read_exact(&mut header[1..])?,
        }
        self.kind = u16::from_le_bytes([header[0], header[1]]);
        // The length is at most 65,535 and read_exact fails if the stream holds fewer bytes.
        self.data.resize(usize::from(u16::from_le_bytes([header[2], header[3]])), 0);
        self.input.read_exact(&mut self.data)?;
        Ok(true)
    }

    /// Gives the current record back, to be returned by the next [`Records::next`].
    fn hold(&mut self) {
        self.held = true;
    }

    /// Moves to the record at `offset` in the stream.
    fn seek(&mut self, offset: u64) -> Result<(), BiffError> {
        self.held = false;
        self.input.seek(SeekFrom::Start(offset))?;
        Ok(())
    }

    /// The current record's fields.
    fn fields(&self) -> Fields<'_> {
        Fields { kind: self.kind, data: &self.data }
    }
}

/// The fields of one record, read in order; a record too short for them is malformed.
struct Fields<'a> {
    kind: u16,
    data: &'a [u8],
}

impl<'a> Fields<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], BiffError> {
        if self.data.len() < n {
            return Err(BiffError::Malformed(self.kind));
        }
        let (head, rest) = self.data.split_at(n);
        self.data = rest;
        Ok(head)
    }

    fn u8(&mut self) -> Result<u8, BiffError> {
        Ok(self.take(1)?[0])
    }

    fn u16(&mut self) -> Result<u16, BiffError> {
        let b = self.take(2)?;
        Ok(u16::from_le_bytes([b[0], b[1]]))
    }

    fn u32(&mut self) -> Result<u32, BiffError> {
        let b = self.take(4)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    fn f64(&mut self) -> Result<f64, BiffError> {
        let b = self.take(8)?;
        Ok(f64::from_le_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]]))
    }

    /// A string within one record: an XLUnicodeString ([MS-XLS] 2.5.294: `cch`, then `fHighByte`,
    /// then Latin-1 bytes or UTF-16 units) in BIFF8; BIFF5 writes the count and 8-bit characters
    /// in the workbook's code page, read here as Windows-1252. `wide_count` says whether the
    /// count is a `u16` (cells) or a `u8` (BIFF5 FORMAT). A string continued in a CONTINUE record
    /// (a long formula result) keeps what this record holds.
    fn string(&mut self, biff8: bool, wide_count: bool) -> Result<String, BiffError> {
        let count = if wide_count { usize::from(self.u16()?) } else { usize::from(self.u8()?) };
        if !biff8 {
            let bytes = self.take(count.min(self.data.len()))?;
            return Ok(encoding_rs::WINDOWS_1252.decode_without_bom_handling(bytes).0.into_owned());
        }
        let high_byte = self.u8()? & 0x01 != 0;
        let width = if high_byte { 2 } else { 1 };
        let bytes = self.take(count.saturating_mul(width).min(self.data.len() / width * width))?;
        let mut text = String::new();
        decode_chars(bytes, high_byte, &mut text);
        Ok(text)
    }
}

/// Appends characters stored as Latin-1 bytes (the high bytes of UTF-16 all zero, [MS-XLS]
/// 2.5.293 `fHighByte` clear) or as UTF-16LE units.
fn decode_chars(bytes: &[u8], high_byte: bool, out: &mut String) {
    if high_byte {
        let units = bytes.chunks_exact(2).map(|c| u16::from_le_bytes([c[0], c[1]]));
        out.extend(char::decode_utf16(units).map(|c| c.unwrap_or(char::REPLACEMENT_CHARACTER)));
    } else {
        out.extend(bytes.iter().map(|&b| char::from(b)));
    }
}

/// What the workbook globals say about every sheet.
#[derive(Default)]
struct Globals {
    /// BIFF8 (Excel 97 and later) rather than BIFF5.
    biff8: bool,
    /// The 1904 date system ([MS-XLS] 2.4.77 Date1904): serial 0 is 1 January 1904.
    date1904: bool,
    strings: SharedStrings,
    /// Custom number formats ([MS-XLS] 2.4.126 FORMAT) that show dates, by `ifmt`.
    date_formats: std::collections::HashSet<u16>,
    /// Whether each cell format ([MS-XLS] 2.4.353 XF), by index, shows a date.
    date_xfs: Vec<bool>,
    /// Where each worksheet's substream starts in the stream.
    sheets: Vec<u64>,
}

impl Globals {
    /// A number as Excel shows it, as far as text goes: a date in a date format, a whole number
    /// without a decimal point.
    fn number(&self, value: f64, xf: u16) -> String {
        if self.date_xfs.get(usize::from(xf)).copied().unwrap_or(false) {
            // Serial 0 of the 1904 system is serial 1,462 of the 1900 system.
            let serial = if self.date1904 { value + 1462.0 } else { value };
            return office::excel_serial_to_date(serial);
        }
        if value.fract() == 0.0 && value.abs() < 1e15 {
            return format!("{}", value as i64);
        }
        format!("{value}")
    }
}

/// Reads the workbook globals substream, from its BOF to its EOF, into `globals`. Returns the
/// cipher when FILEPASS ([MS-XLS] 2.4.117) says the rest of the stream is encrypted. Shared
/// strings past the text budget are dropped (`text_bytes`); a damaged SST keeps the strings
/// before the damage (`unreadable_part`) and the records after it are still read.
fn read_globals<R: Read + Seek>(
    records: &mut Records<R>,
    globals: &mut Globals,
    ctx: &mut Ctx<'_, '_>,
) -> Result<Option<&'static str>, BiffError> {
    if !records.next()? || records.kind != rt::BOF {
        return Err(BiffError::Malformed(records.kind));
    }
    // BOF ([MS-XLS] 2.4.21): `vers` 0x0600 is BIFF8; BIFF5 writes 0x0500.
    globals.biff8 = records.fields().u16()? == 0x0600;
    while records.next()? {
        let mut f = records.fields();
        match records.kind {
            rt::EOF => return Ok(None),
            rt::FILEPASS => return Ok(Some(if f.u16()? == 0 { "XOR obfuscation" } else { "RC4" })),
            rt::DATE1904 => globals.date1904 = f.u16()? == 1,
            rt::FORMAT => {
                let id = f.u16()?;
                if office::format_code_is_date(&f.string(globals.biff8, globals.biff8)?) {
                    globals.date_formats.insert(id);
                }
            }
            rt::XF => {
                let id = f.take(2).and_then(|_| f.u16())?;
                let date = office::is_builtin_date_format(u32::from(id)) || globals.date_formats.contains(&id);
                globals.date_xfs.push(date);
            }
            // BoundSheet8 ([MS-XLS] 2.4.28): `lbPlyPos`, `hsState`, `dt` 0 for a worksheet and 1
            // for a macro sheet (cells both); charts and VBA modules hold no cells.
            rt::BOUNDSHEET => {
                let offset = f.u32()?;
                if matches!(f.take(1).and_then(|_| f.u8())?, 0 | 1) {
                    globals.sheets.push(u64::from(offset));
                }
            }
            rt::SST => match read_sst(records, &mut globals.strings, ctx.limits.max_text_bytes as usize) {
                Ok(false) => {}
                Ok(true) => ctx.mark(PartialReason::TextBytes),
                Err(_) => ctx.mark(PartialReason::UnreadablePart),
            },
            _ => {}
        }
    }
    Err(BiffError::Truncated)
}

/// Reads the shared-string table ([MS-XLS] 2.4.265 SST): the SST record is the current one and
/// its strings run on through the CONTINUE records after it. Strings are read until the records
/// end, whatever `cstUnique` declares; text past `cap` bytes is dropped (true is returned then).
fn read_sst<R: Read + Seek>(
    records: &mut Records<R>,
    strings: &mut SharedStrings,
    cap: usize,
) -> Result<bool, BiffError> {
    let mut input = Continued { records, at: 0 };
    // cstTotal, then cstUnique: counts the strings read need not agree with.
    input.skip(4)?;
    let declared = input.u32()?;
    let mut cut = false;
    let mut piece = String::new();
    for _ in 0..declared {
        if !input.more()? {
            break;
        }
        // XLUnicodeRichExtendedString ([MS-XLS] 2.5.293).
        let count = usize::from(input.u16()?);
        let flags = input.u8()?;
        let runs = if flags & 0x08 != 0 { u64::from(input.u16()?) } else { 0 };
        let extended = if flags & 0x04 != 0 { u64::from(input.u32()?) } else { 0 };
        piece.clear();
        input.chars(count, flags & 0x01 != 0, &mut piece)?;
        if strings.text_len().saturating_add(piece.len()) <= cap {
            strings.push_str(&piece);
        } else {
            cut = true;
        }
        if !strings.end_string() {
            cut = true;
            break;
        }
        // Formatting runs (4 bytes each) and phonetic data are not the cell's text.
        input.skip(runs * 4 + extended)?;
    }
    input.finish()?;
    Ok(cut)
}

/// Bytes read across a record and the CONTINUE records after it ([MS-XLS] 2.4.58 Continue).
struct Continued<'r, R> {
    records: &'r mut Records<R>,
    at: usize,
}

impl<R: Read + Seek> Continued<'_, R> {
    /// True while bytes remain, moving into the next CONTINUE record when this one is used up;
    /// any other record is held for the caller.
    fn more(&mut self) -> Result<bool, BiffError> {
        while self.at >= self.records.data.len() {
            if !self.records.next()? {
                return Ok(false);
            }
            if self.records.kind != rt::CONTINUE {
                self.records.hold();
                return Ok(false);
            }
            self.at = 0;
        }
        Ok(true)
    }

    fn u8(&mut self) -> Result<u8, BiffError> {
        if !self.more()? {
            return Err(BiffError::Truncated);
        }
        self.at += 1;
        Ok(self.records.data[self.at - 1])
    }

    fn u16(&mut self) -> Result<u16, BiffError> {
        Ok(u16::from_le_bytes([self.u8()?, self.u8()?]))
    }

    fn u32(&mut self) -> Result<u32, BiffError> {
        Ok(u32::from_le_bytes([self.u8()?, self.u8()?, self.u8()?, self.u8()?]))
    }

    /// Skips `n` bytes (which may span records).
    fn skip(&mut self, mut n: u64) -> Result<(), BiffError> {
        while n > 0 {
            if !self.more()? {
                return Err(BiffError::Truncated);
            }
            let step = n.min((self.records.data.len() - self.at) as u64);
            self.at += step as usize;
            n -= step;
        }
        Ok(())
    }

    /// Appends `count` characters. A string cut by a record boundary goes on in the next CONTINUE
    /// record after a byte of its own saying whether the rest is Latin-1 or UTF-16.
    fn chars(&mut self, mut count: usize, mut high_byte: bool, out: &mut String) -> Result<(), BiffError> {
        while count > 0 {
            if self.at >= self.records.data.len() {
                if !self.more()? {
                    return Err(BiffError::Truncated);
                }
                high_byte = self.u8()? & 0x01 != 0;
                continue;
            }
            let width = if high_byte { 2 } else { 1 };
            let take = count.min((self.records.data.len() - self.at) / width);
            if take == 0 {
                // Half a UTF-16 unit before the boundary.
                return Err(BiffError::Malformed(rt::SST));
            }
            decode_chars(&self.records.data[self.at..self.at + take * width], high_byte, out);
            self.at += take * width;
            count -= take;
        }
        Ok(())
    }

    /// Moves past the rest of the SST and its CONTINUE records.
    fn finish(&mut self) -> Result<(), BiffError> {
        self.at = self.records.data.len();
        self.more().map(|_| ())
    }
}

/// One worksheet substream, from the BOF at `offset` to its EOF, as tab-separated lines. At most
/// `budget` bytes of text are written to `out` (one cell past it at most). Substreams nested in
/// it (an embedded chart's) are passed over.
fn read_sheet<R: Read + Seek>(
    records: &mut Records<R>,
    offset: u64,
    globals: &Globals,
    budget: usize,
    out: &mut String,
) -> Result<SheetEnd, BiffError> {
    records.seek(offset)?;
    if !records.next()? || records.kind != rt::BOF {
        return Err(BiffError::Malformed(records.kind));
    }
    let limit = out.len().saturating_add(budget);
    let mut line = Line::default();
    let mut depth = 1usize;
    // A formula's string result follows it in a STRING record ([MS-XLS] 2.4.127 Formula).
    let mut pending_string: Option<(u16, u16)> = None;
    while records.next()? {
        let mut f = records.fields();
        match records.kind {
            rt::BOF => depth += 1,
            rt::EOF if depth == 1 => {
                out.push('\n');
                return Ok(SheetEnd::Whole);
            }
            rt::EOF => depth -= 1,
            _ if depth > 1 => {}
            rt::STRING => {
                if let Some((row, column)) = pending_string.take() {
                    line.place(row, column, &f.string(globals.biff8, true)?, out);
                }
            }
            kind => {
                if let Some((row, first, values)) = cell_values(kind, &mut f, globals)? {
                    for (column, value) in (first..).zip(values) {
                        match value {
                            Value::Text(text) => line.place(row, column, &text, out),
                            Value::FormulaString => pending_string = Some((row, column)),
                        }
                    }
                }
                if out.len() >= limit {
                    return Ok(SheetEnd::Budget);
                }
            }
        }
    }
    Err(BiffError::Truncated)
}

/// A cell's value as read from its record.
enum Value {
    Text(String),
    /// The value is in the STRING record that follows.
    FormulaString,
}

/// The row, first column and values of a cell record; `None` for any other record.
fn cell_values(kind: u16, f: &mut Fields<'_>, globals: &Globals) -> Result<Option<(u16, u16, Vec<Value>)>, BiffError> {
    if !matches!(
        kind,
        rt::LABELSST | rt::LABEL | rt::RSTRING | rt::NUMBER | rt::RK | rt::MULRK | rt::FORMULA | rt::BOOLERR
    ) {
        return Ok(None);
    }
    // Cell ([MS-XLS] 2.5.19): `rw`, `col`, then (but for MulRk) `ixfe`.
    let (row, column) = (f.u16()?, f.u16()?);
    let values = match kind {
        // MulRk ([MS-XLS] 2.4.175): RkRec pairs (`ixfe`, `RK`), then `colLast`.
        rt::MULRK => {
            let mut values = Vec::with_capacity(f.data.len() / 6);
            while f.data.len() >= 6 + 2 {
                let xf = f.u16()?;
                values.push(Value::Text(globals.number(rk_number(f.u32()?), xf)));
            }
            values
        }
        _ => {
            let xf = f.u16()?;
            cell_value(kind, xf, f, globals)?.into_iter().collect()
        }
    };
    Ok(Some((row, column, values)))
}

/// The value of a single-cell record after its Cell structure; `None` for an empty or error cell.
fn cell_value(kind: u16, xf: u16, f: &mut Fields<'_>, globals: &Globals) -> Result<Option<Value>, BiffError> {
    let text = match kind {
        // LabelSst ([MS-XLS] 2.4.149): an index into the SST; one out of range reads as empty.
        rt::LABELSST => globals.strings.get(f.u32()? as usize).unwrap_or_default().to_string(),
        // Label (2.4.148) and RString (a label with formatting runs after the string).
        rt::LABEL | rt::RSTRING => f.string(globals.biff8, true)?,
        // Number (2.4.180): an IEEE double.
        rt::NUMBER => globals.number(f.f64()?, xf),
        rt::RK => globals.number(rk_number(f.u32()?), xf),
        // BoolErr (2.4.24): `bBoolErr`, then `fError`.
        rt::BOOLERR => match (f.u8()?, f.u8()?) {
            (b, 0) => if b == 1 { "TRUE" } else { "FALSE" }.to_string(),
            _ => return Ok(None),
        },
        rt::FORMULA => return formula_value(xf, f.take(8)?, globals),
        _ => return Ok(None),
    };
    Ok(Some(Value::Text(text)))
}

/// A formula's cached result ([MS-XLS] 2.5.133 FormulaValue): a double, unless the last two bytes
/// are 0xFFFF, when the first byte says string (in the next STRING record), boolean, error or
/// empty string.
fn formula_value(xf: u16, value: &[u8], globals: &Globals) -> Result<Option<Value>, BiffError> {
    if value[6..8] != [0xFF, 0xFF] {
        let number = f64::from_le_bytes(value.try_into().map_err(|_| BiffError::Malformed(rt::FORMULA))?);
        return Ok(Some(Value::Text(globals.number(number, xf))));
    }
    Ok(match value[0] {
        0 => Some(Value::FormulaString),
        1 => Some(Value::Text(if value[2] == 1 { "TRUE" } else { "FALSE" }.to_string())),
        _ => None,
    })
}

/// An RkNumber ([MS-XLS] 2.5.217): bit 0 says divide by 100, bit 1 says the upper 30 bits are a
/// signed integer; otherwise they are the upper 30 bits of a double.
fn rk_number(rk: u32) -> f64 {
    let value = if rk & 0x02 != 0 { f64::from((rk as i32) >> 2) } else { f64::from_bits(u64::from(rk & !0x03) << 32) };
    if rk & 0x01 != 0 {
        value / 100.0
    } else {
        value
    }
}

/// The line being written: a new row starts a new line, cells keep their columns.
#[derive(Default)]
struct Line {
    row: Option<u16>,
    cells: usize,
}

impl Line {
    fn place(&mut self, row: u16, column: u16, text: &str, out: &mut String) {
        if self.row != Some(row) {
            if self.row.is_some() {
                out.push('\n');
            }
            self.row = Some(row);
            self.cells = 0;
        }
        self.cells = office::place_text(text, self.cells, usize::from(column), out);
    }
}

#[cfg(test)]
mod tests {
    use std::io::{Cursor, Write};
    use std::ops::ControlFlow;

    use super::*;
    use crate::extract::{extract_bytes, ExtractLimits, Extracted, LabelNames, TextChunk};

    fn record(kind: u16, data: &[u8]) -> Vec<u8> {
        let mut out = kind.to_le_bytes().to_vec();
        out.extend_from_slice(&(data.len() as u16).to_le_bytes());
        out.extend_from_slice(data);
        out
    }

    /// BOF of BIFF8 with substream type `dt` (5 globals, 0x10 worksheet).
    fn bof(dt: u16) -> Vec<u8> {
        let mut data = vec![0x00, 0x06];
        data.extend_from_slice(&dt.to_le_bytes());
        data.resize(16, 0);
        record(rt::BOF, &data)
    }

    fn cell(kind: u16, row: u16, column: u16, xf: u16, value: &[u8]) -> Vec<u8> {
        let mut data = [row.to_le_bytes(), column.to_le_bytes(), xf.to_le_bytes()].concat();
        data.extend_from_slice(value);
        record(kind, &data)
    }

    /// An XLUnicodeString: Latin-1 when `wide` is false, UTF-16 otherwise.
    fn string(text: &str, wide: bool) -> Vec<u8> {
        let units: Vec<u16> = text.encode_utf16().collect();
        let mut out = (units.len() as u16).to_le_bytes().to_vec();
        out.push(u8::from(wide));
        if wide {
            out.extend(units.iter().flat_map(|u| u.to_le_bytes()));
        } else {
            out.extend(text.bytes());
        }
        out
    }

    fn xf(format: u16) -> Vec<u8> {
        let mut data = [0u16.to_le_bytes(), format.to_le_bytes()].concat();
        data.resize(20, 0);
        record(rt::XF, &data)
    }

    /// A workbook stream: the globals (`before_sheets` records, one BoundSheet8 per sheet with
    /// its type, `after_sheets` records) and the sheets' substreams.
    fn workbook(before_sheets: &[u8], after_sheets: &[u8], sheets: &[(u8, Vec<u8>)]) -> Vec<u8> {
        let boundsheet = |offset: u32, dt: u8| {
            let mut data = offset.to_le_bytes().to_vec();
            data.extend_from_slice(&[0, dt]);
            data.extend_from_slice(&[1, 0, b'S']);
            record(rt::BOUNDSHEET, &data)
        };
        let globals_len = bof(5).len() + before_sheets.len() + after_sheets.len() + 4 + sheets.len() * (4 + 9);
        let mut out = bof(5);
        out.extend_from_slice(before_sheets);
        let mut offset = globals_len;
        for (dt, sheet) in sheets {
            out.extend(boundsheet(offset as u32, *dt));
            offset += sheet.len();
        }
        out.extend_from_slice(after_sheets);
        out.extend(record(rt::EOF, &[]));
        assert_eq!(out.len(), globals_len);
        for (_, sheet) in sheets {
            out.extend_from_slice(sheet);
        }
        out
    }

    /// Extracts a compound file holding `stream` as `/Workbook`; the text of each sheet, in order.
    fn extract(stream: &[u8], max_text_bytes: u64) -> (Vec<String>, Extracted) {
        let mut file = cfb::CompoundFile::create(Cursor::new(Vec::new())).unwrap();
        file.create_stream("/Workbook").unwrap().write_all(stream).unwrap();
        file.flush().unwrap();
        let bytes = file.into_inner().into_inner();
        let limits = ExtractLimits {
            max_depth: 4,
            max_member_bytes: 1 << 30,
            max_text_bytes,
            ..crate::extract::testing::limits()
        };
        let mut texts = vec![String::new()];
        let mut sink = |chunk: TextChunk<'_>| {
            let last = texts.last_mut().unwrap();
            last.push_str(std::str::from_utf8(&chunk.text[chunk.owned.clone()]).unwrap());
            if chunk.last {
                texts.push(String::new());
            }
            ControlFlow::Continue(())
        };
        let extracted = extract_bytes(&bytes, limits, &LabelNames::new(), &mut sink);
        texts.pop();
        (texts, extracted)
    }

    #[test]
    fn sheets_become_rows_whatever_their_declared_dimensions() {
        // Shared strings: the email starts as Latin-1 in the SST and goes on as UTF-16 after the
        // CONTINUE record's own flags byte; "Name" has a formatting run to pass over.
        let mut sst = [2u32.to_le_bytes(), 6u32.to_le_bytes()].concat();
        sst.extend([4, 0, 0x08, 1, 0].iter().chain(b"Name").chain(&[0, 0, 1, 0]));
        for s in ["Email", "NI number", "Born", "Jane Smith"] {
            sst.extend(string(s, false));
        }
        sst.extend([20, 0, 0].iter().chain(b"jane.smi"));
        let continued: Vec<u8> =
            std::iter::once(1).chain("th@ucl.ac.uk".encode_utf16().flat_map(u16::to_le_bytes)).collect();
        let globals = [
            xf(0),
            xf(14),
            record(rt::FORMAT, &[&164u16.to_le_bytes()[..], &string("dd/mm/yyyy", false)].concat()),
            xf(164),
        ]
        .concat();
        let strings = [record(rt::SST, &sst), record(rt::CONTINUE, &continued)].concat();
        // DIMENSIONS: rows 0..65536, columns 0..256.
        let dimensions = record(0x0200, &[0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0]);
        let rk_int = |n: i32| ((n << 2) | 2).to_le_bytes();
        let mulrk = [&2u16.to_le_bytes()[..], &3u16.to_le_bytes(), &2u16.to_le_bytes(), &rk_int(45000), &[0, 0]]
            .concat()
            .into_iter()
            .chain(((123_450i32 << 2) | 3).to_le_bytes())
            .chain(4u16.to_le_bytes())
            .collect::<Vec<u8>>();
        let staff = [
            bof(0x10),
            dimensions,
            (0..4).flat_map(|i| cell(rt::LABELSST, 0, i, 0, &u32::from(i).to_le_bytes())).collect(),
            cell(rt::LABELSST, 1, 0, 0, &4u32.to_le_bytes()),
            cell(rt::LABELSST, 1, 1, 0, &5u32.to_le_bytes()),
            cell(rt::LABEL, 1, 2, 0, &string("JK527193B", false)),
            cell(rt::NUMBER, 1, 3, 1, &31121f64.to_le_bytes()),
            cell(rt::RK, 1, 4, 0, &rk_int(12345)),
            record(rt::MULRK, &mulrk),
            cell(rt::FORMULA, 3, 0, 0, &[0, 0, 0, 0, 0, 0, 0xFF, 0xFF, 0, 0, 0, 0, 0, 0]),
            record(rt::STRING, &string("tom.brown@ucl.ac.uk", true)),
            // An embedded chart's substream holds no cells of the sheet.
            bof(0x20),
            cell(rt::LABEL, 9, 0, 0, &string("chart title", false)),
            record(rt::EOF, &[]),
            cell(rt::LABEL, 65535, 255, 0, &string("far", false)),
            record(rt::EOF, &[]),
        ]
        .concat();
        let broken =
            [bof(0x10), cell(rt::LABEL, 0, 0, 0, &string("Ann Lee", false)), record(rt::LABELSST, &[0, 0])].concat();
        let chart = [bof(0x20), record(rt::EOF, &[])].concat();
        let last =
            [bof(0x10), cell(rt::LABEL, 0, 0, 0, &string("ann.lee@ucl.ac.uk", true)), record(rt::EOF, &[])].concat();
        let stream = workbook(&globals, &strings, &[(0, staff), (0, broken), (2, chart), (0, last)]);
        let (texts, extracted) = extract(&stream, 1 << 20);
        assert_eq!(extracted.format, "xls");
        assert_eq!(
            texts,
            [
                format!(
                    "Name\tEmail\tNI number\tBorn\nJane Smith\tjane.smith@ucl.ac.uk\tJK527193B\t15/03/1985\t12345\n\
                     \t\t\t15/03/2023\t1234.5\ntom.brown@ucl.ac.uk\n{}far\n",
                    "\t".repeat(33)
                ),
                "Ann Lee".to_string(),
                "ann.lee@ucl.ac.uk\n".to_string(),
            ]
        );
        assert_eq!(extracted.partial.into_iter().collect::<Vec<_>>(), [PartialReason::UnreadablePart]);
    }

    #[test]
    fn each_sheet_has_its_share_of_the_text_budget() {
        let long: Vec<u8> =
            (0..1000).flat_map(|row| cell(rt::LABEL, row, 0, 0, &string("0123456789", false))).collect();
        let first = [bof(0x10), long, record(rt::EOF, &[])].concat();
        let second = [bof(0x10), cell(rt::LABEL, 0, 0, 0, &string("JK527193B", false)), record(rt::EOF, &[])].concat();
        let (texts, extracted) = extract(&workbook(&[], &[], &[(0, first), (0, second)]), 4096);
        assert!(texts[0].len() <= 2048 + 11, "{} bytes", texts[0].len());
        assert_eq!(texts[1], "JK527193B\n");
        assert_eq!(extracted.partial.into_iter().collect::<Vec<_>>(), [PartialReason::TextBytes]);
    }

    #[test]
    fn filepass_marks_the_workbook_encrypted() {
        for (scheme, cipher) in [(1u16, "RC4"), (0, "XOR obfuscation")] {
            let sheet = [bof(0x10), cell(rt::LABEL, 0, 0, 0, &string("secret", false)), record(rt::EOF, &[])].concat();
            let stream = workbook(&record(rt::FILEPASS, &scheme.to_le_bytes()), &[], &[(0, sheet)]);
            let (texts, extracted) = extract(&stream, 1 << 20);
            assert!(texts.is_empty(), "{texts:?}");
            assert_eq!(extracted.encryption.method, Some("office-rc4"));
            assert_eq!(extracted.encryption.cipher.as_deref(), Some(cipher));
        }
    }
}
