import EventLog
import Foundation
import Logging
import SightlineCore
import SightlineSystem
import SightlineTestKit
import Testing

/// `DeviceRotation`: a new key replaces the old one only when the old one's events are safe, and the old key
/// and its spool are archived together so the old chain stays verifiable.
@Suite struct DeviceRotationTests {
    /// A state directory whose log has `count` events, the first `delivered` of them acknowledged.
    static func stateWithEvents(count: Int, delivered: Int) throws -> (dir: String, device: String) {
        let dir = temporaryDirectory()
        let log = try EventLogTests.openLog(dir)
        for index in 0..<count {
            try log.emit(camera: "cam", type: "frame.stats", body: ["n": .int(Int64(index))])
        }
        if delivered > 0 { try log.spool.acknowledge(through: UInt64(delivered), nowNanos: Clocks.wallNanos()) }
        return (dir, log.device)
    }

    @Test func deliveredLogIsArchivedWithItsKeyAndANewKeyTakesOver() throws {
        let (dir, oldDevice) = try Self.stateWithEvents(count: 3, delivered: 3)
        let outcome = try DeviceRotation.rotate(stateDirectory: dir, force: false)
        #expect(outcome.oldDevice == oldDevice)
        #expect(outcome.newKey.deviceID != oldDevice)
        #expect(outcome.undeliveredArchived == 0)
        #expect(outcome.archive.hasPrefix(dir + "/retired/\(oldDevice)-"))
        // The archive holds the old key and a spool that still checks out under it.
        let archivedKey = try DeviceKey.load(path: outcome.archive + "/" + DeviceKey.fileName)
        #expect(archivedKey.deviceID == oldDevice)
        let archived = try EventLog(configuration: EventLogConfiguration(stateDirectory: outcome.archive),
                                    key: archivedKey, logger: Logger(label: "test"))
        #expect(try archived.spool.state().lastSeq == 3)
        // The state directory now has the new key (0600) and no spool; a log opened there starts a new chain.
        let path = dir + "/" + DeviceKey.fileName
        #expect(try DeviceKey.load(path: path).deviceID == outcome.newKey.deviceID)
        let mode = (try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as! NSNumber).intValue
        #expect(mode == 0o600)
        #expect(!FileManager.default.fileExists(atPath: dir + "/" + EventSpool.fileName))
        let fresh = try EventLogTests.openLog(dir)
        #expect(fresh.device == outcome.newKey.deviceID)
        #expect(try fresh.emit(camera: "cam", type: "frame.stats", body: [:]).seq == 1)
    }

    @Test func undeliveredEventsBlockRotationUnlessForced() throws {
        let (dir, oldDevice) = try Self.stateWithEvents(count: 5, delivered: 2)
        #expect(throws: DeviceRotationError.undelivered(count: 3)) {
            try DeviceRotation.rotate(stateDirectory: dir, force: false)
        }
        // Nothing moved.
        #expect(try DeviceKey.load(path: dir + "/" + DeviceKey.fileName).deviceID == oldDevice)
        #expect(FileManager.default.fileExists(atPath: dir + "/" + EventSpool.fileName))
        let outcome = try DeviceRotation.rotate(stateDirectory: dir, force: true)
        #expect(outcome.undeliveredArchived == 3)
        #expect(FileManager.default.fileExists(atPath: outcome.archive + "/" + EventSpool.fileName))
    }

    @Test func anOpenSpoolBlocksRotation() throws {
        let dir = temporaryDirectory()
        let log = try EventLogTests.openLog(dir)
        try log.emit(camera: "cam", type: "frame.stats", body: [:])
        // This process holds the spool open, as a running daemon would.
        #expect(throws: DeviceRotationError.spoolInUse(pid: getpid())) {
            try DeviceRotation.rotate(stateDirectory: dir, force: true)
        }
        #expect(try DeviceKey.load(path: dir + "/" + DeviceKey.fileName).deviceID == log.device)
    }

    @Test func missingKeyIsReported() {
        let dir = temporaryDirectory()
        #expect(throws: DeviceRotationError.noKey(path: dir + "/" + DeviceKey.fileName)) {
            try DeviceRotation.rotate(stateDirectory: dir, force: false)
        }
    }
}

/// A key written by root into the service user's state directory is readable by that user.
@Suite(.enabled(if: geteuid() == 0, "needs root"))
struct DeviceKeyOwnershipTests {
    @Test func rotatedKeyBelongsToTheStateDirectoryOwner() throws {
        let (dir, _) = try DeviceRotationTests.stateWithEvents(count: 1, delivered: 1)
        #expect(chown(dir, 65534, 65534) == 0)
        let outcome = try DeviceRotation.rotate(stateDirectory: dir, force: false)
        var st = stat()
        #expect(stat(dir + "/" + DeviceKey.fileName, &st) == 0)
        #expect(st.st_uid == 65534)
        #expect(try DeviceKey.load(path: dir + "/" + DeviceKey.fileName).deviceID == outcome.newKey.deviceID)
    }
}

/// `DeviceKey.write` through the durable-file helper: a failure names the call and its own errno.
@Suite struct DeviceKeyWriteTests {
    @Test func aFullDiskIsReportedAsSuchAndLeavesNoKeyNorTemporary() throws {
        let dir = temporaryDirectory("keywrite")
        let path = dir + "/" + DeviceKey.fileName
        // The old code reported a short write as "Success" (errno read after close).
        let error = #expect(throws: DeviceKeyError.self) {
            try DeviceKey.generate().write(path: path, system: FaultyFileSystem(writeBudget: 10))
        }
        guard case .cannotWrite(_, let reason)? = error else { Issue.record("\(String(describing: error))"); return }
        #expect(reason == "write failed: \(Errno.noSpace)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir).isEmpty)
    }

    @Test func anExistingKeyIsNeverReplaced() throws {
        let dir = temporaryDirectory("keywrite")
        let path = dir + "/" + DeviceKey.fileName
        let first = DeviceKey.generate()
        try first.write(path: path)
        #expect(throws: DeviceKeyError.self) { try DeviceKey.generate().write(path: path) }
        #expect(try DeviceKey.load(path: path).deviceID == first.deviceID)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir) == [DeviceKey.fileName])
    }
}
