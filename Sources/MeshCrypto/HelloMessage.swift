import MeshWire

/// Handshake message 1, client → server: 1 protocolVersion (uint), 2 clusterID (32 B),
/// 3 ephemeralPublicKey (32 B X25519), 4 nonce (32 B), 5 ciphers (repeated uint, the client's offer, most
/// preferred first; absent = ChaCha20-Poly1305 only, and written only when the offer is something else).
struct HelloMessage: Sendable, Hashable {
    var protocolVersion: UInt64
    var clusterID: [UInt8]
    var ephemeralPublicKey: [UInt8]
    var nonce: [UInt8]
    /// The known ciphers offered, in the client's order; cipher numbers this node does not know are skipped.
    var ciphers: [FrameCipher] = [.chacha20Poly1305]

    func encoded() -> [UInt8] {
        var w = PayloadWriter(capacity: 110)
        w.uint(1, protocolVersion)
        w.bytes(2, clusterID)
        w.bytes(3, ephemeralPublicKey)
        w.bytes(4, nonce)
        if ciphers != [.chacha20Poly1305] {
            for cipher in ciphers { w.uint(5, cipher.rawValue) }
        }
        return w.bytes
    }

    /// Decodes and checks shape: `malformedHandshake` for undecodable bytes, missing fields or wrong
    /// sizes; `unsupportedVersion` for any version but 1. (The cluster id is checked by the server.)
    init(decoding body: ArraySlice<UInt8>) throws(CryptoError) {
        var version: UInt64?
        var clusterID: [UInt8]?
        var eph: [UInt8]?
        var nonce: [UInt8]?
        var offered: [FrameCipher] = []
        var sawCipherField = false
        do {
            var r = PayloadReader(body)
            while let f = try r.next() {
                switch f.number {
                case 1: version = try f.uint()
                case 2: clusterID = Array(try f.bytes())
                case 3: eph = Array(try f.bytes())
                case 4: nonce = Array(try f.bytes())
                case 5:
                    sawCipherField = true
                    if let cipher = FrameCipher(rawValue: try f.uint()), !offered.contains(cipher) {
                        offered.append(cipher)
                    }
                default: break
                }
            }
        } catch {
            throw CryptoError(.malformedHandshake, "hello does not decode: \(error)", cause: error)
        }
        guard let version else { throw CryptoError(.malformedHandshake, "hello lacks field 1 (protocolVersion)") }
        guard version == HandshakeTranscript.protocolVersion else {
            throw CryptoError(
                .unsupportedVersion,
                "peer speaks handshake version \(version); this node speaks \(HandshakeTranscript.protocolVersion)"
            )
        }
        guard let clusterID, clusterID.count == 32 else {
            throw CryptoError(.malformedHandshake, "hello field 2 (clusterID) is missing or not 32 bytes")
        }
        guard let eph, eph.count == 32 else {
            throw CryptoError(.malformedHandshake, "hello field 3 (ephemeralPublicKey) is missing or not 32 bytes")
        }
        guard let nonce, nonce.count == 32 else {
            throw CryptoError(.malformedHandshake, "hello field 4 (nonce) is missing or not 32 bytes")
        }
        self.init(
            protocolVersion: version, clusterID: clusterID, ephemeralPublicKey: eph, nonce: nonce,
            ciphers: sawCipherField ? offered : [.chacha20Poly1305])
    }

    init(
        protocolVersion: UInt64, clusterID: [UInt8], ephemeralPublicKey: [UInt8], nonce: [UInt8],
        ciphers: [FrameCipher] = [.chacha20Poly1305]
    ) {
        self.protocolVersion = protocolVersion
        self.clusterID = clusterID
        self.ephemeralPublicKey = ephemeralPublicKey
        self.nonce = nonce
        self.ciphers = ciphers
    }
}
