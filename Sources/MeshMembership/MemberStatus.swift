import MeshCore

/// A member's liveness as this node believes it. For one incarnation the precedence is
/// alive < suspect < dead/left; any status of a higher incarnation supersedes a lower one.
public enum MemberStatus: Hashable, Sendable {
    case alive(incarnation: UInt64)
    case suspect(incarnation: UInt64)
    case dead(incarnation: UInt64)
    case left(incarnation: UInt64)

    public var incarnation: UInt64 {
        switch self {
        case .alive(let i), .suspect(let i), .dead(let i), .left(let i): i
        }
    }

    /// Alive or suspect: the member is probed, gossiped to and picked for indirect probes.
    public var isReachable: Bool {
        switch self {
        case .alive, .suspect: true
        case .dead, .left: false
        }
    }
}

/// One row of the member table.
public struct MemberState: Hashable, Sendable {
    public var metadata: MemberMetadata
    public var status: MemberStatus
    /// When `status` last changed, in this node's time.
    public var statusChangedAt: MeshInstant

    public var name: String { metadata.name }
}
