import MeshCore
import MeshResilience
import Testing

@Suite("Breaker set: scopes and membership verdicts")
struct BreakerSetTests {
    let a = BreakerKey(peer: "inventory-1")
    let aOrders = BreakerKey(peer: "inventory-1", service: "orders")
    let b = BreakerKey(peer: "inventory-2")

    func fail(
        _ set: inout BreakerSet, _ key: BreakerKey, times: Int, at now: MeshInstant
    ) throws -> [BreakerSet.Transition] {
        var transitions: [BreakerSet.Transition] = []
        for _ in 0..<times {
            let permit = try set.tryAcquire(key, now: now).get()
            transitions += set.record(key, permit, outcome: .failure(.serverError), now: now)
        }
        return transitions
    }

    @Test func eachKeyTripsOnItsOwn() throws {
        var set = try BreakerSet(configuration: smallConfiguration())
        let transitions = try fail(&set, aOrders, times: 4, at: at(10))
        #expect(transitions.map(\.key) == [aOrders])
        #expect(transitions.first?.transition.reason == "failure rate 100% >= 50% over 4 calls")
        #expect(set.state(aOrders).description == "open")
        #expect(set.state(a) == .closed)
        #expect(set.state(b) == .closed)
        #expect(set.isAvailable(peer: "inventory-1"))
        _ = try fail(&set, a, times: 4, at: at(20))
        #expect(!set.isAvailable(peer: "inventory-1"))
        #expect(set.isAvailable(peer: "inventory-2"))
    }

    @Test func membershipVerdictsForceAndResetEveryBreakerOfThePeer() throws {
        var set = try BreakerSet(configuration: smallConfiguration())
        let held = try set.tryAcquire(a, now: at(0)).get()
        _ = try fail(&set, aOrders, times: 4, at: at(1))  // opened by failures, not by membership
        let forced = set.markUnavailable(peer: "inventory-1", reason: "suspect", now: at(5))
        #expect(forced.map(\.key) == [a, aOrders])
        #expect(forced.allSatisfy { $0.transition.to == .forcedOpen(reason: "suspect") })
        // A breaker created while the verdict stands starts forced open, and nothing else is affected.
        let other = BreakerKey(peer: "inventory-1", service: "stock")
        #expect(set.state(other) == .forcedOpen(reason: "suspect"))
        guard case .failure(let rejection) = set.tryAcquire(other, now: at(6)) else {
            Issue.record("a suspected peer admitted a call")
            return
        }
        #expect(rejection.code == .forcedOpen)
        let unaffected = set.tryAcquire(b, now: at(6)).map(\.isTrial)
        #expect(unaffected == .success(false))
        #expect(!set.isAvailable(peer: "inventory-1"))
        #expect(set.record(a, held, outcome: .success, now: at(7)) == [])  // stale: forgotten when forced
        let alive = set.markAvailable(peer: "inventory-1", now: at(8))
        #expect(alive.map(\.key) == [a, aOrders, other])
        #expect(alive.allSatisfy { $0.transition.to == .closed })
        #expect(set.isAvailable(peer: "inventory-1"))
        set.remove(peer: "inventory-1")
        #expect(set.keys == [b])
    }

    @Test func tickReportsTransitionsWithTheirKeys() throws {
        var set = try BreakerSet(configuration: smallConfiguration(openWait: .milliseconds(500)))
        _ = try fail(&set, b, times: 4, at: at(0))
        _ = try fail(&set, a, times: 4, at: at(100))
        #expect(set.tick(now: at(499)) == [])
        #expect(set.tick(now: at(500)).map(\.key) == [b])
        #expect(set.tick(now: at(600)).map(\.key) == [a])
        #expect(set.state(a) == .halfOpen && set.state(b) == .halfOpen)
    }
}

@Suite("Calls keyed to a partition owner")
struct OwnerCallTests {
    func openOwner() throws -> CircuitBreaker {
        var breaker = try CircuitBreaker(configuration: smallConfiguration(openWait: .milliseconds(500)))
        for ms: Int64 in 0..<4 { _ = try breaker.call(.failure(.connection), at: at(ms), taking: .zero) }
        #expect(breaker.isOpen)  // open since t=3 ms until t=503 ms
        return breaker
    }

    @Test func aClosedOwnerIsSentTo() throws {
        var breaker = try CircuitBreaker(configuration: smallConfiguration())
        let decision = breaker.acquireForOwner(now: at(0), deadline: at(100), policy: .failFast)
        guard case .send(let permit) = decision else {
            Issue.record("expected send, got \(decision)")
            return
        }
        #expect(!permit.isTrial)
    }

    @Test func failFastFailsAtOnce() throws {
        var breaker = try openOwner()
        guard case .fail(let rejection) = breaker.acquireForOwner(now: at(10), deadline: at(10_000), policy: .failFast)
        else {
            Issue.record("expected fail")
            return
        }
        #expect(rejection.code == .open)
    }

    @Test func queueWaitsOnlyWhileTheBreakerCanReopenBeforeTheDeadline() throws {
        var breaker = try openOwner()
        let waits = breaker.acquireForOwner(now: at(10), deadline: at(600), policy: .queue)
        #expect(waits == .queue(retryAfter: .milliseconds(493)))
        let tooLate = breaker.acquireForOwner(now: at(10), deadline: at(503), policy: .queue)
        guard case .fail(let rejection) = tooLate else {
            Issue.record("expected fail, got \(tooLate)")
            return
        }
        #expect(rejection.retryAfter == .milliseconds(493))
        _ = breaker.forceOpen(reason: "dead", now: at(20))
        #expect(breaker.acquireForOwner(now: at(30), deadline: at(40), policy: .queue) == .queue(retryAfter: nil))
        guard case .fail = breaker.acquireForOwner(now: at(40), deadline: at(40), policy: .queue) else {
            Issue.record("a call at its deadline must fail")
            return
        }
    }
}
