import MeshTransport

/// Membership is the router's directory: a call to a service goes to alive members hosting it.
extension MembershipShell: PeerDirectory {
    public func endpoints(hosting service: String) -> [PeerEndpoint] {
        let me = report().node
        return members(hosting: service).compactMap { member in
            guard member.name != me, let address = HostPort(member.rpcAddress) else { return nil }
            return PeerEndpoint(name: member.name, address: address)
        }
    }

    public func address(of name: String) -> HostPort? {
        report().members.first { $0.name == name && $0.status == "alive" }.flatMap { HostPort($0.address) }
    }
}
