/// Why a node could not start or run: a code to branch on, a message an operator can act on and, where there is
/// one, the underlying error (a `CryptoError`, a `LogError`, a file-system error).
public struct NodeError: Error, Sendable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Value: Hashable, Sendable {
            case identityUnreadable, identityInvalid, identityMismatch, configurationInvalid, storageFailed
        }
        private let value: Value
        private init(_ value: Value) { self.value = value }

        /// A trust, certificate or key file cannot be read.
        public static let identityUnreadable = Code(.identityUnreadable)
        /// A trust, certificate or key file does not parse, or the identity is expired, not yet valid or not
        /// signed by the cluster trust.
        public static let identityInvalid = Code(.identityInvalid)
        /// The certificate names another node than the one being started.
        public static let identityMismatch = Code(.identityMismatch)
        /// A setting is missing, malformed or contradicts another one.
        public static let configurationInvalid = Code(.configurationInvalid)
        /// The node's data directory or one of its logs cannot be used.
        public static let storageFailed = Code(.storageFailed)

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

    /// `code: message`, then the cause when there is one (its own description, not repeated in `message`).
    public var description: String {
        if let cause { return "\(code): \(message) (cause: \(cause))" }
        return "\(code): \(message)"
    }
}
