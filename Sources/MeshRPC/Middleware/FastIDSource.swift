import Synchronization

/// A lock-free, process-wide source of random-looking 64-bit ids for trace and span ids: SplitMix64 over
/// an atomic counter seeded once from the system generator. No system call and no lock per id (the
/// system generator costs a `getrandom` call per value). Not for secrets: use `SystemRandomNumberGenerator`.
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

    init() {}

    mutating func next() -> UInt64 {
        var z = Self.shared.counter.wrappingAdd(0x9E37_79B9_7F4A_7C15, ordering: .relaxed).newValue
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
