#!/usr/bin/env bash
# `make demo`: the whole path on this machine. Starts a collector on loopback with its own SQLite,
# registers the demo device, runs sightlined with the red-light stage (and face blurring when the
# models are present: Models/fetch) on the bundled intersection clip, signs the detections as events
# and forwards them, then checks the collector's export with `sightline verify` and reports.
# Usage: Tools/demo.sh BIN_DIR   (the release build's bin path). Cleans up what it started.
set -euo pipefail
bin=$1
top=$(cd "$(dirname "$0")/.." && pwd)
out="$top/demo-out"
rm -rf "$out"
mkdir -p "$out/state"
port=${DEMO_METRICS_PORT:-19464}
collector_port=${DEMO_COLLECTOR_PORT:-18470}
collector_pid=""
cleanup() { [ -n "$collector_pid" ] && kill "$collector_pid" 2>/dev/null && wait "$collector_pid" 2>/dev/null || true; }
trap cleanup EXIT

echo "== device key and registration"
"$bin/sightline" keygen --state-dir "$out/state" >/dev/null
identity=$("$bin/sightline" device show --state-dir "$out/state" --json)
device=$(sed -E 's/.*"device":"([^"]+)".*/\1/' <<<"$identity")
pubkey=$(sed -E 's/.*"public_key":"([^"]+)".*/\1/' <<<"$identity")
"$bin/sightline-collector" devices add demo-edge "$pubkey" --database "sqlite:$out/collector.sqlite"

echo "== sightline-collector on 127.0.0.1:$collector_port (SQLite $out/collector.sqlite)"
"$bin/sightline-collector" serve --listen "127.0.0.1:$collector_port" --database "sqlite:$out/collector.sqlite" \
    --log-level warning 2>"$out/collector.log" &
collector_pid=$!
for _ in $(seq 1 50); do
    curl -fsS "http://127.0.0.1:$collector_port/healthz" >/dev/null 2>&1 && break
    sleep 0.2
done

faces=""
if [ -f "$top/Models/files/shape_predictor_5_face_landmarks.dat" ]; then
    faces="    faces: {detect: true, blur_evidence: true, models: $top/Models/files}"
fi
{
cat <<YAML
# Written by Tools/demo.sh: the bundled intersection clip through the traffic stage, signed and forwarded.
state_dir: $out/state
log_level: info
metrics:
  listen: 127.0.0.1:$port
events:
  checkpoint_every: 50
collector:
  url: http://127.0.0.1:$collector_port
cameras:
  - id: intersection
    source: mjpeg:$top/Samples/intersection.mjpeg
    fps: 15                   # raw MJPEG carries no timing: the rate it was rendered at
    replay: fast              # as fast as the pipeline goes
    processing_width: 640
$faces
YAML
sed -n '/^traffic:/,$p' "$top/Samples/intersection.camera.yaml" | sed 's/^/    /'
} > "$out/sightlined.yaml"

echo "== sightlined --check-config"
"$bin/sightlined" --check-config "$out/sightlined.yaml"
echo "== sightlined on Samples/intersection.mjpeg (log on stderr below)"
"$bin/sightlined" --config "$out/sightlined.yaml" --summary "$out/summary.json" \
    --detections "$out/detections.jsonl"

curl -fsS "http://127.0.0.1:$collector_port/v1/export?device=$device" -o "$out/export.jsonl"
echo
echo "== sightline verify $out/export.jsonl"
verified=$("$bin/sightline" verify "$out/export.jsonl" --pubkey "$pubkey") || { echo "VERIFY FAILED"; exit 1; }
echo "$verified"

count() { grep -c "\"type\":\"$1\"" "$2" || true; }
fps=$(grep -oE '"fps" *: *[0-9.]+' "$out/summary.json" | head -n 1 | grep -oE '[0-9.]+$' || echo "?")
blurred=$({ grep '"type":"face.detected"' "$out/detections.jsonl" || true; } | sed -E 's/.*"count":([0-9]+).*/\1/' \
    | awk '{s+=$1} END {print s+0}')
echo
echo "== report"
echo "frames processed per second:  $fps"
echo "red-light crossings found:    $(count traffic.red_light_crossing "$out/detections.jsonl")"
if [ -n "$faces" ]; then
    echo "faces blurred in evidence:    $blurred (this synthetic clip shows no people)"
else
    echo "faces blurred in evidence:    face stage off (run Models/fetch); crossings kept without images"
fi
echo "events delivered:             $(wc -l < "$out/export.jsonl") (collector export of $device)"
echo "events verified:              ${verified%%,*}"
echo "files:                        $out"
