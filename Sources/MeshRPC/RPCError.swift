import MeshWire

/// The error every call returns: a status code users can branch on, a message for humans and,
/// where there is one, the underlying cause (a `WireError`, a `CryptoError`, a handler's own error).
public struct RPCError: Error, Sendable, CustomStringConvertible {
    public var code: RPCStatus.Code
    public var message: String
    public var cause: (any Error & Sendable)?

    public init(_ code: RPCStatus.Code, _ message: String, cause: (any Error & Sendable)? = nil) {
        self.code = code
        self.message = message
        self.cause = cause
    }

    public init(status: RPCStatus) {
        self.init(status.code, status.message)
    }

    public var status: RPCStatus { RPCStatus(code: code, message: message) }

    public var description: String {
        if let cause { return "\(code): \(message) (cause: \(cause))" }
        return "\(code): \(message)"
    }
}
