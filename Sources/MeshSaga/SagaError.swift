/// Why saga/outbox data was refused. `cause` carries the underlying error when there is one.
public struct SagaError: Error, Sendable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Value: Hashable, Sendable {
            case malformedRecord, invalidEvent
        }
        private let value: Value
        private init(_ value: Value) { self.value = value }

        /// A stored or received saga/outbox record could not be decoded.
        public static let malformedRecord = Code(.malformedRecord)
        /// An event lacks a required part (origin, epoch or a sequence ≥ 1).
        public static let invalidEvent = Code(.invalidEvent)

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
