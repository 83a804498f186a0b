//! Classification: a file's findings in, one category and the reasons for it out.
//!
//! [`FileTally`] gathers a file's findings per detector (occurrences, distinct values by keyed
//! fingerprint, a few masked samples). [`classify`] then applies the rule below. It does no I/O and
//! knows nothing of where the file lives; that is `policy`. Of the file it knows at most its name,
//! for one exception: the addresses in a software project's credits ([`is_attribution_file`]) make
//! no contact list.
//!
//! The rule:
//! * only findings of `medium` or `high` confidence count; `low` ones are reported but never decide;
//! * **highly confidential**: marked Highly Confidential (text or sensitivity label) or with a UK
//!   Government classification (OFFICIAL-SENSITIVE, SECRET, TOP SECRET, older markings); or, by
//!   inference, patient-level health data: health data about people together with health-service
//!   numbers (NHS, H&C, CHI), or 10 or more distinct health-service numbers;
//! * **confidential**: any counting identifier (NI number, passport, bank details, ...), credential,
//!   special-category or criminal-offence data about people, 10 or more distinct contact details
//!   (a contact list) or 2 or more in a table whose header names people (a staff or student list),
//!   a Confidential or Draft marking, or a confidential kind of document (an examination paper,
//!   a disciplinary or appraisal record, a contract) shown by 2 or more distinct phrases of it;
//! * **public**: marked Public (or UNCLASSIFIED, or a Public/General label) with none of the above;
//! * **not sensitive**: anything else.
//!
//! The rule names no detector: it reads each detector's class and its roles
//! ([`Role`](crate::detect::Role): health-service number, health data, the markings that decide a
//! category on their own), so a user's detector with a role counts as a built-in one does.
//! Detector ids appear only as names in the reasons.
//!
//! Special-category terms only reach this module when the detector tied them to a person.

use std::collections::{BTreeMap, BTreeSet};

use crate::detect::{Confidence, DetectorClass, Engine, Finding, Fingerprint, Role};

/// Distinct values at which a list of identifiers, or contact details, counts as bulk.
pub const BULK_DISTINCT: usize = 10;
/// Distinct fingerprints remembered per detector and file; beyond this, counts are lower bounds.
pub const MAX_DISTINCT_TRACKED: usize = 100_000;
/// Distinct phrases of one kind of document (`Time allowed`, `Answer ALL questions`) that make a
/// file a document of that kind: one phrase alone is as likely a handbook or a policy quoting it.
pub const DOCUMENT_PHRASES: usize = 2;
/// Contact details that make a table of people (a header naming people) a list of personal records.
pub const PEOPLE_TABLE_CONTACTS: usize = 2;
/// Masked samples kept per detector and file.
pub const MAX_SAMPLES: usize = 3;

/// The university's four categories, least to most sensitive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Category {
    /// Published, or meant to be.
    Public,
    /// Internal, no personal data found.
    NotSensitive,
    /// Personal data, special-category data, credentials.
    Confidential,
    /// Patient-level health data, government classified material, labelled highly confidential.
    HighlyConfidential,
}

impl Category {
    /// Stable name used in records.
    pub fn as_str(self) -> &'static str {
        match self {
            Category::Public => "public",
            Category::NotSensitive => "not_sensitive",
            Category::Confidential => "confidential",
            Category::HighlyConfidential => "highly_confidential",
        }
    }
}

/// One detector's findings in one file.
#[derive(Debug, Clone)]
pub struct DetectorTally {
    /// The detector's id.
    pub detector: String,
    /// The detector's class.
    pub class: DetectorClass,
    /// The detector's roles.
    pub roles: Vec<Role>,
    /// Every match, repeats included.
    pub occurrences: u64,
    /// Distinct values (by fingerprint), capped at [`MAX_DISTINCT_TRACKED`].
    pub distinct: BTreeSet<Fingerprint>,
    /// Distinct values found at `medium` or `high` confidence.
    pub distinct_counting: BTreeSet<Fingerprint>,
    /// The highest confidence of any finding.
    pub confidence: Confidence,
    /// Up to [`MAX_SAMPLES`] masked values.
    pub samples: Vec<String>,
}

/// All findings of one file, by detector.
#[derive(Debug, Default)]
pub struct FileTally {
    by_detector: BTreeMap<usize, DetectorTally>,
    people_table: bool,
}

impl FileTally {
    /// Adds one finding.
    pub fn add(&mut self, finding: &Finding, engine: &Engine) {
        let detector = &engine.detectors()[finding.detector];
        let tally = self.by_detector.entry(finding.detector).or_insert_with(|| DetectorTally {
            detector: detector.id().to_string(),
            class: detector.class(),
            roles: detector.roles().to_vec(),
            occurrences: 0,
            distinct: BTreeSet::new(),
            distinct_counting: BTreeSet::new(),
            confidence: finding.confidence,
            samples: Vec::new(),
        });
        tally.occurrences += 1;
        tally.confidence = tally.confidence.max(finding.confidence);
        let fingerprint = finding.value.fingerprint();
        if tally.distinct.len() < MAX_DISTINCT_TRACKED
            && tally.distinct.insert(fingerprint)
            && tally.samples.len() < MAX_SAMPLES
        {
            tally.samples.push(finding.value.masked().to_string());
        }
        if finding.confidence >= Confidence::Medium && tally.distinct_counting.len() < MAX_DISTINCT_TRACKED {
            tally.distinct_counting.insert(fingerprint);
        }
    }

    /// Notes that the text included a table whose header names people (Name, Email, ...).
    pub fn saw_people_table(&mut self) {
        self.people_table = true;
    }

    /// True when the text included a table of people.
    pub fn has_people_table(&self) -> bool {
        self.people_table
    }

    /// True when nothing was found.
    pub fn is_empty(&self) -> bool {
        self.by_detector.is_empty()
    }

    /// The per-detector tallies, in detector order.
    pub fn detectors(&self) -> impl Iterator<Item = &DetectorTally> {
        self.by_detector.values()
    }

    /// The tallies with their detector's index in the engine.
    pub fn indexed(&self) -> impl Iterator<Item = (usize, &DetectorTally)> {
        self.by_detector.iter().map(|(i, t)| (*i, t))
    }

    /// Puts back a tally made elsewhere (by a worker process) for detector `index`.
    pub fn insert(&mut self, index: usize, tally: DetectorTally) {
        self.by_detector.insert(index, tally);
    }
}

/// A file's category and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Classification {
    /// The category.
    pub category: Category,
    /// Plain-language reasons, most important first.
    pub reasons: Vec<String>,
    /// Distinct counting identifiers of all kinds (drives severity of violations).
    pub distinct_identifiers: usize,
    /// True when a Highly Confidential or government marking is present.
    pub marked_highly_confidential: bool,
}

/// A detector's id as words in a reason: `marking.highly_confidential` is "highly confidential".
fn plain_name(detector: &str, family: &str) -> String {
    detector.trim_start_matches(family).replace('_', " ")
}

/// Names software projects give the plain-text files that credit their people: GNU Coding Standards
/// 6.1 (`AUTHORS`, `THANKS`, `ChangeLog`), Debian Policy 12.5 and 12.7 (`copyright`, `changelog`),
/// and common practice (`CONTRIBUTORS`, `MAINTAINERS`, `CREDITS`).
const ATTRIBUTION_NAMES: [&str; 7] =
    ["authors", "thanks", "changelog", "copyright", "contributors", "maintainers", "credits"];

/// True for a plain-text (or gzip-compressed) file named as a software project's attribution file
/// (`AUTHORS`, `THANKS.gz`, `changelog.Debian.gz`, `CONTRIBUTORS.md`, `ChangeLog-2009`): the
/// addresses in it credit the project's people and ship with the software; they are not a list of
/// people the university keeps. Office documents and spreadsheets are never such a file.
pub fn is_attribution_file(file_name: &str, format: &str) -> bool {
    let stem = file_name.split(['.', '-', '_']).next().unwrap_or_default();
    matches!(format, "text" | "gzip") && ATTRIBUTION_NAMES.iter().any(|n| stem.eq_ignore_ascii_case(n))
}

/// Applies the classification rule in the module documentation.
pub fn classify(tally: &FileTally) -> Classification {
    classify_with(tally, false)
}

/// As [`classify`], for a file that [`is_attribution_file`]: its contact details are credits and
/// make no contact list; identifiers, credentials and markings in it count as anywhere else.
pub fn classify_attribution(tally: &FileTally) -> Classification {
    classify_with(tally, true)
}

fn classify_with(tally: &FileTally, attribution: bool) -> Classification {
    let counting: Vec<&DetectorTally> = tally.detectors().filter(|t| !t.distinct_counting.is_empty()).collect();
    let has = |role: Role| counting.iter().any(|t| t.roles.contains(&role));
    let of_class = |class: DetectorClass| -> Vec<&DetectorTally> {
        counting.iter().copied().filter(|t| t.class == class).collect()
    };
    let health_numbers: usize = counting
        .iter()
        .filter(|t| t.roles.contains(&Role::HealthServiceNumber))
        .map(|t| t.distinct_counting.len())
        .sum();
    let identifiers = of_class(DetectorClass::Identifier);
    let credentials = of_class(DetectorClass::Credential);
    let special = of_class(DetectorClass::SpecialCategory);
    let contacts: usize = of_class(DetectorClass::QuasiIdentifier).iter().map(|t| t.distinct_counting.len()).sum();
    let distinct_identifiers: usize = identifiers.iter().map(|t| t.distinct_counting.len()).sum();
    let marked_highly_confidential = has(Role::HighlyConfidentialMarking);

    let mut reasons = Vec::new();
    let mut category = Category::NotSensitive;
    for t in counting.iter().filter(|t| t.class == DetectorClass::Marking) {
        reasons.push(format!("marked: {}", plain_name(&t.detector, "marking.")));
    }
    if marked_highly_confidential {
        category = Category::HighlyConfidential;
    }
    let health_data = has(Role::HealthData);
    if health_numbers >= BULK_DISTINCT || (health_numbers > 0 && health_data) {
        category = Category::HighlyConfidential;
        reasons.push(format!(
            "patient-level data: {health_numbers} distinct health-service number(s){}",
            if health_data { " with health data" } else { "" }
        ));
    }
    for t in identifiers.iter().chain(&credentials).chain(&special) {
        category = category.max(Category::Confidential);
        reasons.push(counting_reason(t));
    }
    for t in of_class(DetectorClass::Document).iter().filter(|t| t.distinct_counting.len() >= DOCUMENT_PHRASES) {
        category = category.max(Category::Confidential);
        reasons.push(format!(
            "a confidential kind of document: {} ({} distinct phrases)",
            plain_name(&t.detector, "document."),
            t.distinct_counting.len()
        ));
    }
    if attribution && contacts > 0 {
        reasons.push(format!("software attribution file: {contacts} distinct contact details credit contributors"));
    } else if contacts >= BULK_DISTINCT {
        category = category.max(Category::Confidential);
        reasons.push(format!("contact list: {contacts} distinct contact details"));
    } else if tally.has_people_table() && contacts >= PEOPLE_TABLE_CONTACTS {
        // A small staff or student list is personal data too: rows of a table of people.
        category = category.max(Category::Confidential);
        reasons.push(format!("records of people: a table of people with {contacts} distinct contact details"));
    }
    if has(Role::ConfidentialMarking) {
        category = category.max(Category::Confidential);
    }
    if category == Category::NotSensitive && has(Role::PublicMarking) {
        category = Category::Public;
    }
    if reasons.is_empty() {
        reasons.push("no identifier found at medium or high confidence".to_string());
    }
    Classification { category, reasons, distinct_identifiers, marked_highly_confidential }
}

/// The reason a detector's values give: how many distinct ones count (medium or above), and, when
/// some were found only at low confidence, of how many in all, the number a record's finding and
/// the human report show (`nhs_number×8` beside "4 of 8 distinct ... at medium confidence or above").
fn counting_reason(t: &DetectorTally) -> String {
    let counting = t.distinct_counting.len();
    let all = t.distinct.len();
    let of_all = if all > counting { format!(" of {all}") } else { String::new() };
    format!("{counting}{of_all} distinct {} value(s) at medium confidence or above", t.detector)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::FingerprintKey;

    fn phrases(detector: &str, phrases: &[&str]) -> DetectorTally {
        let key = FingerprintKey::new(vec![3; 32]);
        let fingerprints: BTreeSet<Fingerprint> =
            phrases.iter().map(|p| key.fingerprint(detector, p.as_bytes())).collect();
        DetectorTally {
            detector: detector.to_string(),
            class: DetectorClass::Document,
            roles: Vec::new(),
            occurrences: phrases.len() as u64,
            distinct: fingerprints.clone(),
            distinct_counting: fingerprints,
            confidence: Confidence::Medium,
            samples: Vec::new(),
        }
    }

    #[test]
    fn a_kind_of_document_needs_two_distinct_phrases() {
        let mut handbook = FileTally::default();
        handbook.insert(0, phrases("document.exam_paper", &["TIMEALLOWED"]));
        assert_eq!(classify(&handbook).category, Category::NotSensitive);

        let mut paper = FileTally::default();
        paper.insert(0, phrases("document.exam_paper", &["TIMEALLOWED", "ANSWERALLQUESTIONS"]));
        let verdict = classify(&paper);
        assert_eq!(verdict.category, Category::Confidential);
        assert_eq!(verdict.reasons, ["a confidential kind of document: exam paper (2 distinct phrases)"]);
    }

    #[test]
    fn attribution_files_are_known_by_name_and_kind() {
        for name in ["AUTHORS", "THANKS.gz", "changelog.Debian.gz", "ChangeLog-2009", "CONTRIBUTORS.md", "copyright"] {
            assert!(is_attribution_file(name, "text") || is_attribution_file(name, "gzip"), "{name}");
        }
        for (name, format) in [("authors.xlsx", "xlsx"), ("staff.csv", "text"), ("author-list.docx", "docx")] {
            assert!(!is_attribution_file(name, format), "{name}");
        }
        for name in ["NEWS", "CHANGES.txt", "README", "thanksgiving.txt"] {
            assert!(!is_attribution_file(name, "text"), "{name}");
        }
    }

    #[test]
    fn an_attribution_file_credits_contributors_but_its_identifiers_count() {
        let addresses: Vec<String> = (0..40).map(|i| format!("person{i}@example.org")).collect();
        let addresses: Vec<&str> = addresses.iter().map(String::as_str).collect();
        let mut credits = FileTally::default();
        credits.insert(0, DetectorTally { class: DetectorClass::QuasiIdentifier, ..phrases("email", &addresses) });
        assert_eq!(classify(&credits).category, Category::Confidential);
        let verdict = classify_attribution(&credits);
        assert_eq!(verdict.category, Category::NotSensitive);
        assert_eq!(verdict.reasons, ["software attribution file: 40 distinct contact details credit contributors"]);
        credits.insert(1, DetectorTally { class: DetectorClass::Identifier, ..phrases("uk_nino", &["AB123456C"]) });
        assert_eq!(classify_attribution(&credits).category, Category::Confidential);
    }
}
