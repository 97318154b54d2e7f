import MeshCore

/// What the shell must do after feeding the instance an input. Directives are returned in the
/// order they must be carried out.
public enum SWIMDirective: Hashable, Sendable {
    /// Send one message to a membership address (`host:port`). `peer` is the member expected at that
    /// address, when known: the shell makes the transport check the peer's certificate carries it.
    case send(SWIMMessage, to: String, peer: String? = nil)
    /// Publish a membership change to subscribers.
    case event(MembershipEvent)
}

/// A change in this node's view of the cluster, in the order the node learned it.
public enum MembershipEvent: Hashable, Sendable {
    /// A member became alive in this node's view (first sight, or rejoin after dead/left).
    case joined(MemberMetadata)
    /// A live member changed its metadata or address (for example a restart with a new IP).
    case updated(MemberMetadata)
    case suspected(name: String, incarnation: UInt64, by: String)
    /// A suspected member proved it is alive with a newer incarnation.
    case refuted(name: String, incarnation: UInt64)
    case died(name: String, incarnation: UInt64, declaredBy: String)
    case left(name: String)
    /// A dead or left member's tombstone was removed after the retention time.
    case reaped(name: String)
    /// This node was accused and refuted by moving to `incarnation`.
    case selfRefuted(incarnation: UInt64, accusation: MemberUpdate.Kind)
    /// An input was refused (identity conflict, oversize metadata, ping for another member).
    case rejected(MembershipError, from: String)
}
