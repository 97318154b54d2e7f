import MeshWire

/// Handshake message 2, server → client, without its trailing signature (the "welcome core"):
/// 1 ephemeralPublicKey (32 B), 2 nonce (32 B), 3 certificate (encoded `NodeCertificate`), 5 cipher (uint, the
/// server's choice among the client's offer; absent = ChaCha20-Poly1305, and written only for another choice).
/// The sent body is `core ‖ 0x22 0x40 ‖ signature` (field 4, 64 B); see `HandshakeTranscript`.
struct WelcomeCore: Sendable {
    var ephemeralPublicKey: [UInt8]
    var nonce: [UInt8]
    var certificate: NodeCertificate
    var cipher: FrameCipher

    init(
        ephemeralPublicKey: [UInt8], nonce: [UInt8], certificate: NodeCertificate,
        cipher: FrameCipher = .chacha20Poly1305
    ) {
        self.ephemeralPublicKey = ephemeralPublicKey
        self.nonce = nonce
        self.certificate = certificate
        self.cipher = cipher
    }

    func encoded() -> [UInt8] {
        var w = PayloadWriter(capacity: 512)
        w.bytes(1, ephemeralPublicKey)
        w.bytes(2, nonce)
        w.bytes(3, certificate.encoded())
        if cipher != .chacha20Poly1305 { w.uint(5, cipher.rawValue) }
        return w.bytes
    }

    /// Decodes a core; `malformedHandshake` for undecodable bytes, missing fields, wrong sizes or a
    /// signature field inside the core.
    init(decoding core: [UInt8]) throws(CryptoError) {
        var eph: [UInt8]?
        var nonce: [UInt8]?
        var cert: NodeCertificate?
        var cipherNumber: UInt64?
        do {
            var r = PayloadReader(core)
            while let f = try r.next() {
                switch f.number {
                case 1: eph = Array(try f.bytes())
                case 2: nonce = Array(try f.bytes())
                case 3: cert = try f.message(NodeCertificate.self)
                case 5: cipherNumber = try f.uint()
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
        let cipher = cipherNumber.map(FrameCipher.init(rawValue:)) ?? .chacha20Poly1305
        guard let cipher else {
            throw CryptoError(
                .noCommonCipher, "welcome field 5 names cipher \(cipherNumber!), which this node does not know")
        }
        self.init(ephemeralPublicKey: eph, nonce: nonce, certificate: cert, cipher: cipher)
    }
}
