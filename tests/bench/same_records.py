#!/usr/bin/env python3
"""Compares two `dlp-scan --format json` outputs record by record, ignoring what changes from run
to run (event ids, times, durations, host). Used to show a change of structure changed no verdict:
run the old and the new binary over the same tree with the same key, then compare.

Usage: same_records.py OLD.jsonl NEW.jsonl    (exit 0 when the same, 1 with the differences listed)
"""
import json
import sys

VOLATILE = {"event_id", "time", "host", "duration_ms", "elapsed_ms", "started", "finished",
            "files_per_second", "bytes_per_second"}


def normalised(record):
    if isinstance(record, dict):
        return {k: normalised(v) for k, v in record.items() if k not in VOLATILE}
    if isinstance(record, list):
        return [normalised(v) for v in record]
    return record


def load(path):
    records = {}
    with open(path, encoding="utf-8") as lines:
        for line in lines:
            record = normalised(json.loads(line))
            key = (record.get("type"), record.get("path", ""))
            records.setdefault(key, []).append(json.dumps(record, sort_keys=True))
    return records


old, new = load(sys.argv[1]), load(sys.argv[2])
differences = 0
for key in sorted(set(old) | set(new), key=str):
    if sorted(old.get(key, [])) != sorted(new.get(key, [])):
        differences += 1
        print(f"differs: {key[0]} {key[1]}")
        for line in old.get(key, []):
            print(f"  old {line[:400]}")
        for line in new.get(key, []):
            print(f"  new {line[:400]}")
print(f"{len(set(old) | set(new))} records compared, {differences} differ")
sys.exit(1 if differences else 0)
