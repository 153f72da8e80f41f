/// Client-supplied text made safe for one log line.
enum LogText {
    /// At most `limit` characters, with control characters (a newline could forge a log line) and format
    /// characters (U+202E reverses what follows on a terminal) escaped.
    static func escaped(_ text: String, limit: Int = 120) -> String {
        var out = ""
        for scalar in text.unicodeScalars.prefix(limit) {
            switch scalar {
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\\": out += "\\\\"
            default:
                if DisplayName.isInvisible(scalar) {
                    out += "\\u{" + String(scalar.value, radix: 16) + "}"
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return text.unicodeScalars.count > limit ? out + "…" : out
    }
}

/// The names of devices and tokens: shown in lists and logs, so nothing in them can forge a row or hide text.
public enum DisplayName {
    /// 1 to 64 Unicode scalars (not characters: one character can hold any number of combining marks), none
    /// of them control, format, separator or default-ignorable (U+3164 and the like, which show as nothing),
    /// and not only spaces.
    public static func isValid(_ name: String) -> Bool {
        let scalars = name.unicodeScalars
        return (1...64).contains(scalars.count)
            && !scalars.contains { isInvisible($0) || $0.properties.isDefaultIgnorableCodePoint }
            && !scalars.allSatisfy(\.properties.isWhitespace)
    }

    public static func rule(_ what: String) -> String {
        "a \(what) name is 1 to 64 characters, not all spaces, without control, format or invisible characters"
    }

    /// Control (C0, DEL, C1), format (bidirectional overrides, zero-width characters) and line or paragraph
    /// separators: characters that change how the text around them shows.
    static func isInvisible(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.properties.generalCategory {
        case .control, .format, .lineSeparator, .paragraphSeparator: true
        default: false
        }
    }
}
