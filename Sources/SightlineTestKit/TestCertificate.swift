import Foundation

/// A self-signed certificate and its key, in PEM files made by Debian's `openssl` for a test (P-256, two days).
public struct TestCertificate: Sendable {
    public let certificate: String
    public let key: String

    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    /// Makes `NAME.pem` and `NAME.key` in `directory` for common name `name` and the given subject alternative
    /// names (OpenSSL's syntax: "DNS:localhost", "IP:127.0.0.1").
    public static func selfSigned(in directory: String, name: String, alternativeNames: [String]) throws
        -> TestCertificate
    {
        let certificate = "\(directory)/\(name).pem", key = "\(directory)/\(name).key"
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [
            "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
            "-keyout", key, "-out", certificate, "-days", "2", "-subj", "/CN=\(name)",
            "-addext", "subjectAltName=" + alternativeNames.joined(separator: ","),
        ]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw Failure(description: "openssl could not make \(name)") }
        return TestCertificate(certificate: certificate, key: key)
    }
}
