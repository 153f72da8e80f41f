import Capture
import Foundation
import SightlineConfig
#if canImport(Glibc)
import Glibc
#endif

extension Doctor {
    /// A camera's source: a V4L2 node the service user can open and capture from, or footage it can read.
    func camera(_ camera: CameraConfiguration, identity: ServiceIdentity) -> [DoctorCheck] {
        let name = "camera \(camera.id)"
        let path = camera.source.path
        switch camera.source.kind {
        case .v4l2:
            let node = deviceNode(path, identity: identity, name: name)
            guard node.status == .ok else { return [node] }
            return [node, capture(path, name: name)]
        case .jpegdir:
            return [footage(path, directory: true, identity: identity, name: name)]
        case .rtsp, .rtsps:
            return [networkCamera(camera, name: name, identity: identity)]
        case _ where camera.source.isStandardInput:
            return [.ok(name, "reads standard input")]
        default:
            return [footage(path, directory: false, identity: identity, name: name)]
        }
    }

    /// A network camera answers DESCRIBE (and SETUP, PLAY) within 3 s; the URL is shown without credentials.
    func networkCamera(_ camera: CameraConfiguration, name: String, identity: ServiceIdentity) -> DoctorCheck {
        let shown = camera.source.description
        if let file = camera.passwordFile, !identity.can(.read, file) {
            return .fail(name, "password_file \(file) is not readable by \(identity.name)",
                         fix: "chmod 0640 and chgrp it to a group of \(identity.name)")
        }
        if let file = camera.tlsCAFile, !identity.can(.read, file) {
            return .fail(name, "ca \(file) is not readable by \(identity.name)",
                         fix: "chmod 0644 the camera's CA file (it holds no secret)")
        }
        let options = SourceOptions(transport: camera.transport, passwordFile: camera.passwordFile,
                                    tlsCAFile: camera.tlsCAFile)
        switch NetworkCameraCheck.check(camera.source, options: options, seconds: 3) {
        case .answered:
            return .ok(name, "\(shown) answers over \(camera.transport)")
        case .timedOut(let seconds):
            return .fail(name, "\(shown) did not answer within \(Int(seconds)) s",
                         fix: camera.transport == .udp
                            ? "check that the camera is on and reachable; UDP is often blocked: try 'transport: tcp'"
                            : "check that the camera is on and reachable from this box (ping it; is the port right?)")
        case .failed(let reason, let message):
            let fix: String
            switch reason {
            case .unauthorized:
                fix = "the camera refused the credentials: check the user in the URL and the password "
                    + "(password_file keeps it out of the configuration)"
            case .forbidden: fix = "the camera refused this user: give the user the right to stream (camera's web UI)"
            case .notFound: fix = "no stream at that path: look up the camera's RTSP path (its manual or ONVIF)"
            case .refused: fix = "nothing listens there: check the port (554 by default) and that RTSP is enabled"
            case .unreachable: fix = "the host cannot be reached: check the address and the network route"
            case .untrustedCertificate:
                fix = "name the camera's certificate (or its CA) in 'ca:', and use the host name its certificate "
                    + "names in the URL"
            case .other, nil: fix = "check the URL with 'sightline probe \(shown)'"
            }
            return .fail(name, "\(shown) does not answer: \(message)", fix: fix)
        }
    }

    /// The device node behind `path` (a `/dev/v4l/by-id` link is followed): present, a character device,
    /// readable and writable by the service user.
    func deviceNode(_ path: String, identity: ServiceIdentity, name: String) -> DoctorCheck {
        guard let resolved = realpath(path, nil) else {
            return .fail(name, "\(path) does not exist",
                         fix: "plug the camera in, or name it by a link from 'ls -l /dev/v4l/by-id/' in the source")
        }
        let node = String(cString: resolved)
        free(resolved)
        let shown = node == path ? path : "\(path) -> \(node)"
        var info = stat()
        guard stat(node, &info) == 0, info.st_mode & S_IFMT == S_IFCHR else {
            return .fail(name, "\(shown) is not a character device", fix: "point the source at a /dev/video* node")
        }
        guard identity.can(.readWrite, node) else {
            let owner = ServiceIdentity.modeAndOwner(node)
            var fix = "give \(identity.name) read and write access"
            if info.st_gid != 0, let group = getgrgid(info.st_gid) {
                fix = "add \(identity.name) to group '\(String(cString: group.pointee.gr_name))' "
                    + "(SupplementaryGroups= in the unit, or usermod -aG)"
            }
            return .fail(name, "\(shown) (\(owner)) is not readable and writable by \(identity.name)", fix: fix)
        }
        return .ok(name, "\(shown) is a character device \(identity.name) can open")
    }

    /// `VIDIOC_QUERYCAP` through Capture's V4L2 code: the node must be a single-planar capture device
    /// with streaming I/O, as `V4L2Source` needs.
    func capture(_ path: String, name: String) -> DoctorCheck {
        let probe: V4L2Probe
        do {
            probe = try V4L2Probe(path: path, system: settings.v4l2)
        } catch {
            return .fail(name, "cannot query \(path): \(error)",
                         fix: "check the camera with 'sightline probe \(path)'; is it a video capture node?")
        }
        guard probe.canCapture else {
            return .fail(name, "\(path) (\(probe.card), \(probe.driver)) is not a video capture node",
                         fix: "a camera often has several nodes: pick the capture one ('sightline probe' each)")
        }
        guard probe.canStream else {
            return .fail(name, "\(path) (\(probe.card)) has no streaming I/O", fix: "use another camera or driver")
        }
        let formats = probe.formats.map { "\($0.fourcc)" }.joined(separator: ",")
        return .ok(name, "\(probe.card) (\(probe.driver)) captures: \(formats)")
    }

    /// Footage the service user can read (a directory: list and read).
    func footage(_ path: String, directory: Bool, identity: ServiceIdentity, name: String) -> DoctorCheck {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            return .fail(name, "\(path) does not exist", fix: "correct the camera's source path")
        }
        guard isDirectory.boolValue == directory else {
            return .fail(name, "\(path) is \(directory ? "not a directory" : "a directory")",
                         fix: directory ? "jpegdir: names a directory of JPEG files" : "name a file")
        }
        let readable = identity.can(.read, path) && (!directory || identity.can(.search, path))
        guard readable else {
            return .fail(name, "\(path) (\(ServiceIdentity.modeAndOwner(path))) is not readable by \(identity.name)",
                         fix: "make it readable: chmod o+r (and o+x for directories), or change its group")
        }
        return .ok(name, "\(path) is readable by \(identity.name)")
    }
}
