#!/usr/bin/env python3
"""Legacy Office and Outlook files against independent extractors (not run by CI).

Scans a folder of real-world .doc/.ppt/.msg files (for example Apache POI's test-data/document,
test-data/slideshow and test-data/hsmf, brought from its public repository and kept out of git)
with one or more dlp-scan binaries, and compares the e-mail addresses each finds with those in the
text of independent extractors:

  .doc  LibreOffice `--convert-to txt`, plus olefile's summary properties
  .ppt  LibreOffice `--convert-to odp` (content, masters and notes), plus olefile's properties
  .msg  extract-msg (subject, sender, recipients, body)

Needs: `apt-get install libreoffice-writer-nogui libreoffice-impress-nogui`,
`pip install olefile extract-msg`.

  tests/bench/legacy_office.py CORPUS --bin before=/tmp/dlp-scan-before --bin after=target/debug/dlp-scan

With `--refs DIR` the reference texts are kept in DIR (one JSON file) and reused by the next run, so
comparing a new binary does not convert the corpus again.

Per format and binary it prints: files, files with a record, partial, errors, and e-mail recall:
the reference addresses whose keyed fingerprint the record lists (records list at most 20
fingerprints per detector; past that the count stands in). No address is printed.
"""
import argparse
import collections
import hashlib
import hmac
import json
import os
import re
import subprocess
import sys
import tempfile
import zipfile

EXTENSIONS = {".doc": "doc", ".dot": "doc", ".ppt": "ppt", ".pps": "ppt", ".pot": "ppt", ".msg": "msg"}
# The email detector's pattern and the validator's exclusions (detectors/email.toml, validate.rs).
EMAIL = re.compile(rb"\b[A-Za-z0-9._%+'-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,63}\b")
RESERVED = (b"example.com", b"example.org", b"example.net", b"example")
RESERVED_TLDS = (b".test", b".invalid", b".example", b".localhost", b".local")
FILE_SUFFIXES = {b"png", b"jpg", b"jpeg", b"gif", b"svg", b"webp", b"js", b"css"}


def addresses(text: bytes) -> set:
    found = set()
    for m in EMAIL.finditer(text):
        address = m.group().lower()
        local, _, domain = address.partition(b"@")
        if not local or len(local) > 64 or domain.rsplit(b".", 1)[-1] in FILE_SUFFIXES:
            continue
        if any(domain == d or domain.endswith(b"." + d) for d in RESERVED) or domain.endswith(RESERVED_TLDS):
            continue
        found.add(address)
    return found


def soffice(files, target, outdir):
    """Converts files in batches of 10, so that one crash costs ten references, not all."""
    for i in range(0, len(files), 10):
        try:
            subprocess.run(["soffice", "--headless", "--convert-to", target, "--outdir", outdir, *files[i:i + 10]],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=300)
        except subprocess.TimeoutExpired:
            pass


def properties(path) -> bytes:
    import olefile
    try:
        with olefile.OleFileIO(path) as ole:
            meta = ole.get_metadata()
    except Exception:
        return b""
    values = [getattr(meta, a, None) for a in ("title", "subject", "author", "keywords", "comments",
                                                 "last_saved_by", "category", "company", "manager")]
    return b"\n".join(v if isinstance(v, bytes) else str(v).encode() for v in values if v)


def references(files, work):
    """Reference text per file, or None where the extractor failed."""
    refs = {}
    by_kind = collections.defaultdict(list)
    for f in files:
        by_kind[EXTENSIONS[os.path.splitext(f)[1].lower()]].append(f)
    soffice(by_kind["doc"], "txt:Text (encoded):UTF8", work)
    soffice(by_kind["ppt"], "odp", work)
    for f in by_kind["doc"] + by_kind["ppt"]:
        stem = os.path.join(work, os.path.splitext(os.path.basename(f))[0])
        text = None
        if os.path.exists(stem + ".txt"):
            text = open(stem + ".txt", "rb").read()
        elif os.path.exists(stem + ".odp"):
            try:
                with zipfile.ZipFile(stem + ".odp") as z:
                    xml = b"".join(z.read(n) for n in ("content.xml", "styles.xml") if n in z.namelist())
                text = re.sub(rb"<[^>]+>", b" ", xml)
            except zipfile.BadZipFile:
                pass
        refs[f] = None if text is None else text + b"\n" + properties(f)
    import extract_msg
    for f in by_kind["msg"]:
        try:
            with extract_msg.openMsg(f) as m:
                parts = [m.subject, m.sender, m.to, m.cc, m.body]
                parts += [f"{r.name} {r.email}" for r in m.recipients]
            refs[f] = "\n".join(str(p) for p in parts if p).encode("utf-8", "replace")
        except Exception:
            refs[f] = None
    return refs


def cached_references(files, work, folder):
    """The reference texts, from `folder` when an earlier run left them there."""
    cache = os.path.join(folder, "references.json") if folder else None
    if cache and os.path.exists(cache):
        stored = json.load(open(cache))
        if sorted(stored) == files:
            return {f: None if t is None else t.encode("latin-1") for f, t in stored.items()}
    refs = references(files, work)
    if cache:
        os.makedirs(folder, exist_ok=True)
        json.dump({f: None if t is None else t.decode("latin-1") for f, t in refs.items()}, open(cache, "w"))
    return refs


def scan(binary, corpus, key):
    out = subprocess.run([binary, "--format", "json", "--fingerprint-key", key, corpus],
                         capture_output=True, timeout=3600).stdout
    records = {}
    for line in out.decode("utf-8", "replace").splitlines():
        r = json.loads(line)
        if r["type"] in ("file", "error"):
            records[os.path.realpath(r["path"])] = r
    return records


def fingerprint(key: bytes, address: bytes) -> str:
    return hmac.new(key, b"email\0" + address, hashlib.sha256).hexdigest()[:32]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("corpus")
    ap.add_argument("--bin", action="append", required=True, help="LABEL=PATH of a dlp-scan binary")
    ap.add_argument("--refs", help="folder keeping the reference texts between runs")
    args = ap.parse_args()
    files = sorted(os.path.realpath(os.path.join(d, f)) for d, _, fs in os.walk(args.corpus) for f in fs
                   if os.path.splitext(f)[1].lower() in EXTENSIONS)
    with tempfile.TemporaryDirectory() as work:
        key_path = os.path.join(work, "key")
        key = os.urandom(32)
        open(key_path, "wb").write(key)
        refs = cached_references(files, work, args.refs)
        print(f"{'binary':8} {'format':6} {'files':>5} {'records':>7} {'partial':>7} {'errors':>6} "
              f"{'ref files':>9} {'ref addr':>8} {'found':>6} {'recall':>6} {'short':>5}")
        for label, binary in (b.split("=", 1) for b in args.bin):
            records = scan(binary, args.corpus, key_path)
            rows = collections.defaultdict(collections.Counter)
            for f in files:
                kind = EXTENSIONS[os.path.splitext(f)[1].lower()]
                row = rows[kind]
                row["files"] += 1
                r = records.get(f)
                row["records"] += r is not None
                row["partial"] += bool(r and r.get("partial"))
                row["errors"] += bool(r and r["type"] == "error")
                wanted = addresses(refs[f]) if refs.get(f) is not None else set()
                if not wanted:
                    continue
                finding = next((x for x in (r or {}).get("findings", []) if x["detector"] == "email"), None)
                listed = set(finding["fingerprints"]) if finding else set()
                hit = sum(fingerprint(key, a) in listed for a in wanted)
                if finding and finding["count"] > len(listed):
                    hit += min(finding["count"] - len(listed), len(wanted) - hit)
                row["ref files"] += 1
                row["ref addr"] += len(wanted)
                row["found"] += hit
                # Silently short: under half the reference addresses and no partial flag.
                row["short"] += hit * 2 < len(wanted) and not (r and r.get("partial"))
            for kind, row in sorted(rows.items()):
                recall = row["found"] / row["ref addr"] if row["ref addr"] else float("nan")
                print(f"{label:8} {kind:6} {row['files']:5} {row['records']:7} {row['partial']:7} {row['errors']:6} "
                      f"{row['ref files']:9} {row['ref addr']:8} {row['found']:6} {recall:6.3f} {row['short']:5}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
