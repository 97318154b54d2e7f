import MeshWire

/// Why a cryptographic check failed. Every refused handshake or frame produces one of these; the
/// transport sends it to the peer in a `goAway` (handshake) or logs it (sealed frames) and closes.
///
/// Equality and hashing use `code` and `message` only; `cause` is diagnostic.
public struct CryptoError: Error, Hashable, Sendable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Value: Hashable, Sendable {
            case invalidKey, badCertificateSignature, untrustedIssuer, wrongCluster, certificateExpired
            case certificateNotYetValid, badHandshakeSignature, peerNameMismatch, unsupportedVersion
            case malformedHandshake, unexpectedHandshakeMessage, frameAuthenticationFailed, nonceExhausted
            case weakKeyAgreement, malformedEncoding, frameTooLarge, noCommonCipher
        }
        private let value: Value
        private init(_ value: Value) { self.value = value }

        /// A key has the wrong length or is otherwise unusable.
        public static let invalidKey = Code(.invalidKey)
        /// A certificate's CA signature does not verify under the trusted CA key.
        public static let badCertificateSignature = Code(.badCertificateSignature)
        /// A certificate names an issuer (CA public key) other than the locally trusted one.
        public static let untrustedIssuer = Code(.untrustedIssuer)
        /// The peer belongs to another cluster (cluster id or certificate cluster name differs).
        public static let wrongCluster = Code(.wrongCluster)
        /// `now` is after the certificate's `notAfter`.
        public static let certificateExpired = Code(.certificateExpired)
        /// `now` is before the certificate's `notBefore`.
        public static let certificateNotYetValid = Code(.certificateNotYetValid)
        /// A handshake signature does not verify under the peer certificate's public key
        /// (also the symptom of a certificate presented with someone else's key).
        public static let badHandshakeSignature = Code(.badHandshakeSignature)
        /// The server's certificate names another node than the client asked for.
        public static let peerNameMismatch = Code(.peerNameMismatch)
        /// The peer speaks a handshake protocol version this node does not.
        public static let unsupportedVersion = Code(.unsupportedVersion)
        /// A handshake message does not decode or lacks a field, or a field has the wrong size.
        public static let malformedHandshake = Code(.malformedHandshake)
        /// A handshake step was taken out of order, twice, or after a failure.
        public static let unexpectedHandshakeMessage = Code(.unexpectedHandshakeMessage)
        /// A sealed frame failed authentication: tampered, reordered, replayed or truncated.
        public static let frameAuthenticationFailed = Code(.frameAuthenticationFailed)
        /// The direction's frame counter, or its key's usage limit, is used up; the connection must be re-established.
        public static let nonceExhausted = Code(.nonceExhausted)
        /// The X25519 key agreement produced the all-zero value (a low-order peer key).
        public static let weakKeyAgreement = Code(.weakKeyAgreement)
        /// A PEM-like text block or its contents do not decode.
        public static let malformedEncoding = Code(.malformedEncoding)
        /// A frame to seal would not fit the 32-bit length prefix.
        public static let frameTooLarge = Code(.frameTooLarge)
        /// The two sides share no frame cipher, or the server chose one the client did not offer.
        public static let noCommonCipher = Code(.noCommonCipher)

        public var description: String { "\(value)" }
    }

    public var code: Code
    public var message: String
    /// The lower-level error that led to this one, if any (for example a `WireError`).
    public var cause: (any Error & Sendable)?

    public init(_ code: Code, _ message: String, cause: (any Error & Sendable)? = nil) {
        self.code = code
        self.message = message
        self.cause = cause
    }

    public static func == (a: CryptoError, b: CryptoError) -> Bool { a.code == b.code && a.message == b.message }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(code)
        hasher.combine(message)
    }

    public var description: String {
        if let cause { return "\(code): \(message) (cause: \(cause))" }
        return "\(code): \(message)"
    }

    /// The body of the plaintext `goAway` frame the detecting side sends when a handshake fails:
    /// stream 0, status `unauthenticated`, this error's description as the reason.
    public var goAwayBody: GoAwayBody {
        GoAwayBody(lastStreamID: 0, status: RPCStatus(code: .unauthenticated, message: "\(code): \(message)"))
    }
}
