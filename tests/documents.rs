//! Documents, archives, e-mail and encryption, end to end on the real binary. The fixtures in
//! `tests/data/fixtures/` were made by real writers (LibreOffice, zip, 7-Zip, qpdf, gpg, age,
//! msoffcrypto-tool, cryptsetup, Python's email and mailbox modules) with
//! `tests/data/make-fixtures.sh`; bombs are made here.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

use crate::util::{fixture, json_lines, Tree};

/// Scans `paths` and returns the file records by file name, and the summary.
fn scan(paths: &[PathBuf], extra: &[&str]) -> (BTreeMap<String, Value>, Value) {
    let out = Tree::new().command().args(["--format", "json"]).args(extra).args(paths).output().unwrap();
    assert!(out.status.code().is_some(), "dlp-scan was killed");
    let mut files = BTreeMap::new();
    let mut summary = Value::Null;
    for record in json_lines(&out.stdout) {
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
    let staff_alone = staff.clone();
    // staff.csv's first and last rows, as two members.
    let halves = expect(&[("email", 2), ("nhs_number", 2), ("uk_nino", 2)]);
    let slides = expect(&[("email", 1), ("nhs_number", 1)]);
    let archive =
        expect(&[("email", 3), ("nhs_number", 3), ("uk_bank_account", 1), ("uk_nino", 3), ("uk_passport", 1)]);
    vec![
        ("letter.docx", "docx", letter.clone()),
        ("letter.odt", "odf", letter.clone()),
        ("letter.pdf", "pdf", letter.clone()),
        ("letter.html", "html", letter.clone()),
        ("letter.rtf", "rtf", letter.clone()),
        ("letter.doc", "doc", letter.clone()),
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
        // A table on a slide after a title, its student numbers known only by the column header.
        ("resit-table.pptx", "pptx", expect(&[("student_staff_number", 6)])),
        ("export.zip", "zip", archive.clone()),
        ("nested.zip", "zip", archive.clone()),
        ("export.tar.gz", "tar.gz", archive.clone()),
        ("export.tar.xz", "tar.xz", archive.clone()),
        ("export.tar.bz2", "tar.bz2", archive.clone()),
        ("export.tar.zst", "tar.zst", archive.clone()),
        ("staff.csv.xz", "xz", staff_alone.clone()),
        ("staff.csv.bz2", "bzip2", staff_alone.clone()),
        ("staff.csv.zst", "zstd", staff_alone.clone()),
        ("plain.7z", "7z", archive),
        // Every method 7-Zip writes (what Windows reads), and member names in CP437.
        ("zip-deflate64.zip", "zip", staff_alone.clone()),
        ("zip-bzip2.zip", "zip", staff_alone.clone()),
        ("zip-lzma.zip", "zip", staff_alone.clone()),
        ("zip-ppmd.zip", "zip", staff_alone.clone()),
        ("7z-lzma.7z", "7z", staff_alone.clone()),
        ("7z-lzma2.7z", "7z", staff_alone.clone()),
        ("7z-bzip2.7z", "7z", staff_alone.clone()),
        ("7z-deflate.7z", "7z", staff_alone.clone()),
        ("7z-deflate64.7z", "7z", staff_alone.clone()),
        ("7z-ppmd.7z", "7z", staff_alone.clone()),
        ("7z-deflate64-solid.7z", "7z", halves.clone()),
        ("7z-deflate64-blocks.7z", "7z", halves.clone()),
        ("rar5.rar", "rar", staff_alone.clone()),
        ("rar5-solid.rar", "rar", halves),
        ("zip-cp437-names.zip", "zip", staff_alone),
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
        ("rar5-aes256.rar", "rar-aes256", Some(true)),
        ("rar5-aes256-names.rar", "rar-aes256", Some(true)),
        ("rar4-winrar-encrypted.rar", "rar-legacy", Some(false)),
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
    assert_eq!(files["rar5-aes256-names.rar"]["encryption"]["note"], "file names encrypted");
    assert_eq!(files["gpg-CAST5.gpg"]["encryption"]["cipher"], "CAST5");
    assert_eq!(files["letter-encrypted.docx"]["encryption"]["cipher"], "AES-256");
}

#[test]
fn a_scan_with_no_text_layer_is_partial_never_clean() {
    // A picture of a page, as a PDF (LibreOffice Draw) and pasted into Word (LibreOffice Writer):
    // what it says is unknown, so neither may pass as read.
    let (files, summary) = scan(&[fixture("scan.pdf"), fixture("scan-in-word.docx"), fixture("letter.pdf")], &[]);
    for name in ["scan.pdf", "scan-in-word.docx"] {
        assert_eq!(files[name]["partial_reasons"], serde_json::json!(["images_not_read"]), "{name}");
    }
    assert_eq!(files["letter.pdf"]["partial"], false, "a text PDF is read whole");
    assert_eq!(summary["partial"], 2, "{summary}");
}

#[test]
fn an_archive_only_partly_encrypted_is_not_encrypted_at_rest() {
    // AES-256 members beside a member added in clear: what is found was read in clear.
    let dropbox = tempfile::tempdir().unwrap();
    let dir = dropbox.path().join("Dropbox");
    std::fs::create_dir(&dir).unwrap();
    for name in ["zip-aes256-partly.zip", "zip-aes256.zip"] {
        std::fs::copy(fixture(name), dir.join(name)).unwrap();
    }
    let (files, _) = scan(&[dir], &[]);
    let rules = |r: &Value| -> Vec<String> {
        r["violations"].as_array().unwrap().iter().map(|v| v["rule"].as_str().unwrap().to_string()).collect()
    };
    let partly = &files["zip-aes256-partly.zip"];
    assert_eq!(partly["encryption"]["method"], "zip-aes256");
    assert_eq!(partly["encryption"]["partly"], true);
    assert_eq!(partly["classification"], "confidential", "{partly}");
    assert_eq!(rules(partly), ["unencrypted_confidential_in_unmanaged_cloud"], "{partly}");
    let whole = &files["zip-aes256.zip"];
    assert!(whole["encryption"].get("partly").is_none(), "{whole}");
    assert!(whole["reasons"][0].as_str().unwrap().starts_with("encrypted: the content cannot be read"), "{whole}");
    assert!(rules(whole).is_empty(), "{whole}");
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
    let (files, summary) = scan(&[ratio, nested, overlapping, fixture("rar5-zeros.rar"), fixture("7z-zeros.7z")], &[]);
    let reasons = |name: &str| -> Vec<String> {
        files[name]["partial_reasons"].as_array().unwrap().iter().map(|r| r.as_str().unwrap().to_string()).collect()
    };
    for zeros in ["zeros.zip", "rar5-zeros.rar", "7z-zeros.7z"] {
        assert!(reasons(zeros).contains(&"expansion_ratio".to_string()), "{zeros}: {:?}", reasons(zeros));
    }
    assert!(reasons("nested.zip").contains(&"nesting_depth".to_string()), "{:?}", reasons("nested.zip"));
    let overlap = reasons("overlap.zip");
    assert!(
        overlap.contains(&"overlapping_entries".to_string()) || overlap.contains(&"unreadable_part".to_string()),
        "{overlap:?}"
    );
    assert_eq!(summary["partial"], 5);
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
    let out =
        Tree::new().command().args(["--format", "json"]).arg("--config").arg(&config).arg(&tree).output().unwrap();
    let records = json_lines(&out.stdout);
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
    // pdfTeX's `/Differences` (`/.notdef`, the fi ligature at 12) with a subset's space `/g3`,
    // and a composite font whose `ToUnicode` map has 3-Heights' layout (`endcmap CMapName` on
    // one line): lopdf drops the first encoding whole and rejects the map.
    let fonts = pdf_case(
        "font-encodings.pdf",
        "cmap = (b'/CIDInit /ProcSet findresource begin 12 dict begin begincmap /CMapName /X def /CMapType 2 def\\n'\n\
         \x20   b'1 begincodespacerange <0000> <FFFF> endcodespacerange\\n1 beginbfrange <0020> <007E> <0020> endbfrange\\n'\n\
         \x20   b'endcmap CMapName\\ncurrentdict /CMap defineresource pop end end')\n\
         email = b''.join(b'00%02X' % c for c in b'jane.smith@ucl.ac.uk')\n\
         c = b'BT /F1 12 Tf 72 720 Td (Con\\\\014dential) Tj 0 -20 Td (NI: AB\\\\00312\\\\00334\\\\00356\\\\003C) Tj 0 -20 Td /F2 12 Tf <' + email + b'> Tj ET'\n\
         fonts = {5: b'<< /Type /Font /Subtype /Type1 /BaseFont /CMR10 /Encoding << /Differences [0 /.notdef 3 /g3 12 /fi] >> >>',\n\
         \x20   6: b'<< /Type /Font /Subtype /Type0 /BaseFont /X /Encoding /Identity-H /DescendantFonts [8 0 R] /ToUnicode 7 0 R >>',\n\
         \x20   7: stream(cmap), 8: b'<< /Type /Font /Subtype /CIDFontType2 /BaseFont /X /CIDSystemInfo << /Registry (Adobe) /Ordering (Identity) /Supplement 0 >> >>'}\n\
         build(sys.argv[1], {**base, **fonts, 3: page(b'<< /Font << /F1 5 0 R /F2 6 0 R >> >>'), 4: stream(c)})\n",
        dir.path(),
    );
    let gs = std::fs::read(fixture("ghostscript-print-table.pdf")).unwrap();
    let truncated = dir.path().join("truncated.pdf");
    std::fs::write(&truncated, &gs[..gs.len() / 2]).unwrap();
    let (files, _) =
        scan(&[fixture("ghostscript-print-table.pdf"), positioned, forms, undecodable, fonts, truncated], &[]);
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
    assert_eq!(
        counts(&files["font-encodings.pdf"]),
        expect(&[("email", 1), ("marking.confidential", 1), ("uk_nino", 1)])
    );
    assert_eq!(files["font-encodings.pdf"]["partial"], false);
    assert_eq!(reasons("identity-font.pdf"), ["unreadable_part"]);
    assert_eq!(reasons("truncated.pdf"), ["truncated"]);
}

#[test]
fn archives_made_with_any_method_or_name_encoding_are_read_whole() {
    let zips = ["zip-deflate64.zip", "zip-bzip2.zip", "zip-lzma.zip", "zip-ppmd.zip"];
    let sevens = ["7z-lzma.7z", "7z-lzma2.7z", "7z-bzip2.7z", "7z-deflate.7z", "7z-deflate64.7z", "7z-ppmd.7z"];
    let more = ["7z-bcj2.7z", "7z-deflate64-solid.7z", "7z-deflate64-blocks.7z", "rar5.rar", "rar5-solid.rar"];
    let names: Vec<&str> = zips.iter().chain(&sevens).chain(&more).copied().chain(["zip-cp437-names.zip"]).collect();
    let (files, summary) = scan(&names.iter().map(|n| fixture(n)).collect::<Vec<_>>(), &[]);
    for name in &names {
        let record = &files[*name];
        assert_eq!(record["classification"], "confidential", "{name}");
        assert_eq!(record["partial"], false, "{name}: {}", record["partial_reasons"]);
    }
    // The middle member's name is "B_Zoë.txt" in CP437 bytes without the UTF-8 flag, as Windows'
    // "Compressed (zipped) folder" writes it: shown decoded, and the archive read whole.
    let members = &files["zip-cp437-names.zip"]["members_with_findings"];
    assert_eq!(*members, serde_json::json!(["A_staff.csv", "B_Zoë.txt", "C_staff.csv"]));
    // A solid block is cut into its members by their sizes; each block of a non-solid one is read.
    for name in ["7z-deflate64-solid.7z", "7z-deflate64-blocks.7z", "rar5-solid.rar"] {
        assert_eq!(files[name]["members_with_findings"], serde_json::json!(["A_staff.csv", "C_staff.csv"]), "{name}");
    }
    assert_eq!(summary["partial"], 0);
}

#[test]
fn what_is_not_read_is_said_never_silently_clean() {
    let dir = tempfile::tempdir().unwrap();
    // A zip cut short: what came before the cut is read, and the file says it was truncated.
    let zip = std::fs::read(fixture("zip-cp437-names.zip")).unwrap();
    let second = zip.windows(4).skip(4).position(|w| w == b"PK\x03\x04").unwrap() + 4;
    std::fs::write(dir.path().join("cut.zip"), &zip[..second + 40]).unwrap();
    // A 7z whose headers are gone: nothing can be read, so an error of kind `corrupt`.
    let seven = std::fs::read(fixture("7z-lzma.7z")).unwrap();
    std::fs::write(dir.path().join("cut.7z"), &seven[..40]).unwrap();
    // A RAR 5 signature and main archive header, and nothing after it: no member, so nothing unread.
    let rar = [
        b"Rar!\x1a\x07\x01\x00".as_slice(),
        &[0x33, 0x92, 0xb5, 0xe5, 0x0a, 0x01, 0x05, 0x06, 0x00, 0x05, 0x01, 0x01, 0x80, 0x80, 0x00],
    ]
    .concat();
    std::fs::write(dir.path().join("notes.rar"), rar).unwrap();
    let paths = vec![dir.path().to_path_buf(), fixture("rar4-winrar-volume1.rar"), fixture("rar4-winrar.rar")];
    let out = Tree::new().command().args(["--format", "json"]).args(&paths).output().unwrap();
    let records = json_lines(&out.stdout);
    let of = |name: &str| {
        records
            .iter()
            .find(|r| r["path"].as_str().is_some_and(|p| p.ends_with(name)))
            .unwrap_or_else(|| panic!("{name}: no record"))
    };
    assert_eq!(of("cut.zip")["partial_reasons"], serde_json::json!(["truncated"]));
    assert_eq!(of("cut.zip")["members_with_findings"], serde_json::json!(["A_staff.csv"]));
    assert_eq!((&of("cut.7z")["type"], &of("cut.7z")["kind"]), (&"error".into(), &"corrupt".into()));
    // The first volume of a RAR 4 set (WinRAR): its members are read, the one that goes on in the
    // next volume is not, and said so. A whole RAR 4 archive (WinRAR, compressed) and the RAR 5
    // archive without members are read whole and hold nothing: no record.
    assert_eq!(of("rar4-winrar-volume1.rar")["partial_reasons"], serde_json::json!(["truncated"]));
    for clean in ["notes.rar", "rar4-winrar.rar"] {
        assert!(!records.iter().any(|r| r["path"].as_str().is_some_and(|p| p.ends_with(clean))), "{clean}");
    }
    let summary = records.last().unwrap();
    assert_eq!(summary["partial_reasons"], serde_json::json!({"truncated": 2}));
    assert_eq!(summary["error_kinds"], serde_json::json!({"corrupt": 1}));
}

#[test]
fn binary_files_are_not_taken_for_openpgp_from_one_byte() {
    let dir = tempfile::tempdir().unwrap();
    // A CADKEY part-file header followed by zeros; 0xA5 followed by random bytes.
    let mut cad = vec![0xa5, 0x0f, 0xf0, 0x5a, 0x1e, 0x02, 0, 0, b'0', b'M', b'3', b'C'];
    cad.resize(4012, 0);
    std::fs::write(dir.path().join("cad-part.prt"), cad).unwrap();
    let mut x: u32 = 0x2545_f491;
    let random: Vec<u8> = std::iter::once(0xa5)
        .chain((0..4000).map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            (x >> 8) as u8
        }))
        .collect();
    std::fs::write(dir.path().join("random-a5.bin"), random).unwrap();
    let (files, summary) = scan(&[dir.path().to_path_buf(), fixture("gpg-AES256.gpg")], &[]);
    assert!(!files.contains_key("cad-part.prt") && !files.contains_key("random-a5.bin"), "{files:?}");
    assert_eq!(summary["skipped"]["binary"], 2);
    assert_eq!(files["gpg-AES256.gpg"]["encryption"]["method"], "openpgp", "real OpenPGP still is");
}

#[test]
fn text_with_a_few_nul_bytes_is_read_as_text() {
    let dir = tempfile::tempdir().unwrap();
    let row = "Ann Smith,AB 12 34 56 C,ann.smith@lboro.ac.uk\n";
    std::fs::write(dir.path().join("trailing-nul.csv"), format!("Name,NI number,Email\n{row}\0")).unwrap();
    std::fs::write(dir.path().join("zero-filled.log"), [row.as_bytes(), &vec![0u8; 1 << 20]].concat()).unwrap();
    let rtf = std::fs::read(fixture("letter.rtf")).unwrap();
    std::fs::write(dir.path().join("wordpad.rtf"), [rtf.as_slice(), &[0u8; 512]].concat()).unwrap();
    let (files, _) = scan(&[dir.path().to_path_buf()], &[]);
    for name in ["trailing-nul.csv", "zero-filled.log"] {
        assert_eq!(counts(&files[name]), expect(&[("email", 1), ("uk_nino", 1)]), "{name}");
    }
    assert_eq!(files["wordpad.rtf"]["format"], "rtf");
    assert_eq!(counts(&files["wordpad.rtf"]), expect(&[("uk_bank_account", 1), ("uk_nino", 1), ("uk_passport", 1)]));
}

/// Converts a flat OpenDocument source with LibreOffice, or `None` (with a message) when this
/// machine has no `soffice`: install `libreoffice-writer-nogui libreoffice-impress-nogui`.
fn libreoffice(dir: &Path, name: &str, source: &str, to: &str) -> Option<PathBuf> {
    let input = dir.join(name);
    std::fs::write(&input, source).unwrap();
    let profile = format!("-env:UserInstallation=file://{}/profile", dir.display());
    let ran = Command::new("soffice")
        .args([profile.as_str(), "--headless", "--convert-to", to, "--outdir"])
        .arg(dir)
        .arg(&input)
        .output();
    let output = input.with_extension(to);
    if ran.is_err() || !output.exists() {
        use std::io::Write;
        let _ =
            writeln!(std::io::stderr(), "skipped: LibreOffice (soffice) is not installed or could not convert {name}");
        return None;
    }
    Some(output)
}

/// A staff record as a presentation: the e-mail and date of birth on the slide, the NI number in
/// the speaker notes, a sensitivity label in the custom properties.
const STAFF_RECORD_FODP: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<office:document xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:draw="urn:oasis:names:tc:opendocument:xmlns:drawing:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" xmlns:svg="urn:oasis:names:tc:opendocument:xmlns:svg-compatible:1.0" xmlns:presentation="urn:oasis:names:tc:opendocument:xmlns:presentation:1.0" xmlns:meta="urn:oasis:names:tc:opendocument:xmlns:meta:1.0" xmlns:dc="http://purl.org/dc/elements/1.1/" office:version="1.3" office:mimetype="application/vnd.oasis.opendocument.presentation">
 <office:meta>
  <dc:title>Staff record</dc:title>
  <meta:user-defined meta:name="MSIP_Label_3f2a9c1e-0b7d-4e55-9a61-2c8d5e7f1a04_Name">Confidential</meta:user-defined>
 </office:meta>
 <office:body><office:presentation>
  <draw:page draw:name="page1">
   <draw:frame svg:x="2cm" svg:y="2cm" svg:width="20cm" svg:height="3cm"><draw:text-box><text:p>Staff record</text:p></draw:text-box></draw:frame>
   <draw:frame svg:x="2cm" svg:y="6cm" svg:width="20cm" svg:height="6cm"><draw:text-box><text:p>Contact: dana.green@lboro.ac.uk</text:p><text:p>Date of birth: 12/07/1985</text:p></draw:text-box></draw:frame>
   <presentation:notes><draw:frame svg:x="2cm" svg:y="14cm" svg:width="16cm" svg:height="8cm"><draw:text-box><text:p>NI number CE 99 00 11 D</text:p></draw:text-box></draw:frame></presentation:notes>
  </draw:page>
 </office:presentation></office:body>
</office:document>
"#;

/// The staff record, as Word 97 (committed: header, body, custom properties) and as PowerPoint 97
/// (made here: LibreOffice's .ppt carries a 440 KB thumbnail), is confidential for the NI number in
/// the header or notes, the e-mail, the date of birth and the sensitivity label.
#[test]
fn word_97_and_powerpoint_97_text_headers_notes_and_labels_are_read() {
    let dir = tempfile::tempdir().unwrap();
    let mut paths = vec![fixture("staff-record.doc")];
    paths.extend(libreoffice(dir.path(), "staff-record.fodp", STAFF_RECORD_FODP, "ppt"));
    let (files, _) = scan(&paths, &[]);
    let expected = expect(&[("date_of_birth", 1), ("email", 1), ("marking.confidential", 1), ("uk_nino", 1)]);
    for path in &paths {
        let name = path.file_name().unwrap().to_string_lossy();
        let record = &files[name.as_ref()];
        assert_eq!(counts(record), expected, "{name}");
        assert_eq!(record["classification"], "confidential", "{name}");
        assert_eq!(record["partial"], false, "{name}");
    }
}

/// One TNEF attribute ([MS-OXTNEF] 2.1.3.2): level, id, length, data, checksum.
fn tnef_attribute(level: u8, id: u32, data: &[u8]) -> Vec<u8> {
    let mut a = vec![level];
    a.extend_from_slice(&id.to_le_bytes());
    a.extend_from_slice(&(data.len() as u32).to_le_bytes());
    a.extend_from_slice(data);
    a.extend_from_slice(&(data.iter().map(|&b| u32::from(b)).sum::<u32>() as u16).to_le_bytes());
    a
}

/// A winmail.dat as Exchange writes one for a message with a CSV of NI numbers attached.
fn winmail_dat() -> Vec<u8> {
    let csv = b"Name,NI number,Salary\nAnn Smith,AB 12 34 56 C,41200\nBob Jones,JG103942A,38950\nCarol White,CE 99 00 11 D,52310\n";
    let mut tnef = vec![0x78, 0x9F, 0x3E, 0x22, 0x34, 0x12];
    tnef.extend(tnef_attribute(1, 0x0006_9007, &[0xE4, 0x04, 0, 0, 0, 0, 0, 0])); // attOemCodepage
    tnef.extend(tnef_attribute(1, 0x0001_8004, b"Salary review\0")); // attSubject
    tnef.extend(tnef_attribute(2, 0x0006_9002, &[1, 0, 0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0, 0, 0, 0, 0, 0])); // attAttachRendData
    tnef.extend(tnef_attribute(2, 0x0001_8010, b"salary-review.csv\0")); // attAttachTitle
    tnef.extend(tnef_attribute(2, 0x0006_800F, csv)); // attAttachData
    tnef
}

fn members(record: &Value) -> Vec<&str> {
    record["members_with_findings"].as_array().unwrap().iter().map(|m| m.as_str().unwrap()).collect()
}

#[test]
fn attachments_inside_winmail_dat_are_read_alone_and_inside_mail() {
    use base64::Engine;
    let dir = tempfile::tempdir().unwrap();
    let dat = dir.path().join("winmail.dat");
    std::fs::write(&dat, winmail_dat()).unwrap();
    let encoded = base64::engine::general_purpose::STANDARD.encode(winmail_dat());
    let eml = dir.path().join("salary-review.eml");
    std::fs::write(
        &eml,
        format!(
            "From: Sam Green <sam.green@lboro.ac.uk>\r\nTo: Partner <partner@partner.co.uk>\r\nSubject: Salary review\r\n\
             Date: Tue, 25 Nov 2026 10:00:00 +0000\r\nMessage-ID: <tnef1@lboro.ac.uk>\r\nMIME-Version: 1.0\r\n\
             Content-Type: multipart/mixed; boundary=\"B\"\r\n\r\n--B\r\nContent-Type: text/plain\r\n\r\nSee attached.\r\n\
             --B\r\nContent-Type: application/ms-tnef; name=\"winmail.dat\"\r\nContent-Transfer-Encoding: base64\r\n\
             Content-Disposition: attachment; filename=\"winmail.dat\"\r\n\r\n{encoded}\r\n--B--\r\n"
        ),
    )
    .unwrap();
    let (files, _) = scan(&[dat, eml], &[]);
    assert_eq!(files["winmail.dat"]["format"], "tnef");
    assert_eq!(counts(&files["winmail.dat"]), expect(&[("uk_nino", 3)]));
    assert_eq!(members(&files["winmail.dat"]), ["salary-review.csv"]);
    assert_eq!(counts(&files["salary-review.eml"]), expect(&[("email", 2), ("uk_nino", 3)]));
    assert_eq!(members(&files["salary-review.eml"]), ["winmail.dat!/salary-review.csv"]);
    for name in ["winmail.dat", "salary-review.eml"] {
        assert_eq!(files[name]["classification"], "confidential", "{name}");
    }
}

/// An Outlook message laid out per [MS-OXMSG] (no writer of .msg runs here): the sender and a
/// recipient by SMTP address, a body kept only as RTF, and winmail.dat attached.
fn write_msg(path: &Path) {
    use std::io::Write;
    let utf16 = |s: &str| -> Vec<u8> { s.encode_utf16().flat_map(u16::to_le_bytes).collect() };
    let mut rtf = Vec::new();
    let body = b"{\\rtf1\\ansi Please check NI number PA 11 22 33 B before Friday.}";
    rtf.extend_from_slice(&((body.len() + 12) as u32).to_le_bytes());
    rtf.extend_from_slice(&(body.len() as u32).to_le_bytes());
    rtf.extend_from_slice(b"MELA\0\0\0\0");
    rtf.extend_from_slice(body);
    let mut msg = cfb::create(path).unwrap();
    msg.create_storage("/__recip_version1.0_#00000000").unwrap();
    msg.create_storage("/__attach_version1.0_#00000000").unwrap();
    for (name, data) in [
        ("/__properties_version1.0", vec![0; 32]),
        ("/__substg1.0_0037001F", utf16("Salary review")),
        ("/__substg1.0_0C1A001F", utf16("Sam Green")),
        ("/__substg1.0_5D01001F", utf16("sam.green@lboro.ac.uk")),
        ("/__substg1.0_10090102", rtf),
        ("/__recip_version1.0_#00000000/__substg1.0_39FE001F", utf16("bob.jones@lboro.ac.uk")),
        ("/__attach_version1.0_#00000000/__substg1.0_3707001F", utf16("winmail.dat")),
        ("/__attach_version1.0_#00000000/__substg1.0_37010102", winmail_dat()),
    ] {
        msg.create_stream(name).unwrap().write_all(&data).unwrap();
    }
    msg.flush().unwrap();
}

#[test]
fn outlook_messages_give_people_rtf_bodies_and_attachments_inside_tnef() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("review.msg");
    write_msg(&path);
    let (files, _) = scan(&[path], &[]);
    let record = &files["review.msg"];
    assert_eq!(record["format"], "msg");
    assert_eq!(counts(record), expect(&[("email", 2), ("uk_nino", 4)]), "sender, recipient; body and CSV");
    assert_eq!(members(record), ["winmail.dat!/salary-review.csv"]);
}

/// A Word for Windows 2.0 file as Word wrote it: a FIB (wIdent 0xA5DB, nFib 45, lid 0x0409; bit 2
/// of the flags at 0x0A set when saved fast), `fcMin`/`fcMac` at 0x18/0x1C and the CP counts at
/// 0x34 (main text) and 0x3C (headers), then 8-bit text at 0x180. No writer here saves Word 2.0, so
/// the layout is built from the format's fields.
fn word2(text: &[u8], fast_saved: bool) -> Vec<u8> {
    let mut file = vec![0u8; 0x180];
    file[..8].copy_from_slice(&[0xDB, 0xA5, 0x2D, 0x00, 0x31, 0x40, 0x09, 0x04]);
    file[0x0A] = if fast_saved { 0x04 } else { 0 };
    let end = 0x180 + text.len() as u32;
    file[0x18..0x20].copy_from_slice(&[0x180u32.to_le_bytes(), end.to_le_bytes()].concat());
    file[0x34..0x38].copy_from_slice(&(text.len() as u32).to_le_bytes());
    file.extend_from_slice(text);
    file.resize(file.len() + 512, 0);
    file
}

#[test]
fn pre_office_97_documents_are_read_or_said_to_be_unread() {
    let dir = tempfile::tempdir().unwrap();
    let letter = b"Personnel record\rName:\tAnn Smith\rNI number:\tAB 12 34 56 C\r";
    std::fs::write(dir.path().join("word2.doc"), word2(letter, false)).unwrap();
    std::fs::write(dir.path().join("fast.doc"), word2(letter, true)).unwrap();
    // Windows Write: wIdent 0xBE31, wTool 0xAB00, fcMac at 14; the text from byte 128.
    let mut write = vec![0u8; 128];
    write[..6].copy_from_slice(&[0x31, 0xBE, 0, 0, 0, 0xAB]);
    write[14..18].copy_from_slice(&(128 + letter.len() as u32).to_le_bytes());
    write.extend_from_slice(letter);
    write.resize(write.len() + 256, 0);
    std::fs::write(dir.path().join("memo.wri"), write).unwrap();
    // WordPerfect 5.1: `\xFFWPC`, the document area's offset, product 1 (WordPerfect), type 10.
    let mut wp = b"\xFFWPC\x4C\x00\x00\x00\x01\x0A\x00\x00\x00\x00\x00\x00".to_vec();
    wp.resize(76, 0);
    wp.extend_from_slice(b"NI number AB 12 34 56 C\x0A");
    std::fs::write(dir.path().join("letter.wpd"), wp).unwrap();
    let (files, summary) = scan(&[dir.path().to_path_buf()], &[]);
    for name in ["word2.doc", "memo.wri"] {
        assert_eq!(files[name]["partial"], false, "{name}: {}", files[name]);
        assert_eq!(counts(&files[name]).get("uk_nino"), Some(&1), "{name}: {}", files[name]);
    }
    assert_eq!(files["word2.doc"]["format"], "doc");
    assert_eq!(files["memo.wri"]["format"], "wri");
    // Saved fast: the text as last saved in full is read, and the edits are said to be unread.
    assert_eq!(files["fast.doc"]["partial_reasons"], serde_json::json!(["unsupported_format"]));
    assert_eq!(counts(&files["fast.doc"]).get("uk_nino"), Some(&1));
    assert_eq!(files["letter.wpd"]["format"], "wordperfect");
    assert_eq!(files["letter.wpd"]["partial_reasons"], serde_json::json!(["unsupported_format"]));
    assert_eq!(summary["skipped"], serde_json::json!({}), "no document is skipped as binary");
}

#[test]
fn a_software_projects_credits_are_no_contact_list_but_the_same_list_elsewhere_is() {
    let dir = tempfile::tempdir().unwrap();
    let people: String = (0..12).map(|i| format!("Person Number{i} <person.number{i}@lboro.ac.uk>\n")).collect();
    for name in ["AUTHORS", "THANKS.md", "staff-contacts.txt"] {
        std::fs::write(dir.path().join(name), &people).unwrap();
    }
    let (files, _) = scan(&[dir.path().to_path_buf()], &[]);
    for name in ["AUTHORS", "THANKS.md"] {
        assert_eq!(files[name]["classification"], "not_sensitive", "{name}: {}", files[name]);
        assert_eq!(counts(&files[name]).get("email"), Some(&12), "still reported: {name}");
    }
    assert_eq!(files["staff-contacts.txt"]["classification"], "confidential");
}
