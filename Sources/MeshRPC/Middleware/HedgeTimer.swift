import MeshCore

/// Waits for a hedge delay. Abstracted so tests drive hedging with a manual clock instead of real time.
public protocol HedgeTimer: Sendable {
    /// Returns after `delay`, or throws `CancellationError` as soon as the calling task is cancelled.
    func sleep(for delay: MeshDuration) async throws(CancellationError)
}

/// Real time: `Task.sleep`.
public struct TaskSleepTimer: HedgeTimer {
    public init() {}

    public func sleep(for delay: MeshDuration) async throws(CancellationError) {
        do {
            try await Task.sleep(for: .nanoseconds(delay.nanoseconds))
        } catch {
            throw CancellationError()
        }
    }
}
