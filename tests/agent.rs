//! End-to-end tests of the real `dlp-agent` on temporary trees: reporting within seconds, moves in
//! and out of an unmanaged cloud folder (judged without reading the file again), a rewrite with
//! the same content, restarts that read nothing unchanged, `kill -9` in a
//! burst of changes, a watcher that loses events (frozen with SIGSTOP through a storm larger than
//! the kernel's queue), a declared USB-like volume that appears and goes, SIGHUP with a broken
//! configuration, a password note beside an encrypted archive in Dropbox, a state store damaged
//! while the agent was stopped, and a syslog receiver that stays down behind a small spool. And
//! the agent as an attacker meets it: links planted or swapped in while it runs, a huge sparse
//! file, its configuration file edited without a reload.
//!
//! Unix only: they drive modes, signals, FIFOs and links; `.ci/windows` runs the Windows
//! build end to end under Wine.
#![cfg(unix)]

use crate::swap;
use crate::util::{free_port, json_lines, write_file, Tree};

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

/// Values found nowhere else in the tests: what an attacker wants the agent to read for them.
const SECRET: &str = "Name,NI number,Email\nEve,HR 98 76 54 B,eve.private@z.ac.uk\n";
const STAFF: &str = "Name,NI number,Email\nAnn,AB 12 34 56 C,ann@x.ac.uk\nBob,JG103942A,bob@y.org\n";

/// A home folder with a Dropbox and the agent's configuration; its state and event files beside
/// the home folder, in the tree.
struct Home {
    tree: Tree,
}

/// The tree's paths and writes are the home's.
impl std::ops::Deref for Home {
    type Target = Tree;
    fn deref(&self) -> &Tree {
        &self.tree
    }
}

impl Home {
    fn new(extra_config: &str) -> Home {
        let home = Home { tree: Tree::new() };
        home.write("Dropbox/.dropbox", "");
        std::fs::create_dir_all(home.path("home/Documents")).unwrap();
        home.write_config(extra_config);
        home
    }

    fn write_config(&self, extra: &str) {
        self.config(&format!(
            "[fingerprint]\nkey_file = \"{key}\"\n[agent]\nroots = [\"{home}\"]\nstate_file = \"{state}\"\n\
             heartbeat_secs = 1\nsettle_ms = 200\n[[sinks]]\ntype = \"file\"\npath = \"{events}\"\nformat = \"json\"\n\
             fsync = \"always\"\n{extra}",
            key = self.key().display(),
            home = self.root().display(),
            state = self.path("state.redb").display(),
            events = self.path("events.jsonl").display(),
        ));
    }

    fn start(&self) -> Agent {
        self.start_with_umask("022")
    }

    /// Starts the agent under `umask`.
    fn start_with_umask(&self, umask: &str) -> Agent {
        self.start_with(umask, &[])
    }

    /// Starts the agent under `umask` with extra environment variables.
    fn start_with(&self, umask: &str, env: &[(&str, &std::ffi::OsStr)]) -> Agent {
        self.launch(umask, env, self.path("events.jsonl"))
    }

    /// Starts the agent, whose configuration sends events to `events`, and waits for its baseline.
    fn launch(&self, umask: &str, env: &[(&str, &std::ffi::OsStr)], events: PathBuf) -> Agent {
        let child = self.agent(umask).envs(env.iter().copied()).stdout(Stdio::null()).spawn().unwrap();
        let agent = Agent { child, events };
        // Each start says when its baseline is done (earlier runs' lines stay in the file).
        let already = agent.events().iter().filter(|e| is_baseline_done(e)).count();
        agent.wait_for(|_| agent.events().iter().filter(|e| is_baseline_done(e)).count() > already, "baseline done");
        agent
    }
}

/// A running agent and its event file.
struct Agent {
    child: Child,
    events: PathBuf,
}

/// The events written so far to a JSON Lines file: complete lines only, as a shipper reads it
/// (the agent may be writing the next line at this moment).
fn read_events(path: &Path) -> Vec<Value> {
    let text = std::fs::read(path).unwrap_or_default();
    json_lines(&text[..text.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1)])
}

impl Agent {
    fn events(&self) -> Vec<Value> {
        read_events(&self.events)
    }

    /// Waits up to 60 s (a slow CI machine walking thousands of files) for an event matching
    /// `want`; returns it.
    fn wait_for(&self, want: impl Fn(&Value) -> bool, what: &str) -> Value {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Some(found) = self.events().into_iter().find(|e| want(e)) {
                return found;
            }
            assert!(Instant::now() < deadline, "no {what} event in {:#?}", self.events());
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn signal(&self, signal: &str) {
        let status = Command::new("kill").arg(format!("-{signal}")).arg(self.child.id().to_string()).status().unwrap();
        assert!(status.success());
    }

    /// SIGTERM, and the last event is `stopped`, with its counters.
    fn stop(mut self) -> Value {
        self.signal("TERM");
        assert!(self.child.wait().unwrap().success(), "a clean exit on SIGTERM");
        let last = self.events().pop().unwrap();
        assert_eq!(last["event"], "stopped");
        last
    }
}

impl Drop for Agent {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn is_baseline_done(event: &Value) -> bool {
    event["event"] == "health" && event["message"].as_str().is_some_and(|m| m.starts_with("baseline done"))
}

fn is_violation_at(event: &Value, path: &Path) -> bool {
    event["type"] == "file"
        && event["path"] == path.display().to_string()
        && event["violations"].as_array().is_some_and(|v| !v.is_empty())
}

fn is_resolution_of(event: &Value, path: &Path) -> bool {
    event["event"] == "resolved" && event["path"] == path.display().to_string()
}

#[test]
fn a_file_written_into_dropbox_is_reported_within_two_seconds() {
    let home = Home::new("");
    let agent = home.start();
    let written = Instant::now();
    let path = home.write("Dropbox/staff.csv", STAFF);
    let event = agent.wait_for(|e| is_violation_at(e, &path), "violation");
    let latency = written.elapsed();
    assert!(latency < Duration::from_secs(2), "reported after {latency:?}");
    assert_eq!(event["violations"][0]["rule"], "unencrypted_confidential_in_unmanaged_cloud");
    assert!(!std::fs::read_to_string(&agent.events).unwrap().contains("AB 12 34 56 C"));
    agent.stop();
}

#[test]
fn moving_into_dropbox_raises_the_violation_and_moving_out_resolves_it() {
    let home = Home::new("");
    let other_formats = format!(
        "[[sinks]]\ntype = \"file\"\npath = \"{}\"\nformat = \"ecs\"\n[[sinks]]\ntype = \"file\"\npath = \"{}\"\nformat = \"ocsf\"\n",
        home.path("events-ecs.jsonl").display(),
        home.path("events-ocsf.jsonl").display()
    );
    home.write_config(&other_formats);
    let local = home.write("Documents/staff.csv", STAFF);
    home.write("Documents/hr/leavers.csv", STAFF);
    let agent = home.start();
    let first = agent.wait_for(|e| e["type"] == "file" && e["path"] == local.display().to_string(), "baseline");
    assert!(first["violations"].as_array().unwrap().is_empty(), "confidential data in Documents breaks no rule");
    let in_dropbox = home.path("home/Dropbox/staff.csv");
    std::fs::rename(&local, &in_dropbox).unwrap();
    agent.wait_for(|e| is_violation_at(e, &in_dropbox), "violation after the move in");
    std::fs::rename(&in_dropbox, &local).unwrap();
    let resolved = agent.wait_for(|e| is_resolution_of(e, &in_dropbox), "resolution after the move out");
    assert_eq!(resolved["rules"][0], "unencrypted_confidential_in_unmanaged_cloud");
    // Deleting a violating file resolves it too.
    let other = home.write("Dropbox/other.csv", STAFF);
    agent.wait_for(|e| is_violation_at(e, &other), "second violation");
    std::fs::remove_file(&other).unwrap();
    agent.wait_for(|e| is_resolution_of(e, &other), "resolution after deletion");
    // A whole folder moved in.
    std::fs::rename(home.path("home/Documents/hr"), home.path("home/Dropbox/hr")).unwrap();
    agent.wait_for(|e| is_violation_at(e, &home.path("home/Dropbox/hr/leavers.csv")), "violation in a moved folder");
    let stopped = agent.stop();
    // The moves were judged from what the baseline read, without reading the files again.
    assert_eq!(stopped["counters"]["files_rejudged"], 3, "{stopped}");
    assert_eq!(stopped["counters"]["files_scanned"], 4, "the marker, the two lists once, other.csv: {stopped}");
    // The same resolution in ECS and OCSF: a file event that changes, a finding that closes.
    let ecs = read_events(&home.path("events-ecs.jsonl"));
    let resolved = ecs.iter().find(|e| e["event"]["action"] == "violation-resolved").expect("ECS resolution");
    assert_eq!((&resolved["event"]["kind"], &resolved["event"]["category"][0]), (&"event".into(), &"file".into()));
    assert_eq!(resolved["file"]["path"], in_dropbox.display().to_string());
    let ocsf = read_events(&home.path("events-ocsf.jsonl"));
    let closed = ocsf.iter().find(|e| e["activity_id"] == 3).expect("OCSF Close");
    assert_eq!((closed["class_uid"].as_u64(), closed["type_uid"].as_u64()), (Some(2006), Some(200603)));
    assert_eq!(closed["status_id"], 4, "Resolved");
    assert!(ocsf.iter().any(|e| e["class_uid"] == 0 && e["unmapped"]["dlp_scan"]["agent"]["event"] == "heartbeat"));
}

fn names_rule(event: &Value, field: &str, rule: &str) -> bool {
    event[field].as_array().is_some_and(|v| v.iter().any(|r| r == rule || r["rule"] == rule))
}

#[test]
fn a_password_beside_encrypted_data_is_reported_and_resolved_when_the_data_goes() {
    let home = Home::new("");
    let agent = home.start();
    let note = home.write("Dropbox/HR/notes.txt", "zip password: Tr0ub4dor&3\n");
    let alone = agent.wait_for(|e| e["type"] == "file" && e["path"] == note.display().to_string(), "the note");
    assert!(!names_rule(&alone, "violations", "key_stored_with_data"), "no encrypted data yet: {alone}");
    let aes = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/fixtures/zip-aes256.zip")).unwrap();
    let zip = home.path("home/Dropbox/HR/staff-2024.zip");
    std::fs::write(&zip, aes).unwrap();
    let paired = |e: &Value, p: &Path| is_violation_at(e, p) && names_rule(e, "violations", "key_stored_with_data");
    agent.wait_for(|e| paired(e, &note), "the note judged again once the archive arrived");
    // A note written after the archive is judged with it at once.
    let second = home.write("Dropbox/HR/more-notes.txt", "zip password: Tr0ub4dor&3\n");
    let first_event = agent.wait_for(|e| e["type"] == "file" && e["path"] == second.display().to_string(), "note 2");
    assert!(paired(&first_event, &second), "{first_event}");
    std::fs::remove_file(&zip).unwrap();
    for path in [&note, &second] {
        let resolved = agent.wait_for(
            |e| is_resolution_of(e, path) && names_rule(e, "rules", "key_stored_with_data"),
            "the pairing resolved once the archive went",
        );
        assert_eq!(resolved["rules"].as_array().unwrap().len(), 1, "only that rule closes: {resolved}");
    }
    let stopped = agent.stop();
    assert_eq!(stopped["counters"]["files_scanned"], 4, "the marker and the three files, once each: {stopped}");
    assert_eq!(stopped["counters"]["files_rejudged"], 1, "the first note, from its stored analysis: {stopped}");
}

/// Issue 18: a password note and the encrypted archive it opens arrive together (a folder moved
/// in): the note is reported once, with `key_stored_with_data`, not first without it and again
/// with it when the pairing is judged after the batch.
#[test]
fn a_password_arriving_with_encrypted_data_is_reported_once() {
    let home = Home::new("");
    let agent = home.start();
    let aes = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/fixtures/zip-aes256.zip")).unwrap();
    write_file(home.path("outside/HR/notes.txt"), "zip password: Tr0ub4dor&3\n");
    std::fs::write(home.path("outside/HR/staff-2024.zip"), aes).unwrap();
    std::fs::rename(home.path("outside/HR"), home.path("home/Dropbox/HR")).unwrap();
    let note = home.path("home/Dropbox/HR/notes.txt");
    let is_note = |e: &Value| e["type"] == "file" && e["path"] == note.display().to_string();
    agent.wait_for(|e| is_note(e) && names_rule(e, "violations", "key_stored_with_data"), "the note, paired");
    let stopped = agent.stop();
    let reports: Vec<Value> = read_events(&home.path("events.jsonl")).into_iter().filter(is_note).collect();
    assert_eq!(reports.len(), 1, "one report for one arrival: {reports:#?}");
    assert_eq!(stopped["counters"]["files_reported"], 2, "the note and the archive: {stopped}");
}

#[test]
fn a_restart_reports_nothing_new_and_reads_nothing_unchanged() {
    let home = Home::new("");
    for i in 0..20 {
        home.write(&format!("Dropbox/staff-{i}.csv"), STAFF);
    }
    let agent = home.start();
    let stopped = agent.stop();
    assert_eq!(stopped["counters"]["files_scanned"], 21, "20 lists and the Dropbox marker: {stopped}");
    let before = read_events(&home.path("events.jsonl")).len();
    let agent = home.start();
    let stopped = agent.stop();
    assert_eq!(stopped["counters"]["files_scanned"], 0, "nothing read again: {stopped}");
    let events = read_events(&home.path("events.jsonl"));
    let new: Vec<&Value> = events[before..].iter().filter(|e| e["type"] != "agent").collect();
    assert!(new.is_empty(), "no new file events: {new:#?}");
}

#[test]
fn a_file_rewritten_with_the_same_content_is_not_scanned_or_reported_again() {
    let home = Home::new("");
    let path = home.write("Dropbox/staff.csv", STAFF);
    let agent = home.start();
    let reports = || agent.events().iter().filter(|e| is_violation_at(e, &path)).count();
    assert_eq!(reports(), 1);
    std::fs::write(&path, STAFF).unwrap(); // a sync client or an editor saving without a change
    let heartbeat =
        agent.wait_for(|e| e["event"] == "heartbeat" && e["counters"]["files_rejudged"] == 1, "a heartbeat after it");
    assert_eq!(heartbeat["counters"]["files_scanned"], 2, "the marker and staff.csv, once: {heartbeat}");
    assert_eq!(reports(), 1, "nothing new to say");
    // A real change is read and reported.
    std::fs::write(&path, format!("{STAFF}Cy,AB123456D,cy@z.org\n")).unwrap();
    agent.wait_for(|e| is_violation_at(e, &path) && e["size"].as_u64() > Some(STAFF.len() as u64), "new report");
    let stopped = agent.stop();
    assert_eq!(stopped["counters"]["files_scanned"], 3, "{stopped}");
}

#[test]
fn kill_9_in_a_burst_of_changes_loses_no_change() {
    let home = Home::new("");
    let agent = home.start();
    let mut written = Vec::new();
    for i in 0..300 {
        written.push(home.write(&format!("Dropbox/burst/staff-{i}.csv"), STAFF));
    }
    // Killed while the burst is being worked through.
    agent.wait_for(|e| e["type"] == "file", "the first reports");
    let mut agent = agent;
    agent.signal("KILL");
    let _ = agent.child.wait();
    let agent = home.start();
    let events = agent.events();
    let missing: Vec<&PathBuf> = written.iter().filter(|p| !events.iter().any(|e| is_violation_at(e, p))).collect();
    assert!(missing.is_empty(), "{} of 300 changes never reported", missing.len());
    agent.stop();
}

/// The kernel's inotify queue length (events held for a watcher that does not read them).
fn inotify_queue_length() -> usize {
    std::fs::read_to_string("/proc/sys/fs/inotify/max_queued_events").unwrap().trim().parse().unwrap()
}

#[test]
fn an_event_storm_larger_than_the_queue_is_recovered_by_a_walk() {
    let queue = inotify_queue_length();
    assert!(queue <= 200_000, "max_queued_events is {queue}: too large a storm for a test");
    let home = Home::new("");
    let agent = home.start();
    // Frozen, the agent reads no events while each new file in a watched folder queues at least
    // two (create, write).
    agent.signal("STOP");
    let storm = queue / 2 + 500;
    let mut written = Vec::new();
    for i in 0..storm {
        written.push(home.write(&format!("Dropbox/storm-{i}.csv"), STAFF));
    }
    agent.signal("CONT");
    let health = agent.wait_for(|e| e["event"] == "health" && e["status"] == "degraded", "health (degraded)");
    assert!(health["message"].as_str().unwrap().contains("lost events"), "{health}");
    agent.wait_for(
        |e| e["event"] == "health" && e["message"].as_str().is_some_and(|m| m.starts_with("caught up")),
        "health (caught up)",
    );
    let events = agent.events();
    let reported: std::collections::HashSet<&str> =
        events.iter().filter(|e| e["type"] == "file").filter_map(|e| e["path"].as_str()).collect();
    let missing = written.iter().filter(|p| !reported.contains(p.to_str().unwrap())).count();
    assert_eq!(missing, 0, "every file of the {storm}-file storm is reported");
    agent.stop();
}

#[test]
fn a_declared_usb_volume_is_watched_while_it_is_mounted() {
    let home = Home::new("");
    let usb = home.path("media/KINGSTON");
    home.write_config(&format!(
        "[[locations]]\npath = \"{}\"\nkind = \"removable\"\nprovider = \"usb\"\n",
        usb.display()
    ));
    let agent = home.start();
    std::fs::create_dir_all(&usb).unwrap();
    let on_stick = write_file(home.path("media/KINGSTON/staff.csv"), STAFF);
    let event = agent.wait_for(|e| is_violation_at(e, &on_stick), "violation on the stick");
    assert_eq!(event["location"]["kind"], "removable");
    std::fs::remove_dir_all(&usb).unwrap();
    agent.wait_for(
        |e| {
            e["event"] == "health"
                && e["message"].as_str().is_some_and(|m| m.contains("KINGSTON") && m.contains("gone"))
        },
        "health (volume gone)",
    );
    agent.stop();
}

#[test]
fn sighup_with_a_broken_configuration_keeps_the_old_one() {
    let home = Home::new("");
    let agent = home.start();
    let good = std::fs::read_to_string(home.path("config.toml")).unwrap();
    std::fs::write(home.path("config.toml"), format!("{good}\n[scan]\ncolour = \"blue\"\n")).unwrap();
    agent.signal("HUP");
    let rejected = agent.wait_for(|e| e["event"] == "health" && e["status"] == "error", "health (rejected)");
    assert!(rejected["message"].as_str().unwrap().contains("colour"), "{rejected}");
    let path = home.write("Dropbox/after-reload.csv", STAFF);
    agent.wait_for(|e| is_violation_at(e, &path), "violation under the old configuration");
    agent.stop();
}

/// A user's detector file: staff numbers like `STF-123456`.
const STAFF_NUMBER_DETECTOR: &str = r#"id = "staff_number"
description = "Staff number"
class = "identifier"
regex = '\bSTF-\d{6}\b'
validator = "none"
confidence = "high"

[[example]]
text = "Staff STF-123456"
match = ["STF-123456"]

[[example]]
text = "STF-12345 is too short"
match = []

[[example]]
text = "STF-100001, STF-100002"
match = ["STF-100001", "STF-100002"]

[[example]]
text = "Line manager STF-654321"
match = ["STF-654321"]

[[example]]
text = "XSTF-123456 is a file name"
match = []

[[example]]
text = "No staff number here"
match = []
"#;

#[test]
fn a_new_policy_rejudges_stored_analyses_and_new_detectors_read_again() {
    let home = Home::new("");
    let detectors = home.path("detectors");
    std::fs::create_dir_all(&detectors).unwrap();
    let declared_stick = format!(
        "[detectors]\ncustom_dir = \"{}\"\n[[locations]]\npath = \"{}\"\nkind = \"removable\"\nprovider = \"usb\"\n",
        detectors.display(),
        home.path("home/Documents/hr").display()
    );
    home.write_config(&format!("[detectors]\ncustom_dir = \"{}\"\n", detectors.display()));
    let path = home.write("Documents/hr/staff.csv", STAFF);
    let agent = home.start();
    // Policy only: the HR folder is declared a USB stick. Judged again without reading.
    home.write_config(&declared_stick);
    agent.signal("HUP");
    let event = agent.wait_for(|e| is_violation_at(e, &path), "violation under the new policy");
    assert_eq!(event["location"]["kind"], "removable");
    let heartbeat =
        agent.wait_for(|e| e["event"] == "heartbeat" && e["counters"]["files_rejudged"] == 1, "a heartbeat after it");
    // The Dropbox marker is empty (nothing to keep, so it is looked at again); staff.csv was read once.
    assert_eq!(heartbeat["counters"]["files_scanned"], 3, "{heartbeat}");
    // A new detector file, config.toml unchanged: what reading finds may change, so both are read.
    std::fs::write(detectors.join("staff_number.toml"), STAFF_NUMBER_DETECTOR).unwrap();
    agent.signal("HUP");
    let heartbeat =
        agent.wait_for(|e| e["event"] == "heartbeat" && e["counters"]["files_scanned"] == 5, "files read again");
    assert_eq!(heartbeat["counters"]["files_rejudged"], 1, "{heartbeat}");
    agent.stop();
}

#[test]
fn check_config_says_valid_or_names_the_line() {
    let home = Home::new("");
    let ok = Command::new(env!("CARGO_BIN_EXE_dlp-agent"))
        .arg("--config")
        .arg(home.path("config.toml"))
        .arg("--check-config")
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&ok.stdout);
    assert!(ok.status.success() && said.contains("valid"), "{said}");
    assert!(said.contains(&format!("watching {}", home.path("home").display())), "what is watched: {said}");
    assert!(said.contains(&format!("file {}", home.path("events.jsonl").display())), "where events go: {said}");
    std::fs::write(home.path("bad.toml"), "[agent]\nheartbeat_secs = \"often\"\n").unwrap();
    let bad = Command::new(env!("CARGO_BIN_EXE_dlp-agent"))
        .arg("--config")
        .arg(home.path("bad.toml"))
        .arg("--check-config")
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("bad.toml:2:"), "{}", String::from_utf8_lossy(&bad.stderr));
}

/// Overwrites part of a file in place.
fn overwrite(path: &Path, at: u64, bytes: &[u8]) {
    use std::io::{Seek, Write};
    let mut file = std::fs::OpenOptions::new().write(true).open(path).unwrap();
    file.seek(std::io::SeekFrom::Start(at)).unwrap();
    file.write_all(bytes).unwrap();
}

/// 8 KiB that look random, the same on every run.
fn noise() -> Vec<u8> {
    let mut x: u64 = 0x2545_f491_4f6c_dd1d;
    (0..8192)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

/// A way to damage a stopped agent's state store.
type Damage = fn(&Path);

#[test]
fn a_damaged_state_store_is_set_aside_and_rebuilt_and_the_agent_goes_on() {
    use std::os::unix::fs::PermissionsExt;
    let truncate = |db: &Path| {
        let len = std::fs::metadata(db).unwrap().len();
        std::fs::OpenOptions::new().write(true).open(db).unwrap().set_len(len / 2).unwrap();
    };
    let garbage_header = |db: &Path| overwrite(db, 0, b"GARBAGE");
    let noise_in_the_middle = |db: &Path| overwrite(db, std::fs::metadata(db).unwrap().len() / 2, &noise());
    let damages: [(&str, Damage); 3] =
        [("truncated", truncate), ("header", garbage_header), ("noise", noise_in_the_middle)];
    for (how, damage) in damages {
        let home = Home::new("");
        for i in 0..150 {
            home.write(&format!("Documents/staff-{i}.txt"), format!("Staff {i}\nnat ins AB 12 34 56 C\n"));
        }
        home.start_with_umask("000").stop();
        let db = home.path("state.redb");
        let mode = std::fs::metadata(&db).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "{how}: the store is private whatever the umask");
        damage(&db);
        let agent = home.start();
        let health = agent.wait_for(
            |e| e["event"] == "health" && e["message"].as_str().is_some_and(|m| m.contains("state store was damaged")),
            "health (state store damaged)",
        );
        assert_eq!(health["status"], "degraded", "{how}: {health}");
        let kept = std::fs::read_dir(home.dir())
            .unwrap()
            .filter_map(Result::ok)
            .filter(|e| e.file_name().to_string_lossy().starts_with("state.redb.damaged-"))
            .count();
        assert_eq!(kept, 1, "{how}: the damaged copy is kept beside the store");
        // Rebuilt by the baseline walk, and working: a new file is reported.
        let path = home.write("Dropbox/after-repair.csv", STAFF);
        agent.wait_for(|e| is_violation_at(e, &path), "violation after the repair");
        let stopped = agent.stop();
        assert!(stopped["counters"]["files_known"].as_u64() > Some(150), "{how}: {stopped}");
    }
}

/// Every event line that carries one of `secret`'s fingerprints.
fn leaks(agent: &Agent, secret: &[String]) -> Vec<Value> {
    agent.events().into_iter().filter(|e| secret.iter().any(|s| e.to_string().contains(s.as_str()))).collect()
}

#[test]
fn links_planted_in_a_watched_folder_are_never_followed() {
    let home = Home::new("");
    let outside = home.path("outside");
    std::fs::create_dir_all(outside.join("private")).unwrap();
    std::fs::write(outside.join("private/secret.csv"), SECRET).unwrap();
    let secret = swap::fingerprints_in(&home, &outside);
    // One link there before the start (the baseline walk), two made while it runs (events).
    std::os::unix::fs::symlink(outside.join("private"), home.path("home/Documents/before")).unwrap();
    let agent = home.start();
    std::os::unix::fs::symlink(outside.join("private"), home.path("home/Documents/innocent_folder")).unwrap();
    std::os::unix::fs::symlink(outside.join("private/secret.csv"), home.path("home/Dropbox/note.csv")).unwrap();
    let marker = home.write("Dropbox/marker.csv", STAFF);
    agent.wait_for(|e| is_violation_at(e, &marker), "the file written after the links");
    // A folder moved in that holds a link.
    std::fs::create_dir_all(home.path("moving")).unwrap();
    std::os::unix::fs::symlink(outside.join("private"), home.path("moving/inner")).unwrap();
    std::fs::rename(home.path("moving"), home.path("home/Documents/moved")).unwrap();
    let marker2 = home.write("Dropbox/marker2.csv", STAFF);
    agent.wait_for(|e| is_violation_at(e, &marker2), "the file written after the move");
    assert!(leaks(&agent, &secret).is_empty(), "{:#?}", leaks(&agent, &secret));
    let through_links = agent
        .events()
        .into_iter()
        .filter(|e| e["path"].as_str().is_some_and(|p| p.contains("innocent_folder") || p.contains("before/")))
        .count();
    assert_eq!(through_links, 0, "nothing is reported below a link");
    let last = agent.stop();
    assert_eq!(last["counters"]["folders_watched"], 4, "home, Documents, Dropbox, moved and nothing below a link");
}

#[test]
fn files_and_folders_swapped_for_links_are_never_read_through_them() {
    let home = Home::new("");
    let outside = home.path("outside");
    std::fs::create_dir_all(outside.join("folder")).unwrap();
    std::fs::write(outside.join("secret.csv"), SECRET).unwrap();
    std::fs::write(outside.join("folder/victim.csv"), SECRET).unwrap();
    let secret = swap::fingerprints_in(&home, &outside);
    let mut pairs = Vec::new();
    for i in 0..10 {
        pairs.push((home.write(&format!("Dropbox/victim-{i}.csv"), STAFF), outside.join("secret.csv")));
        home.write(&format!("Dropbox/folder-{i}/victim.csv"), STAFF);
        pairs.push((home.path(&format!("home/Dropbox/folder-{i}")), outside.join("folder")));
    }
    let agent = home.start();
    let swapper = swap::Swapper::start(pairs);
    while swapper.swaps() < 1_000 {
        std::thread::sleep(Duration::from_millis(100));
    }
    drop(swapper);
    let marker = home.write("Dropbox/marker.csv", STAFF);
    agent.wait_for(|e| is_violation_at(e, &marker), "the file written after the swaps");
    assert!(leaks(&agent, &secret).is_empty(), "{:#?}", leaks(&agent, &secret));
    agent.stop();
}

/// The service manager's notification socket, emulated: the watchdog pings and when they came.
fn notify_socket(path: &Path) -> std::sync::mpsc::Receiver<Instant> {
    let socket = std::os::unix::net::UnixDatagram::bind(path).unwrap();
    let (send, pings) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut buf = [0u8; 512];
        while let Ok(n) = socket.recv(&mut buf) {
            if String::from_utf8_lossy(&buf[..n]).contains("WATCHDOG=1") && send.send(Instant::now()).is_err() {
                break;
            }
        }
    });
    pings
}

/// The time of day of an event (`time` is RFC 3339 UTC with milliseconds), in milliseconds.
fn millis_of_day(event: &Value) -> u64 {
    let time = event["time"].as_str().unwrap();
    let clock = &time[11..23]; // HH:MM:SS.mmm
    let field = |range: std::ops::Range<usize>| clock[range].parse::<u64>().unwrap();
    ((field(0..2) * 60 + field(3..5)) * 60 + field(6..8)) * 1000 + field(9..12)
}

#[test]
fn a_huge_sparse_file_is_not_read_and_never_delays_the_watchdog_or_a_heartbeat() {
    let home = Home::new("");
    let pings = notify_socket(&home.path("notify.sock"));
    let agent = home.start_with(
        "022",
        &[("NOTIFY_SOCKET", home.path("notify.sock").as_os_str()), ("WATCHDOG_USEC", "2000000".as_ref())],
    );
    let since = Instant::now();
    let sparse = home.path("home/Dropbox/disk.img.txt");
    // Text at its start (so it is not judged from its header like a disk image), then 64 GiB.
    std::fs::write(&sparse, "nat ins AB 12 34 56 C\n".repeat(500)).unwrap();
    std::fs::OpenOptions::new().write(true).open(&sparse).unwrap().set_len(64 << 30).unwrap();
    let marker = home.write("Dropbox/after.csv", STAFF);
    agent.wait_for(|e| is_violation_at(e, &marker), "the file written after the sparse one");
    let too_large = agent.wait_for(|e| e["type"] == "error" && e["path"] == sparse.display().to_string(), "error");
    assert_eq!(too_large["kind"], "too_large");
    std::thread::sleep(Duration::from_secs(3));
    let times: Vec<Instant> = pings.try_iter().filter(|t| *t >= since).collect();
    assert!(times.len() >= 2, "the watchdog is pinged: {} pings", times.len());
    let longest = times.windows(2).map(|w| w[1] - w[0]).max().unwrap();
    assert!(longest < Duration::from_secs(2), "no watchdog gap reaches its interval: {longest:?}");
    let heartbeats: Vec<u64> = agent.events().iter().filter(|e| e["event"] == "heartbeat").map(millis_of_day).collect();
    let gaps: Vec<u64> = heartbeats.windows(2).map(|w| (w[1] + 86_400_000 - w[0]) % 86_400_000).collect();
    assert!(gaps.iter().all(|&g| g < 2_000), "a heartbeat every second: {gaps:?}");
    agent.stop();
}

#[test]
fn parser_workers_use_the_running_configuration_not_the_file_as_it_is_now() {
    let home = Home::new("");
    let agent = home.start();
    // The file changes (here: becomes invalid) without a reload: the running one still rules.
    std::fs::write(home.path("config.toml"), "[scan]\nmax_file_size = \"not a size\"\n").unwrap();
    let docx = home.path("home/Dropbox/letter.docx");
    std::fs::copy(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/fixtures/letter.docx"), &docx).unwrap();
    let event = agent.wait_for(|e| e["path"] == docx.display().to_string(), "the document");
    assert_eq!(event["type"], "file", "read by a worker: {event}");
    assert!(event["findings"].as_array().unwrap().iter().any(|f| f["detector"] == "uk_nino"), "{event}");
    agent.stop();
}

/// Runs `mount` or `umount` (root only). An unmount is tried again for a while: the agent may
/// hold the volume's folder open for a moment (as any program reading it may).
fn mount_command(args: &[&str]) {
    for _ in 0..50 {
        if Command::new(args[0]).args(&args[1..]).stderr(Stdio::null()).status().unwrap().success() {
            return;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("{args:?} failed");
}

/// Unmounts whatever is still mounted at a test's mount point when the test ends, pass or fail.
struct Unmount<'a>(&'a str);

impl Drop for Unmount<'_> {
    fn drop(&mut self) {
        let _ = Command::new("umount").args(["-l", self.0]).stderr(Stdio::null()).status();
    }
}

#[test]
fn a_volume_unmounted_and_mounted_again_at_the_same_place_is_watched_again() {
    if !rustix::process::geteuid().is_root() {
        use std::io::Write;
        let _ = writeln!(std::io::stderr(), "skipped: only root can mount a volume");
        return;
    }
    let home = Home::new("");
    let stick = home.path("media/STICK");
    std::fs::create_dir_all(&stick).unwrap();
    home.write_config(&format!(
        "[[locations]]\npath = \"{}\"\nkind = \"removable\"\nprovider = \"usb\"\n",
        stick.display()
    ));
    let point = stick.to_str().unwrap();
    mount_command(&["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", point]);
    let _unmount = Unmount(point);
    let agent = home.start();
    let first = write_file(home.path("media/STICK/one.csv"), STAFF);
    agent.wait_for(|e| is_violation_at(e, &first), "violation on the first mount");
    mount_command(&["umount", point]);
    mount_command(&["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", point]);
    agent.wait_for(
        |e| e["event"] == "health" && e["message"].as_str().is_some_and(|m| m.contains("not the folder it was")),
        "health (mounted again)",
    );
    let second = write_file(home.path("media/STICK/two.csv"), STAFF);
    agent.wait_for(|e| is_violation_at(e, &second), "violation on the second mount");
    mount_command(&["umount", point]);
    agent.stop();
}

#[test]
fn a_receiver_that_stays_down_never_silences_the_agent() {
    let closed_port = free_port();
    let home = Home::new("");
    home.write_config(&format!(
        "[delivery]\nspool_dir = \"{}\"\nspool_max_size = \"64 KiB\"\ndrain_timeout_secs = 1\n\
         [[sinks]]\nname = \"siem\"\ntype = \"syslog\"\ntransport = \"tcp\"\naddress = \"127.0.0.1:{closed_port}\"\n\
         format = \"json\"\n",
        home.path("spool").display()
    ));
    let agent = home.start();
    let files: Vec<PathBuf> = (0..300)
        .map(|i| home.write(&format!("Documents/f{i:03}.txt"), format!("Staff record {i}\nnat ins AB 12 34 56 C\n")))
        .collect();
    let reported = |events: &[Value]| {
        files
            .iter()
            .filter(|f| events.iter().any(|e| e["type"] == "file" && e["path"] == f.display().to_string()))
            .count()
    };
    let deadline = Instant::now() + Duration::from_secs(60);
    while reported(&agent.events()) < files.len() {
        assert!(
            Instant::now() < deadline,
            "{} of {} files reached the local sink",
            reported(&agent.events()),
            files.len()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let dropping =
        agent.wait_for(|e| e["event"] == "health" && e["status"] == "degraded", "a health event about dropping");
    assert!(dropping["message"].as_str().unwrap().contains("\"siem\""), "{dropping}");
    // Heartbeats go on, and say what the full sink dropped.
    let beats = agent.events().iter().filter(|e| e["event"] == "heartbeat").count();
    let beat = agent.wait_for(
        |e| e["event"] == "heartbeat" && e["counters"]["sink.siem.dropped"].as_u64().is_some_and(|n| n > 0),
        "a heartbeat counting drops",
    );
    agent.wait_for(
        |_| agent.events().iter().filter(|e| e["event"] == "heartbeat").count() > beats + 2,
        "more heartbeats",
    );
    assert!(beat["counters"]["sink.siem.queued"].as_u64().is_some_and(|n| n > 0), "{beat}");
    // SIGTERM stops it at once: nothing is waiting on the full sink.
    let mut agent = agent;
    agent.signal("TERM");
    let deadline = Instant::now() + Duration::from_secs(15);
    let status = loop {
        if let Some(status) = agent.child.try_wait().unwrap() {
            break status;
        }
        assert!(Instant::now() < deadline, "the agent is still running 15 s after SIGTERM");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success());
    assert_eq!(agent.events().pop().unwrap()["event"], "stopped");
    assert!(!std::fs::read_to_string(&agent.events).unwrap().contains("AB 12 34 56 C"));
}

#[test]
fn a_missing_root_is_said_and_watched_once_it_appears() {
    let home = Home::new("");
    let later = home.path("later");
    let config = std::fs::read_to_string(home.path("config.toml")).unwrap();
    let roots = format!("roots = [\"{}\", \"{}\"]", home.path("home").display(), later.display());
    let config = config.replace(&format!("roots = [\"{}\"]", home.path("home").display()), &roots);
    std::fs::write(home.path("config.toml"), config).unwrap();
    let agent = home.start();
    let mentions = |e: &Value, status: &str| {
        e["event"] == "health" && e["status"] == status && e["message"].as_str().is_some_and(|m| m.contains("later"))
    };
    agent.wait_for(|e| mentions(e, "degraded"), "health (root missing)");
    std::fs::create_dir_all(&later).unwrap();
    agent.wait_for(|e| mentions(e, "ok"), "health (root found)");
    let file = write_file(home.path("later/staff.csv"), STAFF);
    agent.wait_for(|e| e["type"] == "file" && e["path"] == file.display().to_string(), "a file in it");
    agent.stop();
}

#[test]
fn the_agent_never_judges_its_own_state_key_or_event_files() {
    let home = Home::new("");
    // A user's agent keeps everything in its home, the folder it watches.
    let own = home.path("home/.local/share/dlp-scan");
    std::fs::create_dir_all(&own).unwrap();
    std::fs::rename(home.key(), own.join("fingerprint.key")).unwrap();
    let config = format!(
        "[fingerprint]\nkey_file = \"{own}/fingerprint.key\"\n[agent]\nroots = [\"{home}\"]\n\
         state_file = \"{own}/agent.redb\"\nheartbeat_secs = 1\nsettle_ms = 200\n[[sinks]]\ntype = \"file\"\n\
         path = \"{own}/events.jsonl\"\nformat = \"json\"\nfsync = \"always\"\nmax_size = \"4 KiB\"\n",
        own = own.display(),
        home = home.path("home").display(),
    );
    std::fs::write(home.path("config.toml"), config).unwrap();
    let agent = home.launch("022", &[], own.join("events.jsonl"));
    let marker = home.write("Dropbox/marker.csv", STAFF);
    agent.wait_for(|e| is_violation_at(e, &marker), "the marker");
    std::thread::sleep(Duration::from_secs(3));
    let about_own =
        agent.events().into_iter().filter(|e| e["path"].as_str().is_some_and(|p| p.contains("dlp-scan"))).count();
    assert_eq!(about_own, 0, "no event about the agent's own files");
    let last = agent.stop();
    // The marker and Dropbox's own marker file (.dropbox), nothing of the agent's.
    assert_eq!(last["counters"]["files_scanned"], 2, "{last}");
    assert_eq!(last["counters"]["files_known"], 2, "{last}");
}
