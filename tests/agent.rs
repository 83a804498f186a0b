//! End-to-end tests of the real `dlp-agent` on temporary trees: reporting within seconds, moves in
//! and out of an unmanaged cloud folder (judged without reading the file again), a rewrite with
//! the same content, restarts that read nothing unchanged, `kill -9` in a
//! burst of changes, a watcher that loses events (frozen with SIGSTOP through a storm larger than
//! the kernel's queue), a declared USB-like volume that appears and goes, SIGHUP with a broken
//! configuration, a password note beside an encrypted archive in Dropbox, and a syslog receiver
//! that stays down behind a small spool.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

const STAFF: &str = "Name,NI number,Email\nAnn,AB 12 34 56 C,ann@x.ac.uk\nBob,JG103942A,bob@y.org\n";

/// A home folder with a Dropbox, the agent's configuration, state and event file.
struct Home {
    dir: tempfile::TempDir,
}

impl Home {
    fn new(extra_config: &str) -> Home {
        let home = Home { dir: tempfile::tempdir().unwrap() };
        std::fs::create_dir_all(home.path("home/Dropbox")).unwrap();
        std::fs::create_dir_all(home.path("home/Documents")).unwrap();
        std::fs::write(home.path("home/Dropbox/.dropbox"), "").unwrap();
        std::fs::write(home.path("key"), [7u8; 32]).unwrap();
        home.write_config(extra_config);
        home
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    fn write_config(&self, extra: &str) {
        let config = format!(
            "[fingerprint]\nkey_file = \"{key}\"\n[agent]\nroots = [\"{home}\"]\nstate_file = \"{state}\"\n\
             heartbeat_secs = 1\nsettle_ms = 200\n[[sinks]]\ntype = \"file\"\npath = \"{events}\"\nformat = \"json\"\n\
             fsync = \"always\"\n{extra}",
            key = self.path("key").display(),
            home = self.path("home").display(),
            state = self.path("state.redb").display(),
            events = self.path("events.jsonl").display(),
        );
        std::fs::write(self.path("config.toml"), config).unwrap();
    }

    fn start(&self) -> Agent {
        let child = Command::new(env!("CARGO_BIN_EXE_dlp-agent"))
            .arg("--config")
            .arg(self.path("config.toml"))
            .stdout(Stdio::null())
            .spawn()
            .unwrap();
        let agent = Agent { child, events: self.path("events.jsonl") };
        agent.wait_for(|e| e["event"] == "started", "started");
        // The baseline is done when the first heartbeat comes.
        let already = agent.events().iter().filter(|e| e["event"] == "heartbeat").count();
        agent
            .wait_for(|_| agent.events().iter().filter(|e| e["event"] == "heartbeat").count() > already, "a heartbeat");
        agent
    }

    fn write(&self, rel: &str, text: &str) -> PathBuf {
        let path = self.path(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, text).unwrap();
        path
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
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let complete = &text[..text.rfind('\n').map_or(0, |i| i + 1)];
    complete.lines().map(|l| serde_json::from_str(l).expect("each line is JSON")).collect()
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
    let path = home.write("home/Dropbox/staff.csv", STAFF);
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
    let local = home.write("home/Documents/staff.csv", STAFF);
    home.write("home/Documents/hr/leavers.csv", STAFF);
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
    let other = home.write("home/Dropbox/other.csv", STAFF);
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
    let note = home.write("home/Dropbox/HR/notes.txt", "zip password: Tr0ub4dor&3\n");
    let alone = agent.wait_for(|e| e["type"] == "file" && e["path"] == note.display().to_string(), "the note");
    assert!(!names_rule(&alone, "violations", "key_stored_with_data"), "no encrypted data yet: {alone}");
    let aes = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/fixtures/zip-aes256.zip")).unwrap();
    let zip = home.path("home/Dropbox/HR/staff-2024.zip");
    std::fs::write(&zip, aes).unwrap();
    let paired = |e: &Value, p: &Path| is_violation_at(e, p) && names_rule(e, "violations", "key_stored_with_data");
    agent.wait_for(|e| paired(e, &note), "the note judged again once the archive arrived");
    // A note written after the archive is judged with it at once.
    let second = home.write("home/Dropbox/HR/more-notes.txt", "zip password: Tr0ub4dor&3\n");
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

#[test]
fn a_restart_reports_nothing_new_and_reads_nothing_unchanged() {
    let home = Home::new("");
    for i in 0..20 {
        home.write(&format!("home/Dropbox/staff-{i}.csv"), STAFF);
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
    let path = home.write("home/Dropbox/staff.csv", STAFF);
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
        written.push(home.write(&format!("home/Dropbox/burst/staff-{i}.csv"), STAFF));
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
        written.push(home.write(&format!("home/Dropbox/storm-{i}.csv"), STAFF));
    }
    agent.signal("CONT");
    let health = agent.wait_for(|e| e["event"] == "health" && e["status"] == "degraded", "health (degraded)");
    assert!(health["message"].as_str().unwrap().contains("lost events"), "{health}");
    agent.wait_for(|e| e["event"] == "health" && e["status"] == "ok", "health (caught up)");
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
    let on_stick = home.write("media/KINGSTON/staff.csv", STAFF);
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
    let path = home.write("home/Dropbox/after-reload.csv", STAFF);
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
    let path = home.write("home/Documents/hr/staff.csv", STAFF);
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
    assert!(ok.status.success() && String::from_utf8_lossy(&ok.stdout).contains("valid"));
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

#[test]
fn a_receiver_that_stays_down_never_silences_the_agent() {
    let closed_port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let home = Home::new("");
    home.write_config(&format!(
        "[delivery]\nspool_dir = \"{}\"\nspool_max_size = \"64 KiB\"\ndrain_timeout_secs = 1\n\
         [[sinks]]\nname = \"siem\"\ntype = \"syslog\"\ntransport = \"tcp\"\naddress = \"127.0.0.1:{closed_port}\"\n\
         format = \"json\"\n",
        home.path("spool").display()
    ));
    let agent = home.start();
    let files: Vec<PathBuf> = (0..300)
        .map(|i| {
            home.write(&format!("home/Documents/f{i:03}.txt"), &format!("Staff record {i}\nnat ins AB 12 34 56 C\n"))
        })
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
