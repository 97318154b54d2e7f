import MeshTransport

/// One member that hosts a service: its certificate name and where it listens.
public struct PeerEndpoint: Hashable, Sendable, CustomStringConvertible {
    /// The peer's stable node name; a connection to it must present a certificate with this name.
    public var name: String
    public var address: HostPort

    public init(name: String, address: HostPort) {
        self.name = name
        self.address = address
    }

    public var description: String { "\(name)@\(address)" }
}
