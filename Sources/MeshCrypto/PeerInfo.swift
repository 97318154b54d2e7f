/// The authenticated peer of a completed handshake.
public struct PeerInfo: Sendable, Hashable {
    /// The peer's certificate, verified under the local cluster trust.
    public let certificate: NodeCertificate

    public init(certificate: NodeCertificate) { self.certificate = certificate }

    public var name: String { certificate.body.name }
    public var roles: [String] { certificate.body.roles }
    public var publicKey: [UInt8] { certificate.body.publicKey }
}
