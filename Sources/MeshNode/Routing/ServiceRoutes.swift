import MeshTransport

/// The static candidate list: which peers host which service (until gossip membership provides it).
///
/// Invariant: a peer appears at most once per service, and one peer name has one address across services.
public struct ServiceRoutes: Hashable, Sendable {
    private var table: [String: [PeerEndpoint]] = [:]

    public init() {}

    /// Routes from `service -> [peer]`; later duplicates of a peer within a service are dropped.
    public init(_ table: [String: [PeerEndpoint]]) throws(RoutingError) {
        for (service, peers) in table.sorted(by: { $0.key < $1.key }) {
            for peer in peers { try add(service: service, peer) }
        }
    }

    /// Adds `peer` as a host of `service`. Throws `conflictingAddress` when the name is already routed elsewhere.
    public mutating func add(service: String, _ peer: PeerEndpoint) throws(RoutingError) {
        if let known = address(of: peer.name), known != peer.address {
            throw RoutingError(
                .conflictingAddress, "peer \(peer.name) is already routed at \(known), not \(peer.address)")
        }
        guard !(table[service]?.contains(peer) ?? false) else { return }
        table[service, default: []].append(peer)
    }

    /// Parses one `SERVICE=NAME@HOST:PORT` (the `--peer` flag) and adds it.
    public mutating func add(flag: String) throws(RoutingError) {
        guard let eq = flag.firstIndex(of: "="), let at = flag.firstIndex(of: "@"), eq < at else {
            throw RoutingError(.malformedRoute, "'\(flag)' is not SERVICE=NAME@HOST:PORT")
        }
        let service = String(flag[..<eq])
        let name = String(flag[flag.index(after: eq)..<at])
        guard !service.isEmpty, !name.isEmpty, let address = HostPort(String(flag[flag.index(after: at)...])) else {
            throw RoutingError(.malformedRoute, "'\(flag)' is not SERVICE=NAME@HOST:PORT")
        }
        try add(service: service, PeerEndpoint(name: name, address: address))
    }

    /// The peers hosting `service`, in the order they were added.
    public func candidates(for service: String) -> [PeerEndpoint] { table[service] ?? [] }

    /// Where the peer named `name` listens, if any route names it.
    public func address(of name: String) -> HostPort? {
        for peers in table.values { if let p = peers.first(where: { $0.name == name }) { return p.address } }
        return nil
    }

    /// Every routed peer name, sorted.
    public var peerNames: [String] { Array(Set(table.values.flatMap { $0.map(\.name) })).sorted() }

    /// Every routed service, sorted.
    public var services: [String] { table.keys.sorted() }

    public var isEmpty: Bool { table.isEmpty }
}
