import Logging
import MeshSaga

/// The services a node can host, by name: `--services` picks among them. Hosting a new service is its domain
/// code plus one `register` line where the registry is built (`meshnode`'s `RunCommand`).
public struct HostedServices: Sendable {
    struct Entry: Sendable {
        var partitionKey: @Sendable (DomainEvent) -> String
        var make:
            @Sendable (
                _ instance: String, _ partitions: Int, _ instances: Int, _ dataDirectory: String,
                _ configuration: ServiceHostConfiguration, _ logger: Logger
            ) throws(HostError) -> any HostedServiceInstance
    }

    private var entries: [String: Entry] = [:]

    public init() {}

    /// Makes `Domain` hostable under `Domain.serviceName`.
    public mutating func register<Domain: EventSourcedDomain>(_: Domain.Type) {
        precondition(entries[Domain.serviceName] == nil, "\(Domain.serviceName) is registered twice")
        entries[Domain.serviceName] = Entry(
            partitionKey: { Domain.partitionKey(of: $0) },
            make: { (instance, partitions, instances, data, configuration, logger) throws(HostError) in
                try ServiceHost<Domain>(
                    instance: instance, partitions: partitions, instances: instances, dataDirectory: data,
                    configuration: configuration, logger: logger)
            })
    }

    /// What every node can host without further registration: the test services `test-counter` and
    /// `test-ledger` (a counter whose additions a ledger books or refuses, the refusal compensated). They are
    /// not in `--help`; hosting one logs a warning.
    public static var builtIn: HostedServices {
        var registry = HostedServices()
        registry.register(TestCounterDomain.self)
        registry.register(TestLedgerDomain.self)
        return registry
    }

    /// Registered service names, sorted.
    public var names: [String] { entries.keys.sorted() }

    func partitionKey(of service: String) -> (@Sendable (DomainEvent) -> String)? { entries[service]?.partitionKey }

    /// One `--services` entry: `NAME[:INSTANCES[/PARTITIONS]]`.
    public struct Placement: Hashable, Sendable {
        public var service: String
        /// The instance this node is, `<service>-<i>`.
        public var instance: String
        public var instances: Int
        public var partitions: Int
    }

    /// Parses `entry` for node `node`. `NAME` is a service (the node's own name must then be one of its instance
    /// names, `<service>-<i>`) or an instance name `<service>-<i>` (for a node hosting several services).
    /// `INSTANCES` defaults to 1 and `PARTITIONS` to 16.
    public func placement(_ entry: String, node: String) throws(HostError) -> Placement {
        let parts = entry.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
        let name = String(parts[0])
        var instances = 1
        var partitions = PartitionMap.defaultPartitions
        if parts.count == 2 {
            let layout = parts[1].split(separator: "/", omittingEmptySubsequences: false)
            guard layout.count <= 2, let n = Int(layout[0]), layout.count == 1 || Int(layout[1]) != nil else {
                throw HostError(.invalidLayout, "--services '\(entry)' is not NAME[:INSTANCES[/PARTITIONS]]")
            }
            instances = n
            if layout.count == 2 { partitions = Int(layout[1])! }
        }
        let service: String
        let instance: String
        if entries[name] != nil {
            service = name
            instance = node
        } else if let owner = entries.keys.filter({ name.hasPrefix($0 + "-") }).max(by: { $0.count < $1.count }) {
            service = owner
            instance = name
        } else {
            throw HostError(
                .unknownService,
                "--services '\(entry)': no service named '\(name)' (known: \(names.joined(separator: ", ")))")
        }
        let map: PartitionMap
        do {
            map = try PartitionMap(service: service, partitions: partitions, instances: instances)
        } catch {
            throw HostError(.invalidLayout, "--services '\(entry)': \(error.message)")
        }
        guard map.instanceIndex(named: instance) != nil else {
            throw HostError(
                .invalidInstance,
                "--services '\(entry)': node '\(node)' is not an instance of \(service) (its instances are "
                    + "\(map.instanceNames.joined(separator: ", "))); name the node after one, or give the instance "
                    + "explicitly: --services \(service)-<i>")
        }
        return Placement(service: service, instance: instance, instances: instances, partitions: partitions)
    }

    /// Builds one host per `--services` entry (each service at most once).
    public func makeHosts(
        _ entries: [String], node: String, dataDirectory: String,
        configuration: ServiceHostConfiguration = ServiceHostConfiguration(), logger: Logger
    ) throws(HostError) -> [any HostedServiceInstance] {
        var hosts: [any HostedServiceInstance] = []
        for entry in entries {
            let p = try placement(entry, node: node)
            guard !hosts.contains(where: { $0.service == p.service }) else {
                throw HostError(.invalidLayout, "--services names \(p.service) twice")
            }
            if p.service.hasPrefix("test-") {
                logger.warning("hosting the test-only service \(p.service)")
            }
            hosts.append(
                try self.entries[p.service]!.make(
                    p.instance, p.partitions, p.instances, dataDirectory, configuration, logger))
        }
        return hosts
    }
}
