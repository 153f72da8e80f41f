import EventLog
import Foundation
import Logging
import SightlineConfig
import SightlineCore
import SightlineTestKit
import Testing
@testable import SightlineRuntime

/// The event sink's per-camera rules on a real event log: the type switch and the rate limit per camera and
/// type (the excess is dropped, never signed, and other cameras and types are not affected).
@Suite struct EventSinkTests {
    /// A settable monotonic clock.
    final class Clock: @unchecked Sendable {
        var nanos: UInt64 = 3_600_000_000_000
    }

    static func sink(limit: Int, types: Set<DetectionType>? = nil, clock: Clock = Clock()) throws -> (EventSink, EventLog) {
        let dir = temporaryDirectory("sink")
        let key = try DeviceKey.loadOrCreate(stateDirectory: dir).key
        var logger = Logger(label: "test.sink")
        logger.logLevel = .critical
        let log = try EventLog(configuration: EventLogConfiguration(stateDirectory: dir), key: key, logger: logger)
        var busy = CameraConfiguration(id: "busy", source: .mjpeg(path: "/dev/null"))
        busy.events = CameraEventsConfiguration(types: types, maxPerMinute: limit)
        let calm = CameraConfiguration(id: "calm", source: .mjpeg(path: "/dev/null"))
        let events = EventsConfiguration(log: EventLogConfiguration(stateDirectory: dir), maxPerMinute: 1000)
        let sink = EventSink(log: log, rules: .init(configuration: events, cameras: [busy, calm]), logger: logger,
                             monotonicNanos: { clock.nanos })
        return (sink, log)
    }

    static func detection(_ type: DetectionType, camera: String, seq: UInt64) -> Detection {
        Detection(type: type, camera: camera, frameSeq: seq, wallNanos: Clocks.wallNanos(), body: ["n": .int(Int64(seq))])
    }

    static func signed(_ log: EventLog) throws -> [(camera: String, type: String)] {
        try log.spool.allEvents().compactMap { spooled in
            let object = try JSONSerialization.jsonObject(with: Data(spooled.line)) as? [String: Any]
            guard let type = object?["type"] as? String, type != "log.checkpoint" else { return nil }
            return (object?["camera"] as? String ?? "", type)
        }
    }

    @Test func aFlappingDetectorIsCappedPerCameraAndType() throws {
        let clock = Clock()
        let (sink, log) = try Self.sink(limit: 3, clock: clock)
        for seq in 1...20 { sink.write(Self.detection(.faceDetected, camera: "busy", seq: UInt64(seq))) }
        for seq in 1...2 { sink.write(Self.detection(.frameStats, camera: "busy", seq: UInt64(seq))) }
        for seq in 1...20 { sink.write(Self.detection(.faceDetected, camera: "calm", seq: UInt64(seq))) }
        sink.flush()
        let events = try Self.signed(log)
        #expect(events.filter { $0.camera == "busy" && $0.type == "face.detected" }.count == 3)
        #expect(events.filter { $0.camera == "busy" && $0.type == "frame.stats" }.count == 2)
        #expect(events.filter { $0.camera == "calm" }.count == 20)
        // The next minute has its own allowance.
        clock.nanos += 60_000_000_000
        for seq in 21...30 { sink.write(Self.detection(.faceDetected, camera: "busy", seq: UInt64(seq))) }
        sink.flush()
        #expect(try Self.signed(log).filter { $0.camera == "busy" && $0.type == "face.detected" }.count == 6)
    }

    @Test func typesNotListedForACameraAreNotSigned() throws {
        let (sink, log) = try Self.sink(limit: 100, types: [.faceMatch])
        sink.write(Self.detection(.faceDetected, camera: "busy", seq: 1))
        sink.write(Self.detection(.faceMatch, camera: "busy", seq: 2))
        sink.write(Self.detection(.faceDetected, camera: "calm", seq: 3))
        sink.flush()
        let events = try Self.signed(log)
        #expect(events.map(\.type) == ["face.match", "face.detected"])
        #expect(events.map(\.camera) == ["busy", "calm"])
    }

    /// A `face.match` over the rate limit is dropped with its evidence: the image of an identified person is
    /// not held in memory until the next flush (it was, keyed by `evidence_sha256`, before detections carried
    /// their evidence).
    @Test func aRateLimitedMatchDropsItsEvidenceAtOnce() throws {
        let (sink, log) = try Self.sink(limit: 1)
        let jpeg: [UInt8] = [0xFF, 0xD8] + Array(repeating: 0x42, count: 1000) + [0xFF, 0xD9]
        for seq in UInt64(1)...2 {
            var detection = Self.detection(.faceMatch, camera: "busy", seq: seq)
            detection.evidence = .images([jpeg])
            sink.write(detection)
        }
        #expect(sink.retainedEvidenceBytes == 0)
        let events = try log.spool.allEvents().compactMap {
            try JSONSerialization.jsonObject(with: Data($0.line)) as? [String: Any]
        }.filter { $0["type"] as? String == "face.match" }
        #expect(events.count == 1)
        #expect((events.first?["evidence"] as? [Any])?.count == 1)
    }

    /// A crossing waits for its pending pictures and is emitted with them; one over the limit cancels its
    /// evidence, so its stage never encodes the frames; `flush` emits what still waits, without pictures.
    @Test func pendingEvidenceIsAttachedWhenItComesAndCancelledWhenNotWanted() throws {
        let (sink, log) = try Self.sink(limit: 2)
        let first = PendingEvidence(), second = PendingEvidence(), third = PendingEvidence()
        for (seq, evidence) in [(UInt64(1), first), (2, second), (3, third)] {
            var crossing = Self.detection(.trafficRedLightCrossing, camera: "busy", seq: seq)
            crossing.evidence = .pending(evidence)
            sink.write(crossing)
        }
        #expect(first.isWanted && second.isWanted)
        #expect(!third.isWanted, "over the limit: the stage must not make its pictures")
        #expect(try Self.signed(log).isEmpty, "crossings wait for their pictures")
        first.fulfil([[0xFF, 0xD8, 1, 0xFF, 0xD9], [0xFF, 0xD8, 2, 0xFF, 0xD9], [0xFF, 0xD8, 3, 0xFF, 0xD9]])
        #expect(try Self.signed(log).count == 1)
        sink.flush()
        #expect(!second.isWanted)
        second.fulfil([[0xFF, 0xD8, 4, 0xFF, 0xD9]])  // too late: already emitted without
        let events = try log.spool.allEvents().compactMap {
            try JSONSerialization.jsonObject(with: Data($0.line)) as? [String: Any]
        }.filter { $0["type"] as? String == "traffic.red_light_crossing" }
        #expect(events.map { ($0["evidence"] as? [Any])?.count ?? -1 } == [3, 0])
    }
}
