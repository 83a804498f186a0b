//! Policy: a file's classification, location and encryption in, the university's rule breaches out.
//!
//! Where a file lives ([`Location`]) comes from folders declared in the configuration (the longest
//! declared prefix wins); anything else is `local`. Discovering sync clients and removable volumes
//! automatically belongs here as well and arrives with the policy issue.
//!
//! Rules evaluated now (ids are stable; SIEM searches depend on them):
//! * `highly_confidential_in_unmanaged_cloud` (critical): highly confidential material in an
//!   unmanaged cloud folder, encrypted or not;
//! * `unencrypted_confidential_in_unmanaged_cloud` (high; critical in bulk): confidential content,
//!   not encrypted, in an unmanaged cloud folder;
//! * `unencrypted_confidential_on_removable` (high; critical in bulk): the same on removable media;
//! * `credential_exposed` (high): a private key or password in either place.
//!
//! Local folders and managed cloud never raise location rules. No I/O happens here.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::classify::{Category, Classification, BULK_DISTINCT};
use crate::detect::DetectorClass;
use crate::extract::Encryption;

/// Where a file lives, as the policy sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LocationKind {
    /// A local disk not synchronised anywhere.
    Local,
    /// A cloud service managed by the university's IT (its OneDrive, SharePoint).
    ManagedCloud,
    /// A cloud service IT does not manage (Dropbox, Google Drive, personal OneDrive, ...).
    UnmanagedCloud,
    /// A USB stick, external drive or memory card.
    Removable,
}

/// A folder whose location kind is declared in the configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeclaredLocation {
    /// The folder (absolute).
    pub path: PathBuf,
    /// Its kind.
    pub kind: LocationKind,
    /// Provider name (e.g. `dropbox`, `usb`).
    pub provider: Option<String>,
}

/// A file's location.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Location {
    /// The kind.
    pub kind: LocationKind,
    /// The provider, when known.
    pub provider: Option<String>,
}

/// Severity of a violation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
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
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
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

/// The policy in force: declared locations (rules are fixed for now).
#[derive(Debug, Clone)]
pub struct Policy {
    locations: Vec<DeclaredLocation>,
}

impl Policy {
    /// Builds the policy from declared locations.
    pub fn new(mut locations: Vec<DeclaredLocation>) -> Self {
        // Longest path first, so the most specific declaration wins.
        locations.sort_by_key(|l| std::cmp::Reverse(l.path.as_os_str().len()));
        Policy { locations }
    }

    /// Where `path` lives.
    pub fn locate(&self, path: &Path) -> Location {
        self.locations
            .iter()
            .find(|l| path.starts_with(&l.path))
            .map(|l| Location { kind: l.kind, provider: l.provider.clone() })
            .unwrap_or(Location { kind: LocationKind::Local, provider: None })
    }

    /// The rules `file` breaks.
    pub fn evaluate(&self, file: &FileFacts<'_>) -> Vec<Violation> {
        let mut violations = Vec::new();
        let exposed_kind = match file.location.kind {
            LocationKind::UnmanagedCloud => "an unmanaged cloud folder",
            LocationKind::Removable => "removable media",
            LocationKind::Local | LocationKind::ManagedCloud => return violations,
        };
        let where_ =
            file.location.provider.as_deref().map_or(exposed_kind.to_string(), |p| format!("{exposed_kind} ({p})"));
        let category = file.classification.category;
        let bulk = file.classification.distinct_identifiers >= BULK_DISTINCT;
        let severity =
            if category == Category::HighlyConfidential || bulk { Severity::Critical } else { Severity::High };
        if category == Category::HighlyConfidential && file.location.kind == LocationKind::UnmanagedCloud {
            violations.push(Violation {
                rule: "highly_confidential_in_unmanaged_cloud",
                severity: Severity::Critical,
                reason: format!("highly confidential material is stored in {where_}"),
                remediation: "move it to the university's managed storage (OneDrive/SharePoint) and delete this copy",
            });
        }
        if category >= Category::Confidential && !file.encryption.encrypted {
            let rule = if file.location.kind == LocationKind::Removable {
                "unencrypted_confidential_on_removable"
            } else {
                "unencrypted_confidential_in_unmanaged_cloud"
            };
            violations.push(Violation {
                rule,
                severity,
                reason: format!("{} content is stored unencrypted in {where_}", category.as_str().replace('_', " ")),
                remediation: "encrypt it with AES-256 (e.g. 7-Zip AES-256) or move it to managed storage",
            });
        }
        if file.detector_classes.contains(&DetectorClass::Credential) {
            violations.push(Violation {
                rule: "credential_exposed",
                severity: Severity::High,
                reason: format!("a password or private key is stored in {where_}"),
                remediation: "remove it and change the password or replace the key; keep secrets in a password manager",
            });
        }
        violations
    }
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
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> Policy {
        Policy::new(vec![
            DeclaredLocation { path: "/media/usb".into(), kind: LocationKind::Removable, provider: Some("usb".into()) },
            DeclaredLocation {
                path: "/home/a/Dropbox".into(),
                kind: LocationKind::UnmanagedCloud,
                provider: Some("dropbox".into()),
            },
            DeclaredLocation { path: "/home/a/Dropbox/Work".into(), kind: LocationKind::Local, provider: None },
        ])
    }

    fn classification(category: Category, distinct_identifiers: usize) -> Classification {
        Classification { category, reasons: vec![], distinct_identifiers }
    }

    fn rules(location: &Location, c: &Classification, classes: &[DetectorClass]) -> Vec<&'static str> {
        let facts =
            FileFacts { location, classification: c, encryption: &Encryption::none(), detector_classes: classes };
        policy().evaluate(&facts).into_iter().map(|v| v.rule).collect()
    }

    #[test]
    fn longest_declared_prefix_wins() {
        let p = policy();
        assert_eq!(p.locate(Path::new("/home/a/Dropbox/x.csv")).kind, LocationKind::UnmanagedCloud);
        assert_eq!(p.locate(Path::new("/home/a/Dropbox/Work/x.csv")).kind, LocationKind::Local);
        assert_eq!(p.locate(Path::new("/home/a/Dropboxes/x.csv")).kind, LocationKind::Local);
        assert_eq!(p.locate(Path::new("/media/usb/x")).provider.as_deref(), Some("usb"));
    }

    #[test]
    fn rules_fire_only_outside_local_and_managed_storage() {
        let p = policy();
        let conf = classification(Category::Confidential, 1);
        let cloud = p.locate(Path::new("/home/a/Dropbox/x.csv"));
        let usb = p.locate(Path::new("/media/usb/x.csv"));
        let local = p.locate(Path::new("/home/a/x.csv"));
        assert_eq!(rules(&cloud, &conf, &[]), ["unencrypted_confidential_in_unmanaged_cloud"]);
        assert_eq!(rules(&usb, &conf, &[]), ["unencrypted_confidential_on_removable"]);
        assert!(rules(&local, &conf, &[DetectorClass::Credential]).is_empty());
        assert!(rules(&cloud, &classification(Category::NotSensitive, 0), &[]).is_empty());
        let hc = classification(Category::HighlyConfidential, 12);
        assert_eq!(
            rules(&cloud, &hc, &[DetectorClass::Credential]),
            [
                "highly_confidential_in_unmanaged_cloud",
                "unencrypted_confidential_in_unmanaged_cloud",
                "credential_exposed"
            ]
        );
    }
}
