#!/usr/bin/env python3
"""Generates the Office benchmark corpus: 2,000 documents made from the LibreOffice-written
fixtures (tests/data/fixtures/letter.docx and staff.xlsx) with fresh planted values, a fifth of them
packed into zips and some of those zips nested in another zip.

Each .docx letter plants a NI number and a passport number; each .xlsx staff list plants many rows
of NHS numbers, NI numbers and e-mail addresses (sheet rows appended to the template's sheet).
With --pdfs N (default 200), N further letters are converted to PDF by LibreOffice
(`soffice --headless --convert-to pdf`, one process for all), so the tree also holds real PDFs.
office-manifest.json holds, per physical file, the distinct values planted per detector.

Usage: gen_office.py OUT_DIR [--files N] [--pdfs N]
Needs: LibreOffice Writer for the PDFs (`apt-get install libreoffice-writer-nogui`).
"""
import argparse
import io
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gen_corpus as values  # noqa: E402  (reuses the checksum-valid generators)

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.join(HERE, "..", "data", "fixtures")
rng = random.Random(4242)
values.rng.seed(4242)


def read_zip(path):
    with zipfile.ZipFile(path) as z:
        return {name: z.read(name) for name in z.namelist()}


def write_zip(parts):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in parts.items():
            z.writestr(name, data)
    return buf.getvalue()


LETTER = read_zip(os.path.join(FIXTURES, "letter.docx"))
STAFF = read_zip(os.path.join(FIXTURES, "staff.xlsx"))


def spaced_nino():
    n = values.nino()
    return f"{n[:2]} {n[2:4]} {n[4:6]} {n[6:8]} {n[8]}"


def letter():
    nino, passport = spaced_nino(), str(rng.randint(100000000, 999999999))
    doc = LETTER["word/document.xml"].decode()
    doc = doc.replace("CE 99 00 11 D", nino).replace("925076473", passport)
    parts = dict(LETTER, **{"word/document.xml": doc.encode()})
    # Bank details are the same in every letter: one distinct value per file.
    return write_zip(parts), {"uk_nino": 1, "uk_passport": 1, "uk_bank_account": 1}


def staff_list():
    rows = rng.randint(20, 80)
    # Shared strings: the header row first, then three values per person.
    strings = ["NHS Number", "NI number", "Email"]
    sheet_rows = ['<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c><c r="C1" t="s"><v>2</v></c></row>']
    for r in range(2, rows + 2):
        base = len(strings)
        strings += [values.nhs_number(), spaced_nino(), values.email()]
        cells = "".join(f'<c r="{col}{r}" t="s"><v>{base + k}</v></c>' for k, col in enumerate("ABC"))
        sheet_rows.append(f'<row r="{r}">{cells}</row>')
    sst = STAFF["xl/sharedStrings.xml"].decode()
    sst = re.sub(r"<si>.*</si>", "".join(f"<si><t>{s}</t></si>" for s in strings), sst, flags=re.S)
    sst = re.sub(r'count="\d+"', f'count="{len(strings)}"', sst)
    sst = re.sub(r'uniqueCount="\d+"', f'uniqueCount="{len(strings)}"', sst)
    sheet = STAFF["xl/worksheets/sheet1.xml"].decode()
    sheet = re.sub(r"<sheetData>.*</sheetData>", "<sheetData>" + "".join(sheet_rows) + "</sheetData>", sheet, flags=re.S)
    sheet = re.sub(r'<dimension ref="[^"]*"/>', "", sheet)
    parts = dict(STAFF, **{"xl/sharedStrings.xml": sst.encode(), "xl/worksheets/sheet1.xml": sheet.encode()})
    return write_zip(parts), {"nhs_number": rows, "uk_nino": rows, "email": rows}


def merge(total, part):
    """Adds one document's distinct values to its container's. Every letter carries the same bank
    details, so they stay one distinct value however many letters a zip holds."""
    for k, v in part.items():
        total[k] = max(total.get(k, 0), v) if k == "uk_bank_account" else total.get(k, 0) + v


def write_pdfs(root, n, manifest):
    """N letters as PDFs written by LibreOffice from the same .docx letters."""
    folder = os.path.join(root, "pdf")
    os.makedirs(folder, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        planted = {}
        for i in range(n):
            data, planted[i] = letter()
            with open(os.path.join(tmp, f"letter{i:05d}.docx"), "wb") as f:
                f.write(data)
        docs = sorted(os.path.join(tmp, name) for name in os.listdir(tmp))
        subprocess.run(["soffice", "--headless", f"-env:UserInstallation=file://{tmp}/profile",
                        "--convert-to", "pdf", "--outdir", folder] + docs,
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for i in range(n):
        path = os.path.join(folder, f"letter{i:05d}.pdf")
        if not os.path.exists(path):
            sys.exit(f"LibreOffice did not write {path}")
        manifest[path] = planted[i]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--files", type=int, default=2000)
    ap.add_argument("--pdfs", type=int, default=200)
    a = ap.parse_args()
    # The manifest names files by absolute path, whatever folder the benchmark runs from.
    a.out = os.path.abspath(a.out)
    if a.pdfs and not shutil.which("soffice"):
        sys.exit("soffice (LibreOffice) is needed for the PDFs; or give --pdfs 0")
    root = os.path.join(a.out, "office")
    os.makedirs(root, exist_ok=True)
    manifest = {}
    i = 0
    while i < a.files:
        folder = os.path.join(root, f"dept{i % 40:02d}")
        os.makedirs(folder, exist_ok=True)
        if i % 5 == 4:
            # A zip of four documents; every third such zip is nested inside another zip.
            members, planted = {}, {}
            for j in range(4):
                data, p = letter() if j % 2 == 0 else staff_list()
                members[f"2024/doc{j}.{'docx' if j % 2 == 0 else 'xlsx'}"] = data
                merge(planted, p)
            blob = write_zip(members)
            name = f"export{i:05d}.zip"
            if i % 15 == 14:
                blob = write_zip({f"archive/{name}": blob})
                name = f"nested{i:05d}.zip"
            i += 4
        else:
            blob, planted = letter() if i % 2 == 0 else staff_list()
            name = f"file{i:05d}.{'docx' if i % 2 == 0 else 'xlsx'}"
            i += 1
        with open(os.path.join(folder, name), "wb") as f:
            f.write(blob)
        manifest[os.path.join(folder, name)] = planted
    if a.pdfs:
        write_pdfs(root, a.pdfs, manifest)
    with open(os.path.join(a.out, "office-manifest.json"), "w") as f:
        json.dump(manifest, f)
    print(f"{len(manifest)} files, {a.files + a.pdfs} documents")


if __name__ == "__main__":
    main()
