//! Delivery to real receivers: the `dlp-scan` binary sending to a real rsyslog (UDP, TCP, TLS),
//! with the receiver stopped and restarted and the sender killed with `kill -9`; and to a local
//! HTTPS server that checks Splunk HEC and Elasticsearch bulk requests the way those APIs do.
//! `.ci/test` installs rsyslog (with its GnuTLS driver) and openssl; these tests fail, and say
//! so, on a machine without them.
//!
//! Unix only: rsyslog, `kill -9` and file modes.
#![cfg(unix)]

use std::collections::{BTreeSet, HashMap};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::util::{free_port, json_lines, write_file, Tree};

/// Values planted in the scanned files; none may reach any receiver.
const PLANTED: [&str; 4] = ["AB 12 34 56 C", "AB123456C", "JG103942A", "ann.smith@lboro.ac.uk"];

fn run(cmd: &mut Command) -> Output {
    let out = cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    assert!(out.status.success(), "{cmd:?}: {}", String::from_utf8_lossy(&out.stderr));
    out
}

/// A throw-away certificate authority with a server certificate for localhost / 127.0.0.1 and a
/// client certificate, made by the openssl command.
struct Certificates {
    dir: PathBuf,
}

impl Certificates {
    fn new(dir: &Path) -> Certificates {
        let dir = dir.join("tls");
        std::fs::create_dir_all(&dir).unwrap();
        let ossl = |args: &[&str]| run(Command::new("openssl").args(args).current_dir(&dir));
        let ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
        ossl(
            &[
                &["req", "-x509"][..],
                &ec,
                &["-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/CN=dlp-scan test CA"],
            ]
            .concat(),
        );
        std::fs::write(dir.join("server.ext"), "subjectAltName=DNS:localhost,IP:127.0.0.1\n").unwrap();
        // X.509 v3 (extensions) for both: rustls refuses v1 certificates.
        std::fs::write(dir.join("client.ext"), "extendedKeyUsage=clientAuth\n").unwrap();
        for who in ["server", "client"] {
            ossl(
                &[
                    &["req"][..],
                    &ec,
                    &["-keyout", &format!("{who}.key"), "-out", &format!("{who}.csr"), "-subj", &format!("/CN={who}")],
                ]
                .concat(),
            );
            let mut args = vec![
                "x509",
                "-req",
                "-in",
                "",
                "-CA",
                "ca.pem",
                "-CAkey",
                "ca.key",
                "-CAcreateserial",
                "-out",
                "",
                "-days",
                "2",
            ];
            let csr = format!("{who}.csr");
            let pem = format!("{who}.pem");
            args[3] = &csr;
            args[10] = &pem;
            let ext = format!("{who}.ext");
            args.extend(["-extfile", &ext]);
            ossl(&args);
        }
        Certificates { dir }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }
}

/// A real rsyslogd on loopback ports, writing every message it receives, raw, one per line.
struct Rsyslog {
    dir: PathBuf,
    udp: u16,
    tcp: u16,
    tls: u16,
    /// TLS that requires a client certificate signed by the test CA.
    mutual_tls: u16,
    child: Option<Child>,
}

impl Rsyslog {
    fn new(dir: &Path, certs: &Certificates) -> Rsyslog {
        let dir = dir.join("rsyslog");
        std::fs::create_dir_all(dir.join("work")).unwrap();
        let (udp, tcp, tls, mutual_tls) = (free_port(), free_port(), free_port(), free_port());
        let conf = format!(
            r#"global(maxMessageSize="64k" workDirectory="{work}"
       DefaultNetstreamDriverCAFile="{ca}" DefaultNetstreamDriverCertFile="{cert}" DefaultNetstreamDriverKeyFile="{key}")
module(load="imudp")
module(load="imtcp" MaxSessions="100")
input(type="imudp" address="127.0.0.1" port="{udp}")
input(type="imtcp" address="127.0.0.1" port="{tcp}")
input(type="imtcp" address="127.0.0.1" port="{tls}" streamDriver.name="gtls" streamDriver.mode="1" streamDriver.authMode="anon")
input(type="imtcp" address="127.0.0.1" port="{mutual_tls}" streamDriver.name="gtls" streamDriver.mode="1" streamDriver.authMode="x509/certvalid")
template(name="raw" type="string" string="%rawmsg%\n")
action(type="omfile" file="{out}" template="raw" asyncWriting="off" flushOnTXEnd="on")
"#,
            work = dir.join("work").display(),
            ca = certs.path("ca.pem").display(),
            cert = certs.path("server.pem").display(),
            key = certs.path("server.key").display(),
            out = dir.join("received.log").display(),
        );
        std::fs::write(dir.join("rsyslog.conf"), conf).unwrap();
        Rsyslog { dir, udp, tcp, tls, mutual_tls, child: None }
    }

    fn start(&mut self) {
        let rsyslogd = ["/usr/sbin/rsyslogd", "/sbin/rsyslogd"]
            .into_iter()
            .find(|p| Path::new(p).exists())
            .expect("rsyslogd is not installed: run .ci/test, or apt-get install rsyslog rsyslog-gnutls");
        let child = Command::new(rsyslogd)
            .args(["-n", "-f"])
            .arg(self.dir.join("rsyslog.conf"))
            .arg("-i")
            .arg(self.dir.join("rsyslogd.pid"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", self.tls)).is_err()
            || std::net::TcpStream::connect(("127.0.0.1", self.tcp)).is_err()
        {
            assert!(Instant::now() < deadline, "rsyslogd did not start listening");
            std::thread::sleep(Duration::from_millis(50));
        }
        // imudp binds before imtcp is ready; a short pause covers the rest of start-up.
        std::thread::sleep(Duration::from_millis(200));
    }

    /// Stops rsyslogd the way a service manager does (SIGTERM) and waits for it.
    fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = Command::new("kill").arg("-TERM").arg(child.id().to_string()).status();
            let _ = child.wait();
        }
    }

    /// Complete lines only: rsyslog may be writing the next one.
    fn received(&self) -> Vec<String> {
        let text = std::fs::read_to_string(self.dir.join("received.log")).unwrap_or_default();
        text[..text.rfind('\n').map_or(0, |i| i + 1)].lines().map(str::to_string).collect()
    }

    /// Waits until at least `count` messages have arrived (or 30 s) and returns them.
    fn wait_for(&self, count: usize) -> Vec<String> {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let lines = self.received();
            if lines.len() >= count || Instant::now() > deadline {
                return lines;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Rsyslog {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// A scanned tree, a fingerprint key and a configuration with the given sinks.
struct Setup {
    tree: Tree,
}

impl Setup {
    fn new() -> Setup {
        Setup { tree: Tree::new() }
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.tree.path(rel)
    }

    /// `files` staff lists under `tree`, each with planted values: one event per file.
    fn plant(&self, tree: &str, files: usize) -> PathBuf {
        let root = self.path(tree);
        for i in 0..files {
            write_file(
                root.join(format!("Dropbox/dept-{}/staff \"{i}\" | a=b.csv", i / 500)),
                format!(
                    "Name,NI number,Email\nAnn,{},{}\nBob,{},x{i}@example.org\n",
                    PLANTED[0], PLANTED[3], PLANTED[2]
                ),
            );
        }
        std::fs::write(root.join("Dropbox/.dropbox"), "").unwrap();
        root
    }

    fn config(&self, delivery: &str, sinks: &str) -> PathBuf {
        let spool = self.path("spool");
        self.tree.config(&format!("[delivery]\nspool_dir = \"{}\"\n{delivery}\n{sinks}", spool.display()))
    }

    fn command(&self, config: &Path) -> Command {
        let mut cmd = self.tree.command();
        cmd.arg("--config").arg(config);
        cmd
    }

    /// Runs a scan with `--format json`; returns the event ids printed and stderr.
    fn scan(&self, config: &Path, tree: &Path) -> (Vec<String>, String) {
        let out = self.command(config).args(["--format", "json"]).arg(tree).output().unwrap();
        assert!(matches!(out.status.code(), Some(0 | 1)), "{}", String::from_utf8_lossy(&out.stderr));
        let ids = json_lines(&out.stdout).iter().map(|r| r["event_id"].as_str().unwrap().to_string()).collect();
        (ids, String::from_utf8(out.stderr).unwrap())
    }
}

/// The event id in a received RFC 5424 message's structured data.
fn event_id_of(message: &str) -> String {
    let start = message.find("eventId=\"").expect("structured data with the event id") + 9;
    message[start..start + 36].to_string()
}

fn assert_nothing_planted(what: &str, text: &str) {
    for value in PLANTED {
        assert!(!text.contains(value), "{what} carries a planted value in clear");
    }
}

fn syslog_sink(transport: &str, port: u16, certs: &Certificates, format: &str) -> String {
    let tls = if transport == "tls" {
        format!("server_name = \"localhost\"\nca_file = \"{}\"\n", certs.path("ca.pem").display())
    } else {
        String::new()
    };
    format!("[[sinks]]\nname = \"siem\"\ntype = \"syslog\"\ntransport = \"{transport}\"\naddress = \"127.0.0.1:{port}\"\nformat = \"{format}\"\n{tls}")
}

#[test]
fn events_arrive_intact_over_udp_tcp_and_tls() {
    let setup = Setup::new();
    let certs = Certificates::new(setup.tree.dir());
    let mut rsyslog = Rsyslog::new(setup.tree.dir(), &certs);
    rsyslog.start();
    let tree = setup.plant("home", 5);
    let mut expected = 0;
    for (transport, port) in [("udp", rsyslog.udp), ("tcp", rsyslog.tcp), ("tls", rsyslog.tls)] {
        let config = setup.config("drain_timeout_secs = 20", &syslog_sink(transport, port, &certs, "json"));
        let out = setup.command(&config).args(["--format", "json"]).arg(&tree).output().unwrap();
        let printed: Vec<&str> = std::str::from_utf8(&out.stdout).unwrap().lines().collect();
        assert_eq!(printed.len(), 6, "5 files and a summary: {}", String::from_utf8_lossy(&out.stderr));
        expected += printed.len();
        let received = rsyslog.wait_for(expected);
        let mine: Vec<&String> = received[expected - printed.len()..].iter().collect();
        assert_eq!(mine.len(), printed.len(), "{transport}: every event arrives");
        for (line, message) in printed.iter().zip(&mine) {
            assert!(message.starts_with("<1"), "{transport}: an RFC 5424 priority: {message}");
            let payload = message.split_once('\u{feff}').expect("a BOM before the UTF-8 payload").1;
            assert_eq!(payload, *line, "{transport}: the payload arrives byte for byte");
            assert_eq!(event_id_of(message), serde_json::from_str::<Value>(line).unwrap()["event_id"]);
        }
    }
    assert_nothing_planted("rsyslog", &rsyslog.received().join("\n"));
}

#[test]
fn a_receiver_that_asks_for_a_client_certificate_gets_one() {
    let setup = Setup::new();
    let certs = Certificates::new(setup.tree.dir());
    let mut rsyslog = Rsyslog::new(setup.tree.dir(), &certs);
    rsyslog.start();
    let tree = setup.plant("home", 3);
    let without = syslog_sink("tls", rsyslog.mutual_tls, &certs, "json");
    let (_, stderr) = setup.scan(&setup.config("drain_timeout_secs = 2", &without), &tree);
    assert!(stderr.contains("4 events for sink \"siem\" are spooled"), "refused without a certificate: {stderr}");
    let with = format!(
        "{without}client_cert = \"{}\"\nclient_key = \"{}\"\n",
        certs.path("client.pem").display(),
        certs.path("client.key").display()
    );
    let (printed, stderr) = setup.scan(&setup.config("drain_timeout_secs = 20", &with), &tree);
    assert!(!stderr.contains("spooled"), "{stderr}");
    let received: Vec<String> = rsyslog.wait_for(8).iter().map(|m| event_id_of(m)).collect();
    assert_eq!(received.len(), 8, "the spooled events and the new ones");
    assert!(printed.iter().all(|id| received.contains(id)));
}

#[test]
fn events_spooled_while_rsyslog_is_down_all_arrive_in_order_after_it_restarts() {
    let setup = Setup::new();
    let certs = Certificates::new(setup.tree.dir());
    let mut rsyslog = Rsyslog::new(setup.tree.dir(), &certs);
    let sink = syslog_sink("tcp", rsyslog.tcp, &certs, "cef");
    // Receiver down: the run gives up after a second and leaves everything spooled.
    let config = setup.config("drain_timeout_secs = 1", &sink);
    let (first, stderr) = setup.scan(&config, &setup.plant("first", 40));
    assert!(stderr.contains("41 events for sink \"siem\" are spooled"), "{stderr}");
    let (second, _) = setup.scan(&config, &setup.plant("second", 30));
    rsyslog.start();
    let config = setup.config("drain_timeout_secs = 30", &sink);
    let out = setup.command(&config).arg("--send-spooled").output().unwrap();
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{said}");
    assert_eq!(said.trim(), "dlp-scan: sink \"siem\": 72 spooled events sent", "it says what it sent, nothing else");
    let expected: Vec<String> = first.into_iter().chain(second).collect();
    let received: Vec<String> = rsyslog.wait_for(expected.len()).iter().map(|m| event_id_of(m)).collect();
    assert_eq!(received, expected, "all events, in the order made, once each (none was in flight when it stopped)");
    let mut sorted = received.clone();
    sorted.sort();
    assert_eq!(sorted, received, "UUIDv7 event ids sort in the order the events were made");
    assert!(rsyslog.received().iter().all(|m| m.contains("\u{feff}CEF:0|dlp-scan|")));
}

#[test]
fn rsyslog_restarting_mid_stream_costs_duplicates_at_most() {
    let setup = Setup::new();
    let certs = Certificates::new(setup.tree.dir());
    let mut rsyslog = Rsyslog::new(setup.tree.dir(), &certs);
    rsyslog.start();
    let config = setup.config("drain_timeout_secs = 60", &syslog_sink("tcp", rsyslog.tcp, &certs, "json"));
    let tree = setup.plant("home", 3000);
    let mut scan = setup
        .command(&config)
        .args(["--format", "json", "--threads", "1"])
        .arg(&tree)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    // Stop the receiver while events are flowing, then bring it back.
    let deadline = Instant::now() + Duration::from_secs(30);
    while rsyslog.received().len() < 200 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    rsyslog.stop();
    std::thread::sleep(Duration::from_secs(2));
    rsyslog.start();
    let mut stdout = String::new();
    scan.stdout.take().unwrap().read_to_string(&mut stdout).unwrap();
    assert_eq!(scan.wait().unwrap().code(), Some(1), "a finished scan with violations");
    let printed: Vec<String> = stdout
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap()["event_id"].as_str().unwrap().to_string())
        .collect();
    let received: Vec<String> = rsyslog.wait_for(printed.len()).iter().map(|m| event_id_of(m)).collect();
    let unique: BTreeSet<&String> = received.iter().collect();
    let printed_set: BTreeSet<&String> = printed.iter().collect();
    assert_eq!(unique, printed_set, "every event arrives despite the restart");
    let duplicates = received.len() - unique.len();
    // The window: what was written in the last STREAM_SETTLE before the connection broke.
    assert!(duplicates < printed.len() / 2, "{duplicates} duplicates of {}", printed.len());
}

#[test]
fn kill_9_during_delivery_loses_no_spooled_event() {
    let setup = Setup::new();
    let certs = Certificates::new(setup.tree.dir());
    let mut rsyslog = Rsyslog::new(setup.tree.dir(), &certs);
    rsyslog.start();
    // The syslog sink comes first, so an event in the local file was spooled before it.
    let sinks = format!(
        "{}\n[[sinks]]\nname = \"local\"\ntype = \"file\"\npath = \"{}\"\nformat = \"json\"\nfsync = \"always\"\n",
        syslog_sink("tcp", rsyslog.tcp, &certs, "json"),
        setup.path("events.jsonl").display()
    );
    let config = setup.config("drain_timeout_secs = 30", &sinks);
    let tree = setup.plant("home", 4000);
    let mut scan = setup.command(&config).arg(&tree).stdout(Stdio::null()).spawn().unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    while rsyslog.received().len() < 300 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
    }
    let _ = Command::new("kill").arg("-KILL").arg(scan.id().to_string()).status();
    assert!(!scan.wait().unwrap().success(), "killed mid-run");
    let written: Vec<String> = std::fs::read_to_string(setup.path("events.jsonl"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap()["event_id"].as_str().unwrap().to_string())
        .collect();
    assert!(written.len() >= 300, "events were flowing when it was killed");
    let out = setup.command(&config).arg("--send-spooled").output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let received: BTreeSet<String> = rsyslog.wait_for(written.len()).iter().map(|m| event_id_of(m)).collect();
    let missing: Vec<&String> = written.iter().filter(|id| !received.contains(*id)).collect();
    assert!(missing.is_empty(), "{} of {} spooled events lost", missing.len(), written.len());
}

/// What the local HTTPS server saw and how it answers.
#[derive(Default)]
struct HttpLog {
    requests: Vec<(String, HashMap<String, String>, Vec<u8>)>,
    events: Vec<String>,
}

/// A local HTTPS server that checks requests as Splunk HEC or Elasticsearch `_bulk` would,
/// answering the first `fail_first` requests with 503 and stalling the next `stall` requests
/// past the client's timeout.
struct HttpServer {
    port: u16,
    log: Arc<Mutex<HttpLog>>,
}

impl HttpServer {
    fn start(certs: &Certificates, api: &'static str, fail_first: usize, stall: usize) -> HttpServer {
        use rustls::pki_types::pem::PemObject;
        let chain = rustls::pki_types::CertificateDer::pem_file_iter(certs.path("server.pem"))
            .unwrap()
            .collect::<Result<Vec<_>, _>>()
            .unwrap();
        let key = rustls::pki_types::PrivateKeyDer::from_pem_file(certs.path("server.key")).unwrap();
        let config = Arc::new(
            rustls::ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
                .with_safe_default_protocol_versions()
                .unwrap()
                .with_no_client_auth()
                .with_single_cert(chain, key)
                .unwrap(),
        );
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let log = Arc::new(Mutex::new(HttpLog::default()));
        let counter = Arc::new(AtomicUsize::new(0));
        let server_log = log.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let (config, log, counter) = (config.clone(), server_log.clone(), counter.clone());
                std::thread::spawn(move || {
                    let conn = rustls::ServerConnection::new(config).unwrap();
                    let mut tls = rustls::StreamOwned::new(conn, stream);
                    while let Some((head, headers, body)) = read_request(&mut tls) {
                        let n = counter.fetch_add(1, Ordering::SeqCst);
                        if n >= fail_first && n < fail_first + stall {
                            std::thread::sleep(Duration::from_secs(4));
                            return;
                        }
                        let answer = if n < fail_first {
                            (503, "{\"text\":\"Server is busy\",\"code\":9}".to_string())
                        } else {
                            check_request(api, &head, &headers, &body, &log)
                        };
                        log.lock().unwrap().requests.push((head, headers, body));
                        let reply = format!(
                            "HTTP/1.1 {} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{}",
                            answer.0,
                            answer.1.len(),
                            answer.1
                        );
                        if tls.write_all(reply.as_bytes()).and_then(|()| tls.flush()).is_err() {
                            return;
                        }
                    }
                });
            }
        });
        HttpServer { port, log }
    }
}

type Request = (String, HashMap<String, String>, Vec<u8>);

fn read_request(stream: &mut impl Read) -> Option<Request> {
    let mut reader = BufReader::new(stream);
    let mut head = String::new();
    reader.read_line(&mut head).ok().filter(|&n| n > 0)?;
    let mut headers = HashMap::new();
    loop {
        let mut line = String::new();
        reader.read_line(&mut line).ok()?;
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        let (k, v) = line.split_once(':')?;
        headers.insert(k.trim().to_ascii_lowercase(), v.trim().to_string());
    }
    let length: usize = headers.get("content-length")?.parse().ok()?;
    let mut body = vec![0; length];
    reader.read_exact(&mut body).ok()?;
    Some((head.trim_end().to_string(), headers, body))
}

/// Checks a request against the API's rules; returns the status and body to answer with.
fn check_request(
    api: &str,
    head: &str,
    headers: &HashMap<String, String>,
    body: &[u8],
    log: &Mutex<HttpLog>,
) -> (u16, String) {
    let text = std::str::from_utf8(body).expect("UTF-8 body");
    match api {
        "hec" => {
            assert_eq!(head, "POST /services/collector/event HTTP/1.1");
            if headers.get("authorization").map(String::as_str) != Some("Splunk test-hec-token") {
                return (401, "{\"text\":\"Invalid authorization\",\"code\":3}".into());
            }
            for envelope in text.lines() {
                let e: Value = serde_json::from_str(envelope).expect("each envelope is JSON");
                assert!(e["time"].is_f64() && e["host"].is_string() && e["sourcetype"] == "dlp_scan:event", "{e}");
                assert!(e["event"].is_object(), "{e}");
                log.lock().unwrap().events.push(e["event"]["event_id"].as_str().unwrap().to_string());
            }
            (200, "{\"text\":\"Success\",\"code\":0}".into())
        }
        _ => {
            assert_eq!(head, "POST /logs-dlp_scan.events-default/_bulk HTTP/1.1");
            assert_eq!(headers.get("content-type").map(String::as_str), Some("application/x-ndjson"));
            assert!(text.ends_with('\n'), "a bulk body ends with a newline");
            if headers.get("authorization").map(String::as_str) != Some("ApiKey test-es-key") {
                return (401, "{}".into());
            }
            let lines: Vec<&str> = text.lines().collect();
            assert_eq!(lines.len() % 2, 0, "action and document pairs");
            let mut items = Vec::new();
            for pair in lines.chunks(2) {
                let action: Value = serde_json::from_str(pair[0]).unwrap();
                let doc: Value = serde_json::from_str(pair[1]).unwrap();
                let id = action["create"]["_id"].as_str().expect("create with an _id (data streams take only create)");
                assert_eq!(doc["event"]["id"], id, "the _id is the event id");
                assert!(doc["@timestamp"].is_string(), "data streams need @timestamp");
                let mut log = log.lock().unwrap();
                let status = if log.events.iter().any(|e| e == id) { 409 } else { 201 };
                log.events.push(id.to_string());
                items.push(serde_json::json!({ "create": { "_id": id, "status": status } }));
            }
            let errors = items.iter().any(|i| i["create"]["status"] != 201);
            (200, serde_json::json!({ "took": 1, "errors": errors, "items": items }).to_string())
        }
    }
}

fn http_sink(kind: &str, port: u16, certs: &Certificates, secret: &str) -> String {
    format!(
        "[[sinks]]\nname = \"{kind}\"\ntype = \"{kind}\"\nurl = \"https://localhost:{port}\"\n{secret}\ntimeout_secs = 2\nca_file = \"{}\"\n",
        certs.path("ca.pem").display()
    )
}

#[test]
fn splunk_hec_gets_valid_batches_with_its_token_and_retries_503_and_timeouts() {
    let setup = Setup::new();
    let certs = Certificates::new(setup.tree.dir());
    let server = HttpServer::start(&certs, "hec", 2, 1);
    std::fs::write(setup.path("hec.token"), "test-hec-token\n").unwrap();
    // A token file others could read is refused at start.
    let private = <std::fs::Permissions as std::os::unix::fs::PermissionsExt>::from_mode(0o600);
    std::fs::set_permissions(setup.path("hec.token"), private).unwrap();
    let secret = format!("token_file = \"{}\"", setup.path("hec.token").display());
    let config = setup.config("drain_timeout_secs = 60", &http_sink("splunk_hec", server.port, &certs, &secret));
    let (printed, stderr) = setup.scan(&config, &setup.plant("home", 20));
    assert!(!stderr.contains("spooled"), "{stderr}");
    let log = server.log.lock().unwrap();
    let received: BTreeSet<&String> = log.events.iter().collect();
    assert_eq!(received, printed.iter().collect::<BTreeSet<_>>(), "every event reached HEC");
    assert!(log.requests.len() >= 3, "two 503s, then success after a timed-out attempt");
    let everything: String = log.requests.iter().map(|r| String::from_utf8_lossy(&r.2).into_owned()).collect();
    assert_nothing_planted("HEC", &everything);
    assert!(!stderr.contains("test-hec-token"), "the token never reaches the log");
}

#[test]
fn elasticsearch_bulk_gets_create_actions_with_event_ids_and_duplicates_are_harmless() {
    let setup = Setup::new();
    let certs = Certificates::new(setup.tree.dir());
    // The stalled request is processed by nobody; the retry resends the same batch.
    let server = HttpServer::start(&certs, "bulk", 1, 1);
    let config = setup.config(
        "drain_timeout_secs = 60",
        &http_sink("elasticsearch", server.port, &certs, "api_key_env = \"DLP_TEST_ES_KEY\""),
    );
    let out = setup
        .command(&config)
        .env("DLP_TEST_ES_KEY", "test-es-key")
        .args(["--format", "json"])
        .arg(setup.plant("home", 20))
        .output()
        .unwrap();
    let printed: BTreeSet<String> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap()["event_id"].as_str().unwrap().to_string())
        .collect();
    let log = server.log.lock().unwrap();
    let received: BTreeSet<String> = log.events.iter().cloned().collect();
    assert_eq!(received, printed, "every event indexed");
    let everything: String = log.requests.iter().map(|r| String::from_utf8_lossy(&r.2).into_owned()).collect();
    assert_nothing_planted("bulk", &everything);
}

#[test]
fn a_missing_token_or_bad_certificate_fails_at_start() {
    let setup = Setup::new();
    let certs = Certificates::new(setup.tree.dir());
    let config = setup.config("", &http_sink("splunk_hec", 1, &certs, "token_env = \"DLP_TEST_UNSET_TOKEN\""));
    let out = setup.command(&config).env_remove("DLP_TEST_UNSET_TOKEN").arg(setup.plant("home", 1)).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("DLP_TEST_UNSET_TOKEN is not set"), "{stderr}");
    std::fs::write(setup.path("not-a-cert.pem"), "hello").unwrap();
    let sink = format!(
        "[[sinks]]\ntype = \"syslog\"\ntransport = \"tls\"\naddress = \"127.0.0.1:1\"\nca_file = \"{}\"\n",
        setup.path("not-a-cert.pem").display()
    );
    let out = setup.command(&setup.config("", &sink)).arg(setup.path("home")).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("no PEM certificate"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
