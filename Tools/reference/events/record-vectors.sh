#!/usr/bin/env bash
# Records the event-log test vectors into Tests/EventLogTests/Vectors from their reference sources:
#   JCS=path to a clone of github.com/cyberphone/json-canonicalization (RFC 8785's author's test data)
#   MERKLE=path to a clone of github.com/transparency-dev/merkle (RFC 6962 inclusion proof vectors)
# and regenerates the ECMAScript number serializations with node (jcs-numbers.js).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out="$here/../../../Tests/EventLogTests/Vectors"
mkdir -p "$out/jcs/input" "$out/jcs/output" "$out/merkle-inclusion"
for f in "$JCS"/testdata/input/*.json; do
    cp "$f" "$out/jcs/input/"
    cp "$JCS/testdata/output/$(basename "$f")" "$out/jcs/output/"
done
for d in "$MERKLE"/testdata/inclusion/[0-9]*; do
    for f in "$d"/*.json; do cp "$f" "$out/merkle-inclusion/$(basename "$d")-$(basename "$f")"; done
done
node "$here/jcs-numbers.js" > "$out/jcs-numbers.txt"
