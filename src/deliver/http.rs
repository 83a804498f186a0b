//! HTTP sinks: Splunk's HTTP Event Collector and Elasticsearch's `_bulk` API, over TLS with the
//! server certificate verified (ureq with rustls).
//!
//! HEC: `POST /services/collector/event`, `Authorization: Splunk <token>`, envelopes concatenated
//! (one per line). Bulk: `POST /<index>/_bulk`, `Authorization: ApiKey <key>`, NDJSON of
//! `create` actions whose `_id` is the event id, so a batch sent twice indexes each event once
//! (a 409 conflict is a success). Secrets come from a file that only its owner can read or
//! change, or from an environment variable, never the command line, and never appear in logs.
//! `http://` is refused unless the sink says `allow_plaintext` (the token would travel in clear).

use std::fmt;
use std::time::Duration;

use serde_json::{json, Value};

use super::sender::{SendError, Transport};
use super::tls::TlsMaterial;
use crate::error::DeliveryError;
use crate::report::event::{Event, Origin, PRODUCT};

const MAX_ANSWER_BYTES: u64 = 4 << 20;

/// A token or API key. Its `Debug` form hides it.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(..)")
    }
}

/// Where a secret is kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SecretSource {
    /// A file (first line, trimmed) that group and others can neither read nor write (0600 or
    /// 0400).
    File(std::path::PathBuf),
    /// An environment variable.
    Env(String),
}

impl SecretSource {
    /// Reads the secret now, so a missing one, or a file others may read or change, fails at
    /// start (`DeliveryError::Secret`, naming the file and its mode).
    pub fn read(&self) -> Result<Secret, DeliveryError> {
        let value = match self {
            SecretSource::File(path) => {
                check_private(path)?;
                crate::fsutil::read_small_text(path)
                    .map_err(|e| DeliveryError::Secret(format!("{}: {e}", path.display())))?
            }
            SecretSource::Env(name) => std::env::var(name)
                .map_err(|_| DeliveryError::Secret(format!("environment variable {name} is not set")))?,
        };
        let value = value.lines().next().unwrap_or("").trim().to_string();
        if value.is_empty() {
            return Err(DeliveryError::Secret(format!("{self:?} is empty")));
        }
        Ok(Secret(value))
    }
}

/// A secret file readable or writable by group or others has already leaked, or can be swapped.
fn check_private(path: &std::path::Path) -> Result<(), DeliveryError> {
    let shared =
        crate::platform::shared_mode(path).map_err(|e| DeliveryError::Secret(format!("{}: {e}", path.display())))?;
    if let Some(mode) = shared {
        return Err(DeliveryError::Secret(format!(
            "{}: mode {mode:04o} lets other users read or change the secret; make it 0600 (chmod 600)",
            path.display()
        )));
    }
    Ok(())
}

/// Checks a sink's base URL: `https://`, or `http://` only when `allow_plaintext`. The error
/// says why (the configuration names the line).
pub fn check_url(url: &str, allow_plaintext: bool) -> Result<(), String> {
    match url.split_once("://").map(|(scheme, _)| scheme) {
        Some("https") => Ok(()),
        Some("http") if allow_plaintext => Ok(()),
        Some("http") => {
            Err(format!("{url}: over http:// the token travels in clear; use https://, or set allow_plaintext = true"))
        }
        _ => Err(format!("{url}: the URL must start with https://")),
    }
}

/// Which HTTP API a sink speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HttpApi {
    /// Splunk HTTP Event Collector.
    SplunkHec,
    /// Elasticsearch `_bulk`.
    ElasticsearchBulk,
}

/// The HEC envelope for an event: `event` holds the encoded event (an object, or a string for CEF).
pub fn hec_envelope(event: &Event, origin: &Origin, payload: &[u8], sourcetype: &str, index: Option<&str>) -> Vec<u8> {
    let body: Value = serde_json::from_slice(payload)
        .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(payload).into_owned()));
    let mut envelope = json!({
        "time": crate::clock::epoch_millis(event.time) as f64 / 1000.0,
        "host": origin.host_name,
        "source": PRODUCT,
        "sourcetype": sourcetype,
        "event": body,
    });
    if let Some(index) = index {
        envelope["index"] = index.into();
    }
    // The same line-safe escaping as every encoding: the payload's DEL and C1 controls would
    // otherwise come back raw when the envelope is written again.
    crate::report::encode::to_json_line(&envelope)
}

/// A spooled bulk line: the event id, a tab, the document. (Compact JSON never holds a raw tab.)
pub fn bulk_line(event: &Event, payload: &[u8]) -> Vec<u8> {
    let mut line = event.id.to_string().into_bytes();
    line.push(b'\t');
    line.extend_from_slice(payload);
    line
}

/// Sends batches to one HTTP endpoint.
pub struct HttpTransport {
    api: HttpApi,
    url: String,
    authorization: String,
    agent: ureq::Agent,
    accepted: u64,
}

impl HttpTransport {
    /// A transport for `api` at `base_url` (the HEC path or `/<index>/_bulk` is added). An
    /// `http://` URL is refused (`DeliveryError::Address`) unless `allow_plaintext`, and then
    /// logged as a warning.
    pub fn new(
        api: HttpApi,
        base_url: &str,
        allow_plaintext: bool,
        index: &str,
        secret: &Secret,
        tls: &TlsMaterial,
        timeout: Duration,
    ) -> Result<HttpTransport, DeliveryError> {
        let base = base_url.trim_end_matches('/');
        check_url(base, allow_plaintext).map_err(DeliveryError::Address)?;
        if base.starts_with("http://") {
            tracing::warn!(url = %base, "allow_plaintext: the token travels in clear over http://");
        }
        let (url, authorization) = match api {
            HttpApi::SplunkHec if base.contains("/services/collector") => {
                (base.to_string(), format!("Splunk {}", secret.0))
            }
            HttpApi::SplunkHec => (format!("{base}/services/collector/event"), format!("Splunk {}", secret.0)),
            HttpApi::ElasticsearchBulk => (format!("{base}/{index}/_bulk"), format!("ApiKey {}", secret.0)),
        };
        let roots: Vec<ureq::tls::Certificate<'static>> =
            tls.roots.iter().map(|c| ureq::tls::Certificate::from_der(c.as_ref()).to_owned()).collect();
        let mut tls_config = ureq::tls::TlsConfig::builder().root_certs(ureq::tls::RootCerts::new_with_certs(&roots));
        if let Some(identity) = &tls.client {
            let chain: Vec<_> =
                identity.chain.iter().map(|c| ureq::tls::Certificate::from_der(c.as_ref()).to_owned()).collect();
            let key = ureq::tls::PrivateKey::from_pem(&identity.key_pem)
                .map_err(|e| DeliveryError::Tls(format!("client key: {e}")))?;
            tls_config = tls_config.client_cert(Some(ureq::tls::ClientCert::new_with_certs(&chain, key)));
        }
        let agent = ureq::Agent::config_builder()
            .timeout_global(Some(timeout))
            .http_status_as_error(false)
            .tls_config(tls_config.build())
            .build()
            .into();
        Ok(HttpTransport { api, url, authorization, agent, accepted: 0 })
    }

    fn body(&self, batch: &[Vec<u8>]) -> Vec<u8> {
        let mut body = Vec::with_capacity(batch.iter().map(|l| l.len() + 64).sum());
        for line in batch {
            match self.api {
                HttpApi::SplunkHec => body.extend_from_slice(line),
                HttpApi::ElasticsearchBulk => {
                    let tab = line.iter().position(|&b| b == b'\t').unwrap_or(0);
                    let id = String::from_utf8_lossy(&line[..tab]);
                    body.extend_from_slice(json!({ "create": { "_id": id } }).to_string().as_bytes());
                    body.push(b'\n');
                    body.extend_from_slice(&line[(tab + 1).min(line.len())..]);
                }
            }
            body.push(b'\n');
        }
        body
    }
}

impl Transport for HttpTransport {
    fn send(&mut self, batch: &[Vec<u8>]) -> Result<u64, SendError> {
        let body = self.body(batch);
        let content_type = match self.api {
            HttpApi::SplunkHec => "application/json",
            HttpApi::ElasticsearchBulk => "application/x-ndjson",
        };
        let answer = self
            .agent
            .post(&self.url)
            .header("Authorization", &self.authorization)
            .content_type(content_type)
            .send(&body[..]);
        let mut answer = answer.map_err(|e| SendError::Retry(format!("{}: {e}", self.url)))?;
        let status = answer.status().as_u16();
        let text = answer.body_mut().with_config().limit(MAX_ANSWER_BYTES).read_to_string().unwrap_or_default();
        let outcome = match self.api {
            HttpApi::SplunkHec => hec_outcome(status, &text, batch.len()),
            HttpApi::ElasticsearchBulk => bulk_outcome(status, &text, batch.len()),
        };
        if outcome.is_ok() || matches!(outcome, Err(SendError::Rejected { .. })) {
            self.accepted += body.len() as u64;
        }
        outcome.map(|()| body.len() as u64)
    }

    fn acknowledged(&mut self) -> Result<u64, SendError> {
        Ok(self.accepted)
    }

    fn needs_settling(&self) -> bool {
        false
    }

    fn reset(&mut self) {
        self.accepted = 0;
    }
}

/// 408, 429 and 5xx are worth retrying, and so are 401/403: a token being fixed should not
/// cost the events that waited for it.
fn retryable(status: u16) -> bool {
    matches!(status, 401 | 403 | 408 | 429) || status >= 500
}

fn hec_outcome(status: u16, text: &str, events: usize) -> Result<(), SendError> {
    match status {
        200..=299 => Ok(()),
        s if retryable(s) => Err(SendError::Retry(format!("HEC answered {s}: {}", first_line(text)))),
        s => Err(SendError::Rejected {
            refused: (0..events).collect(),
            reason: format!("HEC answered {s}: {}", first_line(text)),
        }),
    }
}

fn bulk_outcome(status: u16, text: &str, events: usize) -> Result<(), SendError> {
    match status {
        200..=299 => {}
        s if retryable(s) => return Err(SendError::Retry(format!("bulk answered {s}: {}", first_line(text)))),
        s => {
            return Err(SendError::Rejected {
                refused: (0..events).collect(),
                reason: format!("bulk answered {s}: {}", first_line(text)),
            })
        }
    }
    let answer: Value = serde_json::from_str(text).map_err(|_| SendError::Retry("bulk answer is not JSON".into()))?;
    if answer["errors"] != Value::Bool(true) {
        return Ok(());
    }
    let items = answer["items"].as_array().cloned().unwrap_or_default();
    let mut refused = Vec::new();
    let mut retry = false;
    for (i, item) in items.iter().enumerate() {
        let status = item["create"]["status"].as_u64().unwrap_or(500) as u16;
        match status {
            200..=299 | 409 => {}
            s if retryable(s) => retry = true,
            _ => refused.push(i),
        }
    }
    if retry {
        // Items already indexed come back as 409 conflicts next time.
        return Err(SendError::Retry("bulk: some items must be retried".into()));
    }
    if refused.is_empty() {
        Ok(())
    } else {
        let reason = items[refused[0]]["create"]["error"]["reason"].as_str().unwrap_or("refused").to_string();
        Err(SendError::Rejected { refused, reason })
    }
}

fn first_line(text: &str) -> &str {
    let line = text.lines().next().unwrap_or("");
    &line[..line.len().min(200)]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bulk_conflicts_count_as_indexed_and_bad_documents_are_refused() {
        let ok = r#"{"errors":true,"items":[{"create":{"status":201}},{"create":{"status":409}}]}"#;
        assert!(bulk_outcome(200, ok, 2).is_ok());
        let bad = r#"{"errors":true,"items":[{"create":{"status":201}},{"create":{"status":400,"error":{"reason":"mapper_parsing_exception"}}}]}"#;
        match bulk_outcome(200, bad, 2) {
            Err(SendError::Rejected { refused, .. }) => assert_eq!(refused, [1]),
            other => panic!("{other:?}"),
        }
        let busy = r#"{"errors":true,"items":[{"create":{"status":429}}]}"#;
        assert!(matches!(bulk_outcome(200, busy, 1), Err(SendError::Retry(_))));
        assert!(matches!(bulk_outcome(503, "", 1), Err(SendError::Retry(_))));
    }

    #[test]
    fn hec_retries_server_trouble_and_refuses_bad_requests() {
        assert!(hec_outcome(200, r#"{"text":"Success","code":0}"#, 3).is_ok());
        assert!(matches!(hec_outcome(503, "", 3), Err(SendError::Retry(_))));
        assert!(matches!(hec_outcome(403, "", 3), Err(SendError::Retry(_))));
        assert!(matches!(hec_outcome(400, "", 3), Err(SendError::Rejected { .. })));
    }

    #[test]
    fn a_hec_envelope_keeps_control_characters_escaped() {
        let record = crate::report::Record::Agent(crate::report::AgentRecord {
            schema_version: crate::report::SCHEMA_VERSION,
            event: crate::report::AgentEvent::Health,
            message: "a\u{1b}[31m\u{7f}\u{9b}b".to_string(),
            status: None,
            path: None,
            rules: Vec::new(),
            counters: Default::default(),
        });
        let event = Event::stamp(&record);
        let origin = Origin { host_name: "laptop".into(), os_type: "linux" };
        let payload = crate::report::encode::to_json_line(&serde_json::json!({ "message": "a\u{1b}\u{7f}\u{9b}b" }));
        let envelope = String::from_utf8(hec_envelope(&event, &origin, &payload, "dlp", None)).unwrap();
        assert!(!envelope.contains(['\u{1b}', '\u{7f}', '\u{9b}']), "{envelope}");
        assert!(envelope.contains("\\u007f"), "{envelope}");
    }

    #[test]
    fn plain_http_needs_allow_plaintext() {
        assert_eq!(check_url("https://splunk:8088", false), Ok(()));
        assert!(check_url("http://splunk:8088", false).unwrap_err().contains("allow_plaintext"));
        assert_eq!(check_url("http://splunk:8088", true), Ok(()));
        assert!(check_url("ftp://splunk", true).is_err());
    }

    #[cfg(unix)]
    #[test]
    fn a_secret_file_others_can_read_or_write_is_refused() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("hec.token");
        std::fs::write(&path, "t0ken\n").unwrap();
        let source = SecretSource::File(path.clone());
        for (mode, ok) in [(0o600, true), (0o400, true), (0o640, false), (0o602, false), (0o644, false)] {
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
            match source.read() {
                Ok(secret) => assert!(ok, "{mode:o} accepted: {secret:?}"),
                Err(e) => {
                    assert!(!ok, "{mode:o} refused: {e}");
                    let text = e.to_string();
                    assert!(text.contains("hec.token") && text.contains(&format!("{mode:04o}")), "{text}");
                }
            }
        }
    }

    #[test]
    fn secrets_do_not_print() {
        assert_eq!(format!("{:?}", Secret("hunter2".into())), "Secret(..)");
    }
}
