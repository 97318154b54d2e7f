import MeshCore
import MeshRPC
import MeshResilience
import MeshTestKit
import MeshWire
import Synchronization
import Testing

/// `HedgeTimer` on a test's manual clock.
struct ManualHedgeTimer: HedgeTimer {
    let sleeper: ManualSleeper
    func sleep(for delay: MeshDuration) async throws(CancellationError) {
        guard await sleeper.sleep(for: delay) else { throw CancellationError() }
    }
}

/// A terminal whose attempts each wait until the test answers them (or they are cancelled).
final class HeldAttempts: Sendable {
    struct Attempt: Sendable {
        var call: ClientCall
        var continuation: CheckedContinuation<Result<ResponseHead, RPCError>, Never>?
        /// An answer given before the attempt started waiting.
        var pending: Result<ResponseHead, RPCError>?
        var outcome: String?  // "answered", "cancelled"
    }

    private let attempts = Mutex<[Attempt]>([])

    var count: Int { attempts.withLock { $0.count } }
    var calls: [ClientCall] { attempts.withLock { $0.map(\.call) } }
    func outcome(_ i: Int) -> String? { attempts.withLock { $0[i].outcome } }

    /// Answers attempt `i` with `result`.
    func answer(_ i: Int, _ result: Result<ResponseHead, RPCError>) {
        let c = attempts.withLock { a -> CheckedContinuation<Result<ResponseHead, RPCError>, Never>? in
            guard a[i].outcome == nil else { return nil }
            a[i].outcome = "answered"
            defer { a[i].continuation = nil }
            if a[i].continuation == nil { a[i].pending = result }
            return a[i].continuation
        }
        c?.resume(returning: result)
    }

    var terminal: ClientTerminal {
        { call async throws(RPCError) -> ResponseHead in
            let index = self.attempts.withLock { a -> Int in
                a.append(Attempt(call: call))
                return a.count - 1
            }
            let result = await withTaskCancellationHandler {
                await withCheckedContinuation { (c: CheckedContinuation<Result<ResponseHead, RPCError>, Never>) in
                    let early = self.attempts.withLock { a -> Result<ResponseHead, RPCError>? in
                        if a[index].outcome == "cancelled" { return .failure(RPCError(.cancelled, "cancelled")) }
                        if let pending = a[index].pending { return pending }
                        a[index].continuation = c
                        return nil
                    }
                    if let early { c.resume(returning: early) }
                }
            } onCancel: {
                let c = self.attempts.withLock { a -> CheckedContinuation<Result<ResponseHead, RPCError>, Never>? in
                    guard a[index].outcome == nil else { return nil }
                    a[index].outcome = "cancelled"
                    defer { a[index].continuation = nil }
                    return a[index].continuation
                }
                c?.resume(returning: .failure(RPCError(.cancelled, "cancelled")))
            }
            return try result.get()
        }
    }
}

/// Waits (by yielding, never by time) until `condition` holds; records an issue if it never does.
func until(_ condition: () -> Bool, sourceLocation: SourceLocation = #_sourceLocation) async {
    var spins = 0
    while !condition() && spins < 2_000_000 {
        await Task.yield()
        spins += 1
    }
    if !condition() { Issue.record("the awaited condition never held", sourceLocation: sourceLocation) }
}

/// A hedger on a manual clock, and the attempts it sends, held until a test answers them.
struct HedgingRig {
    let clock = ManualClock()
    let sleeper: ManualSleeper
    let hedger: QueryHedger
    let held = HeldAttempts()

    init(maxAttempts: Int = 2, budget: RetryBudget.Configuration = HedgeBudget.defaultConfiguration) throws {
        sleeper = ManualSleeper(clock: clock)
        hedger = try QueryHedger(
            policy: HedgingPolicy(maxAttempts: maxAttempts, delay: .fixed(.milliseconds(10))), budget: budget,
            clock: clock, timer: ManualHedgeTimer(sleeper: sleeper))
    }

    static func call(_ kind: MethodKind = .query) -> ClientCall {
        ClientCall(
            method: "inventory/Get", kind: kind, peer: "server-1", metadata: [:], payload: [7], timeout: .seconds(5))
    }

    static func ok(_ byte: UInt8) -> Result<ResponseHead, RPCError> {
        .success(ResponseHead(status: .ok, payload: [byte]))
    }

    /// Starts a call through the hedger; returns once its first attempt is out and its hedge timer armed.
    func start(_ kind: MethodKind = .query) async -> Task<ResponseHead, any Error> {
        let before = held.count
        let hedger = self.hedger
        let terminal = held.terminal
        let task = Task { try await ClientPipeline([hedger]).send(Self.call(kind), terminal: terminal) }
        await until { held.count == before + 1 && (kind == .command || sleeper.waiting >= 1) }
        return task
    }

    /// Lets one hedge delay pass and waits until the attempts sent reach `attempts`.
    func hedge(expecting attempts: Int) async {
        sleeper.advance(by: .milliseconds(10))
        await until { held.count == attempts }
    }
}

@Suite("Query hedging")
struct QueryHedgerTests {
    @Test func aHedgeIsSentAfterTheDelayNotBeforeAndTheLoserIsCancelled() async throws {
        let rig = try HedgingRig()
        let call = await rig.start()
        rig.sleeper.advance(by: .milliseconds(9))
        #expect(rig.sleeper.waiting == 1)
        #expect(rig.held.count == 1)

        rig.sleeper.advance(by: .milliseconds(1))
        await until { rig.held.count == 2 }
        #expect(rig.held.calls[0].metadata[MetadataKey.previousAttempts] == nil)
        #expect(rig.held.calls[1].metadata[MetadataKey.previousAttempts] == "1")
        #expect(rig.held.calls[1].payload == [7])

        rig.held.answer(1, HedgingRig.ok(2))
        #expect(try await call.value.payload == [2])
        #expect(rig.held.outcome(0) == "cancelled")
        #expect(rig.held.outcome(1) == "answered")
    }

    @Test func anAnswerBeforeTheDelayMeansNoHedge() async throws {
        let rig = try HedgingRig()
        let call = await rig.start()
        rig.held.answer(0, HedgingRig.ok(1))
        #expect(try await call.value.payload == [1])
        #expect(rig.held.count == 1)
        #expect(rig.sleeper.waiting == 0)  // the hedge timer was cancelled
    }

    @Test func theFirstAttemptCanStillWinAfterAHedge() async throws {
        let rig = try HedgingRig()
        let call = await rig.start()
        await rig.hedge(expecting: 2)
        rig.held.answer(0, HedgingRig.ok(1))
        #expect(try await call.value.payload == [1])
        #expect(rig.held.outcome(1) == "cancelled")
    }

    @Test func aFailedAttemptWaitsForTheOthers() async throws {
        let rig = try HedgingRig()
        let call = await rig.start()
        await rig.hedge(expecting: 2)
        rig.held.answer(0, .failure(RPCError(.unavailable, "first failed")))
        rig.held.answer(1, HedgingRig.ok(2))
        #expect(try await call.value.payload == [2])
    }

    @Test func whenEveryAttemptFailsTheLatestAttemptsFailureIsThrown() async throws {
        let rig = try HedgingRig()
        let call = await rig.start()
        await rig.hedge(expecting: 2)
        rig.held.answer(0, .failure(RPCError(.unavailable, "first")))
        rig.held.answer(1, .failure(RPCError(.resourceExhausted, "second")))
        let error = await #expect(throws: RPCError.self) { try await call.value }
        #expect(error?.code == .resourceExhausted)
        #expect(rig.held.count == 2)
    }

    @Test func aCommandIsNeverHedged() async throws {
        let rig = try HedgingRig()
        let refused = await #expect(throws: RPCError.self) {
            try await rig.hedger.hedge(HedgingRig.call(.command), attempt: rig.held.terminal)
        }
        #expect(refused?.code == .failedPrecondition)
        #expect(rig.held.count == 0)

        // Through a pipeline a command passes as exactly one attempt, with no timer armed.
        let call = await rig.start(.command)
        #expect(rig.sleeper.waiting == 0)
        rig.held.answer(0, HedgingRig.ok(3))
        #expect(try await call.value.payload == [3])
        #expect(rig.held.count == 1)
        #expect(rig.held.calls[0].metadata[MetadataKey.previousAttempts] == nil)
    }

    @Test func theBudgetCapsHedges() async throws {
        // No reserve and 50 % of calls: two calls deposit one token, so exactly one of them is hedged.
        let rig = try HedgingRig(
            budget: RetryBudget.Configuration(ratio: 0.5, minRetriesPerSecond: 0, ttl: .seconds(10)))
        let first = await rig.start()
        let second = await rig.start()
        await until { rig.sleeper.waiting == 2 }
        #expect(rig.hedger.budgetBalance(peer: "server-1") == 1)

        await rig.hedge(expecting: 3)
        #expect(rig.sleeper.waiting == 0)
        for _ in 0..<1_000 { await Task.yield() }
        #expect(rig.held.count == 3)  // the second timer found the budget empty
        #expect(rig.hedger.budgetBalance(peer: "server-1") == 0)
        for i in 0..<3 { rig.held.answer(i, HedgingRig.ok(UInt8(i))) }
        _ = try await first.value
        _ = try await second.value
    }

    @Test func maxAttemptsBoundsHedges() async throws {
        let rig = try HedgingRig(maxAttempts: 3)
        let call = await rig.start()
        await rig.hedge(expecting: 2)
        await until { rig.sleeper.waiting == 1 }
        await rig.hedge(expecting: 3)
        #expect(rig.sleeper.waiting == 0)
        #expect(rig.held.calls.map { $0.metadata[MetadataKey.previousAttempts] } == [nil, "1", "2"])
        rig.held.answer(2, HedgingRig.ok(9))
        #expect(try await call.value.payload == [9])
        #expect(rig.held.outcome(0) == "cancelled" && rig.held.outcome(1) == "cancelled")
    }
}

@Suite("Hedging policy and latency window")
struct HedgingPolicyTests {
    @Test func theWindowKeepsTheLastSamplesAndAnswersNearestRankQuantiles() throws {
        var w = try LatencyWindow(capacity: 4)
        #expect(w.quantile(0.5) == nil)
        for ms in [100, 1, 2, 3, 4] as [Int64] { w.record(.milliseconds(ms)) }  // 100 is pushed out
        #expect(w.count == 4)
        #expect(w.quantile(0.5) == .milliseconds(2))
        #expect(w.quantile(0.75) == .milliseconds(3))
        #expect(w.quantile(1) == .milliseconds(4))
        #expect(w.quantile(0.01) == .milliseconds(1))
    }

    @Test func theRecentQuantileIsSortedAgainOnlyEverySoManySamplesOrForAnotherQuantile() throws {
        var w = try LatencyWindow(capacity: 128)
        #expect(w.recentQuantile(0.95) == nil)
        for ms in 1...100 as ClosedRange<Int64> { w.record(.milliseconds(ms)) }
        #expect(w.recentQuantile(0.95, staleness: 16) == .milliseconds(95))
        for _ in 0..<15 { w.record(.seconds(1)) }
        // 15 samples since the sort: the cached answer, though the window's own p95 is now 1 s.
        #expect(w.quantile(0.95) == .seconds(1))
        #expect(w.recentQuantile(0.95, staleness: 16) == .milliseconds(95))
        #expect(w.recentQuantile(0.5, staleness: 16) == .milliseconds(58))  // another quantile: sorted now
        w.record(.seconds(1))
        #expect(w.recentQuantile(0.5, staleness: 16) == .milliseconds(58))
        for _ in 0..<15 { w.record(.seconds(1)) }
        // 16 samples on: sorted again (1–3 ms have slid out: 4…100 ms and 31 × 1 s, rank 64 of 128)
        #expect(w.recentQuantile(0.5, staleness: 16) == .milliseconds(67))
    }

    @Test func anObservedDelayUsesTheFallbackUntilEnoughSamplesThenTheQuantileAboveTheFloor() throws {
        let policy = HedgingPolicy(
            delay: .observed(quantile: 0.9, floor: .milliseconds(5), fallback: .milliseconds(50)), minimumSamples: 10)
        var w = try LatencyWindow(capacity: 100)
        for _ in 0..<9 { w.record(.milliseconds(20)) }
        #expect(policy.hedgeDelay(observed: w) == .milliseconds(50))
        w.record(.milliseconds(30))
        #expect(policy.hedgeDelay(observed: w) == .milliseconds(20))
        var fast = try LatencyWindow(capacity: 100)
        for _ in 0..<10 { fast.record(.milliseconds(1)) }
        #expect(policy.hedgeDelay(observed: fast) == .milliseconds(5))
    }

    @Test func invalidPoliciesAreRejected() {
        #expect(throws: ResilienceConfigurationError.self) {
            try HedgingPolicy(maxAttempts: 0, delay: .fixed(.zero)).validate()
        }
        #expect(throws: ResilienceConfigurationError.self) {
            try HedgingPolicy(delay: .observed(quantile: 1.5, floor: .zero, fallback: .zero)).validate()
        }
        #expect(throws: ResilienceConfigurationError.self) { try LatencyWindow(capacity: 0) }
    }
}
