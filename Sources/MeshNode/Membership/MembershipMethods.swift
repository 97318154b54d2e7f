import MeshMembership
import MeshRPC

/// The RPC surface of gossip membership.
public enum MembershipMethods {
    /// One SWIM message, sent as a one-way frame (fire-and-forget); served inline on the event loop.
    public static let message = MethodDescriptor<SWIMMessage, RawMessage>(service: "mesh.swim", method: "Message")
}
