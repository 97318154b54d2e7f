import MeshCore
import MeshWire

/// One outgoing call as client middleware sees it. Middleware may change anything before passing it on.
public struct ClientCall: Sendable {
    /// `service/method`.
    public var method: String {
        didSet { service = String(MethodPath.service(of: method)) }
    }
    /// `service` of `service/method` (kept with `method`, so breakers and metrics do not split the path per call).
    public private(set) var service: String
    public var kind: MethodKind
    /// The peer the call goes to (its certificate name), for breaker keys, metrics and logs.
    public var peer: String
    public var metadata: [String: String]
    /// The W3C trace context sent in the request's binary trace field; nil = none (`TracingMiddleware` sets it).
    public var trace: TraceContext?
    public var payload: [UInt8]
    /// How long the caller waits from now; nil = no deadline.
    public var timeout: MeshDuration?

    public init(
        method: String,
        kind: MethodKind,
        peer: String,
        metadata: [String: String],
        trace: TraceContext? = nil,
        payload: [UInt8],
        timeout: MeshDuration?
    ) {
        self.method = method
        self.service = String(MethodPath.service(of: method))
        self.kind = kind
        self.peer = peer
        self.metadata = metadata
        self.trace = trace
        self.payload = payload
        self.timeout = timeout
    }

    /// A call to `descriptor` (its path and service as the descriptor stores them: nothing is parsed).
    public init<Request, Response>(
        _ descriptor: borrowing MethodDescriptor<Request, Response>,
        peer: String,
        metadata: [String: String],
        trace: TraceContext? = nil,
        payload: [UInt8],
        timeout: MeshDuration?
    ) {
        self.method = descriptor.path
        self.service = descriptor.service
        self.kind = descriptor.kind
        self.peer = peer
        self.metadata = metadata
        self.trace = trace
        self.payload = payload
        self.timeout = timeout
    }
}
