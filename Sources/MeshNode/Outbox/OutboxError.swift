import MeshLog

/// Why the outbox relay or the inbox could not do what was asked. `cause` carries the underlying error.
public struct OutboxError: Error, Sendable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Value: Hashable, Sendable {
            case corruptCursor, log, invalidSubscriber, corruptRecord
        }
        private let value: Value
        private init(_ value: Value) { self.value = value }

        /// A cursor file exists but is not a valid cursor (bad size, magic or checksum).
        public static let corruptCursor = Code(.corruptCursor)
        /// The event log refused a read or append; see `cause`.
        public static let log = Code(.log)
        /// A subscriber name is empty, not unique, or not a safe file name.
        public static let invalidSubscriber = Code(.invalidSubscriber)
        /// An outbox/inbox record in the log could not be decoded.
        public static let corruptRecord = Code(.corruptRecord)

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

    public var description: String {
        "\(code): \(message)" + (cause.map { " (cause: \($0))" } ?? "")
    }
}
