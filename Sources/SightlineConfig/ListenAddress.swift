/// A `HOST:PORT` listen address as written in `metrics.listen`, checked without any name lookup.
struct ListenAddress: Equatable {
    /// IPv4 dotted quad, IPv6 literal without brackets, or a host name.
    var host: String
    /// 0...65535; 0 lets the kernel pick a free port (the daemon logs which).
    var port: Int

    /// Why a listen address was refused; the description completes "metrics.listen: …".
    enum Problem: Error, Equatable, CustomStringConvertible {
        case notHostPort
        case bareIPv6
        case badHost(String)
        case badPort(String)

        var description: String {
            switch self {
            case .notHostPort: return "must be HOST:PORT or a port number"
            case .bareIPv6: return "an IPv6 address needs brackets, as in [::1]:9464"
            case .badHost(let host): return "'\(host)' is not an IP address or host name"
            case .badPort: return "the port must be an integer from 0 to 65535 (0 picks a free port)"
            }
        }
    }

    /// Parses `127.0.0.1:9464`, `localhost:9464` or `[::1]:9464`.
    static func parse(_ text: String) -> Result<ListenAddress, Problem> {
        let host: Substring
        let port: Substring
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]"),
                  text[text.index(after: close)...].hasPrefix(":") else { return .failure(.notHostPort) }
            host = text[text.index(after: text.startIndex)..<close]
            port = text[text.index(close, offsetBy: 2)...]
            guard !host.isEmpty, host.allSatisfy({ $0.isHexDigit || $0 == ":" || $0 == "." }),
                  host.contains(":") else { return .failure(.badHost(String(host))) }
        } else {
            guard let colon = text.lastIndex(of: ":") else { return .failure(.notHostPort) }
            host = text[..<colon]
            port = text[text.index(after: colon)...]
            if host.contains(":") {
                return .failure(.bareIPv6)
            }
            guard isHostName(host) else { return .failure(.badHost(String(host))) }
        }
        guard let number = Int(port) else { return .failure(.badPort(String(port))) }
        return validate(host: String(host), port: number)
    }

    /// Checks the port range of an already split address.
    static func validate(host: String, port: Int) -> Result<ListenAddress, Problem> {
        guard (0...65535).contains(port) else { return .failure(.badPort(String(port))) }
        return .success(ListenAddress(host: host, port: port))
    }

    /// Whether the host only reaches this machine: `localhost`, `127.0.0.0/8` or `::1`.
    var isLoopback: Bool {
        if host == "localhost" || host == "::1" || host == "0:0:0:0:0:0:0:1" {
            return true
        }
        let octets = host.split(separator: ".", omittingEmptySubsequences: false)
        return octets.count == 4 && octets.first == "127" && octets.allSatisfy { UInt8($0) != nil }
    }

    /// A dotted quad or an RFC 1123 host name (letters, digits, '-', '.'); no lookup is done.
    private static func isHostName(_ host: Substring) -> Bool {
        guard !host.isEmpty, host.count <= 253, host.first != ".", host.first != "-" else { return false }
        let labels = host.split(separator: ".", omittingEmptySubsequences: false)
        if labels.allSatisfy({ !$0.isEmpty && $0.allSatisfy(\.isNumber) }) {
            return labels.count == 4 && labels.allSatisfy { UInt8($0) != nil }
        }
        return labels.allSatisfy { label in
            !label.isEmpty && label.count <= 63
                && label.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") }
        }
    }
}
