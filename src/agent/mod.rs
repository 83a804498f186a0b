//! `dlp-agent`'s work: keep every watched file judged as it changes, and say so.
//!
//! At start a baseline walk judges every file the state store does not already know as it is;
//! then file-system events (debounced) bring changed, created, moved and deleted paths. A file
//! is looked at again only when its identity or change stamps differ from the stored ones, or when
//! the rule set changed; then a file that only moved is judged from its stored analysis without
//! being read, one whose content hashes as before is judged without the detectors, and only the
//! rest is scanned. Records go to the same sinks as `dlp-scan`'s; a file whose violations
//! disappear (deleted, moved away, cleaned) gets a `resolved` event naming them. When the
//! watcher loses events, or periodically, a reconciliation walk catches up. Declared locations
//! and removable volumes (`locate::removable_mount_points`) are watched while they exist (checked every second);
//! a root that is no longer the folder it was (a volume unmounted and mounted again, a folder
//! made anew) is watched and walked again.
//!
//! The agent can read every user's files, so it never lets a user steer it: it follows no
//! symbolic link (not in walks, not in watches, not when opening), stays on each root's file
//! system, and reads each file once through one descriptor opened below its root
//! ([`crate::fsutil::Beneath`]): hashing, scanning and the parser worker all use it. A file over
//! the size cap is judged by its size without being hashed. Heartbeats and the watchdog live on
//! their own thread ([`pulse`]), so long work never silences them; the read-rate cap waits in
//! slices and gives way to a stop.
//!
//! Not here: signals, systemd and the configuration file (the `dlp-agent` binary), scanning
//! itself (`scan`), delivery (`deliver`).

pub mod etiquette;
mod judge;
mod keys;
mod pulse;
pub mod state;
pub mod watch;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rayon::prelude::*;

use crate::error::AgentError;
use crate::fsutil::Beneath;
use crate::platform::FolderIdentity;
use crate::report::{AgentEvent, AgentRecord, Record, RecordSink, SCHEMA_VERSION};
use crate::scan::Scanner;
use crate::walk::{WalkConfig, WalkItem};
use etiquette::{OnBattery, ReadRate};
use judge::Judging;
use pulse::Pulse;
use state::{FileState, SetAside, StateStore};
use watch::{Batch, Watcher};

/// Files judged (and recorded in one transaction) at a time during a walk.
const JUDGE_SLICE: usize = 2_000;
/// How long a turn of the loop waits for file-system events (or sleeps while paused).
const WAIT: Duration = Duration::from_millis(200);
/// How often declared locations are checked for appearing and disappearing.
const MOUNT_CHECK: Duration = Duration::from_secs(1);
/// Files that left their paths in one batch, kept to recognise them where they arrive.
const MAX_MOVED_REMEMBERED: usize = 10_000;
/// Silence beyond the longest a file may take that still counts as alive (a store commit, a walk
/// listing a large folder).
const STALL_MARGIN: Duration = Duration::from_secs(20);

/// Where Linux lists power supplies.
const POWER_SUPPLY: &str = "/sys/class/power_supply";
/// The read rate on battery with `on_battery = "slow"` and no cap of its own.
const SLOW_READ_RATE: u64 = 4 << 20;

/// The `[agent]` settings (`dlp-agent` only).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentConfig {
    /// Folders to watch; empty means every home folder. A root ending in `/*` stands for each
    /// folder in its parent, each a root of its own (`/home/*`: every home, on whatever file
    /// system it is), looked at again every second.
    pub roots: Vec<PathBuf>,
    /// The state store (default: the state folder's `agent.redb`).
    pub state_file: Option<PathBuf>,
    /// How often a heartbeat is sent.
    pub heartbeat: Duration,
    /// How long a file must be quiet before it is scanned.
    pub settle: Duration,
    /// How often every root is walked to catch what events missed.
    pub reconcile: Duration,
    /// Bytes read per second at most while scanning; 0 for no cap.
    pub max_read_rate: u64,
    /// What to do on battery.
    pub on_battery: OnBattery,
}

impl AgentConfig {
    /// The roots to watch: the configured ones, or the home folders (all of them for root, the
    /// user's own otherwise).
    pub fn roots_or_homes(&self) -> Vec<PathBuf> {
        if !self.roots.is_empty() {
            return self.roots.iter().flat_map(|root| expand_root(root)).collect();
        }
        if crate::platform::system_wide() {
            return crate::platform::all_homes();
        }
        crate::platform::user_home().into_iter().collect()
    }
}

/// A configured root: itself, or for `PARENT/*` each folder in `PARENT`.
fn expand_root(root: &Path) -> Vec<PathBuf> {
    match root.file_name() {
        Some(name) if name == "*" => root.parent().map(crate::platform::subfolders).unwrap_or_default(),
        _ => vec![root.to_path_buf()],
    }
}

/// What the agent's loop handles, one at a time: the loop is a `match` over these.
enum Event {
    /// SIGTERM or SIGINT: finish, say `stopped`, return.
    Stop,
    /// The state store was found damaged and replaced by an empty one: say so, walk every root.
    StoreSetAside(Vec<SetAside>),
    /// SIGHUP: read the configuration again.
    Reload,
    /// On battery with `on_battery = "pause"`: nothing is scanned this turn.
    Paused,
    /// File-system events, debounced.
    Batch(Batch),
    /// No event came while waiting: hand freed memory back if work allocated.
    Quiet,
    /// Time to look at the power source, the mount table and the roots.
    MountCheckDue,
    /// Time to walk every root for what events missed.
    ReconcileDue,
    /// The turn is over: publish what heartbeats report.
    TurnEnd,
}

/// Where the loop is in its turn, and when the periodic work was last done.
struct Turn {
    step: Step,
    last_mount_check: Instant,
    last_reconcile: Instant,
}

impl Turn {
    fn new() -> Turn {
        Turn { step: Step::Start, last_mount_check: Instant::now(), last_reconcile: Instant::now() }
    }
}

/// The steps of one turn, in order.
#[derive(Debug, Clone, Copy)]
enum Step {
    Start,
    SetAside,
    Reload,
    Wait,
    Mounts,
    Reconcile,
    End,
}

impl Step {
    fn next(self) -> Step {
        match self {
            Step::Start => Step::SetAside,
            Step::SetAside => Step::Reload,
            Step::Reload => Step::Wait,
            Step::Wait => Step::Mounts,
            Step::Mounts => Step::Reconcile,
            Step::Reconcile => Step::End,
            Step::End => Step::Start,
        }
    }
}

/// Flags the binary sets from signals (shared with the signal handlers, hence the `Arc`s).
#[derive(Debug, Default)]
pub struct Control {
    /// SIGTERM / SIGINT: finish the current batch, say `stopped`, return.
    pub stop: std::sync::Arc<AtomicBool>,
    /// SIGHUP: read the configuration again.
    pub reload: std::sync::Arc<AtomicBool>,
}

/// What a reload produces: a new scanner and what it watches.
pub struct Rules {
    /// Detectors and policy.
    pub scanner: Scanner,
    /// Identifies the rule set; a change re-judges every file.
    pub version: String,
    /// Declared locations, watched while they exist.
    pub declared: Vec<PathBuf>,
    /// Roots (or the home folders), timings.
    pub config: AgentConfig,
    /// What the agent itself writes (state store, key, spool folder, event files): never
    /// watched or judged, with their numbered and set-aside siblings (`events.jsonl.1`).
    pub own_files: Vec<PathBuf>,
}

impl Rules {
    /// True for a file or folder the agent writes itself.
    pub fn is_own(&self, path: &Path) -> bool {
        self.own_files.iter().any(|own| path.starts_with(own) || is_sibling_copy(path, own))
    }
}

/// True when `path` is `own` with a suffix in the same folder (`events.jsonl.1`,
/// `agent.redb.damaged-20261129T211500Z`).
fn is_sibling_copy(path: &Path, own: &Path) -> bool {
    let (Some(name), Some(own_name)) = (path.file_name(), own.file_name()) else {
        return false;
    };
    let mut prefix = own_name.to_os_string();
    prefix.push(".");
    path.parent() == own.parent() && name.as_encoded_bytes().starts_with(prefix.as_encoded_bytes())
}

/// What heartbeats report; written by the work, read by the pulse thread.
#[derive(Default)]
struct Counters {
    scanned: AtomicU64,
    rejudged: AtomicU64,
    reported: AtomicU64,
    resolved: AtomicU64,
    errors: AtomicU64,
    reconciliations: AtomicU64,
    watch_failures: AtomicU64,
    files_known: AtomicU64,
    folders_watched: AtomicU64,
    watcher_ok: AtomicBool,
    on_battery: AtomicBool,
}

/// Counters from outside the agent (the sinks'), added to heartbeats.
pub type ExtraCounters<'a> = dyn Fn() -> Vec<(String, u64)> + Send + Sync + 'a;

impl Counters {
    fn as_map(&self, extra: &ExtraCounters<'_>) -> BTreeMap<String, u64> {
        let load = |c: &AtomicU64| c.load(Ordering::Relaxed);
        let mut counters = BTreeMap::from([
            ("files_known".to_string(), load(&self.files_known)),
            ("folders_watched".to_string(), load(&self.folders_watched)),
            ("files_scanned".to_string(), load(&self.scanned)),
            ("files_rejudged".to_string(), load(&self.rejudged)),
            ("files_reported".to_string(), load(&self.reported)),
            ("violations_resolved".to_string(), load(&self.resolved)),
            ("errors".to_string(), load(&self.errors)),
            ("reconciliations".to_string(), load(&self.reconciliations)),
            ("watch_failures".to_string(), load(&self.watch_failures)),
            ("watcher_ok".to_string(), u64::from(self.watcher_ok.load(Ordering::Relaxed))),
            ("on_battery".to_string(), u64::from(self.on_battery.load(Ordering::Relaxed))),
        ]);
        counters.extend(extra());
        counters
    }

    /// An event with the counters, `ok` or `degraded` after the watcher.
    fn record(&self, event: AgentEvent, message: String, extra: &ExtraCounters<'_>) -> Record {
        let mut record = agent_record(event, message);
        record.status = Some(if self.watcher_ok.load(Ordering::Relaxed) { "ok" } else { "degraded" });
        record.counters = self.as_map(extra);
        Record::Agent(record)
    }
}

/// The running agent.
pub struct Agent<'a> {
    rules: Rules,
    sink: &'a dyn RecordSink,
    state: StateStore,
    watcher: Watcher,
    /// Roots watched, with the identity of the folder when it was added.
    active_roots: BTreeMap<PathBuf, FolderIdentity>,
    /// Removable volumes mounted at the last look at the mount table.
    mounted: BTreeSet<PathBuf>,
    /// Configured roots that did not exist at the last look (said once, and again when found).
    missing_roots: BTreeSet<PathBuf>,
    counters: Arc<Counters>,
    /// False once the watcher lost events; true again after a reconciliation.
    watcher_ok: bool,
    /// Caps the bytes read per second.
    rate: ReadRate,
    /// Running on battery at the last look.
    on_battery: bool,
    /// Counters from outside (the sinks'), added to heartbeats.
    extra_counters: Arc<ExtraCounters<'a>>,
    /// Liveness for the watchdog.
    pulse: Arc<Pulse>,
    /// Set on SIGTERM: work in progress stops at the next file.
    stop: Arc<AtomicBool>,
    /// States of files that left their paths in the batch being handled, by (device, inode):
    /// a move shows up as a removal and an arrival.
    moved_away: Mutex<HashMap<(u64, u64), FileState>>,
    /// Where keys and encrypted data may meet (`key_stored_with_data`).
    keys: keys::KeyPlaces,
}

fn agent_record(event: AgentEvent, message: String) -> AgentRecord {
    AgentRecord {
        schema_version: SCHEMA_VERSION,
        event,
        message,
        status: None,
        path: None,
        rules: Vec::new(),
        counters: BTreeMap::new(),
    }
}

impl<'a> Agent<'a> {
    /// Opens the state store and the watcher.
    pub fn new(
        rules: Rules,
        state_file: &Path,
        sink: &'a dyn RecordSink,
        extra_counters: Arc<ExtraCounters<'a>>,
    ) -> Result<Agent<'a>, AgentError> {
        let state = StateStore::open(state_file)?;
        let watcher = Watcher::new(rules.config.settle)?;
        let pulse = Arc::new(Pulse::new(stall_after(&rules), rules.config.heartbeat));
        Ok(Agent {
            rules,
            sink,
            state,
            watcher,
            active_roots: BTreeMap::new(),
            missing_roots: BTreeSet::new(),
            mounted: crate::locate::removable_mount_points().into_iter().collect(),
            counters: Arc::new(Counters::default()),
            watcher_ok: true,
            rate: ReadRate::new(0),
            on_battery: false,
            extra_counters,
            pulse,
            stop: Arc::new(AtomicBool::new(false)),
            moved_away: Mutex::new(HashMap::new()),
            keys: keys::KeyPlaces::default(),
        })
    }

    /// Runs until `control.stop`: baseline, then events. `ready` is called once the baseline is
    /// done (systemd's notify); `watchdog` is called from the pulse thread several times a
    /// second while the work is making progress (it rate-limits the pings itself).
    pub fn run(
        &mut self,
        control: &Control,
        reload: &mut dyn FnMut() -> Result<Rules, String>,
        ready: &mut dyn FnMut(),
        watchdog: &(dyn Fn() + Sync),
    ) {
        self.stop = control.stop.clone();
        self.publish();
        self.emit_with_counters(AgentEvent::Started, "watching".to_string());
        let (pulse, counters, extra, sink) =
            (self.pulse.clone(), self.counters.clone(), self.extra_counters.clone(), self.sink);
        pulse.beat();
        std::thread::scope(|scope| {
            scope.spawn(|| {
                let heartbeat = || sink.record(&counters.record(AgentEvent::Heartbeat, "alive".to_string(), &*extra));
                pulse.keep(watchdog, &heartbeat);
            });
            self.work(control, reload, ready);
            pulse.stop();
        });
        self.publish();
        self.emit_with_counters(AgentEvent::Stopped, "stopped on request".to_string());
    }

    /// The main loop: the baseline, then batches of events, reloads, roots that come and go,
    /// periodic walks.
    fn work(&mut self, control: &Control, reload: &mut dyn FnMut() -> Result<Rules, String>, ready: &mut dyn FnMut()) {
        // At the start the baseline walk teaches the new store every file.
        self.say_set_aside(&self.state.take_set_aside());
        self.check_power();
        self.update_roots();
        crate::platform::return_free_memory();
        self.publish();
        self.health("ok", format!("baseline done: {} files known", self.counters.files_known.load(Ordering::Relaxed)));
        ready();
        let mut turn = Turn::new();
        // Set by work that allocates (a batch, a walk, a reload); memory is handed back at the
        // first quiet turn after it.
        let mut worked = false;
        loop {
            match self.next_event(control, &mut turn) {
                Event::Stop => break,
                Event::StoreSetAside(set_aside) => {
                    self.say_set_aside(&set_aside);
                    self.reconcile_all();
                    worked = true;
                }
                Event::Reload => {
                    self.reload(reload(), "on SIGHUP");
                    worked = true;
                }
                Event::Paused => {}
                Event::Batch(batch) => {
                    self.handle(batch);
                    worked = true;
                }
                Event::Quiet => {
                    if std::mem::take(&mut worked) {
                        crate::platform::return_free_memory();
                    }
                }
                Event::MountCheckDue => {
                    self.check_power();
                    let mounted: BTreeSet<PathBuf> = crate::locate::removable_mount_points().into_iter().collect();
                    if mounted != self.mounted {
                        // The scanner's locator learns removable volumes when it is built.
                        self.mounted = mounted;
                        self.reload(reload(), "because a removable volume was mounted or removed");
                    }
                    worked |= self.update_roots();
                    turn.last_mount_check = Instant::now();
                }
                Event::ReconcileDue => {
                    self.reconcile_all();
                    turn.last_reconcile = Instant::now();
                    worked = true;
                }
                Event::TurnEnd => self.publish(),
            }
        }
    }

    /// The next thing the loop handles. A turn offers, in this order: a stop, a state store set
    /// aside, a reload, then waits up to 200 ms for a batch (or sleeps while paused), then the
    /// mount check and the reconciliation when they are due, and ends.
    fn next_event(&mut self, control: &Control, turn: &mut Turn) -> Event {
        loop {
            let step = turn.step;
            turn.step = step.next();
            match step {
                Step::Start => {
                    if control.stop.load(Ordering::SeqCst) {
                        return Event::Stop;
                    }
                    self.pulse.beat();
                }
                Step::SetAside => {
                    let set_aside = self.state.take_set_aside();
                    if !set_aside.is_empty() {
                        return Event::StoreSetAside(set_aside);
                    }
                }
                Step::Reload => {
                    if control.reload.swap(false, Ordering::SeqCst) {
                        return Event::Reload;
                    }
                }
                Step::Wait => {
                    if self.paused() {
                        std::thread::sleep(WAIT);
                        return Event::Paused;
                    }
                    return self.watcher.next(WAIT).map_or(Event::Quiet, Event::Batch);
                }
                Step::Mounts => {
                    if turn.last_mount_check.elapsed() >= MOUNT_CHECK {
                        return Event::MountCheckDue;
                    }
                }
                Step::Reconcile => {
                    if turn.last_reconcile.elapsed() >= self.rules.config.reconcile && !self.paused() {
                        return Event::ReconcileDue;
                    }
                }
                Step::End => return Event::TurnEnd,
            }
        }
    }

    /// Publishes what heartbeats report from outside the atomic counters.
    fn publish(&self) {
        let c = &self.counters;
        c.files_known.store(self.state.files_known().unwrap_or(0), Ordering::Relaxed);
        c.folders_watched.store(self.watcher.watched() as u64, Ordering::Relaxed);
        c.watcher_ok.store(self.watcher_ok, Ordering::Relaxed);
        c.on_battery.store(self.on_battery, Ordering::Relaxed);
    }

    /// Says (a health event each) that the state store was found damaged and replaced by an
    /// empty one.
    fn say_set_aside(&self, set_aside: &[SetAside]) {
        for aside in set_aside {
            self.health("degraded", aside.to_string());
        }
    }

    fn paused(&self) -> bool {
        self.on_battery && self.rules.config.on_battery == OnBattery::Pause
    }

    /// Follows the power source: the read cap for battery or mains, and a health event when it
    /// changes what the agent does.
    fn check_power(&mut self) {
        let policy = self.rules.config.on_battery;
        let battery = policy != OnBattery::Ignore && etiquette::on_battery(Path::new(POWER_SUPPLY));
        let cap = self.rules.config.max_read_rate;
        let rate = match (battery, policy) {
            (true, OnBattery::Slow) if cap == 0 => SLOW_READ_RATE,
            (true, OnBattery::Slow) => cap / 4,
            _ => cap,
        };
        self.rate.set(rate);
        if battery != self.on_battery {
            self.on_battery = battery;
            let message = match (battery, policy) {
                (true, OnBattery::Pause) => "on battery: scanning paused until mains power returns",
                (true, _) => "on battery: scanning slowed",
                (false, _) => "on mains power: scanning at full rate",
            };
            self.health("ok", message.to_string());
        }
    }

    fn reload(&mut self, result: Result<Rules, String>, why: &str) {
        match result {
            Ok(rules) => {
                let changed = rules.version != self.rules.version;
                self.pulse.set_timings(stall_after(&rules), rules.config.heartbeat);
                self.rules = rules;
                let mut record = agent_record(AgentEvent::Health, format!("configuration reloaded {why}"));
                record.status = Some("ok");
                self.sink.record(&Record::Agent(record));
                self.update_roots();
                if changed {
                    self.reconcile_all();
                }
            }
            Err(why) => {
                let mut record =
                    agent_record(AgentEvent::Health, format!("new configuration rejected, the old one stays: {why}"));
                record.status = Some("error");
                self.sink.record(&Record::Agent(record));
            }
        }
    }

    /// Watches the roots that exist now and stops watching those that went (a stick pulled out)
    /// or are no longer the folder they were (a volume mounted again, a folder made anew: watched
    /// and walked again). True when a root came or went.
    fn update_roots(&mut self) -> bool {
        let configured = self.rules.config.roots_or_homes();
        self.say_missing_roots(&configured);
        let wanted: BTreeMap<PathBuf, FolderIdentity> = configured
            .into_iter()
            .chain(self.rules.declared.iter().cloned())
            .chain(self.mounted.iter().cloned())
            .filter_map(|p| crate::platform::folder_identity(&p).map(|id| (p, id)))
            .collect();
        let gone: Vec<PathBuf> =
            self.active_roots.iter().filter(|(p, id)| wanted.get(*p) != Some(*id)).map(|(p, _)| p.clone()).collect();
        for root in &gone {
            self.watcher.unwatch_tree(root);
            self.active_roots.remove(root);
            let message = if wanted.contains_key(root) {
                format!(
                    "{} is not the folder it was (mounted again or made anew); watched and walked again",
                    root.display()
                )
            } else {
                format!("{} is gone (unmounted or removed); not watched", root.display())
            };
            self.health("ok", message);
        }
        let mut changed = !gone.is_empty();
        for (root, id) in wanted {
            // A root inside another root is already covered.
            if self.active_roots.keys().any(|r| root.starts_with(r)) {
                continue;
            }
            // Known first: files are opened below the roots the agent watches.
            self.active_roots.insert(root.clone(), id);
            self.watch_and_reconcile(&root, true);
            changed = true;
        }
        changed
    }

    /// A configured root that is not a folder (misspelt, or not made yet) is a `degraded` health
    /// event and a warning, once; `ok` when it appears. (Declared locations come and go: a USB
    /// stick's mount point is absent most of the time.)
    fn say_missing_roots(&mut self, configured: &[PathBuf]) {
        let missing: BTreeSet<PathBuf> =
            configured.iter().filter(|r| crate::platform::folder_identity(r).is_none()).cloned().collect();
        for root in missing.difference(&self.missing_roots) {
            tracing::warn!(root = %root.display(), "a configured root is not a folder; nothing there is watched");
            self.health(
                "degraded",
                format!("{} is not a folder (misspelt, or not there yet): not watched", root.display()),
            );
        }
        for root in self.missing_roots.difference(&missing) {
            tracing::info!(root = %root.display(), "a configured root is now a folder; watching it");
            self.health("ok", format!("{} is now a folder: watched", root.display()));
        }
        self.missing_roots = missing;
    }

    /// Watches and walks `dir`: a root (reached through a link if it is one), or a folder that
    /// appeared below a root (never through a link).
    fn watch_and_reconcile(&mut self, dir: &Path, is_root: bool) {
        let rules = &self.rules;
        let failures = self.watcher.watch_tree(dir, is_root, &|p| rules.scanner.is_excluded(p) || rules.is_own(p));
        if !failures.is_empty() {
            self.counters.watch_failures.fetch_add(failures.len() as u64, Ordering::Relaxed);
            self.watcher_ok = false;
            let example = failures.first().cloned().unwrap_or_default();
            self.health(
                "degraded",
                format!(
                    "{} folders could not be watched (e.g. {example}); they are checked by periodic walks",
                    failures.len()
                ),
            );
        }
        self.reconcile(dir, is_root);
    }

    fn reconcile_all(&self) {
        let roots: Vec<PathBuf> = self.active_roots.keys().cloned().collect();
        for root in roots {
            self.reconcile(&root, true);
        }
        self.forget_moved();
    }

    /// Walks `dir`: judges every file that is new or changed, forgets what is no longer there.
    /// Files go to `judge` in slices, so memory does not grow with the size of the tree. The
    /// walk follows no link and stays on the root's file system; a folder it cannot read is
    /// reported.
    fn reconcile(&self, dir: &Path, is_root: bool) {
        self.counters.reconciliations.fetch_add(1, Ordering::Relaxed);
        let vanished =
            self.state.paths_under_matching(dir, &|path| std::fs::symlink_metadata(path).is_err()).unwrap_or_default();
        for path in vanished {
            self.forget(&path, "deleted");
        }
        let config = WalkConfig {
            roots: vec![dir.to_path_buf()],
            follow_symlinks: false,
            follow_root_link: is_root,
            exclude: self.rules.scanner.exclusions().clone(),
            one_file_system: true,
        };
        let mut files = crate::walk::walk(&config)
            .filter_map(|item| match item {
                WalkItem::File(candidate) if self.rules.is_own(&candidate.path) => None,
                WalkItem::File(candidate) => Some(candidate.path),
                WalkItem::Error { path, error } => {
                    self.report_error(&path, &error);
                    None
                }
                WalkItem::Skipped { .. } => None,
            })
            .peekable();
        while files.peek().is_some() && !self.stop.load(Ordering::Relaxed) {
            let slice: Vec<PathBuf> = files.by_ref().take(JUDGE_SLICE).collect();
            self.judge(slice);
        }
    }

    fn report_error(&self, path: &Path, error: &crate::error::FileError) {
        self.counters.errors.fetch_add(1, Ordering::Relaxed);
        self.sink.record(&Record::Error(crate::scan::summary::error_record(path, error)));
    }

    fn handle(&mut self, batch: Batch) {
        if batch.rescan || !batch.errors.is_empty() {
            self.watcher_ok = false;
            let why = if batch.errors.is_empty() {
                "the event queue overflowed".to_string()
            } else {
                batch.errors.join("; ")
            };
            self.health("degraded", format!("the watcher lost events ({why}); walking the watched folders"));
            self.reconcile_all();
            self.watcher_ok = true;
            self.health("ok", "caught up after lost events".to_string());
            return;
        }
        for path in &batch.removed {
            self.forget(path, "deleted or moved away");
        }
        for dir in &batch.new_dirs {
            // A link to a folder is never a new folder to enter, whatever the event said.
            let is_folder = std::fs::symlink_metadata(dir).is_ok_and(|m| m.file_type().is_dir());
            if is_folder && !self.rules.scanner.is_excluded(dir) && !self.rules.is_own(dir) {
                self.watch_and_reconcile(dir, false);
            }
        }
        self.judge(batch.changed.into_iter().collect());
        self.forget_moved();
    }

    /// Forgets `path` and everything below it; open violations there are resolved.
    fn forget(&self, path: &Path, how: &str) {
        let known = self.state.under(path).unwrap_or_default();
        let mut changes = Vec::new();
        for (file, state) in known {
            if std::fs::symlink_metadata(&file).is_ok() {
                continue; // still there (a folder removed and made again, a batch out of order)
            }
            if !state.violations.is_empty() {
                self.resolved(&file, state.violations.clone(), format!("{how}: its violations are closed"));
            }
            self.keys.note(&self.rules.scanner, &file, &[Some(&state)]);
            self.remember_moved(state);
            changes.push((file, None));
        }
        self.save(&changes);
        self.recheck_keys();
    }

    /// Keeps the state of a file that left its path, in case it arrives elsewhere in this batch.
    fn remember_moved(&self, state: FileState) {
        let mut moved = self.moved_away.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if state.analysis.is_some() && moved.len() < MAX_MOVED_REMEMBERED {
            moved.insert((state.dev, state.ino), state);
        }
    }

    /// Forgets the files that left in a batch; those that did not arrive anywhere are gone.
    fn forget_moved(&self) {
        self.moved_away.lock().unwrap_or_else(std::sync::PoisonError::into_inner).clear();
    }

    /// Judges files that may have changed, in parallel; reads only those that did, each
    /// through one descriptor opened below its root. After a stop, the rest waits for the next
    /// start.
    fn judge(&self, mut paths: Vec<PathBuf>) {
        paths.retain(|p| !self.rules.is_own(p));
        let roots = self.open_roots(&paths);
        let judging = Judging {
            scanner: &self.rules.scanner,
            version: &self.rules.version,
            state: &self.state,
            counters: &self.counters,
            rate: &self.rate,
            sink: self.sink,
            moved_away: &self.moved_away,
            keys: &self.keys,
            pulse: &self.pulse,
            stop: &self.stop,
        };
        let outcomes: Vec<(PathBuf, Option<FileState>, Vec<String>)> = paths
            .into_par_iter()
            .filter_map(|path| {
                if judging.stop.load(Ordering::Relaxed) {
                    return None;
                }
                let beneath = roots.iter().find(|b| b.contains(&path));
                let outcome = judging.judge_path(path, beneath.map(Arc::as_ref));
                judging.pulse.beat();
                outcome
            })
            .collect();
        let mut changes = Vec::with_capacity(outcomes.len());
        for (path, now, closed) in outcomes {
            if !closed.is_empty() {
                let how = if now.is_some() { "changed" } else { "deleted or moved away" };
                self.resolved(&path, closed, format!("{how}: its violations are closed"));
            }
            changes.push((path, now));
        }
        self.save(&changes);
        self.recheck_keys();
    }

    /// Opens, now, the watched roots `paths` are below (longest first, so a file in a volume
    /// mounted inside a home is opened below the volume).
    fn open_roots(&self, paths: &[PathBuf]) -> Vec<Arc<Beneath>> {
        let mut roots: Vec<&PathBuf> =
            self.active_roots.keys().filter(|r| paths.iter().any(|p| p.starts_with(r))).collect();
        roots.sort_by_key(|r| std::cmp::Reverse(r.as_os_str().len()));
        roots.into_iter().filter_map(|r| Beneath::open(r, true).ok().map(Arc::new)).collect()
    }

    fn save(&self, changes: &[(PathBuf, Option<FileState>)]) {
        if let Err(e) = self.state.apply(changes) {
            self.counters.errors.fetch_add(1, Ordering::Relaxed);
            tracing::error!(error = %e, "cannot record file states; they will be judged again");
        }
    }

    fn resolved(&self, path: &Path, rules: Vec<String>, message: String) {
        self.counters.resolved.fetch_add(1, Ordering::Relaxed);
        let mut record = agent_record(AgentEvent::Resolved, message);
        record.path = Some(crate::report::path_fields(path).0);
        record.rules = rules;
        self.sink.record(&Record::Agent(record));
    }

    fn health(&self, status: &'static str, message: String) {
        self.publish();
        let mut record = agent_record(AgentEvent::Health, message);
        record.status = Some(status);
        record.counters = self.counters.as_map(&*self.extra_counters);
        self.sink.record(&Record::Agent(record));
    }

    fn emit_with_counters(&self, event: AgentEvent, message: String) {
        self.sink.record(&self.counters.record(event, message, &*self.extra_counters));
    }
}

/// The longest silence of the work that still counts as alive: one file's time budget and a
/// parser worker's grace period, with a margin.
fn stall_after(rules: &Rules) -> Duration {
    rules.scanner.longest_file_time() + STALL_MARGIN
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[cfg(unix)] // makes a symbolic link
    fn a_root_ending_in_a_star_is_each_folder_in_its_parent_but_not_links() {
        let dir = tempfile::tempdir().unwrap();
        for home in ["ann", "bob"] {
            std::fs::create_dir(dir.path().join(home)).unwrap();
        }
        std::fs::write(dir.path().join("notes.txt"), "").unwrap();
        std::os::unix::fs::symlink("/etc", dir.path().join("evil")).unwrap();
        let mut roots = expand_root(&dir.path().join("*"));
        roots.sort();
        assert_eq!(roots, [dir.path().join("ann"), dir.path().join("bob")]);
        assert_eq!(expand_root(&dir.path().join("ann")), [dir.path().join("ann")]);
    }

    #[test]
    fn the_agents_own_files_and_their_copies_are_its_own() {
        let own =
            [PathBuf::from("/h/.local/share/dlp-scan/agent.redb"), PathBuf::from("/h/.local/share/dlp-scan/spool")];
        let is_own = |p: &str| own.iter().any(|o| Path::new(p).starts_with(o) || is_sibling_copy(Path::new(p), o));
        assert!(is_own("/h/.local/share/dlp-scan/agent.redb"));
        assert!(is_own("/h/.local/share/dlp-scan/agent.redb.damaged-20261129T211500Z"));
        assert!(is_own("/h/.local/share/dlp-scan/spool/siem/00000000000000000001.seg"));
        assert!(!is_own("/h/.local/share/dlp-scan/agent.redbx"));
        assert!(!is_own("/h/Documents/agent.redb.txt"));
    }
}
