import MeshTransport

/// A service that receives some event types from this node's log (a static list until membership provides it).
public struct OutboxSubscriber: Hashable, Sendable {
    /// Unique, stable name; also the name of its cursor file, so only `[A-Za-z0-9._-]`.
    public var name: String
    public var address: HostPort
    /// Log record types it subscribes to.
    public var eventTypes: Set<UInt16>

    public init(name: String, address: HostPort, eventTypes: Set<UInt16>) {
        self.name = name
        self.address = address
        self.eventTypes = eventTypes
    }

    var hasSafeName: Bool {
        !name.isEmpty && !name.hasPrefix(".")
            && name.utf8.allSatisfy { c in
                (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A)
                    || c == 0x2E || c == 0x5F || c == 0x2D
            }
    }
}
