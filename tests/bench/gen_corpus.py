#!/usr/bin/env python3
"""Generates the text benchmark corpora for dlp-scan, deterministically, one folder per shape.

  sparse/  mixed text (prose, CSV exports, logs, source code) in 8 MiB files, one planted value and
           one decoy per 64 KiB on average.
  dense/   the same kinds of text in 512 KiB files (2,000 of them at --full), about 50 planted
           values and 50 decoys per MiB: every file has findings.
  small/   100,000 files of 1-8 KiB in 200 folders; 13 % hold one or two planted values, 10 % a decoy.
  large/   one file of the sparse shape.
  utf16/   sparse-shaped text in UTF-16LE with a byte-order mark, 8 MiB of characters a file.
  cp1252/  sparse-shaped text in Windows-1252 (café, naïve, £, –), 8 MiB a file.

A decoy is a look-alike that must not count: a checksum that fails (NHS number, card), a NI
number with a prefix never issued, a documentation address (example.com) or an Ofcom drama number.
The background text is built so that it contains no identifier by accident; manifest.json lists,
per shape, how many values of each detector were planted, and the benchmark checks that dlp-scan
finds exactly those. Every planted value is synthetic: generated to pass its checksum.

Sizes: by default each big shape is 256 MiB (the encoded shapes 64 MiB of characters) so that a
run takes minutes on two cores; --full gives the 1 GiB shapes (256 MiB for the encoded ones).

Usage: gen_corpus.py OUT_DIR [--full] [--mib N] [--small-files N] [--shapes sparse,dense,...]
"""
import argparse
import json
import os
import random

rng = random.Random(20261122)

WORDS = ("the of and to in a is that for it as was with be by on not he this are or his from at which "
         "but have an they you were her all she there would their we him been has when who will more "
         "if out so said what up its about into than them can only other new some could time these two "
         "may then do first any my now such like our over man me even most made after also did many "
         "before must through back years where much your way well down should because each just those "
         "people how too little state good very make world still own see men work long get here between "
         "both life being under never day same another know while last might us great old year off come "
         "since against go came right used take three university research module student assessment "
         "committee budget meeting report teaching timetable laboratory seminar deadline review "
         "café naïve façade résumé coöperate").split()
FIRST = ["ann", "bob", "carol", "david", "emma", "farah", "george", "hannah", "ivan", "julia", "kwame", "li",
         "maria", "nikhil", "olivia", "pawel", "qing", "rachel", "sam", "tomasz", "uma", "victor", "wei", "yusuf"]
LAST = ["smith", "jones", "taylor", "brown", "williams", "wilson", "johnson", "davies", "patel", "wright",
        "khan", "evans", "thomas", "roberts", "walker", "nowak", "chen", "okafor", "murphy", "singh"]
DEPTS = ["Chemistry", "History", "Estates", "Finance", "Library", "Physics", "Law", "Nursing", "Music"]


def prose_line():
    n = rng.randint(8, 22)
    words = [rng.choice(WORDS) for _ in range(n)]
    if rng.random() < 0.2:
        words.insert(rng.randint(0, n), str(rng.randint(1, 99)))
    s = " ".join(words)
    return s[0].upper() + s[1:] + rng.choice([".", ".", ".", "?", ";"]) + "\n"


def csv_row():
    return "R{:05d},{} {},{},{}.{:02d},2024-{:02d}-{:02d},{}\n".format(
        rng.randint(0, 99999), rng.choice(FIRST).title(), rng.choice(LAST).title(), rng.choice(DEPTS),
        rng.randint(1, 9999), rng.randint(0, 99), rng.randint(1, 12), rng.randint(1, 28),
        rng.choice(["approved", "pending", "rejected"]))


def log_line():
    return "2024-{:02d}-{:02d}T{:02d}:{:02d}:{:02d}.{:03d}Z {} [worker-{}] request req-{:012x} {} in {} ms status={} bytes={} client=10.{}.{}.{}\n".format(
        rng.randint(1, 12), rng.randint(1, 28), rng.randint(0, 23), rng.randint(0, 59), rng.randint(0, 59),
        rng.randint(0, 999), rng.choice(["INFO", "INFO", "WARN", "DEBUG", "ERROR"]), rng.randint(1, 8),
        rng.getrandbits(48), rng.choice(["completed", "retried", "queued"]), rng.randint(1, 5000),
        rng.choice([200, 200, 201, 304, 404, 500]), rng.randint(100, 99999), rng.randint(0, 255),
        rng.randint(0, 255), rng.randint(1, 254))


def code_line():
    name = rng.choice(["total", "count", "items", "result", "buffer", "offset", "config", "module"])
    return rng.choice([
        "    {} = compute_{}(items, limit={})\n".format(name, rng.choice(WORDS[:60]), rng.randint(1, 512)),
        "    if {} > {}:\n        return {}\n".format(name, rng.randint(0, 100), name),
        "def {}_{}(self, {}):\n".format(rng.choice(["load", "parse", "render"]), name, name),
        "    # {}\n".format(prose_line().strip()),
        "    log.info(\"{} %s\", {})\n".format(rng.choice(WORDS), name),
    ])


def pool(fn, n):
    return [fn() for _ in range(n)]


POOLS = {
    "prose": (".txt", pool(prose_line, 4000)),
    "csv": (".csv", pool(csv_row, 4000)),
    "log": (".log", pool(log_line, 4000)),
    "code": (".py", pool(code_line, 4000)),
}
HEADERS = {"csv": "id,name,department,amount,date,status\n"}
# Windows-1252 has these and UTF-8 spells them in two or three bytes: the cp1252 shape needs them.
CP1252_LINES = ["Fees for the café budget: £{} – approved by the naïve committee…\n".format(n) for n in range(100, 400)]


# ---- planted identifiers, each valid for its validator -------------------------------------------
def nhs_digits():
    while True:
        d = [rng.choice([4, 6, 7])] + [rng.randint(0, 9) for _ in range(8)]
        c = 11 - sum(v * (10 - i) for i, v in enumerate(d)) % 11
        if c == 11:
            c = 0
        if c != 10:
            return d, c


def spaced_nhs(digits):
    s = "".join(map(str, digits))
    return f"{s[:3]} {s[3:6]} {s[6:]}"


def nhs_number():
    d, c = nhs_digits()
    return spaced_nhs(d + [c])


NINO_NEVER_ISSUED = ("BG", "GB", "KN", "NK", "NT", "TN", "ZZ")
# Administrative prefixes: valid in shape, reported at low confidence, so neither planted nor decoys.
NINO_ADMINISTRATIVE = ("CR", "MW", "NC", "PP", "PY", "PZ")


def nino():
    first = rng.choice("ABCEGHJKLMNPRSTWXYZ")
    second = rng.choice("ABCEGHJKLMNPRSTWXYZ")
    if first + second in NINO_NEVER_ISSUED + NINO_ADMINISTRATIVE:
        return nino()
    return f"{first}{second}{rng.randint(0, 999999):06d}{rng.choice('ABCD')}"


def luhn_digits(prefix, length):
    digits = [int(c) for c in prefix] + [rng.randint(0, 9) for _ in range(length - len(prefix) - 1)]
    total = 0
    for i, v in enumerate(reversed(digits)):
        if i % 2 == 0:
            v *= 2
            v = v - 9 if v > 9 else v
        total += v
    return digits, (10 - total % 10) % 10


def grouped_card(digits):
    n = "".join(map(str, digits))
    return " ".join(n[i:i + 4] for i in range(0, 16, 4))


def card():
    d, check = luhn_digits(rng.choice(["4", "51", "53", "55"]), 16)
    return grouped_card(d + [check])


def iban_parts():
    bban = rng.choice(["BARC", "NWBK", "MIDL", "LOYD"]) + "".join(str(rng.randint(0, 9)) for _ in range(14))
    num = int("".join(str(int(c, 36)) for c in bban + "GB00"))
    return bban, 98 - num % 97


def grouped_iban(bban, check):
    s = f"GB{check:02d}{bban}"
    return " ".join(s[i:i + 4] for i in range(0, len(s), 4))


def iban():
    return grouped_iban(*iban_parts())


def email():
    return f"{rng.choice(FIRST)}.{rng.choice(LAST)}{rng.randint(1, 99999)}@lboro.ac.uk"


def phone():
    return f"07{rng.choice([7, 8, 9])}{rng.randint(10, 99)} {rng.randint(100000, 999999)}"


PLANTERS = [
    ("nhs_number", lambda: f"Patient NHS number: {nhs_number()} (ward 7)\n"),
    ("uk_nino", lambda: f"National Insurance number {nino()} recorded\n"),
    ("payment_card", lambda: f"Card number {card()} expiry 09/28\n"),
    ("iban", lambda: f"Refund to IBAN {iban()} approved\n"),
    ("email", lambda: f"Contact: {email()}\n"),
    ("uk_phone", lambda: f"Mobile: {phone()}\n"),
]


# ---- decoys: the same shapes and labels, and none of them may count ------------------------------
def bad_nhs():
    d, c = nhs_digits()
    return spaced_nhs(d + [(c + rng.randint(1, 9)) % 10])


def bad_card():
    d, check = luhn_digits(rng.choice(["4", "51", "53", "55"]), 16)
    return grouped_card(d + [(check + rng.randint(1, 9)) % 10])


def bad_nino():
    return f"{rng.choice(NINO_NEVER_ISSUED)}{rng.randint(0, 999999):06d}{rng.choice('ABCD')}"


DECOYS = [
    lambda: f"Patient NHS number: {bad_nhs()} (ward 7)\n",
    lambda: f"National Insurance number {bad_nino()} recorded\n",
    lambda: f"Card number {bad_card()} expiry 09/28\n",
    lambda: f"Contact: {rng.choice(FIRST)}.{rng.choice(LAST)}@example.com\n",
    lambda: f"Mobile: 07700 900{rng.randint(0, 999):03d}\n",
]


def plant(counts):
    detector, make = rng.choice(PLANTERS)
    counts[detector] = counts.get(detector, 0) + 1
    return make()


def decoy():
    return rng.choice(DECOYS)()


def body(kind, size, counts, plant_every, decoy_every=0, lines=None):
    """About `size` bytes (as UTF-8) of one kind of text, a value planted every `plant_every` bytes
    and a decoy every `decoy_every` bytes on average (0: none)."""
    ext, pool_lines = POOLS[kind]
    lines = lines or pool_lines
    out = [HEADERS.get(kind, "")]
    n = len(out[0])
    next_plant = plant_every and rng.randint(plant_every // 2, plant_every * 3 // 2)
    next_decoy = decoy_every and rng.randint(decoy_every // 2, decoy_every * 3 // 2)
    while n < size:
        if plant_every and n >= next_plant:
            line = plant(counts)
            next_plant = n + rng.randint(plant_every // 2, plant_every * 3 // 2)
        elif decoy_every and n >= next_decoy:
            line = decoy()
            next_decoy = n + rng.randint(decoy_every // 2, decoy_every * 3 // 2)
        else:
            line = rng.choice(lines)
        out.append(line)
        n += len(line.encode())
    return "".join(out), ext


def write_text_shape(root, total_bytes, file_size, counts, plant_every, decoy_every, encoding="utf-8"):
    os.makedirs(root, exist_ok=True)
    kinds = list(POOLS)
    for i in range(max(1, total_bytes // file_size)):
        kind = kinds[i % len(kinds)]
        lines = None
        if encoding == "cp1252":
            lines = POOLS[kind][1] + CP1252_LINES
        text, ext = body(kind, file_size, counts, plant_every, decoy_every, lines)
        # newline="" keeps "\n": the shapes are Unix text, whatever the platform.
        with open(os.path.join(root, f"{kind}-{i:04d}{ext}"), "w", encoding=encoding, newline="") as f:
            if encoding == "utf-16-le":
                f.write("\ufeff")
            f.write(text)


def write_small_shape(root, n_files, counts):
    kinds = list(POOLS)
    for i in range(n_files):
        folder = os.path.join(root, f"dir{i % 200:03d}")
        os.makedirs(folder, exist_ok=True)
        kind = kinds[i % len(kinds)]
        text, ext = body(kind, rng.randint(1024, 8192), {}, 0)
        roll = rng.random()
        if roll < 0.13:
            text += plant(counts)
            if roll < 0.03:
                text += plant(counts)
        elif roll < 0.23:
            text += decoy()
        with open(os.path.join(folder, f"f{i:06d}{ext}"), "w", encoding="utf-8") as f:
            f.write(text)


SHAPES = ("sparse", "dense", "small", "large", "utf16", "cp1252")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--full", action="store_true", help="the issue's sizes: 1 GiB text shapes")
    ap.add_argument("--mib", type=int, help="size of the sparse, dense and large shapes (MiB)")
    ap.add_argument("--small-files", type=int, default=100_000)
    ap.add_argument("--shapes", default=",".join(SHAPES))
    a = ap.parse_args()
    mib = a.mib or (1024 if a.full else 256)
    big = mib << 20
    manifest_path = os.path.join(a.out, "manifest.json")
    manifest = {}
    if os.path.exists(manifest_path):
        with open(manifest_path) as f:
            manifest = json.load(f)
    for shape in a.shapes.split(","):
        counts = {}
        root = os.path.join(a.out, shape)
        if shape == "sparse":
            write_text_shape(root, big, 8 << 20, counts, 64 << 10, 64 << 10)
        elif shape == "dense":
            write_text_shape(root, big, 512 << 10, counts, 20 << 10, 20 << 10)
        elif shape == "small":
            write_small_shape(root, a.small_files, counts)
        elif shape == "large":
            write_text_shape(root, big, big, counts, 64 << 10, 64 << 10)
        elif shape == "utf16":
            write_text_shape(root, big // 4, 8 << 20, counts, 64 << 10, 64 << 10, "utf-16-le")
        elif shape == "cp1252":
            write_text_shape(root, big // 4, 8 << 20, counts, 64 << 10, 64 << 10, "cp1252")
        else:
            ap.error(f"no shape {shape!r}: one of {', '.join(SHAPES)}")
        manifest[shape] = counts
        print(shape, json.dumps(counts, sort_keys=True), flush=True)
    os.makedirs(a.out, exist_ok=True)
    with open(manifest_path, "w") as f:
        json.dump(manifest, f, indent=1, sort_keys=True)


if __name__ == "__main__":
    main()
