import NIOSSL
import PostgresNIO

/// How the collector talks TLS to PostgreSQL, from libpq's `sslmode` and `sslrootcert` URL parameters
/// (`postgres://user@db.example/sightline?sslmode=verify-full&sslrootcert=/etc/sightline/pg-ca.pem`).
///
/// `disable` (the default, for a loopback server or a tunnel): no TLS. `require`: encrypted, the server's
/// certificate not checked (as libpq does without a root certificate). `verify-ca`: the certificate must chain
/// to `sslrootcert` (or the system roots). `verify-full`: that, and the host name (or IP) must match it.
enum PostgresTLS {
    static let modes = ["disable", "require", "verify-ca", "verify-full"]

    static func configuration(query: [URLQueryItemLike], url: String) throws -> PostgresClient.Configuration.TLS {
        var mode = "disable"
        var rootCertificate: String?
        for item in query {
            switch item.name {
            case "sslmode":
                guard let value = item.value, modes.contains(value) else {
                    throw StoreError.badDatabaseOption(
                        "\(url): sslmode must be one of \(modes.joined(separator: ", ")) (prefer/allow are not offered)")
                }
                mode = value
            case "sslrootcert": rootCertificate = item.value
            default: throw StoreError.badDatabaseOption("\(url): unknown parameter '\(item.name)'")
            }
        }
        guard mode != "disable" else {
            if rootCertificate != nil {
                throw StoreError.badDatabaseOption("\(url): sslrootcert needs sslmode=verify-ca or verify-full")
            }
            return .disable
        }
        var tls = TLSConfiguration.makeClientConfiguration()
        if let rootCertificate {
            do {
                tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(rootCertificate))
            } catch {
                throw StoreError.badDatabaseOption("\(url): cannot read sslrootcert \(rootCertificate): \(error)")
            }
        }
        switch mode {
        case "require": tls.certificateVerification = .none
        case "verify-ca": tls.certificateVerification = .noHostnameVerification
        default: tls.certificateVerification = .fullVerification
        }
        return .require(tls)
    }
}

/// A name and optional value of a URL's query (Foundation's `URLQueryItem`, kept out of the signature).
struct URLQueryItemLike {
    var name: String
    var value: String?
}
