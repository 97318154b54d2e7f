import MeshCore

/// A source of random-looking 64-bit ids for trace and span ids: SplitMix64 over a counter of the calling
/// thread, seeded once per thread from the system generator. No system call, no lock and no shared memory per
/// id (the system generator costs a `getrandom` call per value, and a process-wide atomic counter moves a cache
/// line between cores on every id). Not for secrets: use `SystemRandomNumberGenerator`.
///
/// Threads' sequences are distinct unless two random 64-bit seeds fall within a few billion steps of each other
/// (odds about 2^-30 per pair of threads over the process's life); ids need to be unique per trace, not secret.
struct FastIDSource: RandomNumberGenerator {
    init() {}

    mutating func next() -> UInt64 {
        let counter = ThreadCounter.current()
        counter.pointee &+= SplitMix64.gamma
        return SplitMix64.finalize(counter.pointee)
    }
}

/// One counter per thread, seeded from the system generator on the thread's first id.
private enum ThreadCounter {
    static let slot = ThreadSlot<UInt64>("trace ids")

    static func current() -> UnsafeMutablePointer<UInt64> {
        slot.pointer {
            var system = SystemRandomNumberGenerator()
            return system.next()
        }
    }
}
