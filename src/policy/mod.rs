//! Policy: a file's classification, location and encryption in, the university's rule breaches out.
//!
//! Where a file lives is found by `locate` (which does the I/O); this module only judges.
//!
//! Rules evaluated now (ids are stable; SIEM searches depend on them):
//! * `unlabelled_highly_confidential` (medium, anywhere): highly confidential by inference (such as
//!   patient-level health data) with no Highly Confidential or government marking;
//! * `highly_confidential_in_unmanaged_cloud` (critical): highly confidential material in an
//!   unmanaged cloud folder, encrypted or not (its reason says which; one alert per problem, so
//!   it is not also `unencrypted_confidential_in_unmanaged_cloud`);
//! * `unencrypted_confidential_in_unmanaged_cloud` (high; critical in bulk): confidential content,
//!   not encrypted, in an unmanaged cloud folder;
//! * `unencrypted_confidential_on_removable` (high; critical in bulk): the same on removable media;
//! * `weak_encryption` (medium): an encrypted file in either place whose scheme is not strong
//!   (ZipCrypto, RC4, AES-128/192, CAST5, ...);
//! * `stale_confidential_in_unmanaged_cloud` (low): confidential content in an unmanaged cloud
//!   folder not modified for longer than `rules.retention_days` (365);
//! * `credential_exposed` (high): a private key or password in either place;
//! * `key_stored_with_data` (high): a password or key in the same cloud folder or volume as an
//!   encrypted file (judged once the walk has seen both; see [`pairing`]).
//!
//! Rules can be switched off or re-graded, and paths allowed with a reason ([`RulesConfig`]);
//! suppressed violations are counted in the summary.
//!
//! Local folders and managed cloud never raise location rules. No I/O happens here.

pub mod pairing;

use serde::Deserialize;

use crate::classify::{Category, Classification, BULK_DISTINCT};
use crate::detect::DetectorClass;
use crate::extract::Encryption;
use crate::locate::{Location, LocationKind};

/// The policy's rules, a closed set: configuration that names a rule (`rules.disabled`,
/// `[rules.severity]`, `[[allow]] rules`) is checked against it at start.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Rule {
    /// `unlabelled_highly_confidential`.
    UnlabelledHighlyConfidential,
    /// `highly_confidential_in_unmanaged_cloud`.
    HighlyConfidentialInUnmanagedCloud,
    /// `unencrypted_confidential_in_unmanaged_cloud`.
    UnencryptedConfidentialInUnmanagedCloud,
    /// `unencrypted_confidential_on_removable`.
    UnencryptedConfidentialOnRemovable,
    /// `weak_encryption`.
    WeakEncryption,
    /// `stale_confidential_in_unmanaged_cloud`.
    StaleConfidentialInUnmanagedCloud,
    /// `credential_exposed`.
    CredentialExposed,
    /// `key_stored_with_data`.
    KeyStoredWithData,
}

impl Rule {
    /// Every rule.
    pub const ALL: [Rule; 8] = [
        Rule::UnlabelledHighlyConfidential,
        Rule::HighlyConfidentialInUnmanagedCloud,
        Rule::UnencryptedConfidentialInUnmanagedCloud,
        Rule::UnencryptedConfidentialOnRemovable,
        Rule::WeakEncryption,
        Rule::StaleConfidentialInUnmanagedCloud,
        Rule::CredentialExposed,
        Rule::KeyStoredWithData,
    ];

    /// The stable id records carry (SIEM searches depend on it).
    pub const fn id(self) -> &'static str {
        match self {
            Rule::UnlabelledHighlyConfidential => "unlabelled_highly_confidential",
            Rule::HighlyConfidentialInUnmanagedCloud => "highly_confidential_in_unmanaged_cloud",
            Rule::UnencryptedConfidentialInUnmanagedCloud => "unencrypted_confidential_in_unmanaged_cloud",
            Rule::UnencryptedConfidentialOnRemovable => "unencrypted_confidential_on_removable",
            Rule::WeakEncryption => "weak_encryption",
            Rule::StaleConfidentialInUnmanagedCloud => "stale_confidential_in_unmanaged_cloud",
            Rule::CredentialExposed => "credential_exposed",
            Rule::KeyStoredWithData => "key_stored_with_data",
        }
    }

    /// The rule with this id.
    pub fn from_id(id: &str) -> Option<Rule> {
        Rule::ALL.into_iter().find(|r| r.id() == id)
    }
}

/// A provider id (`google_drive`, `usb`) as people say it (`Google Drive`, `USB`), for reasons
/// and reports; an id this list does not know (a configured location's free text) is kept as
/// written.
pub fn provider_name(id: &str) -> &str {
    match id {
        "dropbox" => "Dropbox",
        "google_drive" => "Google Drive",
        "onedrive" => "OneDrive",
        "icloud" => "iCloud Drive",
        "box" => "Box",
        "amazon_drive" => "Amazon Drive",
        "spideroak" => "SpiderOak",
        "pcloud" => "pCloud",
        "mega" => "MEGA",
        "nextcloud" => "Nextcloud",
        "owncloud" => "ownCloud",
        "usb" => "USB",
        other => other,
    }
}

/// A category as people say it: `highly confidential`, `not sensitive`.
pub fn category_words(category: Category) -> &'static str {
    match category {
        Category::Public => "public",
        Category::NotSensitive => "not sensitive",
        Category::Confidential => "confidential",
        Category::HighlyConfidential => "highly confidential",
    }
}

/// Severity of a violation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Worth knowing.
    Low,
    /// Should be fixed.
    Medium,
    /// Breaks the policy.
    High,
    /// Breaks the policy with bulk or highly confidential data.
    Critical,
}

impl Severity {
    /// Stable lower-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }
}

/// One broken rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// Stable rule id.
    pub rule: &'static str,
    /// How bad.
    pub severity: Severity,
    /// What is wrong, for the member of staff.
    pub reason: String,
    /// What to do about it.
    pub remediation: &'static str,
}

/// How the rules are tuned: switched off, re-graded, the retention period, and paths allowed with
/// a recorded reason.
#[derive(Debug, Clone)]
pub struct RulesConfig {
    /// Rules that never fire.
    pub disabled: Vec<Rule>,
    /// Rules given another severity.
    pub severity: Vec<(Rule, Severity)>,
    /// Days after which confidential content in an unmanaged cloud folder is stale.
    pub retention_days: u64,
    /// Paths whose violations are suppressed (and counted as such), with the reason.
    pub allow: Vec<PathAllowance>,
}

/// Violations suppressed for matching paths.
#[derive(Debug, Clone)]
pub struct PathAllowance {
    /// Paths it applies to.
    pub glob: globset::GlobMatcher,
    /// Only these rules (all when empty).
    pub rules: Vec<Rule>,
    /// Why, recorded in the summary.
    pub reason: String,
}

/// What [`apply_rules_config`] did with one file's violations.
#[derive(Debug, Default)]
pub struct Tuned {
    /// Violations that stand.
    pub violations: Vec<Violation>,
    /// (rule, reason) of violations suppressed by an allowance.
    pub suppressed: Vec<(&'static str, String)>,
}

/// Applies the tuning in `config` to the violations of the file at `path`.
pub fn apply_rules_config(violations: Vec<Violation>, path: &std::path::Path, config: &RulesConfig) -> Tuned {
    let mut tuned = Tuned::default();
    for mut v in violations {
        if config.disabled.iter().any(|d| d.id() == v.rule) {
            continue;
        }
        if let Some((_, severity)) = config.severity.iter().find(|(r, _)| r.id() == v.rule) {
            v.severity = *severity;
        }
        let allowance = config
            .allow
            .iter()
            .find(|a| a.glob.is_match(path) && (a.rules.is_empty() || a.rules.iter().any(|r| r.id() == v.rule)));
        match allowance {
            Some(a) => tuned.suppressed.push((v.rule, a.reason.clone())),
            None => tuned.violations.push(v),
        }
    }
    tuned
}

/// The rules `file` breaks.
pub fn evaluate(file: &FileFacts<'_>) -> Vec<Violation> {
    let mut violations = Vec::new();
    if file.classification.category == Category::HighlyConfidential && !file.classification.marked_highly_confidential {
        violations.push(Violation {
            rule: Rule::UnlabelledHighlyConfidential.id(),
            severity: Severity::Medium,
            reason: "the content is highly confidential (e.g. patient-level health data) but carries no Highly Confidential marking".to_string(),
            remediation: "apply the Highly Confidential sensitivity label, or mark the header and footer",
        });
    }
    let exposed_kind = match file.location.kind {
        LocationKind::UnmanagedCloud => "an unmanaged cloud folder",
        LocationKind::Removable => "removable media",
        LocationKind::Local | LocationKind::ManagedCloud => return violations,
    };
    let place = file
        .location
        .provider
        .as_deref()
        .map_or(exposed_kind.to_string(), |p| format!("{exposed_kind} ({})", provider_name(p)));
    let category = file.classification.category;
    let bulk = file.classification.distinct_identifiers >= BULK_DISTINCT;
    let severity = if category == Category::HighlyConfidential || bulk { Severity::Critical } else { Severity::High };
    // On an encrypted volume (LUKS, BitLocker To Go) the content is encrypted at rest. A container
    // only partly encrypted is not: what was found was read from its clear part.
    let encrypted_file = file.encryption.encrypted && !file.encryption.partly;
    let encrypted_at_rest = encrypted_file || file.location.volume_encryption.is_some();
    let highly_confidential_in_cloud =
        category == Category::HighlyConfidential && file.location.kind == LocationKind::UnmanagedCloud;
    if highly_confidential_in_cloud {
        let how = if encrypted_at_rest { "encrypted" } else { "unencrypted" };
        violations.push(Violation {
            rule: Rule::HighlyConfidentialInUnmanagedCloud.id(),
            severity: Severity::Critical,
            reason: format!("highly confidential material is stored ({how}) in {place}"),
            remediation: "move it to the university's managed storage (OneDrive/SharePoint) and delete this copy",
        });
    }
    if category >= Category::Confidential && !encrypted_at_rest && !highly_confidential_in_cloud {
        let rule = if file.location.kind == LocationKind::Removable {
            Rule::UnencryptedConfidentialOnRemovable.id()
        } else {
            Rule::UnencryptedConfidentialInUnmanagedCloud.id()
        };
        violations.push(Violation {
            rule,
            severity,
            reason: format!("{} content is stored unencrypted in {place}", category_words(category)),
            remediation: "encrypt it with AES-256 (e.g. 7-Zip AES-256) or move it to managed storage",
        });
    }
    if file.encryption.encrypted && file.encryption.strong == Some(false) {
        let scheme = file.encryption.method.unwrap_or("encryption");
        violations.push(Violation {
            rule: Rule::WeakEncryption.id(),
            severity: Severity::Medium,
            reason: format!("the file in {place} is protected with {scheme}, which is not AES-256"),
            remediation:
                "re-encrypt it with AES-256 (7-Zip: AES-256; Office: save with a password in a current version)",
        });
    }
    let stale = file.age_days.is_some_and(|d| d > file.retention_days);
    if stale && category >= Category::Confidential && file.location.kind == LocationKind::UnmanagedCloud {
        violations.push(Violation {
            rule: Rule::StaleConfidentialInUnmanagedCloud.id(),
            severity: Severity::Low,
            reason: format!(
                "confidential content in {place} has not been modified for over {} days",
                file.retention_days
            ),
            remediation: "delete it from the cloud folder if it is no longer needed",
        });
    }
    if file.detector_classes.contains(&DetectorClass::Credential) {
        violations.push(Violation {
            rule: Rule::CredentialExposed.id(),
            severity: Severity::High,
            reason: format!("a password or private key is stored in {place}"),
            remediation: "remove it and change the password or replace the key; keep secrets in a password manager",
        });
    }
    violations
}

/// What the policy needs to know about one file.
#[derive(Debug)]
pub struct FileFacts<'a> {
    /// Its location.
    pub location: &'a Location,
    /// Its classification.
    pub classification: &'a Classification,
    /// Its encryption state.
    pub encryption: &'a Encryption,
    /// Classes of detectors with counting findings.
    pub detector_classes: &'a [DetectorClass],
    /// Days since it was last modified, when known.
    pub age_days: Option<u64>,
    /// Days after which confidential content in unmanaged cloud is stale.
    pub retention_days: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn classification(category: Category, distinct_identifiers: usize) -> Classification {
        Classification { category, reasons: vec![], distinct_identifiers, marked_highly_confidential: true }
    }

    fn rules(
        kind: LocationKind,
        c: &Classification,
        encryption: &Encryption,
        classes: &[DetectorClass],
    ) -> Vec<&'static str> {
        rules_aged(kind, c, encryption, classes, 10)
    }

    fn rules_aged(
        kind: LocationKind,
        c: &Classification,
        encryption: &Encryption,
        classes: &[DetectorClass],
        age_days: u64,
    ) -> Vec<&'static str> {
        let location = Location { kind, provider: Some("x".into()), root: None, volume_encryption: None };
        let facts = FileFacts {
            location: &location,
            classification: c,
            encryption,
            detector_classes: classes,
            age_days: Some(age_days),
            retention_days: 365,
        };
        evaluate(&facts).into_iter().map(|v| v.rule).collect()
    }

    #[test]
    fn rules_fire_only_outside_local_and_managed_storage() {
        let conf = classification(Category::Confidential, 1);
        let none = Encryption::none();
        assert_eq!(
            rules(LocationKind::UnmanagedCloud, &conf, &none, &[]),
            ["unencrypted_confidential_in_unmanaged_cloud"]
        );
        assert_eq!(rules(LocationKind::Removable, &conf, &none, &[]), ["unencrypted_confidential_on_removable"]);
        assert!(rules(LocationKind::Local, &conf, &none, &[DetectorClass::Credential]).is_empty());
        assert!(rules(LocationKind::ManagedCloud, &conf, &none, &[DetectorClass::Credential]).is_empty());
        assert!(rules(LocationKind::UnmanagedCloud, &classification(Category::NotSensitive, 0), &none, &[]).is_empty());
        let hc = classification(Category::HighlyConfidential, 12);
        assert_eq!(
            rules(LocationKind::UnmanagedCloud, &hc, &none, &[DetectorClass::Credential]),
            ["highly_confidential_in_unmanaged_cloud", "credential_exposed"],
            "one alert for one problem: the highly confidential rule carries the unencrypted fact"
        );
    }

    #[test]
    fn reasons_name_the_provider_as_people_say_it() {
        let location = Location {
            kind: LocationKind::UnmanagedCloud,
            provider: Some("google_drive".into()),
            root: None,
            volume_encryption: None,
        };
        let facts = FileFacts {
            location: &location,
            classification: &classification(Category::HighlyConfidential, 12),
            encryption: &Encryption::none(),
            detector_classes: &[],
            age_days: None,
            retention_days: 365,
        };
        let reasons: Vec<String> = evaluate(&facts).into_iter().map(|v| v.reason).collect();
        assert_eq!(
            reasons,
            ["highly confidential material is stored (unencrypted) in an unmanaged cloud folder (Google Drive)"]
        );
        assert_eq!(provider_name("my_lab_nas"), "my_lab_nas", "free text from the configuration is kept");
    }

    #[test]
    fn an_encrypted_volume_counts_as_encryption_at_rest() {
        let conf = classification(Category::Confidential, 1);
        let location =
            Location { kind: LocationKind::Removable, provider: None, root: None, volume_encryption: Some("luks") };
        let facts = FileFacts {
            location: &location,
            classification: &conf,
            encryption: &Encryption::none(),
            detector_classes: &[],
            age_days: None,
            retention_days: 365,
        };
        assert!(evaluate(&facts).is_empty());
    }

    #[test]
    fn inferred_highly_confidential_without_a_label_is_flagged_anywhere() {
        let mut hc = classification(Category::HighlyConfidential, 12);
        hc.marked_highly_confidential = false;
        assert_eq!(rules(LocationKind::Local, &hc, &Encryption::none(), &[]), ["unlabelled_highly_confidential"]);
    }

    #[test]
    fn rule_ids_are_distinct_and_name_their_rule() {
        for rule in Rule::ALL {
            assert_eq!(Rule::from_id(rule.id()), Some(rule));
        }
        assert_eq!(Rule::from_id("weak_encryptoin"), None);
    }

    #[test]
    fn rules_can_be_disabled_regraded_and_allowed_by_path() {
        let v =
            |rule: &'static str| Violation { rule, severity: Severity::High, reason: String::new(), remediation: "" };
        let config = RulesConfig {
            disabled: vec![Rule::WeakEncryption],
            severity: vec![(Rule::CredentialExposed, Severity::Critical)],
            retention_days: 365,
            allow: vec![PathAllowance {
                glob: globset::Glob::new("**/Dropbox/Published/**").unwrap().compile_matcher(),
                rules: vec![],
                reason: "published material".into(),
            }],
        };
        let tuned = apply_rules_config(
            vec![v("weak_encryption"), v("credential_exposed")],
            std::path::Path::new("/home/a/Dropbox/x"),
            &config,
        );
        assert_eq!(
            tuned.violations.iter().map(|v| (v.rule, v.severity)).collect::<Vec<_>>(),
            [("credential_exposed", Severity::Critical)]
        );
        let allowed = apply_rules_config(
            vec![v("credential_exposed")],
            std::path::Path::new("/home/a/Dropbox/Published/x"),
            &config,
        );
        assert!(allowed.violations.is_empty());
        assert_eq!(allowed.suppressed, [("credential_exposed", "published material".to_string())]);
    }

    #[test]
    fn weak_encryption_is_flagged_and_strong_encryption_satisfies_the_rule() {
        let unknown = classification(Category::NotSensitive, 0);
        let zipcrypto = Encryption::with("zipcrypto", Some(false));
        let aes = Encryption::with("zip-aes256", Some(true));
        assert_eq!(rules(LocationKind::Removable, &unknown, &zipcrypto, &[]), ["weak_encryption"]);
        assert!(rules(LocationKind::Removable, &unknown, &aes, &[]).is_empty());
        assert!(rules(LocationKind::Removable, &classification(Category::Confidential, 3), &aes, &[]).is_empty());
        let conf = classification(Category::Confidential, 1);
        assert_eq!(
            rules_aged(LocationKind::UnmanagedCloud, &conf, &aes, &[], 400),
            ["stale_confidential_in_unmanaged_cloud"]
        );
        assert!(rules_aged(LocationKind::UnmanagedCloud, &conf, &aes, &[], 300).is_empty());
        assert!(rules(LocationKind::Local, &unknown, &zipcrypto, &[]).is_empty());
    }
}
