import MeshCore
import MeshWire

/// One event a domain decides or consumes: its log record type, the key of the stream (aggregate) it belongs
/// to, and its payload (the domain's own encoding, proto-spec/encoding.md).
public struct DomainEvent: Hashable, Sendable {
    public var type: UInt16
    public var streamKey: String
    public var payload: [UInt8]

    public init(type: UInt16, streamKey: String, payload: [UInt8]) {
        self.type = type
        self.streamKey = streamKey
        self.payload = payload
    }
}

/// Why a domain refused a command or an event: a stable machine-readable code and a human message.
/// The host maps it to an `RPCError` (for commands) or a dead letter (for events it can never accept).
public struct DomainRejection: Error, Hashable, Sendable, CustomStringConvertible {
    public var code: String
    public var message: String

    public init(_ code: String, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code): \(message)" }
}

/// The pure part of a hosted, event-sourced service: everything a `ServiceHost` needs from a domain, with no
/// sockets, files or clocks of its own (time comes in as `now`, wall-clock nanoseconds since the Unix epoch).
///
/// Invariants the host relies on:
/// - `apply` is deterministic and total over the events this domain wrote: folding the same log always yields
///   the same state, so state = fold(snapshot, events after it).
/// - `react` and `due` only read `state`; the events they return are appended to this service's own log and
///   then applied, exactly like a command's.
/// - Every event's `streamKey` is a key this instance owns (`partition(of:)` maps it to one of its partitions).
public protocol EventSourcedDomain: Sendable {
    associatedtype State: Sendable

    /// The service name: the log directory under the data dir, the prefix of instance names (`inventory-0`),
    /// and the RPC service of its methods.
    static var serviceName: String { get }

    /// Event types of other services this one consumes through its inbox (the saga's incoming edges).
    static var subscribedEventTypes: Set<UInt16> { get }

    /// The state of an empty log.
    static func initialState() -> State

    /// Folds one of this service's own events into `state`. `timestamp` is when the host decided it: the `now` the
    /// `decide`/`react`/`due` that produced it was given, stored in its record, so a rebuild sees the same value.
    static func apply(_ event: DomainEvent, timestamp: Int64, to state: inout State) throws(WireError)

    /// The saga step: an event another service published, in; this service's events, out (maybe none).
    /// A `DomainRejection` means the event can never be accepted (it is dead-lettered, not retried).
    static func react(to event: DomainEvent, state: State, now: Int64) throws(DomainRejection) -> [DomainEvent]

    /// Events that time alone makes due (an expired hold), given the state at `now`. Called periodically.
    static func due(state: State, now: Int64) -> [DomainEvent]

    /// The key, in this service's key space, that decides which of its partitions owns `event`: for its own
    /// events their stream key; for a subscribed event of another service, the key of the instance that must
    /// react to it (inventory: a reservation event's hotel id). Producers' relays use it to pick the owner.
    static func partitionKey(of event: DomainEvent) -> String

    /// Snapshot encoding of the state (a snapshot plus the events after it rebuild the state).
    static func encodeSnapshot(_ state: State) -> [UInt8]
    static func decodeSnapshot(_ bytes: ArraySlice<UInt8>) throws(WireError) -> State

    /// The RPC methods (commands and queries) the host registers and serves for this service.
    static var methods: [HostedMethod<Self>] { get }
}

extension EventSourcedDomain {
    /// A service with no RPCs of its own (it only reacts to events).
    public static var methods: [HostedMethod<Self>] { [] }
}
