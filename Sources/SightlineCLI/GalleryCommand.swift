import ArgumentParser
import Foundation
import Matcher
import SightlineConfig
import SightlineTools

/// `sightline gallery …`: enrol, list, erase and identify against the encrypted gallery.
struct GalleryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gallery", abstract: "Manage the encrypted face gallery (enrolment with consent, erasure).",
        subcommands: [Enroll.self, List.self, Erase.self, Identify.self])

    struct Location: ParsableArguments {
        @Option(help: "Gallery file (default: the daemon's state directory).")
        var gallery = DaemonConfiguration.defaultStateDirectory + "/gallery.sealed"
        @Option(help: "Key file (default: beside the gallery, created 0600 on first use).")
        var key: String?

        func open() throws -> Gallery { try Gallery(path: gallery, keyPath: key) }
    }

    struct Faces: ParsableArguments {
        @Option(help: ArgumentHelp(
            "Descriptors computed elsewhere, as JSON, instead of detecting and embedding the faces here: "
                + "{\"model_sha256\": HEX, \"images\": {PATH: [{\"box\": [l,t,r,b], \"descriptor\": [...]}]}}."))
        var descriptorJSON: String?
        @Option(help: ArgumentHelp(ModelLocation.help, valueName: "DIR"))
        var models: String?
        @Option(help: "Times each photo is doubled before detection (0, 1 or 2); 1 finds faces from about 40 px.")
        var upsample = 1

        func validate() throws {
            guard (0...2).contains(upsample) else { throw ValidationError("--upsample must be 0, 1 or 2") }
        }

        func provider() throws -> FaceDescriptorProvider {
            if let descriptorJSON { return try JSONDescriptorProvider(path: descriptorJSON) }
            return try FaceKitDescriptorProvider(models: models, upsample: upsample)
        }
    }

    struct Enroll: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Enrol a subject from photos (one face each).")
        @OptionGroup var location: Location
        @OptionGroup var faces: Faces
        @Argument(help: "Subject id.") var subject: String
        @Option(parsing: .upToNextOption, help: "Photos of the subject, one face each (JPEG, PNG, PPM/PGM).")
        var image: [String] = []
        @Option(help: "Purpose the subject consented to.") var purpose: String
        @Option(help: "Who granted consent (default: the subject).") var grantedBy: String?
        @Option(help: "Expiry date, YYYY-MM-DD or ISO 8601.") var expires: String?

        func validate() throws {
            guard !image.isEmpty else { throw ValidationError("give at least one --image PATH") }
            guard subject != "unknown" else {
                throw ValidationError(
                    "'unknown' is what identify prints for faces that match nobody; choose another id")
            }
        }

        func run() throws {
            let provider = try faces.provider()
            // Every photo is checked before anything is enrolled: one face each, or nothing is written.
            var templates: [[Float]] = []
            for path in image {
                let found = try provider.faces(inImageAt: path)
                switch found.count {
                case 1:
                    templates.append(found[0].descriptor)
                case 0:
                    throw CLIError("\(path): no face found; enrolment needs a photo with exactly one face "
                        + "(a larger or sharper photo, or --upsample 2 for small faces)")
                default:
                    let boxes = found.map { "[" + $0.box.map(String.init).joined(separator: ", ") + "]" }
                    throw CLIError("\(path): \(found.count) faces found at \(boxes.joined(separator: " ")); "
                        + "enrolment needs a photo with exactly one face: crop it to the subject")
                }
            }
            let now = Date()
            let expiry = try expires.map(parseDate)
            try location.open().enroll(
                subject: subject, templates: templates, modelSHA256: provider.modelSHA256,
                consent: Consent(purpose: purpose, grantedBy: grantedBy ?? subject, grantedAt: now, expiresAt: expiry))
            print("enrolled \(subject): \(templates.count) template(s)")
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List enrolled subjects and their consent.")
        @OptionGroup var location: Location
        @Flag(help: "One JSON document.") var json = false

        func run() throws {
            let gallery = try location.open()
            let format = ISO8601DateFormatter()
            if json {
                let rows = gallery.subjects.map { s -> [String: Any] in
                    var row: [String: Any] = ["subject": s.id, "purpose": s.consent.purpose, "templates": s.templates.count,
                                              "granted_by": s.consent.grantedBy,
                                              "granted_at": format.string(from: s.consent.grantedAt)]
                    if let e = s.consent.expiresAt { row["expires_at"] = format.string(from: e) }
                    return row
                }
                let doc: [String: Any] = ["model_sha256": gallery.modelSHA256 ?? NSNull(), "subjects": rows]
                let data = try JSONSerialization.data(withJSONObject: doc, options: [.sortedKeys])
                print(String(decoding: data, as: UTF8.self))
                return
            }
            for s in gallery.subjects {
                let expiry = s.consent.expiresAt.map { format.string(from: $0) } ?? "never"
                print("\(s.id)\t\(s.templates.count) template(s)\tpurpose: \(s.consent.purpose)\t"
                    + "granted by \(s.consent.grantedBy) at \(format.string(from: s.consent.grantedAt))\texpires \(expiry)")
            }
        }
    }

    struct Erase: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Erase a subject and all their templates for good.")
        @OptionGroup var location: Location
        @Argument(help: "Subject id.") var subject: String

        func run() throws {
            guard try location.open().erase(subject: subject) else {
                throw ValidationError("no subject \(subject) in the gallery")
            }
            print("erased \(subject): the gallery is re-encrypted under a new key, older copies no longer open")
        }
    }

    struct Identify: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Identify the faces in photos.")
        @OptionGroup var location: Location
        @OptionGroup var faces: Faces
        @Argument(help: "Photos (JPEG, PNG, PPM/PGM).") var images: [String]
        @Option(help: "Largest accepted (Euclidean) distance.") var threshold: Float = 0.6
        @Option(help: "Smallest gap to the next subject.") var margin: Float = 0.05
        @Flag(help: "One JSON object per face: image, box [l,t,r,b], subject (or \"unknown\"), distance.")
        var json = false

        func run() throws {
            let provider = try faces.provider()
            let gallery = try location.open()
            if let model = gallery.modelSHA256, model != provider.modelSHA256.lowercased() {
                throw GalleryError.modelMismatch(gallery: model, templates: provider.modelSHA256)
            }
            let matcher = try GalleryMatcher(gallery: gallery, policy: OpenSetPolicy(threshold: threshold, margin: margin))
            for path in images {
                let found = try provider.faces(inImageAt: path)
                if found.isEmpty && !json { print("\(path)\tno face") }
                for face in found {
                    let decision = try matcher.identify(face.descriptor)
                    let (who, distance): (String, Float?) = switch decision {
                    case .match(let subject, let distance): (subject, distance)
                    case .unknown(let nearest): ("unknown", nearest)
                    }
                    let d = distance.map { String(format: "%.4f", $0) } ?? "null"
                    let box = face.box.map(String.init).joined(separator: ",")
                    if json {
                        print("{\"image\":\(jsonString(path)),\"box\":[\(box)],\"subject\":\(jsonString(who)),"
                              + "\"distance\":\(d)}")
                    } else {
                        print("\(path)\t[\(box)]\t\(who)\t\(d)")
                    }
                }
            }
        }
    }
}

func parseDate(_ text: String) throws -> Date {
    let full = ISO8601DateFormatter()
    if let date = full.date(from: text) { return date }
    let day = ISO8601DateFormatter()
    day.formatOptions = [.withFullDate]
    if let date = day.date(from: text) { return date }
    throw ValidationError("cannot read date '\(text)' (YYYY-MM-DD or ISO 8601)")
}

/// Descriptors computed elsewhere, read from JSON (`--descriptor-json`), instead of FaceKit's.
struct JSONDescriptorProvider: FaceDescriptorProvider {
    struct File: Decodable {
        var model_sha256: String
        var images: [String: [FaceDescriptor]]
    }

    let modelSHA256: String
    let images: [String: [FaceDescriptor]]

    init(path: String) throws {
        guard let data = FileManager.default.contents(atPath: path) else { throw ValidationError("cannot read \(path)") }
        let file = try JSONDecoder().decode(File.self, from: data)
        modelSHA256 = file.model_sha256
        images = file.images
    }

    func faces(inImageAt path: String) throws -> [FaceDescriptor] {
        if let found = images[path] ?? images[(path as NSString).lastPathComponent] { return found }
        throw ValidationError("no descriptors for \(path) in the descriptor file")
    }
}
