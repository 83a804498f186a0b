#!/usr/bin/env python3
"""Generates the benchmark corpora for dlp-scan, deterministically.

  text/   ~1 GiB of mixed text (prose, CSV exports, logs, source code) in 8 MiB files, with
          identifiers planted sparsely (about one per 64 KiB) next to realistic labels.
  small/  100,000 small files (0.5-3 KiB) in 200 folders, 1 in 50 holding one planted value.

The background text is built so that it contains no identifier by accident; manifest.json lists
how many values of each detector were planted in each corpus, and the benchmark checks that
dlp-scan finds exactly those. Every planted value is synthetic: generated to pass its checksum.

Usage: gen_corpus.py OUT_DIR [--text-mib N] [--small-files N]
"""
import argparse
import json
import os
import random

rng = random.Random(20261122)

WORDS = ("the of and to in a is that for it as was with be by on not he this are or his from at which "
         "but have an they you were her all she there would their we him been has when who will more no "
         "if out so said what up its about into than them can only other new some could time these two "
         "may then do first any my now such like our over man me even most made after also did many "
         "before must through back years where much your way well down should because each just those "
         "people how too little state good very make world still own see men work long get here between "
         "both life being under never day same another know while last might us great old year off come "
         "since against go came right used take three university research module student assessment "
         "committee budget meeting draft report teaching timetable laboratory seminar deadline review "
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


# ---- planted identifiers, each valid for its validator -------------------------------------------
def nhs_number():
    while True:
        d = [rng.choice([4, 6, 7])] + [rng.randint(0, 9) for _ in range(8)]
        c = 11 - sum(v * (10 - i) for i, v in enumerate(d)) % 11
        if c == 11:
            c = 0
        if c != 10:
            s = "".join(map(str, d + [c]))
            return f"{s[:3]} {s[3:6]} {s[6:]}"


def nino():
    first = rng.choice("ABCEGHJKLMNPRSTWXYZ")
    second = rng.choice("ABCEGHJKLMNPRSTWXYZ")
    if first + second in ("BG", "GB", "KN", "NK", "NT", "TN", "ZZ", "CR", "MW", "NC", "PP", "PY", "PZ"):
        return nino()
    return f"{first}{second}{rng.randint(0, 999999):06d}{rng.choice('ABCD')}"


def luhn_complete(prefix, length):
    digits = [int(c) for c in prefix] + [rng.randint(0, 9) for _ in range(length - len(prefix) - 1)]
    total = 0
    for i, v in enumerate(reversed(digits)):
        if i % 2 == 0:
            v *= 2
            v = v - 9 if v > 9 else v
        total += v
    return "".join(map(str, digits)) + str((10 - total % 10) % 10)


def card():
    n = luhn_complete(rng.choice(["4", "51", "53", "55"]), 16)
    return " ".join(n[i:i + 4] for i in range(0, 16, 4))


def iban():
    bban = rng.choice(["BARC", "NWBK", "MIDL", "LOYD"]) + "".join(str(rng.randint(0, 9)) for _ in range(14))
    rearranged = bban + "GB00"
    num = int("".join(str(int(c, 36)) for c in rearranged))
    check = 98 - num % 97
    s = f"GB{check:02d}{bban}"
    return " ".join(s[i:i + 4] for i in range(0, len(s), 4))


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


def plant(counts):
    detector, make = rng.choice(PLANTERS)
    counts[detector] = counts.get(detector, 0) + 1
    return make()


def body(kind, size, counts, plant_every):
    ext, lines = POOLS[kind]
    out = [HEADERS.get(kind, "")]
    n = len(out[0])
    next_plant = plant_every and rng.randint(plant_every // 2, plant_every)
    while n < size:
        line = rng.choice(lines)
        if plant_every and n >= next_plant:
            line = plant(counts)
            next_plant = n + rng.randint(plant_every // 2, plant_every * 3 // 2)
        out.append(line)
        n += len(line.encode())
    return "".join(out), ext


def write_text_corpus(root, total_mib, counts):
    os.makedirs(root, exist_ok=True)
    kinds = list(POOLS)
    file_size = 8 << 20
    for i in range(max(1, (total_mib << 20) // file_size)):
        kind = kinds[i % len(kinds)]
        text, ext = body(kind, file_size, counts, 64 << 10)
        with open(os.path.join(root, f"{kind}-{i:04d}{ext}"), "w", encoding="utf-8") as f:
            f.write(text)


def write_small_corpus(root, n_files, counts):
    kinds = list(POOLS)
    for i in range(n_files):
        folder = os.path.join(root, f"dir{i % 200:03d}")
        os.makedirs(folder, exist_ok=True)
        kind = kinds[i % len(kinds)]
        text, ext = body(kind, rng.randint(500, 3000), {}, 0)
        if i % 50 == 7:
            text += plant(counts)
        with open(os.path.join(folder, f"f{i:06d}{ext}"), "w", encoding="utf-8") as f:
            f.write(text)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--text-mib", type=int, default=1024)
    ap.add_argument("--small-files", type=int, default=100_000)
    a = ap.parse_args()
    manifest = {"text": {}, "small": {}}
    write_text_corpus(os.path.join(a.out, "text"), a.text_mib, manifest["text"])
    write_small_corpus(os.path.join(a.out, "small"), a.small_files, manifest["small"])
    with open(os.path.join(a.out, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1, sort_keys=True)
    print(json.dumps(manifest, sort_keys=True))


if __name__ == "__main__":
    main()
