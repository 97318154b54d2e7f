import MeshCore
import Synchronization

/// A lock-free, process-wide source of random-looking 64-bit ids for trace and span ids: SplitMix64 over
/// an atomic counter seeded once from the system generator. No system call and no lock per id (the
/// system generator costs a `getrandom` call per value). Not for secrets: use `SystemRandomNumberGenerator`.
///
/// One value reserves a block of `blockSize` counter steps with a single atomic add; the rest of the block is
/// served from the value itself, so a new trace (three ids) touches the shared, contended counter once.
struct FastIDSource: RandomNumberGenerator {
    /// Sendable: its only state is an `Atomic`.
    private final class State: Sendable {
        let counter: Atomic<UInt64>
        init() {
            var system = SystemRandomNumberGenerator()
            counter = Atomic(system.next())
        }
    }

    private static let shared = State()
    private static let gamma = SplitMix64.gamma
    private static let blockSize: UInt64 = 4

    /// The next counter value of the reserved block, and how many of the block are left.
    private var position: UInt64 = 0
    private var left: UInt64 = 0

    init() {}

    mutating func next() -> UInt64 {
        if left == 0 {
            position = Self.shared.counter.wrappingAdd(Self.gamma &* Self.blockSize, ordering: .relaxed).newValue
                &- Self.gamma &* (Self.blockSize - 1)
            left = Self.blockSize
        }
        let z = position
        position &+= Self.gamma
        left -= 1
        return SplitMix64.finalize(z)
    }
}
