//! Configuration: TOML text in, a validated [`Config`] out.
//!
//! The default configuration (`config/default.toml`, fully commented) is embedded in the binary; a
//! user's file (`--config FILE`) is read instead of it, with every key optional. Unknown keys and
//! bad values fail at start with the file, line and column. Nothing else in the library parses
//! configuration: stages get the typed parts they need.

use std::path::{Path, PathBuf};

use globset::{Glob, GlobSet, GlobSetBuilder};
use serde::Deserialize;
use toml::Spanned;

use crate::error::ConfigError;

/// The embedded default configuration.
pub const DEFAULT_CONFIG: &str = include_str!("../config/default.toml");

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
    pub agent: crate::agent::AgentConfig,
    /// The folder of the user's detector files (`detectors.custom_dir`).
    pub custom_detector_dir: Option<PathBuf>,
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

/// Settings for walking and reading.
#[derive(Debug, Clone)]
pub struct ScanConfig {
    /// Follow symbolic links (with loop detection).
    pub follow_symlinks: bool,
    /// Files larger than this are reported as skipped.
    pub max_file_size: u64,
    /// Worker threads; 0 means one per core.
    pub threads: usize,
    /// Paths (files or directories) matching these globs are not scanned.
    pub exclude: GlobSet,
    /// The globs `exclude` was built from.
    pub exclude_globs: Vec<String>,
    /// Caps on reading documents and archives (the time budget comes from `scan.file_time_budget_secs`).
    pub limits: crate::extract::ExtractLimits,
    /// Parse container formats in worker processes.
    pub isolate_parsers: bool,
    /// Address-space limit of a worker process, in bytes.
    pub worker_memory: u64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    #[serde(default)]
    scan: RawScan,
    #[serde(default)]
    limits: RawLimits,
    #[serde(default)]
    detectors: RawDetectors,
    #[serde(default)]
    fingerprint: RawFingerprint,
    #[serde(default)]
    managed_onedrive_tenants: Vec<String>,
    #[serde(default)]
    locations: Vec<Spanned<RawLocation>>,
    #[serde(default)]
    rules: RawRules,
    #[serde(default)]
    allow: Vec<Spanned<RawAllow>>,
    #[serde(default)]
    labels: std::collections::BTreeMap<String, String>,
    #[serde(default)]
    delivery: RawDelivery,
    #[serde(default)]
    sinks: Vec<Spanned<RawSink>>,
    #[serde(default)]
    agent: RawAgent,
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
    on_battery: Option<crate::agent::etiquette::OnBattery>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawDelivery {
    spool_dir: Option<PathBuf>,
    spool_max_size: Option<Spanned<String>>,
    spool_full: Option<crate::deliver::spool::SpoolFull>,
    drain_timeout_secs: Option<u64>,
}

/// One `[[sinks]]` entry. Flat, so that a key that does not fit the sink's type can be named in
/// the error rather than reported as an unknown variant.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSink {
    #[serde(rename = "type")]
    kind: String,
    name: Option<String>,
    format: Option<crate::report::encode::EventFormat>,
    // file
    path: Option<PathBuf>,
    max_size: Option<Spanned<String>>,
    keep: Option<u32>,
    fsync: Option<crate::deliver::durable::FsyncPolicy>,
    mode: Option<String>,
    // syslog
    transport: Option<crate::deliver::syslog::SyslogTransport>,
    address: Option<String>,
    server_name: Option<String>,
    facility: Option<String>,
    app_name: Option<String>,
    enterprise_id: Option<u32>,
    // HTTP
    url: Option<String>,
    index: Option<String>,
    sourcetype: Option<String>,
    token_file: Option<PathBuf>,
    token_env: Option<String>,
    api_key_file: Option<PathBuf>,
    api_key_env: Option<String>,
    timeout_secs: Option<u64>,
    allow_plaintext: Option<bool>,
    // TLS
    ca_file: Option<PathBuf>,
    client_cert: Option<PathBuf>,
    client_key: Option<PathBuf>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawRules {
    #[serde(default)]
    disabled: Vec<String>,
    #[serde(default)]
    severity: std::collections::BTreeMap<String, crate::policy::Severity>,
    retention_days: Option<u64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAllow {
    path: Option<String>,
    fingerprint: Option<String>,
    #[serde(default)]
    rules: Vec<String>,
    reason: String,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawScan {
    follow_symlinks: Option<bool>,
    max_file_size: Option<Spanned<String>>,
    file_time_budget_secs: Option<u64>,
    threads: Option<usize>,
    exclude: Option<Vec<Spanned<String>>>,
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
    #[serde(default)]
    disabled: Vec<String>,
    custom_dir: Option<PathBuf>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawFingerprint {
    key_file: Option<PathBuf>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLocation {
    path: PathBuf,
    kind: crate::locate::LocationKind,
    provider: Option<String>,
}

impl Config {
    /// The embedded default configuration.
    pub fn embedded_default() -> Result<Config, ConfigError> {
        Config::parse(Path::new("<embedded>/config/default.toml"), DEFAULT_CONFIG, None)
    }

    /// Reads and validates a user's configuration file, and the detector files it names; keys
    /// it leaves out take the defaults.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = crate::fsutil::read_small_text(path)
            .map_err(|source| ConfigError::Read { path: path.to_path_buf(), source })?;
        let mut config = Config::parse(path, &text, Some(Config::embedded_default()?))?;
        if let Some(dir) = &config.custom_detector_dir {
            config.detectors.custom_files = read_detector_files(dir)?;
        }
        config.source = ConfigSource {
            path: Some(path.to_path_buf()),
            text,
            detector_files: config.detectors.custom_files.clone(),
        };
        Ok(config)
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
        let mut config = match &source.path {
            Some(path) => Config::parse(path, &source.text, Some(Config::embedded_default()?))?,
            None => Config::embedded_default()?,
        };
        config.detectors.custom_files.clone_from(&source.detector_files);
        config.source = source.clone();
        Ok(config)
    }

    fn parse(path: &Path, text: &str, defaults: Option<Config>) -> Result<Config, ConfigError> {
        let raw: RawConfig = toml::from_str(text).map_err(|e| ConfigError::from_toml(path, text, &e))?;
        let at = |span: std::ops::Range<usize>, msg: String| ConfigError::at_offset(path, text, span.start, msg);
        let base = defaults.map(|d| d.scan);
        let exclude_globs: Vec<String> = match (&raw.scan.exclude, &base) {
            (Some(globs), _) => {
                for g in globs {
                    glob_set([g.get_ref().as_str()]).map_err(|msg| at(g.span(), msg))?;
                }
                globs.iter().map(|g| g.get_ref().clone()).collect()
            }
            (None, Some(b)) => b.exclude_globs.clone(),
            (None, None) => Vec::new(),
        };
        let exclude = glob_set(exclude_globs.iter().map(String::as_str)).map_err(|msg| at(0..0, msg))?;
        let max_file_size = match &raw.scan.max_file_size {
            Some(s) => parse_size(s.get_ref()).map_err(|msg| at(s.span(), msg))?,
            None => base.as_ref().map_or(512 << 20, |b| b.max_file_size),
        };
        let size_or = |value: &Option<Spanned<String>>, default: u64| -> Result<u64, ConfigError> {
            match value {
                Some(s) => parse_size(s.get_ref()).map_err(|msg| at(s.span(), msg)),
                None => Ok(default),
            }
        };
        let base_limits = base.as_ref().map(|b| b.limits);
        let time_budget_secs =
            raw.scan.file_time_budget_secs.or(base.as_ref().map(|b| b.limits.time_budget.as_secs())).unwrap_or(60);
        let limits = crate::extract::ExtractLimits {
            time_budget: std::time::Duration::from_secs(time_budget_secs),
            max_depth: raw.limits.max_depth.or(base_limits.map(|l| l.max_depth)).unwrap_or(5),
            max_members: raw.limits.max_members.or(base_limits.map(|l| l.max_members)).unwrap_or(10_000),
            max_expanded_bytes: size_or(
                &raw.limits.max_expanded_size,
                base_limits.map_or(1 << 30, |l| l.max_expanded_bytes),
            )?,
            max_member_bytes: size_or(
                &raw.limits.max_member_size,
                base_limits.map_or(64 << 20, |l| l.max_member_bytes),
            )?,
            max_ratio: raw.limits.max_expansion_ratio.or(base_limits.map(|l| l.max_ratio)).unwrap_or(100),
            max_text_bytes: size_or(&raw.limits.max_text_size, base_limits.map_or(64 << 20, |l| l.max_text_bytes))?,
        };
        let scan = ScanConfig {
            follow_symlinks: raw.scan.follow_symlinks.or(base.as_ref().map(|b| b.follow_symlinks)).unwrap_or(false),
            max_file_size,
            threads: raw.scan.threads.or(base.as_ref().map(|b| b.threads)).unwrap_or(0),
            exclude,
            exclude_globs,
            limits,
            isolate_parsers: raw.scan.isolate_parsers.or(base.as_ref().map(|b| b.isolate_parsers)).unwrap_or(true),
            worker_memory: size_or(&raw.scan.worker_memory, base.as_ref().map_or(2 << 30, |b| b.worker_memory))?,
        };
        let locations = raw
            .locations
            .iter()
            .map(|l| {
                let r = l.get_ref();
                if !r.path.is_absolute() {
                    return Err(at(l.span(), "locations.path must be an absolute path".to_string()));
                }
                Ok(crate::locate::DeclaredLocation { path: r.path.clone(), kind: r.kind, provider: r.provider.clone() })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let mut allow = Vec::new();
        let mut allowed_fingerprints = Vec::new();
        for a in &raw.allow {
            let r = a.get_ref();
            match (&r.path, &r.fingerprint) {
                (Some(path), None) => {
                    let glob = Glob::new(path).map_err(|e| at(a.span(), format!("bad allow path glob: {e}")))?;
                    allow.push(crate::policy::PathAllowance {
                        glob: glob.compile_matcher(),
                        rules: r.rules.clone(),
                        reason: r.reason.clone(),
                    });
                }
                (None, Some(hex)) => {
                    let fp = crate::detect::Fingerprint::from_hex(hex).ok_or_else(|| {
                        at(a.span(), "allow.fingerprint must be 32 hex digits, as reports print it".to_string())
                    })?;
                    allowed_fingerprints.push(fp);
                }
                _ => return Err(at(a.span(), "an [[allow]] entry needs either `path` or `fingerprint`".to_string())),
            }
        }
        let rules = crate::policy::RulesConfig {
            disabled: raw.rules.disabled,
            severity: raw.rules.severity.into_iter().collect(),
            retention_days: raw.rules.retention_days.unwrap_or(365),
            allow,
        };
        let delivery = parse_delivery(&raw.delivery, &raw.sinks, &at)?;
        let labels =
            raw.labels.into_iter().map(|(id, name)| (id.trim_matches(['{', '}']).to_ascii_lowercase(), name)).collect();
        let agent = crate::agent::AgentConfig {
            roots: raw.agent.roots.unwrap_or_default(),
            state_file: raw.agent.state_file,
            heartbeat: std::time::Duration::from_secs(raw.agent.heartbeat_secs.unwrap_or(300).max(1)),
            settle: std::time::Duration::from_millis(raw.agent.settle_ms.unwrap_or(1000)),
            reconcile: std::time::Duration::from_secs(raw.agent.reconcile_secs.unwrap_or(3600).max(10)),
            max_read_rate: size_or(&raw.agent.max_read_rate, 0)?,
            on_battery: raw.agent.on_battery.unwrap_or(crate::agent::etiquette::OnBattery::Ignore),
        };
        Ok(Config {
            agent,
            delivery,
            labels,
            allowed_fingerprints,
            rules,
            scan,
            detectors: crate::detect::DetectorSelection { disabled: raw.detectors.disabled, custom_files: Vec::new() },
            custom_detector_dir: raw.detectors.custom_dir,
            source: ConfigSource { path: None, text: text.to_string(), detector_files: Vec::new() },
            fingerprint_key_file: raw.fingerprint.key_file,
            locations,
            managed_onedrive_tenants: raw.managed_onedrive_tenants,
        })
    }
}

/// Reads every `*.toml` file in a user's detector folder, in name order.
fn read_detector_files(dir: &Path) -> Result<Vec<crate::detect::DetectorFile>, ConfigError> {
    let read_error = |source| ConfigError::Read { path: dir.to_path_buf(), source };
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(read_error)?
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
            Ok(crate::detect::DetectorFile { path, text })
        })
        .collect()
}

fn parse_delivery(
    raw: &RawDelivery,
    sinks: &[Spanned<RawSink>],
    at: &dyn Fn(std::ops::Range<usize>, String) -> ConfigError,
) -> Result<crate::deliver::DeliveryConfig, ConfigError> {
    let spool_max_bytes = match &raw.spool_max_size {
        Some(s) => parse_size(s.get_ref()).map_err(|msg| at(s.span(), msg))?,
        None => 256 << 20,
    };
    let mut specs: Vec<crate::deliver::SinkSpec> = Vec::new();
    for (i, sink) in sinks.iter().enumerate() {
        let spec = parse_sink(sink.get_ref(), i + 1).map_err(|msg| at(sink.span(), msg))?;
        if specs.iter().any(|s| s.name == spec.name) {
            return Err(at(sink.span(), format!("two sinks are named \"{}\"", spec.name)));
        }
        specs.push(spec);
    }
    Ok(crate::deliver::DeliveryConfig {
        sinks: specs,
        spool_dir: raw.spool_dir.clone(),
        spool_max_bytes,
        spool_full: raw.spool_full.unwrap_or_default(),
        drain_timeout: std::time::Duration::from_secs(raw.drain_timeout_secs.unwrap_or(10)),
    })
}

/// Checks one `[[sinks]]` entry: the keys its type needs are there and no others.
fn parse_sink(raw: &RawSink, number: usize) -> Result<crate::deliver::SinkSpec, String> {
    use crate::deliver::http::{HttpApi, SecretSource};
    use crate::deliver::SinkKind;
    let kind = raw.kind.as_str();
    let given: Vec<(&str, bool)> = vec![
        ("path", raw.path.is_some()),
        ("max_size", raw.max_size.is_some()),
        ("keep", raw.keep.is_some()),
        ("fsync", raw.fsync.is_some()),
        ("mode", raw.mode.is_some()),
        ("transport", raw.transport.is_some()),
        ("address", raw.address.is_some()),
        ("server_name", raw.server_name.is_some()),
        ("facility", raw.facility.is_some()),
        ("app_name", raw.app_name.is_some()),
        ("enterprise_id", raw.enterprise_id.is_some()),
        ("url", raw.url.is_some()),
        ("index", raw.index.is_some()),
        ("sourcetype", raw.sourcetype.is_some()),
        ("token_file", raw.token_file.is_some()),
        ("token_env", raw.token_env.is_some()),
        ("api_key_file", raw.api_key_file.is_some()),
        ("api_key_env", raw.api_key_env.is_some()),
        ("timeout_secs", raw.timeout_secs.is_some()),
        ("allow_plaintext", raw.allow_plaintext.is_some()),
        ("ca_file", raw.ca_file.is_some()),
        ("client_cert", raw.client_cert.is_some()),
        ("client_key", raw.client_key.is_some()),
    ];
    let allowed: &[&str] = match kind {
        "file" => &["path", "max_size", "keep", "fsync", "mode"],
        "stdout" => &[],
        "syslog" => &[
            "transport",
            "address",
            "server_name",
            "facility",
            "app_name",
            "enterprise_id",
            "ca_file",
            "client_cert",
            "client_key",
        ],
        "splunk_hec" => &[
            "url",
            "index",
            "sourcetype",
            "token_file",
            "token_env",
            "timeout_secs",
            "allow_plaintext",
            "ca_file",
            "client_cert",
            "client_key",
        ],
        "elasticsearch" => &[
            "url",
            "index",
            "api_key_file",
            "api_key_env",
            "timeout_secs",
            "allow_plaintext",
            "ca_file",
            "client_cert",
            "client_key",
        ],
        other => {
            return Err(format!(
                "unknown sink type \"{other}\" (use file, stdout, syslog, splunk_hec or elasticsearch)"
            ))
        }
    };
    if let Some((key, _)) = given.iter().find(|(key, set)| *set && !allowed.contains(key)) {
        return Err(format!("`{key}` does not apply to a {kind} sink"));
    }
    let tls = crate::deliver::tls::TlsFiles {
        ca_file: raw.ca_file.clone(),
        client_cert: raw.client_cert.clone(),
        client_key: raw.client_key.clone(),
    };
    let secret = |file: &Option<PathBuf>, env: &Option<String>, what: &str| match (file, env) {
        (Some(f), None) => Ok(SecretSource::File(f.clone())),
        (None, Some(e)) => Ok(SecretSource::Env(e.clone())),
        _ => Err(format!("a {kind} sink needs exactly one of `{what}_file` and `{what}_env`")),
    };
    let allow_plaintext = raw.allow_plaintext.unwrap_or(false);
    let url = || {
        let url = raw.url.clone().ok_or_else(|| format!("a {kind} sink needs `url`"))?;
        crate::deliver::http::check_url(&url, allow_plaintext)?;
        Ok::<_, String>(url)
    };
    let default_format = crate::report::encode::EventFormat::Ecs;
    let timeout = std::time::Duration::from_secs(raw.timeout_secs.unwrap_or(30));
    let (sink_kind, format) = match kind {
        "file" => {
            let path = raw.path.clone().ok_or("a file sink needs `path`")?;
            let max_bytes = match &raw.max_size {
                Some(s) => parse_size(s.get_ref())?,
                None => 50 << 20,
            };
            let fsync = raw.fsync.unwrap_or(crate::deliver::durable::FsyncPolicy::Interval);
            let mode = match raw.mode.as_deref() {
                None | Some("0600") => 0o600,
                Some("0640") => 0o640,
                Some(other) => {
                    return Err(format!(
                        "file sink mode \"{other}\": use \"0600\" or \"0640\" (group-readable, for a forwarder)"
                    ))
                }
            };
            (
                SinkKind::File { path, max_bytes, keep: raw.keep.unwrap_or(5), fsync, mode },
                raw.format.unwrap_or(default_format),
            )
        }
        "stdout" => (SinkKind::Stdout, raw.format.unwrap_or(default_format)),
        "syslog" => {
            let transport = raw.transport.ok_or("a syslog sink needs `transport` (udp, tcp or tls)")?;
            let address = raw.address.clone().ok_or("a syslog sink needs `address` (host:port)")?;
            let facility_name = raw.facility.as_deref().unwrap_or("local0");
            let facility = crate::deliver::syslog::facility_named(facility_name)
                .ok_or_else(|| format!("unknown syslog facility \"{facility_name}\" (e.g. local0, auth, daemon)"))?;
            let header = crate::deliver::syslog::SyslogHeader {
                facility,
                app_name: raw.app_name.clone().unwrap_or_else(|| "dlp-scan".to_string()),
                enterprise_id: raw.enterprise_id.unwrap_or(32473),
            };
            let kind = SinkKind::Syslog { transport, address, server_name: raw.server_name.clone(), header, tls };
            (kind, raw.format.unwrap_or(crate::report::encode::EventFormat::Cef))
        }
        "splunk_hec" => {
            let kind = SinkKind::Http {
                api: HttpApi::SplunkHec,
                url: url()?,
                allow_plaintext,
                index: raw.index.clone(),
                sourcetype: raw.sourcetype.clone().unwrap_or_else(|| "dlp_scan:event".to_string()),
                secret: secret(&raw.token_file, &raw.token_env, "token")?,
                timeout,
                tls,
            };
            (kind, raw.format.unwrap_or(crate::report::encode::EventFormat::Json))
        }
        _ => {
            let format = raw.format.unwrap_or(default_format);
            if !format.is_json() {
                return Err("an elasticsearch sink needs a JSON format (ecs, json or ocsf)".to_string());
            }
            let kind = SinkKind::Http {
                api: HttpApi::ElasticsearchBulk,
                url: url()?,
                allow_plaintext,
                index: raw.index.clone(),
                sourcetype: String::new(),
                secret: secret(&raw.api_key_file, &raw.api_key_env, "api_key")?,
                timeout,
                tls,
            };
            (kind, format)
        }
    };
    let name = raw.name.clone().unwrap_or_else(|| format!("{kind}-{number}"));
    if name.is_empty()
        || !name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        || name.starts_with('.')
    {
        return Err(format!("sink name \"{name}\" may hold only letters, digits, '-', '_' and '.'"));
    }
    Ok(crate::deliver::SinkSpec { name, format, kind: sink_kind })
}

fn glob_set<'g>(globs: impl IntoIterator<Item = &'g str>) -> Result<GlobSet, String> {
    let mut builder = GlobSetBuilder::new();
    for g in globs {
        builder.add(Glob::new(g).map_err(|e| format!("bad exclude glob: {e}"))?);
    }
    builder.build().map_err(|e| format!("exclude globs do not combine: {e}"))
}

/// Parses sizes such as `512 MiB`, `2GB`, `1048576`.
fn parse_size(text: &str) -> Result<u64, String> {
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
        Config::parse(Path::new("test.toml"), text, Some(Config::embedded_default().unwrap()))
    }

    #[test]
    fn embedded_default_parses() {
        let c = Config::embedded_default().unwrap();
        assert!(!c.scan.follow_symlinks);
        assert!(c.scan.exclude.is_match("/home/a/project/.git"));
        assert!(!c.scan.exclude.is_match("/home/a/Documents/staff.csv"));
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
