import MeshCore

/// What a node trusts: the cluster's name and its CA's Ed25519 public key.
///
/// `clusterID` = BLAKE2b-256(`"mesh-cluster-v1\0"` ‖ u16 BE len(name) ‖ name ‖ caPublicKey); two
/// clusters with the same name but different CAs have different ids.
public struct ClusterTrust: Sendable, Hashable {
    static let clusterIDContext: [UInt8] = Array("mesh-cluster-v1\0".utf8)

    public let clusterName: String
    public let caPublicKey: [UInt8]

    /// `caPublicKey` should be 32 bytes; any other length trusts nothing (every verification fails).
    public init(clusterName: String, caPublicKey: [UInt8]) {
        self.clusterName = clusterName
        self.caPublicKey = caPublicKey
    }

    /// The 32-byte cluster id carried in `hello`. Names longer than 65535 UTF-8 bytes are truncated
    /// to that length for the length field (such names are not useful anyway).
    public var clusterID: [UInt8] {
        let name = Array(clusterName.utf8)
        let n = UInt16(clamping: name.count)
        var message = ClusterTrust.clusterIDContext
        message.append(UInt8(n >> 8))
        message.append(UInt8(n & 0xFF))
        message += name
        message += caPublicKey
        return Sodium.blake2b256(message)
    }

    /// Checks, in this order: the issuer key is ours (`untrustedIssuer`), the CA signature over the
    /// original tbs verifies under *our* CA key (`badCertificateSignature`), the cluster name is ours
    /// (`wrongCluster`), and `notBefore <= now <= notAfter` (`certificateNotYetValid`/`certificateExpired`).
    public func verify(_ cert: NodeCertificate, now: WallTime) throws(CryptoError) {
        let b = cert.body
        guard b.caPublicKey == caPublicKey else {
            throw CryptoError(
                .untrustedIssuer,
                "certificate of '\(b.name)' is issued by CA \(KeyFingerprint.of(b.caPublicKey)), "
                    + "this node trusts CA \(KeyFingerprint.of(caPublicKey))"
            )
        }
        guard SigningKeyPair.verify(signature: cert.signature, message: cert.signedMessage, publicKey: caPublicKey)
        else {
            throw CryptoError(
                .badCertificateSignature, "CA signature on the certificate of '\(b.name)' does not verify"
            )
        }
        guard b.clusterName == clusterName else {
            throw CryptoError(
                .wrongCluster, "certificate of '\(b.name)' is for cluster '\(b.clusterName)', not '\(clusterName)'"
            )
        }
        let t = now.secondsSinceEpoch
        guard b.notBefore <= t else {
            throw CryptoError(
                .certificateNotYetValid,
                "certificate of '\(b.name)' is valid from \(UTCTimestamp.format(b.notBefore)), now is "
                    + UTCTimestamp.format(t)
            )
        }
        guard t <= b.notAfter else {
            throw CryptoError(
                .certificateExpired,
                "certificate of '\(b.name)' expired at \(UTCTimestamp.format(b.notAfter)), now is "
                    + UTCTimestamp.format(t)
            )
        }
    }
}
