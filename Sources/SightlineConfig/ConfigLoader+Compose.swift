import Yams

extension ConfigLoader {
    /// A duplicate key found while composing, waiting for its key path.
    private struct DuplicateKey {
        var key: String
        var firstLine: Int
        var firstColumn: Int
        var line: Int
        var column: Int
    }

    /// Composes the YAML tree, reporting syntax errors and every duplicate key.
    ///
    /// Yams refuses a mapping with a repeated key and names only the first occurrence. To report
    /// them all and still check the rest of the file, the repeated entry (a block-style key line
    /// and the lines indented under it) is blanked out, keeping line numbers, and composing
    /// starts again. Returns `composed == false` after a syntax error or a duplicate that could
    /// not be located (flow style `{a: 1, a: 2}`): then there is no tree to walk.
    static func compose(yaml: String, reader: inout ConfigReader) -> (root: Node?, composed: Bool) {
        var text = yaml
        var duplicates: [DuplicateKey] = []
        // Each round blanks at least one line, so this ends; the cap only bounds pathological input.
        for _ in 0..<1000 {
            do {
                let root = try Yams.compose(yaml: text)
                for duplicate in duplicates {
                    let path = root.flatMap {
                        keyPath(line: duplicate.firstLine, column: duplicate.firstColumn, in: $0)
                    }
                    reportDuplicate(duplicate, path: path ?? duplicate.key, reader: &reader)
                }
                return (root, true)
            } catch YamlError.duplicatedKeysInMapping(let keys, let context) {
                let key = keys.first ?? ""
                var lines = text.split(omittingEmptySubsequences: false) { $0 == "\n" || $0 == "\r\n" }
                guard let repeated = locateRepeatedEntry(key, line: context.mark.line, column: context.mark.column,
                                                         in: lines) else {
                    reader.report(key, at: context.mark, "duplicate key '\(key)' in this mapping; "
                        + "YAML keeps only one value per key, so remove one of them")
                    break
                }
                duplicates.append(DuplicateKey(
                    key: key, firstLine: context.mark.line, firstColumn: context.mark.column,
                    line: repeated.lowerBound + 1, column: context.mark.column
                ))
                for index in repeated {
                    lines[index] = ""
                }
                text = lines.joined(separator: "\n")
            } catch let error as YamlError {
                reportSyntax(error, reader: &reader)
                break
            } catch {
                reader.report("", line: 0, column: 0, "invalid YAML: \(error)")
                break
            }
        }
        for duplicate in duplicates {
            reportDuplicate(duplicate, path: duplicate.key, reader: &reader)
        }
        return (nil, false)
    }

    private static func reportDuplicate(_ duplicate: DuplicateKey, path: String, reader: inout ConfigReader) {
        reader.report(path, line: duplicate.line, column: duplicate.column,
                      "duplicate key '\(duplicate.key)' (first on line \(duplicate.firstLine)); "
                        + "YAML keeps only one value per key, so remove one of them")
    }

    /// Finds the second block-style entry for `key` in the mapping whose first `key` starts at
    /// (`line`, `column`), both 1-based. Returns the 0-based range of lines that entry spans: its
    /// key line plus the lines indented deeper (and `- ` items at the same indent) after it.
    static func locateRepeatedEntry(_ key: String, line: Int, column: Int, in lines: [Substring]) -> Range<Int>? {
        let indent = column - 1
        func measure(_ text: Substring) -> (indent: Int, content: Substring) {
            let content = text.drop { $0 == " " }
            return (text.count - content.count, content)
        }
        func isBlank(_ content: Substring) -> Bool {
            content.allSatisfy(\.isWhitespace) || content.hasPrefix("#")
        }
        var index = line
        while index < lines.count {
            let (lineIndent, content) = measure(lines[index])
            if isBlank(content) {
                index += 1
                continue
            }
            if lineIndent < indent {
                return nil
            }
            if lineIndent == indent && startsWithKey(content, key) {
                var end = index + 1
                while end < lines.count {
                    let (nextIndent, next) = measure(lines[end])
                    guard isBlank(next) || nextIndent > indent || (nextIndent == indent && next.hasPrefix("-"))
                    else { break }
                    end += 1
                }
                return index..<end
            }
            index += 1
        }
        return nil
    }

    /// Whether a line's content begins with `key:` (plain, single- or double-quoted).
    private static func startsWithKey(_ content: Substring, _ key: String) -> Bool {
        for spelling in [key, "'\(key)'", "\"\(key)\""] where content.hasPrefix(spelling) {
            if content.dropFirst(spelling.count).drop(while: { $0 == " " }).hasPrefix(":") {
                return true
            }
        }
        return false
    }

    /// Key path of the mapping key that starts at (`line`, `column`), if there is one.
    static func keyPath(line: Int, column: Int, in node: Node, path: String = "") -> String? {
        switch node {
        case .mapping(let mapping):
            for (key, value) in mapping {
                guard case .scalar(let scalar) = key else { continue }
                let keyPath = path.isEmpty ? scalar.string : "\(path).\(scalar.string)"
                if let mark = key.mark, mark.line == line, mark.column == column {
                    return keyPath
                }
                if let found = self.keyPath(line: line, column: column, in: value, path: keyPath) {
                    return found
                }
            }
        case .sequence(let sequence):
            for (index, element) in sequence.enumerated() {
                if let found = keyPath(line: line, column: column, in: element, path: "\(path)[\(index)]") {
                    return found
                }
            }
        case .scalar, .alias:
            break
        }
        return nil
    }

    /// Turns a libyaml error into an issue at its line and column.
    private static func reportSyntax(_ error: YamlError, reader: inout ConfigReader) {
        switch error {
        case .scanner(let context, let problem, let mark, let yaml),
             .parser(let context, let problem, let mark, let yaml),
             .composer(let context, let problem, let mark, let yaml):
            var message = "invalid YAML: \(problem)"
            if let context, !context.text.isEmpty {
                message += " (\(context.text) on line \(context.mark.line))"
            }
            let lines = yaml.split(omittingEmptySubsequences: false) { $0 == "\n" || $0 == "\r\n" }
            if mark.line >= 1, mark.line <= lines.count, lines[mark.line - 1].contains("\t") {
                message += "; YAML does not allow tabs for indentation, use spaces"
            }
            reader.report("", at: mark, message)
        case .reader(let problem, let offset, _, let yaml):
            var line = 0
            var column = 0
            if let offset {
                let prefix = yaml.prefix(offset)
                line = prefix.reduce(1) { $1 == "\n" || $1 == "\r\n" ? $0 + 1 : $0 }
                column = prefix.count - (prefix.lastIndex { $0 == "\n" || $0 == "\r\n" }
                    .map { prefix.distance(from: prefix.startIndex, to: $0) + 1 } ?? 0) + 1
            }
            reader.report("", line: line, column: column, "invalid YAML: \(problem)")
        default:
            reader.report("", line: 0, column: 0, "invalid YAML: \(error)")
        }
    }
}
