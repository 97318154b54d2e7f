import MeshWire

/// A step every outgoing call passes through before it is written to a connection.
///
/// Contract: `next` returns only responses with status `ok`; every failure — the transport's and the
/// peer's non-ok statuses alike — arrives as a thrown `RPCError`, so a middleware sees one error path.
public protocol ClientMiddleware: Sendable {
    nonisolated(nonsending) func intercept(_ call: ClientCall, next: ClientNext) async throws(RPCError) -> ResponseHead
}

/// Sends a call once it has passed every client middleware (supplied by the transport).
public typealias ClientTerminal = nonisolated(nonsending) @Sendable (ClientCall) async throws(RPCError) -> ResponseHead

/// The rest of the client pipeline after one middleware. A value (no closure is allocated per step).
public struct ClientNext: Sendable {
    let steps: [any ClientMiddleware]
    let index: Int
    let terminal: ClientTerminal

    nonisolated(nonsending) public func callAsFunction(_ call: ClientCall) async throws(RPCError) -> ResponseHead {
        guard index < steps.count else { return try await terminal(call) }
        return try await steps[index].intercept(call, next: after(index))
    }

    /// What follows step `i` of `steps`. After the last step it holds no steps: the array is shared by every call
    /// of the connection, so a call through a one-step pipeline (the standard one) does not write its reference
    /// count (with callers on several cores, each such write moves a cache line between them).
    static func after(_ i: Int, of steps: [any ClientMiddleware], terminal: @escaping ClientTerminal) -> ClientNext {
        i + 1 < steps.count
            ? ClientNext(steps: steps, index: i + 1, terminal: terminal)
            : ClientNext(steps: [], index: 0, terminal: terminal)
    }

    private func after(_ i: Int) -> ClientNext { Self.after(i, of: steps, terminal: terminal) }
}

/// The ordered client middleware of a node. The first element sees a call first and its result last.
public struct ClientPipeline: Sendable {
    public private(set) var middleware: [any ClientMiddleware] {
        didSet { soleStandardStep = Self.soleStandardStep(of: middleware) }
    }
    /// The only step, when the pipeline is one `StandardClientMiddleware` (as `standard` makes it without hedging).
    /// A transport may then run it around its own sends (`StandardClientMiddleware.begin`, `finish`, `retry`)
    /// instead of calling `send`: the same behaviour, without an async layer or a closure per call.
    public private(set) var soleStandardStep: StandardClientMiddleware?

    public init(_ middleware: [any ClientMiddleware] = []) {
        self.middleware = middleware
        self.soleStandardStep = Self.soleStandardStep(of: middleware)
    }

    public var isEmpty: Bool { middleware.isEmpty }

    public mutating func append(_ m: any ClientMiddleware) { middleware.append(m) }

    private static func soleStandardStep(of middleware: [any ClientMiddleware]) -> StandardClientMiddleware? {
        middleware.count == 1 ? middleware[0] as? StandardClientMiddleware : nil
    }

    /// Runs `call` through every middleware, then `terminal`; a non-ok status from `terminal` is thrown.
    nonisolated(nonsending) public func send(_ call: ClientCall, terminal: @escaping ClientTerminal)
        async throws(RPCError) -> ResponseHead
    {
        guard !middleware.isEmpty else { return try await terminal(call) }
        return try await middleware[0].intercept(call, next: ClientNext.after(0, of: middleware, terminal: terminal))
    }
}
