#!/usr/bin/env python3
"""A real-world corpus through dlp-scan: what was not read, by kind (not run by CI).

Scans a folder of public test documents (for example Apache POI's test-data/, brought from its
public repository and kept out of git) with one or more dlp-scan binaries and prints, per file
extension: files, files with a record, partial files by reason, errors by kind; then the peak RSS
of the scanner and its parser workers (the largest process, RUSAGE_CHILDREN) and files/s.
With --list it names the files that are partial or errors, with their reasons.

  tests/bench/sweep.py /tmp/poi-all/test-data --bin before=/tmp/dlp-scan-before --bin after=target/release/dlp-scan

Silently short files (read, not partial, yet missing text) need an independent extractor:
`legacy_office.py` (.doc/.ppt/.msg) and `pdf_recall.py` (PDF) measure those.
"""
import argparse
import collections
import json
import os
import resource
import subprocess
import sys
import time


def scan(binary, corpus):
    """Runs one binary in a child process of its own, so its peak RSS is measured alone."""
    code = (
        "import resource, subprocess, sys, time\n"
        "t = time.monotonic()\n"
        "p = subprocess.run(sys.argv[1:], stdout=subprocess.PIPE)\n"
        "sys.stderr.write('%f %d\\n' % (time.monotonic() - t, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss))\n"
        "sys.stdout.buffer.write(p.stdout)\n"
    )
    run = subprocess.run([sys.executable, "-c", code, binary, "--format", "json", corpus], capture_output=True)
    seconds, rss_kib = run.stderr.decode().split()[-2:]
    records = [json.loads(line) for line in run.stdout.decode("utf-8", "replace").splitlines()]
    return records, float(seconds), int(rss_kib)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("corpus")
    ap.add_argument("--bin", action="append", required=True, help="LABEL=PATH of a dlp-scan binary")
    ap.add_argument("--list", action="store_true", help="name every partial or failed file")
    args = ap.parse_args()
    files = [os.path.realpath(os.path.join(d, f)) for d, _, fs in os.walk(args.corpus) for f in fs]
    by_ext = collections.Counter(os.path.splitext(f)[1].lower() or "(none)" for f in files)
    for label, binary in (b.split("=", 1) for b in args.bin):
        records, seconds, rss_kib = scan(binary, args.corpus)
        rows = collections.defaultdict(lambda: {"records": 0, "partial": collections.Counter(), "errors": collections.Counter()})
        listed = []
        for r in records:
            if r["type"] not in ("file", "error"):
                continue
            ext = os.path.splitext(r["path"])[1].lower() or "(none)"
            row = rows[ext]
            row["records"] += 1
            if r["type"] == "error":
                row["errors"][r["kind"]] += 1
                listed.append((r["path"], "error " + r["kind"]))
            elif r.get("partial"):
                row["partial"].update(r["partial_reasons"])
                listed.append((r["path"], "partial " + ",".join(r["partial_reasons"])))
        print(f"== {label}: {len(files)} files, {seconds:.1f} s ({len(files) / seconds:.1f} files/s), "
              f"peak RSS {rss_kib / 1024:.0f} MB")
        print(f"{'ext':8} {'files':>5} {'records':>7}  partial by reason / errors by kind")
        for ext, n in by_ext.most_common():
            row = rows.get(ext)
            if row is None:
                continue
            partial = " ".join(f"{k}={v}" for k, v in sorted(row["partial"].items()))
            errors = " ".join(f"{k}={v}" for k, v in sorted(row["errors"].items()))
            print(f"{ext:8} {n:5} {row['records']:7}  {partial}{' | errors ' + errors if errors else ''}")
        summary = records[-1]
        print(f"summary: partial {summary['partial']} {summary['partial_reasons']}, errors {summary['errors']} "
              f"{summary['error_kinds']}")
        if args.list:
            for path, what in sorted(listed):
                print(f"  {what:40} {os.path.relpath(path, args.corpus)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
