/// What the signal head shows, as the debouncer has locked it.
public enum SignalState: String, Sendable, Equatable, CaseIterable {
    /// Not yet locked, or the evidence disagrees (two lamps lit, none lit for long).
    case unknown
    case red
    case amber
    case green
}

/// What one frame shows of the signal head, before debouncing.
public enum SignalObservation: Sendable, Equatable {
    /// Exactly one lamp is lit.
    case lit(SignalState)
    /// No lamp is lit (a transition, flicker, occlusion or a dark head).
    case dark
    /// More than one lamp is lit.
    case conflict
}
