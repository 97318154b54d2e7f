import CSodium

/// An Ed25519 key pair (libsodium `crypto_sign`). Used for the cluster CA and for each node.
///
/// The 32-byte `seed` determines the whole pair, so it is what key files store. The expanded
/// secret key is kept private; Swift arrays cannot be reliably wiped, so protect the process.
public struct SigningKeyPair: Sendable {
    public static let seedLength = 32
    public static let publicKeyLength = 32
    public static let signatureLength = 64

    /// 32-byte Ed25519 public key.
    public let publicKey: [UInt8]
    /// 64-byte libsodium secret key (seed ‖ public key).
    private let secretKey: [UInt8]

    /// A fresh key pair from the operating system's CSPRNG.
    public static func generate() -> SigningKeyPair {
        // 32 random bytes are always a valid seed.
        try! SigningKeyPair(seed: Sodium.randomBytes(seedLength))
    }

    /// The key pair deterministically derived from a 32-byte seed.
    public init(seed: [UInt8]) throws(CryptoError) {
        guard seed.count == SigningKeyPair.seedLength else {
            throw CryptoError(.invalidKey, "an Ed25519 seed has 32 bytes, not \(seed.count)")
        }
        Sodium.ensureInitialized()
        var pk = [UInt8](repeating: 0, count: 32)
        var sk = [UInt8](repeating: 0, count: 64)
        _ = crypto_sign_seed_keypair(&pk, &sk, seed)
        publicKey = pk
        secretKey = sk
    }

    /// The seed this pair derives from (the first half of libsodium's secret key), for key files.
    public var seed: [UInt8] { Array(secretKey[0..<32]) }

    /// The 64-byte detached Ed25519 signature of `message`. Deterministic.
    public func sign(_ message: [UInt8]) -> [UInt8] {
        var sig = [UInt8](repeating: 0, count: 64)
        _ = crypto_sign_detached(&sig, nil, message, UInt64(message.count), secretKey)
        return sig
    }

    /// Whether `signature` is a valid Ed25519 signature of `message` by `publicKey`.
    /// Wrong-length inputs are simply invalid.
    public static func verify(signature: [UInt8], message: [UInt8], publicKey: [UInt8]) -> Bool {
        guard signature.count == signatureLength, publicKey.count == publicKeyLength else { return false }
        Sodium.ensureInitialized()
        return crypto_sign_verify_detached(signature, message, UInt64(message.count), publicKey) == 0
    }
}
