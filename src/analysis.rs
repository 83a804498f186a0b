//! What reading a file produces ([`Analysis`]), and its value-free portable form.
//!
//! An analysis is everything that depends on a file's bytes: what extraction found and the
//! detectors' tallies, before anything is judged (where the file is, the policy). Two places need
//! one outside the process or the moment that made it: a parser worker answers the scanner over a
//! pipe with one ([`WireAnswer`]), and the agent keeps one per file in its state store so that a
//! file moved somewhere else is judged again (location and policy) without reading its content.
//! Both use [`PortableAnalysis`]. It holds what reports hold, never a matched value: keyed
//! fingerprints (hex), masked samples, counts.
//!
//! Detectors are named by their index in the engine that made the analysis, so an analysis is
//! only meaningful to a scanner with the same detector set: the worker shares its parent's, and
//! the agent keeps an analysis only with the rule-set version that made it.
//!
//! Not here: reading a file (`scan`), judging one (`policy`), the pipe itself (`worker`).

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use crate::classify::{DetectorTally, FileTally};
use crate::detect::{Confidence, Detector, DetectorClass, Fingerprint};
use crate::error::FileError;
use crate::extract::{encryption, ContentKind, Encryption, Extracted, PartialReason};

/// What reading one file found, before judgement. Value-free (findings are tallies of masked
/// samples and fingerprints), so it can cross from a worker process.
#[derive(Debug)]
pub struct Analysis {
    /// What extraction found.
    pub extracted: Extracted,
    /// Findings by detector.
    pub tally: FileTally,
    /// Archive members with findings (the first 50).
    pub members: BTreeSet<String>,
    /// Further members with findings, not listed.
    pub members_omitted: u64,
    /// Values suppressed as documentation or test values.
    pub suppressed: u64,
}

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
    #[serde(default, skip_serializing_if = "is_false")]
    partly: bool,
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
                partly: e.partly,
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

    /// The classes of the detectors that found something, for an engine holding `detectors`
    /// (the same set that made it; an index it does not have names no class).
    pub fn detector_classes<'a>(&'a self, detectors: &'a [Detector]) -> impl Iterator<Item = DetectorClass> + 'a {
        self.tallies.iter().filter_map(|t| detectors.get(t.detector)).map(Detector::class)
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
            partly: e.partly,
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

/// A parser worker's answer for one file, one JSON line on its pipe: an analysis, or why there
/// is none.
#[derive(Serialize, Deserialize)]
pub struct WireAnswer {
    #[serde(default)]
    error: Option<(String, String)>,
    #[serde(default)]
    analysis: Option<PortableAnalysis>,
}

impl WireAnswer {
    /// The answer for a file that could not be analysed: its error's stable kind and message.
    pub fn failed(error: &FileError) -> WireAnswer {
        WireAnswer { error: Some((error.kind().to_string(), error.to_string())), analysis: None }
    }

    /// The answer for a file analysed as `a`.
    pub fn from_analysis(a: &Analysis) -> WireAnswer {
        WireAnswer { error: None, analysis: Some(PortableAnalysis::from_analysis(a)) }
    }

    /// The analysis again, for an engine holding `detectors` (the worker's own set), or the
    /// worker's error; a malformed answer is a parser failure.
    pub fn into_analysis(self, detectors: &[Detector]) -> Result<Analysis, FileError> {
        if let Some((kind, message)) = self.error {
            return Err(FileError::Reported { kind: crate::error::known_kind(&kind), message });
        }
        let analysis = self.analysis.ok_or(FileError::ParserFailure)?;
        analysis.to_analysis(detectors).map_err(|_| FileError::ParserFailure)
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
