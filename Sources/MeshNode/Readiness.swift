/// One named condition a node must meet before it takes traffic (what `/readyz` reports).
///
/// The node's own checks are `listener`, `membership` and `draining`; a hosted service adds its own with
/// `MeshNodeRuntime.addReadinessCheck` (its log recovered, the services it calls reachable, …). A check must be cheap
/// and must not block: it is evaluated on every `/readyz` request.
public struct ReadinessCheck: Sendable {
    /// The outcome of one evaluation.
    public enum Status: Sendable, Hashable {
        case ready
        /// Not ready, and why (an operator reads it in the `/readyz` body).
        case notReady(String)
    }

    public var name: String
    public var evaluate: @Sendable () async -> Status

    public init(name: String, evaluate: @escaping @Sendable () async -> Status) {
        self.name = name
        self.evaluate = evaluate
    }
}

/// Every readiness check's outcome, in the order they were registered. Ready when all are.
public struct ReadinessReport: Sendable, Hashable {
    public struct Entry: Sendable, Hashable {
        public var name: String
        public var status: ReadinessCheck.Status
        public init(name: String, status: ReadinessCheck.Status) {
            self.name = name
            self.status = status
        }
    }

    public var entries: [Entry]
    public init(entries: [Entry]) { self.entries = entries }

    public var isReady: Bool { entries.allSatisfy { $0.status == .ready } }
    /// The names of the checks that are not ready.
    public var failing: [String] { entries.filter { $0.status != .ready }.map(\.name) }
}
