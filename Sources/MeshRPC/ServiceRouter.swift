import MeshWire

/// A registered handler with its types erased to bytes.
public enum ErasedHandler: Sendable {
    /// Runs on the connection's event loop thread without a hop: it must not block.
    case inline(InlineHandler)
    /// Runs as a task (preferring the connection's event loop as executor).
    case async(AsyncHandler)

    /// Serves `call` with this handler alone, no middleware around it (what follows a pipeline's last step). Inlinable:
    /// the transport's task then runs it without an async frame of its own.
    @inlinable
    nonisolated(nonsending) public func serve(_ call: ServerCall) async throws(RPCError) -> ServerResponse {
        switch self {
        case .inline(let run): ServerResponse(payload: try run(call.payload, call.context))
        case .async(let run): ServerResponse(payload: try await run(call.payload, call.context))
        }
    }
}

/// A handler that runs as a task; it runs on the executor of the pipeline that calls it (no hop of its own).
public typealias AsyncHandler =
    nonisolated(nonsending) @Sendable (ArraySlice<UInt8>, ServerContext) async throws(RPCError) -> [UInt8]

/// The table of `service/method` → handler a node serves, each method's kind, and the server middleware
/// every call passes through. Built before the node starts; read-only after.
public struct ServiceRouter: Sendable {
    /// A served method: its handler and kind (one lookup per call finds both).
    public struct Entry: Sendable {
        public var handler: ErasedHandler
        public var kind: MethodKind
    }

    private var entries: [String: Entry] = [:]
    /// Runs before every handler, in order. Inline handlers run on the event loop without a task when the
    /// pipeline is empty or every middleware in it is an `InlineServerMiddleware` that accepts the call
    /// (the standard pipeline does, for queries); otherwise the call runs as a task.
    public var pipeline = ServerPipeline()

    public init() {}

    /// Appends a server middleware to `pipeline`.
    public mutating func use(_ middleware: any ServerMiddleware) { pipeline.append(middleware) }

    /// The kind a method was registered with; nil if it is not served here.
    public func kind(for path: String) -> MethodKind? { entries[path]?.kind }

    /// What this node advertises: every method it serves and its kind.
    public var description: ServiceDescription {
        ServiceDescription(methods: entries.map { ServiceDescription.Entry(path: $0.key, kind: $0.value.kind) })
    }

    public var methods: [String] { entries.keys.sorted() }
    public var services: [String] { Array(Set(entries.keys.map { String(MethodPath.service(of: $0)) })).sorted() }

    public func handler(for path: String) -> ErasedHandler? { entries[path]?.handler }

    /// The handler and kind of `path`; nil if it is not served here.
    public func entry(for path: String) -> Entry? { entries[path] }

    /// Registers an async handler. Errors it throws that are not `RPCError` become `internal` with their description.
    public mutating func register<Req, Resp>(
        _ descriptor: MethodDescriptor<Req, Resp>,
        handler: @escaping @Sendable (Req, ServerContext) async throws -> Resp
    ) {
        precondition(entries[descriptor.path] == nil, "\(descriptor.path) is registered twice")
        entries[descriptor.path] = Entry(
            handler: .async { (bytes, context) async throws(RPCError) -> [UInt8] in
                let request = try Self.decode(Req.self, bytes, descriptor.path)
                do {
                    return try await handler(request, context).encoded()
                } catch let e as RPCError {
                    throw e
                } catch {
                    throw RPCError(.internal, "\(descriptor.path) failed: \(error)", cause: error)
                }
            }, kind: descriptor.kind)
    }

    /// Registers a handler that runs inline on the event loop: for cheap, non-blocking work only.
    public mutating func registerInline<Req, Resp>(
        _ descriptor: MethodDescriptor<Req, Resp>,
        handler: @escaping @Sendable (Req, ServerContext) throws -> Resp
    ) {
        precondition(entries[descriptor.path] == nil, "\(descriptor.path) is registered twice")
        entries[descriptor.path] = Entry(
            handler: .inline { (bytes, context) throws(RPCError) -> [UInt8] in
                let request = try Self.decode(Req.self, bytes, descriptor.path)
                do {
                    return try handler(request, context).encoded()
                } catch let e as RPCError {
                    throw e
                } catch {
                    throw RPCError(.internal, "\(descriptor.path) failed: \(error)", cause: error)
                }
            }, kind: descriptor.kind)
    }

    static func decode<M: WireMessage>(_: M.Type, _ bytes: ArraySlice<UInt8>, _ path: String) throws(RPCError) -> M {
        do {
            return try M(decoding: bytes)
        } catch {
            throw RPCError(.invalidArgument, "\(path): request does not decode as \(M.self): \(error)", cause: error)
        }
    }
}
