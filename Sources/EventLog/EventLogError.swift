/// Failures of the edge event log and its spool.
public enum SpoolError: Error, Sendable, CustomStringConvertible {
    /// SQLite refused an operation (disk full, I/O error, corruption).
    case database(String)
    /// The spool was written by another device key; refusing to mix chains.
    case deviceMismatch(spool: String, key: String)
    /// A value could not be canonicalized (non-finite number, integer beyond 2^53).
    case canonicalization(CanonicalJSONError)
    /// The spool's own chain does not verify (see `SpoolCheck`).
    case corrupt(String)
    /// The event log is closed.
    case closed

    public var description: String {
        switch self {
        case .database(let m): "spool database error: \(m)"
        case .deviceMismatch(let s, let k): "spool belongs to device \(s), key is \(k)"
        case .canonicalization(let e): "cannot canonicalize event: \(e)"
        case .corrupt(let m): "spool is corrupt: \(m)"
        case .closed: "event log is closed"
        }
    }
}
