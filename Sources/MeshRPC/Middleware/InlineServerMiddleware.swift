/// A handler that runs synchronously on the event loop (`ErasedHandler.inline`).
public typealias InlineHandler = @Sendable (ArraySlice<UInt8>, ServerContext) throws(RPCError) -> [UInt8]

/// A server middleware that also has a synchronous form, so that inline handlers behind a pipeline made
/// only of these run on the event loop without a task per call (`ServerPipeline.handleInline`).
///
/// `interceptInline` must behave exactly as `intercept` does (same checks, effects and result); it runs on
/// the event loop, so it must not block. Task-locals (`CallScope`) may be bound with the synchronous
/// `TaskLocal.withValue`, which works outside a task too.
public protocol InlineServerMiddleware: ServerMiddleware {
    /// Whether `interceptInline` can serve `call`; false sends the call down the async path (e.g. a command
    /// whose idempotency store is async). Must not have effects. Default: true.
    func runsInline(_ call: ServerCall) -> Bool

    /// The synchronous twin of `intercept`.
    func interceptInline(_ call: ServerCall, next: InlineServerNext) throws(RPCError) -> ServerResponse
}

extension InlineServerMiddleware {
    public func runsInline(_ call: ServerCall) -> Bool { true }
}

/// The rest of an inline server pipeline after one middleware: the following middleware, then the handler.
public struct InlineServerNext {
    let steps: [any InlineServerMiddleware]
    let index: Int
    let handler: InlineHandler

    public func callAsFunction(_ call: ServerCall) throws(RPCError) -> ServerResponse {
        if index < steps.count {
            return try steps[index].interceptInline(call, next: Self.after(index, of: steps, handler))
        }
        return ServerResponse(payload: try handler(call.payload, call.context))
    }

    /// What follows step `i`; after the last step it holds no steps (see `ServerNext.after`).
    static func after(_ i: Int, of steps: [any InlineServerMiddleware], _ handler: @escaping InlineHandler)
        -> InlineServerNext
    {
        i + 1 < steps.count
            ? InlineServerNext(steps: steps, index: i + 1, handler: handler)
            : InlineServerNext(steps: [], index: 0, handler: handler)
    }
}

/// A server middleware that only looks at a call before its handler and refuses it (throws) or lets it
/// pass unchanged. Implement `check`: the async and inline forms come with it.
public protocol CheckingServerMiddleware: InlineServerMiddleware {
    func check(_ call: ServerCall) throws(RPCError)
}

extension CheckingServerMiddleware {
    nonisolated(nonsending) public func intercept(_ call: ServerCall, next: ServerNext) async throws(RPCError)
        -> ServerResponse
    {
        try check(call)
        return try await next(call)
    }

    public func interceptInline(_ call: ServerCall, next: InlineServerNext) throws(RPCError) -> ServerResponse {
        try check(call)
        return try next(call)
    }
}
