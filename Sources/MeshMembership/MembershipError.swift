/// Why the membership core refused an input. Refusals surface as `MembershipEvent.rejected` or as a
/// thrown error from `SWIMInstance.init`; nothing is dropped silently.
public struct MembershipError: Error, Hashable, Sendable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Value: Hashable, Sendable {
            case metadataTooLarge, invalidPublicKey, identityConflict, wrongTarget, invalidConfiguration, invalidName
        }
        private let value: Value
        private init(_ value: Value) { self.value = value }

        /// A member's encoded metadata exceeds `SWIMConfiguration.maxMetadataBytes`.
        public static let metadataTooLarge = Code(.metadataTooLarge)
        /// A public key is neither empty nor exactly 32 bytes.
        public static let invalidPublicKey = Code(.invalidPublicKey)
        /// A different key claims a name that a live member already holds.
        public static let identityConflict = Code(.identityConflict)
        /// A ping named another member than this one (a stale address).
        public static let wrongTarget = Code(.wrongTarget)
        /// A configuration value is out of range.
        public static let invalidConfiguration = Code(.invalidConfiguration)
        /// A member name is empty.
        public static let invalidName = Code(.invalidName)

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

    public static func == (a: MembershipError, b: MembershipError) -> Bool {
        a.code == b.code && a.message == b.message
    }
    public func hash(into hasher: inout Hasher) {
        hasher.combine(code)
        hasher.combine(message)
    }

    public var description: String { "\(code): \(message)" }
}
