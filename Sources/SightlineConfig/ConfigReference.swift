import EventLog
import Forwarder
import SightlineCore
import Traffic

/// The configuration reference: every key `sightlined` reads, section by section, with its type, its default
/// (taken from the configuration structs' own defaults, so it cannot drift) and what it does.
///
/// `sightlined --config-reference` prints it as Markdown; docs/CONFIGURATION.md is that output, and a test
/// checks both that the file is current and that each section lists exactly the keys the loader accepts.
public enum ConfigReference {
    /// One key of a section.
    struct Entry {
        let key: String
        let type: String
        /// The default as written in YAML; "required" or "none" where there is none.
        let defaultValue: String
        let meaning: String
    }

    /// One mapping of the file, by its key path (`cameras[].faces`).
    struct Section {
        let path: String
        let summary: String
        let entries: [Entry]
        /// The keys the loader accepts for this mapping; the entries must name exactly these (less `traps`).
        let acceptedKeys: [String]
        /// Keys the loader knows only to explain a common mistake; they are not settings.
        var traps: [String] = []
    }

    static var sections: [Section] {
        let daemon = DaemonConfiguration()
        let metrics = MetricsConfiguration()
        let camera = CameraConfiguration(id: "", source: .y4m(path: "-"))
        let log = EventLogConfiguration()
        let events = EventsConfiguration(log: log)
        let forwarder = ForwarderConfiguration(collectorURL: "")
        let faces = FaceConfiguration()
        let recognize = RecognitionConfiguration()
        let tuning = TrafficTuning()
        return [
            Section(path: "(top level)", summary: "The file as a whole.", entries: [
                Entry(key: "state_dir", type: "absolute path", defaultValue: daemon.stateDirectory,
                      meaning: "Where the daemon keeps its device key, event spool and evidence blobs "
                        + "(`sightline gallery` defaults to `gallery.sealed` in the default directory)."),
                Entry(key: "log_level", type: DaemonConfiguration.logLevels.joined(separator: " \\| "),
                      defaultValue: daemon.logLevel, meaning: "Lowest level written to standard error (the journal)."),
                Entry(key: "metrics", type: "mapping", defaultValue: "see `metrics`",
                      meaning: "The Prometheus endpoint."),
                Entry(key: "events", type: "mapping", defaultValue: "none (events off)",
                      meaning: "Signed, hash-chained events in a local spool. Without it, detections are not kept."),
                Entry(key: "collector", type: "mapping", defaultValue: "none (spool only)",
                      meaning: "Where events are delivered; needs `events`."),
                Entry(key: "mqtt", type: "mapping", defaultValue: "none (no MQTT)",
                      meaning: "Publishes the signed events to an MQTT broker, with Home Assistant discovery; "
                        + "needs `events`."),
                Entry(key: "cameras", type: "list of mappings", defaultValue: "required",
                      meaning: "At least one camera; ids unique."),
                Entry(key: "traffic", type: "mapping", defaultValue: "none",
                      meaning: "Reserved: accepted and ignored with a notice (traffic is set per camera)."),
                Entry(key: "faces", type: "mapping", defaultValue: "none",
                      meaning: "Reserved: accepted and ignored with a notice (faces are set per camera)."),
            ], acceptedKeys: ConfigReader.topLevelKeys + ConfigReader.reservedTopLevelKeys),
            Section(path: "metrics", summary: "Prometheus text exposition at `/metrics` (and `/healthz`).", entries: [
                Entry(key: "enabled", type: "bool", defaultValue: "\(metrics.enabled)", meaning: "Serve metrics at all."),
                Entry(key: "listen", type: "HOST:PORT or port",
                      defaultValue: "\(metrics.host):\(metrics.port)",
                      meaning: "Address to bind; `[::1]:9464` for IPv6; a bare port binds 127.0.0.1."),
                Entry(key: "allow_remote", type: "bool", defaultValue: "\(metrics.allowRemote)",
                      meaning: "Permit a non-loopback `listen` host (metrics name cameras)."),
            ], acceptedKeys: ConfigReader.metricsKeys),
            Section(path: "events", summary: "The event log: every detection signed with the device key and chained.",
                    entries: [
                Entry(key: "enabled", type: "bool", defaultValue: "true",
                      meaning: "`false` keeps the section but turns events off."),
                Entry(key: "checkpoint_every", type: "integer 1–1000000", defaultValue: "\(log.checkpointEvery)",
                      meaning: "Sign a Merkle checkpoint after this many events…"),
                Entry(key: "checkpoint_seconds", type: "seconds, ≤ 86400",
                      defaultValue: number(log.checkpointIntervalSeconds),
                      meaning: "…or after this long when at least one event was written since."),
                Entry(key: "retention_days", type: "days, ≤ 3650", defaultValue: number(log.retentionSeconds / 86400),
                      meaning: "Delivered events and evidence are purged this long after the collector acknowledged them."),
                Entry(key: "disk_budget_mb", type: "integer MB", defaultValue: "\(log.diskBudgetBytes >> 20)",
                      meaning: "Spool size bound: evidence is dropped first to stay under it, events never (an "
                        + "over-budget spool raises an alarm)."),
                Entry(key: "max_per_minute", type: "integer 1–60000", defaultValue: "\(events.maxPerMinute)",
                      meaning: "Events per camera and type per minute; beyond it detections are dropped and counted "
                        + "in `sightline_events_rate_limited_total`."),
            ], acceptedKeys: ConfigReader.eventsKeys),
            Section(path: "collector", summary: "Delivery of spooled events to `sightline-collector`.", entries: [
                Entry(key: "url", type: "URL", defaultValue: "required",
                      meaning: "`https://HOST:PORT` (http:// only for loopback tests)."),
                Entry(key: "pin", type: "absolute path", defaultValue: "none",
                      meaning: "PEM certificate of the collector: the only one trusted (pinning)."),
                Entry(key: "batch", type: "integer 1–10000", defaultValue: "\(forwarder.batchSize)",
                      meaning: "Events per `POST /v1/events`."),
                Entry(key: "timeout", type: "seconds, ≤ 600", defaultValue: number(forwarder.requestTimeoutSeconds),
                      meaning: "Per-request timeout."),
                Entry(key: "max_backoff", type: "seconds, ≤ 3600", defaultValue: number(forwarder.maxBackoffSeconds),
                      meaning: "Longest wait between retries (the wait doubles per failure from "
                        + "\(number(forwarder.initialBackoffSeconds)) s)."),
            ], acceptedKeys: ConfigReader.collectorKeys),
            mqttSection,
            Section(path: "cameras[]", summary: "One camera, or recorded footage standing in for one.", entries: [
                Entry(key: "id", type: "`[A-Za-z0-9_-]{1,64}`", defaultValue: "required",
                      meaning: "Name used in metric labels, events and paths."),
                Entry(key: "source", type: "KIND:PATH or URL", defaultValue: "required",
                      meaning: "KIND is " + SourceSpec.Kind.allCases.filter { !$0.isNetwork }
                        .map { "`\($0.rawValue)`" }.joined(separator: ", ")
                        + " (`video` is any file FFmpeg's libraries read: MP4, MKV, MPEG-TS…); `y4m:-`, `mjpeg:-` "
                        + "and `video:-` read standard input; a network camera is its `rtsp://` or `rtsps://` URL. "
                        + "Prefer `/dev/v4l/by-id/…` paths for cameras."),
                Entry(key: "width", type: "integer 16–8192", defaultValue: "driver's",
                      meaning: "Requested capture width (v4l2 only, with `height`)."),
                Entry(key: "height", type: "integer 16–8192", defaultValue: "driver's",
                      meaning: "Requested capture height (v4l2 only, with `width`)."),
                Entry(key: "fps", type: "number ≤ 1000",
                      defaultValue: "driver's (v4l2); \(number(SourceSpec.defaultFootageFPS)) (mjpeg, jpegdir)",
                      meaning: "Rate requested from the camera, or the playback rate of files that record none "
                        + "(refused for avi, y4m, video and rtsp, which carry their own)."),
                Entry(key: "process_fps", type: "number ≤ 1000", defaultValue: "none (every frame)",
                      meaning: "Process at most this many frames per second; the rest are skipped before decoding "
                        + "and counted."),
                Entry(key: "processing_width", type: "0 or 16–8192", defaultValue: "\(camera.processingWidth)",
                      meaning: "Smallest width the stages need: JPEG is DCT-scaled by 1/2, 1/4 or 1/8 down to it, "
                        + "`video:` and `rtsp://` pictures are scaled to exactly it; 0 decodes full size."),
                Entry(key: "device_timeout", type: "seconds, ≤ 3600", defaultValue: number(camera.deviceTimeout),
                      meaning: "No frame for this long counts as a stall (the camera is reopened)."),
                Entry(key: "queue_depth", type: "integer 1–64", defaultValue: "\(camera.queueDepth)",
                      meaning: "Frames buffered between capture and processing; when full the oldest is dropped "
                        + "and counted (files with `replay: fast` wait instead)."),
                Entry(key: "replay", type: ReplayPacing.allCases.map(\.rawValue).joined(separator: " \\| "),
                      defaultValue: camera.replay.rawValue,
                      meaning: "Files only: play at the recorded rate, or as fast as the pipeline goes."),
                Entry(key: "loop", type: "bool", defaultValue: "\(camera.loop)",
                      meaning: "Files only (not `y4m:-`): start again at the end."),
                Entry(key: "transport", type: RTSPTransport.allCases.map(\.rawValue).joined(separator: " \\| "),
                      defaultValue: camera.transport.rawValue,
                      meaning: "`rtsp://` only: RTP inside the RTSP TCP connection, or over UDP."),
                Entry(key: "hwaccel", type: HardwareDecoding.allCases.map(\.rawValue).joined(separator: " \\| "),
                      defaultValue: camera.hardwareDecoding.rawValue,
                      meaning: "`video:` and `rtsp://` only: hardware decoding; without the device the source "
                        + "decodes in software and logs one line."),
                Entry(key: "password_file", type: "path", defaultValue: "none",
                      meaning: "`rtsp://` only: file whose first line is the password of the URL's user "
                        + "(`rtsp://USER@HOST/…`), read at each connection; URL credentials are never logged."),
                Entry(key: "ca", type: "path", defaultValue: "the system's trust store",
                      meaning: "`rtsps://` only: PEM certificates that vouch for the camera (its CA or its own "
                        + "self-signed certificate). The camera's certificate is always verified, chain and host "
                        + "name, by Sightline itself (FFmpeg's RTSP client would not)."),
                Entry(key: "evidence_clip", type: "[seconds, seconds], each 0–5",
                      defaultValue: "[\(Self.number(camera.evidenceClip.before)), \(Self.number(camera.evidenceClip.after))]",
                      meaning: "With a traffic stage and blurred evidence: a clip of the seconds before and after each "
                        + "crossing (at most 10 frames a second, every face blurred, MJPEG at the processing size) "
                        + "attached after the three stills; `[0, 0]` keeps none."),
                Entry(key: "privacy_masks", type: "list of polygons", defaultValue: "none",
                      meaning: "Polygons of `[x, y]` points (source pixels), at most 64, blacked out of every frame "
                        + "as soon as it is decoded: nothing inside is analysed, and no evidence image shows it."),
                Entry(key: "enabled", type: "bool", defaultValue: "\(camera.enabled)",
                      meaning: "A disabled camera is validated but not started."),
                Entry(key: "faces", type: "mapping", defaultValue: "none (no face stage)",
                      meaning: "Face detection, evidence blur and opt-in recognition."),
                Entry(key: "traffic", type: "mapping", defaultValue: "none (no traffic stage)",
                      meaning: "The red-light stage: signal lamps, stop line, direction."),
                Entry(key: "events", type: "mapping", defaultValue: "all types, global limit",
                      meaning: "Which event types this camera emits, and how fast."),
            ], acceptedKeys: ConfigReader.cameraKeys + ConfigReader.reservedCameraKeys),
            Section(path: "cameras[].events", summary: "Per-camera event switches (used when `events` is on).",
                    entries: [
                Entry(key: "types", type: "list of event types", defaultValue: "all",
                      meaning: "Any of " + EventsConfiguration.knownTypes.map { "`\($0)`" }.joined(separator: ", ")
                        + "; other detections are not signed or forwarded."),
                Entry(key: "max_per_minute", type: "integer 1–60000", defaultValue: "`events.max_per_minute`",
                      meaning: "This camera's limit per type per minute."),
            ], acceptedKeys: ConfigReader.cameraEventsKeys),
            Section(path: "cameras[].faces", summary: "The face stage; evidence is blurred unless told otherwise.",
                    entries: [
                Entry(key: "detect", type: "bool", defaultValue: "\(faces.detect)", meaning: "Run the HOG face detector."),
                Entry(key: "blur_evidence", type: "bool", defaultValue: "\(faces.blurEvidence)",
                      meaning: "Blur every tracked face in evidence frames other stages keep."),
                Entry(key: "upsample", type: "0, 1 or 2",
                      defaultValue: faces.upsample.map { "\($0)" } ?? "from `min_size`",
                      meaning: "Times each frame is doubled before detection (each doubling halves the smallest face "
                        + "found, 73 px without one, at 4× the cost). Unset: as many as faces `min_size` wide need "
                        + "in the decoded frame (at most 2)."),
                Entry(key: "every_n_frames", type: "integer 1–1000", defaultValue: "\(faces.everyNFrames)",
                      meaning: "Run the detector on one processed frame in N; the tracker predicts boxes between."),
                Entry(key: "min_size", type: "pixels 0–4096", defaultValue: "\(faces.minSize)",
                      meaning: "The smallest face the detector must find and blur (unless `upsample` is set); "
                        + "narrower faces it finds are blurred but not reported (nor recognised)."),
                Entry(key: "keep_frames", type: "integer 0–1000", defaultValue: "\(faces.keepFrames)",
                      meaning: "Frames a face stays blurred after the detector last saw it."),
                Entry(key: "models", type: "directory",
                      defaultValue: faces.models ?? "`$SIGHTLINE_MODELS`, else `PREFIX/share/sightline/models`",
                      meaning: "Holds `frontal_face_detector.svm` and, for recognition, the landmark and "
                        + "embedding `.dat` files, each checked against the `manifest.json` beside them (else the "
                        + "built-in one) when loaded. Unset: `$SIGHTLINE_MODELS`, else the models `make install` "
                        + "put beside the program, else `./Models/files` (`Models/fetch`)."),
                Entry(key: "recognize", type: "mapping", defaultValue: "off",
                      meaning: "Matching against the enrolled gallery."),
            ], acceptedKeys: ConfigReader.faceKeys, traps: ["recognition"]),
            Section(path: "cameras[].faces.recognize",
                    summary: "Opt-in recognition of enrolled people only; unmatched faces are dropped in memory.",
                    entries: [
                Entry(key: "enabled", type: "bool", defaultValue: "\(recognize.enabled)",
                      meaning: "Without `true`, no face is aligned, embedded or compared."),
                Entry(key: "gallery", type: "path", defaultValue: "required when enabled",
                      meaning: "The encrypted gallery `sightline gallery enroll` writes."),
                Entry(key: "key", type: "path", defaultValue: "`GALLERY.key`",
                      meaning: "The gallery's key file. Replaced at every change of the gallery (expiries included), "
                        + "so its directory must be writable by the daemon, like the gallery's."),
                Entry(key: "threshold", type: "number, 0 < t ≤ 2", defaultValue: number(recognize.threshold),
                      meaning: "Largest descriptor distance accepted as a match (dlib's tolerance)."),
                Entry(key: "margin", type: "number 0–2", defaultValue: number(recognize.margin),
                      meaning: "The next subject must be at least this much farther."),
                Entry(key: "confirm_k", type: "integer 1–100", defaultValue: "\(recognize.confirmK)",
                      meaning: "Matches of one subject needed within the last `confirm_n` detector frames of a "
                        + "tracked face before `face.match` is emitted."),
                Entry(key: "confirm_n", type: "integer 1–100, ≥ confirm_k", defaultValue: "\(recognize.confirmN)",
                      meaning: "Detector frames remembered per tracked face."),
                Entry(key: "evidence", type: "bool", defaultValue: "\(recognize.evidence)",
                      meaning: "Attach a JPEG to each `face.match` with every other face blurred; off: no image."),
            ], acceptedKeys: ConfigReader.recognitionKeys),
            Section(path: "cameras[].traffic",
                    summary: "The red-light stage. Coordinates are source-image pixels; polygons are lists of "
                        + "`[x, y]` points.", entries: [
                Entry(key: "signal", type: "mapping", defaultValue: "required (single-lane form)",
                      meaning: "Polygons around the lamps of the signal head that governs the stop line."),
                Entry(key: "signals", type: "mapping of name to lamps", defaultValue: "required (lanes form)",
                      meaning: "The signal groups, each `{red: polygon, amber: polygon, green: polygon}` (amber "
                        + "optional, as in `traffic.signal`); lanes name the group that governs them. With several "
                        + "groups, `traffic.signal_state` names its `group`."),
                Entry(key: "stop_line", type: "[[x, y], [x, y]]", defaultValue: "required (single-lane form)",
                      meaning: "The segment a vehicle's reference point must cross."),
                Entry(key: "direction", type: "[dx, dy]", defaultValue: "required",
                      meaning: "Direction of travel that counts as crossing (`[0, -1]` is up the image; only the "
                        + "direction counts, not the length); not parallel to the stop line."),
                Entry(key: "grace_seconds", type: "seconds 0–60", defaultValue: "0.5",
                      meaning: "Crossings this soon after red onset are not reported."),
                Entry(key: "min_area", type: "px² 1–10000000", defaultValue: "400",
                      meaning: "Smallest moving object counted."),
                Entry(key: "lanes", type: "list of polygons, or of lanes", defaultValue: "none",
                      meaning: "Polygons (single-lane form): blobs are split along lane borders; only crossings "
                        + "inside a lane count (the step over the line must start and end in one polygon, so one drawn "
                        + "up to the stop line must straddle it, reaching 2 px past it at least, better further than a "
                        + "vehicle moves in a frame). Lanes (mappings, see `lanes[]`): each vehicle is judged against its "
                        + "own lane's stop line and signal group; crossings name their `lane`."),
                Entry(key: "region", type: "polygon", defaultValue: "whole frame",
                      meaning: "Only motion inside it is considered."),
                Entry(key: "tuning", type: "mapping", defaultValue: "see `tuning`",
                      meaning: "The detector's tunables; defaults suit 10–30 fps footage."),
            ], acceptedKeys: ConfigReader.trafficKeys),
            Section(path: "cameras[].traffic.signal", summary: "One polygon per lamp.", entries: [
                Entry(key: "red", type: "polygon", defaultValue: "required", meaning: "The red lamp."),
                Entry(key: "amber", type: "polygon", defaultValue: "none", meaning: "The amber lamp, if the head has one."),
                Entry(key: "green", type: "polygon", defaultValue: "required", meaning: "The green lamp."),
            ], acceptedKeys: ConfigReader.trafficSignalKeys),
            Section(path: "cameras[].traffic.lanes[]",
                    summary: "The lanes form (instead of `signal` and `stop_line`): up to 16 lanes.", entries: [
                Entry(key: "name", type: "text, 1–64 of A–Z a–z 0–9 - _ .", defaultValue: "required",
                      meaning: "Unique; a crossing names it (`lane`)."),
                Entry(key: "stop_line", type: "[[x, y], [x, y]]", defaultValue: "required",
                      meaning: "This lane's stop-line segment, at least 2 px long."),
                Entry(key: "signal", type: "text", defaultValue: "required",
                      meaning: "The `signals:` group that governs this lane."),
                Entry(key: "turn_on_red", type: "bool", defaultValue: "false",
                      meaning: "A turn lane where turning on red is lawful: no crossing is reported here on red."),
                Entry(key: "area", type: "polygon", defaultValue: "none",
                      meaning: "The lane's area: blobs are split along its border, and crossings count only inside "
                        + "a lane area (when any lane has one): the step over a stop line must start and end in one "
                        + "area, so it must straddle this lane's stop line, reaching 2 px past it at least (better "
                        + "further than a vehicle moves in a frame)."),
            ], acceptedKeys: ConfigReader.trafficLaneKeys),
            Section(path: "cameras[].traffic.tuning", summary: "Every key optional.", entries: [
                Entry(key: "lock_frames", type: "integer 1–100", defaultValue: "\(tuning.lockFrames)",
                      meaning: "Consecutive agreeing frames before a signal state is locked."),
                Entry(key: "dark_seconds", type: "seconds 0.05–60", defaultValue: number(tuning.darkSeconds),
                      meaning: "How long no lamp may be lit before the state becomes unknown."),
                Entry(key: "lamp_contrast", type: "luma 1–255", defaultValue: number(tuning.lampContrast),
                      meaning: "How much brighter than its unlit baseline a lamp must be to count as lit."),
                Entry(key: "model_width", type: "integer 32–1920", defaultValue: "\(tuning.modelWidth)",
                      meaning: "Width of the downscaled luma image the background model keeps."),
                Entry(key: "threshold", type: "luma 1–255", defaultValue: number(tuning.threshold),
                      meaning: "Difference from the background that makes a model pixel foreground."),
                Entry(key: "learning_rate", type: "0.0001–1", defaultValue: number(tuning.learningRate),
                      meaning: "Per-frame background adaptation where there is no motion."),
                Entry(key: "confirm_hits", type: "integer 1–100", defaultValue: "\(tuning.confirmHits)",
                      meaning: "Observations before a track is confirmed."),
                Entry(key: "coast_frames", type: "integer 0–1000", defaultValue: "\(tuning.coastFrames)",
                      meaning: "Frames a track survives without an observation."),
            ], acceptedKeys: ConfigReader.trafficTuningKeys),
        ]
    }

    /// The reference as Markdown (docs/CONFIGURATION.md).
    public static func markdown() -> String {
        var text = """
            # sightlined configuration reference

            Generated by `sightlined --config-reference` from the configuration structs' defaults; a test
            fails when this file and the loader disagree. Validate a file with `sightlined --check-config FILE`:
            every problem is reported with its line, unknown keys with the closest known one. YAML anchors and
            merge keys (`<<: *defaults`) work; top-level keys starting with `x-` are ignored (a place for anchors).
            A commented example: `Systemd/sightlined.example.yaml`.

            """
        for section in sections {
            text += "\n## `\(section.path)`\n\n\(section.summary)\n\n"
            text += "| Key | Type | Default | Meaning |\n|---|---|---|---|\n"
            for entry in section.entries {
                let words = ["required", "none", "all", "off", "driver's"]
                let plain = entry.defaultValue.hasPrefix("`") || entry.defaultValue.contains(" ")
                    || words.contains(entry.defaultValue)
                let value = plain ? entry.defaultValue : "`\(entry.defaultValue)`"
                text += "| `\(entry.key)` | \(entry.type) | \(value) | \(entry.meaning) |\n"
            }
        }
        return text
    }

    /// A number as YAML would spell it: no trailing `.0`.
    private static func number(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int(value)) : String(value)
    }
}
