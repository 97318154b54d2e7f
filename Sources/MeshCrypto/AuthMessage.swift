import MeshWire

/// Handshake message 3, client → server, without its trailing signature (the "auth core"):
/// 1 certificate (encoded `NodeCertificate`). The sent body is `core ‖ 0x12 0x40 ‖ signature`
/// (field 2, 64 B); see `HandshakeTranscript`.
struct AuthCore: Sendable {
    var certificate: NodeCertificate

    init(certificate: NodeCertificate) { self.certificate = certificate }

    func encoded() -> [UInt8] {
        var w = PayloadWriter(capacity: 320)
        w.bytes(1, certificate.encoded())
        return w.bytes
    }

    /// Decodes a core; `malformedHandshake` for undecodable bytes, a missing certificate or a
    /// signature field inside the core.
    init(decoding core: [UInt8]) throws(CryptoError) {
        var cert: NodeCertificate?
        do {
            var r = PayloadReader(core)
            while let f = try r.next() {
                switch f.number {
                case 1: cert = try f.message(NodeCertificate.self)
                case HandshakeTranscript.authSignatureField:
                    throw WireError(.invalidValue, "signature field 2 appears before the end")
                default: break
                }
            }
        } catch {
            throw CryptoError(.malformedHandshake, "auth does not decode: \(error)", cause: error)
        }
        guard let cert else { throw CryptoError(.malformedHandshake, "auth lacks field 1 (certificate)") }
        self.init(certificate: cert)
    }
}
