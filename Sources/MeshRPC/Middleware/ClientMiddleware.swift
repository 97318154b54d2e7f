import MeshWire

/// A step every outgoing call passes through before it is written to a connection.
///
/// Contract: `next` returns only responses with status `ok`; every failure — the transport's and the
/// peer's non-ok statuses alike — arrives as a thrown `RPCError`, so a middleware sees one error path.
public protocol ClientMiddleware: Sendable {
    func intercept(_ call: ClientCall, next: ClientNext) async throws(RPCError) -> ResponseHead
}

/// Sends a call once it has passed every client middleware (supplied by the transport).
public typealias ClientTerminal = @Sendable (ClientCall) async throws(RPCError) -> ResponseHead

/// The rest of the client pipeline after one middleware. A value (no closure is allocated per step).
public struct ClientNext: Sendable {
    let steps: [any ClientMiddleware]
    let index: Int
    let terminal: ClientTerminal

    public func callAsFunction(_ call: ClientCall) async throws(RPCError) -> ResponseHead {
        if index < steps.count {
            return try await steps[index].intercept(
                call, next: ClientNext(steps: steps, index: index + 1, terminal: terminal))
        }
        return try await terminal(call)
    }
}

/// The ordered client middleware of a node. The first element sees a call first and its result last.
public struct ClientPipeline: Sendable {
    public private(set) var middleware: [any ClientMiddleware]

    public init(_ middleware: [any ClientMiddleware] = []) { self.middleware = middleware }

    public var isEmpty: Bool { middleware.isEmpty }

    public mutating func append(_ m: any ClientMiddleware) { middleware.append(m) }

    /// Runs `call` through every middleware, then `terminal`; a non-ok status from `terminal` is thrown.
    public func send(_ call: ClientCall, terminal: @escaping ClientTerminal) async throws(RPCError) -> ResponseHead {
        try await ClientNext(steps: middleware, index: 0, terminal: terminal)(call)
    }
}
