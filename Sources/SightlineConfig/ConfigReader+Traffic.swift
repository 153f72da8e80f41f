import Traffic
import Yams

extension ConfigReader {
    /// Reads a camera's `traffic:` section with the traffic module's own reader (the CLI's camera file
    /// uses the same one), turning its issues into this file's.
    mutating func readTraffic(_ node: Node, path: String) -> TrafficConfiguration? {
        var reader = TrafficConfigurationReader()
        let configuration = reader.read(node, path: path)
        for issue in reader.issues {
            report(issue.path, line: issue.line, column: issue.column, issue.message)
        }
        return configuration
    }
}
