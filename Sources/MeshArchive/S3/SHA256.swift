import CSodium

/// SHA-256 and HMAC-SHA-256 (libsodium), as SigV4 and S3 payload hashes need them.
enum SHA256 {
    static func hash(_ bytes: some Collection<UInt8>) -> [UInt8] {
        var digest = [UInt8](repeating: 0, count: Int(crypto_hash_sha256_BYTES))
        let input = Array(bytes)
        _ = sodiumInitialized
        input.withUnsafeBufferPointer { inp in
            _ = crypto_hash_sha256(&digest, inp.baseAddress, UInt64(inp.count))
        }
        return digest
    }

    static func hmac(key: [UInt8], _ message: some Collection<UInt8>) -> [UInt8] {
        var state = crypto_auth_hmacsha256_state()
        var mac = [UInt8](repeating: 0, count: Int(crypto_auth_hmacsha256_BYTES))
        let input = Array(message)
        _ = sodiumInitialized
        _ = crypto_auth_hmacsha256_init(&state, key, key.count)
        input.withUnsafeBufferPointer { inp in
            _ = crypto_auth_hmacsha256_update(&state, inp.baseAddress, UInt64(inp.count))
        }
        _ = crypto_auth_hmacsha256_final(&state, &mac)
        return mac
    }

    static func hex(_ bytes: some Collection<UInt8>) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count * 2)
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// `sodium_init` once per process (idempotent and thread-safe in libsodium; the lazy global makes it once).
    private static let sodiumInitialized: Int32 = sodium_init()
}

/// Standard base64 with padding (what `x-amz-checksum-*` headers carry).
enum Base64 {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    static func encode(_ bytes: [UInt8]) -> String {
        var out: [UInt8] = []
        var i = 0
        while i < bytes.count {
            let b0 = bytes[i]
            let b1 = i + 1 < bytes.count ? bytes[i + 1] : 0
            let b2 = i + 2 < bytes.count ? bytes[i + 2] : 0
            out.append(alphabet[Int(b0 >> 2)])
            out.append(alphabet[Int((b0 & 0x03) << 4 | b1 >> 4)])
            out.append(i + 1 < bytes.count ? alphabet[Int((b1 & 0x0f) << 2 | b2 >> 6)] : UInt8(ascii: "="))
            out.append(i + 2 < bytes.count ? alphabet[Int(b2 & 0x3f)] : UInt8(ascii: "="))
            i += 3
        }
        return String(decoding: out, as: UTF8.self)
    }
}
