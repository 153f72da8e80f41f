#!/usr/bin/env bash
# `make demo`: the whole path on this machine. Starts a collector on loopback with its own SQLite,
# registers the demo device, and runs sightlined on the bundled footage: the synthetic intersection
# (red-light stage) and the clip with real faces (the face models are fetched first, by Models/fetch)
# (Samples/faces.mjpeg: two people walk past while vehicles cross on red) with faces blurred in every
# kept evidence frame and recognition of one enrolled subject (Obama, enrolled from another photo).
# The detections are signed as events and forwarded; the collector's export and the evidence it
# stored are checked with `sightline verify`, and a short report ends the run.
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
# Every read needs a token; a reviewer token reads the export and the evidence (printed once, kept here).
token=$("$bin/sightline-collector" tokens add "demo-$$" --role reviewer --database "sqlite:$out/collector.sqlite")

echo "== sightline-collector on 127.0.0.1:$collector_port (SQLite $out/collector.sqlite)"
"$bin/sightline-collector" serve --listen "127.0.0.1:$collector_port" --database "sqlite:$out/collector.sqlite" \
    --log-level warning 2>"$out/collector.log" &
collector_pid=$!
for _ in $(seq 1 50); do
    curl -fsS "http://127.0.0.1:$collector_port/healthz" >/dev/null 2>&1 && break
    sleep 0.2
done

models="$top/Models/files"
echo "== face models: Models/fetch (downloads dlib's model files the first time, checks their SHA-256)"
"$top/Models/fetch" || { echo "the demo needs the face models and Models/fetch could not get them (see above)"; exit 1; }
faces="    faces: {detect: true, blur_evidence: true, models: $models}"
recognition=""
if [ -n "$faces" ]; then
    recognition="      recognize:              # opt-in: only the enrolled subject can be reported
        enabled: true
        gallery: $out/gallery.sealed
        evidence: true        # the match's image, with every other face blurred"
    echo "== gallery: enrol obama from Tests/FaceKitTests/Golden/faces/obama3.jpg (not the photo in the clip)"
    "$bin/sightline" gallery enroll obama --image "$top/Tests/FaceKitTests/Golden/faces/obama3.jpg" \
        --purpose "Sightline demo" --gallery "$out/gallery.sealed" --models "$models"
fi
{
cat <<YAML
# Written by Tools/demo.sh: the bundled clips through the traffic and face stages, signed and forwarded.
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
if [ -n "$faces" ]; then
cat <<YAML
  - id: faces
    source: mjpeg:$top/Samples/faces.mjpeg
    fps: 10
    replay: fast
    processing_width: 640
    faces:
      detect: true
      blur_evidence: true     # every face blurred in the crossings' evidence frames
      models: $models
$recognition
YAML
sed -n '/^traffic:/,$p' "$top/Samples/faces.camera.yaml" | sed 's/^/    /'
fi
} > "$out/sightlined.yaml"

echo "== sightlined --check-config"
"$bin/sightlined" --check-config "$out/sightlined.yaml"
echo "== sightlined on the bundled clips (log on stderr below)"
"$bin/sightlined" --config "$out/sightlined.yaml" --summary "$out/summary.json" \
    --detections "$out/detections.jsonl"

curl -fsS -H "Authorization: Bearer $token" "http://127.0.0.1:$collector_port/v1/export?device=$device" \
    -o "$out/export.jsonl"
# The evidence the collector stored, fetched back by name (the SHA-256 of its bytes) for verify.
mkdir -p "$out/evidence"
for sha in $(grep -oE '"sha256":"[0-9a-f]{64}"' "$out/export.jsonl" | cut -d'"' -f4 | sort -u); do
    curl -fsS -H "Authorization: Bearer $token" "http://127.0.0.1:$collector_port/v1/evidence/$sha" \
        -o "$out/evidence/$sha"
    ln -f "$out/evidence/$sha" "$out/evidence/$sha.jpg"
done
# Crossing clips (MJPEG streams) are named as such.
for sha in $(grep -oE '"media_type":"video/x-motion-jpeg","sha256":"[0-9a-f]{64}"' "$out/export.jsonl" \
        | cut -d'"' -f8 | sort -u); do
    mv -f "$out/evidence/$sha.jpg" "$out/evidence/$sha.mjpeg"
done
echo
echo "== sightline verify $out/export.jsonl --evidence-dir $out/evidence"
verified=$("$bin/sightline" verify "$out/export.jsonl" --pubkey "$pubkey" --evidence-dir "$out/evidence") \
    || { echo "VERIFY FAILED"; exit 1; }
echo "$verified"

# A field of one camera in the (pretty-printed) summary.
summary() { awk -v cam="$1" -v key="$2" -F: '
    $1 ~ /"camera"/ { gsub(/[", ]/, "", $2); current = $2 }
    current == cam && $1 ~ "\"" key "\"" { gsub(/[, ]/, "", $2); print $2; exit }' "$out/summary.json"; }
# Detections of one type from one camera.
count() { grep "\"camera\":\"$1\"" "$out/detections.jsonl" | grep -c "\"type\":\"$2\"" || true; }
cameras=intersection
[ -n "$faces" ] && cameras="intersection faces"
echo
echo "== report"
for c in $cameras; do
    printf 'camera %-13s %s frames, %s frames processed per second, %s red-light crossings found\n' "$c" \
        "$(summary "$c" decoded)" "$(printf '%.1f' "$(summary "$c" fps)")" "$(count "$c" traffic.red_light_crossing)"
done
if [ -z "$faces" ]; then
    echo "faces:                        face stage skipped: no face models in $models (run Models/fetch);"
    echo "                              crossings kept without evidence images, the clip with faces not run"
else
    blurred=0
    for c in $cameras; do blurred=$(( blurred + $(summary "$c" faces_blurred) )); done
    echo "faces detected:               $(summary faces faces_detected) in the clip with faces (one per face per" \
        "detector frame),"
    echo "                              $(summary intersection faces_detected) in the intersection (no people in it)"
    images=$(find "$out/evidence" -name '*.jpg' | wc -l)
    clips=$(find "$out/evidence" -name '*.mjpeg' | wc -l)
    echo "faces blurred in evidence:    $blurred, in $images evidence images ($out/evidence/*.jpg) and $clips" \
        "crossing clips ($out/evidence/*.mjpeg: ffplay -f mjpeg FILE)"
    if [ -n "$recognition" ]; then
        echo "face matches (enrolled only): $(count faces face.match): obama; Biden, not enrolled, is never reported"
    else
        echo "face recognition:             skipped: landmark or face network model missing (run Models/fetch)"
    fi
fi
echo "events delivered:             $(grep -c '"seq"' "$out/export.jsonl") (collector export of $device)"
echo "events verified:              $verified"
echo "files:                        $out"
