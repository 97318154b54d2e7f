import MeshWire

/// Names one RPC method, the message types it exchanges and whether it is a query or a command.
/// The wire name is `service/method`.
public struct MethodDescriptor<Request: WireMessage, Response: WireMessage>: Sendable, Hashable {
    public var service: String { didSet { path = Self.path(service, method) } }
    public var method: String { didSet { path = Self.path(service, method) } }
    /// Queries are retried freely; commands carry an idempotency key (see `MethodKind`).
    public var kind: MethodKind
    /// `service/method`, as carried in `RequestHead.method`. Stored, so a call does not build the string again.
    public private(set) var path: String

    public init(service: String, method: String, kind: MethodKind = .query) {
        precondition(!service.contains("/") && !method.contains("/"), "service and method names contain no '/'")
        self.service = service
        self.method = method
        self.kind = kind
        self.path = Self.path(service, method)
    }

    private static func path(_ service: String, _ method: String) -> String { service + "/" + method }

    /// A read-only method: safe to retry and hedge.
    public static func query(service: String, method: String) -> Self {
        Self(service: service, method: method, kind: .query)
    }

    /// A state-changing method: callers send an idempotency key and the server deduplicates by it.
    public static func command(service: String, method: String) -> Self {
        Self(service: service, method: method, kind: .command)
    }
}

/// An application message whose encoding is its bytes, unchanged (for opaque payloads and benchmarks).
public struct RawMessage: WireMessage, Hashable {
    public var bytes: [UInt8]
    public init(_ bytes: [UInt8]) { self.bytes = bytes }
    public init(decoding bytes: ArraySlice<UInt8>) throws(WireError) { self.bytes = Array(bytes) }
    public func encode(to writer: inout PayloadWriter) { writer.raw(bytes) }
    /// The bytes themselves: no copy.
    public func encoded() -> [UInt8] { bytes }
}
