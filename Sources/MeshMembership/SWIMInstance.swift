import MeshCore
import MeshWire

/// SWIM with the Lifeguard refinements as a pure state machine.
///
/// Inputs are `tick(now:)`, `receive(_:from:now:)` and `leave(now:)`; outputs are directives.
/// The shell calls `tick` whenever `nextDeadline` is reached (calling it earlier is harmless).
/// Invariants: this node never appears in `members`; a member is in the random-pick set exactly
/// while it is alive or suspect; every dead or left member has a tombstone until reaped.
public struct SWIMInstance: Sendable {
    public let config: SWIMConfiguration
    public internal(set) var myself: MemberMetadata
    public internal(set) var incarnation: UInt64
    /// Lifeguard local health score, 0 ..< maxLocalHealth; timeouts are scaled by `localHealth + 1`.
    public internal(set) var localHealth = 0
    public internal(set) var isLeaving = false
    /// Membership addresses of the seeds (never this node's own); see `updateSeeds`.
    public internal(set) var seeds: [String]

    var table: [String: MemberState] = [:]
    var reachable = ReachableSet()
    /// Dead (not left) members, for the reconnect round's random pick.
    var deadMembers = ReachableSet()
    /// Dead and left members in the order they became so, with that time: reaping takes from the front.
    var tombstones: [(name: String, since: MeshInstant)] = []
    var tombstonesReaped = 0
    var suspicions: [String: Suspicion] = [:]
    /// When each suspicion next needs attention, as scheduled in `suspicionDeadlines` (entries whose
    /// deadline differs from this are stale and skipped).
    var scheduledSuspicions: [String: MeshInstant] = [:]
    var suspicionDeadlines = DeadlineQueue()
    var broadcasts = BroadcastQueue()
    var rng: SeededRandom

    var probeOrder: [String] = []
    var probeIndex = 0
    var priorityProbes: [String] = []
    var probe: ProbeState?
    var relays: [UInt64: Relay] = [:]
    /// Sequence numbers of final-check pings, by the suspect they check.
    var finalChecks: [UInt64: String] = [:]
    var sequence: UInt64 = 0
    /// Smoothed round-trip time of direct probes, including acks that arrived after their timeout.
    public internal(set) var roundTripEstimate: MeshDuration?
    var lastExpiredProbe: (sequence: UInt64, sentAt: MeshInstant)?

    var nextProbeAt: MeshInstant
    var nextGossipAt: MeshInstant
    var nextAntiEntropyAt: MeshInstant
    var nextSeedSyncAt: MeshInstant
    var nextReconnectAt: MeshInstant
    /// The outstanding reconnect ping to a dead member: its sequence and the member's name.
    var reconnect: (sequence: UInt64, name: String)?
    var nextReapAt: MeshInstant

    /// - Parameters:
    ///   - seeds: membership addresses to join through; contacted while no other member is known.
    ///   - incarnation: the starting incarnation (a shell may pass a boot generation).
    public init(
        config: SWIMConfiguration, myself: MemberMetadata, seeds: [String], now: MeshInstant, rng: SeededRandom,
        incarnation: UInt64 = 0
    ) throws(MembershipError) {
        try config.validate()
        try myself.validate(maxBytes: config.maxMetadataBytes)
        self.config = config
        self.myself = myself
        self.incarnation = incarnation
        self.seeds = seeds.filter { $0 != myself.rpcAddress }
        self.rng = rng
        nextProbeAt = now + config.probeInterval
        nextGossipAt = now + config.gossipInterval
        nextAntiEntropyAt = now
        nextSeedSyncAt = now + config.seedSyncInterval
        nextReconnectAt = now + config.reconnectInterval
        nextReapAt = now + config.probeInterval
        broadcasts.enqueue(.alive(myself, incarnation: incarnation))
    }

    // MARK: Queries

    public var name: String { myself.name }

    /// Every known member except this node, tombstones included, sorted by name.
    public var members: [MemberState] { table.values.sorted { $0.name < $1.name } }

    public func member(named name: String) -> MemberState? { table[name] }

    /// Alive members (this node included) that host `service`, sorted by name.
    public func members(hosting service: String) -> [MemberMetadata] {
        var out = table.values.compactMap { state -> MemberMetadata? in
            guard case .alive = state.status, state.metadata.services.contains(service) else { return nil }
            return state.metadata
        }
        if !isLeaving, myself.services.contains(service) { out.append(myself) }
        return out.sorted { $0.name < $1.name }
    }

    /// Members currently alive or suspect, plus this node.
    public var clusterSize: Int { reachable.count + 1 }

    /// The earliest time at which `tick` has work to do.
    public var nextDeadline: MeshInstant {
        var t = min(nextGossipAt, nextAntiEntropyAt, nextSeedSyncAt, nextReapAt, nextReconnectAt)
        if !isLeaving { t = min(t, nextProbeAt) }
        if let probe { t = min(t, probe.indirectSent ? probe.periodEnd : probe.timeoutAt) }
        for relay in relays.values { t = min(t, relay.deadline) }
        if let earliest = suspicionDeadlines.earliest { t = min(t, earliest) }
        return t
    }

    // MARK: Inputs

    /// Runs every timer that is due at `now`.
    public mutating func tick(now: MeshInstant) -> [SWIMDirective] {
        var out: [SWIMDirective] = []
        expireRelays(now: now, into: &out)
        advanceProbe(now: now, into: &out)
        expireSuspicions(now: now, into: &out)
        if now >= nextGossipAt {
            nextGossipAt = now + config.gossipInterval
            gossipRound(into: &out)
        }
        if now >= nextAntiEntropyAt { antiEntropyRound(now: now, into: &out) }
        if now >= nextSeedSyncAt {
            nextSeedSyncAt = now + config.seedSyncInterval
            seedSyncRound(into: &out)
        }
        if now >= nextReconnectAt {
            nextReconnectAt = now + config.reconnectInterval
            reconnectRound(into: &out)
        }
        if now >= nextReapAt {
            nextReapAt = now + config.probeInterval
            reap(now: now, into: &out)
        }
        return out
    }

    /// Handles one message that arrived from the membership address `address`.
    public mutating func receive(_ message: SWIMMessage, from address: String, now: MeshInstant) -> [SWIMDirective] {
        var out: [SWIMDirective] = []
        let isBulk: Bool
        switch message {
        case .pushPull, .syncBuckets, .syncEntries: isBulk = true
        default: isBulk = false
        }
        merge(message.updates, from: address, now: now, fromPushPull: isBulk, into: &out)
        switch message {
        case .ping(let seq, let target, _):
            if target == myself.name {
                out.append(.send(.ack(sequence: seq, gossip: takeGossip(for: nil)), to: address))
            } else {
                out.append(
                    .event(
                        .rejected(
                            MembershipError(.wrongTarget, "ping for \(target) reached \(myself.name)"), from: address)))
            }
        case .ack(let seq, _):
            handleAck(seq, from: address, now: now, into: &out)
        case .pingRequest(let seq, let target, let targetAddress, _):
            sequence += 1
            relays[sequence] = Relay(requester: address, requesterSequence: seq, deadline: now + probeTimeout)
            let ping = SWIMMessage.ping(sequence: sequence, target: target, gossip: takeGossip(for: target))
            out.append(.send(ping, to: targetAddress, peer: target))
        case .nack(let seq):
            if probe?.sequence == seq { probe?.nacks += 1 }
        case .gossip, .syncEntries:
            break
        case .pushPull(_, let isReply):
            if !isReply {
                let state = statements(inBuckets: .max, budget: syncBudget).entries
                out.append(.send(.pushPull(state: state, isReply: true), to: address))
            }
        case .syncOffer(let digest, _):
            answerOffer(digest, from: address, into: &out)
        case .syncBuckets(let mask, _):
            let entries = statements(inBuckets: mask, budget: syncBudget).entries
            if !entries.isEmpty { out.append(.send(.syncEntries(entries), to: address)) }
        }
        return out
    }

    /// Announces a graceful leave: the left statement goes into gossip and straight to a few members.
    /// Afterwards the node stops probing and never refutes; it keeps answering and gossiping.
    public mutating func leave(now: MeshInstant) -> [SWIMDirective] {
        guard !isLeaving else { return [] }
        isLeaving = true
        probe = nil
        let update = MemberUpdate(kind: .left, name: myself.name, incarnation: incarnation)
        broadcasts.enqueue(update)
        var out: [SWIMDirective] = []
        for target in reachable.randomPick(config.gossipFanout * 2, excluding: [], using: &rng) {
            if let address = table[target]?.metadata.rpcAddress {
                out.append(.send(.gossip([update]), to: address, peer: target))
            }
        }
        nextGossipAt = now
        return out
    }

    // MARK: Shared helpers

    /// The direct-probe timeout, stretched by local health and by the observed round-trip time.
    var probeTimeout: MeshDuration {
        let scaled = config.probeTimeout * Int64(localHealth + 1)
        guard let rtt = roundTripEstimate else { return scaled }
        return max(scaled, rtt * Int64(2))
    }

    /// One protocol period: long enough for the direct timeout and an indirect round after it
    /// (an indirect round trip is two direct ones, so allow three).
    var probePeriod: MeshDuration {
        let scaled = config.probeInterval * Int64(localHealth + 1)
        guard let rtt = roundTripEstimate else { return max(scaled, probeTimeout * Int64(2)) }
        return max(scaled, probeTimeout + rtt * Int64(3))
    }

    /// Schedules the suspicion of `name` at its current `nextDeadline` (after it started or its deadline moved).
    mutating func scheduleSuspicion(_ name: String) {
        guard let deadline = suspicions[name]?.nextDeadline, scheduledSuspicions[name] != deadline else { return }
        scheduledSuspicions[name] = deadline
        suspicionDeadlines.push(name, at: deadline)
    }

    mutating func adjustLocalHealth(_ delta: Int) {
        localHealth = min(max(localHealth + delta, 0), config.maxLocalHealth - 1)
    }

    /// Piggybacked updates for a message, plus the target's own suspicion (Lifeguard's buddy system).
    mutating func takeGossip(for target: String?) -> [MemberUpdate] {
        var head: [MemberUpdate] = []
        if let target, let state = table[target], case .suspect(let inc) = state.status {
            let accuser = suspicions[target]?.accusers.sorted().first ?? myself.name
            head.append(MemberUpdate(kind: .suspect, name: target, incarnation: inc, source: accuser))
        }
        let limit = config.retransmitLimit(clusterSize: clusterSize)
        return head + broadcasts.take(budget: config.maxPacketBytes - 64, limit: limit)
    }

    mutating func setStatus(_ name: String, _ status: MemberStatus, now: MeshInstant) {
        guard var state = table[name] else { return }
        if let check = suspicions[name]?.finalCheck { finalChecks[check.sequence] = nil }
        state.status = status
        state.statusChangedAt = now
        table[name] = state
        if status.isReachable {
            reachable.insert(name)
            deadMembers.remove(name)
        } else {
            reachable.remove(name)
            if case .dead = status { deadMembers.insert(name) } else { deadMembers.remove(name) }
            tombstones.append((name, now))
            suspicions[name] = nil
            scheduledSuspicions[name] = nil
        }
        if case .alive = status {
            suspicions[name] = nil
            scheduledSuspicions[name] = nil
        }
    }
}

/// The direct or indirect probe of one member in the current protocol period.
struct ProbeState: Sendable {
    var target: String
    var sequence: UInt64
    var sentAt: MeshInstant
    var timeoutAt: MeshInstant
    var periodEnd: MeshInstant
    var indirectSent = false
    var expectedNacks = 0
    var nacks = 0
}

/// A ping this node sends on behalf of another member's ping request.
struct Relay: Sendable {
    var requester: String
    var requesterSequence: UInt64
    var deadline: MeshInstant
}
