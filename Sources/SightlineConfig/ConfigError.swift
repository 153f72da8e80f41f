/// One mistake in a configuration file, located by key path and by line and column.
///
/// `line` and `column` are 1-based and come from the YAML node's mark; `line` is 0 when the
/// problem concerns the whole file (it could not be read). `path` is the key path of the value
/// at fault (`cameras[1].fps`), empty for YAML syntax errors and whole-file problems.
public struct ConfigIssue: Error, Sendable, Equatable, CustomStringConvertible {
    /// The configuration file the issue was found in, as given to the loader.
    public var file: String
    /// Key path of the offending value, e.g. `cameras[1].fps`; empty when no key applies.
    public var path: String
    /// 1-based line of the offending node; 0 when the issue concerns the whole file.
    public var line: Int
    /// 1-based column of the offending node (counted in Unicode scalars, as libyaml does).
    public var column: Int
    /// What is wrong and, where possible, what to write instead.
    public var message: String

    public init(file: String, path: String, line: Int, column: Int, message: String) {
        self.file = file
        self.path = path
        self.line = line
        self.column = column
        self.message = message
    }

    /// `FILE:LINE:COLUMN: PATH: MESSAGE`, the form editors and `grep -n` users recognise.
    ///
    /// The line and column are left out for whole-file issues (line 0), the path when empty.
    public var description: String {
        var text = file
        if line > 0 {
            text += ":\(line):\(column)"
        }
        text += ": "
        if !path.isEmpty {
            text += "\(path): "
        }
        return text + message
    }
}

/// All the mistakes found in one configuration file; thrown by `ConfigLoader`.
///
/// The loader collects every issue it can find before throwing, sorted by position, so an
/// operator fixes a file in one pass. Only a YAML syntax error stops the walk early.
public struct ConfigError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The configuration file, as given to the loader.
    public var file: String
    /// The issues, sorted by line and column; never empty when thrown.
    public var issues: [ConfigIssue]

    public init(file: String, issues: [ConfigIssue]) {
        self.file = file
        self.issues = issues
    }

    /// One issue per line, in file order: what `sightlined --check-config` prints.
    public var description: String {
        issues.map(\.description).joined(separator: "\n")
    }
}
