#!/usr/bin/env python3
"""Fills a migrated collector database with N synthetic events for the console benchmark: 4 devices, 6 cameras,
crossings, signal changes, frame stats, some face matches, a checkpoint every 1000 events of a device, times
spread over the last 7 days. Rows are not signed (the console's list and overview read columns, not signatures).
  fill.py sqlite PATH N          inserts with Python's sqlite3
  fill.py csv PATH N             writes a CSV for PostgreSQL's COPY (columns as in the INSERT below)"""
import csv
import hashlib
import json
import random
import sqlite3
import sys
import time

COLUMNS = ("device", "seq", "hash", "leaf_hash", "time_ns", "camera", "type", "line", "received_ns")


def rows(n):
    rng = random.Random(8470)
    now = time.time_ns()
    devices = ["bench-device-%d" % d for d in range(4)]
    seqs = {d: 0 for d in devices}
    kinds = [("traffic.red_light_crossing", 40), ("frame.stats", 40), ("traffic.signal_state", 12), ("face.match", 8)]
    population = [k for k, w in kinds for _ in range(w)]
    for i in range(n):
        device = devices[i % 4]
        seqs[device] += 1
        seq = seqs[device]
        t = now - int((n - i) * (7 * 86400e9 / n)) - rng.randrange(1_000_000_000)
        camera = "cam-%d" % (i % 6)
        kind = "log.checkpoint" if seq % 1000 == 0 else rng.choice(population)
        body = {"size": seq - 1, "origin": "sightline/" + device} if kind == "log.checkpoint" else {"track": i}
        line = json.dumps({"device": device, "seq": seq, "type": kind, "camera": camera, "body": body},
                          separators=(",", ":")).encode()
        digest = hashlib.sha256(line).digest()
        yield (device, seq, digest.hex(), digest, t, camera, kind, line, t + 2_000_000_000)


def main():
    mode, path, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
    if mode == "sqlite":
        db = sqlite3.connect(path)
        db.execute("PRAGMA synchronous = OFF")
        for d in range(4):
            db.execute("INSERT OR IGNORE INTO devices (id, name, public_key, added_ns) VALUES (?, ?, ?, ?)",
                       ("bench-device-%d" % d, "bench %d" % d, "AAAA", time.time_ns()))
        db.executemany("INSERT INTO events (%s) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)" % ", ".join(COLUMNS), rows(n))
        db.commit()
        db.close()
    else:
        with open(path, "w", newline="") as f:
            w = csv.writer(f)
            for r in rows(n):
                w.writerow([r[0], r[1], r[2], "\\x" + r[3].hex(), r[4], r[5], r[6], "\\x" + r[7].hex(), r[8]])


if __name__ == "__main__":
    main()
