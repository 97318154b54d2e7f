import MeshRPC
import MeshSaga

/// The RPC methods of the outbox protocol (proto-spec/outbox.md).
public enum OutboxMethods {
    /// Delivers a batch of events of one origin, in log order; answered with one outcome per event.
    public static let deliver = MethodDescriptor<DeliverRequest, DeliverResponse>(
        service: "mesh.outbox", method: "Deliver"
    )
}
