/// Keeps the credentials of network camera URLs out of everything Sightline writes: logs, metrics, the run
/// summary, `doctor` output and events.
///
/// `rtsp://user:secret@cam/stream?password=x` becomes `rtsp://***@cam/stream?password=***`: the user
/// information of any `SCHEME://USERINFO@` in the text is replaced, and so are the values of query
/// parameters that commonly carry secrets (`password`, `pass`, `pwd`, `passwd`, `token`, `key`, `secret`,
/// `auth`, `user`, `username`). Text without a URL comes back unchanged.
public enum CredentialRedaction {
    /// What stands in for a removed secret.
    public static let mask = "***"

    /// Query parameters whose values are removed.
    static let secretParameters: Set<String> = [
        "password", "pass", "pwd", "passwd", "token", "key", "secret", "auth", "user", "username",
    ]

    /// `text` with the credentials of every URL in it masked.
    public static func redact(_ text: String) -> String {
        guard text.contains("://") else { return text }
        var scalars = Array(text.unicodeScalars)
        var index = 0
        var output = String.UnicodeScalarView()
        while index < scalars.count {
            // A URL starts after "://" preceded by a scheme; copy the scheme and the separator as they are.
            guard let separator = find("://", in: scalars, from: index) else {
                output.append(contentsOf: scalars[index...])
                break
            }
            output.append(contentsOf: scalars[index..<(separator + 3)])
            let start = separator + 3
            var end = start
            while end < scalars.count, !isURLTerminator(scalars[end]) { end += 1 }
            output.append(contentsOf: redactAuthorityAndQuery(Array(scalars[start..<end])))
            index = end
        }
        scalars.removeAll()
        return String(output)
    }

    /// The host of `rtsp://[userinfo@]host[:port][/path]`, nil when there is none.
    public static func host(ofURL url: String) -> String? {
        guard let rest = afterScheme(url) else { return nil }
        let authority = rest.prefix { $0 != "/" && $0 != "?" && $0 != "#" }
        let hostPort = authority.split(separator: "@", omittingEmptySubsequences: false).last ?? ""
        let host: Substring
        if hostPort.hasPrefix("[") {
            guard let close = hostPort.firstIndex(of: "]") else { return nil }
            host = hostPort[hostPort.index(after: hostPort.startIndex)..<close]
        } else {
            host = hostPort.prefix { $0 != ":" }
        }
        return host.isEmpty ? nil : String(host)
    }

    /// The user and password of `SCHEME://USER[:PASSWORD]@HOST…`, percent-decoding left to the caller.
    public static func userInfo(ofURL url: String) -> (user: String, password: String?)? {
        guard let rest = afterScheme(url) else { return nil }
        let authority = rest.prefix { $0 != "/" && $0 != "?" && $0 != "#" }
        guard let at = authority.lastIndex(of: "@") else { return nil }
        let info = authority[..<at]
        guard let colon = info.firstIndex(of: ":") else { return (String(info), nil) }
        return (String(info[..<colon]), String(info[info.index(after: colon)...]))
    }

    /// `url` with its user information replaced by `user:password` (both percent-encoded), for connecting.
    public static func url(_ url: String, withUser user: String, password: String) -> String {
        guard let rest = afterScheme(url) else { return url }
        let authorityEnd = rest.firstIndex { $0 == "/" || $0 == "?" || $0 == "#" } ?? rest.endIndex
        let authority = rest[..<authorityEnd]
        var hostPort = authority
        if let at = authority.lastIndex(of: "@") { hostPort = authority[authority.index(after: at)...] }
        let scheme = String(url[..<rest.startIndex])
        let credentials = percentEncoded(user) + ":" + percentEncoded(password) + "@"
        return scheme + credentials + String(hostPort) + String(rest[authorityEnd...])
    }

    /// What follows the first `://` of `url`.
    private static func afterScheme(_ url: String) -> Substring? {
        var index = url.startIndex
        while index < url.endIndex {
            if url[index...].hasPrefix("://") { return url[url.index(index, offsetBy: 3)...] }
            index = url.index(after: index)
        }
        return nil
    }

    private static func percentEncoded(_ text: String) -> String {
        var out = ""
        for byte in text.utf8 {
            let scalar = Unicode.Scalar(byte)
            if scalar.properties.isAlphabetic && scalar.isASCII || ("0"..."9").contains(scalar)
                || "-._~".unicodeScalars.contains(scalar)
            {
                out.unicodeScalars.append(scalar)
            } else {
                let hex = Array("0123456789ABCDEF".unicodeScalars)
                out += "%" + String(hex[Int(byte >> 4)]) + String(hex[Int(byte & 15)])
            }
        }
        return out
    }

    private static func isURLTerminator(_ scalar: Unicode.Scalar) -> Bool {
        scalar.value <= 0x20 || scalar == "\"" || scalar == "'" || scalar == "<" || scalar == ">" || scalar == "`"
    }

    private static func find(_ needle: String, in scalars: [Unicode.Scalar], from start: Int) -> Int? {
        let pattern = Array(needle.unicodeScalars)
        guard scalars.count >= pattern.count, start <= scalars.count - pattern.count else { return nil }
        for i in start...(scalars.count - pattern.count) where scalars[i..<(i + pattern.count)].elementsEqual(pattern) {
            return i
        }
        return nil
    }

    private static func redactAuthorityAndQuery(_ url: [Unicode.Scalar]) -> String.UnicodeScalarView {
        var out = String.UnicodeScalarView()
        let authorityEnd = url.firstIndex { $0 == "/" || $0 == "?" || $0 == "#" } ?? url.count
        if let at = url[..<authorityEnd].lastIndex(of: "@") {
            out.append(contentsOf: mask.unicodeScalars)
            out.append(contentsOf: url[at..<authorityEnd])
        } else {
            out.append(contentsOf: url[..<authorityEnd])
        }
        guard let question = url[authorityEnd...].firstIndex(of: "?") else {
            out.append(contentsOf: url[authorityEnd...])
            return out
        }
        out.append(contentsOf: url[authorityEnd...question])
        let queryEnd = url[question...].firstIndex(of: "#") ?? url.count
        let query = String(String.UnicodeScalarView(url[(question + 1)..<queryEnd]))
        let pairs = query.split(separator: "&", omittingEmptySubsequences: false).map { pair -> String in
            guard let equals = pair.firstIndex(of: "=") else { return String(pair) }
            let name = pair[..<equals].lowercased()
            return secretParameters.contains(name) ? pair[...equals] + mask : String(pair)
        }
        out.append(contentsOf: pairs.joined(separator: "&").unicodeScalars)
        out.append(contentsOf: url[queryEnd...])
        return out
    }
}
