import CSodium

/// Entry point to libsodium. Every type in this module calls `ensureInitialized()` before its
/// first libsodium call, so callers never need to.
public enum Sodium {
    /// `sodium_init()` runs exactly once per process: Swift initializes a `static let` lazily and
    /// thread-safely (`swift_once`), and libsodium's own `sodium_init` is idempotent as well.
    private static let initialized: Bool = sodium_init() >= 0

    /// Initializes libsodium once; safe to call from any thread, any number of times.
    public static func ensureInitialized() {
        precondition(initialized, "libsodium failed to initialize")
    }

    /// `count` bytes from the operating system's CSPRNG.
    static func randomBytes(_ count: Int) -> [UInt8] {
        ensureInitialized()
        var out = [UInt8](repeating: 0, count: count)
        out.withUnsafeMutableBytes { randombytes_buf($0.baseAddress!, $0.count) }
        return out
    }

    /// BLAKE2b with a 32-byte output (`crypto_generichash`), optionally keyed.
    static func blake2b256(_ message: [UInt8], key: [UInt8] = []) -> [UInt8] {
        ensureInitialized()
        var out = [UInt8](repeating: 0, count: 32)
        let rc = out.withUnsafeMutableBufferPointer { o in
            message.withUnsafeBufferPointer { m in
                key.withUnsafeBufferPointer { k in
                    crypto_generichash(
                        o.baseAddress!, 32, m.baseAddress, UInt64(m.count),
                        k.isEmpty ? nil : k.baseAddress, k.count
                    )
                }
            }
        }
        precondition(rc == 0, "crypto_generichash cannot fail for a 32-byte output")
        return out
    }

    /// Lowercase hexadecimal.
    static func hex<C: Collection>(_ bytes: C) -> String where C.Element == UInt8 {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        out.reserveCapacity(bytes.count * 2)
        for b in bytes {
            out.append(digits[Int(b >> 4)])
            out.append(digits[Int(b & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
