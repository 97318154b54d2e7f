/// The byte-exact rules shared by both handshake sides (proto-spec/handshake.md): domain labels,
/// transcript hashes, signed messages, the trailing-signature layout and key derivation.
enum HandshakeTranscript {
    static let protocolVersion: UInt64 = 1
    static let th2Context: [UInt8] = Array("mesh-hs-v1\0".utf8)
    static let serverSignatureContext: [UInt8] = Array("mesh-hs-v1 server\0".utf8)
    static let clientSignatureContext: [UInt8] = Array("mesh-hs-v1 client\0".utf8)
    static let keyC2SContext: [UInt8] = Array("mesh-key-v1 c2s\0".utf8)
    static let keyS2CContext: [UInt8] = Array("mesh-key-v1 s2c\0".utf8)

    /// Field number of the trailing signature in `welcome`.
    static let welcomeSignatureField = 4
    /// Field number of the trailing signature in `auth`.
    static let authSignatureField = 2

    /// th2 = BLAKE2b-256("mesh-hs-v1\0" ‖ clusterID ‖ u32be(len hello) ‖ hello ‖ u32be(len core) ‖ welcomeCore).
    static func th2(clusterID: [UInt8], hello: [UInt8], welcomeCore: [UInt8]) -> [UInt8] {
        var m = th2Context
        m.reserveCapacity(m.count + 40 + hello.count + welcomeCore.count)
        m += clusterID
        appendLength(hello.count, to: &m)
        m += hello
        appendLength(welcomeCore.count, to: &m)
        m += welcomeCore
        return Sodium.blake2b256(m)
    }

    /// th3 = BLAKE2b-256(th2 ‖ authCore).
    static func th3(th2: [UInt8], authCore: [UInt8]) -> [UInt8] { Sodium.blake2b256(th2 + authCore) }

    /// The session keys as (client→server, server→client):
    /// BLAKE2b-256(key: shared, "mesh-key-v1 c2s\0" ‖ th3) and likewise with "s2c".
    static func keys(shared: [UInt8], th3: [UInt8]) -> (c2s: [UInt8], s2c: [UInt8]) {
        (Sodium.blake2b256(keyC2SContext + th3, key: shared), Sodium.blake2b256(keyS2CContext + th3, key: shared))
    }

    /// `core ‖ key(field, bytes) ‖ 0x40 ‖ signature`: the trailing signature field is always exactly 66 bytes.
    static func appendSignature(_ signature: [UInt8], field: Int, to core: [UInt8]) -> [UInt8] {
        core + [UInt8(field << 3 | 2), 0x40] + signature
    }

    /// Splits `body` into its core and its trailing 66-byte signature field `field`.
    static func splitSignature(
        _ body: ArraySlice<UInt8>, field: Int, message: String
    ) throws(CryptoError) -> (core: [UInt8], signature: [UInt8]) {
        let trailer = 2 + 64
        guard body.count >= trailer else {
            throw CryptoError(.malformedHandshake, "\(message) is \(body.count) bytes, too short for its signature")
        }
        let at = body.endIndex - trailer
        guard body[at] == UInt8(field << 3 | 2), body[at + 1] == 0x40 else {
            throw CryptoError(.malformedHandshake, "\(message) does not end with its 64-byte signature field \(field)")
        }
        return (Array(body[body.startIndex..<at]), Array(body[(at + 2)...]))
    }

    /// Checks a handshake signature over `context ‖ hash` under the key certified by `cert`, else
    /// `badHandshakeSignature` naming `message`.
    static func verifySignature(
        _ signature: [UInt8], context: [UInt8], hash: [UInt8], by cert: NodeCertificate, message: String
    ) throws(CryptoError) {
        let publicKey = cert.body.publicKey
        guard SigningKeyPair.verify(signature: signature, message: context + hash, publicKey: publicKey) else {
            throw CryptoError(
                .badHandshakeSignature,
                "\(message) signature does not verify under the key certified for '\(cert.body.name)'"
            )
        }
    }

    private static func appendLength(_ n: Int, to m: inout [UInt8]) {
        let v = UInt32(truncatingIfNeeded: n)
        m += [UInt8(v >> 24), UInt8(v >> 16 & 0xFF), UInt8(v >> 8 & 0xFF), UInt8(v & 0xFF)]
    }
}
