/// Why a benchmark run, cell or server could not produce a number. Every failed cell carries one of these into the
/// report; nothing is silently dropped.
public struct BenchError: Error, Hashable, Sendable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Value: Hashable, Sendable {
            case usage, targetUnavailable, serverStartFailed, badEcho, protocolViolation, connectionClosed
        }
        private let value: Value
        private init(_ value: Value) { self.value = value }

        /// The command line could not be understood.
        public static let usage = Code(.usage)
        /// The target is not wired up in this build (the Mesh slot before it is filled in).
        public static let targetUnavailable = Code(.targetUnavailable)
        /// The server child process exited or never announced its port.
        public static let serverStartFailed = Code(.serverStartFailed)
        /// A reply's bytes differ from the request's bytes.
        public static let badEcho = Code(.badEcho)
        /// The peer sent a frame that breaks the echo framing (oversized, unknown request id).
        public static let protocolViolation = Code(.protocolViolation)
        /// The connection closed while calls were still in flight.
        public static let connectionClosed = Code(.connectionClosed)

        public var description: String { "\(value)" }
    }

    public var code: Code
    public var message: String
    /// The underlying error, rendered as text so the value stays `Hashable`.
    public var cause: String?

    public init(_ code: Code, _ message: String, cause: (any Error)? = nil) {
        self.code = code
        self.message = message
        self.cause = cause.map { "\($0)" }
    }

    public var description: String {
        cause.map { "\(code): \(message) (\($0))" } ?? "\(code): \(message)"
    }
}
