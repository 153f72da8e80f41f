import EventLog
import Foundation
import SightlineCore

/// What the retained state topics say, derived from the events in seq order: each camera's signal state, whether
/// it is online, its crossings since local midnight, and the faces it detected in the last minute.
///
/// Saved with the publisher's position in the spool (`encoded()`), so that a restart goes on from the same counts.
/// The faces window is not saved: it only counts faces seen in the minute before now.
struct CameraStates: Sendable, Equatable, Codable {
    /// Local day (`yyyy-MM-dd`) the crossing counts are for.
    var day = ""
    var crossings: [String: Int] = [:]
    var signal: [String: String] = [:]
    var online: [String: Bool] = [:]
    /// Cameras whose discovery configs were published (to remove them when they leave the configuration).
    var announced: [String] = []
    /// Faces detected per camera: (event time in ns, count), newest last, pruned to the last minute.
    var faces: [String: [FaceSample]] = [:]

    struct FaceSample: Sendable, Equatable, Codable {
        var nanos: Int64
        var count: Int
    }

    private enum CodingKeys: String, CodingKey {
        case day, crossings, signal, online, announced
    }

    init() {}

    init(decoding bytes: [UInt8]?) {
        guard let bytes, let decoded = try? JSONDecoder().decode(CameraStates.self, from: Data(bytes)) else { return }
        self = decoded
    }

    func encoded() -> [UInt8] { (try? JSONEncoder().encode(self)).map { [UInt8]($0) } ?? [] }

    /// The local calendar day of a wall time.
    static func day(wallNanos: Int64, timeZone: TimeZone) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        let date = Date(timeIntervalSince1970: Double(wallNanos) / 1e9)
        let c = calendar.dateComponents([.year, .month, .day], from: date)
        return String(format: "%04d-%02d-%02d", c.year ?? 0, c.month ?? 0, c.day ?? 0)
    }

    /// Starts a new day's counts when `today` is not the day counted.
    mutating func roll(to today: String) {
        guard today != day else { return }
        day = today
        for key in crossings.keys { crossings[key] = 0 }
    }

    /// Applies one event. `timeZone` decides the day a crossing counts for.
    mutating func apply(_ event: Event, wallNanos: Int64, timeZone: TimeZone) {
        switch DetectionType(rawValue: event.type) {
        case .trafficRedLightCrossing:
            let eventDay = Self.day(wallNanos: wallNanos, timeZone: timeZone)
            if eventDay > day { roll(to: eventDay) }
            if eventDay == day { crossings[event.camera, default: 0] += 1 }
        case .trafficSignalState:
            if case .string(let state)? = event.body["state"] { signal[event.camera] = state }
        case .cameraStatus:
            if case .string(let state)? = event.body["state"] { online[event.camera] = state == "online" }
        case .faceDetected:
            if case .int(let count)? = event.body["count"], count > 0, let n = Int(exactly: count) {
                faces[event.camera, default: []].append(FaceSample(nanos: wallNanos, count: n))
            }
        default:
            break
        }
    }

    /// Faces of `camera` with an event time in the minute before `nowNanos`; drops older samples.
    mutating func facesLastMinute(camera: String, nowNanos: Int64) -> Int {
        let since = nowNanos - 60_000_000_000
        var samples = faces[camera] ?? []
        samples.removeAll { $0.nanos < since }
        faces[camera] = samples.isEmpty ? nil : samples
        return samples.reduce(0) { $0 + $1.count }
    }
}
