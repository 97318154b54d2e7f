/// A step every inbound call passes through before its handler, in the order the pipeline lists them.
///
/// A middleware may change the call (metadata, context) before passing it on with `next(call)`,
/// answer without calling `next` (short-circuit with a thrown `RPCError` or a response), observe the
/// response or error `next` returns, and measure time around it. Middleware runs on the connection's
/// event loop (the handler's task executor): it must not block.
public protocol ServerMiddleware: Sendable {
    func intercept(_ call: ServerCall, next: ServerNext) async throws(RPCError) -> ServerResponse
}

/// The rest of the server pipeline after one middleware: the following middleware, then the handler.
/// A value (no closure is allocated per step).
public struct ServerNext: Sendable {
    let steps: [any ServerMiddleware]
    let index: Int
    let handler: ErasedHandler

    public func callAsFunction(_ call: ServerCall) async throws(RPCError) -> ServerResponse {
        if index < steps.count {
            return try await steps[index].intercept(
                call, next: ServerNext(steps: steps, index: index + 1, handler: handler))
        }
        switch handler {
        case .inline(let run): return ServerResponse(payload: try run(call.payload, call.context))
        case .async(let run): return ServerResponse(payload: try await run(call.payload, call.context))
        }
    }
}

/// The ordered server middleware of a node. The first element sees a call first and its result last.
public struct ServerPipeline: Sendable {
    public private(set) var middleware: [any ServerMiddleware]

    public init(_ middleware: [any ServerMiddleware] = []) { self.middleware = middleware }

    public var isEmpty: Bool { middleware.isEmpty }

    /// Appends a middleware (it runs after, i.e. inside, those already present).
    public mutating func append(_ m: any ServerMiddleware) { middleware.append(m) }

    /// Runs `call` through every middleware and then `handler`.
    public func handle(_ call: ServerCall, handler: ErasedHandler) async throws(RPCError) -> ServerResponse {
        try await ServerNext(steps: middleware, index: 0, handler: handler)(call)
    }
}
