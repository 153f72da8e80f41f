#!/usr/bin/env bash
# `make demo`: runs sightlined on the bundled sample footage and shows what it did.
# Usage: Tools/demo.sh BIN_DIR   (the release build's bin path)
set -euo pipefail
bin=$1
top=$(cd "$(dirname "$0")/.." && pwd)
out="$top/demo-out"
rm -rf "$out"
mkdir -p "$out/state"
port=${DEMO_METRICS_PORT:-19464}

cat > "$out/sightlined.yaml" <<YAML
# Written by Tools/demo.sh: two pipelines over the bundled synthetic intersection clip.
state_dir: $out/state
log_level: info
metrics:
  listen: 127.0.0.1:$port
cameras:
  - id: intersection
    source: mjpeg:$top/Samples/intersection.mjpeg
    fps: 15                   # raw MJPEG carries no timing: the rate it was rendered at
    replay: realtime          # at recorded speed: 150 frames, about 10 s
    processing_width: 320     # DCT-scaled decode straight to 320x240
  - id: intersection-fast
    source: mjpeg:$top/Samples/intersection.mjpeg
    fps: 15
    replay: fast              # as fast as the decoder goes
    processing_width: 0       # full size
YAML

echo "== sightlined --check-config"
"$bin/sightlined" --check-config "$out/sightlined.yaml"
echo
echo "== sightlined on Samples/intersection.mjpeg (log on stderr below)"
"$bin/sightlined" --config "$out/sightlined.yaml" --summary "$out/summary.json" \
    --detections "$out/detections.jsonl" &
pid=$!
trap 'kill $pid 2>/dev/null || true' EXIT
scraped=""
for _ in $(seq 1 50); do
    sleep 0.2
    if scraped=$(curl -fsS "http://127.0.0.1:$port/metrics" 2>/dev/null) && [ -n "$scraped" ]; then break; fi
done
wait $pid
trap - EXIT
echo
echo "== metrics scraped while it ran (http://127.0.0.1:$port/metrics), frame counters:"
grep -E '^sightline_frames_(captured|decoded|dropped|corrupt)_total' <<<"$scraped" || echo "(no scrape)"
echo
echo "== summary ($out/summary.json)"
cat "$out/summary.json"
echo
echo "== detections: $(wc -l < "$out/detections.jsonl") lines in $out/detections.jsonl; the first:"
head -n 1 "$out/detections.jsonl"
