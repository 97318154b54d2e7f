import MeshCore
import MeshRPC
import Synchronization

/// Waits for an operation that does not honour a deadline itself (dialling and handshaking a peer that stopped
/// answering can take the transport's connect and handshake timeouts) for no longer than the caller's deadline.
///
/// Whichever comes first wins: the operation's result, the deadline (`deadlineExceeded`), or the caller's
/// cancellation (`cancelled`). A losing operation keeps running in the background and its result is dropped
/// here (the transport still keeps a connection it completes, for the next call).
enum DeadlineRace {
    static func run<T: Sendable>(
        until deadline: MeshInstant, clock: any MeshClock, _ what: String,
        _ operation: @escaping @Sendable () async throws(RPCError) -> T
    ) async throws(RPCError) -> T {
        let slot = Slot<T>()
        let result = await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Result<T, RPCError>, Never>) in
                slot.arm(continuation)
                let timer = Task {
                    let left = deadline - clock.now()
                    if left > .zero { try? await Task.sleep(for: .nanoseconds(left.nanoseconds)) }
                    if !Task.isCancelled {
                        slot.resume(.failure(RPCError(.deadlineExceeded, "\(what) did not finish within the deadline")))
                    }
                }
                Task {
                    let r: Result<T, RPCError>
                    do throws(RPCError) { r = .success(try await operation()) } catch { r = .failure(error) }
                    timer.cancel()
                    slot.resume(r)
                }
            }
        } onCancel: {
            slot.resume(.failure(RPCError(.cancelled, "\(what): cancelled")))
        }
        return try result.get()
    }

    /// Resumes its continuation exactly once; later results are dropped. Sendable: state is in a `Mutex`.
    private final class Slot<T: Sendable>: Sendable {
        private struct State {
            var continuation: CheckedContinuation<Result<T, RPCError>, Never>?
            /// A result that came before the continuation was armed (cancellation racing the start).
            var early: Result<T, RPCError>?
            var done = false
        }
        private let state = Mutex(State())

        func arm(_ c: CheckedContinuation<Result<T, RPCError>, Never>) {
            let early: Result<T, RPCError>? = state.withLock { s in
                if let e = s.early {
                    s.early = nil
                    return e
                }
                s.continuation = c
                return nil
            }
            if let early { c.resume(returning: early) }
        }

        func resume(_ r: Result<T, RPCError>) {
            let c: CheckedContinuation<Result<T, RPCError>, Never>? = state.withLock { s in
                guard !s.done else { return nil }
                s.done = true
                guard let c = s.continuation else {
                    s.early = r
                    return nil
                }
                s.continuation = nil
                return c
            }
            c?.resume(returning: r)
        }
    }
}
