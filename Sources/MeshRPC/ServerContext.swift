import MeshCore

/// What a handler knows about the call it serves.
public struct ServerContext: Sendable {
    /// The authenticated caller's certificate name.
    public var peerName: String
    /// The authenticated caller's certificate roles.
    public var peerRoles: [String]
    /// `service/method`.
    public var method: String
    /// The request metadata (trace context, idempotency key, …).
    public var metadata: [String: String]
    /// When the caller stops waiting, on this node's monotonic clock; nil if the caller set none.
    public var deadline: MeshInstant?

    public init(
        peerName: String,
        peerRoles: [String],
        method: String,
        metadata: [String: String],
        deadline: MeshInstant?
    ) {
        self.peerName = peerName
        self.peerRoles = peerRoles
        self.method = method
        self.metadata = metadata
        self.deadline = deadline
    }
}
