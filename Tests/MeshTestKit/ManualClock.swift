import MeshCore
import Synchronization

/// A clock that only moves when a test tells it to.
public final class ManualClock: MeshClock {
    private let current: Mutex<MeshInstant>

    public init(_ start: MeshInstant = .zero) { current = Mutex(start) }

    public func now() -> MeshInstant { current.withLock { $0 } }

    public func advance(by d: MeshDuration) { current.withLock { $0 = $0 + d } }

    public func set(_ t: MeshInstant) { current.withLock { $0 = t } }
}
