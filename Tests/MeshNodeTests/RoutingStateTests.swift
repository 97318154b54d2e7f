import MeshCore
import MeshNode
import MeshResilience
import MeshTransport
import Testing

/// The pure routing core: P2C among candidates, per-peer breakers, membership verdicts, owner calls.
@Suite("PeerRoutingState")
struct RoutingStateTests {
    static let peers = ["a", "b", "c"]
    /// Opens on 50 % failures among the last 4 calls; 1 s open, doubling to 4 s; 1 trial.
    static let breakers = CircuitBreaker.Configuration(
        window: .count(4), failureRateThreshold: 0.5, slowCallRateThreshold: 1, slowCallDuration: .milliseconds(500),
        minimumCalls: 4, openWait: .seconds(1), openWaitMultiplier: 2, maxOpenWait: .seconds(4), halfOpenPermits: 1)

    func state(breakers: CircuitBreaker.Configuration? = Self.breakers) throws -> PeerRoutingState {
        try PeerRoutingState(configuration: RoutingConfiguration(breakers: breakers, seed: 7))
    }

    /// Chooses once and finishes at once with `outcome(peer)`; returns the chosen peer (nil: no peer).
    @discardableResult
    func callOnce(
        _ s: inout PeerRoutingState, _ rng: inout SeededRandom, at now: MeshInstant, took: MeshDuration = .zero,
        _ outcome: (String) -> CallOutcome = { _ in .success }
    ) -> String? {
        guard case .send(let peer, let permit) = s.choose(among: Self.peers, now: now, using: &rng).0 else {
            return nil
        }
        _ = s.finish(peer: peer, permit: permit, outcome: outcome(peer), startedAt: now, now: now + took)
        return peer
    }

    @Test func equalPeersShareTheCalls() throws {
        var s = try state()
        var rng = SeededRandom(seed: 1)
        var counts: [String: Int] = [:]
        for i in 0..<300 { counts[callOnce(&s, &rng, at: .zero + .milliseconds(Int64(i)))!, default: 0] += 1 }
        #expect(counts.keys.sorted() == Self.peers)
        #expect(counts.values.allSatisfy { $0 >= 70 }, "\(counts)")
    }

    @Test func aSlowPeerLosesEveryPowerOfTwoDraw() throws {
        var s = try state()
        var rng = SeededRandom(seed: 2)
        var now = MeshInstant.zero
        for _ in 0..<30 {  // a answers in 100 ms, the others in 1 ms
            callOnce(&s, &rng, at: now, took: .milliseconds(1))
            now = now + .milliseconds(2)
        }
        for peer in ["a", "b", "c"] {
            guard case .send(_, let permit) = s.choose(among: [peer], now: now, using: &rng).0 else {
                Issue.record("no permit for \(peer)")
                return
            }
            let took: MeshDuration = peer == "a" ? .milliseconds(100) : .milliseconds(1)
            _ = s.finish(peer: peer, permit: permit, outcome: .success, startedAt: now, now: now + took)
        }
        var picks: [String] = []
        for _ in 0..<100 { picks.append(callOnce(&s, &rng, at: now, took: .milliseconds(1))!) }
        #expect(!picks.contains("a"))
        #expect(picks.contains("b") && picks.contains("c"))
    }

    @Test func aFailingPeerIsSkippedWhileItsBreakerIsOpenThenTriedAndClosed() throws {
        var s = try state()
        var rng = SeededRandom(seed: 3)
        var now = MeshInstant.zero
        var opened: [BreakerSet.Transition] = []
        for _ in 0..<40 {
            guard case (.send(let peer, let permit), let t) = s.choose(among: Self.peers, now: now, using: &rng) else {
                Issue.record("no peer")
                return
            }
            opened += t
            opened += s.finish(
                peer: peer, permit: permit, outcome: peer == "b" ? .failure(.timeout) : .success,
                startedAt: now, now: now)
            now = now + .milliseconds(10)
        }
        #expect(opened.map(\.key.peer) == ["b"])
        #expect(opened.first?.transition.reason.contains("failure rate") == true)
        guard case .open = s.state(of: "b") else {
            Issue.record("b is \(s.state(of: "b"))")
            return
        }
        // While open (1 s), b is never chosen.
        for _ in 0..<50 { #expect(callOnce(&s, &rng, at: now) != "b") }
        let status = try #require(s.statuses(now: now).first { $0.peer == "b" })
        #expect(status.state == "open" && status.rejected >= 50 && status.failures == 4)
        // After the wait, b gets its trial; a success closes it.
        now = now + .seconds(1)
        var sawB = false
        for _ in 0..<20 where !sawB { sawB = callOnce(&s, &rng, at: now) == "b" }
        #expect(sawB)
        #expect(s.state(of: "b") == .closed)
    }

    @Test func withEveryBreakerOpenTheCallFailsFastWithTheSoonestRetryAfter() throws {
        var s = try state()
        var rng = SeededRandom(seed: 4)
        for i in 0..<30 { callOnce(&s, &rng, at: .zero + .milliseconds(Int64(i))) { _ in .failure(.unavailable) } }
        let now = MeshInstant.zero + .milliseconds(300)
        guard case .noPeer(let reason, let retryAfter) = s.choose(among: Self.peers, now: now, using: &rng).0 else {
            Issue.record("expected no peer")
            return
        }
        for p in Self.peers { #expect(reason.contains("\(p): open")) }
        let wait = try #require(retryAfter)
        #expect(wait > .milliseconds(600) && wait <= .seconds(1))
        #expect(s.choose(among: [], now: now, using: &rng).0 == .noPeer(reason: "no peer hosts it", retryAfter: nil))
    }

    @Test func aCallersOwnErrorsAndCancellationsDoNotCountAgainstThePeer() throws {
        var s = try state()
        var rng = SeededRandom(seed: 5)
        for i in 0..<40 { callOnce(&s, &rng, at: .zero + .milliseconds(Int64(i))) { _ in .ignored } }
        for p in Self.peers { #expect(s.state(of: p) == .closed) }
        let statuses = s.statuses(now: .zero + .seconds(1))
        #expect(statuses.map(\.calls) == [0, 0, 0])
        #expect(statuses.map(\.outstanding) == [0, 0, 0])
    }

    @Test(arguments: [true, false])
    func membershipVerdictsTakeEffectAtOnceWithBreakersOnOrOff(breakersOn: Bool) throws {
        var s = try state(breakers: breakersOn ? Self.breakers : nil)
        var rng = SeededRandom(seed: 6)
        let t = s.markUnavailable(peer: "c", reason: "suspected by gossip", now: .zero)
        #expect(t.map(\.transition.to) == [.forcedOpen(reason: "suspected by gossip")])
        for _ in 0..<50 { #expect(callOnce(&s, &rng, at: .zero) != "c") }
        let c = try #require(s.statuses(now: .zero).first { $0.peer == "c" })
        #expect(c.state == "forcedOpen" && c.reason == "suspected by gossip")
        _ = s.markAvailable(peer: "c", now: .zero)
        var sawC = false
        for _ in 0..<50 where !sawC { sawC = callOnce(&s, &rng, at: .zero) == "c" }
        #expect(sawC)
        #expect(s.statuses(now: .zero).first { $0.peer == "c" }?.state == (breakersOn ? "closed" : "off"))
    }

    @Test func anOwnerCallFailsFastOrQueuesByPolicyWhileTheOwnersBreakerIsOpen() throws {
        var s = try state()
        let now = MeshInstant.zero
        for _ in 0..<4 {
            guard case .send(let permit) = s.admitOwner("a", now: now, deadline: now + .seconds(5), policy: .failFast).0
            else {
                Issue.record("owner refused while closed")
                return
            }
            _ = s.finish(peer: "a", permit: permit, outcome: .failure(.connection), startedAt: now, now: now)
        }
        guard case .fail(let rejection) = s.admitOwner("a", now: now, deadline: now + .seconds(5), policy: .failFast).0
        else {
            Issue.record("fail fast expected")
            return
        }
        #expect(rejection.code == .open && rejection.retryAfter == .seconds(1))
        #expect(
            s.admitOwner("a", now: now, deadline: now + .seconds(5), policy: .queue).0
                == .queue(retryAfter: .seconds(1)))
        guard case .fail = s.admitOwner("a", now: now, deadline: now + .milliseconds(500), policy: .queue).0 else {
            Issue.record("a wait past the deadline must fail")
            return
        }
        // Other peers are untouched: an owner call never goes elsewhere.
        #expect(s.state(of: "b") == .closed)
    }

    @Test func failoversAreCappedByTheBudget() throws {
        let budget = RetryBudget.Configuration(ratio: 0.5, minRetriesPerSecond: 0)
        var s = try PeerRoutingState(
            configuration: RoutingConfiguration(breakers: nil, failoverBudget: budget, seed: 9))
        var rng = SeededRandom(seed: 9)
        for _ in 0..<2 { callOnce(&s, &rng, at: .zero) }
        let failover = s.choose(among: Self.peers, excluding: ["a"], now: .zero, using: &rng).0
        guard case .send(let peer, nil) = failover else {
            Issue.record("the first failover was refused")
            return
        }
        #expect(peer != "a")
        #expect(
            s.choose(among: Self.peers, excluding: ["a"], now: .zero, using: &rng).0
                == .noPeer(reason: "failover budget spent", retryAfter: nil))
    }

    @Test func routesParseFlagsAndRejectMalformedOrConflictingOnes() throws {
        var routes = ServiceRoutes()
        try routes.add(flag: "echo=n1@127.0.0.1:7001")
        try routes.add(flag: "echo=n2@127.0.0.1:7002")
        try routes.add(flag: "echo=n1@127.0.0.1:7001")
        try routes.add(flag: "orders=n2@127.0.0.1:7002")
        #expect(routes.candidates(for: "echo").map(\.description) == ["n1@127.0.0.1:7001", "n2@127.0.0.1:7002"])
        #expect(routes.services == ["echo", "orders"] && routes.peerNames == ["n1", "n2"])
        #expect(routes.address(of: "n2") == HostPort("127.0.0.1:7002"))
        for bad in ["echo", "echo=n1", "=n1@127.0.0.1:1", "echo=@127.0.0.1:1", "echo=n1@nowhere", "n1@x=echo:1"] {
            #expect(throws: RoutingError.self) { try routes.add(flag: bad) }
            do { try routes.add(flag: bad) } catch { #expect(error.code == .malformedRoute, "\(bad)") }
        }
        do {
            try routes.add(flag: "echo=n1@127.0.0.1:9999")
            Issue.record("conflict accepted")
        } catch {
            #expect(error.code == .conflictingAddress)
        }
    }

    @Test func invalidSettingsAreRefused() {
        for config in [
            RoutingConfiguration(maxAttempts: 0), RoutingConfiguration(latencyDecay: .zero),
            RoutingConfiguration(breakers: CircuitBreaker.Configuration(minimumCalls: 0)),
        ] {
            do {
                _ = try PeerRoutingState(configuration: config)
                Issue.record("accepted")
            } catch {
                #expect(error.code == .invalidConfiguration)
            }
        }
    }
}
