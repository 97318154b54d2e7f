import MeshResilience
import MeshWire

extension RPCStatus.Code {
    /// What a call ending with this code says about the peer's health (see `FailureKind`): timeouts,
    /// unavailability, overload and server faults are the peer's; a caller's own bad request or
    /// cancellation is `.ignored`; any other answer (a domain "no") is the peer working: `.success`.
    public var callOutcome: CallOutcome {
        switch self {
        case .ok: .success
        case .deadlineExceeded: .failure(.timeout)
        case .unavailable: .failure(.unavailable)
        case .resourceExhausted: .failure(.overloaded)
        case .internal, .unknown, .dataLoss: .failure(.serverError)
        case .cancelled, .invalidArgument, .permissionDenied, .unauthenticated, .unimplemented: .ignored
        default: .success
        }
    }
}
