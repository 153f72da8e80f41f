import EventLog
import Foundation
@testable import MQTT
import SightlineCore
import Testing

/// The retained states derived from events: crossings per local day, the signal, online, faces in the last minute.
@Suite struct CameraStatesTests {
    static let utc = TimeZone(identifier: "UTC")!
    /// 2026-12-05T23:59:30Z in nanoseconds.
    static let lateEvening: Int64 = 1_796_515_170 * 1_000_000_000

    static func event(_ type: String, camera: String = "door", body: [String: JSONValue] = [:]) -> Event {
        Event(device: "sl-x", seq: 1, prev: Event.genesisPrev, time: "", camera: camera, type: type, body: body)
    }

    @Test func crossingsCountPerLocalDayAndStartAgainAtMidnight() {
        var states = CameraStates()
        states.roll(to: CameraStates.day(wallNanos: Self.lateEvening, timeZone: Self.utc))
        #expect(states.day == "2026-12-05")
        for _ in 0..<3 {
            states.apply(Self.event("traffic.red_light_crossing"), wallNanos: Self.lateEvening, timeZone: Self.utc)
        }
        states.apply(Self.event("traffic.red_light_crossing", camera: "yard"), wallNanos: Self.lateEvening,
                     timeZone: Self.utc)
        #expect(states.crossings == ["door": 3, "yard": 1])
        // The first crossing after midnight starts the new day's count.
        let afterMidnight = Self.lateEvening + 60_000_000_000
        states.apply(Self.event("traffic.red_light_crossing"), wallNanos: afterMidnight, timeZone: Self.utc)
        #expect(states.day == "2026-12-06" && states.crossings == ["door": 1, "yard": 0])
        // A late event of the day before does not count for today.
        states.apply(Self.event("traffic.red_light_crossing"), wallNanos: Self.lateEvening, timeZone: Self.utc)
        #expect(states.crossings["door"] == 1)
        // The day is the box's local one: 23:59:30 UTC is already the next day in Tokyo.
        #expect(CameraStates.day(wallNanos: Self.lateEvening, timeZone: TimeZone(identifier: "Asia/Tokyo")!)
            == "2026-12-06")
    }

    @Test func signalOnlineAndFacesInTheLastMinute() {
        var states = CameraStates()
        states.apply(Self.event("traffic.signal_state", body: ["state": .string("amber")]), wallNanos: 0,
                     timeZone: Self.utc)
        states.apply(Self.event("camera.status", body: ["state": .string("offline"), "reason": .string("lost")]),
                     wallNanos: 0, timeZone: Self.utc)
        let t = Self.lateEvening
        states.apply(Self.event("face.detected", body: ["count": .int(2)]), wallNanos: t, timeZone: Self.utc)
        states.apply(Self.event("face.detected", body: ["count": .int(3)]), wallNanos: t + 30_000_000_000,
                     timeZone: Self.utc)
        states.apply(Self.event("face.match", body: ["count": .int(9)]), wallNanos: t, timeZone: Self.utc)
        #expect(states.signal == ["door": "amber"] && states.online == ["door": false])
        #expect(states.facesLastMinute(camera: "door", nowNanos: t + 40_000_000_000) == 5)
        #expect(states.facesLastMinute(camera: "door", nowNanos: t + 70_000_000_000) == 3)
        #expect(states.facesLastMinute(camera: "door", nowNanos: t + 100_000_000_000) == 0)
        // Saved and read back with the position: everything but the faces window.
        let restored = CameraStates(decoding: states.encoded())
        #expect(restored.signal == states.signal && restored.online == states.online && restored.faces.isEmpty)
        #expect(CameraStates(decoding: Array("not json".utf8)) == CameraStates())
    }
}
