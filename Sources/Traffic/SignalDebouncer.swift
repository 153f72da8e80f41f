/// Locks the signal state from per-frame observations: a colour is locked after `lockFrames`
/// consecutive frames agree on it, and the locked colour survives shorter disagreements (hysteresis).
///
/// Two lamps lit for `lockFrames` frames, or none lit for `darkSeconds`, make the state `unknown`.
/// The onset of a locked state is back-dated to the first frame of the agreeing run, so `red_for`
/// measures time since the lamp came on, not since the debouncer was sure.
public struct SignalDebouncer: Sendable {
    /// A locked change: the new state, the state before, and when the new one began.
    public struct Change: Sendable, Equatable {
        public var state: SignalState
        public var previous: SignalState
        /// 0-based index of the first frame of the run that locked the state.
        public var onsetFrame: Int
        /// Presentation time of that frame, seconds.
        public var onsetPTS: Double
    }

    public let lockFrames: Int
    public let darkSeconds: Double
    /// The locked state.
    public private(set) var state: SignalState = .unknown
    /// When the locked state began (seconds of presentation time); nil while nothing was locked.
    public private(set) var onsetPTS: Double?
    private var run: (observation: SignalObservation, length: Int, frame: Int, pts: Double)?

    public init(lockFrames: Int, darkSeconds: Double) {
        precondition(lockFrames >= 1 && darkSeconds > 0, "bad debouncer settings")
        self.lockFrames = lockFrames
        self.darkSeconds = darkSeconds
    }

    /// Feeds the observation of frame `frame` at `pts`; returns the change it caused, if any.
    public mutating func observe(_ observation: SignalObservation, frame: Int, pts: Double) -> Change? {
        if var current = run, current.observation == observation {
            current.length += 1
            run = current
        } else {
            run = (observation, 1, frame, pts)
        }
        guard let run else { return nil }
        let target: SignalState?
        switch observation {
        case .lit(let colour):
            target = run.length >= lockFrames ? colour : nil
        case .conflict:
            target = run.length >= lockFrames ? .unknown : nil
        case .dark:
            target = pts - run.pts >= darkSeconds ? .unknown : nil
        }
        guard let target, target != state else { return nil }
        let change = Change(state: target, previous: state, onsetFrame: run.frame, onsetPTS: run.pts)
        state = target
        onsetPTS = run.pts
        return change
    }

    /// A lamp of another colour than the locked state, lit for fewer than `lockFrames` frames so far: the colour and
    /// the run's first frame. Should the run last, the state changes as of that frame.
    public var changing: (colour: SignalState, since: Int)? {
        guard let run, case .lit(let colour) = run.observation, colour != state, run.length < lockFrames else {
            return nil
        }
        return (colour, run.frame)
    }

    /// Seconds the locked state has lasted at `pts`; nil when nothing is locked.
    public func duration(at pts: Double) -> Double? {
        onsetPTS.map { pts - $0 }
    }
}
