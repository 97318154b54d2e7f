/// One inbound call as server middleware sees it: the context a handler will get, the method's kind
/// (from this node's registration, not the caller's claim) and the encoded request.
public struct ServerCall: Sendable {
    public var context: ServerContext
    public var kind: MethodKind
    public var payload: ArraySlice<UInt8>

    public init(context: ServerContext, kind: MethodKind, payload: ArraySlice<UInt8>) {
        self.context = context
        self.kind = kind
        self.payload = payload
    }

    /// `service` of `service/method`.
    public var service: Substring { MethodPath.service(of: context.method) }
}

/// A successful answer: the encoded response and response metadata.
public struct ServerResponse: Sendable, Hashable {
    public var payload: [UInt8]
    public var metadata: [String: String]

    public init(payload: [UInt8], metadata: [String: String] = [:]) {
        self.payload = payload
        self.metadata = metadata
    }
}
