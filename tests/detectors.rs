//! Every detector proves itself: each of its examples goes through the whole engine (keyword gate,
//! union prefilter, regex, validator, context, allowlist) and must give exactly the listed values.
//! Failures are all reported at once, by file, line and value length, never by value. A user's
//! detector file is held to the same: it takes part in classification through its roles, and a bad
//! one stops the start with an exact, located message (`tests/data/detectors-invalid/`).

use std::path::{Path, PathBuf};

use dlp_scan::classify::{classify, Category, FileTally};
use dlp_scan::detect::{DetectorFile, DetectorSelection, Engine, FingerprintKey};

fn engine() -> Engine {
    let selection = DetectorSelection { disabled: vec![], custom_files: vec![] };
    Engine::load(&selection, FingerprintKey::new(vec![42; 32])).expect("embedded detectors load")
}

#[test]
fn every_example_holds_through_the_whole_engine() {
    let engine = engine();
    let mut failures = Vec::new();
    for (index, detector) in engine.detectors().iter().enumerate() {
        for (line, example) in detector.examples() {
            if let Some(problem) = engine.example_problem(index, example) {
                let found: Vec<String> = engine
                    .scan_all(example.text.as_bytes())
                    .iter()
                    .filter(|f| f.detector == index)
                    .map(|f| format!("len {} {:?}", f.value.len(), f.confidence))
                    .collect();
                let expected: Vec<usize> = example.matches.iter().map(String::len).collect();
                failures.push(format!(
                    "{}:{line}: {problem}; expected lengths {expected:?}, found [{}]",
                    detector.path().display(),
                    found.join(", ")
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{} example(s) fail:\n{}", failures.len(), failures.join("\n"));
}

#[test]
fn the_stable_detector_ids_exist() {
    let engine = engine();
    let ids: Vec<&str> = engine.detectors().iter().map(|d| d.id()).collect();
    for required in [
        "uk_nino",
        "nhs_number",
        "payment_card",
        "iban",
        "uk_passport",
        "uk_driving_licence",
        "uk_postcode",
        "uk_phone",
        "email",
        "date_of_birth",
        "uk_bank_account",
        "credential.private_key",
        "credential.password",
    ] {
        assert!(ids.contains(&required), "missing detector {required}");
    }
}

#[test]
fn a_date_of_birth_sample_shows_at_most_the_century() {
    let engine = engine();
    let dob = engine.detectors().iter().position(|d| d.id() == "date_of_birth").expect("the detector");
    let text = b"Name: Ann\nDOB: 15/03/1985\nDate of birth 3rd March 2001\nD.O.B 1999-12-31\n";
    let masks: Vec<String> =
        engine.scan_all(text).iter().filter(|f| f.detector == dob).map(|f| f.value.masked().to_string()).collect();
    assert_eq!(masks, ["******19**", "**********20**", "19********"]);
}

/// A trust's own patient number, as a university's detector folder would hold it. `ROLES` is
/// replaced by the test.
const TRUST_PATIENT_NUMBER: &str = r#"id = "trust_patient_number"
description = "A hospital trust's patient number (TPN- and 6 digits)"
class = "identifier"
ROLES
regex = '\bTPN-\d{6}\b'
validator = "none"
confidence = "medium"

[[example]]
text = "Patient TPN-123456 seen"
match = ["TPN-123456"]

[[example]]
text = "TPN-100001, TPN-100002"
match = ["TPN-100001", "TPN-100002"]

[[example]]
text = "TPN-654321"
match = ["TPN-654321"]

[[example]]
text = "TPN-12345 is one digit short"
match = []

[[example]]
text = "XTPN-123456 is a file name"
match = []

[[example]]
text = "No patient here"
match = []
"#;

/// The category of a text of ten distinct patient numbers, with the user's detector given `roles`.
fn category_of_ten_patient_numbers(roles: &str) -> Category {
    let file = DetectorFile {
        path: PathBuf::from("/etc/dlp-scan/detectors/trust_patient_number.toml"),
        text: TRUST_PATIENT_NUMBER.replace("ROLES", roles),
    };
    let selection = DetectorSelection { disabled: vec![], custom_files: vec![file] };
    let engine = Engine::load(&selection, FingerprintKey::new(vec![42; 32])).expect("the user's detector loads");
    engine.check_user_examples().expect("its examples hold");
    let text: String = (0..10).map(|i| format!("ward list TPN-20000{i}\n")).collect();
    let mut tally = FileTally::default();
    for finding in engine.scan_all(text.as_bytes()) {
        tally.add(&finding, &engine);
    }
    classify(&tally).category
}

#[test]
fn a_user_detector_with_a_role_takes_part_in_classification() {
    assert_eq!(
        category_of_ten_patient_numbers(r#"roles = ["health_service_number"]"#),
        Category::HighlyConfidential,
        "ten distinct health-service numbers are patient-level data, whoever wrote the detector"
    );
    assert_eq!(
        category_of_ten_patient_numbers(""),
        Category::Confidential,
        "without the role they are identifiers like any other"
    );
}

/// Every file in `tests/data/detectors-invalid/` is a user's detector file that must stop the
/// start; its first line, `# expect: ...`, is the exact error: file:line:col: message.
#[test]
fn each_invalid_detector_file_fails_with_its_exact_message() {
    let dir = Path::new("tests/data/detectors-invalid");
    let mut paths: Vec<PathBuf> = std::fs::read_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join(dir))
        .expect("the folder of invalid detector files")
        .map(|e| dir.join(e.expect("a folder entry").file_name()))
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    paths.sort();
    assert!(paths.len() >= 7, "the invalid detector files are missing: {paths:?}");
    let mut wrong = Vec::new();
    for path in paths {
        let text = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(&path)).expect("readable");
        let expected = text.lines().next().and_then(|l| l.strip_prefix("# expect: ")).unwrap_or_default().to_string();
        let selection =
            DetectorSelection { disabled: vec![], custom_files: vec![DetectorFile { path: path.clone(), text }] };
        let got = Engine::load(&selection, FingerprintKey::new(vec![42; 32]))
            .and_then(|engine| engine.check_user_examples())
            .map_err(|e| e.to_string());
        if got.as_ref().err() != Some(&expected) {
            wrong.push(format!("{}\n  expected: {expected}\n  got:      {got:?}", path.display()));
        }
    }
    assert!(wrong.is_empty(), "{} file(s) did not fail as expected:\n{}", wrong.len(), wrong.join("\n"));
}

#[test]
fn a_marking_counts_in_the_first_and_last_2_kib_of_a_text_only() {
    let engine = engine();
    let marking = |text: &str| {
        engine.scan_all(text.as_bytes()).iter().any(|f| engine.detectors()[f.detector].id().starts_with("marking."))
    };
    let minute = "The committee met and agreed the minutes of the last meeting.\n";
    let (prose, short) = (minute.repeat(100), minute.repeat(15));
    let line = "HIGHLY CONFIDENTIAL\n";
    assert!(marking(&format!("{line}{prose}")), "a header line");
    assert!(marking(&format!("{prose}{line}")), "a footer line");
    assert!(!marking(&format!("{prose}{line}{prose}")), "a line 6 KB from either end");
    assert!(marking(&format!("{short}{line}{short}")), "a short text is all edge");
    // Wholly inside the last 2,048 bytes, or not at all: a line ending 2,041 bytes from the end
    // starts 2,061 from it.
    let tail = |after: usize| format!("{prose}{line}{}", "x".repeat(after - 1) + "\n");
    assert!(marking(&tail(2048 - line.len())), "a line starting 2,048 bytes from the end");
    assert!(!marking(&tail(2041)), "a line starting 2,061 bytes from the end");
}
