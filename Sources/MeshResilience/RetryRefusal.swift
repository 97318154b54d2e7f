/// Why a failed call is not retried. The caller then surfaces the call's last failure.
public struct RetryRefusal: Error, Hashable, Sendable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Value: Hashable, Sendable {
            case attemptsExhausted, notIdempotent, notRetryable, deadlineExceeded, budgetExhausted
        }
        private let value: Value
        private init(_ value: Value) { self.value = value }

        /// The policy's `maxAttempts` have been made.
        public static let attemptsExhausted = Code(.attemptsExhausted)
        /// The call may have had effects and carries no idempotency key: repeating it could apply them twice.
        public static let notIdempotent = Code(.notIdempotent)
        /// The failure kind is not one the policy retries.
        public static let notRetryable = Code(.notRetryable)
        /// Waiting the backoff would reach the call's deadline.
        public static let deadlineExceeded = Code(.deadlineExceeded)
        /// The peer's retry budget is spent: retrying would add more load than the budget allows.
        public static let budgetExhausted = Code(.budgetExhausted)

        public var description: String { "\(value)" }
    }

    public var code: Code
    /// The failure that was not retried.
    public var failure: FailureKind
    public var message: String

    public init(_ code: Code, failure: FailureKind, _ message: String) {
        self.code = code
        self.failure = failure
        self.message = message
    }

    public var description: String { "\(code) after \(failure): \(message)" }
}
