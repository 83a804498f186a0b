//! Configuration: TOML text in, a validated [`Config`] out.
//!
//! The default configuration (`config/default.toml`, fully commented) is embedded in the binary and
//! is the only place defaults are written: a user's file (`--config FILE`, every key optional) is
//! merged over it key by key, table by table, and the result is built. Unknown keys, bad values and
//! names of rules or detectors that do not exist fail at start with the file, line and column.
//! Nothing else in the library parses configuration: stages get the typed parts they need.

use std::collections::BTreeMap;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::time::Duration;

use globset::{Glob, GlobSet, GlobSetBuilder};
use serde::Deserialize;
use toml::Spanned;

use crate::agent::etiquette::OnBattery;
use crate::agent::AgentConfig;
use crate::detect::DetectorFile;
use crate::error::ConfigError;
use crate::policy::Rule;
use crate::scan::ScanConfig;
pub use parts::BuildError;
use sinks::{RawDelivery, RawSink};

mod parts;
mod sinks;
pub mod worker;

/// The embedded default configuration.
pub const DEFAULT_CONFIG: &str = include_str!("../../config/default.toml");
/// The name the embedded default has in messages.
const DEFAULT_PATH: &str = "<embedded>/config/default.toml";

/// A validated configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// Walking and reading files.
    pub scan: ScanConfig,
    /// Which detectors run.
    pub detectors: crate::detect::DetectorSelection,
    /// Where the fingerprint key lives; `None` means the per-user or system default.
    pub fingerprint_key_file: Option<PathBuf>,
    /// Paths whose location kind is declared rather than discovered.
    pub locations: Vec<crate::locate::DeclaredLocation>,
    /// Organisations whose business OneDrive counts as managed.
    pub managed_onedrive_tenants: Vec<String>,
    /// How the policy rules are tuned.
    pub rules: crate::policy::RulesConfig,
    /// Values never reported, by keyed fingerprint.
    pub allowed_fingerprints: Vec<crate::detect::Fingerprint>,
    /// Sensitivity-label names by id (lower-case GUID without braces).
    pub labels: crate::extract::LabelNames,
    /// Where events go besides the command's own output.
    pub delivery: crate::deliver::DeliveryConfig,
    /// What `dlp-agent` watches and how often it reports.
    pub agent: AgentConfig,
    /// The texts this configuration was built from.
    pub source: ConfigSource,
}

/// The texts a configuration was built from: enough to build the same configuration again
/// without reading any file (a parser worker does, so that it runs with the configuration the
/// parent runs, not with whatever the file says now).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ConfigSource {
    /// The configuration file; `None` for the embedded default.
    pub path: Option<PathBuf>,
    /// Its text.
    pub text: String,
    /// The user's detector files (`detectors.custom_dir`), as read.
    pub detector_files: Vec<crate::detect::DetectorFile>,
}

/// Keys of a configuration file, each optional: a user's file and the embedded default are both
/// read into this, and the user's is merged over the default's ([`Merge`]).
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
struct RawConfig {
    managed_onedrive_tenants: Option<Vec<String>>,
    scan: RawScan,
    limits: RawLimits,
    detectors: RawDetectors,
    fingerprint: RawFingerprint,
    locations: Option<Vec<RawLocation>>,
    rules: RawRules,
    allow: Option<Vec<Spanned<RawAllow>>>,
    labels: BTreeMap<String, String>,
    delivery: RawDelivery,
    sinks: Option<Vec<Spanned<RawSink>>>,
    agent: RawAgent,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawScan {
    follow_symlinks: Option<bool>,
    max_file_size: Option<Spanned<String>>,
    file_time_budget_secs: Option<u64>,
    threads: Option<usize>,
    exclude: Option<Spanned<Vec<Spanned<String>>>>,
    isolate_parsers: Option<bool>,
    worker_memory: Option<Spanned<String>>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawLimits {
    max_depth: Option<u32>,
    max_members: Option<u64>,
    max_expanded_size: Option<Spanned<String>>,
    max_member_size: Option<Spanned<String>>,
    max_expansion_ratio: Option<u64>,
    max_text_size: Option<Spanned<String>>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawDetectors {
    disabled: Option<Vec<Spanned<String>>>,
    custom_dir: Option<Spanned<PathBuf>>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawFingerprint {
    key_file: Option<PathBuf>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawRules {
    disabled: Option<Vec<Spanned<String>>>,
    #[serde(default)]
    severity: BTreeMap<Spanned<String>, crate::policy::Severity>,
    retention_days: Option<u64>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawAgent {
    roots: Option<Vec<PathBuf>>,
    state_file: Option<PathBuf>,
    heartbeat_secs: Option<u64>,
    settle_ms: Option<u64>,
    reconcile_secs: Option<u64>,
    max_read_rate: Option<Spanned<String>>,
    on_battery: Option<OnBattery>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAllow {
    path: Option<Spanned<String>>,
    fingerprint: Option<Spanned<String>>,
    /// Empty: every rule.
    #[serde(default)]
    rules: Vec<Spanned<String>>,
    reason: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLocation {
    path: Spanned<PathBuf>,
    kind: crate::locate::LocationKind,
    provider: Option<String>,
}

/// Laying a user's keys over the default's: a key the user gives replaces the default's (a list
/// all of it); tables merge key by key.
trait Merge {
    fn merge(self, over: Self) -> Self;
}

impl<T> Merge for Option<T> {
    fn merge(self, over: Self) -> Self {
        over.or(self)
    }
}

impl<K: Ord, V> Merge for BTreeMap<K, V> {
    fn merge(mut self, over: Self) -> Self {
        for (key, value) in over {
            // Removed first so that the user's key (and its place in the user's file) is kept.
            self.remove(&key);
            self.insert(key, value);
        }
        self
    }
}

/// `Merge` for a table: field by field.
macro_rules! merge_fields {
    ($table:ident { $($field:ident),* $(,)? }) => {
        impl Merge for $table {
            fn merge(self, over: Self) -> Self {
                $table { $($field: self.$field.merge(over.$field)),* }
            }
        }
    };
}

merge_fields!(RawConfig {
    managed_onedrive_tenants,
    scan,
    limits,
    detectors,
    fingerprint,
    locations,
    rules,
    allow,
    labels,
    delivery,
    sinks,
    agent,
});
merge_fields!(RawScan {
    follow_symlinks,
    max_file_size,
    file_time_budget_secs,
    threads,
    exclude,
    isolate_parsers,
    worker_memory,
});
merge_fields!(RawLimits {
    max_depth,
    max_members,
    max_expanded_size,
    max_member_size,
    max_expansion_ratio,
    max_text_size,
});
merge_fields!(RawDetectors { disabled, custom_dir });
merge_fields!(RawFingerprint { key_file });
merge_fields!(RawRules { disabled, severity, retention_days });
merge_fields!(RawDelivery { spool_dir, spool_max_size, spool_full, drain_timeout_secs });
merge_fields!(RawAgent { roots, state_file, heartbeat_secs, settle_ms, reconcile_secs, max_read_rate, on_battery });

/// One configuration text, to locate what is wrong in it.
#[derive(Clone, Copy)]
struct Text<'a> {
    path: &'a Path,
    text: &'a str,
}

impl Text<'_> {
    fn read(&self) -> Result<RawConfig, ConfigError> {
        toml::from_str(self.text).map_err(|e| ConfigError::from_toml(self.path, self.text, &e))
    }
}

/// The two texts a configuration is built from. Values are checked against `file`, the user's (or
/// the embedded default read alone): the default's own values are known to be good, since the
/// default builds by itself (a test holds it), so a bad value is always the user's.
struct Texts<'a> {
    file: Text<'a>,
    default: Text<'a>,
}

impl Texts<'_> {
    /// A located error in the file being read.
    fn at(&self, span: Range<usize>, message: impl Into<String>) -> ConfigError {
        ConfigError::at_offset(self.file.path, self.file.text, span.start, message)
    }

    /// A key every configuration has, from the user's file or else the embedded default.
    fn need<T>(&self, value: Option<T>, key: &str) -> Result<T, ConfigError> {
        value.ok_or_else(|| {
            ConfigError::at_offset(
                self.default.path,
                self.default.text,
                0,
                format!("`{key}` is missing: the embedded default gives every default"),
            )
        })
    }

    /// A size (`512 MiB`) every configuration has.
    fn size(&self, value: Option<Spanned<String>>, key: &str) -> Result<u64, ConfigError> {
        let value = self.need(value, key)?;
        parse_size(value.get_ref()).map_err(|msg| self.at(value.span(), msg))
    }
}

/// Where the user's detector files come from.
enum DetectorFiles<'a> {
    /// Read from `detectors.custom_dir`.
    Read,
    /// As read before (a worker rebuilding its parent's configuration).
    Given(&'a [DetectorFile]),
}

impl Config {
    /// The embedded default configuration.
    pub fn embedded_default() -> Result<Config, ConfigError> {
        Config::parse(DEFAULT_CONFIG, None, DetectorFiles::Read)
    }

    /// Reads and validates a user's configuration file, and the detector files it names; keys
    /// it leaves out take the defaults.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = crate::fsutil::read_small_text(path)
            .map_err(|source| ConfigError::Read { path: path.to_path_buf(), source })?;
        Config::parse(DEFAULT_CONFIG, Some(Text { path, text: &text }), DetectorFiles::Read)
    }

    /// Adds exclusion globs (the command line's `--exclude`) to `scan.exclude`.
    ///
    /// Errors: a glob that does not parse, named in the message.
    pub fn add_exclusions(&mut self, globs: &[String]) -> Result<(), String> {
        if globs.is_empty() {
            return Ok(());
        }
        self.scan.exclude_globs.extend(globs.iter().cloned());
        self.scan.exclude = glob_set(self.scan.exclude_globs.iter().map(String::as_str))?;
        Ok(())
    }

    /// Builds the configuration `source` describes, reading no file.
    pub fn from_source(source: &ConfigSource) -> Result<Config, ConfigError> {
        let file = source.path.as_deref().map(|path| Text { path, text: &source.text });
        Config::parse(DEFAULT_CONFIG, file, DetectorFiles::Given(&source.detector_files))
    }

    /// Builds `file` merged over `default`, or `default` alone.
    fn parse(default: &str, file: Option<Text<'_>>, detector_files: DetectorFiles<'_>) -> Result<Config, ConfigError> {
        let default = Text { path: Path::new(DEFAULT_PATH), text: default };
        let raw = default.read()?;
        let (raw, texts) = match file {
            Some(file) => (raw.merge(file.read()?), Texts { file, default }),
            None => (raw, Texts { file: default, default }),
        };
        let custom_files = match (detector_files, &raw.detectors.custom_dir) {
            (DetectorFiles::Given(files), _) => files.to_vec(),
            (DetectorFiles::Read, Some(dir)) => read_detector_files(dir, &texts)?,
            (DetectorFiles::Read, None) => Vec::new(),
        };
        let source = ConfigSource {
            path: file.map(|f| f.path.to_path_buf()),
            text: texts.file.text.to_string(),
            detector_files: custom_files,
        };
        build(raw, &texts, source)
    }
}

/// Builds a configuration from merged keys; `source` holds the user's detector files.
fn build(raw: RawConfig, texts: &Texts<'_>, source: ConfigSource) -> Result<Config, ConfigError> {
    let exclude_list = texts.need(raw.scan.exclude, "scan.exclude")?;
    for glob in exclude_list.get_ref() {
        glob_set([glob.get_ref().as_str()]).map_err(|msg| texts.at(glob.span(), msg))?;
    }
    let exclude_globs: Vec<String> = exclude_list.get_ref().iter().map(|g| g.get_ref().clone()).collect();
    let exclude =
        glob_set(exclude_globs.iter().map(String::as_str)).map_err(|msg| texts.at(exclude_list.span(), msg))?;
    let limits = crate::extract::ExtractLimits {
        time_budget: Duration::from_secs(texts.need(raw.scan.file_time_budget_secs, "scan.file_time_budget_secs")?),
        max_depth: texts.need(raw.limits.max_depth, "limits.max_depth")?,
        max_members: texts.need(raw.limits.max_members, "limits.max_members")?,
        max_expanded_bytes: texts.size(raw.limits.max_expanded_size, "limits.max_expanded_size")?,
        max_member_bytes: texts.size(raw.limits.max_member_size, "limits.max_member_size")?,
        max_ratio: texts.need(raw.limits.max_expansion_ratio, "limits.max_expansion_ratio")?,
        max_text_bytes: texts.size(raw.limits.max_text_size, "limits.max_text_size")?,
    };
    let scan = ScanConfig {
        follow_symlinks: texts.need(raw.scan.follow_symlinks, "scan.follow_symlinks")?,
        max_file_size: texts.size(raw.scan.max_file_size, "scan.max_file_size")?,
        threads: texts.need(raw.scan.threads, "scan.threads")?,
        exclude,
        exclude_globs,
        limits,
        isolate_parsers: texts.need(raw.scan.isolate_parsers, "scan.isolate_parsers")?,
        worker_memory: texts.size(raw.scan.worker_memory, "scan.worker_memory")?,
    };
    let locations = raw
        .locations
        .unwrap_or_default()
        .into_iter()
        .map(|r| {
            if !r.path.get_ref().is_absolute() {
                return Err(texts.at(r.path.span(), "locations.path must be an absolute path"));
            }
            Ok(crate::locate::DeclaredLocation { path: r.path.into_inner(), kind: r.kind, provider: r.provider })
        })
        .collect::<Result<Vec<_>, _>>()?;
    let mut allow = Vec::new();
    let mut allowed_fingerprints = Vec::new();
    for a in raw.allow.unwrap_or_default() {
        let span = a.span();
        let r = a.into_inner();
        match (&r.path, &r.fingerprint) {
            (Some(path), None) => {
                let glob = Glob::new(path.get_ref())
                    .map_err(|e| texts.at(path.span(), format!("bad allow path glob: {e}")))?;
                allow.push(crate::policy::PathAllowance {
                    glob: glob.compile_matcher(),
                    rules: r.rules.iter().map(|id| rule_named(id, "allow.rules", texts)).collect::<Result<_, _>>()?,
                    reason: r.reason,
                });
            }
            (None, Some(hex)) => {
                let fp = crate::detect::Fingerprint::from_hex(hex.get_ref()).ok_or_else(|| {
                    texts.at(hex.span(), "allow.fingerprint must be 32 hex digits, as reports print it")
                })?;
                allowed_fingerprints.push(fp);
            }
            _ => return Err(texts.at(span, "an [[allow]] entry needs either `path` or `fingerprint`")),
        }
    }
    let rules = crate::policy::RulesConfig {
        disabled: texts
            .need(raw.rules.disabled, "rules.disabled")?
            .iter()
            .map(|id| rule_named(id, "rules.disabled", texts))
            .collect::<Result<_, _>>()?,
        severity: raw
            .rules
            .severity
            .into_iter()
            .map(|(id, severity)| Ok((rule_named(&id, "rules.severity", texts)?, severity)))
            .collect::<Result<_, ConfigError>>()?,
        retention_days: texts.need(raw.rules.retention_days, "rules.retention_days")?,
        allow,
    };
    let disabled_detectors = texts.need(raw.detectors.disabled, "detectors.disabled")?;
    for id in &disabled_detectors {
        check_detector_id(id, &source.detector_files, texts)?;
    }
    let delivery = sinks::parse_delivery(raw.delivery, raw.sinks.unwrap_or_default(), texts)?;
    let labels =
        raw.labels.into_iter().map(|(id, name)| (id.trim_matches(['{', '}']).to_ascii_lowercase(), name)).collect();
    let agent = AgentConfig {
        roots: texts.need(raw.agent.roots, "agent.roots")?,
        state_file: raw.agent.state_file,
        heartbeat: Duration::from_secs(texts.need(raw.agent.heartbeat_secs, "agent.heartbeat_secs")?.max(1)),
        settle: Duration::from_millis(texts.need(raw.agent.settle_ms, "agent.settle_ms")?),
        reconcile: Duration::from_secs(texts.need(raw.agent.reconcile_secs, "agent.reconcile_secs")?.max(10)),
        max_read_rate: texts.size(raw.agent.max_read_rate, "agent.max_read_rate")?,
        on_battery: texts.need(raw.agent.on_battery, "agent.on_battery")?,
    };
    Ok(Config {
        agent,
        delivery,
        labels,
        allowed_fingerprints,
        rules,
        scan,
        detectors: crate::detect::DetectorSelection {
            disabled: disabled_detectors.into_iter().map(Spanned::into_inner).collect(),
            custom_files: source.detector_files.clone(),
        },
        fingerprint_key_file: raw.fingerprint.key_file,
        locations,
        managed_onedrive_tenants: texts.need(raw.managed_onedrive_tenants, "managed_onedrive_tenants")?,
        source,
    })
}

/// The rule a configuration names at `key`, or where and why it names none.
fn rule_named(id: &Spanned<String>, key: &str, texts: &Texts<'_>) -> Result<Rule, ConfigError> {
    let name = id.get_ref();
    Rule::from_id(name).ok_or_else(|| {
        let ids = Rule::ALL.map(Rule::id);
        let hint = match nearest(name, ids) {
            Some(near) => format!("did you mean \"{near}\"?"),
            None => format!("the rules are {}", ids.join(", ")),
        };
        texts.at(id.span(), format!("{key}: no rule has the id \"{name}\"; {hint}"))
    })
}

/// Checks that `detectors.disabled` names an embedded detector or one of the user's files (whose
/// ids are their file names, as detector files must be named).
fn check_detector_id(id: &Spanned<String>, custom: &[DetectorFile], texts: &Texts<'_>) -> Result<(), ConfigError> {
    let mut ids: Vec<&str> = custom.iter().filter_map(|f| f.path.file_stem().and_then(|s| s.to_str())).collect();
    for embedded in crate::detect::builtin::embedded_ids() {
        ids.push(embedded);
    }
    let name = id.get_ref();
    if ids.contains(&name.as_str()) {
        return Ok(());
    }
    let hint = match nearest(name, ids) {
        Some(near) => format!("did you mean \"{near}\"?"),
        None => "`dlp-scan --list-detectors` lists them".to_string(),
    };
    Err(texts.at(id.span(), format!("detectors.disabled: no detector has the id \"{name}\"; {hint}")))
}

/// The name in `names` a misspelling of `word` most likely meant: the closest by edit distance,
/// when it is within a third of the word's length.
fn nearest<'n>(word: &str, names: impl IntoIterator<Item = &'n str>) -> Option<&'n str> {
    names
        .into_iter()
        .map(|name| (strsim::levenshtein(word, name), name))
        .filter(|&(distance, _)| distance * 3 <= word.len().max(3))
        .min()
        .map(|(_, name)| name)
}

/// Reads every `*.toml` file in a user's detector folder (`detectors.custom_dir`), in name order.
fn read_detector_files(dir: &Spanned<PathBuf>, texts: &Texts<'_>) -> Result<Vec<DetectorFile>, ConfigError> {
    let folder_error = |e: std::io::Error| {
        texts.at(dir.span(), format!("detectors.custom_dir: cannot read the folder {}: {e}", dir.get_ref().display()))
    };
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir.get_ref())
        .map_err(folder_error)?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    paths.sort();
    paths
        .into_iter()
        .map(|path| {
            let text = crate::fsutil::read_small_text(&path)
                .map_err(|source| ConfigError::Read { path: path.clone(), source })?;
            Ok(DetectorFile { path, text })
        })
        .collect()
}

fn glob_set<'g>(globs: impl IntoIterator<Item = &'g str>) -> Result<GlobSet, String> {
    let mut builder = GlobSetBuilder::new();
    for g in globs {
        builder.add(Glob::new(g).map_err(|e| format!("bad exclude glob: {e}"))?);
    }
    builder.build().map_err(|e| format!("exclude globs do not combine: {e}"))
}

/// Parses sizes such as `512 MiB`, `2GB`, `1048576`.
pub(super) fn parse_size(text: &str) -> Result<u64, String> {
    let t = text.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (number, unit) = t.split_at(split);
    let number: u64 = number.parse().map_err(|_| format!("\"{text}\" is not a size (try \"512 MiB\")"))?;
    let multiplier: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" | "kib" => 1 << 10,
        "m" | "mb" | "mib" => 1 << 20,
        "g" | "gb" | "gib" => 1 << 30,
        "t" | "tb" | "tib" => 1 << 40,
        other => return Err(format!("unknown size unit \"{other}\" (use KiB, MiB or GiB)")),
    };
    number.checked_mul(multiplier).ok_or_else(|| format!("\"{text}\" is too large"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Config, ConfigError> {
        Config::parse(DEFAULT_CONFIG, Some(Text { path: Path::new("test.toml"), text }), DetectorFiles::Read)
    }

    fn error(text: &str) -> String {
        parse(text).unwrap_err().to_string()
    }

    #[test]
    fn embedded_default_parses() {
        let c = Config::embedded_default().unwrap();
        assert!(!c.scan.follow_symlinks);
        assert!(c.scan.exclude.is_match("/home/a/project/.git/objects"));
        assert!(c.scan.exclude.is_match("/home/a/project/.git/modules/lib/objects"));
        assert!(c.scan.exclude.is_match("/home/a/project/.git/index"));
        assert!(!c.scan.exclude.is_match("/home/a/project/.git/config"), "a remote's token is kept there");
        assert!(!c.scan.exclude.is_match("/home/a/Documents/staff.csv"));
    }

    /// Every key with a default is in default.toml (building the default alone asks for each), and
    /// the program takes its defaults from there: a user's empty file gives the default, and a
    /// value changed in default.toml is the value built.
    #[test]
    fn defaults_come_from_default_toml_alone() {
        let default = Config::embedded_default().unwrap();
        let empty = parse("").unwrap();
        let debug = |c: &Config| format!("{:?}", Config { source: default.source.clone(), ..c.clone() });
        assert_eq!(debug(&empty), debug(&default));
        let changed = DEFAULT_CONFIG
            .replace("threads = 0", "threads = 7")
            .replace("heartbeat_secs = 300", "heartbeat_secs = 42")
            .replace("spool_max_size = \"256 MiB\"", "spool_max_size = \"1 MiB\"");
        let c = Config::parse(&changed, Some(Text { path: Path::new("test.toml"), text: "" }), DetectorFiles::Read)
            .unwrap();
        assert_eq!(c.scan.threads, 7);
        assert_eq!(c.agent.heartbeat, Duration::from_secs(42));
        assert_eq!(c.delivery.spool_max_bytes, 1 << 20);
        let without = DEFAULT_CONFIG.replace("settle_ms = 1000", "");
        let err = Config::parse(&without, None, DetectorFiles::Read).unwrap_err().to_string();
        assert_eq!(
            err,
            "<embedded>/config/default.toml:1:1: `agent.settle_ms` is missing: the embedded default gives every default"
        );
    }

    #[test]
    fn tables_merge_key_by_key() {
        let c = parse("[rules.severity]\nweak_encryption = \"high\"\n[labels]\n\"{AB}\" = \"Secret\"\n").unwrap();
        assert_eq!(c.rules.severity, [(Rule::WeakEncryption, crate::policy::Severity::High)]);
        assert_eq!(c.labels.get("ab").map(String::as_str), Some("Secret"));
        let c = parse("[scan]\nexclude = [\"**/x\"]\n").unwrap();
        assert_eq!(c.scan.exclude_globs, ["**/x"], "a list given replaces the default's");
    }

    #[test]
    fn rule_and_detector_ids_are_checked_where_they_are_named() {
        assert_eq!(
            error("[rules]\ndisabled = [\"credential_exposed\", \"weak_encryptoin\"]\n"),
            "test.toml:2:35: rules.disabled: no rule has the id \"weak_encryptoin\"; did you mean \"weak_encryption\"?"
        );
        assert!(error("[rules.severity]\nlouder = \"high\"\n").starts_with(
            "test.toml:2:1: rules.severity: no rule has the id \"louder\"; the rules are unlabelled_highly_confidential, "
        ));
        assert_eq!(
            error("[[allow]]\npath = \"/x/**\"\nrules = [\"credential_exposd\"]\nreason = \"r\"\n"),
            "test.toml:3:10: allow.rules: no rule has the id \"credential_exposd\"; did you mean \"credential_exposed\"?"
        );
        assert_eq!(
            error("[detectors]\ndisabled = [\"uk_postcod\"]\n"),
            "test.toml:2:13: detectors.disabled: no detector has the id \"uk_postcod\"; did you mean \"uk_postcode\"?"
        );
        assert!(parse("[detectors]\ndisabled = [\"uk_postcode\"]\n").is_ok());
    }

    #[test]
    fn an_oversized_configuration_file_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("big.toml");
        std::fs::write(&path, "#".repeat(5 << 20)).unwrap();
        let err = Config::load(&path).unwrap_err();
        let cause = std::error::Error::source(&err).map(ToString::to_string);
        assert_eq!(
            (err.to_string(), cause),
            (format!("{}: cannot read", path.display()), Some("file is larger than 4 MiB".into()))
        );
    }

    #[test]
    fn sizes_parse_with_units() {
        assert_eq!(parse_size("512 MiB"), Ok(512 << 20));
        assert_eq!(parse_size("2GB"), Ok(2 << 30));
        assert_eq!(parse_size("100"), Ok(100));
        assert!(parse_size("12 parsecs").is_err());
    }

    #[test]
    fn unknown_keys_fail_with_line_and_column() {
        let err = parse("[scan]\nfollow_symlinks = true\ncolour = \"blue\"\n").unwrap_err().to_string();
        assert!(err.starts_with("test.toml:3:1:"), "{err}");
        assert!(err.contains("colour"), "{err}");
    }

    #[test]
    fn bad_values_fail_with_their_line() {
        let err = parse("[scan]\n\nmax_file_size = \"lots\"\n").unwrap_err().to_string();
        assert!(err.starts_with("test.toml:3:"), "{err}");
        let err = parse("[scan]\nexclude = [\"a[\"]\n").unwrap_err().to_string();
        assert!(err.starts_with("test.toml:2:"), "{err}");
        let err = parse("[[locations]]\npath = \"relative\"\nkind = \"removable\"\n").unwrap_err().to_string();
        assert!(err.starts_with("test.toml:"), "{err}");
        let err = parse("[[locations]]\npath = \"/media/x\"\nkind = \"floppy\"\n").unwrap_err().to_string();
        assert!(err.contains("floppy") || err.contains("unknown variant"), "{err}");
    }

    #[test]
    fn sinks_are_checked_for_the_keys_their_type_needs() {
        let c = parse("[[sinks]]\ntype = \"syslog\"\ntransport = \"tls\"\naddress = \"siem:6514\"\n").unwrap();
        assert_eq!(c.delivery.sinks[0].name, "syslog-1");
        assert_eq!(c.delivery.sinks[0].format, crate::report::encode::EventFormat::Cef);
        let err = parse("\n[[sinks]]\ntype = \"syslog\"\ntransport = \"tcp\"\naddress = \"s:514\"\npath = \"/x\"\n")
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("test.toml:2:") && err.contains("`path` does not apply to a syslog sink"), "{err}");
        let err = parse("[[sinks]]\ntype = \"splunk_hec\"\nurl = \"https://s:8088\"\n").unwrap_err().to_string();
        assert!(err.contains("token_file"), "{err}");
        let err = parse("[[sinks]]\ntype = \"kafka\"\n").unwrap_err().to_string();
        assert!(err.contains("unknown sink type"), "{err}");
        let err =
            parse("[[sinks]]\ntype = \"elasticsearch\"\nformat = \"cef\"\nurl = \"https://e\"\napi_key_env = \"K\"\n")
                .unwrap_err()
                .to_string();
        assert!(err.contains("JSON format"), "{err}");
    }

    #[test]
    fn spool_full_is_one_of_two_policies() {
        use crate::deliver::spool::SpoolFull;
        assert_eq!(Config::embedded_default().unwrap().delivery.spool_full, SpoolFull::DropOldest);
        assert_eq!(
            parse("[delivery]\nspool_full = \"drop_newest\"\n").unwrap().delivery.spool_full,
            SpoolFull::DropNewest
        );
        let err = parse("[delivery]\n\nspool_full = \"wait\"\n").unwrap_err().to_string();
        assert!(err.starts_with("test.toml:3:") && err.contains("drop_oldest"), "{err}");
    }

    #[test]
    fn plain_http_and_wide_event_files_are_refused() {
        let hec = "[[sinks]]\ntype = \"splunk_hec\"\nurl = \"http://s:8088\"\ntoken_env = \"T\"\n";
        let err = parse(&format!("\n{hec}")).unwrap_err().to_string();
        assert!(err.starts_with("test.toml:2:") && err.contains("allow_plaintext"), "{err}");
        assert!(parse(&format!("{hec}allow_plaintext = true\n")).is_ok());
        let es = "[[sinks]]\ntype = \"elasticsearch\"\nurl = \"http://e:9200\"\napi_key_env = \"K\"\n";
        assert!(parse(es).unwrap_err().to_string().contains("allow_plaintext"));
        let file = "[[sinks]]\ntype = \"file\"\npath = \"/tmp/e.jsonl\"\n";
        let c = parse(&format!("{file}mode = \"0640\"\n")).unwrap();
        assert!(matches!(c.delivery.sinks[0].kind, crate::deliver::SinkKind::File { mode: 0o640, .. }));
        let c = parse(file).unwrap();
        assert!(matches!(c.delivery.sinks[0].kind, crate::deliver::SinkKind::File { mode: 0o600, .. }));
        let err = parse(&format!("{file}mode = \"0644\"\n")).unwrap_err().to_string();
        assert!(err.starts_with("test.toml:1:") && err.contains("0640"), "{err}");
    }

    #[test]
    fn user_file_keeps_defaults_for_missing_keys() {
        let c = parse("[scan]\nthreads = 3\n").unwrap();
        assert_eq!(c.scan.threads, 3);
        assert_eq!(c.scan.max_file_size, Config::embedded_default().unwrap().scan.max_file_size);
    }
}
