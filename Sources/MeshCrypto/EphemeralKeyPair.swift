import CSodium

/// A one-connection X25519 key pair (libsodium `crypto_scalarmult`). The secret never leaves the
/// handshake state machine that owns it.
struct EphemeralKeyPair: Sendable {
    static let length = 32

    let secret: [UInt8]
    let publicKey: [UInt8]

    /// The pair for a given 32-byte secret; `secret` of another length is a programming error.
    init(secret: [UInt8]) {
        precondition(secret.count == EphemeralKeyPair.length, "an X25519 secret has 32 bytes")
        Sodium.ensureInitialized()
        var pk = [UInt8](repeating: 0, count: 32)
        _ = crypto_scalarmult_base(&pk, secret)
        self.secret = secret
        self.publicKey = pk
    }

    /// A fresh pair from the operating system's CSPRNG.
    static func generate() -> EphemeralKeyPair { EphemeralKeyPair(secret: Sodium.randomBytes(length)) }

    /// The X25519 shared secret with `peerPublicKey` (32 bytes). An all-zero result (the peer sent a
    /// low-order point) is refused with `weakKeyAgreement`.
    func agree(with peerPublicKey: [UInt8]) throws(CryptoError) -> [UInt8] {
        guard peerPublicKey.count == EphemeralKeyPair.length else {
            throw CryptoError(.malformedHandshake, "ephemeral public key has \(peerPublicKey.count) bytes, not 32")
        }
        var shared = [UInt8](repeating: 0, count: 32)
        let rc = crypto_scalarmult(&shared, secret, peerPublicKey)
        guard rc == 0, shared.contains(where: { $0 != 0 }) else {
            throw CryptoError(.weakKeyAgreement, "X25519 with the peer's ephemeral key gives the all-zero secret")
        }
        return shared
    }
}
