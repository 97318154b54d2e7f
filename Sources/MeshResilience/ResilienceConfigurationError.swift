/// A resilience configuration (breaker, backoff, retry policy, budget) that cannot work as written.
///
/// Constructors that take a configuration validate it and throw this instead of clamping values silently.
public struct ResilienceConfigurationError: Error, Hashable, Sendable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Value: Hashable, Sendable {
            case outOfRange, inconsistent
        }
        private let value: Value
        private init(_ value: Value) { self.value = value }

        /// A single value lies outside the range it must be in (e.g. a negative duration, a rate above 1).
        public static let outOfRange = Code(.outOfRange)
        /// Values are each valid but contradict each other (e.g. a minimum above the window size).
        public static let inconsistent = Code(.inconsistent)

        public var description: String { "\(value)" }
    }

    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code): \(message)" }

    static func require(
        _ condition: Bool, _ code: Code, _ message: @autoclosure () -> String
    ) throws(ResilienceConfigurationError) {
        if !condition { throw ResilienceConfigurationError(code, message()) }
    }

    static func require(_ condition: Bool, _ message: @autoclosure () -> String) throws(ResilienceConfigurationError) {
        try require(condition, .outOfRange, message())
    }
}
