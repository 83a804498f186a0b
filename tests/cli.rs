//! End-to-end tests: the real `dlp-scan` binary on temporary trees, as a user runs it.
//!
//! Unix only: they drive modes, signals, FIFOs and links; `.ci/windows` runs the Windows
//! build end to end under Wine.
#![cfg(unix)]

mod swap;

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Output};

use serde_json::Value;

/// A temporary tree plus a fixed fingerprint key, so output is deterministic.
struct Tree {
    dir: tempfile::TempDir,
    key: PathBuf,
}

impl Tree {
    fn new() -> Tree {
        let dir = tempfile::tempdir().unwrap();
        let key = dir.path().join("fingerprint.key");
        std::fs::write(&key, [7u8; 32]).unwrap();
        let tree = Tree { dir, key };
        std::fs::create_dir(tree.root()).unwrap();
        tree
    }

    /// Where scanned files go (the key sits beside it, not in it).
    fn root(&self) -> PathBuf {
        self.dir.path().join("home")
    }

    fn write(&self, rel: &str, bytes: impl AsRef<[u8]>) -> PathBuf {
        let path = self.root().join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, bytes).unwrap();
        path
    }

    fn command(&self) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_dlp-scan"));
        cmd.arg("--fingerprint-key").arg(&self.key);
        cmd
    }

    /// Runs `dlp-scan --format json ARGS... ROOT` and parses the output lines.
    fn scan_json(&self, extra: &[&str]) -> (Vec<Value>, Output) {
        let out = self.command().arg("--format").arg("json").args(extra).arg(self.root()).output().unwrap();
        (parse_lines(&out.stdout), out)
    }
}

fn parse_lines(stdout: &[u8]) -> Vec<Value> {
    String::from_utf8_lossy(stdout).lines().map(|l| serde_json::from_str(l).expect("each line is JSON")).collect()
}

fn file_record<'a>(records: &'a [Value], name: &str) -> &'a Value {
    records
        .iter()
        .find(|r| r["type"] == "file" && r["path"].as_str().unwrap().ends_with(name))
        .unwrap_or_else(|| panic!("no file record for {name}"))
}

fn finding<'a>(record: &'a Value, detector: &str) -> Option<&'a Value> {
    record["findings"].as_array().unwrap().iter().find(|f| f["detector"] == detector)
}

fn summary(records: &[Value]) -> &Value {
    let last = records.last().expect("output is not empty");
    assert_eq!(last["type"], "summary", "the summary is the last line");
    last
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
    for p in [t.dir.path(), t.root().as_path()] {
        std::fs::set_permissions(p, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    std::fs::set_permissions(&t.key, std::fs::Permissions::from_mode(0o644)).unwrap();
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
    let out = cmd.arg("--fingerprint-key").arg(&t.key).args(["--format", "json"]).arg(t.root()).output().unwrap();
    let records = parse_lines(&out.stdout);
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
    let records = parse_lines(&out.stdout);
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
    let declared = t.dir.path().join("config.toml");
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

    let cfg = t.dir.path().join("usb.toml");
    std::fs::write(&cfg, format!("[[locations]]\npath = \"{}\"\nkind = \"removable\"\n", t.root().display())).unwrap();
    let (records, out) = t.scan_json(&["--config", cfg.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let v = &file_record(&records, "doc.txt")["violations"][0];
    assert_eq!(v["rule"], "unencrypted_confidential_on_removable");

    let small = t.dir.path().join("small.toml");
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
    let cfg = t.dir.path().join("bad.toml");
    std::fs::write(&cfg, "[scan]\nfollow_symlinks = true\nmax_file_sise = \"1 GiB\"\n").unwrap();
    let out = t.command().arg("--config").arg(&cfg).arg(t.root()).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains(&format!("{}:3:1", cfg.display())), "{stderr}");
    assert!(stderr.contains("max_file_sise"), "{stderr}");
}

#[test]
fn user_detectors_are_loaded_and_a_malformed_one_fails_with_its_line() {
    let t = Tree::new();
    let dir = t.dir.path().join("detectors");
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
"#;
    std::fs::write(dir.join("student_number.toml"), student).unwrap();
    let cfg = t.dir.path().join("c.toml");
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
fn the_human_view_is_a_table_without_colour_when_piped() {
    let t = Tree::new();
    t.write("staff.csv", "Name,NI number\nAnn,AB 12 34 56 C\n");
    let out = t.command().arg(t.root()).output().unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(stdout.contains("CATEGORY"), "{stdout}");
    assert!(
        stdout
            .lines()
            .any(|l| l.starts_with("confidential") && l.contains("uk_nino\u{d7}1") && l.ends_with("staff.csv")),
        "{stdout}"
    );
    assert!(stdout.contains("Scanned 1 files"), "{stdout}");
    assert!(!stdout.contains('\x1b') && out.stderr.is_empty(), "no colours or progress when piped");
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
    let cfg = t.dir.path().join("tenant.toml");
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
    let cfg = t.dir.path().join("allow.toml");
    std::fs::write(&cfg, format!("[[allow]]\nfingerprint = \"{phone}\"\nreason = \"university switchboard\"\n"))
        .unwrap();
    let (records, _) = t.scan_json(&["--config", cfg.to_str().unwrap()]);
    let record = file_record(&records, "footer.txt");
    assert!(finding(record, "uk_phone").is_none());
    assert!(finding(record, "uk_nino").is_some(), "other values are still reported");
    assert_eq!(summary(&records)["suppressed"], 1);
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

#[test]
fn large_binary_files_are_judged_by_content_not_reported_as_too_large() {
    let t = Tree::new();
    let mut video = vec![0u8; 64 << 10];
    video[4..12].copy_from_slice(b"ftypisom");
    t.write("holiday.mp4", &video);
    t.write("big.txt", "NI number AB 12 34 56 C\n".repeat(4000));
    let small = t.dir.path().join("small.toml");
    std::fs::write(&small, "[scan]\nmax_file_size = \"32 KiB\"\n").unwrap();
    let (records, out) = t.scan_json(&["--config", small.to_str().unwrap(), "--fail-on-incomplete"]);
    let too_large: Vec<&str> =
        errors_of_kind(&records, "too_large").iter().map(|r| r["path"].as_str().unwrap()).collect();
    assert_eq!(too_large.len(), 1);
    assert!(too_large[0].ends_with("big.txt"), "only the text over the cap: {too_large:?}");
    assert_eq!(summary(&records)["skipped"]["binary"], 1);
    assert_eq!(out.status.code(), Some(3));
}

/// The fingerprints `dlp-scan` (with the tree's key) gives the values in `path`.
fn fingerprints_in(tree: &Tree, path: &std::path::Path) -> Vec<String> {
    let out = tree.command().arg("--format").arg("json").arg(path).output().unwrap();
    let fingerprints: Vec<String> = parse_lines(&out.stdout)
        .iter()
        .filter(|r| r["type"] == "file")
        .flat_map(|r| r["findings"].as_array().unwrap().clone())
        .flat_map(|f| f["fingerprints"].as_array().unwrap().clone())
        .map(|f| f.as_str().unwrap().to_string())
        .collect();
    assert!(!fingerprints.is_empty(), "the secret must be found when scanned directly");
    fingerprints
}

/// Files and folders of the tree swapped with links to a secret outside it, back and forth,
/// while dlp-scan runs over the tree again and again: the secret is never read.
#[test]
fn files_and_folders_swapped_for_links_while_scanning_are_never_read_through_them() {
    let t = Tree::new();
    let outside = t.dir.path().join("outside");
    std::fs::create_dir_all(outside.join("folder")).unwrap();
    std::fs::write(outside.join("secret.txt"), "nat ins JG 10 39 42 A\n").unwrap();
    std::fs::write(outside.join("folder/victim.txt"), "nat ins JG 10 39 42 A\n").unwrap();
    let secret = fingerprints_in(&t, &outside);
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
    let alice = t.dir.path().join("alice.txt");
    std::fs::write(&alice, "nat ins JG 10 39 42 A\n").unwrap();
    let secret = fingerprints_in(&t, &alice);
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
    let out =
        t.command().current_dir(t.dir.path()).args(["--format", "json", "no-such-folder", "home"]).output().unwrap();
    let records = parse_lines(&out.stdout);
    let missing = errors_of_kind(&records, "not_found");
    assert_eq!(missing.len(), 1, "{records:#?}");
    assert_eq!(missing[0]["path"], t.dir.path().join("no-such-folder").display().to_string());
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
    let bash = t.command().args(["--generate", "bash"]).output().unwrap();
    assert!(String::from_utf8(bash.stdout).unwrap().contains("--list-detectors"));
    let agent = Command::new(env!("CARGO_BIN_EXE_dlp-agent")).args(["--generate", "zsh"]).output().unwrap();
    assert!(String::from_utf8(agent.stdout).unwrap().contains("check-config"));
}
