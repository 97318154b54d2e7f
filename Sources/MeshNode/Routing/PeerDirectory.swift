import MeshTransport

/// Where a `PeerRouter` learns about peers beyond its static `--peer` routes: gossip membership.
public protocol PeerDirectory: Sendable {
    /// Alive members hosting `service`, this node excluded.
    func endpoints(hosting service: String) -> [PeerEndpoint]
    /// The address of the alive member named `name`, if there is one.
    func address(of name: String) -> HostPort?
}
