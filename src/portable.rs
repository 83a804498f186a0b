//! A file's [`Analysis`] in a serialisable, value-free form.
//!
//! Two places need an analysis outside the process or the moment that made it: a worker process
//! answers the scanner over a pipe with one, and the agent keeps one per file in its state store
//! so that a file moved somewhere else is judged again (location and policy) without reading its
//! content. Both use this form. It holds what reports hold, never a matched value: keyed
//! fingerprints (hex), masked samples, counts.
//!
//! Detectors are named by their index in the engine that made the analysis, so an analysis is
//! only meaningful to a scanner with the same detector set: the worker shares its parent's, and
//! the agent keeps an analysis only with the rule-set version that made it.

use serde::{Deserialize, Serialize};

use crate::classify::{DetectorTally, FileTally};
use crate::detect::{Confidence, Detector, Fingerprint};
use crate::extract::{encryption, ContentKind, Encryption, Extracted, PartialReason};
use crate::scan::Analysis;

/// An analysis, ready to cross a pipe or be stored. Empty parts are left out: most files have
/// nothing to say, and the agent keeps one of these per file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PortableAnalysis {
    #[serde(default, skip_serializing_if = "is_false")]
    binary: bool,
    #[serde(default)]
    format: String,
    #[serde(default)]
    text_bytes: u64,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    partial: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    encryption: Option<PortableEncryption>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    tallies: Vec<PortableTally>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    members: Vec<String>,
    #[serde(default, skip_serializing_if = "is_zero")]
    members_omitted: u64,
    #[serde(default, skip_serializing_if = "is_zero")]
    suppressed: u64,
    #[serde(default, skip_serializing_if = "is_false")]
    people_table: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct PortableEncryption {
    encrypted: bool,
    method: Option<String>,
    strong: Option<bool>,
    cipher: Option<String>,
    note: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct PortableTally {
    detector: usize,
    occurrences: u64,
    distinct: Vec<String>,
    counting: Vec<String>,
    confidence: Confidence,
    samples: Vec<String>,
}

/// A portable analysis names a detector the receiving engine does not have.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UnknownDetector;

impl PortableAnalysis {
    /// The portable form of `a`.
    pub fn from_analysis(a: &Analysis) -> PortableAnalysis {
        let e = &a.extracted.encryption;
        PortableAnalysis {
            binary: a.extracted.kind == ContentKind::Binary,
            format: a.extracted.format.to_string(),
            text_bytes: a.extracted.text_bytes,
            partial: a.extracted.partial.iter().map(|p| p.as_str().to_string()).collect(),
            encryption: (*e != Encryption::none()).then(|| PortableEncryption {
                encrypted: e.encrypted,
                method: e.method.map(str::to_string),
                strong: e.strong,
                cipher: e.cipher.clone(),
                note: e.note.clone(),
            }),
            tallies: a
                .tally
                .indexed()
                .map(|(detector, t)| PortableTally {
                    detector,
                    occurrences: t.occurrences,
                    distinct: t.distinct.iter().map(ToString::to_string).collect(),
                    counting: t.distinct_counting.iter().map(ToString::to_string).collect(),
                    confidence: t.confidence,
                    samples: t.samples.clone(),
                })
                .collect(),
            members: a.members.iter().cloned().collect(),
            members_omitted: a.members_omitted,
            suppressed: a.suppressed,
            people_table: a.tally.has_people_table(),
        }
    }

    /// True when the file was encrypted.
    pub fn is_encrypted(&self) -> bool {
        self.encryption.as_ref().is_some_and(|e| e.encrypted)
    }

    /// The engine indexes of the detectors that found something.
    pub fn detector_indexes(&self) -> impl Iterator<Item = usize> + '_ {
        self.tallies.iter().map(|t| t.detector)
    }

    /// How many value fingerprints it holds (its size is about 64 bytes for each).
    pub fn fingerprints_held(&self) -> usize {
        self.tallies.iter().map(|t| t.distinct.len() + t.counting.len()).sum()
    }

    /// The analysis again, for an engine holding `detectors` (the same set that made it).
    pub fn to_analysis(&self, detectors: &[Detector]) -> Result<Analysis, UnknownDetector> {
        let mut tally = FileTally::default();
        if self.people_table {
            tally.saw_people_table();
        }
        for t in &self.tallies {
            let d = detectors.get(t.detector).ok_or(UnknownDetector)?;
            let parse = |v: &[String]| v.iter().filter_map(|h| Fingerprint::from_hex(h)).collect();
            tally.insert(
                t.detector,
                DetectorTally {
                    detector: d.id().to_string(),
                    class: d.class(),
                    roles: d.roles().to_vec(),
                    occurrences: t.occurrences,
                    distinct: parse(&t.distinct),
                    distinct_counting: parse(&t.counting),
                    confidence: t.confidence,
                    samples: t.samples.clone(),
                },
            );
        }
        let encryption = self.encryption.as_ref().map_or_else(Encryption::none, |e| Encryption {
            encrypted: e.encrypted,
            method: e.method.as_deref().and_then(encryption::method_named),
            strong: e.strong,
            cipher: e.cipher.clone(),
            note: e.note.clone(),
        });
        let extracted = Extracted {
            // Only "binary or not" matters once text has been scanned.
            kind: if self.binary { ContentKind::Binary } else { ContentKind::Zip },
            format: crate::extract::format_named(&self.format),
            text_bytes: self.text_bytes,
            partial: self.partial.iter().filter_map(|p| PartialReason::named(p)).collect(),
            encryption,
        };
        Ok(Analysis {
            extracted,
            tally,
            members: self.members.iter().cloned().collect(),
            members_omitted: self.members_omitted,
            suppressed: self.suppressed,
        })
    }
}

fn is_false(value: &bool) -> bool {
    !*value
}

fn is_zero(value: &u64) -> bool {
    *value == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_with_nothing_found_is_stored_in_a_few_bytes_and_reads_back() {
        let analysis = Analysis {
            extracted: Extracted {
                kind: ContentKind::Text(encoding_rs::UTF_8),
                format: "text",
                text_bytes: 49,
                partial: Default::default(),
                encryption: Encryption::none(),
            },
            tally: FileTally::default(),
            members: Default::default(),
            members_omitted: 0,
            suppressed: 0,
        };
        let portable = PortableAnalysis::from_analysis(&analysis);
        let json = serde_json::to_string(&portable).unwrap();
        assert_eq!(json, r#"{"format":"text","text_bytes":49}"#);
        let back: PortableAnalysis = serde_json::from_str(&json).unwrap();
        let again = back.to_analysis(&[]).unwrap();
        assert_eq!((again.extracted.format, again.extracted.encryption), ("text", Encryption::none()));
        assert!(again.tally.is_empty() && again.extracted.kind != ContentKind::Binary);
    }
}
