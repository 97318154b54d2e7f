import MeshCore
import MeshWire

/// What a handler knows about the call it serves.
public struct ServerContext: Sendable {
    /// The authenticated caller's certificate name.
    public var peerName: String
    /// The authenticated caller's certificate roles.
    public var peerRoles: [String]
    /// `service/method`.
    public var method: String
    /// The request metadata (idempotency key, a text-form `traceparent`, …).
    public var metadata: [String: String]
    /// The caller's W3C trace context from the request's binary trace field; nil if it sent none.
    public var trace: TraceContext?
    /// When the caller stops waiting, on this node's monotonic clock; nil if the caller set none.
    public var deadline: MeshInstant?

    public init(
        peerName: String,
        peerRoles: [String],
        method: String,
        metadata: [String: String],
        trace: TraceContext? = nil,
        deadline: MeshInstant?
    ) {
        self.peerName = peerName
        self.peerRoles = peerRoles
        self.method = method
        self.metadata = metadata
        self.trace = trace
        self.deadline = deadline
    }
}
