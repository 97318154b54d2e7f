#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One `T` per thread, in thread-specific storage made on a thread's first use and freed when the thread exits. For
/// plain values only (no references): the storage is raw memory and is never deinitialized.
final class ThreadSlot<T>: Sendable {
    private let key: pthread_key_t

    /// `purpose` names the slot in the message if the system has no key left.
    init(_ purpose: String) {
        var key = pthread_key_t()
        #if canImport(Darwin)
        let status = pthread_key_create(&key) { $0.deallocate() }
        #else
        let status = pthread_key_create(&key) { $0?.deallocate() }
        #endif
        precondition(status == 0, "pthread_key_create failed (\(status)): no thread-specific storage for \(purpose)")
        self.key = key
    }

    /// This thread's value, if it was made.
    var existing: UnsafeMutablePointer<T>? { pthread_getspecific(key)?.assumingMemoryBound(to: T.self) }

    /// This thread's value, made with `initial` on first use.
    func pointer(initial: () -> T) -> UnsafeMutablePointer<T> {
        if let existing { return existing }
        let value = UnsafeMutablePointer<T>.allocate(capacity: 1)
        value.initialize(to: initial())
        pthread_setspecific(key, value)
        return value
    }
}
