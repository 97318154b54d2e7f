import MeshCore
import MeshWire

/// Deadline propagation, both ends.
///
/// Server: a call whose deadline has already passed is refused with `deadlineExceeded` before its handler
/// runs; the deadline is bound to `CallScope.deadline` for the handler; a result produced after the
/// deadline is replaced by `deadlineExceeded` (the caller has stopped waiting). The transport also cancels
/// the handler's task at the deadline.
/// Client: a call made inside a served call waits at most the remaining budget of the outer call
/// (`min(own timeout, CallScope.deadline - now)`); with no budget left it fails without being sent.
public struct DeadlineMiddleware: ServerMiddleware, ClientMiddleware {
    let clock: any MeshClock

    public init(clock: any MeshClock = SystemClock()) { self.clock = clock }

    public func intercept(_ call: ServerCall, next: ServerNext) async throws(RPCError) -> ServerResponse {
        guard let deadline = call.context.deadline else {
            return try await CallScope.with(deadline: nil) { () async throws(RPCError) in try await next(call) }
        }
        guard clock.now() < deadline else {
            throw RPCError(.deadlineExceeded, "\(call.context.method): the caller's deadline passed before the handler ran")
        }
        let response = try await CallScope.with(deadline: deadline) { () async throws(RPCError) in try await next(call) }
        guard clock.now() <= deadline else {
            throw RPCError(.deadlineExceeded, "\(call.context.method): the handler finished after the caller's deadline")
        }
        return response
    }

    public func intercept(_ call: ClientCall, next: ClientNext) async throws(RPCError) -> ResponseHead {
        guard let inherited = CallScope.deadline else { return try await next(call) }
        let remaining = inherited - clock.now()
        guard remaining > .zero else {
            throw RPCError(.deadlineExceeded, "\(call.method): no time left of the calling request's deadline")
        }
        var call = call
        call.timeout = call.timeout.map { min($0, remaining) } ?? remaining
        return try await next(call)
    }
}
