import MeshResilience

/// Why an archive operation failed. `code` says what a caller can do about it; `message` never holds credentials.
public struct ArchiveError: Error, Sendable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Value: Hashable, Sendable {
            case unavailable, rejected, verificationFailed, invalidConfiguration, notFound, corruptArchive
        }
        private let value: Value
        private init(_ value: Value) { self.value = value }

        /// The store could not be reached, timed out or answered with a server error: retry later (the
        /// segments wait locally).
        public static let unavailable = Code(.unavailable)
        /// The store refused the request (authentication, permissions, a bad request): retrying will not help
        /// until the configuration changes.
        public static let rejected = Code(.rejected)
        /// The stored copy does not match the local segment (size or checksum), or a different copy is already
        /// stored under the same name. The local segment is kept.
        public static let verificationFailed = Code(.verificationFailed)
        /// An archive location, credential or option cannot be used.
        public static let invalidConfiguration = Code(.invalidConfiguration)
        /// The archive holds nothing under the requested name.
        public static let notFound = Code(.notFound)
        /// The archive holds data that is not a valid log (a gap, a bad segment).
        public static let corruptArchive = Code(.corruptArchive)

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

    /// Whether trying again later can succeed without a change of configuration.
    public var isRetryable: Bool { code == .unavailable }

    /// How a breaker should count this failure (`nil`: not the store's fault, ignore).
    var failureKind: FailureKind? { code == .unavailable ? .unavailable : nil }
}
