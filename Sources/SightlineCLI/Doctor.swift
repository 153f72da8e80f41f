import Capture
import FaceKit
import Foundation
import SightlineConfig

/// One finding of `sightline doctor`: what was checked, how it went, and what to do about it.
struct DoctorCheck: Codable, Sendable, Equatable {
    enum Status: String, Codable, Sendable {
        case ok, warn, fail
    }

    var status: Status
    /// What was checked: `config`, `camera door`, `model frontal_face_detector.svm`, `state`, `collector`, …
    var name: String
    var message: String
    /// What to change; nil when nothing needs to.
    var fix: String?

    static func ok(_ name: String, _ message: String) -> DoctorCheck {
        DoctorCheck(status: .ok, name: name, message: message, fix: nil)
    }

    static func warn(_ name: String, _ message: String, fix: String?) -> DoctorCheck {
        DoctorCheck(status: .warn, name: name, message: message, fix: fix)
    }

    static func fail(_ name: String, _ message: String, fix: String) -> DoctorCheck {
        DoctorCheck(status: .fail, name: name, message: message, fix: fix)
    }

    /// `FAIL camera door: /dev/video0 does not exist — fix: …`
    var line: String {
        let label = status == .ok ? "ok  " : status.rawValue.uppercased()
        return "\(label) \(name): \(message)" + (fix.map { " — fix: \($0)" } ?? "")
    }
}

/// Checks that a box can run `sightlined` with a given configuration, as the service user: the
/// configuration loads, the cameras and footage are there and usable, the models match their checksums,
/// the state directory and device key are right, the collector answers and knows the device, the MQTT broker
/// takes the configured credentials and a message, the clock
/// is sane. Read-only: it creates nothing and changes nothing.
struct Doctor {
    struct Settings {
        var configPath: String
        /// The service user (`--user`); see `ServiceIdentity` for users that do not exist.
        var user: String
        /// The unit's `SupplementaryGroups`, assumed for a dynamic user.
        var dynamicGroups = ["video"]
        /// Expected model checksums by file name.
        var manifest = ModelManifest.builtIn
        /// Where V4L2 calls go (a fake device in tests).
        var v4l2: any V4L2System = LibV4L2System.shared
        var collectorTimeoutSeconds = 3.0
        var now: @Sendable () -> Date = { Date() }
        /// Present when systemd-timesyncd has synchronised the clock.
        var timesyncFlag = "/run/systemd/timesync/synchronized"
        /// `timedatectl`, asked when the flag is absent; nil or missing: not asked.
        var timedatectl: String? = "/usr/bin/timedatectl"
    }

    let settings: Settings

    func run() -> [DoctorCheck] {
        let identity = ServiceIdentity.resolve(name: settings.user, dynamicGroups: settings.dynamicGroups)
        var checks: [DoctorCheck] = []
        let configuration: DaemonConfiguration
        do {
            configuration = try ConfigLoader.load(path: settings.configPath)
            let cameras = configuration.cameras.filter(\.enabled).count
            checks.append(.ok("config", "\(settings.configPath) loads (\(cameras) enabled camera(s))"))
        } catch {
            let issues = error.issues.map(\.description)
            checks.append(.fail("config", issues.joined(separator: "; "),
                                fix: "correct the lines named, then check with 'sightlined --check-config "
                                    + "\(settings.configPath)'"))
            return checks + [user(identity), clock()]
        }
        checks.append(user(identity))
        for camera in configuration.cameras where camera.enabled {
            checks += self.camera(camera, identity: identity)
        }
        checks += models(configuration, identity: identity)
        checks += state(configuration, identity: identity)
        checks += collector(configuration)
        checks += mqtt(configuration)
        checks.append(clock())
        return checks
    }

    func user(_ identity: ServiceIdentity) -> DoctorCheck {
        guard identity.isDynamic else { return .ok("user", "checking access as \(identity)") }
        return .ok("user", "'\(identity.name)' is not in the user database: checking access as \(identity), "
                    + "as the systemd unit runs it")
    }

    /// Wall clock after 2024 (signed event times and TLS need it); synchronisation only warns.
    func clock() -> DoctorCheck {
        let now = settings.now()
        let utc = TimeZone(identifier: "UTC")!
        let year = Calendar(identifier: .gregorian).dateComponents(in: utc, from: now).year ?? 0
        let stamp = ISO8601DateFormatter().string(from: now)
        guard year >= 2024 else {
            return .fail("clock", "the wall clock says \(stamp)",
                         fix: "set the time and keep it synchronised (timedatectl set-ntp true, or chrony)")
        }
        if FileManager.default.fileExists(atPath: settings.timesyncFlag) {
            return .ok("clock", "\(stamp), synchronised (systemd-timesyncd)")
        }
        if let tool = settings.timedatectl, FileManager.default.isExecutableFile(atPath: tool) {
            let answer = Self.output(of: tool, ["show", "--property=NTPSynchronized", "--value"])
            if answer == "yes" { return .ok("clock", "\(stamp), synchronised (timedatectl)") }
            if answer == "no" {
                return .warn("clock", "\(stamp), not synchronised (timedatectl)",
                             fix: "enable time synchronisation: timedatectl set-ntp true")
            }
        }
        return .ok("clock", "\(stamp) (cannot tell whether it is synchronised)")
    }

    /// Standard output of a short command, trimmed; nil when it cannot run or fails.
    static func output(of tool: String, _ arguments: [String]) -> String? {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: tool)
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        guard (try? process.run()) != nil else { return nil }
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { return nil }
        return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
