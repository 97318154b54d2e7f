import Logging
import MeshCore
import MeshResilience
import Metrics
import Synchronization

/// Makes breaker changes visible: logs every transition with its reason (`mesh.peer`; warning when a link
/// opens, info otherwise) and keeps the per-peer metrics current:
/// `mesh_breaker_state{peer}` (0 closed, 1 half-open, 2 open, 3 forced open), `mesh_breaker_failure_rate{peer}`,
/// `mesh_breaker_slow_call_rate{peer}` (fractions of the window) and `mesh_breaker_rejected_total{peer}`.
///
/// Sendable: the instrument cache is in a `Mutex`; metric handlers are Sendable themselves.
final class BreakerReporter: Sendable {
    private struct Instruments {
        let state: Gauge
        let failureRate: Gauge
        let slowCallRate: Gauge
        let rejected: Counter
    }

    private let logger: Logger
    private let factory: any MetricsFactory
    private let cache = Mutex<[String: Instruments]>([:])

    init(logger: Logger, factory: any MetricsFactory) {
        self.logger = logger
        self.factory = factory
    }

    /// The gauge value of a state.
    static func level(_ state: CircuitBreaker.State) -> Double {
        switch state {
        case .closed: 0
        case .halfOpen: 1
        case .open: 2
        case .forcedOpen: 3
        }
    }

    func report(_ transitions: [BreakerSet.Transition]) {
        for t in transitions {
            let metadata: Logger.Metadata = [
                "mesh.peer": "\(t.key.peer)", "from": "\(t.transition.from)", "to": "\(t.transition.to)",
                "reason": "\(t.transition.reason)",
            ]
            switch t.transition.to {
            case .open: logger.warning("peer breaker opened", metadata: metadata)
            // Forced open by membership (suspected, dead, left): the membership line already says why and how loud.
            case .forcedOpen: logger.info("peer breaker opened", metadata: metadata)
            case .halfOpen: logger.info("peer breaker half-open: sending trial calls", metadata: metadata)
            case .closed: logger.info("peer breaker closed", metadata: metadata)
            }
            instruments(t.key.peer).state.record(Self.level(t.transition.to))
        }
    }

    /// Publishes the peer's current rates and state, and `newRejections` more refused calls.
    func update(_ status: PeerBreakerStatus, state: CircuitBreaker.State, newRejections: UInt64) {
        let i = instruments(status.peer)
        i.state.record(Self.level(state))
        i.failureRate.record(status.failureRate)
        i.slowCallRate.record(status.slowCallRate)
        if newRejections > 0 { i.rejected.increment(by: Int64(newRejections)) }
    }

    private func instruments(_ peer: String) -> Instruments {
        cache.withLock { cache in
            if let i = cache[peer] { return i }
            let dims = [("peer", peer)]
            let i = Instruments(
                state: Gauge(label: "mesh_breaker_state", dimensions: dims, factory: factory),
                failureRate: Gauge(label: "mesh_breaker_failure_rate", dimensions: dims, factory: factory),
                slowCallRate: Gauge(label: "mesh_breaker_slow_call_rate", dimensions: dims, factory: factory),
                rejected: Counter(label: "mesh_breaker_rejected_total", dimensions: dims, factory: factory))
            cache[peer] = i
            return i
        }
    }
}
