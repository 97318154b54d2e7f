import CSodium
import MeshWire

/// One direction's session key, cipher and frame counter, shared by `FrameSealer` and `FrameOpener`.
/// Invariant: `counter` only grows, by one per successfully sealed or opened frame, and the value
/// `SealedFrameLayout.exhaustedCounter` is never used as a nonce.
struct DirectionState: Sendable {
    let key: [UInt8]
    let cipher: FrameCipher
    /// Set when `cipher` is AES-256-GCM.
    let aesSchedule: AESKeySchedule?
    private(set) var counter: UInt64
    /// "sending" or "receiving", for error messages.
    let direction: String

    init(key: [UInt8], cipher: FrameCipher, counter: UInt64, direction: String) {
        precondition(key.count == SealedFrameLayout.keyLength, "a frame key has 32 bytes")
        precondition(cipher.isAvailable, "\(cipher) is not available on this CPU; the handshake never chooses it here")
        Sodium.ensureInitialized()
        self.key = key
        self.cipher = cipher
        self.aesSchedule = cipher == .aes256GCM ? AESKeySchedule(key: key) : nil
        self.counter = counter
        self.direction = direction
    }

    /// The counter for the next frame, or `nonceExhausted`.
    func current() throws(CryptoError) -> UInt64 {
        guard counter != SealedFrameLayout.exhaustedCounter else {
            throw CryptoError(
                .nonceExhausted, "the \(direction) frame counter reached 2^64-1; the connection must be re-established"
            )
        }
        return counter
    }

    /// Marks the current counter as used.
    mutating func advance() { counter += 1 }
}

extension DirectionState {
    /// Encrypts `m` (`length` bytes) into `c` (room for length + 16) with associated data `ad` (12 bytes).
    func encrypt(
        _ c: UnsafeMutablePointer<UInt8>, _ m: UnsafePointer<UInt8>?, _ length: Int, ad: UnsafePointer<UInt8>,
        counter: UInt64
    ) {
        SealedFrameLayout.withNonce(counter) { nonce in
            var written: UInt64 = 0
            let adLength = UInt64(FrameHeader.prefixAndHeaderSize)
            if let aesSchedule {
                _ = crypto_aead_aes256gcm_encrypt_afternm(
                    c, &written, m, UInt64(length), ad, adLength, nil, nonce, aesSchedule.state)
            } else {
                key.withUnsafeBufferPointer { k in
                    _ = crypto_aead_chacha20poly1305_ietf_encrypt(
                        c, &written, m, UInt64(length), ad, adLength, nil, nonce, k.baseAddress!)
                }
            }
        }
    }

    /// Verifies and decrypts `c` (`sealedLength` bytes: ciphertext ‖ tag) into `m`; false if it does not authenticate.
    func decrypt(
        _ m: UnsafeMutablePointer<UInt8>?, _ c: UnsafePointer<UInt8>, _ sealedLength: Int, ad: UnsafePointer<UInt8>,
        counter: UInt64
    ) -> Bool {
        SealedFrameLayout.withNonce(counter) { nonce in
            var written: UInt64 = 0
            let adLength = UInt64(FrameHeader.prefixAndHeaderSize)
            if let aesSchedule {
                return crypto_aead_aes256gcm_decrypt_afternm(
                    m, &written, nil, c, UInt64(sealedLength), ad, adLength, nonce, aesSchedule.state) == 0
            }
            return key.withUnsafeBufferPointer { k in
                crypto_aead_chacha20poly1305_ietf_decrypt(
                    m, &written, nil, c, UInt64(sealedLength), ad, adLength, nonce, k.baseAddress!) == 0
            }
        }
    }
}
