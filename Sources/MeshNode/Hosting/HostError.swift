/// Why a `ServiceHost` could not start or had to stop. `cause` carries the underlying error.
public struct HostError: Error, Sendable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Value: Hashable, Sendable {
            case unknownService, invalidInstance, invalidLayout, log, corruptSnapshot, corruptRecord, domainFailed
        }
        private let value: Value
        private init(_ value: Value) { self.value = value }

        /// `--services` names a service no registry entry provides.
        public static let unknownService = Code(.unknownService)
        /// The node is not (and was not told to be) one of the service's instances `<service>-<i>`.
        public static let invalidInstance = Code(.invalidInstance)
        /// A partition or instance count is not usable, or a `--services` entry does not parse.
        public static let invalidLayout = Code(.invalidLayout)
        /// The service's event log refused an open, read or append; see `cause`.
        public static let log = Code(.log)
        /// A snapshot file is damaged (wrong magic, size or checksum); the host folds from an older one.
        public static let corruptSnapshot = Code(.corruptSnapshot)
        /// A record of the service's log does not decode as the domain's event.
        public static let corruptRecord = Code(.corruptRecord)
        /// The domain could not apply one of its own events: the state is no longer trustworthy.
        public static let domainFailed = Code(.domainFailed)

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
