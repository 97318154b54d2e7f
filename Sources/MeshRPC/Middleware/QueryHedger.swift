import MeshCore
import MeshResilience
import MeshWire
import Synchronization

/// Client-side hedging of queries: if an attempt has not answered after the policy's delay, another
/// attempt is sent to race it (up to `HedgingPolicy.maxAttempts` in all, each hedge paid for from the
/// peer's `HedgeBudget`). The first success wins and the other attempts are cancelled; if every attempt
/// started fails, the failure of the latest-started attempt is thrown (hedging is not retrying: place `ResilienceMiddleware` after
/// this one for that). Attempt n > 1 carries `mesh-previous-attempts: n-1` (proto-spec/rpc-metadata.md).
///
/// Commands are never hedged: as middleware they pass through as one attempt; `hedge(_:attempt:)` refuses
/// them. The delay comes from the policy, for `.observed` from the latencies of this method's recent
/// successful attempts.
public struct QueryHedger: ClientMiddleware {
    public let policy: HedgingPolicy
    private let shared: Shared
    private let clock: any MeshClock
    private let timer: any HedgeTimer

    public init(
        policy: HedgingPolicy,
        budget: RetryBudget.Configuration = HedgeBudget.defaultConfiguration,
        latencySamples: Int = 128,
        clock: any MeshClock = SystemClock(),
        timer: any HedgeTimer = TaskSleepTimer()
    ) throws(ResilienceConfigurationError) {
        try policy.validate()
        self.policy = policy
        self.shared = Shared(
            budget: try HedgeBudget(configuration: budget), window: try LatencyWindow(capacity: latencySamples))
        self.clock = clock
        self.timer = timer
    }

    nonisolated(nonsending) public func intercept(_ call: ClientCall, next: ClientNext) async throws(RPCError)
        -> ResponseHead
    {
        guard call.kind == .query, policy.maxAttempts > 1 else { return try await next(call) }
        return try await hedge(call) { c async throws(RPCError) -> ResponseHead in try await next(c) }
    }

    /// How many hedges the budget for `peer` would allow now (for tests and admin views).
    public func budgetBalance(peer: String) -> Double {
        let now = clock.now()
        return shared.state.withLock { $0.budgets[peer, default: $0.freshBudget].balance(now: now) }
    }

    /// Runs `call` with hedging, sending each attempt with `attempt`. A command is refused with
    /// `failedPrecondition` before anything is sent.
    nonisolated(nonsending) public func hedge(_ call: ClientCall, attempt send: @escaping ClientTerminal)
        async throws(RPCError) -> ResponseHead
    {
        guard call.kind == .query else {
            throw RPCError(
                .failedPrecondition, "\(call.method) is a command: commands are never hedged (it would run twice)")
        }
        let start = clock.now()
        let deadline = call.timeout.map { start + $0 }
        let delay = shared.begin(peer: call.peer, method: call.method, policy: policy, now: start)
        let policy = self.policy
        let timer = self.timer
        let result = await withTaskGroup(of: Event.self, returning: Result<ResponseHead, RPCError>.self) { group in
            var started = 0
            var running = 0
            var latestFailure: (attempt: Int, error: RPCError)?
            func launch(at now: MeshInstant) {
                var attemptCall = call
                if started > 0 { attemptCall.metadata[MetadataKey.previousAttempts] = String(started) }
                if let deadline { attemptCall.timeout = deadline - now }
                let attempt = started
                group.addTask { [attemptCall] in
                    do throws(RPCError) {
                        return .answered(attempt: attempt, startedAt: now, .success(try await send(attemptCall)))
                    } catch {
                        return .answered(attempt: attempt, startedAt: now, .failure(error))
                    }
                }
                started += 1
                running += 1
                if started < policy.maxAttempts {
                    group.addTask {
                        do throws(CancellationError) {
                            try await timer.sleep(for: delay)
                            return .hedgeDue
                        } catch {
                            return .timerCancelled
                        }
                    }
                }
            }
            launch(at: start)
            while let event = await group.next() {
                switch event {
                case .answered(_, let startedAt, .success(let response)):
                    shared.recordLatency(method: call.method, clock.now() - startedAt)
                    group.cancelAll()
                    return .success(response)
                case .answered(let attempt, _, .failure(let error)):
                    running -= 1
                    if attempt >= latestFailure?.attempt ?? 0 { latestFailure = (attempt, error) }
                    if running == 0 {
                        group.cancelAll()
                        return .failure(latestFailure?.error ?? error)
                    }
                case .hedgeDue:
                    let now = clock.now()
                    guard running > 0, deadline.map({ now < $0 }) ?? true, shared.tryHedge(peer: call.peer, now: now)
                    else {
                        continue
                    }
                    launch(at: now)
                case .timerCancelled:
                    continue
                }
            }
            return .failure(RPCError(.internal, "\(call.method): hedging ended without an answer"))
        }
        return try result.get()
    }

    private enum Event: Sendable {
        case answered(attempt: Int, startedAt: MeshInstant, Result<ResponseHead, RPCError>)
        case hedgeDue
        case timerCancelled
    }

    /// Latency windows per method and hedge budgets per peer. Sendable: state is in a `Mutex`.
    private final class Shared: Sendable {
        struct State {
            var windows: [String: LatencyWindow] = [:]
            var budgets: [String: HedgeBudget] = [:]
            let freshBudget: HedgeBudget
            let freshWindow: LatencyWindow
        }

        let state: Mutex<State>

        init(budget: HedgeBudget, window: LatencyWindow) {
            state = Mutex(State(freshBudget: budget, freshWindow: window))
        }

        /// Deposits the call into the peer's budget and returns the hedge delay for the method.
        func begin(peer: String, method: String, policy: HedgingPolicy, now: MeshInstant) -> MeshDuration {
            state.withLock { s in
                let fresh = s.freshBudget
                s.budgets[peer, default: fresh].recordCall(now: now)
                guard s.windows[method] != nil else { return policy.hedgeDelay(observed: s.freshWindow) }
                return policy.hedgeDelay(observing: &s.windows[method]!)  // re-sorted every few samples only
            }
        }

        func tryHedge(peer: String, now: MeshInstant) -> Bool {
            state.withLock { s in
                let fresh = s.freshBudget
                return s.budgets[peer, default: fresh].tryWithdraw(now: now)
            }
        }

        func recordLatency(method: String, _ latency: MeshDuration) {
            state.withLock { s in
                let fresh = s.freshWindow
                s.windows[method, default: fresh].record(latency)
            }
        }
    }
}
