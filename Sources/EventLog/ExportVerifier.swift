import Crypto
import Foundation

/// Verifies an export (`GET /v1/export?device=`): JSON lines, each either a full event envelope or
/// an evidence record `{"blob": "<sha256>", "media_type": "...", "data": "<base64>"}` placed
/// before the event that references it. The whole log must be present from seq 1.
public enum ExportVerifier {
    /// What a successful check covered.
    public struct Summary: Sendable, Equatable {
        public var events: Int
        public var lastSeq: UInt64
        public var checkpoints: Int
        public var evidenceVerified: Int
        /// Evidence references whose bytes were neither in the export nor in the evidence directory.
        public var evidenceMissing: Int
    }

    /// Checks every line in order and throws the first problem.
    /// - Parameter evidenceDirectory: optional directory of blobs named by their SHA-256.
    public static func verify(
        export bytes: [UInt8], publicKey: Curve25519.Signing.PublicKey,
        evidenceDirectory: String? = nil
    ) throws(ChainProblem) -> Summary {
        var verifier = ChainVerifier(publicKey: publicKey, requireGenesis: true)
        var blobs: [String: [UInt8]] = [:]
        var missing = 0
        var lineNumber = 0
        var start = 0
        func lookup(_ sha: String) -> [UInt8]? {
            if let b = blobs[sha] { return b }
            if let dir = evidenceDirectory,
                let d = FileManager.default.contents(atPath: (dir as NSString).appendingPathComponent(sha))
            {
                return [UInt8](d)
            }
            missing += 1
            return nil
        }
        while start < bytes.count {
            let end = bytes[start...].firstIndex(of: 0x0A) ?? bytes.count
            let line = Array(bytes[start..<end])
            start = end + 1
            lineNumber += 1
            if line.allSatisfy({ $0 == 0x20 || $0 == 0x0D }) { continue }
            if line.starts(with: Array("{\"blob\":".utf8)) {
                guard case .object(let o)? = try? JSONParser.parse(line), case .string(let sha)? = o["blob"],
                    case .string(let b64)? = o["data"], let data = Encoding.bytes(base64: b64)
                else {
                    throw ChainProblem(kind: .malformed, line: lineNumber, seq: nil, message: "bad evidence record")
                }
                guard Encoding.hex(SHA256.hash(data: data)) == sha else {
                    throw ChainProblem(
                        kind: .evidenceMismatch, line: lineNumber, seq: nil,
                        message: "evidence \(sha) does not match its bytes")
                }
                blobs[sha] = data
                continue
            }
            _ = try verifier.check(line: line, lineNumber: lineNumber, blob: lookup)
        }
        guard verifier.events > 0 else {
            throw ChainProblem(kind: .empty, line: 0, seq: nil, message: "the export holds no events")
        }
        return Summary(
            events: verifier.events, lastSeq: verifier.lastSeq, checkpoints: verifier.checkpointsVerified,
            evidenceVerified: verifier.evidenceVerified, evidenceMissing: missing)
    }
}
