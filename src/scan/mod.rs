//! The scanner: every stage, for every file, in parallel.
//!
//! This is the only module that knows all stages. For one file it runs
//! `open -> extract -> detect -> classify -> policy -> report`; for a run it walks the roots and
//! spreads files over a rayon pool. A file that cannot be read becomes an `error` record and the
//! run goes on; the run ends with a `summary` record.
//!
//! A file goes through two steps: reading (bytes to an [`Analysis`], in a parser worker for
//! containers) and judging (an analysis, where the file is and the rules to a record). The agent
//! uses them apart: it judges a moved file again from a stored analysis. What the run adds up is
//! in [`summary`]; the rule that pairs files is asked of `policy::pairing`.

use std::collections::BTreeSet;
use std::io::Seek;
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::sync::Mutex;
use std::time::{Instant, SystemTime};

use rayon::prelude::*;

pub mod serve;
pub mod summary;

use summary::{add_to_summary, count_error, count_skip, error_record, lock, Progress, Totals};

use crate::analysis::{Analysis, PortableAnalysis, UnknownDetector};
use crate::classify::{classify, classify_attribution, is_attribution_file, FileTally};
use crate::detect::{DetectorClass, Engine, FingerprintKey};
use crate::error::{ConfigError, FileError};
use crate::extract::{extract, ContentKind, PartialReason};
use crate::fsutil::OpenedFile;
use crate::locate::Locator;
use crate::policy::pairing::{shared_place, KeyRole, Pairing};
use crate::policy::{evaluate, FileFacts};
use crate::report::{path_fields, FileRecord, FindingRecord, Record, RecordSink, SummaryRecord, SCHEMA_VERSION};
use crate::walk::{walk, FileCandidate, SkipReason, WalkConfig, WalkItem};

/// The root that names standard input (`dlp-scan -`, as ripgrep and clamscan take it).
pub const STDIN_ROOT: &str = "-";

/// The path standard input has in records.
pub const STDIN_NAME: &str = "<stdin>";

/// Archive members with findings listed per record.
const MAX_MEMBERS_LISTED: usize = 50;

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
    pub exclude: globset::GlobSet,
    /// The globs `exclude` was built from.
    pub exclude_globs: Vec<String>,
    /// Caps on reading documents and archives (the time budget comes from `scan.file_time_budget_secs`).
    pub limits: crate::extract::ExtractLimits,
    /// Parse container formats in worker processes.
    pub isolate_parsers: bool,
    /// Address-space limit of a worker process, in bytes.
    pub worker_memory: u64,
}

/// What a [`Scanner`] is built from: the parts of a validated configuration it needs (the
/// configuration hands this out, so scanning never reads configuration itself).
#[derive(Debug, Clone, Copy)]
pub struct ScannerSettings<'a> {
    /// Which detectors run: built-in, disabled, the user's files.
    pub detectors: &'a crate::detect::DetectorSelection,
    /// Keyed fingerprints of values the institution allows (`[[allow]] fingerprint`).
    pub allowed_fingerprints: &'a [crate::detect::Fingerprint],
    /// Folders whose location kind is declared rather than discovered.
    pub locations: &'a [crate::locate::DeclaredLocation],
    /// Organisations whose business OneDrive counts as managed.
    pub managed_onedrive_tenants: &'a [String],
    /// Walking and reading.
    pub scan: &'a ScanConfig,
    /// How the policy rules are tuned.
    pub rules: &'a crate::policy::RulesConfig,
    /// Sensitivity label names and what they mean.
    pub labels: &'a crate::extract::LabelNames,
}

/// Everything needed to scan files, built once from the configuration.
pub struct Scanner {
    engine: Engine,
    locator: Locator,
    scan: ScanConfig,
    rules: crate::policy::RulesConfig,
    labels: crate::extract::LabelNames,
    isolation: Option<crate::worker::Workers>,
    analysis_version: String,
}

impl std::fmt::Debug for Scanner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Scanner").field("engine", &self.engine).finish_non_exhaustive()
    }
}

/// What scanning one file produced.
enum FileOutcome {
    /// A record to send.
    Record {
        /// The file's record.
        record: Box<FileRecord>,
        /// Values suppressed: documentation or test values, and values `[[allow]]`ed by fingerprint.
        suppressed: u64,
        /// (rule, reason) of the violations an allowance suppressed.
        allowed: Vec<(&'static str, String)>,
        /// Its part in `key_stored_with_data`, when it has one.
        pairing: Option<Pairing>,
    },
    /// Read, nothing to report.
    Clean {
        /// Its size.
        size: u64,
        /// Values suppressed in it (a file whose only values were allowed is clean, and they
        /// still count).
        suppressed: u64,
    },
    /// Not scanned, and why.
    Skipped(SkipReason),
    /// Could not be read.
    Failed(FileError),
}

impl Scanner {
    /// Loads detectors and policy from a validated configuration's settings.
    pub fn new(config: ScannerSettings<'_>, key: FingerprintKey) -> Result<Scanner, ConfigError> {
        let mut engine = Engine::load(config.detectors, key)?;
        engine.check_user_examples()?;
        engine.allow_fingerprints(config.allowed_fingerprints.iter().copied());
        let locator = Locator::discover(config.locations, config.managed_onedrive_tenants);
        let analysis_version = analysis_version(&engine, config);
        Ok(Scanner {
            engine,
            locator,
            scan: config.scan.clone(),
            rules: config.rules.clone(),
            labels: config.labels.clone(),
            isolation: None,
            analysis_version,
        })
    }

    /// The detection engine.
    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// Identifies what this scanner's analysis of a given file would be (program, detectors,
    /// key, allowed values, reading limits, label names); where the file is and the policy
    /// rules are not part of it. A stored analysis with the same version can be judged again.
    pub fn analysis_version(&self) -> &str {
        &self.analysis_version
    }

    /// Parses container formats (Office, PDF, archives, mail) in worker processes started with
    /// `command`, so that a parser abort or runaway costs one file.
    pub fn isolate_parsers(&mut self, command: crate::worker::WorkerCommand) {
        self.isolation = Some(crate::worker::Workers::new(command, self.scan.limits.time_budget));
    }

    /// Scans every root, sending records to `sink` as they are made; returns the summary (also sent).
    /// A root [`STDIN_ROOT`] is standard input, read once (up to `scan.max_file_size`) and
    /// scanned as one file named [`STDIN_NAME`].
    pub fn run(&self, roots: &[PathBuf], sink: &dyn RecordSink, progress: &Progress) -> SummaryRecord {
        let started = Instant::now();
        // Absolute paths in every record: a SIEM cannot place `./staff.csv`, and `[[allow]]`
        // globs and locations are written as absolute paths.
        let walk_config = WalkConfig {
            roots: roots
                .iter()
                .filter(|r| r.as_os_str() != STDIN_ROOT)
                .map(|r| std::path::absolute(r).unwrap_or_else(|_| r.clone()))
                .collect(),
            follow_symlinks: self.scan.follow_symlinks,
            exclude: self.scan.exclude.clone(),
            one_file_system: false,
            follow_root_link: true,
        };
        let totals = Totals {
            summary: Mutex::new(SummaryRecord { schema_version: SCHEMA_VERSION, ..SummaryRecord::default() }),
            held: Mutex::new(Vec::new()),
        };
        let work = || {
            if roots.iter().any(|r| r.as_os_str() == STDIN_ROOT) {
                let stdin = FileCandidate { path: PathBuf::from(STDIN_NAME), beneath: None };
                let opened = crate::fsutil::standard_input(self.scan.max_file_size);
                self.count_outcome(&stdin, self.scan_from(&stdin, opened), sink, &totals, progress);
            }
            walk(&walk_config).par_bridge().for_each(|item| self.handle(item, sink, &totals, progress));
        };
        match rayon::ThreadPoolBuilder::new().num_threads(self.scan.threads).build() {
            Ok(pool) => pool.install(work),
            Err(e) => {
                tracing::warn!(error = %e, "could not start a thread pool; scanning on the global pool");
                work();
            }
        }
        let held = totals.held.into_inner().unwrap_or_else(std::sync::PoisonError::into_inner);
        let mut summary = totals.summary.into_inner().unwrap_or_else(std::sync::PoisonError::into_inner);
        self.send_held(held, sink, &mut summary);
        summary.duration_ms = started.elapsed().as_millis() as u64;
        let record = Record::Summary(summary);
        sink.record(&record);
        match record {
            Record::Summary(summary) => summary,
            _ => unreachable!("built as a summary just above"),
        }
    }

    /// Judges `key_stored_with_data` now that every file is known, then sends the held records.
    fn send_held(&self, held: Vec<(FileRecord, Pairing)>, sink: &dyn RecordSink, summary: &mut SummaryRecord) {
        let places_with_encrypted: BTreeSet<PathBuf> =
            held.iter().filter(|(_, p)| p.role == KeyRole::EncryptedData).map(|(_, p)| p.place.clone()).collect();
        for (mut record, pairing) in held {
            if pairing.role == KeyRole::Credential && places_with_encrypted.contains(&pairing.place) {
                for (rule, reason) in self.add_key_beside_data(&mut record, &pairing) {
                    *summary.violations_allowed.entry(format!("{rule} ({reason})")).or_default() += 1;
                }
            }
            add_to_summary(summary, &record);
            sink.record(&Record::File(record));
        }
    }

    /// Adds `key_stored_with_data` to the record of a credential (`pairing`) stored where
    /// encrypted data is (as the rules configuration tunes it); the violations that configuration
    /// allowed.
    pub fn add_key_beside_data(&self, record: &mut FileRecord, pairing: &Pairing) -> Vec<(&'static str, String)> {
        let tuned = crate::policy::apply_rules_config(vec![pairing.violation()], Path::new(&record.path), &self.rules);
        record.violations.extend(tuned.violations);
        tuned.suppressed
    }

    /// The unmanaged cloud folder or removable volume `path` is in, where a key must not sit
    /// beside the data it unlocks; `None` anywhere else.
    pub fn exposed_root(&self, path: &Path) -> Option<PathBuf> {
        let absolute = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
        shared_place(&self.locator.locate(&absolute)).map(Path::to_path_buf)
    }

    fn handle(&self, item: WalkItem, sink: &dyn RecordSink, totals: &Totals, progress: &Progress) {
        let summary = &totals.summary;
        match item {
            WalkItem::Skipped { reason, .. } => count_skip(summary, reason),
            WalkItem::Error { path, error } => {
                sink.record(&Record::Error(error_record(&path, &error)));
                // A pipe or device named to scan is reported, but counted as skipped like those
                // found in folders.
                match error {
                    FileError::SpecialFile => count_skip(summary, SkipReason::SpecialFile),
                    _ => count_error(&mut lock(summary), &error),
                }
            }
            WalkItem::File(candidate) => {
                let outcome = self.scan_from(&candidate, candidate.open());
                self.count_outcome(&candidate, outcome, sink, totals, progress);
            }
        }
    }

    /// Counts what scanning one file gave and sends its record (or holds it, for pairing).
    fn count_outcome(
        &self,
        candidate: &FileCandidate,
        outcome: FileOutcome,
        sink: &dyn RecordSink,
        totals: &Totals,
        progress: &Progress,
    ) {
        let mut s = lock(&totals.summary);
        s.files_seen += 1;
        match outcome {
            FileOutcome::Failed(error) => {
                // A file over the size cap is reported like an error but counted as skipped.
                match error {
                    FileError::TooLarge { .. } => *s.skipped.entry(SkipReason::TooLarge.as_str()).or_default() += 1,
                    _ => count_error(&mut s, &error),
                }
                drop(s);
                sink.record(&Record::Error(error_record(&candidate.path, &error)));
            }
            FileOutcome::Skipped(reason) => {
                *s.skipped.entry(reason.as_str()).or_default() += 1;
            }
            FileOutcome::Clean { size, suppressed } => {
                s.files_scanned += 1;
                s.bytes_scanned += size;
                s.suppressed += suppressed;
                progress.files.fetch_add(1, Ordering::Relaxed);
                progress.bytes.fetch_add(size, Ordering::Relaxed);
            }
            FileOutcome::Record { record, suppressed, allowed, pairing } => {
                for (rule, reason) in allowed {
                    *s.violations_allowed.entry(format!("{rule} ({reason})")).or_default() += 1;
                }
                s.files_scanned += 1;
                s.bytes_scanned += record.size;
                s.suppressed += suppressed;
                progress.files.fetch_add(1, Ordering::Relaxed);
                progress.bytes.fetch_add(record.size, Ordering::Relaxed);
                if !record.findings.is_empty() {
                    progress.files_with_findings.fetch_add(1, Ordering::Relaxed);
                }
                match pairing {
                    Some(pairing) => {
                        drop(s);
                        totals.held.lock().unwrap_or_else(std::sync::PoisonError::into_inner).push((*record, pairing));
                    }
                    None => {
                        add_to_summary(&mut s, &record);
                        drop(s);
                        sink.record(&Record::File(*record));
                    }
                }
            }
        }
    }

    /// Scans one file the agent opened (and may have hashed: it is read from its start): its
    /// verdict, its analysis when it was read, and how many bytes reading it took.
    /// (`key_stored_with_data` compares files with each other: the caller adds it, see
    /// `add_key_beside_data`.)
    pub fn scan_opened(&self, path: &Path, opened: OpenedFile) -> OneFile {
        if self.scan.exclude.is_match(path) {
            return OneFile { verdict: Verdict::default(), analysis: None, bytes_read: 0 };
        }
        let candidate = FileCandidate { path: path.to_path_buf(), beneath: None };
        match self.read_opened(opened) {
            Ok(read) => {
                let analysis = Some(PortableAnalysis::from_analysis(&read.analysis));
                let bytes_read = read.bytes_read;
                let verdict = verdict_of(path, self.judge(&candidate, read.size, read.age_days, read.analysis));
                OneFile { verdict, analysis, bytes_read }
            }
            Err(outcome) => OneFile { verdict: verdict_of(path, outcome), analysis: None, bytes_read: 0 },
        }
    }

    /// Judges a file again from an analysis made earlier by this scanner's detectors, without
    /// reading it: for a file that moved (policy depends on where it is) but did not change.
    pub fn rejudge(
        &self,
        path: &Path,
        size: u64,
        modified: SystemTime,
        analysis: &PortableAnalysis,
    ) -> Result<Verdict, UnknownDetector> {
        if self.scan.exclude.is_match(path) {
            return Ok(Verdict::default());
        }
        let analysis = analysis.to_analysis(self.engine.detectors())?;
        let candidate = FileCandidate { path: path.to_path_buf(), beneath: None };
        Ok(verdict_of(path, self.judge(&candidate, size, age_in_days(modified), analysis)))
    }

    /// The places the scanner knows by path (declared, removable, sync-client folders found).
    pub fn places(&self) -> &[crate::locate::DeclaredLocation] {
        self.locator.places()
    }

    /// The exclusion globs, for walks.
    pub fn exclusions(&self) -> &globset::GlobSet {
        &self.scan.exclude
    }

    /// Files larger than this are not read through (`scan.max_file_size`, bytes).
    pub fn max_file_size(&self) -> u64 {
        self.scan.max_file_size
    }

    /// The longest one file may take: its time budget, and a parser worker's grace period.
    pub fn longest_file_time(&self) -> std::time::Duration {
        self.scan.limits.time_budget + crate::worker::GRACE
    }

    /// True for paths the configuration excludes (no scanning, and for the agent no watch).
    pub fn is_excluded(&self, path: &Path) -> bool {
        self.scan.exclude.is_match(path)
    }

    /// Analyses and judges one file, given as it was opened (from a walk, or standard input).
    fn scan_from(&self, candidate: &FileCandidate, opened: Result<OpenedFile, FileError>) -> FileOutcome {
        match opened.map_err(FileOutcome::Failed).and_then(|opened| self.read_opened(opened)) {
            Ok(read) => self.judge(candidate, read.size, read.age_days, read.analysis),
            Err(outcome) => outcome,
        }
    }

    /// Analyses an open file, at its start (freshly opened, or rewound by whoever read it
    /// first), in a worker for containers; the size cap applies before anything but the first
    /// bytes is read. A file written while it was read is partial.
    fn read_opened(&self, opened: OpenedFile) -> Result<ReadFile, FileOutcome> {
        let OpenedFile { mut file, identity } = opened;
        let size = identity.size;
        let age_days = age_in_days(identity.modified());
        if size == 0 {
            return Err(FileOutcome::Skipped(SkipReason::Empty));
        }
        let failed = |e| FileOutcome::Failed(FileError::Io(e));
        let sniffed = crate::extract::sniff_file(&mut file, size).map_err(failed)?;
        // Videos, disk images and encrypted volumes are judged from a few bounded reads, whatever
        // their size; the cap is for content that would be read through.
        let read_through = !sniffed.is_read_in_bounded_bytes();
        if size > self.scan.max_file_size && read_through {
            return Err(FileOutcome::Failed(FileError::TooLarge { size, limit: self.scan.max_file_size }));
        }
        let bytes_read = if read_through { size } else { sniffed.head_len() };
        let analysis = match &self.isolation {
            Some(workers) if sniffed.is_container() => {
                workers.analyse(&file, &self.analysis_version, self.engine.detectors())
            }
            _ => self.analyse_sniffed(&mut file, sniffed, size),
        };
        let mut analysis = analysis.map_err(FileOutcome::Failed)?;
        let reopened = OpenedFile { file, identity };
        if reopened.changed_since_open() {
            analysis.extracted.partial.insert(PartialReason::ChangedWhileRead);
        }
        Ok(ReadFile { size, age_days, analysis, bytes_read })
    }

    /// Reads one open file and runs the detectors over its text: everything that depends on the
    /// file's bytes, value-free, so that it can also run in an isolated worker process.
    /// The file is read from its start, whatever its offset (a descriptor passed from another
    /// process shares its offset).
    pub fn analyse(&self, file: &mut std::fs::File, size: u64) -> Result<Analysis, FileError> {
        file.rewind()?;
        let sniffed = crate::extract::sniff_file(file, size).map_err(FileError::Io)?;
        self.analyse_sniffed(file, sniffed, size)
    }

    fn analyse_sniffed(
        &self,
        file: &mut std::fs::File,
        sniffed: crate::extract::Sniffed,
        size: u64,
    ) -> Result<Analysis, FileError> {
        let mut tally = FileTally::default();
        let mut suppressed = 0;
        let mut members: BTreeSet<String> = BTreeSet::new();
        // Chunks of one member arrive together, so a change of member name marks a new member.
        let mut members_omitted = 0u64;
        let mut last_member: Option<String> = None;
        // A parser that panics on a crafted file costs that file, not the scan.
        let extracted = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            extract(file, sniffed, size, self.scan.limits, &self.labels, &mut |chunk| {
                let member = chunk.member;
                let stats = self.engine.scan(&chunk, &mut |finding| {
                    tally.add(&finding, &self.engine);
                    if let Some(m) = member {
                        if members.len() < MAX_MEMBERS_LISTED && !members.contains(m) {
                            members.insert(m.to_string());
                        } else if !members.contains(m) && last_member.as_deref() != Some(m) {
                            members_omitted += 1;
                        }
                        if last_member.as_deref() != Some(m) {
                            last_member = Some(m.to_string());
                        }
                    }
                });
                suppressed += stats.suppressed;
                if stats.people_table {
                    tally.saw_people_table();
                }
                ControlFlow::Continue(())
            })
        }));
        match extracted {
            Ok(Ok(extracted)) => Ok(Analysis { extracted, tally, members, members_omitted, suppressed }),
            Ok(Err(e)) => Err(FileError::Io(e)),
            Err(_) => Err(FileError::ParserFailure),
        }
    }

    /// Classifies, locates and judges a file from its analysis.
    fn judge(&self, candidate: &FileCandidate, size: u64, age_days: Option<u64>, analysis: Analysis) -> FileOutcome {
        let Analysis { extracted, tally, members, members_omitted, suppressed } = analysis;
        if extracted.kind == ContentKind::Binary && !extracted.encryption.encrypted {
            return FileOutcome::Skipped(SkipReason::Binary);
        }
        if extracted.partial.contains(&PartialReason::Corrupt) {
            return FileOutcome::Failed(FileError::Corrupt { format: extracted.format });
        }
        // Every rule needs something found, something left unread or encryption: a file with none
        // of them has nothing to say wherever it is, so it is neither located nor judged.
        if tally.is_empty() && extracted.partial.is_empty() && !extracted.encryption.encrypted {
            return FileOutcome::Clean { size, suppressed };
        }
        let named_attribution = candidate.path.file_name().and_then(|n| n.to_str());
        let mut classification = if named_attribution.is_some_and(|n| is_attribution_file(n, extracted.format)) {
            classify_attribution(&tally)
        } else {
            classify(&tally)
        };
        if tally.is_empty() && extracted.encryption.encrypted && !extracted.encryption.partly {
            // Nothing was found because nothing could be read: say so, not "no identifier found".
            classification.reasons = vec![
                "encrypted: the content cannot be read without its key, so its sensitivity is unknown".to_string(),
            ];
        }
        // Judged on the absolute path: `dlp-scan .` run inside `~/Dropbox` is still in Dropbox.
        // Standard input is in no folder: it is judged where the scan runs, on this machine.
        let absolute = std::path::absolute(&candidate.path).unwrap_or_else(|_| candidate.path.clone());
        let location = if candidate.path.as_os_str() == STDIN_NAME {
            crate::locate::Location::local()
        } else {
            self.locator.locate(&absolute)
        };
        let encryption = extracted.encryption;
        let classes: Vec<DetectorClass> =
            tally.detectors().filter(|t| !t.distinct_counting.is_empty()).map(|t| t.class).collect();
        let facts = FileFacts {
            location: &location,
            classification: &classification,
            encryption: &encryption,
            detector_classes: &classes,
            age_days,
            retention_days: self.rules.retention_days,
        };
        let tuned = crate::policy::apply_rules_config(evaluate(&facts), &absolute, &self.rules);
        let violations = tuned.violations;
        let role = KeyRole::of(encryption.encrypted, tally.detectors().map(|t| t.class));
        let pairing = Pairing::of(role, &location);
        let (path, path_base64) = path_fields(&candidate.path);
        let record = FileRecord {
            schema_version: SCHEMA_VERSION,
            path,
            path_base64,
            size,
            format: extracted.format,
            classification: classification.category,
            reasons: classification.reasons,
            location: location.into(),
            encryption: encryption.into(),
            findings: tally.detectors().map(FindingRecord::from).collect(),
            members_with_findings: members.into_iter().collect(),
            members_omitted,
            violations,
            partial: !extracted.partial.is_empty(),
            partial_reasons: extracted.partial.iter().map(|p| p.as_str()).collect(),
        };
        FileOutcome::Record { record: Box::new(record), suppressed, allowed: tuned.suppressed, pairing }
    }
}

/// A file judged on its own, for the agent.
#[derive(Debug, Default)]
pub struct Verdict {
    /// What to report: a file record when it has something to say, an error record when it
    /// could not be read.
    pub record: Option<Record>,
    /// Its part in `key_stored_with_data`, which the caller judges, when it has one.
    pub pairing: Option<Pairing>,
}

/// What [`Scanner::scan_opened`] learned of a file.
#[derive(Debug)]
pub struct OneFile {
    /// Its verdict.
    pub verdict: Verdict,
    /// Its analysis, when it was read.
    pub analysis: Option<PortableAnalysis>,
    /// Bytes read (about): its size when read through, its first bytes for formats judged from
    /// their headers; 0 when it was not read.
    pub bytes_read: u64,
}

/// A file read and analysed, not yet judged.
struct ReadFile {
    size: u64,
    age_days: Option<u64>,
    analysis: Analysis,
    bytes_read: u64,
}

/// The [`Scanner::analysis_version`] for an engine and a configuration.
fn analysis_version(engine: &Engine, config: ScannerSettings<'_>) -> String {
    use sha2::Digest;
    let mut labels: Vec<_> = config.labels.iter().collect();
    labels.sort();
    let mut hash = sha2::Sha256::new();
    hash.update(env!("CARGO_PKG_VERSION").as_bytes());
    hash.update(engine.identity());
    hash.update(format!("{:?} {} {labels:?}", config.scan.limits, config.scan.max_file_size).as_bytes());
    hash.finalize().iter().take(8).map(|b| format!("{b:02x}")).collect()
}

/// Whole days since `modified` (none for a time in the future).
fn age_in_days(modified: SystemTime) -> Option<u64> {
    SystemTime::now().duration_since(modified).ok().map(|d| d.as_secs() / 86_400)
}

/// The verdict an outcome gives the agent: nothing for clean or skipped files.
fn verdict_of(path: &Path, outcome: FileOutcome) -> Verdict {
    match outcome {
        FileOutcome::Record { record, pairing, .. } => Verdict { record: Some(Record::File(*record)), pairing },
        FileOutcome::Failed(error) => {
            Verdict { record: Some(Record::Error(error_record(path, &error))), pairing: None }
        }
        FileOutcome::Clean { .. } | FileOutcome::Skipped(_) => Verdict::default(),
    }
}
