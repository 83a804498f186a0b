//! Documents, archives, e-mail and encryption, end to end on the real binary. The fixtures in
//! `tests/data/fixtures/` were made by real writers (LibreOffice, zip, 7-Zip, qpdf, gpg, age,
//! msoffcrypto-tool, cryptsetup, Python's email and mailbox modules) with
//! `tests/data/make-fixtures.sh`; bombs are made here.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/fixtures").join(name)
}

/// Scans `paths` and returns the file records by file name, and the summary.
fn scan(paths: &[PathBuf], extra: &[&str]) -> (BTreeMap<String, Value>, Value) {
    let key = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(key.path(), [9u8; 32]).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_dlp-scan"))
        .args(["--format", "json", "--fingerprint-key"])
        .arg(key.path())
        .args(extra)
        .args(paths)
        .output()
        .unwrap();
    assert!(out.status.code().is_some(), "dlp-scan was killed");
    let mut files = BTreeMap::new();
    let mut summary = Value::Null;
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        let record: Value = serde_json::from_str(line).unwrap();
        match record["type"].as_str() {
            Some("file") => {
                let name =
                    Path::new(record["path"].as_str().unwrap()).file_name().unwrap().to_string_lossy().into_owned();
                files.insert(name, record);
            }
            Some("summary") => summary = record,
            _ => {}
        }
    }
    (files, summary)
}

fn counts(record: &Value) -> BTreeMap<String, u64> {
    record["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["detector"].as_str().unwrap().to_string(), f["count"].as_u64().unwrap()))
        .collect()
}

fn expect(pairs: &[(&str, u64)]) -> BTreeMap<String, u64> {
    pairs.iter().map(|(d, n)| (d.to_string(), *n)).collect()
}

/// (fixture, format, distinct values per detector)
fn planted() -> Vec<(&'static str, &'static str, BTreeMap<String, u64>)> {
    let letter = expect(&[("uk_bank_account", 1), ("uk_nino", 1), ("uk_passport", 1)]);
    let staff = expect(&[("email", 3), ("nhs_number", 3), ("uk_nino", 3)]);
    let slides = expect(&[("email", 1), ("nhs_number", 1)]);
    let archive =
        expect(&[("email", 3), ("nhs_number", 3), ("uk_bank_account", 1), ("uk_nino", 3), ("uk_passport", 1)]);
    vec![
        ("letter.docx", "docx", letter.clone()),
        ("letter.odt", "odf", letter.clone()),
        ("letter.pdf", "pdf", letter.clone()),
        ("letter.html", "html", letter.clone()),
        ("letter.rtf", "rtf", letter.clone()),
        ("pdf-owner-only.pdf", "pdf", letter),
        ("staff.xlsx", "xlsx", staff.clone()),
        ("staff.ods", "odf", staff.clone()),
        ("staff.xls", "xls", staff),
        // Student numbers have no format of their own: found only through the column header, so
        // this proves the spreadsheet's rows keep their columns.
        ("marks.ods", "odf", expect(&[("student_staff_number", 3)])),
        ("exam-paper.docx", "docx", expect(&[("document.exam_paper", 5)])),
        ("exam-paper.pdf", "pdf", expect(&[("document.exam_paper", 5)])),
        ("slides.pptx", "pptx", slides.clone()),
        ("slides.odp", "odf", slides),
        ("export.zip", "zip", archive.clone()),
        ("nested.zip", "zip", archive.clone()),
        ("export.tar.gz", "tar.gz", archive.clone()),
        ("plain.7z", "7z", archive),
        ("message.eml", "eml", expect(&[("email", 5), ("nhs_number", 3), ("uk_nino", 3)])),
        ("mailbox.mbox", "mbox", expect(&[("email", 1), ("nhs_number", 3)])),
    ]
}

#[test]
fn every_format_gives_the_planted_counts() {
    let cases = planted();
    let paths: Vec<PathBuf> = cases.iter().map(|(name, _, _)| fixture(name)).collect();
    let (files, _) = scan(&paths, &[]);
    let mut failures = Vec::new();
    for (name, format, expected) in &cases {
        let Some(record) = files.get(*name) else {
            failures.push(format!("{name}: no record"));
            continue;
        };
        if record["format"] != *format {
            failures.push(format!("{name}: format {} instead of {format}", record["format"]));
        }
        if counts(record) != *expected {
            failures.push(format!("{name}: {:?} instead of {expected:?}", counts(record)));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn a_wrong_extension_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let cases = planted();
    let mut renamed = Vec::new();
    for (i, (name, _, _)) in cases.iter().enumerate() {
        let to = dir.path().join(format!("renamed-{i}.dat"));
        std::fs::copy(fixture(name), &to).unwrap();
        renamed.push(to);
    }
    let (files, _) = scan(&renamed, &[]);
    for (i, (name, format, expected)) in cases.iter().enumerate() {
        let record = &files[&format!("renamed-{i}.dat")];
        assert_eq!(record["format"], *format, "{name} as .dat");
        assert_eq!(counts(record), *expected, "{name} as .dat");
    }
}

#[test]
fn archive_members_with_findings_are_named() {
    let (files, _) = scan(&[fixture("nested.zip")], &[]);
    let members: Vec<&str> =
        files["nested.zip"]["members_with_findings"].as_array().unwrap().iter().map(|m| m.as_str().unwrap()).collect();
    assert_eq!(members, ["archive/export.zip!/2023/staff.xlsx", "archive/export.zip!/letter.docx"]);
}

#[test]
fn every_encryption_scheme_is_named_with_its_strength() {
    let cases: &[(&str, &str, Option<bool>)] = &[
        ("zipcrypto.zip", "zipcrypto", Some(false)),
        ("zip-aes128.zip", "zip-aes128", Some(false)),
        ("zip-aes192.zip", "zip-aes192", Some(false)),
        ("zip-aes256.zip", "zip-aes256", Some(true)),
        ("7z-aes256.7z", "7z-aes256", Some(true)),
        ("7z-aes256-names.7z", "7z-aes256", Some(true)),
        ("pdf-rc4-40.pdf", "pdf-rc4-40", Some(false)),
        ("pdf-rc4-128.pdf", "pdf-rc4-128", Some(false)),
        ("pdf-aes128.pdf", "pdf-aes128", Some(false)),
        ("pdf-aes256.pdf", "pdf-aes256", Some(true)),
        ("letter-encrypted.docx", "ooxml-agile", Some(true)),
        ("gpg-AES256.gpg", "openpgp", Some(true)),
        ("gpg-CAST5.gpg", "openpgp", Some(false)),
        ("staff.csv.age", "age", Some(true)),
        ("volume.luks", "luks", Some(true)),
    ];
    let paths: Vec<PathBuf> = cases.iter().map(|(n, _, _)| fixture(n)).collect();
    let (files, _) = scan(&paths, &[]);
    let mut failures = Vec::new();
    for (name, method, strong) in cases {
        let Some(record) = files.get(*name) else {
            failures.push(format!("{name}: no record (every encrypted file must have one)"));
            continue;
        };
        let e = &record["encryption"];
        let got = (e["encrypted"].as_bool(), e["method"].as_str(), e["strong"].as_bool());
        if got != (Some(true), Some(*method), *strong) {
            failures.push(format!("{name}: {got:?}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert_eq!(files["7z-aes256-names.7z"]["encryption"]["note"], "file names encrypted");
    assert_eq!(files["gpg-CAST5.gpg"]["encryption"]["cipher"], "CAST5");
    assert_eq!(files["letter-encrypted.docx"]["encryption"]["cipher"], "AES-256");
}

#[test]
fn a_pdf_with_only_an_owner_password_is_not_encrypted_and_says_so() {
    let (files, _) = scan(&[fixture("pdf-owner-only.pdf")], &[]);
    let e = &files["pdf-owner-only.pdf"]["encryption"];
    assert_eq!(e["encrypted"], false);
    assert!(e["note"].as_str().unwrap().contains("owner password only"), "{e}");
}

#[test]
fn a_random_container_without_magic_is_suspected_encrypted() {
    let dir = tempfile::tempdir().unwrap();
    let mut state: u64 = 0x2545_F491_4F6C_DD1D;
    let bytes: Vec<u8> = (0..(1 << 20))
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 32) as u8
        })
        .collect();
    let path = dir.path().join("backup.hc");
    std::fs::write(&path, bytes).unwrap();
    let (files, _) = scan(&[path], &[]);
    assert_eq!(files["backup.hc"]["encryption"]["method"], "encrypted-container-suspected");
}

/// Runs a Python snippet (the machine's CPython) to build a hostile archive.
fn python(script: &str, out: &Path) {
    let status = Command::new("python3").arg("-c").arg(script).arg(out).status().expect("python3 runs");
    assert!(status.success());
}

/// A zip holding 1.1 GB of zeros, which compresses to about 1 MB.
fn write_zeros_zip(out: &Path) {
    python(
        "import sys, zipfile\n\
         with zipfile.ZipFile(sys.argv[1], 'w', zipfile.ZIP_DEFLATED) as z:\n\
         \x20   with z.open('zeros.txt', 'w', force_zip64=True) as f:\n\
         \x20       block = bytes(1 << 20)\n\
         \x20       for _ in range(1100): f.write(block)\n",
        out,
    );
}

#[test]
fn bombs_are_stopped_with_a_reason() {
    let dir = tempfile::tempdir().unwrap();
    let ratio = dir.path().join("zeros.zip");
    write_zeros_zip(&ratio);
    let nested = dir.path().join("nested.zip");
    python(
        "import sys, zipfile, io\n\
         data = b'NI number AB 12 34 56 C'\n\
         name = 'inner.txt'\n\
         for level in range(30):\n\
         \x20   buf = io.BytesIO()\n\
         \x20   with zipfile.ZipFile(buf, 'w', zipfile.ZIP_DEFLATED) as z: z.writestr(name, data)\n\
         \x20   data, name = buf.getvalue(), 'level%d.zip' % level\n\
         open(sys.argv[1], 'wb').write(data)\n",
        &nested,
    );
    let overlapping = dir.path().join("overlap.zip");
    python(
        "import sys, zipfile, io, struct\n\
         buf = io.BytesIO()\n\
         with zipfile.ZipFile(buf, 'w', zipfile.ZIP_DEFLATED) as z: z.writestr('a.txt', bytes(10 << 20))\n\
         raw = buf.getvalue()\n\
         cd_at = raw.rfind(b'PK\\x01\\x02')\n\
         eocd_at = raw.rfind(b'PK\\x05\\x06')\n\
         entry = raw[cd_at:eocd_at]\n\
         n = 50\n\
         entries = b''.join(entry[:46] + (b'%02d.txt' % i)[:5] + entry[51:] for i in range(n))\n\
         eocd = raw[eocd_at:eocd_at + 8] + struct.pack('<HHIIH', n, n, len(entries), cd_at, 0)\n\
         open(sys.argv[1], 'wb').write(raw[:cd_at] + entries + eocd)\n",
        &overlapping,
    );
    let (files, summary) = scan(&[ratio, nested, overlapping], &[]);
    let reasons = |name: &str| -> Vec<String> {
        files[name]["partial_reasons"].as_array().unwrap().iter().map(|r| r.as_str().unwrap().to_string()).collect()
    };
    assert!(reasons("zeros.zip").contains(&"expansion_ratio".to_string()), "{:?}", reasons("zeros.zip"));
    assert!(reasons("nested.zip").contains(&"nesting_depth".to_string()), "{:?}", reasons("nested.zip"));
    let overlap = reasons("overlap.zip");
    assert!(
        overlap.contains(&"overlapping_entries".to_string()) || overlap.contains(&"unreadable_part".to_string()),
        "{overlap:?}"
    );
    assert_eq!(summary["partial"], 3);
}

#[test]
fn corrupt_documents_cost_one_record_and_the_scan_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let docx = std::fs::read(fixture("letter.docx")).unwrap();
    std::fs::write(dir.path().join("truncated.docx"), &docx[..docx.len() / 2]).unwrap();
    let pdf = std::fs::read(fixture("letter.pdf")).unwrap();
    let mut garbled = pdf.clone();
    for b in garbled.iter_mut().skip(200).step_by(7) {
        *b ^= 0x5A;
    }
    std::fs::write(dir.path().join("garbled.pdf"), garbled).unwrap();
    std::fs::write(dir.path().join("ok.txt"), "NI number AB 12 34 56 C\n").unwrap();
    let (files, summary) = scan(&[dir.path().to_path_buf()], &[]);
    assert!(files.contains_key("ok.txt"), "the scan went on");
    assert_eq!(summary["files_seen"], 3);
    for name in ["truncated.docx", "garbled.pdf"] {
        if let Some(r) = files.get(name) {
            assert!(r["partial"] == true || !r["findings"].as_array().unwrap().is_empty(), "{name}: {r}");
        }
    }
}

#[test]
fn a_parser_that_aborts_costs_one_file_and_the_scan_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let tree = dir.path().join("tree");
    std::fs::create_dir(&tree).unwrap();
    write_zeros_zip(&tree.join("zeros.zip"));
    std::fs::write(tree.join("ok.txt"), "NI number AB 12 34 56 C\n").unwrap();
    // Caps raised so that only the worker's 300 MiB address-space limit stands between the parser
    // and a 1.1 GB allocation: the worker aborts.
    let config = dir.path().join("config.toml");
    std::fs::write(
        &config,
        "[scan]\nworker_memory = \"300 MiB\"\n[limits]\nmax_member_size = \"4 GiB\"\nmax_expanded_size = \"8 GiB\"\nmax_expansion_ratio = 100000000\n",
    )
    .unwrap();
    let key = dir.path().join("key");
    std::fs::write(&key, [9u8; 32]).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_dlp-scan"))
        .args(["--format", "json", "--fingerprint-key"])
        .arg(&key)
        .arg("--config")
        .arg(&config)
        .arg(&tree)
        .output()
        .unwrap();
    let records: Vec<Value> =
        String::from_utf8_lossy(&out.stdout).lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let failure = records
        .iter()
        .find(|r| r["type"] == "error" && r["path"].as_str().unwrap().ends_with("zeros.zip"))
        .expect("the aborted file has an error record");
    assert_eq!(failure["kind"], "parser_failure");
    assert!(
        records.iter().any(|r| r["type"] == "file" && r["path"].as_str().unwrap().ends_with("ok.txt")),
        "the scan went on"
    );
    assert_eq!(records.last().unwrap()["errors"], 1);
}

/// Builds an .xlsx whose first sheet uses one 1 MB shared string in 4,998 cells (5 GB of text if
/// expanded), whose second sheet is cut off mid-row, and whose third ("Staff") holds 3 NI numbers
/// and 3 e-mail addresses, the last one as an inline string in CDATA.
fn write_amplifying_workbook(out: &Path) {
    python(
        "import sys, zipfile\n\
         ns = 'http://schemas.openxmlformats.org/spreadsheetml/2006/main'\n\
         staff = ['Name', 'Email', 'NI number', 'Jane Smith', 'jane.smith@ucl.ac.uk', 'JK527193B',\n\
         \x20        'Tom Brown', 'tom.brown@ucl.ac.uk', 'JK527194A', 'Ann Lee', 'ann.lee@ucl.ac.uk', 'JK527195C']\n\
         sst = ''.join('<si><t>%s</t></si>' % s for s in ['A' * 1000000] + staff)\n\
         c = lambda r, col, i: '<c r=\"%s%d\" t=\"s\"><v>%d</v></c>' % (col, r, i)\n\
         filler = ''.join('<row r=\"%d\">%s</row>' % (r, ''.join(c(r, col, 0) for col in 'ABC')) for r in range(1, 1667))\n\
         rows = ''.join('<row r=\"%d\">%s</row>' % (r + 1, ''.join(c(r + 1, col, 1 + 3 * r + k) for k, col in enumerate('ABC'))) for r in range(3))\n\
         rows += '<row r=\"4\"><c r=\"A4\" t=\"s\"><v>10</v></c><c r=\"B4\" t=\"inlineStr\"><is><t><![CDATA[ann.lee@ucl.ac.uk]]></t></is></c><c r=\"C4\" t=\"s\"><v>12</v></c></row>'\n\
         sheet = lambda body: '<worksheet xmlns=\"%s\"><dimension ref=\"A1:XFD1048576\"/><sheetData>%s</sheetData></worksheet>' % (ns, body)\n\
         rel = lambda i: '<Relationship Id=\"rId%d\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet\" Target=\"worksheets/sheet%d.xml\"/>' % (i, i)\n\
         with zipfile.ZipFile(sys.argv[1], 'w', zipfile.ZIP_DEFLATED) as z:\n\
         \x20   z.writestr('[Content_Types].xml', '<Types xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\"/>')\n\
         \x20   z.writestr('xl/workbook.xml', '<workbook xmlns=\"%s\"><sheets><sheet name=\"Filler\" sheetId=\"1\"/><sheet name=\"Cut\" sheetId=\"2\"/><sheet name=\"Staff\" sheetId=\"3\"/></sheets></workbook>' % ns)\n\
         \x20   z.writestr('xl/_rels/workbook.xml.rels', '<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">%s</Relationships>' % ''.join(rel(i) for i in (1, 2, 3)))\n\
         \x20   z.writestr('xl/sharedStrings.xml', '<sst xmlns=\"%s\" count=\"4000000000\" uniqueCount=\"4000000000\">%s</sst>' % (ns, sst))\n\
         \x20   z.writestr('xl/worksheets/sheet1.xml', sheet(filler))\n\
         \x20   z.writestr('xl/worksheets/sheet2.xml', sheet(rows)[:-60])\n\
         \x20   z.writestr('xl/worksheets/sheet3.xml', sheet(rows))\n",
        out,
    );
}

#[test]
fn a_workbook_that_amplifies_costs_its_text_not_the_other_sheets() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("amplifying.xlsx");
    write_amplifying_workbook(&path);
    let (files, _) = scan(&[path], &[]);
    let record = &files["amplifying.xlsx"];
    assert_eq!(record["format"], "xlsx");
    assert_eq!(counts(record), expect(&[("email", 3), ("uk_nino", 3)]));
    let reasons: Vec<&str> =
        record["partial_reasons"].as_array().unwrap().iter().map(|r| r.as_str().unwrap()).collect();
    assert_eq!(reasons, ["text_bytes", "unreadable_part"]);
}

/// One BIFF8 record ([MS-XLS] 2.1.4): type, length, data.
fn biff(kind: u16, data: &[u8]) -> Vec<u8> {
    [&kind.to_le_bytes()[..], &(data.len() as u16).to_le_bytes(), data].concat()
}

/// A cell record: row, column, format 0, then the value.
fn biff_cell(kind: u16, row: u16, column: u16, value: &[u8]) -> Vec<u8> {
    biff(kind, &[&row.to_le_bytes()[..], &column.to_le_bytes(), &[0, 0], value].concat())
}

/// Builds an .xls (no writer makes a hostile one) whose only sheet declares 65,536 rows by 256
/// columns in its DIMENSIONS record and has real cells at both corners: a reader that builds the
/// declared or the used range as a grid needs 16.7 million cells. The cells hold a header row,
/// three e-mail addresses (shared strings) and three NI numbers (LABEL), the last row at the
/// sheet's far corner.
fn write_hostile_workbook(out: &Path) {
    let bof = |dt: u16| biff(0x0809, &[&[0x00, 0x06][..], &dt.to_le_bytes(), &[0; 12]].concat());
    let emails = ["jane.smith@ucl.ac.uk", "tom.brown@ucl.ac.uk", "ann.lee@ucl.ac.uk"];
    let mut sst = [3u32.to_le_bytes(), 3u32.to_le_bytes()].concat();
    for email in emails {
        sst.extend([&(email.len() as u16).to_le_bytes()[..], &[0], email.as_bytes()].concat());
    }
    let label = |text: &str| [&(text.len() as u16).to_le_bytes()[..], &[0], text.as_bytes()].concat();
    let mut sheet = bof(0x10);
    sheet.extend(biff(0x0200, &[0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0]));
    sheet.extend(biff_cell(0x0204, 0, 0, &label("Email")));
    sheet.extend(biff_cell(0x0204, 0, 1, &label("NI number")));
    for (i, ni) in ["JK527193B", "JK527194A", "JK527195C"].iter().enumerate() {
        let row = if i == 2 { 65_535 } else { i as u16 + 1 };
        sheet.extend(biff_cell(0x00FD, row, 0, &(i as u32).to_le_bytes()));
        sheet.extend(biff_cell(0x0204, row, if i == 2 { 255 } else { 1 }, &label(ni)));
    }
    sheet.extend(biff(0x000A, &[]));
    let boundsheet_len = 4 + 9;
    let globals_len = bof(5).len() + boundsheet_len + 4 + sst.len() + 4;
    let mut stream = bof(5);
    stream.extend(biff(0x0085, &[&(globals_len as u32).to_le_bytes()[..], &[0, 0, 1, 0, b'S']].concat()));
    stream.extend(biff(0x00FC, &sst));
    stream.extend(biff(0x000A, &[]));
    assert_eq!(stream.len(), globals_len);
    stream.extend(sheet);
    let mut file = cfb::create(out).unwrap();
    std::io::Write::write_all(&mut file.create_stream("/Workbook").unwrap(), &stream).unwrap();
    file.flush().unwrap();
}

#[test]
fn a_workbook_declaring_a_huge_sheet_is_read_in_the_memory_its_cells_need() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("hostile.xls");
    write_hostile_workbook(&path);
    // The worker may not reach 256 MiB of address space: a grid of the sheet would.
    let config = dir.path().join("config.toml");
    std::fs::write(&config, "[scan]\nworker_memory = \"256 MiB\"\n").unwrap();
    let (files, _) = scan(&[path], &["--config", config.to_str().unwrap()]);
    let record = &files["hostile.xls"];
    assert_eq!(record["format"], "xls");
    assert_eq!(counts(record), expect(&[("email", 3), ("uk_nino", 3)]));
    assert_eq!(record["partial"], false);
}

/// A Python function `build(path, objects)` writing a PDF from numbered object bodies (bytes),
/// object 1 the catalog, with a correct cross-reference table and trailer.
const PDF_WRITER: &str = "import sys, zlib\n\
def build(path, objs, cut=None):\n\
\x20   out = b'%PDF-1.5\\n'; offs = {}\n\
\x20   for n in sorted(objs):\n\
\x20       offs[n] = len(out); out += b'%d 0 obj\\n' % n + objs[n] + b'\\nendobj\\n'\n\
\x20   x = len(out); size = max(objs) + 1\n\
\x20   out += b'xref\\n0 %d\\n0000000000 65535 f \\n' % size\n\
\x20   out += b''.join(b'%010d 00000 n \\n' % offs.get(n, 0) for n in range(1, size))\n\
\x20   out += b'trailer\\n<< /Size %d /Root 1 0 R >>\\nstartxref\\n%d\\n%%%%EOF\\n' % (size, x)\n\
\x20   open(path, 'wb').write(out[:cut] if cut else out)\n\
def stream(data, extra=b''):\n\
\x20   return b'<< /Length %d %s >>\\nstream\\n' % (len(data), extra) + data + b'\\nendstream'\n\
page = lambda res: b'<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources %s >>' % res\n\
base = {1: b'<< /Type /Catalog /Pages 2 0 R >>', 2: b'<< /Type /Pages /Kids [3 0 R] /Count 1 >>',\n\
\x20       5: b'<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>'}\n";

fn pdf_case(name: &str, script: &str, dir: &Path) -> PathBuf {
    let path = dir.join(name);
    python(&format!("{PDF_WRITER}{script}"), &path);
    path
}

#[test]
fn pdf_text_is_read_as_a_reader_sees_it() {
    let dir = tempfile::tempdir().unwrap();
    // pdfTeX-style: cells and lines placed with Td only, never a space character.
    let positioned = pdf_case(
        "td-positioned-table.pdf",
        "c = (b'BT /F1 10 Tf 50 760 Td (Staff list) Tj 0 -30 Td (Name) Tj 150 0 Td (NI number) Tj 120 0 Td (Mobile) Tj '\n\
         \x20    b'-270 -16 Td (Tova Testperson) Tj 150 0 Td (JW518274A) Tj 120 0 Td (07911234570) Tj '\n\
         \x20    b'-270 -16 Td (Uma Testperson) Tj 150 0 Td (KC629385B) Tj 120 0 Td (07911234571) Tj '\n\
         \x20    b'-270 -30 Td (Date of birth) Tj 0 -14 Td (14/03/1987) Tj '\n\
         \x20    b'0 -20 Td [(NI:)-3000(AB)-250(12)-250(34)-250(56)-250(C)] TJ 0 -20 Td [(Ref )20(HX)-15(3159)10(62C)] TJ ET')\n\
         build(sys.argv[1], {**base, 3: page(b'<< /Font << /F1 5 0 R >> >>'), 4: stream(c)})\n",
        dir.path(),
    );
    // Text drawn only inside Form XObjects: one nested in another, compressed with an indirect
    // /Filter, and a form that draws itself (a cycle).
    let forms = pdf_case(
        "form-xobject-text.pdf",
        "inner = zlib.compress(b'BT /F1 12 Tf 72 720 Td 14 TL (National Insurance number: JK 52 71 93 B) Tj T* (Email: jane.smith@ucl.ac.uk) Tj T* (Date of birth: 12/03/1985) Tj ET /Self Do')\n\
         res = b'/Resources << /Font << /F1 5 0 R >> /XObject << /Self 7 0 R >> >>'\n\
         build(sys.argv[1], {**base, 3: page(b'<< /XObject << /Fm1 6 0 R >> >>'), 4: stream(b'q /Fm1 Do Q'),\n\
         \x20   6: stream(b'q 1 0 0 1 0 -10 cm /Fm2 Do Q', b'/Type /XObject /Subtype /Form /BBox [0 0 612 792] /Resources << /XObject << /Fm2 7 0 R >> >>'),\n\
         \x20   7: stream(inner, b'/Type /XObject /Subtype /Form /BBox [0 0 612 792] /Filter 8 0 R ' + res), 8: b'/FlateDecode'})\n",
        dir.path(),
    );
    // A composite font without a ToUnicode map: the text is drawn but cannot be decoded.
    let undecodable = pdf_case(
        "identity-font.pdf",
        "font = {5: b'<< /Type /Font /Subtype /Type0 /BaseFont /X /Encoding /Identity-H /DescendantFonts [9 0 R] >>',\n\
         \x20   9: b'<< /Type /Font /Subtype /CIDFontType2 /BaseFont /X /CIDSystemInfo << /Registry (Adobe) /Ordering (Identity) /Supplement 0 >> >>'}\n\
         build(sys.argv[1], {**base, **font, 3: page(b'<< /Font << /F1 5 0 R >> >>'), 4: stream(b'BT /F1 12 Tf 72 720 Td <00240025> Tj ET')})\n",
        dir.path(),
    );
    let gs = std::fs::read(fixture("ghostscript-print-table.pdf")).unwrap();
    let truncated = dir.path().join("truncated.pdf");
    std::fs::write(&truncated, &gs[..gs.len() / 2]).unwrap();
    let (files, _) = scan(&[fixture("ghostscript-print-table.pdf"), positioned, forms, undecodable, truncated], &[]);
    let reasons = |name: &str| files[name]["partial_reasons"].as_array().unwrap().clone();
    // Ghostscript's print-to-PDF: each row one TJ array whose cells are apart by kerning numbers.
    assert_eq!(counts(&files["ghostscript-print-table.pdf"]), expect(&[("uk_nino", 3), ("uk_phone", 3)]));
    assert_eq!(files["ghostscript-print-table.pdf"]["classification"], "confidential");
    // Two more NI numbers: one in cells apart by TJ gaps (`AB 12 34 56 C`), one whose kerning
    // must not split it.
    assert_eq!(
        counts(&files["td-positioned-table.pdf"]),
        expect(&[("date_of_birth", 1), ("uk_nino", 4), ("uk_phone", 2)])
    );
    assert_eq!(files["td-positioned-table.pdf"]["partial"], false);
    assert_eq!(counts(&files["form-xobject-text.pdf"]), expect(&[("date_of_birth", 1), ("email", 1), ("uk_nino", 1)]));
    assert_eq!(files["form-xobject-text.pdf"]["partial"], false);
    assert_eq!(reasons("identity-font.pdf"), ["unreadable_part"]);
    assert_eq!(reasons("truncated.pdf"), ["unreadable_part"]);
}
