import ArgumentParser
import Logging
import MeshCore
import MeshCrypto
import MeshNode
import MeshRPC
import MeshTransport
import MeshWire
import NIOPosix

/// A greeting, the demo's one message type.
struct Greeting: WireMessage {
    var text: String
    init(text: String) { self.text = text }
    init(decoding bytes: ArraySlice<UInt8>) throws(WireError) {
        var r = PayloadReader(bytes)
        text = ""
        while let f = try r.next() { if f.number == 1 { text = try f.string() } }
    }
    func encode(to w: inout PayloadWriter) { w.string(1, text) }
}

struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Start two nodes on loopback with the development CA; they handshake and exchange calls."
    )

    @Option(help: "Concurrent calls in the burst.")
    var concurrency: Int = 64

    @Option(help: "Calls in the burst.")
    var calls: Int = 20_000

    @OptionGroup var logging: LoggingOptions

    static let hello = MethodDescriptor<Greeting, Greeting>(service: "greeter", method: "Hello")

    func run() async throws {
        var logger = try logging.bootstrap(label: "meshnode.demo")
        if logging.logLevel == "info" { logger.logLevel = .warning }
        func say(_ s: String) { print("demo | \(s)") }

        var services = ServiceRouter()
        services.registerInline(Self.hello) { request, context in
            Greeting(text: "hello \(context.peerName), you said '\(request.text)'")
        }
        let nodeB = try MeshNodeRuntime(
            configuration: NodeConfiguration(
                name: "node-b", listen: HostPort(host: "127.0.0.1", port: 0),
                dataDirectory: "/tmp/mesh-demo-b", roles: ["greeter"]),
            services: services,
            logger: logger
        )
        let nodeA = try MeshNodeRuntime(
            configuration: NodeConfiguration(
                name: "node-a", listen: HostPort(host: "127.0.0.1", port: 0),
                dataDirectory: "/tmp/mesh-demo-a", roles: ["edge", AdminService.operatorRole]),  // reads node-b's Info
            logger: logger
        )
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await nodeB.run() }
            group.addTask { try await nodeA.run() }
            let addressB = await nodeB.boundAddress()
            let addressA = await nodeA.boundAddress()
            say(
                "node-a listening on \(addressA), node-b listening on \(addressB) (development CA: INSECURE, demo only)"
            )

            let start = ContinuousClock.now
            let connection = try await nodeA.transport.connection(to: addressB)
            say(
                "node-a -> node-b: signed handshake done in \(ContinuousClock.now - start); peer certificate name '\(connection.peer.name)', roles \(connection.peer.roles)"
            )

            for word in ["ping", "bonjour", "hola"] {
                let reply = try await connection.call(Self.hello, Greeting(text: word))
                say("node-a called greeter/Hello('\(word)') -> '\(reply.text)'")
            }

            let missing = MethodDescriptor<Greeting, Greeting>(service: "greeter", method: "Missing")
            do throws(RPCError) {
                _ = try await connection.call(missing, Greeting(text: "?"))
            } catch {
                say("node-a called greeter/Missing -> \(error.code): \(error.message)")
            }

            for onLoop in [false, true] {
                let burstStart = ContinuousClock.now
                let perWorker = max(1, calls / concurrency)
                let executor: (any TaskExecutor)? = onLoop ? connection.taskExecutor : nil
                try await withThrowingTaskGroup(of: Void.self) { burst in
                    for _ in 0..<concurrency {
                        burst.addTask(executorPreference: executor) {
                            for _ in 0..<perWorker { _ = try await connection.call(Self.hello, Greeting(text: "x")) }
                        }
                    }
                    try await burst.waitForAll()
                }
                let elapsed = ContinuousClock.now - burstStart
                let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
                let rate = Int(Double(perWorker * concurrency) / seconds)
                let where_ = onLoop ? "callers on the connection's event loop" : "callers on the global executor"
                say(
                    "burst: \(perWorker * concurrency) sealed calls, \(concurrency) in flight on one connection, \(where_): \(rate) calls/s"
                )
            }

            // A node from another cluster (its own CA) is refused by node-b.
            let otherCA = ClusterCA(clusterName: "other-cluster", keyPair: .generate())
            let intruder = MeshTransport(
                identity: NodeIdentity.development(name: "intruder", roles: [], ca: otherCA),
                router: ServiceRouter(), group: MultiThreadedEventLoopGroup.singleton, logger: logger)
            do throws(RPCError) {
                _ = try await intruder.connect(to: addressB)
                say("UNEXPECTED: the intruder was accepted")
            } catch {
                say(
                    "a node with another cluster's certificate tried node-b -> refused: \(error.code): \(error.message)"
                )
            }

            let info = try await connection.call(AdminService.info, RawMessage([]))
            say(
                "node-b info: services \(info.services), connections \(info.connections.map { "\($0.peer)\($0.inbound ? " (inbound)" : "")" })"
            )

            say("shutting down (graceful: goAway, drain, close)")
            group.cancelAll()
            try? await group.waitForAll()
            say("done")
        }
    }
}
