import MeshCore
import Synchronization

/// A sleep that ends only when a test moves the `ManualClock` past its wake time with `advance(by:)`, or
/// when the sleeping task is cancelled. Deterministic: nothing wakes on its own.
public final class ManualSleeper: Sendable {
    private struct Sleeper {
        var id: Int
        var wake: MeshInstant
        var continuation: CheckedContinuation<Bool, Never>?
        var cancelled = false
    }

    private let clock: ManualClock
    private let state = Mutex<(nextID: Int, sleepers: [Sleeper])>((0, []))

    public init(clock: ManualClock) { self.clock = clock }

    /// How many sleeps are waiting.
    public var waiting: Int { state.withLock { $0.sleepers.filter { $0.continuation != nil }.count } }

    /// Advances the clock and wakes every sleeper whose wake time has come.
    public func advance(by d: MeshDuration) {
        clock.advance(by: d)
        let now = clock.now()
        let due = state.withLock { s -> [CheckedContinuation<Bool, Never>] in
            let due = s.sleepers.filter { $0.wake <= now }.compactMap(\.continuation)
            s.sleepers.removeAll { $0.wake <= now && $0.continuation != nil }
            return due
        }
        for c in due { c.resume(returning: true) }
    }

    /// Sleeps until the clock reaches now + `delay`; false if the task was cancelled first.
    public func sleep(for delay: MeshDuration) async -> Bool {
        let wake = clock.now() + delay
        let id = state.withLock { s -> Int in
            s.nextID += 1
            s.sleepers.append(Sleeper(id: s.nextID, wake: wake))
            return s.nextID
        }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { (c: CheckedContinuation<Bool, Never>) in
                let now = clock.now()
                let resumeNow = state.withLock { s -> Bool? in
                    guard let i = s.sleepers.firstIndex(where: { $0.id == id }) else { return false }
                    if s.sleepers[i].cancelled || s.sleepers[i].wake <= now {
                        let woke = !s.sleepers[i].cancelled
                        s.sleepers.remove(at: i)
                        return woke
                    }
                    s.sleepers[i].continuation = c
                    return nil
                }
                if let resumeNow { c.resume(returning: resumeNow) }
            }
        } onCancel: {
            let c = state.withLock { s -> CheckedContinuation<Bool, Never>? in
                guard let i = s.sleepers.firstIndex(where: { $0.id == id }) else { return nil }
                guard let c = s.sleepers[i].continuation else {
                    s.sleepers[i].cancelled = true
                    return nil
                }
                s.sleepers.remove(at: i)
                return c
            }
            c?.resume(returning: false)
        }
    }
}
