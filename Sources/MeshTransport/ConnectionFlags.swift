import Synchronization

/// State of a connection that callers on any thread may read: whether new calls may use it.
/// Sendable: a single atomic.
final class ConnectionFlags: Sendable {
    private let goingAway = Atomic<Bool>(false)

    var acceptsNewCalls: Bool { !goingAway.load(ordering: .relaxed) }

    func markGoingAway() { goingAway.store(true, ordering: .relaxed) }
}
