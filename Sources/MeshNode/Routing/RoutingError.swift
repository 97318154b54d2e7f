/// A routing table or routing configuration that cannot be used.
public struct RoutingError: Error, Sendable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Value: Hashable, Sendable {
            case malformedRoute, conflictingAddress, invalidConfiguration
        }
        private let value: Value
        private init(_ value: Value) { self.value = value }

        /// A `--peer` value is not `SERVICE=NAME@HOST:PORT`.
        public static let malformedRoute = Code(.malformedRoute)
        /// One peer name was given two different addresses.
        public static let conflictingAddress = Code(.conflictingAddress)
        /// The breaker or routing settings are out of range.
        public static let invalidConfiguration = Code(.invalidConfiguration)

        public var description: String { "\(value)" }
    }

    public var code: Code
    public var message: String
    public var cause: (any Error & Sendable)?

    public init(_ code: Code, _ message: String, cause: (any Error & Sendable)? = nil) {
        self.code = code
        self.message = message
        self.cause = cause
    }

    public var description: String { "\(code): \(message)" + (cause.map { " (cause: \($0))" } ?? "") }
}
