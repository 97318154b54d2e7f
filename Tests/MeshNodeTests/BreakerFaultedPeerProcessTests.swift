import Foundation
import Logging
import MeshCore
import MeshNode
import MeshRPC
import MeshResilience
import MeshTestKit
import MeshTransport
import NIOPosix
import Synchronization
import Testing

/// Shared between the scenario's controller and its callers.
final class ScenarioControl: Sendable {
    let phase = Atomic<Int>(0)
    let stop = Atomic<Bool>(false)
}

/// Issue 5's proof under faults, with real `meshnode` processes: three echo nodes, one made slow and then
/// SIGKILLed and restarted, called through a `PeerRouter` in this process with breakers on, then off.
@Suite("faulted peer scenario", .serialized)
final class BreakerFaultedPeerProcessTests {
    static let deadline = MeshDuration.milliseconds(200)
    /// Scheduling slack on a loaded 2-core machine; a call past deadline + slack breaks the "within deadline" promise.
    static let slack = MeshDuration.milliseconds(150)
    static let callers = 4
    static let sick = "echo-2"
    static let breakers = CircuitBreaker.Configuration(
        window: .count(10), failureRateThreshold: 0.5, slowCallRateThreshold: 0.5,
        slowCallDuration: .milliseconds(100), minimumCalls: 5, openWait: .milliseconds(500), openWaitMultiplier: 2,
        maxOpenWait: .seconds(2), halfOpenPermits: 2)

    let dir: String
    var nodes: [String: NodeProcess] = [:]
    var addresses: [String: HostPort] = [:]

    init() throws {
        dir = NSTemporaryDirectory() + "mesh-breaker-tests-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    }

    deinit {
        for p in nodes.values { p.stop() }
        try? FileManager.default.removeItem(atPath: dir)
    }

    func startEcho(_ name: String, port: Int = 0) async throws {
        let args = [
            "run", "--name", name, "--listen", "127.0.0.1:\(port)", "--data-dir", "\(dir)/\(name)", "--test-echo",
            "--log-level", "warning",
        ]
        let p = try NodeProcess(product: "meshnode", arguments: args, stderrPath: "\(dir)/\(name)-\(port).log")
        nodes[name] = p
        let line = await p.waitForLine(prefix: "listening ", timeout: 20)
        let address = try #require(
            line.flatMap { HostPort(String($0.dropFirst("listening ".count))) },
            "\(name) did not report its address; stderr:\n\(p.stderr)")
        addresses[name] = address
    }

    enum Phase: Int, CaseIterable, Sendable, CustomStringConvertible {
        case normal, slow, killed, restarted
        var description: String { ["normal", "slow", "killed", "restarted"][rawValue] }
    }

    struct Sample: Sendable {
        var phase: Phase
        var latency: MeshDuration
        var ok: Bool
        var peer: String?
    }

    struct Outcome {
        var samples: [Sample]
        /// Finished calls to the sick peer, per phase (from the router's own counts).
        var sickCalls: [Phase: UInt64]
        /// The sick peer's breaker states seen while sampling, per phase.
        var sickStates: [Phase: Set<String>]
        var finalSickState: String
        /// The router's operator view at the end.
        var finalView: [String]
    }

    /// Drives `callers` concurrent callers through a router with `breakers` while the controller walks the
    /// phases: normal, echo-2 slow (1 s > the 200 ms deadline), echo-2 SIGKILLed, echo-2 restarted on its port.
    func runScenario(breakers: CircuitBreaker.Configuration?, label: String) async throws -> Outcome {
        var transportConfig = TransportConfiguration()
        transportConfig.reconnectInitialBackoff = .milliseconds(20)
        transportConfig.reconnectMaxBackoff = .milliseconds(100)
        let transport = callerTransport("test-caller-\(label)", configuration: transportConfig)
        var routes = ServiceRoutes()
        for name in ["echo-1", "echo-2", "echo-3"] {
            try routes.add(service: "test", PeerEndpoint(name: name, address: try #require(addresses[name])))
        }
        let router = try PeerRouter(
            transport: transport, routes: routes,
            configuration: RoutingConfiguration(
                breakers: breakers, maxAttempts: 2, latencyDecay: .seconds(1), seed: 11),
            logger: quietLogger)
        let control = ScenarioControl()
        let samples = Recorder<Sample>()
        let payload = RawMessage(Array(repeating: 7, count: 32))
        let workers = (0..<Self.callers).map { _ in
            Task {
                let clock = SystemClock()
                while !control.stop.load(ordering: .relaxed) {
                    let current = Phase(rawValue: control.phase.load(ordering: .relaxed))!
                    let start = clock.now()
                    var peer: String?
                    do {
                        peer = try await router.routedCall(
                            TestEchoService.echo, payload, options: CallOptions(timeout: Self.deadline)
                        ).peer
                    } catch {
                        peer = nil
                    }
                    samples.append(Sample(phase: current, latency: clock.now() - start, ok: peer != nil, peer: peer))
                    try? await Task.sleep(for: .milliseconds(15))
                }
            }
        }
        var sickCalls: [Phase: UInt64] = [:]
        var sickStates: [Phase: Set<String>] = [:]
        func sickStatus() -> PeerBreakerStatus? { router.statuses().first { $0.peer == Self.sick } }
        /// Sets the phase and samples the sick peer's state every 50 ms for at least `duration`, then until
        /// `until` holds or `limit` has passed.
        func hold(_ p: Phase, for duration: Duration, upTo limit: Duration? = nil, until: () -> Bool = { true })
            async throws
        {
            let before = sickStatus()?.calls ?? 0
            control.phase.store(p.rawValue, ordering: .relaxed)
            let begin = ContinuousClock.now
            while true {
                if let s = sickStatus() { sickStates[p, default: []].insert(s.state) }
                let elapsed = ContinuousClock.now - begin
                if elapsed >= duration && (until() || elapsed >= (limit ?? duration)) { break }
                try await Task.sleep(for: .milliseconds(50))
            }
            sickCalls[p] = (sickStatus()?.calls ?? 0) - before
        }
        let sickAddress = try #require(addresses[Self.sick])
        try await hold(.normal, for: .milliseconds(1500))
        let probe = callerTransport("test-operator", roles: ["operator"])
        _ = try await probe.call(TestEchoService.setDelay, EchoDelay(.seconds(1)), at: sickAddress)
        await probe.shutdown()
        try await hold(.slow, for: .milliseconds(3000))
        nodes[Self.sick]?.stop()  // SIGKILL, and reaped
        try await hold(.killed, for: .milliseconds(2500))
        control.phase.store(Phase.restarted.rawValue, ordering: .relaxed)
        try await startEcho(Self.sick, port: sickAddress.port)
        try await hold(.restarted, for: .milliseconds(1500), upTo: .seconds(8)) {
            breakers == nil || sickStatus()?.state == "closed"
        }
        control.stop.store(true, ordering: .relaxed)
        for w in workers { await w.value }
        await transport.shutdown()
        return Outcome(
            samples: samples.all, sickCalls: sickCalls, sickStates: sickStates,
            finalSickState: sickStatus()?.state ?? "?",
            finalView: router.statuses().map { p in
                "test-caller-\(label) -> \(p.peer): \(p.state), \(p.calls) calls, \(p.failures) failed, "
                    + "\(p.rejected) rejected\(p.reason.isEmpty ? "" : ", " + p.reason)"
            })
    }

    struct Row {
        var calls = 0
        var errors = 0
        var p50 = MeshDuration.zero
        var p99 = MeshDuration.zero
        var max = MeshDuration.zero
        var sick: UInt64 = 0
        var errorRate: Double { calls == 0 ? 0 : Double(errors) / Double(calls) }

        init(_ samples: [Sample], sick: UInt64) {
            let sorted = samples.map(\.latency).sorted()
            calls = samples.count
            errors = samples.filter { !$0.ok }.count
            if !sorted.isEmpty {
                p50 = sorted[sorted.count / 2]
                p99 = sorted[min(sorted.count - 1, Int((Double(sorted.count) * 0.99).rounded(.up)) - 1)]
                max = sorted.last!
            }
            self.sick = sick
        }

        func line(_ mode: String, _ phase: String) -> String {
            func ms(_ d: MeshDuration) -> String { String(format: "%7.1f", d.milliseconds) }
            let rate = String(format: "%6.1f%%", errorRate * 100)
            let head =
                mode.padding(toLength: 13, withPad: " ", startingAt: 0)
                + phase.padding(toLength: 11, withPad: " ", startingAt: 0)
            return head + String(format: "%6d", calls) + " " + ms(p50) + " " + ms(p99) + " " + ms(max) + " "
                + String(format: "%6d", errors) + " " + rate + " " + String(format: "%8d", sick)
        }
    }

    static func rows(_ o: Outcome) -> [(String, Row)] {
        var rows = Phase.allCases.map { p in
            (p.description, Row(o.samples.filter { $0.phase == p }, sick: o.sickCalls[p] ?? 0))
        }
        let faulted = o.samples.filter { $0.phase == .slow || $0.phase == .killed }
        rows.append(("slow+kill", Row(faulted, sick: (o.sickCalls[.slow] ?? 0) + (o.sickCalls[.killed] ?? 0))))
        rows.append(("all", Row(o.samples, sick: o.sickCalls.values.reduce(0, +))))
        return rows
    }

    @Test(.timeLimit(.minutes(2)))
    func breakersKeepCallersWithinDeadlinesShiftLoadAndCloseAfterRecovery() async throws {
        for name in ["echo-1", "echo-2", "echo-3"] { try await startEcho(name) }
        let on = try await runScenario(breakers: Self.breakers, label: "on")
        let off = try await runScenario(breakers: nil, label: "off")

        let header = "mode         phase       calls  p50 ms  p99 ms  max ms errors  error% to-sick"
        var table = [
            "faulted-peer scenario: 3 echo nodes, \(Self.callers) callers, deadline \(Self.deadline), "
                + "\(Self.sick) slow (1 s) then SIGKILLed then restarted; failover to 1 other peer in both modes",
            header,
        ]
        let onRows = Self.rows(on)
        let offRows = Self.rows(off)
        for (phase, row) in onRows { table.append(row.line("breakers on", phase)) }
        for (phase, row) in offRows { table.append(row.line("breakers off", phase)) }
        table.append(
            "\(Self.sick) breaker states seen (on): "
                + Phase.allCases.map { "\($0)=\(on.sickStates[$0]?.sorted() ?? [])" }.joined(separator: " "))
        print((table + on.finalView + off.finalView).joined(separator: "\n"))

        // With breakers on: no caller waits past its deadline (plus scheduling slack).
        let worst = on.samples.map(\.latency).max() ?? .zero
        #expect(worst <= Self.deadline + Self.slack, "slowest call with breakers on took \(worst)")
        // The slow peer's breaker opened, and most calls went to healthy peers while it was sick.
        #expect(on.sickStates[.slow]?.contains("open") == true, "\(on.sickStates)")
        let onFaulted = onRows.first { $0.0 == "slow+kill" }!.1
        let offFaulted = offRows.first { $0.0 == "slow+kill" }!.1
        #expect(onFaulted.calls > 100)
        #expect(Double(onFaulted.sick) < 0.1 * Double(onFaulted.calls), "calls to \(Self.sick): \(onFaulted.sick)")
        // Breakers lower the error rate under the fault.
        #expect(onFaulted.errorRate < offFaulted.errorRate, "on \(onFaulted.errorRate) vs off \(offFaulted.errorRate)")
        // After the restart, half-open trials succeed and the breaker closes; the peer serves again.
        #expect(on.finalSickState == "closed")
        #expect(on.samples.contains { $0.phase == .restarted && $0.peer == Self.sick })
        #expect(off.finalSickState == "off")
    }
}
