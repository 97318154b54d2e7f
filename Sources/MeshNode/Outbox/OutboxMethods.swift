import MeshRPC
import MeshSaga

/// The RPC methods of the outbox protocol (proto-spec/outbox.md).
public enum OutboxMethods {
    /// Delivers a batch of events of one origin, in log order; answered with one outcome per event.
    public static let deliver = MethodDescriptor<DeliverRequest, DeliverResponse>(
        service: "mesh.outbox", method: "Deliver"
    )
}

extension OutboxMethods {
    /// The inbox of hosted service `service`: `mesh.inbox/<service>`, the same messages as `deliver`. One per
    /// service, so a node hosting several services gives each delivery to the right one.
    public static func deliver(to service: String) -> MethodDescriptor<DeliverRequest, DeliverResponse> {
        MethodDescriptor(service: "mesh.inbox", method: service)
    }
}
