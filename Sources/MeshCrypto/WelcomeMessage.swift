import MeshWire

/// Handshake message 2, server → client, without its trailing signature (the "welcome core"):
/// 1 ephemeralPublicKey (32 B), 2 nonce (32 B), 3 certificate (encoded `NodeCertificate`).
/// The sent body is `core ‖ 0x22 0x40 ‖ signature` (field 4, 64 B); see `HandshakeTranscript`.
struct WelcomeCore: Sendable {
    var ephemeralPublicKey: [UInt8]
    var nonce: [UInt8]
    var certificate: NodeCertificate

    init(ephemeralPublicKey: [UInt8], nonce: [UInt8], certificate: NodeCertificate) {
        self.ephemeralPublicKey = ephemeralPublicKey
        self.nonce = nonce
        self.certificate = certificate
    }

    func encoded() -> [UInt8] {
        var w = PayloadWriter(capacity: 512)
        w.bytes(1, ephemeralPublicKey)
        w.bytes(2, nonce)
        w.bytes(3, certificate.encoded())
        return w.bytes
    }

    /// Decodes a core; `malformedHandshake` for undecodable bytes, missing fields, wrong sizes or a
    /// signature field inside the core.
    init(decoding core: [UInt8]) throws(CryptoError) {
        var eph: [UInt8]?, nonce: [UInt8]?, cert: NodeCertificate?
        do {
            var r = PayloadReader(core)
            while let f = try r.next() {
                switch f.number {
                case 1: eph = Array(try f.bytes())
                case 2: nonce = Array(try f.bytes())
                case 3: cert = try f.message(NodeCertificate.self)
                case HandshakeTranscript.welcomeSignatureField:
                    throw WireError(.invalidValue, "signature field 4 appears before the end")
                default: break
                }
            }
        } catch {
            throw CryptoError(.malformedHandshake, "welcome does not decode: \(error)", cause: error)
        }
        guard let eph, eph.count == 32 else {
            throw CryptoError(.malformedHandshake, "welcome field 1 (ephemeralPublicKey) is missing or not 32 bytes")
        }
        guard let nonce, nonce.count == 32 else {
            throw CryptoError(.malformedHandshake, "welcome field 2 (nonce) is missing or not 32 bytes")
        }
        guard let cert else { throw CryptoError(.malformedHandshake, "welcome lacks field 3 (certificate)") }
        self.init(ephemeralPublicKey: eph, nonce: nonce, certificate: cert)
    }
}
