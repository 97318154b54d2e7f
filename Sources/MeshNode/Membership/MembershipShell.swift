import Logging
import MeshCore
import MeshCrypto
import MeshMembership
import MeshRPC
import MeshTransport
import Metrics
import Synchronization

/// Runs a `SWIMInstance` in a live node: drives its timers, carries its messages over the transport as
/// one-way `mesh.swim/Message` frames, and turns its events into log lines, metrics and PeerRouter verdicts.
///
/// Invariants: the instance is touched only under `state`'s lock and never across an `await`; sends never
/// block the timer loop (they go through a queue to a bounded set of sender tasks, each bounded by
/// `sendTimeout`); a send that cannot start or fails is counted and logged at debug, never thrown.
/// Sendable: all mutable state is in `Mutex`es; the rest is immutable.
public final class MembershipShell: Sendable {
    /// Longest a single send (dial included) may take before it is abandoned.
    public let sendTimeout: MeshDuration
    /// Sends in flight at most; further sends are dropped (SWIM tolerates loss) and counted.
    public let maxInFlightSends: Int

    private let transport: MeshTransport
    private let peers: PeerRouter
    private let logger: Logger
    private let clock = SystemClock()
    private let state = Mutex(State())
    private let queue: AsyncStream<Outgoing>
    private let queueInput: AsyncStream<Outgoing>.Continuation
    private let metrics = ShellMetrics()
    private let watchers = Mutex<(next: Int, active: [Int: AsyncStream<MembershipEvent>.Continuation])>((0, [:]))

    /// Request metadata key carrying the sender's advertised membership address on every message.
    public static let senderAddressKey = "mesh.swim.from"

    private struct State {
        var instance: SWIMInstance?
        var advertised = ""
        var resolvedSeeds: [String] = []
        var inFlight = 0
    }

    private struct Outgoing: Sendable {
        var message: SWIMMessage
        var address: String
        /// The member expected at `address`; the transport refuses a peer with another certificate name.
        var peer: String?
    }

    public init(
        transport: MeshTransport, peers: PeerRouter, logger: Logger,
        sendTimeout: MeshDuration = .seconds(1), maxInFlightSends: Int = 64
    ) {
        self.transport = transport
        self.peers = peers
        self.logger = logger
        self.sendTimeout = sendTimeout
        self.maxInFlightSends = maxInFlightSends
        (queue, queueInput) = AsyncStream.makeStream(of: Outgoing.self, bufferingPolicy: .bufferingNewest(4_096))
    }

    // MARK: Queries

    /// This node and every member it knows (tombstones included), sorted by name; empty before `run` starts.
    public func report() -> MembersReport {
        state.withLock { s in
            guard let swim = s.instance else { return MembersReport(node: "", members: []) }
            let me = MemberInfo(
                name: swim.name, address: swim.myself.rpcAddress, status: swim.isLeaving ? "left" : "alive",
                incarnation: swim.incarnation, services: swim.myself.services, version: swim.myself.buildVersion)
            let now = clock.now()
            let others = swim.members.map { m in
                MemberInfo(
                    name: m.name, address: m.metadata.rpcAddress, status: Self.statusName(m.status),
                    incarnation: m.status.incarnation, services: m.metadata.services,
                    version: m.metadata.buildVersion, statusAge: now - m.statusChangedAt)
            }
            return MembersReport(node: swim.name, members: (others + [me]).sorted { $0.name < $1.name })
        }
    }

    /// Alive members (this node included) hosting `service`.
    public func members(hosting service: String) -> [MemberMetadata] {
        state.withLock { $0.instance?.members(hosting: service) ?? [] }
    }

    /// Every alive member's metadata, this node included (unless it is leaving).
    public func aliveMembers() -> [MemberMetadata] {
        state.withLock { s in
            guard let swim = s.instance else { return [] }
            var out = swim.members.compactMap { m -> MemberMetadata? in
                guard case .alive = m.status else { return nil }
                return m.metadata
            }
            if !swim.isLeaving { out.append(swim.myself) }
            return out
        }
    }

    // MARK: Inputs

    /// Handles one inbound message from the authenticated peer `peerName` (called on the event loop).
    /// The sender's membership address is, in order: `senderAddress` (the request's `senderAddressKey`
    /// metadata), the address in the sender's own alive update in the message, or the member table's.
    public func receive(_ message: SWIMMessage, fromPeer peerName: String, senderAddress: String? = nil) {
        let now = clock.now()
        let directives: [SWIMDirective]? = state.withLock { s in
            guard s.instance != nil else { return nil }
            let advertised =
                senderAddress.flatMap { $0.isEmpty ? nil : $0 }
                ?? message.updates.first { $0.kind == .alive && $0.name == peerName }?.metadata?.rpcAddress
            guard let address = advertised ?? s.instance?.member(named: peerName)?.metadata.rpcAddress else {
                return nil
            }
            return s.instance?.receive(message, from: address, now: now)
        }
        guard let directives else {
            metrics.rejected.increment()
            logger.debug(
                "membership message dropped: sender unknown or node not started",
                metadata: [
                    "mesh.peer": "\(peerName)"
                ])
            return
        }
        metrics.received.increment()
        switch message {
        case .ack: metrics.probeResult("ack").increment()  // a probe of ours (direct or relayed) answered
        case .nack: metrics.probeResult("nack").increment()  // a relay could not reach the target
        default: break
        }
        perform(directives)
    }

    /// Membership changes as they happen (joined, suspected, refuted, died, left, updated, reaped, …), for as
    /// long as the caller iterates. A slow reader loses the oldest events beyond 1,024, never blocks the shell.
    public func changes() -> AsyncStream<MembershipEvent> {
        let (stream, continuation) = AsyncStream.makeStream(
            of: MembershipEvent.self, bufferingPolicy: .bufferingNewest(1_024))
        let id = watchers.withLock { w -> Int in
            w.next += 1
            w.active[w.next] = continuation
            return w.next
        }
        continuation.onTermination = { [weak self] _ in
            self?.watchers.withLock { _ = $0.active.removeValue(forKey: id) }
        }
        return stream
    }

    /// Runs membership until cancelled: joins through `seeds` (resolved again every `seedResolveInterval`), ticks the
    /// instance at its deadlines (at least every `maxTickDelay`) and sends what it asks for.
    public func run(
        myself: MemberMetadata, seeds: [HostPort], incarnation: UInt64, configuration: SWIMConfiguration,
        seedResolveInterval: MeshDuration, maxTickDelay: MeshDuration = .milliseconds(50)
    ) async throws(MembershipError) {
        let resolved = SeedResolver.resolve(seeds)
        let instance = try SWIMInstance(
            config: configuration, myself: myself, seeds: resolved, now: clock.now(),
            rng: SeededRandom(seed: UInt64.random(in: 0...UInt64.max)), incarnation: incarnation)
        state.withLock {
            $0.instance = instance
            $0.resolvedSeeds = resolved
            $0.advertised = myself.rpcAddress
        }
        logger.info(
            "membership started",
            metadata: [
                "mesh.advertise": "\(myself.rpcAddress)", "mesh.seeds": "\(resolved)",
                "mesh.incarnation": "\(incarnation)",
            ])
        await withDiscardingTaskGroup { group in
            group.addTask { await self.sendLoop() }
            group.addTask { await self.resolveLoop(seeds: seeds, every: seedResolveInterval) }
            await tickLoop(maxDelay: maxTickDelay)
            queueInput.finish()
            group.cancelAll()
        }
    }

    /// Announces a graceful leave and gives the announcement `flush` to go out. Call before the transport drains.
    public func leave(flush: MeshDuration = .milliseconds(300)) async {
        let now = clock.now()
        let directives = state.withLock { $0.instance?.leave(now: now) ?? [] }
        guard !directives.isEmpty else { return }
        logger.info("membership: leaving the cluster", metadata: ["reason": "graceful shutdown"])
        perform(directives)
        try? await Task.sleep(for: .nanoseconds(flush.nanoseconds))
    }

    // MARK: Loops

    private func tickLoop(maxDelay: MeshDuration) async {
        while !Task.isCancelled {
            let now = clock.now()
            let (directives, next) = state.withLock { s -> ([SWIMDirective], MeshInstant) in
                guard var swim = s.instance else { return ([], now + maxDelay) }
                let d = swim.tick(now: now)
                s.instance = swim
                return (d, swim.nextDeadline)
            }
            perform(directives)
            let wait = min(max(next - clock.now(), .milliseconds(1)), maxDelay)
            try? await Task.sleep(for: .nanoseconds(wait.nanoseconds))
        }
    }

    private func sendLoop() async {
        await withDiscardingTaskGroup { group in
            for await outgoing in queue {
                let admitted = state.withLock { s in
                    guard s.inFlight < maxInFlightSends else { return false }
                    s.inFlight += 1
                    return true
                }
                guard admitted else {
                    metrics.sendFailures.increment()
                    logger.debug(
                        "membership send dropped: too many in flight",
                        metadata: [
                            "mesh.address": "\(outgoing.address)"
                        ])
                    continue
                }
                group.addTask {
                    await self.deliver(outgoing)
                    self.state.withLock { $0.inFlight -= 1 }
                }
            }
        }
    }

    private func deliver(_ outgoing: Outgoing) async {
        guard let address = HostPort(outgoing.address) else {
            metrics.sendFailures.increment()
            logger.debug("membership send skipped: bad address", metadata: ["mesh.address": "\(outgoing.address)"])
            return
        }
        let deadline = clock.now() + sendTimeout
        let transport = self.transport
        let options = CallOptions(
            timeout: sendTimeout, metadata: [Self.senderAddressKey: state.withLock { $0.advertised }])
        do throws(RPCError) {
            try await DeadlineRace.run(until: deadline, clock: clock, "membership send to \(address)") {
                () async throws(RPCError) -> Void in
                // With the peer's name, the transport refuses any other node at the address (new or reused connection).
                let connection = try await transport.connection(
                    to: address, peerName: outgoing.peer, deadline: deadline)
                try await connection.send(MembershipMethods.message, outgoing.message, options: options)
            }
            metrics.sent.increment()
        } catch {
            metrics.sendFailures.increment()
            if let peer = outgoing.peer, Self.isPeerNameMismatch(error) {
                metrics.peerMismatches.increment()
                logger.warning(
                    "membership send refused: another node answers at the member's address",
                    metadata: [
                        "mesh.address": "\(address)", "mesh.member": "\(peer)", "error": "\(error)",
                    ])
                return
            }
            logger.debug("membership send failed", metadata: ["mesh.address": "\(address)", "error": "\(error)"])
        }
    }

    /// True when `error` says another node answered at the address: the handshake's certificate check
    /// (`CryptoError.peerNameMismatch`, carried by the connection error) or the check of a reused connection.
    static func isPeerNameMismatch(_ error: RPCError) -> Bool {
        var cause = error.cause
        while let current = cause {
            switch current {
            case let crypto as CryptoError: return crypto.code == .peerNameMismatch
            case let connection as ConnectionError: cause = connection.cause
            case let rpc as RPCError: cause = rpc.cause
            default: return false
            }
        }
        return false
    }

    /// Resolves the seed names again every `interval` and hands the addresses to the instance, which offers
    /// its digest to a random seed now and then: a cluster split at start-up, or halves that forgot each
    /// other after a long partition, find each other through the seeds.
    private func resolveLoop(seeds: [HostPort], every interval: MeshDuration) async {
        guard seeds.contains(where: { !SeedResolver.isNumeric($0.host) }) else { return }
        while !Task.isCancelled {
            try? await Task.sleep(for: .nanoseconds(interval.nanoseconds))
            let resolved = SeedResolver.resolve(seeds)
            guard !resolved.isEmpty else { continue }  // DNS hiccup: keep the last good list
            state.withLock { s in
                guard resolved != s.resolvedSeeds else { return }
                s.instance?.updateSeeds(resolved)
                s.resolvedSeeds = resolved
            }
        }
    }

    // MARK: Directives

    private func perform(_ directives: [SWIMDirective]) {
        var changed = false
        for directive in directives {
            switch directive {
            case .send(let message, let address, let peer):
                queueInput.yield(Outgoing(message: message, address: address, peer: peer))
            case .event(let event):
                changed = true
                publish(event)
            }
        }
        if changed { updateGauges() }
    }

    private func publish(_ event: MembershipEvent) {
        for watcher in watchers.withLock({ Array($0.active.values) }) { watcher.yield(event) }
        func log(_ what: String, _ name: String, _ reason: String, level: Logger.Level = .info) {
            logger.log(level: level, "\(what)", metadata: ["mesh.member": "\(name)", "reason": "\(reason)"])
        }
        switch event {
        case .joined(let m):
            log("member joined", m.name, "alive at \(m.rpcAddress)")
            peers.markAvailable(peer: m.name)
        case .updated(let m):
            log("member updated", m.name, "new metadata, at \(m.rpcAddress)")
        case .suspected(let name, let incarnation, let by):
            metrics.suspicions.increment()
            log("member suspected", name, "suspected by \(by) at incarnation \(incarnation)")
            peers.markUnavailable(peer: name, reason: "suspected by membership (\(by))")
        case .refuted(let name, let incarnation):
            log("member refuted suspicion", name, "alive at incarnation \(incarnation)")
            peers.markAvailable(peer: name)
        case .died(let name, let incarnation, let by):
            log("member dead", name, "declared dead by \(by) at incarnation \(incarnation)")
            peers.markUnavailable(peer: name, reason: "dead in membership (declared by \(by))")
        case .left(let name):
            log("member left", name, "left gracefully")
            peers.markUnavailable(peer: name, reason: "left the cluster")
        case .reaped(let name):
            log("member reaped", name, "tombstone expired")
        case .selfRefuted(let incarnation, let accusation):
            log(
                "refuted an accusation against this node", "self", "\(accusation), now incarnation \(incarnation)",
                level: .warning)
        case .rejected(let error, let from):
            metrics.rejected.increment()
            log("membership input rejected", from, "\(error)", level: .warning)
        }
    }

    private func updateGauges() {
        let counts = state.withLock { s -> [String: Int] in
            var counts = ["alive": 0, "suspect": 0, "dead": 0, "left": 0]
            for m in s.instance?.members ?? [] { counts[Self.statusName(m.status), default: 0] += 1 }
            return counts
        }
        for (status, count) in counts { metrics.members(status).record(count) }
    }

    static func statusName(_ status: MemberStatus) -> String {
        switch status {
        case .alive: "alive"
        case .suspect: "suspect"
        case .dead: "dead"
        case .left: "left"
        }
    }
}

/// The shell's swift-metrics instruments.
private struct ShellMetrics: Sendable {
    let sent = Counter(label: "mesh_swim_messages_sent_total")
    let sendFailures = Counter(label: "mesh_swim_send_failures_total")
    let received = Counter(label: "mesh_swim_messages_received_total")
    let rejected = Counter(label: "mesh_swim_messages_rejected_total")
    let suspicions = Counter(label: "mesh_swim_suspicions_total")
    /// Sends refused because the node at a member's address presented another name.
    let peerMismatches = Counter(label: "mesh_swim_peer_mismatches_total")

    /// Members other than this node, by status.
    /// Answers to this node's probes: `ack` (the member answered, directly or through a relay) or `nack`
    /// (a relay could not reach it). Probes that time out show up as suspicions.
    func probeResult(_ result: String) -> Counter {
        Counter(label: "mesh_swim_probe_results_total", dimensions: [("result", result)])
    }
    func members(_ status: String) -> Gauge { Gauge(label: "mesh_members", dimensions: [("status", status)]) }
}
