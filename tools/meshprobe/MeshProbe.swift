import ArgumentParser
import Logging
import MeshCore
import MeshNode
import MeshRPC
import MeshTransport
import NIOPosix

/// The operator's view of a running cluster.
@main
struct MeshProbe: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "meshprobe",
        abstract: "Inspect running Mesh nodes over the authenticated RPC protocol.",
        subcommands: [Info.self, Ping.self, Breakers.self, Members.self]
    )
}

/// How meshprobe authenticates itself to the cluster.
struct ProbeIdentity: ParsableArguments {
    @Option(help: "Name in meshprobe's certificate.")
    var probeName: String = "meshprobe"

    @Option(help: "Cluster trust file. Without --trust/--cert/--key the built-in development CA is used.")
    var trust: String?

    @Option(help: "meshprobe's certificate file (issue one with the 'operator' role).")
    var cert: String?

    @Option(help: "meshprobe's private key file.")
    var key: String?

    @Option(help: "Seconds to wait for an answer.")
    var timeout: Double = 5

    func transport() throws -> MeshTransport {
        let source: IdentitySource
        if let trust, let cert, let key {
            source = .files(trust: trust, certificate: cert, key: key)
        } else {
            source = .development
        }
        let identity = try IdentityLoader.load(source, name: probeName, roles: ["operator"])
        var logger = Logger(label: "meshprobe")
        logger.logLevel = .error
        return MeshTransport(
            identity: identity, router: ServiceRouter(), group: MultiThreadedEventLoopGroup.singleton, logger: logger)
    }

    var callOptions: CallOptions { CallOptions(timeout: .seconds(fractional: timeout)) }

    /// Asks the node at `address` one admin question and closes the connection, whatever the outcome.
    func ask<Response>(_ method: MethodDescriptor<RawMessage, Response>, at address: String) async throws -> Response {
        let transport = try transport()
        do {
            let answer = try await transport.call(
                method, RawMessage([]), at: try parseAddress(address), options: callOptions)
            await transport.shutdown()
            return answer
        } catch {
            await transport.shutdown()
            throw error
        }
    }
}

func parseAddress(_ text: String) throws -> HostPort {
    guard let a = HostPort(text) else { throw ValidationError("'\(text)' is not HOST:PORT") }
    return a
}

extension MeshProbe {
    struct Info: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show a node's name, roles, services and connections.")

        @Argument(help: "The node, HOST:PORT.")
        var address: String

        @OptionGroup var identity: ProbeIdentity

        func run() async throws {
            let info = try await identity.ask(AdminService.info, at: address)
            print("node      \(info.name) (version \(info.version))")
            print("listen    \(info.listenAddress)")
            print("roles     \(info.roles.joined(separator: ", "))")
            print("uptime    \(info.uptimeSeconds) s")
            print("services  \(info.services.joined(separator: ", "))")
            print("connections (\(info.connections.count)):")
            for c in info.connections {
                let pad = String(repeating: " ", count: max(1, 24 - c.peer.count))
                print("  \(c.peer)\(pad)\(c.remoteAddress) \(c.inbound ? "inbound" : "outbound")")
            }
        }
    }

    struct Ping: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Measure round trips to a node (sealed admin ping).")

        @Argument(help: "The node, HOST:PORT.")
        var address: String

        @Option(help: "Number of pings.")
        var count: Int = 10

        @OptionGroup var identity: ProbeIdentity

        func run() async throws {
            let transport = try identity.transport()
            let target = try parseAddress(address)
            let connection = try await transport.connection(to: target)
            print("connected to \(connection.peer.name) at \(target)")
            var samples: [Double] = []
            for i in 0..<count {
                let start = ContinuousClock.now
                _ = try await connection.call(
                    AdminService.ping, RawMessage(Array(repeating: 0, count: 64)), options: identity.callOptions)
                let d = ContinuousClock.now - start
                let us = Double(d.components.attoseconds) / 1e12 + Double(d.components.seconds) * 1e6
                samples.append(us)
                print("ping \(i + 1): \(Int(us.rounded())) µs")
            }
            samples.sort()
            if !samples.isEmpty {
                print(
                    "min \(Int(samples.first!)) µs, median \(Int(samples[samples.count / 2])) µs, max \(Int(samples.last!)) µs"
                )
            }
            await transport.shutdown()
        }
    }
}
