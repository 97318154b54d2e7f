import MeshMembership
import MeshRPC
import MeshResilience
import MeshSaga
import MeshTransport

extension MeshNodeRuntime {
    /// Every hosted service's readiness (for `/readyz`): log recovered, relay running, nothing failed.
    public var hostedServiceStatuses: [HostedServiceStatus] { hosted.map(\.status) }

    /// True when every hosted service is ready (and when the node hosts none).
    public var hostedServicesReady: Bool { hosted.allSatisfy(\.status.isReady) }

    /// Runs every hosted service until cancelled; the first that cannot start stops the node with its error.
    func runHostedServices() async throws {
        let context = hosting
        try await withThrowingDiscardingTaskGroup { group in
            for host in hosted {
                group.addTask {
                    do {
                        try await host.run(context: context)
                    } catch {
                        self.logger.critical(
                            "hosted service cannot start",
                            metadata: ["service": "\(host.instance)", "error": "\(error)"])
                        throw error
                    }
                }
            }
        }
    }

    /// What this node advertises: application services (`mesh.*` excluded) and hosted services, the hosted
    /// services' subscriptions as `S:<type>`, and tags (`--tag`s plus `mesh.instance.S` and `mesh.layout.S`).
    var hostedAdvertisement: (services: [String], subscriptions: [String], tags: [String: String]) {
        var services = Set(info().services.filter { !$0.hasPrefix("mesh.") })
        var subscriptions: [String] = []
        var tags = configuration.membership.tags
        for host in hosted {
            services.insert(host.service)
            subscriptions += HostingContext.subscriptions(service: host.service, types: host.subscribedEventTypes)
            tags.merge(HostingContext.tags(service: host.service, instance: host.instance, map: host.map)) { $1 }
        }
        return (services.sorted(), subscriptions, tags)
    }

    /// Calls `descriptor` on the owner of `key` in its service (partition map from membership or a local
    /// instance), through the owner-keyed router: an owner that is not reachable fails as `unavailable`, never
    /// goes to another instance.
    public func callOwner<Request, Response>(
        _ descriptor: MethodDescriptor<Request, Response>, _ request: Request, key: String,
        policy: OwnerWaitPolicy = .failFast, options: CallOptions = .default
    ) async throws(RPCError) -> Response {
        guard let owner = hosting.owner(of: key, in: descriptor.service) else {
            throw RPCError(.unavailable, "\(descriptor.path): no known owner for key '\(key)' yet")
        }
        return try await peers.call(descriptor, request, owner: owner.node, policy: policy, options: options)
    }
}
