import MeshCore
import MeshWire
import Testing

@testable import MeshMembership

@Suite("SWIM instance: probing and suspicion")
struct SWIMProbeTests {
    @Test("a probe answered by an ack leaves the member alive and sends no ping request")
    func probeAck() throws {
        var a = try makeInstance("a")
        a.learn(["b"])
        let out = a.tick(now: ms(1_000))
        let ping = try #require(out.pings.first)
        #expect(ping.target == "b" && ping.to == "b:7946")
        // The directive names the member expected at the address, for the transport's certificate check.
        #expect(out.contains { if case .send(.ping, "b:7946", "b") = $0 { true } else { false } })
        let reply = a.receive(.ack(sequence: ping.sequence, gossip: []), from: "b:7946", now: ms(1_004))
        #expect(reply.sends.isEmpty && reply.events.isEmpty)
        #expect(a.tick(now: ms(1_600)).pingRequests.isEmpty)
        #expect(a.member(named: "b")?.status == .alive(incarnation: 0))
        #expect(a.roundTripEstimate == .milliseconds(4))
    }

    @Test("a direct timeout asks k other members, then the member is suspected and told so")
    func indirectThenSuspect() throws {
        var a = try makeInstance("a")
        a.learn(["b", "c", "d", "e"])
        let ping = try #require(a.tick(now: ms(1_000)).pings.first)
        #expect(a.tick(now: ms(1_499)).pingRequests.isEmpty)
        let requests = a.tick(now: ms(1_500)).pingRequests
        #expect(requests.count == 3)
        #expect(requests.allSatisfy { $0.target == ping.target && $0.sequence == ping.sequence })
        #expect(Set(requests.map(\.to)).count == 3 && !requests.map(\.to).contains(ping.to))

        let end = a.tick(now: ms(2_000))
        #expect(end.events.contains(.suspected(name: ping.target, incarnation: 0, by: "a")))
        let notice = MemberUpdate(kind: .suspect, name: ping.target, incarnation: 0, source: "a")
        #expect(end.sends.contains { $0.message == .gossip([notice]) && $0.to == ping.to })
        #expect(a.member(named: ping.target)?.status == .suspect(incarnation: 0))
        #expect(a.localHealth == 3)  // three nacks expected, none came
    }

    @Test("nacks from every helper mean the target, not this node, is the problem")
    func nacksKeepLocalHealth() throws {
        var a = try makeInstance("a")
        a.learn(["b", "c", "d", "e"])
        let ping = try #require(a.tick(now: ms(1_000)).pings.first)
        let requests = a.tick(now: ms(1_500)).pingRequests
        for request in requests {
            _ = a.receive(.nack(sequence: ping.sequence), from: request.to, now: ms(1_800))
        }
        let end = a.tick(now: ms(2_000))
        #expect(end.events.contains(.suspected(name: ping.target, incarnation: 0, by: "a")))
        #expect(a.localHealth == 0)
    }

    @Test("local health stretches the probe timeout and the protocol period")
    func localHealthStretches() throws {
        var a = try makeInstance("a")
        a.learn(["b", "c", "d", "e"])
        _ = a.tick(now: ms(1_000))
        _ = a.tick(now: ms(1_500))
        let end = a.tick(now: ms(2_000))  // fails (score 3) and starts the next probe at once
        #expect(a.localHealth == 3)
        let next = try #require(end.pings.first)
        #expect(a.tick(now: ms(2_500)).pingRequests.isEmpty)
        #expect(a.tick(now: ms(3_999)).pingRequests.isEmpty)
        #expect(a.tick(now: ms(4_000)).pingRequests.count == 3)  // 500 ms · (3 + 1)
        _ = a.receive(.ack(sequence: next.sequence, gossip: []), from: "c:7946", now: ms(4_100))
        #expect(a.localHealth == 3)  // an indirect success neither helps nor hurts
        #expect(a.tick(now: ms(5_999)).pings.isEmpty)  // period is 1 s · 4
        #expect(a.tick(now: ms(6_000)).pings.count == 1)
    }

    @Test("a suspect that refutes with a higher incarnation is alive again")
    func refutation() throws {
        var a = try makeInstance("a")
        a.learn(["b"])
        _ = a.receive(
            .gossip([MemberUpdate(kind: .suspect, name: "b", incarnation: 0, source: "c")]),
            from: "c:7946", now: ms(100))
        #expect(a.member(named: "b")?.status == .suspect(incarnation: 0))
        let out = a.receive(.gossip([.alive(meta("b"), incarnation: 1)]), from: "b:7946", now: ms(300))
        #expect(out.events == [.refuted(name: "b", incarnation: 1)])
        #expect(a.member(named: "b")?.status == .alive(incarnation: 1))
        // An older suspicion can no longer touch it.
        let stale = a.receive(
            .gossip([MemberUpdate(kind: .suspect, name: "b", incarnation: 0, source: "d")]),
            from: "d:7946", now: ms(400))
        #expect(stale.events.isEmpty)
    }

    @Test("an unrefuted suspicion becomes death at its deadline, and the death is gossiped")
    func suspicionToDeath() throws {
        var a = try makeInstance("a")
        a.learn(["b", "c", "d", "e"])
        _ = a.receive(
            .gossip([MemberUpdate(kind: .suspect, name: "b", incarnation: 0, source: "c")]),
            from: "c:7946", now: ms(2_000))
        // N = 5, K = 3, min 2 s, max 6 s, no confirmations yet.
        #expect(a.tick(now: ms(7_999)).events.allSatisfy { if case .died = $0 { false } else { true } })
        // At the deadline: one last direct check that carries the accusation.
        let check = a.tick(now: ms(8_000))
        #expect(check.events.isEmpty)
        let ping = try #require(check.pings.first { $0.target == "b" })
        #expect(ping.to == "b:7946")
        let out = a.tick(now: ms(8_500))
        #expect(out.events.contains(.died(name: "b", incarnation: 0, declaredBy: "a")))
        #expect(a.member(named: "b")?.status == .dead(incarnation: 0))
        let gossip = a.tick(now: ms(8_700)).sends.flatMap(\.message.updates)
        #expect(gossip.contains(MemberUpdate(kind: .dead, name: "b", incarnation: 0, source: "a")))
    }

    @Test("independent confirmations shorten the suspicion to its minimum")
    func confirmationsShorten() throws {
        var a = try makeInstance("a")
        a.learn(["b", "c", "d", "e"])
        for (i, accuser) in ["c", "d", "e", "f"].enumerated() {
            let update = MemberUpdate(kind: .suspect, name: "b", incarnation: 0, source: accuser)
            _ = a.receive(.gossip([update]), from: "\(accuser):7946", now: ms(2_000 + Int64(i) * 100))
        }
        #expect(a.tick(now: ms(3_999)).events.isEmpty)
        #expect(a.tick(now: ms(4_000)).pings.contains { $0.target == "b" })  // final check
        #expect(a.tick(now: ms(4_500)).events.contains(.died(name: "b", incarnation: 0, declaredBy: "a")))
    }

    @Test("an answered final check restarts the suspicion instead of declaring death")
    func finalCheckAnswered() throws {
        var a = try makeInstance("a")
        a.learn(["b", "c", "d", "e"])
        for (i, accuser) in ["c", "d", "e", "f"].enumerated() {
            let update = MemberUpdate(kind: .suspect, name: "b", incarnation: 0, source: accuser)
            _ = a.receive(.gossip([update]), from: "\(accuser):7946", now: ms(2_000 + Int64(i) * 100))
        }
        let check = try #require(a.tick(now: ms(4_000)).pings.last { $0.target == "b" })
        _ = a.receive(.ack(sequence: check.sequence, gossip: []), from: "b:7946", now: ms(4_010))
        #expect(a.tick(now: ms(4_500)).events.isEmpty)
        #expect(a.member(named: "b")?.status == .suspect(incarnation: 0))
        #expect(a.tick(now: ms(6_010)).pings.contains { $0.target == "b" })  // waited a full minimum again
    }

    @Test("a stale accusation is answered with the current incarnation")
    func staleAccusationAnswered() throws {
        var a = try makeInstance("a")
        a.learn(["b"])
        _ = a.receive(
            .gossip([MemberUpdate(kind: .suspect, name: "a", incarnation: 0, source: "b")]),
            from: "b:7946", now: ms(100))
        let out = a.receive(
            .gossip([MemberUpdate(kind: .suspect, name: "a", incarnation: 0, source: "c")]),
            from: "c:7946", now: ms(200))
        #expect(out.events.isEmpty)
        #expect(out.sends.map(\.to) == ["c:7946"])
        #expect(out.sends.first?.message == .gossip([.alive(meta("a"), incarnation: 1)]))
        #expect(a.incarnation == 1)
    }

    @Test("a stale accusation about a third party is answered with the newer statement, not applied")
    func staleThirdPartyAccusationCorrected() throws {
        var a = try makeInstance("a")
        a.learn(["b"])
        _ = a.receive(.gossip([.alive(meta("b"), incarnation: 2)]), from: "b:7946", now: ms(100))
        let out = a.receive(
            .gossip([MemberUpdate(kind: .suspect, name: "b", incarnation: 1, source: "c")]),
            from: "c:7946", now: ms(200))
        #expect(out.events.isEmpty)
        #expect(out.sends.map(\.to) == ["c:7946"])
        #expect(out.sends.first?.message == .gossip([.alive(meta("b"), incarnation: 2)]))
        #expect(a.member(named: "b")?.status == .alive(incarnation: 2))
        // In bulk state (anti-entropy) the exchange itself converges: no extra answer.
        let bulk = a.receive(
            .syncEntries([MemberUpdate(kind: .dead, name: "b", incarnation: 1, source: "c")]),
            from: "c:7946", now: ms(300))
        #expect(bulk.sends.isEmpty && bulk.events.isEmpty)
    }

    @Test("a ping to a suspect carries the suspicion (buddy system)")
    func buddy() throws {
        var a = try makeInstance("a")
        a.learn(["b"])
        _ = a.receive(
            .gossip([MemberUpdate(kind: .suspect, name: "b", incarnation: 0, source: "c")]),
            from: "c:7946", now: ms(100))
        let ping = try #require(
            a.tick(now: ms(1_000)).sends.first { if case .ping = $0.message { true } else { false } })
        #expect(ping.message.updates.first == MemberUpdate(kind: .suspect, name: "b", incarnation: 0, source: "c"))
    }

    @Test("an accused node refutes with a higher incarnation, tells its accuser, and loses local health")
    func selfRefute() throws {
        var a = try makeInstance("a")
        a.learn(["b"])
        let out = a.receive(
            .gossip([MemberUpdate(kind: .suspect, name: "a", incarnation: 0, source: "b")]),
            from: "b:7946", now: ms(100))
        #expect(a.incarnation == 1)
        #expect(a.localHealth == 1)
        #expect(out.events == [.selfRefuted(incarnation: 1, accusation: .suspect)])
        #expect(out.sends.contains { $0.to == "b:7946" && $0.message == .gossip([.alive(meta("a"), incarnation: 1)]) })
        let dead = a.receive(
            .gossip([MemberUpdate(kind: .dead, name: "a", incarnation: 1, source: "b")]),
            from: "b:7946", now: ms(200))
        #expect(dead.events == [.selfRefuted(incarnation: 2, accusation: .dead)])
    }

    @Test("a member relays a ping request and answers with an ack or a nack")
    func relay() throws {
        var a = try makeInstance("a")
        a.learn(["b", "c"])
        let out = a.receive(
            .pingRequest(sequence: 7, target: "c", targetAddress: "c:7946", gossip: []),
            from: "b:7946", now: ms(100))
        let ping = try #require(out.pings.first)
        #expect(ping.to == "c:7946" && ping.target == "c")
        let ack = a.receive(.ack(sequence: ping.sequence, gossip: []), from: "c:7946", now: ms(150))
        #expect(ack.sends.map(\.message) == [.ack(sequence: 7, gossip: [])])
        #expect(ack.sends.map(\.to) == ["b:7946"])

        _ = a.receive(
            .pingRequest(sequence: 8, target: "c", targetAddress: "c:7946", gossip: []),
            from: "b:7946", now: ms(1_000))
        #expect(a.tick(now: ms(1_499)).sends.allSatisfy { $0.message != .nack(sequence: 8) })
        #expect(a.tick(now: ms(1_500)).sends.contains { $0.message == .nack(sequence: 8) && $0.to == "b:7946" })
    }

    @Test("a ping for another name is refused, not answered")
    func wrongTarget() throws {
        var a = try makeInstance("a")
        let out = a.receive(.ping(sequence: 1, target: "z", gossip: []), from: "x:1", now: ms(1))
        #expect(out.sends.isEmpty)
        guard case .rejected(let error, let from)? = out.events.first else {
            Issue.record("expected a rejection, got \(out.events)")
            return
        }
        #expect(error.code == .wrongTarget && from == "x:1")
    }
}

@Suite("SWIM instance: membership and discovery")
struct SWIMMembershipTests {
    @Test("a node joins through its seeds with a digest offer and learns the seed's state")
    func joinThroughSeed() throws {
        var s = try makeInstance("s", services: ["orders"])
        s.learn(["b"])
        var a = try makeInstance("a", seeds: ["s:7946", "a:7946"])
        let hello = a.tick(now: .zero).sends
        #expect(hello.map(\.to) == ["s:7946"])  // its own address is not a seed
        let request = try #require(hello.first?.message)
        #expect(request == .syncOffer(digest: a.digest.buckets, gossip: [.alive(meta("a"), incarnation: 0)]))
        let answer = s.receive(request, from: "a:7946", now: ms(1))
        #expect(answer.events == [.joined(meta("a"))])
        let reply = try #require(answer.sends.first)
        #expect(reply.to == "a:7946")
        guard case .syncBuckets = reply.message else {
            Issue.record("expected the seed's buckets, got \(reply.message)")
            return
        }
        let learned = a.receive(reply.message, from: "s:7946", now: ms(2))
        #expect(Set(learned.events) == [.joined(meta("s", services: ["orders"])), .joined(meta("b"))])
        #expect(a.clusterSize == 3)
        #expect(a.members(hosting: "orders").map(\.name) == ["s"])
        #expect(a.digest == s.digest)
    }

    @Test("discovery answers alive members hosting a service, this node included")
    func discovery() throws {
        var a = try makeInstance("a", services: ["orders"])
        _ = a.receive(
            .gossip([
                .alive(meta("b", services: ["orders", "billing"]), incarnation: 0),
                .alive(meta("c", services: ["billing"]), incarnation: 0),
            ]),
            from: "b:7946", now: .zero)
        #expect(a.members(hosting: "orders").map(\.name) == ["a", "b"])
        #expect(a.members(hosting: "billing").map(\.name) == ["b", "c"])
        _ = a.receive(
            .gossip([MemberUpdate(kind: .suspect, name: "b", incarnation: 0, source: "c")]),
            from: "c:7946", now: ms(1))
        #expect(a.members(hosting: "orders").map(\.name) == ["a"])
    }

    @Test("metadata larger than the bound is refused at init and from the wire")
    func metadataBound() throws {
        let big = MemberMetadata(name: "big", rpcAddress: "big:1", tags: ["blob": String(repeating: "x", count: 5_000)])
        #expect(throws: MembershipError.self) {
            _ = try SWIMInstance(
                config: SWIMConfiguration(), myself: big, seeds: [], now: .zero,
                rng: SeededRandom(seed: 1))
        }
        do {
            _ = try SWIMInstance(
                config: SWIMConfiguration(), myself: big, seeds: [], now: .zero, rng: SeededRandom(seed: 1))
        } catch {
            #expect(error.code == .metadataTooLarge)
        }
        var a = try makeInstance("a")
        let out = a.receive(.gossip([.alive(big, incarnation: 0)]), from: "big:1", now: .zero)
        guard case .rejected(let error, _)? = out.events.first else {
            Issue.record("expected a rejection, got \(out.events)")
            return
        }
        #expect(error.code == .metadataTooLarge)
        #expect(a.member(named: "big") == nil)

        var roomy = SWIMConfiguration()
        roomy.maxMetadataBytes = 8_192
        var b = try makeInstance("b", config: roomy)
        #expect(b.receive(.gossip([.alive(big, incarnation: 0)]), from: "big:1", now: .zero).events == [.joined(big)])
        roomy.maxMetadataBytes = 100_000
        #expect(throws: MembershipError.self) { try roomy.validate() }
        let badKey = MemberMetadata(name: "k", rpcAddress: "k:1", publicKey: [1, 2, 3])
        #expect(throws: MembershipError.self) { try badKey.validate(maxBytes: 4_096) }
    }

    @Test("a restart with a higher incarnation replaces the old address")
    func rejoinReplacesAddress() throws {
        var a = try makeInstance("a")
        a.learn(["b"])
        let moved = meta("b", host: "10.0.0.9:7946")
        let out = a.receive(.gossip([.alive(moved, incarnation: 1)]), from: "10.0.0.9:7946", now: ms(10))
        #expect(out.events == [.updated(moved)])
        #expect(a.member(named: "b")?.metadata.rpcAddress == "10.0.0.9:7946")
        // Same incarnation, other address: the first claim stands.
        let replay = a.receive(.gossip([.alive(meta("b"), incarnation: 1)]), from: "b:7946", now: ms(20))
        #expect(replay.events.isEmpty && a.member(named: "b")?.metadata.rpcAddress == "10.0.0.9:7946")
    }

    @Test("a restarted node moves past the incarnation the cluster remembers for it")
    func restartedNodeOutranksOldEntry() throws {
        var b = try SWIMInstance(
            config: SWIMConfiguration(), myself: meta("b", host: "10.0.0.9:7946"), seeds: ["s:7946"],
            now: .zero, rng: SeededRandom(seed: 3))
        let old = MemberUpdate.alive(meta("b"), incarnation: 4)
        let out = b.receive(
            .pushPull(state: [.alive(meta("s"), incarnation: 0), old], isReply: true),
            from: "s:7946", now: ms(5))
        #expect(b.incarnation == 5)
        #expect(out.events.contains(.selfRefuted(incarnation: 5, accusation: .alive)))
        let gossip = b.tick(now: ms(200)).sends.flatMap(\.message.updates)
        #expect(gossip.contains(.alive(meta("b", host: "10.0.0.9:7946"), incarnation: 5)))
    }

    @Test("a different key for a live member's name is refused")
    func keyConflict() throws {
        let k1 = [UInt8](repeating: 1, count: 32)
        let k2 = [UInt8](repeating: 2, count: 32)
        var a = try makeInstance("a")
        _ = a.receive(.gossip([.alive(meta("b", key: k1), incarnation: 0)]), from: "b:7946", now: .zero)
        let out = a.receive(
            .gossip([.alive(meta("b", key: k2, host: "evil:1"), incarnation: 9)]),
            from: "evil:1", now: ms(1))
        guard case .rejected(let error, let from)? = out.events.first else {
            Issue.record("expected a rejection, got \(out.events)")
            return
        }
        #expect(error.code == .identityConflict && from == "evil:1")
        #expect(a.member(named: "b")?.metadata.publicKey == k1)
        #expect(a.member(named: "b")?.status == .alive(incarnation: 0))
    }

    @Test("a graceful leave is sent directly and gossiped; peers mark the member left")
    func leave() throws {
        var b = try makeInstance("b", services: ["orders"])
        b.learn(["a", "c"])
        let out = b.leave(now: ms(10))
        let left = MemberUpdate(kind: .left, name: "b", incarnation: 0)
        #expect(Set(out.sends.map(\.to)) == ["a:7946", "c:7946"])
        #expect(out.sends.allSatisfy { $0.message == .gossip([left]) })
        #expect(b.members(hosting: "orders").isEmpty)
        #expect(b.tick(now: ms(5_000)).pings.isEmpty)

        var a = try makeInstance("a")
        _ = a.receive(.gossip([.alive(meta("b", services: ["orders"]), incarnation: 0)]), from: "b:7946", now: .zero)
        #expect(a.receive(.gossip([left]), from: "b:7946", now: ms(20)).events == [.left(name: "b")])
        #expect(a.members(hosting: "orders").isEmpty)
        #expect(a.member(named: "b")?.status == .left(incarnation: 0))
    }

    @Test("dead members are reaped after the retention time")
    func reaping() throws {
        var config = SWIMConfiguration()
        config.deadRetention = .milliseconds(10_000)
        var a = try makeInstance("a", config: config)
        a.learn(["b", "c"])
        _ = a.receive(
            .gossip([MemberUpdate(kind: .dead, name: "b", incarnation: 0, source: "c")]),
            from: "c:7946", now: ms(500))
        #expect(a.member(named: "b")?.status == .dead(incarnation: 0))
        #expect(!a.tick(now: ms(10_000)).events.contains(.reaped(name: "b")))
        #expect(a.tick(now: ms(11_000)).events.contains(.reaped(name: "b")))
        #expect(a.member(named: "b") == nil)
    }

    @Test("a death learned by push-pull is only a suspicion, so the member may refute")
    func pushPullDeathIsSuspicion() throws {
        var a = try makeInstance("a")
        a.learn(["b"])
        let out = a.receive(
            .pushPull(
                state: [MemberUpdate(kind: .dead, name: "b", incarnation: 0, source: "x")],
                isReply: true), from: "x:7946", now: ms(1))
        #expect(out.events == [.suspected(name: "b", incarnation: 0, by: "x")])
        #expect(a.member(named: "b")?.status == .suspect(incarnation: 0))
    }

    @Test("a dead member is pinged now and then; if it answers, digests are compared (partition healing)")
    func reconnectToTheDead() throws {
        var a = try makeInstance("a")
        a.learn(["b", "c"])
        _ = a.receive(
            .gossip([MemberUpdate(kind: .dead, name: "b", incarnation: 0, source: "c")]),
            from: "c:7946", now: ms(1))
        let ping = try #require(a.tick(now: ms(2_000)).pings.first { $0.target == "b" })
        #expect(ping.to == "b:7946")
        let answer = a.receive(.ack(sequence: ping.sequence, gossip: []), from: "b:7946", now: ms(2_010))
        let exchange = try #require(answer.sends.first)
        #expect(exchange.to == "b:7946")
        #expect(exchange.message == .syncOffer(digest: a.digest.buckets, gossip: []))
        #expect(answer.contains(.send(exchange.message, to: "b:7946", peer: "b")))
    }
}
