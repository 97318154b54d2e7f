/// Why a connection was refused or closed. Logged on the side that saw it, reported to
/// `ConnectionEvent` observers, and carried (as the cause) by the `RPCError`s of calls it failed.
public struct ConnectionError: Error, Sendable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Value: Hashable, Sendable {
            case protocolViolation, handshakeFailed, handshakeTimeout, frameRejected, authenticationFailed
            case keepaliveTimeout, peerWentAway, closedByPeer, connectFailed, shutdown, io
        }
        private let value: Value
        private init(_ v: Value) { value = v }

        /// The peer sent bytes that are not a valid frame, or a frame not legal in this phase.
        public static let protocolViolation = Code(.protocolViolation)
        /// The peer's certificate or handshake was refused (or it refused ours).
        public static let handshakeFailed = Code(.handshakeFailed)
        /// The handshake did not complete within the configured bound.
        public static let handshakeTimeout = Code(.handshakeTimeout)
        /// A frame was too large, truncated or had an unknown version or type.
        public static let frameRejected = Code(.frameRejected)
        /// A sealed frame failed authentication (tampered, replayed, reordered or truncated).
        public static let authenticationFailed = Code(.authenticationFailed)
        /// A keepalive ping went unanswered.
        public static let keepaliveTimeout = Code(.keepaliveTimeout)
        /// The peer sent goAway.
        public static let peerWentAway = Code(.peerWentAway)
        /// The peer closed the TCP connection.
        public static let closedByPeer = Code(.closedByPeer)
        /// The TCP connection could not be established.
        public static let connectFailed = Code(.connectFailed)
        /// This node is shutting down.
        public static let shutdown = Code(.shutdown)
        /// A socket error.
        public static let io = Code(.io)

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
        if let cause { return "\(code): \(message) (\(cause))" }
        return "\(code): \(message)"
    }
}

/// What observers of a transport learn about its connections.
public enum ConnectionEvent: Sendable {
    /// A handshake completed. `inbound` is true on the accepting side.
    case established(peer: String, remoteAddress: String, inbound: Bool)
    /// A connection ended; `error` is nil for an orderly close.
    case closed(peer: String?, remoteAddress: String, inbound: Bool, error: ConnectionError?)
}
