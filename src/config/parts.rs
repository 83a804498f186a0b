//! What a configuration builds for the binaries (ripgrep's `HiArgs` idea): the fingerprint key,
//! the scanner with its parser workers, delivery, and the agent's paths. So both binaries go
//! arguments -> [`Config`] -> these parts -> run, and build nothing themselves.

use std::path::PathBuf;

use super::sinks::file_sink;
use super::worker::WorkerSettings;
use super::Config;
use crate::deliver::{Delivery, DeliveryConfig, SinkKind, SinkSpec};
use crate::detect::FingerprintKey;
use crate::error::{ConfigError, DeliveryError};
use crate::keyfile::{self, KeySource};
use crate::paths;
use crate::report::encode::EventFormat;
use crate::report::event::Origin;
use crate::scan::{Scanner, ScannerSettings};
use crate::worker::WorkerCommand;

/// Why a configuration's parts could not be built. Each names the part; `{:#}` adds the cause.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BuildError {
    /// A detector file, or a detector's example, is wrong.
    #[error("detectors")]
    Detectors(#[source] ConfigError),
    /// The running program could not be found to start parser workers.
    #[error("finding this program to start parser workers")]
    Workers(#[source] std::io::Error),
    /// A sink could not be started.
    #[error("sinks")]
    Sinks(#[source] DeliveryError),
}

impl Config {
    /// The fingerprint key: `fingerprint.key_file`, or the per-user or system one, created on
    /// first use; a one-off key (and the reason) when neither can be had.
    pub fn fingerprint_key(&self) -> (FingerprintKey, KeySource) {
        keyfile::load_or_create(self.fingerprint_key_file.as_deref())
    }

    /// The scanner: detectors (the user's examples checked), policy and locations, reading
    /// container formats in worker processes when `scan.isolate_parsers` is on. Workers start
    /// when the first such file comes, told this configuration's texts and `key`.
    pub fn scanner(&self, key: &FingerprintKey) -> Result<Scanner, BuildError> {
        let mut scanner = Scanner::new(self.scanner_settings(), key.clone()).map_err(BuildError::Detectors)?;
        if self.scan.isolate_parsers {
            let settings =
                WorkerSettings { source: self.source.clone(), key_hex: key.to_hex(), memory: self.scan.worker_memory };
            scanner
                .isolate_parsers(WorkerCommand::this_program(&settings, settings.memory).map_err(BuildError::Workers)?);
        }
        Ok(scanner)
    }

    /// What the scanner is built from, borrowed from this configuration.
    pub fn scanner_settings(&self) -> ScannerSettings<'_> {
        ScannerSettings {
            detectors: &self.detectors,
            allowed_fingerprints: &self.allowed_fingerprints,
            locations: &self.locations,
            managed_onedrive_tenants: &self.managed_onedrive_tenants,
            scan: &self.scan,
            rules: &self.rules,
            labels: &self.labels,
        }
    }

    /// Delivery to `sinks` with this configuration's spool settings, stamping events as this
    /// machine's.
    pub fn delivery(&self, sinks: Vec<SinkSpec>) -> Result<Delivery, BuildError> {
        let config = DeliveryConfig { sinks, ..self.delivery.clone() };
        Delivery::start(&config, Origin::this_machine()).map_err(BuildError::Sinks)
    }

    /// The agent's sinks: the configured ones, or when there are none a rotating JSON Lines file,
    /// `events.jsonl` in the log folder, with a file sink's defaults.
    pub fn agent_sinks(&self) -> Vec<SinkSpec> {
        if !self.delivery.sinks.is_empty() {
            return self.delivery.sinks.clone();
        }
        let dir = crate::platform::default_log_dir().unwrap_or_else(|| PathBuf::from("."));
        vec![file_sink("events", dir.join("events.jsonl"), EventFormat::Json)]
    }

    /// The agent's state store: `agent.state_file`, or `agent.redb` in the state folder.
    pub fn agent_state_file(&self) -> Option<PathBuf> {
        self.agent.state_file.clone().or_else(paths::agent_store)
    }

    /// What the agent writes itself: its state store, key, spools and event files (never
    /// watched or judged).
    pub fn agent_own_files(&self) -> Vec<PathBuf> {
        let mut own: Vec<PathBuf> = [
            self.agent_state_file(),
            self.fingerprint_key_file.clone().or_else(paths::key_file),
            self.delivery.spool_dir.clone().or_else(paths::spool_dir),
        ]
        .into_iter()
        .flatten()
        .collect();
        own.extend(self.agent_sinks().into_iter().filter_map(|s| match s.kind {
            SinkKind::File { path, .. } => Some(path),
            _ => None,
        }));
        own
    }

    /// Identifies the rule set the agent judges by: the configuration text and `scanner`'s
    /// analysis version (program, detector files, key), so a change to any re-judges every file.
    pub fn rules_version(&self, scanner: &Scanner) -> String {
        use sha2::Digest;
        let mut hash = sha2::Sha256::new();
        hash.update(scanner.analysis_version().as_bytes());
        hash.update(self.source.text.as_bytes());
        hash.finalize().iter().take(8).map(|b| format!("{b:02x}")).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_agents_default_sink_is_a_private_json_file() {
        let config = Config::embedded_default().unwrap();
        let sinks = config.agent_sinks();
        assert_eq!(sinks.len(), 1);
        assert_eq!((sinks[0].name.as_str(), sinks[0].format), ("events", EventFormat::Json));
        let SinkKind::File { path, max_bytes, keep, fsync, mode } = &sinks[0].kind else {
            panic!("a file sink: {:?}", sinks[0].kind);
        };
        assert!(path.ends_with("events.jsonl"));
        assert_eq!(
            (*max_bytes, *keep, *fsync, *mode),
            (50 << 20, 5, crate::deliver::durable::FsyncPolicy::Interval, 0o600)
        );
    }
}
