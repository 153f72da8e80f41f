import Foundation
import Logging
import SightlineSystem

/// Why a device key could not be rotated.
public enum DeviceRotationError: Error, Sendable, Equatable, CustomStringConvertible {
    /// There is no key to rotate in the state directory.
    case noKey(path: String)
    /// A process (the daemon, usually) has the spool open; rotating under it would split the log.
    case spoolInUse(pid: Int32)
    /// Events signed by the old key have not reached the collector yet.
    case undelivered(count: Int)
    /// Reading the spool, moving files or writing the new key failed.
    case io(String)

    public var description: String {
        switch self {
        case .noKey(let path): "no device key at \(path); create one with `sightline keygen`"
        case .spoolInUse(let pid):
            "process \(pid) has the spool open; stop the daemon first (systemctl stop sightlined)"
        case .undelivered(let count):
            "\(count) event(s) signed by the old key are not delivered yet; start the daemon until the collector "
                + "has them (metric sightline_events_pending 0), or pass --force to archive them undelivered"
        case .io(let message): message
        }
    }
}

/// Replaces the device key: the old key and its spool (events, checkpoints, evidence) move together to
/// `retired/DEVICE-TIME/` in the state directory, and a new key (a new device id) takes their place.
///
/// A key is the device's identity: the collector chains events per device, so a new key starts a new chain
/// that must be registered as a new device. The old chain stays verifiable with the old public key, and the
/// archived spool with `sightline events check-spool`.
public enum DeviceRotation {
    /// What a rotation did.
    public struct Outcome: Sendable {
        /// The device id of the retired key.
        public var oldDevice: String
        /// The new key, already written (0600) to the state directory.
        public var newKey: DeviceKey
        /// Where the old key and spool now are.
        public var archive: String
        /// Events archived without having been delivered (only with `force`).
        public var undeliveredArchived: Int
    }

    /// Rotates the key in `stateDirectory`. Refuses while any process has the spool open, and while events
    /// are undelivered unless `force`.
    public static func rotate(
        stateDirectory: String, force: Bool, now: Date = Date(), logger: Logger = Logger(label: "sightline.rotate")
    ) throws(DeviceRotationError) -> Outcome {
        let keyPath = (stateDirectory as NSString).appendingPathComponent(DeviceKey.fileName)
        guard FileManager.default.fileExists(atPath: keyPath) else { throw .noKey(path: keyPath) }
        let oldKey: DeviceKey
        do { oldKey = try DeviceKey.load(path: keyPath) } catch { throw .io("\(error)") }

        let spoolPath = (stateDirectory as NSString).appendingPathComponent(EventSpool.fileName)
        let spoolFiles = [spoolPath, spoolPath + "-wal", spoolPath + "-shm"]
        if let pid = processHolding(spoolFiles) { throw .spoolInUse(pid: pid) }
        var undelivered = 0
        if FileManager.default.fileExists(atPath: spoolPath) {
            do {
                undelivered = try EventSpool(path: spoolPath, logger: logger).pendingCount()
            } catch { throw .io("cannot read the spool \(spoolPath): \(error)") }
        }
        if undelivered > 0 && !force { throw .undelivered(count: undelivered) }

        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyyMMdd'T'HHmmss'Z'"
        let archive = (stateDirectory as NSString).appendingPathComponent(
            "retired/\(oldKey.deviceID)-\(formatter.string(from: now))")
        do {
            try FileManager.default.createDirectory(
                atPath: archive, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        } catch { throw .io("cannot create \(archive): \(error)") }
        // The spool first, the key last: a crash in between leaves the old key with no spool, which the
        // daemon starts afresh from, rather than a new key beside the old key's spool, which it refuses.
        for file in spoolFiles + [keyPath] where FileManager.default.fileExists(atPath: file) {
            let target = (archive as NSString).appendingPathComponent((file as NSString).lastPathComponent)
            guard rename(file, target) == 0 else {
                throw .io("cannot move \(file) to \(target): \(String(cString: strerror(errno)))")
            }
        }
        do {
            // The moves are durable before the new key exists: both directories' entries changed.
            try DurableFile.syncDirectory(archive)
            try DurableFile.syncDirectory(stateDirectory)
        } catch { throw .io("\(error)") }
        let newKey = DeviceKey.generate()
        do { try newKey.write(path: keyPath) } catch { throw .io("\(error)") }
        return Outcome(oldDevice: oldKey.deviceID, newKey: newKey, archive: archive, undeliveredArchived: undelivered)
    }

    /// The first process (other than none) with one of `paths` open, found through /proc/PID/fd.
    static func processHolding(_ paths: [String]) -> Int32? {
        let wanted = Set(paths.map { URL(fileURLWithPath: $0).standardizedFileURL.resolvingSymlinksInPath().path })
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: "/proc") else { return nil }
        for entry in entries {
            guard let pid = Int32(entry) else { continue }
            let fdDirectory = "/proc/\(entry)/fd"
            guard let fds = try? FileManager.default.contentsOfDirectory(atPath: fdDirectory) else { continue }
            for fd in fds {
                if let target = try? FileManager.default.destinationOfSymbolicLink(atPath: "\(fdDirectory)/\(fd)"),
                   wanted.contains(target) {
                    return pid
                }
            }
        }
        return nil
    }
}
