import MeshCore
import MeshWire
import Testing

@testable import MeshMembership

/// Delivers every send among `nodes` (keyed by address) until none is left; returns the messages sent.
@discardableResult
func exchange(
    _ first: [SWIMDirective], from origin: String, among nodes: inout [String: SWIMInstance], now: MeshInstant,
    accept: (SWIMMessage) -> Bool = { _ in true }
) -> [SWIMMessage] {
    var pending = first.sends.map { (message: $0.message, from: origin, to: $0.to) }
    var delivered: [SWIMMessage] = []
    while !pending.isEmpty {
        let (message, from, to) = pending.removeFirst()
        guard accept(message), var node = nodes[to] else { continue }
        delivered.append(message)
        let out = node.receive(message, from: from, now: now)
        nodes[to] = node
        pending += out.sends.map { (message: $0.message, from: to, to: $0.to) }
    }
    return delivered
}

@Suite("SWIM instance: digest anti-entropy")
struct AntiEntropyTests {
    @Test("the digest ignores order and suspicion, and changes with incarnation and death")
    func digestProperties() throws {
        var a = try makeInstance("a")
        a.learn(["b", "c", "d"])
        var a2 = try makeInstance("a")
        a2.learn(["d", "c"])
        a2.learn(["b"])
        #expect(a.digest == a2.digest)
        let before = a.digest
        _ = a.receive(
            .gossip([MemberUpdate(kind: .suspect, name: "c", incarnation: 0, source: "b")]),
            from: "b:7946", now: ms(1))
        #expect(a.digest == before)
        _ = a.receive(
            .gossip([MemberUpdate(kind: .dead, name: "c", incarnation: 0, source: "b")]),
            from: "b:7946", now: ms(2))
        let afterDeath = a.digest
        #expect(afterDeath.differingBuckets(from: before) == [StateDigest.bucket(of: "c")])
        _ = a2.receive(.gossip([.alive(meta("c"), incarnation: 1)]), from: "c:7946", now: ms(3))
        #expect(a2.digest.differingBuckets(from: before) == [StateDigest.bucket(of: "c")])
        #expect(a2.digest.root != before.root)
    }

    @Test("views that agree cost one root offer and no answer")
    func agreeingViews() throws {
        var nodes = ["a:7946": try makeInstance("a"), "b:7946": try makeInstance("b")]
        nodes["a:7946"]?.learn(["b"])
        nodes["b:7946"]?.learn(["a"])
        var a = try #require(nodes["a:7946"])
        let out = a.tick(now: ms(10_000))
        nodes["a:7946"] = a
        let offers = out.sends.filter { if case .syncOffer = $0.message { true } else { false } }
        let offer = try #require(offers.first)
        guard case .syncOffer(let digest, _) = offer.message else { return }
        #expect(digest == [a.digest.root])
        let delivered = exchange([.send(offer.message, to: offer.to)], from: "a:7946", among: &nodes, now: ms(10_001))
        #expect(delivered.count == 1)
    }

    @Test("views that differ converge through offer, buckets and entries, every message within maxPacketBytes")
    func differingViewsConverge() throws {
        var config = SWIMConfiguration()
        config.maxPacketBytes = 5_120
        var a = try makeInstance("a", config: config)
        var b = try makeInstance("b", config: config)
        a.learn(["b"] + (0..<200).map { "left-\($0)" })
        b.learn(["a"] + (0..<200).map { "right-\($0)" })
        var nodes = ["a:7946": a, "b:7946": b]
        var rounds = 0
        var largest = 0
        while nodes["a:7946"]?.digest != nodes["b:7946"]?.digest, rounds < 40 {
            rounds += 1
            let offer = SWIMDirective.send(.syncOffer(digest: [nodes["a:7946"]!.digest.root], gossip: []), to: "b:7946")
            let sent = exchange([offer], from: "a:7946", among: &nodes, now: ms(Int64(rounds) * 10_000))
            largest = max(largest, sent.map { $0.encoded().count }.max() ?? 0)
        }
        a = try #require(nodes["a:7946"])
        b = try #require(nodes["b:7946"])
        #expect(a.digest == b.digest)
        #expect(largest <= config.maxPacketBytes)
        #expect(rounds > 1, "5 KiB cannot carry 400 members in one round")
        #expect(a.member(named: "right-199")?.status == .alive(incarnation: 0))
        #expect(b.member(named: "left-0")?.status == .alive(incarnation: 0))
    }

    @Test("a death a member missed reaches it by anti-entropy as a suspicion, which it may still refute")
    func deathReachesByAntiEntropy() throws {
        var nodes = ["a:7946": try makeInstance("a"), "b:7946": try makeInstance("b")]
        nodes["a:7946"]?.learn(["b", "x"])
        nodes["b:7946"]?.learn(["a", "x"])
        _ = nodes["b:7946"]?.receive(
            .gossip([MemberUpdate(kind: .dead, name: "x", incarnation: 0, source: "b")]),
            from: "c:7946", now: ms(1))
        let offer = SWIMDirective.send(.syncOffer(digest: [nodes["a:7946"]!.digest.root], gossip: []), to: "b:7946")
        let sent = exchange([offer], from: "a:7946", among: &nodes, now: ms(2))
        #expect(sent.count == 4)  // root offer, full offer, buckets, entries
        #expect(nodes["a:7946"]?.member(named: "x")?.status == .suspect(incarnation: 0))
    }

    @Test("halves that forgot each other re-merge through a seed offer")
    func seedOfferRemerges() throws {
        var config = SWIMConfiguration()
        config.seedSyncInterval = .milliseconds(5_000)
        var a = try makeInstance("a", config: config, seeds: ["b:7946"])
        a.learn(["a1", "a2"])
        var b = try makeInstance("b", config: config)
        b.learn(["b1", "b2"])
        var nodes = ["a:7946": a, "b:7946": b]
        var out: [SWIMDirective] = []
        var now = ms(0)
        while !out.sends.contains(where: { $0.to == "b:7946" }) {
            now = now + .milliseconds(100)
            out = nodes["a:7946"]!.tick(now: now)
        }
        #expect(now == ms(5_000))
        let toSeed = out.filter { if case .send(_, "b:7946", nil) = $0 { true } else { false } }
        exchange(toSeed, from: "a:7946", among: &nodes, now: now)
        a = try #require(nodes["a:7946"])
        b = try #require(nodes["b:7946"])
        #expect(Set(a.members.map(\.name)) == ["a1", "a2", "b", "b1", "b2"])
        #expect(Set(b.members.map(\.name)) == ["a", "a1", "a2", "b1", "b2"])
        #expect(a.digest == b.digest)
    }

    @Test("a sync offer with a digest of another size is refused")
    func badDigestSize() {
        var writer = PayloadWriter()
        writer.message(7) { body in body.bytes(7, [UInt8](repeating: 0, count: 16)) }
        #expect(throws: WireError.self) { try SWIMMessage(decoding: writer.bytes) }
    }
}

@Suite("Broadcast queue")
struct BroadcastQueueTests {
    static func update(_ name: String, _ incarnation: UInt64 = 0) -> MemberUpdate {
        MemberUpdate(kind: .left, name: name, incarnation: incarnation)
    }

    @Test("least-sent first, oldest first among equals, dropped after the limit, newer replaces older")
    func ordering() {
        var queue = BroadcastQueue()
        queue.enqueue(Self.update("a"))
        queue.enqueue(Self.update("b"))
        let size = Self.update("a").encoded().count + 4
        #expect(queue.take(budget: size, limit: 2).map(\.name) == ["a"])
        queue.enqueue(Self.update("c"))
        #expect(queue.take(budget: size * 2, limit: 2).map(\.name) == ["b", "c"])
        queue.enqueue(Self.update("a", 5))  // replaces a (sent once) with a fresh statement
        #expect(queue.take(budget: size * 10, limit: 2) == [Self.update("a", 5), Self.update("b"), Self.update("c")])
        #expect(queue.take(budget: size * 10, limit: 2) == [Self.update("a", 5)])
        #expect(queue.isEmpty)
    }
}
