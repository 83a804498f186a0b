//! The detector file schema: one TOML file per detector, as written by people.
//!
//! This module only parses and checks the file's own consistency (id, roles, number of examples).
//! Turning a parsed file into something that matches text is `detect::Engine`'s job (`compile.rs`),
//! and so is running the examples. The schema is documented for users in `detectors/README.md`.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use toml::Spanned;

use super::finding::MaskStyle;
use super::validate::ValidatorKind;
use super::{Confidence, DetectorClass};
use crate::error::ConfigError;

/// A detector file as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DetectorSpec {
    /// Stable id carried by every report; equals the file stem.
    pub id: Spanned<String>,
    /// One line saying what it finds.
    pub description: String,
    /// What kind of data it finds; decides how findings weigh in classification.
    pub class: DetectorClass,
    /// The parts it plays in the classification rule beyond its class (see [`Role`]).
    #[serde(default)]
    pub roles: Vec<Spanned<Role>>,
    /// Literal words that gate the regex: when present, the regex runs only within
    /// `keyword_window` bytes of one of them (ASCII case-insensitive, whole words when alphabetic).
    #[serde(default)]
    pub keywords: Vec<String>,
    /// Bytes either side of a keyword searched by the regex.
    #[serde(default = "default_window")]
    pub keyword_window: usize,
    /// The candidate pattern (Rust regex syntax, ASCII classes unless `(?u)` is given). A capture
    /// group named `value` (or `value_...`, one per alternative) marks the part that is the value,
    /// when the pattern also matches a label; one named `context_value...` marks a value that counts
    /// only with a context word near it or in its column's header.
    pub regex: Spanned<String>,
    /// The validator that accepts or rejects candidates.
    pub validator: Spanned<ValidatorKind>,
    /// Tier of a valid finding with no context word near it.
    pub confidence: Confidence,
    /// Words that raise confidence when near a match.
    #[serde(default)]
    pub context: Option<ContextSpec>,
    /// Words that lower confidence when near a match (to the spec's `confidence`), for places a
    /// valid value is not about anyone's records: an e-mail address in a `Copyright` or
    /// `Signed-off-by` line. A demoted finding is still reported, but never decides a category.
    /// One `[demote]` table, or several `[[demote]]` with windows of their own.
    #[serde(default, deserialize_with = "one_or_many")]
    pub demote: Vec<ContextSpec>,
    /// Normalised values never reported (documentation examples, the institution's own numbers).
    #[serde(default)]
    pub allowlist: Vec<String>,
    /// Header words (ASCII case-insensitive, whole words): every cell of a table column whose
    /// header holds one is a candidate value too, whatever its shape (the Password column of a
    /// browser's export).
    #[serde(default)]
    pub column_values: Vec<String>,
    /// When true, a match counts only near an identifier or contact detail, or in a table of people
    /// (special-category terms: a policy about health is not health data).
    #[serde(default)]
    pub requires_person: bool,
    /// Where in a text the detector looks: `anywhere` (default) or `edges` (the first and last 2 KiB:
    /// headers, footers, a page's first and last lines, document properties).
    #[serde(default)]
    pub scope: Scope,
    /// How much of the value the masked sample shows.
    #[serde(default)]
    pub mask: MaskStyle,
    /// Examples the engine must get right; every detector proves itself with them.
    #[serde(default, rename = "example")]
    pub examples: Vec<Spanned<Example>>,
}

/// A part a detector plays in the university's classification rule beyond what its class says.
/// `classify` reads roles, never detector ids, so a detector of a user's (a local patient number,
/// a department's own marking) takes part exactly as a built-in one does. Each role belongs to one
/// class ([`Role::class`]); a detector may play several roles, and most play none. (`Serialize`
/// gives messages the role's name as a file writes it.)
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize, Serialize)]
pub enum Role {
    /// A health-service number (NHS number, Northern Ireland H&C number, Scotland's CHI number):
    /// with health data about people, or ten distinct ones, it makes a file patient-level data,
    /// highly confidential under the university's policy. Class `identifier`.
    #[serde(rename = "health_service_number")]
    HealthServiceNumber,
    /// Data concerning health (UK GDPR Art. 4(15) and 9(1)) about a person: with a health-service
    /// number it makes a file patient-level data. Class `special_category`.
    #[serde(rename = "special_category.health")]
    HealthData,
    /// A marking that makes a file highly confidential by itself: Highly Confidential, or a UK
    /// Government classification of OFFICIAL-SENSITIVE and above. Class `marking`.
    #[serde(rename = "marking.highly_confidential")]
    HighlyConfidentialMarking,
    /// A marking that makes a file confidential by itself: Confidential, Draft. Class `marking`.
    #[serde(rename = "marking.confidential")]
    ConfidentialMarking,
    /// A marking that makes a file public when nothing else is found: Public, UNCLASSIFIED, a
    /// Public or General label. Class `marking`.
    #[serde(rename = "marking.public")]
    PublicMarking,
}

impl Role {
    /// The class of detector that may play this role: a health-service number identifies a
    /// person, a marking is a marking.
    pub fn class(self) -> DetectorClass {
        match self {
            Role::HealthServiceNumber => DetectorClass::Identifier,
            Role::HealthData => DetectorClass::SpecialCategory,
            Role::HighlyConfidentialMarking | Role::ConfidentialMarking | Role::PublicMarking => DetectorClass::Marking,
        }
    }
}

/// Where in a text a detector looks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    /// Everywhere.
    #[default]
    Anywhere,
    /// The first and last 2 KiB of each text (document, page, part, member).
    Edges,
}

/// Context words and their window.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContextSpec {
    /// Words or phrases (ASCII case-insensitive, whole words).
    pub words: Vec<String>,
    /// Bytes before the match searched for a word.
    #[serde(default = "default_window")]
    pub before: usize,
    /// Bytes after the match searched for a word.
    #[serde(default = "default_window")]
    pub after: usize,
    /// Tier of a valid finding with a context word near it.
    pub confidence: Confidence,
    /// When true, a candidate with no context word near it is not a finding at all.
    #[serde(default)]
    pub required: bool,
    /// When true, a word counts only in the same line as the match, or in the same header field
    /// with its folded continuation lines (`References: <a@b>` then ` <c@d>`, RFC 5322 §2.2.3).
    #[serde(default)]
    pub same_field: bool,
    /// Column headers that are context only as a whole header cell of a table of people (`ID`,
    /// `SID`, `Student`): too common to count near a value in prose or inside a longer header.
    #[serde(default)]
    pub columns: Vec<String>,
}

/// A table or an array of tables: `[demote]` or `[[demote]]`.
fn one_or_many<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Vec<ContextSpec>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum OneOrMany {
        One(ContextSpec),
        Many(Vec<ContextSpec>),
    }
    Ok(match OneOrMany::deserialize(deserializer)? {
        OneOrMany::One(spec) => vec![spec],
        OneOrMany::Many(specs) => specs,
    })
}

/// One example: a text and the values the detector must find in it (none for a negative example).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Example {
    /// The text to scan.
    pub text: String,
    /// Values that must be found, as matched; empty for a negative example.
    #[serde(default, rename = "match")]
    pub matches: Vec<String>,
    /// If given, every finding in this example must have this tier.
    #[serde(default)]
    pub confidence: Option<Confidence>,
}

/// Examples a detector file needs of each kind, built-in or a user's: texts whose values must be
/// found, and texts where nothing may be.
pub const MIN_EXAMPLES: usize = 3;

/// A value's name as a detector file writes it (its serde name), for messages.
fn written(value: impl Serialize) -> String {
    serde_json::to_value(value).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default()
}

fn default_window() -> usize {
    300
}

/// A parsed detector file together with where it came from, for error messages.
#[derive(Debug)]
pub struct DetectorSource {
    /// The parsed file.
    pub spec: DetectorSpec,
    /// Its path (or `<embedded>/detectors/<id>.toml`).
    pub path: PathBuf,
    /// Its text, kept to turn spans into line numbers in later errors.
    pub text: String,
}

impl DetectorSource {
    /// Parses one detector file and checks what can be checked without compiling it.
    pub fn parse(path: &Path, text: String) -> Result<Self, ConfigError> {
        let spec: DetectorSpec = toml::from_str(&text).map_err(|e| ConfigError::from_toml(path, &text, &e))?;
        let source = DetectorSource { spec, path: path.to_path_buf(), text };
        source.check_id()?;
        source.check_roles()?;
        source.check_examples()?;
        Ok(source)
    }

    /// A located error at `span` in this file.
    pub fn error_at(&self, span: std::ops::Range<usize>, message: impl Into<String>) -> ConfigError {
        ConfigError::at_offset(&self.path, &self.text, span.start, message)
    }

    fn check_id(&self) -> Result<(), ConfigError> {
        let id = self.spec.id.get_ref();
        let well_formed = !id.is_empty()
            && id.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'.');
        if !well_formed {
            return Err(
                self.error_at(self.spec.id.span(), "detector id must be lower-case letters, digits, '_' and '.'")
            );
        }
        let stem = self.path.file_stem().and_then(|s| s.to_str()).unwrap_or_default();
        if stem != id {
            return Err(self.error_at(
                self.spec.id.span(),
                format!("detector id \"{id}\" must equal the file name without .toml (\"{stem}\")"),
            ));
        }
        Ok(())
    }

    /// Each role on a detector of its own class: `classify` weighs a detector by both, and a
    /// marking's role on an identifier would make every such number a marking.
    fn check_roles(&self) -> Result<(), ConfigError> {
        let class = self.spec.class;
        match self.spec.roles.iter().find(|r| r.get_ref().class() != class) {
            Some(role) => Err(self.error_at(
                role.span(),
                format!(
                    "role `{}` is for detectors of class `{}`, not `{}`",
                    written(role.get_ref()),
                    written(role.get_ref().class()),
                    written(class)
                ),
            )),
            None => Ok(()),
        }
    }

    /// Every detector file, built-in or a user's, proves itself with [`MIN_EXAMPLES`] examples
    /// that must find values and as many that must not.
    fn check_examples(&self) -> Result<(), ConfigError> {
        let positives = self.spec.examples.iter().filter(|e| !e.get_ref().matches.is_empty()).count();
        let negatives = self.spec.examples.len() - positives;
        if positives < MIN_EXAMPLES || negatives < MIN_EXAMPLES {
            return Err(self.error_at(
                self.spec.id.span(),
                format!(
                    "a detector needs at least {MIN_EXAMPLES} [[example]]s with `match` values and {MIN_EXAMPLES} \
                     without; this file has {positives} and {negatives}"
                ),
            ));
        }
        Ok(())
    }
}
