#!/usr/bin/env python3
"""The peer of `sightline-bench events-emit`: the same edge log written the obvious way in Python.

Per event: canonical JSON (json.dumps with sorted keys and no spaces, close to RFC 8785 for these
bodies), Ed25519 signature (pyca/cryptography, OpenSSL), SHA-256 chain, and one SQLite transaction
in WAL mode with synchronous=FULL holding the event and the log head. Prints one JSON line.
Usage: peer_emit.py DIR COUNT
"""
import base64
import hashlib
import json
import os
import sqlite3
import sys
import time

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey


def main():
    directory, count = sys.argv[1], int(sys.argv[2])
    os.makedirs(directory, exist_ok=True)
    key = Ed25519PrivateKey.generate()
    db = sqlite3.connect(os.path.join(directory, "peer.sqlite"), isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=FULL")
    db.execute("CREATE TABLE events (seq INTEGER PRIMARY KEY, line BLOB NOT NULL, hash TEXT NOT NULL)")
    db.execute("CREATE TABLE head (id INTEGER PRIMARY KEY, last_seq INTEGER, last_hash TEXT)")
    prev = "0" * 64
    start = time.perf_counter()
    for n in range(count):
        envelope = {"v": 1, "device": "peer", "seq": n + 1, "prev": prev, "time": "2026-11-26T16:08:00.000000Z",
                    "camera": "gate", "type": "frame.stats", "evidence": [],
                    "body": {"width": 1280, "height": 720, "luma_mean": 117.42, "luma_stddev": 51.07, "frame_seq": n}}
        canonical = json.dumps(envelope, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
        envelope["sig"] = base64.b64encode(key.sign(canonical)).decode()
        line = json.dumps(envelope, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
        prev = hashlib.sha256(canonical).hexdigest()
        db.execute("BEGIN IMMEDIATE")
        db.execute("INSERT INTO events VALUES (?, ?, ?)", (n + 1, line, prev))
        db.execute("INSERT OR REPLACE INTO head VALUES (1, ?, ?)", (n + 1, prev))
        db.execute("COMMIT")
    seconds = time.perf_counter() - start
    print(json.dumps({"events": count, "seconds": seconds, "events_per_s": count / seconds}))


main()
