//! `[delivery]` and `[[sinks]]`: where events go, checked at start.
//!
//! Each `[[sinks]]` entry is read flat ([`RawSink`]) so that a key that does not fit the sink's
//! type is named in the error, then turned into a [`SinkSpec`] with its type's defaults.

use std::path::PathBuf;

use serde::Deserialize;
use toml::Spanned;

use super::{parse_size, Texts};
use crate::deliver::{DeliveryConfig, SinkSpec};
use crate::error::ConfigError;
use crate::report::encode::EventFormat;

/// The `[delivery]` table.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct RawDelivery {
    pub(super) spool_dir: Option<PathBuf>,
    pub(super) spool_max_size: Option<Spanned<String>>,
    pub(super) spool_full: Option<crate::deliver::spool::SpoolFull>,
    pub(super) drain_timeout_secs: Option<u64>,
}

/// One `[[sinks]]` entry. Flat, so that a key that does not fit the sink's type can be named in
/// the error rather than reported as an unknown variant.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct RawSink {
    #[serde(rename = "type")]
    kind: String,
    name: Option<String>,
    format: Option<EventFormat>,
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

/// Builds `[delivery]` and checks each `[[sinks]]` entry, locating what is wrong in `texts`.
pub(super) fn parse_delivery(
    raw: RawDelivery,
    sinks: Vec<Spanned<RawSink>>,
    texts: &Texts<'_>,
) -> Result<DeliveryConfig, ConfigError> {
    let mut specs: Vec<SinkSpec> = Vec::new();
    for (i, sink) in sinks.iter().enumerate() {
        let spec = parse_sink(sink.get_ref(), i + 1).map_err(|msg| texts.at(sink.span(), msg))?;
        if specs.iter().any(|s| s.name == spec.name) {
            return Err(texts.at(sink.span(), format!("two sinks are named \"{}\"", spec.name)));
        }
        specs.push(spec);
    }
    Ok(DeliveryConfig {
        sinks: specs,
        spool_dir: raw.spool_dir,
        spool_max_bytes: texts.size(raw.spool_max_size, "delivery.spool_max_size")?,
        spool_full: texts.need(raw.spool_full, "delivery.spool_full")?,
        drain_timeout: std::time::Duration::from_secs(
            texts.need(raw.drain_timeout_secs, "delivery.drain_timeout_secs")?,
        ),
    })
}

/// A file sink with a file sink's defaults, as if configured with only these keys.
pub(super) fn file_sink(name: &str, path: PathBuf, format: EventFormat) -> SinkSpec {
    let raw = RawSink {
        kind: "file".to_string(),
        name: Some(name.to_string()),
        format: Some(format),
        path: Some(path),
        ..RawSink::default()
    };
    parse_sink(&raw, 1).expect("a named file sink with a path is valid")
}

/// Checks one `[[sinks]]` entry: the keys its type needs are there and no others.
pub(super) fn parse_sink(raw: &RawSink, number: usize) -> Result<SinkSpec, String> {
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
    let default_format = EventFormat::Ecs;
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
            (kind, raw.format.unwrap_or(EventFormat::Cef))
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
            (kind, raw.format.unwrap_or(EventFormat::Json))
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
    Ok(SinkSpec { name, format, kind: sink_kind })
}
