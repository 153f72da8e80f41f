import Synchronization

/// The evidence a detection carries: JPEG pictures that have already been redacted (every face blurred but the
/// one a `face.match` is about), or a reference to frames the stage has still to see.
///
/// Pixels never travel beside a detection: a consumer that drops the detection drops its evidence, and one
/// that does not want a pending evidence cancels it, so the stage does not even encode it.
public enum DetectionEvidence: Sendable, Equatable {
    /// No pictures.
    case none
    /// Redacted JPEG images, in the order the event attaches them.
    case images([[UInt8]])
    /// Redacted images the stage delivers later (a crossing's "after" frame is the next one).
    case pending(PendingEvidence)

    /// The images, when they are already here.
    public var images: [[UInt8]] {
        if case .images(let images) = self { return images }
        return []
    }

    /// Bytes held by images that are already here.
    public var byteCount: Int { images.reduce(0) { $0 + $1.count } }
}

/// Evidence a stage completes after it reported the detection. Thread-safe.
///
/// One consumer either asks for the images (`whenReady`) or gives them up (`cancel`). The stage asks
/// `isWanted` before it redacts and encodes, and hands the images over with `fulfil` (empty when they could
/// not be made). Whatever comes first, nothing is kept twice: images wait here only until the consumer takes
/// them, and a cancelled evidence never holds any.
public final class PendingEvidence: Sendable, Equatable, CustomStringConvertible {
    private enum State {
        case waiting((@Sendable ([[UInt8]]) -> Void)?)
        case ready([[UInt8]])
        case done
    }

    private let state = Mutex(State.waiting(nil))

    public init() {}

    /// Stage side: false once the consumer cancelled or the images were delivered.
    public var isWanted: Bool {
        state.withLock { if case .waiting = $0 { return true } else { return false } }
    }

    /// Stage side: delivers the redacted images. Calls the consumer's handler (on this thread) when it is
    /// already waiting; does nothing after `cancel`.
    public func fulfil(_ images: [[UInt8]]) {
        let handler: (@Sendable ([[UInt8]]) -> Void)? = state.withLock { state in
            guard case .waiting(let handler) = state else { return nil }
            if let handler {
                state = .done
                return handler
            }
            state = .ready(images)
            return nil
        }
        handler?(images)
    }

    /// Consumer side: `handler` receives the images once, now if they are already here, else on the stage's
    /// thread when they come. A second call replaces the first handler.
    public func whenReady(_ handler: @escaping @Sendable ([[UInt8]]) -> Void) {
        let ready: [[UInt8]]? = state.withLock { state in
            switch state {
            case .waiting:
                state = .waiting(handler)
                return nil
            case .ready(let images):
                state = .done
                return images
            case .done:
                return nil
            }
        }
        if let ready { handler(ready) }
    }

    /// Consumer side: the images are not wanted (rate limit, type filter, shutdown). Drops what is held and the
    /// handler at once; the stage then skips making them.
    public func cancel() {
        state.withLock { $0 = .done }
    }

    /// Bytes held for the consumer (images delivered before it asked).
    public var heldBytes: Int {
        state.withLock { state in
            guard case .ready(let images) = state else { return 0 }
            return images.reduce(0) { $0 + $1.count }
        }
    }

    public static func == (a: PendingEvidence, b: PendingEvidence) -> Bool { a === b }

    public var description: String { "PendingEvidence" }
}
