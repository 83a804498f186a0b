#!/usr/bin/env python3
"""dlp-scan benchmark: wall time, throughput and peak memory, side by side with ripgrep.

Runs each command on the same corpus in one session, alternating, and reports medians:
  * dlp-scan --format json CORPUS           (checks its finding counts against manifest.json)
  * rg -c -f patterns CORPUS                 (the detectors' regexes, ASCII mode, 16 patterns)

  * an Office corpus (2,000 docx/xlsx documents, a fifth of them in zips, some nested), for which
    it reports the share of planted values found, file by file.

Usage: tests/bench/run.py [--data DIR] [--runs N]    (generates DIR with gen_corpus.py and
gen_office.py if missing)
Needs: cargo, python3, ripgrep on PATH (cargo install ripgrep).
"""
import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
import tomllib

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


def run_measured(cmd, rss_file):
    """Runs cmd under GNU time, returns (seconds, peak RSS in MB, stdout bytes).

    Peak RSS comes from /usr/bin/time: a child forked from this Python process would report
    Python's own pages as its maximum.
    """
    start = time.perf_counter()
    proc = subprocess.run(["/usr/bin/time", "-f", "%M", "-o", rss_file] + cmd, capture_output=True)
    elapsed = time.perf_counter() - start
    if proc.returncode not in (0, 1):
        sys.exit(f"{cmd[0]} failed with status {proc.returncode}: {proc.stderr[-500:]!r}")
    with open(rss_file) as f:
        peak_kib = int(f.read().split()[-1])
    return elapsed, peak_kib / 1024, proc.stdout


def rg_patterns(path):
    pats = []
    for name in sorted(n for n in os.listdir(os.path.join(ROOT, "detectors")) if n.endswith(".toml")):
        with open(os.path.join(ROOT, "detectors", name), "rb") as f:
            # Named groups are ours; ripgrep rejects the same name in two patterns.
            # ripgrep matches line by line and rejects patterns that can match a newline, so the
            # multi-line private-key pattern is cut to its single-line parts.
            regex = tomllib.load(f)["regex"].replace("(?P<value>", "(")
            regex = regex.replace(r"[^\n]", ".").replace(r"\n", "").replace(r"\s", "[ \t]")
            pats.append("(?-u)" + regex)
    with open(path, "w") as f:
        f.write("\n".join(pats) + "\n")
    return len(pats)


def corpus_size(path):
    files = total = 0
    for dirpath, _, names in os.walk(path):
        for n in names:
            files += 1
            total += os.path.getsize(os.path.join(dirpath, n))
    return files, total


def check_counts(stdout, expected, corpus):
    summary = json.loads(stdout.splitlines()[-1])
    found = summary["findings_by_detector"]
    wrong = {d: (n, found.get(d, 0)) for d, n in expected.items() if found.get(d, 0) != n}
    extra = {d: n for d, n in found.items() if d not in expected}
    if wrong or extra:
        sys.exit(f"{corpus}: finding counts differ from the manifest: wrong={wrong} unexpected={extra}")
    return sum(expected.values())


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default=os.path.join(ROOT, "bench-data"))
    ap.add_argument("--runs", type=int, default=3)
    a = ap.parse_args()
    if not os.path.exists(os.path.join(a.data, "manifest.json")):
        subprocess.run([sys.executable, os.path.join(HERE, "gen_corpus.py"), a.data], check=True)
    if not os.path.exists(os.path.join(a.data, "office-manifest.json")):
        subprocess.run([sys.executable, os.path.join(HERE, "gen_office.py"), a.data], check=True)
    subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=ROOT, check=True)
    with open(os.path.join(a.data, "manifest.json")) as f:
        manifest = json.load(f)
    dlp = os.path.join(ROOT, "target", "release", "dlp-scan")
    key = os.path.join(a.data, "bench.key")
    with open(key, "wb") as f:
        f.write(b"\x07" * 32)
    patterns = os.path.join(a.data, "patterns.txt")
    n_patterns = rg_patterns(patterns)
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, {platform.platform()}")
    rg_version = subprocess.run(["rg", "--version"], capture_output=True, text=True).stdout.splitlines()[0]
    print(f"baseline: {rg_version}, {n_patterns} patterns (ASCII mode)\n")
    print(f"{'corpus':<8} {'tool':<10} {'median s':>9} {'MB/s':>8} {'files/s':>9} {'peak RSS MB':>12} {'vs rg':>7}")
    for corpus in ("text", "small"):
        path = os.path.join(a.data, corpus)
        files, size = corpus_size(path)
        commands = {
            "dlp-scan": [dlp, "--format", "json", "--fingerprint-key", key, path],
            "ripgrep": ["rg", "-c", "--no-ignore", "--hidden", "-f", patterns, path],
        }
        rss_file = os.path.join(a.data, "rss.txt")
        for cmd in commands.values():  # warm the page cache
            run_measured(cmd, rss_file)
        times = {name: [] for name in commands}
        peaks = {name: 0.0 for name in commands}
        for _ in range(a.runs):
            for name, cmd in commands.items():
                secs, rss, out = run_measured(cmd, rss_file)
                times[name].append(secs)
                peaks[name] = max(peaks[name], rss)
                if name == "dlp-scan":
                    planted = check_counts(out, manifest[corpus], corpus)
        rg_median = statistics.median(times["ripgrep"])
        for name in commands:
            m = statistics.median(times[name])
            print(f"{corpus:<8} {name:<10} {m:>9.3f} {size / 1e6 / m:>8.0f} {files / m:>9.0f} {peaks[name]:>12.1f} {m / rg_median:>7.2f}")
        print(f"{corpus:<8} {files} files, {size / 1e6:.0f} MB, {planted} planted values all found, none extra\n")
    office(a, dlp, key)


def office_share_found(stdout, manifest):
    """Share of planted values found, per file and detector (found counts capped at planted)."""
    found = {}
    for line in stdout.splitlines():
        r = json.loads(line)
        if r["type"] == "file":
            found[os.path.abspath(r["path"])] = {f["detector"]: f["count"] for f in r["findings"]}
    planted = hit = 0
    for path, expected in manifest.items():
        got = found.get(os.path.abspath(path), {})
        for detector, n in expected.items():
            planted += n
            hit += min(n, got.get(detector, 0))
    return hit, planted


def office(a, dlp, key):
    with open(os.path.join(a.data, "office-manifest.json")) as f:
        manifest = json.load(f)
    path = os.path.join(a.data, "office")
    files, size = corpus_size(path)
    rss_file = os.path.join(a.data, "rss.txt")
    cmd = [dlp, "--format", "json", "--fingerprint-key", key, path]
    run_measured(cmd, rss_file)
    times, peak = [], 0.0
    for _ in range(a.runs):
        secs, rss, out = run_measured(cmd, rss_file)
        times.append(secs)
        peak = max(peak, rss)
    hit, planted = office_share_found(out, manifest)
    m = statistics.median(times)
    print(f"{'office':<8} {'dlp-scan':<10} {m:>9.3f} {size / 1e6 / m:>8.0f} {files / m:>9.0f} {peak:>12.1f}")
    print(f"{'office':<8} {files} files holding 2000 documents, {size / 1e6:.0f} MB; "
          f"{hit} of {planted} planted values found ({100 * hit / planted:.1f}%), {2000 / m:.0f} documents/s\n")


if __name__ == "__main__":
    main()
