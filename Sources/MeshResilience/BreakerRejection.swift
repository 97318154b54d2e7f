import MeshCore

/// A breaker refused a call. The caller fails fast (or queues and tries again after `retryAfter`).
public struct BreakerRejection: Error, Hashable, Sendable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Value: Hashable, Sendable {
            case open, halfOpenFull, forcedOpen
        }
        private let value: Value
        private init(_ value: Value) { self.value = value }

        /// The breaker is open: the peer failed too often or was too slow recently.
        public static let open = Code(.open)
        /// The breaker is half-open and all its trial permits are out.
        public static let halfOpenFull = Code(.halfOpenFull)
        /// The breaker is held open from outside (membership suspects the peer or declared it dead).
        public static let forcedOpen = Code(.forcedOpen)

        public var description: String { "\(value)" }
    }

    public var code: Code
    /// The state the breaker was in when it refused.
    public var state: CircuitBreaker.State
    /// When a call may be admitted again at the earliest, if known (open: the rest of the wait;
    /// half-open and forced-open: unknown, `nil`).
    public var retryAfter: MeshDuration?
    public var message: String

    public init(_ code: Code, state: CircuitBreaker.State, retryAfter: MeshDuration?, _ message: String) {
        self.code = code
        self.state = state
        self.retryAfter = retryAfter
        self.message = message
    }

    public var description: String {
        "\(code): \(message)" + (retryAfter.map { " (retry after \($0))" } ?? "")
    }
}
