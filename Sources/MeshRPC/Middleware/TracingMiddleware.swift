import MeshWire

/// W3C trace context, both ends.
///
/// Server: continues the caller's trace from its `traceparent` (or starts one if it is missing or malformed)
/// with a new span id for this node's work, and binds it to `CallScope.trace` for the handler and for
/// logging. Client: sends the current `CallScope.trace` as `traceparent` (its span is the callee's parent),
/// or starts a new trace for a call made outside any served call. A `traceparent` the caller set is kept.
public struct TracingMiddleware: InlineServerMiddleware, ClientMiddleware {
    public init() {}

    public func intercept(_ call: ServerCall, next: ServerNext) async throws(RPCError) -> ServerResponse {
        try await CallScope.with(trace: Self.span(for: call)) { () async throws(RPCError) in try await next(call) }
    }

    public func interceptInline(_ call: ServerCall, next: InlineServerNext) throws(RPCError) -> ServerResponse {
        try CallScope.withInline(trace: Self.span(for: call)) { () throws(RPCError) in try next(call) }
    }

    /// This node's span of the caller's trace, or of a new trace.
    static func span(for call: ServerCall) -> TraceContext {
        var rng = FastIDSource()
        return call.context.metadata[MetadataKey.traceparent].flatMap(TraceContext.init(traceparent:))
            .map { $0.child(using: &rng) } ?? TraceContext.newTrace(using: &rng)
    }

    public func intercept(_ call: ClientCall, next: ClientNext) async throws(RPCError) -> ResponseHead {
        guard call.metadata[MetadataKey.traceparent] == nil else { return try await next(call) }
        var call = call
        Self.stamp(&call)
        return try await next(call)
    }

    /// Sets `traceparent` from the trace in scope or a new one, unless the caller set it.
    static func stamp(_ call: inout ClientCall) {
        guard call.metadata[MetadataKey.traceparent] == nil else { return }
        if let trace = CallScope.trace {
            call.metadata[MetadataKey.traceparent] = trace.traceparent
        } else {
            var rng = FastIDSource()
            call.metadata[MetadataKey.traceparent] = TraceContext.newTrace(using: &rng).traceparent
        }
    }
}
