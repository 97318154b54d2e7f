import MeshWire

/// Names one RPC method and the message types it exchanges. The wire name is `service/method`.
public struct MethodDescriptor<Request: WireMessage, Response: WireMessage>: Sendable, Hashable {
    public var service: String
    public var method: String

    public init(service: String, method: String) {
        precondition(!service.contains("/") && !method.contains("/"), "service and method names contain no '/'")
        self.service = service
        self.method = method
    }

    /// `service/method`, as carried in `RequestHead.method`.
    public var path: String { "\(service)/\(method)" }
}

/// An application message whose encoding is its bytes, unchanged (for opaque payloads and benchmarks).
public struct RawMessage: WireMessage, Hashable {
    public var bytes: [UInt8]
    public init(_ bytes: [UInt8]) { self.bytes = bytes }
    public init(decoding bytes: ArraySlice<UInt8>) throws(WireError) { self.bytes = Array(bytes) }
    public func encode(to writer: inout PayloadWriter) { writer.raw(bytes) }
}
