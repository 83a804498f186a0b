#!/usr/bin/env python3
"""PDF word recall: dlp-scan's extracted text against poppler's pdftotext, file by file.

Not run by CI. Bring a corpus of real PDFs (for example mozilla/pdf.js test/pdfs, kept out of
git) and build the measuring example first:

    cargo build --release --example extract_text
    tests/bench/pdf_recall.py DIR [--bin target/release/examples/extract_text]

For every PDF where pdftotext finds at least 50 words ("text-bearing"), recall is the share of
pdftotext's words (letters and digits, lower-cased, counted with multiplicity) that dlp-scan's
text also holds. Prints the overall recall (all matched words over all reference words), the
files under half the reference words and how many of those say `partial` (the rest are
"silently short", the figure that must be 0), and the ten worst files with their word counts
(ours/pdftotext's).
Needs: poppler-utils (pdftotext).
"""
import argparse
import collections
import os
import re
import subprocess
import sys

WORD = re.compile(r"[^\W_]+", re.UNICODE)


def words(text):
    return collections.Counter(w.lower() for w in WORD.findall(text) if len(w) > 1)


def reference(path):
    proc = subprocess.run(["pdftotext", "-q", path, "-"], capture_output=True, timeout=120)
    return words(proc.stdout.decode("utf-8", "replace"))


def ours(binary, path):
    proc = subprocess.run([binary, path], capture_output=True, timeout=300)
    text = proc.stdout.decode("utf-8", "replace")
    partial = re.search(r"^partial: (.*)$", text, re.M)
    return words(text), partial.group(1) if partial else None


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("corpus")
    parser.add_argument("--bin", default="target/release/examples/extract_text")
    args = parser.parse_args()
    pdfs = sorted(os.path.join(args.corpus, n) for n in os.listdir(args.corpus) if n.lower().endswith(".pdf"))
    matched = total = 0
    short = []
    rows = []
    for path in pdfs:
        try:
            ref = reference(path)
            if sum(ref.values()) < 50:
                continue
            got, partial = ours(args.bin, path)
        except subprocess.TimeoutExpired:
            print(f"timeout: {path}", file=sys.stderr)
            continue
        hit = sum((ref & got).values())
        n = sum(ref.values())
        matched += hit
        total += n
        recall = hit / n
        rows.append((recall, os.path.basename(path), partial, sum(got.values()), n))
        if recall < 0.5:
            short.append((os.path.basename(path), recall, partial))
    print(f"text-bearing PDFs: {len(rows)} of {len(pdfs)}")
    print(f"overall word recall: {matched / max(total, 1):.3f} ({matched} of {total} words)")
    silent = [s for s in short if s[2] is None]
    print(f"under half the words: {len(short)}, of which partial: {len(short) - len(silent)}, silently short: {len(silent)}")
    # Words of ours against the reference's: a short file whose text holds as many words as
    # pdftotext's is one where the two disagree on the words (pdftotext's own text can be noise).
    for recall, name, partial, ours_n, ref_n in sorted(rows)[:10]:
        print(f"  {recall:.2f}  {name}  words {ours_n}/{ref_n}  {partial or ''}")


if __name__ == "__main__":
    main()
