import Crypto

/// What a spool check found.
public struct SpoolCheck: Sendable, Equatable {
    /// Events in the spool.
    public var events: Int
    /// First and last seq held (0 when empty).
    public var firstSeq: UInt64
    public var lastSeq: UInt64
    public var checkpointsVerified: Int
}

extension EventSpool {
    /// Verifies every spooled event (signature, gapless seq, chain, checkpoints) and that the head
    /// row agrees with the last event. Throws the first problem.
    public func verify(publicKey: Curve25519.Signing.PublicKey) throws -> SpoolCheck {
        let head = try state()
        let events = try allEvents()
        var verifier = ChainVerifier(publicKey: publicKey, requireGenesis: false)
        for e in events {
            let event = try verifier.check(line: e.line) { sha in (try? self.blob(sha256: sha))??.data }
            guard event.seq == e.seq else {
                throw ChainProblem(
                    kind: .malformed, line: 0, seq: e.seq, message: "row seq \(e.seq) holds seq \(event.seq)")
            }
        }
        if let last = events.last {
            guard last.seq == head.lastSeq, verifier.lastHash == head.lastHash else {
                throw ChainProblem(
                    kind: .brokenChain, line: 0, seq: last.seq,
                    message: "head (seq \(head.lastSeq)) disagrees with the last event")
            }
        } else if head.lastSeq != 0 {
            throw ChainProblem(kind: .gap, line: 0, seq: head.lastSeq, message: "head names events the spool lacks")
        }
        return SpoolCheck(
            events: events.count, firstSeq: events.first?.seq ?? 0, lastSeq: events.last?.seq ?? 0,
            checkpointsVerified: verifier.checkpointsVerified)
    }
}
