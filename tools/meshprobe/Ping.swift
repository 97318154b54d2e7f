import ArgumentParser
import MeshCore
import MeshNode
import MeshRPC
import MeshTransport

extension MeshProbe {
    struct Ping: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Measure the handshake and sealed round trips to a node (mesh.admin/Ping).",
            discussion: """
                The handshake time is the time to establish the connection: TCP connect, hello, welcome, \
                auth (both signatures verified) and the server's first sealed frame. Each ping is one sealed \
                request and response of --size bytes on that connection. Indirect round trips (through \
                another member) need an admin method the nodes do not have yet.
                """)

        @Argument(help: "The node, HOST:PORT.")
        var address: HostPort

        @Option(help: "Number of pings.")
        var count: Int = 10

        @Option(help: "Bytes of payload per ping.")
        var size: Int = 64

        @OptionGroup var identity: ProbeIdentity
        @OptionGroup var output: OutputOptions

        func validate() throws {
            guard count > 0 else { throw ValidationError("--count must be at least 1") }
            guard (0...1_000_000).contains(size) else { throw ValidationError("--size must be in 0...1000000") }
        }

        func run() async throws {
            let result = try await output.run { () async throws(ProbeFailure) in try await measure() }
            if output.json {
                printJSON(result)
            } else {
                print("connected to \(result.node) at \(result.address): handshake \(micros(result.handshakeMicros))")
                for p in result.pings {
                    print("ping \(p.seq): " + (p.rttMicros.map(micros) ?? "failed: \(p.error ?? "")"))
                }
                if let s = result.summary {
                    print(
                        "\(s.received)/\(s.sent) answered: min \(micros(s.minMicros)), "
                            + "median \(micros(s.medianMicros)), max \(micros(s.maxMicros))")
                } else {
                    print("0/\(result.pings.count) answered")
                }
            }
            try finish(problems: result.problems)
        }

        private func micros(_ value: Int) -> String {
            value < 10_000 ? "\(value) µs" : Format.oneDecimal(Double(value) / 1000) + " ms"
        }

        private func measure() async throws(ProbeFailure) -> PingJSON {
            let transport = try identity.transport()
            let start = ContinuousClock.now
            let connection: MeshConnection
            do {
                connection = try await transport.connection(
                    to: address, deadline: SystemClock().now() + .seconds(fractional: identity.timeout))
            } catch {
                await transport.shutdown()
                throw ProbeFailure(calling: address, error)
            }
            let handshake = Self.microseconds(ContinuousClock.now - start)
            var pings: [PingJSON.Sample] = []
            let payload = RawMessage(Array(repeating: 0x5A, count: size))
            for i in 1...count {
                let sent = ContinuousClock.now
                do {
                    let echo = try await connection.call(AdminService.ping, payload, options: identity.callOptions)
                    let rtt = Self.microseconds(ContinuousClock.now - sent)
                    let intact = echo.encoded() == payload.encoded()
                    pings.append(.init(seq: i, rttMicros: rtt, error: intact ? nil : "echo differs from the request"))
                } catch {
                    pings.append(.init(seq: i, rttMicros: nil, error: "\(error)"))
                }
            }
            await transport.shutdown()
            return PingJSON(
                node: connection.peer.name, address: address.description, handshakeMicros: handshake, pings: pings)
        }

        static func microseconds(_ d: Duration) -> Int {
            Int(d.components.seconds) * 1_000_000 + Int(d.components.attoseconds / 1_000_000_000_000)
        }
    }
}

/// `meshprobe ping --json`. Times are integer microseconds.
struct PingJSON: Encodable {
    struct Sample: Encodable {
        var seq: Int
        /// nil when the ping failed (`error` says why).
        var rttMicros: Int?
        var error: String?
    }
    struct Summary: Encodable {
        var sent: Int
        var received: Int
        var minMicros: Int
        var medianMicros: Int
        var maxMicros: Int
    }
    var node: String
    var address: String
    var handshakeMicros: Int
    var pings: [Sample]
    var summary: Summary?
    var problems: [String]

    init(node: String, address: String, handshakeMicros: Int, pings: [Sample]) {
        self.node = node
        self.address = address
        self.handshakeMicros = handshakeMicros
        self.pings = pings
        let ok = pings.filter { $0.error == nil }.compactMap(\.rttMicros).sorted()
        summary =
            ok.isEmpty
            ? nil
            : Summary(
                sent: pings.count, received: ok.count, minMicros: ok[0], medianMicros: ok[ok.count / 2],
                maxMicros: ok[ok.count - 1])
        problems = pings.compactMap { p in p.error.map { "ping \(p.seq): \($0)" } }
    }

}
