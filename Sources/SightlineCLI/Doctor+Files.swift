import EventLog
import FaceKit
import Foundation
import Matcher
import SightlineConfig
#if canImport(Glibc)
import Glibc
#endif

extension Doctor {
    /// The model files the configured face stages load, present, readable and with the manifest's SHA-256;
    /// each gallery that recognition uses, present and readable.
    func models(_ configuration: DaemonConfiguration, identity: ServiceIdentity) -> [DoctorCheck] {
        var files: [String] = []
        var galleries: [String] = []
        var checks: [DoctorCheck] = []
        for camera in configuration.cameras where camera.enabled {
            guard let faces = camera.faces, faces.detect else { continue }
            var names = [FaceDescriber.FileName.detector]
            if faces.recognize.enabled {
                names += [FaceDescriber.FileName.landmarks, FaceDescriber.FileName.embedder]
                galleries += [faces.recognize.gallery, faces.recognize.key].compactMap { $0 }
            }
            // The directory the daemon would use: faces.models, else SIGHTLINE_MODELS, the installed models, or
            // Models/files (ModelDirectory).
            guard let directory = faces.models ?? (try? ModelDirectory.resolve(explicit: nil, needing: names))?.path
            else {
                let searched = ModelDirectory.candidates(
                    explicit: nil, environment: ProcessInfo.processInfo.environment[ModelDirectory.environmentVariable],
                    executable: ModelDirectory.executablePath(),
                    currentDirectory: FileManager.default.currentDirectoryPath).map(\.path)
                let wanted = names.joined(separator: ", ")
                checks.append(.fail("models", "camera '\(camera.id)': no directory holds \(wanted) (searched "
                                        + searched.joined(separator: ", ") + ")",
                                    fix: "run Models/fetch and make install, or set faces.models"))
                continue
            }
            files += names.map { directory + "/" + $0 }
        }
        var seen = Set<String>()
        checks += files.filter { seen.insert($0).inserted }.map { model($0, identity: identity) }
        checks += galleries.filter { seen.insert($0).inserted }.map { path -> DoctorCheck in
            let name = "gallery \((path as NSString).lastPathComponent)"
            guard FileManager.default.fileExists(atPath: path) else {
                return .fail(name, "\(path) does not exist",
                             fix: "enrol first (sightline gallery enroll …) or correct faces.recognize")
            }
            guard identity.can(.read, path) else {
                let owner = ServiceIdentity.modeAndOwner(path)
                return .fail(name, "\(path) (\(owner)) is not readable by \(identity.name)",
                             fix: "chown it to the service user or put it in the state directory")
            }
            return .ok(name, "\(path) is readable by \(identity.name)")
        }
        return checks
    }

    func model(_ path: String, identity: ServiceIdentity) -> DoctorCheck {
        let file = (path as NSString).lastPathComponent
        let name = "model \(file)"
        guard FileManager.default.fileExists(atPath: path) else {
            return .fail(name, "\(path) is missing",
                         fix: "run Models/fetch and copy Models/files/\(file) there, or set faces.models")
        }
        guard identity.can(.read, path) else {
            return .fail(name, "\(path) (\(ServiceIdentity.modeAndOwner(path))) is not readable by \(identity.name)",
                         fix: "chmod a+r \(path)")
        }
        guard let expected = settings.manifest.sha256[file] else {
            return .warn(name, "\(path) is present but no checksum is known for it",
                         fix: "compare it with the dlib model you meant to install")
        }
        let actual: String
        do {
            actual = try ModelFingerprint.sha256(ofFile: path).lowercased()
        } catch {
            return .fail(name, "cannot read \(path): \(error)", fix: "check the file and its permissions")
        }
        guard actual == expected else {
            return .fail(name, "\(path) has SHA-256 \(actual.prefix(16))…, expected \(expected.prefix(16))…",
                         fix: "replace it with the file Models/fetch places (it checks the sums)")
        }
        return .ok(name, "\(path) matches its SHA-256")
    }

    /// The state directory: present (or creatable) and writable by the service user; the device key
    /// private (0600) when present.
    func state(_ configuration: DaemonConfiguration, identity: ServiceIdentity) -> [DoctorCheck] {
        let directory = configuration.stateDirectory
        var checks: [DoctorCheck] = []
        var isDirectory: ObjCBool = false
        if !FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory) {
            let parent = (directory as NSString).deletingLastPathComponent
            if identity.isDynamic && directory == DaemonConfiguration.defaultStateDirectory {
                checks.append(.ok("state", "\(directory) does not exist yet; systemd creates it (StateDirectory=)"))
            } else if identity.can(.write, parent) && identity.can(.search, parent) {
                checks.append(.ok("state", "\(directory) does not exist yet; \(identity.name) can create it"))
            } else {
                checks.append(.fail("state", "\(directory) does not exist and \(identity.name) cannot create it",
                                    fix: "mkdir -m 0700 \(directory) && chown \(identity.name) \(directory)"))
            }
        } else if !isDirectory.boolValue {
            checks.append(.fail("state", "\(directory) is not a directory", fix: "remove it or change state_dir"))
        } else if identity.isDynamic && directory == DaemonConfiguration.defaultStateDirectory {
            checks.append(.ok("state", "\(directory) exists; systemd hands it to the dynamic user at start"))
        } else if !(identity.can(.write, directory) && identity.can(.search, directory)) {
            checks.append(.fail("state", "\(directory) (\(ServiceIdentity.modeAndOwner(directory))) is not writable "
                                    + "by \(identity.name)",
                                fix: "chown -R \(identity.name) \(directory) && chmod 0700 \(directory)"))
        } else {
            checks.append(.ok("state", "\(directory) is writable by \(identity.name)"))
        }
        if identity.isDynamic && directory != DaemonConfiguration.defaultStateDirectory {
            checks.append(.warn("state", "the unit makes only \(DaemonConfiguration.defaultStateDirectory) writable "
                                    + "(ProtectSystem=strict, StateDirectory=sightline)",
                                fix: "use state_dir: \(DaemonConfiguration.defaultStateDirectory), or add "
                                    + "ReadWritePaths=\(directory) to the unit"))
        }
        if configuration.events != nil { checks.append(deviceKey(directory, identity: identity)) }
        return checks
    }

    func deviceKey(_ directory: String, identity: ServiceIdentity) -> DoctorCheck {
        let path = directory + "/" + DeviceKey.fileName
        var info = stat()
        guard stat(path, &info) == 0 else {
            return .warn("device key", "\(path) does not exist yet",
                         fix: "the daemon creates it on first start; then register it (sightline device show)")
        }
        guard info.st_mode & 0o077 == 0 else {
            return .fail("device key", "\(path) is mode \(String(info.st_mode & 0o777, radix: 8)): others may read "
                             + "the signing key", fix: "chmod 0600 \(path), and consider rotating the key")
        }
        guard identity.isDynamic || identity.can(.read, path) else {
            return .fail("device key", "\(path) is not readable by \(identity.name)",
                         fix: "chown \(identity.name) \(path)")
        }
        guard let key = try? DeviceKey.load(path: path) else {
            return .fail("device key", "\(path) is not a Sightline device key",
                         fix: "move it away; the daemon then makes a new one (register that at the collector)")
        }
        return .ok("device key", "\(key.deviceID), mode 0600")
    }
}
