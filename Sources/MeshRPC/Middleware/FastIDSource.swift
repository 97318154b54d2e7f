import MeshCore

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

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

/// One counter per thread, in thread-specific storage (freed when the thread exits).
private enum ThreadCounter {
    static let key: pthread_key_t = {
        var key = pthread_key_t()
        #if canImport(Darwin)
        let status = pthread_key_create(&key) { $0.deallocate() }
        #else
        let status = pthread_key_create(&key) { $0?.deallocate() }
        #endif
        precondition(status == 0, "pthread_key_create failed (\(status)): no thread-specific storage for trace ids")
        return key
    }()

    static func current() -> UnsafeMutablePointer<UInt64> {
        if let existing = pthread_getspecific(key) { return existing.assumingMemoryBound(to: UInt64.self) }
        let counter = UnsafeMutablePointer<UInt64>.allocate(capacity: 1)
        var system = SystemRandomNumberGenerator()
        counter.initialize(to: system.next())
        pthread_setspecific(key, counter)
        return counter
    }
}
