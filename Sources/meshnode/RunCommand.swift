import ArgumentParser
import Foundation
import Logging
import MeshNode
import MeshTransport
import ServiceLifecycle

struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run one node until SIGTERM or SIGINT (which drain in-flight calls first)."
    )

    @Option(help: "The node's stable name, e.g. inventory-1. Must match the name in its certificate.")
    var name: String

    @Option(
        help:
            "Address to accept peers on, HOST:PORT (IPv6 as [::1]:PORT; port 0 picks a free port, printed as `listening HOST:PORT` on stdout)."
    )
    var listen: String = "127.0.0.1:7400"

    @Option(
        name: .customLong("seed"),
        help: "A node to join through, HOST:PORT. Repeatable. A node that is its own only seed starts a cluster.")
    var seeds: [String] = []

    @Option(help: "Directory for the node's durable state (event logs, cursors). Created if missing.")
    var dataDir: String = "./mesh-data"

    @Option(help: "Comma-separated roles (used for the development certificate).")
    var roles: String = ""

    @Option(
        help:
            "Cluster trust file (from `meshnode ca create`). Without --trust/--cert/--key the built-in INSECURE development CA is used."
    )
    var trust: String?

    @Option(help: "This node's certificate file (from `meshnode cert issue`).")
    var cert: String?

    @Option(help: "This node's private key file (from `meshnode cert issue`).")
    var key: String?

    @Option(
        name: .customLong("peer"),
        help: """
            A peer hosting a service, SERVICE=NAME@HOST:PORT. Repeatable. Calls through the node's router pick \
            among these, behind per-peer circuit breakers.
            """)
    var peers: [String] = []

    @Flag(help: "Serve test/Echo (fault injection: test/SetDelay sets its delay at runtime). Tests only.")
    var testEcho = false

    @Option(help: "The address other members reach this node at, HOST:PORT (needed with --listen 0.0.0.0:PORT).")
    var advertise: String?

    @Option(name: .customLong("tag"), help: "A label advertised to the cluster, KEY=VALUE. Repeatable.")
    var tags: [String] = []

    @Option(
        help: """
            Services to host, comma-separated NAME[:INSTANCES[/PARTITIONS]]: NAME is a service (the node's name must \
            then be one of its instances, SERVICE-<i>) or an instance name SERVICE-<i>. INSTANCES defaults to 1, \
            PARTITIONS to 16. Each service keeps its log under --data-dir/SERVICE.
            """)
    var services: String = ""

    @Option(help: .hidden)
    var probeIntervalMs: Int64?

    @Option(help: .hidden)
    var gossipIntervalMs: Int64?

    @OptionGroup var logging: LoggingOptions

    func validate() throws {
        guard HostPort(listen) != nil else { throw ValidationError("--listen '\(listen)' is not HOST:PORT") }
        for s in seeds where HostPort(s) == nil { throw ValidationError("--seed '\(s)' is not HOST:PORT") }
        _ = try routes()
        if let advertise, HostPort(advertise) == nil {
            throw ValidationError("--advertise '\(advertise)' is not HOST:PORT")
        }
        _ = try tagMap()
        if let p = probeIntervalMs, p < 2 { throw ValidationError("--probe-interval-ms must be at least 2") }
        if let g = gossipIntervalMs, g < 1 { throw ValidationError("--gossip-interval-ms must be positive") }
        let given = [trust, cert, key].compactMap { $0 }.count
        guard given == 0 || given == 3 else { throw ValidationError("give all of --trust, --cert and --key, or none") }
    }

    /// The `--peer` flags as a routing table.
    func routes() throws -> ServiceRoutes {
        var routes = ServiceRoutes()
        for p in peers {
            do { try routes.add(flag: p) } catch { throw ValidationError("--peer: \(error.message)") }
        }
        return routes
    }

    /// The `--tag` flags as a map.
    func tagMap() throws -> [String: String] {
        var map: [String: String] = [:]
        for t in tags {
            guard let eq = t.firstIndex(of: "="), eq != t.startIndex else {
                throw ValidationError("--tag '\(t)' is not KEY=VALUE")
            }
            map[String(t[..<eq])] = String(t[t.index(after: eq)...])
        }
        return map
    }

    /// The membership flags.
    func membership() throws -> MembershipOptions {
        var options = MembershipOptions(advertise: advertise.flatMap(HostPort.init), tags: try tagMap())
        if let p = probeIntervalMs {
            options.swim = MembershipOptions.scaled(
                probeIntervalMilliseconds: p, gossipIntervalMilliseconds: gossipIntervalMs)
            options.seedResolveInterval = .milliseconds(p * 5)
        } else if let g = gossipIntervalMs {
            options.swim.gossipInterval = .milliseconds(g)
        }
        return options
    }

    func run() async throws {
        let logger = try logging.bootstrap(label: "meshnode")
        do {
            try FileManager.default.createDirectory(atPath: dataDir, withIntermediateDirectories: true)
        } catch {
            throw ValidationError("cannot create --data-dir \(dataDir): \(error.localizedDescription)")
        }
        let identity: IdentitySource
        if let trust, let cert, let key {
            identity = .files(trust: trust, certificate: cert, key: key)
        } else {
            identity = .development
        }
        var configuration = NodeConfiguration(
            name: name,
            listen: HostPort(listen)!,
            seeds: seeds.compactMap(HostPort.init),
            dataDirectory: dataDir,
            identity: identity,
            roles: roles.split(separator: ",").map(String.init),
            peers: try routes(),
            testEcho: testEcho,
            membership: try membership()
        )
        configuration.services = services.split(separator: ",").map(String.init)
        let node = try MeshNodeRuntime(
            configuration: configuration, logger: logger,
            onListening: { address in
                // A machine-readable readiness line on stdout (tests and scripts wait for it).
                FileHandle.standardOutput.write(Data("listening \(address)\n".utf8))
            })
        let group = ServiceGroup(
            configuration: .init(
                services: [.init(service: node, successTerminationBehavior: .gracefullyShutdownGroup)],
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger
            )
        )
        try await group.run()
    }
}
