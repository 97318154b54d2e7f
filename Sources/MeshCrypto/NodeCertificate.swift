import MeshWire

/// A node certificate: the CA's Ed25519 signature over `"mesh-cert-v1\0" ‖ tbs`.
/// Encoded fields: 1 tbs (bytes, an encoded `CertificateBody`), 2 signature (64 B).
///
/// Invariant: `body` is the decoding of `tbs`, and verification always uses the original `tbs`
/// bytes, never a re-encoding of `body`.
public struct NodeCertificate: WireMessage, Hashable {
    /// Domain separation prefix of the CA signature.
    public static let signatureContext: [UInt8] = Array("mesh-cert-v1\0".utf8)

    public let body: CertificateBody
    public let tbs: [UInt8]
    public let signature: [UInt8]

    /// A certificate from its signed bytes and signature; decodes `tbs` into `body`.
    public init(tbs: [UInt8], signature: [UInt8]) throws(WireError) {
        self.body = try CertificateBody(decoding: tbs[...])
        self.tbs = tbs
        self.signature = signature
    }

    init(body: CertificateBody, tbs: [UInt8], signature: [UInt8]) {
        self.body = body
        self.tbs = tbs
        self.signature = signature
    }

    public init(decoding bytes: ArraySlice<UInt8>) throws(WireError) {
        var r = PayloadReader(bytes)
        var tbs: [UInt8]?
        var signature: [UInt8]?
        while let f = try r.next() {
            switch f.number {
            case 1: tbs = Array(try f.bytes())
            case 2: signature = Array(try f.bytes())
            default: break
            }
        }
        guard let tbs else { throw WireError(.missingField, "certificate lacks field 1 (tbs)") }
        guard let signature else { throw WireError(.missingField, "certificate lacks field 2 (signature)") }
        guard signature.count == 64 else {
            throw WireError(.invalidValue, "certificate signature has \(signature.count) bytes, not 64")
        }
        try self.init(tbs: tbs, signature: signature)
    }

    public func encode(to w: inout PayloadWriter) {
        w.bytes(1, tbs)
        w.bytes(2, signature)
    }

    /// The bytes the CA signs: `"mesh-cert-v1\0" ‖ tbs`.
    var signedMessage: [UInt8] { NodeCertificate.signatureContext + tbs }

    /// Short identifier of the certificate's node key: the first 8 bytes of BLAKE2b-256(publicKey), hex.
    public var keyFingerprint: String { KeyFingerprint.of(body.publicKey) }

    /// A human description for `meshnode cert show`.
    public var summary: String {
        let b = body
        return """
            name:        \(b.name)
            roles:       \(b.roles.isEmpty ? "(none)" : b.roles.joined(separator: ", "))
            cluster:     \(b.clusterName)
            public key:  \(Sodium.hex(b.publicKey))
            fingerprint: \(keyFingerprint)
            issuer:      \(KeyFingerprint.of(b.caPublicKey)) (CA key fingerprint)
            not before:  \(UTCTimestamp.format(b.notBefore))
            not after:   \(UTCTimestamp.format(b.notAfter))
            """
    }
}

/// Short, stable identifiers for public keys in logs and summaries.
enum KeyFingerprint {
    /// First 8 bytes of BLAKE2b-256(key), as 16 hex digits in groups of 4 separated by ':'.
    static func of(_ key: [UInt8]) -> String {
        let h = Sodium.hex(Sodium.blake2b256(key).prefix(8))
        var out = ""
        for (i, c) in h.enumerated() {
            if i > 0 && i % 4 == 0 { out.append(":") }
            out.append(c)
        }
        return out
    }
}
