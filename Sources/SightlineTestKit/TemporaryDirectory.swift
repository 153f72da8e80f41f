import Foundation
import Synchronization

/// A fresh directory under the system's temporary directory, named `sightline-NAME-UUID`, removed with everything in
/// it when the test process exits (tests that make one per case would otherwise leave dozens behind each run).
public func temporaryDirectory(_ name: String = "test") -> String {
    let path = NSTemporaryDirectory() + "sightline-\(name)-\(UUID().uuidString)"
    try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    temporaryDirectories.withLock { paths in
        if paths.isEmpty {
            atexit {
                for path in temporaryDirectories.withLock({ $0 }) { try? FileManager.default.removeItem(atPath: path) }
            }
        }
        paths.append(path)
    }
    return path
}

/// The directories `temporaryDirectory` made, for removal at exit.
private let temporaryDirectories = Mutex<[String]>([])
