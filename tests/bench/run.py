#!/usr/bin/env python3
"""dlp-scan benchmark: every corpus shape side by side with ripgrep, in one run.

For each text shape made by gen_corpus.py (sparse, dense, small, large, utf16, cp1252) it runs, in
turn (dlp, rg, dlp, rg, ...) after one warm-up of each:
  * dlp-scan --format json SHAPE        (its finding counts checked against manifest.json: every
                                         planted value found, no decoy counted)
  * rg -c -f patterns.txt SHAPE          (the detectors' regexes, ASCII mode, one per detector)
and reports the median wall time of each, the median of the run-by-run ratios dlp/rg, and each
tool's peak RSS (GNU time's maximum resident set size, as `/usr/bin/time -v` reports it).
For the Office/PDF tree made by gen_office.py it reports dlp-scan's files per second and the share
of planted values found, file by file.

Usage: tests/bench/run.py [--data DIR] [--full] [--runs N] [--shapes sparse,dense,...,office]
                          [--bin PATH]
  --data   where the corpora are (generated there when missing; default /tmp/dlp-scan-bench)
  --full   the issue's sizes (1 GiB text shapes) instead of the default 256 MiB ones; use a
           --data folder of its own, since the sizes are fixed when a corpus is generated
  --bin    a dlp-scan binary to measure (default: `cargo build --release`, then target/release)
Needs: cargo, python3, GNU time (/usr/bin/time), ripgrep on PATH (`cargo install ripgrep`), and
LibreOffice for the PDFs of the Office tree.
"""
import argparse
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import time
import tomllib

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
TEXT_SHAPES = ("sparse", "dense", "small", "large", "utf16", "cp1252")


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
            regex = re.sub(r"\(\?P<\w+>", "(", tomllib.load(f)["regex"])
            regex = regex.replace(r"[^\n]", ".").replace(r"\s", "[ \t]")
            regex = re.sub(r"(?<!\\)\\n", "", regex)
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


def check_counts(stdout, expected, shape):
    """Exits unless the summary's occurrences per detector are exactly the planted ones."""
    summary = json.loads(stdout.splitlines()[-1])
    found = summary["findings_by_detector"]
    wrong = {d: (n, found.get(d, 0)) for d, n in expected.items() if found.get(d, 0) != n}
    extra = {d: n for d, n in found.items() if d not in expected}
    if wrong or extra or summary["errors"]:
        sys.exit(f"{shape}: finding counts differ from the manifest (planted, found): wrong={wrong} "
                 f"unexpected={extra} errors={summary['errors']}")
    return sum(expected.values())


def alternate(commands, runs, rss_file, check):
    """Runs the commands in turn, `runs` times each after one warm-up; per command the times and
    the largest peak RSS; `check` sees every output of the first command."""
    for cmd in commands:
        run_measured(cmd, rss_file)
    times = [[] for _ in commands]
    peaks = [0.0 for _ in commands]
    for _ in range(runs):
        for i, cmd in enumerate(commands):
            secs, rss, out = run_measured(cmd, rss_file)
            times[i].append(secs)
            peaks[i] = max(peaks[i], rss)
            if i == 0:
                check(out)
    return times, peaks


def generate(a):
    manifest = os.path.join(a.data, "manifest.json")
    have = {}
    if os.path.exists(manifest):
        with open(manifest) as f:
            have = json.load(f)
    missing = [s for s in a.shapes if s in TEXT_SHAPES and s not in have]
    if missing:
        size = ["--full"] if a.full else []
        subprocess.run([sys.executable, os.path.join(HERE, "gen_corpus.py"), a.data, "--shapes", ",".join(missing)]
                       + size, check=True)
    if "office" in a.shapes and not os.path.exists(os.path.join(a.data, "office-manifest.json")):
        subprocess.run([sys.executable, os.path.join(HERE, "gen_office.py"), a.data], check=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default="/tmp/dlp-scan-bench")
    ap.add_argument("--full", action="store_true")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--shapes", default=",".join(TEXT_SHAPES + ("office",)))
    ap.add_argument("--bin")
    a = ap.parse_args()
    a.shapes = a.shapes.split(",")
    os.makedirs(a.data, exist_ok=True)
    generate(a)
    dlp = a.bin
    if not dlp:
        subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=ROOT, check=True)
        dlp = os.path.join(ROOT, "target", "release", "dlp-scan")
    with open(os.path.join(a.data, "manifest.json")) as f:
        manifest = json.load(f)
    key = os.path.join(a.data, "bench.key")
    with open(key, "wb") as f:
        f.write(b"\x07" * 32)
    # The large shape at --full is one 1 GiB file, over the default 512 MiB per-file cap (a file
    # over it is a `too_large` error record, never scanned): the benchmark raises the cap.
    config = os.path.join(a.data, "bench.toml")
    with open(config, "w") as f:
        f.write('[scan]\nmax_file_size = "2 GiB"\n')
    patterns = os.path.join(a.data, "patterns.txt")
    n_patterns = rg_patterns(patterns)
    rss_file = os.path.join(a.data, "rss.txt")
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, {platform.platform()}")
    rg_version = subprocess.run(["rg", "--version"], capture_output=True, text=True).stdout.splitlines()[0]
    print(f"baseline: {rg_version}, {n_patterns} patterns (ASCII mode); {a.runs} runs each, alternating; medians\n")
    print(f"{'shape':<7} {'files':>7} {'MB':>6} {'dlp s':>7} {'rg s':>7} {'dlp/rg':>7} {'dlp MB/s':>9} "
          f"{'dlp RSS MB':>11} {'rg RSS MB':>10}  planted values")
    for shape in (s for s in a.shapes if s in TEXT_SHAPES):
        path = os.path.join(a.data, shape)
        files, size = corpus_size(path)
        commands = [
            [dlp, "--config", config, "--format", "json", "--fingerprint-key", key, path],
            ["rg", "-c", "--no-ignore", "--hidden", "-f", patterns, path],
        ]
        planted = [0]

        def check(out, shape=shape):
            planted[0] = check_counts(out, manifest[shape], shape)

        times, peaks = alternate(commands, a.runs, rss_file, check)
        dlp_s, rg_s = statistics.median(times[0]), statistics.median(times[1])
        ratio = statistics.median(d / r for d, r in zip(times[0], times[1]))
        print(f"{shape:<7} {files:>7} {size / 1e6:>6.0f} {dlp_s:>7.3f} {rg_s:>7.3f} {ratio:>7.2f} "
              f"{size / 1e6 / dlp_s:>9.0f} {peaks[0]:>11.1f} {peaks[1]:>10.1f}  {planted[0]} all found, no decoy",
              flush=True)
    if "office" in a.shapes:
        office(a, dlp, key, config, rss_file)


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


def office(a, dlp, key, config, rss_file):
    with open(os.path.join(a.data, "office-manifest.json")) as f:
        manifest = json.load(f)
    path = os.path.join(a.data, "office")
    files, size = corpus_size(path)
    cmd = [dlp, "--config", config, "--format", "json", "--fingerprint-key", key, path]
    outputs = []
    times, peaks = alternate([cmd], a.runs, rss_file, outputs.append)
    hit, planted = office_share_found(outputs[-1], manifest)
    m = statistics.median(times[0])
    print(f"\noffice  {files} files (docx, xlsx, zips of them, PDFs), {size / 1e6:.0f} MB: {m:.3f} s, "
          f"{files / m:.0f} files/s, peak RSS {peaks[0]:.1f} MB; {hit} of {planted} planted values found "
          f"({100 * hit / planted:.1f}%)")


if __name__ == "__main__":
    main()
