/// A step every inbound call passes through before its handler, in the order the pipeline lists them.
///
/// A middleware may change the call (metadata, context) before passing it on with `next(call)`,
/// answer without calling `next` (short-circuit with a thrown `RPCError` or a response), observe the
/// response or error `next` returns, and measure time around it. Middleware runs on the connection's
/// event loop (the handler's task executor): it must not block.
public protocol ServerMiddleware: Sendable {
    nonisolated(nonsending) func intercept(_ call: ServerCall, next: ServerNext) async throws(RPCError)
        -> ServerResponse
}

/// The rest of the server pipeline after one middleware: the following middleware, then the handler.
/// A value (no closure is allocated per step).
public struct ServerNext: Sendable {
    let steps: [any ServerMiddleware]
    let index: Int
    let handler: ErasedHandler

    nonisolated(nonsending) public func callAsFunction(_ call: ServerCall) async throws(RPCError) -> ServerResponse {
        if index < steps.count {
            return try await steps[index].intercept(call, next: Self.after(index, of: steps, handler))
        }
        return try await handler.serve(call)
    }

    /// What follows step `i`. After the last step it holds no steps: a call through a one-step pipeline (the
    /// standard one) then does not write the reference count of the array every call shares.
    static func after(_ i: Int, of steps: [any ServerMiddleware], _ handler: ErasedHandler) -> ServerNext {
        i + 1 < steps.count
            ? ServerNext(steps: steps, index: i + 1, handler: handler)
            : ServerNext(steps: [], index: 0, handler: handler)
    }
}

/// The ordered server middleware of a node. The first element sees a call first and its result last.
///
/// When every middleware is an `InlineServerMiddleware` that accepts the call, an inline handler is served
/// synchronously on the event loop (`handleInline`): no task is created for the call.
public struct ServerPipeline: Sendable {
    public private(set) var middleware: [any ServerMiddleware]
    /// `middleware` again when every one of them can run inline; nil otherwise.
    private var inlineSteps: [any InlineServerMiddleware]?

    /// The only step, when the pipeline is one `StandardServerMiddleware` (as `standard` makes it). A transport may
    /// then run it around a handler itself (`StandardServerMiddleware.serveInline`, or `begin` and `finish` around a
    /// handler's task) instead of calling `handle`: the same behaviour, without an async layer per call.
    public private(set) var soleStandardStep: StandardServerMiddleware?

    public init(_ middleware: [any ServerMiddleware] = []) {
        self.middleware = middleware
        self.inlineSteps = Self.inlineForms(of: middleware)
        self.soleStandardStep = middleware.count == 1 ? middleware[0] as? StandardServerMiddleware : nil
    }

    public var isEmpty: Bool { middleware.isEmpty }

    /// True when every middleware has a synchronous form (calls may still opt out one by one).
    public var runsInline: Bool { inlineSteps != nil }

    /// Appends a middleware (it runs after, i.e. inside, those already present).
    public mutating func append(_ m: any ServerMiddleware) {
        middleware.append(m)
        inlineSteps = Self.inlineForms(of: middleware)
        soleStandardStep = nil
    }

    /// Runs `call` through every middleware's async form and then `handler` (the path for calls that
    /// `handleInline` declined; by contract both forms behave the same).
    nonisolated(nonsending) public func handle(_ call: ServerCall, handler: ErasedHandler) async throws(RPCError)
        -> ServerResponse
    {
        guard !middleware.isEmpty else { return try await handler.serve(call) }
        return try await middleware[0].intercept(call, next: ServerNext.after(0, of: middleware, handler))
    }

    /// Runs `call` through every middleware and an inline handler synchronously, on the calling thread;
    /// nil if some middleware cannot serve this call inline (then use `handle`, which runs it as async).
    public func handleInline(_ call: ServerCall, handler: @escaping InlineHandler) -> Result<ServerResponse, RPCError>?
    {
        guard let steps = inlineSteps else { return nil }
        for i in steps.indices where !steps[i].runsInline(call) { return nil }  // by index: no copy per call
        do throws(RPCError) {
            guard !steps.isEmpty else {
                return .success(ServerResponse(payload: try handler(call.payload, call.context)))
            }
            return .success(try steps[0].interceptInline(call, next: InlineServerNext.after(0, of: steps, handler)))
        } catch {
            return .failure(error)
        }
    }

    private static func inlineForms(of middleware: [any ServerMiddleware]) -> [any InlineServerMiddleware]? {
        var steps: [any InlineServerMiddleware] = []
        steps.reserveCapacity(middleware.count)
        for m in middleware {
            guard let inline = m as? any InlineServerMiddleware else { return nil }
            steps.append(inline)
        }
        return steps
    }
}
