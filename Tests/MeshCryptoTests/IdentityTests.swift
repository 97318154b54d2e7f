import MeshCore
import MeshWire
import Testing

@testable import MeshCrypto

/// Keys, certificates, cluster trust and their text encodings.
@Suite struct IdentityTests {
    @Test func seedDeterminesTheKeyPairAndSignaturesVerify() throws {
        let a = try SigningKeyPair(seed: Fixtures.serverSeed)
        let b = try SigningKeyPair(seed: a.seed)
        #expect(a.publicKey == b.publicKey && a.seed == Fixtures.serverSeed)
        let sig = a.sign([1, 2, 3])
        #expect(sig == b.sign([1, 2, 3]) && sig.count == 64)
        #expect(SigningKeyPair.verify(signature: sig, message: [1, 2, 3], publicKey: a.publicKey))
        #expect(!SigningKeyPair.verify(signature: sig, message: [1, 2, 4], publicKey: a.publicKey))
        #expect(!SigningKeyPair.verify(signature: Array(sig.dropLast()), message: [1, 2, 3], publicKey: a.publicKey))
        #expect(Fixtures.error { try SigningKeyPair(seed: [1, 2]) }?.code == .invalidKey)
        #expect(SigningKeyPair.generate().publicKey != SigningKeyPair.generate().publicKey)
    }

    @Test func certificateVerificationOrderAndCodes() throws {
        let trust = Fixtures.ca.trust
        let cert = Fixtures.server.certificate
        try trust.verify(cert, now: Fixtures.now)
        // Re-encoding is not used for verification: the original tbs bytes are.
        let decoded = try NodeCertificate(decoding: cert.encoded())
        #expect(decoded == cert && decoded.body == cert.body)
        var badSig = cert.signature
        badSig[0] ^= 1
        let forged = try NodeCertificate(tbs: cert.tbs, signature: badSig)
        #expect(Fixtures.error { try trust.verify(forged, now: Fixtures.now) }?.code == .badCertificateSignature)
        let otherTrust = ClusterTrust(clusterName: Fixtures.clusterName, caPublicKey: [UInt8](repeating: 0, count: 32))
        #expect(Fixtures.error { try otherTrust.verify(cert, now: Fixtures.now) }?.code == .untrustedIssuer)
        // A tbs with an appended unknown field still decodes, but the signature no longer covers it.
        var extended = cert.tbs
        extended += [0x40, 0x01]  // field 8, varint 1
        let padded = try NodeCertificate(tbs: extended, signature: cert.signature)
        #expect(padded.body == cert.body)
        #expect(Fixtures.error { try trust.verify(padded, now: Fixtures.now) }?.code == .badCertificateSignature)
    }

    @Test func malformedCertificatesDoNotDecode() {
        #expect(throws: WireError.self) { try NodeCertificate(decoding: [UInt8]()) }
        #expect(throws: WireError.self) { try NodeCertificate(decoding: [0x0A, 0x00, 0x12, 0x00]) }
        let body = CertificateBody(
            name: "x", publicKey: [1], roles: [], notBefore: 0, notAfter: 0, clusterName: "c",
            caPublicKey: [UInt8](repeating: 0, count: 32)
        )
        #expect(throws: WireError.self) { try CertificateBody(decoding: body.encoded()) }
    }

    @Test func clusterIDMatchesItsDefinition() {
        let trust = Fixtures.ca.trust
        let expected = Sodium.blake2b256(
            Array("mesh-cluster-v1\0".utf8) + [0, 14] + Array("vector-cluster".utf8) + trust.caPublicKey
        )
        #expect(trust.clusterID == expected)
        #expect(ClusterTrust(clusterName: "vector-clusteR", caPublicKey: trust.caPublicKey).clusterID != expected)
    }

    @Test func pemRoundTrips() throws {
        let cert = Fixtures.server.certificate
        let certPEM = cert.pemEncoded()
        #expect(certPEM.hasPrefix("-----BEGIN MESH NODE CERTIFICATE-----\n"))
        #expect(certPEM.hasSuffix("-----END MESH NODE CERTIFICATE-----\n"))
        #expect(certPEM.split(separator: "\n").allSatisfy { $0.count <= 64 || $0.hasPrefix("-----") })
        #expect(try NodeCertificate(pem: "# comment\n" + certPEM + "trailing\n") == cert)

        let key = try SigningKeyPair(seed: Fixtures.clientSeed)
        #expect(key.pemEncoded().hasPrefix("-----BEGIN MESH NODE KEY-----\n"))
        #expect(try SigningKeyPair(pem: key.pemEncoded()).publicKey == key.publicKey)

        let caPEM = Fixtures.ca.pemEncoded()
        #expect(caPEM.hasPrefix("-----BEGIN MESH CA KEY-----\n"))
        let ca = try ClusterCA(pem: caPEM)
        #expect(ca.trust == Fixtures.ca.trust && ca.keyPair.seed == Fixtures.caSeed)

        let trustPEM = Fixtures.ca.trust.pemEncoded()
        #expect(trustPEM.hasPrefix("-----BEGIN MESH CLUSTER TRUST-----\n"))
        #expect(try ClusterTrust(pem: trustPEM) == Fixtures.ca.trust)
    }

    @Test func malformedPEMIsRefused() {
        let pem = Fixtures.server.certificate.pemEncoded()
        #expect(Fixtures.error { try NodeCertificate(pem: "") }?.code == .malformedEncoding)
        #expect(Fixtures.error { try NodeCertificate(pem: String(pem.dropLast(10))) }?.code == .malformedEncoding)
        #expect(Fixtures.error { try SigningKeyPair(pem: pem) }?.code == .malformedEncoding)  // wrong label
        var lines = pem.split(separator: "\n").map(String.init)
        lines[1] = "*" + lines[1].dropFirst()  // a non-base64 character inside the block
        let broken = lines.joined(separator: "\n")
        #expect(Fixtures.error { try NodeCertificate(pem: broken) }?.code == .malformedEncoding)
        let shortSeed = "-----BEGIN MESH NODE KEY-----\nAQID\n-----END MESH NODE KEY-----\n"
        #expect(Fixtures.error { try SigningKeyPair(pem: shortSeed) }?.code == .invalidKey)
        let garbageCert = "-----BEGIN MESH NODE CERTIFICATE-----\nAQID\n-----END MESH NODE CERTIFICATE-----\n"
        #expect(Fixtures.error { try NodeCertificate(pem: garbageCert) }?.code == .malformedEncoding)
    }

    @Test func base64MatchesRFC4648() {
        let cases: [(String, String)] = [
            ("", ""), ("f", "Zg=="), ("fo", "Zm8="), ("foo", "Zm9v"), ("foob", "Zm9vYg=="), ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ]
        for (plain, encoded) in cases {
            #expect(Base64.encode(Array(plain.utf8)) == encoded)
            #expect(Base64.decode(encoded[...]) == Array(plain.utf8))
        }
        #expect(Base64.decode("Zm9v\nYmFy\n"[...]) == Array("foobar".utf8))
        #expect(Base64.decode("Zm9"[...]) == nil)
        #expect(Base64.decode("Zg==Zm9v"[...]) == nil)
        #expect(Base64.decode("Z==="[...]) == nil)
        #expect(Base64.decode([UInt8](repeating: 0xFF, count: 3).description[...]) == nil)
    }

    @Test func summaryNamesTheEssentials() {
        let s = Fixtures.server.certificate.summary
        #expect(s.contains("name:        server-1"))
        #expect(s.contains("roles:       inventory"))
        #expect(s.contains("cluster:     vector-cluster"))
        #expect(s.contains("not before:  2023-11-14T22:13:20Z"))
        #expect(s.contains("not after:   2030-03-17T17:46:40Z"))
        #expect(s.contains("fingerprint: \(Fixtures.server.certificate.keyFingerprint)"))
        #expect(UTCTimestamp.format(0) == "1970-01-01T00:00:00Z")
        #expect(UTCTimestamp.format(-1) == "1969-12-31T23:59:59Z")
        #expect(UTCTimestamp.format(951_782_400) == "2000-02-29T00:00:00Z")
    }
}
