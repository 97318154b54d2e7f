import MeshCore
import MeshWire

/// The cluster's certificate authority: a name and an Ed25519 key pair that signs node certificates.
public struct ClusterCA: Sendable {
    public let clusterName: String
    public let keyPair: SigningKeyPair

    public init(clusterName: String, keyPair: SigningKeyPair) {
        self.clusterName = clusterName
        self.keyPair = keyPair
    }

    /// What nodes of this cluster trust.
    public var trust: ClusterTrust { ClusterTrust(clusterName: clusterName, caPublicKey: keyPair.publicKey) }

    /// Signs a certificate for `publicKey`. Deterministic: the same inputs give the same bytes.
    public func issue(
        name: String, publicKey: [UInt8], roles: [String], notBefore: WallTime, notAfter: WallTime
    ) -> NodeCertificate {
        let body = CertificateBody(
            name: name, publicKey: publicKey, roles: roles,
            notBefore: notBefore.secondsSinceEpoch, notAfter: notAfter.secondsSinceEpoch,
            clusterName: clusterName, caPublicKey: keyPair.publicKey
        )
        let tbs = body.encoded()
        return NodeCertificate(body: body, tbs: tbs, signature: keyPair.sign(NodeCertificate.signatureContext + tbs))
    }
}
