import ArgumentParser
import MeshNode
import MeshTransport

extension MeshProbe {
    struct Info: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show a node's name, version, roles, services and connections.")

        @Argument(help: "The node, HOST:PORT.")
        var address: HostPort

        @OptionGroup var identity: ProbeIdentity
        @OptionGroup var output: OutputOptions

        func run() async throws {
            let info = try await output.run { () async throws(ProbeFailure) in
                try await identity.ask(AdminService.info, at: address)
            }
            if output.json {
                printJSON(InfoJSON(info))
                return
            }
            print("node      \(info.name) (version \(info.version))")
            print("listen    \(info.listenAddress)")
            print("roles     \(info.roles.joined(separator: ", "))")
            print("uptime    \(Format.age(seconds: Double(info.uptimeSeconds)))")
            print("services  \(info.services.joined(separator: ", "))")
            print("connections (\(info.connections.count)):")
            var table = TextTable(["PEER", "REMOTE", "DIRECTION"], shrinkable: [0, 1])
            for c in info.connections { table.append([c.peer, c.remoteAddress, c.inbound ? "inbound" : "outbound"]) }
            for line in table.render(width: output.width.map { $0 - 2 }) { print("  " + line) }
        }
    }
}

/// `meshprobe info --json`.
struct InfoJSON: Encodable {
    struct Connection: Encodable {
        var peer: String
        var remoteAddress: String
        /// `inbound` (the peer dialled this node) or `outbound`.
        var direction: String
    }
    var node: String
    var version: String
    var roles: [String]
    var listen: String
    var uptimeSeconds: UInt64
    var services: [String]
    var connections: [Connection]

    init(_ info: NodeInfo) {
        node = info.name
        version = info.version
        roles = info.roles
        listen = info.listenAddress
        uptimeSeconds = info.uptimeSeconds
        services = info.services
        connections = info.connections.map {
            Connection(peer: $0.peer, remoteAddress: $0.remoteAddress, direction: $0.inbound ? "inbound" : "outbound")
        }
    }
}
