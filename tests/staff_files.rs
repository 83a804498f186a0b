//! Detection on files as staff write them, one test per kind of fault a red-team tester found
//! (issue 15): markings, grouped identifiers, NHS numbers in other identifiers' columns, health
//! conditions in people tables, student lists, kinds of document and credential stores. Each
//! asserts the classification the university's policy (README) gives the file.
#![cfg(unix)]

use serde_json::Value;

use crate::util::{file_record, Tree};

/// The detectors that found something in one file, with their counts and tiers.
fn findings(records: &[Value], name: &str) -> Vec<(String, u64, String)> {
    file_record(records, name)["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let text = |k: &str| f[k].as_str().unwrap().to_string();
            (text("detector"), f["count"].as_u64().unwrap(), text("confidence"))
        })
        .collect()
}

/// The category of a file (`not_sensitive` when it has no record).
fn category(records: &[Value], name: &str) -> String {
    records
        .iter()
        .find(|r| r["type"] == "file" && r["path"].as_str().is_some_and(|p| p.ends_with(&format!("/{name}"))))
        .map_or_else(|| "not_sensitive".to_string(), |r| r["classification"].as_str().unwrap().to_string())
}

#[test]
fn strictly_confidential_is_confidential_prefixed_labels_are_markings_and_phrases_are_not() {
    let t = Tree::new();
    t.write("senate.txt", "STRICTLY CONFIDENTIAL\n\nSenate paper S/26/14: calendar changes.\n");
    t.write("letter.txt", "STRICTLY PRIVATE AND CONFIDENTIAL\nMs Grace Hall\n\nDear Ms Hall,\n");
    t.write("classification.txt", "Classification: Highly Confidential\n\nProject Heron.\n");
    t.write("security.txt", "Security classification: OFFICIAL-SENSITIVE\n\nBriefing.\n");
    t.write("sensitivity.txt", "Sensitivity: Confidential\n\nSenate paper S/26/15.\n");
    t.write("label.txt", "Label: Confidential\n\nNotes.\n");
    t.write("header.txt", "Confidential\tPage 1 of 3\n\nNotes of the panel.\n");
    t.write("santa.txt", "SECRET SANTA 2026\n\nPsychology office\nBudget GBP 10\n");
    t.write("poster.txt", "PROTECT YOUR DATA\n\nFive tips for staff: lock your screen, use MFA.\n");
    t.write("recipe.txt", "TOP SECRET RECIPE\n\nRESTRICTED ACCESS\n\nOFFICIAL OPENING of the library.\n");
    t.write(
        "levels.txt",
        "Classification \tDescription \t\nConfidential \tPersonal data about staff \t\nPublic \tPress releases \t\n",
    );
    let (records, _) = t.scan_json(&[]);
    for (name, detector, want) in [
        ("senate.txt", "marking.confidential", "confidential"),
        ("letter.txt", "marking.confidential", "confidential"),
        ("classification.txt", "marking.highly_confidential", "highly_confidential"),
        ("security.txt", "marking.government", "highly_confidential"),
        ("sensitivity.txt", "marking.confidential", "confidential"),
        ("label.txt", "marking.confidential", "confidential"),
        ("header.txt", "marking.confidential", "confidential"),
    ] {
        assert_eq!(findings(&records, name), [(detector.to_string(), 1, "high".to_string())], "{name}");
        assert_eq!(category(&records, name), want, "{name}");
    }
    for name in ["santa.txt", "poster.txt", "recipe.txt", "levels.txt"] {
        assert_eq!(category(&records, name), "not_sensitive", "{name}: a phrase is not a marking");
    }
}

#[test]
fn identifiers_grouped_with_typographic_spaces_are_found_as_with_ascii_spaces() {
    let t = Tree::new();
    let ascii = "Staff record\nName: Ann Example\nNI number: AB 12 34 56 C\nNHS number: 407 162 0218\n\
                 Mobile: 07911 123456\nSort code: 20 00 00 Account number: 12345678\nAddress: 3 Park Road, Leeds LS6 1AA\n";
    let spaced = ascii
        .replace("AB 12 34 56 C", "AB\u{a0}12\u{a0}34\u{a0}56\u{a0}C")
        .replace("407 162 0218", "407\u{202f}162\u{202f}0218")
        .replace("07911 123456", "07911\u{a0}123456")
        .replace("20 00 00", "20\u{2009}00\u{2009}00")
        .replace("LS6 1AA", "LS6\u{a0}1AA");
    t.write("ascii.txt", ascii);
    t.write("spaced.txt", &spaced);
    t.write(
        "nino.docx",
        crate::cli::docx(&["Payroll change form", "NI number: RR\u{a0}39\u{a0}23\u{a0}32\u{a0}A"], &[]),
    );
    let (records, _) = t.scan_json(&[]);
    let want = findings(&records, "ascii.txt");
    for detector in ["uk_nino", "nhs_number", "uk_phone", "uk_bank_account", "uk_postcode"] {
        assert!(want.iter().any(|(d, _, _)| d == detector), "{detector} in the ASCII record: {want:?}");
    }
    assert_eq!(findings(&records, "spaced.txt"), want);
    assert_eq!(findings(&records, "nino.docx"), [("uk_nino".to_string(), 1, "high".to_string())]);
    assert_eq!(category(&records, "spaced.txt"), "confidential");
}

#[test]
fn ten_digit_numbers_in_another_identifiers_column_are_not_nhs_numbers_at_high() {
    let t = Tree::new();
    // Sample IDs that pass the NHS mod-11 check, beside a "Patient group" column.
    let samples = ["7795422055", "7744032179", "4880297003", "7914344192", "7162099203", "4016641381"];
    let lims: String = std::iter::once("Sample ID,Patient group,HbA1c\n".to_string())
        .chain(samples.iter().map(|s| format!("{s},diabetic,48.2\n")))
        .collect();
    t.write("lims_export.csv", &lims);
    t.write("clinic.csv", lims.replace("Sample ID", "NHS number"));
    let (records, _) = t.scan_json(&[]);
    assert_eq!(findings(&records, "lims_export.csv"), [("nhs_number".to_string(), 6, "low".to_string())]);
    assert_eq!(category(&records, "lims_export.csv"), "not_sensitive");
    assert!(findings(&records, "clinic.csv").contains(&("nhs_number".to_string(), 6, "high".to_string())));
    // One truth: the record's count of distinct values is the one the reasons cite.
    t.write(
        "both.csv",
        lims.replace("Sample ID,", "Sample ID,NHS number,").replace(",diabetic", ",4010232137,diabetic"),
    );
    let (records, _) = t.scan_json(&[]);
    assert!(findings(&records, "both.csv").contains(&("nhs_number".to_string(), 7, "high".to_string())));
    let reasons = file_record(&records, "both.csv")["reasons"].to_string();
    assert!(reasons.contains("1 of 7 distinct nhs_number value(s) at medium confidence or above"), "{reasons}");
    assert_eq!(category(&records, "clinic.csv"), "highly_confidential");
}

#[test]
fn conditions_and_absence_reasons_about_people_are_health_data_and_statistics_are_not() {
    let t = Tree::new();
    t.write(
        "clinic.csv",
        "Patient name,NHS number,Diagnosis\nPerson 0,4042751792,asthma\nPerson 1,4790869598,COPD\n\
         Person 2,4866201169,Crohn's disease\n",
    );
    t.write(
        "sickness.csv",
        "Name,Staff Number,Days absent,Reason\nOliver Smith,E10001,5,back pain\nAmelia Jones,E10002,12,stress\n\
         Isla Brown,E10004,30,surgery\n",
    );
    t.write("statistics.csv", "Absence reason,Days lost\nstress,1200\nback pain,800\nheart failure,40\n");
    t.write(
        "abstract.txt",
        "Abstract\nWe examined the prevalence of asthma, COPD and dementia in a cohort of 2,000 adults \
         (Smith et al., doi 10.1000/182).\n",
    );
    let (records, _) = t.scan_json(&[]);
    assert_eq!(category(&records, "clinic.csv"), "highly_confidential", "patient-level data");
    assert!(findings(&records, "sickness.csv").contains(&(
        "special_category.health".to_string(),
        3,
        "medium".to_string()
    )));
    assert_eq!(category(&records, "sickness.csv"), "confidential");
    assert_eq!(category(&records, "statistics.csv"), "not_sensitive", "aggregate statistics name nobody");
    assert_eq!(category(&records, "abstract.txt"), "not_sensitive", "a paper's topic is nobody's health");
}

#[test]
fn a_capability_record_and_a_statement_of_main_terms_are_confidential_kinds_of_document() {
    let t = Tree::new();
    t.write(
        "capability.txt",
        "Performance Improvement Plan - Mr Oscar Green, Technician\nStage 2 capability meeting held 3 March 2026. \
         Concerns: missed deadlines on lab preparation.\nOutcome: written improvement note issued under the \
         Capability Procedure.\n",
    );
    t.write(
        "contract.txt",
        "STATEMENT OF MAIN TERMS AND CONDITIONS OF EMPLOYMENT\nEmployee: Dr Lily Roberts\nStart date: 1 September \
         2026\nProbation period: 12 months. Notice period: 3 months.\nSigned (Employee) ........   Signed (for the \
         University) ........\n",
    );
    t.write("advert.txt", "Job advert: Lecturer in Chemistry. Probation period: 12 months. Notice period: 3 months.\n");
    t.write(
        "policy.txt",
        "Capability Procedure\nThe capability procedure explains how a performance improvement plan is agreed.\n",
    );
    let (records, _) = t.scan_json(&[]);
    assert_eq!(category(&records, "capability.txt"), "confidential");
    assert!(findings(&records, "capability.txt").iter().any(|(d, n, _)| d == "document.disciplinary" && *n >= 2));
    assert_eq!(category(&records, "contract.txt"), "confidential");
    assert!(findings(&records, "contract.txt").iter().any(|(d, n, _)| d == "document.contract" && *n >= 2));
    assert_eq!(category(&records, "advert.txt"), "not_sensitive", "one phrase is not a contract");
    assert_eq!(category(&records, "policy.txt"), "not_sensitive", "a procedure about no one");
}

#[test]
fn credential_stores_in_a_home_folder_are_credentials() {
    let t = Tree::new();
    let token = "ghp_R4nd0mT0k3nV4lu3Xyz123456789abcdEF12";
    t.write(
        ".aws/credentials",
        "[default]\naws_access_key_id = AKIAQ3EGUHYV7XYZ4ABC\naws_secret_access_key = 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\n",
    );
    t.write(".netrc", "machine ftp.northshire.ac.uk login jsmith password Ftp!Pass2026\n");
    t.write(".pgpass", "db.northshire.ac.uk:5432:research:jsmith:PgPass!2026x\n");
    t.write(
        ".docker/config.json",
        "{\"auths\":{\"registry.northshire.ac.uk\":{\"auth\":\"anNtaXRoOkRvY2szciFQdzIwMjY=\"}}}",
    );
    t.write(
        ".kube/config",
        "users:\n- name: admin\n  user:\n    token: eyJhbGciOiJSUzI1NiIsImtpZCI6IkRGRVQifQ.eyJpc3MiOiJrdWJlcm5ldGVzIn0.c2lnbmF0dXJl\n",
    );
    t.write("webapp.env", "AWS_ACCESS_KEY_ID=AKIAQ3EGUHYV7XYZ4ABC\nDEBUG=true\n");
    t.write(
        "project/.git/config",
        format!("[http \"https://github.com/\"]\n\textraheader = AUTHORIZATION: bearer {token}\n"),
    );
    t.write("project/.git/objects/ab/cdef", format!("{token}\n"));
    t.write("docs.md", "Create a token at github.com/settings/tokens; AWS's example key is AKIAIOSFODNN7EXAMPLE.\n");
    t.write(
        "netrc.5",
        "machine HOSTNAME login USERID password \"PASSWORD\"\nmachine {name} login {user} password {password}\n",
    );
    let (records, _) = t.scan_json(&[]);
    for (name, detector) in [
        (".aws/credentials", "credential.token"),
        (".netrc", "credential.store"),
        (".pgpass", "credential.store"),
        (".docker/config.json", "credential.token"),
        (".kube/config", "credential.token"),
        ("webapp.env", "credential.token"),
        (".git/config", "credential.token"),
    ] {
        assert!(findings(&records, name).iter().any(|(d, _, c)| d == detector && c == "high"), "{name}");
        assert_eq!(category(&records, name), "confidential", "{name}");
    }
    assert_eq!(category(&records, "cdef"), "not_sensitive", "a Git folder's objects are not scanned");
    assert_eq!(category(&records, "docs.md"), "not_sensitive", "documentation values are not credentials");
    assert_eq!(category(&records, "netrc.5"), "not_sensitive", "a manual's placeholders are not credentials");
}

#[test]
fn student_lists_under_the_headers_and_keys_staff_use_are_lists_of_people() {
    let t = Tree::new();
    let rows = "22254257,Surname0,Forename0,76\n21058756,Surname1,Forename1,56\n";
    for header in ["ID", "Reg No", "Registration Number", "Candidate Number", "SID", "URN", "Banner ID", "Student"] {
        t.write(&format!("marks {header}.csv"), format!("{header},Surname,Forename,Mark\n{rows}"));
    }
    t.write("orders.csv", "ID,Product,Price\n22254257,Stapler,4.99\n21058756,Toner,39.00\n");
    t.write("build.log", "Build ID 22254257 passed.\nOrder ID: 21058756 shipped.\n");
    t.write(
        "export.json",
        "[{\"student_number\": \"20000000\", \"name\": \"Ann Smith\", \"dob\": \"2003-01-01\"},\n \
         {\"student_number\": \"20000001\", \"name\": \"Bob Jones\", \"dob\": \"2004-07-19\"}]\n",
    );
    t.write("export.yml", "- studentNumber: 20000000\n  name: Ann Smith\n  dob: 2003-01-01\n");
    t.write(
        "equal_ops.csv",
        "Applicant,Ethnic origin,Religion,Sexual orientation\nApplicant 1,White British,None,Heterosexual\n\
         Applicant 2,Pakistani,Muslim,Gay man\n",
    );
    let (records, _) = t.scan_json(&[]);
    for header in ["ID", "Reg No", "Registration Number", "Candidate Number", "SID", "URN", "Banner ID", "Student"] {
        let name = format!("marks {header}.csv");
        assert_eq!(findings(&records, &name), [("student_staff_number".to_string(), 2, "high".to_string())], "{name}");
        assert_eq!(category(&records, &name), "confidential", "{name}");
    }
    assert_eq!(category(&records, "orders.csv"), "not_sensitive", "ID in a table of products");
    assert_eq!(category(&records, "build.log"), "not_sensitive", "ID in prose");
    for name in ["export.json", "export.yml"] {
        let found = findings(&records, name);
        assert!(found.iter().any(|(d, _, c)| d == "student_staff_number" && c == "high"), "{name}: {found:?}");
        assert!(found.iter().any(|(d, _, c)| d == "date_of_birth" && c == "high"), "{name}: {found:?}");
    }
    assert_eq!(category(&records, "equal_ops.csv"), "confidential", "applicants are people");
}
