/// A failure the user can act on: printed as `sightline: MESSAGE`, exit status 1.
public struct CLIError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
