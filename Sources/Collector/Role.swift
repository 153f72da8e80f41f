import Crypto
import Foundation
import EventLog

/// What a token may do at the collector.
public enum Role: String, Sendable, CaseIterable, Equatable {
    /// Manages devices, tokens and incidents, and reads everything.
    case admin
    /// Reads every event, export, checkpoint, proof and evidence blob.
    case reviewer
    /// Reads traffic, camera status and system events and their evidence only: never a face event, its evidence or
    /// a name.
    case traffic

    /// Event types this role may read, as type prefixes; nil for every type.
    public var visibleTypePrefixes: [String]? {
        switch self {
        case .admin, .reviewer: nil
        case .traffic: ["traffic.", "system.", "log.", "frame.", "camera."]
        }
    }

    /// Whether this role may read an event of `type`.
    public func mayRead(type: String) -> Bool {
        visibleTypePrefixes.map { prefixes in prefixes.contains { type.hasPrefix($0) } } ?? true
    }
}

/// Bearer tokens: generated at random, stored and compared as SHA-256 digests.
public enum AccessToken {
    /// A new random token (256 bits, base64url), shown once to the operator.
    public static func generate() -> String {
        var rng = SystemRandomNumberGenerator()
        let bytes = (0..<32).map { _ in UInt8.random(in: 0...255, using: &rng) }
        return "slt_" + Encoding.base64(bytes).replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }

    /// Lowercase hex SHA-256 of a token: what is stored and looked up.
    public static func digest(_ token: String) -> String { Encoding.hex(SHA256.hash(data: Array(token.utf8))) }

    /// Equality of two byte strings in time that depends only on their lengths.
    public static func constantTimeEqual(_ a: some Collection<UInt8>, _ b: some Collection<UInt8>) -> Bool {
        guard a.count == b.count else { return false }
        var diff: UInt8 = 0
        for (x, y) in zip(a, b) { diff |= x ^ y }
        return diff == 0
    }

    /// The token of an `Authorization: Bearer TOKEN` header (scheme case-insensitive, RFC 7235), or nil.
    public static func bearer(_ header: String?) -> String? {
        guard let header else { return nil }
        let trimmed = header.drop { $0 == " " }
        guard trimmed.count > 7, trimmed.prefix(7).lowercased() == "bearer " else { return nil }
        let token = trimmed.dropFirst(7).trimmingCharacters(in: .whitespaces)
        return token.isEmpty ? nil : token
    }
}
