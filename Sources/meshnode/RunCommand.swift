import ArgumentParser
import Foundation
import Logging
import MeshNode
import MeshTransport
import ServiceLifecycle

struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run one node until SIGTERM or SIGINT (which drain in-flight calls first).",
        discussion: """
            Every setting can also come from a MESH_* environment variable or a JSON config file (--config or \
            MESH_CONFIG); flags win over the environment, which wins over the file, which wins over the defaults. \
            The README's "Run nodes" section lists them all.
            """
    )

    @Option(help: "JSON config file (or MESH_CONFIG). Its keys: see the README.")
    var config: String?

    @Option(help: "The node's stable name, e.g. inventory-1. Must match the name in its certificate. [MESH_NAME]")
    var name: String?

    @Option(
        help:
            "Address to accept peers on, HOST:PORT (IPv6 as [::1]:PORT; port 0 picks a free port, printed as `listening HOST:PORT` on stdout). Default \(NodeSettings.defaultListen). [MESH_LISTEN]"
    )
    var listen: String?

    @Option(
        name: .customLong("seed"),
        help:
            "A node to join through, HOST:PORT. Repeatable. A node that is its own only seed starts a cluster. [MESH_SEEDS, comma-separated]"
    )
    var seeds: [String] = []

    @Option(
        help: """
            Services to host, comma-separated NAME[:INSTANCES[/PARTITIONS]]: NAME is a service (the node's name must \
            then be one of its instances, SERVICE-<i>) or an instance name SERVICE-<i>. INSTANCES defaults to 1, \
            PARTITIONS to 16. Each service keeps its log under --data-dir/SERVICE. [MESH_SERVICES]
            """)
    var services: String?

    @Option(
        help:
            "Directory for the node's durable state (event logs, cursors). Created if missing. Default \(NodeSettings.defaultDataDir). [MESH_DATA_DIR]"
    )
    var dataDir: String?

    @Option(help: "Comma-separated roles (used for the development certificate). [MESH_ROLES]")
    var roles: String?

    @Option(
        help:
            "Cluster trust file (from `meshnode ca create`). Without --trust/--cert/--key the built-in INSECURE development CA is used. [MESH_TRUST]"
    )
    var trust: String?

    @Option(help: "This node's certificate file (from `meshnode cert issue`). [MESH_CERT]")
    var cert: String?

    @Option(help: "This node's private key file (from `meshnode cert issue`). [MESH_KEY]")
    var key: String?

    @Option(
        help:
            "Serve /metrics, /healthz and /readyz over HTTP on HOST:PORT (port 0: a free port, printed as `admin listening HOST:PORT`). [MESH_ADMIN_HTTP]"
    )
    var adminHttp: String?

    @Option(help: "HOST:PORT of the edge's HTTP/JSON API (edge role). [MESH_HTTP]")
    var http: String?

    @Option(help: "Log format: logfmt or json (JSON lines). Default logfmt. [MESH_LOG_FORMAT]")
    var logFormat: String?

    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical. Default info. [MESH_LOG_LEVEL]")
    var logLevel: String?

    @Option(
        help:
            "Seconds a SIGTERM waits for in-flight calls before closing anyway. Default \(Int(NodeSettings.defaultDrainTimeoutSeconds)). [MESH_DRAIN_TIMEOUT]"
    )
    var drainTimeout: Double?

    @Option(
        name: .customLong("peer"),
        help: """
            A peer hosting a service, SERVICE=NAME@HOST:PORT. Repeatable. Calls through the node's router pick \
            among these, behind per-peer circuit breakers. [MESH_PEERS, comma-separated]
            """)
    var peers: [String] = []

    @Flag(help: "Serve test/Echo (fault injection: test/SetDelay sets its delay at runtime). Tests only.")
    var testEcho = false

    @Option(
        help:
            "The address other members reach this node at, HOST:PORT (default: the bound listen address). Required when listening on 0.0.0.0. [MESH_ADVERTISE]"
    )
    var advertise: String?

    @Option(
        name: .customLong("tag"),
        help: "A label advertised to the cluster, KEY=VALUE. Repeatable. [MESH_TAGS, comma-separated]")
    var tags: [String] = []

    @Option(help: .hidden)
    var probeIntervalMs: Int64?

    @Option(help: .hidden)
    var gossipIntervalMs: Int64?

    func validate() throws {
        if let p = probeIntervalMs, p < 2 { throw ValidationError("--probe-interval-ms must be at least 2") }
        if let g = gossipIntervalMs, g < 1 { throw ValidationError("--gossip-interval-ms must be positive") }
    }

    /// The flags that were given, as settings (absent flags leave the environment, the file or the default).
    var flagValues: NodeSettings.FlagValues {
        var values: NodeSettings.FlagValues = [:]
        let strings: [(NodeSetting, String?)] = [
            (.name, name), (.listen, listen), (.dataDir, dataDir), (.trust, trust), (.cert, cert), (.key, key),
            (.adminHTTP, adminHttp), (.edgeHTTP, http), (.logFormat, logFormat), (.logLevel, logLevel),
            (.advertise, advertise),
        ]
        for case (let setting, let value?) in strings { values[setting] = .string(value) }
        let lists: [(NodeSetting, [String])] = [
            (.seeds, seeds), (.peers, peers), (.tags, tags),
            (.services, services.map { $0.split(separator: ",").map(String.init) } ?? []),
            (.roles, roles.map { $0.split(separator: ",").map(String.init) } ?? []),
        ]
        for (setting, list) in lists where !list.isEmpty { values[setting] = .stringArray(list) }
        if let drainTimeout { values[.drainTimeout] = .double(drainTimeout) }
        return values
    }

    /// The flag-only knobs: the test echo service and the hidden SWIM timers.
    func applyFlagOnly(_ configuration: inout NodeConfiguration) {
        configuration.testEcho = testEcho
        if let p = probeIntervalMs {
            configuration.membership.swim = MembershipOptions.scaled(
                probeIntervalMilliseconds: p, gossipIntervalMilliseconds: gossipIntervalMs)
            configuration.membership.seedResolveInterval = .milliseconds(p * 5)
        } else if let g = gossipIntervalMs {
            configuration.membership.swim.gossipInterval = .milliseconds(g)
        }
    }

    func run() async throws {
        let settings: NodeSettings
        do {
            settings = try await NodeSettings.resolve(
                flags: flagValues, environment: ProcessInfo.processInfo.environment, configFile: config,
                extra: { configuration throws(SettingsError) in applyFlagOnly(&configuration) })
        } catch {
            throw ValidationError(error.message)
        }
        try await NodeRunner(settings: settings).run()
    }
}
