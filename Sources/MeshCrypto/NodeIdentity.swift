import MeshCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Everything a node needs to authenticate itself and its peers: its key pair, its certificate
/// and the cluster trust. The initializer does not check that they fit together (a mismatched
/// pair is refused by peers with `badHandshakeSignature`); call `validate(now:)` at startup.
public struct NodeIdentity: Sendable {
    public let keyPair: SigningKeyPair
    public let certificate: NodeCertificate
    public let trust: ClusterTrust

    public init(keyPair: SigningKeyPair, certificate: NodeCertificate, trust: ClusterTrust) {
        self.keyPair = keyPair
        self.certificate = certificate
        self.trust = trust
    }

    public var name: String { certificate.body.name }
    public var roles: [String] { certificate.body.roles }

    /// Checks that the certificate is valid under `trust` at `now` and certifies `keyPair`'s
    /// public key (`invalidKey` if not).
    public func validate(now: WallTime) throws(CryptoError) {
        try trust.verify(certificate, now: now)
        guard certificate.body.publicKey == keyPair.publicKey else {
            throw CryptoError(.invalidKey, "certificate of '\(name)' certifies another key than this node's key")
        }
    }

    /// A fresh key pair with a certificate from `ca`, valid from an hour before `now` (clock skew)
    /// to a year after it. `now` defaults to the system's wall clock. For demos and tests.
    public static func development(
        name: String, roles: [String], ca: ClusterCA, now: WallTime? = nil
    ) -> NodeIdentity {
        let t = now?.secondsSinceEpoch ?? Int64(time(nil))
        let keyPair = SigningKeyPair.generate()
        let cert = ca.issue(
            name: name, publicKey: keyPair.publicKey, roles: roles,
            notBefore: WallTime(secondsSinceEpoch: t - 3_600),
            notAfter: WallTime(secondsSinceEpoch: t + 365 * 86_400)
        )
        return NodeIdentity(keyPair: keyPair, certificate: cert, trust: ca.trust)
    }
}
