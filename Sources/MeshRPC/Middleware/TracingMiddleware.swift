import MeshWire

/// W3C trace context, both ends.
///
/// Server: continues the caller's trace (the request's binary trace field, else a `traceparent` metadata
/// entry; a new trace if both are missing or the text is malformed) with a new span id for this node's work,
/// and binds it to `CallScope.trace` for the handler and for logging. Client: sends the current
/// `CallScope.trace` in `ClientCall.trace` (its span is the callee's parent), or starts a new trace for a call
/// made outside any served call. A trace the caller set, binary or as a `traceparent` entry, is kept.
public struct TracingMiddleware: InlineServerMiddleware, ClientMiddleware {
    public init() {}

    nonisolated(nonsending) public func intercept(_ call: ServerCall, next: ServerNext) async throws(RPCError)
        -> ServerResponse
    {
        try await CallScope.with(trace: Self.span(for: call)) { () async throws(RPCError) in try await next(call) }
    }

    public func interceptInline(_ call: ServerCall, next: InlineServerNext) throws(RPCError) -> ServerResponse {
        try CallScope.withInline(trace: Self.span(for: call)) { () throws(RPCError) in try next(call) }
    }

    /// This node's span of the caller's trace, or of a new trace. The binary field wins over `traceparent`.
    static func span(for call: ServerCall) -> TraceContext {
        var rng = FastIDSource()
        let caller =
            call.context.trace
            ?? call.context.metadata[MetadataKey.traceparent].flatMap(TraceContext.init(traceparent:))
        return caller.map { $0.child(using: &rng) } ?? TraceContext.newTrace(using: &rng)
    }

    nonisolated(nonsending) public func intercept(_ call: ClientCall, next: ClientNext) async throws(RPCError)
        -> ResponseHead
    {
        guard !Self.carriesTrace(call) else { return try await next(call) }
        var call = call
        Self.stamp(&call)
        return try await next(call)
    }

    /// Sets `call.trace` to the trace in scope or a new one, unless the caller set a trace (binary or text).
    static func stamp(_ call: inout ClientCall) {
        guard !carriesTrace(call) else { return }
        stamp(&call, scoped: CallScope.trace)
    }

    /// `stamp` with the trace in scope already read (`scoped`).
    static func stamp(_ call: inout ClientCall, scoped: TraceContext?) {
        guard !carriesTrace(call) else { return }
        if let trace = scoped {
            call.trace = trace
        } else {
            var rng = FastIDSource()
            call.trace = TraceContext.newTrace(using: &rng)
        }
    }

    /// True if the caller already chose the trace context: `call.trace`, or a `traceparent` entry of its own.
    private static func carriesTrace(_ call: ClientCall) -> Bool {
        call.trace != nil || call.metadata[MetadataKey.traceparent] != nil
    }
}
