/// Why a call to a peer failed, as far as resilience decisions care.
///
/// Only failures that say something about the *peer's* health are failure kinds. A caller's own bad request
/// (invalid argument, not found, permission denied) or a caller-side cancellation is not a failure of the peer:
/// report those to a breaker as `CallOutcome.ignored`.
public enum FailureKind: Hashable, Sendable, CaseIterable, CustomStringConvertible {
    /// The call's deadline passed before a response arrived.
    case timeout
    /// The connection could not be made, or was refused or reset.
    case connection
    /// The peer answered with an internal error of its own.
    case serverError
    /// The peer refused the call because it is overloaded (shedding load).
    case overloaded
    /// The peer is known to be unavailable (not connected, breaker open, suspected by membership).
    case unavailable

    public var description: String {
        switch self {
        case .timeout: "timeout"
        case .connection: "connection"
        case .serverError: "serverError"
        case .overloaded: "overloaded"
        case .unavailable: "unavailable"
        }
    }
}

/// What became of a call that held a breaker permit.
public enum CallOutcome: Hashable, Sendable {
    /// The peer answered (possibly with a domain-level "no" that is not the peer's fault).
    case success
    /// The call failed in a way that reflects on the peer's health.
    case failure(FailureKind)
    /// The result says nothing about the peer: a client's own bad request, or the caller cancelled first.
    /// The permit is returned exactly as by `CircuitBreaker.release`.
    case ignored
}
