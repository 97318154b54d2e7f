import MeshRPC
import MeshWire

/// A command a hosted service serves: its method, the key that picks the owning partition, and the pure decision.
///
/// `decide` gets the request, the current state of the service instance and the time (ns since the Unix epoch);
/// it returns the response and the events to append. The host appends those events as ONE record, applies them
/// to the state, and sends the response only once the record is durable. A `DomainRejection` appends nothing and
/// reaches the caller as `failedPrecondition` with the message `"<code>: <message>"`.
public struct HostedCommand<Domain: EventSourcedDomain, Request: WireMessage, Response: WireMessage>: Sendable {
    public var descriptor: MethodDescriptor<Request, Response>
    public var key: @Sendable (Request) -> String
    public var decide:
        @Sendable (Request, Domain.State, Int64) throws(DomainRejection) -> (response: Response, events: [DomainEvent])

    public init(
        _ descriptor: MethodDescriptor<Request, Response>,
        key: @escaping @Sendable (Request) -> String,
        decide:
            @escaping @Sendable (Request, Domain.State, Int64) throws(DomainRejection) -> (
                response: Response, events: [DomainEvent]
            )
    ) {
        self.descriptor = descriptor
        self.key = key
        self.decide = decide
    }
}

/// A query a hosted service serves: read-only, answered from the state once everything the state already holds
/// is durable. With a `key` only the key's owner answers; without one (a read model over every partition) any
/// instance answers from its own state.
public struct HostedQuery<Domain: EventSourcedDomain, Request: WireMessage, Response: WireMessage>: Sendable {
    public var descriptor: MethodDescriptor<Request, Response>
    public var key: (@Sendable (Request) -> String)?
    public var answer: @Sendable (Request, Domain.State, Int64) throws(DomainRejection) -> Response

    public init(
        _ descriptor: MethodDescriptor<Request, Response>,
        key: (@Sendable (Request) -> String)?,
        answer: @escaping @Sendable (Request, Domain.State, Int64) throws(DomainRejection) -> Response
    ) {
        self.descriptor = descriptor
        self.key = key
        self.answer = answer
    }
}

/// What runs hosted methods: implemented by the node's `ServiceHost`, so a domain never sees it.
public protocol HostedMethodRunner<Domain>: Sendable {
    associatedtype Domain: EventSourcedDomain
    func run<Request, Response>(
        _ command: HostedCommand<Domain, Request, Response>, _ request: Request
    ) async throws(RPCError) -> Response
    func run<Request, Response>(
        _ query: HostedQuery<Domain, Request, Response>, _ request: Request
    ) async throws(RPCError) -> Response
}

/// One method of a hosted service, its request and response types erased, so a domain lists them in one array.
public struct HostedMethod<Domain: EventSourcedDomain>: Sendable {
    /// `service/method`.
    public let path: String
    public let kind: MethodKind
    private let installer: @Sendable (inout ServiceRouter, any HostedMethodRunner<Domain>) -> Void

    public static func command<Request, Response>(_ command: HostedCommand<Domain, Request, Response>) -> Self {
        Self(path: command.descriptor.path, kind: command.descriptor.kind) { router, runner in
            router.register(command.descriptor) { request, _ in try await runner.run(command, request) }
        }
    }

    public static func query<Request, Response>(_ query: HostedQuery<Domain, Request, Response>) -> Self {
        Self(path: query.descriptor.path, kind: query.descriptor.kind) { router, runner in
            router.register(query.descriptor) { request, _ in try await runner.run(query, request) }
        }
    }

    private init(
        path: String, kind: MethodKind,
        installer: @escaping @Sendable (inout ServiceRouter, any HostedMethodRunner<Domain>) -> Void
    ) {
        self.path = path
        self.kind = kind
        self.installer = installer
    }

    /// Registers this method on `router`, served by `runner`.
    public func install(into router: inout ServiceRouter, runner: any HostedMethodRunner<Domain>) {
        installer(&router, runner)
    }
}
