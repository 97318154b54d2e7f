import MeshRPC
import MeshSaga
import MeshWire

extension HostedMethod {
    /// A command served under `descriptor`'s method name (its service is `Domain.serviceName`).
    static func command<Request, Response>(
        _ descriptor: MethodDescriptor<Request, Response>,
        route: @escaping @Sendable (Request) -> Route,
        decide:
            @escaping @Sendable (Request, Domain.State, Int64) throws(DomainRejection) -> (
                response: Response, events: [DomainEvent]
            )
    ) -> Self {
        precondition(descriptor.kind == .command && descriptor.service == Domain.serviceName)
        return command(descriptor.method, route: route, decide: decide)
    }

    /// A query served under `descriptor`'s method name (its service is `Domain.serviceName`).
    static func query<Request, Response>(
        _ descriptor: MethodDescriptor<Request, Response>,
        route: @escaping @Sendable (Request) -> Route,
        answer: @escaping @Sendable (Request, Domain.State, Int64) throws(DomainRejection) -> Response
    ) -> Self {
        precondition(descriptor.kind == .query && descriptor.service == Domain.serviceName)
        return query(descriptor.method, route: route, answer: answer)
    }
}
