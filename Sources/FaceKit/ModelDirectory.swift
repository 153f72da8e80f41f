#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Where dlib's model files are, found the same way by every program that loads them (`sightline`'s commands,
/// `sightlined`'s face stages, `sightline doctor`):
///
/// 1. the directory given explicitly (`--models DIR`, or `faces.models` in the daemon's configuration);
/// 2. else the environment variable `SIGHTLINE_MODELS`;
/// 3. else `PREFIX/share/sightline/models` beside the running program (`PREFIX/bin/…`), where `make install`
///    puts the files and their manifest;
/// 4. else `Models/files` in the current directory (the source tree after `Models/fetch`).
///
/// A directory given by 1 or 2 is the only one tried (a typo must not quietly pick other files); 3 and 4 are
/// searched in order for the first that holds the files the caller needs. The files themselves are read, and
/// checked against the governing manifest, by `ModelDirectory+Load.swift`.
public struct ModelDirectory: Sendable, Equatable {
    /// How a candidate directory was chosen.
    public enum Origin: String, Sendable, Equatable {
        case explicit = "--models / faces.models"
        case environment = "SIGHTLINE_MODELS"
        case installed = "installed beside the program"
        case sourceTree = "source tree"
    }

    /// A directory to look in, and why.
    public struct Candidate: Sendable, Equatable {
        public var path: String
        public var origin: Origin
    }

    public static let environmentVariable = "SIGHTLINE_MODELS"
    /// Below the installation prefix.
    public static let installedSubdirectory = "share/sightline/models"
    /// Below the current directory (the source tree).
    public static let sourceTreeSubdirectory = "Models/files"

    /// The directory chosen.
    public let path: String
    public let origin: Origin
    /// The SHA-256 sums its files are checked against, and where they come from.
    public let manifest: ModelManifest
    public let manifestSource: String

    /// The directories to search, in order (see the type's description).
    ///
    /// - Parameters:
    ///   - explicit: `--models DIR` or `faces.models`; nil when not given.
    ///   - environment: the value of `SIGHTLINE_MODELS` (nil or empty: unset).
    ///   - executable: the running program's path (`/proc/self/exe`), for the installed location.
    ///   - currentDirectory: for the source-tree location.
    public static func candidates(explicit: String?, environment: String?, executable: String?,
                                  currentDirectory: String?) -> [Candidate] {
        if let explicit { return [Candidate(path: explicit, origin: .explicit)] }
        if let environment, !environment.isEmpty { return [Candidate(path: environment, origin: .environment)] }
        var found: [Candidate] = []
        if let executable, let bin = parent(of: executable), let prefix = parent(of: bin) {
            found.append(Candidate(path: join(prefix, installedSubdirectory), origin: .installed))
        }
        if let currentDirectory {
            found.append(Candidate(path: join(currentDirectory, sourceTreeSubdirectory), origin: .sourceTree))
        }
        return found
    }

    /// The first candidate that holds every file in `needing` (names in `FaceDescriber.FileName`), with its
    /// manifest read. Throws `ModelFileError.notFound` listing every place searched and what each lacked, and
    /// `ModelFileError.badManifest` when the chosen directory's `manifest.json` cannot be read.
    public static func resolve(explicit: String?, needing: [String]) throws(ModelFileError) -> ModelDirectory {
        let environment = getenv(environmentVariable).map { String(cString: $0) }
        return try resolve(among: candidates(explicit: explicit, environment: environment,
                                             executable: executablePath(), currentDirectory: currentDirectory()),
                           needing: needing)
    }

    /// `resolve` over given candidates (tests pass their own).
    public static func resolve(among candidates: [Candidate], needing: [String]) throws(ModelFileError)
        -> ModelDirectory
    {
        var searched: [(place: String, missing: [String])] = []
        for candidate in candidates {
            let missing = needing.filter { !isReadableFile(join(candidate.path, $0)) }
            guard missing.isEmpty else {
                searched.append(("\(candidate.path) (\(candidate.origin.rawValue))", missing))
                continue
            }
            let (manifest, source) = try ModelManifest.governing(candidate.path)
            return ModelDirectory(path: candidate.path, origin: candidate.origin, manifest: manifest,
                                  manifestSource: source)
        }
        throw .notFound(needing: needing,
                        searched: searched.map { "\($0.place): lacks \($0.missing.joined(separator: ", "))" })
    }

    /// A directory used as it is (tests, and callers that resolved it already).
    public init(path: String, origin: Origin = .explicit, manifest: ModelManifest, manifestSource: String) {
        self.path = path
        self.origin = origin
        self.manifest = manifest
        self.manifestSource = manifestSource
    }

    /// The path of file `name` in this directory.
    public func file(_ name: String) -> String { Self.join(path, name) }

    /// The running program's path, from `/proc/self/exe` (nil where that does not exist).
    public static func executablePath() -> String? {
        var buffer = [CChar](repeating: 0, count: 4096)
        let count = buffer.withUnsafeMutableBufferPointer { readlink("/proc/self/exe", $0.baseAddress!, $0.count - 1) }
        guard count > 0 else { return nil }
        return String(decoding: buffer[..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    static func currentDirectory() -> String? {
        guard let cwd = getcwd(nil, 0) else { return nil }
        defer { free(cwd) }
        return String(cString: cwd)
    }

    static func isReadableFile(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFREG && access(path, R_OK) == 0
    }

    static func parent(of path: String) -> String? {
        guard let slash = path.lastIndex(of: "/") else { return nil }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }

    static func join(_ directory: String, _ name: String) -> String {
        directory.hasSuffix("/") ? directory + name : directory + "/" + name
    }
}
