import MeshLog
import MeshRPC
import MeshSaga
import MeshTransport

/// Where one delivery attempt to a subscriber goes, resolved again for every attempt.
public enum OutboxRoute: Sendable {
    /// A peer listening at this address.
    case remote(HostPort)
    /// A consumer in this process (a service instance the node hosts itself): no socket.
    case local(@Sendable (DeliverRequest) async throws(RPCError) -> DeliverResponse)
}

/// A consumer that receives some of this node's log records through the relay.
///
/// The route is looked up per attempt (membership says where the owning instance is now); no route means the
/// attempt fails as `unavailable` and is retried behind the subscriber's breaker, never sent elsewhere.
public struct OutboxSubscriber: Sendable {
    /// Unique, stable name; also the name of its cursor file, so only `[A-Za-z0-9._-]`.
    public var name: String
    /// Log record types it subscribes to (used when `select` is nil).
    public var eventTypes: Set<UInt16>
    /// The method answering deliveries (`mesh.outbox/Deliver`, or a hosted service's own inbox method).
    public var method: MethodDescriptor<DeliverRequest, DeliverResponse>
    /// Picks what of a record this subscriber gets: the record itself, a rewritten one with the same sequence
    /// (only some events of a batch), or nil for nothing. Nil: every record whose type is in `eventTypes`.
    public var select: (@Sendable (LogRecord) -> LogRecord?)?
    /// Where the next attempt goes, or nil while the subscriber cannot be found.
    public var route: @Sendable () -> OutboxRoute?

    /// A subscriber at a fixed address (the static test seam).
    public init(name: String, address: HostPort, eventTypes: Set<UInt16>) {
        self.init(name: name, eventTypes: eventTypes) { .remote(address) }
    }

    public init(
        name: String,
        eventTypes: Set<UInt16>,
        method: MethodDescriptor<DeliverRequest, DeliverResponse> = OutboxMethods.deliver,
        select: (@Sendable (LogRecord) -> LogRecord?)? = nil,
        route: @escaping @Sendable () -> OutboxRoute?
    ) {
        self.name = name
        self.eventTypes = eventTypes
        self.method = method
        self.select = select
        self.route = route
    }

    /// What of `record` this subscriber gets, if anything.
    func selected(_ record: LogRecord) -> LogRecord? {
        if let select { return select(record) }
        return eventTypes.contains(record.type) ? record : nil
    }

    var hasSafeName: Bool {
        !name.isEmpty && !name.hasPrefix(".")
            && name.utf8.allSatisfy { c in
                (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A)
                    || c == 0x2E || c == 0x5F || c == 0x2D
            }
    }
}
