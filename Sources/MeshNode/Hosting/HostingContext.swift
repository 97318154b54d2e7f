import MeshMembership
import MeshRPC
import MeshSaga
import MeshTransport
import Synchronization

/// What hosted services need from the node they run on: the transport, where instances are (membership, and the
/// instances this node hosts itself), and who subscribes to what.
///
/// Membership advertisement of a hosted service `S` (proto-spec/hosting.md): `S` in the member's services,
/// `S:<type>` (decimal) in its subscriptions for each subscribed event type, tag `mesh.instance.S` = the instance
/// name it hosts, tag `mesh.layout.S` = `<partitions>/<instances>`.
///
/// Sendable: the local table is in a `Mutex`; the rest is immutable.
public final class HostingContext: Sendable {
    public let transport: MeshTransport
    let membership: MembershipShell?
    let registry: HostedServices
    private let local = Mutex<[String: LocalInstance]>([:])

    /// A service that receives some event types, and how its owners are found.
    struct SubscribingService: Sendable {
        var service: String
        var types: Set<UInt16>
        var map: PartitionMap
        /// The subscriber's partition key of an event (its domain's `partitionKey`, when this node links it).
        var key: @Sendable (DomainEvent) -> String
    }

    struct LocalInstance: Sendable {
        var service: String
        var map: PartitionMap
        var types: Set<UInt16>
        var receive: @Sendable (DeliverRequest) async throws(RPCError) -> DeliverResponse
    }

    public init(transport: MeshTransport, membership: MembershipShell?, registry: HostedServices = .builtIn) {
        self.transport = transport
        self.membership = membership
        self.registry = registry
    }

    /// Makes `host` reachable in-process (deliveries to it skip the socket) and a known subscriber.
    func register<Domain>(local host: ServiceHost<Domain>) {
        local.withLock {
            $0[host.instance] = LocalInstance(
                service: Domain.serviceName, map: host.map, types: Domain.subscribedEventTypes,
                receive: { request throws(RPCError) in try await host.receive(request) })
        }
    }

    /// The tags a hosted instance advertises.
    static func tags(service: String, instance: String, map: PartitionMap) -> [String: String] {
        ["mesh.instance." + service: instance, "mesh.layout." + service: "\(map.partitions)/\(map.instances)"]
    }

    /// The subscription strings a hosted service advertises.
    static func subscriptions(service: String, types: Set<UInt16>) -> [String] {
        types.sorted().map { "\(service):\($0)" }
    }

    /// Every service that subscribes to something: hosted here, or advertised by an alive member.
    func subscribingServices() -> [SubscribingService] {
        var found: [String: SubscribingService] = [:]
        for instance in local.withLock({ Array($0.values) }) where !instance.types.isEmpty {
            found[instance.service] = SubscribingService(
                service: instance.service, types: instance.types, map: instance.map, key: keyFunction(instance.service))
        }
        for member in membership?.aliveMembers() ?? [] {
            var types: [String: Set<UInt16>] = [:]
            for entry in member.subscriptions {
                guard let colon = entry.lastIndex(of: ":"), let type = UInt16(entry[entry.index(after: colon)...])
                else { continue }
                types[String(entry[..<colon]), default: []].insert(type)
            }
            for (service, set) in types where found[service] == nil {
                guard let map = Self.layout(of: service, in: member) else { continue }
                found[service] = SubscribingService(service: service, types: set, map: map, key: keyFunction(service))
            }
        }
        return found.values.sorted { $0.service < $1.service }
    }

    /// The layout a member advertises for `service` (`mesh.layout.S` = `P/N`).
    static func layout(of service: String, in member: MemberMetadata) -> PartitionMap? {
        guard let text = member.tags["mesh.layout." + service], let slash = text.firstIndex(of: "/"),
            let partitions = Int(text[..<slash]), let instances = Int(text[text.index(after: slash)...])
        else { return nil }
        return try? PartitionMap(service: service, partitions: partitions, instances: instances)
    }

    /// A linked domain's partition key; for a service this binary does not link, the event's stream key.
    private func keyFunction(_ service: String) -> @Sendable (DomainEvent) -> String {
        registry.partitionKey(of: service) ?? { $0.streamKey }
    }

    /// Where instance `instance` of `service` is now: in this process, or the alive member hosting it.
    func route(to instance: String, of service: String) -> OutboxRoute? {
        if let here = local.withLock({ $0[instance] }) { return .local(here.receive) }
        guard let member = member(hosting: instance, of: service) else { return nil }
        return HostPort(member.rpcAddress).map(OutboxRoute.remote)
    }

    /// The alive member that hosts `instance` of `service` (by name, or by its `mesh.instance.S` tag).
    func member(hosting instance: String, of service: String) -> MemberMetadata? {
        membership?.aliveMembers().first { m in
            m.name == instance || m.tags["mesh.instance." + service] == instance
        }
    }

    /// The owner of `key` in `service` and the node that hosts it now (nil while no alive member hosts it).
    public func owner(of key: String, in service: String) -> (instance: String, node: String)? {
        guard let map = layout(of: service) else { return nil }
        let instance = map.owner(of: key)
        if local.withLock({ $0[instance] }) != nil, let me = membership?.report().node, !me.isEmpty {
            return (instance, me)
        }
        return member(hosting: instance, of: service).map { (instance, $0.name) }
    }

    /// The partition layout of `service`: from an instance hosted here, else from membership.
    public func layout(of service: String) -> PartitionMap? {
        if let here = local.withLock({ $0.values.first { $0.service == service } }) { return here.map }
        for member in membership?.aliveMembers() ?? [] {
            if let map = Self.layout(of: service, in: member) { return map }
        }
        return nil
    }
}
