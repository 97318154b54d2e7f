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
public struct DeadlineMiddleware: InlineServerMiddleware, ClientMiddleware {
    let clock: any MeshClock

    public init(clock: any MeshClock = SystemClock()) { self.clock = clock }

    nonisolated(nonsending) public func intercept(_ call: ServerCall, next: ServerNext) async throws(RPCError)
        -> ServerResponse
    {
        try await serve(call) { () async throws(RPCError) in try await next(call) }
    }

    public func interceptInline(_ call: ServerCall, next: InlineServerNext) throws(RPCError) -> ServerResponse {
        try serveInline(call) { () throws(RPCError) in try next(call) }
    }

    /// Runs `body` (the rest of the call) under the call's deadline: refused if it has passed, bound to
    /// `CallScope.deadline` meanwhile, a late result replaced by `deadlineExceeded`.
    nonisolated(nonsending) func serve<R: Sendable>(
        _ call: ServerCall, _ body: nonisolated(nonsending) () async throws(RPCError) -> R
    ) async throws(RPCError) -> R {
        guard let deadline = call.context.deadline else {
            // No deadline: make sure none is inherited (binding nil over nil would only cost a push).
            guard CallScope.deadline != nil else { return try await body() }
            return try await CallScope.with(deadline: nil, body)
        }
        try checkStart(call, deadline, now: clock.now())
        let result = try await CallScope.with(deadline: deadline, body)
        try checkFinish(call, deadline, now: clock.now())
        return result
    }

    /// `serve` for a synchronous body (inline handlers, on the event loop).
    func serveInline<R>(_ call: ServerCall, _ body: () throws(RPCError) -> R) throws(RPCError) -> R {
        guard let deadline = call.context.deadline else {
            guard CallScope.deadline != nil else { return try body() }
            return try CallScope.withInline(deadline: nil, body)
        }
        try checkStart(call, deadline, now: clock.now())
        let result = try CallScope.withInline(deadline: deadline, body)
        try checkFinish(call, deadline, now: clock.now())
        return result
    }

    /// Refuses a call whose deadline has passed at `now`, before its handler runs.
    func checkStart(_ call: ServerCall, _ deadline: MeshInstant, now: MeshInstant) throws(RPCError) {
        guard now < deadline else {
            throw RPCError(
                .deadlineExceeded, "\(call.context.method): the caller's deadline passed before the handler ran")
        }
    }

    /// Replaces a result produced after the deadline (at `now`) by `deadlineExceeded`.
    func checkFinish(_ call: ServerCall, _ deadline: MeshInstant, now: MeshInstant) throws(RPCError) {
        guard now <= deadline else {
            throw RPCError(
                .deadlineExceeded, "\(call.context.method): the handler finished after the caller's deadline")
        }
    }

    nonisolated(nonsending) public func intercept(_ call: ClientCall, next: ClientNext) async throws(RPCError)
        -> ResponseHead
    {
        guard CallScope.deadline != nil else { return try await next(call) }
        var call = call
        try limit(&call)
        return try await next(call)
    }

    /// Shortens `call.timeout` to what is left of the served call's deadline, if one is in scope.
    func limit(_ call: inout ClientCall) throws(RPCError) {
        try limit(&call, inherited: CallScope.deadline)
    }

    /// `limit` with the served call's deadline already read (`inherited`).
    func limit(_ call: inout ClientCall, inherited: MeshInstant?) throws(RPCError) {
        guard let inherited else { return }
        let remaining = inherited - clock.now()
        guard remaining > .zero else {
            throw RPCError(.deadlineExceeded, "\(call.method): no time left of the calling request's deadline")
        }
        call.timeout = call.timeout.map { min($0, remaining) } ?? remaining
    }
}
