import MeshRPC
import MeshSaga

/// A hosted service instance with its domain type erased: what the node runtime holds and runs.
public protocol HostedServiceInstance: Sendable {
    var service: String { get }
    var instance: String { get }
    var map: PartitionMap { get }
    var subscribedEventTypes: Set<UInt16> { get }
    var status: HostedServiceStatus { get }
    /// Registers the domain's methods and the service's inbox (`mesh.inbox/<service>`).
    func install(into router: inout ServiceRouter)
    /// Recovers, then serves until the task is cancelled.
    func run(context: HostingContext) async throws(HostError)
}

extension ServiceHost: HostedServiceInstance {
    public var subscribedEventTypes: Set<UInt16> { Domain.subscribedEventTypes }

    public func install(into router: inout ServiceRouter) {
        for method in Domain.methods { method.install(into: &router, runner: self) }
        router.register(OutboxMethods.deliver(to: Domain.serviceName)) { request, _ in try await self.receive(request) }
    }
}
