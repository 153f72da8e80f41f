import Foundation
import SightlineSystem
import SightlineTestKit
import Testing

/// `DurableFile.write` on a real temporary directory, with failures injected through `FaultyFileSystem`.
@Suite struct DurableFileTests {
    static func directory() -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("durable-\(UUID().uuidString)").path
        try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    /// Names in `directory`, hidden ones included.
    static func entries(_ directory: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).sorted()
    }

    static func contents(_ path: String) -> [UInt8]? { FileManager.default.contents(atPath: path).map { [UInt8]($0) } }

    @Test func writesReplacesAndLeavesOnlyTheTarget() throws {
        let dir = Self.directory(), path = dir + "/gallery.sealed"
        try DurableFile.write(Array("old".utf8), to: path)
        try DurableFile.write(Array("new contents".utf8), to: path)
        #expect(Self.contents(path) == Array("new contents".utf8))
        #expect(Self.entries(dir) == ["gallery.sealed"])
        let mode = (try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as! NSNumber).intValue
        #expect(mode == 0o600)
    }

    @Test func theSequenceIsWriteSyncCloseRenameSyncDirectory() throws {
        let dir = Self.directory(), path = dir + "/f"
        let system = FaultyFileSystem(token: 0xAB)
        try DurableFile.write([1, 2, 3], to: path, system: system)
        let names = system.calls.map { $0.split(separator: " ")[0] }
        #expect(names == ["open", "write", "fsync", "close", "rename", "open", "fsync", "close"])
        #expect(system.calls[0] == "open \(dir)/.f.tmp-00000000000000ab")
        #expect(system.calls[5] == "open \(dir)")
    }

    @Test func aFullDiskIsReportedWithItsErrnoAndLeavesTheOriginal() throws {
        let dir = Self.directory(), path = dir + "/gallery.sealed"
        try DurableFile.write(Array("original".utf8), to: path)
        // 5 bytes fit, then the disk is full: a short write, then ENOSPC on the next call.
        let system = FaultyFileSystem(writeBudget: 5)
        let error = #expect(throws: FileSystemError.self) {
            try DurableFile.write(Array(repeating: 7, count: 64), to: path, system: system)
        }
        #expect(error?.call == "write" && error?.errno == .noSpace)
        #expect(error?.path.hasPrefix(dir + "/.gallery.sealed.tmp-") == true)
        #expect(system.calls.filter { $0.hasPrefix("write") }.count == 2)
        #expect(Self.contents(path) == Array("original".utf8))
        #expect(Self.entries(dir) == ["gallery.sealed"])
    }

    @Test func shortWritesAndInterruptionsAreContinued() throws {
        let dir = Self.directory(), path = dir + "/f"
        let system = FaultyFileSystem(maxWriteChunk: 3)
        system.fail(.write, with: .interrupted, .interrupted)
        system.fail(.open, with: .interrupted)
        let bytes = (0..<20).map { UInt8($0) }
        try DurableFile.write(bytes, to: path, system: system)
        #expect(Self.contents(path) == bytes)
        #expect(system.calls.filter { $0.hasPrefix("write") }.count == 2 + 7)
    }

    @Test(arguments: [FaultyFileSystem.Call.fsync, .close, .rename])
    func aFailedCallIsNamedWithItsOwnErrnoAndCleansUp(_ call: FaultyFileSystem.Call) throws {
        let dir = Self.directory(), path = dir + "/key"
        try DurableFile.write(Array("original".utf8), to: path)
        let system = FaultyFileSystem()
        system.fail(call, with: .ioError)
        do {
            try DurableFile.write([9, 9], to: path, system: system)
            Issue.record("no error")
        } catch {
            #expect(error.call == call.rawValue && error.errno == .ioError)
            // Read after close, errno would be close's (or 0, "Success"), not the failing call's.
            #expect(error.description.contains("Input/output error"))
        }
        #expect(Self.contents(path) == Array("original".utf8))
        #expect(Self.entries(dir) == ["key"])
    }

    @Test func aFailedDirectorySyncIsReported() throws {
        let dir = Self.directory(), path = dir + "/f"
        let system = FaultyFileSystem()
        system.fail(.fsync, with: nil, .ioError)  // the file's fsync passes, the directory's fails
        #expect(throws: FileSystemError(path: dir, call: "fsync", errno: .ioError)) {
            try DurableFile.write([2], to: path, system: system)
        }
    }

    @Test func aPlantedSymlinkAtTheTemporaryNameIsNeverFollowed() throws {
        let dir = Self.directory(), path = dir + "/gallery.sealed"
        let victim = dir + "/victim"
        try DurableFile.write(Array("precious".utf8), to: victim)
        let token: UInt64 = 0x1234
        try FileManager.default.createSymbolicLink(atPath: dir + "/.gallery.sealed.tmp-0000000000001234",
                                                   withDestinationPath: victim)
        #expect(throws: FileSystemError(path: dir + "/.gallery.sealed.tmp-0000000000001234", call: "open",
                                        errno: .fileExists)) {
            try DurableFile.write(Array("attacker-chosen".utf8), to: path, system: FaultyFileSystem(token: token))
        }
        #expect(Self.contents(victim) == Array("precious".utf8))
        #expect(!FileManager.default.fileExists(atPath: path))
    }

    @Test func keepRefusesToReplaceAndLeavesNoTemporary() throws {
        let dir = Self.directory(), path = dir + "/device.key"
        try DurableFile.write(Array("first".utf8), to: path, existing: .keep)
        #expect(throws: FileSystemError(path: path, call: "link", errno: .fileExists)) {
            try DurableFile.write(Array("second".utf8), to: path, existing: .keep)
        }
        #expect(Self.contents(path) == Array("first".utf8))
        #expect(Self.entries(dir) == ["device.key"])
    }

    @Test func temporaryNamesAreHiddenBesideTheTarget() {
        #expect(DurableFile.directoryName(of: "/a/b/c") == "/a/b")
        #expect(DurableFile.directoryName(of: "/c") == "/")
        #expect(DurableFile.directoryName(of: "c") == "")
    }
}
