import Capture
import CV4L2
import Crypto
import EventLog
import FaceKit
import Foundation
@testable import SightlineCLI
import SightlineTestKit
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// `sightline doctor` on temporary setups, checked as the user `nobody` (so that access is judged for a
/// user other than the root these tests may run as): each broken part is a `fail` with a fix, a good setup
/// passes. The collector checks run the built binaries (`sightline-collector serve` on loopback).
@Suite(.serialized) struct DoctorTests {
    /// A box in a temporary directory: footage, a fake model with its checksum, a state directory owned by
    /// `nobody` with a device key, and a configuration naming them.
    final class Box {
        let root: URL
        let models: URL
        let state: URL
        var manifest: ModelManifest
        var collectorURL: String?
        var cameras: [String]

        init() throws {
            root = URL(fileURLWithPath: NSTemporaryDirectory())
                .appendingPathComponent("sightline-doctor-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
            models = root.appendingPathComponent("models")
            state = root.appendingPathComponent("state")
            try FileManager.default.createDirectory(at: models, withIntermediateDirectories: true)
            try FileManager.default.createDirectory(at: state, withIntermediateDirectories: true)
            // Others must be able to reach the files: the checks run as nobody.
            chmod(root.path, 0o755)
            chmod(models.path, 0o755)
            let clip = root.appendingPathComponent("clip.mjpeg")
            try Data(SyntheticFootage.jpegFrames(count: 2, width: 64, height: 48).joined()).write(to: clip)
            let detector = Array("not really a detector".utf8)
            try Data(detector).write(to: models.appendingPathComponent("frontal_face_detector.svm"))
            manifest = ModelManifest(sha256: ["frontal_face_detector.svm": SHA256.hash(data: detector)
                .map { String(format: "%02x", $0) }.joined()])
            _ = try DeviceKey.loadOrCreate(stateDirectory: state.path)
            chown(state.path, 65534, 65534)
            chown(state.appendingPathComponent(DeviceKey.fileName).path, 65534, 65534)
            cameras = ["  - id: door\n    source: mjpeg:\(clip.path)\n    faces: {models: \(models.path)}"]
        }

        deinit { try? FileManager.default.removeItem(at: root) }

        var key: DeviceKey { get throws { try DeviceKey.load(path: state.path + "/" + DeviceKey.fileName) } }

        /// Writes the configuration and returns its path.
        func config() throws -> String {
            var text = "state_dir: \(state.path)\nevents: {}\n"
            if let collectorURL { text += "collector:\n  url: \(collectorURL)\n" }
            text += "cameras:\n" + cameras.joined(separator: "\n") + "\n"
            let path = root.appendingPathComponent("sightlined.yaml").path
            try text.write(toFile: path, atomically: true, encoding: .utf8)
            return path
        }

        /// The fake model's checksum as a manifest file, for the binary's `--manifest`.
        func manifestFile() throws -> String {
            let files = manifest.sha256.map { ["name": $0.key, "sha256": $0.value] }
            let path = root.appendingPathComponent("manifest.json").path
            try JSONSerialization.data(withJSONObject: ["files": files]).write(to: URL(fileURLWithPath: path))
            return path
        }

        func settings() throws -> Doctor.Settings {
            var settings = Doctor.Settings(configPath: try config(), user: "nobody")
            settings.manifest = manifest
            settings.now = { Date(timeIntervalSince1970: 1_750_000_000) }
            settings.timesyncFlag = root.path  // exists: "synchronised"
            return settings
        }

        func run() throws -> [DoctorCheck] { Doctor(settings: try settings()).run() }
    }

    static func failure(_ checks: [DoctorCheck], _ name: String) -> DoctorCheck? {
        checks.first { $0.name == name && $0.status == .fail }
    }

    @Test func aGoodSetupPasses() throws {
        let box = try Box()
        let checks = try box.run()
        #expect(checks.allSatisfy { $0.status == .ok }, "\(checks.map(\.line).joined(separator: "\n"))")
        #expect(Set(checks.map(\.name)).isSuperset(of: [
            "config", "user", "camera door", "model frontal_face_detector.svm", "state", "device key", "collector",
            "clock",
        ]))
    }

    @Test func aMissingModelFails() throws {
        let box = try Box()
        try FileManager.default.removeItem(at: box.models.appendingPathComponent("frontal_face_detector.svm"))
        let check = try #require(Self.failure(try box.run(), "model frontal_face_detector.svm"))
        #expect(check.message.contains("missing"))
        #expect(check.fix?.contains("Models/fetch") == true)
    }

    @Test func aModelWithAnotherChecksumFails() throws {
        let box = try Box()
        try Data("tampered".utf8).write(to: box.models.appendingPathComponent("frontal_face_detector.svm"))
        let check = try #require(Self.failure(try box.run(), "model frontal_face_detector.svm"))
        #expect(check.message.contains("SHA-256"))
        #expect(check.fix?.contains("Models/fetch") == true)
    }

    @Test func aStateDirectoryTheServiceUserCannotWriteFails() throws {
        let box = try Box()
        chown(box.state.path, 0, 0)
        chmod(box.state.path, 0o755)
        let check = try #require(Self.failure(try box.run(), "state"))
        #expect(check.message.contains("not writable by nobody"))
        #expect(check.fix?.contains("chown") == true)
    }

    @Test func aDeviceKeyOthersCanReadFails() throws {
        let box = try Box()
        chmod(box.state.appendingPathComponent(DeviceKey.fileName).path, 0o644)
        let check = try #require(Self.failure(try box.run(), "device key"))
        #expect(check.fix?.contains("chmod 0600") == true)
    }

    @Test func aMissingCameraNodeFails() throws {
        let box = try Box()
        box.cameras.append("  - id: gate\n    source: v4l2:/dev/v4l/by-id/usb-No_Such_Camera-video-index0")
        let check = try #require(Self.failure(try box.run(), "camera gate"))
        #expect(check.message.contains("does not exist"))
        #expect(check.fix?.contains("/dev/v4l/by-id") == true)
    }

    @Test func cameraNodesAreJudgedByModeAndGroup() throws {
        let box = try Box()
        let doctor = Doctor(settings: try box.settings())
        let nobody = ServiceIdentity.resolve(name: "nobody", dynamicGroups: [])
        #expect(doctor.deviceNode("/dev/null", identity: nobody, name: "n").status == .ok)
        let file = box.root.appendingPathComponent("clip.mjpeg").path
        #expect(doctor.deviceNode(file, identity: nobody, name: "n").message.contains("not a character device"))
        // A root:root 0660 node, as a camera is before the service user joins its group.
        let node = box.root.appendingPathComponent("video7").path
        guard mknod(node, S_IFCHR | 0o600, dev_t(1 << 8 | 3)) == 0 else { return }  // (1, 3); no CAP_MKNOD: skip
        chmod(node, 0o660)
        let refused = doctor.deviceNode(node, identity: nobody, name: "n")
        #expect(refused.status == .fail && refused.message.contains("not readable and writable by nobody"))
        #expect(refused.fix?.isEmpty == false)
        chown(node, 0, 44)  // group video: a dynamic user with SupplementaryGroups=video may open it
        let dynamic = ServiceIdentity.resolve(name: "sightlined-not-a-user", dynamicGroups: ["video"])
        if dynamic.groups.contains(44) {
            #expect(doctor.deviceNode(node, identity: dynamic, name: "n").status == .ok)
            #expect(doctor.deviceNode(node, identity: nobody, name: "n").fix?.contains("group 'video'") == true)
        }
    }

    @Test func queryCapabilityNeedsAVideoCaptureNode() throws {
        let box = try Box()
        var settings = try box.settings()
        let camera = FakeV4L2Device()
        settings.v4l2 = camera
        #expect(Doctor(settings: settings).capture("/dev/video0", name: "c").status == .ok)
        let output = FakeV4L2Device()
        output.deviceCaps = UInt32(V4L2_CAP_VIDEO_OUTPUT) | UInt32(V4L2_CAP_STREAMING)
        settings.v4l2 = output
        let refused = Doctor(settings: settings).capture("/dev/video0", name: "c")
        #expect(refused.status == .fail && refused.message.contains("not a video capture node"))
        settings.v4l2 = FakeV4L2Device()
        #expect(Doctor(settings: settings).capture("/dev/video5", name: "c").status == .fail)
    }

    @Test func aBadConfigurationFailsWithItsLine() throws {
        let box = try Box()
        box.cameras = ["  - id: door\n    source: mjpeg:/x.mjpeg\n    fpz: 3"]
        let check = try #require(Self.failure(try box.run(), "config"))
        #expect(check.message.contains(":6:") && check.message.contains("fpz"), "\(check.message)")
    }

    @Test func theClockMustBeSetAndShouldBeSynchronised() throws {
        let box = try Box()
        var settings = try box.settings()
        settings.now = { Date(timeIntervalSince1970: 0) }
        #expect(Doctor(settings: settings).clock().status == .fail)
        settings.now = { Date(timeIntervalSince1970: 1_750_000_000) }
        settings.timesyncFlag = box.root.path + "/absent"
        let script = box.root.appendingPathComponent("timedatectl").path
        try "#!/bin/sh\necho no\n".write(toFile: script, atomically: true, encoding: .utf8)
        chmod(script, 0o755)
        settings.timedatectl = script
        let unsynchronised = Doctor(settings: settings).clock()
        #expect(unsynchronised.status == .warn && unsynchronised.fix?.contains("set-ntp") == true)
    }

    @Test func theBuiltInChecksumsAreThoseOfModelsManifest() throws {
        let manifest = CLIFixtures.top.appendingPathComponent("Models/manifest.json").path
        #expect(try ModelManifest(contentsOf: manifest) == ModelManifest.builtIn)
    }

    // MARK: collector, through the binaries

    static func binary(_ name: String) -> URL {
        GalleryCommandTests.binary.deletingLastPathComponent().appendingPathComponent(name)
    }

    /// Runs `sightline doctor --json`; returns the exit status and the checks.
    static func doctor(_ box: Box) throws -> (status: Int32, checks: [DoctorCheck]) {
        let process = Process()
        process.executableURL = binary("sightline")
        process.arguments = ["doctor", "--config", try box.config(), "--user", "nobody", "--json", "--timeout", "2",
                             "--manifest", try box.manifestFile()]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, try JSONDecoder().decode([DoctorCheck].self, from: data))
    }

    @Test func anUnreachableCollectorFails() throws {
        let box = try Box()
        box.collectorURL = "http://127.0.0.1:\(try Self.closedPort())"
        let (status, checks) = try Self.doctor(box)
        #expect(status == 1)
        let check = try #require(Self.failure(checks, "collector"))
        #expect(check.message.contains("unreachable") && check.fix?.contains("collector.url") == true)
    }

    @Test func theDeviceMustBeRegisteredAtTheCollector() throws {
        let box = try Box()
        let database = "sqlite:" + box.root.appendingPathComponent("collector.sqlite").path
        let collector = try LoopbackCollector(binary: Self.binary("sightline-collector"), database: database)
        defer { collector.stop() }
        box.collectorURL = collector.url

        let unregistered = try Self.doctor(box)
        #expect(unregistered.status == 1)
        let check = try #require(Self.failure(unregistered.checks, "registration"))
        let publicKey = try box.key.publicKeyBase64
        #expect(check.fix?.contains("devices add") == true && check.fix?.contains(publicKey) == true)

        let add = Process()
        add.executableURL = Self.binary("sightline-collector")
        add.arguments = ["devices", "add", "box", publicKey, "--database", database]
        add.standardOutput = Pipe()
        try add.run()
        add.waitUntilExit()
        let registered = try Self.doctor(box)
        #expect(registered.status == 0, "\(registered.checks.map(\.line))")
        #expect(registered.checks.first { $0.name == "registration" }?.status == .ok)
    }

    /// A loopback port nothing listens on (bound, then closed).
    static func closedPort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0
            }
        }
        try #require(bound)
        return Int(UInt16(bigEndian: address.sin_port))
    }
}
