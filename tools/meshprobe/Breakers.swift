import ArgumentParser
import MeshCore
import MeshNode
import MeshTransport

extension MeshProbe {
    struct Breakers: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show a node's per-peer circuit breakers: which links are open, since when, and why.",
            discussion: """
                Exit 1 when a breaker is not closed (open, halfOpen, forcedOpen) or, with --all, when an alive \
                member does not answer.
                """)

        @Argument(help: "The node, HOST:PORT.")
        var address: HostPort

        @Flag(help: "Every alive member's breakers (the members the node knows).")
        var all = false

        @OptionGroup var identity: ProbeIdentity
        @OptionGroup var output: OutputOptions

        func run() async throws {
            let result = try await output.run { () async throws(ProbeFailure) in try await collect() }
            if output.json {
                printJSON(result)
            } else {
                for (i, node) in result.nodes.enumerated() {
                    if i > 0 { print("") }
                    for line in BreakerTable.render(node, wide: output.wide, width: output.width) { print(line) }
                }
            }
            try finish(problems: result.problems)
        }

        private func collect() async throws(ProbeFailure) -> BreakersJSON {
            let first = try await identity.ask(AdminService.breakers, at: address)
            var nodes = [BreakersJSON.Node(first, address: address.description)]
            if all {
                let members = try await identity.ask(AdminService.members, at: address)
                for m in members.members where m.status == "alive" && m.name != first.node {
                    guard let at = HostPort(m.address) else {
                        let failure = ProbeFailure(.unreachable, "member address '\(m.address)' is not HOST:PORT")
                        nodes.append(.init(node: m.name, address: m.address, failure))
                        continue
                    }
                    do {
                        nodes.append(.init(try await identity.ask(AdminService.breakers, at: at), address: m.address))
                    } catch {
                        nodes.append(.init(node: m.name, address: m.address, error))
                    }
                }
            }
            return BreakersJSON(nodes: nodes)
        }
    }
}

/// `meshprobe breakers --json`: one entry per node asked (one without `--all`).
struct BreakersJSON: Encodable {
    struct Peer: Encodable {
        var peer: String
        /// `closed`, `open`, `halfOpen`, `forcedOpen`, or `off` (breakers disabled).
        var state: String
        var inStateSeconds: Double
        var reason: String
        /// Fractions (0...1) of the current window.
        var failureRate: Double
        var slowCallRate: Double
        var rejected: UInt64
        var callsInWindow: UInt64
        var inFlight: UInt64
        var latencyMillis: Double
        var calls: UInt64
        var failures: UInt64

        init(_ p: PeerBreakerStatus) {
            peer = p.peer
            state = p.state
            inStateSeconds = (p.inState.seconds * 1000).rounded() / 1000
            reason = p.reason
            failureRate = p.failureRate
            slowCallRate = p.slowCallRate
            rejected = p.rejected
            callsInWindow = p.callsInWindow
            inFlight = p.outstanding
            latencyMillis = (p.latency.milliseconds * 1000).rounded() / 1000
            calls = p.calls
            failures = p.failures
        }
    }
    struct Node: Encodable {
        var node: String
        var address: String
        /// Absent when the node did not answer (`error` says why).
        var peers: [Peer]?
        var error: ErrorJSON?

        init(_ report: BreakersReport, address: String) {
            node = report.node
            self.address = address
            peers = report.peers.map(Peer.init)
        }

        init(node: String, address: String, _ failure: ProbeFailure) {
            self.node = node
            self.address = address
            error = ErrorJSON(failure)
        }
    }
    var nodes: [Node]
    var problems: [String]

    init(nodes: [Node]) {
        self.nodes = nodes
        problems = nodes.flatMap { n in
            (n.error.map { ["\(n.node) did not answer: \($0.message)"] } ?? [])
                + (n.peers ?? []).filter { !["closed", "off"].contains($0.state) }.map {
                    "\(n.node) -> \($0.peer): breaker \($0.state)" + ($0.reason.isEmpty ? "" : " (\($0.reason))")
                }
        }
    }
}

/// The operator's breaker table (`meshprobe breakers`): one row per peer, shortened to `width`. `wide` adds the
/// window, lifetime call and failure counts.
enum BreakerTable {
    static func render(_ node: BreakersJSON.Node, wide: Bool, width: Int?) -> [String] {
        if let error = node.error { return ["node \(node.node) at \(node.address): \(error.message)"] }
        let peers = node.peers ?? []
        guard !peers.isEmpty else { return ["node \(node.node): no routed peers"] }
        let narrow = ["PEER", "STATE", "SINCE", "FAIL%", "SLOW%", "REJECTED", "INFLIGHT", "LATENCY", "REASON"]
        let header = wide ? Array(narrow.dropLast()) + ["WINDOW", "CALLS", "FAILED", "REASON"] : narrow
        var table = TextTable(header, shrinkable: [0, header.count - 1])
        for p in peers {
            var row = [
                p.peer, p.state, Format.oneDecimal(p.inStateSeconds) + "s", Format.oneDecimal(p.failureRate * 100),
                Format.oneDecimal(p.slowCallRate * 100), "\(p.rejected)", "\(p.inFlight)",
                Format.oneDecimal(p.latencyMillis) + "ms",
            ]
            if wide { row += ["\(p.callsInWindow)", "\(p.calls)", "\(p.failures)"] }
            table.append(row + [p.reason.isEmpty ? "-" : p.reason])
        }
        return ["node \(node.node)"] + table.render(width: width)
    }
}
