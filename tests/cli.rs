//! End-to-end tests: the real `dlp-scan` binary on temporary trees, as a user runs it.
//!
//! Unix only: they drive modes, signals, FIFOs and links; `.ci/windows` runs the Windows
//! build end to end under Wine.
#![cfg(unix)]

use crate::swap;
use crate::util::{file_record, json_lines, summary, Tree};

use std::io::Write;
use std::path::PathBuf;
use std::process::Command;

use serde_json::Value;

fn finding<'a>(record: &'a Value, detector: &str) -> Option<&'a Value> {
    record["findings"].as_array().unwrap().iter().find(|f| f["detector"] == detector)
}

fn errors_of_kind<'a>(records: &'a [Value], kind: &str) -> Vec<&'a Value> {
    records.iter().filter(|r| r["type"] == "error" && r["kind"] == kind).collect()
}

const NINO_LINE: &str = "Employee NI number: AB 12 34 56 C, start date Monday.\n";

fn utf16(text: &str, little_endian: bool, bom: bool) -> Vec<u8> {
    let mut out = Vec::new();
    if bom {
        out.extend(if little_endian { [0xFF, 0xFE] } else { [0xFE, 0xFF] });
    }
    for unit in text.encode_utf16() {
        out.extend(if little_endian { unit.to_le_bytes() } else { unit.to_be_bytes() });
    }
    out
}

#[test]
fn text_in_every_supported_encoding_is_read() {
    let t = Tree::new();
    let text = format!("Caf\u{e9} r\u{e9}sum\u{e9} \u{2013} {NINO_LINE}");
    t.write("utf8.txt", &text);
    t.write("utf8-bom.txt", [b"\xef\xbb\xbf".as_slice(), text.as_bytes()].concat());
    t.write("utf16le.txt", utf16(&text, true, true));
    t.write("utf16be.txt", utf16(&text, false, true));
    t.write("utf16le-nobom.txt", utf16(&text, true, false));
    let (cp1252, _, _) = encoding_rs::WINDOWS_1252.encode(&text);
    assert!(std::str::from_utf8(&cp1252).is_err(), "the fixture must not be valid UTF-8");
    t.write("cp1252.txt", &cp1252);
    let (records, out) = t.scan_json(&[]);
    assert_eq!(out.status.code(), Some(0));
    for name in ["utf8.txt", "utf8-bom.txt", "utf16le.txt", "utf16be.txt", "utf16le-nobom.txt", "cp1252.txt"] {
        let f = finding(file_record(&records, name), "uk_nino").unwrap_or_else(|| panic!("{name}: no NI number"));
        assert_eq!(f["count"], 1, "{name}");
        assert_eq!(f["confidence"], "high", "{name}");
    }
    let fingerprints: Vec<&Value> = records
        .iter()
        .filter(|r| r["type"] == "file")
        .map(|r| &finding(r, "uk_nino").unwrap()["fingerprints"][0])
        .collect();
    assert!(fingerprints.windows(2).all(|w| w[0] == w[1]), "one value, one fingerprint, whatever the encoding");
}

#[test]
fn matches_across_chunk_boundaries_are_found_exactly_once() {
    // 3.5 MiB of text with a distinct NI number every 997 bytes: with 1 MiB chunks, many numbers
    // straddle every chunk boundary and every overlap.
    let t = Tree::new();
    let mut text = String::new();
    let mut planted = 0;
    while text.len() < 3_500_000 {
        let n = planted % 1_000_000;
        let line = format!("JG{:06}A ", n);
        text.push_str(&line);
        planted += 1;
        let pad = 997 - line.len() - 1;
        text.push_str(&"lorem ipsum dolor sit amet ".repeat(pad / 27 + 1)[..pad]);
        text.push('\n');
    }
    t.write("big.txt", &text);
    let (records, _) = t.scan_json(&[]);
    let f = finding(file_record(&records, "big.txt"), "uk_nino").unwrap();
    assert_eq!(f["occurrences"], planted, "every planted value once, none twice");
    assert_eq!(f["count"], planted, "all distinct");
}

#[cfg(unix)]
#[test]
fn special_files_symlinks_and_empty_files_are_counted_not_opened() {
    let t = Tree::new();
    t.write("a/doc.txt", NINO_LINE);
    t.write("a/empty.txt", "");
    let fifo = t.root().join("a/pipe");
    assert!(Command::new("mkfifo").arg(&fifo).status().unwrap().success());
    std::os::unix::fs::symlink(t.root().join("a/doc.txt"), t.root().join("link.txt")).unwrap();
    // A FIFO that was opened would block the scan forever; the test finishing proves it was not.
    let (records, out) = t.scan_json(&[]);
    assert_eq!(out.status.code(), Some(0));
    let s = summary(&records);
    assert_eq!(s["skipped"]["special_file"], 1);
    assert_eq!(s["skipped"]["empty"], 1);
    assert_eq!(s["skipped"]["symlink"], 1);
    assert_eq!(s["files_scanned"], 1);
    assert_eq!(records.iter().filter(|r| r["type"] == "file").count(), 1, "only the real document has a record");
}

#[cfg(unix)]
#[test]
fn a_symlink_loop_is_an_error_record_and_the_scan_finishes() {
    let t = Tree::new();
    t.write("dir/doc.txt", NINO_LINE);
    std::os::unix::fs::symlink(t.root().join("dir"), t.root().join("dir/loop")).unwrap();
    let (records, out) = t.scan_json(&["--follow"]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(errors_of_kind(&records, "symlink_loop").len(), 1);
    assert!(finding(file_record(&records, "dir/doc.txt"), "uk_nino").is_some());
    let (_, out) = t.scan_json(&["--follow", "--fail-on-incomplete"]);
    assert_eq!(out.status.code(), Some(3), "an error makes the audit incomplete");
    let (records, _) = t.scan_json(&[]);
    assert_eq!(summary(&records)["skipped"]["symlink"], 1, "not followed by default");
}

#[cfg(unix)]
#[test]
fn an_unreadable_file_is_an_error_record_and_the_scan_goes_on() {
    use std::os::unix::fs::PermissionsExt;
    let t = Tree::new();
    t.write("readable.txt", NINO_LINE);
    let secret = t.write("secret.txt", NINO_LINE);
    std::fs::set_permissions(&secret, std::fs::Permissions::from_mode(0o000)).unwrap();
    for p in [t.dir(), t.root().as_path()] {
        std::fs::set_permissions(p, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    std::fs::set_permissions(t.key(), std::fs::Permissions::from_mode(0o644)).unwrap();
    // root reads everything; drop to an unprivileged user the way an ordinary member of staff runs it.
    let running_as_root =
        std::fs::metadata("/proc/self").map(|m| std::os::unix::fs::MetadataExt::uid(&m) == 0).unwrap_or(false);
    let mut cmd = if running_as_root {
        let mut c = Command::new("setpriv");
        c.args(["--reuid=65534", "--regid=65534", "--clear-groups", env!("CARGO_BIN_EXE_dlp-scan")]);
        c
    } else {
        Command::new(env!("CARGO_BIN_EXE_dlp-scan"))
    };
    let out = cmd.arg("--fingerprint-key").arg(t.key()).args(["--format", "json"]).arg(t.root()).output().unwrap();
    let records = json_lines(&out.stdout);
    let denied = errors_of_kind(&records, "permission_denied");
    assert_eq!(denied.len(), 1, "stderr: {}", String::from_utf8_lossy(&out.stderr));
    assert!(denied[0]["path"].as_str().unwrap().ends_with("secret.txt"));
    assert!(finding(file_record(&records, "readable.txt"), "uk_nino").is_some());
    assert_eq!(out.status.code(), Some(0));
}

#[test]
fn a_file_deleted_during_the_scan_is_an_error_record() {
    let t = Tree::new();
    // The first root takes a while to scan; the second is deleted while that happens.
    let slow = t.write("slow.txt", "plain words without identifiers, repeated. ".repeat(2_000_000));
    let victim = t.write("victim.txt", NINO_LINE);
    let child = t
        .command()
        .args(["--format", "json", "--threads", "1"])
        .arg(&slow)
        .arg(&victim)
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(150));
    std::fs::remove_file(&victim).unwrap();
    let out = child.wait_with_output().unwrap();
    let records = json_lines(&out.stdout);
    assert_eq!(errors_of_kind(&records, "not_found").len(), 1, "{records:?}");
    assert_eq!(summary(&records)["files_scanned"], 1);
}

#[cfg(unix)]
#[test]
fn a_non_utf8_file_name_keeps_its_exact_bytes() {
    use std::os::unix::ffi::OsStrExt;
    let t = Tree::new();
    let name = std::ffi::OsStr::from_bytes(b"caf\xe9-staff.txt");
    std::fs::write(t.root().join(name), NINO_LINE).unwrap();
    let (records, _) = t.scan_json(&[]);
    let record = records.iter().find(|r| r["type"] == "file").unwrap();
    assert!(record["path"].as_str().unwrap().ends_with("caf\u{fffd}-staff.txt"));
    use base64::Engine as _;
    let exact = base64::engine::general_purpose::STANDARD.decode(record["path_base64"].as_str().unwrap()).unwrap();
    assert!(exact.ends_with(b"caf\xe9-staff.txt"));
}

#[test]
fn binary_files_are_recognised_by_content_not_name() {
    let t = Tree::new();
    t.write("report.txt", [b"\x7fELF\x02\x01\x01\x00".as_slice(), NINO_LINE.as_bytes(), &[0u8; 64]].concat());
    t.write("data.bin", NINO_LINE);
    let (records, _) = t.scan_json(&[]);
    assert_eq!(summary(&records)["skipped"]["binary"], 1);
    assert!(finding(file_record(&records, "data.bin"), "uk_nino").is_some(), "text named .bin is still text");
}

#[cfg(target_os = "linux")]
#[test]
fn scanning_leaves_access_times_alone() {
    let t = Tree::new();
    let doc = t.write("old.txt", NINO_LINE);
    // An access time far in the past is updated by a plain read even under relatime.
    assert!(Command::new("touch").args(["-a", "-d", "2001-01-01 00:00:00"]).arg(&doc).status().unwrap().success());
    let before = std::fs::metadata(&doc).unwrap().accessed().unwrap();
    let (records, _) = t.scan_json(&[]);
    assert!(finding(file_record(&records, "old.txt"), "uk_nino").is_some(), "the file was read");
    assert_eq!(std::fs::metadata(&doc).unwrap().accessed().unwrap(), before);
}

/// Values planted in the tree, in the form written and in normalised forms.
const PLANTED: &[&str] = &[
    "AB 12 34 56 C",
    "AB123456C",
    "453 686 1564",
    "4536861564",
    "4845 7586 4993 7749",
    "4845758649937749",
    "GB60 BARC 2000 0055 7799 11",
    "GB60BARC20000055779911",
    "j.bloggs@lboro.ac.uk",
    "Tr0ub4dor&3",
    "MORGA753116SM9IJ",
    "925076473",
    "15/03/1985",
    "07911 123456",
    "07911123456",
];

#[test]
fn planted_values_never_appear_in_any_output() {
    let t = Tree::new();
    t.write(
        "staff.txt",
        "NI number AB 12 34 56 C\nNHS no 453 686 1564\nCard 4845 7586 4993 7749 exp 01/29\n\
         IBAN GB60 BARC 2000 0055 7799 11\nemail j.bloggs@lboro.ac.uk\npassword: Tr0ub4dor&3\n\
         Driving licence MORGA753116SM9IJ\nPassport number 925076473\nDOB: 15/03/1985\nMobile 07911 123456\n",
    );
    let declared = t.path("config.toml");
    std::fs::write(&declared, format!("[[locations]]\npath = \"{}\"\nkind = \"removable\"\n", t.root().display()))
        .unwrap();
    for format in ["json", "human"] {
        let out = t
            .command()
            .env("DLP_SCAN_LOG", "trace")
            .args(["--format", format, "--config"])
            .arg(&declared)
            .arg(t.root())
            .output()
            .unwrap();
        let everything = [out.stdout.as_slice(), out.stderr.as_slice()].concat();
        let everything = String::from_utf8_lossy(&everything);
        assert!(everything.contains("uk_nino"), "the scan reported findings ({format})");
        let leaked: Vec<usize> = (0..PLANTED.len()).filter(|&i| everything.contains(PLANTED[i])).collect();
        assert!(leaked.is_empty(), "planted values at indexes {leaked:?} leaked in {format} output");
        assert_eq!(out.status.code(), Some(1), "confidential data on removable media is a violation");
    }
}

#[test]
fn exit_codes_follow_grep_and_clamscan() {
    let t = Tree::new();
    t.write("doc.txt", NINO_LINE);
    let (_, out) = t.scan_json(&[]);
    assert_eq!(out.status.code(), Some(0), "findings on local disk break no rule");

    let cfg = t.path("usb.toml");
    std::fs::write(&cfg, format!("[[locations]]\npath = \"{}\"\nkind = \"removable\"\n", t.root().display())).unwrap();
    let (records, out) = t.scan_json(&["--config", cfg.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let v = &file_record(&records, "doc.txt")["violations"][0];
    assert_eq!(v["rule"], "unencrypted_confidential_on_removable");

    let small = t.path("small.toml");
    std::fs::write(&small, "[scan]\nmax_file_size = \"10 B\"\n").unwrap();
    let (records, out) = t.scan_json(&["--config", small.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "too large is reported, not fatal");
    assert_eq!(errors_of_kind(&records, "too_large").len(), 1);
    assert_eq!(summary(&records)["skipped"]["too_large"], 1);
    let (_, out) = t.scan_json(&["--config", small.to_str().unwrap(), "--fail-on-incomplete"]);
    assert_eq!(out.status.code(), Some(3));

    let out = t.command().arg(t.root().join("no-such-dir")).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn a_bad_config_fails_at_start_with_file_and_line() {
    let t = Tree::new();
    let cfg = t.path("bad.toml");
    std::fs::write(&cfg, "[scan]\nfollow_symlinks = true\nmax_file_sise = \"1 GiB\"\n").unwrap();
    let out = t.command().arg("--config").arg(&cfg).arg(t.root()).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains(&format!("{}:3:1", cfg.display())), "{stderr}");
    assert!(stderr.contains("max_file_sise"), "{stderr}");
}

/// Each file in `tests/data/config-invalid` is a bad configuration whose first line is
/// `# expect: LINE:COLUMN: MESSAGE`; `--check-config` must fail with exactly that, at that place.
#[test]
fn invalid_configurations_fail_with_their_exact_message() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/config-invalid");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).collect();
    files.sort();
    assert!(files.len() >= 20, "{} files", files.len());
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        let expected = text.lines().next().and_then(|l| l.strip_prefix("# expect: ")).expect("a `# expect:` line");
        let out = Command::new(env!("CARGO_BIN_EXE_dlp-scan"))
            .arg("--config")
            .arg(&file)
            .arg("--check-config")
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{}", file.display());
        assert_eq!(
            String::from_utf8_lossy(&out.stderr),
            format!("dlp-scan: configuration: {}:{expected}\n", file.display()),
        );
    }
}

#[test]
fn check_config_says_a_valid_configuration_is_valid() {
    let t = Tree::new();
    let cfg = t.path("good.toml");
    std::fs::write(&cfg, "[rules]\ndisabled = [\"weak_encryption\"]\n[detectors]\ndisabled = [\"uk_postcode\"]\n")
        .unwrap();
    let out = t.command().arg("--config").arg(&cfg).arg("--check-config").output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        format!("dlp-scan: {}: the configuration is valid\n", cfg.display())
    );
}

#[test]
fn user_detectors_are_loaded_and_a_malformed_one_fails_with_its_line() {
    let t = Tree::new();
    let dir = t.path("detectors");
    std::fs::create_dir(&dir).unwrap();
    let student = r#"id = "student_number"
description = "University student number (B + 7 digits)"
class = "identifier"
keywords = ["student"]
regex = '''\bB\d{7}\b'''
validator = "none"
confidence = "high"

[[example]]
text = "Student B1234567 enrolled"
match = ["B1234567"]

[[example]]
text = "Room B1234567 has no student context nearby"
match = []

[[example]]
text = "student B7654321 and B1111111"
match = ["B7654321", "B1111111"]

[[example]]
text = "Enrolled student: B2345678"
match = ["B2345678"]

[[example]]
text = "Student B123456 is one digit short"
match = []

[[example]]
text = "Student XB1234567 has a prefix"
match = []
"#;
    std::fs::write(dir.join("student_number.toml"), student).unwrap();
    let cfg = t.path("c.toml");
    std::fs::write(&cfg, format!("[detectors]\ncustom_dir = \"{}\"\n", dir.display())).unwrap();
    let out = t.command().arg("--config").arg(&cfg).arg(t.root()).output().unwrap();
    assert_eq!(out.status.code(), Some(2), "an example that does not hold stops the start");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("student_number.toml:13:1") && stderr.contains("example does not hold"), "{stderr}");

    std::fs::write(dir.join("student_number.toml"), student.replace("has no student context nearby", "has no context"))
        .unwrap();
    t.write("list.txt", "Student B7654321 and student B1111111\n");
    let (records, out) = t.scan_json(&["--config", cfg.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(finding(file_record(&records, "list.txt"), "student_number").unwrap()["count"], 2);

    std::fs::write(dir.join("student_number.toml"), student.replace("validator = \"none\"", "validator = \"mod_12\""))
        .unwrap();
    let out = t.command().arg("--config").arg(&cfg).arg(t.root()).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("student_number.toml:6:") && stderr.contains("mod_12"), "{stderr}");
}

#[test]
fn the_human_view_has_no_colour_when_piped() {
    let t = Tree::new();
    t.write("staff.csv", "Name,NI number\nAnn,AB 12 34 56 C\n");
    let out = t.command().env_remove("NO_COLOR").arg(t.root()).output().unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(stdout.contains("confidential \u{b7} local disk \u{b7} uk_nino\u{d7}1\n"), "{stdout}");
    assert!(stdout.contains(&format!("\n  {}\n", t.root().join("staff.csv").display())), "{stdout}");
    assert!(stdout.contains("Scanned 1 files"), "{stdout}");
    assert!(!stdout.contains('\x1b') && out.stderr.is_empty(), "no colours or progress when piped");
    let always = t.command().args(["--color", "always"]).arg(t.root()).output().unwrap();
    assert!(String::from_utf8(always.stdout).unwrap().contains("\x1b[33mconfidential\x1b[0m"), "--color always");
}

/// A tree with a critical violation (patient data in Dropbox), others less severe, and files
/// that are not sensitive, encrypted and public, for the reports.
fn audit_tree() -> Tree {
    let t = Tree::new();
    t.write(
        "alice/Dropbox/Human Resources/Occupational Health/2024 referrals/patients.csv",
        "Name,NHS Number,Notes\nAnn Smith,453 686 1564,diagnosed with diabetes\n",
    );
    t.write("alice/Dropbox/HR/staff.csv", "Name,NI number\nAnn,AB 12 34 56 C\nBob,JG103942A\n");
    t.write("alice/Documents/letter.txt", "Dear colleague, our office is at LE11 3TU.\n");
    t.write("alice/Documents/open-day.txt", "PUBLIC\nOpen day programme\n");
    t.write("alice/Documents/nothing.txt", "Lunch is at noon.\n");
    let aes = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/fixtures/zip-aes256.zip")).unwrap();
    t.write("alice/Documents/backup.zip", aes);
    t
}

/// `dlp-scan ROOT` as a person runs it, at a terminal width of `columns`.
fn human_report(t: &Tree, columns: usize) -> String {
    let out =
        t.command().env("COLUMNS", columns.to_string()).args(["--color", "never"]).arg(t.root()).output().unwrap();
    assert_eq!(out.status.code(), Some(1), "violations give exit status 1");
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn the_human_report_leads_with_action_and_fits_the_terminal() {
    let t = audit_tree();
    for columns in [80, 160] {
        let report = human_report(&t, columns);
        let lines: Vec<&str> = report.lines().collect();
        let first = |prefix: &str| {
            lines.iter().position(|l| l.starts_with(prefix)).unwrap_or_else(|| panic!("no {prefix:?} in\n{report}"))
        };
        assert!(lines[0].starts_with("Host ") && lines[0].contains(", scan started 20"), "what it is of: {report}");
        let critical = first("CRITICAL  highly_confidential_in_unmanaged_cloud");
        assert!(lines[critical + 1].trim_start().ends_with("2024 referrals/patients.csv"), "path on its own line");
        assert!(lines[critical + 2].starts_with("  Why:  highly confidential material is stored"), "{report}");
        assert!(report.contains("(Dropbox)"), "the provider as people say it: {report}");
        let inventory = first("FILES (");
        assert!(critical < first("HIGH  ") && first("MEDIUM  ") < inventory, "most severe first:\n{report}");
        assert!(critical < inventory && inventory < first("TOTALS"), "{report}");
        assert!(first("highly confidential \u{b7}") < first("confidential \u{b7}"), "most sensitive first");
        for line in &lines {
            let is_path = line.strip_prefix("  ").is_some_and(|p| p.starts_with(t.root().to_str().unwrap()));
            assert!(line.chars().count() <= columns || is_path, "{columns} columns: {line:?}");
        }
        let totals = report[report.find("TOTALS").unwrap()..].split_whitespace().collect::<Vec<_>>().join(" ");
        assert!(
            totals.contains(
                "Scanned 6 files (0.0 MB) in",
            ) && totals.contains(": 1 highly confidential, 1 confidential, 1 encrypted (content unknown), 2 not sensitive, 1 public."),
            "totals add up: {totals}"
        );
        assert!(totals.contains("Violations: 3 (1 critical, 1 high, 1 medium); by rule:"), "{totals}");
    }
    let narrow = human_report(&t, 80);
    assert!(narrow.lines().any(|l| l.chars().count() > 80), "the long path is whole, not cut: {narrow}");
}

/// The version digit of a hyphenated UUID.
fn uuid_version(id: &str) -> Option<char> {
    (id.len() == 36).then(|| id.chars().nth(14)).flatten()
}

#[test]
fn json_records_keep_their_documented_shape() {
    let t = Tree::new();
    t.write(
        "Documents/staff.csv",
        "Name,NHS Number,NI number,Email,Phone\n\
         Ann Smith,453 686 1564,AB 12 34 56 C,ann.smith@lboro.ac.uk,07911 123456\n\
         Bob Jones,649-850-2940,JG103942A,bob.jones@gmail.com,01509 222222\n",
    );
    t.write("Documents/letter.txt", "Dear colleague, our office is at LE11 3TU.\n");
    let (records, _) = t.scan_json(&["--threads", "1"]);
    let root = t.root().display().to_string();
    let mut normalised: Vec<Value> = records
        .into_iter()
        .map(|mut r| {
            if let Some(p) = r.get("path").and_then(Value::as_str) {
                r["path"] = Value::String(p.replace(&root, "<root>"));
            }
            if r["type"] == "summary" {
                r["duration_ms"] = Value::from(0);
            }
            let id = r["event_id"].as_str().expect("every event has an id");
            assert_eq!(uuid_version(id), Some('7'), "{id}");
            assert!(r["time"].as_str().is_some_and(|t| t.ends_with('Z')), "{r}");
            assert!(r["host"].as_str().is_some_and(|h| !h.is_empty()), "{r}");
            r["event_id"] = Value::from("<uuid-v7>");
            r["time"] = Value::from("<time>");
            r["host"] = Value::from("<host>");
            r
        })
        .collect();
    normalised.sort_by_key(|r| (r["type"] == "summary", r["path"].as_str().unwrap_or_default().to_string()));
    insta::assert_snapshot!(serde_json::to_string_pretty(&normalised).unwrap());
}

#[test]
fn help_documents_the_exit_codes() {
    let out = Command::new(env!("CARGO_BIN_EXE_dlp-scan")).arg("--help").output().unwrap();
    let help = String::from_utf8(out.stdout).unwrap();
    assert!(help.contains("--fail-on-incomplete") && help.contains("3 with --fail-on-incomplete"), "{help}");
}

#[test]
fn sync_folders_are_found_by_name_and_marker_and_their_rules_fire() {
    let t = Tree::new();
    let staff = "Name,NI number\nAnn,AB 12 34 56 C\nBob,JG103942A\n";
    t.write("alice/Dropbox/Team/staff.csv", staff);
    t.write("alice/Documents/Dropbox export/staff.csv", staff);
    t.write("alice/OneDrive - Loughborough University/staff.csv", staff);
    t.write("alice/OneDrive - Personal Stuff Ltd/staff.csv", staff);
    t.write("alice/Sync/.dropbox", "{}");
    t.write("alice/Sync/staff.csv", staff);
    let zipcrypto = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/fixtures/zipcrypto.zip")).unwrap();
    t.write("alice/Dropbox/backup.zip", zipcrypto);
    let cfg = t.path("tenant.toml");
    std::fs::write(&cfg, "managed_onedrive_tenants = [\"Loughborough University\"]\n").unwrap();
    let (records, out) = t.scan_json(&["--config", cfg.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1), "violations give exit status 1");
    let location = |name: &str| {
        let r = file_record(&records, name);
        (r["location"]["kind"].as_str().unwrap().to_string(), r["violations"].as_array().unwrap().len())
    };
    assert_eq!(location("Dropbox/Team/staff.csv"), ("unmanaged_cloud".to_string(), 1));
    assert_eq!(location("Dropbox export/staff.csv"), ("local".to_string(), 0));
    assert_eq!(location("Loughborough University/staff.csv"), ("managed_cloud".to_string(), 0));
    assert_eq!(location("Personal Stuff Ltd/staff.csv"), ("unmanaged_cloud".to_string(), 1));
    assert_eq!(location("Sync/staff.csv"), ("unmanaged_cloud".to_string(), 1));
    let backup = file_record(&records, "backup.zip");
    assert_eq!(backup["encryption"]["method"], "zipcrypto");
    assert_eq!(backup["violations"][0]["rule"], "weak_encryption");
}

#[test]
fn categories_follow_markings_and_special_categories_tied_to_people() {
    let t = Tree::new();
    t.write("board.txt", "HIGHLY CONFIDENTIAL\nRestructuring options\n");
    t.write("briefing.txt", "OFFICIAL-SENSITIVE\nProject briefing\n");
    t.write("clinic.csv", "Name,NHS Number,Notes\nAnn Smith,453 686 1564,diagnosed with diabetes\n");
    t.write("policy.txt", "Wellbeing policy: we support staff living with depression, diabetes or cancer.\n");
    t.write("open-day.txt", "PUBLIC\nOpen day programme\n");
    t.write("strategy.txt", "DRAFT\nStrategy 2030\n");
    t.write("monitoring.csv", "Name,Email,Ethnicity\nAnn Smith,ann.smith@lboro.ac.uk,Pakistani\n");
    let (records, out) = t.scan_json(&[]);
    let category = |name: &str| file_record(&records, name)["classification"].as_str().unwrap().to_string();
    assert_eq!(category("board.txt"), "highly_confidential");
    assert_eq!(category("briefing.txt"), "highly_confidential");
    assert_eq!(category("clinic.csv"), "highly_confidential");
    assert_eq!(category("open-day.txt"), "public");
    assert_eq!(category("strategy.txt"), "confidential");
    assert_eq!(category("monitoring.csv"), "confidential");
    assert!(finding(file_record(&records, "monitoring.csv"), "special_category.ethnicity").is_some());
    assert!(
        !records.iter().any(|r| r["path"].as_str().is_some_and(|p| p.ends_with("policy.txt"))),
        "health words in a policy, tied to nobody, are not findings"
    );
    let clinic = file_record(&records, "clinic.csv");
    assert_eq!(clinic["violations"][0]["rule"], "unlabelled_highly_confidential");
    assert!(file_record(&records, "board.txt")["violations"].as_array().unwrap().is_empty(), "marked, so labelled");
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn a_password_stored_beside_encrypted_files_is_reported() {
    let t = Tree::new();
    let aes = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/fixtures/zip-aes256.zip")).unwrap();
    t.write("alice/Dropbox/HR/staff-2024.zip", &aes);
    t.write("alice/Dropbox/HR/notes.txt", "zip password: Tr0ub4dor&3\n");
    t.write("alice/Dropbox (Lab)/other.txt", "wifi password: hunter2hunter2\n");
    t.write("alice/Documents/backup.zip", &aes);
    t.write("alice/Documents/notes.txt", "zip password: Tr0ub4dor&3\n");
    let (records, _) = t.scan_json(&[]);
    let rules = |name: &str| -> Vec<String> {
        file_record(&records, name)["violations"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v["rule"].as_str().unwrap().to_string())
            .collect()
    };
    // A password note is itself confidential content, stored unencrypted.
    assert_eq!(
        rules("Dropbox/HR/notes.txt"),
        ["unencrypted_confidential_in_unmanaged_cloud", "credential_exposed", "key_stored_with_data"]
    );
    assert_eq!(
        rules("Dropbox (Lab)/other.txt"),
        ["unencrypted_confidential_in_unmanaged_cloud", "credential_exposed"],
        "no encrypted file in that folder"
    );
    assert!(rules("Documents/notes.txt").is_empty(), "local folders raise no location rules");
    assert_eq!(
        file_record(&records, "Dropbox/HR/notes.txt")["location"]["root"]
            .as_str()
            .map(|r| r.ends_with("alice/Dropbox")),
        Some(true)
    );
    assert_eq!(summary(&records)["violations"]["key_stored_with_data"], 1);
}

#[test]
fn a_value_allowed_by_its_fingerprint_is_no_longer_reported() {
    let t = Tree::new();
    t.write("footer.txt", "Switchboard: Tel 01509 263171\nNI number AB 12 34 56 C\n");
    let (records, _) = t.scan_json(&[]);
    let phone = finding(file_record(&records, "footer.txt"), "uk_phone").unwrap()["fingerprints"][0]
        .as_str()
        .unwrap()
        .to_string();
    let cfg = t.path("allow.toml");
    std::fs::write(&cfg, format!("[[allow]]\nfingerprint = \"{phone}\"\nreason = \"university switchboard\"\n"))
        .unwrap();
    t.write("switchboard.txt", "Switchboard: Tel 01509 263171\n");
    let (records, _) = t.scan_json(&["--config", cfg.to_str().unwrap()]);
    let record = file_record(&records, "footer.txt");
    assert!(finding(record, "uk_phone").is_none());
    assert!(finding(record, "uk_nino").is_some(), "other values are still reported");
    assert!(!records.iter().any(|r| r["path"].as_str().is_some_and(|p| p.ends_with("switchboard.txt"))));
    assert_eq!(summary(&records)["suppressed"], 2, "allowed values count, in a file left clean too");
    std::fs::write(&cfg, "[[allow]]\nreason = \"no target\"\n").unwrap();
    let out = t.command().arg("--config").arg(&cfg).arg(t.root()).output().unwrap();
    assert_eq!(out.status.code(), Some(2), "an allowance needs a path or a fingerprint");
}

#[test]
fn a_small_table_of_people_is_personal_data_but_two_addresses_in_prose_are_not() {
    let t = Tree::new();
    t.write("team.csv", "Name,Email,Room\nAnn Smith,ann.smith@lboro.ac.uk,B12\nBob Jones,bob.jones@lboro.ac.uk,B14\n");
    t.write("minutes.txt", "Minutes taken by ann.smith@lboro.ac.uk; apologies from bob.jones@lboro.ac.uk.\n");
    let (records, _) = t.scan_json(&[]);
    assert_eq!(file_record(&records, "team.csv")["classification"], "confidential");
    assert_eq!(file_record(&records, "minutes.txt")["classification"], "not_sensitive");
}

/// Software trees credit their people and document options; none of it is a list the university
/// keeps. Each file is one kind found under /usr/share, rebuilt small; the staff list and the
/// e-mail to many recipients beside them stay confidential.
#[test]
fn software_documentation_is_no_record_of_people_but_staff_lists_are() {
    let t = Tree::new();
    let people: Vec<(String, String)> =
        (0..12).map(|i| (format!("Person Number{i}"), format!("p.number{i}@lboro.ac.uk"))).collect();
    let credits: String = people.iter().map(|(n, a)| format!("    {n} <{a}>\n")).collect();
    t.write(
        "manual.txt",
        format!("7.4.  Credits\n\nThe authors would like to thank the following people for their time:\n\n{credits}"),
    );
    t.write(
        "os_help.txt",
        "*os_mac.txt*\tFor Vim version 9.0\n\nNOTE: outdated.\n\n1. Filename Convention\t|mac-filename|\n\
         2. Backspace\t|mac-backspace|\n3. Clipboard\t|mac-clipboard|\n\nEric Fischer\n<enf1@midway.uchicago.edu>\n\
         \tmac@vim.org\n",
    );
    t.write(
        "locale_VU",
        "comment_char %\n\nLC_IDENTIFICATION\ntitle\t\t\"Bislama locale\"\nemail\t\t\"akhilesh.k@samsung.com & maninder1.s@samsung.com\"\ntel\t\t\"\"\nfax\t\t\"\"\n",
    );
    t.write(
        "packages.tsv",
        "name\tversion\tdownloads_a_month\tsummary\n@ka/wonder-blocks-birthday-picker\t4.1.68\t19203\t\n\
         dob-bright\t1.2.11\t55\tjournal and time tracker\nhealth-kit\t1.0.2\t9\tdiabetes and cancer data for jo@example.net\n",
    );
    t.write("wget.info", "ask_password = on/off\n     Prompt for a password for each connection.\n");
    let to: Vec<String> = people.iter().map(|(n, a)| format!("{n} <{a}>")).collect();
    t.write(
        "meeting.eml",
        format!("From: Ann Smith <ann.smith@lboro.ac.uk>\nTo: {}\nSubject: Rota\n\nSee you.\n", to.join(", ")),
    );
    t.write("team.csv", "Name,Email,Room\nAnn Smith,ann.smith@lboro.ac.uk,B12\nBob Jones,bob.jones@lboro.ac.uk,B14\n");
    let (records, _) = t.scan_json(&[]);
    let category = |name: &str| {
        records
            .iter()
            .find(|r| r["path"].as_str().is_some_and(|p| p.ends_with(name)))
            .map_or("clean".to_string(), |r| r["classification"].as_str().unwrap().to_string())
    };
    for name in ["manual.txt", "os_help.txt", "locale_VU", "packages.tsv", "wget.info"] {
        assert!(["not_sensitive", "clean"].contains(&category(name).as_str()), "{name}: {}", category(name));
    }
    assert_eq!(category("meeting.eml"), "confidential", "an e-mail to many recipients is a contact list");
    assert_eq!(category("team.csv"), "confidential", "a staff list is a table of people");
}

#[test]
fn large_binary_files_are_judged_by_content_not_reported_as_too_large() {
    let t = Tree::new();
    let mut video = vec![0u8; 64 << 10];
    video[4..12].copy_from_slice(b"ftypisom");
    t.write("holiday.mp4", &video);
    t.write("big.txt", "NI number AB 12 34 56 C\n".repeat(4000));
    let small = t.path("small.toml");
    std::fs::write(&small, "[scan]\nmax_file_size = \"32 KiB\"\n").unwrap();
    let (records, out) = t.scan_json(&["--config", small.to_str().unwrap(), "--fail-on-incomplete"]);
    let too_large: Vec<&str> =
        errors_of_kind(&records, "too_large").iter().map(|r| r["path"].as_str().unwrap()).collect();
    assert_eq!(too_large.len(), 1);
    assert!(too_large[0].ends_with("big.txt"), "only the text over the cap: {too_large:?}");
    assert_eq!(summary(&records)["skipped"]["binary"], 1);
    assert_eq!(out.status.code(), Some(3));
}

/// Files and folders of the tree swapped with links to a secret outside it, back and forth,
/// while dlp-scan runs over the tree again and again: the secret is never read.
#[test]
fn files_and_folders_swapped_for_links_while_scanning_are_never_read_through_them() {
    let t = Tree::new();
    let outside = t.path("outside");
    std::fs::create_dir_all(outside.join("folder")).unwrap();
    std::fs::write(outside.join("secret.txt"), "nat ins JG 10 39 42 A\n").unwrap();
    std::fs::write(outside.join("folder/victim.txt"), "nat ins JG 10 39 42 A\n").unwrap();
    let secret = swap::fingerprints_in(&t, &outside);
    let mut pairs = Vec::new();
    for i in 0..20 {
        pairs.push((t.write(&format!("victim-{i}.txt"), NINO_LINE), outside.join("secret.txt")));
        t.write(&format!("folder-{i}/victim.txt"), NINO_LINE);
        pairs.push((t.root().join(format!("folder-{i}")), outside.join("folder")));
    }
    let swapper = swap::Swapper::start(pairs);
    let mut runs = 0;
    while swapper.swaps() < 1_000 || runs < 10 {
        let (records, _) = t.scan_json(&[]);
        let leaked: Vec<&Value> = records
            .iter()
            .filter(|r| r["type"] == "file")
            .flat_map(|r| r["findings"].as_array().unwrap())
            .flat_map(|f| f["fingerprints"].as_array().unwrap())
            .filter(|f| secret.iter().any(|s| s == f.as_str().unwrap()))
            .collect();
        assert!(leaked.is_empty(), "run {runs}: the secret was read through a link");
        runs += 1;
    }
    assert!(swapper.swaps() >= 1_000);
}

/// As root, a hard link of another user's file in a third user's folder is reported, unread.
#[test]
fn a_hard_link_of_another_users_file_is_reported_without_being_read() {
    if !rustix::process::geteuid().is_root() {
        let _ = writeln!(std::io::stderr(), "skipped: only root can give files to other users");
        return;
    }
    let t = Tree::new();
    let alice = t.path("alice.txt");
    std::fs::write(&alice, "nat ins JG 10 39 42 A\n").unwrap();
    let secret = swap::fingerprints_in(&t, &alice);
    let mallory = t.root().join("mallory");
    std::fs::create_dir(&mallory).unwrap();
    std::os::unix::fs::chown(&alice, Some(5002), Some(5002)).unwrap();
    std::os::unix::fs::chown(&mallory, Some(5001), Some(5001)).unwrap();
    std::fs::hard_link(&alice, mallory.join("copy.txt")).unwrap();
    let (records, out) = t.scan_json(&[]);
    let refused = errors_of_kind(&records, "foreign_hard_link");
    assert_eq!(refused.len(), 1, "{records:#?}");
    assert!(refused[0]["path"].as_str().unwrap().ends_with("mallory/copy.txt"));
    assert!(secret.iter().all(|s| !String::from_utf8_lossy(&out.stdout).contains(s.as_str())));
}

#[test]
fn a_missing_path_is_an_error_record_the_scan_goes_on_and_paths_are_absolute() {
    let t = Tree::new();
    t.write("staff.txt", NINO_LINE);
    let out = t.command().current_dir(t.dir()).args(["--format", "json", "no-such-folder", "home"]).output().unwrap();
    let records = json_lines(&out.stdout);
    let missing = errors_of_kind(&records, "not_found");
    assert_eq!(missing.len(), 1, "{records:#?}");
    assert_eq!(missing[0]["path"], t.path("no-such-folder").display().to_string());
    let staff = file_record(&records, "staff.txt");
    assert_eq!(staff["path"], t.root().join("staff.txt").display().to_string(), "absolute, though given relative");
    assert_eq!(out.status.code(), Some(2), "exit 2 at the end, as ripgrep does");
}

#[test]
fn list_detectors_names_every_detector_file_with_its_examples() {
    let t = Tree::new();
    let out = t.command().arg("--list-detectors").output().unwrap();
    assert!(out.status.success());
    let listing = String::from_utf8(out.stdout).unwrap();
    let files = std::fs::read_dir(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("detectors"))
        .unwrap()
        .filter(|e| e.as_ref().unwrap().path().extension().is_some_and(|x| x == "toml"))
        .count();
    assert_eq!(listing.lines().count(), files + 1, "a header and one line per detector:\n{listing}");
    let nhs = listing.lines().find(|l| l.starts_with("nhs_number ")).expect("nhs_number listed");
    assert!(nhs.contains("identifier"), "{nhs}");
}

#[test]
fn exclude_on_the_command_line_adds_to_the_configured_exclusions() {
    let t = Tree::new();
    t.write("keep/staff.txt", NINO_LINE);
    t.write("build/staff.txt", NINO_LINE);
    let (records, _) = t.scan_json(&["--exclude", "**/build"]);
    let files: Vec<&str> =
        records.iter().filter(|r| r["type"] == "file").map(|r| r["path"].as_str().unwrap()).collect();
    assert_eq!(files.len(), 1, "{files:?}");
    assert!(files[0].ends_with("keep/staff.txt"));
    let (_, out) = t.scan_json(&["--exclude", "a["]);
    assert_eq!(out.status.code(), Some(2), "a bad glob is a fatal error");
    assert!(String::from_utf8_lossy(&out.stderr).contains("--exclude"));
}

#[test]
fn the_man_page_and_completions_come_from_the_argument_definitions() {
    let t = Tree::new();
    let man = t.command().args(["--generate", "man"]).output().unwrap();
    let page = String::from_utf8(man.stdout).unwrap();
    assert!(page.contains(".TH dlp-scan 1") && page.contains("fail\\-on\\-incomplete"), "{page}");
    let files = page.find(".SH FILES").expect("a FILES section");
    let examples = page.find(".SH EXAMPLES").expect("an EXAMPLES section");
    assert!(files < examples && examples < page.find(".SH VERSION").unwrap(), "where man pages have them");
    assert!(page.contains("fingerprint.key") && page.contains("/etc/dlp\\-scan/config.toml"), "{page}");
    assert!(page.contains("| dlp\\-scan \\-\\fR"), "standard input among the examples: {page}");
    let bash = t.command().args(["--generate", "bash"]).output().unwrap();
    assert!(String::from_utf8(bash.stdout).unwrap().contains("--list-detectors"));
    let agent = Command::new(env!("CARGO_BIN_EXE_dlp-agent")).args(["--generate", "zsh"]).output().unwrap();
    assert!(String::from_utf8(agent.stdout).unwrap().contains("check-config"));
}

/// A minimal Word document: `paragraphs`, then a table of `rows` (cells separated by `|`).
pub(crate) fn docx(paragraphs: &[&str], rows: &[&str]) -> Vec<u8> {
    use zip::write::SimpleFileOptions;
    let para = |t: &str| format!("<w:p><w:r><w:t>{t}</w:t></w:r></w:p>");
    let row = |r: &str| {
        let cells: String = r.split('|').map(|c| format!("<w:tc>{}</w:tc>", para(c))).collect();
        format!("<w:tr>{cells}</w:tr>")
    };
    let body = format!(
        "{}<w:tbl>{}</w:tbl>",
        paragraphs.iter().map(|p| para(p)).collect::<String>(),
        rows.iter().map(|r| row(r)).collect::<String>()
    );
    let document = format!(
        "<?xml version=\"1.0\"?><w:document xmlns:w=\"http://schemas.openxmlformats.org/wordprocessingml/2006/main\"><w:body>{body}</w:body></w:document>"
    );
    let mut out = std::io::Cursor::new(Vec::new());
    let mut zip = zip::ZipWriter::new(&mut out);
    zip.start_file("[Content_Types].xml", SimpleFileOptions::default()).unwrap();
    zip.write_all(
        b"<?xml version=\"1.0\"?><Types xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\"/>",
    )
    .unwrap();
    zip.start_file("word/document.xml", SimpleFileOptions::default()).unwrap();
    zip.write_all(document.as_bytes()).unwrap();
    zip.finish().unwrap();
    out.into_inner()
}

/// The distinct counting values and the tier of one detector in one file.
fn counted(records: &[Value], name: &str, detector: &str) -> (u64, String) {
    let f = finding(file_record(records, name), detector).unwrap_or_else(|| panic!("{name}: no {detector}"));
    (f["count"].as_u64().unwrap(), f["confidence"].as_str().unwrap().to_string())
}

#[test]
fn a_header_row_below_titles_markings_and_paragraphs_gives_its_columns_context() {
    let t = Tree::new();
    let rows = [
        ("Ava Testperson", "406 420 6428", "18/06/1956"),
        ("Ben Testperson", "430 172 0367", "18/12/1978"),
        ("Cara Testperson", "460 096 8077", "26/09/1964"),
    ];
    let table = |sep: &str| -> String {
        let mut s = format!("Name{sep}NHS number{sep}Date of birth{sep}Clinic\n");
        for (name, nhs, dob) in rows {
            s.push_str(&format!("{name}{sep}{nhs}{sep}{dob}{sep}Physiotherapy\n"));
        }
        s
    };
    t.write("titled.csv", format!("Physiotherapy clinic list - week 48\n\n{}", table(",")));
    t.write("excel-title.csv", format!("Clinic list,,,\n,,,\n{}", table(",")));
    t.write("semicolons.csv", format!("OFFICIAL-SENSITIVE: PERSONAL\n{}", table(";")));
    t.write("pipes.txt", format!("Clinic list\n{}", table(" | ")));
    t.write("utf16.txt", utf16(&format!("Clinic list\r\n\r\n{}", table("\t").replace('\n', "\r\n")), true, true));
    let word_rows: Vec<String> = std::iter::once("Name|NHS number|Date of birth".to_string())
        .chain(rows.iter().map(|(n, nhs, dob)| format!("{n}|{nhs}|{dob}")))
        .collect();
    let word_rows: Vec<&str> = word_rows.iter().map(String::as_str).collect();
    t.write("letter.docx", docx(&["Dear colleagues,", "The clinic list for week 48 follows."], &word_rows));
    let xlsx =
        std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/fixtures/clinic-list-titled.xlsx")).unwrap();
    t.write("clinic-list.xlsx", xlsx);
    let (records, _) = t.scan_json(&[]);
    for name in ["titled.csv", "excel-title.csv", "semicolons.csv", "pipes.txt", "utf16.txt", "letter.docx"] {
        assert_eq!(counted(&records, name, "date_of_birth"), (3, "high".to_string()), "{name}");
        assert_eq!(counted(&records, name, "nhs_number"), (3, "high".to_string()), "{name}");
    }
    // The openpyxl workbook of the issue: a title row and a blank row above 12 patients.
    assert_eq!(counted(&records, "clinic-list.xlsx", "date_of_birth"), (12, "high".to_string()));
    assert_eq!(counted(&records, "clinic-list.xlsx", "nhs_number"), (12, "high".to_string()));
    assert_eq!(file_record(&records, "clinic-list.xlsx")["classification"], "highly_confidential");
}

#[test]
fn markings_are_lines_as_written_and_code_constants_are_not() {
    let t = Tree::new();
    t.write("board.txt", "Highly Confidential - Executive Board only\n\nProject Heron: merger briefing.\n");
    t.write("visa.txt", "OFFICIAL-SENSITIVE: PERSONAL\n\nNote of a meeting with the liaison officer.\n");
    t.write("council.txt", "Draft for discussion – not approved\n\nCouncil paper C26/14: fee schedule.\n");
    t.write("panel.txt", "Confidential – not for circulation\nPanel papers for the appeal.\n");
    t.write(
        "title-cell.csv",
        "HIGHLY CONFIDENTIAL – patient-level data, REC 25/NW/0112\n\nStudy ID,NHS Number,Date of Birth,Diagnosis\n\
         CS-01,483 604 4502,12/03/1961,Type 2 diabetes\nCS-02,401 023 2137,30/11/1974,Asthma\n",
    );
    t.write(
        "config.py",
        "\"\"\"Survey export settings.\"\"\"\nRESTRICTED_FIELDS = (\"NHS_NO\", \"DOB\")\nPROTECTION_LEVEL_ENUM = (\n    \
         \"PUBLIC\",\n    \"RESTRICTED\",\n)\nSECRET_MISSING_MESSAGE = (\n    \"set TOKEN\"\n)\nTOP_SECRET = 3\n",
    );
    t.write("levels.java", "enum Level {\n    PUBLIC,\n    RESTRICTED,\n    SECRET\n}\n");
    t.write("settings.yaml", "SECRET: true\nRESTRICTED: 3\n");
    t.write(
        "history.txt",
        "Revision history\nVersion\nDate\nStatus\n0.1\n01/03/2024\nDraft\n1.0\n01/04/2024\nApproved\n",
    );
    let (records, _) = t.scan_json(&[]);
    let category = |name: &str| file_record(&records, name)["classification"].as_str().unwrap().to_string();
    assert_eq!(counted(&records, "board.txt", "marking.highly_confidential"), (1, "high".to_string()));
    assert_eq!(category("board.txt"), "highly_confidential");
    assert_eq!(counted(&records, "visa.txt", "marking.government"), (1, "high".to_string()));
    assert_eq!(category("visa.txt"), "highly_confidential");
    assert_eq!(counted(&records, "council.txt", "marking.draft"), (1, "high".to_string()));
    assert_eq!(category("council.txt"), "confidential");
    assert_eq!(counted(&records, "panel.txt", "marking.confidential"), (1, "high".to_string()));
    let title = file_record(&records, "title-cell.csv");
    assert_eq!(counted(&records, "title-cell.csv", "marking.highly_confidential"), (1, "high".to_string()));
    assert_eq!(counted(&records, "title-cell.csv", "nhs_number"), (2, "high".to_string()));
    assert_eq!(counted(&records, "title-cell.csv", "date_of_birth"), (2, "high".to_string()));
    assert_eq!(title["classification"], "highly_confidential");
    assert!(title["violations"].as_array().unwrap().is_empty(), "labelled, so no unlabelled_highly_confidential");
    for code in ["config.py", "levels.java", "settings.yaml"] {
        assert!(
            !records.iter().any(|r| r["path"].as_str().is_some_and(|p| p.ends_with(code))),
            "{code}: constants, enum values and settings are not markings"
        );
    }
    assert_eq!(category("history.txt"), "not_sensitive", "a revision-history status cell is not a marking");
}

#[test]
fn dates_of_birth_are_found_as_people_and_excel_write_them() {
    let t = Tree::new();
    let lines = [
        "Applicant (US transcript): Jamie Testperson, DOB: 5/25/1989",
        "Date of birth: 03-Mar-1985",
        "DOB: 3-Mar-85",
        "Born: March 3, 1985 in Leeds",
        "Date of birth: 3rd of March 1985",
        "Date of birth: 1985/03/03",
        "Date of birth: 03/03/1985",
    ];
    for (i, line) in lines.iter().enumerate() {
        t.write(&format!("dob-{i}.txt"), format!("{line}\n"));
    }
    t.write(
        "excel.csv",
        "Name,Date of birth,Department\nKit Testperson,19-Jul-84,Chemistry\nLou Testperson,2-Nov-91,Chemistry\n\
         Max Testperson,28-Feb-77,Chemistry\n",
    );
    t.write("dictionary.txt", "Field | Type | Notes\nDate of birth | date | e.g. 01/01/1970\n");
    let xlsx = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/fixtures/dob-m-d-yyyy.xlsx")).unwrap();
    t.write("m-d-yyyy.xlsx", xlsx);
    let (records, _) = t.scan_json(&[]);
    for (i, line) in lines.iter().enumerate() {
        let name = format!("dob-{i}.txt");
        assert_eq!(counted(&records, &name, "date_of_birth"), (1, "high".to_string()), "{line}");
        assert_eq!(file_record(&records, &name)["classification"], "confidential");
    }
    assert_eq!(counted(&records, "excel.csv", "date_of_birth"), (3, "high".to_string()));
    assert_eq!(counted(&records, "m-d-yyyy.xlsx", "date_of_birth"), (3, "high".to_string()));
    assert_eq!(counted(&records, "dictionary.txt", "date_of_birth"), (1, "low".to_string()));
    assert_eq!(file_record(&records, "dictionary.txt")["classification"], "not_sensitive");
}

/// Runs a key-generating tool; the key goes to a file of the temporary tree, never into the source.
fn generate(program: &str, args: &[&str]) -> bool {
    Command::new(program).args(args).output().is_ok_and(|o| o.status.success())
}

/// Base64 of `n` bytes that change with `seed`: the body of a synthetic key file.
fn base64_noise(n: usize, seed: u8) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    (0..n).map(|i| ALPHABET[(i * 37 + usize::from(seed) * 11 + i * i) % 64] as char).collect()
}

#[test]
fn credentials_are_found_as_people_keep_them() {
    let t = Tree::new();
    let notes = [
        "Lab server root password: Nil1Jiifoov6Oodieb6ahF5ihohboht3gehookGe",
        "Guest Wi-Fi (Room 2.14) password: Password2024!",
        "Finance share admin password: Xk9{q}Lm2#vT",
        "Backup NAS password: $unsh1ne!Day42",
        "Payroll system password: coffee-train-fish",
        "Hi Sam, the password is Tr0ub4dor&3 for the HR drive, please don't share it.",
        "SITS service account password: MySecret#2026",
        "export PGPASSWORD=Kx7-harbour-91",
        "mysql -u root -p'S3cr3t!Lab' research",
        "sshpass -p 'Bl4ck-Cat' ssh admin@backup",
        "DATABASES = {'default': {'USER': 'etl', 'PASSWORD': 'Vq8#mLz2Rt'}}",
        "db:\n  user: etl\n  password: Wq3!rTy7Pz\n",
        "DATABASE_URL=postgres://etl_user:W1nter-Fjord@db.example.ac.uk:5432/research",
    ];
    for (i, note) in notes.iter().enumerate() {
        t.write(&format!("note-{i}.txt"), format!("{note}\n"));
    }
    t.write(
        "alice/Dropbox/chrome-passwords.csv",
        "name,url,username,password,note\nportal,https://portal.example.ac.uk/login,jdoe7,Kestrel-Harbour-58!,\n\
         mail,https://mail.example.com/,j.doe.personal,tq8#Vw2mZr,\n",
    );
    t.write(
        "keepass.csv",
        "\"Account\",\"Login Name\",\"Password\",\"Web Site\",\"Comments\"\n\
         \"Finance system\",\"fin-admin3\",\"Birch*Lagoon*77\",\"https://finance.example.ac.uk\",\"\"\n\
         \"VPN\",\"jdoe7\",\"R0bin!Meadow\",\"\",\"\"\n",
    );
    t.write(
        "bitwarden.csv",
        "folder,favorite,type,name,notes,fields,reprompt,login_uri,login_username,login_password,login_totp\n\
         ,,login,Library,,,0,https://lib.example.ac.uk,ann,Heron!Quay-42,\n,,login,HR,,,0,https://hr.example.ac.uk,ann,Zx8#Pl0m,\n",
    );
    t.write(
        "placeholders.txt",
        "password: changeme\npassword = ${DB_PASSWORD}\npassword: <password>\npassword: xxxx\npassword: ********\n\
         export PGPASSWORD=$PGPASS\nurl = postgres://user:password@localhost/db\n",
    );
    let (records, _) = t.scan_json(&[]);
    for (i, note) in notes.iter().enumerate() {
        let name = format!("note-{i}.txt");
        assert_eq!(counted(&records, &name, "credential.password"), (1, "medium".to_string()), "{note}");
        assert_eq!(file_record(&records, &name)["classification"], "confidential");
    }
    for name in ["chrome-passwords.csv", "keepass.csv", "bitwarden.csv"] {
        assert_eq!(counted(&records, name, "credential.password"), (2, "medium".to_string()), "{name}");
    }
    let chrome = file_record(&records, "chrome-passwords.csv");
    assert!(chrome["violations"].as_array().unwrap().iter().any(|v| v["rule"] == "credential_exposed"));
    assert!(
        !records.iter().any(|r| r["path"].as_str().is_some_and(|p| p.ends_with("placeholders.txt"))),
        "placeholders are not passwords"
    );
}

#[test]
fn private_keys_are_found_in_every_serialisation() {
    let t = Tree::new();
    let keys = t.path("keys");
    std::fs::create_dir(&keys).unwrap();
    let pem = keys.join("sa.pem");
    let pem_arg = pem.to_str().unwrap();
    let rsa = ["genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", pem_arg];
    assert!(generate("openssl", &rsa), "the test makes its keys with openssl");
    let key = std::fs::read_to_string(&pem).unwrap();
    let json = serde_json::json!({
        "type": "service_account",
        "project_id": "uni-research-synthetic-0001",
        "private_key_id": "3f9c2a7d1e0b4c6a8f5d2e1b0a9c8d7e6f5a4b3c",
        "private_key": key,
        "client_email": "etl-runner@uni-research-synthetic-0001.iam.gserviceaccount.com",
    });
    t.write("alice/Dropbox/uni-research-etl-3f9c2a7d1e0b.json", serde_json::to_string_pretty(&json).unwrap());
    t.write("k8s-secret.yaml", format!("private_key: \"{}\"\n", key.replace('\n', "\\n")));
    // Where a key lies does not make it an example: a key under a package's `examples/` folder is
    // as usable as one in `~/.ssh`, and a copy of it may be in use. It is found, at high confidence.
    t.write("share/doc/libfoo-perl/examples/server_key.pem", &key);
    let encrypted = keys.join("enc.pem");
    let args = ["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-aes256", "-pass", "pass:x"];
    assert!(generate("openssl", &[&args[..], &["-out", encrypted.to_str().unwrap()]].concat()));
    t.write("encrypted.pem", std::fs::read(&encrypted).unwrap());
    let ssh = keys.join("id_ed25519");
    if generate("ssh-keygen", &["-q", "-t", "ed25519", "-N", "", "-C", "test", "-f", ssh.to_str().unwrap()]) {
        t.write("id_ed25519", std::fs::read(&ssh).unwrap());
    }
    t.write(
        "server.ppk",
        format!(
            "PuTTY-User-Key-File-3: ssh-ed25519\nEncryption: none\nComment: test\nPublic-Lines: 2\n{}\n{}\n\
             Private-Lines: 1\n{}\nPrivate-MAC: {}\n",
            base64_noise(64, 1),
            base64_noise(16, 2),
            base64_noise(44, 3),
            "0".repeat(64)
        ),
    );
    t.write(
        "secret-key.asc",
        format!(
            "-----BEGIN PGP PRIVATE KEY BLOCK-----\n\n{}\n{}\n-----END PGP PRIVATE KEY BLOCK-----\n",
            base64_noise(64, 4),
            base64_noise(64, 5)
        ),
    );
    t.write("public.json", "{\"key\": \"-----BEGIN PUBLIC KEY-----\\nMIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAu1SU1LfVLPHCozMxH2Mo\\n\"}\n");
    let (records, _) = t.scan_json(&[]);
    let mut names = vec![
        "uni-research-etl-3f9c2a7d1e0b.json",
        "k8s-secret.yaml",
        "encrypted.pem",
        "server.ppk",
        "secret-key.asc",
        "examples/server_key.pem",
    ];
    if std::path::Path::new(&t.root().join("id_ed25519")).exists() {
        names.push("id_ed25519");
    }
    for name in names {
        assert_eq!(counted(&records, name, "credential.private_key"), (1, "high".to_string()), "{name}");
        assert_eq!(file_record(&records, name)["classification"], "confidential", "{name}");
    }
    let sa = file_record(&records, "uni-research-etl-3f9c2a7d1e0b.json");
    assert!(sa["violations"].as_array().unwrap().iter().any(|v| v["rule"] == "credential_exposed"));
    assert!(!records.iter().any(|r| r["path"].as_str().is_some_and(|p| p.ends_with("public.json"))));
}

#[test]
fn union_party_and_offence_data_count_only_when_attached_to_people() {
    let t = Tree::new();
    t.write(
        "union-subscriptions.csv",
        "Payroll No,Name,Union,Monthly Subscription (GBP)\nP104233,Gareth Lloyd,UNISON,14.10\n\
         P104871,Helen Osei,UCU,19.75\nP105002,Ravi Menon,Unite,12.40\nP105316,Claire Doyle,GMB,11.95\n",
    );
    t.write(
        "society-members.csv",
        "Society,Member,Student Email,Role\nConservative Association,Tom Ashworth,t.ashworth-1187@student.example.ac.uk,Treasurer\n\
         Labour Club,Aisha Rahman,a.rahman-2231@student.example.ac.uk,Member\n\
         Green Party Society,Owen Price,o.price-1940@student.example.ac.uk,Secretary\n\
         Liberal Democrats Society,Mei Chen,m.chen-2075@student.example.ac.uk,Member\n",
    );
    t.write(
        "dbs-panel.txt",
        "Enhanced DBS disclosures for panel review\nApplicant | Date of Birth | Role | Disclosure\n\
         Sam Whitfield | 04/09/1983 | Lab technician | Caution: possession of a controlled substance (2015)\n\
         Karen Bell | 17/01/1979 | Residence warden | Conviction: theft from an employer (2012), spent\n\
         David Okafor | 23/06/1990 | Research assistant | No trace\n",
    );
    t.write(
        "recognition-agreement.txt",
        "Recognition agreement between the University and its recognised trade unions\n\
         The University recognises UCU, UNISON, Unite and GMB for collective bargaining.\n\
         Each union may nominate representatives to the joint negotiating committee.\nContact: hr@lboro.ac.uk\n",
    );
    t.write(
        "politics-reading.txt",
        "Week 3: the Labour Party and the Conservative Party since 1945; party membership and voting.\n",
    );
    let (records, _) = t.scan_json(&[]);
    assert_eq!(counted(&records, "union-subscriptions.csv", "special_category.trade_union"), (4, "medium".to_string()));
    assert_eq!(
        counted(&records, "society-members.csv", "special_category.political_opinion"),
        (4, "medium".to_string())
    );
    assert_eq!(counted(&records, "dbs-panel.txt", "criminal_offence").1, "medium");
    assert_eq!(counted(&records, "dbs-panel.txt", "date_of_birth"), (3, "high".to_string()));
    for name in ["union-subscriptions.csv", "society-members.csv", "dbs-panel.txt"] {
        assert_eq!(file_record(&records, name)["classification"], "confidential", "{name}");
    }
    for name in ["recognition-agreement.txt", "politics-reading.txt"] {
        let special =
            records.iter().filter(|r| r["path"].as_str().is_some_and(|p| p.ends_with(name))).any(|r| {
                r["findings"].as_array().unwrap().iter().any(|f| {
                    f["detector"].as_str().unwrap().starts_with("special_category") && f["confidence"] != "low"
                })
            });
        assert!(!special, "{name}: unions and parties named, nobody's membership");
    }
}

#[test]
fn barcodes_message_ids_software_labels_and_papers_are_not_personal_data() {
    let t = Tree::new();
    let mut consumables = String::from("Item,Supplier,Barcode,Qty,Unit price\n");
    for (item, ean) in [
        ("Nitrile gloves M", "4001234500423"),
        ("Pipette tips 200ul", "4001234501611"),
        ("Petri dishes 90mm", "4001234502106"),
        ("Ethanol 70% 1L", "4001234502809"),
        ("Centrifuge tubes 50ml", "4001234504698"),
        ("Lab markers", "4001234505398"),
    ] {
        consumables.push_str(&format!("{item},Carl Roth GmbH,{ean},5,3.50\n"));
    }
    t.write("lab-consumables.csv", consumables);
    let mut mbox = String::new();
    for i in 0..5 {
        mbox.push_str(&format!(
            "From MAILER-DAEMON Thu Aug 12 18:00:25 2010\nFrom: \"Alice Carter\" <alice.carter@gmail.com>\n\
             To: \"Bob Evans\" <bob.evans@gmail.com>\nSubject: Meeting notes {i}\nDate: Thu, 12 Aug 2010 18:0{i}:25 +0800\n\
             Message-ID: <20100812180{i}4995523550@gmail.com>\nIn-Reply-To: <2009062610{i}9103758227@gmail.com>\n\
             References: <2009062610{i}9103758227@gmail.com>\n <2009062611{i}9103758227@gmail.com>\n\
             Content-Type: multipart/alternative; boundary=\"b{i}\"\n\n--b{i}\nContent-Type: text/html\n\
             Content-ID: <4C641BD{i}.9080500@gmail.com>\n\n<p>See you on Friday.</p>\n--b{i}--\n\n"
        ));
    }
    t.write("messages.mbox", mbox);
    t.write(
        "cvs-label.txt",
        "Release matrix\n- column \"Module\": the application code of the module\n  EN_A\n\
         - column \"Label\": the CVS label of the module\n  EN197000A\n",
    );
    t.write(
        "research-abstract.txt",
        "Exposure to polychlorinated biphenyls measured shortly after giving birth and subsequent risk of maternal breast cancer\n\
         B. A. Cohn, Child Health and Development Studies, Public Health Institute, Berkeley, CA, USA\n\
         e-mail: b.cohn@chds-research.org\nAbstract: We tested the hypothesis that PCBs measured during the early \
         postpartum predict increased risk of breast cancer diagnosed before age 50.\n",
    );
    t.write("card.txt", "Card number 4759 5912 4329 7 expires 09/27\n");
    let (records, _) = t.scan_json(&[]);
    // 20 distinct message and part ids beside 2 addresses: ids counted as contacts would make a
    // contact list (10 or more).
    for name in ["lab-consumables.csv", "messages.mbox", "cvs-label.txt", "research-abstract.txt"] {
        assert_eq!(file_record(&records, name)["classification"], "not_sensitive", "{name}");
    }
    assert_eq!(counted(&records, "lab-consumables.csv", "payment_card"), (6, "low".to_string()));
    assert_eq!(counted(&records, "cvs-label.txt", "uk_nino"), (1, "low".to_string()));
    assert_eq!(counted(&records, "research-abstract.txt", "special_category.health").1, "low");
    assert_eq!(file_record(&records, "card.txt")["classification"], "confidential", "a card is still a card");
}

#[test]
fn the_csv_report_has_one_row_per_file_and_parses_back() {
    let t = audit_tree();
    let out = t.command().args(["--format", "csv"]).arg(t.root()).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let mut csv = csv::Reader::from_reader(out.stdout.as_slice());
    let header: Vec<String> = csv.headers().unwrap().iter().map(str::to_string).collect();
    assert_eq!(
        header,
        ["path", "category", "location", "provider", "encrypted", "violations", "detectors", "partial_reasons"]
    );
    let rows: Vec<csv::StringRecord> = csv.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 5, "every file with something to report, the clean one left out: {rows:?}");
    let patients = &rows[0];
    assert!(patients[0].ends_with("2024 referrals/patients.csv"), "most sensitive first: {rows:?}");
    assert_eq!(&patients[1], "highly_confidential");
    assert_eq!((&patients[2], &patients[3], &patients[4]), ("unmanaged_cloud", "dropbox", "false"));
    assert_eq!(
        patients[5].split(';').collect::<Vec<_>>(),
        ["highly_confidential_in_unmanaged_cloud:critical", "unlabelled_highly_confidential:medium"]
    );
    assert!(patients[6].split(';').any(|d| d == "nhs_number:1"), "{patients:?}");
    let backup = rows.iter().find(|r| r[0].ends_with("backup.zip")).unwrap();
    assert_eq!((&backup[2], &backup[4]), ("local", "true"));
}

/// The paths of the file records of a JSON run.
fn file_paths(records: &[Value]) -> Vec<String> {
    let mut paths: Vec<String> =
        records.iter().filter(|r| r["type"] == "file").map(|r| r["path"].as_str().unwrap().to_string()).collect();
    paths.sort();
    paths
}

#[test]
fn severity_and_category_filters_shape_what_is_shown_not_what_is_counted() {
    let t = audit_tree();
    let (records, out) = t.scan_json(&["--min-severity", "critical"]);
    assert_eq!(out.status.code(), Some(1));
    let shown = file_paths(&records);
    assert_eq!(shown.len(), 1, "{shown:?}");
    assert!(shown[0].ends_with("patients.csv"));
    let counted =
        summary(&records)["violations"].as_object().unwrap().values().map(|v| v.as_u64().unwrap()).sum::<u64>();
    assert_eq!(counted, 3, "the summary counts every violation");

    let human = t.command().args(["--min-severity", "high"]).arg(t.root()).output().unwrap();
    let human = String::from_utf8(human.stdout).unwrap();
    assert!(human.contains("CRITICAL  ") && human.contains("HIGH  ") && !human.contains("MEDIUM  "), "{human}");
    assert!(!human.contains("letter.txt"), "no violation, not shown: {human}");
    assert!(human.contains("Violations: 3 (1 critical, 1 high, 1 medium)"), "totals count everything: {human}");

    let out = t
        .command()
        .args(["--format", "csv", "--category", "public", "--category", "not_sensitive"])
        .arg(t.root())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "the exit status still counts the violations not shown");
    let mut csv = csv::Reader::from_reader(out.stdout.as_slice());
    let mut names: Vec<String> = csv.records().map(|r| r.unwrap()[0].rsplit('/').next().unwrap().to_string()).collect();
    names.sort();
    assert_eq!(names, ["backup.zip", "letter.txt", "open-day.txt"], "an encrypted file's category is not_sensitive");
}

#[test]
fn quiet_prints_nothing_on_stdout_and_names_unreadable_paths_on_stderr() {
    let t = audit_tree();
    let missing = t.path("no-such-folder");
    for format in [None, Some("json")] {
        let mut cmd = t.command();
        cmd.arg("--quiet").args(format.map(|f| ["--format", f]).into_iter().flatten());
        let out = cmd.arg(t.root()).arg(&missing).output().unwrap();
        assert!(out.stdout.is_empty(), "{format:?}: {}", String::from_utf8_lossy(&out.stdout));
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(&format!("dlp-scan: {}:", missing.display())), "{stderr}");
        assert_eq!(out.status.code(), Some(2), "a missing path");
    }
    let out = t.command().arg("-q").arg(t.root()).output().unwrap();
    assert_eq!((out.status.code(), out.stdout.is_empty()), (Some(1), true), "the exit status tells the result");
}

#[test]
fn summary_shows_only_the_totals() {
    let t = audit_tree();
    let out = t.command().arg("--summary").arg(t.root()).output().unwrap();
    let report = String::from_utf8(out.stdout).unwrap();
    let (origin, totals) = report.split_once("\n\n").unwrap_or_default();
    assert!(origin.starts_with("Host "), "what the totals are of: {report}");
    assert!(totals.starts_with("TOTALS") && report.contains("Violations: 3 (1 critical"), "{report}");
    assert!(!report.contains("patients.csv"), "{report}");
    let (records, out) = t.scan_json(&["--summary"]);
    assert_eq!(records.len(), 1, "only the summary record");
    assert_eq!((records[0]["type"].as_str(), out.status.code()), (Some("summary"), Some(1)));
    let out = t.command().args(["--summary", "--format", "csv"]).arg(t.root()).output().unwrap();
    assert_eq!(out.status.code(), Some(2), "a CSV of totals only is not a thing");
}

#[test]
fn files_from_reads_paths_by_line_or_by_nul_and_from_standard_input() {
    let t = Tree::new();
    let a = t.write("a.txt", NINO_LINE);
    let b = t.write("b\nwith a new line.txt", NINO_LINE);
    t.write("not-listed.txt", NINO_LINE);
    let list = t.path("list.txt");
    std::fs::write(&list, format!("{}\r\n\n", a.display())).unwrap();
    let (records, _) = {
        let out = t.command().args(["--format", "json", "--files-from"]).arg(&list).output().unwrap();
        (json_lines(&out.stdout), out)
    };
    assert_eq!(file_paths(&records), [a.display().to_string()], "one per line, a Windows line end dropped");

    let mut child = t
        .command()
        .args(["--format", "json", "--files-from", "-"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let nul_separated = format!("{}\0{}\0", a.display(), b.display());
    child.stdin.take().unwrap().write_all(nul_separated.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    let mut expected = vec![a.display().to_string(), b.display().to_string()];
    expected.sort();
    assert_eq!(file_paths(&json_lines(&out.stdout)), expected, "NUL-separated, a name with a new line whole");
}

#[cfg(target_os = "linux")]
#[test]
fn a_dash_scans_standard_input_and_a_named_pipe_says_why_it_is_not_read() {
    let t = Tree::new();
    let piped = |args: &[&str], input: &[u8]| {
        let mut child = t
            .command()
            .args(args)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        // A scan that stops reading early closes the pipe: a failed write is its business.
        let _ = child.stdin.take().unwrap().write_all(input);
        child.wait_with_output().unwrap()
    };

    let out = piped(&["--format", "json", "-"], NINO_LINE.as_bytes());
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let records = json_lines(&out.stdout);
    let record = file_record(&records, "<stdin>");
    assert_eq!(record["path"], "<stdin>");
    assert_eq!(record["location"]["kind"], "local");
    assert!(finding(record, "uk_nino").is_some());
    assert_eq!(summary(&records)["files_scanned"], 1);

    let docx = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/fixtures/letter.docx")).unwrap();
    let records = json_lines(&piped(&["--format", "json", "-"], &docx).stdout);
    assert_eq!(file_record(&records, "<stdin>")["format"], "docx", "sniffed like a file");

    let small = t.path("small.toml");
    std::fs::write(&small, "[scan]\nmax_file_size = \"32 B\"\n").unwrap();
    let config = small.to_str().unwrap();
    let out = piped(&["--format", "json", "--config", config, "--fail-on-incomplete", "-"], NINO_LINE.as_bytes());
    assert_eq!(out.status.code(), Some(3), "over the cap is incomplete, never clean");
    let records = json_lines(&out.stdout);
    assert_eq!(errors_of_kind(&records, "too_large")[0]["path"], "<stdin>");
    assert_eq!(summary(&records)["skipped"]["too_large"], 1);

    let out = piped(&["--format", "json", "/dev/stdin"], NINO_LINE.as_bytes());
    assert_eq!(out.status.code(), Some(0));
    let records = json_lines(&out.stdout);
    assert_eq!(errors_of_kind(&records, "special_file")[0]["path"], "/dev/stdin", "said, not silent");
    assert_eq!(summary(&records)["skipped"]["special_file"], 1);

    let folder_link = t.path("folder-link");
    std::os::unix::fs::symlink(t.root(), &folder_link).unwrap();
    t.write("a.txt", NINO_LINE);
    let out = t.command().args(["--format", "json"]).arg(&folder_link).output().unwrap();
    let records = json_lines(&out.stdout);
    assert!(errors_of_kind(&records, "special_file").is_empty(), "a root link to a folder is entered");
    assert_eq!(summary(&records)["files_scanned"], 1);
    let file_link = t.path("file-link.txt");
    std::os::unix::fs::symlink(t.root().join("a.txt"), &file_link).unwrap();
    let out = t.command().args(["--format", "json"]).arg(&file_link).output().unwrap();
    assert!(
        finding(file_record(&json_lines(&out.stdout), "file-link.txt"), "uk_nino").is_some(),
        "a named link is followed"
    );

    let out = piped(&["--files-from", "-", "-"], b"");
    assert_eq!(out.status.code(), Some(2), "standard input cannot be read twice");
}

/// Debian's `chromium` on PATH, for the HTML report's tests.
fn chromium() -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path).map(|dir| dir.join("chromium")).find(|p| p.is_file())
}

/// Runs headless Chromium, isolated from the network and the user's profile, on `page` with
/// `what` (`--dump-dom`, `--screenshot=...`) in a window of `size` (`1400,1600`); its stdout.
fn headless(chromium: &std::path::Path, page: &std::path::Path, what: &str, size: &str) -> Vec<u8> {
    let profile = tempfile::tempdir().unwrap();
    let out = Command::new("timeout")
        .arg("120")
        .arg(chromium)
        .args(["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        .args(["--disable-component-update", "--no-first-run", "--hide-scrollbars"])
        .arg(format!("--window-size={size}"))
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg(what)
        .arg(format!("file://{}", page.display()))
        .output()
        .unwrap();
    assert!(out.status.success(), "chromium: {}", String::from_utf8_lossy(&out.stderr));
    out.stdout
}

#[test]
fn the_html_report_opens_in_a_browser_with_the_violations_first() {
    let Some(chromium) = chromium() else {
        let _ = writeln!(std::io::stderr(), "skipped: `chromium` is not installed (Debian: apt-get install chromium)");
        return;
    };
    let t = audit_tree();
    let long_name = "alice/Documents/an_export_folder_named_without_any_spaces_by_a_script/2024_staff_list_with_national_insurance_numbers.csv";
    t.write(long_name, "Name,NI number\nAnn,AB 12 34 56 C\n");
    let out = t.command().args(["--format", "html"]).arg(t.root()).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let page = t.path("report.html");
    std::fs::write(&page, &out.stdout).unwrap();
    let source = String::from_utf8(out.stdout).unwrap();
    for external in ["http:", "https:", "//", "src=", "href=", "url(", "@import"] {
        assert!(!source.contains(external), "the page references {external:?}");
    }

    let dom = String::from_utf8(headless(&chromium, &page, "--dump-dom", "1400,1600")).unwrap();
    assert!(dom.contains("<p id=\"origin\">Host ") && dom.contains("scan started 20"), "what the report is of");
    let violations = dom.find("<table id=\"violations\">").expect("a violations table");
    let inventory = dom.find("<table id=\"inventory\"").expect("an inventory table");
    assert!(violations < inventory, "violations before the inventory");
    let violations_table = &dom[violations..dom[violations..].find("</table>").unwrap() + violations];
    // Paths may break after each `/` (a <wbr>), which a person does not see.
    let first_row = violations_table.split("<tr>").nth(2).expect("a violation").replace("<wbr>", "");
    assert!(first_row.contains("critical") && first_row.contains("2024 referrals/patients.csv"), "{first_row}");
    assert!(first_row.contains("move it to the university"), "with what to do: {first_row}");
    assert!(dom.contains("<svg id=\"chart\""), "the chart of categories by location");

    let shot = t.path("report.png");
    headless(&chromium, &page, &format!("--screenshot={}", shot.display()), "1400,1600");
    let png = std::fs::read(&shot).expect("a screenshot");
    assert!(png.starts_with(b"\x89PNG") && png.len() > 10_000, "a page was drawn");

    // In a 1200 px window nothing is wider than the window: long paths wrap in their cells. The
    // page's own script may run inline (its Content-Security-Policy), so a copy measures itself.
    let measure =
        "<script>var d = document.documentElement; var tables = Array.from(document.querySelectorAll('table')); \
        document.body.dataset.fits = d.scrollWidth <= d.clientWidth && tables.every(function (t) { \
        return t.getBoundingClientRect().right <= d.clientWidth; });</script></body>";
    let measured = t.path("measured.html");
    std::fs::write(&measured, source.replace("</body>", measure)).unwrap();
    let dom = String::from_utf8(headless(&chromium, &measured, "--dump-dom", "1200,900")).unwrap();
    assert!(dom.contains("data-fits=\"true\""), "the page fits a 1200 px window");
}

#[test]
fn filters_leave_the_configured_sinks_whole_and_unfiltered_stdout_shares_their_event_ids() {
    let t = audit_tree();
    let events = t.path("events.jsonl");
    let cfg = t.path("sink.toml");
    std::fs::write(&cfg, format!("[[sinks]]\ntype = \"file\"\npath = \"{}\"\nformat = \"json\"\n", events.display()))
        .unwrap();
    let ids = |records: &[Value]| -> Vec<String> {
        records.iter().map(|r| r["event_id"].as_str().unwrap().to_string()).collect()
    };
    let (printed, _) = t.scan_json(&["--config", cfg.to_str().unwrap()]);
    let written = json_lines(&std::fs::read(&events).unwrap());
    assert_eq!(ids(&printed), ids(&written), "one event, one id, on stdout and in the sink");

    std::fs::remove_file(&events).unwrap();
    let (printed, _) = t.scan_json(&["--config", cfg.to_str().unwrap(), "--min-severity", "critical"]);
    let written = json_lines(&std::fs::read(&events).unwrap());
    assert_eq!(file_paths(&printed).len(), 1, "stdout filtered");
    assert_eq!(file_paths(&written).len(), 5, "the sink receives every file record");
}

/// `script` gives the run a terminal for stderr while stdout goes to a file: the person waiting
/// sees progress whatever the report's destination.
#[test]
fn progress_shows_whenever_stderr_is_a_terminal() {
    if Command::new("script").arg("--version").output().is_err() {
        let _ = writeln!(std::io::stderr(), "skipped: no `script` (util-linux) to make a terminal");
        return;
    }
    let t = Tree::new();
    // Enough text for one thread to take over a second (the progress line waits a second).
    t.write("export.txt", NINO_LINE.repeat(60_000));
    let report = t.path("report.json");
    let typescript = t.path("typescript");
    let command = format!(
        "{} --threads 1 --fingerprint-key {} --format json {} > {}",
        env!("CARGO_BIN_EXE_dlp-scan"),
        t.key().display(),
        t.root().display(),
        report.display()
    );
    let ran = Command::new("script").args(["-q", "-e", "-c", &command]).arg(&typescript).output().unwrap();
    assert!(ran.status.success(), "{}", String::from_utf8_lossy(&ran.stderr));
    let shown = std::fs::read_to_string(&typescript).unwrap();
    assert!(shown.contains("scanning: "), "a progress line on the terminal: {shown:?}");
    let records = json_lines(&std::fs::read(&report).unwrap());
    assert_eq!(summary(&records)["files_scanned"], 1, "the report went to the file, whole");
}

#[test]
fn the_users_own_sync_client_settings_name_a_renamed_sync_root() {
    let t = Tree::new();
    let staff = "Name,NI number\nAnn,AB 12 34 56 C\nBob,JG103942A\n";
    let home = t.root().join("alice");
    t.write("alice/Work files/staff.csv", staff);
    t.write("alice/Elsewhere/staff.csv", staff);
    let info = serde_json::json!({"personal": {"path": home.join("Work files")}});
    t.write("alice/.dropbox/info.json", info.to_string());
    let out = t.command().env("HOME", &home).args(["--format", "json"]).arg(t.root()).output().unwrap();
    let records = json_lines(&out.stdout);
    let place = |name: &str| {
        let location = &file_record(&records, name)["location"];
        (location["kind"].as_str().unwrap().to_string(), location["provider"].as_str().map(str::to_string))
    };
    assert_eq!(place("Work files/staff.csv"), ("unmanaged_cloud".to_string(), Some("dropbox".to_string())));
    assert_eq!(place("Elsewhere/staff.csv"), ("local".to_string(), None));
}
