#!/usr/bin/env python3
"""dlp-scan delivery benchmark: events per second per sink, and spool recovery time.

For each sink it measures, on the same 100,000-file tree (one event per file):
  * the scan with only that sink, against the scan with no sink at all, in one session
    (events/s through the sink, and the cost it adds to a scan);
  * for network sinks, spool recovery: the receiver is down while the scan spools 100,000 events,
    then it is started and `dlp-scan --send-spooled` is timed until the spool is empty, and the
    receiver's count is checked.
Receivers: a real rsyslogd on loopback (UDP, TCP, TLS with a throw-away CA from openssl) and a
local HTTPS server (Python) answering Splunk HEC and Elasticsearch bulk requests. The Python
server, not dlp-scan, bounds the HTTP rows: read them as "at least".

Usage: tests/bench/delivery.py [--data DIR] [--events N]
Needs: cargo, python3, rsyslog + rsyslog-gnutls, openssl (.ci/test installs them).
"""
import argparse
import http.server
import json
import os
import platform
import shutil
import socket
import ssl
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def make_tree(path, n):
    if os.path.exists(os.path.join(path, "done")):
        return
    shutil.rmtree(path, ignore_errors=True)
    for i in range(n):
        d = os.path.join(path, "Dropbox", f"d{i // 1000:03}")
        if i % 1000 == 0:
            os.makedirs(d)
        with open(os.path.join(d, f"staff-{i}.csv"), "w") as f:
            f.write(f"Name,NI number\nAnn {i},AB 12 34 56 C\n")
    open(os.path.join(path, "Dropbox", ".dropbox"), "w").close()
    open(os.path.join(path, "done"), "w").close()


def make_certs(d):
    os.makedirs(d, exist_ok=True)
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    run = lambda args: subprocess.run(["openssl"] + args, cwd=d, check=True, capture_output=True)
    run(["req", "-x509"] + ec + ["-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/CN=bench CA"])
    with open(os.path.join(d, "ext"), "w") as f:
        f.write("subjectAltName=DNS:localhost,IP:127.0.0.1\n")
    run(["req"] + ec + ["-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=localhost"])
    run(["x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
         "-out", "server.pem", "-days", "2", "-extfile", "ext"])


class Rsyslog:
    def __init__(self, d, certs):
        self.dir, self.proc = d, None
        os.makedirs(os.path.join(d, "work"), exist_ok=True)
        self.ports = {"udp": free_port(), "tcp": free_port(), "tls": free_port()}
        self.out = os.path.join(d, "received.log")
        with open(os.path.join(d, "rsyslog.conf"), "w") as f:
            f.write(f'''global(maxMessageSize="64k" workDirectory="{d}/work"
  DefaultNetstreamDriverCAFile="{certs}/ca.pem" DefaultNetstreamDriverCertFile="{certs}/server.pem"
  DefaultNetstreamDriverKeyFile="{certs}/server.key")
module(load="imudp")
module(load="imtcp")
input(type="imudp" address="127.0.0.1" port="{self.ports['udp']}")
input(type="imtcp" address="127.0.0.1" port="{self.ports['tcp']}")
input(type="imtcp" address="127.0.0.1" port="{self.ports['tls']}" streamDriver.name="gtls" streamDriver.mode="1" streamDriver.authMode="anon")
template(name="raw" type="string" string="%rawmsg%\\n")
action(type="omfile" file="{self.out}" template="raw")
''')

    def start(self):
        self.proc = subprocess.Popen(["/usr/sbin/rsyslogd", "-n", "-f", os.path.join(self.dir, "rsyslog.conf"),
                                      "-i", os.path.join(self.dir, "pid")], stderr=subprocess.DEVNULL)
        for _ in range(200):
            try:
                socket.create_connection(("127.0.0.1", self.ports["tls"]), 0.1).close()
                time.sleep(0.2)
                return
            except OSError:
                time.sleep(0.05)
        sys.exit("rsyslogd did not start")

    def stop(self):
        if self.proc:
            self.proc.terminate()
            self.proc.wait()
            self.proc = None

    def count(self):
        try:
            with open(self.out, "rb") as f:
                return f.read().count(b"\n")
        except FileNotFoundError:
            return 0

    def reset(self):
        if os.path.exists(self.out):
            os.remove(self.out)


class HttpReceiver:
    """HEC and bulk endpoints that count events and answer as the real APIs do."""

    def __init__(self, certs):
        self.events, self.up = 0, False
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                lines = body.count(b"\n")
                if self.path.endswith("/_bulk"):
                    receiver.events += lines // 2
                    answer = b'{"took":1,"errors":false,"items":[]}'
                else:
                    receiver.events += lines
                    answer = b'{"text":"Success","code":0}'
                status = 200 if receiver.up else 503
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)
                if status != 200:
                    receiver.events -= lines // 2 if self.path.endswith("/_bulk") else lines

        self.port = free_port()
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(os.path.join(certs, "server.pem"), os.path.join(certs, "server.key"))
        self.server.socket = ctx.wrap_socket(self.server.socket, server_side=True)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


def timed(cmd, env=None):
    start = time.perf_counter()
    p = subprocess.run(cmd, capture_output=True, env=env)
    if p.returncode not in (0, 1):
        sys.exit(f"{cmd} failed ({p.returncode}): {p.stderr[-800:]!r}")
    return time.perf_counter() - start


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default=os.path.join(ROOT, "bench-data", "delivery"))
    ap.add_argument("--events", type=int, default=100_000)
    a = ap.parse_args()
    os.makedirs(a.data, exist_ok=True)
    subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=ROOT, check=True)
    dlp = os.path.join(ROOT, "target", "release", "dlp-scan")
    tree = os.path.join(a.data, f"tree-{a.events}")
    make_tree(tree, a.events)
    certs = os.path.join(a.data, "tls")
    make_certs(certs)
    key = os.path.join(a.data, "bench.key")
    with open(key, "wb") as f:
        f.write(b"\x07" * 32)
    with open(os.path.join(a.data, "es.key"), "w") as f:
        f.write("bench-key\n")
    rsyslog = Rsyslog(os.path.join(a.data, "rsyslog"), certs)
    http_rx = HttpReceiver(certs)
    tls = f'ca_file = "{certs}/ca.pem"\n'
    sinks = {
        "file (ecs)": f'type = "file"\npath = "{a.data}/events.jsonl"\nformat = "ecs"\nmax_size = "4 GiB"\n',
        "syslog udp (cef)": f'type = "syslog"\ntransport = "udp"\naddress = "127.0.0.1:{rsyslog.ports["udp"]}"\n',
        "syslog tcp (cef)": f'type = "syslog"\ntransport = "tcp"\naddress = "127.0.0.1:{rsyslog.ports["tcp"]}"\n',
        "syslog tls (cef)": f'type = "syslog"\ntransport = "tls"\naddress = "127.0.0.1:{rsyslog.ports["tls"]}"\nserver_name = "localhost"\n{tls}',
        "splunk hec (json)": f'type = "splunk_hec"\nurl = "https://localhost:{http_rx.port}"\ntoken_file = "{a.data}/es.key"\n{tls}',
        "elasticsearch (ecs)": f'type = "elasticsearch"\nurl = "https://localhost:{http_rx.port}"\napi_key_file = "{a.data}/es.key"\n{tls}',
    }
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, {platform.platform()}")
    print(f"tree: {a.events} files, one event each (+ a summary)\n")
    print(f"{'sink':<22} {'scan s':>8} {'no-sink s':>10} {'events/s':>10} {'recovery s':>11} {'events/s':>10} {'received':>9}")
    base_config = os.path.join(a.data, "none.toml")
    with open(base_config, "w") as f:
        f.write("")
    timed([dlp, "--config", base_config, "--fingerprint-key", key, tree])  # warm the page cache
    for name, sink in sinks.items():
        spool = os.path.join(a.data, "spool")
        shutil.rmtree(spool, ignore_errors=True)
        network = "file" not in name
        config = os.path.join(a.data, "sink.toml")
        with open(config, "w") as f:
            f.write(f'[delivery]\nspool_dir = "{spool}"\nspool_max_size = "2 GiB"\ndrain_timeout_secs = 600\n'
                    f'[[sinks]]\nname = "bench"\n{sink}')
        # Side by side: the scan with this sink (receiver up), and with none.
        if os.path.exists(f"{a.data}/events.jsonl"):
            os.remove(f"{a.data}/events.jsonl")
        rsyslog.reset()
        rsyslog.start()
        http_rx.up, http_rx.events = True, 0
        base = timed([dlp, "--config", base_config, "--fingerprint-key", key, tree])
        with_sink = timed([dlp, "--config", config, "--fingerprint-key", key, tree])
        rsyslog.stop()
        recovery_cell = rate_cell = received_cell = "-"
        if network:
            # Receiver down: the run spools everything (it gives up waiting at once).
            shutil.rmtree(spool, ignore_errors=True)
            rsyslog.reset()
            http_rx.up, http_rx.events = False, 0
            with open(config, "w") as f:
                f.write(f'[delivery]\nspool_dir = "{spool}"\nspool_max_size = "2 GiB"\ndrain_timeout_secs = 0\n'
                        f'[[sinks]]\nname = "bench"\n{sink}')
            timed([dlp, "--config", config, "--fingerprint-key", key, tree])
            with open(config, "w") as f:
                f.write(f'[delivery]\nspool_dir = "{spool}"\nspool_max_size = "2 GiB"\ndrain_timeout_secs = 600\n'
                        f'[[sinks]]\nname = "bench"\n{sink}')
            rsyslog.start()
            http_rx.up = True
            recovery = timed([dlp, "--config", config, "--send-spooled"])
            time.sleep(1)
            received = rsyslog.count() if "syslog" in name else http_rx.events
            rsyslog.stop()
            recovery_cell, rate_cell = f"{recovery:.2f}", f"{(a.events + 1) / recovery:.0f}"
            received_cell = str(received)
        print(f"{name:<22} {with_sink:>8.2f} {base:>10.2f} {(a.events + 1) / with_sink:>10.0f} {recovery_cell:>11} {rate_cell:>10} {received_cell:>9}")
    http_rx.server.shutdown()


if __name__ == "__main__":
    main()
