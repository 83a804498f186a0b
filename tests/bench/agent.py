#!/usr/bin/env python3
"""dlp-agent benchmark: baseline throughput at idle priority, idle CPU, memory, event latency.

On a generated home folder of 100,000 files in 1,000 folders (1 % with personal data, in Dropbox):
  * baseline: the agent runs under `nice -n 19 ionice -c 3` (what the systemd unit sets); the time
    from start to systemd's READY=1 (sent once the baseline walk is done) gives files/s;
  * idle: CPU time used over 60 s once ready (share of one core), resident memory then (steady;
    anonymous and file-backed, the latter mostly the program's own code) and its peak (VmHWM);
  * latency: 50 files written one at a time into the watched Dropbox folder; time from the write
    returning to the event line appearing in the event file (default settle time, 1 s);
  * move: a folder of 500 staff lists moved from Documents into Dropbox; time to the last
    violation event and files read for it (judged from the stored analysis, none);
  * restart: a second start reads nothing unchanged (files_scanned in the `started`/`stopped`
    counters), its time to READY and its memory 2 s later.

Usage: tests/bench/agent.py [--data DIR] [--files N] [--idle SECONDS] [--binary PATH]
(--binary: another build to compare, e.g. an earlier commit's target/release/dlp-agent)
"""
import argparse
import json
import os
import platform
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
STAFF = "Name,NI number,Email\nAnn,AB 12 34 56 C,ann@x.ac.uk\nBob,JG103942A,bob@y.org\n"


def make_home(path, n):
    if os.path.exists(os.path.join(path, ".done")):
        return
    shutil.rmtree(path, ignore_errors=True)
    for i in range(n):
        personal = i % 100 == 0
        d = os.path.join(path, "Dropbox" if personal else "Documents", f"d{i // 100:04}")
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, f"f{i}.txt"), "w") as f:
            f.write(STAFF if personal else f"Meeting notes {i}: agenda, actions, next steps.\n")
    open(os.path.join(path, "Dropbox", ".dropbox"), "w").close()
    open(os.path.join(path, ".done"), "w").close()


MOVING_FILES = 500


def make_moving_folder(home):
    """Documents/moving: staff lists (not a violation there) to be moved into Dropbox."""
    moving = os.path.join(home, "Documents", "moving")
    if os.path.isdir(os.path.join(home, "Dropbox", "moving")):  # moved there by an earlier run
        os.rename(os.path.join(home, "Dropbox", "moving"), moving)
    os.makedirs(moving, exist_ok=True)
    for i in range(MOVING_FILES):
        with open(os.path.join(moving, f"staff-{i}.csv"), "w") as f:
            f.write(STAFF)
    return moving


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def memory_mb(pid):
    values = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(("VmRSS", "VmHWM", "RssAnon", "RssFile")):
                key, kb, _ = line.split()
                values[key.rstrip(":")] = int(kb) / 1024
    return values


class Agent:
    def __init__(self, binary, config, data):
        self.sock_path = os.path.join(data, "notify.sock")
        if os.path.exists(self.sock_path):
            os.remove(self.sock_path)
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(self.sock_path)
        env = dict(os.environ, NOTIFY_SOCKET=self.sock_path)
        self.started = time.perf_counter()
        self.proc = subprocess.Popen(["nice", "-n", "19", "ionice", "-c", "3", binary, "--config", config],
                                     env=env, stdout=subprocess.DEVNULL)

    def wait_ready(self, timeout=600):
        self.sock.settimeout(timeout)
        while True:
            msg = self.sock.recv(4096).decode()
            if "READY=1" in msg:
                return time.perf_counter() - self.started

    def pid(self):
        # nice and ionice exec the agent, so the pid is the agent's.
        return self.proc.pid

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait()
        self.sock.close()


def events(path):
    try:
        with open(path) as f:
            return [json.loads(l) for l in f if l.strip()]
    except FileNotFoundError:
        return []


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default=os.path.join(ROOT, "bench-data", "agent"))
    ap.add_argument("--files", type=int, default=100_000)
    ap.add_argument("--idle", type=int, default=60)
    ap.add_argument("--binary")
    a = ap.parse_args()
    os.makedirs(a.data, exist_ok=True)
    binary = a.binary
    if not binary:
        subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=ROOT, check=True)
        binary = os.path.join(ROOT, "target", "release", "dlp-agent")
    home = os.path.join(a.data, f"home-{a.files}")
    make_home(home, a.files)
    moving = make_moving_folder(home)
    # Files written for the latency test must be new: a rewrite with the same content is not
    # reported again.
    shutil.rmtree(os.path.join(home, "Dropbox", "latency"), ignore_errors=True)
    for name in ("state.redb", "events.jsonl"):
        if os.path.exists(os.path.join(a.data, name)):
            os.remove(os.path.join(a.data, name))
    with open(os.path.join(a.data, "key"), "wb") as f:
        f.write(b"\x07" * 32)
    config = os.path.join(a.data, "config.toml")
    events_file = os.path.join(a.data, "events.jsonl")
    with open(config, "w") as f:
        f.write(f'[fingerprint]\nkey_file = "{a.data}/key"\n[agent]\nroots = ["{home}"]\n'
                f'state_file = "{a.data}/state.redb"\n[[sinks]]\ntype = "file"\npath = "{events_file}"\n'
                f'format = "json"\n')
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, {platform.platform()}")
    print(f"home: {a.files} files in {a.files // 100} folders, {a.files // 100} with personal data\n")

    files_at_start = sum(len(files) for _, _, files in os.walk(home))
    agent = Agent(binary, config, a.data)
    baseline = agent.wait_ready()
    print(f"baseline (nice 19, ionice idle): {baseline:.2f} s, {a.files / baseline:.0f} files/s")
    pid = agent.pid()
    time.sleep(2)
    cpu0, t0 = cpu_seconds(pid), time.perf_counter()
    time.sleep(a.idle)
    cpu1, t1 = cpu_seconds(pid), time.perf_counter()
    memory = memory_mb(pid)
    print(f"idle over {a.idle} s: {100 * (cpu1 - cpu0) / (t1 - t0):.3f} % of one core "
          f"({cpu1 - cpu0:.2f} s CPU); RSS steady {memory['VmRSS']:.1f} MB "
          f"(anonymous {memory['RssAnon']:.1f}, file-backed {memory['RssFile']:.1f}), "
          f"peak {memory['VmHWM']:.1f} MB")

    latencies = []
    target = os.path.join(home, "Dropbox", "latency")
    os.makedirs(target, exist_ok=True)
    time.sleep(1.5)
    for i in range(50):
        path = os.path.join(target, f"new-{i}.csv")
        with open(path, "w") as f:
            f.write(STAFF)
        written = time.perf_counter()
        while True:
            if any(e.get("type") == "file" and e.get("path") == path for e in events(events_file)[-20:]):
                latencies.append(time.perf_counter() - written)
                break
            if time.perf_counter() - written > 30:
                sys.exit(f"no event for {path}")
            time.sleep(0.005)
    latencies.sort()
    p95 = latencies[int(0.95 * len(latencies)) - 1]
    print(f"latency write -> event (settle 1 s), 50 files: median {statistics.median(latencies):.3f} s, "
          f"p95 {p95:.3f} s, max {latencies[-1]:.3f} s")
    moved = os.path.join(home, "Dropbox", "moving")
    seen = len(events(events_file))
    start = time.perf_counter()
    os.rename(moving, moved)
    while sum(1 for e in events(events_file)[seen:] if e.get("type") == "file"
              and e.get("path", "").startswith(moved) and e.get("violations")) < MOVING_FILES:
        if time.perf_counter() - start > 120:
            sys.exit("not every moved file was reported")
        time.sleep(0.01)
    took = time.perf_counter() - start
    agent.stop()
    stopped = [e for e in events(events_file) if e.get("event") == "stopped"][-1]
    read_for_move = stopped["counters"]["files_scanned"] - files_at_start - len(latencies)
    print(f"move of a folder of {MOVING_FILES} staff lists into Dropbox: all reported in {took:.2f} s, "
          f"files read for it {read_for_move}")

    before = len(events(events_file))
    agent = Agent(binary, config, a.data)
    ready = agent.wait_ready()
    time.sleep(2)
    memory = memory_mb(agent.pid())
    agent.stop()
    after = events(events_file)[before:]
    stopped = [e for e in after if e.get("event") == "stopped"][-1]
    new_files = sum(1 for e in after if e.get("type") == "file")
    print(f"restart: ready in {ready:.2f} s, files read again {stopped['counters']['files_scanned']}, "
          f"new file events {new_files}; RSS then {memory['VmRSS']:.1f} MB, peak {memory['VmHWM']:.1f} MB")


if __name__ == "__main__":
    main()
