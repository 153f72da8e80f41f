import Foundation
import SightlineCore
import Testing

/// As root, files written into a directory owned by the service user take that owner (so the daemon can read a
/// gallery or key that `sightline` wrote as root); as anyone else, nothing changes.
@Suite(.enabled(if: geteuid() == 0, "needs root to own files as another user"))
struct StateFileOwnerTests {
    @Test func newFileTakesTheDirectoryOwnerWhenRoot() throws {
        let directory = NSTemporaryDirectory() + "owner-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        #expect(chown(directory, 65534, 65534) == 0)
        let path = directory + "/file"
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0o600)
        #expect(fd >= 0)
        #expect(StateFileOwner.adopt(fd: fd, directory: directory))
        close(fd)
        var st = stat()
        #expect(stat(path, &st) == 0)
        #expect(st.st_uid == 65534 && st.st_gid == 65534)
        #expect(st.st_mode & 0o777 == 0o600)
    }

    @Test func rootOwnedDirectoryLeavesTheFileAlone() throws {
        let directory = NSTemporaryDirectory() + "owner-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/file"
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0o600)
        #expect(StateFileOwner.adopt(fd: fd, directory: directory))
        close(fd)
        var st = stat()
        #expect(stat(path, &st) == 0 && st.st_uid == 0)
    }
}
