/// Which breaker a call goes through: one per peer, or one per peer and service where a service can fail on its
/// own while the peer is fine. Scoping breakers this way keeps one bad peer from tripping calls to the others.
public struct BreakerKey: Hashable, Sendable, CustomStringConvertible {
    public var peer: String
    /// nil: the peer-wide breaker.
    public var service: String?

    public init(peer: String, service: String? = nil) {
        self.peer = peer
        self.service = service
    }

    public var description: String { service.map { "\(peer)/\($0)" } ?? peer }
}
